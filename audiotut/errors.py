"""The error types that :mod:`audiotut` raises.

Every user mistake that is about a value (a negative sample rate, an array of
the wrong shape) is a built-in :class:`ValueError`; a path that does not exist
is a :class:`FileNotFoundError`. The types below cover what the built-ins do not
say precisely enough.

Taught in :doc:`/book/01_sampling`.
"""

from __future__ import annotations

__all__ = ["AudioDeviceError", "AudioFileError", "AudiotutError", "DatasetError",
           "ExampleDataError", "SilentSignalWarning"]


class AudiotutError(Exception):
    """Base class of every error type defined by :mod:`audiotut`.

    Catch it to handle any of them in one ``except`` clause.

    Taught in :doc:`/book/01_sampling`.
    """


class AudioFileError(AudiotutError, OSError):
    """A file exists but cannot be read as audio.

    Raised for empty files, truncated headers, files that are not audio at all
    (a text file named ``.wav``), directories given as files, and float files
    holding NaN or infinite samples. It is an :class:`OSError`, so code that
    already catches I/O errors keeps working.

    Taught in :doc:`/book/01_sampling`.
    """


class ExampleDataError(AudiotutError, OSError):
    """An example recording is neither in the local cache nor downloadable.

    The message says which recording, where it was looked for, and how to fix
    it (connect to the internet once, or point ``LIBROSA_DATA_DIR`` at a
    directory holding librosa's example files).

    Taught in :doc:`/book/01_sampling`.
    """


class DatasetError(AudiotutError, OSError):
    """A dataset's files are missing, altered, or could not be downloaded and verified.

    Raised by :mod:`audiotut.datasets` when a recording does not match the
    SHA-256 sum shipped with audiotut, when a folder holds something else than
    the dataset, or when a download or its archive is broken. The message
    names the files and the call that repairs the copy (for instance: delete
    the folder and call :func:`audiotut.datasets.fsdd` again). It is an
    :class:`OSError`, like the other file errors.

    Taught in :doc:`/book/09_datasets`.
    """


class AudioDeviceError(AudiotutError, OSError):
    """No sound can be played or recorded here, and the message says why.

    Raised by :mod:`audiotut.playback` when the PortAudio library is missing,
    when there is no input or output device, or when a device refuses a
    setting (a sample rate or a channel count it cannot open). The message
    names what is missing and how to install or choose it on Debian/Ubuntu,
    macOS and conda. It is an :class:`OSError`, like the other hardware and
    file errors.

    Taught in :doc:`/book/02_playback_recording`.
    """


class SilentSignalWarning(UserWarning):
    """A level operation met digital silence and returned the signal unchanged.

    Normalizing silence would divide by zero; :mod:`audiotut.loudness` warns
    with this instead (filter it with :mod:`warnings` when a dataset holds
    silent clips on purpose).

    Taught in :doc:`/book/06_normalization`.
    """
