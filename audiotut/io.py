"""Reading and writing audio files: :func:`load`, :func:`save` and :func:`info`.

Arrays follow librosa's layout: float32, ``(n,)`` for mono and
``(channels, n)`` for more channels. Files are read and written with
`soundfile <https://python-soundfile.readthedocs.io>`_ (libsndfile), resampled
with soxr through :func:`librosa.resample`, and mixed down to mono with
:func:`librosa.to_mono`.

Every user mistake is caught before it reaches libsndfile and reported with the
file name and what to do about it; :func:`save` never leaves a half-written
file behind.

Taught in :doc:`/book/01_sampling`.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import librosa
import numpy as np
import soundfile as sf

from ._files import write_atomically
from ._validate import check_full_scale, check_signal, check_sr
from .errors import AudioFileError
from .sampling import pcm_levels

__all__ = ["AudioInfo", "info", "load", "save"]

PathLike = str | os.PathLike

# File extensions that name another libsndfile format than their upper case.
_FORMAT_ALIASES = {"AIF": "AIFF", "OGA": "OGG", "OPUS": "OGG"}
#: The only sample rates the Opus codec takes (libsndfile refuses others).
_OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
#: Rates in kHz that a sample rate given in kHz by mistake most likely meant.
_KHZ_RATES = (8, 11.025, 12, 16, 22.05, 24, 32, 44.1, 48, 88.2, 96, 192)
_FLOAT_SUBTYPES = {"FLOAT", "DOUBLE"}
_PCM_BITS = {"PCM_16": 16, "PCM_24": 24, "PCM_32": 32}


@dataclass(frozen=True)
class AudioInfo:
    """What a file's header says, as returned by :func:`info`.

    Attributes
    ----------
    path : pathlib.Path
        The file.
    sr : int
        Sample rate in Hz.
    channels : int
        Number of channels.
    frames : int
        Number of samples per channel.
    duration : float
        Length in seconds, ``frames / sr``.
    format : str
        Container, as libsndfile names it (``"WAV"``, ``"FLAC"``, ``"OGG"`` ...).
    subtype : str
        Sample encoding (``"PCM_16"``, ``"FLOAT"``, ``"VORBIS"`` ...).

    Notes
    -----
    Taught in :doc:`/book/01_sampling`.
    """

    path: Path
    sr: int
    channels: int
    frames: int
    duration: float
    format: str
    subtype: str


def _check_path_type(path: object) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"path must be a str or os.PathLike, got {type(path).__name__} ({path!r}); "
            "pass the file name, e.g. 'clip.wav'"
        )
    return Path(path)


def _reason(error: Exception) -> str:
    """libsndfile's own words, without the file name it repeats."""
    text = str(error)
    if text.startswith("Error opening") and ": " in text:
        text = text.split(": ", 1)[1]
    return text.strip().rstrip(".")


def _header(path: PathLike) -> sf._SoundFileInfo:
    """Check that ``path`` is a readable audio file and return its header."""
    path = _check_path_type(path)
    if not path.exists():
        raise FileNotFoundError(
            2,
            f"No such audio file: '{path}' (relative paths start from {Path.cwd()})",
            str(path),
        )
    if path.is_dir():
        raise AudioFileError(
            f"'{path}' is a directory, not an audio file; pass one of the files inside it"
        )
    if path.stat().st_size == 0:
        raise AudioFileError(f"'{path}' is empty (0 bytes): it holds no audio at all")
    try:
        header = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError) as error:
        raise AudioFileError(
            f"'{path}' cannot be read as audio (libsndfile: {_reason(error)}). Supported containers are "
            "WAV, FLAC, OGG/Vorbis, MP3 and AIFF; a damaged or truncated file needs to be "
            "re-exported, and other formats (M4A/AAC, video) converted first, e.g. with "
            "'ffmpeg -i input.m4a output.wav'"
        ) from None
    if header.samplerate <= 0 or header.channels <= 0:
        raise AudioFileError(
            f"'{path}' has a damaged header ({header.samplerate} Hz, "
            f"{header.channels} channels); re-export the file"
        )
    return header


def info(path: PathLike) -> AudioInfo:
    """Describe an audio file without reading its samples.

    Parameters
    ----------
    path : str or os.PathLike
        The audio file.

    Returns
    -------
    AudioInfo
        Sample rate, channels, frames, duration in seconds, container format and
        sample encoding.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    AudioFileError
        If ``path`` is a directory, empty, or not a readable audio file.

    Notes
    -----
    Taught in :doc:`/book/01_sampling`.

    Examples
    --------
    >>> import tempfile, os
    >>> import numpy as np
    >>> from audiotut import io
    >>> path = os.path.join(tempfile.mkdtemp(), "second.wav")
    >>> _ = io.save(path, np.zeros((2, 44100), dtype=np.float32), sr=44100)
    >>> meta = io.info(path)
    >>> meta.sr, meta.channels, meta.frames, meta.duration, meta.subtype
    (44100, 2, 44100, 1.0, 'PCM_16')
    """
    header = _header(path)
    return AudioInfo(
        path=Path(path),
        sr=int(header.samplerate),
        channels=int(header.channels),
        frames=int(header.frames),
        duration=header.frames / header.samplerate,
        format=header.format,
        subtype=header.subtype,
    )


def load(
    path: PathLike,
    *,
    sr: int | None = None,
    mono: bool = True,
    offset: float = 0.0,
    duration: float | None = None,
    nonfinite: Literal["raise", "zero"] = "raise",
) -> tuple[np.ndarray, int]:
    """Read an audio file into a float32 array.

    Unlike :func:`librosa.load`, the default ``sr=None`` keeps the file's own
    sample rate: resampling is something you ask for, never a surprise.

    Parameters
    ----------
    path : str or os.PathLike
        The audio file (WAV, FLAC, OGG/Vorbis, MP3, AIFF, ... anything libsndfile
        reads).
    sr : int or None
        Sample rate in Hz to return. ``None`` keeps the file's rate; any other
        value resamples with soxr (``librosa.resample(res_type="soxr_hq")``).
    mono : bool
        Mix all channels down to one (their mean) and return shape ``(n,)``.
        With ``False`` the result has shape ``(channels, n)`` for files with more
        than one channel and ``(n,)`` for mono files.
    offset : float
        Start reading this many seconds into the file.
    duration : float or None
        Read at most this many seconds; ``None`` reads to the end.
    nonfinite : {"raise", "zero"}
        What to do with NaN or infinite samples, which only float files can hold.
        ``"raise"`` (the default) raises :class:`AudioFileError`; ``"zero"``
        replaces them with 0.0 and warns how many were replaced.

    Returns
    -------
    y : numpy.ndarray
        float32 samples, ``(n,)`` or ``(channels, n)``, in [-1, 1] for
        integer-PCM files.
    sr : int
        The sample rate of ``y`` in Hz.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    AudioFileError
        If ``path`` is a directory, empty, not audio, damaged, has no frames, or
        holds NaN/inf samples (with ``nonfinite="raise"``).
    ValueError
        For ``sr <= 0`` or a rate below 1000 Hz (``sr=44.1`` or ``sr=22``, a
        rate given in kHz: the message names the rate in Hz), a negative
        ``offset``, an ``offset`` past the end of the file, or
        ``duration <= 0``.

    Warns
    -----
    UserWarning
        When a WAV file holds fewer frames than its header declares (a
        truncated download or copy): the frames that are there are returned.

    See Also
    --------
    librosa.load : the same job with librosa's defaults (22050 Hz, mono).
    save : write an array to a file.

    Notes
    -----
    Taught in :doc:`/book/01_sampling`.

    Examples
    --------
    >>> import tempfile, os
    >>> import numpy as np
    >>> from audiotut import io
    >>> path = os.path.join(tempfile.mkdtemp(), "stereo.wav")
    >>> _ = io.save(path, np.zeros((2, 88200), dtype=np.float32), sr=44100)
    >>> y, sr = io.load(path, mono=False)
    >>> y.shape, y.dtype, sr
    ((2, 88200), dtype('float32'), 44100)
    >>> y, sr = io.load(path, sr=16000)
    >>> y.shape, sr
    ((32000,), 16000)
    """
    if sr is not None:
        _check_hz(sr)
        sr = check_sr(sr)
    if nonfinite not in ("raise", "zero"):
        raise ValueError(f"nonfinite must be 'raise' or 'zero', got {nonfinite!r}")
    if not np.isfinite(offset) or offset < 0:
        raise ValueError(f"offset must be a number of seconds >= 0, got {offset!r}")
    if duration is not None and (not np.isfinite(duration) or duration <= 0):
        raise ValueError(
            f"duration must be a number of seconds > 0, or None to read to the end; got {duration!r}"
        )
    header = _header(path)
    sr_native = int(header.samplerate)
    if header.frames <= 0:
        raise AudioFileError(f"'{path}' has a valid header but holds no audio frames")
    start = int(round(offset * sr_native))
    if start >= header.frames:
        raise ValueError(
            f"offset={offset} s is at or past the end of '{path}', which lasts "
            f"{header.frames / sr_native:.3f} s"
        )
    stop = None if duration is None else min(header.frames, start + int(round(duration * sr_native)))
    try:
        data, _ = sf.read(str(path), start=start, stop=stop, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as error:
        raise AudioFileError(
            f"'{path}' is damaged and could not be decoded (libsndfile: {_reason(error)})"
        ) from None
    if data.shape[0] == 0:
        raise AudioFileError(
            f"'{path}' declares {header.frames} frames but none could be decoded; the file "
            "is probably truncated"
        )
    declared = _wav_declared_frames(path) if header.format in ("WAV", "WAVEX") else None
    if declared is not None and declared > header.frames:
        warnings.warn(
            f"'{path}' declares {declared} frames ({declared / sr_native:.3f} s) but holds "
            f"only {header.frames}: the file is probably truncated (an interrupted download "
            f"or copy). Returning the frames that are there",
            stacklevel=2,
        )
    y = np.ascontiguousarray(data.T)  # soundfile is frame-first; we are channel-first
    bad = ~np.isfinite(y)
    if bad.any():
        count = int(bad.sum())
        if nonfinite == "raise":
            raise AudioFileError(
                f"'{path}' holds {count} NaN or infinite samples; such values poison every "
                "later computation. Repair the file, or pass nonfinite='zero' to replace "
                "them with silence"
            )
        warnings.warn(
            f"'{path}': replaced {count} NaN or infinite samples with 0.0", stacklevel=2
        )
        y[bad] = 0.0
    if y.shape[0] == 1 or mono:
        y = librosa.to_mono(y) if y.shape[0] > 1 else y[0]
    if sr is not None and sr != sr_native:
        y = librosa.resample(y, orig_sr=sr_native, target_sr=sr, res_type="soxr_hq")
    else:
        sr = sr_native
    return np.ascontiguousarray(y, dtype=np.float32), sr


def _wav_declared_frames(path: PathLike) -> int | None:
    """The frames a RIFF WAV's header declares (its data chunk's size), or None.

    libsndfile quietly reports the frames a truncated file still holds; the
    declared size is what the file should hold. None when the header does not
    say (a streamed file's placeholder size) or cannot be parsed.
    """
    import struct

    try:
        with open(path, "rb") as stream:
            riff = stream.read(12)
            if len(riff) < 12 or riff[:4] != b"RIFF" or riff[8:12] != b"WAVE":
                return None
            block_align = None
            while True:
                chunk = stream.read(8)
                if len(chunk) < 8:
                    return None
                kind, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
                if kind == b"fmt ":
                    fmt = stream.read(size + (size & 1))
                    if len(fmt) < 14:
                        return None
                    block_align = struct.unpack("<H", fmt[12:14])[0]
                elif kind == b"data":
                    if not block_align or size in (0, 0xFFFFFFFF):
                        return None
                    return size // block_align
                else:
                    stream.seek(size + (size & 1), 1)
    except OSError:
        return None


def _check_hz(sr: object) -> None:
    """Refuse a rate that looks like kHz (22, 44.1) with the rate it most likely meant."""
    if isinstance(sr, (int, float, np.integer, np.floating)) and not isinstance(sr, bool) \
            and np.isfinite(sr) and 0 < sr < 1000:
        meant = min(_KHZ_RATES, key=lambda khz: abs(khz - float(sr)))
        hint = (f"; did you mean sr={round(meant * 1000)}?"
                if abs(meant - float(sr)) <= 0.1 * meant else "")
        raise ValueError(
            f"sr={sr!r} Hz is far too low for audio: sample rates are in Hz, not kHz{hint} "
            "(common rates are 8000, 16000, 22050, 44100 and 48000)"
        )


def _format_for(path: Path) -> str:
    extension = path.suffix.lstrip(".").upper()
    fmt = _FORMAT_ALIASES.get(extension, extension)
    if fmt not in sf.available_formats():
        known = ", ".join("." + name.lower() for name in ("WAV", "FLAC", "OGG", "MP3", "AIFF"))
        raise ValueError(
            f"cannot tell the audio format from the file name '{path}'; "
            f"end it with a known extension such as {known}"
        )
    return fmt


def _as_frames(y: np.ndarray, subtype: str) -> np.ndarray:
    """Turn a checked channel-first signal frame-first, ready for soundfile.

    Float samples bound for integer PCM are rounded to the nearest level here
    (:func:`audiotut.sampling.pcm_levels`): libsndfile itself rounds *down*,
    which doubles the quantization error and adds half a step of DC offset.
    """
    if y.dtype.kind == "f" and subtype in _PCM_BITS:
        bits = _PCM_BITS[subtype]
        levels = pcm_levels(y, bits=bits)
        if bits == 16:
            y = levels.astype(np.int16)
        else:  # libsndfile takes the top bits of an int32
            y = (levels.astype(np.int64) << (32 - bits)).astype(np.int32)
    return y.T if y.ndim == 2 else y


def save(
    path: PathLike,
    y: np.ndarray,
    *,
    sr: int,
    subtype: str | None = None,
) -> Path:
    """Write a signal to an audio file, atomically.

    The samples are written to a temporary file next to ``path`` which then
    replaces ``path`` in one step, so a failed save (a bad argument, a full
    disk, an interrupted program) never leaves a truncated file, never damages
    a file that was already there, and leaves no temporary file behind.

    Parameters
    ----------
    path : str or os.PathLike
        Where to write. The extension chooses the container: ``.wav``,
        ``.flac``, ``.ogg`` (Vorbis), ``.opus`` (Opus, at 8, 12, 16, 24 or
        48 kHz only), ``.mp3``, ``.aiff`` ...
    y : numpy.ndarray
        ``(n,)`` for mono or ``(channels, n)``; float in [-1, 1], or integer PCM.
    sr : int
        Sample rate in Hz.
    subtype : str or None
        Sample encoding such as ``"PCM_16"``, ``"PCM_24"`` or ``"FLOAT"``.
        ``None`` takes the container's default (``PCM_16`` for WAV and FLAC),
        which every player reads.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ValueError
        For ``sr <= 0``, an unknown extension or subtype, a rate that Opus
        cannot store (for ``.opus``), an array that is
        empty, complex, frame-first, not 1-D or 2-D, or holds NaN/inf, and for
        float samples beyond [-1, 1] with an integer subtype (they would clip).
    FileNotFoundError
        If the directory to write into does not exist.

    Notes
    -----
    Taught in :doc:`/book/01_sampling`.

    Examples
    --------
    >>> import tempfile, os
    >>> import numpy as np
    >>> from audiotut import io
    >>> path = os.path.join(tempfile.mkdtemp(), "tone.flac")
    >>> t = np.arange(16000) / 16000
    >>> y = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    >>> io.save(path, y, sr=16000).name
    'tone.flac'
    >>> io.info(path).subtype
    'PCM_16'
    """
    path = _check_path_type(path)
    sr = check_sr(sr)
    fmt = _format_for(path)
    opus = path.suffix.lower() == ".opus"
    if subtype is None:
        # .opus is an Ogg container like .ogg, but with Opus inside, not Vorbis
        subtype = "OPUS" if opus else sf.default_subtype(fmt)
    elif opus and str(subtype).upper() != "OPUS":
        raise ValueError(f"a .opus file holds Opus, not {subtype!r}; leave subtype=None, or "
                         "name the file .ogg for Vorbis")
    elif not isinstance(subtype, str) or not sf.check_format(fmt, subtype.upper()):
        valid = ", ".join(sorted(sf.available_subtypes(fmt)))
        raise ValueError(f"subtype {subtype!r} cannot be written to {fmt}; choose one of: {valid}")
    subtype = subtype.upper()
    if subtype == "OPUS" and sr not in _OPUS_RATES:
        raise ValueError(
            f"Opus cannot store sr={sr}: it only supports "
            f"{', '.join(map(str, _OPUS_RATES))} Hz. Resample first, e.g. "
            f"librosa.resample(y, orig_sr={sr}, target_sr=48000, res_type='soxr_hq'), "
            "or save as .flac (lossless) or .ogg (Vorbis)"
        )
    y = check_signal(y)
    if subtype not in _FLOAT_SUBTYPES:
        check_full_scale(y, consequence=f"{subtype} would clip it",
                         fix="Scale it down (e.g. y / np.abs(y).max()), or save with subtype='FLOAT'")
    frames = _as_frames(y, subtype)
    return write_atomically(
        path, lambda stream: sf.write(stream, frames, sr, subtype=subtype, format=fmt))
