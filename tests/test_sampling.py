"""audiotut.sampling and audiotut.metrics: aliasing, quantization, SNR."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import peak_frequency, tone

from audiotut.metrics import snr_db
from audiotut.sampling import alias_frequency, pcm_levels, quantize


@pytest.mark.parametrize("sr", [8000, 16000, 22050, 44100])
@pytest.mark.parametrize("freq", [100.0, 3000.0, 5000.0, 9000.0, 12345.0, 30000.0])
def test_alias_frequency_matches_the_sampled_tone(sr, freq):
    y = tone(freq, sr=sr)  # np.sin sampled at sr, 1 Hz bins
    measured = peak_frequency(y, sr=sr)
    assert alias_frequency(freq, sr=sr) == pytest.approx(measured, abs=1.0)


def test_alias_frequency_leaves_frequencies_below_nyquist_alone():
    freqs = np.linspace(0, 22050, 50)
    np.testing.assert_allclose(alias_frequency(freqs, sr=44100), freqs)


def test_alias_frequency_is_within_zero_and_nyquist():
    folded = alias_frequency(np.linspace(0, 200000, 1001), sr=48000)
    assert folded.min() >= 0 and folded.max() <= 24000


@pytest.mark.parametrize("bad", [-1.0, np.nan, np.inf])
def test_alias_frequency_rejects_bad_frequencies(bad):
    with pytest.raises(ValueError, match="freq must be finite"):
        alias_frequency(bad, sr=8000)


def test_quantize_snr_is_six_db_per_bit():
    sr = 48000
    sine = 0.99 * np.sin(2 * np.pi * 997 * np.arange(sr) / sr)
    bits = np.arange(8, 17)
    measured = np.array([snr_db(sine, quantize(sine, bits=int(b))) for b in bits])
    theory = 6.02 * bits + 1.76 + 20 * np.log10(0.99)
    np.testing.assert_allclose(measured, theory, atol=0.3)
    slope = np.polyfit(bits, measured, 1)[0]
    assert slope == pytest.approx(20 * np.log10(2), abs=0.05)


@pytest.mark.parametrize("bits", [1, 2, 3, 8])
def test_quantize_uses_at_most_two_to_the_bits_levels(bits):
    y = np.linspace(-1, 1, 10001).astype(np.float32)
    levels = np.unique(quantize(y, bits=bits))
    assert len(levels) == 2**bits
    assert levels.min() == -1.0 and levels.max() == 1 - 2.0 ** (1 - bits)


def test_quantize_error_is_at_most_half_a_step():
    rng = np.random.default_rng(3)
    y = rng.uniform(-0.9, 0.9, 10000).astype(np.float32)
    step = 2.0**-7
    assert np.max(np.abs(quantize(y, bits=8) - y)) <= step / 2 + 1e-7


def test_pcm_levels_clip_to_the_integer_range():
    np.testing.assert_array_equal(pcm_levels(np.array([-2.0, 2.0, 0.49 / 128]), bits=8), [-128, 127, 0])


@pytest.mark.parametrize("bits", [0, 33, 2.5, True])
def test_quantize_rejects_bad_bit_depths(bits):
    with pytest.raises(ValueError, match="bits must be a whole number from 1 to 32"):
        quantize(np.zeros(4), bits=bits)


def test_quantize_rejects_integer_and_nonfinite_input():
    with pytest.raises(ValueError, match="float signal"):
        quantize(np.zeros(4, dtype=np.int16), bits=8)
    with pytest.raises(ValueError, match="NaN"):
        quantize(np.array([np.nan]), bits=8)


def test_snr_of_a_mix_at_10_db_measures_10_db():
    rng = np.random.default_rng(4)
    signal = tone(440, sr=16000)
    noise = rng.standard_normal(16000)
    noise *= np.sqrt(np.mean(signal**2) / np.mean(noise**2) / 10)  # 10 dB below the signal
    assert snr_db(signal, signal + noise) == pytest.approx(10.0, abs=1e-6)


def test_snr_special_cases():
    y = tone(440, sr=8000)
    assert snr_db(y, y) == float("inf")
    assert snr_db(np.ones(100), np.ones(100) * 1.1) == pytest.approx(20.0)
    with pytest.raises(ValueError, match="same length"):
        snr_db(y, y[:-1])
    with pytest.raises(ValueError, match="silence"):
        snr_db(np.zeros(10), np.ones(10))
    with pytest.raises(ValueError, match="finite"):
        snr_db(np.ones(2), np.array([1.0, np.nan]))
