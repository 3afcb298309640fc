"""audiotut.spectral: the swapped results follow the phase they were given (measured by
correlation), spectral convergence is the relative magnitude error it claims to be, and
Griffin-Lim improves with iterations, beats random and zero phase, and is reproducible."""

from __future__ import annotations

import numpy as np
import pytest

from audiotut.features import FeatureConfig
from audiotut.spectral import reconstruct, spectral_convergence, swap_fft2, swap_stft

SR = 16000
CFG = FeatureConfig(sr=SR, n_fft=512, n_mels=40)


def _corr(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.corrcoef(x.ravel(), y.ravel())[0, 1])


def _chord(n: int = SR) -> np.ndarray:
    """C major triad, steady: all of its structure is in frequency."""
    t = np.arange(n) / SR
    return (0.2 * sum(np.sin(2 * np.pi * f * t) for f in (262.0, 330.0, 392.0))).astype(np.float32)


def _bursts(n: int = SR) -> np.ndarray:
    """Noise switched on for 60 ms every 200 ms: all of its structure is in time."""
    t = np.arange(n) / SR
    noise = np.random.default_rng(0).normal(0, 0.2, n)
    return (noise * ((t * 5) % 1 < 0.3)).astype(np.float32)


# ------------------------------------------------------------------ images


def _images(size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Two grayscale scenes with nothing in common: a disk and a square, and a cross."""
    yy, xx = np.mgrid[:size, :size] / size
    a = ((xx - 0.3) ** 2 + (yy - 0.35) ** 2 < 0.04).astype(float)
    a += ((np.abs(xx - 0.7) < 0.12) & (np.abs(yy - 0.7) < 0.12)) * 0.6
    b = ((np.abs(xx - yy) < 0.06) | (np.abs(xx + yy - 1) < 0.06)).astype(float) + 0.5 * xx
    return a, b


def test_swap_fft2_results_look_like_the_image_whose_phase_they_have():
    a, b = _images()
    ab, ba = swap_fft2(a, b)
    assert ab.shape == a.shape and ab.dtype == np.float64
    # measured on these images: corr(ab, b) = 0.56 vs corr(ab, a) = 0.02; ba: 0.55 vs 0.04
    assert _corr(ab, b) > _corr(ab, a) + 0.2
    assert _corr(ba, a) > _corr(ba, b) + 0.2
    # and each result has the one magnitude and the other phase, wherever that phase is
    # defined (b is symmetric, so many of its coefficients are 0 up to rounding noise)
    A, B, AB = np.fft.fft2(a), np.fft.fft2(b), np.fft.fft2(ab)
    strong = (np.abs(A) > 1e-6 * np.abs(A).max()) & (np.abs(B) > 1e-6 * np.abs(B).max())
    assert strong.mean() > 0.3  # about half of the coefficients
    np.testing.assert_allclose(np.abs(AB[strong]), np.abs(A[strong]), rtol=1e-6)
    phase_error = np.angle(AB[strong] * np.conj(B[strong]))
    assert float(np.max(np.abs(phase_error))) < 1e-6


def test_swap_fft2_with_itself_and_bad_inputs():
    a, _ = _images()
    same, _ = swap_fft2(a, a)
    np.testing.assert_allclose(same, a, atol=1e-12)
    with pytest.raises(ValueError, match=r"a has shape \(64, 64\) but b has shape \(32, 32\)"):
        swap_fft2(a, a[:32, :32])
    with pytest.raises(ValueError, match=r"shape \(64, 64, 3\).*average the channels"):
        swap_fft2(np.stack([a] * 3, axis=-1), a)
    with pytest.raises(ValueError, match="dtype complex128"):
        swap_fft2(a, np.fft.fft2(a))


# ------------------------------------------------------------------ signals


def test_swap_stft_waveform_follows_the_phase_and_spectrogram_the_magnitude():
    chord, bursts = _chord(), _bursts()
    ab, ba = swap_stft(chord, bursts, config=CFG)  # chord magnitude + burst phase, and back
    assert ab.shape == chord.shape and ab.dtype == np.float32
    # waveforms, measured: corr(ab, bursts) = 0.16 vs corr(ab, chord) = 0.00;
    # corr(ba, chord) = 0.33 vs corr(ba, bursts) = 0.00
    assert _corr(ab, bursts) > _corr(ab, chord) + 0.1
    assert _corr(ba, chord) > _corr(ba, bursts) + 0.2
    # spectrograms, measured: ab is 0.74 from the chord's and 1.47 from the bursts'
    assert spectral_convergence(chord, ab, config=CFG) < spectral_convergence(bursts, ab, config=CFG)
    assert spectral_convergence(bursts, ba, config=CFG) < spectral_convergence(chord, ba, config=CFG)


def test_swap_stft_with_itself_gives_the_signal_back_and_refuses_mismatches():
    y = _bursts(12345)
    same, _ = swap_stft(y, y, config=CFG)
    assert float(np.max(np.abs(same - y))) < 1e-5
    with pytest.raises(ValueError, match="a has 12345 samples but b has 12344; trim"):
        swap_stft(y, y[:-1], config=CFG)
    with pytest.raises(ValueError, match=r"a has shape \(2, 12345\); swap_stft takes mono"):
        swap_stft(np.stack([y, y]), np.stack([y, y]), config=CFG)
    with pytest.raises(ValueError, match="config must be an audiotut.features.FeatureConfig"):
        swap_stft(y, y, config={"n_fft": 512})


@pytest.mark.parametrize(("scale", "expected"), [(1.0, 0.0), (0.25, 0.75), (0.5, 0.5),
                                                 (2.0, 1.0), (-1.0, 0.0)])
def test_spectral_convergence_of_a_scaled_copy_is_one_minus_the_scale(scale, expected):
    y = _chord(8000) + _bursts(8000)
    assert spectral_convergence(y, scale * y, config=CFG) == pytest.approx(expected, abs=1e-6)


def test_spectral_convergence_on_stereo_and_bad_inputs():
    y = np.stack([_chord(8000), _bursts(8000)])
    assert spectral_convergence(y, 0.5 * y, config=CFG) == pytest.approx(0.5, abs=1e-6)
    assert spectral_convergence(y, y[::-1].copy(), config=CFG) > 0.5  # channels swapped
    with pytest.raises(ValueError, match=r"reference has shape \(2, 8000\) but estimate has shape"):
        spectral_convergence(y, y[:, :-1], config=CFG)
    with pytest.raises(ValueError, match="reference is silent"):
        spectral_convergence(np.zeros(8000, dtype=np.float32), y[0], config=CFG)


# ------------------------------------------------------------------ phase reconstruction


@pytest.fixture(scope="module")
def mixture() -> tuple[np.ndarray, np.ndarray]:
    y = _chord(SR // 2) + _bursts(SR // 2)
    return y, np.abs(CFG.stft(y))


def test_griffin_lim_converges_and_beats_random_and_zero_phase(mixture):
    y, S = mixture
    scores = {n_iter: spectral_convergence(
        y, reconstruct(S, config=CFG, n_iter=n_iter, length=len(y), rng=0), config=CFG)
        for n_iter in (0, 8, 32)}
    random = spectral_convergence(y, reconstruct(S, config=CFG, method="random",
                                                 length=len(y), rng=0), config=CFG)
    zero = spectral_convergence(y, reconstruct(S, config=CFG, method="zero", length=len(y)),
                                config=CFG)
    # measured: 0 -> 0.63, 8 -> 0.21, 32 -> 0.13 iterations; random phase 0.63, zero phase 0.89
    assert scores[0] > scores[8] > scores[32]
    assert scores[32] < 0.5 * scores[0]
    assert scores[32] < random and scores[32] < zero
    assert scores[0] == pytest.approx(random, abs=1e-12)  # n_iter=0 is the random start


def test_reconstruct_is_reproducible_under_a_fixed_rng(mixture):
    y, S = mixture
    first = reconstruct(S, config=CFG, n_iter=4, length=len(y), rng=7)
    again = reconstruct(S, config=CFG, n_iter=4, length=len(y), rng=np.random.default_rng(7))
    other = reconstruct(S, config=CFG, n_iter=4, length=len(y), rng=8)
    assert first.dtype == np.float32 and first.shape == y.shape
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    np.testing.assert_array_equal(
        reconstruct(S, config=CFG, method="random", rng=3),
        reconstruct(S, config=CFG, n_iter=0, rng=3))
    np.testing.assert_array_equal(reconstruct(S, config=CFG, method="zero"),
                                  CFG.istft(S.astype(np.complex64)))


def test_reconstruct_refuses_what_is_not_a_magnitude(mixture):
    y, S = mixture
    with pytest.raises(ValueError, match=r"magnitude is complex.*np\.abs"):
        reconstruct(CFG.stft(y), config=CFG)
    with pytest.raises(ValueError, match="negative values.*not dB"):
        reconstruct(20 * np.log10(S + 1e-6), config=CFG)
    with pytest.raises(ValueError, match=r"with n_fft=1024 a spectrogram has 513 frequency rows"):
        reconstruct(S, config=CFG.replace(n_fft=1024))
    with pytest.raises(ValueError, match="method='gl' is not one of"):
        reconstruct(S, config=CFG, method="gl")
    with pytest.raises(ValueError, match="n_iter must be a whole number of iterations, 0 or more, got -1"):
        reconstruct(S, config=CFG, n_iter=-1)
    with pytest.raises(ValueError, match="rng must be an int seed"):
        reconstruct(S, config=CFG, rng=np.random.RandomState(0))


# --------------------------------------------------------------------------- level_spectrum


@pytest.mark.parametrize("window", ["hann", "blackmanharris", "boxcar", ("kaiser", 14)])
@pytest.mark.parametrize("amplitude", [1.0, 0.5, 0.01])
def test_level_spectrum_reads_a_sines_amplitude_in_dbfs(window, amplitude):
    from audiotut.spectral import level_spectrum
    t = np.arange(SR) / SR
    y = (amplitude * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)   # on a bin
    freqs, level = level_spectrum(y, sr=SR, window=window)
    assert freqs[1] == pytest.approx(SR / len(y))                     # bin k at k*sr/N
    assert freqs[level.argmax()] == 1000.0
    assert level.max() == pytest.approx(20 * np.log10(amplitude), abs=0.01)


def test_level_spectrum_zero_padding_finds_an_off_bin_tone_and_its_level():
    from audiotut.spectral import level_spectrum
    n = 1500                                              # bins 10.67 Hz apart at 16 kHz
    t = np.arange(n) / SR
    y = (0.25 * np.cos(2 * np.pi * 443.3 * t + 0.4)).astype(np.float32)
    _, coarse = level_spectrum(y, sr=SR)
    freqs, fine = level_spectrum(y, sr=SR, n_fft=16 * n)
    assert abs(freqs[fine.argmax()] - 443.3) < SR / (16 * n)
    assert fine.max() == pytest.approx(20 * np.log10(0.25), abs=0.03)
    assert coarse.max() < fine.max() - 0.3                # the scalloping loss padding hides


def test_level_spectrum_leakage_depends_on_the_window():
    from audiotut.spectral import level_spectrum
    n = 4096
    t = np.arange(n) / SR
    f0 = 256.5 * SR / n                                   # halfway between two bins
    y = np.sin(2 * np.pi * f0 * t).astype(np.float32)
    freqs, rect = level_spectrum(y, sr=SR, window="boxcar")
    _, hann = level_spectrum(y, sr=SR, window="hann")
    far = np.abs(freqs - f0) > 500
    assert rect[far].max() > -60                          # rectangular: leakage everywhere
    assert hann[far].max() < -100                         # Hann: sidelobes fall fast


def test_level_spectrum_per_channel_floor_and_errors():
    from audiotut.spectral import level_spectrum
    t = np.arange(SR) / SR
    y = np.stack([np.sin(2 * np.pi * 500 * t), 0.1 * np.sin(2 * np.pi * 2000 * t)])
    freqs, level = level_spectrum(y.astype(np.float32), sr=SR)
    assert level.shape == (2, SR // 2 + 1)
    assert freqs[level.argmax(axis=-1)].tolist() == [500.0, 2000.0]
    assert level.max(axis=-1) == pytest.approx([0.0, -20.0], abs=0.01)
    _, silent = level_spectrum(np.zeros(64, np.float32), sr=SR, floor_db=-150)
    assert np.all(silent == -150)
    with pytest.raises(ValueError, match="n_fft=32"):
        level_spectrum(np.zeros(64, np.float32), sr=SR, n_fft=32)
    with pytest.raises(ValueError, match="window='hannn'"):
        level_spectrum(np.zeros(64, np.float32), sr=SR, window="hannn")
    with pytest.raises(ValueError, match="int16"):
        level_spectrum(np.zeros(64, np.int16), sr=SR)
