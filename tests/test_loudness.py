"""audiotut.loudness: EBU Tech 3341 conformance (cases 1-6 and true-peak 15-19), edge
cases with defined behaviour, and normalizing every recording of a real dataset."""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path

import numpy as np
import pytest

from audiotut import loudness
from audiotut.errors import SilentSignalWarning

SR = 48000
ROOT = Path(__file__).resolve().parents[1]
FSDD = Path(os.environ.get("AUDIOTUT_FSDD_DIR",
                           ROOT.parent / "shared" / "data" / "fsdd-v1.0.10" / "recordings"))


def _sine(seconds: float, dbfs: float, *, freq: float = 1000.0, sr: int = SR,
          phase_deg: float = 0.0) -> np.ndarray:
    """A sine whose peak amplitude is ``dbfs`` dB relative to full scale."""
    t = np.arange(round(seconds * sr)) / sr
    return 10 ** (dbfs / 20) * np.sin(2 * np.pi * freq * t + np.deg2rad(phase_deg))


def _stereo(*segments: tuple[float, float]) -> np.ndarray:
    """EBU 3341 stimuli: 1 kHz, in phase on both channels, (seconds, dBFS) in sequence."""
    mono = np.concatenate([_sine(seconds, level) for seconds, level in segments])
    return np.stack([mono, mono])


# ---------------------------------------------------------------- EBU Tech 3341


@pytest.mark.parametrize(
    ("case", "segments"),
    [
        (1, [(20, -23)]),
        (2, [(20, -33)]),
        (3, [(10, -36), (60, -23), (10, -36)]),
        (4, [(10, -72), (10, -36), (60, -23), (10, -36), (10, -72)]),
        (5, [(20, -26), (20.1, -20), (20, -26)]),
    ],
)
def test_ebu_3341_integrated_loudness_cases_1_to_5(case, segments):
    expected = -33.0 if case == 2 else -23.0
    measured = loudness.integrated_loudness(_stereo(*segments), sr=SR)
    assert measured == pytest.approx(expected, abs=0.1), f"case {case}"


def test_ebu_3341_case_6_five_channels_in_bs1770_order():
    levels = [-28, -28, -24, -30, -30]  # L, R, C, Ls, Rs
    y = np.stack([_sine(20, level) for level in levels])
    assert loudness.integrated_loudness(y, sr=SR) == pytest.approx(-23.0, abs=0.1)
    # the surround weights matter: the same five channels read as L R C and two
    # front channels would be 1.5 dB quieter in the surrounds
    assert loudness.integrated_loudness(y, sr=SR) > loudness.integrated_loudness(y[:3], sr=SR)


def _true_peak_case(freq_ratio: float, amplitude: float, phase_deg: float) -> np.ndarray:
    n = SR
    y = amplitude * np.sin(2 * np.pi * freq_ratio * np.arange(n) + np.deg2rad(phase_deg))
    fade = round(0.010 * SR)  # 10 ms fades in and out
    ramp = np.linspace(0, 1, fade)
    y[:fade] *= ramp
    y[-fade:] *= ramp[::-1]
    return np.stack([y, y])


@pytest.mark.parametrize(
    ("case", "freq_ratio", "amplitude", "phase", "expected"),
    [
        (15, 1 / 4, 0.5, 0.0, -6.0),
        (16, 1 / 4, 0.5, 45.0, -6.0),
        (17, 1 / 6, 0.5, 60.0, -6.0),
        (18, 1 / 8, 0.5, 67.5, -6.0),
        (19, 1 / 4, 1.41, 45.0, 3.0),
    ],
)
def test_ebu_3341_true_peak_cases_15_to_19(case, freq_ratio, amplitude, phase, expected):
    y = _true_peak_case(freq_ratio, amplitude, phase)
    measured = loudness.true_peak(y, sr=SR)
    assert expected - 0.4 <= measured <= expected + 0.2, f"case {case}: {measured:.3f} dBTP"


def test_true_peak_sees_what_the_sample_peak_misses():
    y = _true_peak_case(1 / 4, 0.5, 45.0)[0]
    assert loudness.peak_db(y) == pytest.approx(-9.03, abs=0.01)   # samples at 0.354
    assert loudness.true_peak(y, sr=SR) == pytest.approx(-6.02, abs=0.05)


# ---------------------------------------------------------------- peak and RMS


def test_peak_and_rms_normalize_hit_their_targets():
    rng = np.random.default_rng(1)
    y = (0.05 * rng.standard_normal((2, 8000))).astype(np.float32)
    assert loudness.peak_db(loudness.peak_normalize(y, peak_db=-3.0)) == pytest.approx(-3.0, abs=1e-4)
    out = loudness.rms_normalize(y, rms_db=-25.0)
    assert loudness.rms_db(out) == pytest.approx(-25.0, abs=1e-3)
    assert out.dtype == np.float32 and out.shape == y.shape


def test_one_click_decides_the_peak_gain():
    y = _sine(1, -30, sr=16000).astype(np.float32)
    clicked = y.copy()
    clicked[8000] = 0.9
    quiet = loudness.peak_normalize(clicked, peak_db=-1.0)
    loud = loudness.peak_normalize(y, peak_db=-1.0)
    # the click (at 20 log10(0.9) = -0.92 dBFS) took the gain: the tone ends up
    # 29.1 dB quieter than it would be without the click
    expected = 20 * np.log10(0.9) + 30
    assert loudness.rms_db(loud) - loudness.rms_db(np.delete(quiet, 8000)) == pytest.approx(expected, abs=0.02)


def test_rms_normalize_refuses_to_clip_unless_allowed():
    y = np.zeros(1000, np.float32)
    y[::100] = 0.5  # sparse clicks: a high peak-to-RMS ratio
    with pytest.raises(ValueError, match="beyond full scale"):
        loudness.rms_normalize(y, rms_db=-3.0)
    assert np.max(np.abs(loudness.rms_normalize(y, rms_db=-3.0, allow_clipping=True))) > 1


# ---------------------------------------------------------------- edge cases


@pytest.mark.parametrize("shape", [(16000,), (2, 16000)])
def test_digital_silence_is_returned_unchanged_with_a_warning(shape):
    silence = np.zeros(shape, np.float32)
    assert loudness.integrated_loudness(silence, sr=16000) == -math.inf
    assert loudness.true_peak(silence, sr=16000) == -math.inf
    for call in (lambda: loudness.peak_normalize(silence),
                 lambda: loudness.rms_normalize(silence),
                 lambda: loudness.loudness_normalize(silence, sr=16000).y):
        with pytest.warns(SilentSignalWarning, match="digital silence"):
            out = call()
        assert out.shape == shape and np.all(out == 0) and np.isfinite(out).all()


@pytest.mark.parametrize("seconds", [0.14, 0.25, 0.39])
def test_a_clip_shorter_than_one_block_is_measured_as_one_block(seconds):
    sr = 8000
    short = _sine(seconds, -30, sr=sr)
    steady = loudness.integrated_loudness(_sine(5, -30, sr=sr), sr=sr)
    assert loudness.integrated_loudness(short, sr=sr) == pytest.approx(steady, abs=0.1)
    result = loudness.loudness_normalize(short.astype(np.float32), sr=sr, target_lufs=-23)
    assert result.output_lufs == pytest.approx(-23.0, abs=0.1) and not result.limited


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_input_is_a_clear_error(bad):
    y = np.zeros(8000, np.float32)
    y[10] = bad
    for call in (loudness.integrated_loudness, loudness.true_peak, loudness.loudness_normalize):
        with pytest.raises(ValueError, match="NaN or infinite"):
            call(y, sr=8000)
    with pytest.raises(ValueError, match="NaN or infinite"):
        loudness.peak_normalize(y)


def test_bad_arguments_are_clear_errors():
    y = _sine(1, -20, sr=8000).astype(np.float32)
    with pytest.raises(ValueError, match="integer dtype"):
        loudness.integrated_loudness((y * 32767).astype(np.int16), sr=8000)
    with pytest.raises(ValueError, match="five"):
        loudness.integrated_loudness(np.zeros((6, 8000), np.float32), sr=8000)
    with pytest.raises(ValueError, match="true_peak_ceiling=1 is above 0"):
        loudness.loudness_normalize(y, sr=8000, true_peak_ceiling=1.0)
    with pytest.raises(ValueError, match="peak_db=3 is above 0"):
        loudness.peak_normalize(y, peak_db=3)
    with pytest.raises(ValueError, match="ratio"):
        loudness.compress(y, sr=8000, ratio=0.5)


def test_a_spike_pushed_over_the_ceiling_is_caught_by_the_limiter():
    sr = 16000
    y = _sine(2, -40, sr=sr, freq=440).astype(np.float32)
    y[sr] = 0.5  # a click far above the tone
    result = loudness.loudness_normalize(y, sr=sr, target_lufs=-16.0, true_peak_ceiling=-1.0)
    assert result.limited and result.gain_reduction_db > 10
    assert result.true_peak_db <= -1.0
    assert np.isfinite(result.y).all()
    # away from the click, the tone got exactly the static gain
    gain = 10 ** (result.gain_db / 20)
    np.testing.assert_allclose(result.y[: sr // 2], y[: sr // 2] * gain, rtol=1e-5, atol=1e-7)
    # the click carried much of the energy; once limited, the clip is quieter than the
    # target, and the result says so
    assert result.output_lufs < -16.0


@pytest.mark.parametrize("channels", [1, 2, 5])
def test_loudness_normalize_mono_and_multichannel(channels):
    rng = np.random.default_rng(channels)
    y = (0.02 * rng.standard_normal((channels, 2 * SR))).astype(np.float32)
    y = y[0] if channels == 1 else y
    result = loudness.loudness_normalize(y, sr=SR, target_lufs=-20.0, true_peak_ceiling=-1.0)
    assert result.y.shape == y.shape and result.y.dtype == np.float32
    assert result.output_lufs == pytest.approx(-20.0, abs=0.1 if not result.limited else 0.5)
    assert result.true_peak_db <= -1.0


def test_loudness_over_time_tracks_a_level_step():
    y = _stereo((3, -36), (3, -23))
    times, momentary = loudness.loudness_over_time(y, sr=SR, window=0.4)
    assert momentary[(times > 1) & (times < 2.9)] == pytest.approx(-36.0, abs=0.05)
    assert momentary[times > 3.5] == pytest.approx(-23.0, abs=0.05)
    times, short_term = loudness.loudness_over_time(y, sr=SR, window=3.0)
    assert times[0] == pytest.approx(3.0) and short_term[-1] == pytest.approx(-23.0, abs=0.05)


def test_compress_turns_down_loud_parts_only():
    sr = 16000
    quiet = _sine(1, -40, sr=sr, freq=440).astype(np.float32)
    loud = _sine(1, -4, sr=sr, freq=440).astype(np.float32)
    settle = slice(sr // 2, None)  # after the attack
    out_quiet = loudness.compress(quiet, sr=sr, threshold_db=-20, ratio=4)
    out_loud = loudness.compress(loud, sr=sr, threshold_db=-20, ratio=4)
    assert loudness.peak_db(out_quiet[settle]) == pytest.approx(-40.0, abs=0.1)
    # 16 dB over the threshold at 4:1 leaves about 4 dB over it
    assert loudness.peak_db(out_loud[settle]) == pytest.approx(-16.0, abs=1.5)


def test_limit_holds_a_true_peak_ceiling_and_leaves_the_rest():
    y = _true_peak_case(1 / 4, 0.9, 45.0)[0].astype(np.float32)  # true peak 0.9, samples 0.64
    out = loudness.limit(y, sr=SR, ceiling_db=-6.0)
    assert loudness.true_peak(out, sr=SR) <= -6.0
    quiet = _sine(1, -20, sr=SR).astype(np.float32)
    np.testing.assert_array_equal(loudness.limit(quiet, sr=SR, ceiling_db=-6.0), quiet)


# ---------------------------------------------------------------- a real dataset


@pytest.fixture(scope="module")
def fsdd_files() -> list[Path]:
    files = sorted(FSDD.glob("*.wav"))
    if len(files) != 3000:
        pytest.skip(
            f"the Free Spoken Digit Dataset v1.0.10 is not at {FSDD} ({len(files)} files "
            "found, 3000 expected); put it at ../shared/data/fsdd-v1.0.10/recordings or "
            "point AUDIOTUT_FSDD_DIR at its recordings/"
        )
    return files


def test_normalizing_every_fsdd_recording(fsdd_files, record_property):
    import soundfile as sf

    target, ceiling = -23.0, -1.0
    limited = short = 0
    worst_long = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", SilentSignalWarning)  # none of them is silent
        for path in fsdd_files:
            y, sr = sf.read(path, dtype="float32")
            result = loudness.loudness_normalize(y, sr=sr, target_lufs=target,
                                                 true_peak_ceiling=ceiling)
            out = result.y
            assert out.shape == y.shape and np.isfinite(out).all(), path.name
            assert result.true_peak_db <= ceiling, (path.name, result.true_peak_db)
            short += len(y) < 0.4 * sr
            limited += result.limited
            if len(y) >= 0.4 * sr and not result.limited:
                error = abs(result.output_lufs - target)
                worst_long = max(worst_long, error)
                assert error <= 0.5, (path.name, result.output_lufs)
    record_property("measured", f"FSDD: 3000 files normalized to {target} LUFS / {ceiling} dBTP; "
                                f"{short} shorter than 0.4 s; limiter acted on {limited}; worst "
                                f"loudness error of the unlimited >= 0.4 s files {worst_long:.3f} LU")
    assert 1000 < short < 1600  # the README's "about 43%"


# ---------------------------------------------------------------- DC offset


def test_remove_dc_takes_out_an_offset_and_leaves_the_tone():
    tone = _sine(1.0, -20.0, freq=440.0)                      # peak -20 dBFS
    offset = (tone + 0.3).astype(np.float32)
    # RMS of offset + sine: sqrt(0.3**2 + 0.1**2 / 2)
    assert loudness.rms_db(offset) == pytest.approx(10 * math.log10(0.095), abs=0.01)
    out = loudness.remove_dc(offset)
    assert out.dtype == np.float32 and out.shape == offset.shape
    assert abs(float(np.mean(out))) < 1e-6
    assert loudness.rms_db(out) == pytest.approx(-23.01, abs=0.01)
    assert loudness.peak_db(out) == pytest.approx(-20.0, abs=0.01)
    # BS.1770's K-weighting ignores the offset: the loudness barely moves
    assert loudness.integrated_loudness(offset, sr=SR) == pytest.approx(
        loudness.integrated_loudness(out, sr=SR), abs=0.05)


def test_remove_dc_treats_each_channel_alone():
    tone = _sine(0.5, -12.0).astype(np.float32)
    stereo = np.stack([tone + 0.2, tone - 0.5]).astype(np.float32)
    out = loudness.remove_dc(stereo)
    np.testing.assert_allclose(out.mean(axis=-1), [0.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(out[0], out[1], atol=1e-6)


def test_remove_dc_with_a_cutoff_removes_a_drift_and_keeps_the_band():
    t = np.arange(2 * SR) / SR
    drift = 0.2 * np.sin(2 * np.pi * 2.0 * t)                 # 2 Hz: a slow drift
    tone = _sine(2.0, -20.0, freq=1000.0)
    y = (0.1 + drift + tone).astype(np.float32)
    out = loudness.remove_dc(y, sr=SR, cutoff_hz=20.0)
    assert loudness.rms_db(out - tone.astype(np.float32)) < loudness.rms_db(
        drift.astype(np.float32)) - 40              # the drift is 40+ dB down
    assert loudness.rms_db(out) == pytest.approx(loudness.rms_db(
        tone.astype(np.float32)), abs=0.01)         # 1 kHz passes untouched


def test_remove_dc_errors_name_the_fix():
    y = np.zeros(1000, np.float32)
    with pytest.raises(ValueError, match="needs the sample rate"):
        loudness.remove_dc(y, cutoff_hz=20)
    with pytest.raises(ValueError, match="Nyquist"):
        loudness.remove_dc(y, sr=16000, cutoff_hz=8000)
    with pytest.raises(ValueError, match="integer dtype"):
        loudness.remove_dc(np.zeros(1000, np.int16))
