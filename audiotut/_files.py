"""Atomic file writes, shared by :func:`audiotut.io.save` and :func:`audiotut.models.save`.

The bytes go to a temporary file next to the target, which then replaces it in one
step: a failure (a bad argument, a full disk, an interrupted program) never leaves a
truncated file, never damages a file that was there, and leaves no temporary file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def _default_file_mode() -> int:
    """The mode a new file gets from open(): 0o666 less the process umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomically(path: Path, write: Callable[[BinaryIO], None]) -> Path:
    """Call ``write(stream)`` on a temporary file beside ``path``, then move it into place.

    An existing file keeps its permission bits; a new one gets those ``open()``
    would give it.
    """
    directory = path.parent
    if not directory.is_dir():
        raise FileNotFoundError(
            2, f"cannot save '{path}': the directory '{directory}' does not exist", str(directory)
        )
    if path.is_dir():
        raise ValueError(f"cannot save to '{path}': it is a directory; add a file name such as "
                         f"'{'clip.wav' if path.suffix != '.pt' else 'model.pt'}'")
    mode = path.stat().st_mode & 0o777 if path.exists() else _default_file_mode()
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=directory)
    try:
        with os.fdopen(handle, "w+b") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
    return path
