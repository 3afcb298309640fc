"""Choose the backend of audiotut.augment.pitch_shift and time_stretch by measurement.

Compares, on the same signals at 16 kHz:

- librosa (phase vocoder: ``librosa.effects.pitch_shift`` / ``time_stretch``), with its
  default ``n_fft`` of 2048 (128 ms at 16 kHz) and with 512 and 256 (32 and 16 ms): the
  vocoder smears a click over about its window, so the smear depends on ``n_fft``;
- pedalboard's offline Rubber Band (``pedalboard.time_stretch``, which also pitch-shifts),
  with ``preserve_formants=False`` (what audiotut uses: the whole spectrum moves, as in
  librosa) and with pedalboard's default ``preserve_formants=True``;
- pedalboard's real-time Rubber Band plugin (``pedalboard.PitchShift``, pitch only).

Measured, each from the output samples:

- pitch error: a 440 Hz sine shifted +2 semitones must be found at 493.88 Hz;
  stretched (rate 0.8 and 1.25) it must stay at 440 Hz. Error in cents.
- spurious energy: a 220 Hz tone with harmonics 1, 1/2, 1/4; the share of the output's
  energy farther than 6 Hz from every expected harmonic, in dB (lower is cleaner).
- harmonic balance: on the same tone, the largest change of harmonics 2 and 3 relative to
  the fundamental (-6 and -12 dB before), in dB (timbre kept when near 0).
- transient smearing: a click every 100 ms; the share of energy farther than 5 ms from
  every expected click time, in dB (lower is crisper).
- duration: output length minus the expected one (n for pitch, round(n / rate) for time),
  in samples, before audiotut trims or pads it.
- speed: the best of 3 runs on 3 s of eSpeak speech; the last column is the chosen backend
  (pedalboard time_stretch, formants not preserved) over librosa.

Run: ``.venv/bin/python benchmarks/pitch_time.py`` (one run, about ten seconds; run it
alone on an idle machine). It prints a table and writes
``benchmarks/results/pitch_time.json``, labelled with the machine (CPU, cores, library
versions, date), which chapter 7 reads; ``--table FILE`` prints a results file again.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import time
from pathlib import Path

import librosa
import numpy as np
import pedalboard

from _machine import cpu_model, write_results  # benchmarks/_machine.py, beside this script
from audiotut import synth

OUT = Path(__file__).resolve().parent / "results" / "pitch_time.json"

SR = 16000


def peak_hz(y: np.ndarray) -> float:
    """Frequency of the largest FFT peak (Hann window, parabolic interpolation in log)."""
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    k = int(np.argmax(spectrum))
    a, b, c = np.log(spectrum[k - 1:k + 2])
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * SR / len(y)


def cents(measured: float, expected: float) -> float:
    return 1200 * np.log2(measured / expected)


def middle(y: np.ndarray, seconds: float = 1.0) -> np.ndarray:
    n = int(seconds * SR)
    start = (len(y) - n) // 2
    return y[start:start + n]


def spurious_db(y: np.ndarray, f0: float) -> float:
    """Energy away (> 6 Hz) from the harmonics of f0, relative to all energy, in dB."""
    seg = middle(y)
    spectrum = np.abs(np.fft.rfft(seg * np.hanning(len(seg)))) ** 2
    freqs = np.fft.rfftfreq(len(seg), 1 / SR)
    near = np.zeros(len(freqs), dtype=bool)
    for k in range(1, int(SR / 2 / f0) + 1):
        near |= np.abs(freqs - k * f0) <= 6
    return 10 * np.log10(spectrum[~near].sum() / spectrum.sum())


def balance_db(y: np.ndarray, f0: float) -> float:
    """Largest change of harmonics 2 and 3 relative to the fundamental (were -6, -12 dB)."""
    seg = middle(y)
    spectrum = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
    bins = [int(round(k * f0 * len(seg) / SR)) for k in (1, 2, 3)]
    level = [20 * np.log10(spectrum[b - 3:b + 4].max()) for b in bins]
    return max(abs(level[1] - level[0] + 6.02), abs(level[2] - level[0] + 12.04))


def smear_db(y: np.ndarray, clicks: np.ndarray) -> float:
    """Energy farther than 5 ms from every expected click, relative to all energy, in dB."""
    width = int(0.005 * SR)
    near = np.zeros(len(y), dtype=bool)
    for c in clicks:
        near[max(c - width, 0):c + width + 1] = True
    energy = y.astype(np.float64) ** 2
    return 10 * np.log10(energy[~near].sum() / energy.sum())


def best_time(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _vocoder(n_fft: int) -> dict:
    """librosa's phase vocoder with an n_fft-sample window (hop n_fft / 4, its default)."""
    return {
        "pitch": lambda y, s: librosa.effects.pitch_shift(y, sr=SR, n_steps=s, n_fft=n_fft),
        "time": lambda y, r: librosa.effects.time_stretch(y, rate=r, n_fft=n_fft),
    }


BACKENDS = {
    "librosa": _vocoder(2048),
    "librosa n_fft 512": _vocoder(512),
    "librosa n_fft 256": _vocoder(256),
    "pedalboard time_stretch": {
        "pitch": lambda y, s: pedalboard.time_stretch(y[None], SR, pitch_shift_in_semitones=s,
                                                      preserve_formants=False)[0],
        "time": lambda y, r: pedalboard.time_stretch(y[None], SR, stretch_factor=r,
                                                     preserve_formants=False)[0],
    },
    "pb time_stretch formants": {
        "pitch": lambda y, s: pedalboard.time_stretch(y[None], SR,
                                                      pitch_shift_in_semitones=s)[0],
        "time": lambda y, r: pedalboard.time_stretch(y[None], SR, stretch_factor=r)[0],
    },
    "pedalboard PitchShift": {
        "pitch": lambda y, s: pedalboard.PitchShift(semitones=s)(y[None], SR)[0],
        "time": None,
    },
}


def machine() -> dict:
    """CPU, cores, library versions and the date, for the label of the results."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "cpu": cpu_model(),
        "logical_cores": os.cpu_count(),
        "usable_cores": usable,
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "librosa": librosa.__version__,
        "pedalboard": pedalboard.__version__,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def measure() -> dict:
    """Every measure of every backend: {"rows": {backend: {measure: value}}, "machine"}."""
    t = np.arange(2 * SR) / SR
    sine = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    harmonic = sum(a * np.sin(2 * np.pi * k * 220 * t) for k, a in [(1, 0.5), (2, 0.25),
                                                                      (3, 0.125)])
    harmonic = harmonic.astype(np.float32)
    clicks = np.zeros(2 * SR, dtype=np.float32)
    positions = np.arange(int(0.05 * SR), 2 * SR - int(0.05 * SR), int(0.1 * SR))
    clicks[positions] = 0.9
    speech = synth.speech("the quick brown fox jumps over the lazy dog", sr=SR)
    speech = np.tile(speech, int(np.ceil(3 * SR / len(speech))))[:3 * SR]

    up = 440 * 2 ** (2 / 12)
    rows = {}
    for name, fns in BACKENDS.items():
        row = {}
        ps = fns["pitch"]
        row["pitch +2 st error (cents)"] = cents(peak_hz(middle(ps(sine, 2.0))), up)
        row["pitch -5 st error (cents)"] = cents(peak_hz(middle(ps(sine, -5.0))),
                                                 440 * 2 ** (-5 / 12))
        for st in (2.0, -3.0):
            shifted = ps(harmonic, st)
            row[f"pitch {st:+.0f} st spurious (dB)"] = spurious_db(shifted, 220 * 2 ** (st / 12))
            row[f"pitch {st:+.0f} st balance (dB)"] = balance_db(shifted, 220 * 2 ** (st / 12))
        row["pitch +2 st click smear (dB)"] = smear_db(ps(clicks, 2.0), positions)
        row["pitch length error (samples)"] = len(ps(sine, 2.0)) - len(sine)
        row["pitch speed 3 s speech (ms)"] = 1000 * best_time(lambda: ps(speech, 2.0))
        ts = fns["time"]
        if ts is not None:
            for rate in (0.8, 1.25):
                row[f"time x{rate} pitch error (cents)"] = cents(peak_hz(middle(ts(sine, rate))),
                                                                 440)
            row["time x0.8 spurious (dB)"] = spurious_db(ts(harmonic, 0.8), 220)
            row["time x0.8 balance (dB)"] = balance_db(ts(harmonic, 0.8), 220)
            row["time x0.8 click smear (dB)"] = smear_db(
                ts(clicks, 0.8), np.round(positions / 0.8).astype(int))
            row["time x0.7 length error (samples)"] = (len(ts(sine, 0.7))
                                                       - round(len(sine) / 0.7))
            row["time x0.8 speed 3 s speech (ms)"] = 1000 * best_time(lambda: ts(speech, 0.8))
        rows[name] = {key: float(value) for key, value in row.items()}
    return {"sr": SR, "machine": machine(), "rows": rows}


def table(results: dict) -> str:
    """The results as a text table (one column per backend), labelled with the machine."""
    rows, m = results["rows"], results["machine"]
    names = list(rows)
    metrics = list(rows[names[0]])
    header = f"{'measure':34s}" + "".join(f"{n:>25s}" for n in names) + f"{'pb/librosa':>12s}"
    lines = [f"sr = {results['sr']} Hz; {m['cpu']}, {m['usable_cores']} cores, {m['date']}; "
             f"pedalboard {m['pedalboard']}, librosa {m['librosa']}", header, "-" * len(header)]
    for metric in metrics:
        line = f"{metric:34s}"
        for n in names:
            value = rows[n].get(metric)
            line += f"{'-':>25s}" if value is None else f"{value:25.2f}"
        lib, pb = rows["librosa"][metric], rows["pedalboard time_stretch"][metric]
        if "speed" in metric:
            line += f"{pb / lib:12.2f}"
        lines.append(line)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="JSON file to write")
    parser.add_argument("--table", type=Path, help="print this results file and exit")
    args = parser.parse_args()
    if args.table:
        print(table(json.loads(args.table.read_text(encoding="utf-8"))))
        return
    results = measure()
    print(table(results))
    write_results(args.out, results)


if __name__ == "__main__":
    main()
