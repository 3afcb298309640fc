"""Small models and the glue around them: a log-mel CNN, training, evaluation, checkpoints.

The reusable parts of chapter 9's spoken-digit classifier. Everything here is
glue that torch and NumPy lack: a small classifier, :class:`LogMelCNN`, with
:class:`audiotut.gpu.LogMel` as its first layer; a training loop for
coursework (:func:`fit`; the chapters write theirs out, where it is the
lesson); counting what a model gets right (:func:`predict`, :func:`evaluate`,
:func:`confusion_matrix`); and checkpoints that carry their front-end
(:func:`save`, :func:`load`). Clip lengths and seeding live in
:mod:`audiotut.utils`. torch is imported only inside functions and when
``LogMelCNN`` is first used, never by ``import audiotut``.

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
from ._validate import check_positive
from .features import FeatureConfig
from .utils import deterministic, fix_length  # noqa: F401  (their old home)

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["LogMelCNN", "confusion_matrix", "evaluate", "fit", "load", "predict", "save"]


# ----------------------------------------------------------------------- model


_LOG_MEL_CNN_DOC = """A small CNN that classifies fixed-length clips from their log-mel spectrogram.

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
        Number of outputs, one per class (default 10, e.g. the ten digits).
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

    Any fixed set of classes of short sounds fits it: digits, keywords,
    events. It was called ``DigitCNN`` in the book's first edition; that name
    still imports the same class.

    Taught in :doc:`/book/09_datasets`.

    Examples
    --------
    >>> import torch
    >>> from audiotut.features import FeatureConfig
    >>> from audiotut.models import LogMelCNN
    >>> cfg = FeatureConfig(sr=8000, n_fft=256, hop_length=80, n_mels=40)
    >>> model = LogMelCNN(cfg).eval()
    >>> x = 0.1 * torch.randn(4, 8000)
    >>> model(x).shape, model.logmel(x).shape
    (torch.Size([4, 10]), torch.Size([4, 40, 101]))
    >>> bool(torch.allclose(model(x), model.classify(model.logmel(x))))
    True
    >>> sum(p.numel() for p in model.parameters())
    26620
    """


@functools.lru_cache(maxsize=None)
def _log_mel_cnn_class() -> type:
    import torch
    from torch import nn

    from audiotut.gpu import LogMel

    class LogMelCNN(nn.Module):
        __doc__ = _LOG_MEL_CNN_DOC

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

    LogMelCNN.__module__ = __name__
    LogMelCNN.__qualname__ = "LogMelCNN"
    _ = torch
    return LogMelCNN


#: Names built on first access (they import torch); ``DigitCNN`` is the old name of
#: :class:`LogMelCNN`, kept so that code written for chapter 9's first edition runs.
_LAZY = ("LogMelCNN", "DigitCNN")


def __getattr__(name: str) -> Any:
    """``from audiotut.models import LogMelCNN`` builds the class, importing torch then."""
    if name in _LAZY:
        return _log_mel_cnn_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


# ----------------------------------------------------------------------- training


def fit(model: torch.nn.Module, train: Any, *, epochs: int, optimizer: torch.optim.Optimizer,
        validation: Any = None, scheduler: Any = None, progress: bool = True,
        keep_best: bool = True) -> list[dict[str, float]]:
    """Train a classifier with cross-entropy for some epochs; the loop of chapter 9, packaged.

    Each epoch tells the training set the epoch (``train.dataset.set_epoch``,
    when it has one, so that augmentation draws change), runs forward,
    cross-entropy loss, backward and an optimizer step on every batch (and a
    scheduler step, if given), then scores ``validation`` with
    :func:`evaluate`. With ``keep_best``, the weights of the epoch with the
    best validation accuracy are restored at the end.

    Parameters
    ----------
    model : torch.nn.Module
        Returns logits ``(batch, n_classes)``; e.g. a :class:`LogMelCNN`.
    train : torch.utils.data.DataLoader or iterable of (inputs, labels)
        The training batches, read once per epoch.
    epochs : int
        Number of passes over ``train``, 1 or more.
    optimizer : torch.optim.Optimizer
        Over ``model.parameters()``.
    validation : iterable of (inputs, labels), optional
        Scored after every epoch; never trained on.
    scheduler : optional
        A learning-rate scheduler stepped after every batch (e.g.
        ``torch.optim.lr_scheduler.OneCycleLR``).
    progress : bool
        Show a tqdm progress bar per epoch with the running loss.
    keep_best : bool
        Restore the weights of the best validation epoch (ties go to the
        later epoch). Ignored without ``validation``.

    Returns
    -------
    list of dict
        One entry per epoch: ``{"epoch", "loss"}`` (the mean training loss)
        and, with ``validation``, ``"val_accuracy"``.

    Raises
    ------
    ValueError
        For a bad ``epochs``, an empty ``train``, or a loss that is not finite
        (NaN inputs, a learning rate that diverged): it names the epoch and
        batch instead of training on.

    Notes
    -----
    The book's chapters keep their loops written out, because the loop is the
    lesson; this function is for coursework, where it is not. It trains on the
    device the model is on and moves each batch there.

    Taught in :doc:`/book/09_datasets`.

    Examples
    --------
    >>> import torch
    >>> from audiotut.models import fit
    >>> from audiotut.utils import deterministic
    >>> g = deterministic(0)
    >>> x = torch.randn(64, 2, generator=g)
    >>> y = (x[:, 0] > 0).long()
    >>> data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y),
    ...                                    batch_size=16, shuffle=True, generator=g)
    >>> model = torch.nn.Linear(2, 2)
    >>> opt = torch.optim.SGD(model.parameters(), lr=0.5)
    >>> history = fit(model, data, epochs=5, optimizer=opt, validation=data,
    ...               progress=False)
    >>> [sorted(h) for h in history[:1]], history[-1]["val_accuracy"] > 0.9
    ([['epoch', 'loss', 'val_accuracy']], True)
    """
    import copy

    import torch

    epochs = int(check_positive(epochs, "epochs", "epochs", whole=True))
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    dataset = getattr(train, "dataset", None)
    history: list[dict[str, float]] = []
    best = (-1.0, None)
    for epoch in range(epochs):
        if hasattr(dataset, "set_epoch"):
            dataset.set_epoch(epoch)
        model.train()
        total, count = 0.0, 0
        bar = _progress(train, epoch, epochs, progress)
        for batch, (x, labels) in enumerate(bar):
            x, labels = x.to(device), labels.to(device)
            loss = torch.nn.functional.cross_entropy(model(x), labels)
            if not torch.isfinite(loss):
                raise ValueError(
                    f"the loss is {loss.item()} at epoch {epoch}, batch {batch}: check the "
                    "inputs for NaN or inf, or lower the learning rate")
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            total += loss.item() * len(labels)
            count += len(labels)
            if progress:
                bar.set_postfix(loss=f"{total / count:.4f}")
        if count == 0:
            raise ValueError("train has no batches; check the DataLoader's dataset and "
                             "drop_last")
        record = {"epoch": epoch, "loss": total / count}
        if validation is not None:
            record["val_accuracy"] = evaluate(model, validation)
            if keep_best and record["val_accuracy"] >= best[0]:
                best = (record["val_accuracy"], copy.deepcopy(model.state_dict()))
        history.append(record)
    if validation is not None and keep_best:
        model.load_state_dict(best[1])
    return history


def _progress(train: Any, epoch: int, epochs: int, show: bool) -> Any:
    if not show:
        return train
    from tqdm.auto import tqdm

    return tqdm(train, desc=f"epoch {epoch + 1}/{epochs}", leave=False)


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
__test__ = {"LogMelCNN": _LOG_MEL_CNN_DOC}


# ----------------------------------------------------------------------- checkpoints

_FORMAT = "audiotut-model-1"


def save(model: torch.nn.Module, path: str | os.PathLike, *,
         classes: Sequence[str] | None = None) -> Path:
    """Save a :class:`LogMelCNN` with everything needed to use it again, in one file.

    The file holds the learned weights, the front-end's
    :class:`~audiotut.features.FeatureConfig` (as :meth:`~audiotut.features.FeatureConfig.to_dict`
    data: a ``state_dict`` alone does not have it), the network's shape, the
    class names and the audiotut version, all as tensors and plain data, so
    ``torch.load(path, weights_only=True)`` reads it without running any code.
    The file is written atomically (a temporary file, then a rename).

    Parameters
    ----------
    model : LogMelCNN
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
        For a model that is not a LogMelCNN, or class names whose count is not
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
    >>> from audiotut.models import LogMelCNN, load, save
    >>> model = LogMelCNN(FeatureConfig(sr=8000, n_fft=256, hop_length=128, n_mels=24),
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
        raise ValueError(f"save() writes audiotut's LogMelCNN models; got {type(model).__name__}. "
                         "For another model, save its state_dict with torch.save")
    n_classes = model.init_args["n_classes"]
    if classes is not None:
        classes = [str(c) for c in classes]
        if len(classes) != n_classes:
            raise ValueError(f"classes has {len(classes)} names for a model with {n_classes} "
                             "outputs; give one name per output, in order")
    checkpoint = {"format": _FORMAT, "audiotut": __version__, "model": "LogMelCNN",
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
    into : LogMelCNN, optional
        Load the weights into this model instead of building a new one; its
        front-end configuration must equal the saved one.

    Returns
    -------
    model : LogMelCNN
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
    >>> from audiotut.models import LogMelCNN, load, save
    >>> path = save(LogMelCNN(FeatureConfig(sr=8000, n_fft=256, n_mels=40)),
    ...             os.path.join(tempfile.mkdtemp(), "m.pt"))
    >>> other = LogMelCNN(FeatureConfig(sr=16000, n_fft=512, n_mels=40))
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
        model = _log_mel_cnn_class()(config, **checkpoint["init"])
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
