"""Real-time factor and latency of chapter 10's streaming recognizer on the CPU.

The issue's target: the streaming front-end plus the model at most 0.05 of real time
(20x faster) on a 2-core CPU, and the latency from a spoken word to its event. This
script trains chapter 10's kind of model on synthesized English digits (eSpeak
variants, a few seconds), then measures on 60 s of synthesized speech with pauses:

- the real-time factor (processing time / audio time) of
  :class:`audiotut.stream.StreamingLogMel` alone and of the whole
  :class:`audiotut.stream.Recognizer` (front-end, one model call per step, posterior
  averaging), for blocks of 10 ms, 20 ms and 64 ms and steps of 50 and 100 ms;
- the model's time per window (median), eager PyTorch and TorchScript;
- the latency from sound to event, per word: the stream-time delay of the event after
  the word's end (``detected_at - word end``: the window must move past the word and
  the average must fall), plus one block (the wait for the block that holds the
  decisive samples) plus the time to process that block. A sound card adds its own
  buffers on top (the tests' JACK loopback: one 1024-sample period at 48 kHz, 21 ms).

Every measurement uses one torch thread (chapter 10's setting). Writes
``results/stream.json`` labelled with the machine, library versions, load and date;
``--table FILE`` prints a results file again.

    .venv/bin/python benchmarks/stream.py
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from _machine import cpu_model, write_results  # benchmarks/_machine.py, beside this script

from audiotut import synth
from audiotut.features import FeatureConfig
from audiotut.models import LogMelCNN
from audiotut.stream import Recognizer, StreamingLogMel
from audiotut.utils import deterministic

SR = 16000
CONFIG = FeatureConfig(sr=SR, n_fft=480, hop_length=320, n_mels=32, center=False,
                       top_db=None)                  # chapter 10's front-end
WINDOW = 0.8
DIGITS = "zero one two three four five six seven eight nine".split()
CLASSES = ["silence", "unknown", *DIGITS]
UNKNOWN = ["yes", "no", "stop", "go"]
TRAIN = ["m1", "m2", "m4", "m5", "m6", "m7", "m8", "f1", "f2", "f4", "f5", "croak",
         "klatt", "klatt2", "klatt4", "Alex", "Andy", "Annie", "Denis", "Gene"]
TARGET_RTF = 0.05
OUT = Path(__file__).resolve().parent / "results" / "stream.json"


def train_model(seed: int = 0) -> torch.nn.Module:
    """Chapter 10's recipe, English only: words anywhere in a 0.8 s window, silence."""
    rng = np.random.default_rng(seed)
    n = int(WINDOW * SR)
    words = [(synth.speech(w, sr=SR, voice=f"en+{v}"),
              CLASSES.index(w) if w in DIGITS else 1) for v in TRAIN for w in DIGITS + UNKNOWN]
    S, labels = [], []
    for _ in range(3):
        for y, label in words:
            z = np.zeros(n, np.float32)
            m = min(y.size, n)
            start = int(rng.integers(0, n - m + 1))
            z[start:start + m] = y[:m] * 10 ** (rng.uniform(-12, 6) / 20)
            z += (rng.standard_normal(n) * 10 ** (rng.uniform(-70, -35) / 20)).astype(
                np.float32)
            S.append(CONFIG.log_mel(z))
            labels.append(label)
        for _ in range(len(words) // 12):
            z = (rng.standard_normal(n) * 10 ** (rng.uniform(-90, -40) / 20)).astype(np.float32)
            S.append(CONFIG.log_mel(z))
            labels.append(0)
    S, y = torch.from_numpy(np.stack(S)), torch.tensor(labels)
    generator = deterministic(seed, threads=1)
    model = LogMelCNN(CONFIG, n_classes=len(CLASSES), channels=(16, 32, 32))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(12):
        model.train()
        for batch in torch.randperm(len(S), generator=generator).split(64):
            loss = torch.nn.functional.cross_entropy(model.classify(S[batch]), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    torch.use_deterministic_algorithms(False)
    return model.eval()


def recording(seconds: float, seed: int = 1) -> tuple[np.ndarray, list[tuple[str, float, float]]]:
    """Digits by a held-out voice, 1.0-1.4 s pauses: signal and (word, start, end) in s."""
    rng = np.random.default_rng(seed)
    parts, truth, position = [np.zeros(SR // 2, np.float32)], [], SR // 2
    while position < seconds * SR - 2 * SR:
        word = DIGITS[int(rng.integers(0, 10))]
        y = 0.5 * synth.speech(word, sr=SR, voice="en+m3")
        gap = np.zeros(int(rng.uniform(1.0, 1.4) * SR), np.float32)
        truth.append((word, position / SR, (position + y.size) / SR))
        parts += [y, gap]
        position += y.size + gap.size
    y = np.concatenate(parts)
    y += (0.002 * rng.standard_normal(y.size)).astype(np.float32)
    return y, truth


def run(make, y: np.ndarray, block: int) -> tuple[float, list, list[float], object]:
    """Push y in blocks through a fresh object; total seconds, events, per-block seconds."""
    target = make()
    events, times = [], []
    blocks = [y[i:i + block] for i in range(0, y.size, block)]
    for b in blocks:
        start = time.perf_counter()
        out = target.push(b)
        times.append(time.perf_counter() - start)
        if isinstance(out, list):
            events += [(e, time.perf_counter()) for e in out]
    return float(np.sum(times)), events, times, target


def measure(seconds: float = 60.0, repeats: int = 3) -> dict:
    torch.set_num_threads(1)
    load_at_start = os.getloadavg()
    start = time.perf_counter()
    model = train_model()
    train_seconds = time.perf_counter() - start
    y, truth = recording(seconds)
    audio = y.size / SR
    results: dict = {"machine": machine(), "audio_seconds": audio, "words": len(truth),
                     "train_seconds": train_seconds, "load_at_start": load_at_start,
                     "rows": []}

    for block_ms in (10, 20, 64):
        block = int(block_ms * SR / 1000)
        best = min(run(lambda: StreamingLogMel(CONFIG), y, block)[0] for _ in range(repeats))
        results["rows"].append({"what": "front-end", "block_ms": block_ms, "step_ms": None,
                                "rtf": best / audio})
        for step_ms in (50, 100):
            def make():
                return Recognizer(model.classify, CONFIG, CLASSES, window=WINDOW,
                                  step=step_ms / 1000, threshold=0.5)
            runs = [run(make, y, block) for _ in range(repeats)]
            total, events, times, rec = min(runs, key=lambda r: r[0])
            row = {"what": "front-end + model", "block_ms": block_ms, "step_ms": step_ms,
                   "rtf": total / audio, "events": len(rec.events),
                   "correct": _correct(rec.events, truth)}
            # latency of each event: stream delay after the word's end + one block +
            # the time to process the block that completed it
            delays, compute = [], []
            for event in rec.events:
                word = min(truth, key=lambda t: abs((t[1] + t[2]) / 2 - event.time))
                delays.append(event.detected_at - word[2])
                index = min(int(event.detected_at * SR) // block, len(times) - 1)
                compute.append(times[index])
            if delays:
                latency = np.array(delays) + block / SR + np.array(compute)
                row.update(delay_after_word_end_s=float(np.mean(delays)),
                           latency_mean_s=float(latency.mean()),
                           latency_max_s=float(latency.max()),
                           block_compute_ms_median=1000 * float(np.median(times)),
                           block_compute_ms_max=1000 * float(np.max(times)))
            results["rows"].append(row)

    window = torch.from_numpy(np.stack([CONFIG.log_mel(np.zeros(int(WINDOW * SR),
                                                                np.float32))]))
    x = torch.zeros(1, int(WINDOW * SR))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(model, x)
    with torch.inference_mode():
        results["model_ms_per_window"] = 1000 * _median_time(lambda: model.classify(window))
        results["front_end_and_model_eager_ms"] = 1000 * _median_time(lambda: model(x))
        results["front_end_and_model_torchscript_ms"] = 1000 * _median_time(lambda: traced(x))
    results["load_at_end"] = os.getloadavg()
    return results


def _median_time(fn, repeats: int = 200) -> float:
    for _ in range(10):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _correct(events, truth) -> int:
    right = 0
    for word, a, b in truth:
        centre = (a + b) / 2
        right += any(e.label == word and abs(e.time - centre) <= 0.5 for e in events)
    return right


def machine() -> dict:
    def version(package: str) -> str | None:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return None

    return {
        "cpu": cpu_model(),
        "logical_cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "torch_threads": torch.get_num_threads(),
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        **{name: version(name) for name in ("torch", "numpy", "librosa", "soxr")},
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def table(results: dict) -> str:
    m = results["machine"]
    lines = [
        f"{m['cpu']}, {m['usable_cores']} usable cores, torch {m['torch']} "
        f"({m['torch_threads']} thread), {m['date']}; load average "
        f"{results['load_at_start'][0]:.1f} at start, {results['load_at_end'][0]:.1f} at end",
        f"{results['audio_seconds']:.0f} s of speech, {results['words']} digits; model "
        f"trained in {results['train_seconds']:.0f} s; target real-time factor <= "
        f"{TARGET_RTF}",
        "",
        f"{'what':<18} {'block':>6} {'step':>5} {'RTF':>7} {'x real':>7} {'right':>6} "
        f"{'after end':>9} {'latency':>8} {'max':>6} {'block ms':>9}",
    ]
    for r in results["rows"]:
        step = f"{r['step_ms']}" if r["step_ms"] else "-"
        line = (f"{r['what']:<18} {r['block_ms']:>4}ms {step:>5} {r['rtf']:>7.4f} "
                f"{1 / r['rtf']:>6.0f}x")
        if "latency_mean_s" in r:
            line += (f" {r['correct']:>3}/{results['words']:<2} "
                     f"{r['delay_after_word_end_s']:>8.2f}s {r['latency_mean_s']:>7.2f}s "
                     f"{r['latency_max_s']:>5.2f}s {r['block_compute_ms_median']:>4.2f}/"
                     f"{r['block_compute_ms_max']:.1f}")
        lines.append(line)
    lines += [
        "",
        f"model per {WINDOW} s window (log-mels in): {results['model_ms_per_window']:.2f} ms; "
        f"front-end + model on a waveform: eager {results['front_end_and_model_eager_ms']:.2f}"
        f" ms, TorchScript {results['front_end_and_model_torchscript_ms']:.2f} ms (medians)",
        "RTF: processing time / audio time (best of 3 runs). latency: mean delay of the "
        "event after the word's end + one block + the time to process that block "
        "(a sound card's buffers come on top).",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--table", type=Path, help="print a results file and exit")
    args = parser.parse_args()
    if args.table:
        print(table(json.loads(args.table.read_text())))
        return
    results = measure(args.seconds)
    print(table(results))
    write_results(args.out, results)


if __name__ == "__main__":
    main()
