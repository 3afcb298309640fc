"""Measuring how close one signal is to another.

Taught in :doc:`/book/01_sampling` (quantization noise); later chapters use it
to score reconstructions.
"""

from __future__ import annotations

import numpy as np

__all__ = ["snr_db"]


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
