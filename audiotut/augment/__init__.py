"""Data augmentation: effects that turn one recording into many plausible ones,
random pipelines that apply them reproducibly, and SpecAugment.

The package has three modules, and re-exports their public names here, so a
chapter or a project writes ``from audiotut import augment`` and
``augment.reverb(...)``:

- :mod:`audiotut.augment.effects`: the effects, each a thin layer over the
  field's library (Rubber Band through pedalboard for pitch and time, soxr for
  speed, scipy.signal for filters, pedalboard's plugins for echo, distortion
  and reverb, :mod:`audiotut.synth` for noise at an exact SNR).
- :mod:`audiotut.augment.pipeline`: :class:`Step`, :class:`OneOf` and
  :class:`Pipeline` with the distributions :class:`Uniform`,
  :class:`LogUniform` and :class:`Choice`, seeded per item and epoch, and
  :class:`AugmentedDataset` for ``torch.utils.data.DataLoader``.
- :mod:`audiotut.augment.specaugment`: :func:`spec_augment` on numpy arrays
  and the ``torch.nn.Module`` :class:`SpecAugment`, with the paper's
  :data:`POLICIES`. torch is imported only when :class:`SpecAugment` is first
  used, never by ``import audiotut``.

Taught in :doc:`/book/07_augmentation`.
"""

from __future__ import annotations

from typing import Any

from . import effects, pipeline, specaugment
from .effects import (MAX_DELAY, MAX_SEMITONES, MIN_STRETCH_SAMPLES, add_noise,
                      change_speed, distort, echo, fade, gain, highpass, highshelf,
                      lowpass, lowshelf, mix_sources, pitch_shift, reverb, shift,
                      time_stretch)
from .pipeline import (AugmentedDataset, Choice, LogUniform, OneOf, Pipeline, Step,
                       Uniform)
from .specaugment import POLICIES, SpecAugmentPolicy, spec_augment

__all__ = sorted(effects.__all__ + pipeline.__all__ + specaugment.__all__,
                 key=str.lower)

#: Built on first access, like :mod:`audiotut.augment.specaugment`'s own (imports torch).
_LAZY = ("SpecAugment",)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(specaugment, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
