"""The FeatureConfig front-end in PyTorch: the same numbers, batched, on any device.

:class:`audiotut.features.FeatureConfig` describes a spectral front-end once
and computes it with librosa on NumPy arrays. This module computes the same
STFT, inverse STFT, spectrogram, mel spectrogram, log-mel spectrogram and
MFCCs from the *same* ``FeatureConfig`` with PyTorch, so that a model can take
its features on the GPU, inside its ``forward``, and still see the numbers the
book's librosa chapters explain (to float32 rounding: within 1e-3 dB, checked
against librosa by ``tests/test_gpu.py``). The design:

- **One configuration.** Every function takes ``config=FeatureConfig(...)``
  and nothing else that could disagree with it: centre padding in every
  ``pad_mode``, a window shorter than ``n_fft`` zero-padded at both sides,
  ``power``, the mel filterbank (it *is* ``config.mel_filterbank()``), the dB
  conversion with ``ref``, ``amin`` and ``top_db``, and the MFCC's DCT type
  and lifter.
- **Functions and modules mirror each other.** :func:`spectrogram`,
  :func:`melspectrogram`, :func:`log_mel` and :func:`mfcc` have the
  ``torch.nn.Module`` counterparts ``Spectrogram``, ``MelSpectrogram``,
  ``LogMel`` and ``MFCC``, whose ``forward`` runs the same code. Use a
  function in a data pipeline, a module as the first layer of a model.
- **Buffers.** A module holds the window, the mel filterbank and the DCT
  matrix as (non-persistent) buffers, so ``module.to("cuda")`` moves them
  with the model and its ``state_dict`` stays empty (they follow from the
  configuration). The functions build the same tensors once per
  (configuration, device) and keep them in a small cache.
- **Device placement.** Everything runs on the input's device. Nothing in a
  module's ``forward`` copies to the host or waits for the device: no
  ``.item()``, no branching on tensor values; ``top_db`` and ``ref=np.max``
  are tensor operations. The functions check that the input is finite by
  default, which does wait for the device once per call; pass
  ``check_finite=False`` to skip it (the modules never check).
- **Shapes.** Signals are ``(..., n)``: ``(n,)``, ``(channels, n)`` as in
  librosa, or ``(batch, channels, n)`` for a batch; the leading axes are kept:
  ``(batch, channels, n) -> (batch, channels, n_mels, frames)``. Batch-first
  for PyTorch and channel-first for librosa are the same layout: time is the
  last axis in both.
- **Each signal on its own.** ``ref=np.max`` and ``top_db`` use the maximum of
  each signal's own ``(n_mels, frames)`` block, so an example does not depend
  on the rest of its batch. For one signal this is exactly librosa; for a
  ``(channels, n)`` array librosa takes one maximum over all channels
  together, so a quiet channel can differ.
- **Precision.** float32 throughout: float16, bfloat16 and float64 inputs
  are converted to float32 first (half precision has too little range for
  power spectra and dB); outputs are float32 (complex64 for the STFT). This
  holds under ``torch.autocast`` too: the front-end turns autocast off for its
  own computation (float16 would overflow to inf/NaN, bfloat16 be off by
  tenths of a dB), and the model's later layers still run in half precision.
  Gradients flow from every output back to the input.
- **Speed.** On the CPU the batch is processed in chunks of about half a
  million samples so that each chunk's frames stay in cache; whole-batch
  operations are memory-bound and slower than librosa. On a GPU the whole
  batch goes at once.

``pad_mode="empty"`` pads with zeros here: NumPy leaves such padding
uninitialised, so librosa's frames that touch it hold arbitrary values.

Taught in :doc:`/book/08_gpu_features`.

Examples
--------
>>> import torch
>>> from audiotut.features import FeatureConfig
>>> from audiotut.gpu import LogMel, log_mel
>>> cfg = FeatureConfig(sr=16000, n_fft=512, n_mels=40)
>>> x = 0.1 * torch.randn(8, 2, 16000)                 # (batch, channels, n)
>>> log_mel(x, config=cfg).shape
torch.Size([8, 2, 40, 126])
>>> layer = LogMel(cfg)                                 # .to("cuda") moves its buffers
>>> bool(torch.allclose(layer(x), log_mel(x, config=cfg)))
True
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ._torch import require_torch
from .features import FeatureConfig

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["MFCC", "LogMel", "MelSpectrogram", "Spectrogram", "istft", "log_mel",
           "melspectrogram", "mfcc", "spectrogram", "stft"]

#: On the CPU, rows of a batch are processed in chunks of about this many samples
#: (8 clips of 4 s at 16 kHz): each chunk's frames then stay in cache.
_CHUNK_SAMPLES = 1 << 19

#: The callables accepted as ``ref``: the maximum of each signal's block.
_MAX_REFS = (np.max, np.amax)

_MODULE_NAMES = ("Spectrogram", "MelSpectrogram", "LogMel", "MFCC")


# ----------------------------------------------------------------------- checks


def _check_config(config: object) -> FeatureConfig:
    if not isinstance(config, FeatureConfig):
        raise ValueError(
            f"config must be an audiotut.features.FeatureConfig, got {type(config).__name__}; "
            "create one with FeatureConfig(sr=16000, n_fft=512, ...) and pass config=cfg"
        )
    if callable(config.ref) and not any(config.ref is ref for ref in _MAX_REFS):
        name = getattr(config.ref, "__name__", repr(config.ref))
        raise ValueError(
            f"ref={name} is not supported by audiotut.gpu: it must run on the device, and "
            "only numpy.max (the maximum of each signal's mel spectrogram) is translated to "
            "a tensor operation; use ref=np.max or a number such as ref=1.0"
        )
    return config


def _check_signal(x: object, config: FeatureConfig, *, check_finite: bool,
                  name: str = "x") -> torch.Tensor:
    """A float32 tensor (..., n) that config can analyse, or a ValueError saying why not."""
    torch = require_torch("audiotut.gpu")

    if isinstance(x, np.ndarray):
        raise ValueError(
            f"{name} is a numpy array; audiotut.gpu takes torch tensors: pass "
            f"torch.from_numpy({name}) (then .to(device)), or use the FeatureConfig's own "
            "methods, which take numpy arrays"
        )
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor of samples (..., n), "
                         f"got {type(x).__name__}")
    if x.is_complex():
        raise ValueError(
            f"{name} has complex dtype {x.dtype}; audio must be real. To invert a complex "
            "STFT use audiotut.gpu.istft; to look at one, take its .abs()"
        )
    if not x.is_floating_point():
        raise ValueError(
            f"{name} has integer dtype {x.dtype}; convert PCM to float in [-1, 1] first, "
            f"e.g. {name}.float() / 32768 for int16"
        )
    if x.ndim == 0 or x.numel() == 0:
        raise ValueError(f"{name} has shape {tuple(x.shape)} and holds no signal; "
                         "expected (..., n) with n > 0 samples")
    n = x.shape[-1]
    if x.ndim >= 2 and n < x.shape[-2] and n < config.n_fft:
        raise ValueError(
            f"{name} has shape {tuple(x.shape)}: {x.shape[-2]} signals of {n} samples each. "
            "Time must be the last axis, (..., n); a frame-first (n, channels) tensor, as "
            f"from soundfile, must be transposed: {name}.T or {name}.transpose(-1, -2)"
        )
    if not config.center and n < config.n_fft:
        raise ValueError(
            f"{name} has {n} samples, fewer than n_fft={config.n_fft}, so center=False gives "
            "no frame; use a shorter n_fft, a longer signal, or center=True"
        )
    # on the CPU in pieces: torch.isfinite of a whole hour makes several copies of it
    pieces = x.reshape(-1).split(_CHUNK_SAMPLES) if x.device.type == "cpu" else (x,)
    if check_finite and not all(bool(torch.isfinite(piece).all()) for piece in pieces):
        count = int((~torch.isfinite(x)).sum())
        raise ValueError(
            f"{name} holds {count} NaN or infinite samples; find where they come from, or "
            "replace them (torch.nan_to_num) first"
        )
    return x.to(torch.float32)


def _check_length(length: object) -> int | None:
    if length is None:
        return None
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length <= 0:
        raise ValueError(f"length must be a positive whole number of samples, got {length!r}")
    return int(length)


def _check_n_mfcc(n_mfcc: object, config: FeatureConfig) -> int:
    if n_mfcc is None:
        return config.n_mfcc
    if isinstance(n_mfcc, bool) or not isinstance(n_mfcc, (int, np.integer)) or n_mfcc <= 0:
        raise ValueError(f"n_mfcc must be a positive whole number of coefficients, "
                         f"got {n_mfcc!r}")
    if n_mfcc > config.n_mels:
        raise ValueError(
            f"n_mfcc={n_mfcc} is more than n_mels={config.n_mels}: the DCT of {config.n_mels} "
            f"mel bands gives only {config.n_mels} coefficients; use n_mfcc <= "
            f"{config.n_mels} or a configuration with more mel bands"
        )
    return int(n_mfcc)


# ---------------------------------------------------------------------- buffers


def _window_array(config: FeatureConfig) -> np.ndarray:
    """librosa's analysis window: get_window(window, win_length), zero-padded centred to n_fft."""
    import librosa

    window = librosa.filters.get_window(config.window, config.win_length, fftbins=True)
    return librosa.util.pad_center(window, size=config.n_fft).astype(np.float32)


def _dct_array(config: FeatureConfig) -> np.ndarray:
    """(n_mels, n_mels): row k is the k-th orthonormal DCT basis vector, as librosa applies it."""
    import scipy.fft

    return scipy.fft.dct(np.eye(config.n_mels), type=config.dct_type, norm="ortho",
                         axis=0).astype(np.float32)


def _lifter_array(config: FeatureConfig) -> np.ndarray:
    """librosa.feature.mfcc's liftering weights 1 + (L / 2) sin(pi k / L), k = 1 .. n_mels."""
    if config.lifter == 0:
        return np.ones(config.n_mels, dtype=np.float32)
    k = np.arange(1, 1 + config.n_mels, dtype=np.float32)
    return (1 + (config.lifter / 2) * np.sin(np.pi * k / config.lifter)).astype(np.float32)


_ARRAYS = {"window": _window_array, "mel": lambda c: c.mel_filterbank(),
           "dct": _dct_array, "lifter": _lifter_array}


@functools.lru_cache(maxsize=64)
def _buffer(kind: str, config: FeatureConfig, device: Any) -> torch.Tensor:
    """The window, mel filterbank, DCT matrix or lifter of ``config`` on ``device``, cached."""
    import torch

    return torch.as_tensor(_ARRAYS[kind](config), dtype=torch.float32, device=device)


# ------------------------------------------------------------------- the maths


def _source_index(j: torch.Tensor, n: int, mode: str) -> torch.Tensor:
    """Which sample np.pad(..., mode) copies to position j (j < 0 or j >= n)."""
    import torch

    if mode == "edge" or (mode == "reflect" and n == 1):
        return j.clamp(0, n - 1)
    period = 2 * n - 2 if mode == "reflect" else 2 * n     # reflect / symmetric
    m = torch.remainder(j, period)
    return torch.where(m < n, m, period - 1 - m + (mode == "reflect"))


def _pad_parts(x: torch.Tensor, config: FeatureConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """The n_fft // 2 samples np.pad(mode=config.pad_mode) puts before and after (B, n)."""
    import torch

    pad, n, mode = config.n_fft // 2, x.shape[-1], config.pad_mode
    if mode in ("constant", "empty"):
        zeros = x.new_zeros(x.shape[:-1] + (pad,))
        return zeros, zeros
    if mode == "linear_ramp":   # from 0 at the outer end to the edge sample, as NumPy
        ramp = torch.arange(pad, device=x.device, dtype=x.dtype) / pad
        return x[..., :1] * ramp, x[..., -1:] * ramp.flip(0)
    j = torch.cat([torch.arange(-pad, 0, device=x.device),
                   torch.arange(n, n + pad, device=x.device)])
    left, right = x.index_select(-1, _source_index(j, n, mode)).split(pad, dim=-1)
    return left, right


def _pad(x: torch.Tensor, config: FeatureConfig) -> torch.Tensor:
    """Pad n_fft // 2 samples at both ends of (B, n) as np.pad(mode=config.pad_mode) does."""
    import torch

    if config.n_fft // 2 == 0:
        return x
    if config.pad_mode in ("constant", "empty"):
        return torch.nn.functional.pad(x, (config.n_fft // 2, config.n_fft // 2))
    left, right = _pad_parts(x, config)
    return torch.cat([left, x, right], dim=-1)


def _rows(function, x: torch.Tensor) -> torch.Tensor:
    """function(x) for x (B, ...) in chunks of rows on the CPU (cache-sized), whole elsewhere."""
    import torch

    if x.device.type != "cpu":
        return function(x)
    rows = max(1, _CHUNK_SAMPLES // max(1, x[0].numel()))
    if x.shape[0] <= rows:
        return function(x)
    return torch.cat([function(part) for part in x.split(rows)])


def _stft_rows(x: torch.Tensor, config: FeatureConfig, window: torch.Tensor) -> torch.Tensor:
    """(B, n) float32 -> (B, frames, bins) complex64."""
    import torch

    if config.center:
        x = _pad(x, config)
    frames = x.unfold(-1, config.n_fft, config.hop_length)
    return torch.fft.rfft(frames * window)


def _power(spectrum: torch.Tensor, power: float) -> torch.Tensor:
    if power == 2.0:
        return spectrum.real.square() + spectrum.imag.square()
    magnitude = spectrum.abs()
    return magnitude if power == 1.0 else magnitude.pow(power)


def _to_db(S: torch.Tensor, config: FeatureConfig) -> torch.Tensor:
    """librosa.power_to_db / amplitude_to_db of S = |X|**power: (20 / power) log10(S / ref).

    The maxima (ref=np.max, top_db) are taken over the last two axes of each signal.
    ``S`` is a fresh tensor of the caller's: without autograd it is converted in
    place (the same operations in the same order, so the same values), which keeps
    an hour of audio from needing several more copies of its spectrogram.
    """
    import torch

    scale = 20.0 / config.power
    if callable(config.ref):
        peak = S.amax(dim=(-2, -1), keepdim=True)
        offset = scale * torch.log10(peak.clamp(min=config.amin))
    else:
        offset = scale * math.log10(max(config.amin, abs(config.ref)))
    if S.requires_grad and torch.is_grad_enabled():
        db = scale * torch.log10(S.clamp(min=config.amin)) - offset
    else:
        db = S.clamp_(min=config.amin).log10_().mul_(scale).sub_(offset)
    if config.top_db is not None:
        floor = db.amax(dim=(-2, -1), keepdim=True) - config.top_db
        db = torch.maximum(db, floor) if db.requires_grad else torch.maximum(db, floor, out=db)
    return db


def _mel_rows(x: torch.Tensor, config: FeatureConfig, window: torch.Tensor,
              mel: torch.Tensor) -> torch.Tensor:
    """(B, n) -> (B, frames, n_mels) in the units of |X|**power.

    A long signal on the CPU goes a block of frames at a time into one output
    tensor, each block with exactly the samples its frames cover (the padding at
    the ends made as for the whole signal): the same values, but the frames, their
    spectra and powers are never all in memory at once (an hour at 16 kHz needed
    over 2 GiB).
    """
    import torch

    n, hop, n_fft = x.shape[-1], config.hop_length, config.n_fft
    left = n_fft // 2 if config.center else 0
    frames = 1 + (n + 2 * left - n_fft) // hop
    step = max(256, _CHUNK_SAMPLES // n_fft)
    if x.device.type != "cpu" or frames <= 4 * step:
        return _power(_stft_rows(x, config, window), config.power) @ mel.T
    pad_left, pad_right = _pad_parts(x, config) if left else (None, None)
    out = x.new_empty(x.shape[:-1] + (frames, mel.shape[0]))
    for t0 in range(0, frames, step):
        t1 = min(frames, t0 + step)
        a, b = t0 * hop - left, (t1 - 1) * hop - left + n_fft
        segment = x[..., max(a, 0):min(b, n)]
        if a < 0:
            segment = torch.cat([pad_left[..., left + a:], segment], dim=-1)
        if b > n:
            segment = torch.cat([segment, pad_right[..., :b - n]], dim=-1)
        spectrum = torch.fft.rfft(segment.unfold(-1, n_fft, hop) * window)
        out[..., t0:t1, :] = _power(spectrum, config.power) @ mel.T
    return out


def _autocast_off(device: torch.device):
    """A context in which torch.autocast does not lower this device's precision.

    Under ``torch.autocast`` (mixed-precision training) the matrix products would
    run in float16 or bfloat16: float16 overflows on power spectra (NaN/inf) and
    bfloat16 is off by tenths of a dB. The front-end turns autocast off for itself
    and returns float32; the layers after it still run in half precision.
    """
    import contextlib

    import torch

    try:
        return torch.autocast(device_type=device.type, enabled=False)
    except RuntimeError:              # a device type autocast does not know (meta)
        return contextlib.nullcontext()


def _features(x: torch.Tensor, config: FeatureConfig, kind: str,
              buffers: dict[str, torch.Tensor], n_mfcc: int | None = None) -> torch.Tensor:
    """The shared body of the functions and the modules' forward: x (..., n) float32."""
    window = buffers["window"].float()

    def body(rows: torch.Tensor) -> torch.Tensor:   # (B, n) -> (B, frames, bins or bands)
        if kind == "stft":
            return _stft_rows(rows, config, window)
        if kind == "spectrogram":
            return _power(_stft_rows(rows, config, window), config.power)
        mel = _mel_rows(rows, config, window, buffers["mel"].float())
        if kind == "melspectrogram":
            return mel
        db = _to_db(mel, config)
        if kind == "log_mel":
            return db
        return (db @ buffers["dct"][:n_mfcc].float().T) * buffers["lifter"][:n_mfcc].float()

    with _autocast_off(x.device):
        out = _rows(body, x.reshape(-1, x.shape[-1]))
    # (B, frames, F) -> (..., F, frames), contiguous
    return out.transpose(-1, -2).reshape(*x.shape[:-1], out.shape[-1], out.shape[-2])


def _istft(S: torch.Tensor, config: FeatureConfig, window: torch.Tensor,
           length: int | None) -> torch.Tensor:
    """librosa.istft: overlap-add of the windowed inverse FFTs over the window's sum of squares."""
    import torch
    from torch.nn.functional import fold

    n_fft, hop, half = config.n_fft, config.hop_length, config.n_fft // 2
    frames = S.shape[-1]
    if length is not None:      # frames beyond the output are not needed, as in librosa
        padded = length + 2 * half if config.center else length
        frames = min(frames, math.ceil(padded / hop))
    full = n_fft + hop * (frames - 1)
    start = half if config.center else 0
    if length is None:
        length = full - 2 * half if config.center else full
    stop = min(full, start + length)
    window = window.float()

    def overlap_add(columns: torch.Tensor) -> torch.Tensor:  # (B, n_fft, frames) -> (B, full)
        return fold(columns, output_size=(1, full), kernel_size=(1, n_fft),
                    stride=(1, hop)).reshape(columns.shape[0], full)

    envelope = overlap_add(window.square()[None, :, None].expand(1, n_fft, frames))[0]
    envelope = envelope[start:stop]
    nonzero = envelope > torch.finfo(torch.float32).tiny
    divisor = torch.where(nonzero, envelope, torch.ones_like(envelope))

    def body(rows: torch.Tensor) -> torch.Tensor:   # (B, bins, frames) -> (B, length)
        columns = torch.fft.irfft(rows[..., :frames], n=n_fft, dim=-2) * window[:, None]
        y = overlap_add(columns)[:, start:stop] / divisor
        return torch.nn.functional.pad(y, (0, length - y.shape[-1]))

    y = _rows(body, S.reshape(-1, *S.shape[-2:]))
    return y.reshape(*S.shape[:-2], length)


# -------------------------------------------------------------------- functions


def _run(x: object, config: object, kind: str, check_finite: bool,
         n_mfcc: object = None) -> torch.Tensor:
    config = _check_config(config)
    x = _check_signal(x, config, check_finite=check_finite)
    kinds = {"stft": ("window",), "spectrogram": ("window",),
             "melspectrogram": ("window", "mel"), "log_mel": ("window", "mel"),
             "mfcc": ("window", "mel", "dct", "lifter")}[kind]
    buffers = {name: _buffer(name, config, x.device) for name in kinds}
    n_mfcc = _check_n_mfcc(n_mfcc, config) if kind == "mfcc" else None
    return _features(x, config, kind, buffers, n_mfcc)


def stft(x: torch.Tensor, *, config: FeatureConfig, check_finite: bool = True) -> torch.Tensor:
    """Short-time Fourier transform, as :meth:`audiotut.features.FeatureConfig.stft`.

    Parameters
    ----------
    x : torch.Tensor
        Float signal(s), ``(..., n)``, on any device.
    config : audiotut.features.FeatureConfig
        The analysis settings (``n_fft``, ``hop_length``, ``win_length``,
        ``window``, ``center``, ``pad_mode``).
    check_finite : bool
        Refuse NaN or infinite samples. The check waits for the device once;
        pass False to skip it.

    Returns
    -------
    torch.Tensor
        complex64, ``(..., 1 + n_fft // 2, n_frames)``, on ``x``'s device.

    Raises
    ------
    ValueError
        If ``config`` is not a FeatureConfig; if ``x`` is not a float tensor
        (a numpy array, an integer tensor), is non-finite, is frame-first, or
        with ``center=False`` is shorter than ``n_fft``.

    Notes
    -----
    float16, bfloat16 and float64 inputs are computed in float32.

    Taught in :doc:`/book/08_gpu_features`.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from audiotut.features import FeatureConfig
    >>> from audiotut import gpu
    >>> cfg = FeatureConfig(sr=16000, n_fft=512)
    >>> x = torch.sin(2 * torch.pi * 1000 * torch.arange(16000) / 16000)
    >>> X = gpu.stft(x, config=cfg)
    >>> X.shape, X.dtype
    (torch.Size([257, 126]), torch.complex64)
    >>> int(X[:, 50].abs().argmax()) * cfg.sr / cfg.n_fft     # the peak bin in Hz
    1000.0
    >>> bool(np.allclose(X.numpy(), cfg.stft(x.numpy()), atol=1e-3))
    True
    """
    return _run(x, config, "stft", check_finite)


def istft(X: torch.Tensor, *, config: FeatureConfig, length: int | None = None,
          check_finite: bool = True) -> torch.Tensor:
    """Inverse STFT, as :meth:`audiotut.features.FeatureConfig.istft` (librosa.istft).

    Overlap-adds the windowed inverse FFTs and divides by the window's sum of
    squares wherever it is above float32's smallest normal number (elsewhere,
    as at the ends with ``center=False``, the samples stay as summed).

    Parameters
    ----------
    X : torch.Tensor
        Complex STFT ``(..., 1 + n_fft // 2, n_frames)``, e.g. from :func:`stft`.
    config : audiotut.features.FeatureConfig
        The settings that computed ``X``.
    length : int or None
        Trim or zero-pad the output to exactly this many samples; pass the
        original signal's length to get it back sample for sample.
    check_finite : bool
        Refuse NaN or infinite values (waits for the device once).

    Returns
    -------
    torch.Tensor
        float32, ``(..., length)``.

    Raises
    ------
    ValueError
        If ``X`` is not a tensor with ``1 + n_fft // 2`` rows, is not finite,
        or ``length`` is not a positive whole number.

    Notes
    -----
    Taught in :doc:`/book/08_gpu_features`.

    Examples
    --------
    >>> import torch
    >>> from audiotut.features import FeatureConfig
    >>> from audiotut import gpu
    >>> cfg = FeatureConfig(sr=16000, n_fft=512)
    >>> x = torch.rand(2, 12345) - 0.5
    >>> back = gpu.istft(gpu.stft(x, config=cfg), config=cfg, length=12345)
    >>> back.shape, bool((back - x).abs().max() < 1e-5)
    (torch.Size([2, 12345]), True)
    """
    import torch

    config = _check_config(config)
    if isinstance(X, np.ndarray):
        raise ValueError("X is a numpy array; audiotut.gpu takes torch tensors: pass "
                         "torch.from_numpy(X), or use FeatureConfig.istft for numpy arrays")
    if not isinstance(X, torch.Tensor):
        raise ValueError(f"X must be a complex torch.Tensor (..., 1 + n_fft // 2, n_frames), "
                         f"got {type(X).__name__}")
    bins = 1 + config.n_fft // 2
    if X.ndim < 2 or X.shape[-2] != bins or X.shape[-1] == 0:
        raise ValueError(
            f"X has shape {tuple(X.shape)}; an STFT with n_fft={config.n_fft} has {bins} "
            "frequency rows, (..., 1 + n_fft // 2, n_frames): use the same FeatureConfig "
            "that computed it"
        )
    if not (X.is_complex() or X.is_floating_point()):
        raise ValueError(f"X has dtype {X.dtype}; an STFT is complex (complex64)")
    length = _check_length(length)
    if check_finite and not bool(torch.isfinite(X).all()):
        raise ValueError("X holds NaN or infinite values; the STFT must be finite to invert it")
    X = X.to(torch.complex64)
    return _istft(X, config, _buffer("window", config, X.device), length)


def spectrogram(x: torch.Tensor, *, config: FeatureConfig,
                check_finite: bool = True) -> torch.Tensor:
    """``|STFT|**power``, as :meth:`audiotut.features.FeatureConfig.spectrogram`.

    Parameters
    ----------
    x : torch.Tensor
        Float signal(s), ``(..., n)``.
    config : audiotut.features.FeatureConfig
        The analysis settings; ``config.power`` is the exponent.
    check_finite : bool
        Refuse NaN or infinite samples (waits for the device once).

    Returns
    -------
    torch.Tensor
        float32, ``(..., 1 + n_fft // 2, n_frames)``.

    Raises
    ------
    ValueError
        As :func:`stft`.

    Notes
    -----
    Taught in :doc:`/book/08_gpu_features`.

    Examples
    --------
    >>> import torch
    >>> from audiotut.features import FeatureConfig
    >>> from audiotut import gpu
    >>> cfg = FeatureConfig(sr=16000, n_fft=512, power=1.0)
    >>> gpu.spectrogram(torch.zeros(3, 16000), config=cfg).shape
    torch.Size([3, 257, 126])
    """
    return _run(x, config, "spectrogram", check_finite)


def melspectrogram(x: torch.Tensor, *, config: FeatureConfig,
                   check_finite: bool = True) -> torch.Tensor:
    """Mel spectrogram, as :meth:`audiotut.features.FeatureConfig.melspectrogram`.

    The filterbank is ``config.mel_filterbank()`` (librosa.filters.mel).

    Parameters
    ----------
    x : torch.Tensor
        Float signal(s), ``(..., n)``.
    config : audiotut.features.FeatureConfig
        STFT and mel settings.
    check_finite : bool
        Refuse NaN or infinite samples (waits for the device once).

    Returns
    -------
    torch.Tensor
        float32, ``(..., n_mels, n_frames)``, in the units of ``|STFT|**power``.

    Raises
    ------
    ValueError
        As :func:`stft`.

    Notes
    -----
    Taught in :doc:`/book/08_gpu_features`.

    Examples
    --------
    >>> import torch
    >>> from audiotut.features import FeatureConfig
    >>> from audiotut import gpu
    >>> cfg = FeatureConfig(sr=16000, n_fft=512, n_mels=40)
    >>> x = torch.sin(2 * torch.pi * 1000 * torch.arange(16000) / 16000)
    >>> M = gpu.melspectrogram(x, config=cfg)
    >>> M.shape
    torch.Size([40, 126])
    >>> band = int(M[:, 50].argmax())                  # the band holding the tone ...
    >>> bool(abs(cfg.mel_frequencies()[band] - 1000) < 100)   # ... is centred near 1 kHz
    True
    """
    return _run(x, config, "melspectrogram", check_finite)


def log_mel(x: torch.Tensor, *, config: FeatureConfig,
            check_finite: bool = True) -> torch.Tensor:
    """Log-mel spectrogram in dB, as :meth:`audiotut.features.FeatureConfig.log_mel`.

    ``(20 / power) log10(max(S, amin) / max(ref, amin))`` of the mel
    spectrogram ``S``: librosa.power_to_db for ``power=2``,
    amplitude_to_db for ``power=1``, then floored ``top_db`` below the
    maximum (no floor for ``top_db=None``).

    Parameters
    ----------
    x : torch.Tensor
        Float signal(s), ``(..., n)``.
    config : audiotut.features.FeatureConfig
        STFT, mel and dB settings. ``ref`` is a number or ``numpy.max``.
    check_finite : bool
        Refuse NaN or infinite samples (waits for the device once).

    Returns
    -------
    torch.Tensor
        float32 dB, ``(..., n_mels, n_frames)``.

    Raises
    ------
    ValueError
        As :func:`stft`, or if ``config.ref`` is a callable other than
        ``numpy.max``.

    Notes
    -----
    ``ref=np.max`` and ``top_db`` use each signal's own maximum over its
    ``(n_mels, n_frames)`` block, computed on the device. For a
    ``(channels, n)`` array librosa takes one maximum over all channels.

    Taught in :doc:`/book/08_gpu_features`.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from audiotut.features import FeatureConfig
    >>> from audiotut import gpu
    >>> cfg = FeatureConfig(sr=16000, n_fft=512, n_mels=40, ref=np.max)
    >>> x = 0.1 * torch.randn(4, 16000)
    >>> L = gpu.log_mel(x, config=cfg)
    >>> L.shape, L.amax(dim=(-2, -1)).tolist(), bool(L.min() >= -80)
    (torch.Size([4, 40, 126]), [0.0, 0.0, 0.0, 0.0], True)
    >>> float((L[0] - torch.from_numpy(cfg.log_mel(x[0].numpy()))).abs().max()) < 1e-3
    True
    """
    return _run(x, config, "log_mel", check_finite)


def mfcc(x: torch.Tensor, *, config: FeatureConfig, n_mfcc: int | None = None,
         check_finite: bool = True) -> torch.Tensor:
    """MFCCs, as :meth:`audiotut.features.FeatureConfig.mfcc` (librosa.feature.mfcc).

    The orthonormal DCT (type ``config.dct_type``) of :func:`log_mel` along
    the mel axis, its first ``n_mfcc`` rows, liftered with
    ``1 + (lifter / 2) sin(pi k / lifter)`` when ``config.lifter > 0``.

    Parameters
    ----------
    x : torch.Tensor
        Float signal(s), ``(..., n)``.
    config : audiotut.features.FeatureConfig
        STFT, mel, dB and MFCC settings.
    n_mfcc : int or None
        Number of coefficients; ``None`` uses ``config.n_mfcc``.
    check_finite : bool
        Refuse NaN or infinite samples (waits for the device once).

    Returns
    -------
    torch.Tensor
        float32, ``(..., n_mfcc, n_frames)``.

    Raises
    ------
    ValueError
        As :func:`log_mel`, or if ``n_mfcc`` is not between 1 and ``n_mels``.

    Notes
    -----
    Taught in :doc:`/book/08_gpu_features`.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from audiotut.features import FeatureConfig
    >>> from audiotut import gpu
    >>> cfg = FeatureConfig(sr=16000, n_fft=512, n_mels=40, n_mfcc=13)
    >>> x = 0.1 * torch.randn(16000)
    >>> C = gpu.mfcc(x, config=cfg)
    >>> C.shape, gpu.mfcc(x, config=cfg, n_mfcc=20).shape
    (torch.Size([13, 126]), torch.Size([20, 126]))
    >>> bool(np.allclose(C.numpy(), cfg.mfcc(x.numpy()), atol=1e-3))
    True
    """
    return _run(x, config, "mfcc", check_finite, n_mfcc)


# ---------------------------------------------------------------------- modules

_MODULE_DOCS = {
    "Spectrogram": ("``|STFT|**power``", "spectrogram", "(..., 1 + n_fft // 2, n_frames)",
                    "window", "torch.Size([8, 2, 257, 126])"),
    "MelSpectrogram": ("the mel spectrogram", "melspectrogram", "(..., n_mels, n_frames)",
                       "window and ``mel_filterbank``", "torch.Size([8, 2, 40, 126])"),
    "LogMel": ("the log-mel spectrogram in dB", "log_mel", "(..., n_mels, n_frames)",
               "window and ``mel_filterbank``", "torch.Size([8, 2, 40, 126])"),
    "MFCC": ("MFCCs", "mfcc", "(..., n_mfcc, n_frames)",
             "window, ``mel_filterbank``, ``dct`` and ``lifter``",
             "torch.Size([8, 2, 13, 126])"),
}


def _module_doc(name: str) -> str:
    what, function, shape, buffers, example_shape = _MODULE_DOCS[name]
    extra = ("\n    n_mfcc : int or None\n        Number of coefficients; ``None`` uses "
             "``config.n_mfcc``." if name == "MFCC" else "")
    summary = what[0].upper() + what[1:]
    return f"""{summary} as a ``torch.nn.Module``: :func:`{function}` in ``forward``.

    Holds the {buffers} as non-persistent buffers, so ``.to(device)`` moves
    them with the model (and ``state_dict()`` stays empty: they follow from
    the configuration). ``forward(x)`` takes float signals ``(..., n)`` on the
    buffers' device and returns float32 ``{shape}``, without copying to the
    host or waiting for the device (it skips :func:`{function}`'s finiteness
    check). Gradients flow back to ``x``.

    Parameters
    ----------
    config : audiotut.features.FeatureConfig
        The settings, checked when the module is built.{extra}

    Raises
    ------
    ValueError
        When built, if ``config`` is not a FeatureConfig or has an unsupported
        ``ref``; in ``forward``, for an input as :func:`{function}` refuses, or
        one on another device than the buffers (move the module with
        ``.to(device)``).

    Notes
    -----
    Taught in :doc:`/book/08_gpu_features`.

    Examples
    --------
    >>> import torch
    >>> from audiotut.features import FeatureConfig
    >>> from audiotut.gpu import {name}, {function}
    >>> cfg = FeatureConfig(sr=16000, n_fft=512, n_mels=40, n_mfcc=13)
    >>> layer = {name}(cfg)
    >>> x = 0.1 * torch.randn(8, 2, 16000)                 # (batch, channels, n)
    >>> y = layer(x)
    >>> y.shape
    {example_shape}
    >>> bool(torch.allclose(y, {function}(x, config=cfg), atol=1e-5))
    True
    """


@functools.lru_cache(maxsize=None)
def _module_classes() -> dict[str, type]:
    """Build the torch.nn.Module classes (importing torch) once, on first use."""
    torch = require_torch("audiotut.gpu's modules")

    class _FeatureModule(torch.nn.Module):
        _kind = ""
        _buffers_needed: tuple[str, ...] = ()
        _buffer_names = {"window": "window", "mel": "mel_filterbank", "dct": "dct",
                         "lifter": "lifter"}

        def __init__(self, config: FeatureConfig) -> None:
            super().__init__()
            self.config = _check_config(config)
            for kind in self._buffers_needed:
                tensor = _buffer(kind, config, torch.device("cpu")).clone()
                self.register_buffer(self._buffer_names[kind], tensor, persistent=False)

        def _tensors(self) -> dict[str, torch.Tensor]:
            return {kind: getattr(self, self._buffer_names[kind])
                    for kind in self._buffers_needed}

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = _check_signal(x, self.config, check_finite=False)
            if x.device != self.window.device:
                raise ValueError(
                    f"x is on {x.device} but this {type(self).__name__}'s buffers are on "
                    f"{self.window.device}: move the module with .to({str(x.device)!r}) "
                    f"(or the input with x.to({str(self.window.device)!r}))"
                )
            return _features(x, self.config, self._kind, self._tensors(),
                             getattr(self, "n_mfcc", None))

        def extra_repr(self) -> str:
            return f"config={self.config!r}"

    class Spectrogram(_FeatureModule):
        _kind, _buffers_needed = "spectrogram", ("window",)

    class MelSpectrogram(_FeatureModule):
        _kind, _buffers_needed = "melspectrogram", ("window", "mel")

    class LogMel(_FeatureModule):
        _kind, _buffers_needed = "log_mel", ("window", "mel")

    class MFCC(_FeatureModule):
        _kind, _buffers_needed = "mfcc", ("window", "mel", "dct", "lifter")

        def __init__(self, config: FeatureConfig, n_mfcc: int | None = None) -> None:
            super().__init__(config)
            self.n_mfcc = _check_n_mfcc(n_mfcc, self.config)

        def extra_repr(self) -> str:
            return f"config={self.config!r}, n_mfcc={self.n_mfcc}"

    classes = {}
    for cls in (Spectrogram, MelSpectrogram, LogMel, MFCC):
        cls.__module__ = __name__
        cls.__qualname__ = cls.__name__
        cls.__doc__ = _module_doc(cls.__name__)
        classes[cls.__name__] = cls
    return classes


def __getattr__(name: str) -> type:
    """``from audiotut.gpu import LogMel`` builds the module classes, importing torch then."""
    if name in _MODULE_NAMES:
        return _module_classes()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_MODULE_NAMES))


# doctest does not see the lazily built classes: run their examples from here
__test__ = {name: _module_doc(name) for name in _MODULE_NAMES}
