"""audiotut.io: loading, saving and describing files, and every bad input."""

from __future__ import annotations

import os
import stat

import warnings

import numpy as np
import pytest
import soundfile as sf
from helpers import peak_frequency, tone

import audiotut
from audiotut import io
from audiotut.errors import AudioFileError
from audiotut.sampling import quantize

SR = 44100


@pytest.fixture
def stereo() -> np.ndarray:
    """Left: 440 Hz at 0.5 FS. Right: 880 Hz at 0.25 FS. One second."""
    return np.stack([tone(440, sr=SR), tone(880, sr=SR, amplitude=0.25)])


@pytest.fixture
def wav(tmp_path, stereo):
    return io.save(tmp_path / "stereo.wav", stereo, sr=SR, subtype="FLOAT")


# --- load --------------------------------------------------------------------------


def test_load_keeps_native_rate_and_shape(wav, stereo):
    y, sr = io.load(wav, mono=False)
    assert sr == SR
    assert y.dtype == np.float32 and y.shape == (2, SR)
    np.testing.assert_array_equal(y, stereo)


def test_load_mono_is_mean_of_channels(wav, stereo):
    y, sr = io.load(wav)
    assert y.shape == (SR,)
    np.testing.assert_allclose(y, stereo.mean(axis=0), atol=1e-7)


def test_load_mono_file_is_1d_even_with_mono_false(tmp_path):
    path = io.save(tmp_path / "mono.flac", tone(440, sr=SR), sr=SR)
    y, _ = io.load(path, mono=False)
    assert y.shape == (SR,)


def test_channel_order_survives_save_and_load(wav):
    y, sr = io.load(wav, mono=False)
    assert peak_frequency(y[0], sr=sr) == pytest.approx(440, abs=1)
    assert peak_frequency(y[1], sr=sr) == pytest.approx(880, abs=1)


def test_load_resamples_and_keeps_the_tone(wav):
    y, sr = io.load(wav, sr=16000)
    assert sr == 16000 and y.shape == (16000,) and y.dtype == np.float32
    assert peak_frequency(y, sr=sr) == pytest.approx(440, abs=1)


def test_load_resampling_removes_content_above_new_nyquist(tmp_path):
    # 1 kHz + 10 kHz at 48 kHz, resampled to 16 kHz (Nyquist 8 kHz): 10 kHz must
    # not come back as its 6 kHz alias.
    sr = 48000
    y = tone(1000, sr=sr) + tone(10000, sr=sr, amplitude=0.25)
    path = io.save(tmp_path / "two.wav", y, sr=sr, subtype="FLOAT")
    resampled, _ = io.load(path, sr=16000)
    spectrum = np.abs(np.fft.rfft(resampled * np.hanning(16000)))
    freqs = np.fft.rfftfreq(16000, d=1 / 16000)
    level_1k = spectrum[np.argmin(np.abs(freqs - 1000))]
    level_6k = spectrum[np.abs(freqs - 6000) < 20].max()
    assert 20 * np.log10(level_6k / level_1k) < -100


def test_offset_and_duration_are_exact_in_samples(wav, stereo):
    y, _ = io.load(wav, mono=False, offset=0.25, duration=0.5)
    assert y.shape == (2, SR // 2)
    np.testing.assert_array_equal(y, stereo[:, SR // 4 : SR // 4 + SR // 2])


def test_duration_past_the_end_reads_to_the_end(wav):
    y, _ = io.load(wav, offset=0.5, duration=10.0)
    assert y.shape == (SR // 2,)


@pytest.mark.parametrize("offset", [1.0, 5.0])
def test_offset_past_the_end_is_a_clear_error(wav, offset):
    with pytest.raises(ValueError, match=r"past the end .* lasts 1\.000 s"):
        io.load(wav, offset=offset)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sr": 0}, "sr must be a positive"),
        ({"sr": -16000}, "sr must be a positive"),
        ({"sr": 22050.5}, "whole number"),
        ({"sr": "fast"}, "sr must be a positive"),
        ({"sr": float("nan")}, "sr must be a positive"),
        ({"offset": -1.0}, "offset must be"),
        ({"duration": 0.0}, "duration must be"),
        ({"duration": -2.0}, "duration must be"),
        ({"nonfinite": "ignore"}, "nonfinite must be"),
    ],
)
def test_load_bad_arguments_raise_value_error(wav, kwargs, message):
    with pytest.raises(ValueError, match=message):
        io.load(wav, **kwargs)


def test_load_integer_pcm_is_scaled_to_full_scale(tmp_path):
    levels = np.array([0, 16384, -32768, 32767], dtype=np.int16)
    path = tmp_path / "int.wav"
    sf.write(path, levels, 8000, subtype="PCM_16")
    y, _ = io.load(path)
    np.testing.assert_array_equal(y, levels / 32768)


def test_missing_file_is_file_not_found(tmp_path):
    missing = tmp_path / "nope.wav"
    with pytest.raises(FileNotFoundError, match="nope.wav"):
        io.load(missing)
    with pytest.raises(FileNotFoundError):
        io.info(missing)


def _bad_files(tmp_path, good_bytes):
    rng = np.random.default_rng(0)
    cases = {
        "empty.wav": b"",
        "truncated_header.wav": good_bytes[:20],
        "text.wav": b"This is a text file, not a RIFF/WAVE file.\n" * 20,
        "random.flac": rng.bytes(4096),
        "random.mp3": rng.bytes(4096),
        "random.ogg": rng.bytes(4096),
        "random.wav": rng.bytes(4096),
    }
    paths = {}
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        paths[name] = path
    directory = tmp_path / "a_directory.wav"
    directory.mkdir()
    paths["a_directory.wav"] = directory
    return paths


@pytest.mark.parametrize(
    "name",
    ["empty.wav", "truncated_header.wav", "text.wav", "random.flac", "random.mp3",
     "random.ogg", "random.wav", "a_directory.wav"],
)
@pytest.mark.parametrize("function", [io.load, io.info])
def test_unreadable_files_raise_audio_file_error(tmp_path, wav, name, function):
    path = _bad_files(tmp_path, wav.read_bytes())[name]
    with pytest.raises(AudioFileError) as caught:
        function(path)
    message = str(caught.value)
    assert str(path) in message  # names the file
    assert "Traceback" not in message
    assert isinstance(caught.value, OSError)


def test_header_without_frames_is_an_error_on_load(tmp_path, wav):
    data = wav.read_bytes()
    header_size = len(data) - 2 * SR * 4  # two float32 channels of SR frames
    path = tmp_path / "header_only.wav"
    path.write_bytes(data[:header_size])  # every chunk header, no samples
    assert io.info(path).frames == 0
    with pytest.raises(AudioFileError, match="no audio frames"):
        io.load(path)


def test_cut_file_loads_the_frames_that_are_there(tmp_path, wav, stereo):
    data = wav.read_bytes()
    path = tmp_path / "cut.wav"
    path.write_bytes(data[: len(data) // 2])
    with pytest.warns(UserWarning, match=r"declares \d+ frames .* holds only \d+.*truncated"):
        y, _ = io.load(path, mono=False)
    assert 0 < y.shape[1] < SR
    np.testing.assert_array_equal(y, stereo[:, : y.shape[1]])


@pytest.fixture
def nan_file(tmp_path):
    y = tone(440, sr=8000)
    y[[10, 20]] = np.nan
    y[30] = np.inf
    path = tmp_path / "nan.wav"
    sf.write(path, y, 8000, subtype="FLOAT")  # soundfile writes what io.save refuses
    return path


def test_nan_samples_in_a_float_file_are_refused(nan_file):
    with pytest.raises(AudioFileError, match="3 NaN or infinite samples.*nonfinite='zero'"):
        io.load(nan_file)


def test_nan_samples_are_zeroed_only_when_asked(nan_file):
    with pytest.warns(UserWarning, match="replaced 3 NaN or infinite samples"):
        y, _ = io.load(nan_file, nonfinite="zero")
    assert np.isfinite(y).all()
    assert y[10] == y[20] == y[30] == 0.0
    assert y[11] != 0.0


def test_path_of_wrong_type_is_a_type_error():
    with pytest.raises(TypeError, match="path must be a str"):
        io.load(123)


def test_audio_file_error_is_exported_and_an_oserror():
    assert audiotut.AudioFileError is AudioFileError
    assert issubclass(AudioFileError, OSError)


# --- info --------------------------------------------------------------------------


def test_info_reads_the_header(tmp_path, stereo):
    path = io.save(tmp_path / "x.flac", stereo, sr=SR, subtype="PCM_24")
    meta = io.info(path)
    assert (meta.sr, meta.channels, meta.frames) == (SR, 2, SR)
    assert meta.duration == pytest.approx(1.0)
    assert (meta.format, meta.subtype) == ("FLAC", "PCM_24")
    assert meta.path == path


# --- save --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extension", "subtype", "bits"),
    [(ext, f"PCM_{bits}", bits) for ext in ("wav", "flac", "aiff") for bits in (16, 24, 32)
     if (ext, bits) != ("flac", 32)],  # FLAC has no 32-bit integer subtype
)
def test_integer_pcm_is_rounded_to_nearest_level(tmp_path, stereo, extension, subtype, bits):
    rng = np.random.default_rng(1)
    y = np.clip(stereo + 0.01 * rng.standard_normal(stereo.shape), -1, 1).astype(np.float32)
    path = io.save(tmp_path / f"x.{extension}", y, sr=SR, subtype=subtype)
    back, _ = io.load(path, mono=False)
    np.testing.assert_array_equal(back, quantize(y, bits=bits))


def test_pcm16_error_is_at_most_half_a_step_with_no_offset(tmp_path):
    rng = np.random.default_rng(2)
    y = (0.1 * rng.standard_normal(SR)).astype(np.float32)
    back, _ = io.load(io.save(tmp_path / "x.wav", y, sr=SR))
    error = (back.astype(np.float64) - y) * 32768
    assert np.abs(error).max() <= 0.5 + 1e-6
    assert abs(error.mean()) < 0.01  # libsndfile's own conversion is off by 0.5 on average


def test_float_subtype_is_lossless_even_beyond_full_scale(tmp_path):
    y = np.array([0.0, 1.5, -2.0, 1e-8], dtype=np.float32)
    back, _ = io.load(io.save(tmp_path / "x.wav", y, sr=8000, subtype="float"))
    np.testing.assert_array_equal(back, y)


def test_integer_arrays_are_written_as_they_are(tmp_path):
    levels = np.array([[0, 100, -32768], [32767, -1, 5]], dtype=np.int16)
    path = io.save(tmp_path / "x.wav", levels, sr=8000)
    raw, _ = sf.read(path, dtype="int16", always_2d=True)
    np.testing.assert_array_equal(raw.T, levels)


def test_default_subtype_is_the_format_default(tmp_path):
    assert io.info(io.save(tmp_path / "a.wav", tone(1, sr=100), sr=100)).subtype == "PCM_16"
    assert io.info(io.save(tmp_path / "a.ogg", tone(440, sr=8000), sr=8000)).subtype == "VORBIS"


@pytest.mark.parametrize(
    ("make_y", "kwargs", "message"),
    [
        (lambda: tone(440, sr=8000), {"sr": 0}, "sr must be a positive"),
        (lambda: tone(440, sr=8000), {"sr": -1}, "sr must be a positive"),
        (lambda: tone(440, sr=8000), {"sr": 8000.5}, "whole number"),
        (lambda: np.zeros(0, dtype=np.float32), {"sr": 8000}, "holds no samples"),
        (lambda: np.zeros((2, 2, 100)), {"sr": 8000}, r"expected \(n,\) for mono"),
        (lambda: np.zeros((8000, 2), dtype=np.float32), {"sr": 8000}, r"frame-first .* y\.T"),
        (lambda: np.zeros(100, dtype=np.complex64), {"sr": 8000}, "complex64"),
        (lambda: np.array([0.0, np.nan, np.inf]), {"sr": 8000}, "2 NaN or infinite"),
        (lambda: [0.0, 0.1], {"sr": 8000}, "numpy array"),
        (lambda: np.zeros(10, dtype=bool), {"sr": 8000}, "dtype bool"),
        (lambda: 3.0 * tone(440, sr=8000), {"sr": 8000}, r"peaks at 1.5.*PCM_16 would clip"),
        (lambda: tone(440, sr=8000), {"sr": 8000, "subtype": "PCM_99"}, "PCM_99.*choose one of"),
        (lambda: tone(440, sr=8000), {"sr": 8000, "subtype": "VORBIS"}, "cannot be written to WAV"),
    ],
)
def test_save_bad_input_raises_value_error(tmp_path, make_y, kwargs, message):
    with pytest.raises(ValueError, match=message):
        io.save(tmp_path / "x.wav", make_y(), **kwargs)
    assert list(tmp_path.iterdir()) == []  # nothing written, no debris


def test_save_unknown_extension(tmp_path):
    with pytest.raises(ValueError, match=r"x\.xyz.*\.wav, \.flac"):
        io.save(tmp_path / "x.xyz", tone(440, sr=8000), sr=8000)


def test_save_into_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        io.save(tmp_path / "no" / "such" / "x.wav", tone(440, sr=8000), sr=8000)


def test_save_onto_a_directory(tmp_path):
    (tmp_path / "d.wav").mkdir()
    with pytest.raises(ValueError, match="is a directory"):
        io.save(tmp_path / "d.wav", tone(440, sr=8000), sr=8000)


class _Interrupted(BaseException):
    pass


@pytest.mark.parametrize("failure", [OSError("No space left on device"), _Interrupted()])
def test_failed_save_keeps_the_old_file_and_leaves_no_debris(tmp_path, monkeypatch, failure):
    original = io.save(tmp_path / "take.wav", tone(440, sr=8000), sr=8000)
    before = original.read_bytes()
    real_write = sf.write

    def write_half_then_fail(file, data, *args, **kwargs):
        real_write(file, data[: len(data) // 2], *args, **kwargs)  # bytes really hit the disk
        raise failure

    monkeypatch.setattr(sf, "write", write_half_then_fail)
    with pytest.raises(type(failure)):
        io.save(original, tone(880, sr=8000), sr=8000)
    assert original.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take.wav"]


def test_save_replaces_an_existing_file_and_keeps_its_mode(tmp_path):
    path = io.save(tmp_path / "x.wav", tone(440, sr=8000), sr=8000)
    os.chmod(path, 0o640)
    io.save(path, tone(880, sr=8000), sr=8000)
    y, sr = io.load(path)
    assert peak_frequency(y, sr=sr) == pytest.approx(880, abs=1)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_new_file_gets_the_umask_mode_not_the_temporary_files(tmp_path):
    old = os.umask(0o022)
    try:
        path = io.save(tmp_path / "x.wav", tone(440, sr=8000), sr=8000)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_save_accepts_str_paths_and_returns_the_path(tmp_path):
    path = io.save(str(tmp_path / "x.flac"), tone(440, sr=8000), sr=8000)
    assert path == tmp_path / "x.flac" and path.exists()


def test_a_whole_file_loads_without_a_truncation_warning(wav):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        io.load(wav, mono=False)
        io.load(wav, offset=0.5, duration=10.0)      # past the end is no truncation


@pytest.mark.parametrize(("sr", "meant"), [(22, "22050"), (44.1, "44100"), (16, "16000"),
                                           (48.0, "48000"), (22.05, "22050")])
def test_a_rate_in_khz_is_refused_with_the_rate_in_hz(wav, sr, meant):
    with pytest.raises(ValueError, match=f"not kHz; did you mean sr={meant}\\?"):
        io.load(wav, sr=sr)


def test_opus_is_written_as_opus_or_refused(tmp_path):
    y = tone(440, sr=48000, duration=0.5)
    path = io.save(tmp_path / "a.opus", y, sr=48000)
    assert io.info(path).subtype == "OPUS"
    back, sr = io.load(path)
    assert sr == 48000 and abs(len(back) - len(y)) < 0.05 * len(y)
    assert io.info(io.save(tmp_path / "a.ogg", y, sr=48000)).subtype == "VORBIS"
    with pytest.raises(ValueError, match="Opus cannot store sr=44100.*48000"):
        io.save(tmp_path / "b.opus", tone(440, sr=44100), sr=44100)
    with pytest.raises(ValueError, match="holds Opus, not 'VORBIS'"):
        io.save(tmp_path / "c.opus", y, sr=48000, subtype="VORBIS")
    assert not list(tmp_path.glob("[bc].opus*")) and not list(tmp_path.glob(".*partial"))
