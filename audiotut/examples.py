"""Real recordings for the chapters, through librosa's example registry.

The recordings are librosa's own examples (speech from LibriSpeech, a trumpet,
a string orchestra, birdsong, a humpback whale ...). :func:`librosa.ex`
downloads each one once over HTTPS, checks its SHA-256 sum with pooch and keeps
it in a cache: ``pooch.os_cache("librosa")`` by default, or the directory named
by the environment variable ``LIBROSA_DATA_DIR`` (set it *before* librosa is
first imported). With a filled cache everything here works offline.

Every clip has its own licence (CC BY, CC0, public domain ...): :func:`credit`
returns a clip's attribution and :func:`credits` those of several, for the end
of a chapter.

Taught in :doc:`/book/01_sampling`.
"""

from __future__ import annotations

import contextlib
import io as _io
import os
from pathlib import Path

import numpy as np

from .errors import ExampleDataError
from .io import load as _load

__all__ = ["available", "cache_dir", "credit", "credits", "load", "path"]


def _librosa_text(function, *args) -> str:
    """What a librosa function that prints (list_examples, example_info) says."""
    buffer = _io.StringIO()
    with contextlib.redirect_stdout(buffer):
        function(*args)
    return buffer.getvalue()


def available() -> dict[str, str]:
    """The example recordings librosa offers: key to description.

    Returns
    -------
    dict of str to str
        For instance ``"trumpet": "Mihai Sorohan - Trumpet loop"``.

    Notes
    -----
    Taught in :doc:`/book/01_sampling`.

    Examples
    --------
    >>> from audiotut import examples
    >>> catalogue = examples.available()
    >>> "trumpet" in catalogue and "libri1" in catalogue
    True
    """
    import librosa

    listing = _librosa_text(librosa.util.list_examples)
    catalogue = {}
    for line in listing.splitlines():
        key, tab, description = line.partition("\t")
        if tab:
            catalogue[key.strip()] = description.strip()
    return catalogue


def cache_dir() -> Path:
    """Where the example recordings are cached.

    Returns
    -------
    pathlib.Path
        ``LIBROSA_DATA_DIR`` if it is set, else ``pooch.os_cache("librosa")``.

    Notes
    -----
    Taught in :doc:`/book/01_sampling`.

    Examples
    --------
    >>> from audiotut import examples
    >>> examples.cache_dir().is_dir()
    True
    """
    import pooch

    return Path(os.environ.get("LIBROSA_DATA_DIR") or pooch.os_cache("librosa"))


def _check_key(key: object) -> str:
    catalogue = available()
    if key not in catalogue:
        raise ValueError(
            f"unknown example {key!r}; choose one of: {', '.join(sorted(catalogue))}"
        )
    return str(key)


def path(key: str, *, hq: bool = False) -> Path:
    """The local path of an example recording, downloading it the first time.

    Parameters
    ----------
    key : str
        An example name from :func:`available`, e.g. ``"trumpet"``.
    hq : bool
        ``False``: the 22,050 Hz mono version. ``True``: the high-quality
        version, at the original rate and with its channels (44.1 kHz stereo for
        most music clips, 16 kHz mono for the LibriSpeech ones).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ValueError
        For an unknown key.
    ExampleDataError
        If the file is not cached and cannot be downloaded (no network), or the
        download fails its checksum.

    Notes
    -----
    Taught in :doc:`/book/01_sampling`.

    Examples
    --------
    >>> from audiotut import examples
    >>> examples.path("trumpet").suffix
    '.ogg'
    """
    import librosa

    key = _check_key(key)
    try:
        return Path(librosa.ex(key, hq=hq))
    except Exception as error:  # pooch raises requests', OSError or ValueError (checksum)
        raise ExampleDataError(
            f"example {key!r} (hq={hq}) is not in the cache {cache_dir()} and could not be "
            f"downloaded ({type(error).__name__}: {error}). Connect to the internet once so "
            "librosa can fetch it, or set LIBROSA_DATA_DIR to a directory holding librosa's "
            "example files before importing librosa"
        ) from error


def load(
    key: str,
    *,
    sr: int | None = None,
    mono: bool = True,
    hq: bool = False,
    offset: float = 0.0,
    duration: float | None = None,
) -> tuple[np.ndarray, int]:
    """Load an example recording with :func:`audiotut.io.load`.

    Parameters
    ----------
    key : str
        An example name from :func:`available`.
    sr, mono, offset, duration
        As in :func:`audiotut.io.load`: ``sr=None`` keeps the file's rate.
    hq : bool
        Use the high-quality version (see :func:`path`).

    Returns
    -------
    y : numpy.ndarray
        float32, ``(n,)`` or ``(channels, n)``.
    sr : int
        Sample rate in Hz.

    Notes
    -----
    Taught in :doc:`/book/01_sampling`.

    Examples
    --------
    >>> from audiotut import examples
    >>> y, sr = examples.load("trumpet", hq=True, mono=False, duration=2.0)
    >>> y.shape, sr
    ((2, 88200), 44100)
    """
    return _load(path(key, hq=hq), sr=sr, mono=mono, offset=offset, duration=duration)


def credit(key: str) -> str:
    """The title, author, source and licence of an example recording.

    Parameters
    ----------
    key : str
        An example name from :func:`available`.

    Returns
    -------
    str
        The attribution text distributed with the recording.

    Notes
    -----
    Taught in :doc:`/book/01_sampling`.

    Examples
    --------
    >>> from audiotut import examples
    >>> print(examples.credit("libri1").splitlines()[0])
    libri1: Ashiel Mystery - A Detective Story, chapter 2, narrated by Garth Comira
    """
    import librosa

    key = _check_key(key)
    try:
        text = _librosa_text(librosa.util.example_info, key)
    except Exception as error:
        raise ExampleDataError(
            f"the licence file of example {key!r} is not in the cache {cache_dir()} and could "
            f"not be downloaded ({type(error).__name__}: {error})"
        ) from error
    heading, _, body = text.partition("-" * 68)
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    description = heading.partition("\t")[2].strip()
    return "\n".join([f"{key}: {description}", *lines])


def credits(keys: list[str] | tuple[str, ...]) -> str:
    """The attributions of several example recordings, one block each.

    Parameters
    ----------
    keys : sequence of str
        Example names, in the order to credit them.

    Returns
    -------
    str

    Notes
    -----
    Taught in :doc:`/book/01_sampling`.

    Examples
    --------
    >>> from audiotut import examples
    >>> text = examples.credits(["trumpet", "libri1"])
    >>> text.count("CC-BY") >= 1
    True
    """
    return "\n\n".join(credit(key) for key in keys)
