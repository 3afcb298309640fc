"""Two rules every part of a training pipeline shares: one length for every clip,
and reproducible randomness.

- :func:`fix_length` is the one pad/crop rule of the package. Clips are
  centred by default: a long clip loses the same amount at both ends, a short
  one gets zeros on both sides. :meth:`audiotut.datasets.FSDD.to_torch`,
  :meth:`audiotut.datasets.AudioFolder.to_torch` and
  :class:`audiotut.augment.AugmentedDataset` all call it, so a clip cut by a
  dataset and a clip cut by hand line up sample for sample.
- :func:`deterministic` seeds torch and NumPy and asks torch for
  deterministic algorithms (torch is imported only when it is called).

Taught in :doc:`/book/09_datasets`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._validate import check_positive, check_signal

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["deterministic", "fix_length"]

#: What :func:`fix_length` may keep in place: the centre (the default) or the start.
ALIGNS = ("center", "left")

# ----------------------------------------------------------------------- clips


def fix_length(y: np.ndarray, *, length: int, align: str = "center") -> np.ndarray:
    """Pad with zeros or crop a clip to exactly ``length`` samples.

    Parameters
    ----------
    y : numpy.ndarray
        ``(n,)`` or ``(channels, n)``, float.
    length : int
        Number of samples of the result, e.g. ``sr`` for one second.
    align : {"center", "left"}
        ``"center"`` puts the clip in the middle: a short clip gets
        ``(length - n) // 2`` zeros before it and the rest after; a long clip
        loses the same amounts at both ends. ``"left"`` keeps the start and
        pads or crops at the end only (:func:`librosa.util.fix_length`).

    Returns
    -------
    numpy.ndarray
        float32, ``(length,)`` or ``(channels, length)``. A new array.

    Raises
    ------
    ValueError
        For a bad signal, a length that is not a positive whole number, or an
        unknown ``align``.

    Notes
    -----
    Centring keeps a short word in the middle of the window a CNN sees, the
    same place for every clip whatever its length, and crops a long clip's
    leading and trailing silence rather than its end.

    Taught in :doc:`/book/09_datasets`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.utils import fix_length
    >>> y = np.array([1, 2, 3], dtype=np.float32)
    >>> fix_length(y, length=6), fix_length(y, length=6, align="left")
    (array([0., 1., 2., 3., 0., 0.], dtype=float32), array([1., 2., 3., 0., 0., 0.], dtype=float32))
    >>> fix_length(np.arange(1, 6, dtype=np.float32), length=3)
    array([2., 3., 4.], dtype=float32)
    """
    import librosa

    y = check_signal(y)
    length = int(check_positive(length, "length", "samples", whole=True))
    if align not in ALIGNS:
        raise ValueError(f"align must be one of {ALIGNS}, got {align!r}")
    n = y.shape[-1]
    y = y.astype(np.float32)
    if align == "left" or n == length:
        return librosa.util.fix_length(y, size=length, axis=-1).copy()
    if n > length:
        start = (n - length) // 2
        return y[..., start:start + length].copy()
    before = (length - n) // 2
    pad = [(0, 0)] * (y.ndim - 1) + [(before, length - n - before)]
    return np.pad(y, pad)


# ----------------------------------------------------------------------- reproducibility


def deterministic(seed: int, *, threads: int | None = None) -> torch.Generator:
    """Seed torch and NumPy, ask torch for deterministic algorithms, fix the thread count.

    Parameters
    ----------
    seed : int
        0 or more; seeds :func:`torch.manual_seed` and NumPy's global state.
    threads : int or None
        :func:`torch.set_num_threads`; ``None`` leaves it. Results may differ
        in the last bits from one thread count to another (sums are split
        differently), so fix it when comparing runs.

    Returns
    -------
    torch.Generator
        A new generator seeded with ``seed``, for
        ``DataLoader(..., generator=g)`` so that shuffling is reproducible too.

    Raises
    ------
    ValueError
        For a negative or non-integer seed or thread count.

    Notes
    -----
    Calls ``torch.use_deterministic_algorithms(True)``: an operation with no
    deterministic implementation then raises instead of silently varying. On
    CUDA it also needs ``CUBLAS_WORKSPACE_CONFIG=:4096:8`` set before the first
    CUDA call. Same seed, same thread count, same machine and same library
    versions give bit-identical training; another CPU or another torch may not.

    Taught in :doc:`/book/09_datasets`.

    Examples
    --------
    >>> import torch
    >>> from audiotut.utils import deterministic
    >>> g = deterministic(0)
    >>> a = torch.rand(3)
    >>> _ = deterministic(0)
    >>> bool(torch.equal(a, torch.rand(3))), torch.are_deterministic_algorithms_enabled()
    (True, True)
    """
    import torch

    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a whole number, 0 or more, got {seed!r}")
    if threads is not None:
        torch.set_num_threads(int(check_positive(threads, "threads", "threads", whole=True)))
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(int(seed))
    np.random.seed(int(seed))
    return torch.Generator().manual_seed(int(seed))
