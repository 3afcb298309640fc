"""Random augmentation that is reproducible: steps, pipelines and a dataset.

- :class:`Pipeline` chains :class:`Step` and :class:`OneOf` objects; each step
  runs with a probability ``p`` and draws its parameters from :class:`Uniform`,
  :class:`LogUniform` or :class:`Choice`. Every draw comes from
  ``numpy.random.SeedSequence([seed, epoch, index])``, one independent child per
  step, so item ``index`` is augmented the same way in any process, DataLoader
  worker or order, and the drawn parameters can be printed and replayed.
- :class:`AugmentedDataset` wraps a list of clips and a pipeline into a
  map-style dataset that ``torch.utils.data.DataLoader`` uses as it is.

Import them from :mod:`audiotut.augment`, which re-exports them.

Taught in :doc:`/book/07_augmentation`.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .._epoch import SharedEpoch
from .._validate import check_float_signal, check_signal, check_sr
from ..utils import fix_length

__all__ = ["AugmentedDataset", "Choice", "LogUniform", "OneOf", "Pipeline", "Step",
           "Uniform"]


# --------------------------------------------------------------------------- random parameters


def _finite(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _plain(value: object) -> object:
    """A NumPy scalar as the Python number it holds (so params print and serialize plainly)."""
    return value.item() if isinstance(value, np.generic) else value


class _Distribution:
    """A random parameter: ``sample(rng)`` consumes exactly one ``rng.random()`` draw."""

    def sample(self, rng: np.random.Generator) -> object:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclasses.dataclass(frozen=True)
class Uniform(_Distribution):
    """A parameter drawn uniformly from ``[low, high)`` each time its step runs.

    Parameters
    ----------
    low, high : float
        The range, ``low <= high`` (equal gives a constant).

    Raises
    ------
    ValueError
        For a non-finite bound or ``low > high``.

    Notes
    -----
    Taught in :doc:`/book/07_augmentation`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.augment import Uniform
    >>> x = Uniform(-6, 6).sample(np.random.default_rng(0))
    >>> type(x).__name__, -6 <= x < 6
    ('float', True)
    """

    low: float
    high: float

    def __post_init__(self) -> None:
        low, high = _finite(self.low, "Uniform low"), _finite(self.high, "Uniform high")
        if low > high:
            raise ValueError(f"Uniform(low={low:g}, high={high:g}) has low > high; "
                             f"swap them: Uniform({high:g}, {low:g})")
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)

    def sample(self, rng: np.random.Generator) -> float:
        """One draw, a Python float."""
        return float(self.low + (self.high - self.low) * rng.random())


@dataclasses.dataclass(frozen=True)
class LogUniform(_Distribution):
    """A positive parameter whose logarithm is uniform on ``[log low, log high)``.

    Use it for scale-like parameters (a cutoff frequency, a rate): 100 to 200 Hz
    is drawn as often as 1000 to 2000 Hz.

    Parameters
    ----------
    low, high : float
        The range, ``0 < low <= high``.

    Raises
    ------
    ValueError
        For a bound that is not positive and finite, or ``low > high``.

    Notes
    -----
    Taught in :doc:`/book/07_augmentation`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.augment import LogUniform
    >>> rng = np.random.default_rng(0)
    >>> draws = np.array([LogUniform(100, 10000).sample(rng) for _ in range(4000)])
    >>> round(float(np.mean(draws < 1000)), 1)   # half the draws below the geometric middle
    0.5
    """

    low: float
    high: float

    def __post_init__(self) -> None:
        low, high = _finite(self.low, "LogUniform low"), _finite(self.high, "LogUniform high")
        if low <= 0:
            raise ValueError(f"LogUniform low must be positive (it is on a log scale), got {low:g}")
        if low > high:
            raise ValueError(f"LogUniform(low={low:g}, high={high:g}) has low > high; "
                             f"swap them: LogUniform({high:g}, {low:g})")
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)

    def sample(self, rng: np.random.Generator) -> float:
        """One draw, a Python float."""
        lo, hi = math.log(self.low), math.log(self.high)
        return float(math.exp(lo + (hi - lo) * rng.random()))


@dataclasses.dataclass(frozen=True)
class Choice(_Distribution):
    """A parameter drawn from a list of values, equally likely or with ``weights``.

    Parameters
    ----------
    values : sequence
        The candidates (strings, numbers...), at least one.
    weights : sequence of float, optional
        Relative probabilities, one per value, non-negative, not all zero.

    Raises
    ------
    ValueError
        For no values, a string given as ``values``, or bad weights.

    Notes
    -----
    Taught in :doc:`/book/07_augmentation`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.augment import Choice
    >>> Choice(["white", "pink"]).sample(np.random.default_rng(0)) in ("white", "pink")
    True
    """

    values: Sequence[object]
    weights: Sequence[float] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.values, np.ndarray) and self.values.ndim == 1:
            object.__setattr__(self, "values", list(self.values))
        if isinstance(self.values, (str, bytes)) or not isinstance(self.values, Sequence):
            raise ValueError(f"Choice values must be a list of candidates, got {self.values!r}; "
                             "e.g. Choice(['white', 'pink'])")
        values = tuple(_plain(v) for v in self.values)
        if not values:
            raise ValueError("Choice needs at least one value to choose from")
        object.__setattr__(self, "values", values)
        if self.weights is not None:
            weights = tuple(_finite(w, "Choice weight") for w in self.weights)
            if len(weights) != len(values) or min(weights) < 0 or sum(weights) <= 0:
                raise ValueError(f"Choice weights {self.weights!r} must be {len(values)} "
                                 "non-negative numbers, one per value, not all zero")
            object.__setattr__(self, "weights", weights)

    def sample(self, rng: np.random.Generator) -> object:
        """One of the values."""
        u = rng.random()
        if self.weights is None:
            return self.values[min(int(u * len(self.values)), len(self.values) - 1)]
        cumulative = np.cumsum(self.weights) / sum(self.weights)
        return self.values[min(int(np.searchsorted(cumulative, u, side="right")),
                               len(self.values) - 1)]


# --------------------------------------------------------------------------- steps


def _probability(p: object, what: str) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)) \
            or not 0 <= p <= 1:
        raise ValueError(f"{what} p={p!r} must be a probability between 0 and 1 "
                         "(0 never applies the step, 1 always does)")
    return float(p)


def _whole(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be a whole number 0 or more, got {value!r}; "
                         f"e.g. {name}=0")
    return int(value)


def _function_name(fn: Callable) -> str:
    inner = getattr(fn, "func", fn)   # functools.partial
    return getattr(inner, "__name__", type(inner).__name__)


#: Keys of a step's parameter record that are not keyword arguments of its function.
_RECORD_KEYS = ("step", "applied", "rng")
#: The largest seed drawn for a step function's ``rng`` (a non-negative int64).
_SEED_LIMIT = 2**63


def _as_signal(result: object, name: str) -> np.ndarray:
    if not isinstance(result, np.ndarray):
        raise ValueError(f"step {name} returned {type(result).__name__}, not a numpy array; "
                         "a step function must return the augmented signal")
    return check_signal(result, name=f"the output of step {name}").astype(np.float32, copy=False)


class Step:
    """One augmentation in a :class:`Pipeline`: a function, its parameters and a probability.

    Parameters
    ----------
    fn : callable
        ``fn(y, **params) -> y``: takes the signal first and returns it
        augmented. If its signature names ``sr``, the pipeline passes the
        sample rate; if it names ``rng``, the pipeline passes a
        :class:`numpy.random.Generator` seeded from this step's own draws.
        It must be a module-level function (not a lambda) for the pipeline
        to pickle into DataLoader workers.
    p : float
        Probability of applying the step, in [0, 1].
    **params
        Keyword arguments of ``fn``: constants, or :class:`Uniform`,
        :class:`LogUniform` or :class:`Choice` to draw a value each time.

    Raises
    ------
    ValueError
        For ``p`` outside [0, 1], a keyword that ``fn`` does not take, a
        required keyword left out, or ``sr``/``rng`` given (the pipeline
        passes those).

    Notes
    -----
    Each time it runs, the step draws from its own generator, in this order:
    one number to decide whether to apply (``u < p``), one seed for ``fn``'s
    ``rng``, then one number per parameter in the order given. All are drawn
    even when the step is not applied, so changing ``p`` changes only whether
    the step applies, never the values it would apply.

    A function parameter named ``p`` cannot be set through ``Step``; wrap the
    function in one of your own.

    Taught in :doc:`/book/07_augmentation`.

    Examples
    --------
    >>> from audiotut.augment import Step, Uniform
    >>> from audiotut.loudness import peak_normalize
    >>> Step(peak_normalize, p=0.5, peak_db=Uniform(-12, -1))
    Step(peak_normalize, p=0.5, peak_db=Uniform(low=-12.0, high=-1.0))
    """

    def __init__(self, fn: Callable[..., np.ndarray], /, *, p: float = 1.0, **params: Any) -> None:
        if not callable(fn) or isinstance(fn, (Step, OneOf)):
            raise ValueError(f"Step needs a function fn(y, ...) -> y as its first argument, "
                             f"got {fn!r}")
        self.fn = fn
        self.name = _function_name(fn)
        self.p = _probability(p, f"Step({self.name})")
        self.params = dict(params)
        self.takes_sr, self.takes_rng = self._check_signature()

    def _check_signature(self) -> tuple[bool, bool]:
        try:
            signature = inspect.signature(self.fn)
        except (TypeError, ValueError):   # some built-ins have none: pass only what was given
            return False, False
        parameters = list(signature.parameters.values())
        named = {q.name: q for q in parameters
                 if q.kind in (q.POSITIONAL_OR_KEYWORD, q.KEYWORD_ONLY)}
        if not parameters or parameters[0].kind in (inspect.Parameter.KEYWORD_ONLY,
                                                    inspect.Parameter.VAR_KEYWORD):
            raise ValueError(f"{self.name}{signature} takes no positional signal; a step "
                             "function is called as fn(y, **params)")
        named.pop(parameters[0].name, None)
        for reserved in ("sr", "rng"):
            if reserved in self.params:
                raise ValueError(f"Step({self.name}) was given {reserved}=; leave it out, the "
                                 f"pipeline passes {reserved} to every function that takes it")
        for reserved in ("step", "applied"):
            if reserved in self.params:
                raise ValueError(f"Step({self.name}): {reserved!r} is a reserved name in the "
                                 "parameter records; wrap the function to rename its argument")
        accepts_any = any(q.kind == q.VAR_KEYWORD for q in parameters)
        unknown = [k for k in self.params if k not in named]
        if unknown and not accepts_any:
            raise ValueError(f"Step({self.name}) got {', '.join(map(repr, unknown))}, which "
                             f"{self.name}{signature} does not take; its keywords are "
                             f"{sorted(named)}")
        missing = [k for k, q in named.items() if q.default is q.empty
                   and k not in self.params and k not in ("sr", "rng")]
        if missing:
            raise ValueError(f"Step({self.name}) leaves out {', '.join(map(repr, missing))}, "
                             f"which {self.name}{signature} requires; give a value or a "
                             "Uniform/Choice for each")
        return "sr" in named, "rng" in named

    def _draw(self, seed_seq: np.random.SeedSequence) -> dict:
        gen = np.random.default_rng(seed_seq)
        applied = bool(gen.random() < self.p)
        rng_seed = int(gen.integers(_SEED_LIMIT))
        values = {k: (v.sample(gen) if isinstance(v, _Distribution) else v)
                  for k, v in self.params.items()}
        if not applied:
            return {"step": self.name, "applied": False}
        record = {"step": self.name, "applied": True, **values}
        if self.takes_rng:
            record["rng"] = rng_seed
        return record

    def _apply(self, y: np.ndarray, sr: int, record: Mapping) -> np.ndarray:
        if not record.get("applied"):
            return y
        kwargs = {k: v for k, v in record.items() if k not in _RECORD_KEYS}
        if self.takes_sr:
            kwargs["sr"] = sr
        if self.takes_rng:
            kwargs["rng"] = np.random.default_rng(record["rng"])
        return _as_signal(self.fn(y, **kwargs), self.name)

    def _run(self, y: np.ndarray, sr: int, seed_seq: np.random.SeedSequence) -> tuple:
        record = self._draw(seed_seq)
        return self._apply(y, sr, record), record

    def _replay(self, y: np.ndarray, sr: int, record: object) -> np.ndarray:
        if not isinstance(record, Mapping) or record.get("step") != self.name \
                or "applied" not in record:
            raise ValueError(f"parameter record {record!r} does not belong to Step({self.name}); "
                             "replay with the records the same pipeline returned")
        if record["applied"]:
            expected = {"step", "applied", *self.params, *(["rng"] if self.takes_rng else [])}
            if set(record) != expected:
                raise ValueError(f"parameter record {record!r} for Step({self.name}) should have "
                                 f"the keys {sorted(expected)}")
        return self._apply(y, sr, record)

    def __repr__(self) -> str:
        params = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return f"Step({self.name}, p={self.p:g}{params})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Step) and (self.fn, self.p, self.params) == \
            (other.fn, other.p, other.params)

    __hash__ = None  # type: ignore[assignment]


def _check_steps(steps: object, what: str) -> tuple:
    if isinstance(steps, (Step, OneOf)) or not isinstance(steps, Sequence) \
            or isinstance(steps, str):
        raise ValueError(f"{what} takes a list of steps, got {steps!r}; e.g. {what}([Step(...)])")
    for i, step in enumerate(steps):
        if not isinstance(step, (Step, OneOf)):
            raise ValueError(f"{what} item {i} is {step!r}, not a Step or OneOf; wrap a function "
                             "as Step(fn, p=..., param=Uniform(...))")
    return tuple(steps)


class OneOf:
    """Apply exactly one of several steps (with probability ``p``), picked at random.

    Parameters
    ----------
    steps : list of Step or OneOf
        The options, at least one; each still applies with its own ``p``.
    p : float
        Probability of applying one of them at all, in [0, 1].
    weights : sequence of float, optional
        Relative probabilities of the options; equal by default.

    Raises
    ------
    ValueError
        For an empty list, an item that is not a Step/OneOf, bad ``p`` or weights.

    Notes
    -----
    Its record is ``{"step": "OneOf", "applied": True, "option": i,
    "chosen": <record of option i>}``. Each option draws from its own child
    seed, so changing one option does not change what the others draw.

    Taught in :doc:`/book/07_augmentation`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.augment import OneOf, Pipeline, Step
    >>> from audiotut.loudness import peak_normalize, rms_normalize
    >>> pipe = Pipeline([OneOf([Step(peak_normalize, peak_db=-6.0),
    ...                         Step(rms_normalize, rms_db=-30.0)])], seed=0)
    >>> y = np.sin(np.linspace(0, 100, 1600)).astype(np.float32) * 0.5
    >>> out, params = pipe(y, sr=16000, index=0, return_params=True)
    >>> params[0]["chosen"]["step"] in ("peak_normalize", "rms_normalize")
    True
    """

    def __init__(self, steps: Sequence[Step | OneOf], *, p: float = 1.0,
                 weights: Sequence[float] | None = None) -> None:
        self.steps = _check_steps(steps, "OneOf")
        if not self.steps:
            raise ValueError("OneOf needs at least one step to choose from")
        self.p = _probability(p, "OneOf")
        self._chooser = Choice(range(len(self.steps)), weights=weights)
        self.weights = self._chooser.weights
        self.name = "OneOf"

    def _run(self, y: np.ndarray, sr: int, seed_seq: np.random.SeedSequence) -> tuple:
        gen = np.random.default_rng(seed_seq)
        applied = bool(gen.random() < self.p)
        option = int(self._chooser.sample(gen))
        children = seed_seq.spawn(len(self.steps))
        if not applied:
            return y, {"step": self.name, "applied": False}
        y, inner = self.steps[option]._run(y, sr, children[option])
        return y, {"step": self.name, "applied": True, "option": option, "chosen": inner}

    def _replay(self, y: np.ndarray, sr: int, record: object) -> np.ndarray:
        if not isinstance(record, Mapping) or record.get("step") != self.name \
                or "applied" not in record:
            raise ValueError(f"parameter record {record!r} does not belong to a OneOf; "
                             "replay with the records the same pipeline returned")
        if not record["applied"]:
            return y
        option = record.get("option")
        if not isinstance(option, int) or not 0 <= option < len(self.steps):
            raise ValueError(f"OneOf record has option={option!r}; expected 0 to "
                             f"{len(self.steps) - 1}")
        return self.steps[option]._replay(y, sr, record.get("chosen"))

    def __repr__(self) -> str:
        weights = "" if self.weights is None else f", weights={list(self.weights)}"
        inner = ", ".join(map(repr, self.steps))
        return f"OneOf([{inner}], p={self.p:g}{weights})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OneOf) and (self.steps, self.p, self.weights) == \
            (other.steps, other.p, other.weights)

    __hash__ = None  # type: ignore[assignment]


# --------------------------------------------------------------------------- pipeline


class Pipeline:
    """A chain of random steps, reproducible per item: deterministic in ``(seed, epoch, index)``.

    Parameters
    ----------
    steps : list of Step or OneOf
        Applied in order.
    seed : int
        The experiment's seed, 0 or more.

    Raises
    ------
    ValueError
        For an item that is not a Step/OneOf, or a bad seed.

    Notes
    -----
    Calling ``pipe(y, sr=sr, index=i, epoch=e)`` seeds
    ``numpy.random.SeedSequence([seed, e, i])`` and spawns one independent
    child per step. Nothing depends on a global random state, on the process,
    or on which items were augmented before, so item ``i`` comes out
    bit-identical in any DataLoader worker and in any order; a new epoch gives
    new draws. Because each step has its own child, changing one step's ``p``
    or range does not change what the other steps draw.

    ``return_params=True`` also returns one record per step, made of plain
    Python values (``json.dumps`` writes it), e.g.
    ``{"step": "gain", "applied": True, "db": 3.21}``; steps whose function
    takes ``rng`` record the integer seed of the generator they were given.
    :meth:`replay` applies such records again, bit-identically; calling the
    pipeline again with the same ``index`` and ``epoch`` does too.

    The input is never modified; the output is a new float32 array.

    Taught in :doc:`/book/07_augmentation`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.augment import Pipeline, Step, Uniform
    >>> from audiotut.loudness import peak_db, peak_normalize
    >>> pipe = Pipeline([Step(peak_normalize, p=0.8, peak_db=Uniform(-12, -1))], seed=0)
    >>> y = 0.5 * np.sin(np.linspace(0, 200, 4000)).astype(np.float32)
    >>> out, params = pipe(y, sr=16000, index=1, return_params=True)
    >>> params[0]["applied"], round(peak_db(out), 4) == round(params[0]["peak_db"], 4)
    (True, True)
    >>> bool(np.array_equal(out, pipe(y, sr=16000, index=1)))
    True
    >>> bool(np.array_equal(out, pipe.replay(y, sr=16000, params=params)))
    True
    """

    def __init__(self, steps: Sequence[Step | OneOf], *, seed: int = 0) -> None:
        self.steps = _check_steps(steps, "Pipeline")
        self.seed = _whole(seed, "seed")

    def _seeds(self, index: object, epoch: object) -> list:
        index = _whole(index, "index")
        epoch = _whole(epoch, "epoch")
        return np.random.SeedSequence([self.seed, epoch, index]).spawn(len(self.steps))

    def __call__(self, y: np.ndarray, *, sr: int, index: int, epoch: int = 0,
                 return_params: bool = False) -> np.ndarray | tuple[np.ndarray, list[dict]]:
        """Augment ``y`` as item ``index`` of epoch ``epoch``.

        Returns the float32 signal, or ``(signal, params)`` with
        ``return_params=True``.
        """
        y = check_float_signal(y)           # integer PCM would pass on unscaled
        sr = check_sr(sr)
        out = y.astype(np.float32, copy=True)
        records = []
        for step, seed_seq in zip(self.steps, self._seeds(index, epoch)):
            out, record = step._run(out, sr, seed_seq)
            records.append(record)
        return (out, records) if return_params else out

    def replay(self, y: np.ndarray, *, sr: int, params: Sequence[Mapping]) -> np.ndarray:
        """Apply the records returned by ``return_params=True`` again, to ``y``.

        The result is bit-identical to the call that returned them (for the
        same ``y`` and ``sr``). Edit a record to hear one change, e.g. set
        ``applied`` to False.

        Raises
        ------
        ValueError
            If the records do not match this pipeline's steps.
        """
        y = check_float_signal(y)
        sr = check_sr(sr)
        if isinstance(params, Mapping) or not isinstance(params, Sequence) \
                or len(params) != len(self.steps):
            raise ValueError(f"params must be the list of {len(self.steps)} records that "
                             "pipe(..., return_params=True) returned, one per step")
        out = y.astype(np.float32, copy=True)
        for step, record in zip(self.steps, params):
            out = step._replay(out, sr, record)
        return out

    def __len__(self) -> int:
        return len(self.steps)

    def __repr__(self) -> str:
        inner = "".join(f"    {step!r},\n" for step in self.steps)
        return f"Pipeline([\n{inner}], seed={self.seed})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Pipeline) and (self.steps, self.seed) == (other.steps, other.seed)

    __hash__ = None  # type: ignore[assignment]


class AugmentedDataset:
    """A map-style dataset of clips, augmented by a :class:`Pipeline` as item ``index``.

    ``torch.utils.data.DataLoader`` takes it as it is (it has ``__len__`` and
    ``__getitem__``); audiotut does not import torch for it. Item ``i`` is
    ``pipeline(clips[i], sr=sr, index=i, epoch=epoch)``, so it is the same in
    every worker and every run, and changes with :meth:`set_epoch`.

    Parameters
    ----------
    clips : sequence of numpy.ndarray
        The signals, ``(n,)`` or ``(channels, n)`` each.
    sr : int
        Their sample rate.
    pipeline : Pipeline
        The augmentation.
    length : int, optional
        If given, every item is cut or padded to ``length`` samples *after*
        augmentation (so that a time stretch cannot break batching), centred by
        :func:`audiotut.utils.fix_length`, the package's one pad/crop rule: a
        longer item loses the same amount at both ends, a shorter one gets
        zeros on both sides.
        Without it, items keep their own lengths and a DataLoader with
        ``batch_size > 1`` needs equal lengths or a ``collate_fn``.
    labels : sequence, optional
        One label per clip; items are then ``(signal, label)``.

    Raises
    ------
    ValueError
        For no clips, a bad ``sr``/``length``, labels of another length, or a
        pipeline that is not a :class:`Pipeline`.

    Notes
    -----
    ``__getitem__`` returns a float32 numpy array (the DataLoader's default
    collate turns a batch of them into a tensor). The dataset is a plain
    module-level class, so it pickles into workers started with ``spawn``
    (the default on macOS and Windows) as long as the step functions are
    module-level functions. Call :meth:`set_epoch` before iterating each
    epoch. The epoch lives in shared memory, so it reaches DataLoader workers
    of every kind, ``persistent_workers=True`` included (those keep their copy
    of the dataset between epochs, and would otherwise draw epoch 0's
    augmentations again and again); a copy pickled anywhere else (to a file, a
    queue) takes the current epoch as a plain number and is independent.
    Clips must be float (integer PCM raises a ValueError: convert it with
    :func:`audiotut.io.load` or ``y / 32768`` for 16-bit first).

    Taught in :doc:`/book/07_augmentation`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.augment import AugmentedDataset, Pipeline, Step, Uniform
    >>> from audiotut.loudness import peak_normalize
    >>> clips = [np.full(n, 0.1, dtype=np.float32) for n in (800, 1600, 2400)]
    >>> pipe = Pipeline([Step(peak_normalize, peak_db=Uniform(-12, -1))], seed=0)
    >>> ds = AugmentedDataset(clips, sr=16000, pipeline=pipe, length=1600)
    >>> len(ds), ds[0].shape, ds[0].dtype, float(ds[0][-1])
    (3, (1600,), dtype('float32'), 0.0)
    >>> first = ds[1]
    >>> ds.set_epoch(1)
    >>> bool(np.array_equal(first, ds[1]))
    False
    """

    def __init__(self, clips: Sequence[np.ndarray], *, sr: int, pipeline: Pipeline,
                 length: int | None = None, labels: Sequence | None = None) -> None:
        if isinstance(clips, np.ndarray) and clips.ndim == 1:
            raise ValueError("clips is one 1-D array; pass a list of clips, e.g. [y]")
        if not hasattr(clips, "__len__") or not hasattr(clips, "__getitem__") or len(clips) == 0:
            raise ValueError(f"clips must be a non-empty list of signals, got {clips!r:.80}")
        if not isinstance(pipeline, Pipeline):
            raise ValueError(f"pipeline must be an audiotut Pipeline, got {pipeline!r:.80}")
        if length is not None and (isinstance(length, bool) or not isinstance(
                length, (int, np.integer)) or length < 1):
            raise ValueError(f"length must be a positive whole number of samples or None, "
                             f"got {length!r}; e.g. length=sr for one-second items")
        if labels is not None and len(labels) != len(clips):
            raise ValueError(f"labels has {len(labels)} entries for {len(clips)} clips; "
                             "give one label per clip")
        self.clips = clips
        self.sr = check_sr(sr)
        self.pipeline = pipeline
        self.length = None if length is None else int(length)
        self.labels = labels
        # shared memory: DataLoader workers started from this dataset see set_epoch
        self._epoch = SharedEpoch(0)

    @property
    def epoch(self) -> int:
        """The epoch whose draws the dataset returns (set with :meth:`set_epoch`)."""
        return self._epoch.value

    def set_epoch(self, epoch: int) -> None:
        """Use the draws of epoch ``epoch`` (0 or more) from now on, in every worker."""
        self._epoch.value = _whole(epoch, "epoch")

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, index: int) -> np.ndarray | tuple[np.ndarray, Any]:
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise ValueError(f"index must be a whole number, got {index!r}")
        n = len(self.clips)
        if not -n <= index < n:
            raise IndexError(f"index {index} is out of range for a dataset of {n} clips")
        index = int(index) % n
        clip = check_float_signal(self.clips[index], name=f"clips[{index}]")
        y = self.pipeline(clip, sr=self.sr, index=index, epoch=self.epoch)
        if self.length is not None:
            y = fix_length(y, length=self.length)
        return y if self.labels is None else (y, self.labels[index])

    def __repr__(self) -> str:
        return (f"AugmentedDataset({len(self)} clips, sr={self.sr}, length={self.length}, "
                f"epoch={self.epoch}, pipeline={self.pipeline!r})")
