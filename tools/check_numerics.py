"""Re-run every chapter under perturbed numeric environments and report what differs.

A printed number must hold on any CPU. Outputs executed on one machine have failed
on another because the last digits of a sum depend on how it is split (threads),
which SIMD kernels run (AVX-512, AVX2, SSE) and which BLAS kernels OpenBLAS picks.
This script re-runs the notebooks with nbval, exactly as ``make test`` does, once
per environment below, each changing all three for numpy, OpenBLAS and torch:

- ``generic``: one thread everywhere, numpy's SIMD dispatch off (baseline
  instructions only), OpenBLAS's oldest x86-64 kernels (Prescott) and torch's
  default (non-vectorized) ATen kernels;
- ``avx2-threads``: three threads (other reduction splits than the default two),
  numpy and torch limited to AVX2 (no AVX-512), OpenBLAS's Haswell kernels.

Every output that differs from the committed one is reported, per environment,
with nbval's diff. Run it before submitting a change to notebooks or numerics:

    make check-numerics                      # every chapter
    make check-numerics NOTEBOOKS="book/05_mel_mfcc.ipynb"

It exits non-zero when any output differs. CI does not run it (it re-executes
every chapter twice); run it by hand.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# numpy's dispatched x86 feature groups (baseline X86_V2 cannot be disabled)
_NO_SIMD = "X86_V3 X86_V4 AVX512_ICL AVX512_SPR"
_NO_AVX512 = "X86_V4 AVX512_ICL AVX512_SPR"

ENVIRONMENTS: dict[str, dict[str, str]] = {
    "generic": {
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "OPENBLAS_CORETYPE": "Prescott", "NPY_DISABLE_CPU_FEATURES": _NO_SIMD,
        "ATEN_CPU_CAPABILITY": "default",
    },
    "avx2-threads": {
        "OMP_NUM_THREADS": "3", "OPENBLAS_NUM_THREADS": "3", "MKL_NUM_THREADS": "3",
        "OPENBLAS_CORETYPE": "Haswell", "NPY_DISABLE_CPU_FEATURES": _NO_AVX512,
        "ATEN_CPU_CAPABILITY": "avx2",
    },
}


def _x86() -> bool:
    import platform
    return platform.machine().lower() in ("x86_64", "amd64")


def run(name: str, overrides: dict[str, str], notebooks: list[str]) -> list[tuple[str, str]]:
    """Run nbval under one environment; return (test id, message) for each difference."""
    env = dict(os.environ, **overrides)
    if not _x86():                       # the SIMD names above are x86's
        for key in ("NPY_DISABLE_CPU_FEATURES", "OPENBLAS_CORETYPE", "ATEN_CPU_CAPABILITY"):
            env.pop(key, None)
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "junit.xml"
        command = [sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env",
                   "--nbval-sanitize-with", "tests/nbval_sanitize.cfg", "-p", "no:cacheprovider",
                   "-q", "--tb=no", "-o", "addopts=", f"--junitxml={report}", *notebooks]
        print(f"== {name}: " + " ".join(f"{k}={v}" for k, v in overrides.items()), flush=True)
        subprocess.run(command, cwd=ROOT, env=env, check=False)
        if not report.exists():
            return [(name, "pytest wrote no report (see its output above)")]
        failures = []
        for case in ET.parse(report).iter("testcase"):
            for problem in list(case.findall("failure")) + list(case.findall("error")):
                test_id = f"{case.get('classname', '')}::{case.get('name', '')}"
                failures.append((test_id, _diff(problem.text or problem.get("message") or "")))
        return failures


def _diff(report: str) -> str:
    """nbval's report without colour codes and without the cell's input: what differs."""
    text = re.sub(r"(\x1b|#x1B)\[[0-9;]*m", "", report)
    _, found, after = text.partition("Traceback:")
    return (after if found else text).strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="notebooks (default: every chapter)")
    parser.add_argument("--only", choices=sorted(ENVIRONMENTS), help="one environment")
    args = parser.parse_args()
    notebooks = args.notebooks or sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("book/[0-9][0-9]_*.ipynb"))
    names = [args.only] if args.only else list(ENVIRONMENTS)
    found = {name: run(name, ENVIRONMENTS[name], notebooks) for name in names}
    print("\n== check-numerics report")
    for name, failures in found.items():
        print(f"-- {name}: {len(failures)} output(s) differ")
        for test_id, message in failures:
            print(f"   {test_id}\n      " + "\n      ".join(message.splitlines()[:60]))
    return 1 if any(found.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
