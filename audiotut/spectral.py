"""Magnitude and phase: swapping them, scoring spectrograms, rebuilding phase.

librosa computes STFTs and runs Griffin-Lim; this module adds only the pieces a
lesson on phase needs around them:

- :func:`swap_fft2` and :func:`swap_stft` give each of two images or two
  signals the Fourier phase of the other, the classic demonstration that phase
  carries the structure;
- :func:`spectral_convergence` scores how close two signals' STFT magnitudes
  are (waveform SNR is :func:`audiotut.metrics.snr_db`);
- :func:`reconstruct` turns a magnitude spectrogram back into a waveform with
  zero phase, random phase or :func:`librosa.griffinlim`, reproducibly;
- :func:`level_spectrum` is the windowed, scaled FFT that reads a sinusoid's
  amplitude off as a level in dBFS (chapter 1's DFT primer; chapters 3 and 4).

The STFT settings come from a :class:`audiotut.features.FeatureConfig`.

Taught in :doc:`/book/04_stft_phase`.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import scipy.signal

from ._validate import check_float_signal, check_rng, check_signal, check_sr
from .features import FeatureConfig

__all__ = [
    "level_spectrum", "reconstruct", "spectral_convergence", "swap_fft2", "swap_stft",
]

METHODS = ("griffinlim", "random", "zero")


def _config(config: object) -> FeatureConfig:
    if not isinstance(config, FeatureConfig):
        raise ValueError(
            f"config must be an audiotut.features.FeatureConfig, got {type(config).__name__}; "
            "create one with FeatureConfig(sr=..., n_fft=...)"
        )
    return config


def _image(x: object, name: str) -> np.ndarray:
    if not isinstance(x, np.ndarray):
        raise ValueError(f"{name} must be a numpy array (a grayscale image), got {type(x).__name__}")
    if x.dtype.kind not in "fiub":
        raise ValueError(
            f"{name} has dtype {x.dtype}; pass a real grayscale image (for a complex spectrum, "
            "take np.fft.ifft2 first)"
        )
    if x.ndim != 2:
        hint = " (a colour image: average the channels, x.mean(axis=-1))" if x.ndim == 3 else ""
        raise ValueError(f"{name} has shape {x.shape}; expected a 2-D grayscale image{hint}")
    if x.size == 0:
        raise ValueError(f"{name} has shape {x.shape} and holds no pixels")
    if not np.isfinite(x).all():
        raise ValueError(f"{name} holds NaN or infinite pixels")
    return x.astype(np.float64)


def _with_phase(magnitude: np.ndarray, phase_from: np.ndarray) -> np.ndarray:
    return magnitude * np.exp(1j * np.angle(phase_from))


def swap_fft2(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Give two images each other's 2-D Fourier phase.

    Each result is ``real(ifft2(|fft2(x)| * exp(i * angle(fft2(y)))))``: the
    magnitude of one image with the phase of the other. The result looks like
    the image whose *phase* it has: edges and shapes live in the phase.

    Parameters
    ----------
    a, b : numpy.ndarray
        Real 2-D grayscale images of the same shape.

    Returns
    -------
    a_mag_b_phase : numpy.ndarray
        float64, the magnitude of ``a`` with the phase of ``b``.
    b_mag_a_phase : numpy.ndarray
        float64, the magnitude of ``b`` with the phase of ``a``.

    Raises
    ------
    ValueError
        If an input is not a finite real 2-D array, or the shapes differ.

    Notes
    -----
    Taught in :doc:`/book/04_stft_phase`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.spectral import swap_fft2
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((32, 32)), rng.random((32, 32))
    >>> ab, ba = swap_fft2(a, b)
    >>> ab.shape, ab.dtype
    ((32, 32), dtype('float64'))
    >>> corr = lambda x, y: np.corrcoef(x.ravel(), y.ravel())[0, 1]
    >>> bool(corr(ab, b) > 0.5 > corr(ab, a))      # it looks like b, whose phase it has
    True
    >>> aa, _ = swap_fft2(a, a)                      # swapping with itself changes nothing
    >>> bool(np.allclose(aa, a))
    True
    """
    a = _image(a, "a")
    b = _image(b, "b")
    if a.shape != b.shape:
        raise ValueError(
            f"a has shape {a.shape} but b has shape {b.shape}; crop or resize them to the "
            "same shape first"
        )
    A = np.fft.fft2(a)
    B = np.fft.fft2(b)
    return np.fft.ifft2(_with_phase(np.abs(A), B)).real, np.fft.ifft2(_with_phase(np.abs(B), A)).real


def _mono(y: object, name: str) -> np.ndarray:
    y = check_signal(y, name=name)
    if y.ndim != 1:
        raise ValueError(
            f"{name} has shape {y.shape}; swap_stft takes mono signals (n,): pass one "
            f"channel ({name}[0]) or the mix ({name}.mean(axis=0))"
        )
    return y


def swap_stft(a: np.ndarray, b: np.ndarray, *, config: FeatureConfig) -> tuple[np.ndarray, np.ndarray]:
    """Give two signals each other's STFT phase.

    Each result is the inverse STFT of ``|STFT(x)| * exp(i * angle(STFT(y)))``,
    trimmed to the input length: the magnitude spectrogram of one signal with
    the phase of the other.

    Parameters
    ----------
    a, b : numpy.ndarray
        Mono float signals ``(n,)`` of the same length.
    config : FeatureConfig
        The STFT settings (``n_fft``, ``hop_length``, ``window`` ...).

    Returns
    -------
    a_mag_b_phase : numpy.ndarray
        float32 ``(n,)``, the magnitude of ``a`` with the phase of ``b``.
    b_mag_a_phase : numpy.ndarray
        float32 ``(n,)``, the magnitude of ``b`` with the phase of ``a``.

    Raises
    ------
    ValueError
        If a signal is not mono, not finite float, or the lengths differ.

    Notes
    -----
    As with images (:func:`swap_fft2`), the waveform follows the phase: each
    result correlates with the signal whose phase it has, hardly with the
    one whose magnitude it has. Its spectrogram, though, stays closer to the
    magnitude's signal (compare them with :func:`spectral_convergence`): the
    magnitude decides which frequencies sound when, the phase how the
    waveform lines up. Taught in :doc:`/book/04_stft_phase`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.features import FeatureConfig
    >>> from audiotut.spectral import swap_stft
    >>> cfg = FeatureConfig(sr=16000, n_fft=512)
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(0, 0.1, 8000).astype(np.float32)
    >>> b = rng.normal(0, 0.1, 8000).astype(np.float32)
    >>> ab, ba = swap_stft(a, b, config=cfg)
    >>> ab.shape, ab.dtype
    ((8000,), dtype('float32'))
    >>> aa, _ = swap_stft(a, a, config=cfg)          # swapping with itself changes nothing
    >>> bool(np.max(np.abs(aa - a)) < 1e-5)
    True
    """
    config = _config(config)
    a = _mono(a, "a")
    b = _mono(b, "b")
    if a.shape != b.shape:
        raise ValueError(
            f"a has {a.shape[-1]} samples but b has {b.shape[-1]}; trim the longer one "
            "(y[:n]) or pad the shorter one (np.pad) to the same length first"
        )
    A = config.stft(a)
    B = config.stft(b)
    n = a.shape[-1]
    return (config.istft(_with_phase(np.abs(A), B), length=n),
            config.istft(_with_phase(np.abs(B), A), length=n))


def spectral_convergence(reference: np.ndarray, estimate: np.ndarray, *,
                         config: FeatureConfig) -> float:
    """How far the STFT magnitude of ``estimate`` is from that of ``reference``.

    ``|| |S_ref| - |S_est| ||_F / || |S_ref| ||_F``, the Frobenius norms of the
    two magnitude spectrograms (power 1, whatever ``config.power`` says). It
    ignores phase, so it scores phase reconstruction fairly: 0 is a perfect
    magnitude, 1 is as far off as silence.

    Parameters
    ----------
    reference : numpy.ndarray
        The original float signal, ``(n,)`` or ``(channels, n)``.
    estimate : numpy.ndarray
        The signal to score, of the same shape.
    config : FeatureConfig
        The STFT settings.

    Returns
    -------
    float
        The ratio, 0 or more (0 = identical magnitudes).

    Raises
    ------
    ValueError
        If the shapes differ, a signal is not finite float, or the reference
        is silent.

    Notes
    -----
    For the error of the waveform itself, phase included, use
    :func:`audiotut.metrics.snr_db`. Taught in :doc:`/book/04_stft_phase`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.features import FeatureConfig
    >>> from audiotut.spectral import spectral_convergence
    >>> cfg = FeatureConfig(sr=16000, n_fft=512)
    >>> y = np.random.default_rng(0).normal(0, 0.1, 8000).astype(np.float32)
    >>> round(spectral_convergence(y, y, config=cfg), 6)
    0.0
    >>> round(spectral_convergence(y, 0.5 * y, config=cfg), 6)
    0.5
    >>> round(spectral_convergence(y, -y, config=cfg), 6)      # phase does not count
    0.0
    """
    config = _config(config)
    reference = config._signal(reference, "reference")
    estimate = config._signal(estimate, "estimate")
    if reference.shape != estimate.shape:
        raise ValueError(
            f"reference has shape {reference.shape} but estimate has shape {estimate.shape}; "
            "trim or pad them to the same length first (reconstruct(..., length=n) does)"
        )
    ref = np.abs(config.stft(reference)).astype(np.float64)
    est = np.abs(config.stft(estimate)).astype(np.float64)
    denominator = float(np.linalg.norm(ref.ravel()))
    if denominator == 0.0:
        raise ValueError("reference is silent (all zeros): its spectral convergence is undefined")
    return float(np.linalg.norm((ref - est).ravel())) / denominator


def reconstruct(
    magnitude: np.ndarray,
    *,
    config: FeatureConfig,
    method: Literal["griffinlim", "random", "zero"] = "griffinlim",
    n_iter: int = 32,
    length: int | None = None,
    rng: int | np.random.Generator | None = None,
) -> np.ndarray:
    """A waveform whose STFT magnitude is (close to) ``magnitude``: phase reconstruction.

    A magnitude spectrogram has lost its phase; inverting it needs a guess.

    - ``"zero"``: every phase 0 (a buzzy, pulse-like sound);
    - ``"random"``: phases drawn uniformly from ``rng`` (a rough, noisy sound);
    - ``"griffinlim"``: :func:`librosa.griffinlim` (fast Griffin-Lim with
      librosa's default momentum 0.99), starting from the same random phases
      and alternating ``n_iter`` times between the STFT and its inverse so
      that the phases become consistent with the magnitude. ``n_iter=0``
      gives exactly the ``"random"`` result.

    Parameters
    ----------
    magnitude : numpy.ndarray
        Linear STFT magnitude ``|S|`` (not power, not dB), ``(..., 1 + n_fft
        // 2, n_frames)``, e.g. ``np.abs(config.stft(y))``.
    config : FeatureConfig
        The STFT settings the magnitude was computed with.
    method : {"griffinlim", "random", "zero"}
        How to obtain the phase.
    n_iter : int
        Griffin-Lim iterations (0 or more; ignored by the other methods).
    length : int or None
        Trim or pad the output to this many samples (the original length).
    rng : int, numpy.random.Generator or None
        Seed or generator of the random phases; an int gives the same result
        on every run, ``None`` a different one.

    Returns
    -------
    numpy.ndarray
        float32 waveform ``(..., length)``.

    Raises
    ------
    ValueError
        If ``magnitude`` is complex, negative, not finite or has the wrong
        number of rows for ``config.n_fft``, or ``method`` / ``n_iter`` /
        ``length`` is invalid.

    Notes
    -----
    Score the result with :func:`spectral_convergence` (magnitude) rather
    than :func:`audiotut.metrics.snr_db` (waveform): a good reconstruction may
    differ from the original in phase, and so in waveform, yet sound the same.
    Taught in :doc:`/book/04_stft_phase`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.features import FeatureConfig
    >>> from audiotut.spectral import reconstruct, spectral_convergence
    >>> cfg = FeatureConfig(sr=16000, n_fft=512)
    >>> t = np.arange(8000) / 16000
    >>> y = (0.5 * np.sin(2 * np.pi * 440 * t) * (t < 0.25)).astype(np.float32)
    >>> S = np.abs(cfg.stft(y))
    >>> gl = reconstruct(S, config=cfg, n_iter=32, length=len(y), rng=0)
    >>> noisy = reconstruct(S, config=cfg, method="random", length=len(y), rng=0)
    >>> gl.shape, gl.dtype
    ((8000,), dtype('float32'))
    >>> bool(spectral_convergence(y, gl, config=cfg) < spectral_convergence(y, noisy, config=cfg))
    True
    >>> bool(np.array_equal(gl, reconstruct(S, config=cfg, length=len(y), rng=0)))
    True
    """
    import librosa

    config = _config(config)
    magnitude = _magnitude(magnitude, config)
    if method not in METHODS:
        raise ValueError(f"method={method!r} is not one of {', '.join(map(repr, METHODS))}")
    if isinstance(n_iter, bool) or not isinstance(n_iter, (int, np.integer)) or n_iter < 0:
        raise ValueError(f"n_iter must be a whole number of iterations, 0 or more, got {n_iter!r}")
    if length is not None and (isinstance(length, bool)
                               or not isinstance(length, (int, np.integer)) or length <= 0):
        raise ValueError(f"length must be a positive whole number of samples or None, got {length!r}")
    generator = check_rng(rng)

    if method == "zero":
        return config.istft(magnitude.astype(np.complex64), length=length)
    if method == "random":
        # the same draw as librosa.griffinlim(init="random", random_state=<Generator>)
        angles = np.empty(magnitude.shape, dtype=np.complex64)
        angles[:] = np.exp(2j * np.pi * generator.random(size=magnitude.shape))
        return config.istft(magnitude * angles, length=length)
    y = librosa.griffinlim(
        magnitude, n_iter=int(n_iter), hop_length=config.hop_length,
        win_length=config.win_length, n_fft=config.n_fft, window=config.window,
        center=config.center, length=length, pad_mode=config.pad_mode, init="random",
        **{_griffinlim_rng_keyword(): generator},
    )
    return np.asarray(y, dtype=np.float32)


def _griffinlim_rng_keyword() -> str:
    """``random_state`` in librosa 0.10 / 0.11; ``rng`` from 1.0 on (librosa PR #1960, SPEC 7),
    where ``random_state`` is deprecated (it warns) until its removal in 1.2."""
    import inspect

    import librosa

    return "rng" if "rng" in inspect.signature(librosa.griffinlim).parameters else "random_state"


def _magnitude(magnitude: object, config: FeatureConfig) -> np.ndarray:
    if not isinstance(magnitude, np.ndarray):
        raise ValueError(f"magnitude must be a numpy array, got {type(magnitude).__name__}")
    if np.iscomplexobj(magnitude):
        raise ValueError(
            "magnitude is complex: it is an STFT with its phase; pass np.abs(S), the "
            "magnitude, (or invert S directly with config.istft(S))"
        )
    if magnitude.dtype.kind not in "fiu":
        raise ValueError(f"magnitude has dtype {magnitude.dtype}; expected real numbers")
    bins = 1 + config.n_fft // 2
    if magnitude.ndim < 2 or magnitude.shape[-2] != bins:
        raise ValueError(
            f"magnitude has shape {magnitude.shape}; with n_fft={config.n_fft} a spectrogram "
            f"has {bins} frequency rows, (..., 1 + n_fft // 2, n_frames): pass the config "
            "it was computed with"
        )
    if not np.isfinite(magnitude).all():
        raise ValueError("magnitude holds NaN or infinite values")
    if (magnitude < 0).any():
        raise ValueError(
            "magnitude holds negative values: it must be the linear magnitude |S| (not dB); "
            "convert dB back with librosa.db_to_amplitude"
        )
    return magnitude.astype(np.float32, copy=False)


def level_spectrum(
    y: np.ndarray,
    *,
    sr: int,
    window: str | tuple = "hann",
    n_fft: int | None = None,
    floor_db: float = -200.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Level of each frequency in dBFS, scaled so that a sine reads its amplitude.

    The whole signal is multiplied by one window ``w`` and transformed with a
    real FFT. A sinusoid of amplitude ``A`` on bin ``k`` gives
    ``|X[k]| = A * sum(w) / 2``, so dividing by ``sum(w) / 2`` reads ``A``
    back: a full-scale sine peaks at 0 dBFS and one of amplitude 0.5 at
    −6.02 dBFS, whatever the window and the length. Bin ``k`` sits at
    ``k * sr / n_fft`` Hz.

    Parameters
    ----------
    y : numpy.ndarray
        Mono signal ``(n,)`` or ``(channels, n)``, float.
    sr : int
        Sample rate in Hz.
    window : str or tuple
        Any window :func:`scipy.signal.get_window` knows (``"hann"``,
        ``"blackmanharris"``, ``("kaiser", 14)``, ``"boxcar"`` for none),
        periodic, as long as ``y``.
    n_fft : int or None
        FFT size; more than ``len(y)`` zero-pads, which samples the same
        spectrum more finely (it does not sharpen the peaks). ``None``:
        ``len(y)``.
    floor_db : float
        Levels below this are clipped to it (an exact zero would be −inf).

    Returns
    -------
    freqs : numpy.ndarray
        ``(n_fft // 2 + 1,)`` bin frequencies in Hz.
    level : numpy.ndarray
        float64 levels in dBFS (peak of a sinusoid), ``(n_fft // 2 + 1,)`` or
        ``(channels, n_fft // 2 + 1)``.

    Raises
    ------
    ValueError
        For a non-float or badly shaped ``y``, a bad ``sr``, an unknown
        window, or an ``n_fft`` shorter than ``y``.

    Notes
    -----
    Taught in :doc:`/book/01_sampling` (the DFT primer); used in
    :doc:`/book/03_synthesis` and :doc:`/book/04_stft_phase`. The scaling is
    for the peak of a sinusoid; broadband noise reads lower, by the window's
    noise bandwidth and the bin width (its power spreads over all bins).

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.spectral import level_spectrum
    >>> sr = 16000
    >>> t = np.arange(sr) / sr
    >>> y = 0.5 * np.sin(2 * np.pi * 1000 * t)
    >>> freqs, level = level_spectrum(y, sr=sr)
    >>> float(freqs[level.argmax()]), round(float(level.max()), 2)
    (1000.0, -6.02)
    """
    y = check_float_signal(y)
    sr = check_sr(sr)
    n = y.shape[-1]
    if n_fft is None:
        n_fft = n
    elif isinstance(n_fft, bool) or not isinstance(n_fft, (int, np.integer)) or n_fft < n:
        raise ValueError(
            f"n_fft={n_fft!r} must be a whole number of samples at least len(y) = {n}; "
            "pass n_fft=None for len(y), or a larger value to zero-pad"
        )
    try:
        floor_db = float(floor_db)
    except (TypeError, ValueError):
        raise ValueError(f"floor_db={floor_db!r} must be a number of dB, e.g. -200") from None
    try:
        w = scipy.signal.get_window(window, n, fftbins=True)
    except (ValueError, TypeError) as error:
        raise ValueError(
            f"window={window!r} is not a window scipy.signal.get_window knows ({error}); "
            "use e.g. 'hann', 'blackmanharris', ('kaiser', 14) or 'boxcar'"
        ) from None
    magnitude = np.abs(np.fft.rfft(y * w, n=int(n_fft), axis=-1)) / (w.sum() / 2)
    with np.errstate(divide="ignore"):
        level = 20 * np.log10(magnitude)
    return np.fft.rfftfreq(int(n_fft), d=1 / sr), np.maximum(level, floor_db)
