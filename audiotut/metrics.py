"""Measuring how close one signal is to another, and how long a room rings.

:func:`snr_db` is taught in :doc:`/book/01_sampling` (quantization noise); later
chapters use it to score reconstructions. :func:`rt60` (Schroeder backward
integration) measures reverberation times from the decay curve that
:func:`energy_decay` draws; both are taught in :doc:`/book/03_synthesis` and used in
:doc:`/book/07_augmentation`.
"""

from __future__ import annotations

import numpy as np

from ._validate import check_signal, check_sr

__all__ = ["energy_decay", "rt60", "snr_db"]


def snr_db(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Signal-to-noise ratio of ``estimate`` against ``reference``, in dB.

    The noise is what the estimate gets wrong, ``estimate - reference``:
    ``SNR = 10 · log10(sum(reference²) / sum((estimate - reference)²))``.

    Parameters
    ----------
    reference : numpy.ndarray
        The clean signal.
    estimate : numpy.ndarray
        The signal to score, of the same shape.

    Returns
    -------
    float
        SNR in dB; ``inf`` when the two are identical.

    Raises
    ------
    ValueError
        If the shapes differ, the reference is all zeros, or either holds NaN/inf.

    Notes
    -----
    Taught in :doc:`/book/01_sampling`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.metrics import snr_db
    >>> clean = np.ones(1000)
    >>> round(snr_db(clean, clean + 0.1), 2)
    20.0
    """
    reference = np.asarray(reference, dtype=np.float64)
    estimate = np.asarray(estimate, dtype=np.float64)
    if reference.shape != estimate.shape:
        raise ValueError(
            f"reference has shape {reference.shape} but estimate has shape {estimate.shape}; "
            "trim or pad them to the same length first"
        )
    if not (np.isfinite(reference).all() and np.isfinite(estimate).all()):
        raise ValueError("reference and estimate must hold finite samples (no NaN or inf)")
    signal_energy = float(np.sum(reference**2))
    if signal_energy == 0.0:
        raise ValueError("reference is all zeros: the SNR of silence is undefined")
    noise_energy = float(np.sum((estimate - reference) ** 2))
    if noise_energy == 0.0:
        return float("inf")
    return 10.0 * float(np.log10(signal_energy / noise_energy))


def rt60(h: np.ndarray, *, sr: int) -> float | np.ndarray:
    """Reverberation time of an impulse response: seconds to decay by 60 dB.

    Schroeder's backward integration turns the squared impulse response into
    a smooth energy decay curve, ``E(t) = sum over t' >= t of h(t')²``, in dB
    relative to its start. A straight line is fitted to it from −5 dB to
    −35 dB (the T30 range, which skips the direct sound and stops above the
    noise floor) and extrapolated to −60 dB: ``RT60 = -60 / slope``.

    Parameters
    ----------
    h : numpy.ndarray
        An impulse response, ``(n,)``, or one per channel, ``(channels, n)``,
        float.
    sr : int
        Sample rate in Hz.

    Returns
    -------
    float or numpy.ndarray
        RT60 in seconds: a float for ``(n,)``, a float64 array of one value
        per channel for ``(channels, n)``.

    Raises
    ------
    ValueError
        For an integer, NaN or wrongly shaped ``h``, an all-zero channel, or a
        decay curve that never reaches −35 dB (the response is cut too early,
        or it is not an impulse response: pass a longer one).

    Notes
    -----
    Taught in :doc:`/book/03_synthesis` (with :func:`energy_decay`, the curve it
    fits) and used in :doc:`/book/07_augmentation`;
    :func:`audiotut.synth.room_impulse_response` uses it to calibrate its rooms. Same method as pyroomacoustics'
    ``measure_rt60(h, fs, decay_db=30)``, but it refuses, instead of silently
    fitting a shorter range, when the decay is too short.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.metrics import rt60
    >>> sr = 16000
    >>> t = np.arange(sr) / sr
    >>> h = np.random.default_rng(0).standard_normal(sr) * 10 ** (-3 * t / 0.5)  # -60 dB in 0.5 s
    >>> round(rt60(h, sr=sr), 2)
    0.5
    """
    h = check_signal(h, name="h")
    sr = check_sr(sr)
    if h.dtype.kind != "f":
        raise ValueError(f"h has integer dtype {h.dtype}; pass the impulse response as float")
    if h.ndim == 2:
        return np.array([_rt60_channel(row, sr, f"h[{i}]") for i, row in enumerate(h)])
    return _rt60_channel(h, sr, "h")


def energy_decay(h: np.ndarray) -> np.ndarray:
    """Schroeder's energy decay curve of an impulse response, in dB re its start.

    ``E(t) = sum over t' >= t of h(t')²`` (backward integration), returned as
    ``10 * log10(E(t) / E(0))``: 0 dB at the first sample, falling as the room's
    energy dies away. :func:`rt60` fits a line to this curve from −5 to −35 dB.

    Parameters
    ----------
    h : numpy.ndarray
        An impulse response, ``(n,)``, or one per channel, ``(channels, n)``,
        float.

    Returns
    -------
    numpy.ndarray
        float64 decay in dB re the total energy, the same shape as ``h``;
        ``-inf`` after the last non-zero sample. It is per sample:
        ``np.arange(n) / sr`` is its time axis.

    Raises
    ------
    ValueError
        For an integer, NaN or wrongly shaped ``h``, or an all-zero channel.

    Notes
    -----
    Taught in :doc:`/book/03_synthesis`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.metrics import energy_decay
    >>> sr = 16000
    >>> h = 10 ** (-3 * np.arange(sr) / sr / 0.5)    # amplitude -60 dB in 0.5 s
    >>> decay = energy_decay(h)
    >>> round(float(decay[0]), 1), round(float(decay[sr // 4]), 1)  # 0.25 s later
    (0.0, -30.0)
    """
    h = check_signal(h, name="h")
    if h.dtype.kind != "f":
        raise ValueError(f"h has integer dtype {h.dtype}; pass the impulse response as float")
    if h.ndim == 2:
        return np.stack([_decay(row, f"h[{i}]") for i, row in enumerate(h)])
    return _decay(h, "h")


def _decay(h: np.ndarray, name: str) -> np.ndarray:
    energy = np.cumsum(np.square(h[::-1], dtype=np.float64))[::-1]
    if energy[0] == 0:
        raise ValueError(f"{name} is all zeros: silence has no energy decay")
    with np.errstate(divide="ignore"):
        return 10 * np.log10(energy / energy[0])


def _rt60_channel(h: np.ndarray, sr: int, name: str) -> float:
    if not np.any(h):
        raise ValueError(f"{name} is all zeros: silence has no reverberation time")
    decay = _decay(h, name)
    decay = decay[:np.flatnonzero(np.isfinite(decay))[-1] + 1]  # drop an all-zero tail
    start = int(np.argmax(decay <= -5))
    reached = decay <= -35
    if not reached.any() or int(np.argmax(reached)) - start < 2:
        raise ValueError(
            f"{name} decays by only {-decay[-1]:.1f} dB over its {len(h)} samples, not the "
            "35 dB that the T30 fit (-5 to -35 dB) needs; pass a longer impulse response "
            "(the whole tail, until it fades into silence)"
        )
    stop = int(np.argmax(reached))
    slope, _ = np.polyfit(np.arange(start, stop) / sr, decay[start:stop], 1)
    return float(-60.0 / slope)
