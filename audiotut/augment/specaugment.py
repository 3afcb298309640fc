"""SpecAugment (Park et al., 2019): time warp, frequency masks and time masks on a
spectrogram, with the paper's policies in :data:`POLICIES`.

:func:`spec_augment` works on numpy arrays; the ``torch.nn.Module``
:class:`SpecAugment` masks on the input's own device. torch is imported only
when :class:`SpecAugment` is first used, never by ``import audiotut``.
Import them from :mod:`audiotut.augment`, which re-exports them.

Taught in :doc:`/book/07_augmentation`.
"""

from __future__ import annotations

import dataclasses
import math
import types
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._torch import require_torch
from .._validate import check_rng
from .pipeline import _probability, _whole

__all__ = ["POLICIES", "spec_augment", "SpecAugment", "SpecAugmentPolicy"]


# --------------------------------------------------------------------------- SpecAugment


@dataclasses.dataclass(frozen=True)
class SpecAugmentPolicy:
    """A SpecAugment policy: the six numbers of Park et al. (2019), Table 1,
    and optionally the adaptive time masking of Park et al. (2020).

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
        Number of time masks; with ``pM`` the most time masks.
    pM : float
        Adaptive multiplicity, in [0, 1]: if above 0, a spectrogram of ``tau``
        frames gets ``min(mT, floor(pM * tau))`` time masks, so that longer
        clips get more masks. 0 (the default) keeps ``mT`` fixed.
    pS : float
        Adaptive size, in [0, 1]: if above 0, each time mask covers up to
        ``min(T, floor(p * tau), floor(pS * tau))`` frames, a width
        proportional to the length. 0 (the default) keeps ``T``.

    Raises
    ------
    ValueError
        For a negative or non-whole count/width, or ``p``, ``pM`` or ``pS``
        outside [0, 1].

    Notes
    -----
    The 2019 policies were tuned on LibriSpeech utterances of about 12 s
    (some 1,200 frames at a 10 ms hop). On a 1.5 s clip (151 frames) one
    LD time mask can cover up to 100 frames, two thirds of it, and the warp
    (``W=80``) has no room: see :func:`spec_augment`, which warns. Adaptive
    masking (Park et al., "SpecAugment on Large Scale Datasets", ICASSP 2020,
    arXiv:1912.05533) scales the number and the width of the time masks with
    ``tau`` instead. With ``pS`` alone (``mT`` masks of up to ``pS * tau``
    frames) the share of frames masked no longer depends on the length; with
    ``pM`` too, longer clips also get more masks, up to ``mT``.

    Taught in :doc:`/book/07_augmentation`.

    Examples
    --------
    >>> from audiotut.augment import POLICIES, SpecAugmentPolicy
    >>> POLICIES["LD"]
    SpecAugmentPolicy(W=80, F=27, mF=2, T=100, p=1.0, mT=2)
    >>> SpecAugmentPolicy(W=0, F=10, mF=1, T=20, p=1.0, mT=1).F
    10
    >>> adaptive = SpecAugmentPolicy(W=5, F=27, mF=2, T=1000, p=1.0, mT=20,
    ...                              pM=0.04, pS=0.04)
    >>> adaptive.time_masks(151), adaptive.time_masks(1200)   # (count, width)
    ((6, 6), (20, 48))
    """

    W: int  # noqa: N815 - the paper's names
    F: int  # noqa: N815
    mF: int  # noqa: N815
    T: int  # noqa: N815
    p: float
    mT: int  # noqa: N815
    pM: float = 0.0  # noqa: N815
    pS: float = 0.0  # noqa: N815

    def __post_init__(self) -> None:
        for name in ("W", "F", "mF", "T", "mT"):
            object.__setattr__(self, name, _whole(getattr(self, name), name))
        object.__setattr__(self, "p", _probability(self.p, "SpecAugmentPolicy"))
        for name in ("pM", "pS"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(
                    value, (int, float, np.integer, np.floating)) or not 0 <= value <= 1:
                raise ValueError(f"SpecAugmentPolicy: {name}={value!r} must be a number in "
                                 f"[0, 1] (a share of the frames; 0 turns it off)")
            object.__setattr__(self, name, float(value))

    def __repr__(self) -> str:
        adaptive = "".join(f", {name}={getattr(self, name)}" for name in ("pM", "pS")
                           if getattr(self, name))
        return (f"SpecAugmentPolicy(W={self.W}, F={self.F}, mF={self.mF}, T={self.T}, "
                f"p={self.p}, mT={self.mT}{adaptive})")

    def time_masks(self, tau: int) -> tuple[int, int]:
        """How many time masks, and at most how wide, on ``tau`` frames."""
        tau = _whole(tau, "tau")
        count = min(self.mT, math.floor(self.pM * tau)) if self.pM else self.mT
        width = min(self.T, math.floor(self.p * tau))
        if self.pS:
            width = min(width, math.floor(self.pS * tau))
        return count, width


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
    """The widths actually used for a (nu, tau) spectrogram: masks and warp shrink to fit.
    Returns (max_f, max_t, warp, number of time masks); warns where the warp cannot apply."""
    max_f = min(policy.F, nu)
    n_time, max_t = policy.time_masks(tau)
    warp = min(policy.W, (tau - 2) // 2) if time_warp else 0
    if time_warp and policy.W and tau < 2 * policy.W:
        warnings.warn(
            f"time warp W={policy.W} needs at least 2W = {2 * policy.W} frames, this "
            f"spectrogram has tau={tau}: W shrinks to {max(warp, 0)} and the warp point is "
            f"pinned to the middle. Use a policy with W below tau / 2 (e.g. "
            f"dataclasses.replace(policy, W={max(tau // 10, 1)})) or time_warp=False",
            UserWarning, stacklevel=3)
    return max_f, max_t, max(warp, 0), n_time


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
       first frame ``t0`` uniform on ``{0, ..., tau - t}``. An adaptive policy
       (``pM``, ``pS``: Park et al., 2020) uses ``min(mT, floor(pM tau))`` masks
       of width up to ``min(T, floor(p tau), floor(pS tau))``
       (:meth:`SpecAugmentPolicy.time_masks`).

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

    Warns
    -----
    UserWarning
        Where the policy's warp cannot apply: ``time_warp`` with ``tau < 2W``
        (the paper's W = 80 needs 160 frames, 1.6 s at a 10 ms hop).

    Notes
    -----
    *Small spectrograms* never fail: mask widths shrink to at most ``nu``
    channels and ``floor(p · tau)`` frames, and ``W`` shrinks to
    ``(tau - 2) // 2`` so that ``w0`` has room on both sides (with fewer than 4
    frames there is no warp). Below ``tau = 2W`` that leaves ``w0`` one or two
    possible frames in the middle and a squeeze of up to about
    ``tau / 2 : 1``, so the function warns: choose a smaller ``W``, or an
    adaptive policy for clips of mixed lengths.

    *Why piecewise-linear warping.* The paper warps with TensorFlow's
    ``sparse_image_warp``: one point on the centre line moves by ``w`` while
    the image border is pinned, and a polyharmonic spline interpolates the
    displacement in between, so the shift is largest on the centre line and
    eases off towards the top and bottom. With the anchor points only on that
    line and the border, what it does along time is essentially a stretch of
    ``[0, w0]`` and a squeeze of ``[w0, tau]``; ESPnet's ``time_warp`` (and most
    reimplementations) take that piecewise-linear map directly, the same for
    every channel, and the 2020 paper defines the warp as that linear map.
    It costs one interpolation per frame, needs no spline
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
    max_f, max_t, warp, n_time = _limits(pol, nu, tau, time_warp)
    fill = flat.mean(axis=(1, 2), keepdims=True) if value == "mean" \
        else np.full((batch, 1, 1), value, dtype=dtype)
    if warp >= 1:
        centre = warp + 1 + np.floor(gen.random(batch) * (tau - 2 * warp - 1))
        shift = (2 * gen.random(batch) - 1) * warp
        flat = _warp_numpy(flat, centre, shift)
    freq_mask, _, _ = _band_masks_numpy(gen.random((batch, pol.mF, 2)), nu, max_f)
    time_mask, _, _ = _band_masks_numpy(gen.random((batch, n_time, 2)), tau, max_t)
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

    Warns
    -----
    UserWarning
        In ``forward``, like :func:`spec_augment`, where the warp cannot apply
        (``tau < 2W``). Adaptive policies (``pM``, ``pS``) work here too: the
        number and width of the time masks follow each batch's ``tau``.

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
            max_f, max_t, warp, n_time = _limits(pol, nu, tau, self.time_warp)
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
            time_mask = band_masks(torch.rand(batch, n_time, 2, **kw), tau, max_t)
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
