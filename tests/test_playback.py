"""audiotut.playback: layouts, clear errors without PortAudio or devices, the notebook
fallback, and real play/record through a virtual sound card (``pytest -k loopback``)."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from helpers import run_python

from audiotut import display, playback
from audiotut.errors import AudioDeviceError

SR = 48000


def _noise(n: int, *, seed: int, level: float = 0.25) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(level * rng.standard_normal(n), -0.9, 0.9).astype(np.float32)


def _with_silence(y: np.ndarray, *, before: int, after: int) -> np.ndarray:
    pad = [(0, 0)] * (y.ndim - 1) + [(before, after)]
    return np.pad(y, pad)


# ---------------------------------------------------------------- layouts


@pytest.mark.parametrize("channels", [1, 2, 6])
def test_to_frames_and_from_frames_swap_the_layout_both_ways(channels):
    y = np.arange(channels * 100, dtype=np.float32).reshape(channels, 100) / 1000
    y = y[0] if channels == 1 else y
    frames = playback.to_frames(y)
    assert frames.shape == (100, channels) and frames.dtype == np.float32
    assert frames.flags["C_CONTIGUOUS"]
    for c in range(channels):  # channel c of the signal is column c of the frames
        np.testing.assert_array_equal(frames[:, c], y if channels == 1 else y[c])
    back = playback.from_frames(frames)
    assert back.shape == y.shape and back.dtype == np.float32
    np.testing.assert_array_equal(back, y)


def test_the_talks_44100_by_2_trap_is_caught_with_a_fix():
    frame_first = np.zeros((44100, 2), dtype=np.float32)  # what sounddevice.rec returns
    with pytest.raises(ValueError, match=r"frame-first .* pass y\.T"):
        playback.to_frames(frame_first)
    with pytest.raises(ValueError, match="channel-first already"):
        playback.from_frames(frame_first.T)
    with pytest.raises(ValueError, match="2-D"):
        playback.from_frames(np.zeros(10))


# ---------------------------------------------------------------- measure_lag


@pytest.mark.parametrize("lag", [0, 1, 37, 1024, 3000])
def test_measure_lag_finds_a_known_delay_in_noise(lag):
    x = _noise(6000, seed=1)
    noisy = np.concatenate([np.zeros(lag, np.float32), 0.5 * x])[:6000]
    noisy = noisy + _noise(6000, seed=2, level=0.005)
    result = playback.measure_lag(x, noisy, sr=SR)
    assert result.samples == lag
    assert result.ms == pytest.approx(1000 * lag / SR)
    assert result.correlation > 0.99


def test_measure_lag_rejects_silence():
    with pytest.raises(ValueError, match="recorded is silent"):
        playback.measure_lag(_noise(100, seed=0), np.zeros(100, np.float32), sr=SR)


# ---------------------------------------------------------------- without PortAudio / devices


def test_without_portaudio_import_works_and_play_says_how_to_install():
    """A machine without libportaudio: sounddevice cannot find the library."""
    script = textwrap.dedent(
        """
        import ctypes.util, sys
        real = ctypes.util.find_library
        ctypes.util.find_library = lambda name: None if "portaudio" in name else real(name)
        sys.modules.pop("sounddevice", None)
        import numpy as np
        import audiotut
        from audiotut import playback, sampling
        print("alias", sampling.alias_frequency(5000, sr=8000))
        print("available", playback.available())
        try:
            playback.play(np.zeros(100, np.float32), sr=8000)
        except audiotut.AudioDeviceError as error:
            print("error", type(error).__name__, error)
        """
    )
    out = run_python(script, timeout=300)
    assert "alias 3000" in out and "available False" in out
    assert "error AudioDeviceError the PortAudio library is not installed" in out
    for fix in ("apt install libportaudio2", "conda install", "pip install --force-reinstall sounddevice"):
        assert fix in out


class _NoDevices:
    """A sounddevice stand-in with PortAudio but no devices (a server without a card)."""

    class PortAudioError(Exception):
        pass

    def query_devices(self, device=None, kind=None):
        if kind is None and device is None:
            return []
        raise self.PortAudioError("Error querying device -1")


def test_without_any_device_the_error_says_so(monkeypatch):
    monkeypatch.setattr(playback, "_sounddevice", lambda: _NoDevices())
    monkeypatch.delenv(playback.DEVICE_VARIABLE, raising=False)
    with pytest.raises(AudioDeviceError, match="no default output device.*0 audio device"):
        playback.play(np.zeros(10, np.float32), sr=8000)
    with pytest.raises(AudioDeviceError, match="no default input device"):
        playback.record(0.1, sr=8000)
    assert playback.available() is False


def test_in_a_notebook_play_falls_back_to_an_embedded_player(monkeypatch, capsys):
    shown = []
    monkeypatch.setattr(playback, "_sounddevice", lambda: _NoDevices())
    monkeypatch.delenv(playback.DEVICE_VARIABLE, raising=False)
    monkeypatch.setattr(playback, "_in_notebook", lambda: True)
    monkeypatch.setattr("IPython.display.display", shown.append)
    y = (0.1 * np.sin(2 * np.pi * 440 * np.arange(800) / 8000)).astype(np.float32)
    assert playback.play(y, sr=8000) is None
    notice = capsys.readouterr().out
    assert notice.count("\n") == 1 and "playing in the page instead" in notice
    assert len(shown) == 1 and "<audio" in shown[0]._repr_html_()
    assert shown[0].data == display.audio(y, sr=8000).data  # same clip, true level


def test_bad_signals_fail_before_any_device_is_touched(monkeypatch):
    def no_device_needed():
        raise AssertionError("the device was opened before the input was checked")

    monkeypatch.setattr(playback, "_sounddevice", no_device_needed)
    with pytest.raises(ValueError, match="beyond full scale"):
        playback.play(np.full(10, 1.5, np.float32), sr=8000)
    with pytest.raises(ValueError, match=r"pass y\.T"):
        playback.playrec(np.zeros((100, 2), np.float32), sr=8000)
    with pytest.raises(ValueError, match="sr must be"):
        playback.play(np.zeros(10, np.float32), sr=0)
    with pytest.raises(ValueError, match="duration must be a positive"):
        playback.record(-1, sr=8000)
    with pytest.raises(ValueError, match="give duration"):
        playback.monitor(lambda block, info: None, sr=8000)
    with pytest.raises(ValueError, match="block_size"):
        playback.monitor(lambda block, info: None, sr=8000, duration=1, block_size=0)


# ---------------------------------------------------------------- the virtual sound card


def test_loopback_device_is_listed(loopback_device):
    table = playback.devices()
    loop = next(d for d in table if d.name == "loopback")
    assert (loop.inputs, loop.outputs, loop.default_sr) == (2, 2, loopback_device["sr"])
    assert "loopback" in str(table) and "JACK" in str(table)
    assert playback.available()
    # AUDIOTUT_DEVICE (set with the server) chooses it for device=None
    assert playback.default_device().name == playback.default_device(kind="input").name == "loopback"
    assert str(table).splitlines()[1 + loop.index].startswith("*")


def test_loopback_playrec_records_what_was_played(loopback_device, record_property):
    sr, period = loopback_device["sr"], loopback_device["period"]
    y = _with_silence(_noise(SR // 2, seed=3), before=SR // 10, after=SR // 10)
    recorded = playback.playrec(y, sr=sr)
    assert recorded.shape == y.shape and recorded.dtype == np.float32
    lag = playback.measure_lag(y, recorded, sr=sr)
    record_property("measured", f"loopback round trip: {lag.samples} samples = {lag.ms:.2f} ms "
                                f"at {sr} Hz, normalized correlation {lag.correlation:.6f}")
    assert lag.correlation >= 0.99
    assert lag.samples % period == 0 and 0 < lag.samples <= 4 * period  # whole JACK periods
    aligned = recorded[lag.samples:]
    np.testing.assert_allclose(aligned, y[: len(aligned)], atol=1e-6)  # float32, bit-true path


def test_loopback_stereo_keeps_the_channel_order(loopback_device):
    sr = loopback_device["sr"]
    left, right = _noise(SR // 4, seed=4), _noise(SR // 4, seed=5)
    y = _with_silence(np.stack([left, 0.5 * right]), before=SR // 20, after=SR // 10)
    recorded = playback.playrec(y, sr=sr, channels=2)
    assert recorded.shape == y.shape
    for c in range(2):
        own = playback.measure_lag(y[c], recorded[c], sr=sr)
        assert own.correlation >= 0.99
        n = y.shape[1] - own.samples
        other = np.corrcoef(y[1 - c][:n], recorded[c][own.samples:])[0, 1]
        assert abs(other) < 0.05  # the other channel did not leak in
    # the right channel came back at its own (lower) level, not the left one's
    level = np.sqrt(np.mean(recorded**2, axis=1) / np.mean(y**2, axis=1))
    assert level == pytest.approx([1.0, 1.0], abs=1e-3)


def test_loopback_resamples_a_rate_the_device_refuses(loopback_device):
    # JACK runs at one rate only (48 kHz here). At 24 kHz one 1024-sample period is
    # 512 samples, a whole number, so the correlation at the lag can reach 1.
    sr = 24000
    t = np.arange(sr // 2) / sr
    chirp = (0.3 * np.sin(2 * np.pi * (200 * t + 5000 * t**2))).astype(np.float32)
    y = _with_silence(chirp, before=sr // 10, after=sr // 5)
    recorded = playback.playrec(y, sr=sr)
    assert recorded.shape == y.shape
    lag = playback.measure_lag(y, recorded, sr=sr)
    assert lag.correlation >= 0.99
    assert lag.ms == pytest.approx(1000 * loopback_device["period"] / loopback_device["sr"], abs=1)
    with pytest.raises(AudioDeviceError, match=r"sr=24000 Hz.*own rate is 48000 Hz"):
        playback.playrec(y, sr=sr, resample=False)


def test_loopback_monitor_runs_the_callback_on_every_block(loopback_device):
    sr, block = loopback_device["sr"], 1024
    tone = (0.5 * np.sin(2 * np.pi * 1000 * np.arange(8 * block) / sr)).astype(np.float32)
    y = _with_silence(tone, before=4 * block, after=4 * block)  # 16 blocks in all

    def level(samples, info):
        return info.index, info.time, samples.shape, float(np.sqrt(np.mean(samples**2)))

    results = playback.monitor(level, sr=sr, play=y, block_size=block)
    assert [r[0] for r in results] == list(range(16))
    assert [r[1] for r in results] == pytest.approx([i * block / sr for i in range(16)])
    assert {r[2] for r in results} == {(block,)}
    rms = np.array([r[3] for r in results])
    loud = rms > 0.1
    assert loud.sum() == 8  # eight blocks of tone, shifted by the loop's latency
    assert rms[loud] == pytest.approx(0.5 / np.sqrt(2), rel=0.01)  # a sine's RMS


def test_loopback_monitor_passes_on_the_callbacks_exception(loopback_device):
    def broken(samples, info):
        raise RuntimeError("callback failed on purpose")

    with pytest.raises(RuntimeError, match="on purpose"):
        playback.monitor(broken, sr=loopback_device["sr"], duration=0.1)


def test_loopback_record_returns_the_requested_length(loopback_device):
    recorded = playback.record(0.2, sr=16000, channels=2)
    assert recorded.shape == (2, 3200) and recorded.dtype == np.float32
    assert np.isfinite(recorded).all()


def test_loopback_play_blocks_and_non_blocking_play_needs_wait(loopback_device):
    import sounddevice as sd

    y = np.zeros(SR, np.float32)
    playback.play(y, sr=SR, blocking=False)
    assert sd.get_stream().active  # returned while the second of audio is still playing
    playback.wait()
    assert not sd.get_stream().active  # wait() returned only once it had finished
    playback.play(y[: SR // 10], sr=SR)
    assert not sd.get_stream().active  # blocking play returns when it is done


def test_loopback_errors_name_the_device_and_the_fix(loopback_device):
    with pytest.raises(ValueError, match=r"device='no such card' matches no output device"):
        playback.play(np.zeros(10, np.float32), sr=SR, device="no such card")
    with pytest.raises(ValueError, match="plays at most 2"):
        playback.play(np.zeros((6, 100), np.float32), sr=SR)
    with pytest.raises(ValueError, match="records at most 2"):
        playback.record(0.1, sr=SR, channels=3)
