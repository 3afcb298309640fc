"""Running a pedalboard plugin on audiotut's channel-first arrays (used by loudness, augment)."""

from __future__ import annotations

import numpy as np


def process(plugin, y: np.ndarray, sr: int) -> np.ndarray:
    """Run a pedalboard plugin on a channel-first signal, float32 in and out.

    pedalboard guesses which axis holds the channels from the shape and
    refuses square arrays (2 channels of 2 samples); one trailing zero makes
    the shape unambiguous, and it is cut off again (the plugins are causal).
    ``reset=True`` (pedalboard's default) clears the plugin's state first.
    """
    x = np.ascontiguousarray(np.atleast_2d(y), dtype=np.float32)
    n = x.shape[1]
    if x.shape[0] == n:
        x = np.pad(x, ((0, 0), (0, 1)))
    out = np.asarray(plugin(x, float(sr), reset=True), dtype=np.float32)[:, :n]
    return out if y.ndim == 2 else out[0]
