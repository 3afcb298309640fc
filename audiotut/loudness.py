"""Levels: peak, RMS and loudness (ITU-R BS.1770 / EBU R 128), true peak, limiting.

- :func:`integrated_loudness` measures programme loudness in LUFS with
  `pyloudnorm <https://github.com/csteinmetz1/pyloudnorm>`_ (ITU-R BS.1770-4:
  K-weighting, 400 ms blocks with 75 % overlap, absolute and relative gates);
  clips shorter than one 400 ms block, which pyloudnorm refuses, are measured
  as a single block covering the whole clip.
- :func:`loudness_over_time` gives momentary (400 ms) and short-term (3 s)
  loudness for plots.
- :func:`true_peak` measures the peak *between* samples (dBTP), by
  oversampling at least 4x as BS.1770-4 Annex 2 describes; pyloudnorm has none.
- :func:`loudness_normalize` applies the gain to a target loudness and then a
  true-peak limiter, so that the ceiling holds; the result says whether the
  limiter had to act and by how much.
- :func:`remove_dc` removes a constant offset (and, with ``cutoff_hz``, the
  inaudible drift below it) before any level is measured.
- :func:`compress` wraps pedalboard's ``Compressor``; :func:`limit` is the
  same look-ahead true-peak limiter that :func:`loudness_normalize` uses.

Multichannel input is channel-first ``(channels, n)``; for five channels the
order is L, R, C, Ls, Rs, as BS.1770 weights them (surrounds +1.5 dB).

Taught in :doc:`/book/06_normalization`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from ._pedalboard import process as process_with_plugin
from ._validate import check_float_signal, check_positive, check_sr
from .errors import SilentSignalWarning

__all__ = [
    "NormalizationResult",
    "compress",
    "integrated_loudness",
    "limit",
    "loudness_normalize",
    "loudness_over_time",
    "peak_db",
    "peak_normalize",
    "remove_dc",
    "rms_db",
    "rms_normalize",
    "true_peak",
]

#: BS.1770 gating block (s) and the loudness of digital silence used here.
BLOCK = 0.4
SILENCE_LUFS = -math.inf




def _db_target(value: object, name: str, *, upper: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a number of dB, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if upper is not None and value > upper:
        raise ValueError(f"{name}={value:g} is above {upper:g} dB, which would clip; choose "
                         f"a value at or below {upper:g}")
    return value


def _silent(y: np.ndarray, what: str, why: str = "digital silence (all zeros)") -> np.ndarray:
    warnings.warn(
        f"the signal is {why}, so it has no {what} to normalize; "
        "it is returned unchanged",
        SilentSignalWarning,
        stacklevel=3,
    )
    return y.astype(np.float32, copy=True)


# --------------------------------------------------------------------------- peak and RMS


def peak_db(y: np.ndarray) -> float:
    """Sample peak in dBFS: ``20 log10(max |y|)`` (``-inf`` for silence).

    Parameters
    ----------
    y : numpy.ndarray
        ``(n,)`` or ``(channels, n)``, float.

    Returns
    -------
    float
        The largest absolute sample value in dB relative to full scale.

    Notes
    -----
    Taught in :doc:`/book/06_normalization`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.loudness import peak_db
    >>> round(peak_db(np.array([0.0, 0.5, -0.25], dtype=np.float32)), 2)
    -6.02
    """
    peak = float(np.max(np.abs(check_float_signal(y))))
    return 20 * math.log10(peak) if peak > 0 else -math.inf


def rms_db(y: np.ndarray) -> float:
    """RMS level in dBFS: ``20 log10(sqrt(mean(y**2)))`` over all channels.

    A full-scale sine reads -3.01 dBFS on this scale (some meters add 3.01 dB
    so that it reads 0; this one does not).

    Parameters
    ----------
    y : numpy.ndarray
        ``(n,)`` or ``(channels, n)``, float.

    Returns
    -------
    float
        RMS level in dBFS (``-inf`` for silence).

    Notes
    -----
    Taught in :doc:`/book/06_normalization`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.loudness import rms_db
    >>> t = np.arange(48000) / 48000
    >>> round(rms_db(np.sin(2 * np.pi * 1000 * t)), 2)
    -3.01
    """
    return _rms_dbfs(check_float_signal(y))


def _rms_dbfs(y: np.ndarray) -> float:
    rms = math.sqrt(float(np.mean(np.square(y, dtype=np.float64))))
    return 20 * math.log10(rms) if rms > 0 else -math.inf


def peak_normalize(y: np.ndarray, *, peak_db: float = -1.0) -> np.ndarray:
    """Scale a signal so that its sample peak is exactly ``peak_db`` dBFS.

    Simple and exact, and decided by one sample: a single click sets the gain
    for the whole clip.

    Parameters
    ----------
    y : numpy.ndarray
        ``(n,)`` or ``(channels, n)``, float; one gain for all channels.
    peak_db : float
        Target peak in dBFS, at most 0.

    Returns
    -------
    numpy.ndarray
        float32, same shape. Digital silence is returned unchanged, with a
        :class:`~audiotut.errors.SilentSignalWarning`.

    Raises
    ------
    ValueError
        For NaN/inf samples, a non-float or badly shaped signal, or a target
        above 0 dBFS.

    Notes
    -----
    Taught in :doc:`/book/06_normalization`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.loudness import peak_normalize
    >>> y = np.array([0.1, -0.2, 0.05], dtype=np.float32)
    >>> peak_normalize(y, peak_db=-6.0)
    array([ 0.2506, -0.5012,  0.1253], dtype=float32)
    """
    y = check_float_signal(y)
    target = _db_target(peak_db, "peak_db", upper=0.0)
    peak = float(np.max(np.abs(y)))
    if peak == 0:
        return _silent(y, "peak")
    return (y.astype(np.float64) * (10 ** (target / 20) / peak)).astype(np.float32)


def rms_normalize(y: np.ndarray, *, rms_db: float = -20.0, allow_clipping: bool = False) -> np.ndarray:
    """Scale a signal so that its RMS level is ``rms_db`` dBFS.

    Parameters
    ----------
    y : numpy.ndarray
        ``(n,)`` or ``(channels, n)``, float; one gain for all channels.
    rms_db : float
        Target RMS level in dBFS (see :func:`rms_db` for the scale).
    allow_clipping : bool
        With ``False`` (the default), a gain that would push samples beyond
        full scale raises a ValueError that says by how much; with ``True``
        the result may exceed [-1, 1] (limit it, or save it as float).

    Returns
    -------
    numpy.ndarray
        float32, same shape. Digital silence is returned unchanged, with a
        :class:`~audiotut.errors.SilentSignalWarning`.

    Raises
    ------
    ValueError
        For bad input, or when the result would clip and ``allow_clipping``
        is False.

    Notes
    -----
    Taught in :doc:`/book/06_normalization`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.loudness import rms_normalize, rms_db
    >>> rng = np.random.default_rng(0)
    >>> y = (0.01 * rng.standard_normal(16000)).astype(np.float32)
    >>> round(rms_db(rms_normalize(y, rms_db=-20.0)), 2)
    -20.0
    """
    y = check_float_signal(y)
    target = _db_target(rms_db, "rms_db", upper=0.0)
    current = _rms_dbfs(y)
    if current == -math.inf:
        return _silent(y, "RMS level")
    gain = 10 ** ((target - current) / 20)
    out = y.astype(np.float64) * gain
    peak = float(np.max(np.abs(out)))
    if peak > 1.0 and not allow_clipping:
        raise ValueError(
            f"rms_db={target:g} needs {20 * math.log10(gain):+.1f} dB of gain, which puts the "
            f"peak at {20 * math.log10(peak):+.1f} dBFS, beyond full scale. Choose a lower "
            "target, limit the result (loudness_normalize does), or pass allow_clipping=True"
        )
    return out.astype(np.float32)


def remove_dc(y: np.ndarray, *, sr: int | None = None, cutoff_hz: float | None = None) -> np.ndarray:
    """Remove a DC offset: subtract each channel's mean, and optionally high-pass.

    A constant offset (a recorder's or converter's bias) carries power at
    0 Hz that no one hears: it raises the RMS level and moves the peaks, while
    the loudness (whose K-weighting high-passes) ignores it. Remove it before
    measuring or normalizing levels.

    Parameters
    ----------
    y : numpy.ndarray
        ``(n,)`` or ``(channels, n)``, float; each channel is treated alone.
    sr : int, optional
        Sample rate in Hz; needed only with ``cutoff_hz``.
    cutoff_hz : float, optional
        With ``None`` (the default) only the mean is subtracted, which removes
        a constant offset exactly. With a frequency, the mean-free signal is
        also high-passed by a Butterworth filter of order 2 run forwards and
        backwards (:func:`scipy.signal.sosfiltfilt`): zero phase, no delay,
        -6 dB at ``cutoff_hz`` and 24 dB per octave below it. This removes a
        slowly drifting offset too; 20 Hz, the lower limit of hearing, is a
        common choice.

    Returns
    -------
    numpy.ndarray
        float32, same shape, each channel with zero mean.

    Raises
    ------
    ValueError
        For a non-float or badly shaped signal, NaN/inf samples, a
        ``cutoff_hz`` without ``sr``, or a cutoff at or above ``sr / 2``.

    Notes
    -----
    Taught in :doc:`/book/06_normalization`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.loudness import remove_dc, rms_db
    >>> t = np.arange(16000) / 16000
    >>> y = (0.1 * np.sin(2 * np.pi * 440 * t) + 0.3).astype(np.float32)
    >>> round(rms_db(y), 1), round(rms_db(remove_dc(y)), 1)
    (-10.2, -23.0)
    >>> round(float(remove_dc(y, sr=16000, cutoff_hz=20).mean()), 6)
    0.0
    """
    y = check_float_signal(y)
    out = y.astype(np.float64)
    out -= out.mean(axis=-1, keepdims=True)
    if cutoff_hz is not None:
        if sr is None:
            raise ValueError(
                f"cutoff_hz={cutoff_hz!r} needs the sample rate: pass sr=, e.g. "
                "remove_dc(y, sr=16000, cutoff_hz=20)"
            )
        sr = check_sr(sr)
        cutoff = check_positive(cutoff_hz, "cutoff_hz", "Hz")
        if cutoff >= sr / 2:
            raise ValueError(
                f"cutoff_hz={cutoff_hz!r} is at or above the Nyquist frequency "
                f"({sr / 2:g} Hz at sr={sr}); a DC blocker's cutoff is a few Hz to 20 Hz"
            )
        import scipy.signal

        sos = scipy.signal.butter(2, cutoff, btype="highpass", fs=sr, output="sos")
        # pad by one period of the cutoff (odd extension), so the ends do not ring
        padlen = min(out.shape[-1] - 1, math.ceil(sr / cutoff))
        out = scipy.signal.sosfiltfilt(sos, out, axis=-1, padlen=padlen)
        out -= out.mean(axis=-1, keepdims=True)
    return out.astype(np.float32)


# --------------------------------------------------------------------------- loudness


def _frames(y: np.ndarray) -> np.ndarray:
    """Channel-first float signal to pyloudnorm's frame-first float64 layout."""
    if y.ndim == 2 and y.shape[0] > 5:
        raise ValueError(
            f"y has {y.shape[0]} channels; BS.1770 weights up to five (L, R, C, Ls, Rs). "
            "Measure fewer channels, or mix down first"
        )
    return np.ascontiguousarray((y if y.ndim == 1 else y.T), dtype=np.float64)


def integrated_loudness(y: np.ndarray, *, sr: int) -> float:
    """Integrated loudness in LUFS (ITU-R BS.1770-4, as EBU R 128 uses it).

    K-weighting, mean square per 400 ms block with 75 % overlap, channel
    weights (1.0 for L, R, C; 1.41 for Ls, Rs), an absolute gate at -70 LUFS
    and a relative gate 10 LU below the level of the blocks above it. The
    measuring is pyloudnorm's.

    Parameters
    ----------
    y : numpy.ndarray
        ``(n,)`` mono, or ``(channels, n)`` with up to five channels in the
        order L, R, C, Ls, Rs.
    sr : int
        Sample rate in Hz.

    Returns
    -------
    float
        Loudness in LUFS; ``-inf`` when every block is below the -70 LUFS
        absolute gate (digital silence included).

    Raises
    ------
    ValueError
        For NaN/inf samples, integer samples, more than five channels, or a
        bad ``sr``.

    Notes
    -----
    BS.1770 defines no loudness for a clip shorter than one 400 ms block.
    Here such a clip is measured as **one block covering the whole clip**
    (the same K-weighting, channel weights and absolute gate), which is what
    the 400 ms block would read if the clip were surrounded by nothing else.

    Taught in :doc:`/book/06_normalization`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.loudness import integrated_loudness
    >>> sr = 48000
    >>> t = np.arange(10 * sr) / sr
    >>> sine = 10 ** (-23 / 20) * np.sin(2 * np.pi * 1000 * t)
    >>> round(integrated_loudness(np.stack([sine, sine]), sr=sr), 1)  # EBU Tech 3341 case 1
    -23.0
    """
    import pyloudnorm

    y = check_float_signal(y)
    sr = check_sr(sr)
    data = _frames(y)
    n = data.shape[0]
    block = BLOCK if n >= BLOCK * sr else (n - 0.5) / sr  # a short clip is one block
    if n < 2:
        raise ValueError(f"y has {n} sample; loudness needs at least two")
    meter = pyloudnorm.Meter(sr, block_size=block)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        loudness = float(meter.integrated_loudness(data))
    return loudness if math.isfinite(loudness) else SILENCE_LUFS


def _k_weighted(y: np.ndarray, sr: int) -> np.ndarray:
    """K-weighted copy of a channel-first signal, (channels, n) float64."""
    import pyloudnorm

    meter = pyloudnorm.Meter(sr)
    x = np.atleast_2d(np.asarray(y, dtype=np.float64)).copy()
    for stage in meter._filters.values():  # pyloudnorm's K-weighting biquads
        for channel in x:
            channel[:] = stage.apply_filter(channel)
    return x


def loudness_over_time(
    y: np.ndarray, *, sr: int, window: float = 0.4, hop: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """Momentary (``window=0.4``) or short-term (``window=3.0``) loudness over time.

    The K-weighted, channel-weighted mean square over a sliding window,
    in LUFS, as EBU R 128 meters display it (no gating).

    Parameters
    ----------
    y : numpy.ndarray
        ``(n,)`` or ``(channels, n)`` with up to five channels (L, R, C, Ls, Rs).
    sr : int
        Sample rate in Hz.
    window : float
        Window length in seconds: 0.4 for momentary, 3.0 for short-term.
    hop : float
        Time between measurements in seconds (EBU R 128 asks for 0.1 or less).

    Returns
    -------
    times : numpy.ndarray
        The end of each window, in seconds.
    lufs : numpy.ndarray
        Loudness of each window, floored at -100 LUFS for silence.

    Raises
    ------
    ValueError
        For bad input, or a window longer than the signal.

    Notes
    -----
    Taught in :doc:`/book/06_normalization`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.loudness import loudness_over_time
    >>> sr = 48000
    >>> t = np.arange(2 * sr) / sr
    >>> sine = 10 ** (-23 / 20) * np.sin(2 * np.pi * 1000 * t)
    >>> times, lufs = loudness_over_time(np.stack([sine, sine]), sr=sr)
    >>> round(float(times[0]), 1), round(float(lufs[-1]), 1)
    (0.4, -23.0)
    """
    y = check_float_signal(y)
    sr = check_sr(sr)
    _frames(y)  # checks the channel count
    window = check_positive(window, "window", "seconds")
    hop = check_positive(hop, "hop", "seconds")
    width, step = round(window * sr), max(1, round(hop * sr))
    if width > y.shape[-1]:
        raise ValueError(
            f"window={window} s is longer than the signal ({y.shape[-1] / sr:.3f} s); use a "
            "shorter window or integrated_loudness() for the whole clip"
        )
    weighted = _k_weighted(y, sr)
    weights = np.array([1.0, 1.0, 1.0, 1.41, 1.41])[: weighted.shape[0], np.newaxis]
    power = np.sum(weights * weighted**2, axis=0)
    cumulative = np.concatenate([[0.0], np.cumsum(power)])
    ends = np.arange(width, len(power) + 1, step)
    mean_square = (cumulative[ends] - cumulative[ends - width]) / width
    with np.errstate(divide="ignore"):
        lufs = -0.691 + 10 * np.log10(np.maximum(mean_square, 0))
    return ends / sr, np.maximum(lufs, -100.0)


# --------------------------------------------------------------------------- true peak


_PAD = 64  # samples of silence around a signal before oversampling


def _oversample_factor(sr: int) -> int:
    """At least 4x, and up to 192 kHz for low rates (BS.1770-4 Annex 2)."""
    return max(4, math.ceil(192000 / sr))


def _oversampled(x: np.ndarray, sr: int) -> np.ndarray:
    """(channels, n) -> (channels, n * factor), zero-padded so the interpolation filter
    also sees the edges (a peak in the last sample)."""
    from scipy import signal

    return signal.resample_poly(np.pad(x, ((0, 0), (_PAD, _PAD))), _oversample_factor(sr), 1,
                                axis=-1)


def _true_peak_linear(y: np.ndarray, sr: int) -> float:
    x = np.atleast_2d(np.asarray(y, dtype=np.float64))
    return float(max(np.max(np.abs(_oversampled(x, sr))), np.max(np.abs(x))))


def true_peak(y: np.ndarray, *, sr: int) -> float:
    """True peak in dBTP: the peak of the signal between samples, per BS.1770-4.

    The signal is oversampled by a polyphase FIR interpolator
    (:func:`scipy.signal.resample_poly`) by at least 4x, and by more at low
    rates, up to 192 kHz (8 kHz audio is oversampled 24x), and the largest
    absolute value over all channels is taken. A sine at a quarter of the
    sample rate sampled 45 degrees off its peaks reads 3 dB above its sample
    peak.

    Parameters
    ----------
    y : numpy.ndarray
        ``(n,)`` or ``(channels, n)``, float.
    sr : int
        Sample rate in Hz.

    Returns
    -------
    float
        True peak in dBTP (``-inf`` for digital silence).

    Raises
    ------
    ValueError
        For NaN/inf samples, integer samples, or a bad ``sr``.

    Notes
    -----
    Taught in :doc:`/book/06_normalization`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.loudness import true_peak, peak_db
    >>> sr = 48000
    >>> n = np.arange(sr)
    >>> y = 0.5 * np.sin(2 * np.pi * n / 4 + np.pi / 4)   # fs/4, 45 degrees
    >>> round(peak_db(y), 1), round(true_peak(y, sr=sr), 1)
    (-9.0, -6.0)
    """
    y = check_float_signal(y)
    sr = check_sr(sr)
    peak = _true_peak_linear(y, sr)
    return 20 * math.log10(peak) if peak > 0 else -math.inf


# --------------------------------------------------------------------------- normalize


@dataclass(frozen=True)
class NormalizationResult:
    """What :func:`loudness_normalize` did, with the normalized signal.

    Taught in :doc:`/book/06_normalization`.

    Attributes
    ----------
    y : numpy.ndarray
        The normalized signal, float32, same shape as the input.
    input_lufs, output_lufs : float
        Integrated loudness before and after.
    gain_db : float
        The static gain applied before limiting.
    true_peak_db : float
        True peak of the output, in dBTP (at or under the ceiling).
    limited : bool
        True when the limiter had to act: the gain alone would have put the
        true peak over the ceiling.
    gain_reduction_db : float
        The most the limiter turned the signal down, in dB (0 if it did not).
    """

    y: np.ndarray
    input_lufs: float
    output_lufs: float
    gain_db: float
    true_peak_db: float
    limited: bool
    gain_reduction_db: float


def _true_peak_limit(
    y: np.ndarray, *, sr: int, ceiling_db: float, lookahead: float = 0.005
) -> tuple[np.ndarray, float]:
    """Look-ahead true-peak limiter; returns the limited signal and its gain curve's floor.

    The needed gain is computed from the oversampled signal, spread over a
    window by a running minimum (so it starts falling ``lookahead`` seconds
    before a peak) and smoothed by a moving average of half that width, which
    never rises above the needed gain anywhere. A last static trim covers the
    small overshoots that interpolation between changing gains can leave.
    """
    from scipy import ndimage

    x = np.atleast_2d(np.asarray(y, dtype=np.float64))
    # Aim 0.01 dB under the ceiling, so that rounding to float32 cannot cross it.
    ceiling = 10 ** ((ceiling_db - 0.01) / 20)
    up = _oversampled(x, sr)
    factor = _oversample_factor(sr)
    envelope = np.max(np.abs(up), axis=0).reshape(-1, factor).max(axis=1)[_PAD:-_PAD]
    envelope = np.maximum(envelope, np.max(np.abs(x), axis=0))
    needed = np.minimum(1.0, ceiling / np.maximum(envelope, 1e-12))
    radius = max(1, round(lookahead * sr))
    spread = ndimage.minimum_filter1d(needed, size=2 * radius + 1, mode="nearest")
    smooth = ndimage.uniform_filter1d(spread, size=radius | 1, mode="nearest")
    gain = np.minimum(smooth, needed)
    out = x * gain
    for _ in range(3):  # interpolation between gain steps can overshoot slightly
        peak = _true_peak_linear(out, sr)
        if peak <= ceiling:
            break
        trim = ceiling / peak * 0.9999
        out *= trim
        gain = gain * trim
    out = out if y.ndim == 2 else out[0]
    return out, float(np.min(gain))


def loudness_normalize(
    y: np.ndarray,
    *,
    sr: int,
    target_lufs: float = -23.0,
    true_peak_ceiling: float = -1.0,
) -> NormalizationResult:
    """Normalize to a target loudness, with a true-peak limiter holding a ceiling.

    The static gain that brings the integrated loudness to ``target_lufs`` is
    applied (``target_lufs - integrated_loudness(y)``, corrected when the gate
    lets quiet blocks in at the new level); if it puts the true peak over
    ``true_peak_ceiling``, a look-ahead true-peak
    limiter (5 ms) turns down just the peaks, and the result says so
    (``limited=True`` and by how much). EBU R 128 broadcast delivery is
    -23 LUFS with a -1 dBTP ceiling, the defaults.

    Parameters
    ----------
    y : numpy.ndarray
        ``(n,)`` or ``(channels, n)`` (up to five channels: L, R, C, Ls, Rs).
    sr : int
        Sample rate in Hz.
    target_lufs : float
        Target integrated loudness in LUFS.
    true_peak_ceiling : float
        Highest true peak allowed in the output, in dBTP (at most 0).

    Returns
    -------
    NormalizationResult
        The signal (``.y``) and what was done to it. Digital silence (and
        any clip entirely below the -70 LUFS gate) is returned unchanged,
        with a :class:`~audiotut.errors.SilentSignalWarning`.

    Raises
    ------
    ValueError
        For NaN/inf or integer samples, more than five channels, a bad
        ``sr``, or a ceiling above 0 dBTP.

    Notes
    -----
    Clips shorter than 400 ms are measured as one block
    (see :func:`integrated_loudness`). Limiting lowers the loudness a little
    below the target: ``output_lufs`` reports what it became.

    Taught in :doc:`/book/06_normalization`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.loudness import loudness_normalize
    >>> sr = 16000
    >>> rng = np.random.default_rng(0)
    >>> y = (0.01 * rng.standard_normal(sr)).astype(np.float32)
    >>> result = loudness_normalize(y, sr=sr, target_lufs=-23.0)
    >>> round(result.output_lufs, 1), result.limited
    (-23.0, False)
    """
    y = check_float_signal(y)
    sr = check_sr(sr)
    target = _db_target(target_lufs, "target_lufs", upper=0.0)
    ceiling = _db_target(true_peak_ceiling, "true_peak_ceiling", upper=0.0)
    before = integrated_loudness(y, sr=sr)
    if before == SILENCE_LUFS:
        quiet = (_silent(y, "loudness") if not np.any(y) else
                 _silent(y, "loudness", why="entirely below the -70 LUFS absolute gate"))
        return NormalizationResult(quiet, before, before, 0.0, true_peak(quiet, sr=sr), False, 0.0)
    # Loudness follows gain dB for dB, except that the -70 LUFS absolute gate lets
    # quiet blocks in or out as the level changes; a few corrections settle it.
    gain_db = target - before
    for _ in range(6):
        out = y.astype(np.float64) * 10 ** (gain_db / 20)
        error = target - integrated_loudness(out, sr=sr)
        if abs(error) < 0.005:
            break
        gain_db += error
    peak = _true_peak_linear(out, sr)
    limited = peak > 10 ** (ceiling / 20)
    reduction = 0.0
    if limited:
        out, floor = _true_peak_limit(out, sr=sr, ceiling_db=ceiling)
        reduction = -20 * math.log10(floor)
    out = out.astype(np.float32)
    return NormalizationResult(
        y=out,
        input_lufs=before,
        output_lufs=integrated_loudness(out, sr=sr),
        gain_db=gain_db,
        true_peak_db=true_peak(out, sr=sr),
        limited=bool(limited),
        gain_reduction_db=reduction,
    )


# --------------------------------------------------------------------------- dynamics




def compress(
    y: np.ndarray,
    *,
    sr: int,
    threshold_db: float = -20.0,
    ratio: float = 4.0,
    attack_ms: float = 5.0,
    release_ms: float = 100.0,
) -> np.ndarray:
    """Compress the dynamics: above ``threshold_db``, levels rise ``ratio`` times slower.

    pedalboard's ``Compressor`` (JUCE's), applied to every channel.

    Parameters
    ----------
    y : numpy.ndarray
        ``(n,)`` or ``(channels, n)``, float.
    sr : int
        Sample rate in Hz.
    threshold_db : float
        Level in dBFS above which the gain is reduced.
    ratio : float
        Input dB above threshold per output dB above threshold (>= 1).
    attack_ms, release_ms : float
        How fast the gain falls and recovers, in milliseconds.

    Returns
    -------
    numpy.ndarray
        float32, same shape.

    Raises
    ------
    ValueError
        For bad input or parameters (``ratio < 1``, negative times).

    Notes
    -----
    Taught in :doc:`/book/06_normalization`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.loudness import compress, rms_db
    >>> sr = 16000
    >>> loud = (0.9 * np.sin(2 * np.pi * 440 * np.arange(sr) / sr)).astype(np.float32)
    >>> out = compress(loud, sr=sr, threshold_db=-20, ratio=4)
    >>> round(rms_db(loud), 1), round(rms_db(out[sr // 2:]), 1)  # after the attack
    (-3.9, -17.7)
    """
    from pedalboard import Compressor

    y = check_float_signal(y)
    sr = check_sr(sr)
    _db_target(threshold_db, "threshold_db")
    if not isinstance(ratio, (int, float)) or not ratio >= 1:
        raise ValueError(f"ratio must be a number >= 1 (4 means 4:1), got {ratio!r}")
    attack_ms = check_positive(attack_ms, "attack_ms", "milliseconds")
    release_ms = check_positive(release_ms, "release_ms", "milliseconds")
    plugin = Compressor(threshold_db=float(threshold_db), ratio=float(ratio),
                        attack_ms=float(attack_ms), release_ms=float(release_ms))
    return process_with_plugin(plugin, y, sr)


def limit(
    y: np.ndarray, *, sr: int, ceiling_db: float = -1.0, lookahead_ms: float = 5.0
) -> np.ndarray:
    """Hold the true peak at or under ``ceiling_db`` dBTP, touching nothing below it.

    A look-ahead limiter: the gain needed to keep the oversampled signal
    under the ceiling is found for every sample, spread ``lookahead_ms``
    before and after each peak by a running minimum and smoothed, so the
    gain falls gradually before a peak instead of clipping it. There is no
    make-up gain: parts of the signal far from any peak pass unchanged.

    pedalboard's ``Limiter`` (JUCE's) is not used: it adds make-up gain equal
    to its threshold and limits *sample* peaks only, so inter-sample peaks
    pass.

    Parameters
    ----------
    y : numpy.ndarray
        ``(n,)`` or ``(channels, n)``, float; one gain curve for all channels.
    sr : int
        Sample rate in Hz.
    ceiling_db : float
        The highest true peak allowed, in dBTP (at most 0).
    lookahead_ms : float
        How far ahead of a peak the gain starts to fall, in milliseconds.

    Returns
    -------
    numpy.ndarray
        float32, same shape, with ``true_peak(out, sr=sr) <= ceiling_db``.

    Raises
    ------
    ValueError
        For bad input or parameters.

    Notes
    -----
    Taught in :doc:`/book/06_normalization`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.loudness import limit, true_peak
    >>> sr = 16000
    >>> y = (0.2 * np.sin(2 * np.pi * 440 * np.arange(sr) / sr)).astype(np.float32)
    >>> y[8000] = 1.0                                  # a click
    >>> out = limit(y, sr=sr, ceiling_db=-6.0)
    >>> true_peak(out, sr=sr) <= -6.0, bool(np.array_equal(out[:7000], y[:7000]))
    (True, True)
    """
    y = check_float_signal(y)
    sr = check_sr(sr)
    ceiling = _db_target(ceiling_db, "ceiling_db", upper=0.0)
    lookahead_ms = check_positive(lookahead_ms, "lookahead_ms", "milliseconds")
    if _true_peak_linear(y, sr) <= 10 ** (ceiling / 20):
        return y.astype(np.float32, copy=True)
    out, _ = _true_peak_limit(y, sr=sr, ceiling_db=ceiling, lookahead=lookahead_ms / 1000)
    return out.astype(np.float32)
