"""Small signal helpers for the tests (imported as ``from helpers import ...``)."""

from __future__ import annotations

import numpy as np


def tone(freq: float, *, sr: int, duration: float = 1.0, amplitude: float = 0.5) -> np.ndarray:
    """A float32 sine for tests."""
    t = np.arange(int(round(duration * sr))) / sr
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def peak_frequency(y: np.ndarray, *, sr: int) -> float:
    """The frequency of the largest FFT bin of a mono signal, in Hz."""
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return float(np.fft.rfftfreq(len(y), d=1 / sr)[np.argmax(spectrum)])
