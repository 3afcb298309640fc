"""Effects: one recording turned into many plausible ones, each a thin layer over
the field's library that does the work.

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
Import them from :mod:`audiotut.augment`, which re-exports them.

Taught in :doc:`/book/07_augmentation`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .. import synth
from .._pedalboard import process as process_with_plugin
from .._validate import (check_float_signal, check_positive, check_rng, check_signal,
                         check_sr)

__all__ = ["add_noise", "change_speed", "distort", "echo", "fade", "gain", "highpass",
           "highshelf", "lowpass", "lowshelf", "mix_sources", "pitch_shift", "reverb",
           "shift", "time_stretch"]

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
    vocoder, which spreads every click over its window (the default 2048
    samples, 128 ms at 16 kHz; with ``n_fft=512`` or ``256`` it keeps -4.8 or
    -16.9 dB, still short of Rubber Band). librosa
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
    -5.8 dB) where librosa's phase vocoder with its default 2048-sample window
    smears them entirely (-0.04 dB); with ``n_fft=256`` (16 ms) the vocoder
    does as well (-6.1 dB).
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
    response is -3 dB at ``cutoff_hz`` and, in the analogue prototype, falls
    by ``6 * order`` dB per octave {side} it: the default order 4 is about
    -24 dB one octave {side} a cutoff well below Nyquist. The bilinear
    transform that makes the filter digital maps Nyquist to the analogue
    infinity, so near Nyquist a low-pass falls faster than that (order 4 at
    3.4 kHz, 16 kHz: -64 dB at 7 kHz, where the prototype gives -25 dB). pedalboard's ``{plugin}`` is first-order only (6 dB per octave),
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
