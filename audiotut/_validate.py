"""Input checks shared by the modules: each raises ValueError saying what to do."""

from __future__ import annotations

import numpy as np


def check_sr(sr: object, *, name: str = "sr") -> int:
    """Return ``sr`` as a positive int, or raise a ValueError saying why not."""
    if isinstance(sr, bool) or not isinstance(sr, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a positive number of samples per second, got {sr!r}")
    if not np.isfinite(sr) or sr <= 0:
        raise ValueError(
            f"{name} must be a positive number of samples per second, got {sr!r}; "
            "common rates are 8000, 16000, 22050, 44100 and 48000"
        )
    if float(sr) != int(sr):
        raise ValueError(
            f"{name} must be a whole number of samples per second, got {sr!r}; "
            f"round it, e.g. {name}={int(round(float(sr)))}"
        )
    return int(sr)


def check_signal(y: object, *, name: str = "y") -> np.ndarray:
    """Check a channel-first signal: real, (n,) or (channels, n), non-empty, finite."""
    if not isinstance(y, np.ndarray):
        raise ValueError(f"{name} must be a numpy array of samples, got {type(y).__name__}")
    if y.dtype.kind not in "fiu":
        raise ValueError(
            f"{name} has dtype {y.dtype}; audio must be real numbers (float32 in [-1, 1], or "
            "integer PCM). For a complex STFT, take np.abs() to look at it or invert it "
            "with librosa.istft() to listen to it"
        )
    if y.ndim not in (1, 2):
        raise ValueError(
            f"{name} has shape {y.shape}; expected (n,) for mono or (channels, n) for more channels"
        )
    if y.size == 0:
        raise ValueError(f"{name} has shape {y.shape} and holds no samples")
    if y.ndim == 2 and y.shape[0] > y.shape[1]:
        raise ValueError(
            f"{name} has shape {y.shape}: more channels than samples. audiotut arrays are "
            "channel-first (channels, n); an array from sounddevice or soundfile is "
            f"frame-first (n, channels), so pass {name}.T"
        )
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        count = int((~np.isfinite(y)).sum())
        raise ValueError(
            f"{name} holds {count} NaN or infinite samples; find where they come from, or "
            "replace them (np.nan_to_num) first"
        )
    return y


def check_float_signal(y: object, *, name: str = "y") -> np.ndarray:
    """:func:`check_signal`, and refuse integer PCM: the operation needs float samples."""
    y = check_signal(y, name=name)
    if y.dtype.kind != "f":
        raise ValueError(
            f"{name} has integer dtype {y.dtype}; convert PCM to float in [-1, 1] first, "
            "e.g. audiotut.io.load() or y / 32768 for 16-bit"
        )
    return y


def check_full_scale(y: np.ndarray, *, consequence: str, fix: str, name: str = "y") -> None:
    """Raise a ValueError if float samples go beyond full scale (|y| > 1)."""
    if y.dtype.kind != "f":
        return
    peak = float(np.max(np.abs(y)))
    if peak > 1.0:
        raise ValueError(f"{name} peaks at {peak:.3g}, beyond full scale (1.0); {consequence}. {fix}")


def check_positive(value: object, name: str, unit: str, *, whole: bool = False) -> float:
    """Return a positive, finite number (an int with ``whole=True``), or raise a ValueError."""
    kinds = (int, np.integer) if whole else (int, float, np.integer, np.floating)
    if isinstance(value, bool) or not isinstance(value, kinds) or not np.isfinite(value) or value <= 0:
        kind = "whole number" if whole else "finite number"
        raise ValueError(f"{name} must be a positive {kind} of {unit}, got {value!r}")
    return int(value) if whole else float(value)


def check_rng(rng: object) -> np.random.Generator:
    """Return a Generator from ``rng`` (a non-negative int seed, a Generator or None)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and rng >= 0):
        return np.random.default_rng(rng)
    raise ValueError(
        f"rng must be an int seed (0 or more), a numpy.random.Generator or None, got {rng!r}; "
        "e.g. rng=0 or rng=np.random.default_rng(0)"
    )
