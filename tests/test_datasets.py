"""audiotut.datasets: FSDD downloaded from a local server, verified, split, fed to torch.

The download tests serve a small archive, laid out like GitHub's, from an HTTP
server on 127.0.0.1, and check the recordings against a subset of the shipped
manifest. The rest uses the shared copy of FSDD v1.0.10 (``AUDIOTUT_DATA_DIR``,
set by CI), which is only read.
"""

from __future__ import annotations

import http.server
import io
import os
import pickle
import shutil
import socket
import subprocess
import sys
import threading
import time
import warnings
import zipfile
from pathlib import Path

import librosa
import numpy as np
import pytest
from helpers import run_python

from audiotut import datasets, gpu
from audiotut import io as audiotut_io
from audiotut import utils as audiotut_utils
from audiotut.features import FeatureConfig
from audiotut.errors import DatasetError

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("AUDIOTUT_DATA_DIR") or ROOT.parent / "shared" / "data")
TOP = "free-spoken-digit-dataset-1.0.10"
# 2 speakers x 2 digits x 4 takes (two official test takes, two training takes)
SMALL = [f"{digit}_{speaker}_{take}.wav" for digit in (3, 7) for speaker in ("george", "theo")
         for take in (0, 4, 5, 49)]
METADATA = b"""\"\"\"A python dictionary to store meta-data about the speakers.\"\"\"

metadata = {
    'george': {'gender': 'male', 'accent': 'GRC/Greek', 'language': 'english'},
    'theo': {
    \t'gender': 'male',
    \t'accent': 'USA/neutral',
    \t'language': 'english'
    }
}
"""


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def shared_copy() -> Path:
    """The shared, read-only copy of FSDD v1.0.10 (its folder holding recordings/)."""
    folder = DATA_DIR / "fsdd-v1.0.10"
    if not (folder / "recordings").is_dir():
        pytest.skip(f"no shared copy of FSDD v1.0.10 at {folder}: set AUDIOTUT_DATA_DIR to a "
                    "folder holding fsdd-v1.0.10/recordings/ (CI sets it to shared/data)")
    return folder


@pytest.fixture
def small(shared_copy, monkeypatch) -> dict[str, bytes]:
    """16 real recordings, with fsdd() expecting exactly them (a subset of the manifest)."""
    full = datasets._manifest()
    monkeypatch.setattr(datasets, "_manifest", lambda: {name: full[name] for name in SMALL})
    return {name: (shared_copy / "recordings" / name).read_bytes() for name in SMALL}


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """An empty cache folder in AUDIOTUT_DATA_DIR."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("AUDIOTUT_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def offline(monkeypatch) -> None:
    """Any download or outgoing connection fails the test."""
    import pooch

    def refuse(*args, **kwargs):
        raise AssertionError(f"the network was used: {args!r:.200}")

    monkeypatch.setattr(pooch, "retrieve", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def _archive(files: dict[str, bytes], *, metadata: bytes | None = METADATA) -> bytes:
    """A zip laid out like GitHub's archive of the tag."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{TOP}/", b"")
        archive.writestr(f"{TOP}/README.md", b"# Free Spoken Digit Dataset (FSDD)\n")
        if metadata is not None:
            archive.writestr(f"{TOP}/metadata.py", metadata)
        archive.writestr(f"{TOP}/recordings/", b"")
        for name, data in files.items():
            archive.writestr(f"{TOP}/recordings/{name}", data)
    return buffer.getvalue()


class _Server:
    """An HTTP server on 127.0.0.1 serving bytes per path; ``cut`` paths stop halfway."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[bytes, bool]] = {}
        self.hits: list[str] = []
        routes, hits = self.routes, self.hits

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                hits.append(self.path)
                if self.path not in routes:
                    self.send_error(404)
                    return
                body, cut = routes[self.path]
                self.send_response(200)
                self.send_header("Content-Type", "application/zip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[:len(body) // 2] if cut else body)
                self.wfile.flush()
                self.close_connection = True

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, path: str, body: bytes, *, cut: bool = False) -> str:
        self.routes[path] = (body, cut)
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    running = _Server()
    yield running
    running.close()


def _tree(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
            for path in sorted(folder.rglob("*"))}


# --------------------------------------------------------------------------- manifest


def test_shipped_manifest_lists_3000_recordings_of_6_speakers():
    manifest = datasets._manifest()
    text = (ROOT / "audiotut" / "data" / "fsdd-v1.0.10.sha256").read_text(encoding="ascii")
    lines = text.splitlines()
    assert len(lines) == len(manifest) == 3000 and lines == sorted(lines, key=lambda l: l[66:])
    assert all(len(line) > 66 and line[64:66] == "  " for line in lines)
    parts = [name[:-4].split("_") for name in manifest]
    assert {p[0] for p in parts} == {str(d) for d in range(10)}
    assert {p[1] for p in parts} == {"george", "jackson", "lucas", "nicolas", "theo", "yweweler"}
    assert {int(p[2]) for p in parts} == set(range(50))


def test_manifest_tool_reproduces_the_shipped_manifest(shared_copy, tmp_path):
    output = tmp_path / "fsdd.sha256"
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "make_fsdd_manifest.py"),
                             str(shared_copy / "recordings"), "-o", str(output)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert output.read_bytes() == (ROOT / "audiotut/data/fsdd-v1.0.10.sha256").read_bytes()


# --------------------------------------------------------------------------- the full copy


def test_full_copy_verifies_and_has_the_published_layout(shared_copy, record_property):
    started = time.perf_counter()
    ds = datasets.fsdd(root=shared_copy)
    elapsed = time.perf_counter() - started
    record_property("measured", f"fsdd(root=shared): 3000 files verified in {elapsed:.3f} s")
    assert len(ds) == 3000 and len(ds.files) == 3000
    assert sorted(set(ds.speakers)) == ["george", "jackson", "lucas", "nicolas", "theo",
                                        "yweweler"]
    assert np.bincount(ds.digits).tolist() == [300] * 10
    assert sorted(set(ds.takes.tolist())) == list(range(50))
    combos = set(zip(ds.digits.tolist(), ds.speakers.tolist(), ds.takes.tolist()))
    assert len(combos) == 3000           # each (digit, speaker, take) exactly once
    for i in (0, 1234, 2999):
        digit, speaker, take = ds.files[i].stem.split("_")
        assert (int(digit), speaker, int(take)) == (ds.digits[i], ds.speakers[i], ds.takes[i])
    assert ds.digits.dtype == np.int64 and ds.takes.dtype == np.int64
    assert ds.speakers_info["lucas"] == {"accent": "DEU/German", "gender": "male",
                                         "language": "english"}
    total = sum(path.stat().st_size for path in ds.files)
    record_property("measured", f"FSDD v1.0.10 recordings: {total / 1e6:.1f} MB on disk")
    assert 20e6 < total < 23e6


def test_official_split_holds_out_takes_0_to_4(shared_copy):
    ds = datasets.fsdd(root=shared_copy)
    train, test = ds.split("official")
    assert (len(train), len(test)) == (2700, 300)
    assert set(test.takes.tolist()) == set(range(5))
    assert set(train.takes.tolist()) == set(range(5, 50))
    assert np.bincount(test.digits).tolist() == [30] * 10   # 6 speakers x 5 takes per digit
    assert not set(map(str, train.files)) & set(map(str, test.files))
    assert isinstance(train, datasets.FSDD) and train.speakers_info == ds.speakers_info


def test_speaker_split_holds_out_one_voice(shared_copy):
    ds = datasets.fsdd(root=shared_copy)
    train, test = ds.split("speaker", held_out="theo")
    assert (len(train), len(test)) == (2500, 500)
    assert set(test.speakers) == {"theo"} and "theo" not in set(train.speakers)
    inner_train, inner_test = train.split("official")       # splits compose
    assert (len(inner_train), len(inner_test)) == (2250, 250)


def test_load_reads_float32_at_8000_hz(shared_copy):
    ds = datasets.fsdd(root=shared_copy)
    y, sr = ds.load(-1)
    assert (y.dtype, y.ndim, sr) == (np.float32, 1, 8000)
    raw = np.frombuffer(ds.files[-1].read_bytes()[44:], dtype="<i2")  # 16-bit PCM after header
    np.testing.assert_allclose(y, raw / 32768.0, atol=1e-7)
    y16, sr16 = ds.load(-1, sr=16000)
    assert sr16 == 16000 and y16.shape[0] == 2 * y.shape[0]
    with pytest.raises(IndexError, match="3000"):
        ds.load(3000)


def test_filled_cache_works_offline_and_writes_nothing(shared_copy, monkeypatch, offline):
    monkeypatch.setenv("AUDIOTUT_DATA_DIR", str(shared_copy.parent))
    before = _tree(shared_copy.parent)
    ds = datasets.fsdd(download=False)
    ds = datasets.fsdd()                 # download=True does not download either
    assert len(ds) == 3000 and ds.root == shared_copy
    assert _tree(shared_copy.parent) == before


def test_altered_file_in_a_cache_is_named_with_the_repair(small, cache, offline):
    recordings = cache / "fsdd-v1.0.10" / "recordings"
    recordings.mkdir(parents=True)
    for name, data in small.items():
        (recordings / name).write_bytes(data)
    assert len(datasets.fsdd()) == 16
    damaged = bytearray(small["3_george_5.wav"])
    damaged[1000] ^= 1                    # one bit of one sample
    (recordings / "3_george_5.wav").write_bytes(bytes(damaged))
    (recordings / "7_theo_49.wav").unlink()
    with pytest.raises(DatasetError) as caught:
        datasets.fsdd()
    message = str(caught.value)
    assert "3_george_5.wav" in message and "7_theo_49.wav" in message
    assert "1 of the 16 recordings are missing" in message
    assert f"Delete the folder '{cache / 'fsdd-v1.0.10'}'" in message
    assert "fsdd(download=True)" in message and isinstance(caught.value, OSError)


# --------------------------------------------------------------------------- download


def test_download_from_a_local_server_then_offline(small, cache, server, monkeypatch):
    url = server.url("/v1.0.10.zip", _archive(small))
    ds = datasets.fsdd(url=url)
    assert server.hits == ["/v1.0.10.zip"]
    target = cache / "fsdd-v1.0.10"
    assert ds.root == target and len(ds) == 16
    assert sorted(os.listdir(cache)) == ["fsdd-v1.0.10"]          # no temporary folder left
    assert sorted(os.listdir(target)) == ["README.upstream.md", "recordings", "speakers.json"]
    for name, data in small.items():
        assert (target / "recordings" / name).read_bytes() == data
    assert ds.speakers_info == {
        "george": {"accent": "GRC/Greek", "gender": "male", "language": "english"},
        "theo": {"accent": "USA/neutral", "gender": "male", "language": "english"}}
    train, test = ds.split("official")
    assert (len(train), len(test)) == (8, 8)
    assert ds.load(0)[1] == 8000
    # the second call reads the cache: no request, even with the network gone
    import pooch
    monkeypatch.setattr(pooch, "retrieve", lambda *a, **k: pytest.fail("downloaded again"))
    assert len(datasets.fsdd(url=url)) == 16 and server.hits == ["/v1.0.10.zip"]


def test_archive_without_metadata_gives_empty_speakers_info(small, cache, server):
    ds = datasets.fsdd(url=server.url("/bare.zip", _archive(small, metadata=None)))
    assert ds.speakers_info == {} and len(ds) == 16


def test_not_a_zip_is_a_clear_error_and_leaves_nothing(small, cache, server):
    url = server.url("/broken.zip", b"<html>rate limited</html>" * 100)
    with pytest.raises(DatasetError, match=r"is not a zip archive.*nothing was kept"):
        datasets.fsdd(url=url)
    assert os.listdir(cache) == []


def test_altered_file_in_the_archive_is_named_and_nothing_is_kept(small, cache, server):
    files = dict(small)
    files["7_george_4.wav"] = files["7_george_4.wav"][:-2] + b"\x00\x01"
    del files["3_theo_0.wav"]
    with pytest.raises(DatasetError) as caught:
        datasets.fsdd(url=server.url("/altered.zip", _archive(files)))
    message = str(caught.value)
    assert "7_george_4.wav" in message and "3_theo_0.wav" in message
    assert "nothing was kept" in message and "url=" in message
    assert os.listdir(cache) == []


def test_archive_of_something_else_is_a_clear_error(small, cache, server):
    with pytest.raises(DatasetError, match="holds none of the 16 recordings"):
        datasets.fsdd(url=server.url("/other.zip", _archive({"hello.wav": b"RIFF"})))
    assert os.listdir(cache) == []


def test_interrupted_download_leaves_nothing_half_written(small, cache, server):
    url = server.url("/cut.zip", _archive(small), cut=True)
    with pytest.raises(DatasetError, match=r"could not download.*nothing was kept"):
        datasets.fsdd(url=url)
    assert server.hits == ["/cut.zip"] and os.listdir(cache) == []
    server.url("/cut.zip", _archive(small))                        # the retry succeeds
    assert len(datasets.fsdd(url=url)) == 16


def test_stale_temporary_folders_are_removed_by_the_next_download(small, cache, server):
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    host = datasets._host()
    crashed = cache / f".fsdd-v1.0.10.{host}.{finished.pid}.x1.part"
    old = cache / ".fsdd-v1.0.10.otherhost.1234.x2.part"
    running = cache / ".fsdd-v1.0.10.otherhost.1234.x3.part"       # maybe still downloading
    mine = cache / f".fsdd-v1.0.10.{host}.{os.getpid()}.x4.part"
    for folder in (crashed, old, running, mine):
        (folder / "fsdd-v1.0.10" / "recordings").mkdir(parents=True)
        (folder / "fsdd-v1.0.10" / "recordings" / "0_george_0.wav").write_bytes(b"half")
    two_days_ago = time.time() - 2 * 86400
    os.utime(old, (two_days_ago, two_days_ago))
    datasets.fsdd(url=server.url("/ok.zip", _archive(small)))
    assert sorted(os.listdir(cache)) == sorted(["fsdd-v1.0.10", running.name, mine.name])


def test_unreachable_server_is_a_clear_error(small, cache):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]   # nothing listens once it is closed
    with pytest.raises(DatasetError, match=r"could not download FSDD v1.0.10 from http") as caught:
        datasets.fsdd(url=f"http://127.0.0.1:{port}/v1.0.10.zip")
    assert os.listdir(cache) == []
    # the message names the cause; the traceback does not repeat urllib3's chain
    assert "ConnectionError" in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_empty_cache_without_download_says_how_to_get_it(cache, offline):
    with pytest.raises(FileNotFoundError) as caught:
        datasets.fsdd(download=False)
    message = str(caught.value)
    assert str(cache) in message and "AUDIOTUT_DATA_DIR" in message
    assert "audiotut.datasets.fsdd()" in message and "root=" in message
    assert not cache.exists()            # nothing was created


# --------------------------------------------------------------------------- roots


def test_root_with_other_content_is_a_clear_error(tmp_path, offline):
    (tmp_path / "notes.txt").write_text("not audio")
    (tmp_path / "images").mkdir()
    with pytest.raises(DatasetError, match=r"does not hold FSDD v1.0.10.*found images/, notes.txt"):
        datasets.fsdd(root=tmp_path)
    (tmp_path / "recordings").mkdir()
    (tmp_path / "recordings" / "dog_bark_1.wav").write_bytes(b"RIFF")
    with pytest.raises(DatasetError, match=r"holds none of the 3000 recordings.*dog_bark_1"):
        datasets.fsdd(root=tmp_path)
    with pytest.raises(FileNotFoundError, match="No FSDD folder"):
        datasets.fsdd(root=tmp_path / "absent")
    with pytest.raises(DatasetError, match="is a file"):
        datasets.fsdd(root=tmp_path / "notes.txt")


def test_root_may_name_the_folder_above_the_dataset(small, tmp_path, offline):
    recordings = tmp_path / "data" / "fsdd-v1.0.10" / "recordings"
    recordings.mkdir(parents=True)
    for name, data in small.items():
        (recordings / name).write_bytes(data)
    (tmp_path / "data" / "fsdd-v1.0.10" / "metadata.py").write_bytes(METADATA)  # a clone
    ds = datasets.fsdd(root=tmp_path / "data")
    assert ds.root == tmp_path / "data" / "fsdd-v1.0.10" and len(ds) == 16
    assert ds.speakers_info["theo"]["accent"] == "USA/neutral"
    (recordings / "3_george_0.wav").write_bytes(b"RIFF....WAVE")
    with pytest.raises(DatasetError, match=r"3_george_0.wav.*fresh copy of the release"):
        datasets.fsdd(root=tmp_path / "data")


def test_bad_arguments_are_explained(shared_copy, tmp_path):
    with pytest.raises(ValueError, match="pass one of them"):
        datasets.fsdd(root=tmp_path, url="http://example.org/fsdd.zip")
    with pytest.raises(ValueError, match="download must be True or False"):
        datasets.fsdd(download="no")
    with pytest.raises(TypeError, match="root must be a str or os.PathLike"):
        datasets.fsdd(root=3)
    ds = datasets.fsdd(root=shared_copy)
    with pytest.raises(ValueError, match=r"unknown split 'takes'; choose one of: official, "
                                         r"speaker, random"):
        ds.split("takes")
    with pytest.raises(ValueError, match=r"held_out= one of the speakers \['george', 'jackson', "
                                         r"'lucas', 'nicolas', 'theo', 'yweweler'\]; got "
                                         r"held_out='alice'"):
        ds.split("speaker", held_out="alice")
    with pytest.raises(ValueError, match="got no held_out"):
        ds.split("speaker")
    with pytest.raises(ValueError, match="held_out= is for split"):
        ds.split("official", held_out="theo")
    for length in (0, -8000, 0.5, True):
        with pytest.raises(ValueError, match="length must be a positive whole number"):
            ds.to_torch(length=length)
    with pytest.raises(ValueError, match="transform must be a callable"):
        ds.to_torch(length=8000, transform="logmel")
    with pytest.raises(ValueError, match="boolean mask needs 3000"):
        ds.subset(np.ones(5, dtype=bool))


# --------------------------------------------------------------------------- torch


def _small_root(small: dict[str, bytes], folder: Path) -> Path:
    (folder / "recordings").mkdir(parents=True)
    for name, data in small.items():
        (folder / "recordings" / name).write_bytes(data)
    return folder


def test_to_torch_centres_every_recording_with_the_one_pad_crop_rule(small, tmp_path):
    import torch

    ds = datasets.fsdd(root=_small_root(small, tmp_path / "fsdd"))
    clips = [ds.load(i)[0] for i in range(len(ds))]
    lengths = [len(y) for y in clips]
    length = int(np.median(lengths))
    data = ds.to_torch(length=length)
    assert isinstance(data, torch.utils.data.Dataset) and len(data) == 16
    cropped = padded = 0
    for i, y in enumerate(clips):
        x, digit = data[i]
        assert x.dtype == torch.float32 and x.shape == (length,) and digit == ds.digits[i]
        if len(y) >= length:
            start = (len(y) - length) // 2
            assert np.array_equal(x.numpy(), y[start:start + length])
            cropped += 1
        else:
            before = (length - len(y)) // 2                 # zeros on both sides
            assert np.array_equal(x.numpy()[before:before + len(y)], y)
            assert not x[:before].any() and not x[before + len(y):].any()
            padded += 1
    assert cropped >= 1 and padded >= 1
    batch, digits = next(iter(torch.utils.data.DataLoader(data, batch_size=5)))
    assert batch.shape == (5, length) and digits.dtype == torch.int64
    copy = pickle.loads(pickle.dumps(data))          # what spawn-started workers receive
    assert torch.equal(copy[3][0], data[3][0]) and copy.length == length


def test_to_torch_applies_a_logmel_to_each_item(small, tmp_path):
    import torch

    from audiotut.features import FeatureConfig
    from audiotut.gpu import LogMel, log_mel

    ds = datasets.fsdd(root=_small_root(small, tmp_path / "fsdd"))
    cfg = FeatureConfig(sr=8000, n_fft=256, n_mels=40)
    features = ds.to_torch(length=8000, transform=LogMel(cfg))
    x, digit = features[2]
    raw, _ = ds.to_torch(length=8000)[2]
    assert x.shape[0] == 40 and x.ndim == 2 and digit == ds.digits[2]
    assert torch.allclose(x, log_mel(raw, config=cfg))
    with pytest.raises(ValueError, match=r"sr=16000, but FSDD is at 8000 Hz"):
        ds.to_torch(length=8000, transform=LogMel(FeatureConfig(sr=16000)))


def test_to_torch_runs_a_pipeline_per_item_and_epoch(small, tmp_path):
    from audiotut.augment import Pipeline, Step, Uniform
    from audiotut.loudness import peak_normalize

    ds = datasets.fsdd(root=_small_root(small, tmp_path / "fsdd"))
    pipe = Pipeline([Step(peak_normalize, peak_db=Uniform(-12, -1))], seed=0)
    data = ds.to_torch(length=20000, transform=pipe)    # longer than any recording: no crop
    x, _ = data[5]
    y, _ = ds.load(5)
    expected = pipe(y, sr=8000, index=5, epoch=0)
    before = (20000 - len(y)) // 2                      # centred
    assert np.array_equal(x.numpy()[before:before + len(y)], expected)
    peak_db = 20 * np.log10(float(x.abs().max()))
    assert -12 <= peak_db <= -1
    assert np.array_equal(data[5][0].numpy(), x.numpy())        # same item, same draw
    data.epoch = 1
    assert not np.array_equal(data[5][0].numpy(), x.numpy())
    data.set_epoch(0)
    assert np.array_equal(data[5][0].numpy(), x.numpy())
    with pytest.raises(ValueError, match="epoch must be a whole number"):
        data.epoch = -1


def test_import_does_not_import_torch():
    code = "import sys, audiotut.datasets; print('torch' in sys.modules)"
    assert run_python(code).strip() == "False"


def test_read_only_copy_is_only_read(small, tmp_path, offline):
    folder = _small_root(small, tmp_path / "fsdd")
    for path in [*folder.rglob("*"), folder]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        before = _tree(folder)
        assert len(datasets.fsdd(root=folder)) == 16
        assert _tree(folder) == before
    finally:
        for path in [folder, *folder.rglob("*")]:
            path.chmod(0o755)
        shutil.rmtree(folder)


def test_to_torch_epochs_reach_persistent_spawn_workers(small, tmp_path):
    """Regression: FSDD.to_torch's dataset kept its epoch in each worker's copy, so with
    persistent_workers=True every epoch drew epoch 0's augmentations."""
    import pickle

    import torch

    from audiotut.augment import Pipeline, Step, Uniform
    from audiotut.loudness import peak_normalize

    ds = datasets.fsdd(root=_small_root(small, tmp_path / "fsdd")).subset(range(4))
    pipe = Pipeline([Step(peak_normalize, peak_db=Uniform(-12, -1))], seed=0)
    data = ds.to_torch(length=20000, transform=pipe)
    expected = {}
    for epoch in (0, 1):
        data.set_epoch(epoch)
        expected[epoch] = torch.stack([data[i][0] for i in range(4)])
    loader = torch.utils.data.DataLoader(data, batch_size=2, num_workers=2,
                                         multiprocessing_context="spawn",
                                         persistent_workers=True)
    for epoch in (0, 1):
        data.set_epoch(epoch)
        got = torch.cat([x for x, _ in loader])
        assert torch.equal(got, expected[epoch]), f"epoch {epoch} differs from the main process"
    assert not torch.equal(expected[0], expected[1])
    copy = pickle.loads(pickle.dumps(data))             # outside a worker: independent
    copy.set_epoch(7)
    assert data.epoch == 1 and copy.epoch == 7


# ---------------------------------------------------------------- AudioFolder: your own recordings


def _write(path: Path, *, sr: int = 16000, seconds: float = 0.5, freq: float = 440.0,
           channels: int = 1) -> None:
    from audiotut import io, synth

    path.parent.mkdir(parents=True, exist_ok=True)
    y = synth.tone(freq, sr=sr, duration=seconds, amplitude=0.3)
    io.save(path, np.stack([y] * channels) if channels > 1 else y, sr=sr)


@pytest.fixture
def folder(tmp_path) -> Path:
    """yes/ and no/, three speakers, two takes each; bob's recordings are at 8 kHz."""
    root = tmp_path / "words"
    for word, freq in (("yes", 500.0), ("no", 900.0)):
        for who in ("ann", "bob", "cy"):
            for take in (1, 2):
                _write(root / word / f"{who}_{take}.wav", freq=freq,
                       sr=8000 if who == "bob" else 16000)
    (root / "notes.txt").write_text("not audio")      # ignored: not an audio ending
    return root


def test_audio_folder_reads_classes_speakers_and_rates(folder):
    data = datasets.AudioFolder(folder, sr=16000, speaker=r"^(?P<speaker>[a-z]+)_")
    assert len(data) == 12 and data.classes == ["no", "yes"]
    assert np.bincount(data.labels).tolist() == [6, 6]
    assert sorted(set(data.speakers)) == ["ann", "bob", "cy"]
    assert sorted(set(data.native_sr.tolist())) == [8000, 16000]
    with pytest.warns(UserWarning, match=r"4 of 12 recordings are not at 16000 Hz \(4 at 8000 Hz\)"):
        y, sr = data.load(int(np.flatnonzero(data.speakers == "bob")[0]))
    assert sr == 16000 and y.shape == (8000,) and y.dtype == np.float32   # resampled, 0.5 s
    with warnings.catch_warnings():
        warnings.simplefilter("error")                  # reported once, not per file
        data.load(int(np.flatnonzero(data.speakers == "bob")[1]))
    word = data.classes[data.labels[0]]
    peak = np.argmax(np.abs(np.fft.rfft(data.load(0)[0]))) * 16000 / 8000
    assert abs(peak - {"yes": 500, "no": 900}[word]) < 5


def test_audio_folder_labels_from_names_and_speakers_from_a_function(tmp_path):
    root = tmp_path / "flat"
    for digit in (3, 7):
        for take in range(2):
            _write(root / f"{digit}_jackson_{take}.wav", sr=8000)
    data = datasets.AudioFolder(root, sr=8000, label=r"^(?P<label>\d)_",
                                speaker=lambda p: p.stem.split("_")[1])
    assert data.classes == ["3", "7"] and set(data.speakers) == {"jackson"}
    with pytest.raises(ValueError, match="no named group 'label'"):
        datasets.AudioFolder(root, sr=8000, label=r"^\d_")
    _write(root / "x_odd.wav", sr=8000)
    with pytest.raises(ValueError, match=r"matches no label in 1 of 5 file names: x_odd.wav"):
        datasets.AudioFolder(root, sr=8000, label=r"^(?P<label>\d)_")


def test_audio_folder_refuses_bad_folders_clearly(tmp_path, folder):
    with pytest.raises(FileNotFoundError, match="no folder"):
        datasets.AudioFolder(tmp_path / "missing", sr=16000)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no audio files"):
        datasets.AudioFolder(tmp_path / "empty", sr=16000)
    (folder / "maybe").mkdir()                            # a class without files
    with pytest.raises(ValueError, match=r"class folder\(s\) \['maybe'\].*hold no audio"):
        datasets.AudioFolder(folder, sr=16000)
    (folder / "maybe").rmdir()
    _write(folder / "loose.wav")
    with pytest.raises(ValueError, match="must sit in a class folder.*loose.wav"):
        datasets.AudioFolder(folder, sr=16000)
    (folder / "loose.wav").unlink()
    (folder / "yes" / "broken.wav").write_bytes(b"RIFF not really")
    (folder / "no" / "empty.flac").write_bytes(b"")
    with pytest.raises(ValueError, match=r"2 of 14 files cannot be read as audio: no/empty.flac "
                                         r".*yes/broken.wav"):
        datasets.AudioFolder(folder, sr=16000)
    (folder / "yes" / "broken.wav").unlink()
    (folder / "no" / "empty.flac").unlink()
    _write(folder / "yes" / "stereo.wav", channels=2)
    with pytest.raises(ValueError, match=r"mix channel counts \(12 file\(s\) with 1 channel\(s\), "
                                         r"1 file\(s\) with 2 channel\(s\)\).*stereo.wav"):
        datasets.AudioFolder(folder, sr=16000)


def test_audio_folder_splits_random_and_by_speaker(folder):
    data = datasets.AudioFolder(folder, sr=16000, speaker=r"^(?P<speaker>[a-z]+)_")
    train, test = data.split("random", test=0.5, seed=3)
    assert (len(train), len(test)) == (6, 6)
    assert np.bincount(test.labels).tolist() == [3, 3]               # per class
    assert not set(train.files) & set(test.files)
    again = data.split("random", test=0.5, seed=3)[1]
    assert again.files == test.files                                # seeded
    train, val, test = data.split("speaker", held_out="cy", validation=["bob"])
    assert [sorted(set(s.speakers)) for s in (train, val, test)] == [["ann"], ["bob"], ["cy"]]
    assert train.classes == data.classes
    with pytest.raises(ValueError, match=r"speaker\(s\) of this dataset \['ann', 'bob', 'cy'\]"):
        data.split("speaker", held_out="dee")
    with pytest.raises(ValueError, match="name the same speaker"):
        data.split("speaker", held_out="cy", validation="cy")
    with pytest.raises(ValueError, match="fraction between 0 and 1"):
        data.split("random", test=1.5)
    with pytest.raises(ValueError, match="needs speakers"):
        datasets.AudioFolder(folder, sr=16000).split("speaker", held_out="cy")
    part = data.subset(data.speakers == "ann")
    assert len(part) == 4 and part.classes == ["no", "yes"]


@pytest.mark.filterwarnings("ignore:.*resampled to 16000 Hz:UserWarning")
def test_audio_folder_to_torch_crops_pads_transforms_and_augments(folder):
    import torch

    from audiotut.augment import Pipeline, Step, Uniform
    from audiotut.features import FeatureConfig
    from audiotut.gpu import LogMel
    from audiotut.loudness import peak_normalize

    data = datasets.AudioFolder(folder, sr=16000)
    items = data.to_torch(length=16000)
    x, label = items[0]
    assert x.shape == (16000,) and label == int(data.labels[0])
    batch, labels = next(iter(torch.utils.data.DataLoader(items, batch_size=12)))
    assert batch.shape == (12, 16000) and labels.tolist() == data.labels.tolist()
    # 0.5 s centred in 1 s: 0.25 s of zeros on each side
    assert torch.all(batch[:, :4000] == 0) and torch.all(batch[:, 12000:] == 0)
    assert torch.all(batch[:, 4000:12000].abs().amax(dim=1) > 0)
    config = FeatureConfig(sr=16000, n_fft=512, n_mels=40)
    assert data.to_torch(length=16000, transform=LogMel(config))[0][0].shape == (40, 126)
    pipe = Pipeline([Step(peak_normalize, peak_db=Uniform(-12, -1))], seed=0)
    augmented = data.to_torch(length=16000, transform=pipe)
    first = augmented[0][0]
    augmented.set_epoch(1)
    assert not torch.equal(first, augmented[0][0])
    with pytest.raises(ValueError, match="sr=8000, but this AudioFolder is at 16000 Hz"):
        data.to_torch(length=16000, transform=LogMel(FeatureConfig(sr=8000)))


# --------------------------------------------------------------------------- FSDD is an AudioFolder


def test_fsdd_measures_its_rate_from_the_files(small, tmp_path):
    """Regression: FSDD(root, names) on 16 kHz files said 8000 Hz and gave 0.5 s items."""
    import soundfile as sf

    root = tmp_path / "fsdd16"
    (root / "recordings").mkdir(parents=True)
    for name in small:
        y, sr = sf.read(io.BytesIO(small[name]), dtype="float32")
        audiotut_io.save(root / "recordings" / name, librosa.resample(
            y, orig_sr=sr, target_sr=16000), sr=16000)
    ds = datasets.FSDD(root, list(small))
    assert ds.sr == 16000 and set(ds.native_sr.tolist()) == {16000}
    y, sr = ds.load(0)
    assert sr == 16000
    seconds = len(y) / sr
    original = len(sf.read(io.BytesIO(small[ds.files[0].name]))[0]) / 8000
    assert abs(seconds - original) < 1e-3                       # the same duration, not half
    items = ds.to_torch(length=16000)
    assert items[0][0].shape == (16000,)                        # one second at the measured rate
    assert "16000 Hz" in repr(ds)
    with pytest.raises(ValueError, match="sr=16000"):
        ds.to_torch(length=8000, transform=gpu.LogMel(FeatureConfig(sr=8000, n_fft=256)))
    # mixed rates need sr=, and then resample (reported once)
    first = ds.files[0]
    y8 = librosa.resample(sf.read(first, dtype="float32")[0], orig_sr=16000, target_sr=8000)
    audiotut_io.save(first, y8, sr=8000)
    with pytest.raises(ValueError, match=r"several rates \[8000, 16000\] Hz; pass sr="):
        datasets.FSDD(root, list(small))
    mixed = datasets.FSDD(root, list(small), sr=16000)
    with pytest.warns(UserWarning, match="1 of 16 recordings are not at 16000 Hz"):
        y, sr = mixed.load(0)
    assert sr == 16000 and abs(len(y) / sr - original) < 1e-3


def test_fsdd_offers_what_audio_folder_offers_and_they_agree(shared_copy):
    ds = datasets.fsdd(root=shared_copy)
    assert isinstance(ds, datasets.AudioFolder)
    assert ds.classes == [str(d) for d in range(10)] and np.array_equal(ds.labels, ds.digits)
    # the same recordings read as a plain AudioFolder give the same labels and speakers
    folder = datasets.AudioFolder(shared_copy / "recordings", sr=8000,
                                  label=r"^(?P<label>\d)_", speaker=r"_(?P<speaker>[a-z]+)_")
    order = {p.name: i for i, p in enumerate(folder.files)}
    picked = [order[p.name] for p in ds.files]
    assert np.array_equal(np.array(folder.classes)[folder.labels[picked]],
                          np.array(ds.classes)[ds.labels])
    assert np.array_equal(folder.speakers[picked], ds.speakers)
    # a speaker-disjoint validation set, and a validation fraction of the official training takes
    train, val, test = ds.split("speaker", held_out="theo", validation=["nicolas"])
    assert [sorted(set(s.speakers)) for s in (val, test)] == [["nicolas"], ["theo"]]
    assert len(train) + len(val) + len(test) == 3000 and isinstance(train, datasets.FSDD)
    train, val, test = ds.split("official", validation=0.1, seed=3)
    assert (len(train), len(val), len(test)) == (2430, 270, 300)
    assert set(val.takes.tolist()) <= set(range(5, 50)) and set(test.takes.tolist()) == set(range(5))
    assert np.bincount(val.digits).tolist() == [27] * 10          # stratified per digit
    assert not set(map(str, val.files)) & set(map(str, train.files))
    train, test = ds.split("random", test=0.25, seed=0)
    assert len(test) == 750 and np.bincount(test.digits).tolist() == [75] * 10
    assert test.speakers_info == ds.speakers_info and test.takes.shape == (750,)


# --------------------------------------------------------------------------- the feature cache


def test_log_mel_cache_computes_once_reads_back_and_never_serves_stale(small, tmp_path,
                                                                         monkeypatch):
    import torch

    root = _small_root(small, tmp_path / "fsdd")
    ds = datasets.FSDD(root, list(small))
    cfg = FeatureConfig(sr=8000, n_fft=256, hop_length=80, n_mels=40)
    folder = tmp_path / "features"
    first = datasets.LogMelCache(ds, config=cfg, length=8000, folder=folder, shard_size=5)
    assert first.computed and len(first) == 16
    assert len(list(first.path.glob("shard-*.npy"))) == 4          # 5 + 5 + 5 + 1
    expected = np.stack([cfg.log_mel(audiotut_utils.fix_length(ds.load(i)[0], length=8000))
                         for i in range(16)])
    stored = first.features()
    assert stored.shape == (16, 40, 101) and stored.dtype == np.float32
    error = float(np.max(np.abs(stored - expected)))
    assert error <= 0.0625 / 2 and error > 0                   # float16 rounding, half a step at 64-128 dB
    x, label = first[7]
    assert isinstance(x, torch.Tensor) and np.array_equal(x.numpy(), stored[7])
    assert label == int(ds.labels[7])
    # a second use reads, without computing: the log-mel function is not called
    calls = []
    original = FeatureConfig.log_mel
    monkeypatch.setattr(FeatureConfig, "log_mel", lambda self, y: calls.append(1) or original(self, y))
    again = datasets.LogMelCache(ds, config=cfg, length=8000, folder=folder, shard_size=5)
    assert not again.computed and again.key == first.key and not calls
    assert np.array_equal(again.features(), stored)
    batch, labels = next(iter(torch.utils.data.DataLoader(again, batch_size=6)))
    assert batch.shape == (6, 40, 101) and labels.tolist() == ds.labels[:6].tolist()
    # a changed configuration or length: another key, recomputed
    other = datasets.LogMelCache(ds, config=cfg.replace(n_mels=32), length=8000, folder=folder)
    assert other.computed and other.key != first.key and other.features().shape[1] == 32
    assert datasets.LogMelCache(ds, config=cfg, length=4000, folder=folder).computed
    # a changed recording: another key, and its new features, not the stale ones
    calls.clear()
    changed = ds.files[3]
    y, _ = ds.load(3)
    audiotut_io.save(changed, 0.5 * y, sr=8000)
    fresh = datasets.LogMelCache(ds, config=cfg, length=8000, folder=folder, shard_size=5)
    assert fresh.computed and fresh.key != first.key and len(calls) == 16
    shift = float(np.median(fresh.features()[3] - stored[3]))
    assert abs(shift - 20 * np.log10(0.5)) < 0.1                  # -6.02 dB: the new file's
    print(f"LogMelCache: 16 clips in 4 shards, float16 error {error:.4f} dB; "
          f"a file halved in level reads {shift:+.2f} dB after recomputing")


def test_log_mel_cache_leaves_nothing_behind_when_interrupted_and_refuses_bad_input(
        small, tmp_path, monkeypatch):
    root = _small_root(small, tmp_path / "fsdd")
    ds = datasets.FSDD(root, list(small))
    cfg = FeatureConfig(sr=8000, n_fft=256, hop_length=80, n_mels=40)
    folder = tmp_path / "features"
    original = datasets.FSDD.load

    def broken(self, i, **kw):
        if i == 9:
            raise KeyboardInterrupt
        return original(self, i, **kw)

    monkeypatch.setattr(datasets.FSDD, "load", broken)
    with pytest.raises(KeyboardInterrupt):
        datasets.LogMelCache(ds, config=cfg, length=8000, folder=folder, shard_size=4)
    assert list(folder.iterdir()) == []                           # no half-written key
    monkeypatch.setattr(datasets.FSDD, "load", original)
    assert datasets.LogMelCache(ds, config=cfg, length=8000, folder=folder).computed
    with pytest.raises(ValueError, match="sr=16000.*at 8000 Hz"):
        datasets.LogMelCache(ds, config=cfg.replace(sr=16000), length=8000, folder=folder)
    with pytest.raises(ValueError, match="length must be a positive whole number"):
        datasets.LogMelCache(ds, config=cfg, length=0, folder=folder)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(ValueError, match="pass folder= a writable folder"):
        datasets.LogMelCache(ds, config=cfg, length=8000, folder=blocker / "features")


def test_one_pad_crop_rule_for_datasets_augmentation_and_by_hand(small, tmp_path):
    """FSDD.to_torch, AudioFolder.to_torch, AugmentedDataset(length=) and utils.fix_length cut
    and pad every clip the same way (before, to_torch padded at the end, AugmentedDataset
    cropped and padded at the end, models.fix_length centred)."""
    from audiotut.augment import AugmentedDataset, Pipeline

    ds = datasets.FSDD(_small_root(small, tmp_path / "fsdd"), list(small))
    folder = datasets.AudioFolder(ds.root / "recordings", sr=8000, label=r"^(?P<label>\d)_")
    clips = [ds.load(i)[0] for i in range(len(ds))]
    lengths = sorted(len(c) for c in clips)
    for length in (lengths[0] - 101, lengths[-1] + 333):          # every clip cropped; padded
        by_hand = [audiotut_utils.fix_length(c, length=length) for c in clips]
        augmented = AugmentedDataset(clips, sr=8000, pipeline=Pipeline([]), length=length)
        from_fsdd = ds.to_torch(length=length)
        from_folder = folder.to_torch(length=length)
        order = {p.name: i for i, p in enumerate(folder.files)}
        for i, expected in enumerate(by_hand):
            assert np.array_equal(from_fsdd[i][0].numpy(), expected)
            assert np.array_equal(augmented[i], expected)
            assert np.array_equal(from_folder[order[ds.files[i].name]][0].numpy(), expected)
        if length > lengths[-1]:
            n = len(clips[0])
            before = (length - n) // 2
            assert not by_hand[0][:before].any() and not by_hand[0][before + n:].any()
