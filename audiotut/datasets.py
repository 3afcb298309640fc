"""The book's dataset, the Free Spoken Digit Dataset (FSDD): downloaded once, verified.

:func:`fsdd` returns an :class:`FSDD`: the 3,000 recordings of FSDD v1.0.10
(6 speakers say each digit 0-9 fifty times; mono, 16-bit, 8000 Hz, trimmed;
0.14 s to 2.28 s long), with their labels as arrays, the dataset's official
train/test split and a by-speaker split, and :meth:`FSDD.to_torch`, a
fixed-length ``torch.utils.data.Dataset`` for a ``DataLoader``. The recordings
are licensed CC BY-SA 4.0 by the dataset's contributors
(https://github.com/Jakobovski/free-spoken-digit-dataset, Zenodo DOI
10.5281/zenodo.1342401).

**Where the files come from.** The first call downloads the release archive of
tag v1.0.10 from GitHub with :func:`pooch.retrieve` (``url=`` names a mirror)
and keeps the dataset in ``<cache>/fsdd-v1.0.10/``: ``recordings/*.wav``,
``speakers.json`` (the speakers' gender, accent and language, converted from
the archive's ``metadata.py``) and ``README.upstream.md`` (the archive's README).
``<cache>`` is the folder named by the environment variable
``AUDIOTUT_DATA_DIR``, else ``pooch.os_cache("audiotut")`` (see
:func:`cache_dir`). Later calls, and any call with ``root=`` a local copy,
never touch the network.

**Checksums.** GitHub builds its archives on demand and their bytes are not
guaranteed stable, so the archive itself is not checksummed; each *recording*
is, against ``audiotut/data/fsdd-v1.0.10.sha256``, shipped inside the package:
3,000 lines ``<sha256>  <file name>``, sorted by name (the format of
``sha256sum``, so ``sha256sum -c`` checks a copy too). It was generated with
``python tools/make_fsdd_manifest.py <copy>/recordings`` from a copy of the
dataset at tag v1.0.10. Every :func:`fsdd` call verifies all 3,000 files (about
21 MB; 0.05 s to 0.1 s from a warm disk cache), so a damaged cache is found at
once, and nothing is ever written into a read-only root or cache. Files in
``recordings/`` that are not in the manifest are ignored.

**Nothing half-written.** A download goes into a temporary folder next to its
target (``<cache>/.fsdd-v1.0.10.<host>.<pid>.<random>.part``), is extracted
and verified there, and only then moved into place with :func:`os.replace`. A
failed download, a broken archive or an altered recording raises
:class:`~audiotut.errors.DatasetError` and leaves nothing behind; a temporary
folder left by a process that was killed is removed by the next download.

Taught in :doc:`/book/09_datasets`.

Examples
--------
>>> from audiotut import datasets
>>> ds = datasets.fsdd()
>>> len(ds), ds.sr, sorted(set(ds.speakers))[:3]
(3000, 8000, ['george', 'jackson', 'lucas'])
>>> train, test = ds.split("official")
>>> len(train), len(test)
(2700, 300)
"""

from __future__ import annotations

import ast
import errno
import functools
import hashlib
import importlib.resources
import json
import os
import re
import shutil
import socket
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from ._epoch import SharedEpoch
from .augment import Pipeline
from .errors import DatasetError
from .io import load as _load

__all__ = ["FSDD", "cache_dir", "fsdd"]

_VERSION = "v1.0.10"
_FOLDER = f"fsdd-{_VERSION}"
_URL = ("https://github.com/Jakobovski/free-spoken-digit-dataset/archive/refs/tags/"
        f"{_VERSION}.zip")
_SR = 8000
_NAME = re.compile(r"^([0-9])_([a-z]+)_([0-9]+)\.wav$")
_SPLITS = ("official", "speaker")
_OFFICIAL_TEST_TAKES = range(5)   # README: "Recordings numbered 0-4 (inclusive) are in the test"
_STALE_AFTER_S = 24 * 3600        # a temporary download folder older than this is abandoned
_SHOWN = 5                        # file names listed in an error message

PathLike = str | os.PathLike


# --------------------------------------------------------------------------- manifest


@functools.lru_cache(maxsize=1)
def _shipped_manifest() -> dict[str, str]:
    resource = importlib.resources.files("audiotut").joinpath("data", f"{_FOLDER}.sha256")
    manifest = {}
    for number, line in enumerate(resource.read_text(encoding="ascii").splitlines(), 1):
        digest, _, name = line.partition("  ")
        if len(digest) != 64 or not _NAME.match(name):
            raise DatasetError(f"line {number} of audiotut's manifest {resource} is damaged "
                               f"({line!r}); reinstall audiotut")
        manifest[name] = digest
    return manifest


def _manifest() -> Mapping[str, str]:
    """The expected recordings: file name to SHA-256 (the tests replace it by a subset)."""
    return _shipped_manifest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    return shown + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")


def _problems(missing: list[str], altered: list[str], total: int) -> str:
    parts = []
    if missing:
        parts.append(f"{len(missing)} of the {total} recordings are missing ({_names(missing)})")
    if altered:
        files = "1 recording differs" if len(altered) == 1 else f"{len(altered)} recordings differ"
        parts.append(f"{files} from the published files: the SHA-256 sums do not match "
                     f"audiotut's manifest ({_names(altered)})")
    return " and ".join(parts)


def _verify(recordings: Path, manifest: Mapping[str, str], *, repair: str) -> None:
    """Hash every expected file in ``recordings``; raise DatasetError naming the bad ones."""
    try:
        with os.scandir(recordings) as entries:
            present = {entry.name for entry in entries}
    except OSError as error:
        raise DatasetError(f"cannot list the FSDD recordings in '{recordings}' ({error}). "
                           f"{repair}") from error
    missing = sorted(set(manifest) - present)
    if len(missing) == len(manifest):
        wavs = sorted(name for name in present if name.endswith(".wav"))
        raise DatasetError(
            f"'{recordings}' holds none of the {len(manifest)} recordings of FSDD {_VERSION} "
            f"(it has {len(wavs)} .wav files{': ' + _names(wavs) if wavs else ''}); it is not "
            f"that dataset. {repair}")
    altered = []
    for name in sorted(set(manifest) & present):
        try:
            digest = _sha256(recordings / name)
        except OSError:
            digest = ""
        if digest != manifest[name]:
            altered.append(name)
    if missing or altered:
        raise DatasetError(f"FSDD {_VERSION} in '{recordings}' is damaged: "
                           f"{_problems(missing, altered, len(manifest))}. {repair}")


# --------------------------------------------------------------------------- locations


def cache_dir() -> Path:
    """Where :func:`fsdd` keeps the dataset it downloads.

    Returns
    -------
    pathlib.Path
        The folder named by the environment variable ``AUDIOTUT_DATA_DIR`` if
        it is set, else ``pooch.os_cache("audiotut")`` (for instance
        ``~/.cache/audiotut`` on Linux). The dataset lives in its subfolder
        ``fsdd-v1.0.10/``; the folder need not exist yet.

    Notes
    -----
    Point ``AUDIOTUT_DATA_DIR`` at a folder that already holds
    ``fsdd-v1.0.10/recordings/`` (a shared, even read-only, copy) and
    :func:`fsdd` uses it as a filled cache, without the network.

    Taught in :doc:`/book/09_datasets`.

    Examples
    --------
    >>> import os
    >>> from audiotut import datasets
    >>> folder = datasets.cache_dir()
    >>> folder.is_absolute() or "AUDIOTUT_DATA_DIR" in os.environ
    True
    """
    import pooch

    value = os.environ.get("AUDIOTUT_DATA_DIR")
    return Path(value).expanduser() if value else Path(pooch.os_cache("audiotut"))


def _find_root(root: object) -> Path:
    if not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"root must be a str or os.PathLike naming a folder, got "
                        f"{type(root).__name__} ({root!r:.80})")
    path = Path(root).expanduser()
    if not path.exists():
        raise FileNotFoundError(
            errno.ENOENT,
            f"No FSDD folder at '{path}' (relative paths start from {Path.cwd()}); pass the "
            f"folder that holds recordings/, or leave root= out to use the cache",
            str(path))
    if not path.is_dir():
        raise DatasetError(f"root '{path}' is a file; pass the FSDD folder that holds "
                           "recordings/ (or leave root= out to use the cache)")
    for candidate in (path, path / _FOLDER):
        if (candidate / "recordings").is_dir():
            return candidate
    listing = sorted(entry.name + ("/" if entry.is_dir() else "") for entry in path.iterdir())
    raise DatasetError(
        f"root '{path}' does not hold FSDD {_VERSION}: expected a folder recordings/ with its "
        f"3,000 .wav files (or {_FOLDER}/recordings/), found "
        f"{_names(listing) if listing else 'an empty folder'}. Pass the dataset's folder (a "
        "clone of the repository or the extracted release archive), or leave root= out and "
        "let fsdd() download it into the cache")


def _speakers_info(folder: Path) -> dict[str, dict[str, str]]:
    """speakers.json, else the repository's metadata.py, else nothing."""
    path = folder / "speakers.json"
    if path.is_file():
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as error:
            raise DatasetError(f"'{path}' is not valid JSON ({error}); delete it or fix "
                               "it") from error
        return info if isinstance(info, dict) else {}
    path = folder / "metadata.py"
    return _parse_metadata(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _parse_metadata(source: str) -> dict[str, dict[str, str]]:
    """The ``metadata = {...}`` literal of the repository's metadata.py, without running it."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == "metadata"
                for target in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return {}
            if isinstance(value, dict) and all(isinstance(v, dict) for v in value.values()):
                return {str(k): {str(a): str(b) for a, b in v.items()}
                        for k, v in sorted(value.items())}
    return {}


# --------------------------------------------------------------------------- download


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:32] or "host"


def _process_is_gone(pid: int) -> bool:
    if os.name != "posix":          # os.kill(pid, 0) would signal the process on Windows
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:                 # exists, owned by someone else
        return False
    return False


def _remove_stale_parts(cache: Path) -> None:
    """Remove temporary download folders abandoned by killed processes."""
    pattern = re.compile(rf"^\.{re.escape(_FOLDER)}\.([A-Za-z0-9]+)\.([0-9]+)\..*\.part$")
    for entry in cache.iterdir():
        match = pattern.match(entry.name)
        if not match or not entry.is_dir():
            continue
        try:
            age = time.time() - entry.stat().st_mtime
        except OSError:
            continue
        same_host = match.group(1) == _host()
        if age > _STALE_AFTER_S or (same_host and _process_is_gone(int(match.group(2)))):
            shutil.rmtree(entry, ignore_errors=True)


def _copy_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path) -> str:
    digest = hashlib.sha256()
    with archive.open(member) as source, open(target, "wb") as destination:
        for chunk in iter(lambda: source.read(1 << 16), b""):
            digest.update(chunk)
            destination.write(chunk)
    return digest.hexdigest()


def _extract(archive_path: Path, staged: Path, manifest: Mapping[str, str], url: str,
             repair: str) -> None:
    """Extract the manifest's recordings (and the metadata) into ``staged``, verifying each."""
    try:
        archive = zipfile.ZipFile(archive_path)
    except (zipfile.BadZipFile, OSError) as error:
        raise DatasetError(f"the file downloaded from {url} is not a zip archive ({error}); "
                           f"nothing was kept. {repair}") from error
    recordings = staged / "recordings"
    recordings.mkdir(parents=True)
    with archive:
        members: dict[str, zipfile.ZipInfo] = {}
        extras: dict[str, zipfile.ZipInfo] = {}
        for member in archive.infolist():
            parts = PurePosixPath(member.filename).parts
            if member.is_dir() or not parts:
                continue
            if len(parts) >= 2 and parts[-2] == "recordings" and parts[-1] in manifest:
                members.setdefault(parts[-1], member)
            elif len(parts) == 2 and parts[1] in ("metadata.py", "README.md"):
                extras[parts[1]] = member
        missing = sorted(set(manifest) - set(members))
        if len(missing) == len(manifest):
            raise DatasetError(f"the archive downloaded from {url} holds none of the "
                               f"{len(manifest)} recordings of FSDD {_VERSION}; it is not that "
                               f"dataset's release archive. {repair}")
        altered = []
        try:
            for name, member in sorted(members.items()):
                if _copy_member(archive, member, recordings / name) != manifest[name]:
                    altered.append(name)
            metadata = (archive.read(extras["metadata.py"]).decode("utf-8", "replace")
                        if "metadata.py" in extras else "")
            readme = archive.read(extras["README.md"]) if "README.md" in extras else None
        except (zipfile.BadZipFile, zlib.error, EOFError) as error:
            raise DatasetError(f"the archive downloaded from {url} is damaged ({error}); "
                               f"nothing was kept. {repair}") from error
    if missing or altered:
        raise DatasetError(f"the archive downloaded from {url} is not FSDD {_VERSION} as "
                           f"published: {_problems(missing, altered, len(manifest))}; nothing "
                           f"was kept. {repair}")
    speakers = _parse_metadata(metadata)
    if speakers:
        (staged / "speakers.json").write_text(json.dumps(speakers, indent=2, sort_keys=True),
                                              encoding="utf-8")
    if readme is not None:
        (staged / "README.upstream.md").write_bytes(readme)


def _download(url: str, cache: Path, manifest: Mapping[str, str]) -> None:
    import pooch

    target = cache / _FOLDER
    repair = ("Try again later, or pass url= a mirror of the release archive "
              f"({_URL}); or download it yourself, extract it and pass root= its folder")
    try:
        cache.mkdir(parents=True, exist_ok=True)
        _remove_stale_parts(cache)
        work = Path(tempfile.mkdtemp(prefix=f".{_FOLDER}.{_host()}.{os.getpid()}.",
                                     suffix=".part", dir=cache))
    except OSError as error:
        raise DatasetError(
            f"cannot write into the cache folder '{cache}' to download FSDD {_VERSION} "
            f"({error}). Set AUDIOTUT_DATA_DIR to a writable folder, or pass root= a local "
            "copy of the dataset") from error
    try:
        try:
            archive = pooch.retrieve(url, known_hash=None, fname=f"{_FOLDER}.zip", path=work,
                                     progressbar=False)
        except Exception as error:  # requests' errors, OSError, pooch's ValueError
            # from None: the message names the cause; the chained traceback of
            # requests and urllib3 (dozens of lines) would only bury it
            raise DatasetError(
                f"could not download FSDD {_VERSION} from {url} ({type(error).__name__}: "
                f"{error}); nothing was kept. Check the internet connection and try again, "
                "pass url= a mirror of the release archive, or set AUDIOTUT_DATA_DIR to a "
                f"folder that holds {_FOLDER}/recordings/") from None
        staged = work / _FOLDER
        _extract(Path(archive), staged, manifest, url, repair)
        os.unlink(archive)
        try:
            os.replace(staged, target)
        except OSError:
            if not (target / "recordings").is_dir():  # else another process finished first
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def fsdd(*, root: PathLike | None = None, url: str | None = None,
         download: bool = True) -> FSDD:
    """The Free Spoken Digit Dataset v1.0.10, verified file by file.

    Parameters
    ----------
    root : str or os.PathLike, optional
        A local copy to use instead of the cache: the dataset's folder (the one
        holding ``recordings/``, e.g. a clone of the repository) or a folder
        holding ``fsdd-v1.0.10/recordings/``. It is only read, never written,
        and never downloaded into. ``None`` uses :func:`cache_dir`.
    url : str, optional
        Where to download the release archive from when the cache is empty
        (a mirror); default the GitHub archive of tag v1.0.10. Not allowed
        together with ``root``.
    download : bool
        Download into the cache when it is empty. With ``False`` an empty
        cache raises :class:`FileNotFoundError` instead.

    Returns
    -------
    FSDD
        All 3,000 recordings, ordered by digit, speaker and take.

    Raises
    ------
    FileNotFoundError
        If ``root`` does not exist, or the cache is empty and ``download=False``.
    DatasetError
        If a recording is missing or altered (the message names it and says
        how to repair the copy), ``root`` holds something else than FSDD, or
        a download fails or brings a broken or altered archive.
    ValueError
        For a ``download`` that is not a bool or a ``url`` that is not a string.

    Notes
    -----
    All 3,000 files are hashed on every call (about 0.05 s to 0.1 s with a warm
    disk cache) and compared with the SHA-256 manifest shipped in audiotut;
    nothing is written anywhere unless a download is needed. A filled cache or
    ``root=`` never touches the network. To repair a damaged cache, delete the
    folder ``cache_dir() / "fsdd-v1.0.10"`` and call ``fsdd()`` again.

    Taught in :doc:`/book/09_datasets`.

    Examples
    --------
    >>> from audiotut import datasets
    >>> ds = datasets.fsdd()                 # downloads about 17 MB the first time
    >>> ds.files[0].name, int(ds.digits[0]), str(ds.speakers[0]), int(ds.takes[0])
    ('0_george_0.wav', 0, 'george', 0)
    >>> same = datasets.fsdd(root=ds.root, download=False)   # a local copy: no network
    >>> len(same)
    3000
    """
    if not isinstance(download, bool):
        raise ValueError(f"download must be True or False, got {download!r}")
    if url is not None and not isinstance(url, str):
        raise ValueError(f"url must be a string naming the archive, got {url!r:.80}")
    manifest = _manifest()
    if root is not None:
        if url is not None:
            raise ValueError("url= is where fsdd() downloads into the cache from, and root= "
                             "names a local copy that is never downloaded into; pass one of them")
        folder = _find_root(root)
        _verify(folder / "recordings", manifest, repair=(
            "Replace the files from a fresh copy of the release archive "
            f"({_URL}), or leave root= out: fsdd() then downloads a verified copy into "
            f"{cache_dir()}"))
        return FSDD(folder, manifest, speakers_info=_speakers_info(folder))
    cache = cache_dir()
    target = cache / _FOLDER
    repair = (f"Delete the folder '{target}' and call audiotut.datasets.fsdd(download=True) to "
              "download a verified copy again, or pass root= another copy of the dataset")
    if not (target / "recordings").is_dir():
        if target.exists():
            raise DatasetError(f"'{target}' exists but holds no recordings/ folder. {repair}")
        if not download:
            raise FileNotFoundError(
                errno.ENOENT,
                f"FSDD {_VERSION} is not in the cache '{cache}' and download=False. Call "
                "audiotut.datasets.fsdd() to download it once (about 17 MB), set "
                f"AUDIOTUT_DATA_DIR to a folder that holds {_FOLDER}/recordings/, or pass "
                "root= a local copy",
                str(target))
        _download(url or _URL, cache, manifest)
    _verify(target / "recordings", manifest, repair=repair)
    return FSDD(target, manifest, speakers_info=_speakers_info(target))


# --------------------------------------------------------------------------- the dataset


def _check_index(index: object, n: int) -> int:
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
        raise ValueError(f"index must be a whole number, got {index!r:.80}")
    if not -n <= index < n:
        raise IndexError(f"index {index} is out of range for {n} recordings")
    return int(index) % n


class FSDD:
    """Recordings of the Free Spoken Digit Dataset with their labels, as returned by :func:`fsdd`.

    Build it with :func:`fsdd`, which verifies the files first; :meth:`split`
    and :meth:`subset` return ``FSDD`` objects holding part of the
    recordings, with the same API, so a training set is used exactly like the
    whole dataset.

    Parameters
    ----------
    root : pathlib.Path
        The dataset's folder, holding ``recordings/``.
    names : sequence of str
        File names in ``recordings/``, like ``"7_jackson_32.wav"`` (not
        checked against the manifest here: that is :func:`fsdd`'s job).
    speakers_info : mapping, optional
        Speaker metadata, see below.

    Raises
    ------
    ValueError
        For a name that is not ``{digit}_{speaker}_{take}.wav``.

    Attributes
    ----------
    root : pathlib.Path
        The dataset's folder (holding ``recordings/``).
    files : list of pathlib.Path
        The recordings, ordered by digit, speaker and take (numerically).
    digits : numpy.ndarray
        int64, the spoken digit 0-9 of each file.
    speakers : numpy.ndarray
        The speaker of each file (``"george"``, ``"jackson"`` ...), Python
        strings in an object array, so ``ds.speakers == "theo"`` is a mask.
    takes : numpy.ndarray
        int64, the take 0-49 of each file (the last number of its name).
    speakers_info : dict
        Speaker name to ``{"gender", "accent", "language"}``, from the
        dataset's ``speakers.json`` (written from the archive's
        ``metadata.py`` when downloaded; read from ``metadata.py`` in a
        clone); empty if the copy has neither.
    sr : int
        8000, the recordings' sample rate in Hz.

    Notes
    -----
    Indexing arrays by label is plain NumPy: ``ds.subset(ds.digits == 3)``
    keeps the threes, ``ds.files[i]`` is recording ``i``.

    Taught in :doc:`/book/09_datasets`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut import datasets
    >>> ds = datasets.fsdd()
    >>> ds.sr, len(ds), np.bincount(ds.digits).tolist() == [300] * 10
    (8000, 3000, True)
    >>> ds.speakers_info["theo"]["accent"]
    'USA/neutral'
    >>> threes = ds.subset(ds.digits == 3)
    >>> len(threes), set(threes.digits.tolist())
    (300, {3})
    """

    sr: int = _SR

    def __init__(self, root: Path, names: Sequence[str] | Mapping[str, str], *,
                 speakers_info: Mapping[str, Any] | None = None) -> None:
        parsed = []
        for name in names:
            match = _NAME.match(name)
            if match is None:
                raise ValueError(f"{name!r} is not an FSDD file name like '7_jackson_32.wav'")
            parsed.append((int(match.group(1)), match.group(2), int(match.group(3)), name))
        parsed.sort()
        self.root = Path(root)
        self.files = [self.root / "recordings" / name for *_, name in parsed]
        self.digits = np.array([row[0] for row in parsed], dtype=np.int64)
        self.speakers = np.array([row[1] for row in parsed], dtype=object)
        self.takes = np.array([row[2] for row in parsed], dtype=np.int64)
        self.speakers_info = dict(speakers_info or {})

    def __len__(self) -> int:
        return len(self.files)

    def __repr__(self) -> str:
        speakers = ", ".join(sorted(set(self.speakers.tolist())))
        return (f"FSDD({len(self)} recordings at {self.sr} Hz, digits "
                f"{sorted(set(self.digits.tolist()))}, speakers [{speakers}], root='{self.root}')")

    def load(self, i: int, *, sr: int | None = None) -> tuple[np.ndarray, int]:
        """Read recording ``i`` with :func:`audiotut.io.load`.

        Parameters
        ----------
        i : int
            Index into :attr:`files` (negative counts from the end).
        sr : int, optional
            Resample to this rate; ``None`` keeps the native 8000 Hz.

        Returns
        -------
        y : numpy.ndarray
            float32, shape ``(n,)``.
        sr : int
            Its sample rate in Hz.

        Raises
        ------
        IndexError
            For an index out of range.

        Examples
        --------
        >>> from audiotut import datasets
        >>> ds = datasets.fsdd()
        >>> y, sr = ds.load(0)
        >>> y.dtype, y.shape, sr
        (dtype('float32'), (2384,), 8000)
        >>> ds.load(0, sr=16000)[0].shape
        (4768,)
        """
        index = _check_index(i, len(self))
        return _load(self.files[index], sr=sr)

    def subset(self, indices: Sequence[int] | np.ndarray) -> FSDD:
        """The recordings picked by an index array or a boolean mask, as an ``FSDD``.

        Parameters
        ----------
        indices : array_like of int or bool
            Positions in this dataset, or a mask of ``len(self)`` booleans.

        Returns
        -------
        FSDD
            Those recordings (in this dataset's order; duplicates dropped).

        Raises
        ------
        ValueError
            For a mask of the wrong length or indices that are not whole numbers.
        IndexError
            For an index out of range.

        Examples
        --------
        >>> from audiotut import datasets
        >>> ds = datasets.fsdd()
        >>> part = ds.subset((ds.speakers == "jackson") & (ds.takes < 2))
        >>> len(part), sorted(set(part.speakers.tolist()))
        (20, ['jackson'])
        """
        picked = np.asarray(indices)
        if picked.dtype == bool:
            if picked.shape != (len(self),):
                raise ValueError(f"a boolean mask needs {len(self)} entries (one per "
                                 f"recording), got shape {picked.shape}")
            picked = np.flatnonzero(picked)
        elif picked.size == 0:
            picked = picked.astype(np.int64)
        elif picked.dtype.kind not in "iu" or picked.ndim != 1:
            raise ValueError("indices must be a 1-D array of whole numbers or a boolean mask, "
                             f"got {picked.dtype} with shape {picked.shape}")
        if picked.size and (picked.min() < -len(self) or picked.max() >= len(self)):
            raise IndexError(f"indices must lie in [-{len(self)}, {len(self)}), got "
                             f"{int(picked.min())} to {int(picked.max())}")
        names = [self.files[i].name for i in np.unique(picked % max(len(self), 1))]
        return FSDD(self.root, names, speakers_info=self.speakers_info)

    def split(self, how: str = "official", *, held_out: str | None = None) -> tuple[FSDD, FSDD]:
        """Split into a training and a test set.

        Parameters
        ----------
        how : {"official", "speaker"}
            ``"official"``: the dataset's own split, takes 0-4 of every speaker
            and digit in the test set (300 files), takes 5-49 for training
            (2,700). ``"speaker"``: every recording of ``held_out`` in the test
            set, the other speakers for training (2,500 / 500), to measure how
            a model does on a voice it never heard.
        held_out : str, optional
            The test speaker; required with ``how="speaker"`` only.

        Returns
        -------
        train, test : FSDD
            Two disjoint subsets that together hold every recording.

        Raises
        ------
        ValueError
            For an unknown ``how`` (the message lists the valid ones), a
            missing or unknown ``held_out`` (it lists the speakers), or a
            ``held_out`` given with ``how="official"``.

        Examples
        --------
        >>> from audiotut import datasets
        >>> ds = datasets.fsdd()
        >>> train, test = ds.split("official")
        >>> len(train), len(test), sorted(set(test.takes.tolist()))
        (2700, 300, [0, 1, 2, 3, 4])
        >>> train, test = ds.split("speaker", held_out="theo")
        >>> len(train), len(test), "theo" in train.speakers
        (2500, 500, False)
        """
        if how not in _SPLITS:
            raise ValueError(f"unknown split {how!r}; choose one of: {', '.join(_SPLITS)}")
        if how == "official":
            if held_out is not None:
                raise ValueError("held_out= is for split('speaker', held_out=...); the official "
                                 "split holds out takes 0-4 of every speaker")
            test = np.isin(self.takes, list(_OFFICIAL_TEST_TAKES))
        else:
            speakers = sorted(set(self.speakers.tolist()))
            if held_out not in speakers:
                given = "no held_out" if held_out is None else f"held_out={held_out!r}"
                raise ValueError(f"split('speaker') needs held_out= one of the speakers "
                                 f"{speakers}; got {given}")
            test = self.speakers == held_out
        return self.subset(~test), self.subset(test)

    def to_torch(self, *, length: int, transform: Callable | Pipeline | None = None) -> Any:
        """A ``torch.utils.data.Dataset`` of fixed-length items ``(x, digit)``.

        Parameters
        ----------
        length : int
            Samples per item at 8000 Hz (``8000`` is one second). A longer
            recording is cropped around its centre (the recordings are trimmed,
            so the middle of a word is kept rather than its start only); a
            shorter one gets zeros at the end.
        transform : callable or audiotut.augment.Pipeline, optional
            A callable is applied to the fixed-length float32 tensor and its
            result becomes ``x`` (e.g. ``audiotut.gpu.LogMel(FeatureConfig(
            sr=8000, ...))`` gives ``(n_mels, frames)``). A chapter-7
            :class:`~audiotut.augment.Pipeline` is applied instead to the
            recording as a NumPy array *before* the crop or padding, as
            ``pipeline(y, sr=8000, index=i, epoch=dataset.epoch)`` with ``i`` the
            item's position in this dataset, so items are reproducible in any
            worker and change with the epoch.

        Returns
        -------
        torch.utils.data.Dataset
            ``len(self)`` items ``(x, digit)``: ``x`` a float32 tensor of shape
            ``(length,)`` (or the transform's output), ``digit`` an int. Set its
            ``epoch`` attribute (or call ``set_epoch``) before each epoch when
            the transform is a Pipeline. It pickles, so DataLoader workers
            started with ``spawn`` receive it.

        Raises
        ------
        ValueError
            For a ``length`` that is not a positive whole number, a transform
            that is not callable, or a transform whose ``FeatureConfig`` has
            another sample rate than 8000 Hz.

        Notes
        -----
        PyTorch is imported here, not when audiotut is imported. Recordings are
        read from disk when an item is requested (the dataset holds only paths).

        Examples
        --------
        >>> import torch
        >>> from audiotut import datasets
        >>> train, test = datasets.fsdd().split("official")
        >>> data = test.to_torch(length=8000)
        >>> x, digit = data[0]
        >>> x.shape, x.dtype, digit
        (torch.Size([8000]), torch.float32, 0)
        >>> batch, digits = next(iter(torch.utils.data.DataLoader(data, batch_size=4)))
        >>> batch.shape, digits.tolist()
        (torch.Size([4, 8000]), [0, 0, 0, 0])
        """
        if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 1:
            raise ValueError(f"length must be a positive whole number of samples at {_SR} Hz, "
                             f"got {length!r}; e.g. length={_SR} for one-second items")
        if transform is not None and not callable(transform):
            raise ValueError(f"transform must be a callable (e.g. audiotut.gpu.LogMel) or an "
                             f"audiotut.augment.Pipeline, got {transform!r:.80}")
        config = getattr(transform, "config", None)
        config_sr = getattr(config, "sr", None)
        if isinstance(config_sr, (int, np.integer)) and config_sr != _SR:
            raise ValueError(f"the transform's FeatureConfig has sr={config_sr}, but FSDD is "
                             f"at {_SR} Hz; build it with FeatureConfig(sr={_SR}, ...)")
        return _torch_dataset_class()(self, int(length), transform, 0)


def _fix_length(y: np.ndarray, length: int) -> np.ndarray:
    """Centre crop or zero-pad at the end to ``length`` samples."""
    n = y.shape[-1]
    if n > length:
        start = (n - length) // 2
        return y[..., start:start + length]
    if n < length:
        return np.pad(y, [(0, 0)] * (y.ndim - 1) + [(0, length - n)])
    return y


def _rebuild_torch_dataset(data: FSDD, length: int, transform: Any, epoch: int) -> Any:
    return _torch_dataset_class()(data, length, transform, epoch)


@functools.lru_cache(maxsize=1)
def _torch_dataset_class() -> type:
    import torch
    from torch.utils.data import Dataset

    class FSDDTorchDataset(Dataset):
        """FSDD recordings as fixed-length tensors; made by :meth:`FSDD.to_torch`."""

        def __init__(self, data: FSDD, length: int, transform: Any,
                     epoch: int | SharedEpoch) -> None:
            self.data = data
            self.length = length
            self.transform = transform
            # shared memory: persistent DataLoader workers see a new epoch too
            self._epoch = epoch if isinstance(epoch, SharedEpoch) else SharedEpoch(0)
            if not isinstance(epoch, SharedEpoch):
                self.epoch = epoch

        @property
        def epoch(self) -> int:
            """The epoch whose augmentation draws items use (0 or more)."""
            return self._epoch.value

        @epoch.setter
        def epoch(self, value: int) -> None:
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"epoch must be a whole number 0 or more, got {value!r}")
            self._epoch.value = int(value)

        def set_epoch(self, epoch: int) -> None:
            """Use the augmentation draws of epoch ``epoch`` from now on."""
            self.epoch = epoch

        def __len__(self) -> int:
            return len(self.data)

        def __getitem__(self, index: int) -> tuple[Any, int]:
            index = _check_index(index, len(self.data))
            y, sr = _load(self.data.files[index])
            if isinstance(self.transform, Pipeline):
                y = self.transform(y, sr=sr, index=index, epoch=self.epoch)
            x = torch.from_numpy(np.ascontiguousarray(_fix_length(y, self.length),
                                                      dtype=np.float32))
            if self.transform is not None and not isinstance(self.transform, Pipeline):
                x = self.transform(x)
            return x, int(self.data.digits[index])

        def __reduce__(self) -> tuple:
            return _rebuild_torch_dataset, (self.data, self.length, self.transform, self._epoch)

        def __repr__(self) -> str:
            return (f"FSDDTorchDataset({len(self)} items of {self.length} samples at {_SR} Hz, "
                    f"transform={self.transform!r}, epoch={self.epoch})")

    FSDDTorchDataset.__module__ = __name__
    FSDDTorchDataset.__qualname__ = FSDDTorchDataset.__name__
    return FSDDTorchDataset
