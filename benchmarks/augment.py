"""The talk's effects chain, rebuilt with pedalboard and with SoX, timed on the same clips.

The talk augmented audio with pysndfx (a 2018 SoX wrapper that no longer runs on NumPy 2.3 or later):
``AudioEffectsChain().highshelf().delay().phaser().reverb().lowshelf()``, all defaults,
which runs ``sox ... treble -20 3000 0.5 echo 0.8 0.5 1000 0.3 1800 0.25
phaser 0.9 0.8 1 0.25 2 -s reverb 50 50 100 100 20 0 bass -20 100 0.5``.
This script builds the same five effects twice:

- :func:`sox_chain`: a ``sox.Transformer`` (pysox, the maintained SoX wrapper) with
  exactly those arguments; its output is checked to be identical to what the talk's
  command gives when run by hand (so it *is* the talk's chain);
- :func:`pedalboard_chain`: ``pedalboard.Pedalboard`` with the nearest parameters (the
  mapping is in the function's comments). The shelves are the same RBJ biquads
  (outputs agree to 4e-5 on noise); the reverb is the same Freeverb (wet decay within
  1 dB); pedalboard's Delay has one tap (SoX's second echo, 1.8 s at -10 dB, is
  dropped) and its Phaser is an all-pass phaser where SoX's is a modulated 1 ms delay,
  so only rate and feedback carry over.

Measured, on 0.01, 0.1, 0.5, 1, 10 and 60 s (from 1 s on) of a 44.1 kHz stereo recording
(librosa's "vibeace"), each the median of several calls after one warm-up call, the
two libraries called in turn so that background load hits both alike:

- the whole chain with each library, and SoX/pedalboard;
- SoX with an empty chain: the fixed cost of starting the ``sox`` process and piping the
  clip through it, nearly all of SoX's time for one cheap effect on a short clip (for
  the whole chain, processing the 1.8 s echo tail SoX appends costs more);
- one transform alone (the high shelf), the case of pedalboard's "up to 300x faster than
  pySoX for single transforms";
- the output levels (peak and RMS, dBFS, over the input's span) so the chains can be
  seen to be comparable. SoX's echo also appends its 1.8 s tail; pedalboard returns
  the input's length.

Run: ``LIBROSA_DATA_DIR=... .venv/bin/python benchmarks/augment.py`` (well under a minute;
run it alone on an idle machine). It prints a table and writes
``benchmarks/results/augment.json``; :func:`table` formats that file again.
"""

from __future__ import annotations

import argparse
import datetime
import logging
import os
import platform
import statistics
import subprocess
import time
from pathlib import Path

import numpy as np
import pedalboard
import sox
from pedalboard import (
    Delay,
    HighShelfFilter,
    LowShelfFilter,
    Pedalboard,
    Phaser,
    Reverb,
)

from audiotut import examples

from _machine import cpu_model, write_results  # benchmarks/_machine.py, beside this script

# pysox logs through the "sox" logger (level WARNING, set when it is imported); keep its
# occasional advice off stderr. Nothing in this chain logs, so this changes no output.
logging.getLogger("sox").setLevel(logging.ERROR)

EXAMPLE = "vibeace"          # Kevin MacLeod - Vibe Ace: 44.1 kHz stereo, 61 s
OFFSET = 1.0                 # clips start here: the first 10 ms of the track are silent
DURATIONS = (0.01, 0.1, 0.5, 1.0, 10.0, 60.0)
REPEATS = {0.01: 40, 0.1: 40, 0.5: 30, 1.0: 20, 10.0: 7, 60.0: 5}
OUT = Path(__file__).resolve().parent / "results" / "augment.json"


def pedalboard_chain() -> Pedalboard:
    """pysndfx's defaults, mapped to pedalboard (call it as ``board(y, sr)``)."""
    return Pedalboard([
        # treble -20 3000 0.5: same RBJ shelf; SoX's slope S=0.5 at -20 dB is Q=0.427
        HighShelfFilter(cutoff_frequency_hz=3000, gain_db=-20, q=0.427),
        # echo 0.8 0.5 1000 0.3 1800 0.25 = 0.4 dry + 0.15 at 1 s (+ 0.125 at 1.8 s):
        # one tap at the same echo/dry ratio (0.27/0.73 = 0.15/0.4)
        Delay(delay_seconds=1.0, feedback=0.0, mix=0.27),
        # phaser 0.9 0.8 1 0.25 2: rate 2 Hz and feedback 0.25 carry over
        Phaser(rate_hz=2.0, feedback=0.25),
        # reverb 50 50 100 100 20 0: the same Freeverb, feedback 0.88 and damping 0.35;
        # wet/dry 1/3 as in SoX, both lowered to match SoX's quieter echo and phaser
        Reverb(room_size=0.65, damping=0.875, wet_level=0.1, dry_level=0.3),
        # bass -20 100 0.5
        LowShelfFilter(cutoff_frequency_hz=100, gain_db=-20, q=0.427),
    ])


def sox_chain() -> sox.Transformer:
    """The talk's chain, pysndfx's defaults, as a pysox Transformer."""
    return (
        sox.Transformer()
        .treble(gain_db=-20, frequency=3000, slope=0.5)
        .echo(gain_in=0.8, gain_out=0.5, n_echos=2,
              delays=[1000, 1800], decays=[0.3, 0.25])
        .phaser(gain_in=0.9, gain_out=0.8, delay=1, decay=0.25, speed=2)
        .reverb(reverberance=50, high_freq_damping=50, room_scale=100,
                stereo_depth=100, pre_delay=20, wet_gain=0)
        .bass(gain_db=-20, frequency=100, slope=0.5)
    )


def run_pedalboard(board: Pedalboard, y: np.ndarray, sr: int) -> np.ndarray:
    """Channel-first float32 in, channel-first float32 out (the input's length)."""
    return board(y, sr)


def run_sox(tfm: sox.Transformer, y: np.ndarray, sr: int) -> np.ndarray:
    """Channel-first in and out; pysox itself wants and gives (samples, channels)."""
    return np.ascontiguousarray(tfm.build_array(input_array=y.T, sample_rate_in=sr).T)


def talk_check(y: np.ndarray, sr: int) -> dict:
    """Run the talk's pysndfx chain: as pysndfx (fails on NumPy >= 2.3) and as its raw command."""
    from pysndfx import AudioEffectsChain

    fx = AudioEffectsChain().highshelf().delay().phaser().reverb().lowshelf()
    try:
        fx(y, sample_in=sr)
        error = None
    except Exception as e:  # noqa: BLE001 - the point is to show what it raises
        error = f"{type(e).__name__}: {e}"
    fmt = ["-t", "f32", "-r", str(sr), "-c", str(y.shape[0]), "-"]
    command = ["sox", "-N", "-V1", *fmt, *fmt, *map(str, fx.command)]
    raw = subprocess.run(command, input=y.tobytes(order="F"), capture_output=True, check=True)
    talk = np.frombuffer(raw.stdout, np.float32).reshape((y.shape[0], -1), order="F")
    ours = run_sox(sox_chain(), y, sr)
    same_shape = talk.shape == ours.shape
    return {
        "pysndfx_call": error,
        "talk_command": " ".join(command),
        "pysox_effects": " ".join(sox_chain().effects),
        "pysox_equals_talk_command": bool(same_shape and np.array_equal(talk, ours)),
        "max_abs_difference": float(np.abs(talk - ours).max()) if same_shape else None,
    }


def dbfs(y: np.ndarray) -> tuple[float, float]:
    """Peak and RMS level in dB relative to full scale (1.0)."""
    peak = float(np.abs(y).max())
    rms = float(np.sqrt(np.mean(np.square(y, dtype=np.float64))))
    return 20 * np.log10(max(peak, 1e-12)), 20 * np.log10(max(rms, 1e-12))


def median_ms(pairs: dict, repeats: int) -> dict:
    """Median wall time in ms of each callable, one warm-up call each, called in turn."""
    for fn in pairs.values():
        fn()
    times: dict = {name: [] for name in pairs}
    for _ in range(repeats):
        for name, fn in pairs.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: 1e3 * statistics.median(t) for name, t in times.items()}


def machine() -> dict:
    """CPU, cores, library versions and the date, for the label of the results."""
    cpu = cpu_model()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    sox_version = subprocess.run(["sox", "--version"], capture_output=True, text=True)
    return {
        "cpu": cpu,
        "logical_cores": os.cpu_count(),
        "usable_cores": usable,
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pedalboard": pedalboard.__version__,
        "pysox": sox.__version__,
        "sox_program": sox_version.stdout.strip().split(":", 1)[-1].strip(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def clip(y: np.ndarray, sr: int, seconds: float, offset: float = OFFSET) -> np.ndarray:
    """``seconds`` of y from ``offset`` s on (y looped if too short), contiguous float32."""
    start, n = int(round(offset * sr)), int(round(seconds * sr))
    if y.shape[-1] < start + n:
        y = np.tile(y, (1, -(-(start + n) // y.shape[-1])))
    return np.ascontiguousarray(y[:, start:start + n], dtype=np.float32)


def measure(example: str = EXAMPLE) -> dict:
    y, sr = examples.load(example, hq=True, mono=False, sr=None)
    if y.ndim == 1:
        y = np.stack([y, y])
    board, tfm = pedalboard_chain(), sox_chain()
    shelf_pb = Pedalboard([HighShelfFilter(cutoff_frequency_hz=3000, gain_db=-20, q=0.427)])
    shelf_sox = sox.Transformer().treble(gain_db=-20, frequency=3000, slope=0.5)
    empty_sox = sox.Transformer()
    rows = []
    for seconds in DURATIONS:
        x = clip(y, sr, seconds)
        repeats = REPEATS[seconds]
        ms = median_ms({
            "pedalboard": lambda: run_pedalboard(board, x, sr),
            "sox": lambda: run_sox(tfm, x, sr),
            "sox_empty": lambda: run_sox(empty_sox, x, sr),
            "shelf_pedalboard": lambda: run_pedalboard(shelf_pb, x, sr),
            "shelf_sox": lambda: run_sox(shelf_sox, x, sr),
        }, repeats)
        out_pb, out_sox = run_pedalboard(board, x, sr), run_sox(tfm, x, sr)
        n = x.shape[-1]
        (in_peak, in_rms), (pb_peak, pb_rms) = dbfs(x), dbfs(out_pb)
        sox_peak, sox_rms = dbfs(out_sox[:, :n])
        rows.append({
            "seconds": seconds,
            "repeats": repeats,
            "pedalboard_ms": ms["pedalboard"],
            "sox_ms": ms["sox"],
            "sox_over_pedalboard": ms["sox"] / ms["pedalboard"],
            "sox_empty_chain_ms": ms["sox_empty"],
            "shelf_pedalboard_ms": ms["shelf_pedalboard"],
            "shelf_sox_ms": ms["shelf_sox"],
            "shelf_sox_over_pedalboard": ms["shelf_sox"] / ms["shelf_pedalboard"],
            "input_peak_dbfs": in_peak,
            "input_rms_dbfs": in_rms,
            "pedalboard_peak_dbfs": pb_peak,
            "pedalboard_rms_dbfs": pb_rms,
            "sox_peak_dbfs": sox_peak,
            "sox_rms_dbfs": sox_rms,
            "pedalboard_output_seconds": out_pb.shape[-1] / sr,
            "sox_output_seconds": out_sox.shape[-1] / sr,
        })
    return {
        "benchmark": "benchmarks/augment.py",
        "machine": machine(),
        "audio": {
            "example": example,
            "credit": examples.credit(example).splitlines()[0],
            "sr": sr,
            "channels": int(y.shape[0]),
            "clips": f"N seconds of the recording from {OFFSET:g} s on",
        },
        "timing": "median wall time of repeated calls after one warm-up call, libraries "
                  "called in turn; one process, one thread each",
        "talk": talk_check(clip(y, sr, 3.0), sr),
        "rows": rows,
    }


def table(results: dict) -> str:
    """The results as a text table, labelled with the machine (<= 79 characters a line)."""
    m = results["machine"]
    lines = [
        f"{m['cpu']}, {m['usable_cores']} of {m['logical_cores']} cores, {m['date']}",
        f"pedalboard {m['pedalboard']}, pysox {m['pysox']}, {m['sox_program']}, "
        f"numpy {m['numpy']}",
        "",
        "  clip | whole chain (ms)         | SoX    | high shelf alone (ms)",
        "   (s) | pedalboard    SoX  ratio | empty  | pedalboard    SoX   ratio",
    ]
    for r in results["rows"]:
        lines.append(
            f"{r['seconds']:6.2f} | {r['pedalboard_ms']:10.2f} {r['sox_ms']:6.1f} "
            f"{r['sox_over_pedalboard']:6.1f} | {r['sox_empty_chain_ms']:6.1f} | "
            f"{r['shelf_pedalboard_ms']:10.3f} {r['shelf_sox_ms']:6.1f} "
            f"{r['shelf_sox_over_pedalboard']:7.1f}"
        )
    lines += [
        "",
        "  clip | level (dBFS), peak / RMS".ljust(52) + " | output (s)",
        "   (s) | input         pedalboard     SoX".ljust(52) + " | pedalboard   SoX",
    ]
    for r in results["rows"]:
        lines.append(
            f"{r['seconds']:6.2f} | {r['input_peak_dbfs']:5.1f} / {r['input_rms_dbfs']:5.1f}"
            f"  {r['pedalboard_peak_dbfs']:5.1f} / {r['pedalboard_rms_dbfs']:5.1f}"
            f"  {r['sox_peak_dbfs']:5.1f} / {r['sox_rms_dbfs']:5.1f}"
            f" | {r['pedalboard_output_seconds']:10.2f} {r['sox_output_seconds']:5.2f}"
        )
    return "\n".join(lines)


def summary(results: dict) -> str:
    """What the numbers say about the two libraries and the "300x" claim."""
    rows = results["rows"]
    short, long = rows[0], rows[-1]
    best = max(rows, key=lambda r: r["shelf_sox_over_pedalboard"])
    ratio = best["shelf_sox_over_pedalboard"]
    startup = short["sox_empty_chain_ms"] / short["sox_ms"]
    verdict = "reached" if ratio >= 300 else "not reached on this machine"
    return "\n".join([
        f"SoX/pedalboard, whole chain: {short['sox_over_pedalboard']:.1f}x on "
        f"{short['seconds']:g} s, {long['sox_over_pedalboard']:.1f}x on {long['seconds']:g} s.",
        f"On {short['seconds']:g} s, starting sox and piping the clip through it (empty "
        f"chain) is {startup:.0%} of SoX's time for the whole chain; most of the rest is "
        f"the echo's tail, which SoX appends and processes ({short['sox_output_seconds']:.2f}"
        f" s out), while pedalboard returns the input's length.",
        f"One cheap transform alone (high shelf): SoX/pedalboard at most {ratio:.0f}x, on "
        f"{best['seconds']:g} s clips. pedalboard's \"up to 300x faster than pySoX for "
        f"single transforms\" ({verdict}) is this case: a short clip and one cheap "
        f"effect, where starting the sox process is nearly all of SoX's time.",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", default=EXAMPLE, help="librosa example key")
    parser.add_argument("--out", type=Path, default=OUT, help="JSON file to write")
    args = parser.parse_args()
    results = measure(args.example)
    talk = results["talk"]
    print(f"pysndfx as in the talk: {talk['pysndfx_call']}")
    print(f"pysox chain == the talk's sox command: {talk['pysox_equals_talk_command']}")
    print()
    print(table(results))
    print()
    print(summary(results))
    write_results(args.out, results)


if __name__ == "__main__":
    main()
