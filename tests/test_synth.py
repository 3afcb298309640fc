"""audiotut.synth: every property measured from the samples (FFT peaks, Welch PSD
slopes, aliased power, SNR, Schroeder RT60, arrival times), not read back from the code."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

from audiotut import synth
from audiotut.metrics import snr_db

SR = 16000
SPEED_OF_SOUND = 343.0
FRACTIONAL_DELAY = 40  # pyroomacoustics centres an 81-tap fractional-delay filter on each arrival


def _peak_hz(y: np.ndarray, sr: int) -> float:
    """Frequency of the largest FFT bin, refined by parabolic interpolation (Hann window)."""
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    k = int(np.argmax(spectrum))
    a, b, c = np.log(spectrum[k - 1:k + 2])
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * sr / len(y)


# --------------------------------------------------------------------------- tones and sweeps


@pytest.mark.parametrize("freq", [100.0, 440.0, 1234.5, 7000.0])
def test_tone_is_found_at_its_frequency(freq):
    y = synth.tone(freq, sr=SR, duration=1.0, amplitude=0.5)
    assert y.dtype == np.float32 and y.shape == (SR,)
    assert abs(_peak_hz(y, SR) - freq) < 0.5
    assert np.max(np.abs(y)) == pytest.approx(0.5, abs=1e-3)


def test_tone_phase_and_refusals():
    assert synth.tone(100, sr=SR, duration=0.1, phase=np.pi / 2)[0] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="Nyquist"):
        synth.tone(9000, sr=SR, duration=1.0)
    with pytest.raises(ValueError, match="duration"):
        synth.tone(440, sr=SR, duration=0)
    with pytest.raises(ValueError, match="amplitude"):
        synth.tone(440, sr=SR, duration=1.0, amplitude=2.0)


def _frequency_at(y: np.ndarray, seconds: float) -> float:
    centre = int(seconds * SR)
    return _peak_hz(y[centre - 512:centre + 512], SR)


def test_linear_chirp_passes_the_midpoint_halfway():
    y = synth.chirp(100, 4100, sr=SR, duration=2.0)
    assert y.dtype == np.float32
    assert _frequency_at(y, 1.0) == pytest.approx(2100, rel=0.02)
    assert _frequency_at(y, 0.5) == pytest.approx(1100, rel=0.02)


def test_logarithmic_chirp_passes_the_geometric_mean_halfway():
    y = synth.chirp(200, 6400, sr=SR, duration=2.0, method="logarithmic")
    assert _frequency_at(y, 1.0) == pytest.approx(np.sqrt(200 * 6400), rel=0.02)   # 1131 Hz
    assert _frequency_at(y, 0.5) == pytest.approx(200 * 32 ** 0.25, rel=0.03)       # 476 Hz
    with pytest.raises(ValueError, match="method"):
        synth.chirp(100, 200, sr=SR, duration=1.0, method="quadratic")


# --------------------------------------------------------------------------- waveforms


def _aliased_db(y: np.ndarray, freq: float, sr: int) -> float:
    """Power away from the harmonics of ``freq``, relative to the total, in dB."""
    power = np.abs(np.fft.rfft(y * scipy.signal.windows.blackmanharris(len(y)))) ** 2
    freqs = np.fft.rfftfreq(len(y), 1 / sr)
    harmonics = np.arange(1, int(sr / 2 / freq) + 1) * freq
    near = np.min(np.abs(freqs[:, None] - harmonics[None, :]), axis=1) <= 4.0
    return 10 * np.log10(power[~near].sum() / power.sum())


@pytest.mark.parametrize("kind", ["square", "sawtooth", "triangle"])
def test_bandlimited_waveforms_do_not_alias_and_naive_ones_do(kind):
    make = getattr(synth, kind)
    freq = 1234.0                          # its partials above 8 kHz fold between harmonics
    naive = make(freq, sr=SR, duration=1.0, bandlimited=False)
    clean = make(freq, sr=SR, duration=1.0)
    assert naive.dtype == clean.dtype == np.float32
    naive_db, clean_db = _aliased_db(naive, freq, SR), _aliased_db(clean, freq, SR)
    assert naive_db > -50, f"naive {kind}: aliases at only {naive_db:.1f} dB"
    assert clean_db < -90, f"band-limited {kind}: aliases at {clean_db:.1f} dB"
    # the same waveform, apart from the missing partials
    assert np.corrcoef(naive, clean)[0, 1] > 0.95
    assert abs(_peak_hz(clean, SR) - freq) < 1.0


def test_square_has_only_odd_harmonics_at_one_over_k():
    y = synth.square(500, sr=SR, duration=1.0)
    spectrum = np.abs(np.fft.rfft(y)) / (SR / 2)
    amplitudes = spectrum[[500, 1000, 1500, 2000, 2500]]
    expected = 0.8 * 4 / np.pi * np.array([1, 0, 1 / 3, 0, 1 / 5])
    np.testing.assert_allclose(amplitudes, expected, atol=1e-3)


# --------------------------------------------------------------------------- noise


def _slope_db_per_octave(y: np.ndarray, sr: int) -> float:
    freqs, psd = scipy.signal.welch(y, fs=sr, nperseg=4096)
    band = (freqs >= 100) & (freqs <= sr / 4)
    slope, _ = np.polyfit(np.log2(freqs[band]), 10 * np.log10(psd[band]), 1)
    return float(slope)


@pytest.mark.parametrize(("color", "slope"), [("white", 0.0), ("pink", -3.01), ("brown", -6.02)])
def test_noise_spectra_fall_by_the_colour_slope(color, slope):
    y = synth.noise(sr=SR, duration=8.0, color=color, rng=1)
    assert y.dtype == np.float32 and y.shape == (8 * SR,)
    assert np.sqrt(np.mean(y.astype(np.float64) ** 2)) == pytest.approx(0.1, rel=1e-4)
    assert np.max(np.abs(y)) < 1.0
    assert _slope_db_per_octave(y, SR) == pytest.approx(slope, abs=0.5)


def test_noise_is_reproducible_under_a_seed():
    a = synth.noise(sr=SR, duration=0.5, color="pink", rng=7)
    b = synth.noise(sr=SR, duration=0.5, color="pink", rng=np.random.default_rng(7))
    c = synth.noise(sr=SR, duration=0.5, color="pink", rng=8)
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)
    with pytest.raises(ValueError, match="color"):
        synth.noise(sr=SR, duration=1.0, color="blue")
    with pytest.raises(ValueError, match="rng"):
        synth.noise(sr=SR, duration=1.0, rng="seed")


# --------------------------------------------------------------------------- notes


def test_adsr_shape():
    env = synth.adsr(1.0, sr=1000, attack=0.1, decay=0.2, sustain=0.5, release=0.3)
    assert env.dtype == np.float32 and env.shape == (1000,)
    assert env[0] == 0 and env[100] == pytest.approx(1.0) and env[-1] == 0
    assert np.all(env[300:700] == pytest.approx(0.5))
    assert np.all(np.diff(env[:100]) > 0) and np.all(np.diff(env[700:]) < 0)
    short = synth.adsr(0.05, sr=1000, attack=0.1, decay=0.1, release=0.1)   # shrunk to fit
    assert short.shape == (50,) and short.max() <= 1.0 and short[-1] == 0


def test_note_and_melody_pitches():
    y = synth.note("A4", sr=SR, duration=1.0, amplitude=0.3)
    assert y.dtype == np.float32 and np.max(np.abs(y)) <= 0.3 + 1e-6
    assert abs(_peak_hz(y, SR) - 440.0) < 0.5
    phrase = synth.melody([("C4", 1), (None, 1), ("G4", 2)], sr=SR, bpm=120)
    assert phrase.shape == (2 * SR,)
    assert abs(_peak_hz(phrase[:SR // 2], SR) - 261.63) < 1.5
    assert np.all(phrase[SR // 2:SR] == 0)
    assert abs(_peak_hz(phrase[SR:], SR) - 392.0) < 1.0
    with pytest.raises(ValueError, match="H4"):
        synth.note("H4", sr=SR, duration=0.5)


# --------------------------------------------------------------------------- mix


@pytest.mark.parametrize("target", [-5.0, 0.0, 10.0, 30.0])
def test_mix_reaches_the_snr_and_leaves_the_signal_alone(target):
    clean = synth.tone(440, sr=SR, duration=1.0, amplitude=0.3)
    hiss = synth.noise(sr=SR, duration=1.0, color="pink", rng=3)
    mixture = synth.mix(clean, hiss, snr_db=target)
    assert mixture.dtype == np.float32
    scaled_noise = mixture.astype(np.float64) - clean
    measured = 10 * np.log10(np.mean(clean.astype(np.float64) ** 2) / np.mean(scaled_noise**2))
    assert measured == pytest.approx(target, abs=0.05)
    assert snr_db(clean, mixture) == pytest.approx(target, abs=0.05)
    assert np.corrcoef(scaled_noise, hiss)[0, 1] > 0.9999      # only the noise was scaled


def test_mix_refuses_mismatched_or_silent_inputs():
    clean = synth.tone(440, sr=SR, duration=1.0)
    with pytest.raises(ValueError, match="shape"):
        synth.mix(clean, synth.noise(sr=SR, duration=0.5, rng=0), snr_db=10)
    with pytest.raises(ValueError, match="noise is digital silence"):
        synth.mix(clean, np.zeros_like(clean), snr_db=10)
    with pytest.raises(ValueError, match="signal is digital silence"):
        synth.mix(np.zeros_like(clean), clean, snr_db=10)


# --------------------------------------------------------------------------- speech


def _rms_dbfs(y: np.ndarray) -> float:
    return 10 * np.log10(np.mean(y.astype(np.float64) ** 2))


@pytest.mark.parametrize(("text", "voice", "low", "high"), [
    ("The quick brown fox jumps over the lazy dog.", "en", 1.5, 4.5),
    ("안녕하세요", "ko", 0.5, 2.5),
])
def test_speech_is_plausible_speech(text, voice, low, high):
    y = synth.speech(text, sr=SR, voice=voice)
    assert y.dtype == np.float32 and y.ndim == 1
    assert low < len(y) / SR < high
    assert np.max(np.abs(y)) <= 1.0
    assert -35 < _rms_dbfs(y) < -6
    freqs, psd = scipy.signal.welch(y, fs=SR, nperseg=1024)
    assert freqs[np.argmax(psd)] < 1000                     # voiced energy sits low
    again = synth.speech(text, sr=SR, voice=voice)    # eSpeak's pitch flutter carries over
    assert len(again) == pytest.approx(len(y), rel=0.01)
    assert _rms_dbfs(again) == pytest.approx(_rms_dbfs(y), abs=0.5)


def test_speech_resamples_and_names_missing_voices():
    native = synth.speech("hello", sr=22050)
    low = synth.speech("hello", sr=8000)
    assert len(low) == pytest.approx(len(native) * 8000 / 22050, rel=0.01)
    with pytest.raises(ValueError, match=r"'xx-nothing'.*installed.*en"):
        synth.speech("hello", sr=SR, voice="xx-nothing")
    with pytest.raises(ValueError, match="text"):
        synth.speech("  ", sr=SR)


# --------------------------------------------------------------------------- rooms


def _rt60(h: np.ndarray, sr: int) -> float:
    """Schroeder backward integration; T30 (-5 to -35 dB) extrapolated to 60 dB."""
    energy = np.cumsum(h[::-1].astype(np.float64) ** 2)[::-1]
    decay = 10 * np.log10(energy / energy[0])
    start, stop = np.argmax(decay <= -5), np.argmax(decay <= -35)
    assert stop > start, "the impulse response does not decay by 35 dB"
    slope, _ = np.polyfit(np.arange(start, stop) / sr, decay[start:stop], 1)
    return -60.0 / slope


@pytest.mark.parametrize(("room_dim", "rt60"), [([6, 4, 3], 0.4), ([8, 6, 3], 0.3)])
def test_room_reverberation_time_is_as_requested(room_dim, rt60):
    h = synth.room_impulse_response(sr=SR, room_dim=room_dim, rt60=rt60,
                                    source=[1.5, 1.2, 1.5], mics=[[4.2, 2.6, 1.4]])
    assert h.dtype == np.float32 and h.shape[0] == 1
    assert _rt60(h[0], SR) == pytest.approx(rt60, rel=0.2)


def _arrival(h: np.ndarray) -> int:
    """Sample index of the direct sound: the first peak above half the maximum."""
    above = np.flatnonzero(np.abs(h) >= 0.5 * np.max(np.abs(h)))
    first = above[0]
    return int(first + np.argmax(np.abs(h[first:first + 20])))


def test_microphones_hear_the_source_after_their_distance_over_c():
    source = np.array([1.0, 2.0, 1.5])
    mics = np.array([[2.0, 2.0, 1.5], [3.0, 2.0, 1.5], [2.0, 1.0, 1.5]])     # 1, 2, 1.41 m
    h = synth.room_impulse_response(sr=SR, room_dim=[5, 4, 3], rt60=0.25, source=source, mics=mics)
    assert h.shape[0] == 3
    arrivals = np.array([_arrival(row) for row in h])
    expected = np.linalg.norm(mics - source, axis=1) / SPEED_OF_SOUND * SR + FRACTIONAL_DELAY
    np.testing.assert_allclose(arrivals, expected, atol=1.0)
    # inter-microphone delays: 1 m further is 46.6 samples later
    assert arrivals[1] - arrivals[0] == pytest.approx(SR / SPEED_OF_SOUND, abs=1.0)
    # the farther microphone also hears it quieter, by about 1 / r
    assert np.max(np.abs(h[1])) / np.max(np.abs(h[0])) == pytest.approx(0.5, rel=0.15)

    # reverberating an impulse gives back the impulse responses, cut to its length:
    # the simulation is deterministic and reverberate() is a plain convolution
    impulse = np.zeros(4000, dtype=np.float32)
    impulse[0] = 1.0
    wet = synth.reverberate(impulse, sr=SR, room_dim=[5, 4, 3], rt60=0.25, source=source, mics=mics)
    assert wet.shape == (3, 4000) and wet.dtype == np.float32
    np.testing.assert_allclose(wet, h[:, :4000], atol=1e-6)


def test_room_refuses_impossible_setups():
    ok = {"sr": SR, "room_dim": [4, 3, 2.5], "rt60": 0.3, "source": [1, 1, 1], "mics": [[2, 2, 1]]}
    with pytest.raises(ValueError, match=r"source.*not inside the room"):
        synth.room_impulse_response(**{**ok, "source": [5, 1, 1]})
    with pytest.raises(ValueError, match=r"mics\[1\].*not inside"):
        synth.room_impulse_response(**{**ok, "mics": [[2, 2, 1], [2, 2, -1]]})
    with pytest.raises(ValueError, match="rt60=0.05 s is too short"):
        synth.room_impulse_response(**{**ok, "rt60": 0.05})
    with pytest.raises(ValueError, match="minutes"):
        synth.room_impulse_response(**{**ok, "rt60": 5.0})
    with pytest.raises(ValueError, match="mono"):
        synth.reverberate(np.zeros((2, 100), dtype=np.float32), **ok)


def test_voices_lists_languages_and_variants_and_unknown_variants_raise():
    found = synth.voices()
    assert {"en", "en-us", "ko"} <= set(found["voices"])
    assert {"f2", "f3", "m3", "croak"} <= set(found["variants"])
    plain = synth.speech("hello", sr=16000, voice="en")
    variant = synth.speech("hello", sr=16000, voice="en+f3")
    assert len(variant) != len(plain) or not np.array_equal(variant, plain)  # really another voice
    for bad in ("en+f9", "en+nonsense"):     # eSpeak itself would speak plain "en"
        with pytest.raises(ValueError, match=r"variant '(f9|nonsense)'.*synth.voices\(\)"):
            synth.speech("hello", sr=16000, voice=bad)
