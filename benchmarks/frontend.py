"""Log-mel front-ends timed on one workload: librosa, multiprocessing, precomputing, the GPU.

The talk's point: librosa runs on the CPU, one clip at a time, so computing features
can become the bottleneck of training. Its three answers were multiprocessing,
precomputing, or computing the features on the GPU. This script measures all of them
in one run, on the same clips and the same :class:`~audiotut.features.FeatureConfig`
(:data:`CONFIG`: 16 kHz, ``n_fft=512``, hop 160 (10 ms), 64 Slaney mel bands, power
2, ``ref=1``, ``top_db=80``), and reports *hours of audio per second* and the ratio to
one named baseline, a librosa loop with one BLAS thread:

- :func:`librosa_loop`: ``CONFIG.log_mel(clip)`` clip by clip (librosa's
  melspectrogram and power_to_db), the reference every other output is compared with;
- :func:`librosa_batch`: the same call on the whole ``(clips, n)`` array at once;
- both again with numpy's BLAS limited to one thread: librosa's mel filterbank is a
  small matrix product per clip, which several BLAS threads can make several times
  slower; the loop with one BLAS thread is the baseline (:data:`BASELINE`) that the
  ``x base`` column divides by, in every table;
- :func:`pool_map`: a ``multiprocessing.Pool`` mapping ``CONFIG.log_mel`` over the clips,
  and :func:`dataloader_workers`: a torch ``DataLoader`` whose workers compute them
  (both kept alive between epochs, as in training: their start-up is not timed; each
  worker limited to one BLAS thread, see :func:`one_blas_thread`);
- :func:`precomputed`: the features computed once, saved one ``.npy`` per clip (float32
  or float16) and read back, the read timed (the files are then in the OS's cache: the
  best case), and the bytes on disk per hour of audio;
- :func:`audiotut_gpu`: ``audiotut.gpu.LogMel(CONFIG)`` on the CPU and, where CUDA is
  available, on the GPU with the audio already there and with the host-to-device copy
  counted;
- :func:`nnaudio`: nnAudio 0.3.4's ``MelSpectrogram`` with librosa's settings (its STFT is
  a strided convolution), then librosa's power_to_db as torch operations;
- :func:`keras_layer` and :func:`tf_signal`: Keras 3's ``MelSpectrogram`` layer (torch
  backend) and TensorFlow's ``tf.signal`` with librosa's filterbank; optional: where
  Keras or TensorFlow is not installed the row says so.

Each output is compared with the librosa loop's (``max dB``: largest absolute difference
in dB over all clips, bands and frames). Where CUDA is available the script also times
the GPU front-ends on larger batches, and on every device it checks ``gpu.log_mel``
against ``FeatureConfig.log_mel`` over a grid of configurations (:data:`PARITY`), within
:data:`PARITY_DB`.

Timing (:func:`median_seconds`): warm-up calls (at least one, and for at least 0.25 s),
then the median of several calls; on CUDA ``torch.cuda.synchronize()`` before and after
each. Torch runs under ``torch.inference_mode()``. The audio is white noise at levels
from -40 to -10 dB (speed does not depend on the content; no cell falls ``top_db``
below the maximum, so one clip's floor does not depend on the others when librosa
takes the batch at once).

Run: ``.venv/bin/python benchmarks/frontend.py`` (under a minute on two cores, about one
on a 16-core machine with an H100; run it alone on an idle machine). It prints a table
and writes ``results/frontend-cpu.json``, or ``results/frontend-<gpu>.json`` where CUDA
is available; :func:`table` (``--table FILE``) formats such a file again. Run it on
an idle machine: the results record the load average, and a table can leave out rows
measured under load (``devices=``). The script's own output also prints the
development targets (:func:`targets`); the book's tables do not.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib.metadata
import json
import math
import multiprocessing
import os
import platform
import re
import statistics
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import threadpoolctl
import torch

from audiotut import gpu
from audiotut.features import FeatureConfig

from _machine import cpu_model, write_results  # benchmarks/_machine.py, beside this script

CONFIG = FeatureConfig(sr=16000, n_fft=512, hop_length=160, n_mels=64)
CLIPS, SECONDS = 128, 4.0
BATCHES = (128, 512, 2048)       # batch sizes of the CUDA scaling rows
PARITY_DB = 1e-3                 # gpu.log_mel vs FeatureConfig.log_mel, dB
PARITY = {                       # name: changes to CONFIG
    "CONFIG": {},
    "center=False": {"center": False},
    "htk=True": {"htk": True},
    "norm=None": {"norm": None},
    "power=1": {"power": 1.0},
    "pad_mode=reflect": {"pad_mode": "reflect"},
    "pad_mode=edge": {"pad_mode": "edge"},
    "pad_mode=symmetric": {"pad_mode": "symmetric"},
    "pad_mode=linear_ramp": {"pad_mode": "linear_ramp"},
    "top_db=None": {"top_db": None},
    "ref=np.max": {"ref": np.max},
    "win_length=400, hamming": {"win_length": 400, "window": "hamming"},
    "n_fft=2048, n_mels=128": {"n_fft": 2048, "n_mels": 128},
}
RESULTS = Path(__file__).resolve().parent / "results"
EXPLAIN = {                      # printed under the table when the row is there
    "Keras 3 MelSpectrogram (torch)":
        "Keras's layer has its own mel filterbank (HTK scale, triangles of peak 1, "
        "no Slaney area normalization): its max dB is that difference, not precision.",
    "precomputed float16 .npy, read":
        "float16 keeps about 3 significant digits: 0.02 dB steps at -40 dB.",
}

Run = Callable[[], object]


# ------------------------------------------------------------------ workload


def make_clips(clips: int, seconds: float, sr: int, seed: int = 0) -> np.ndarray:
    """(clips, n) float32 white noise, each clip at its own level, -40 to -10 dB RMS."""
    rng = np.random.default_rng(seed)
    levels = 10 ** (rng.uniform(-40, -10, size=(clips, 1)) / 20)
    noise = rng.standard_normal((clips, int(round(seconds * sr))))
    return (levels * noise).astype(np.float32)


def to_numpy(out: object) -> np.ndarray:
    """A contender's output, (clips, n_mels, frames) float32 on the host."""
    if isinstance(out, torch.Tensor):
        return out.detach().float().cpu().numpy()
    if isinstance(out, list):
        return np.stack([to_numpy(o) for o in out])
    if hasattr(out, "numpy"):        # a TensorFlow tensor
        return np.asarray(out.numpy(), dtype=np.float32)
    return np.asarray(out, dtype=np.float32)


def power_to_db(S: torch.Tensor, config: FeatureConfig) -> torch.Tensor:
    """librosa.power_to_db(S, ref, amin, top_db) in torch, the floor per clip.

    For nnAudio, which stops at the mel spectrogram; ``ref`` must be a number.
    """
    db = 10 * torch.log10(S.clamp(min=config.amin))
    db = db - 10 * math.log10(max(config.amin, config.ref))
    if config.top_db is not None:
        db = torch.maximum(db, db.amax(dim=(-2, -1), keepdim=True) - config.top_db)
    return db


# ------------------------------------------------------------------ timing


def median_seconds(run: Run, repeats: int, *, cuda: bool = False,
                   warmup: float = 0.25) -> float:
    """Median wall time of ``run()`` over ``repeats`` calls, after warming up.

    Warm-up: at least one call, and calls for at least ``warmup`` seconds (a GPU
    idles at a low clock and needs a moment of work to reach its full one). With
    ``cuda``, the device is synchronized before and after each call, so the time is
    that of the work, not of queueing it.
    """
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    start = time.perf_counter()
    run()
    sync()
    while time.perf_counter() - start < warmup:
        run()
        sync()
    times = []
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        run()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# ------------------------------------------------------------------ contenders
# Each is a context manager that prepares (pools, files, layers on the device) and
# yields ``run``: one call computes the log-mel of every clip. ``info`` takes notes.


@contextlib.contextmanager
def librosa_loop(clips: np.ndarray, config: FeatureConfig, info: dict, *,
                 blas_threads: int | None = None) -> Iterator[Run]:
    """``blas_threads``: limit numpy's BLAS (its matrix products) to so many threads."""
    with threadpoolctl.threadpool_limits(blas_threads):       # None: as they are
        yield lambda: [config.log_mel(clip) for clip in clips]


@contextlib.contextmanager
def librosa_batch(clips: np.ndarray, config: FeatureConfig, info: dict, *,
                  blas_threads: int | None = None) -> Iterator[Run]:
    with threadpoolctl.threadpool_limits(blas_threads):
        yield lambda: config.log_mel(clips)


def one_blas_thread(*_) -> None:
    """Run in each worker process: one BLAS thread (numpy's matrix products) per worker.

    Otherwise each of N workers starts a BLAS thread per core, N * N threads fight
    for N cores, and the pool is slower than one process.
    """
    threadpoolctl.threadpool_limits(1)


@contextlib.contextmanager
def pool_map(clips: np.ndarray, config: FeatureConfig, info: dict, *,
             workers: int) -> Iterator[Run]:
    chunksize = max(1, len(clips) // (4 * workers))
    info["note"] = f"{workers} processes, 1 BLAS thread each"
    info["chunksize"] = chunksize
    with multiprocessing.Pool(workers, initializer=one_blas_thread) as pool:
        yield lambda: pool.map(config.log_mel, clips, chunksize=chunksize)


class ClipFeatures(torch.utils.data.Dataset):
    """Clip i's log-mel, computed with librosa in whichever process asks for it."""

    def __init__(self, clips: np.ndarray, config: FeatureConfig) -> None:
        self.clips, self.config = clips, config

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, i: int) -> torch.Tensor:
        return torch.from_numpy(self.config.log_mel(self.clips[i]))


@contextlib.contextmanager
def dataloader_workers(clips: np.ndarray, config: FeatureConfig, info: dict, *,
                       workers: int, batch_size: int = 16) -> Iterator[Run]:
    info["note"] = f"{workers} workers, 1 BLAS thread each, batch {batch_size}"
    loader = torch.utils.data.DataLoader(ClipFeatures(clips, config), batch_size=batch_size,
                                         num_workers=workers, persistent_workers=True,
                                         worker_init_fn=one_blas_thread)
    yield lambda: torch.cat(list(loader))
    del loader                       # ends the workers


@contextlib.contextmanager
def precomputed(clips: np.ndarray, config: FeatureConfig, info: dict, *,
                dtype: type) -> Iterator[Run]:
    hours = clips.shape[0] * clips.shape[1] / config.sr / 3600
    with tempfile.TemporaryDirectory() as folder:
        paths = [Path(folder) / f"{i:06d}.npy" for i in range(len(clips))]
        start = time.perf_counter()
        for clip, path in zip(clips, paths):
            np.save(path, config.log_mel(clip).astype(dtype))
        info["write_seconds"] = time.perf_counter() - start
        info["bytes_per_hour"] = sum(p.stat().st_size for p in paths) / hours
        info["note"] = f"{info['bytes_per_hour'] / 2**20:.0f} MiB per hour of audio"
        yield lambda: np.stack([np.load(p).astype(np.float32) for p in paths])


@contextlib.contextmanager
def audiotut_gpu(clips: np.ndarray, config: FeatureConfig, info: dict, *, device: str,
                 copy: bool = False) -> Iterator[Run]:
    """gpu.LogMel on ``device``; with ``copy`` the clips start on the host each call."""
    layer = gpu.LogMel(config).to(device)
    yield from _torch_run(layer, clips, info, device=device, copy=copy)


@contextlib.contextmanager
def nnaudio(clips: np.ndarray, config: FeatureConfig, info: dict, *, device: str,
            copy: bool = False) -> Iterator[Run]:
    """nnAudio's MelSpectrogram with librosa's settings, then power_to_db in torch."""
    from nnAudio.features import MelSpectrogram

    if config.norm not in ("slaney", None):
        raise ValueError("nnAudio's MelSpectrogram has only Slaney or peak-1 triangles")
    mel = MelSpectrogram(
        sr=config.sr, n_fft=config.n_fft, win_length=config.win_length,
        hop_length=config.hop_length, window=config.window, center=config.center,
        pad_mode=config.pad_mode, power=config.power, n_mels=config.n_mels,
        fmin=config.fmin, fmax=config.fmax, htk=config.htk,
        norm=1 if config.norm == "slaney" else None, verbose=False,
    ).to(device)
    layer = torch.nn.Sequential(mel, _Lambda(lambda S: power_to_db(S, config)))
    yield from _torch_run(layer, clips, info, device=device, copy=copy)


class _Lambda(torch.nn.Module):
    def __init__(self, function: Callable) -> None:
        super().__init__()
        self.function = function

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.function(x)


def _torch_run(layer: torch.nn.Module, clips: np.ndarray, info: dict, *, device: str,
               copy: bool) -> Iterator[Run]:
    host = torch.from_numpy(clips)
    if device == "cpu":
        info.setdefault("note", "")
        info["note"] = f"{info['note']}, {torch.get_num_threads()} threads".lstrip(", ")
    elif copy:
        info["note"] = f"{info.get('note', '')}, pageable copy each call".lstrip(", ")
    on_device = host.to(device)

    def run() -> torch.Tensor:
        with torch.inference_mode():
            return layer(host.to(device) if copy else on_device)

    yield run


@contextlib.contextmanager
def keras_layer(clips: np.ndarray, config: FeatureConfig, info: dict) -> Iterator[Run]:
    """Keras 3's MelSpectrogram (its own HTK-style filterbank), KERAS_BACKEND=torch."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    layer = keras.layers.MelSpectrogram(
        fft_length=config.n_fft, sequence_stride=config.hop_length,
        sequence_length=config.win_length, window=config.window,
        sampling_rate=config.sr, num_mel_bins=config.n_mels, min_freq=config.fmin,
        max_freq=config.fmax, power_to_db=True, top_db=config.top_db, mag_exp=config.power,
        min_power=config.amin, ref_power=config.ref,
    )
    info["note"] = f"keras {keras.__version__}, {keras.backend.backend()} backend"
    info["device"] = _keras_device()

    def run() -> object:
        with torch.inference_mode():
            out = layer(clips)
        return out if out.shape[-2] == config.n_mels else out.transpose(-1, -2)

    yield run


def _keras_device() -> str:
    import keras

    if keras.backend.backend() == "torch":
        from keras.src.backend.torch.core import get_device
        return str(get_device()).split(":")[0]
    return "cpu"


@contextlib.contextmanager
def tf_signal(clips: np.ndarray, config: FeatureConfig, info: dict) -> Iterator[Run]:
    """tf.signal.stft, power, librosa's mel filterbank, power_to_db: one tf.function."""
    import tensorflow as tf

    if config.window != "hann" or config.win_length != config.n_fft:
        raise ValueError("this tf.signal version assumes a Hann window of n_fft samples")
    mel_t = tf.constant(config.mel_filterbank().T)            # (bins, n_mels)
    half = config.n_fft // 2 if config.center else 0
    offset = 10 * math.log10(max(config.amin, config.ref))

    @tf.function
    def log_mel(x):
        x = tf.pad(x, [[0, 0], [half, half]])                  # pad_mode="constant"
        X = tf.signal.stft(x, frame_length=config.n_fft, frame_step=config.hop_length,
                           fft_length=config.n_fft, window_fn=tf.signal.hann_window)
        S = tf.math.real(X) ** 2 + tf.math.imag(X) ** 2        # (clips, frames, bins)
        M = tf.transpose(tf.matmul(S, mel_t), [0, 2, 1])       # (clips, n_mels, frames)
        db = 10 * tf.math.log(tf.maximum(M, config.amin)) / math.log(10.0) - offset
        if config.top_db is not None:
            db = tf.maximum(db, tf.reduce_max(db, axis=[1, 2], keepdims=True)
                            - config.top_db)
        return db

    x = tf.constant(clips)
    info["note"] = f"tensorflow {tf.__version__}, librosa's filterbank"
    info["device"] = "gpu" if tf.config.list_logical_devices("GPU") else "cpu"
    yield lambda: log_mel(x)


# ------------------------------------------------------------------ measuring


def measure_row(name: str, where: str, contender: Callable, clips: np.ndarray,
                config: FeatureConfig, reference: np.ndarray, repeats: int,
                **options) -> dict:
    """Time one contender and compare its output with the reference: one result row."""
    info: dict = {}
    row = {"name": name, "device": where, "clips": len(clips)}
    try:
        with contender(clips, config, info, **options) as run:
            seconds = median_seconds(run, repeats, cuda=where == "cuda")
            out = to_numpy(run())
    except ImportError as error:
        row["status"] = f"not installed ({error.name or error})"
        print(f"  {name} [{where}]: {row['status']}", file=sys.stderr)
        return row
    except Exception as error:  # noqa: BLE001 - a failed row must not end the run
        row["status"] = f"error: {type(error).__name__}: {error}"
        print(f"  {name} [{where}]: {row['status']}", file=sys.stderr)
        return row
    hours = clips.shape[0] * clips.shape[1] / config.sr / 3600
    row.update(info)
    row.update({
        "status": "ok",
        "repeats": repeats,
        "seconds": seconds,
        "hours_per_second": hours / seconds,
        # larger batches repeat the clips: compare each with its own reference
        "max_abs_db": (float(np.abs(out - np.resize(reference, out.shape)).max())
                       if out.shape[-2:] == reference.shape[-2:] else None),
    })
    print(f"  {name} [{row['device']}]: {seconds * 1e3:.1f} ms, "
          f"{row['hours_per_second']:.3g} h/s", file=sys.stderr)
    return row


def parity(device: str, clips: np.ndarray) -> dict:
    """max |gpu.log_mel - FeatureConfig.log_mel| in dB for each configuration in PARITY."""
    out = {}
    x = torch.from_numpy(clips).to(device)
    for name, changes in PARITY.items():
        config = CONFIG.replace(**changes)
        expected = np.stack([config.log_mel(clip) for clip in clips])
        with torch.inference_mode():
            got = gpu.log_mel(x, config=config).cpu().numpy()
        out[name] = float(np.abs(got - expected).max())
    return out


def machine() -> dict:
    """CPU, cores, GPU, library versions, load and the date, to label the results."""
    cpu = cpu_model()

    def version(package: str) -> str | None:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return None

    cuda = torch.cuda.is_available()
    return {
        "cpu": cpu,
        "logical_cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "torch_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name() if cuda else None,
        "cuda": torch.version.cuda if cuda else None,
        "cudnn_allow_tf32": torch.backends.cudnn.allow_tf32 if cuda else None,
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        **{name: version(name) for name in ("torch", "numpy", "scipy", "librosa", "nnaudio",
                                            "keras", "tensorflow")},
        "load_average": os.getloadavg(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def measure(clips_n: int = CLIPS, seconds: float = SECONDS, repeats: int = 5,
            cuda_repeats: int = 30) -> dict:
    config = CONFIG
    load_at_start = os.getloadavg()
    clips = make_clips(clips_n, seconds, config.sr)
    workers = len(os.sched_getaffinity(0))
    cuda = torch.cuda.is_available()
    reference = np.stack([config.log_mel(clip) for clip in clips])
    row = lambda *args, **kw: measure_row(*args, clips=clips, config=config,  # noqa: E731
                                          reference=reference, **kw)
    # the processes are started before anything touches CUDA (forking after that is unsafe)
    rows = [
        row("librosa, clip by clip", "cpu", librosa_loop, repeats=repeats),
        row("librosa, clip by clip, 1 BLAS thread", "cpu", librosa_loop, repeats=repeats,
            blas_threads=1),
        row("librosa, whole batch", "cpu", librosa_batch, repeats=repeats),
        row("librosa, whole batch, 1 BLAS thread", "cpu", librosa_batch, repeats=repeats,
            blas_threads=1),
        row("librosa, multiprocessing.Pool", "cpu", pool_map, repeats=repeats,
            workers=workers),
        row("librosa, DataLoader workers", "cpu", dataloader_workers, repeats=repeats,
            workers=workers),
        row("precomputed float32 .npy, read", "disk", precomputed, repeats=repeats,
            dtype=np.float32),
        row("precomputed float16 .npy, read", "disk", precomputed, repeats=repeats,
            dtype=np.float16),
        row("audiotut.gpu LogMel", "cpu", audiotut_gpu, repeats=repeats, device="cpu"),
        row("nnAudio MelSpectrogram + dB", "cpu", nnaudio, repeats=repeats, device="cpu"),
    ]
    if cuda:
        for name, contender in (("audiotut.gpu LogMel", audiotut_gpu),
                                ("nnAudio MelSpectrogram + dB", nnaudio)):
            rows.append(row(name, "cuda", contender, repeats=cuda_repeats, device="cuda"))
            rows.append(row(f"{name}, + copy", "cuda", contender, repeats=cuda_repeats,
                            device="cuda", copy=True))
    rows += [
        row("Keras 3 MelSpectrogram (torch)", "-", keras_layer, repeats=repeats),
        row("tf.signal + librosa filterbank", "-", tf_signal, repeats=repeats),
    ]
    scaling = []
    if cuda:                      # GPU throughput grows with the batch: larger ones
        for size in BATCHES:
            big = np.resize(clips, (size, clips.shape[1]))
            for name, contender in (("audiotut.gpu LogMel", audiotut_gpu),
                                    ("nnAudio MelSpectrogram + dB", nnaudio)):
                scaling.append(measure_row(name, "cuda", contender, big, config,
                                           reference, cuda_repeats, device="cuda"))
    parity_clips = make_clips(4, 1.0, config.sr, seed=1)
    checks = {"cpu": parity("cpu", parity_clips)}
    if cuda:
        checks["cuda"] = parity("cuda", parity_clips)
    baseline = next(r for r in rows if (r["name"], r["device"]) == BASELINE)
    for r in rows + scaling:      # the same work per second, relative to the baseline
        if r["status"] == "ok" and baseline["status"] == "ok":
            r["vs_baseline"] = r["hours_per_second"] / baseline["hours_per_second"]
    return {
        "benchmark": "benchmarks/frontend.py",
        "machine": {**machine(), "load_average_at_start": load_at_start},
        "workload": {
            "clips": clips_n,
            "seconds": seconds,
            "sr": config.sr,
            "hours": clips_n * seconds / 3600,
            "audio": "white noise, each clip at a level from -40 to -10 dB RMS",
            "config": _describe(config),
            "feature": "log-mel (FeatureConfig.log_mel), float32, (clips, n_mels, frames)",
        },
        "timing": "median wall time of repeated calls after warming up (at least one "
                  "call and 0.25 s of calls); CUDA synchronized around each; torch under "
                  "inference_mode; pools and DataLoader workers started before timing, "
                  "one BLAS thread in each worker",
        "baseline": list(BASELINE),
        "rows": rows,
        "cuda_batches": scaling,
        "parity": {"tolerance_db": PARITY_DB, "max_abs_db": checks,
                   "configs": {name: _describe(CONFIG.replace(**changes))
                               for name, changes in PARITY.items()}},
        "targets": targets(rows, scaling),
    }


def _describe(config: FeatureConfig) -> str:
    ref = getattr(config.ref, "__name__", config.ref)
    return (f"FeatureConfig(sr={config.sr}, n_fft={config.n_fft}, hop_length="
            f"{config.hop_length}, win_length={config.win_length}, window={config.window!r}, "
            f"center={config.center}, pad_mode={config.pad_mode!r}, power={config.power:g}, "
            f"n_mels={config.n_mels}, fmin={config.fmin:g}, fmax={config.fmax:g}, "
            f"htk={config.htk}, norm={config.norm!r}, ref={ref}, amin={config.amin:g}, "
            f"top_db={config.top_db})")


def targets(rows: list[dict], scaling: list[dict]) -> dict:
    """The issue's targets, checked against this run's rows."""
    ok = {(r["name"], r["device"]): r for r in rows if r["status"] == "ok"}
    out = {}
    batches = [r for r in rows if r["name"].startswith("librosa, whole batch")
               and r["status"] == "ok"]
    torch_cpu = ok.get(("audiotut.gpu LogMel", "cpu"))
    if batches and torch_cpu:         # against the faster of the two batch rows
        batch = min(batches, key=lambda r: r["seconds"])
        ratio = batch["seconds"] / torch_cpu["seconds"]
        out["gpu_on_cpu_over_librosa_batch"] = {"value": ratio, "target": 1.5, "aim": 2.0,
                                                "against": batch["name"], "met": ratio >= 1.5}
    mine, theirs = ok.get(("audiotut.gpu LogMel", "cuda")), ok.get(
        ("nnAudio MelSpectrogram + dB", "cuda"))
    if mine:
        best = max([mine] + [r for r in scaling if r["name"] == mine["name"]
                             and r["status"] == "ok"], key=lambda r: r["hours_per_second"])
        out["cuda_hours_per_second"] = {"value": mine["hours_per_second"],
                                        "largest_batch_value": best["hours_per_second"],
                                        "largest_batch_clips": best["clips"],
                                        "target": 300, "met": mine["hours_per_second"] >= 300}
    if mine and theirs:
        ratio = theirs["seconds"] / mine["seconds"]
        out["cuda_over_nnaudio"] = {"value": ratio, "target": 1.0, "met": ratio >= 1.0}
    return out


# ------------------------------------------------------------------ reporting


BASELINE = ("librosa, clip by clip, 1 BLAS thread", "cpu")   # the CPU table's "x base"


def table(results: dict, *, baseline: tuple[str, str] = BASELINE,
          devices: tuple[str, ...] | None = None, targets: bool = False) -> str:
    """The results as a text table, labelled with the machine (<= 79 characters a line).

    ``baseline``: the one row, ``(name, device)``, that the ``x base`` column divides
    by (hours of audio per second over the baseline's). ``devices``: show only the rows
    of these devices (``"cpu"``, ``"disk"``, ``"cuda"``, ``"-"``); a line says which were
    left out and the load average they were measured at. ``targets``: also print the
    development targets checked by :func:`targets` (for the script's own output, not for
    readers).
    """
    m, w = results["machine"], results["workload"]
    load = ", ".join(f"{x:.1f}" for x in m["load_average"])
    rows = [r for r in results["rows"] if devices is None or r["device"] in devices]
    left_out = [r for r in results["rows"] if r not in rows]
    base = next((r for r in results["rows"] + results.get("cuda_batches", [])
                 if (r["name"], r["device"]) == tuple(baseline) and r["status"] == "ok"),
                None)
    if base is None:
        raise ValueError(f"no measured row {baseline} in these results to compare with")
    lines = [f"{m['cpu']}, {m['usable_cores']} of {m['logical_cores']} cores "
             f"(load {load})"]
    if m.get("gpu"):
        lines.append(f"{m['gpu']}, CUDA {m['cuda']}")
    lines += [
        f"torch {m['torch']}, librosa {m['librosa']}, nnAudio {m['nnaudio']}, "
        f"numpy {m['numpy']}",
        f"measured {m['date']}",
        f"{w['clips']} clips x {w['seconds']:g} s at {w['sr']} Hz = {w['hours']:.3f} h; "
        "log-mel: n_fft 512, hop 160, 64 mels",
        f"x base: hours per second over \"{base['name']}\" ({base['device']})",
        "",
        f"{'front-end':<36} {'where':<5} {'time ms':>9} {'h audio/s':>9} "
        f"{'x base':>7} {'max dB':>8}",
    ]
    for r in rows:
        lines.append(_line(r, base))
    if results.get("cuda_batches") and (devices is None or "cuda" in devices):
        lines += ["", "CUDA, audio on the device, larger batches:"]
        for r in results["cuda_batches"]:
            lines.append(_line(r, base, f"{r['name'].split()[0]}, {r['clips']} clips"))
    measured = [r for r in left_out if r["status"] == "ok"]
    if measured:
        where = " and ".join(sorted({r["device"] for r in measured}))
        start = m.get("load_average_at_start", m["load_average"])[0]
        lines += ["", *textwrap.wrap(
            f"Not shown: {len(measured)} rows timed on this machine's {where} "
            f"(1-minute load average {start:.1f} at the start of the run, "
            f"{m['load_average'][0]:.1f} at its end).", 79)]
    notes = [f"{r['name']} ({r['device']}): {r['note']}" for r in rows
             if r["status"] == "ok" and r.get("note")]
    notes += [EXPLAIN[r["name"]] for r in rows
              if r["status"] == "ok" and r["name"] in EXPLAIN]
    lines.append("")
    for note in notes:
        lines += textwrap.wrap(note, 79, subsequent_indent="    ")
    p = results["parity"]
    lines.append("")
    for device, diffs in p["max_abs_db"].items():
        worst = max(diffs, key=diffs.get)
        within = "all within" if diffs[worst] <= p["tolerance_db"] else "NOT all within"
        lines.append(f"gpu.log_mel vs FeatureConfig.log_mel, {device}, {len(diffs)} configs: "
                     f"{within} {p['tolerance_db']:g} dB")
        lines.append(f"  (largest {diffs[worst]:.1e} dB, {worst})")
    for name, t in (results["targets"].items() if targets else ()):
        lines.append(f"target {name}: {t['value']:.2f} (>= {t['target']:g}): "
                     f"{'met' if t['met'] else 'NOT met'}")
        if "largest_batch_value" in t:
            lines.append(f"  ({t['largest_batch_value']:.0f} with {t['largest_batch_clips']} "
                         "clips a batch)")
    for caveat in results.get("caveats", []):     # notes added to a results file later
        lines += ["", *textwrap.wrap(f"Caveat: {caveat}", 79)]
    return "\n".join(lines)


def _line(r: dict, base: dict, name: str | None = None) -> str:
    name = (name or r["name"])[:36]
    if r["status"] != "ok":
        return f"{name:<36} {r['device']:<5} {r['status'][:37]}"
    d = r["max_abs_db"]
    diff = "-" if d is None else "0" if d == 0 else f"{d:.2f}" if d >= 0.01 else f"{d:.0e}"
    ratio = r["hours_per_second"] / base["hours_per_second"]
    ratio = f"{ratio:7.1f}" if ratio >= 9.95 else f"{ratio:7.2f}"
    return (f"{name:<36} {r['device']:<5} {r['seconds'] * 1e3:9.1f} "
            f"{r['hours_per_second']:9.3g} {ratio} {diff:>8}")


def default_out() -> Path:
    """results/frontend-cpu.json, or frontend-<gpu>.json (e.g. -h100) with CUDA."""
    if not torch.cuda.is_available():
        return RESULTS / "frontend-cpu.json"
    model = re.search(r"\b([A-Z]+\d+[A-Za-z]*)\b", torch.cuda.get_device_name())
    return RESULTS / f"frontend-{model.group(1).lower() if model else 'cuda'}.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=CLIPS, help="clips in the batch")
    parser.add_argument("--seconds", type=float, default=SECONDS, help="seconds per clip")
    parser.add_argument("--repeats", type=int, default=5, help="timed calls on the CPU")
    parser.add_argument("--cuda-repeats", type=int, default=30, help="timed calls on CUDA")
    parser.add_argument("--out", type=Path, default=None, help="JSON file to write")
    parser.add_argument("--table", type=Path, default=None,
                        help="only print the table of an existing JSON file")
    args = parser.parse_args()
    if args.table:
        print(table(json.loads(args.table.read_text()), targets=True))
        return
    results = measure(args.clips, args.seconds, args.repeats, args.cuda_repeats)
    print(table(results, targets=True))
    out = args.out or default_out()
    write_results(out, results)


if __name__ == "__main__":
    main()
