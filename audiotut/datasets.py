"""Datasets: any folder of recordings, and the book's Free Spoken Digit Dataset (FSDD).

:class:`AudioFolder` reads a folder of recordings as a labelled dataset (classes
from sub-folders or file names, speakers, measured sample rates, random and
speaker-disjoint splits, a torch dataset). :func:`fsdd` returns an
:class:`FSDD`, an ``AudioFolder`` with a verified manifest and its own split: the 3,000 recordings of FSDD v1.0.10
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
import collections
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
import warnings
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
from .utils import fix_length

__all__ = ["AudioFolder", "FSDD", "LogMelCache", "cache_dir", "fsdd"]

_VERSION = "v1.0.10"
_FOLDER = f"fsdd-{_VERSION}"
_URL = ("https://github.com/Jakobovski/free-spoken-digit-dataset/archive/refs/tags/"
        f"{_VERSION}.zip")
_NAME = re.compile(r"^([0-9])_([a-z]+)_([0-9]+)\.wav$")
_SPLITS = ("official", "speaker", "random")
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


def _picked(indices: object, n: int) -> np.ndarray:
    """Sorted unique positions from an index array or a boolean mask over ``n`` items."""
    picked = np.asarray(indices)
    if picked.dtype == bool:
        if picked.shape != (n,):
            raise ValueError(f"a boolean mask needs {n} entries (one per recording), got "
                             f"shape {picked.shape}")
        return np.flatnonzero(picked)
    if picked.size == 0:
        return picked.astype(np.int64)
    if picked.dtype.kind not in "iu" or picked.ndim != 1:
        raise ValueError("indices must be a 1-D array of whole numbers or a boolean mask, "
                         f"got {picked.dtype} with shape {picked.shape}")
    if picked.min() < -n or picked.max() >= n:
        raise IndexError(f"indices must lie in [-{n}, {n}), got {int(picked.min())} to "
                         f"{int(picked.max())}")
    return np.unique(picked % n)


def _check_torch_item(length: object, transform: object, sr: int, what: str) -> None:
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 1:
        raise ValueError(f"length must be a positive whole number of samples at {sr} Hz, "
                         f"got {length!r}; e.g. length={sr} for one-second items")
    if transform is not None and not callable(transform):
        raise ValueError(f"transform must be a callable (e.g. audiotut.gpu.LogMel) or an "
                         f"audiotut.augment.Pipeline, got {transform!r:.80}")
    config = getattr(transform, "config", None)
    config_sr = getattr(config, "sr", None)
    if isinstance(config_sr, (int, np.integer)) and config_sr != sr:
        raise ValueError(f"the transform's FeatureConfig has sr={config_sr}, but {what} is "
                         f"at {sr} Hz; build it with FeatureConfig(sr={sr}, ...)")


def _rebuild_torch_dataset(data: FSDD | AudioFolder, length: int, transform: Any, epoch: int) -> Any:
    return _torch_dataset_class()(data, length, transform, epoch)


@functools.lru_cache(maxsize=1)
def _torch_dataset_class() -> type:
    import torch
    from torch.utils.data import Dataset

    class FSDDTorchDataset(Dataset):
        """Recordings as fixed-length tensors; made by :meth:`FSDD.to_torch` and
        :meth:`AudioFolder.to_torch`."""

        def __init__(self, data: FSDD | AudioFolder, length: int, transform: Any,
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
            y, sr = self.data.load(index)
            if isinstance(self.transform, Pipeline):
                y = self.transform(y, sr=sr, index=index, epoch=self.epoch)
            x = torch.from_numpy(np.ascontiguousarray(fix_length(y, length=self.length),
                                                      dtype=np.float32))
            if self.transform is not None and not isinstance(self.transform, Pipeline):
                x = self.transform(x)
            return x, int(self.data.labels[index])

        def __reduce__(self) -> tuple:
            return _rebuild_torch_dataset, (self.data, self.length, self.transform, self._epoch)

        def __repr__(self) -> str:
            return (f"{type(self).__name__}({len(self)} items of {self.length} samples at "
                    f"{self.data.sr} Hz, transform={self.transform!r}, epoch={self.epoch})")

    FSDDTorchDataset.__module__ = __name__
    FSDDTorchDataset.__qualname__ = FSDDTorchDataset.__name__
    return FSDDTorchDataset


# --------------------------------------------------------------------------- a folder of recordings

#: File endings AudioFolder reads by default.
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3")


def _names_of(paths: Sequence[Path], root: Path, limit: int = 8) -> str:
    shown = ", ".join(str(p.relative_to(root)) for p in paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


def _regex_with_group(pattern: object, group: str, name: str) -> re.Pattern:
    try:
        compiled = re.compile(pattern)
    except (re.error, TypeError) as error:
        raise ValueError(f"{name}={pattern!r} is not a regular expression ({error})") from None
    if group not in compiled.groupindex:
        raise ValueError(f"{name}={pattern!r} has no named group '{group}'; write it as "
                         f"e.g. r'(?P<{group}>[a-z]+)_\\d+' to say which part is the {group}")
    return compiled


class AudioFolder:
    """A folder of recordings as a labelled dataset: your own data, used like :class:`FSDD`.

    Every audio file under ``root`` (any depth) is an example. Its class comes
    from the sub-folder it sits in (``label="folder"``: ``root/yes/a.wav`` is a
    ``"yes"``) or from its file name (``label=`` a regular expression with a
    named group ``label``). Its speaker, if you give ``speaker=``, from the file
    name in the same way or from a function of its path. Every file's header is
    read when the dataset is built, so unreadable files, mixed channel counts
    and other sample rates are reported at once, before any training.

    Parameters
    ----------
    root : str or os.PathLike
        The folder.
    sr : int
        Sample rate in Hz that :meth:`load` and :meth:`to_torch` return;
        recordings at other rates are resampled (soxr) and reported once.
    label : "folder" or str
        ``"folder"``: the name of the file's top sub-folder under ``root``.
        Otherwise a regular expression searched in the file name, with a
        named group ``label``, e.g. ``r"^(?P<label>\\d)_"`` for FSDD's
        ``7_jackson_32.wav``.
    speaker : str, callable or None
        A regular expression with a named group ``speaker`` searched in the
        file name, or a function from the file's :class:`pathlib.Path` to a
        speaker name; ``None`` if the data has no speakers (then only random
        splits are possible).
    extensions : sequence of str
        File endings to read (case-insensitive); other files are ignored.

    Attributes
    ----------
    files : list of pathlib.Path
        The recordings, sorted by path.
    labels : numpy.ndarray
        int64, each file's class as an index into :attr:`classes`.
    classes : list of str
        The class names, sorted.
    speakers : numpy.ndarray or None
        Each file's speaker (an object array of str), or None.
    native_sr : numpy.ndarray
        int64, each file's own sample rate in Hz, read from its header.
    sr : int
        The rate :meth:`load` returns.

    Raises
    ------
    FileNotFoundError
        If ``root`` does not exist.
    ValueError
        For a folder with no audio files, a class folder with no audio files,
        files directly in ``root`` with ``label="folder"``, a regular
        expression without its named group or that does not match some files
        (all of them are named), files whose speaker cannot be read, files
        that cannot be read as audio (all named at once), or files with
        different channel counts.

    Notes
    -----
    Taught in :doc:`/book/09_datasets`.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from audiotut import io, synth
    >>> from audiotut.datasets import AudioFolder
    >>> root = Path(tempfile.mkdtemp())
    >>> for word in ("yes", "no"):
    ...     for who in ("ann", "bob", "cy"):
    ...         (root / word).mkdir(exist_ok=True)
    ...         y = synth.speech(word, sr=16000)
    ...         _ = io.save(root / word / f"{who}_1.wav", y, sr=16000)
    >>> data = AudioFolder(root, sr=16000, speaker=r"^(?P<speaker>[a-z]+)_")
    >>> len(data), data.classes, sorted(set(data.speakers))
    (6, ['no', 'yes'], ['ann', 'bob', 'cy'])
    >>> train, test = data.split("speaker", held_out="cy")
    >>> len(train), len(test), sorted(set(test.speakers))
    (4, 2, ['cy'])
    """

    def __init__(self, root: PathLike, *, sr: int, label: str = "folder",
                 speaker: str | Callable[[Path], str] | None = None,
                 extensions: Sequence[str] = AUDIO_EXTENSIONS) -> None:
        from ._validate import check_sr

        self.sr = check_sr(sr)
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(2, f"no folder '{self.root}' to read recordings from",
                                    str(self.root))
        if isinstance(extensions, str) or not extensions:
            raise ValueError(f"extensions must be a sequence of endings such as ('.wav',), "
                             f"got {extensions!r}")
        endings = tuple(e.lower() if e.startswith(".") else "." + e.lower() for e in extensions)
        files = sorted(p for p in self.root.rglob("*")
                       if p.is_file() and p.suffix.lower() in endings
                       and not any(part.startswith(".") for part in p.relative_to(self.root).parts))
        if not files:
            raise ValueError(f"'{self.root}' holds no audio files ending in {', '.join(endings)}; "
                             "put recordings there (one sub-folder per class) or pass extensions=")
        names = self._labels_of(files, label)
        speakers = self._speakers_of(files, speaker)
        self._check_readable(files)
        self.files = files
        self.classes = sorted(set(names))
        index = {name: i for i, name in enumerate(self.classes)}
        self.labels = np.array([index[name] for name in names], dtype=np.int64)
        self.speakers = speakers
        self._reported = False

    # ------------------------------------------------------------ building

    def _labels_of(self, files: list[Path], label: object) -> list[str]:
        if label == "folder":
            loose = [p for p in files if p.parent == self.root]
            if loose:
                raise ValueError(f"with label='folder' every file must sit in a class folder "
                                 f"under '{self.root}'; these do not: "
                                 f"{_names_of(loose, self.root)}")
            names = [p.relative_to(self.root).parts[0] for p in files]
            empty = sorted(d.name for d in self.root.iterdir()
                           if d.is_dir() and not d.name.startswith(".")
                           and d.name not in set(names))
            if empty:
                raise ValueError(f"class folder(s) {empty} under '{self.root}' hold no audio "
                                 "files: add recordings or remove the folder(s)")
            return names
        pattern = _regex_with_group(label, "label", "label")
        matches = [pattern.search(p.name) for p in files]
        unmatched = [p for p, m in zip(files, matches) if m is None]
        if unmatched:
            raise ValueError(f"label={label!r} matches no label in {len(unmatched)} of "
                             f"{len(files)} file names: {_names_of(unmatched, self.root)}")
        return [m.group("label") for m in matches]

    def _speakers_of(self, files: list[Path], speaker: object) -> np.ndarray | None:
        if speaker is None:
            return None
        if callable(speaker):
            found = []
            for p in files:
                value = speaker(p)
                if not isinstance(value, str) or not value:
                    raise ValueError(f"speaker({p.name!r}) returned {value!r}; the function "
                                     "must return the speaker's name as a non-empty str")
                found.append(value)
            return np.array(found, dtype=object)
        pattern = _regex_with_group(speaker, "speaker", "speaker")
        matches = [pattern.search(p.name) for p in files]
        unmatched = [p for p, m in zip(files, matches) if m is None]
        if unmatched:
            raise ValueError(f"speaker={speaker!r} matches no speaker in {len(unmatched)} of "
                             f"{len(files)} file names: {_names_of(unmatched, self.root)}")
        return np.array([m.group("speaker") for m in matches], dtype=object)

    def _check_readable(self, files: list[Path]) -> None:
        import soundfile as sf

        rates, channels, broken = [], [], []
        for p in files:
            try:
                header = sf.info(str(p))
                if header.frames <= 0 or header.samplerate <= 0:
                    raise RuntimeError("no audio frames")
            except Exception as error:                    # libsndfile's many errors
                broken.append(f"{p.relative_to(self.root)} ({_reason_of(error)})")
                continue
            rates.append(int(header.samplerate))
            channels.append(int(header.channels))
        if broken:
            shown = "; ".join(broken[:8]) + (f"; and {len(broken) - 8} more"
                                              if len(broken) > 8 else "")
            raise ValueError(f"{len(broken)} of {len(files)} files cannot be read as audio: "
                             f"{shown}. Repair, convert or remove them")
        counts = collections.Counter(channels)
        if len(counts) > 1:
            detail = ", ".join(f"{n} file(s) with {c} channel(s)" for c, n in sorted(counts.items()))
            odd = [p for p, c in zip(files, channels) if c != counts.most_common(1)[0][0]]
            raise ValueError(f"the recordings mix channel counts ({detail}), e.g. "
                             f"{_names_of(odd, self.root, 3)}; convert them to one layout "
                             "(for mono: librosa.to_mono, or sox in.wav -c 1 out.wav)")
        self.native_sr = np.array(rates, dtype=np.int64)

    def _from(self, picked: np.ndarray) -> AudioFolder:
        part = object.__new__(type(self))
        part.sr, part.root, part.classes = self.sr, self.root, self.classes
        part.files = [self.files[i] for i in picked]
        part.labels = self.labels[picked]
        part.speakers = None if self.speakers is None else self.speakers[picked]
        part.native_sr = self.native_sr[picked]
        part._reported = self._reported
        return part

    # ------------------------------------------------------------ use

    def __len__(self) -> int:
        return len(self.files)

    def __repr__(self) -> str:
        speakers = "" if self.speakers is None else f", {len(set(self.speakers))} speakers"
        return (f"AudioFolder({len(self)} recordings of {len(self.classes)} classes"
                f"{speakers} at {self.sr} Hz, root='{self.root}')")

    def load(self, i: int) -> tuple[np.ndarray, int]:
        """Read recording ``i`` at :attr:`sr` (mono files as ``(n,)``, others ``(channels, n)``).

        Parameters
        ----------
        i : int
            Index into :attr:`files` (negative counts from the end).

        Returns
        -------
        y : numpy.ndarray
            float32.
        sr : int
            :attr:`sr`.

        Warns
        -----
        UserWarning
            Once per dataset, when some recordings are at another rate than
            :attr:`sr` and are resampled (it says how many, at which rates).

        Examples
        --------
        >>> import tempfile, numpy as np
        >>> from pathlib import Path
        >>> from audiotut import io
        >>> from audiotut.datasets import AudioFolder
        >>> root = Path(tempfile.mkdtemp()); (root / "hum").mkdir()
        >>> _ = io.save(root / "hum" / "a.wav", np.zeros(16000, np.float32), sr=16000)
        >>> AudioFolder(root, sr=16000).load(0)[0].shape
        (16000,)
        """
        index = _check_index(i, len(self))
        if not self._reported and np.any(self.native_sr != self.sr):
            other = collections.Counter(int(r) for r in self.native_sr if r != self.sr)
            warnings.warn(
                f"{sum(other.values())} of {len(self)} recordings are not at {self.sr} Hz "
                f"({', '.join(f'{n} at {r} Hz' for r, n in sorted(other.items()))}); "
                f"they are resampled to {self.sr} Hz as they load", stacklevel=2)
            self._reported = True
        return _load(self.files[index], sr=self.sr, mono=False)

    def subset(self, indices: Sequence[int] | np.ndarray) -> AudioFolder:
        """The recordings picked by an index array or a boolean mask (in this order, no duplicates).

        Parameters
        ----------
        indices : array_like of int or bool
            Positions, or a mask of ``len(self)`` booleans.

        Returns
        -------
        AudioFolder
            Those recordings, with the same classes (so labels stay comparable).

        Examples
        --------
        >>> import tempfile, numpy as np
        >>> from pathlib import Path
        >>> from audiotut import io
        >>> from audiotut.datasets import AudioFolder
        >>> root = Path(tempfile.mkdtemp())
        >>> for name in ("a/1.wav", "a/2.wav", "b/1.wav"):
        ...     (root / name).parent.mkdir(exist_ok=True)
        ...     _ = io.save(root / name, np.zeros(800, np.float32), sr=8000)
        >>> data = AudioFolder(root, sr=8000)
        >>> part = data.subset(data.labels == 0)
        >>> len(part), part.classes
        (2, ['a', 'b'])
        """
        return self._from(_picked(indices, len(self)))

    def split(self, how: str = "random", *, test: float = 0.2,
              held_out: str | Sequence[str] | None = None,
              validation: float | str | Sequence[str] | None = None,
              seed: int = 0) -> tuple[AudioFolder, ...]:
        """Split into training and test sets, and optionally a validation set.

        Parameters
        ----------
        how : {"random", "speaker"}
            ``"random"``: a ``test`` fraction of each class, drawn with
            ``seed`` (the same speakers may appear on both sides: a
            speaker-dependent test). ``"speaker"``: every recording of the
            speaker(s) ``held_out`` in the test set (speaker-independent).
        test : float
            With ``"random"``, the test fraction, in (0, 1).
        held_out : str or sequence of str
            With ``"speaker"``, the test speaker(s).
        validation : float, str or sequence of str, optional
            Also split off a validation set for the choices made while
            training. With ``"random"``: a fraction of each class of what is
            left. With ``"speaker"``: speaker(s), disjoint from ``held_out``,
            so the validation set asks the same speaker-independent question.
        seed : int
            Seed of the random draws.

        Returns
        -------
        (train, test) or (train, validation, test) : AudioFolder
            Disjoint subsets that together hold every recording.

        Raises
        ------
        ValueError
            For an unknown ``how``, a fraction outside (0, 1), a speaker split
            of data without speakers, unknown or overlapping speakers, or a
            split that leaves a set empty.

        Examples
        --------
        >>> import tempfile, numpy as np
        >>> from pathlib import Path
        >>> from audiotut import io
        >>> from audiotut.datasets import AudioFolder
        >>> root = Path(tempfile.mkdtemp())
        >>> for word in ("on", "off"):
        ...     (root / word).mkdir()
        ...     for who in ("ann", "bob", "cy", "dee"):
        ...         for take in range(5):
        ...             _ = io.save(root / word / f"{who}_{take}.wav",
        ...                         np.zeros(800, np.float32), sr=8000)
        >>> data = AudioFolder(root, sr=8000, speaker=r"^(?P<speaker>[a-z]+)_")
        >>> train, test = data.split("random", test=0.2, seed=1)
        >>> len(train), len(test), np.bincount(test.labels).tolist()
        (32, 8, [4, 4])
        >>> train, val, test = data.split("speaker", held_out="dee", validation="cy")
        >>> [sorted(set(s.speakers)) for s in (train, val, test)]
        [['ann', 'bob'], ['cy'], ['dee']]
        """
        if how == "random":
            if held_out is not None:
                raise ValueError("held_out= belongs to split('speaker', held_out=...)")
            rng = np.random.default_rng(seed)
            test_mask = self._draw(np.ones(len(self), bool), test, rng, "test")
            if validation is None:
                return self._parts(~test_mask, test_mask)
            if not isinstance(validation, (int, float)) or isinstance(validation, bool):
                raise ValueError(f"with split('random'), validation= is a fraction such as "
                                 f"0.1, got {validation!r}")
            val_mask = self._draw(~test_mask, validation, rng, "validation")
            return self._parts(~test_mask & ~val_mask, val_mask, test_mask)
        if how == "speaker":
            if self.speakers is None:
                raise ValueError("split('speaker') needs speakers: build the AudioFolder with "
                                 "speaker= (a regex with a group 'speaker', or a function)")
            test_mask = self._speaker_mask(held_out, "held_out")
            if validation is None:
                return self._parts(~test_mask, test_mask)
            val_mask = self._speaker_mask(validation, "validation")
            if np.any(val_mask & test_mask):
                raise ValueError("validation= and held_out= name the same speaker; a "
                                 "validation speaker must be one the test does not use")
            return self._parts(~test_mask & ~val_mask, val_mask, test_mask)
        raise ValueError(f"unknown split {how!r}; choose 'random' or 'speaker'")

    def _draw(self, pool: np.ndarray, fraction: object, rng: np.random.Generator,
              name: str) -> np.ndarray:
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) \
                or not 0 < fraction < 1:
            raise ValueError(f"{name}= must be a fraction between 0 and 1, e.g. 0.2; "
                             f"got {fraction!r}")
        picked = np.zeros(len(self), bool)
        for c in range(len(self.classes)):           # the same fraction of every class
            members = np.flatnonzero(pool & (self.labels == c))
            count = int(round(fraction * len(members)))
            picked[rng.permutation(members)[:count]] = True
        return picked

    def _speaker_mask(self, names: object, what: str) -> np.ndarray:
        wanted = [names] if isinstance(names, str) else list(names or [])
        known = sorted(set(self.speakers.tolist()))
        unknown = [n for n in wanted if n not in known]
        if not wanted or unknown:
            raise ValueError(f"{what}= must name speaker(s) of this dataset {known}; got "
                             f"{names!r}")
        return np.isin(self.speakers, wanted)

    def _parts(self, *masks: np.ndarray) -> tuple[AudioFolder, ...]:
        if any(not mask.any() for mask in masks):
            raise ValueError("this split leaves a set empty; use a larger fraction or other "
                             "speakers")
        return tuple(self._from(np.flatnonzero(mask)) for mask in masks)

    def to_torch(self, *, length: int, transform: Callable | Pipeline | None = None) -> Any:
        """A ``torch.utils.data.Dataset`` of fixed-length items ``(x, label)``.

        As :meth:`FSDD.to_torch`, at :attr:`sr`: ``length`` in samples (every
        recording centred by :func:`audiotut.utils.fix_length`, cropped or padded
        equally at both ends), ``transform`` a callable on the tensor (e.g.
        :class:`audiotut.gpu.LogMel`) or a chapter-7 Pipeline on the signal,
        with ``set_epoch`` reaching DataLoader workers. Labels are indices into
        :attr:`classes`.

        Parameters
        ----------
        length : int
            Samples per item at :attr:`sr`.
        transform : callable or audiotut.augment.Pipeline, optional
            As in :meth:`FSDD.to_torch`.

        Returns
        -------
        torch.utils.data.Dataset

        Raises
        ------
        ValueError
            For a bad ``length`` or ``transform``, or a transform whose
            ``FeatureConfig`` has another rate than :attr:`sr`.

        Examples
        --------
        >>> import tempfile, numpy as np
        >>> from pathlib import Path
        >>> from audiotut import io
        >>> from audiotut.datasets import AudioFolder
        >>> root = Path(tempfile.mkdtemp()); (root / "beep").mkdir()
        >>> _ = io.save(root / "beep" / "a.wav", np.zeros(1200, np.float32), sr=8000)
        >>> x, label = AudioFolder(root, sr=8000).to_torch(length=8000)[0]
        >>> tuple(x.shape), label
        ((8000,), 0)
        """
        _check_torch_item(length, transform, self.sr, "this AudioFolder")
        return _torch_dataset_class()(self, int(length), transform, 0)


class FSDD(AudioFolder):
    """Recordings of the Free Spoken Digit Dataset with their labels, as returned by :func:`fsdd`.

    An :class:`AudioFolder` whose files are named by FSDD's manifest, whose
    classes are the ten digits and whose speakers and takes come from the
    file names (``7_jackson_32.wav``): everything an ``AudioFolder`` offers
    (``load``, ``subset``, ``split`` with ``validation=``, ``to_torch``) works
    the same, plus FSDD's official split. Build it with :func:`fsdd`, which
    verifies every file against its checksum first; :meth:`split` and
    :meth:`subset` return ``FSDD`` objects holding part of the recordings.

    Parameters
    ----------
    root : pathlib.Path
        The dataset's folder, holding ``recordings/``.
    names : sequence of str
        File names in ``recordings/``, like ``"7_jackson_32.wav"`` (their
        checksums are :func:`fsdd`'s job; their headers are read here).
    speakers_info : mapping, optional
        Speaker metadata, see below.
    sr : int, optional
        The rate :meth:`load` and :meth:`to_torch` return. ``None`` takes the
        rate the files' headers give (8000 Hz for FSDD v1.0.10): a dataset's
        rate is measured, never assumed.

    Raises
    ------
    ValueError
        For a name that is not ``{digit}_{speaker}_{take}.wav``, files that
        cannot be read, or files at several rates without ``sr=``.

    Attributes
    ----------
    root : pathlib.Path
        The dataset's folder (holding ``recordings/``).
    files : list of pathlib.Path
        The recordings, ordered by digit, speaker and take (numerically).
    digits : numpy.ndarray
        int64, the spoken digit 0-9 of each file; also :attr:`labels`, indices
        into :attr:`classes` ``["0", ..., "9"]``.
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
    native_sr : numpy.ndarray
        int64, each file's own rate in Hz, read from its header.
    sr : int
        The rate :meth:`load` returns: 8000 Hz for FSDD v1.0.10.

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
    >>> len(threes), set(threes.digits.tolist()), threes.classes[3]
    (300, {3}, '3')
    """

    def __init__(self, root: Path, names: Sequence[str] | Mapping[str, str], *,
                 speakers_info: Mapping[str, Any] | None = None,
                 sr: int | None = None) -> None:
        parsed = []
        for name in names:
            match = _NAME.match(name)
            if match is None:
                raise ValueError(f"{name!r} is not an FSDD file name like '7_jackson_32.wav'")
            parsed.append((int(match.group(1)), match.group(2), int(match.group(3)), name))
        if not parsed:
            raise ValueError("FSDD needs at least one recording name")
        parsed.sort()
        self.root = Path(root)
        self.files = [self.root / "recordings" / name for *_, name in parsed]
        self._check_readable(self.files)                  # sets native_sr from the headers
        rates = sorted(set(self.native_sr.tolist()))
        if sr is None:
            if len(rates) > 1:
                raise ValueError(f"the recordings are at several rates {rates} Hz; pass sr= "
                                 "the rate to resample them to, e.g. sr=8000")
            sr = rates[0]
        from ._validate import check_sr

        self.sr = check_sr(sr)
        self.digits = np.array([row[0] for row in parsed], dtype=np.int64)
        self.speakers = np.array([row[1] for row in parsed], dtype=object)
        self.takes = np.array([row[2] for row in parsed], dtype=np.int64)
        self.speakers_info = dict(speakers_info or {})
        self.classes = [str(d) for d in range(10)]
        self.labels = self.digits
        self._reported = False

    def _from(self, picked: np.ndarray) -> FSDD:
        part = super()._from(picked)
        part.digits, part.takes = self.digits[picked], self.takes[picked]
        part.labels = part.digits
        part.speakers_info = self.speakers_info
        return part

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
            Resample to this rate; ``None`` gives :attr:`sr` (the files' own
            8000 Hz unless the dataset was built with another ``sr=``).

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
        if sr is None:
            return super().load(i)
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
        return self._from(_picked(indices, len(self)))

    def split(self, how: str = "official", *, held_out: str | Sequence[str] | None = None,
              test: float = 0.2, validation: float | str | Sequence[str] | None = None,
              seed: int = 0) -> tuple[FSDD, ...]:
        """Split into a training and a test set (and optionally a validation set).

        Parameters
        ----------
        how : {"official", "speaker", "random"}
            ``"official"``: the dataset's own split, takes 0-4 of every speaker
            and digit in the test set (300 files), takes 5-49 for training
            (2,700). ``"speaker"``: every recording of ``held_out`` in the test
            set, the other speakers for training (2,500 / 500), to measure how
            a model does on a voice it never heard. ``"random"``: as
            :meth:`AudioFolder.split`.
        held_out : str or sequence of str, optional
            The test speaker(s); required with ``how="speaker"`` only.
        test : float
            With ``"random"``, the test fraction of each digit.
        validation : float, str or sequence of str, optional
            Also split off a validation set, as :meth:`AudioFolder.split`
            does; with ``"official"``, a fraction of each digit's training
            takes.
        seed : int
            Seed of the random draws.

        Returns
        -------
        (train, test) or (train, validation, test) : FSDD
            Disjoint subsets that together hold every recording.

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
        >>> train, val, test = ds.split("speaker", held_out="theo", validation="yweweler")
        >>> len(train), len(val), len(test)
        (2000, 500, 500)
        """
        if how == "official":
            if held_out is not None:
                raise ValueError("held_out= is for split('speaker', held_out=...); the official "
                                 "split holds out takes 0-4 of every speaker")
            test_mask = np.isin(self.takes, list(_OFFICIAL_TEST_TAKES))
            if validation is None:
                return self._parts(~test_mask, test_mask)
            val_mask = self._draw(~test_mask, validation, np.random.default_rng(seed),
                                  "validation")
            return self._parts(~test_mask & ~val_mask, val_mask, test_mask)
        if how == "speaker" and (held_out is None or (isinstance(held_out, str) and held_out
                                                      not in set(self.speakers.tolist()))):
            speakers = sorted(set(self.speakers.tolist()))
            given = "no held_out" if held_out is None else f"held_out={held_out!r}"
            raise ValueError(f"split('speaker') needs held_out= one of the speakers "
                             f"{speakers}; got {given}")
        if how not in _SPLITS:
            raise ValueError(f"unknown split {how!r}; choose one of: {', '.join(_SPLITS)}")
        return super().split(how, test=test, held_out=held_out, validation=validation,
                             seed=seed)

    def to_torch(self, *, length: int, transform: Callable | Pipeline | None = None) -> Any:
        """A ``torch.utils.data.Dataset`` of fixed-length items ``(x, digit)``.

        Parameters
        ----------
        length : int
            Samples per item at :attr:`sr` (``8000`` is one second at FSDD's
            8000 Hz). Every recording is centred by
            :func:`audiotut.utils.fix_length`, the package's one pad/crop rule:
            a longer one loses the same amount at both ends (the recordings
            are trimmed, so the middle of a word is kept), a shorter one gets
            zeros on both sides.
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
            another sample rate than :attr:`sr`.

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
        _check_torch_item(length, transform, self.sr, "FSDD")
        return _torch_dataset_class()(self, int(length), transform, 0)


# --------------------------------------------------------------------------- a feature cache

_CACHE_FORMAT = 1


class LogMelCache:
    """Log-mel spectrograms of a whole dataset, computed once and kept on disk in float16.

    The first use computes :meth:`audiotut.features.FeatureConfig.log_mel` of
    every recording, cut to ``length`` samples by
    :func:`audiotut.utils.fix_length`, and writes them in shards of
    ``shard_size`` spectrograms (float16 ``.npy`` files) into a folder named
    by a key: a hash of the configuration (:meth:`FeatureConfig.to_dict`),
    ``length``, the rate and every file's checksum. A later use with the same
    key reads the shards back (memory-mapped) instead of computing; a changed
    configuration, length or recording gives another key, so features are
    recomputed and never served stale.

    Parameters
    ----------
    data : AudioFolder or FSDD
        The recordings (any subset).
    config : audiotut.features.FeatureConfig
        The front-end; its ``sr`` must be ``data.sr``.
    length : int
        Samples per recording before the transform, as in ``to_torch``.
    folder : str or os.PathLike, optional
        Where the shards go (one sub-folder per key). ``None`` uses
        ``cache_dir() / "features"``.
    shard_size : int
        Spectrograms per shard file.

    Attributes
    ----------
    key : str
        The hex key of these features.
    path : pathlib.Path
        The folder holding this key's shards.
    computed : bool
        True if this object computed the features, False if it read them.
    labels : numpy.ndarray
        int64, the class of each item (``data.labels``).

    Raises
    ------
    ValueError
        For a configuration at another rate than ``data``, a bad ``length``
        or ``shard_size``, or a folder that cannot be written.

    Notes
    -----
    float16 keeps 11 significant bits: a log-mel value within 128 dB of 0 is
    stored within 0.03 dB, far below what a classifier resolves, at half the
    disk and memory of float32. The features are computed by a plain loop
    over the recordings (per recording, so that ``ref=np.max`` and
    ``top_db`` keep their per-clip meaning); chapter 8's Dask path suits a
    corpus too large for one process. Shards are written to a temporary
    folder that is renamed into place when complete, so an interrupted run
    leaves nothing half-written to be read later. Old keys are not deleted:
    remove ``folder`` to reclaim the space.

    Taught in :doc:`/book/09_datasets`.

    Examples
    --------
    >>> import tempfile
    >>> from audiotut import datasets
    >>> from audiotut.features import FeatureConfig
    >>> part = datasets.fsdd().subset(range(20))
    >>> cfg = FeatureConfig(sr=8000, n_fft=256, hop_length=80, n_mels=40)
    >>> folder = tempfile.mkdtemp()
    >>> first = datasets.LogMelCache(part, config=cfg, length=8000, folder=folder)
    >>> again = datasets.LogMelCache(part, config=cfg, length=8000, folder=folder)
    >>> first.computed, again.computed, len(again), again[0][0].shape
    (True, False, 20, torch.Size([40, 101]))
    >>> other = datasets.LogMelCache(part, config=cfg.replace(n_mels=20), length=8000,
    ...                              folder=folder)
    >>> other.computed, other.key == first.key
    (True, False)
    """

    def __init__(self, data: AudioFolder, *, config: Any, length: int,
                 folder: PathLike | None = None, shard_size: int = 512) -> None:
        from ._validate import check_positive
        from .features import FeatureConfig

        if not isinstance(config, FeatureConfig):
            raise ValueError(f"config must be an audiotut.features.FeatureConfig, got "
                             f"{type(config).__name__}")
        if config.sr != data.sr:
            raise ValueError(f"the FeatureConfig has sr={config.sr}, but the dataset is at "
                             f"{data.sr} Hz; build it with FeatureConfig(sr={data.sr}, ...)")
        self.length = int(check_positive(length, "length", "samples", whole=True))
        self.shard_size = int(check_positive(shard_size, "shard_size", "spectrograms",
                                             whole=True))
        self.config = config
        self.labels = np.asarray(data.labels, dtype=np.int64)
        root = Path(folder) if folder is not None else cache_dir() / "features"
        files = [{"name": p.name, "sha256": _sha256(p)} for p in data.files]
        described = {"format": _CACHE_FORMAT, "config": config.to_dict(), "sr": int(data.sr),
                     "length": self.length, "shard_size": self.shard_size, "files": files}
        blob = json.dumps(described, sort_keys=True).encode()
        self.key = hashlib.sha256(blob).hexdigest()[:32]
        self.path = root / self.key
        self.computed = not (self.path / "manifest.json").is_file()
        if self.computed:
            self._compute(data, root, described)
        manifest = json.loads((self.path / "manifest.json").read_text())
        self._shards = [np.load(self.path / name, mmap_mode="r") for name in manifest["shards"]]
        self._n = sum(len(s) for s in self._shards)
        if self._n != len(self.labels):
            raise DatasetError(f"the feature cache '{self.path}' holds {self._n} spectrograms "
                               f"for {len(self.labels)} recordings; delete that folder to "
                               "recompute it")

    def _compute(self, data: AudioFolder, root: Path, described: dict) -> None:
        try:
            root.mkdir(parents=True, exist_ok=True)
            staged = Path(tempfile.mkdtemp(prefix=f".{self.key}.", dir=root))
        except OSError as error:
            raise ValueError(f"cannot write the feature cache into '{root}' ({error.strerror}); "
                             "pass folder= a writable folder") from None
        try:
            names = []
            for start in range(0, len(data), self.shard_size):
                block = [self.config.log_mel(fix_length(data.load(i)[0], length=self.length))
                         for i in range(start, min(start + self.shard_size, len(data)))]
                name = f"shard-{start // self.shard_size:05d}.npy"
                np.save(staged / name, np.stack(block).astype(np.float16))
                names.append(name)
            manifest = dict(described, shards=names)
            (staged / "manifest.json").write_text(json.dumps(manifest, indent=1))
            try:
                os.replace(staged, self.path)
            except OSError:
                if not (self.path / "manifest.json").is_file():  # not another process's copy
                    raise
                shutil.rmtree(staged, ignore_errors=True)
        except BaseException:
            shutil.rmtree(staged, ignore_errors=True)
            raise

    def __len__(self) -> int:
        return self._n

    def __repr__(self) -> str:
        return (f"LogMelCache({self._n} log-mels, key {self.key[:12]}..., "
                f"{'computed' if self.computed else 'read'} at '{self.path}')")

    def features(self) -> np.ndarray:
        """All spectrograms as one float32 array ``(n, n_mels, frames)`` in memory.

        Returns
        -------
        numpy.ndarray
            float32 (converted from the stored float16).

        Examples
        --------
        >>> import tempfile
        >>> from audiotut import datasets
        >>> from audiotut.features import FeatureConfig
        >>> cfg = FeatureConfig(sr=8000, n_fft=256, hop_length=80, n_mels=40)
        >>> cache = datasets.LogMelCache(datasets.fsdd().subset(range(3)), config=cfg,
        ...                              length=8000, folder=tempfile.mkdtemp())
        >>> cache.features().shape, cache.features().dtype
        ((3, 40, 101), dtype('float32'))
        """
        return np.concatenate([np.asarray(s, dtype=np.float32) for s in self._shards])

    def __getitem__(self, index: int) -> tuple[Any, int]:
        import torch

        index = _check_index(index, self._n)
        shard, row = divmod(index, self.shard_size)
        S = np.asarray(self._shards[shard][row], dtype=np.float32)
        return torch.from_numpy(S), int(self.labels[index])


def _reason_of(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[-1] if text else type(error).__name__
