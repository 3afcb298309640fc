"""Data augmentation: effects that turn one recording into many plausible ones.

Each effect is a thin layer over the field's library that does the work:

- :func:`pitch_shift` and :func:`time_stretch` use Rubber Band through
  pedalboard (``pedalboard.time_stretch``), chosen over librosa's phase
  vocoder by measurement (``benchmarks/pitch_time.py``): both are exact in
  pitch, but Rubber Band keeps clicks and onsets sharp where the phase
  vocoder smears them over its 128 ms window.
- :func:`change_speed` plays the clip faster or slower, pitch and duration
  together, by resampling with soxr.
- :func:`gain`, :func:`shift` and :func:`fade` are numpy.
- :func:`highpass` and :func:`lowpass` are Butterworth filters from
  :mod:`scipy.signal`; :func:`highshelf` and :func:`lowshelf` are pedalboard's
  (JUCE's) shelving biquads.
- :func:`echo` (``Delay``), :func:`distort` (``Distortion``) and the
  algorithmic :func:`reverb` (``Reverb``, Freeverb) are pedalboard plugins;
  ``reverb(room=h)`` convolves with a room impulse response instead
  (:func:`scipy.signal.fftconvolve`), e.g. one from
  :func:`audiotut.synth.room_impulse_response`.
- :func:`add_noise` reuses :func:`audiotut.synth.noise` and
  :func:`audiotut.synth.mix` (exact SNR); :func:`mix_sources` sums sources at
  chosen relative levels.

Every effect takes and returns float32, channel-first ``(n,)`` or
``(channels, n)``, never changes its input in place, and keeps the length
unless changing it is the point (:func:`time_stretch`, :func:`change_speed`).

Random augmentation that is reproducible, and SpecAugment:

- :class:`Pipeline` chains :class:`Step` and :class:`OneOf` objects; each step
  runs with a probability ``p`` and draws its parameters from :class:`Uniform`,
  :class:`LogUniform` or :class:`Choice`. Every draw comes from
  ``numpy.random.SeedSequence([seed, epoch, index])``, one independent child per
  step, so item ``index`` is augmented the same way in any process, DataLoader
  worker or order, and the drawn parameters can be printed and replayed.
- :class:`AugmentedDataset` wraps a list of clips and a pipeline into a
  map-style dataset that ``torch.utils.data.DataLoader`` uses as it is.
- :func:`spec_augment` and the ``torch.nn.Module`` :class:`SpecAugment` apply
  SpecAugment (Park et al., 2019): time warp, frequency masks, time masks, with
  the paper's policies in :data:`POLICIES`. torch is imported only when
  :class:`SpecAugment` is first used, never by ``import audiotut``.

Taught in :doc:`/book/07_augmentation`.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from . import synth
from ._epoch import SharedEpoch
from ._pedalboard import process as process_with_plugin
from ._torch import require_torch
from ._validate import (check_float_signal, check_positive, check_rng, check_signal,
                        check_sr)

__all__ = [
    "add_noise",
    "AugmentedDataset",
    "change_speed",
    "Choice",
    "distort",
    "echo",
    "fade",
    "gain",
    "highpass",
    "highshelf",
    "LogUniform",
    "lowpass",
    "lowshelf",
    "mix_sources",
    "OneOf",
    "Pipeline",
    "pitch_shift",
    "POLICIES",
    "reverb",
    "shift",
    "spec_augment",
    "SpecAugment",
    "SpecAugmentPolicy",
    "Step",
    "time_stretch",
    "Uniform",
]

#: The largest pitch shift accepted, in semitones (two octaves either way).
MAX_SEMITONES = 24
#: Rubber Band returns nothing, or mostly silence, for shorter clips.
MIN_STRETCH_SAMPLES = 1024
#: pedalboard's Delay holds at most this many seconds.
MAX_DELAY = 30.0


# --------------------------------------------------------------------------- helpers




def _number(value: object, name: str, unit: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number of {unit}, got {value!r}")
    return float(value)


def _unit_interval(value: object, name: str, *, below_one: bool = False) -> float:
    value = _number(value, name, "parts of 1")
    if not 0 <= value <= 1 or (below_one and value == 1):
        bound = "0 <= value < 1" if below_one else "between 0 and 1"
        raise ValueError(f"{name} must be {bound}, got {value!r}")
    return value


def _cutoff(value: object, name: str, sr: int) -> float:
    value = check_positive(value, name, "Hz")
    if value >= sr / 2:
        raise ValueError(
            f"{name}={value:g} Hz must be below the Nyquist frequency sr/2 = {sr / 2:g} Hz; "
            "choose a lower cutoff"
        )
    return value




def _fix_length(y: np.ndarray, n: int) -> np.ndarray:
    if y.shape[-1] >= n:
        return y[..., :n]
    return np.pad(y, [(0, 0)] * (y.ndim - 1) + [(0, n - y.shape[-1])])


def _rubberband(y: np.ndarray, sr: int, *, rate: float, semitones: float) -> np.ndarray:
    import pedalboard

    if y.shape[-1] < MIN_STRETCH_SAMPLES:
        raise ValueError(
            f"y has only {y.shape[-1]} samples; Rubber Band needs at least "
            f"{MIN_STRETCH_SAMPLES} ({MIN_STRETCH_SAMPLES / sr * 1000:.0f} ms at sr={sr}) to "
            "analyse it. Pad it with zeros first, e.g. np.pad(y, (0, 1024))"
        )
    x = np.atleast_2d(y)
    n = int(round(x.shape[1] / rate))
    # One channel at a time: for two channels Rubber Band would use its joint (mid/side)
    # mode, which mangles channels that hold different sounds (a 660 Hz right channel
    # beside a 440 Hz left one came out at half its amplitude and 2.4 cents flat).
    out = np.stack([
        _fix_length(np.asarray(pedalboard.time_stretch(
            np.ascontiguousarray(row[None, :], dtype=np.float32), float(sr),
            stretch_factor=rate, pitch_shift_in_semitones=semitones, high_quality=True,
            preserve_formants=False), dtype=np.float32)[0], n)
        for row in x])
    return out if y.ndim == 2 else out[0]


# --------------------------------------------------------------------------- pitch and time


def pitch_shift(y: np.ndarray, *, sr: int, semitones: float) -> np.ndarray:
    """Raise or lower the pitch by ``semitones``, keeping the duration.

    Rubber Band's offline stretcher (``pedalboard.time_stretch`` with
    ``pitch_shift_in_semitones``), high quality, formants *not* preserved: the
    whole spectrum moves by ``2 ** (semitones / 12)``, as in librosa and the
    other augmentation libraries. Each channel is processed on its own.

    Parameters
    ----------
    y : numpy.ndarray
        ``(n,)`` or ``(channels, n)``, float, at least 1024 samples.
    sr : int
        Sample rate in Hz.
    semitones : float
        Shift in semitones, between -24 and 24 (12 is an octave up).

    Returns
    -------
    numpy.ndarray
        float32, same shape as ``y``.

    Raises
    ------
    ValueError
        For a bad signal, a clip shorter than 1024 samples, or ``|semitones| > 24``.

    Notes
    -----
    Taught in :doc:`/book/07_augmentation`.

    Backend chosen by measurement (``benchmarks/pitch_time.py``, 16 kHz):
    a 440 Hz sine shifted +2 semitones is found at 493.87 Hz by both Rubber
    Band and librosa (-0.03 cents), and both keep the length exactly. Rubber
    Band keeps clicks sharp: the energy farther than 5 ms from the clicks of
    a click train is -27 dB of the total, against -0.7 dB for librosa's phase
    vocoder, which spreads every click over its 2048-sample window. librosa
    is cleaner on steady tones (energy off the harmonics -45 dB against
    -25 dB at +2 semitones, -90 dB against -47 dB at -3; at +2 semitones
    Rubber Band also moves the third harmonic's level by 5 dB, librosa by
    0.2 dB) and about 9 times
    faster (Rubber Band still runs about 60 times faster than real time).
    Speech and music have onsets everywhere, so Rubber Band. pedalboard's
    real-time ``PitchShift`` plugin was rejected: 13 cents flat and -7 dB
    of energy off the harmonics. ``preserve_formants=True`` (pedalboard's
    default) was rejected too: it changes the balance of a tone's harmonics
    by up to 16 dB.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.augment import pitch_shift
    >>> from audiotut.synth import tone
    >>> y = pitch_shift(tone(440, sr=16000, duration=1.0, amplitude=0.5), sr=16000, semitones=12)
    >>> y.shape, y.dtype
    ((16000,), dtype('float32'))
    >>> spectrum = np.abs(np.fft.rfft(y[4000:12000] * np.hanning(8000)))
    >>> round(float(np.argmax(spectrum) * 16000 / 8000))  # an octave up
    880
    """
    y = check_float_signal(y)
    sr = check_sr(sr)
    semitones = _number(semitones, "semitones", "semitones")
    if abs(semitones) > MAX_SEMITONES:
        raise ValueError(
            f"semitones={semitones:g} is outside [-{MAX_SEMITONES}, {MAX_SEMITONES}] (two "
            "octaves either way); larger shifts leave little of the sound. Choose a smaller one"
        )
    return _rubberband(y, sr, rate=1.0, semitones=semitones)


def time_stretch(y: np.ndarray, *, sr: int, rate: float) -> np.ndarray:
    """Play ``rate`` times faster, keeping the pitch (librosa's meaning of ``rate``).

    ``rate=2`` is twice as fast: the output is half as long. Rubber Band's
    offline stretcher (``pedalboard.time_stretch``), high quality, each
    channel on its own.

    Parameters
    ----------
    y : numpy.ndarray
        ``(n,)`` or ``(channels, n)``, float, at least 1024 samples.
    sr : int
        Sample rate in Hz.
    rate : float
        Speed factor, positive: above 1 faster and shorter, below 1 slower and longer.

    Returns
    -------
    numpy.ndarray
        float32, ``round(n / rate)`` samples long, same channels.

    Raises
    ------
    ValueError
        For a bad signal, a clip shorter than 1024 samples, or a rate that
        is not a positive finite number.

    Notes
    -----
    Taught in :doc:`/book/07_augmentation`.

    Backend chosen by measurement (``benchmarks/pitch_time.py``, 16 kHz): a
    440 Hz sine stretched at rates 0.8 and 1.25 stays at 440 Hz with both
    Rubber Band and librosa (error under 0.01 cents), and the energy off its
    harmonics is -41 dB against librosa's -45 dB. On a click train slowed to
    0.8, Rubber Band keeps the clicks (energy farther than 5 ms from them:
    -5.8 dB) where librosa's phase vocoder smears them entirely (-0.04 dB).
    librosa is about 7 times faster. The length is made exactly
    ``round(n / rate)`` (Rubber Band was already exact in the measurements).

    Examples
    --------
    >>> from audiotut.augment import time_stretch
    >>> from audiotut.synth import tone
    >>> y = tone(440, sr=16000, duration=1.0, amplitude=0.5)
    >>> time_stretch(y, sr=16000, rate=2.0).shape, time_stretch(y, sr=16000, rate=0.8).shape
    ((8000,), (20000,))
    """
    y = check_float_signal(y)
    sr = check_sr(sr)
    rate = check_positive(rate, "rate", "times the original speed")
    if round(y.shape[-1] / rate) < 1:
        raise ValueError(f"rate={rate:g} would leave less than one sample of y's "
                         f"{y.shape[-1]}; choose a smaller rate")
    return _rubberband(y, sr, rate=rate, semitones=0.0)


def change_speed(y: np.ndarray, *, sr: int, factor: float) -> np.ndarray:
    """Play ``factor`` times faster, pitch and duration together, like a tape or record.

    The clip is resampled with soxr (``HQ``) from ``sr * factor`` to ``sr``:
    ``factor=2`` is half as long and an octave up, ``factor=0.5`` twice as
    long and an octave down.

    Parameters
    ----------
    y : numpy.ndarray
        ``(n,)`` or ``(channels, n)``, float.
    sr : int
        Sample rate in Hz (of the input and of the output).
    factor : float
        Speed factor, positive.

    Returns
    -------
    numpy.ndarray
        float32, ``round(n / factor)`` samples long, same channels.

    Raises
    ------
    ValueError
        For a bad signal, or a factor that is not positive and finite or
        would leave less than one sample.

    Notes
    -----
    Taught in :doc:`/book/07_augmentation`. Speeding up moves content above
    ``sr / (2 * factor)`` beyond the Nyquist frequency; soxr's low-pass
    filter removes it instead of letting it alias.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.augment import change_speed
    >>> from audiotut.synth import tone
    >>> y = change_speed(tone(440, sr=16000, duration=1.0), sr=16000, factor=2.0)
    >>> y.shape, round(float(np.argmax(np.abs(np.fft.rfft(y))) * 16000 / len(y)))
    ((8000,), 880)
    """
    import soxr

    y = check_float_signal(y)
    sr = check_sr(sr)
    factor = check_positive(factor, "factor", "times the original speed")
    n = int(round(y.shape[-1] / factor))
    if n < 1:
        raise ValueError(f"factor={factor:g} would leave less than one sample of y's "
                         f"{y.shape[-1]}; choose a smaller factor")
    x = np.ascontiguousarray(np.atleast_2d(y).T, dtype=np.float32)   # soxr is frame-first
    out = soxr.resample(x, sr * factor, sr, quality="HQ").T
    out = _fix_length(np.asarray(out, dtype=np.float32), n)
    return np.ascontiguousarray(out if y.ndim == 2 else out[0])


# --------------------------------------------------------------------------- level and time


def gain(y: np.ndarray, *, db: float) -> np.ndarray:
    """Multiply by ``10 ** (db / 20)``: +6.02 dB doubles the amplitude.

    Parameters
    ----------
    y : numpy.ndarray
        ``(n,)`` or ``(channels, n)``, float.
    db : float
        Gain in dB; negative is quieter. The result may exceed full scale.

    Returns
    -------
    numpy.ndarray
        float32, same shape.

    Raises
    ------
    ValueError
        For a bad signal or a gain that is not a finite number.

    Notes
    -----
    Taught in :doc:`/book/07_augmentation`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.augment import gain
    >>> gain(np.full(4, 0.5, dtype=np.float32), db=-6.0206)
    array([0.25, 0.25, 0.25, 0.25], dtype=float32)
    """
    y = check_float_signal(y)
    db = _number(db, "db", "dB")
    return (y.astype(np.float64) * 10 ** (db / 20)).astype(np.float32)


def shift(y: np.ndarray, *, sr: int, seconds: float, mode: str = "roll") -> np.ndarray:
    """Move the signal ``seconds`` later (earlier if negative), keeping its length.

    Parameters
    ----------
    y : numpy.ndarray
        ``(n,)`` or ``(channels, n)``, float.
    sr : int
        Sample rate in Hz.
    seconds : float
        Shift in seconds, rounded to whole samples; positive is later.
    mode : {"roll", "pad"}
        ``"roll"``: what falls off one end comes back at the other
        (:func:`numpy.roll`). ``"pad"``: it is lost, and the gap is filled
        with zeros.

    Returns
    -------
    numpy.ndarray
        float32, same shape.

    Raises
    ------
    ValueError
        For a bad signal or mode, a non-finite shift, or with ``mode="pad"``
        a shift as long as the clip (nothing would be left).

    Notes
    -----
    Taught in :doc:`/book/07_augmentation`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.augment import shift
    >>> y = np.arange(1, 6, dtype=np.float32)
    >>> shift(y, sr=1, seconds=2, mode="roll"), shift(y, sr=1, seconds=-2, mode="pad")
    (array([4., 5., 1., 2., 3.], dtype=float32), array([3., 4., 5., 0., 0.], dtype=float32))
    """
    y = check_float_signal(y)
    sr = check_sr(sr)
    seconds = _number(seconds, "seconds", "seconds")
    if mode not in ("roll", "pad"):
        raise ValueError(f"mode must be 'roll' or 'pad', got {mode!r}")
    k = int(round(seconds * sr))
    n = y.shape[-1]
    if mode == "roll":
        return np.roll(y, k, axis=-1).astype(np.float32)
    if abs(k) >= n:
        raise ValueError(
            f"seconds={seconds:g} is {abs(k)} samples, as long as y ({n} samples): with "
            "mode='pad' nothing would be left. Shift by less, or use mode='roll'"
        )
    out = np.zeros(y.shape, dtype=np.float32)
    if k >= 0:
        out[..., k:] = y[..., :n - k]
    else:
        out[..., :n + k] = y[..., -k:]
    return out


def fade(y: np.ndarray, *, sr: int, fade_in: float = 0.0, fade_out: float = 0.0) -> np.ndarray:
    """Fade in over the first ``fade_in`` seconds and out over the last ``fade_out``.

    The curve is a raised cosine, ``sin²(π/2 · t / T)``: it leaves and
    reaches full level with zero slope, so neither end of a fade makes a
    click (a linear fade has a corner at each end), and it is at -6 dB
    (half amplitude) halfway. The first sample of a fade-in and the last of
    a fade-out are exactly 0.

    Parameters
    ----------
    y : numpy.ndarray
        ``(n,)`` or ``(channels, n)``, float.
    sr : int
        Sample rate in Hz.
    fade_in, fade_out : float
        Fade lengths in seconds (>= 0), rounded to whole samples; together
        at most the clip's length.

    Returns
    -------
    numpy.ndarray
        float32, same shape.

    Raises
    ------
    ValueError
        For a bad signal, a negative or non-finite length, or fades that
        together last longer than the clip.

    Notes
    -----
    Taught in :doc:`/book/07_augmentation`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.augment import fade
    >>> out = fade(np.ones(10, dtype=np.float32), sr=10, fade_in=0.4, fade_out=0.2)
    >>> np.round(out, 3).tolist()
    [0.0, 0.146, 0.5, 0.854, 1.0, 1.0, 1.0, 1.0, 0.5, 0.0]
    """
    y = check_float_signal(y)
    sr = check_sr(sr)
    n = y.shape[-1]
    lengths = []
    for name, value in (("fade_in", fade_in), ("fade_out", fade_out)):
        value = _number(value, name, "seconds")
        if value < 0:
            raise ValueError(f"{name} must be a number of seconds >= 0, got {value!r}")
        lengths.append(int(round(value * sr)))
    m_in, m_out = lengths
    if m_in + m_out > n:
        raise ValueError(
            f"fade_in={fade_in!r} s and fade_out={fade_out!r} s last {(m_in + m_out) / sr:g} s "
            f"together, longer than the clip ({n / sr:g} s); shorten them"
        )
    envelope = np.ones(n)
    envelope[:m_in] = np.sin(np.pi / 2 * np.arange(m_in) / max(m_in, 1)) ** 2
    if m_out:
        envelope[n - m_out:] = np.sin(np.pi / 2 * np.arange(m_out)[::-1] / m_out) ** 2
    return (y * envelope).astype(np.float32)


# --------------------------------------------------------------------------- filters


def _butterworth(y: object, sr: object, cutoff_hz: object, order: object, btype: str):
    import scipy.signal

    y = check_float_signal(y)
    sr = check_sr(sr)
    cutoff_hz = _cutoff(cutoff_hz, "cutoff_hz", sr)
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or not 1 <= order <= 8:
        raise ValueError(f"order must be a whole number from 1 to 8 (6 dB per octave each), "
                         f"got {order!r}")
    sos = scipy.signal.butter(int(order), cutoff_hz, btype=btype, fs=sr, output="sos")
    return scipy.signal.sosfilt(sos, y.astype(np.float64), axis=-1).astype(np.float32)


_FILTER_DOC = """{what}: a Butterworth filter of ``order`` poles (6 dB per octave each).

    :func:`scipy.signal.butter` designs it, :func:`scipy.signal.sosfilt` runs
    it (causal, like an analogue filter: a small delay, no pre-ringing). The
    response is -3 dB at ``cutoff_hz`` and falls by ``6 * order`` dB per
    octave {side} it; the default order 4 is -24 dB one octave {side} the
    cutoff. pedalboard's ``{plugin}`` is first-order only (6 dB per octave),
    too gentle to remove a band.

    Parameters
    ----------
    y : numpy.ndarray
        ``(n,)`` or ``(channels, n)``, float.
    sr : int
        Sample rate in Hz.
    cutoff_hz : float
        The -3 dB frequency, between 0 and ``sr / 2`` (both excluded).
    order : int
        Number of poles, 1 to 8.

    Returns
    -------
    numpy.ndarray
        float32, same shape.

    Raises
    ------
    ValueError
        For a bad signal, a cutoff outside ``(0, sr / 2)`` or a bad order.

    Notes
    -----
    Taught in :doc:`/book/07_augmentation`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.augment import {name}
    >>> from audiotut.synth import tone
    >>> y = tone({freq}, sr=48000, duration=1.0, amplitude=0.5)
    >>> out = {name}(y, sr=48000, cutoff_hz={cutoff})
    >>> round(float(20 * np.log10(np.std(out[4000:]) / np.std(y[4000:]))))  # an octave {side}
    -24
    """


def highpass(y: np.ndarray, *, sr: int, cutoff_hz: float, order: int = 4) -> np.ndarray:
    return _butterworth(y, sr, cutoff_hz, order, "highpass")


def lowpass(y: np.ndarray, *, sr: int, cutoff_hz: float, order: int = 4) -> np.ndarray:
    return _butterworth(y, sr, cutoff_hz, order, "lowpass")


highpass.__doc__ = _FILTER_DOC.format(
    what="Remove what lies below ``cutoff_hz``", side="below", plugin="HighpassFilter",
    name="highpass", freq=500, cutoff=1000)
lowpass.__doc__ = _FILTER_DOC.format(
    what="Remove what lies above ``cutoff_hz``", side="above", plugin="LowpassFilter",
    name="lowpass", freq=2000, cutoff=1000)


def _shelf(kind: str, y: object, sr: object, cutoff_hz: object, gain_db: object,
           q: object) -> np.ndarray:
    import pedalboard

    y = check_float_signal(y)
    sr = check_sr(sr)
    cutoff_hz = _cutoff(cutoff_hz, "cutoff_hz", sr)
    gain_db = _number(gain_db, "gain_db", "dB")
    q = check_positive(q, "q", "(quality factor; 0.707 is the flattest)")
    plugin = getattr(pedalboard, kind)(cutoff_frequency_hz=cutoff_hz, gain_db=gain_db, q=q)
    return process_with_plugin(plugin, y, sr)


_SHELF_DOC = """Boost or cut everything {side} ``cutoff_hz`` by ``gain_db`` (a {kind} shelf).

    pedalboard's ``{plugin}`` (JUCE's biquad, from the Audio EQ Cookbook):
    the gain goes from 0 dB {other} the cutoff to ``gain_db`` far {side} it,
    and is halfway (``gain_db / 2``) at ``cutoff_hz``.

    Parameters
    ----------
    y : numpy.ndarray
        ``(n,)`` or ``(channels, n)``, float.
    sr : int
        Sample rate in Hz.
    cutoff_hz : float
        The shelf's midpoint, between 0 and ``sr / 2`` (both excluded).
    gain_db : float
        Gain of the shelf in dB: positive boosts, negative cuts.
    q : float
        Steepness of the transition; ``1 / sqrt(2)`` (the default) is the
        steepest without a bump.

    Returns
    -------
    numpy.ndarray
        float32, same shape.

    Raises
    ------
    ValueError
        For a bad signal, a cutoff outside ``(0, sr / 2)``, a non-finite
        gain or a non-positive ``q``.

    Notes
    -----
    Taught in :doc:`/book/07_augmentation`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.augment import {name}
    >>> from audiotut.synth import tone
    >>> y = tone({freq}, sr=16000, duration=1.0, amplitude=0.25)
    >>> out = {name}(y, sr=16000, cutoff_hz=1000, gain_db=6.0)
    >>> round(float(20 * np.log10(np.std(out[4000:]) / np.std(y[4000:]))), 1)
    6.0
    """


def highshelf(y: np.ndarray, *, sr: int, cutoff_hz: float, gain_db: float,
              q: float = 1 / math.sqrt(2)) -> np.ndarray:
    return _shelf("HighShelfFilter", y, sr, cutoff_hz, gain_db, q)


def lowshelf(y: np.ndarray, *, sr: int, cutoff_hz: float, gain_db: float,
             q: float = 1 / math.sqrt(2)) -> np.ndarray:
    return _shelf("LowShelfFilter", y, sr, cutoff_hz, gain_db, q)


highshelf.__doc__ = _SHELF_DOC.format(side="above", other="below", kind="high",
                                      plugin="HighShelfFilter", name="highshelf", freq=7000)
lowshelf.__doc__ = _SHELF_DOC.format(side="below", other="above", kind="low",
                                     plugin="LowShelfFilter", name="lowshelf", freq=50)


# --------------------------------------------------------------------------- effects


def echo(y: np.ndarray, *, sr: int, delay: float, feedback: float = 0.3,
         mix: float = 0.5) -> np.ndarray:
    """Add echoes ``delay`` seconds apart (pedalboard's ``Delay``).

    The output is ``(1 - mix) * y + mix * wet``, where the wet signal is ``y``
    delayed by ``delay`` and fed back: each further echo is ``feedback``
    times the one before. The delay is rounded to whole samples (pedalboard
    truncates it, so ``0.01 s`` at 16 kHz would be 159 samples, not 160: it
    is passed half a sample long to land on the rounded value).

    Parameters
    ----------
    y : numpy.ndarray
        ``(n,)`` or ``(channels, n)``, float.
    sr : int
        Sample rate in Hz.
    delay : float
        Seconds between the sound and its first echo, at least one sample and
        at most 30 s.
    feedback : float
        Level of each echo relative to the previous one, ``0 <= feedback < 1``.
    mix : float
        Share of the wet (echo) signal, between 0 and 1.

    Returns
    -------
    numpy.ndarray
        float32, same shape: echoes after the end of ``y`` are cut.

    Raises
    ------
    ValueError
        For a bad signal, a delay outside one sample to 30 s, ``feedback``
        outside [0, 1) or ``mix`` outside [0, 1].

    Notes
    -----
    Taught in :doc:`/book/07_augmentation`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.augment import echo
    >>> click = np.zeros(16000, dtype=np.float32); click[0] = 1.0
    >>> out = echo(click, sr=16000, delay=0.25, feedback=0.5, mix=0.5)
    >>> np.flatnonzero(np.abs(out) > 1e-3)[:4], out[[0, 4000, 8000]]
    (array([    0,  4000,  8000, 12000]), array([0.5 , 0.5 , 0.25], dtype=float32))
    """
    from pedalboard import Delay

    y = check_float_signal(y)
    sr = check_sr(sr)
    delay = check_positive(delay, "delay", "seconds")
    samples = int(round(delay * sr))
    if samples < 1 or delay > MAX_DELAY:
        raise ValueError(f"delay={delay:g} s must be between one sample ({1 / sr:g} s) and "
                         f"{MAX_DELAY:g} s")
    feedback = _unit_interval(feedback, "feedback", below_one=True)
    mix = _unit_interval(mix, "mix")
    plugin = Delay(delay_seconds=min((samples + 0.5) / sr, MAX_DELAY), feedback=feedback,
                   mix=mix)
    return process_with_plugin(plugin, y, sr)


def reverb(y: np.ndarray, *, sr: int, room_size: float = 0.5, damping: float = 0.5,
           wet_level: float = 0.33, dry_level: float = 0.4, width: float = 1.0,
           room: np.ndarray | None = None) -> np.ndarray:
    """Add reverberation: pedalboard's algorithmic ``Reverb``, or a room impulse response.

    Without ``room``, pedalboard's ``Reverb`` (JUCE's Freeverb: comb and
    all-pass filters) with its own parameters; a larger ``room_size`` rings
    longer (measured with :func:`audiotut.metrics.rt60` on a click at 16 kHz,
    the other parameters at their defaults: RT60 0.72 s at ``room_size=0.3``,
    0.99 s at 0.5, 2.24 s at 0.8).

    With ``room``, the signal is convolved with that impulse response
    (:func:`scipy.signal.fftconvolve`), e.g. ``synth.room_impulse_response(...)[0]``:
    the recording the room would make. The impulse response is scaled so that
    its direct path (its largest sample) has unit gain, and the output is
    shifted by the direct path's delay: the direct sound of ``y`` keeps its
    level and its place in time (labels stay aligned), and the reflections
    are added on top. The other parameters are ignored.

    Parameters
    ----------
    y : numpy.ndarray
        ``(n,)`` or ``(channels, n)``, float; with ``room``, every channel is
        convolved with the same response.
    sr : int
        Sample rate in Hz.
    room_size, damping, wet_level, dry_level, width : float
        pedalboard ``Reverb`` parameters, each between 0 and 1: the size of
        the simulated room, how fast high frequencies die away, the levels of
        the reverberated and the original signal, and the stereo width.
    room : numpy.ndarray, optional
        An impulse response ``(m,)`` at ``sr``, float.

    Returns
    -------
    numpy.ndarray
        float32, same shape as ``y``: the tail after the end of ``y`` is cut
        (pad ``y`` with zeros to keep it). It can exceed full scale.

    Raises
    ------
    ValueError
        For a bad signal, a parameter outside [0, 1], or a ``room`` that is
        not a float ``(m,)`` array or is all zeros.

    Notes
    -----
    Taught in :doc:`/book/07_augmentation`. Measure the result with
    :func:`audiotut.metrics.rt60`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.augment import reverb
    >>> from audiotut.metrics import rt60
    >>> impulse = np.zeros(32000, dtype=np.float32); impulse[0] = 1.0
    >>> t = np.arange(8000) / 16000
    >>> h = np.random.default_rng(0).standard_normal(8000) * 10 ** (-3 * t / 0.3)
    >>> h[0] = 5.0                                    # the direct path
    >>> out = reverb(impulse, sr=16000, room=h)
    >>> out.shape, float(out[0]), round(rt60(out, sr=16000), 1)
    ((32000,), 1.0, 0.3)
    """
    import scipy.signal

    y = check_float_signal(y)
    sr = check_sr(sr)
    if room is not None:
        h = check_signal(room, name="room")
        if h.ndim != 1 or h.dtype.kind != "f":
            raise ValueError(
                f"room must be one float impulse response of shape (m,), got shape {h.shape} "
                f"and dtype {h.dtype}; for synth.room_impulse_response(...) pass its row [0]"
            )
        direct = int(np.argmax(np.abs(h)))
        if h[direct] == 0:
            raise ValueError("room is all zeros: it is not an impulse response")
        h = h.astype(np.float64) / h[direct]
        wet = scipy.signal.fftconvolve(np.atleast_2d(y).astype(np.float64), h[None, :], axes=1)
        out = wet[:, direct:direct + y.shape[-1]].astype(np.float32)
        return out if y.ndim == 2 else out[0]
    from pedalboard import Reverb

    params = {name: _unit_interval(value, name) for name, value in (
        ("room_size", room_size), ("damping", damping), ("wet_level", wet_level),
        ("dry_level", dry_level), ("width", width))}
    return process_with_plugin(Reverb(**params), y, sr)


def distort(y: np.ndarray, *, drive_db: float) -> np.ndarray:
    """Saturate like an overdriven amplifier: ``tanh`` of ``y`` amplified by ``drive_db``.

    pedalboard's ``Distortion``. A memoryless curve, so no sample rate is
    needed; it adds odd harmonics, more as the drive grows (total harmonic
    distortion of a 500 Hz sine of amplitude 0.5 at 16 kHz, measured: 2.0 %
    at 0 dB, 6.7 % at 6 dB, 33 % at 20 dB, 41 % at 40 dB). The output stays
    within [-1, 1].

    Parameters
    ----------
    y : numpy.ndarray
        ``(n,)`` or ``(channels, n)``, float.
    drive_db : float
        Gain before the curve in dB, from 0 to 100.

    Returns
    -------
    numpy.ndarray
        float32, same shape.

    Raises
    ------
    ValueError
        For a bad signal or a drive outside [0, 100] dB.

    Notes
    -----
    Taught in :doc:`/book/07_augmentation`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.augment import distort
    >>> y = np.array([0.0, 0.01, 0.5, -1.0], dtype=np.float32)
    >>> out = distort(y, drive_db=20)   # tanh(10 y): small values amplified, large flattened
    >>> out.dtype, np.round(out, 4).tolist()
    (dtype('float32'), [0.0, 0.0997, 0.9999, -1.0])
    """
    from pedalboard import Distortion

    y = check_float_signal(y)
    drive_db = _number(drive_db, "drive_db", "dB")
    if not 0 <= drive_db <= 100:
        raise ValueError(f"drive_db must be between 0 and 100 dB, got {drive_db!r}")
    return process_with_plugin(Distortion(drive_db=drive_db), y, 48000)


# --------------------------------------------------------------------------- noise and mixing


def add_noise(y: np.ndarray, *, sr: int, snr_db: float, color: str | np.ndarray = "white",
              rng: int | np.random.Generator | None = None) -> np.ndarray:
    """Add noise at exactly ``snr_db``: coloured noise, or a recording of noise.

    ``color`` names a colour of :func:`audiotut.synth.noise` (independent
    noise in every channel), or is a noise array, ``(m,)`` (the same noise
    in every channel) or ``(channels, m)``: looped if shorter than ``y``,
    cropped at a random offset drawn from ``rng`` if longer. The noise is
    scaled by :func:`audiotut.synth.mix` so that the power of ``y`` over the
    power of the added noise, over all channels, is ``snr_db``.

    Parameters
    ----------
    y : numpy.ndarray
        ``(n,)`` or ``(channels, n)``, float, not silent.
    sr : int
        Sample rate in Hz (of ``y`` and of a noise array).
    snr_db : float
        Signal-to-noise ratio of the result in dB; may be negative.
    color : {"white", "pink", "brown"} or numpy.ndarray
        The noise.
    rng : int, numpy.random.Generator or None
        Seed or generator for the noise or the crop offset.

    Returns
    -------
    numpy.ndarray
        float32, same shape as ``y``. It may exceed full scale at low SNRs.

    Raises
    ------
    ValueError
        For a bad signal, a silent ``y`` or noise, a non-finite SNR, an unknown
        colour, or a noise array with another number of channels.

    Notes
    -----
    Taught in :doc:`/book/07_augmentation`; :func:`audiotut.metrics.snr_db`
    measures the result as ``snr_db(y, out)``.

    Examples
    --------
    >>> from audiotut.augment import add_noise
    >>> from audiotut.metrics import snr_db
    >>> from audiotut.synth import tone
    >>> clean = tone(440, sr=16000, duration=0.5, amplitude=0.5)
    >>> noisy = add_noise(clean, sr=16000, snr_db=5.0, color="pink", rng=0)
    >>> noisy.shape, round(snr_db(clean, noisy), 2)
    ((8000,), 5.0)
    """
    y = check_float_signal(y)
    sr = check_sr(sr)
    snr_db = _number(snr_db, "snr_db", "dB")
    generator = check_rng(rng)
    n = y.shape[-1]
    channels = y.shape[0] if y.ndim == 2 else 1
    if isinstance(color, str):
        if color not in synth.NOISE_COLORS:
            raise ValueError(f"color must be one of {sorted(synth.NOISE_COLORS)} or a noise "
                             f"array, got {color!r}")
        rows = [synth.noise(sr=sr, duration=n / sr, color=color, rng=generator)[:n]
                for _ in range(channels)]
        noise = np.stack(rows) if y.ndim == 2 else rows[0]
    else:
        noise = check_float_signal(color, name="color")
        if noise.ndim == 2 and (y.ndim == 1 or noise.shape[0] != channels):
            raise ValueError(
                f"the noise array has {noise.shape[0]} channels but y has shape {y.shape}; "
                "pass a mono noise (m,) to use it in every channel, or one per channel"
            )
        m = noise.shape[-1]
        if m < n:
            noise = np.concatenate([noise] * math.ceil(n / m), axis=-1)[..., :n]
        else:
            offset = int(generator.integers(0, m - n + 1))
            noise = noise[..., offset:offset + n]
        if y.ndim == 2 and noise.ndim == 1:
            noise = np.broadcast_to(noise, y.shape)
    return synth.mix(y, np.ascontiguousarray(noise), snr_db=snr_db)


def mix_sources(sources: Sequence[np.ndarray], *, gains_db: Sequence[float]) -> np.ndarray:
    """Sum sources at chosen relative levels: ``sum(10 ** (g / 20) * s)``.

    Parameters
    ----------
    sources : sequence of numpy.ndarray
        Signals of one shape, ``(n,)`` or ``(channels, n)``, float.
    gains_db : sequence of float
        One gain in dB per source (0 leaves it as it is).

    Returns
    -------
    numpy.ndarray
        float32, the sources' shape. It may exceed full scale.

    Raises
    ------
    ValueError
        For no sources, a bad source, sources of different shapes, or a number
        of gains that differs from the number of sources.

    Notes
    -----
    Taught in :doc:`/book/07_augmentation`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.augment import mix_sources
    >>> a, b = np.ones(3, dtype=np.float32), np.full(3, 0.5, dtype=np.float32)
    >>> mix_sources([a, b], gains_db=[0.0, 6.0206])
    array([2., 2., 2.], dtype=float32)
    """
    if isinstance(sources, np.ndarray) or not isinstance(sources, Sequence) or not sources:
        raise ValueError("sources must be a non-empty list of signals, e.g. [speech, music]; "
                         f"got {type(sources).__name__}")
    checked = [check_float_signal(s, name=f"sources[{i}]") for i, s in enumerate(sources)]
    for i, s in enumerate(checked[1:], start=1):
        if s.shape != checked[0].shape:
            raise ValueError(
                f"sources[{i}] has shape {s.shape} but sources[0] has shape "
                f"{checked[0].shape}; trim or pad them to one shape first"
            )
    if isinstance(gains_db, (str, bytes)) or not isinstance(gains_db, (Sequence, np.ndarray)) \
            or len(gains_db) != len(checked):
        raise ValueError(f"gains_db must hold one gain per source ({len(checked)}), got "
                         f"{gains_db!r}")
    gains = [_number(g, f"gains_db[{i}]", "dB") for i, g in enumerate(gains_db)]
    total = np.zeros(checked[0].shape, dtype=np.float64)
    for s, g in zip(checked, gains):
        total += s.astype(np.float64) * 10 ** (g / 20)
    return total.astype(np.float32)

# --------------------------------------------------------------------------- random parameters


def _finite(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _plain(value: object) -> object:
    """A NumPy scalar as the Python number it holds (so params print and serialize plainly)."""
    return value.item() if isinstance(value, np.generic) else value


class _Distribution:
    """A random parameter: ``sample(rng)`` consumes exactly one ``rng.random()`` draw."""

    def sample(self, rng: np.random.Generator) -> object:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclasses.dataclass(frozen=True)
class Uniform(_Distribution):
    """A parameter drawn uniformly from ``[low, high)`` each time its step runs.

    Parameters
    ----------
    low, high : float
        The range, ``low <= high`` (equal gives a constant).

    Raises
    ------
    ValueError
        For a non-finite bound or ``low > high``.

    Notes
    -----
    Taught in :doc:`/book/07_augmentation`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.augment import Uniform
    >>> x = Uniform(-6, 6).sample(np.random.default_rng(0))
    >>> type(x).__name__, -6 <= x < 6
    ('float', True)
    """

    low: float
    high: float

    def __post_init__(self) -> None:
        low, high = _finite(self.low, "Uniform low"), _finite(self.high, "Uniform high")
        if low > high:
            raise ValueError(f"Uniform(low={low:g}, high={high:g}) has low > high; "
                             f"swap them: Uniform({high:g}, {low:g})")
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)

    def sample(self, rng: np.random.Generator) -> float:
        """One draw, a Python float."""
        return float(self.low + (self.high - self.low) * rng.random())


@dataclasses.dataclass(frozen=True)
class LogUniform(_Distribution):
    """A positive parameter whose logarithm is uniform on ``[log low, log high)``.

    Use it for scale-like parameters (a cutoff frequency, a rate): 100 to 200 Hz
    is drawn as often as 1000 to 2000 Hz.

    Parameters
    ----------
    low, high : float
        The range, ``0 < low <= high``.

    Raises
    ------
    ValueError
        For a bound that is not positive and finite, or ``low > high``.

    Notes
    -----
    Taught in :doc:`/book/07_augmentation`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.augment import LogUniform
    >>> rng = np.random.default_rng(0)
    >>> draws = np.array([LogUniform(100, 10000).sample(rng) for _ in range(4000)])
    >>> round(float(np.mean(draws < 1000)), 1)   # half the draws below the geometric middle
    0.5
    """

    low: float
    high: float

    def __post_init__(self) -> None:
        low, high = _finite(self.low, "LogUniform low"), _finite(self.high, "LogUniform high")
        if low <= 0:
            raise ValueError(f"LogUniform low must be positive (it is on a log scale), got {low:g}")
        if low > high:
            raise ValueError(f"LogUniform(low={low:g}, high={high:g}) has low > high; "
                             f"swap them: LogUniform({high:g}, {low:g})")
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)

    def sample(self, rng: np.random.Generator) -> float:
        """One draw, a Python float."""
        lo, hi = math.log(self.low), math.log(self.high)
        return float(math.exp(lo + (hi - lo) * rng.random()))


@dataclasses.dataclass(frozen=True)
class Choice(_Distribution):
    """A parameter drawn from a list of values, equally likely or with ``weights``.

    Parameters
    ----------
    values : sequence
        The candidates (strings, numbers...), at least one.
    weights : sequence of float, optional
        Relative probabilities, one per value, non-negative, not all zero.

    Raises
    ------
    ValueError
        For no values, a string given as ``values``, or bad weights.

    Notes
    -----
    Taught in :doc:`/book/07_augmentation`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.augment import Choice
    >>> Choice(["white", "pink"]).sample(np.random.default_rng(0)) in ("white", "pink")
    True
    """

    values: Sequence[object]
    weights: Sequence[float] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.values, np.ndarray) and self.values.ndim == 1:
            object.__setattr__(self, "values", list(self.values))
        if isinstance(self.values, (str, bytes)) or not isinstance(self.values, Sequence):
            raise ValueError(f"Choice values must be a list of candidates, got {self.values!r}; "
                             "e.g. Choice(['white', 'pink'])")
        values = tuple(_plain(v) for v in self.values)
        if not values:
            raise ValueError("Choice needs at least one value to choose from")
        object.__setattr__(self, "values", values)
        if self.weights is not None:
            weights = tuple(_finite(w, "Choice weight") for w in self.weights)
            if len(weights) != len(values) or min(weights) < 0 or sum(weights) <= 0:
                raise ValueError(f"Choice weights {self.weights!r} must be {len(values)} "
                                 "non-negative numbers, one per value, not all zero")
            object.__setattr__(self, "weights", weights)

    def sample(self, rng: np.random.Generator) -> object:
        """One of the values."""
        u = rng.random()
        if self.weights is None:
            return self.values[min(int(u * len(self.values)), len(self.values) - 1)]
        cumulative = np.cumsum(self.weights) / sum(self.weights)
        return self.values[min(int(np.searchsorted(cumulative, u, side="right")),
                               len(self.values) - 1)]


# --------------------------------------------------------------------------- steps


def _probability(p: object, what: str) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)) \
            or not 0 <= p <= 1:
        raise ValueError(f"{what} p={p!r} must be a probability between 0 and 1 "
                         "(0 never applies the step, 1 always does)")
    return float(p)


def _whole(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be a whole number 0 or more, got {value!r}; "
                         f"e.g. {name}=0")
    return int(value)


def _function_name(fn: Callable) -> str:
    inner = getattr(fn, "func", fn)   # functools.partial
    return getattr(inner, "__name__", type(inner).__name__)


#: Keys of a step's parameter record that are not keyword arguments of its function.
_RECORD_KEYS = ("step", "applied", "rng")
#: The largest seed drawn for a step function's ``rng`` (a non-negative int64).
_SEED_LIMIT = 2**63


def _as_signal(result: object, name: str) -> np.ndarray:
    if not isinstance(result, np.ndarray):
        raise ValueError(f"step {name} returned {type(result).__name__}, not a numpy array; "
                         "a step function must return the augmented signal")
    return check_signal(result, name=f"the output of step {name}").astype(np.float32, copy=False)


class Step:
    """One augmentation in a :class:`Pipeline`: a function, its parameters and a probability.

    Parameters
    ----------
    fn : callable
        ``fn(y, **params) -> y``: takes the signal first and returns it
        augmented. If its signature names ``sr``, the pipeline passes the
        sample rate; if it names ``rng``, the pipeline passes a
        :class:`numpy.random.Generator` seeded from this step's own draws.
        It must be a module-level function (not a lambda) for the pipeline
        to pickle into DataLoader workers.
    p : float
        Probability of applying the step, in [0, 1].
    **params
        Keyword arguments of ``fn``: constants, or :class:`Uniform`,
        :class:`LogUniform` or :class:`Choice` to draw a value each time.

    Raises
    ------
    ValueError
        For ``p`` outside [0, 1], a keyword that ``fn`` does not take, a
        required keyword left out, or ``sr``/``rng`` given (the pipeline
        passes those).

    Notes
    -----
    Each time it runs, the step draws from its own generator, in this order:
    one number to decide whether to apply (``u < p``), one seed for ``fn``'s
    ``rng``, then one number per parameter in the order given. All are drawn
    even when the step is not applied, so changing ``p`` changes only whether
    the step applies, never the values it would apply.

    A function parameter named ``p`` cannot be set through ``Step``; wrap the
    function in one of your own.

    Taught in :doc:`/book/07_augmentation`.

    Examples
    --------
    >>> from audiotut.augment import Step, Uniform
    >>> from audiotut.loudness import peak_normalize
    >>> Step(peak_normalize, p=0.5, peak_db=Uniform(-12, -1))
    Step(peak_normalize, p=0.5, peak_db=Uniform(low=-12.0, high=-1.0))
    """

    def __init__(self, fn: Callable[..., np.ndarray], /, *, p: float = 1.0, **params: Any) -> None:
        if not callable(fn) or isinstance(fn, (Step, OneOf)):
            raise ValueError(f"Step needs a function fn(y, ...) -> y as its first argument, "
                             f"got {fn!r}")
        self.fn = fn
        self.name = _function_name(fn)
        self.p = _probability(p, f"Step({self.name})")
        self.params = dict(params)
        self.takes_sr, self.takes_rng = self._check_signature()

    def _check_signature(self) -> tuple[bool, bool]:
        try:
            signature = inspect.signature(self.fn)
        except (TypeError, ValueError):   # some built-ins have none: pass only what was given
            return False, False
        parameters = list(signature.parameters.values())
        named = {q.name: q for q in parameters
                 if q.kind in (q.POSITIONAL_OR_KEYWORD, q.KEYWORD_ONLY)}
        if not parameters or parameters[0].kind in (inspect.Parameter.KEYWORD_ONLY,
                                                    inspect.Parameter.VAR_KEYWORD):
            raise ValueError(f"{self.name}{signature} takes no positional signal; a step "
                             "function is called as fn(y, **params)")
        named.pop(parameters[0].name, None)
        for reserved in ("sr", "rng"):
            if reserved in self.params:
                raise ValueError(f"Step({self.name}) was given {reserved}=; leave it out, the "
                                 f"pipeline passes {reserved} to every function that takes it")
        for reserved in ("step", "applied"):
            if reserved in self.params:
                raise ValueError(f"Step({self.name}): {reserved!r} is a reserved name in the "
                                 "parameter records; wrap the function to rename its argument")
        accepts_any = any(q.kind == q.VAR_KEYWORD for q in parameters)
        unknown = [k for k in self.params if k not in named]
        if unknown and not accepts_any:
            raise ValueError(f"Step({self.name}) got {', '.join(map(repr, unknown))}, which "
                             f"{self.name}{signature} does not take; its keywords are "
                             f"{sorted(named)}")
        missing = [k for k, q in named.items() if q.default is q.empty
                   and k not in self.params and k not in ("sr", "rng")]
        if missing:
            raise ValueError(f"Step({self.name}) leaves out {', '.join(map(repr, missing))}, "
                             f"which {self.name}{signature} requires; give a value or a "
                             "Uniform/Choice for each")
        return "sr" in named, "rng" in named

    def _draw(self, seed_seq: np.random.SeedSequence) -> dict:
        gen = np.random.default_rng(seed_seq)
        applied = bool(gen.random() < self.p)
        rng_seed = int(gen.integers(_SEED_LIMIT))
        values = {k: (v.sample(gen) if isinstance(v, _Distribution) else v)
                  for k, v in self.params.items()}
        if not applied:
            return {"step": self.name, "applied": False}
        record = {"step": self.name, "applied": True, **values}
        if self.takes_rng:
            record["rng"] = rng_seed
        return record

    def _apply(self, y: np.ndarray, sr: int, record: Mapping) -> np.ndarray:
        if not record.get("applied"):
            return y
        kwargs = {k: v for k, v in record.items() if k not in _RECORD_KEYS}
        if self.takes_sr:
            kwargs["sr"] = sr
        if self.takes_rng:
            kwargs["rng"] = np.random.default_rng(record["rng"])
        return _as_signal(self.fn(y, **kwargs), self.name)

    def _run(self, y: np.ndarray, sr: int, seed_seq: np.random.SeedSequence) -> tuple:
        record = self._draw(seed_seq)
        return self._apply(y, sr, record), record

    def _replay(self, y: np.ndarray, sr: int, record: object) -> np.ndarray:
        if not isinstance(record, Mapping) or record.get("step") != self.name \
                or "applied" not in record:
            raise ValueError(f"parameter record {record!r} does not belong to Step({self.name}); "
                             "replay with the records the same pipeline returned")
        if record["applied"]:
            expected = {"step", "applied", *self.params, *(["rng"] if self.takes_rng else [])}
            if set(record) != expected:
                raise ValueError(f"parameter record {record!r} for Step({self.name}) should have "
                                 f"the keys {sorted(expected)}")
        return self._apply(y, sr, record)

    def __repr__(self) -> str:
        params = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return f"Step({self.name}, p={self.p:g}{params})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Step) and (self.fn, self.p, self.params) == \
            (other.fn, other.p, other.params)

    __hash__ = None  # type: ignore[assignment]


def _check_steps(steps: object, what: str) -> tuple:
    if isinstance(steps, (Step, OneOf)) or not isinstance(steps, Sequence) \
            or isinstance(steps, str):
        raise ValueError(f"{what} takes a list of steps, got {steps!r}; e.g. {what}([Step(...)])")
    for i, step in enumerate(steps):
        if not isinstance(step, (Step, OneOf)):
            raise ValueError(f"{what} item {i} is {step!r}, not a Step or OneOf; wrap a function "
                             "as Step(fn, p=..., param=Uniform(...))")
    return tuple(steps)


class OneOf:
    """Apply exactly one of several steps (with probability ``p``), picked at random.

    Parameters
    ----------
    steps : list of Step or OneOf
        The options, at least one; each still applies with its own ``p``.
    p : float
        Probability of applying one of them at all, in [0, 1].
    weights : sequence of float, optional
        Relative probabilities of the options; equal by default.

    Raises
    ------
    ValueError
        For an empty list, an item that is not a Step/OneOf, bad ``p`` or weights.

    Notes
    -----
    Its record is ``{"step": "OneOf", "applied": True, "option": i,
    "chosen": <record of option i>}``. Each option draws from its own child
    seed, so changing one option does not change what the others draw.

    Taught in :doc:`/book/07_augmentation`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.augment import OneOf, Pipeline, Step
    >>> from audiotut.loudness import peak_normalize, rms_normalize
    >>> pipe = Pipeline([OneOf([Step(peak_normalize, peak_db=-6.0),
    ...                         Step(rms_normalize, rms_db=-30.0)])], seed=0)
    >>> y = np.sin(np.linspace(0, 100, 1600)).astype(np.float32) * 0.5
    >>> out, params = pipe(y, sr=16000, index=0, return_params=True)
    >>> params[0]["chosen"]["step"] in ("peak_normalize", "rms_normalize")
    True
    """

    def __init__(self, steps: Sequence[Step | OneOf], *, p: float = 1.0,
                 weights: Sequence[float] | None = None) -> None:
        self.steps = _check_steps(steps, "OneOf")
        if not self.steps:
            raise ValueError("OneOf needs at least one step to choose from")
        self.p = _probability(p, "OneOf")
        self._chooser = Choice(range(len(self.steps)), weights=weights)
        self.weights = self._chooser.weights
        self.name = "OneOf"

    def _run(self, y: np.ndarray, sr: int, seed_seq: np.random.SeedSequence) -> tuple:
        gen = np.random.default_rng(seed_seq)
        applied = bool(gen.random() < self.p)
        option = int(self._chooser.sample(gen))
        children = seed_seq.spawn(len(self.steps))
        if not applied:
            return y, {"step": self.name, "applied": False}
        y, inner = self.steps[option]._run(y, sr, children[option])
        return y, {"step": self.name, "applied": True, "option": option, "chosen": inner}

    def _replay(self, y: np.ndarray, sr: int, record: object) -> np.ndarray:
        if not isinstance(record, Mapping) or record.get("step") != self.name \
                or "applied" not in record:
            raise ValueError(f"parameter record {record!r} does not belong to a OneOf; "
                             "replay with the records the same pipeline returned")
        if not record["applied"]:
            return y
        option = record.get("option")
        if not isinstance(option, int) or not 0 <= option < len(self.steps):
            raise ValueError(f"OneOf record has option={option!r}; expected 0 to "
                             f"{len(self.steps) - 1}")
        return self.steps[option]._replay(y, sr, record.get("chosen"))

    def __repr__(self) -> str:
        weights = "" if self.weights is None else f", weights={list(self.weights)}"
        inner = ", ".join(map(repr, self.steps))
        return f"OneOf([{inner}], p={self.p:g}{weights})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OneOf) and (self.steps, self.p, self.weights) == \
            (other.steps, other.p, other.weights)

    __hash__ = None  # type: ignore[assignment]


# --------------------------------------------------------------------------- pipeline


class Pipeline:
    """A chain of random steps, reproducible per item: deterministic in ``(seed, epoch, index)``.

    Parameters
    ----------
    steps : list of Step or OneOf
        Applied in order.
    seed : int
        The experiment's seed, 0 or more.

    Raises
    ------
    ValueError
        For an item that is not a Step/OneOf, or a bad seed.

    Notes
    -----
    Calling ``pipe(y, sr=sr, index=i, epoch=e)`` seeds
    ``numpy.random.SeedSequence([seed, e, i])`` and spawns one independent
    child per step. Nothing depends on a global random state, on the process,
    or on which items were augmented before, so item ``i`` comes out
    bit-identical in any DataLoader worker and in any order; a new epoch gives
    new draws. Because each step has its own child, changing one step's ``p``
    or range does not change what the other steps draw.

    ``return_params=True`` also returns one record per step, made of plain
    Python values (``json.dumps`` writes it), e.g.
    ``{"step": "gain", "applied": True, "db": 3.21}``; steps whose function
    takes ``rng`` record the integer seed of the generator they were given.
    :meth:`replay` applies such records again, bit-identically; calling the
    pipeline again with the same ``index`` and ``epoch`` does too.

    The input is never modified; the output is a new float32 array.

    Taught in :doc:`/book/07_augmentation`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.augment import Pipeline, Step, Uniform
    >>> from audiotut.loudness import peak_db, peak_normalize
    >>> pipe = Pipeline([Step(peak_normalize, p=0.8, peak_db=Uniform(-12, -1))], seed=0)
    >>> y = 0.5 * np.sin(np.linspace(0, 200, 4000)).astype(np.float32)
    >>> out, params = pipe(y, sr=16000, index=1, return_params=True)
    >>> params[0]["applied"], round(peak_db(out), 4) == round(params[0]["peak_db"], 4)
    (True, True)
    >>> bool(np.array_equal(out, pipe(y, sr=16000, index=1)))
    True
    >>> bool(np.array_equal(out, pipe.replay(y, sr=16000, params=params)))
    True
    """

    def __init__(self, steps: Sequence[Step | OneOf], *, seed: int = 0) -> None:
        self.steps = _check_steps(steps, "Pipeline")
        self.seed = _whole(seed, "seed")

    def _seeds(self, index: object, epoch: object) -> list:
        index = _whole(index, "index")
        epoch = _whole(epoch, "epoch")
        return np.random.SeedSequence([self.seed, epoch, index]).spawn(len(self.steps))

    def __call__(self, y: np.ndarray, *, sr: int, index: int, epoch: int = 0,
                 return_params: bool = False) -> np.ndarray | tuple[np.ndarray, list[dict]]:
        """Augment ``y`` as item ``index`` of epoch ``epoch``.

        Returns the float32 signal, or ``(signal, params)`` with
        ``return_params=True``.
        """
        y = check_float_signal(y)           # integer PCM would pass on unscaled
        sr = check_sr(sr)
        out = y.astype(np.float32, copy=True)
        records = []
        for step, seed_seq in zip(self.steps, self._seeds(index, epoch)):
            out, record = step._run(out, sr, seed_seq)
            records.append(record)
        return (out, records) if return_params else out

    def replay(self, y: np.ndarray, *, sr: int, params: Sequence[Mapping]) -> np.ndarray:
        """Apply the records returned by ``return_params=True`` again, to ``y``.

        The result is bit-identical to the call that returned them (for the
        same ``y`` and ``sr``). Edit a record to hear one change, e.g. set
        ``applied`` to False.

        Raises
        ------
        ValueError
            If the records do not match this pipeline's steps.
        """
        y = check_float_signal(y)
        sr = check_sr(sr)
        if isinstance(params, Mapping) or not isinstance(params, Sequence) \
                or len(params) != len(self.steps):
            raise ValueError(f"params must be the list of {len(self.steps)} records that "
                             "pipe(..., return_params=True) returned, one per step")
        out = y.astype(np.float32, copy=True)
        for step, record in zip(self.steps, params):
            out = step._replay(out, sr, record)
        return out

    def __len__(self) -> int:
        return len(self.steps)

    def __repr__(self) -> str:
        inner = "".join(f"    {step!r},\n" for step in self.steps)
        return f"Pipeline([\n{inner}], seed={self.seed})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Pipeline) and (self.steps, self.seed) == (other.steps, other.seed)

    __hash__ = None  # type: ignore[assignment]


class AugmentedDataset:
    """A map-style dataset of clips, augmented by a :class:`Pipeline` as item ``index``.

    ``torch.utils.data.DataLoader`` takes it as it is (it has ``__len__`` and
    ``__getitem__``); audiotut does not import torch for it. Item ``i`` is
    ``pipeline(clips[i], sr=sr, index=i, epoch=epoch)``, so it is the same in
    every worker and every run, and changes with :meth:`set_epoch`.

    Parameters
    ----------
    clips : sequence of numpy.ndarray
        The signals, ``(n,)`` or ``(channels, n)`` each.
    sr : int
        Their sample rate.
    pipeline : Pipeline
        The augmentation.
    length : int, optional
        If given, every item is cut or padded to ``length`` samples *after*
        augmentation (so that a time stretch cannot break batching): samples
        past ``length`` are dropped, shorter items get zeros at the end.
        Without it, items keep their own lengths and a DataLoader with
        ``batch_size > 1`` needs equal lengths or a ``collate_fn``.
    labels : sequence, optional
        One label per clip; items are then ``(signal, label)``.

    Raises
    ------
    ValueError
        For no clips, a bad ``sr``/``length``, labels of another length, or a
        pipeline that is not a :class:`Pipeline`.

    Notes
    -----
    ``__getitem__`` returns a float32 numpy array (the DataLoader's default
    collate turns a batch of them into a tensor). The dataset is a plain
    module-level class, so it pickles into workers started with ``spawn``
    (the default on macOS and Windows) as long as the step functions are
    module-level functions. Call :meth:`set_epoch` before iterating each
    epoch. The epoch lives in shared memory, so it reaches DataLoader workers
    of every kind, ``persistent_workers=True`` included (those keep their copy
    of the dataset between epochs, and would otherwise draw epoch 0's
    augmentations again and again); a copy pickled anywhere else (to a file, a
    queue) takes the current epoch as a plain number and is independent.
    Clips must be float (integer PCM raises a ValueError: convert it with
    :func:`audiotut.io.load` or ``y / 32768`` for 16-bit first).

    Taught in :doc:`/book/07_augmentation`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.augment import AugmentedDataset, Pipeline, Step, Uniform
    >>> from audiotut.loudness import peak_normalize
    >>> clips = [np.full(n, 0.1, dtype=np.float32) for n in (800, 1600, 2400)]
    >>> pipe = Pipeline([Step(peak_normalize, peak_db=Uniform(-12, -1))], seed=0)
    >>> ds = AugmentedDataset(clips, sr=16000, pipeline=pipe, length=1600)
    >>> len(ds), ds[0].shape, ds[0].dtype, float(ds[0][-1])
    (3, (1600,), dtype('float32'), 0.0)
    >>> first = ds[1]
    >>> ds.set_epoch(1)
    >>> bool(np.array_equal(first, ds[1]))
    False
    """

    def __init__(self, clips: Sequence[np.ndarray], *, sr: int, pipeline: Pipeline,
                 length: int | None = None, labels: Sequence | None = None) -> None:
        if isinstance(clips, np.ndarray) and clips.ndim == 1:
            raise ValueError("clips is one 1-D array; pass a list of clips, e.g. [y]")
        if not hasattr(clips, "__len__") or not hasattr(clips, "__getitem__") or len(clips) == 0:
            raise ValueError(f"clips must be a non-empty list of signals, got {clips!r:.80}")
        if not isinstance(pipeline, Pipeline):
            raise ValueError(f"pipeline must be an audiotut Pipeline, got {pipeline!r:.80}")
        if length is not None and (isinstance(length, bool) or not isinstance(
                length, (int, np.integer)) or length < 1):
            raise ValueError(f"length must be a positive whole number of samples or None, "
                             f"got {length!r}; e.g. length=sr for one-second items")
        if labels is not None and len(labels) != len(clips):
            raise ValueError(f"labels has {len(labels)} entries for {len(clips)} clips; "
                             "give one label per clip")
        self.clips = clips
        self.sr = check_sr(sr)
        self.pipeline = pipeline
        self.length = None if length is None else int(length)
        self.labels = labels
        # shared memory: DataLoader workers started from this dataset see set_epoch
        self._epoch = SharedEpoch(0)

    @property
    def epoch(self) -> int:
        """The epoch whose draws the dataset returns (set with :meth:`set_epoch`)."""
        return self._epoch.value

    def set_epoch(self, epoch: int) -> None:
        """Use the draws of epoch ``epoch`` (0 or more) from now on, in every worker."""
        self._epoch.value = _whole(epoch, "epoch")

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, index: int) -> np.ndarray | tuple[np.ndarray, Any]:
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise ValueError(f"index must be a whole number, got {index!r}")
        n = len(self.clips)
        if not -n <= index < n:
            raise IndexError(f"index {index} is out of range for a dataset of {n} clips")
        index = int(index) % n
        clip = check_float_signal(self.clips[index], name=f"clips[{index}]")
        y = self.pipeline(clip, sr=self.sr, index=index, epoch=self.epoch)
        if self.length is not None:
            y = y[..., :self.length]
            if y.shape[-1] < self.length:
                pad = [(0, 0)] * (y.ndim - 1) + [(0, self.length - y.shape[-1])]
                y = np.pad(y, pad)
        return y if self.labels is None else (y, self.labels[index])

    def __repr__(self) -> str:
        return (f"AugmentedDataset({len(self)} clips, sr={self.sr}, length={self.length}, "
                f"epoch={self.epoch}, pipeline={self.pipeline!r})")


# --------------------------------------------------------------------------- SpecAugment


@dataclasses.dataclass(frozen=True)
class SpecAugmentPolicy:
    """A SpecAugment policy: the six numbers of Park et al. (2019), Table 1.

    Parameters
    ----------
    W : int
        Time-warp parameter: the warp moves a frame by up to ``W`` frames.
    F : int
        Frequency-mask parameter: each mask covers up to ``F`` mel channels.
    mF : int
        Number of frequency masks.
    T : int
        Time-mask parameter: each mask covers up to ``T`` frames.
    p : float
        Upper bound of a time mask as a fraction of the frames, in [0, 1].
    mT : int
        Number of time masks.

    Raises
    ------
    ValueError
        For a negative or non-whole count/width, or ``p`` outside [0, 1].

    Notes
    -----
    Taught in :doc:`/book/07_augmentation`.

    Examples
    --------
    >>> from audiotut.augment import POLICIES, SpecAugmentPolicy
    >>> POLICIES["LD"]
    SpecAugmentPolicy(W=80, F=27, mF=2, T=100, p=1.0, mT=2)
    >>> SpecAugmentPolicy(W=0, F=10, mF=1, T=20, p=1.0, mT=1).F
    10
    """

    W: int  # noqa: N815 - the paper's names
    F: int  # noqa: N815
    mF: int  # noqa: N815
    T: int  # noqa: N815
    p: float
    mT: int  # noqa: N815

    def __post_init__(self) -> None:
        for name in ("W", "F", "mF", "T", "mT"):
            object.__setattr__(self, name, _whole(getattr(self, name), name))
        object.__setattr__(self, "p", _probability(self.p, "SpecAugmentPolicy"))


#: The paper's policies (Park et al., 2019, Table 1): LibriSpeech basic/double,
#: Switchboard mild/strong. Read-only.
POLICIES: Mapping[str, SpecAugmentPolicy] = types.MappingProxyType({
    "LB": SpecAugmentPolicy(W=80, F=27, mF=1, T=100, p=1.0, mT=1),
    "LD": SpecAugmentPolicy(W=80, F=27, mF=2, T=100, p=1.0, mT=2),
    "SM": SpecAugmentPolicy(W=40, F=15, mF=2, T=70, p=0.2, mT=2),
    "SS": SpecAugmentPolicy(W=40, F=27, mF=2, T=70, p=0.2, mT=2),
})


def _policy(policy: object) -> SpecAugmentPolicy:
    if isinstance(policy, SpecAugmentPolicy):
        return policy
    if isinstance(policy, str) and policy in POLICIES:
        return POLICIES[policy]
    raise ValueError(f"unknown SpecAugment policy {policy!r}; use one of {sorted(POLICIES)} "
                     "(Park et al., 2019, Table 1) or a SpecAugmentPolicy(W, F, mF, T, p, mT)")


def _mask_value(mask_value: object) -> str | float:
    if isinstance(mask_value, str) and mask_value == "mean":
        return "mean"
    if isinstance(mask_value, bool) or not isinstance(
            mask_value, (int, float, np.integer, np.floating)) or not np.isfinite(mask_value):
        raise ValueError(f"mask_value must be 'mean' or a finite number, got {mask_value!r}")
    return float(mask_value)


def _limits(policy: SpecAugmentPolicy, nu: int, tau: int, time_warp: bool) -> tuple:
    """The widths actually used for a (nu, tau) spectrogram: masks and warp shrink to fit."""
    max_f = min(policy.F, nu)
    max_t = min(policy.T, int(math.floor(policy.p * tau)))
    warp = min(policy.W, (tau - 2) // 2) if time_warp else 0
    return max_f, max_t, max(warp, 0)


def _warp_source(centre, shift, tau: int, xp):
    """Source time of every output frame for a piecewise-linear warp moving ``centre`` by
    ``shift`` frames (frames 0 and tau-1 stay); ``centre`` and ``shift`` have shape (B, 1)."""
    x = xp.arange(tau, dtype=centre.dtype)[None, :] if xp is np else \
        xp.arange(tau, dtype=centre.dtype, device=centre.device)[None, :]
    dest = centre + shift
    left = x * (centre / dest)
    right = centre + (x - dest) * ((tau - 1 - centre) / (tau - 1 - dest))
    return xp.where(x <= dest, left, right)


def _warp_numpy(S: np.ndarray, centre: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Warp (B, nu, tau) along time, linear interpolation between frames."""
    tau = S.shape[-1]
    src = _warp_source(centre[:, None].astype(np.float64), shift[:, None].astype(np.float64),
                       tau, np)
    i0 = np.clip(np.floor(src), 0, tau - 2).astype(np.intp)
    frac = (src - i0).astype(S.dtype)[:, None, :]
    a = np.take_along_axis(S, i0[:, None, :], axis=-1)
    b = np.take_along_axis(S, i0[:, None, :] + 1, axis=-1)
    return a + (b - a) * frac


def _band_masks_numpy(u: np.ndarray, size: int, max_width: int) -> tuple:
    """Masks from uniform draws u (B, m, 2): width floor(u0 (max+1)), start floor(u1 (size-w+1)).
    Returns the boolean mask (B, size), widths and starts."""
    width = np.minimum(np.floor(u[..., 0] * (max_width + 1)), max_width)
    start = np.floor(u[..., 1] * (size - width + 1))
    pos = np.arange(size)
    inside = (pos >= start[..., None]) & (pos < (start + width)[..., None])
    return inside.any(axis=1), width.astype(int), start.astype(int)


def _check_spectrogram(S: object) -> np.ndarray:
    if not isinstance(S, np.ndarray):
        raise ValueError(f"S must be a numpy array (n_mels, frames), got {type(S).__name__}; "
                         "for a torch tensor use SpecAugment")
    if S.dtype.kind not in "fiu":
        raise ValueError(f"S has dtype {S.dtype}; SpecAugment masks a real spectrogram. For a "
                         "complex STFT take np.abs() (and a mel filterbank and dB) first")
    if S.ndim < 2:
        raise ValueError(f"S has shape {S.shape}; expected (n_mels, frames) or "
                         "(..., n_mels, frames)")
    if S.size == 0:
        raise ValueError(f"S has shape {S.shape} and holds no values")
    if S.dtype.kind == "f" and not np.isfinite(S).all():
        raise ValueError(f"S holds {int((~np.isfinite(S)).sum())} NaN or infinite values; a "
                         "log of zero gives -inf: add a small floor before the log "
                         "(librosa.power_to_db does)")
    return S


def spec_augment(S: np.ndarray, *, policy: str | SpecAugmentPolicy = "LD",
                 rng: int | np.random.Generator | None = None,
                 mask_value: str | float = "mean", time_warp: bool = True) -> np.ndarray:
    """SpecAugment (Park et al., 2019): time warp, frequency masks and time masks.

    For each spectrogram, in the paper's order:

    1. **Time warp** (if ``time_warp``): a frame ``w0`` drawn from
       ``(W, tau - W)`` moves by ``w ~ U[-W, W]`` frames; the frames before it
       are stretched linearly onto ``[0, w0 + w]`` and those after it onto the
       rest, so the first and last frames stay put.
    2. ``mF`` **frequency masks**: width ``f`` uniform on ``{0, ..., F}``,
       first channel ``f0`` uniform on ``{0, ..., nu - f}``; the channels
       ``[f0, f0 + f)`` are set to the mask value.
    3. ``mT`` **time masks**: width ``t`` uniform on ``{0, ..., min(T, floor(p tau))}``,
       first frame ``t0`` uniform on ``{0, ..., tau - t}``.

    Parameters
    ----------
    S : numpy.ndarray
        Real spectrogram ``(n_mels, frames)`` (``nu`` channels, ``tau`` frames),
        or a stack ``(..., n_mels, frames)``: each leading index (example,
        channel) gets its own independent warp and masks. Usually log-mel.
    policy : {"LB", "LD", "SM", "SS"} or SpecAugmentPolicy
        One of :data:`POLICIES` or your own numbers.
    rng : int, numpy.random.Generator or None
        Seed or generator.
    mask_value : "mean" or float
        What masked cells become: ``"mean"``, the mean of that spectrogram (of
        each leading index, before masking), or a number (0.0 for features
        normalized to zero mean, as in the paper).
    time_warp : bool
        Whether to warp.

    Returns
    -------
    numpy.ndarray
        A new array, same shape; same dtype for float input, float32 for
        integer input. ``S`` is not modified.

    Raises
    ------
    ValueError
        For an unknown policy (the message lists them), or ``S`` that is not a
        real, finite, non-empty array of at least 2 dimensions.

    Notes
    -----
    *Small spectrograms* never fail: mask widths shrink to at most ``nu``
    channels and ``floor(p · tau)`` frames, and ``W`` shrinks to
    ``(tau - 2) // 2`` so that ``w0`` has room on both sides (with fewer than 4
    frames there is no warp).

    *Why piecewise-linear warping.* The paper warps with TensorFlow's
    ``sparse_image_warp``: one point on the centre line moves by ``w`` while
    the image border is pinned, and a polyharmonic spline interpolates the
    displacement in between, so the shift is largest on the centre line and
    eases off towards the top and bottom. With the anchor points only on that
    line and the border, what it does along time is essentially a stretch of
    ``[0, w0]`` and a squeeze of ``[w0, tau]``; ESPnet's ``time_warp`` (and most
    reimplementations) take that piecewise-linear map directly, the same for
    every channel. It costs one interpolation per frame, needs no spline
    solve, runs batched in NumPy and torch alike (see :class:`SpecAugment`),
    and the paper's own ablation found time warping the least important of
    the three parts; ``time_warp=False`` drops it. The warp resamples each
    row by linear interpolation between neighbouring frames, without
    smoothing: where one side is squeezed by more than 2:1, some frames fall
    between samples and are skipped, as in ESPnet.

    The width draws are discrete uniform, inclusive of ``F`` and ``T``; the
    start is uniform over every position where the mask fits (the paper writes
    ``[0, nu - f)``; including ``nu - f`` lets a mask reach the last channel).

    Reference: D. S. Park et al., "SpecAugment: A Simple Data Augmentation
    Method for Automatic Speech Recognition", Interspeech 2019,
    arXiv:1904.08779.

    Taught in :doc:`/book/07_augmentation`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.augment import spec_augment
    >>> S = np.random.default_rng(0).normal(size=(80, 300)).astype(np.float32)
    >>> out = spec_augment(S, policy="LB", rng=1, mask_value=-100.0, time_warp=False)
    >>> masked_rows = int(np.all(out == -100, axis=1).sum())
    >>> masked_cols = int(np.all(out == -100, axis=0).sum())
    >>> out.shape, 0 <= masked_rows <= 27, 0 <= masked_cols <= 100
    ((80, 300), True, True)
    >>> bool(np.array_equal(out, spec_augment(S, policy="LB", rng=1, mask_value=-100.0,
    ...                                       time_warp=False)))
    True
    """
    S = _check_spectrogram(S)
    pol = _policy(policy)
    value = _mask_value(mask_value)
    gen = check_rng(rng)
    shape = S.shape
    nu, tau = shape[-2:]
    dtype = S.dtype if S.dtype.kind == "f" else np.dtype(np.float32)
    flat = S.reshape(-1, nu, tau).astype(dtype, copy=True)
    batch = flat.shape[0]
    max_f, max_t, warp = _limits(pol, nu, tau, time_warp)
    fill = flat.mean(axis=(1, 2), keepdims=True) if value == "mean" \
        else np.full((batch, 1, 1), value, dtype=dtype)
    if warp >= 1:
        centre = warp + 1 + np.floor(gen.random(batch) * (tau - 2 * warp - 1))
        shift = (2 * gen.random(batch) - 1) * warp
        flat = _warp_numpy(flat, centre, shift)
    freq_mask, _, _ = _band_masks_numpy(gen.random((batch, pol.mF, 2)), nu, max_f)
    time_mask, _, _ = _band_masks_numpy(gen.random((batch, pol.mT, 2)), tau, max_t)
    masked = freq_mask[:, :, None] | time_mask[:, None, :]
    out = np.where(masked, fill.astype(dtype), flat)
    return out.reshape(shape)


# --------------------------------------------------------------------------- SpecAugment (torch)


_SPEC_AUGMENT_DOC = """SpecAugment as a ``torch.nn.Module``, masking on the input's own device.

    The same policies and draws as :func:`spec_augment` (time warp, then
    ``mF`` frequency masks and ``mT`` time masks, widths uniform on
    ``{0, ..., F}`` and ``{0, ..., min(T, floor(p tau))}``), built from
    ``torch.rand`` on ``x.device`` and tensor ops only, with no host
    synchronization, so it can sit in a model's forward pass on a GPU. Every
    leading index of ``x`` (each example of the batch, and each channel) gets
    its own warp and masks. In ``eval()`` mode it returns ``x`` unchanged.

    Parameters
    ----------
    policy : {"LB", "LD", "SM", "SS"} or SpecAugmentPolicy
        One of :data:`POLICIES` or your own numbers.
    mask_value : "mean" or float
        ``"mean"``: the mean of each spectrogram (per leading index), or a
        number.
    time_warp : bool
        Whether to warp (piecewise-linear in time; see :func:`spec_augment`).

    Raises
    ------
    ValueError
        For an unknown policy or mask value; in ``forward``, for an ``x`` that
        is not a floating-point tensor of at least 2 dimensions.

    Notes
    -----
    ``forward(x, *, generator=None)`` takes ``(batch, ..., n_mels, frames)``
    (a single ``(n_mels, frames)`` works too) and an optional
    :class:`torch.Generator` on ``x``'s device for reproducible masks. It does
    not check ``x`` for NaN (that would synchronize with the host). Gradients
    flow through the unmasked cells.

    Taught in :doc:`/book/07_augmentation`.

    Examples
    --------
    >>> import torch
    >>> from audiotut.augment import SpecAugment
    >>> aug = SpecAugment("LD", mask_value=0.0)
    >>> x = torch.ones(4, 80, 300)
    >>> y = aug(x, generator=torch.Generator().manual_seed(0))
    >>> y.shape, y.device == x.device, bool((y == 0).any()), bool((x == 1).all())
    (torch.Size([4, 80, 300]), True, True, True)
    >>> bool(aug.eval()(x) is x)
    True
    """

_LAZY_CLASSES: dict[str, type] = {}


def _spec_augment_class() -> type:
    """Build (once) and return the SpecAugment module class; imports torch."""
    if "SpecAugment" in _LAZY_CLASSES:
        return _LAZY_CLASSES["SpecAugment"]
    torch = require_torch("audiotut.augment.SpecAugment")

    def band_masks(u, size: int, max_width: int):
        width = torch.clamp(torch.floor(u[..., 0] * (max_width + 1)), max=max_width)
        start = torch.floor(u[..., 1] * (size - width + 1))
        pos = torch.arange(size, device=u.device, dtype=u.dtype)
        inside = (pos >= start[..., None]) & (pos < (start + width)[..., None])
        return inside.any(dim=1)

    class SpecAugment(torch.nn.Module):
        __doc__ = _SPEC_AUGMENT_DOC

        def __init__(self, policy: str | SpecAugmentPolicy = "LD", *,
                     mask_value: str | float = "mean", time_warp: bool = True) -> None:
            super().__init__()
            self.policy = _policy(policy)
            self.mask_value = _mask_value(mask_value)
            self.time_warp = bool(time_warp)

        def forward(self, x: torch.Tensor, *, generator: torch.Generator | None = None):
            if not self.training:
                return x
            if not isinstance(x, torch.Tensor) or not x.is_floating_point() or x.ndim < 2 \
                    or x.numel() == 0:
                raise ValueError(f"SpecAugment takes a non-empty floating-point tensor "
                                 f"(batch, ..., n_mels, frames), got "
                                 f"{getattr(x, 'dtype', type(x).__name__)} "
                                 f"{tuple(getattr(x, 'shape', ()))}")
            shape = x.shape
            nu, tau = shape[-2], shape[-1]
            flat = x.reshape(-1, nu, tau)
            batch = flat.shape[0]
            pol = self.policy
            max_f, max_t, warp = _limits(pol, nu, tau, self.time_warp)
            kw = {"generator": generator, "device": x.device, "dtype": torch.float32}
            if self.mask_value == "mean":
                fill = flat.mean(dim=(1, 2), keepdim=True)
            else:
                fill = torch.full((batch, 1, 1), self.mask_value, dtype=x.dtype, device=x.device)
            if warp >= 1:
                u = torch.rand(batch, 2, **kw)   # float32: MPS has no float64
                centre = warp + 1 + torch.floor(u[:, :1] * (tau - 2 * warp - 1))
                shift = (2 * u[:, 1:] - 1) * warp
                src = _warp_source(centre, shift, tau, torch)
                i0 = torch.clamp(torch.floor(src), 0, tau - 2).long()
                frac = (src - i0).to(x.dtype)[:, None, :]
                index = i0[:, None, :].expand(batch, nu, tau)
                a = torch.gather(flat, -1, index)
                b = torch.gather(flat, -1, index + 1)
                flat = a + (b - a) * frac
            freq_mask = band_masks(torch.rand(batch, pol.mF, 2, **kw), nu, max_f)
            time_mask = band_masks(torch.rand(batch, pol.mT, 2, **kw), tau, max_t)
            masked = freq_mask[:, :, None] | time_mask[:, None, :]
            return torch.where(masked, fill.to(flat.dtype), flat).reshape(shape)

        def extra_repr(self) -> str:
            return (f"policy={self.policy}, mask_value={self.mask_value!r}, "
                    f"time_warp={self.time_warp}")

    SpecAugment.__module__ = __name__
    SpecAugment.__qualname__ = "SpecAugment"
    _LAZY_CLASSES["SpecAugment"] = SpecAugment
    return SpecAugment


#: Public names built on first access (they import torch); see ``__getattr__``.
_LAZY = {"SpecAugment": _spec_augment_class}
#: Run the lazily built class's docstring as a doctest too (doctest cannot find the class).
__test__ = {"SpecAugment": _SPEC_AUGMENT_DOC}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return _LAZY[name]()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
