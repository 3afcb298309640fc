"""Synthesizing sound: tones, sweeps, classic waveforms, coloured noise, notes,
mixtures at a chosen SNR, speech, and rooms.

- :func:`tone` and :func:`chirp` sample a sine (or a sweep, with
  :func:`scipy.signal.chirp`) at ``sr``, as the talk does with ``np.sin``.
- :func:`square`, :func:`sawtooth` and :func:`triangle` are band-limited by
  default: they sum the waveform's Fourier series up to the Nyquist frequency,
  so no partial folds back; ``bandlimited=False`` gives the naive, aliased
  waveform for comparison.
- :func:`noise` shapes Gaussian white noise in the frequency domain into
  white, pink (−3 dB/octave) or brown (−6 dB/octave) noise.
- :func:`adsr`, :func:`note` and :func:`melody` build short musical phrases
  from note names (``"A4"``, through :func:`librosa.note_to_hz`).
- :func:`mix` adds noise to a signal at an exact signal-to-noise ratio.
- :func:`speech` speaks text offline with eSpeak NG, loaded from the
  ``espeakng-loader`` wheel (library and voice data included, nothing to install
  with apt), and resampled with soxr.
- :func:`room_impulse_response` and :func:`reverberate` simulate a shoebox room
  with `pyroomacoustics <https://pyroomacoustics.readthedocs.io>`_ (image-source
  method) for one source and any number of microphones.

Every function returns float32, channel-first where there are channels; the
one random function, :func:`noise`, takes ``rng=`` (a seed or a
:class:`numpy.random.Generator`).

Taught in :doc:`/book/03_synthesis`.
"""

from __future__ import annotations

import ctypes
import math
import threading
from collections.abc import Sequence

import numpy as np

from ._validate import check_positive, check_rng, check_signal, check_sr
from .errors import AudiotutError

__all__ = [
    "adsr",
    "chirp",
    "melody",
    "mix",
    "noise",
    "note",
    "reverberate",
    "room_impulse_response",
    "sawtooth",
    "speech",
    "square",
    "tone",
    "triangle",
    "voices",
]

#: Power-spectrum slope of each noise colour, in powers of frequency (P ∝ f**-beta).
NOISE_COLORS = {"white": 0.0, "pink": 1.0, "brown": 2.0}
#: RMS level of :func:`noise`: −20 dBFS, so that Gaussian peaks stay far below full scale.
NOISE_RMS = 0.1


def _samples(duration: object, sr: int) -> int:
    duration = check_positive(duration, "duration", "seconds")
    n = int(round(duration * sr))
    if n < 1:
        raise ValueError(f"duration={duration!r} s is shorter than one sample at sr={sr}")
    return n


def _frequency(freq: object, name: str, sr: int) -> float:
    freq = check_positive(freq, name, "Hz")
    if freq >= sr / 2:
        raise ValueError(
            f"{name}={freq:g} Hz is at or above the Nyquist frequency sr/2 = {sr / 2:g} Hz, "
            "so its samples would be those of a lower, aliased frequency (see "
            "audiotut.sampling.alias_frequency); raise sr or choose a lower frequency"
        )
    return freq


def _amplitude(amplitude: object) -> float:
    if isinstance(amplitude, bool) or not isinstance(amplitude, (int, float, np.integer, np.floating)):
        raise ValueError(f"amplitude must be a number between 0 and 1, got {amplitude!r}")
    if not 0 <= amplitude <= 1:
        raise ValueError(
            f"amplitude={amplitude!r} is outside [0, 1]; full scale is 1.0, so larger values clip"
        )
    return float(amplitude)


# --------------------------------------------------------------------------- tones and sweeps


def tone(freq: float, *, sr: int, duration: float, amplitude: float = 1.0,
         phase: float = 0.0) -> np.ndarray:
    """A sine tone: ``amplitude * sin(2π · freq · t + phase)`` sampled at ``sr``.

    Parameters
    ----------
    freq : float
        Frequency in Hz, below the Nyquist frequency ``sr / 2``.
    sr : int
        Sample rate in Hz.
    duration : float
        Length in seconds (rounded to whole samples).
    amplitude : float
        Peak value, between 0 and 1.
    phase : float
        Starting phase in radians.

    Returns
    -------
    numpy.ndarray
        float32, shape ``(round(duration * sr),)``.

    Raises
    ------
    ValueError
        For a frequency at or above ``sr / 2``, a non-positive duration, or an
        amplitude outside [0, 1].

    Notes
    -----
    Taught in :doc:`/book/03_synthesis`.

    Examples
    --------
    >>> from audiotut.synth import tone
    >>> y = tone(440, sr=16000, duration=0.5, amplitude=0.5)
    >>> y.shape, y.dtype, round(float(y.max()), 2)
    ((8000,), dtype('float32'), 0.5)
    """
    sr = check_sr(sr)
    freq = _frequency(freq, "freq", sr)
    n = _samples(duration, sr)
    amplitude = _amplitude(amplitude)
    if isinstance(phase, bool) or not isinstance(phase, (int, float, np.integer, np.floating)) \
            or not np.isfinite(phase):
        raise ValueError(f"phase must be a finite number of radians, got {phase!r}")
    t = np.arange(n) / sr
    return (amplitude * np.sin(2 * np.pi * freq * t + phase)).astype(np.float32)


def chirp(f0: float, f1: float, *, sr: int, duration: float, method: str = "linear") -> np.ndarray:
    """A sine sweep from ``f0`` to ``f1`` Hz over ``duration`` seconds, at full scale.

    A thin layer over :func:`scipy.signal.chirp`: ``"linear"`` moves the
    frequency by the same number of Hz every second, ``"logarithmic"`` by the
    same number of octaves (the sweep used to measure systems, since it spends
    equal time in every octave).

    Parameters
    ----------
    f0, f1 : float
        Start and end frequency in Hz, both below ``sr / 2``.
    sr : int
        Sample rate in Hz.
    duration : float
        Length in seconds.
    method : {"linear", "logarithmic"}
        How the frequency moves.

    Returns
    -------
    numpy.ndarray
        float32, shape ``(round(duration * sr),)``, peak 1.

    Raises
    ------
    ValueError
        For a frequency at or above ``sr / 2`` or an unknown method.

    Notes
    -----
    Taught in :doc:`/book/03_synthesis`.

    Examples
    --------
    >>> from audiotut.synth import chirp
    >>> y = chirp(100, 4000, sr=16000, duration=1.0, method="logarithmic")
    >>> y.shape, y.dtype
    ((16000,), dtype('float32'))
    """
    import scipy.signal

    sr = check_sr(sr)
    f0 = _frequency(f0, "f0", sr)
    f1 = _frequency(f1, "f1", sr)
    n = _samples(duration, sr)
    if method not in ("linear", "logarithmic"):
        raise ValueError(f"method must be 'linear' or 'logarithmic', got {method!r}")
    t = np.arange(n) / sr
    end = (n - 1) / sr if n > 1 else 1.0 / sr
    return scipy.signal.chirp(t, f0=f0, t1=end, f1=f1, method=method, phi=-90).astype(np.float32)


# --------------------------------------------------------------------------- classic waveforms


def _waveform(kind: str, freq: object, sr: object, duration: object, bandlimited: bool,
              amplitude: object) -> np.ndarray:
    sr = check_sr(sr)
    freq = _frequency(freq, "freq", sr)
    n = _samples(duration, sr)
    amplitude = _amplitude(amplitude)
    if not isinstance(bandlimited, (bool, np.bool_)):
        raise ValueError(f"bandlimited must be True or False, got {bandlimited!r}")
    t = np.arange(n) / sr
    if not bandlimited:
        cycle = np.mod(freq * t, 1.0)                   # where in its period each sample is
        if kind == "square":
            y = np.where(cycle < 0.5, 1.0, -1.0)
        elif kind == "sawtooth":
            y = 2.0 * np.mod(cycle + 0.5, 1.0) - 1.0
        else:
            y = 1.0 - 4.0 * np.abs(np.mod(cycle + 0.25, 1.0) - 0.5)
        return (amplitude * y).astype(np.float32)
    # The Fourier series of the same waveform, summed only up to sr / 2.
    harmonics = np.arange(1, int(np.ceil(sr / 2 / freq)))
    harmonics = harmonics[harmonics * freq < sr / 2]
    if kind == "square":
        harmonics = harmonics[harmonics % 2 == 1]
        weights = 4 / (np.pi * harmonics)
    elif kind == "sawtooth":
        weights = 2 / (np.pi * harmonics) * (-1.0) ** (harmonics + 1)
    else:
        harmonics = harmonics[harmonics % 2 == 1]
        weights = 8 / (np.pi * harmonics) ** 2 * (-1.0) ** ((harmonics - 1) // 2)
    y = np.zeros(n)
    for k, weight in zip(harmonics, weights):
        # wrapping the phase first keeps sin() exact for long signals
        y += weight * np.sin(2 * np.pi * np.mod(k * freq * t, 1.0))
    return (amplitude * y).astype(np.float32)


_WAVEFORM_DOC = """A {kind} wave at ``freq`` Hz, band-limited unless ``bandlimited=False``.

    The naive waveform (``bandlimited=False``) jumps{jumps} between samples; its
    partials go on forever, and those above the Nyquist frequency ``sr / 2`` fold
    back as aliases at frequencies that are not harmonics of ``freq``. The
    band-limited version sums the waveform's Fourier series ({series}) only up to
    ``sr / 2``, so it holds exactly the harmonics that fit, and nothing else.

    Parameters
    ----------
    freq : float
        Fundamental frequency in Hz, below ``sr / 2``.
    sr : int
        Sample rate in Hz.
    duration : float
        Length in seconds.
    bandlimited : bool
        ``True`` (the default): no aliasing. ``False``: the naive waveform.
    amplitude : float
        Nominal peak, between 0 and 1.{gibbs}

    Returns
    -------
    numpy.ndarray
        float32, shape ``(round(duration * sr),)``.

    Raises
    ------
    ValueError
        For a frequency at or above ``sr / 2``, a non-positive duration, or an
        amplitude outside [0, 1].

    Notes
    -----
    Taught in :doc:`/book/03_synthesis`; aliasing itself is taught in chapter 1
    (sampling).

    Examples
    --------
    >>> from audiotut.synth import {kind}
    >>> naive = {kind}(1234, sr=16000, duration=0.5, bandlimited=False)
    >>> clean = {kind}(1234, sr=16000, duration=0.5)
    >>> naive.shape == clean.shape == (8000,)
    True
    """

_GIBBS = (" The band-limited {kind} overshoots its nominal peak by up to 18 % next to each "
          "jump (the Gibbs phenomenon), so the default 0.8 stays below full scale.")


def square(freq: float, *, sr: int, duration: float, bandlimited: bool = True,
           amplitude: float = 0.8) -> np.ndarray:
    return _waveform("square", freq, sr, duration, bandlimited, amplitude)


def sawtooth(freq: float, *, sr: int, duration: float, bandlimited: bool = True,
             amplitude: float = 0.8) -> np.ndarray:
    return _waveform("sawtooth", freq, sr, duration, bandlimited, amplitude)


def triangle(freq: float, *, sr: int, duration: float, bandlimited: bool = True,
             amplitude: float = 0.8) -> np.ndarray:
    return _waveform("triangle", freq, sr, duration, bandlimited, amplitude)


square.__doc__ = _WAVEFORM_DOC.format(
    kind="square", jumps=" from +1 to −1 and back", series="odd harmonics, amplitude 1/k",
    gibbs=_GIBBS.format(kind="square"))
sawtooth.__doc__ = _WAVEFORM_DOC.format(
    kind="sawtooth", jumps=" from +1 to −1 once a period", series="all harmonics, amplitude 1/k",
    gibbs=_GIBBS.format(kind="sawtooth"))
triangle.__doc__ = _WAVEFORM_DOC.format(
    kind="triangle", jumps=" in slope (not in value)",
    series="odd harmonics, amplitude 1/k²", gibbs="")


# --------------------------------------------------------------------------- noise


def noise(*, sr: int, duration: float, color: str = "white",
          rng: int | np.random.Generator | None = None) -> np.ndarray:
    """Gaussian noise with a white, pink or brown power spectrum, at −20 dBFS RMS.

    White noise has equal power per hertz (flat spectrum). Pink noise has equal
    power per octave: its power spectrum falls as ``1/f``, −3 dB per octave.
    Brown (Brownian, "red") noise falls as ``1/f²``, −6 dB per octave, like a
    random walk. Each is made by drawing white Gaussian noise, multiplying its
    FFT by ``f**(-beta/2)`` and transforming back (the DC bin is set to 0).

    Parameters
    ----------
    sr : int
        Sample rate in Hz.
    duration : float
        Length in seconds.
    color : {"white", "pink", "brown"}
        The spectral slope.
    rng : int, numpy.random.Generator or None
        A seed or a generator, for reproducible noise; ``None`` draws fresh
        noise every call.

    Returns
    -------
    numpy.ndarray
        float32, shape ``(round(duration * sr),)``, RMS exactly 0.1 (−20 dBFS),
        zero mean.

    Raises
    ------
    ValueError
        For an unknown colour or a bad ``rng``.

    Notes
    -----
    Taught in :doc:`/book/03_synthesis`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.synth import noise
    >>> y = noise(sr=16000, duration=1.0, color="pink", rng=0)
    >>> round(float(np.sqrt(np.mean(y ** 2))), 3)
    0.1
    >>> bool(np.array_equal(y, noise(sr=16000, duration=1.0, color="pink", rng=0)))
    True
    """
    sr = check_sr(sr)
    n = _samples(duration, sr)
    if color not in NOISE_COLORS:
        raise ValueError(f"color must be one of {sorted(NOISE_COLORS)}, got {color!r}")
    generator = check_rng(rng)
    white = generator.standard_normal(n)
    spectrum = np.fft.rfft(white)
    freqs = np.fft.rfftfreq(n, d=1 / sr)
    beta = NOISE_COLORS[color]
    gain = np.zeros_like(freqs)
    gain[1:] = freqs[1:] ** (-beta / 2)
    shaped = np.fft.irfft(spectrum * gain, n=n)
    if n == 1 or not np.any(shaped):
        raise ValueError(f"duration={duration!r} s is too short to hold {color} noise; "
                         "use at least a few samples")
    shaped -= shaped.mean()
    shaped *= NOISE_RMS / np.sqrt(np.mean(shaped**2))
    return shaped.astype(np.float32)


# --------------------------------------------------------------------------- notes


def adsr(duration: float, *, sr: int, attack: float = 0.01, decay: float = 0.1,
         sustain: float = 0.7, release: float = 0.2) -> np.ndarray:
    """An attack–decay–sustain–release envelope lasting ``duration`` seconds.

    The level rises linearly from 0 to 1 during ``attack``, falls to
    ``sustain`` during ``decay``, holds, and falls to 0 during the last
    ``release`` seconds. When attack, decay and release together are longer
    than the note, all three are shortened in proportion to fit.

    Parameters
    ----------
    duration : float
        Total length in seconds, release included.
    sr : int
        Sample rate in Hz.
    attack, decay, release : float
        Segment lengths in seconds (>= 0).
    sustain : float
        Sustain level, between 0 and 1.

    Returns
    -------
    numpy.ndarray
        float32, shape ``(round(duration * sr),)``, values in [0, 1].

    Raises
    ------
    ValueError
        For negative segment lengths or a sustain level outside [0, 1].

    Notes
    -----
    Taught in :doc:`/book/03_synthesis`.

    Examples
    --------
    >>> from audiotut.synth import adsr
    >>> env = adsr(1.0, sr=1000, attack=0.1, decay=0.1, sustain=0.5, release=0.2)
    >>> [round(float(env[i]), 2) for i in (0, 100, 500, 999)]
    [0.0, 1.0, 0.5, 0.0]
    """
    sr = check_sr(sr)
    n = _samples(duration, sr)
    segments = {"attack": attack, "decay": decay, "release": release}
    for name, value in segments.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or not np.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a number of seconds >= 0, got {value!r}")
    if isinstance(sustain, bool) or not isinstance(sustain, (int, float, np.integer, np.floating)) \
            or not 0 <= sustain <= 1:
        raise ValueError(f"sustain must be a level between 0 and 1, got {sustain!r}")
    lengths = np.array([attack, decay, release], dtype=float) * sr
    if lengths.sum() > n:
        lengths *= n / lengths.sum()
    a, d, r = (int(round(x)) for x in lengths)
    s = max(n - a - d - r, 0)
    r = n - a - d - s
    envelope = np.concatenate([
        np.linspace(0.0, 1.0, a, endpoint=False),
        np.linspace(1.0, sustain, d, endpoint=False),
        np.full(s, float(sustain)),
        np.linspace(sustain, 0.0, r) if r > 1 else np.zeros(r),
    ])
    return envelope.astype(np.float32)


def _note_hz(name: object) -> float:
    import librosa

    if isinstance(name, str):
        try:
            return float(librosa.note_to_hz(name))
        except Exception as error:  # librosa raises ParameterError for bad names
            raise ValueError(
                f"note {name!r} is not a note name; write a letter, an optional # or b and "
                "an octave, such as 'A4' (440 Hz), 'C#5' or 'Eb3'"
            ) from error
    return check_positive(name, "note", "Hz")


def note(name: str | float, *, sr: int, duration: float, amplitude: float = 0.3,
         harmonics: Sequence[float] = (1.0, 0.5, 0.25), **envelope: float) -> np.ndarray:
    """One note: a few harmonics of a pitch, shaped by an :func:`adsr` envelope.

    Parameters
    ----------
    name : str or float
        A note name such as ``"A4"`` (converted with :func:`librosa.note_to_hz`)
        or a frequency in Hz.
    sr : int
        Sample rate in Hz.
    duration : float
        Length in seconds, release included.
    amplitude : float
        Peak level of the note, between 0 and 1.
    harmonics : sequence of float
        Relative amplitude of harmonic 1 (the fundamental), 2, 3, ...;
        harmonics at or above ``sr / 2`` are left out.
    **envelope
        ``attack``, ``decay``, ``sustain``, ``release``, passed to :func:`adsr`.

    Returns
    -------
    numpy.ndarray
        float32, shape ``(round(duration * sr),)``, peak at most ``amplitude``.

    Raises
    ------
    ValueError
        For an unknown note name, a pitch at or above ``sr / 2``, or empty or
        negative harmonics.

    Notes
    -----
    Taught in :doc:`/book/03_synthesis`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.synth import note
    >>> y = note("A4", sr=16000, duration=0.5)
    >>> spectrum = np.abs(np.fft.rfft(y))
    >>> round(float(np.argmax(spectrum) * 16000 / len(y)))
    440
    """
    sr = check_sr(sr)
    freq = _frequency(_note_hz(name), "note frequency", sr)
    amplitude = _amplitude(amplitude)
    weights = np.asarray(harmonics, dtype=float)
    if weights.ndim != 1 or weights.size == 0 or not np.all(np.isfinite(weights)) \
            or np.any(weights < 0) or not np.any(weights):
        raise ValueError(
            f"harmonics must be a non-empty list of amplitudes >= 0, not all 0, got {harmonics!r}"
        )
    n = _samples(duration, sr)
    t = np.arange(n) / sr
    y = np.zeros(n)
    for k, weight in enumerate(weights, start=1):
        if k * freq < sr / 2 and weight > 0:
            y += weight * np.sin(2 * np.pi * k * freq * t)
    peak = np.max(np.abs(y))
    if peak > 0:
        y *= amplitude / peak
    return (y * adsr(duration, sr=sr, **envelope)).astype(np.float32)


def melody(notes: Sequence[tuple[str | float | None, float]], *, sr: int, bpm: float = 120.0,
           amplitude: float = 0.3, harmonics: Sequence[float] = (1.0, 0.5, 0.25),
           **envelope: float) -> np.ndarray:
    """A phrase of :func:`note` calls, one after the other.

    Parameters
    ----------
    notes : sequence of (name, beats)
        Each note's name (``"C4"``, a frequency in Hz, or ``None`` for a rest)
        and length in beats.
    sr : int
        Sample rate in Hz.
    bpm : float
        Tempo in beats per minute (one beat lasts ``60 / bpm`` seconds).
    amplitude, harmonics, **envelope
        As in :func:`note`, for every note.

    Returns
    -------
    numpy.ndarray
        float32, shape ``(n,)``: the notes' lengths added up.

    Raises
    ------
    ValueError
        For an empty phrase, a note that is not a ``(name, beats)`` pair, or
        any error of :func:`note`.

    Notes
    -----
    Taught in :doc:`/book/03_synthesis`.

    Examples
    --------
    >>> from audiotut.synth import melody
    >>> y = melody([("C4", 1), ("E4", 1), (None, 0.5), ("G4", 1.5)], sr=16000, bpm=120)
    >>> round(len(y) / 16000, 2)
    2.0
    """
    sr = check_sr(sr)
    bpm = check_positive(bpm, "bpm", "beats per minute")
    if isinstance(notes, (str, bytes)) or not isinstance(notes, Sequence) or len(notes) == 0:
        raise ValueError(
            f"notes must be a non-empty list of (name, beats) pairs such as [('C4', 1), "
            f"('E4', 1)], got {notes!r}"
        )
    parts = []
    for index, item in enumerate(notes):
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise ValueError(f"notes[{index}] = {item!r} is not a (name, beats) pair")
        name, beats = item
        seconds = check_positive(beats, f"notes[{index}] beats", "beats") * 60.0 / bpm
        if name is None:
            parts.append(np.zeros(_samples(seconds, sr), dtype=np.float32))
        else:
            parts.append(note(name, sr=sr, duration=seconds, amplitude=amplitude,
                              harmonics=harmonics, **envelope))
    return np.concatenate(parts).astype(np.float32)


# --------------------------------------------------------------------------- mixing


def mix(signal: np.ndarray, noise: np.ndarray, *, snr_db: float) -> np.ndarray:
    """Add noise to a signal so that the signal-to-noise ratio is exactly ``snr_db``.

    The signal is left as it is; the noise is scaled by
    ``g = sqrt(P_signal / (P_noise · 10**(snr_db / 10)))``, where ``P`` is the
    mean power over all samples (and channels), and the result is
    ``signal + g · noise``. It may exceed full scale at low SNRs: check its
    peak, or lower both before saving.

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n,)`` or ``(channels, n)``, float.
    noise : numpy.ndarray
        Same shape as ``signal``.
    snr_db : float
        The SNR of the mixture in dB (10 log10 of signal power over scaled
        noise power); may be negative.

    Returns
    -------
    numpy.ndarray
        float32, same shape.

    Raises
    ------
    ValueError
        If the shapes differ, either input is digital silence (its power is 0),
        or a value is not finite.

    Notes
    -----
    Taught in :doc:`/book/03_synthesis`. :func:`audiotut.metrics.snr_db`
    measures the result: ``snr_db(signal, mixture)``.

    Examples
    --------
    >>> from audiotut.synth import mix, noise, tone
    >>> from audiotut.metrics import snr_db
    >>> clean = tone(440, sr=16000, duration=1.0, amplitude=0.5)
    >>> noisy = mix(clean, noise(sr=16000, duration=1.0, rng=0), snr_db=10.0)
    >>> round(snr_db(clean, noisy), 2)
    10.0
    """
    signal = check_signal(signal, name="signal")
    noise = check_signal(noise, name="noise")
    if signal.shape != noise.shape:
        raise ValueError(
            f"signal has shape {signal.shape} but noise has shape {noise.shape}; they must "
            "match. Trim or loop the noise to the signal's length first, e.g. noise[..., :n]"
        )
    if isinstance(snr_db, bool) or not isinstance(snr_db, (int, float, np.integer, np.floating)) \
            or not np.isfinite(snr_db):
        raise ValueError(f"snr_db must be a finite number of dB, got {snr_db!r}")
    signal_power = float(np.mean(np.square(signal, dtype=np.float64)))
    noise_power = float(np.mean(np.square(noise, dtype=np.float64)))
    if signal_power == 0:
        raise ValueError("signal is digital silence (all zeros): any noise gives an SNR of "
                         "-inf dB, so no scale can reach snr_db")
    if noise_power == 0:
        raise ValueError("noise is digital silence (all zeros): no scale can bring it to "
                         "snr_db; pass real noise, e.g. audiotut.synth.noise()")
    gain = math.sqrt(signal_power / (noise_power * 10 ** (float(snr_db) / 10)))
    return (signal.astype(np.float64) + gain * noise.astype(np.float64)).astype(np.float32)


# --------------------------------------------------------------------------- speech


class _Voice(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("languages", ctypes.c_char_p),
                ("identifier", ctypes.c_char_p), ("gender", ctypes.c_ubyte),
                ("age", ctypes.c_ubyte), ("variant", ctypes.c_ubyte), ("xx1", ctypes.c_ubyte),
                ("score", ctypes.c_int), ("spare", ctypes.c_void_p)]


_SYNTH_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                                   ctypes.c_void_p)
_AUDIO_OUTPUT_SYNCHRONOUS = 0x02
_POS_CHARACTER = 1
_ESPEAK_CHARS_UTF8 = 1
_ESPEAK = {"lock": threading.Lock(), "lib": None, "rate": 0, "chunks": [], "callback": None}


def _espeak() -> tuple[ctypes.CDLL, int]:
    """Load and initialize libespeak-ng once (caller holds the lock)."""
    if _ESPEAK["lib"] is None:
        try:
            import espeakng_loader
        except ImportError as error:
            raise ImportError(
                "speech() needs eSpeak NG from the espeakng-loader wheel: "
                "pip install espeakng-loader (no system package needed)"
            ) from error
        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SYNTH_CALLBACK]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
        lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
        lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                     ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
        lib.espeak_ng_SetRandSeed.restype = None
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0,
                                     espeakng_loader.get_data_path().encode(), 0)
        if rate <= 0:
            raise AudiotutError(f"eSpeak NG failed to initialize (code {rate}); reinstall "
                               "espeakng-loader")

        def collect(wav, count, events):
            if wav and count > 0:
                _ESPEAK["chunks"].append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
            return 0

        _ESPEAK["callback"] = _SYNTH_CALLBACK(collect)  # keep a reference: C holds a pointer
        lib.espeak_SetSynthCallback(_ESPEAK["callback"])
        _ESPEAK["lib"], _ESPEAK["rate"] = lib, rate
    return _ESPEAK["lib"], _ESPEAK["rate"]


def _voice_names(lib: ctypes.CDLL) -> list[str]:
    """Language codes of the installed voices ("en", "en-us", "ko", ...)."""
    names = set()
    voices = lib.espeak_ListVoices(None)
    index = 0
    while voices and voices[index]:
        voice = voices[index].contents
        if voice.languages:                    # a priority byte, then the main language
            names.add(voice.languages[1:].decode("ascii", "replace"))
        if voice.identifier:                   # "gmw/en" -> "en"
            names.add(voice.identifier.decode("ascii", "replace").rsplit("/", 1)[-1].lower())
        index += 1
    return sorted(name for name in names if name)


def _variant_names() -> list[str]:
    """The installed eSpeak NG voice variants ("f3", "m3", "croak", ...)."""
    import os

    import espeakng_loader

    folder = os.path.join(espeakng_loader.get_data_path(), "voices", "!v")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def voices() -> dict[str, list[str]]:
    """The eSpeak NG voices and voice variants that :func:`speech` can use.

    Returns
    -------
    dict
        ``"voices"``: the language codes of the installed voices (``"en"``,
        ``"en-us"``, ``"ko"``, ...); ``"variants"``: the variant names that can
        follow a voice after ``+`` (``"f3"``, ``"m3"``, ``"croak"``, ...). A
        variant changes the formants, pitch and voice quality of the same
        synthesizer; it is not another speaker.

    Raises
    ------
    ImportError
        If ``espeakng-loader`` is not installed.

    Notes
    -----
    Taught in :doc:`/book/03_synthesis`.

    Examples
    --------
    >>> from audiotut.synth import voices
    >>> found = voices()
    >>> "ko" in found["voices"], "f3" in found["variants"]
    (True, True)
    """
    with _ESPEAK["lock"]:
        lib, _ = _espeak()
        names = _voice_names(lib)
    return {"voices": names, "variants": _variant_names()}


def speech(text: str, *, sr: int, voice: str = "en") -> np.ndarray:
    """Speak ``text`` offline with eSpeak NG and return it at ``sr``.

    eSpeak NG is a formant synthesizer: robotic, but small, fast and
    available for about a hundred languages. It comes from the
    ``espeakng-loader`` wheel (the library and its voice data, no system
    package), is called through :mod:`ctypes` in synchronous mode, and its
    22 050 Hz output is resampled to ``sr`` with soxr.

    Parameters
    ----------
    text : str
        What to say (UTF-8; Korean, for example, with ``voice="ko"``).
    sr : int
        Sample rate of the result in Hz.
    voice : str
        An eSpeak NG voice: a language code such as ``"en"``, ``"en-us"``,
        ``"ko"``, ``"de"``, or a voice name such as ``"Korean"``; add a variant
        with ``+``, e.g. ``"en+f3"``. :func:`voices` lists both.

    Returns
    -------
    numpy.ndarray
        float32, shape ``(n,)``, samples in [-1, 1].

    Raises
    ------
    ValueError
        For empty text, or a voice or variant that is not installed (the
        message lists some that are; eSpeak NG itself would speak an unknown
        variant in the plain voice without a word).
    ImportError
        If ``espeakng-loader`` is not installed.
    audiotut.AudiotutError
        If eSpeak NG fails to start or returns no audio.

    Notes
    -----
    Taught in :doc:`/book/03_synthesis`. Calls are serialized with a lock:
    eSpeak NG keeps global state. Part of that state (its pitch "flutter")
    carries over from one call to the next, so saying the same text twice in
    one process can differ by a few milliseconds; a fresh process making the
    same calls in the same order gets the same samples.

    Examples
    --------
    >>> from audiotut.synth import speech
    >>> y = speech("hello", sr=16000)
    >>> y.dtype, 0.2 < len(y) / 16000 < 1.5
    (dtype('float32'), True)
    """
    import soxr

    sr = check_sr(sr)
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"text must be a non-empty string to speak, got {text!r}")
    if not isinstance(voice, str) or not voice.strip():
        raise ValueError(f"voice must be an eSpeak NG voice name such as 'en' or 'ko', got {voice!r}")
    base, plus, variant = voice.partition("+")
    if plus:                     # eSpeak silently ignores a variant it does not have
        variants = _variant_names()
        if variant not in variants:
            close = [v for v in variants if v[:1].lower() == variant[:1].lower()]
            raise ValueError(
                f"voice {voice!r} asks for the variant {variant!r}, which eSpeak NG does not "
                f"have; {len(variants)} are installed, for example "
                f"{', '.join((close or variants)[:8])} (audiotut.synth.voices() lists them all)"
            )
    with _ESPEAK["lock"]:
        lib, rate = _espeak()
        if lib.espeak_SetVoiceByName(voice.encode("utf-8")) != 0:
            names = _voice_names(lib)
            close = [name for name in names if name.split("-")[0] == voice.split("-")[0].lower()]
            shown = ", ".join((close or []) + [n for n in ("en", "en-us", "ko", "de", "fr", "ja",
                                                          "zh", "es") if n in names and n not in close])
            raise ValueError(
                f"voice {voice!r} is not an eSpeak NG voice; {len(names)} are installed, "
                f"for example {shown}"
            )
        _ESPEAK["chunks"] = []
        lib.espeak_ng_SetRandSeed(0)       # its noise sources are random: reseed them
        data = text.encode("utf-8") + b"\0"
        status = lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _ESPEAK_CHARS_UTF8,
                                  None, None)
        chunks, _ESPEAK["chunks"] = _ESPEAK["chunks"], []
    if status != 0 or not chunks:
        raise AudiotutError(f"eSpeak NG produced no audio for {text!r} (status {status})")
    y = np.concatenate(chunks).astype(np.float32) / 32768.0
    if sr != rate:
        y = soxr.resample(y, rate, sr, quality="HQ")
    return np.clip(y, -1.0, 1.0).astype(np.float32)


# --------------------------------------------------------------------------- rooms

#: Image-source reflections are kept up to this fraction of the order that
#: :func:`pyroomacoustics.inverse_sabine` asks for (about the first 60 % of the
#: RT60, where the decay has reached roughly −35 dB): the rest costs most of the time.
ORDER_FRACTION = 0.6
#: Refuse simulations that would need more reflection orders than this (order 69, a 6 x 4 x 3 m
#: room at RT60 0.8 s, takes about 15 s on a busy 2-core machine; the cost grows as order**3).
MAX_ORDER = 80


def _point(value: object, name: str) -> np.ndarray:
    point = np.asarray(value, dtype=float) if not isinstance(value, str) else np.array([])
    if point.shape != (3,) or not np.all(np.isfinite(point)):
        raise ValueError(f"{name} must be an (x, y, z) position in metres, got {value!r}")
    return point


def _room(room_dim: object, source: object, mics: object, rt60: object) -> tuple:
    dim = _point(room_dim, "room_dim")
    if np.any(dim <= 0):
        raise ValueError(f"room_dim must be three positive lengths in metres, got {room_dim!r}")
    rt60 = check_positive(rt60, "rt60", "seconds")
    source = _point(source, "source")
    array = np.asarray(mics, dtype=float) if not isinstance(mics, str) else np.array([])
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or array.shape[1] != 3 or array.shape[0] == 0 or not np.all(np.isfinite(array)):
        raise ValueError(
            f"mics must be a list of (x, y, z) positions in metres, e.g. [[2, 1.5, 1.2], "
            f"[2.1, 1.5, 1.2]], got {mics!r}"
        )
    for label, point in [("source", source)] + [(f"mics[{i}]", p) for i, p in enumerate(array)]:
        if np.any(point <= 0) or np.any(point >= dim):
            raise ValueError(
                f"{label} = {point.tolist()} is not inside the room {dim.tolist()}; every "
                "coordinate must be between 0 and the room's length along that axis"
            )
    distance = np.linalg.norm(array - source, axis=1)
    if np.any(distance < 0.01):
        raise ValueError(f"mics[{int(np.argmin(distance))}] is at the source; move it at least "
                         "1 cm away")
    return dim, rt60, source, array


def room_impulse_response(*, sr: int, room_dim: Sequence[float], rt60: float,
                          source: Sequence[float], mics: Sequence[Sequence[float]]) -> np.ndarray:
    """Impulse responses from one source to each microphone in a shoebox room.

    The room is simulated with pyroomacoustics' image-source method: every
    reflection off the walls acts as a mirror-image source, delayed by its path
    length over the speed of sound (343 m/s) and attenuated by ``1 / (4π r)``
    and by the walls it reflected off. One absorption coefficient serves all
    walls. :func:`pyroomacoustics.inverse_sabine` chooses it from ``rt60`` by
    Sabine's formula, which assumes a diffuse sound field; a shoebox's image
    sources are not diffuse and decay more slowly, so this function measures
    the RT60 of a first simulation (Schroeder backward integration, −5 to
    −35 dB extrapolated to −60) and corrects the absorption once. The result
    is deterministic.

    Parameters
    ----------
    sr : int
        Sample rate in Hz.
    room_dim : sequence of 3 float
        Length, width and height of the room in metres.
    rt60 : float
        Reverberation time in seconds: how long sound takes to decay by 60 dB.
    source : sequence of 3 float
        Source position ``(x, y, z)`` in metres, inside the room.
    mics : sequence of (x, y, z)
        Microphone positions in metres, inside the room (one point is one mic).

    Returns
    -------
    numpy.ndarray
        float32, shape ``(n_mics, n)``, one impulse response per microphone,
        zero-padded to the longest. The direct sound arrives after the
        propagation delay plus 40 samples (pyroomacoustics' fractional-delay
        filter); the level is physical (the direct path at 1 m is about
        ``1 / (4π)``, −22 dB).

    Raises
    ------
    ValueError
        For positions outside the room, a source on a microphone, or an
        ``rt60`` the room cannot have (too short for its size: the walls would
        have to absorb more than everything; or so long that the simulation
        would take minutes).

    Notes
    -----
    Taught in :doc:`/book/03_synthesis`. The talk suggested OpenAL, a 3-D game
    audio library; pyroomacoustics simulates acoustics, which is what training
    data needs.

    Examples
    --------
    >>> from audiotut.synth import room_impulse_response
    >>> h = room_impulse_response(sr=16000, room_dim=[4, 3, 2.5], rt60=0.2,
    ...                           source=[1, 1, 1.5], mics=[[3, 2, 1.5], [3, 2.1, 1.5]])
    >>> h.shape[0], h.dtype
    (2, dtype('float32'))
    """
    sr = check_sr(sr)
    dim, rt60, source, array = _room(room_dim, source, mics, rt60)
    rirs = _Rooms(sr, dim, rt60).simulate(source, array)
    length = max(len(h) for h in rirs)
    out = np.zeros((len(rirs), length), dtype=np.float32)
    for i, h in enumerate(rirs):
        out[i, :len(h)] = h
    return out


class _Rooms:
    """Build ShoeBox rooms for one size and RT60, with the absorption corrected once."""

    def __init__(self, sr: int, dim: np.ndarray, rt60: float):
        import pyroomacoustics as pra

        self.pra, self.sr, self.dim, self.rt60 = pra, sr, dim, rt60
        try:
            absorption, order = pra.inverse_sabine(rt60, dim)
        except ValueError as error:
            shortest = float(24 * math.log(10) * np.prod(dim)
                             / (pra.constants.get("c") * 2 * (dim[0] * dim[1] + dim[0] * dim[2]
                                                              + dim[1] * dim[2])))
            raise ValueError(
                f"rt60={rt60:g} s is too short for a room of {dim.tolist()} m: even walls that "
                f"absorb everything give about {shortest:.2f} s. Choose rt60 >= "
                f"{shortest * 1.05:.2f} or a smaller room"
            ) from error
        self.order = max(1, math.ceil(ORDER_FRACTION * order))
        if self.order > MAX_ORDER:
            raise ValueError(
                f"rt60={rt60:g} s in a room of {dim.tolist()} m needs {self.order} orders of "
                f"reflections, which would take minutes to simulate (the limit is {MAX_ORDER}); "
                "choose a shorter rt60 or a larger room"
            )
        self.absorption = absorption

    def _impulse_responses(self, absorption: float, source: np.ndarray,
                           mics: np.ndarray) -> list[np.ndarray]:
        pra = self.pra
        room = pra.ShoeBox(self.dim, fs=self.sr, materials=pra.Material(absorption),
                           max_order=self.order, air_absorption=False, ray_tracing=False,
                           use_rand_ism=False)
        room.add_source(source)
        room.add_microphone_array(mics.T)
        room.compute_rir()
        return [np.asarray(room.rir[m][0], dtype=np.float64) for m in range(len(mics))]

    def simulate(self, source: np.ndarray, mics: np.ndarray) -> list[np.ndarray]:
        first = self._impulse_responses(self.absorption, source, mics[:1])[0]
        measured = _schroeder_rt60(first, sr=self.sr)
        # energy per reflection is (1 - a); the decay time scales as 1 / -ln(1 - a)
        attenuation = -math.log(1 - self.absorption) * measured / self.rt60
        corrected = min(1 - math.exp(-attenuation), 0.999)
        return self._impulse_responses(corrected, source, mics)


def _schroeder_rt60(h: np.ndarray, *, sr: int) -> float:
    """RT60 from the Schroeder curve, fitted from −5 to −35 dB (T30), extrapolated."""
    from .metrics import rt60

    return float(rt60(h, sr=sr))


def reverberate(y: np.ndarray, *, sr: int, room_dim: Sequence[float], rt60: float,
                source: Sequence[float], mics: Sequence[Sequence[float]]) -> np.ndarray:
    """What microphones in a room record when a source plays ``y``.

    Convolves ``y`` with each of :func:`room_impulse_response`'s impulse
    responses (:func:`scipy.signal.fftconvolve`). A room is linear, so two
    sources playing together are the sum of their two reverberated signals.

    Parameters
    ----------
    y : numpy.ndarray
        ``(n,)``, the dry (anechoic) mono source signal, float.
    sr, room_dim, rt60, source, mics
        As in :func:`room_impulse_response`.

    Returns
    -------
    numpy.ndarray
        float32, shape ``(n_mics, n)``: as long as ``y``, so the reverberation
        tail after the end of ``y`` is cut (pad ``y`` with zeros to keep it).
        Physical level: quieter than ``y`` by the distance attenuation.

    Raises
    ------
    ValueError
        For a multichannel or non-float ``y``, and as in
        :func:`room_impulse_response`.

    Notes
    -----
    Taught in :doc:`/book/03_synthesis`.

    Examples
    --------
    >>> from audiotut.synth import reverberate, tone
    >>> dry = tone(440, sr=16000, duration=0.5, amplitude=0.5)
    >>> wet = reverberate(dry, sr=16000, room_dim=[4, 3, 2.5], rt60=0.2,
    ...                   source=[1, 1, 1.5], mics=[[3, 2, 1.5]])
    >>> wet.shape, wet.dtype
    ((1, 8000), dtype('float32'))
    """
    import scipy.signal

    y = check_signal(y)
    if y.ndim != 1:
        raise ValueError(
            f"y has shape {y.shape}; reverberate takes one mono source (n,). Mix the "
            "channels down (y.mean(axis=0)) or reverberate each as its own source"
        )
    if y.dtype.kind != "f":
        raise ValueError(f"y has integer dtype {y.dtype}; convert it to float in [-1, 1] first")
    h = room_impulse_response(sr=sr, room_dim=room_dim, rt60=rt60, source=source, mics=mics)
    wet = scipy.signal.fftconvolve(y.astype(np.float64)[None, :], h.astype(np.float64), axes=1)
    return wet[:, :len(y)].astype(np.float32)
