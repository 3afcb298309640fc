"""Regenerate audiotut/data/fsdd-v1.0.10.sha256 from a local copy of FSDD v1.0.10.

The manifest has one line per recording, ``<sha256>  <file name>``, sorted by
name: the format of ``sha256sum``, so ``cd recordings && sha256sum -c
path/to/fsdd-v1.0.10.sha256`` checks a copy too. Run it from the repository root:

    python tools/make_fsdd_manifest.py ../shared/data/fsdd-v1.0.10/recordings

The copy must be the dataset at tag v1.0.10 (3,000 files, 6 speakers x 10
digits x 50 takes); the script refuses anything else. The manifest is written
atomically (a temporary file, then ``os.replace``).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "audiotut" / "data" / "fsdd-v1.0.10.sha256"
NAME = re.compile(r"^([0-9])_([a-z]+)_([0-9]+)\.wav$")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("recordings", type=Path,
                        help="the recordings/ folder of FSDD v1.0.10")
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT,
                        help=f"manifest to write (default: {OUTPUT.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    names = sorted(path.name for path in args.recordings.glob("*.wav"))
    parsed = [NAME.match(name) for name in names]
    bad = [name for name, match in zip(names, parsed) if match is None]
    if bad or len(names) != 3000:
        sys.exit(f"{args.recordings} is not FSDD v1.0.10: {len(names)} .wav files "
                 f"(expected 3000), badly named: {bad[:5]}")
    speakers = {match.group(2) for match in parsed}
    takes = {int(match.group(3)) for match in parsed}
    if len(speakers) != 6 or takes != set(range(50)):
        sys.exit(f"unexpected speakers {sorted(speakers)} or takes {sorted(takes)}")
    lines = [f"{hashlib.sha256((args.recordings / name).read_bytes()).hexdigest()}  {name}\n"
             for name in names]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=args.output.parent, suffix=".tmp")
    os.chmod(temporary, 0o644)  # mkstemp makes it private
    try:
        with os.fdopen(handle, "w", encoding="ascii", newline="\n") as file:
            file.writelines(lines)
        os.replace(temporary, args.output)
    except BaseException:
        os.unlink(temporary)
        raise
    print(f"wrote {len(lines)} sums of {len(speakers)} speakers to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
