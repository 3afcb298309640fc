"""Small models and the glue around them: a digit CNN, fixed-length clips, evaluation.

The reusable parts of chapter 9's spoken-digit classifier (the training loop
itself stays in the chapter, where it is the lesson). Everything here is glue
that torch and NumPy lack: the one model class, :class:`DigitCNN`, with
:class:`audiotut.gpu.LogMel` as its first layer; cutting clips to one length
(:func:`fix_length`); seeding for reproducible training (:func:`deterministic`);
and counting what a model gets right (:func:`predict`, :func:`evaluate`,
:func:`confusion_matrix`). torch is imported only inside functions and when ``DigitCNN`` is
first used, never by ``import audiotut``.

Taught in :doc:`/book/09_datasets`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._files import write_atomically
from ._validate import check_positive, check_signal
from .features import FeatureConfig

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["DigitCNN", "confusion_matrix", "deterministic", "evaluate", "fix_length",
           "load", "predict", "save"]

_ALIGNS = ("center", "left")


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
    >>> from audiotut.models import fix_length
    >>> y = np.array([1, 2, 3], dtype=np.float32)
    >>> fix_length(y, length=6), fix_length(y, length=6, align="left")
    (array([0., 1., 2., 3., 0., 0.], dtype=float32), array([1., 2., 3., 0., 0., 0.], dtype=float32))
    >>> fix_length(np.arange(1, 6, dtype=np.float32), length=3)
    array([2., 3., 4.], dtype=float32)
    """
    import librosa

    y = check_signal(y)
    length = int(check_positive(length, "length", "samples", whole=True))
    if align not in _ALIGNS:
        raise ValueError(f"align must be one of {_ALIGNS}, got {align!r}")
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
    >>> from audiotut.models import deterministic
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


# ----------------------------------------------------------------------- model


_DIGIT_CNN_DOC = """A small CNN that classifies fixed-length clips from their log-mel spectrogram.

    ``forward(x)`` takes waveforms ``(batch, n)`` and returns logits
    ``(batch, n_classes)``: :class:`audiotut.gpu.LogMel` is its first layer,
    so the model carries its front-end (``.to(device)`` moves it, and the
    features equal librosa's). :meth:`classify` takes log-mels
    ``(batch, n_mels, frames)`` instead: LogMel has no parameters, so
    ``model.classify(model.logmel(x))`` is ``model(x)`` and the log-mels of
    un-augmented clips can be computed once and reused every epoch.

    The body: a BatchNorm over the input (it learns the dB offset and scale),
    then per block a 3x3 convolution, BatchNorm, ReLU and 2x2 max-pooling,
    then the mean over time (the frequency bands are kept: channels x bands
    features), dropout and one linear layer. Because of that mean, a clip of
    any length gives logits of the same shape; fixed lengths are only for
    stacking a batch.

    Parameters
    ----------
    config : audiotut.features.FeatureConfig
        The front-end; its ``sr`` must be the clips' rate.
    n_classes : int
        Number of outputs (10 digits).
    channels : sequence of int
        Output channels of each convolution block; one block per entry.
    dropout : float
        Dropout probability before the linear layer.

    Raises
    ------
    ValueError
        For a bad config, no blocks, a non-positive channel count or class
        count, or dropout outside [0, 1); in ``forward``, for input that is not
        a float tensor ``(batch, n)``.

    Notes
    -----
    The front-end's buffers are non-persistent, so ``state_dict()`` holds only
    learned weights and BatchNorm statistics: save the configuration beside
    them (:meth:`audiotut.features.FeatureConfig.to_dict`) and build the model
    from it (:meth:`~audiotut.features.FeatureConfig.from_dict`) before
    ``load_state_dict``.

    Taught in :doc:`/book/09_datasets`.

    Examples
    --------
    >>> import torch
    >>> from audiotut.features import FeatureConfig
    >>> from audiotut.models import DigitCNN
    >>> cfg = FeatureConfig(sr=8000, n_fft=256, hop_length=80, n_mels=40)
    >>> model = DigitCNN(cfg).eval()
    >>> x = 0.1 * torch.randn(4, 8000)
    >>> model(x).shape, model.logmel(x).shape
    (torch.Size([4, 10]), torch.Size([4, 40, 101]))
    >>> bool(torch.allclose(model(x), model.classify(model.logmel(x))))
    True
    >>> sum(p.numel() for p in model.parameters())
    26620
    """


@functools.lru_cache(maxsize=None)
def _digit_cnn_class() -> type:
    import torch
    from torch import nn

    from audiotut.gpu import LogMel

    class DigitCNN(nn.Module):
        __doc__ = _DIGIT_CNN_DOC

        def __init__(self, config: FeatureConfig, *, n_classes: int = 10,
                     channels: Sequence[int] = (16, 32, 64), dropout: float = 0.1) -> None:
            super().__init__()
            n_classes = int(check_positive(n_classes, "n_classes", "classes", whole=True))
            channels = [int(check_positive(c, "channels", "channels", whole=True))
                        for c in channels]
            if not channels:
                raise ValueError("channels must name at least one block, e.g. (16, 32, 64)")
            if not 0 <= dropout < 1:
                raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
            self.logmel = LogMel(config)
            self.config = self.logmel.config
            # what save() writes so that load() can build the same network again
            self.init_args = {"n_classes": n_classes, "channels": list(channels),
                              "dropout": float(dropout)}
            layers: list[nn.Module] = [nn.BatchNorm2d(1)]
            for c_in, c_out in zip([1, *channels[:-1]], channels):
                layers += [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
                           nn.BatchNorm2d(c_out), nn.ReLU(), nn.MaxPool2d(2)]
            self.body = nn.Sequential(*layers)
            self.dropout = nn.Dropout(dropout)
            bands = self.config.n_mels // 2 ** len(channels)
            if bands < 1:
                raise ValueError(
                    f"{len(channels)} blocks halve n_mels={self.config.n_mels} to nothing; "
                    f"use at most {self.config.n_mels.bit_length() - 1} blocks or more mel bands")
            self.linear = nn.Linear(channels[-1] * bands, n_classes)

        def classify(self, S: torch.Tensor) -> torch.Tensor:
            """Logits ``(batch, n_classes)`` from log-mels ``(batch, n_mels, frames)``."""
            if S.ndim != 3:
                raise ValueError(f"S has shape {tuple(S.shape)}; expected log-mels "
                                 "(batch, n_mels, frames): batch one clip with S[None]")
            h = self.body(S.unsqueeze(1))               # (batch, channels, bands, frames')
            h = h.mean(dim=3).flatten(1)                # mean over time: (batch, channels * bands)
            return self.linear(self.dropout(h))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if isinstance(x, torch.Tensor) and x.ndim != 2:
                raise ValueError(
                    f"x has shape {tuple(x.shape)}; expected waveforms (batch, n): batch one "
                    "clip with x[None], and fold channels into the batch or mix them to mono")
            return self.classify(self.logmel(x))

    DigitCNN.__module__ = __name__
    DigitCNN.__qualname__ = "DigitCNN"
    _ = torch
    return DigitCNN


def __getattr__(name: str) -> Any:
    """``from audiotut.models import DigitCNN`` builds the class, importing torch then."""
    if name == "DigitCNN":
        return _digit_cnn_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | {"DigitCNN"})


# ----------------------------------------------------------------------- evaluation


def predict(model: torch.nn.Module, loader: Any) -> tuple[np.ndarray, np.ndarray]:
    """Run a model over a loader in eval mode; return the true and the predicted labels.

    Parameters
    ----------
    model : torch.nn.Module
        Returns logits ``(batch, n_classes)``.
    loader : iterable of (inputs, labels)
        A ``torch.utils.data.DataLoader`` or any iterable of tensor pairs, on
        the model's device.

    Returns
    -------
    (labels, predictions) : tuple of numpy.ndarray
        int64, one entry per example, in the loader's order.

    Raises
    ------
    ValueError
        For a loader without batches, non-finite inputs, or non-finite logits
        (``argmax`` would silently count a NaN row as class 0).

    Notes
    -----
    Switches the model to ``eval()`` (BatchNorm uses its running statistics,
    dropout is off), runs under :func:`torch.no_grad`, and restores the mode
    it found.

    Taught in :doc:`/book/09_datasets`.

    Examples
    --------
    >>> import torch
    >>> from audiotut.models import predict
    >>> model = torch.nn.Linear(2, 2, bias=False)
    >>> _ = model.weight.data.copy_(torch.eye(2))
    >>> x, y = torch.tensor([[1., 0.], [0., 1.], [2., 3.]]), torch.tensor([0, 1, 0])
    >>> predict(model, [(x, y)])
    (array([0, 1, 0]), array([0, 1, 1]))
    """
    import torch

    was_training = model.training
    model.eval()
    labels, predictions = [], []
    try:
        with torch.no_grad():
            for batch, (x, y) in enumerate(loader):
                if torch.is_tensor(x) and x.is_floating_point() and not torch.isfinite(x).all():
                    raise ValueError(
                        f"batch {batch} holds {int((~torch.isfinite(x)).sum())} NaN or infinite "
                        "input values; a prediction from them means nothing. Find where they "
                        "come from (a corrupt file, a log of zero) or replace them first")
                logits = model(x)
                if not torch.isfinite(logits).all():
                    rows = int((~torch.isfinite(logits)).any(dim=1).sum())
                    raise ValueError(
                        f"the model returned NaN or infinite logits for {rows} example(s) of "
                        f"batch {batch} (argmax would count them as class 0); the weights or "
                        "the inputs went non-finite: check the training loss and the inputs")
                predictions.append(logits.argmax(dim=1).cpu())
                labels.append(torch.as_tensor(y).cpu())
    finally:
        model.train(was_training)
    if not labels:
        raise ValueError("loader yielded no batches; check that the dataset is not empty")
    return torch.cat(labels).numpy(), torch.cat(predictions).numpy()


def evaluate(model: torch.nn.Module, loader: Any) -> float:
    """Accuracy of ``model`` over ``loader``: the fraction of labels it predicts.

    Parameters
    ----------
    model : torch.nn.Module
        Returns logits ``(batch, n_classes)``.
    loader : iterable of (inputs, labels)
        As for :func:`predict`.

    Returns
    -------
    float
        Between 0 and 1.

    Raises
    ------
    ValueError
        As :func:`predict`: no batches, non-finite inputs or logits.

    Notes
    -----
    Runs in eval mode without gradients, like :func:`predict`.

    Taught in :doc:`/book/09_datasets`.

    Examples
    --------
    >>> import torch
    >>> from audiotut.models import evaluate
    >>> model = torch.nn.Linear(2, 2, bias=False)
    >>> _ = model.weight.data.copy_(torch.eye(2))
    >>> x, y = torch.tensor([[1., 0.], [0., 1.], [2., 3.]]), torch.tensor([0, 1, 0])
    >>> round(evaluate(model, [(x, y)]), 4)
    0.6667
    """
    labels, predictions = predict(model, loader)
    return float(np.mean(labels == predictions))


def confusion_matrix(labels: Sequence[int] | np.ndarray, predictions: Sequence[int] | np.ndarray,
                     *, n_classes: int) -> np.ndarray:
    """Count each (true label, predicted label) pair.

    Parameters
    ----------
    labels, predictions : sequence of int
        Of equal length, values in ``0 .. n_classes - 1``.
    n_classes : int
        Number of classes.

    Returns
    -------
    numpy.ndarray
        int64 ``(n_classes, n_classes)``: row ``i`` column ``j`` counts the
        examples of class ``i`` predicted as ``j``. The diagonal is what is
        right; each row sums to the number of examples of that class.

    Raises
    ------
    ValueError
        For different lengths or a label outside the classes.

    Notes
    -----
    The same convention as :func:`sklearn.metrics.confusion_matrix` (rows
    are truth), without needing scikit-learn.

    Taught in :doc:`/book/09_datasets`.

    Examples
    --------
    >>> from audiotut.models import confusion_matrix
    >>> confusion_matrix([0, 0, 1, 2], [0, 1, 1, 2], n_classes=3)
    array([[1, 1, 0],
           [0, 1, 0],
           [0, 0, 1]])
    """
    n_classes = int(check_positive(n_classes, "n_classes", "classes", whole=True))
    labels = np.asarray(labels)
    predictions = np.asarray(predictions)
    if labels.shape != predictions.shape or labels.ndim != 1:
        raise ValueError(f"labels {labels.shape} and predictions {predictions.shape} must be "
                         "1-D and of the same length")
    for name, values in (("labels", labels), ("predictions", predictions)):
        if values.size and (values.dtype.kind not in "iu" or values.min() < 0
                            or values.max() >= n_classes):
            raise ValueError(f"{name} must be whole numbers in 0..{n_classes - 1}, got values "
                             f"from {values.min()} to {values.max()}")
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (labels.astype(np.int64), predictions.astype(np.int64)), 1)
    return counts


# doctest does not see the lazily built class: run its example from here
__test__ = {"DigitCNN": _DIGIT_CNN_DOC}


# ----------------------------------------------------------------------- checkpoints

_FORMAT = "audiotut-model-1"


def save(model: torch.nn.Module, path: str | os.PathLike, *,
         classes: Sequence[str] | None = None) -> Path:
    """Save a :class:`DigitCNN` with everything needed to use it again, in one file.

    The file holds the learned weights, the front-end's
    :class:`~audiotut.features.FeatureConfig` (as :meth:`~audiotut.features.FeatureConfig.to_dict`
    data: a ``state_dict`` alone does not have it), the network's shape, the
    class names and the audiotut version, all as tensors and plain data, so
    ``torch.load(path, weights_only=True)`` reads it without running any code.
    The file is written atomically (a temporary file, then a rename).

    Parameters
    ----------
    model : DigitCNN
        The trained model.
    path : str or os.PathLike
        Where to write, e.g. ``"digits.pt"``.
    classes : sequence of str, optional
        The class names, in the order of the model's outputs.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ValueError
        For a model that is not a DigitCNN, or class names whose count is not
        the model's number of outputs.
    FileNotFoundError
        If the folder to write into does not exist.

    Notes
    -----
    Taught in :doc:`/book/09_datasets`.

    Examples
    --------
    >>> import tempfile, os
    >>> from audiotut.features import FeatureConfig
    >>> from audiotut.models import DigitCNN, load, save
    >>> model = DigitCNN(FeatureConfig(sr=8000, n_fft=256, hop_length=128, n_mels=24),
    ...                  n_classes=2, channels=(8, 16))
    >>> path = save(model, os.path.join(tempfile.mkdtemp(), "yes-no.pt"),
    ...             classes=["no", "yes"])
    >>> again, classes = load(path)
    >>> classes, again.config == model.config
    (['no', 'yes'], True)
    """
    import torch

    from . import __version__

    if not hasattr(model, "init_args") or not hasattr(model, "config"):
        raise ValueError(f"save() writes audiotut's DigitCNN models; got {type(model).__name__}. "
                         "For another model, save its state_dict with torch.save")
    n_classes = model.init_args["n_classes"]
    if classes is not None:
        classes = [str(c) for c in classes]
        if len(classes) != n_classes:
            raise ValueError(f"classes has {len(classes)} names for a model with {n_classes} "
                             "outputs; give one name per output, in order")
    checkpoint = {"format": _FORMAT, "audiotut": __version__, "model": "DigitCNN",
                  "init": dict(model.init_args), "config": model.config.to_dict(),
                  "classes": classes, "weights": model.state_dict()}
    return write_atomically(Path(path), lambda stream: torch.save(checkpoint, stream))


def load(path: str | os.PathLike, *, into: torch.nn.Module | None = None
         ) -> tuple[torch.nn.Module, list[str] | None]:
    """Load a model written by :func:`save`: ``(model, classes)``, in eval mode.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    into : DigitCNN, optional
        Load the weights into this model instead of building a new one; its
        front-end configuration must equal the saved one.

    Returns
    -------
    model : DigitCNN
        Rebuilt from the saved configuration and shape (or ``into``), with the
        saved weights, in ``eval()`` mode.
    classes : list of str or None
        The saved class names.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        For a file that :func:`save` did not write, or an ``into`` model whose
        configuration differs from the saved one (the message names every
        differing field with both values).

    Notes
    -----
    Reads with ``torch.load(weights_only=True)``: tensors and plain data only.
    Taught in :doc:`/book/09_datasets`.

    Examples
    --------
    >>> import tempfile, os
    >>> from audiotut.features import FeatureConfig
    >>> from audiotut.models import DigitCNN, load, save
    >>> path = save(DigitCNN(FeatureConfig(sr=8000, n_fft=256, n_mels=40)),
    ...             os.path.join(tempfile.mkdtemp(), "m.pt"))
    >>> other = DigitCNN(FeatureConfig(sr=16000, n_fft=512, n_mels=40))
    >>> try:
    ...     load(path, into=other)
    ... except ValueError as error:
    ...     print(str(error)[:60])
    the saved front-end differs from into's: sr 8000 saved, 1600
    """
    import torch

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(2, f"no model file '{path}'", str(path))
    try:
        checkpoint = torch.load(path, weights_only=True, map_location="cpu")
    except Exception as error:                       # pickle/zip errors of a foreign file
        raise ValueError(f"'{path}' is not a model saved by audiotut.models.save "
                         f"({type(error).__name__}: {str(error).splitlines()[0][:120]})") from None
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != _FORMAT:
        raise ValueError(f"'{path}' is not a model saved by audiotut.models.save (for a bare "
                         "state_dict, build the model and call load_state_dict)")
    config = FeatureConfig.from_dict(checkpoint["config"])
    if into is None:
        model = _digit_cnn_class()(config, **checkpoint["init"])
    else:
        differ = [f"{name} {value!r} saved, {getattr(into.config, name)!r} in into"
                  for name, value in config.to_dict().items()
                  if into.config.to_dict().get(name) != value]
        if differ:
            raise ValueError("the saved front-end differs from into's: " + "; ".join(differ)
                             + "; load without into= to rebuild the saved model")
        model = into
    model.load_state_dict(checkpoint["weights"])
    return model.eval(), checkpoint["classes"]
