"""Sampling and quantization: what happens when sound becomes numbers.

:func:`alias_frequency` predicts where a tone lands after sampling (aliasing)
and :func:`quantize` rounds samples to a given bit depth, as integer PCM does.
Resampling itself is :func:`librosa.resample` (soxr); this module only adds what
the chapter needs and librosa does not have.

Taught in :doc:`/book/01_sampling`.
"""

from __future__ import annotations

import numpy as np

from ._validate import check_sr

__all__ = ["alias_frequency", "pcm_levels", "quantize"]


def alias_frequency(freq: float | np.ndarray, *, sr: int) -> float | np.ndarray:
    """The frequency a sampled tone appears at: folded into [0, sr/2].

    A sine at ``freq`` Hz sampled at ``sr`` Hz gives exactly the same samples as
    a sine at ``|freq - k * sr|`` for the whole number ``k`` nearest to
    ``freq / sr``. Below the Nyquist frequency ``sr / 2`` nothing changes; above
    it the tone folds back.

    Parameters
    ----------
    freq : float or numpy.ndarray
        Frequency in Hz, >= 0.
    sr : int
        Sample rate in Hz.

    Returns
    -------
    float or numpy.ndarray
        The apparent frequency in Hz, between 0 and ``sr / 2``.

    Notes
    -----
    Taught in :doc:`/book/01_sampling`.

    Examples
    --------
    >>> from audiotut.sampling import alias_frequency
    >>> alias_frequency(5000, sr=8000)
    3000.0
    >>> alias_frequency(30000, sr=44100)
    14100.0
    >>> alias_frequency(1000, sr=8000)
    1000.0
    """
    sr = check_sr(sr)
    freq_array = np.asarray(freq, dtype=np.float64)
    if not np.all(np.isfinite(freq_array)) or np.any(freq_array < 0):
        raise ValueError(f"freq must be finite and >= 0 Hz, got {freq!r}")
    folded = np.abs(freq_array - sr * np.round(freq_array / sr))
    return float(folded) if folded.ndim == 0 else folded


def pcm_levels(y: np.ndarray, *, bits: int) -> np.ndarray:
    """The integer PCM levels of a float signal: ``round(y * 2 ** (bits - 1))``, clipped.

    This is the integer a ``bits``-bit file stores for each sample, rounded to
    the *nearest* level and clipped to ``[-2 ** (bits - 1), 2 ** (bits - 1) - 1]``.
    :func:`audiotut.io.save` uses it for ``PCM_16``, ``PCM_24`` and ``PCM_32``
    files, because libsndfile rounds down instead.

    Parameters
    ----------
    y : numpy.ndarray
        Float signal in [-1, 1], any shape.
    bits : int
        Bit depth, 1 to 32.

    Returns
    -------
    numpy.ndarray
        float64 array of whole numbers, the same shape as ``y``.

    Notes
    -----
    Taught in :doc:`/book/01_sampling`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.sampling import pcm_levels
    >>> pcm_levels(np.array([0.0, 0.5, -1.0, 1.0]), bits=16)
    array([     0.,  16384., -32768.,  32767.])
    """
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or not 1 <= bits <= 32:
        raise ValueError(f"bits must be a whole number from 1 to 32, got {bits!r}")
    y = np.asarray(y)
    if y.dtype.kind != "f":
        raise ValueError(f"y must be a float signal in [-1, 1], got dtype {y.dtype}")
    if not np.isfinite(y).all():
        raise ValueError("y holds NaN or infinite samples; they have no PCM level")
    scale = 2.0 ** (bits - 1)
    return np.clip(np.round(y.astype(np.float64) * scale), -scale, scale - 1)


def quantize(y: np.ndarray, *, bits: int) -> np.ndarray:
    """Round a float signal to the levels of ``bits``-bit integer PCM.

    Like a WAV file's ``PCM_16`` encoding for ``bits=16``: the samples become
    their :func:`pcm_levels` and are scaled back by ``2 ** (bits - 1)``, so the
    result holds at most ``2 ** bits`` distinct values between -1 and
    ``1 - 2 ** (1 - bits)``.

    Parameters
    ----------
    y : numpy.ndarray
        Float signal in [-1, 1], any shape.
    bits : int
        Bit depth, 1 to 32.

    Returns
    -------
    numpy.ndarray
        float32, the same shape as ``y``.

    Notes
    -----
    Each extra bit halves the step and so gains 20·log10(2) ≈ 6.02 dB of
    signal-to-quantization-noise ratio; a full-scale sine reaches
    6.02·bits + 1.76 dB. Taught in :doc:`/book/01_sampling`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.sampling import quantize
    >>> quantize(np.array([0.0, 0.3, -0.3, 1.0], dtype=np.float32), bits=2)
    array([ 0. ,  0.5, -0.5,  0.5], dtype=float32)
    """
    return (pcm_levels(y, bits=bits) / 2.0 ** (bits - 1)).astype(np.float32)
