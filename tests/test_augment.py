"""audiotut.augment and audiotut.metrics.rt60: every effect measured from its output samples
(FFT peaks, lengths, filter gains at chosen frequencies, echo arrival times, Schroeder RT60,
THD, SNR), against values known independently of the code."""

from __future__ import annotations

import numpy as np
import pytest

from audiotut import augment, synth
from audiotut.metrics import rt60, snr_db

SR = 16000


def _peak_hz(y: np.ndarray, sr: int = SR) -> float:
    """Frequency of the largest FFT bin, refined by parabolic interpolation (Hann window)."""
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    k = int(np.argmax(spectrum))
    a, b, c = np.log(spectrum[k - 1:k + 2])
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * sr / len(y)


def _amplitude_at(y: np.ndarray, freq: float, sr: int = SR) -> float:
    """Amplitude of the component at ``freq`` by least squares on a sine/cosine pair."""
    t = np.arange(len(y)) / sr
    basis = np.stack([np.sin(2 * np.pi * freq * t), np.cos(2 * np.pi * freq * t)], axis=1)
    coef, *_ = np.linalg.lstsq(basis, y.astype(np.float64), rcond=None)
    return float(np.hypot(*coef))


def _gain_db(effect, freq: float, sr: int = SR, **kwargs) -> float:
    """Steady-state gain of an effect at ``freq``, from a sine (the first 0.25 s dropped)."""
    y = synth.tone(freq, sr=sr, duration=1.0, amplitude=0.25)
    out = effect(y, sr=sr, **kwargs)
    skip = sr // 4
    return 20 * np.log10(_amplitude_at(out[skip:], freq, sr) / _amplitude_at(y[skip:], freq, sr))


def _sine(freq: float = 440.0, seconds: float = 1.0) -> np.ndarray:
    return synth.tone(freq, sr=SR, duration=seconds, amplitude=0.5)


def _impulse(n: int) -> np.ndarray:
    y = np.zeros(n, dtype=np.float32)
    y[0] = 1.0
    return y


# --------------------------------------------------------------------------- pitch and time


@pytest.mark.parametrize(("semitones", "expected"), [(2.0, 493.883), (-5.0, 329.628),
                                                     (12.0, 880.0)])
def test_pitch_shift_moves_a_tone_to_the_expected_frequency(semitones, expected,
                                                            record_property):
    y = _sine(440.0)
    out = augment.pitch_shift(y, sr=SR, semitones=semitones)
    assert out.shape == y.shape and out.dtype == np.float32
    measured = _peak_hz(out[SR // 4:3 * SR // 4])
    record_property("measured", f"440 Hz {semitones:+g} st -> {measured:.2f} Hz "
                                f"(expected {expected:.2f})")
    assert measured == pytest.approx(expected, abs=0.5)
    # the level stays about the same in the middle
    assert np.std(out[SR // 4:3 * SR // 4]) == pytest.approx(np.std(y), rel=0.1)
    # each channel of a stereo signal is shifted
    stereo = augment.pitch_shift(np.stack([y, _sine(660.0)]), sr=SR, semitones=semitones)
    assert stereo.shape == (2, SR)
    assert _peak_hz(stereo[0, SR // 4:3 * SR // 4]) == pytest.approx(expected, abs=0.5)
    assert _peak_hz(stereo[1, SR // 4:3 * SR // 4]) == pytest.approx(expected * 1.5, abs=0.75)


def test_pitch_shift_keeps_clicks_sharp():
    """Why Rubber Band: a click train stays clicks (the phase vocoder smears them)."""
    y = np.zeros(2 * SR, dtype=np.float32)
    positions = np.arange(800, 2 * SR - 800, 1600)
    y[positions] = 0.9
    out = augment.pitch_shift(y, sr=SR, semitones=2.0)
    near = np.zeros(len(y), dtype=bool)
    for p in positions:
        near[p - 80:p + 81] = True                              # 5 ms either side
    energy = out.astype(np.float64) ** 2
    assert 10 * np.log10(energy[~near].sum() / energy.sum()) < -15


@pytest.mark.parametrize("rate", [2.0, 1.3, 0.8, 0.7])
def test_time_stretch_changes_length_not_pitch(rate, record_property):
    y = _sine(440.0)
    out = augment.time_stretch(y, sr=SR, rate=rate)
    assert out.dtype == np.float32 and out.shape == (round(SR / rate),)
    middle = out[len(out) // 4:3 * len(out) // 4]
    measured = _peak_hz(middle)
    record_property("measured", f"time_stretch rate {rate}: {len(out)} samples, {measured:.2f} Hz")
    assert measured == pytest.approx(440.0, abs=0.5)


def test_time_stretch_moves_clicks_to_the_stretched_times():
    y = np.zeros(SR, dtype=np.float32)
    positions = np.arange(800, SR - 800, 1600)
    y[positions] = 0.9
    out = augment.time_stretch(y, sr=SR, rate=0.8)
    expected = np.round(positions / 0.8).astype(int)
    found = [int(np.argmax(np.abs(out[e - 160:e + 161]))) + e - 160 for e in expected]
    np.testing.assert_allclose(found, expected, atol=48)         # within 3 ms (one hop)


@pytest.mark.parametrize(("factor", "freq"), [(2.0, 880.0), (0.5, 220.0), (1.25, 550.0)])
def test_change_speed_moves_pitch_and_duration_together(factor, freq):
    y = _sine(440.0)
    out = augment.change_speed(y, sr=SR, factor=factor)
    assert out.dtype == np.float32 and out.shape == (round(SR / factor),)
    assert _peak_hz(out[len(out) // 4:3 * len(out) // 4]) == pytest.approx(freq, abs=0.5)


def test_pitch_and_time_refuse_bad_values():
    y = _sine()
    with pytest.raises(ValueError, match=r"semitones=30 is outside \[-24, 24\]"):
        augment.pitch_shift(y, sr=SR, semitones=30)
    with pytest.raises(ValueError, match=r"semitones=-24.5 is outside"):
        augment.pitch_shift(y, sr=SR, semitones=-24.5)
    for bad in (0, -1.0, np.nan, np.inf, "2", True):
        with pytest.raises(ValueError, match="rate must be a positive finite number"):
            augment.time_stretch(y, sr=SR, rate=bad)
        with pytest.raises(ValueError, match="factor must be a positive finite number"):
            augment.change_speed(y, sr=SR, factor=bad)
    with pytest.raises(ValueError, match="semitones must be a finite number"):
        augment.pitch_shift(y, sr=SR, semitones=np.nan)
    with pytest.raises(ValueError, match="less than one sample"):
        augment.change_speed(y[:10], sr=SR, factor=100.0)
    with pytest.raises(ValueError, match="at least 1024"):
        augment.pitch_shift(y[:500], sr=SR, semitones=2)


# --------------------------------------------------------------------------- level and time


def test_gain_scales_by_decibels():
    y = _sine()
    for db in (-20.0, -6.0, 0.0, 3.0):
        out = augment.gain(y, db=db)
        assert 20 * np.log10(np.std(out) / np.std(y)) == pytest.approx(db, abs=1e-3)
    with pytest.raises(ValueError, match="db must be a finite number"):
        augment.gain(y, db=np.inf)


def test_shift_moves_later_and_earlier():
    y = np.arange(1, 11, dtype=np.float32)
    np.testing.assert_array_equal(augment.shift(y, sr=10, seconds=0.3, mode="pad"),
                                  [0, 0, 0, 1, 2, 3, 4, 5, 6, 7])
    np.testing.assert_array_equal(augment.shift(y, sr=10, seconds=-0.3, mode="roll"),
                                  [4, 5, 6, 7, 8, 9, 10, 1, 2, 3])
    click = _impulse(SR)
    assert np.argmax(augment.shift(click, sr=SR, seconds=0.25, mode="pad")) == 4000
    stereo = np.stack([y, -y])
    out = augment.shift(stereo, sr=10, seconds=0.2, mode="pad")
    np.testing.assert_array_equal(out[1], -augment.shift(y, sr=10, seconds=0.2, mode="pad"))
    with pytest.raises(ValueError, match="nothing would be left"):
        augment.shift(y, sr=10, seconds=1.0, mode="pad")
    with pytest.raises(ValueError, match="mode must be 'roll' or 'pad'"):
        augment.shift(y, sr=10, seconds=0.1, mode="wrap")


def test_fade_curve():
    y = np.ones(SR, dtype=np.float32)
    out = augment.fade(y, sr=SR, fade_in=0.1, fade_out=0.2)
    assert out[0] == 0.0 and out[-1] == 0.0
    assert out[800] == pytest.approx(0.5, abs=1e-3)                # halfway in: -6 dB
    assert out[SR - 1600] == pytest.approx(0.5, abs=1e-3)          # halfway out
    np.testing.assert_array_equal(out[1600:SR - 3200], 1.0)        # untouched between
    assert np.all(np.diff(out[:1600]) >= 0) and np.all(np.diff(out[-3200:]) <= 0)
    # raised cosine: zero slope at both ends of the fade, unlike a linear ramp
    assert out[1] < 1e-5 and 1 - out[1599] < 1e-5
    with pytest.raises(ValueError, match="longer than the clip"):
        augment.fade(y, sr=SR, fade_in=0.6, fade_out=0.5)
    with pytest.raises(ValueError, match="longer than the clip"):
        augment.fade(y, sr=SR, fade_in=1.5)
    with pytest.raises(ValueError, match="fade_out must be a number of seconds >= 0"):
        augment.fade(y, sr=SR, fade_out=-0.1)


# --------------------------------------------------------------------------- filters


def test_highpass_and_lowpass_responses(record_property):
    at_cut_hp = _gain_db(augment.highpass, 1000.0, cutoff_hz=1000)
    stop_hp = _gain_db(augment.highpass, 250.0, cutoff_hz=1000)     # two octaves below
    pass_hp = _gain_db(augment.highpass, 5000.0, cutoff_hz=1000)
    at_cut_lp = _gain_db(augment.lowpass, 1000.0, cutoff_hz=1000)
    stop_lp = _gain_db(augment.lowpass, 4000.0, cutoff_hz=1000)      # two octaves above
    pass_lp = _gain_db(augment.lowpass, 200.0, cutoff_hz=1000)
    record_property("measured", f"4th-order Butterworth, cutoff 1 kHz: highpass "
                                f"{at_cut_hp:.2f} dB at cutoff, {stop_hp:.1f} dB at 250 Hz; "
                                f"lowpass {at_cut_lp:.2f} dB at cutoff, {stop_lp:.1f} dB at 4 kHz")
    assert at_cut_hp == pytest.approx(-3.01, abs=0.1)
    assert at_cut_lp == pytest.approx(-3.01, abs=0.1)
    assert stop_hp < -45 and stop_lp < -45                       # 24 dB per octave
    assert abs(pass_hp) < 0.1 and abs(pass_lp) < 0.1
    # order 2: 12 dB per octave, -3 dB at the cutoff still
    assert _gain_db(augment.highpass, 250.0, cutoff_hz=1000, order=2) == pytest.approx(-24.1,
                                                                                      abs=0.5)


@pytest.mark.parametrize(("effect", "far", "near"), [(augment.highshelf, 6000.0, 100.0),
                                                     (augment.lowshelf, 60.0, 6000.0)])
@pytest.mark.parametrize("gain_db", [9.0, -12.0])
def test_shelves_reach_their_gain_far_into_the_shelf(effect, far, near, gain_db):
    assert _gain_db(effect, far, cutoff_hz=1000, gain_db=gain_db) == pytest.approx(gain_db,
                                                                                   abs=0.3)
    assert _gain_db(effect, 1000.0, cutoff_hz=1000, gain_db=gain_db) == pytest.approx(
        gain_db / 2, abs=0.3)
    assert abs(_gain_db(effect, near, cutoff_hz=1000, gain_db=gain_db)) < 0.3


def test_filters_refuse_bad_cutoffs():
    y = _sine()
    for effect, extra in ((augment.highpass, {}), (augment.lowpass, {}),
                          (augment.highshelf, {"gain_db": 3}), (augment.lowshelf, {"gain_db": 3})):
        for bad in (0, -100, 8000, 9000, np.nan):
            with pytest.raises(ValueError, match="cutoff_hz"):
                effect(y, sr=SR, cutoff_hz=bad, **extra)
    with pytest.raises(ValueError, match="order must be a whole number from 1 to 8"):
        augment.lowpass(y, sr=SR, cutoff_hz=1000, order=20)
    with pytest.raises(ValueError, match="q must be a positive"):
        augment.highshelf(y, sr=SR, cutoff_hz=1000, gain_db=3, q=0)
    with pytest.raises(ValueError, match="gain_db must be a finite number"):
        augment.lowshelf(y, sr=SR, cutoff_hz=1000, gain_db=np.nan)


# --------------------------------------------------------------------------- effects


@pytest.mark.parametrize("delay", [0.01, 0.1, 0.0123, 0.25])
def test_echo_of_a_click_arrives_delay_later(delay):
    out = augment.echo(_impulse(SR), sr=SR, delay=delay, feedback=0.5, mix=0.5)
    k = round(delay * SR)
    arrivals = np.flatnonzero(np.abs(out) > 1e-3)
    np.testing.assert_array_equal(arrivals[:3], [0, k, 2 * k])
    np.testing.assert_allclose(out[[0, k, 2 * k]], [0.5, 0.5, 0.25], atol=1e-6)


def test_echo_refuses_bad_values():
    y = _sine()
    with pytest.raises(ValueError, match="delay=31 s must be between"):
        augment.echo(y, sr=SR, delay=31)
    with pytest.raises(ValueError, match="delay=1e-05 s must be between one sample"):
        augment.echo(y, sr=SR, delay=1e-5)
    with pytest.raises(ValueError, match=r"feedback must be 0 <= value < 1, got 1"):
        augment.echo(y, sr=SR, delay=0.1, feedback=1)
    with pytest.raises(ValueError, match="mix must be between 0 and 1"):
        augment.echo(y, sr=SR, delay=0.1, mix=1.5)


def test_reverb_with_a_room_impulse_response_has_its_rt60(record_property):
    h = synth.room_impulse_response(sr=SR, room_dim=[6, 4, 3], rt60=0.4,
                                    source=[1.5, 1.2, 1.5], mics=[[4.2, 2.6, 1.4]])[0]
    out = augment.reverb(_impulse(len(h)), sr=SR, room=h)
    measured = rt60(out, sr=SR)
    record_property("measured", f"reverb(room=IR of RT60 0.4 s) measures RT60 {measured:.3f} s")
    assert measured == pytest.approx(0.4, rel=0.1)
    # the direct path at unit gain, at the time of the input's sample
    assert out[0] == pytest.approx(1.0) and np.argmax(np.abs(out)) == 0
    # output length = input length: the tail is cut
    speech_like = _sine(300.0, 0.25)
    wet = augment.reverb(speech_like, sr=SR, room=h)
    assert wet.shape == speech_like.shape
    # a plain convolution, shifted by the direct-path delay and scaled
    direct = int(np.argmax(np.abs(h)))
    expected = np.convolve(speech_like.astype(np.float64), h / h[direct])[direct:direct + 4000]
    np.testing.assert_allclose(wet, expected, atol=1e-5)


def test_algorithmic_reverb_rings_longer_in_a_larger_room(record_property):
    impulse = _impulse(5 * SR)
    times = {size: rt60(augment.reverb(impulse, sr=SR, room_size=size, wet_level=1.0,
                                       dry_level=0.0), sr=SR)
             for size in (0.3, 0.8)}
    record_property("measured", "pedalboard Reverb RT60: " + ", ".join(
        f"room_size {size}: {value:.2f} s" for size, value in times.items()))
    assert times[0.8] > 1.5 * times[0.3] > 0.3
    documented = {0.3: 0.72, 0.5: 0.99, 0.8: 2.24}      # reverb's docstring, defaults
    for size, seconds in documented.items():
        assert rt60(augment.reverb(impulse, sr=SR, room_size=size), sr=SR) == \
            pytest.approx(seconds, abs=0.03)


def test_reverb_refuses_bad_values():
    y = _sine()
    with pytest.raises(ValueError, match="room_size must be between 0 and 1"):
        augment.reverb(y, sr=SR, room_size=1.5)
    with pytest.raises(ValueError, match="wet_level must be between 0 and 1"):
        augment.reverb(y, sr=SR, wet_level=-0.1)
    with pytest.raises(ValueError, match=r"row \[0\]"):
        augment.reverb(y, sr=SR, room=np.zeros((2, 100), dtype=np.float32))
    with pytest.raises(ValueError, match="room is all zeros"):
        augment.reverb(y, sr=SR, room=np.zeros(100, dtype=np.float32))
    with pytest.raises(ValueError, match="room holds 1 NaN"):
        augment.reverb(y, sr=SR, room=np.array([1.0, np.nan]))


def _thd(y: np.ndarray, freq: int) -> float:
    """Total harmonic distortion of a whole number of periods (1 s, exact FFT bins)."""
    power = np.abs(np.fft.rfft(y.astype(np.float64))) ** 2
    return float(np.sqrt((power.sum() - power[0] - power[freq]) / power[freq]))


def test_distortion_grows_with_drive(record_property):
    y = synth.tone(500, sr=SR, duration=1.0, amplitude=0.5)
    assert _thd(y, 500) < 1e-3
    thd = {drive: _thd(augment.distort(y, drive_db=drive), 500) for drive in (0, 6, 20, 40)}
    record_property("measured", "THD of a 0.5 sine: " + ", ".join(
        f"{drive} dB: {100 * value:.1f} %" for drive, value in thd.items()))
    values = list(thd.values())
    assert all(a < b for a, b in zip(values, values[1:]))
    assert values[0] > 0.005 and values[-1] > 0.3
    assert np.max(np.abs(augment.distort(y, drive_db=40))) <= 1.0
    with pytest.raises(ValueError, match="drive_db must be between 0 and 100"):
        augment.distort(y, drive_db=-3)


# --------------------------------------------------------------------------- noise and mixing


@pytest.mark.parametrize("color", ["white", "pink", "brown"])
@pytest.mark.parametrize("target", [20.0, 0.0, -5.0])
def test_add_noise_reaches_the_snr(color, target):
    clean = _sine(440.0, 0.5)
    noisy = augment.add_noise(clean, sr=SR, snr_db=target, color=color, rng=1)
    assert noisy.dtype == np.float32 and noisy.shape == clean.shape
    assert snr_db(clean, noisy) == pytest.approx(target, abs=0.05)


def test_add_noise_is_reproducible_and_multichannel():
    clean = np.stack([_sine(440.0, 0.5), _sine(660.0, 0.5)])
    a = augment.add_noise(clean, sr=SR, snr_db=10, color="pink", rng=3)
    b = augment.add_noise(clean, sr=SR, snr_db=10, color="pink", rng=np.random.default_rng(3))
    c = augment.add_noise(clean, sr=SR, snr_db=10, color="pink", rng=4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert snr_db(clean, a) == pytest.approx(10, abs=0.05)
    white = augment.add_noise(clean, sr=SR, snr_db=10, rng=3) - clean
    assert abs(np.corrcoef(white)[0, 1]) < 0.05             # independent noise in each channel


def test_add_noise_loops_a_short_noise_and_crops_a_long_one():
    clean = _sine(440.0, 0.5)                                        # 8000 samples
    short = synth.noise(sr=SR, duration=0.1, rng=0)                  # 1600 samples
    out = augment.add_noise(clean, sr=SR, snr_db=6.0, color=short)
    added = (out - clean).astype(np.float64)
    np.testing.assert_allclose(added[1600:3200], added[:1600], atol=1e-6)   # looped
    scale = added[:1600] @ short / (short @ short)
    np.testing.assert_allclose(added[:1600], scale * short, atol=1e-6)
    assert snr_db(clean, out) == pytest.approx(6.0, abs=0.05)

    long = synth.noise(sr=SR, duration=2.0, rng=1)                   # 32000 samples
    outs = [augment.add_noise(clean, sr=SR, snr_db=6.0, color=long, rng=seed) for seed in (0, 1)]
    offsets = []
    for noisy in outs:
        added = (noisy - clean).astype(np.float64)
        corr = np.correlate(long, added, mode="valid")              # where it was cut from
        offset = int(np.argmax(corr))
        scale = added @ long[offset:offset + 8000] / (long[offset:offset + 8000] @
                                                      long[offset:offset + 8000])
        np.testing.assert_allclose(added, scale * long[offset:offset + 8000], atol=1e-6)
        offsets.append(offset)
    assert offsets[0] != offsets[1]
    # the same rng crops at the same offset
    np.testing.assert_array_equal(outs[0], augment.add_noise(clean, sr=SR, snr_db=6.0,
                                                             color=long, rng=0))


def test_add_noise_refuses_bad_values():
    clean = _sine(440.0, 0.5)
    for bad in (np.nan, np.inf, -np.inf):
        with pytest.raises(ValueError, match="snr_db must be a finite number"):
            augment.add_noise(clean, sr=SR, snr_db=bad)
    with pytest.raises(ValueError, match="color must be one of"):
        augment.add_noise(clean, sr=SR, snr_db=10, color="blue")
    with pytest.raises(ValueError, match="noise array has 3 channels"):
        augment.add_noise(np.stack([clean, clean]), sr=SR, snr_db=10,
                          color=np.ones((3, 100), dtype=np.float32))
    with pytest.raises(ValueError, match="signal is digital silence"):
        augment.add_noise(np.zeros(100, dtype=np.float32), sr=SR, snr_db=10)
    with pytest.raises(ValueError, match="rng must be"):
        augment.add_noise(clean, sr=SR, snr_db=10, rng=-1)


def test_mix_sources_sets_relative_levels(record_property):
    a = synth.tone(440, sr=SR, duration=1.0, amplitude=0.3)
    b = synth.tone(1000, sr=SR, duration=1.0, amplitude=0.3)
    mixed = augment.mix_sources([a, b], gains_db=[0.0, -9.0])
    relative = 20 * np.log10(_amplitude_at(mixed, 1000) / _amplitude_at(mixed, 440))
    record_property("measured", f"mix_sources gains 0 / -9 dB: measured {relative:.3f} dB")
    assert relative == pytest.approx(-9.0, abs=0.01)
    assert _amplitude_at(mixed, 440) == pytest.approx(0.3, rel=1e-3)
    stereo = augment.mix_sources([np.stack([a, b]), np.stack([b, a])], gains_db=[-6, -6])
    assert stereo.shape == (2, SR)
    with pytest.raises(ValueError, match="one gain per source"):
        augment.mix_sources([a, b], gains_db=[0.0])
    with pytest.raises(ValueError, match=r"sources\[1\] has shape \(8000,\)"):
        augment.mix_sources([a, b[:8000]], gains_db=[0, 0])
    with pytest.raises(ValueError, match="non-empty list"):
        augment.mix_sources([], gains_db=[])
    with pytest.raises(ValueError, match=r"gains_db\[1\] must be a finite number"):
        augment.mix_sources([a, b], gains_db=[0, np.nan])


# --------------------------------------------------------------------------- rt60


def _decaying_noise(seconds: float, rt60_s: float, seed: int = 0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return np.random.default_rng(seed).standard_normal(len(t)) * 10 ** (-3 * t / rt60_s)


def test_rt60_of_exponentially_decaying_noise():
    for expected in (0.3, 0.8):
        assert rt60(_decaying_noise(2 * expected, expected), sr=SR) == pytest.approx(expected,
                                                                                    rel=0.03)
    both = np.stack([_decaying_noise(1.0, 0.3), _decaying_noise(1.0, 0.5, seed=1)])
    np.testing.assert_allclose(rt60(both, sr=SR), [0.3, 0.5], rtol=0.03)


def test_rt60_refuses_what_it_cannot_measure():
    with pytest.raises(ValueError, match="decays by only 30.0 dB .* not the 35 dB"):
        rt60(np.ones(1000), sr=SR)                                  # no decay: a cut step
    with pytest.raises(ValueError, match="h is all zeros"):
        rt60(np.zeros(100), sr=SR)
    with pytest.raises(ValueError, match="integer dtype"):
        rt60(np.ones(100, dtype=np.int16), sr=SR)
    with pytest.raises(ValueError, match="NaN"):
        rt60(np.array([1.0, np.nan, 0.5]), sr=SR)


# --------------------------------------------------------------------------- every effect

EFFECTS = {
    "pitch_shift": lambda y: augment.pitch_shift(y, sr=SR, semitones=3),
    "time_stretch": lambda y: augment.time_stretch(y, sr=SR, rate=1.25),
    "change_speed": lambda y: augment.change_speed(y, sr=SR, factor=1.25),
    "gain": lambda y: augment.gain(y, db=-3),
    "shift": lambda y: augment.shift(y, sr=SR, seconds=0.01, mode="pad"),
    "fade": lambda y: augment.fade(y, sr=SR, fade_in=0.05, fade_out=0.05),
    "highpass": lambda y: augment.highpass(y, sr=SR, cutoff_hz=500),
    "lowpass": lambda y: augment.lowpass(y, sr=SR, cutoff_hz=500),
    "highshelf": lambda y: augment.highshelf(y, sr=SR, cutoff_hz=500, gain_db=6),
    "lowshelf": lambda y: augment.lowshelf(y, sr=SR, cutoff_hz=500, gain_db=6),
    "echo": lambda y: augment.echo(y, sr=SR, delay=0.05),
    "reverb": lambda y: augment.reverb(y, sr=SR),
    "reverb_room": lambda y: augment.reverb(y, sr=SR, room=_decaying_noise(0.2, 0.1)),
    "distort": lambda y: augment.distort(y, drive_db=12),
    "add_noise": lambda y: augment.add_noise(y, sr=SR, snr_db=10, rng=0),
    "mix_sources": lambda y: augment.mix_sources([y, y], gains_db=[0, -6]),
}
# effects that treat every channel alike and on its own
PER_CHANNEL = {"pitch_shift", "time_stretch", "change_speed", "gain", "shift", "fade", "highpass",
               "lowpass", "highshelf", "lowshelf", "echo", "reverb_room", "distort",
               "mix_sources"}


@pytest.mark.parametrize("name", sorted(EFFECTS))
def test_effect_keeps_layout_and_input(name):
    effect = EFFECTS[name]
    rng = np.random.default_rng(0)
    stereo = (0.2 * rng.standard_normal((2, 4000))).astype(np.float32)
    before = stereo.copy()
    out = effect(stereo)
    np.testing.assert_array_equal(stereo, before)                   # never in place
    assert out.dtype == np.float32 and out.ndim == 2 and out.shape[0] == 2
    assert np.all(np.isfinite(out)) and out is not stereo
    mono = effect(stereo[0])
    np.testing.assert_array_equal(stereo, before)
    assert mono.dtype == np.float32 and mono.shape == out.shape[1:]
    if name in PER_CHANNEL:
        np.testing.assert_allclose(out[0], mono, atol=1e-5)
    # float64 input is accepted and gives float32
    assert effect(stereo[0].astype(np.float64)).dtype == np.float32


@pytest.mark.parametrize("name", sorted(EFFECTS))
def test_effect_refuses_bad_signals(name):
    effect = EFFECTS[name]
    with pytest.raises(ValueError, match="integer dtype"):
        effect(np.ones(4000, dtype=np.int16))
    with pytest.raises(ValueError, match="channel-first"):
        effect(np.zeros((4000, 2), dtype=np.float32))
    with pytest.raises(ValueError, match=r"expected \(n,\) for mono"):
        effect(np.zeros((1, 2, 4000), dtype=np.float32))
    bad = np.full(4000, 0.1, dtype=np.float32)
    bad[10] = np.nan
    with pytest.raises(ValueError, match="1 NaN or infinite"):
        effect(bad)
    with pytest.raises(ValueError, match="numpy array"):
        effect([0.1] * 4000)


def test_pedalboard_quirks_are_handled():
    # pedalboard refuses square arrays (it cannot tell channels from samples)
    square = np.array([[0.5, 0.2], [0.1, -0.3]], dtype=np.float32)
    out = augment.highshelf(square, sr=SR, cutoff_hz=1000, gain_db=6)
    assert out.shape == (2, 2)
    np.testing.assert_allclose(out[1], augment.highshelf(square[1], sr=SR, cutoff_hz=1000,
                                                         gain_db=6), atol=1e-6)
    # no state carried from one call to the next
    y = _sine(440.0, 0.5)
    first = augment.reverb(y, sr=SR)
    np.testing.assert_array_equal(first, augment.reverb(y, sr=SR))
    np.testing.assert_array_equal(augment.echo(y, sr=SR, delay=0.1),
                                  augment.echo(y, sr=SR, delay=0.1))


def test_energy_decay_is_schroeders_curve():
    from audiotut.metrics import energy_decay
    sr = 16000
    t = np.arange(sr) / sr
    h = 10 ** (-3 * t / 0.5)                          # amplitude falls 60 dB in 0.5 s
    decay = energy_decay(h)
    assert decay[0] == 0.0
    # the remaining energy of an exponential falls as fast as the exponential itself
    # (minus the bit the cut at 1 s removes)
    assert decay[sr // 10] == pytest.approx(-12.0, abs=0.01)
    assert np.all(np.diff(decay) <= 0)
    stereo = np.stack([h, np.concatenate([h[: sr // 2], np.zeros(sr // 2)])])
    both = energy_decay(stereo)
    assert both.shape == (2, sr) and np.isneginf(both[1, -1]) and np.isfinite(both[1, sr // 2 - 1])
    with pytest.raises(ValueError, match="all zeros"):
        energy_decay(np.zeros(100))
    with pytest.raises(ValueError, match="integer"):
        energy_decay(np.ones(100, dtype=np.int16))
