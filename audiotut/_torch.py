"""PyTorch, imported when a torch feature is first used, with an install hint if missing.

``import audiotut`` never imports torch, and audiotut asks for it only in its ``[torch]``
extra, so a project keeps the torch build it chose (CPU or CUDA).
"""

from __future__ import annotations

from types import ModuleType


def require_torch(what: str) -> ModuleType:
    """Return the ``torch`` module, or raise an ImportError that says how to install it."""
    try:
        import torch
    except ImportError:
        raise ImportError(
            f"{what} needs PyTorch, which audiotut installs only when asked: "
            "pip install 'audiotut[torch]' (any torch from 2.4 on), or install the torch "
            "build for your machine as pytorch.org describes (CPU or CUDA)"
        ) from None
    return torch
