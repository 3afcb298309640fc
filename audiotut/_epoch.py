"""An epoch number that DataLoader worker processes see when the main process changes it.

A map-style dataset is pickled into each DataLoader worker when the workers start;
with ``persistent_workers=True`` they keep that copy for every epoch, so an epoch set
in the main process afterwards never reached them and every epoch drew epoch 0's
augmentations. :class:`SharedEpoch` keeps the number in shared memory: sent to a
worker that is being started (spawn, forkserver, or inherited by fork) it stays the
same memory; pickled anywhere else (a file, a queue) it becomes a plain number.
"""

from __future__ import annotations

import multiprocessing


def _attach(raw: object) -> SharedEpoch:
    epoch = SharedEpoch.__new__(SharedEpoch)
    epoch._raw = raw
    return epoch


class SharedEpoch:
    """A whole number 0 or more in shared memory (see the module docstring)."""

    def __init__(self, value: int = 0) -> None:
        self._raw = multiprocessing.Value("q", int(value), lock=False)

    @property
    def value(self) -> int:
        return int(self._raw.value)

    @value.setter
    def value(self, value: int) -> None:
        self._raw.value = int(value)

    def __reduce__(self) -> tuple:
        if multiprocessing.context.get_spawning_popen() is not None:
            return _attach, (self._raw,)              # a worker being started: share it
        return SharedEpoch, (self.value,)             # anywhere else: a copy of the number

    def __repr__(self) -> str:
        return f"SharedEpoch({self.value})"
