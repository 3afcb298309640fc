"""audiotut.features: FeatureConfig gives exactly what the matching librosa calls give,
refuses inconsistent settings with a message naming the value, inverts its own STFT to
float32 precision, and places frames and mel bands where librosa puts them."""

from __future__ import annotations

import dataclasses
import re
import warnings

import librosa
import numpy as np
import pytest

from audiotut.features import FeatureConfig

SR = 16000


def _signal(n: int = SR // 2, *, channels: int | None = None, seed: int = 0) -> np.ndarray:
    """Noise plus a 440 Hz tone, float32, (n,) or (channels, n)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / SR
    shape = (n,) if channels is None else (channels, n)
    return (0.3 * np.sin(2 * np.pi * 440 * t) + rng.normal(0, 0.1, shape)).astype(np.float32)


# ------------------------------------------------------------------ parity with librosa

GRID = [
    pytest.param({}, id="defaults"),
    pytest.param(dict(n_fft=512, hop_length=128, n_mels=40, htk=True, norm=None), id="htk-nonorm"),
    pytest.param(dict(n_fft=400, hop_length=160, window="hamming", n_mels=64, fmin=50.0,
                      fmax=7000.0), id="hamming-fmin-fmax"),
    pytest.param(dict(n_fft=512, win_length=320, hop_length=80, center=False, power=1.0,
                      n_mels=40), id="short-window-uncentred-magnitude"),
    pytest.param(dict(n_fft=1024, hop_length=256, pad_mode="reflect", n_mels=64, norm=2.0,
                      n_mfcc=13, dct_type=3, lifter=22.0, top_db=None), id="reflect-l2-dct3"),
]


@pytest.mark.parametrize("channels", [None, 2], ids=["mono", "stereo"])
@pytest.mark.parametrize("kwargs", GRID)
def test_methods_equal_the_librosa_calls(kwargs, channels):
    cfg = FeatureConfig(sr=SR, **kwargs)
    y = _signal(channels=channels)
    stft_kw = dict(n_fft=cfg.n_fft, hop_length=cfg.hop_length, win_length=cfg.win_length,
                   window=cfg.window, center=cfg.center, pad_mode=cfg.pad_mode)
    mel_kw = dict(n_mels=cfg.n_mels, fmin=cfg.fmin, fmax=cfg.fmax, htk=cfg.htk, norm=cfg.norm)
    db_kw = dict(ref=cfg.ref, amin=cfg.amin, top_db=cfg.top_db)

    S = librosa.stft(y, **stft_kw)
    np.testing.assert_array_equal(cfg.stft(y), S)
    assert cfg.stft(y).dtype == np.complex64
    np.testing.assert_array_equal(cfg.spectrogram(y), np.abs(S) ** cfg.power)

    expected = librosa.istft(S, hop_length=cfg.hop_length, win_length=cfg.win_length,
                             n_fft=cfg.n_fft, window=cfg.window, center=cfg.center,
                             length=y.shape[-1])
    np.testing.assert_array_equal(cfg.istft(S, length=y.shape[-1]), expected)

    mel = librosa.feature.melspectrogram(y=y, sr=SR, power=cfg.power, **stft_kw, **mel_kw)
    np.testing.assert_array_equal(cfg.melspectrogram(y), mel)
    assert cfg.melspectrogram(y).shape == (*y.shape[:-1], cfg.n_mels, S.shape[-1])

    to_db = librosa.power_to_db if cfg.power == 2 else librosa.amplitude_to_db
    np.testing.assert_array_equal(cfg.log_mel(y), to_db(mel, **db_kw))

    mfcc = librosa.feature.mfcc(S=to_db(mel, **db_kw), n_mfcc=cfg.n_mfcc,
                                dct_type=cfg.dct_type, norm="ortho", lifter=cfg.lifter)
    np.testing.assert_array_equal(cfg.mfcc(y), mfcc)
    if cfg.power == 2 and cfg.norm == "slaney" and cfg.top_db == 80.0:
        direct = librosa.feature.mfcc(y=y, sr=SR, n_mfcc=cfg.n_mfcc, dct_type=cfg.dct_type,
                                      lifter=cfg.lifter, **stft_kw,
                                      **{k: v for k, v in mel_kw.items() if k != "norm"})
        np.testing.assert_array_equal(cfg.mfcc(y), direct)

    np.testing.assert_array_equal(cfg.mel_filterbank(),
                                  librosa.filters.mel(sr=SR, n_fft=cfg.n_fft, **mel_kw))
    np.testing.assert_array_equal(
        cfg.mel_frequencies(),
        librosa.mel_frequencies(n_mels=cfg.n_mels + 2, fmin=cfg.fmin, fmax=cfg.fmax,
                                htk=cfg.htk)[1:-1])
    for dtype, out in [(np.float32, cfg.spectrogram(y)), (np.float32, cfg.melspectrogram(y)),
                       (np.float32, cfg.log_mel(y)), (np.float32, cfg.mfcc(y)),
                       (np.float32, cfg.istft(S)), (np.float32, cfg.mel_filterbank())]:
        assert out.dtype == dtype


def test_defaults_resolve_like_librosa():
    cfg = FeatureConfig(sr=22050)
    assert (cfg.n_fft, cfg.win_length, cfg.hop_length, cfg.fmax) == (2048, 2048, 512, 11025.0)
    assert FeatureConfig(sr=SR, n_fft=1024, win_length=400).hop_length == 100  # win_length // 4
    assert isinstance(FeatureConfig(sr=np.int64(SR), n_fft=np.int32(512), n_mels=40).n_fft, int)


def test_log_mel_of_other_powers_follows_the_twenty_over_p_rule():
    """p = 2: 10 log10, p = 1: 20 log10 (checked above against librosa); p: (20 / p) log10."""
    y = _signal()
    cfg = FeatureConfig(sr=SR, n_fft=512, n_mels=40, power=1.5, top_db=None, ref=0.5, amin=1e-4)
    mel = cfg.melspectrogram(y)
    expected = 20 / 1.5 * (np.log10(np.maximum(mel, 1e-4)) - np.log10(0.5))
    np.testing.assert_allclose(cfg.log_mel(y), expected, rtol=0, atol=1e-3)
    # with ref=np.max the loudest cell is 0 dB, and top_db floors the rest
    scaled = cfg.replace(ref=np.max, top_db=20.0).log_mel(y)
    assert float(scaled.max()) == pytest.approx(0.0, abs=1e-5)
    assert float(scaled.min()) == pytest.approx(-20.0, abs=1e-4)


def test_mfcc_count_can_be_chosen_per_call():
    cfg = FeatureConfig(sr=SR, n_fft=512, n_mels=40)
    y = _signal()
    full = cfg.mfcc(y, n_mfcc=40)
    np.testing.assert_allclose(cfg.mfcc(y, n_mfcc=13), full[:13], rtol=0, atol=1e-4)
    with pytest.raises(ValueError, match="n_mfcc=41 is more than n_mels=40"):
        cfg.mfcc(y, n_mfcc=41)


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(sr=-16000), "sr must be a positive"),
        (dict(sr=SR, n_fft=0), "n_fft must be a positive whole number"),
        (dict(sr=SR, n_fft=512.5), "n_fft must be a positive whole number of samples, got 512.5"),
        (dict(sr=SR, n_fft=512, hop_length=1024, win_length=512), "hop_length=1024 is longer than n_fft=512"),
        (dict(sr=SR, n_fft=512, win_length=400, hop_length=450), "hop_length=450 is longer than win_length=400"),
        (dict(sr=SR, n_fft=512, win_length=600), "win_length=600 is longer than n_fft=512"),
        (dict(sr=SR, n_fft=512, hop_length=-1), "hop_length must be a positive whole number of samples, got -1"),
        (dict(sr=SR, n_fft=2, win_length=2), r"win_length // 4 = 0"),
        (dict(sr=SR, fmax=9000.0), "fmax=9000 Hz is above the Nyquist frequency sr / 2 = 8000 Hz"),
        (dict(sr=SR, fmin=4000.0, fmax=3000.0), "fmin=4000 Hz must be below fmax=3000 Hz"),
        (dict(sr=SR, fmin=8000.0), "fmin=8000 Hz must be below fmax=8000 Hz"),
        (dict(sr=SR, fmin=-10.0), r"fmin must be a finite number of Hz, zero or more, got -10\.0"),
        (dict(sr=SR, window="hanning-ish"), r"window='hanning-ish' is not a window"),
        (dict(sr=SR, window=np.hanning), "window must be a window name"),
        (dict(sr=SR, pad_mode="wrap"), r"pad_mode='wrap' is not a padding"),
        (dict(sr=SR, power=0), r"power must be a positive, finite exponent \(2 for power, 1 for magnitude\), got 0"),
        (dict(sr=SR, power=-2.0), r"power must be a positive, finite exponent .*got -2\.0"),
        (dict(sr=SR, power=float("nan")), "power must be a positive, finite exponent .*got nan"),
        (dict(sr=SR, ref=0.0), r"ref must be a positive, finite dB reference value \(or a function"),
        (dict(sr=SR, lifter=-1), "lifter must be a finite liftering coefficient, zero or more, got -1"),
        (dict(sr=SR, fmax="8k"), "fmax must be a number of Hz .*got '8k'"),
        (dict(sr=SR, n_mels=40, n_mfcc=41), "n_mfcc=41 is more than n_mels=40"),
        (dict(sr=SR, n_fft=256), "n_mels=128 is too many for n_fft=256"),
        (dict(sr=SR, norm="l2"), r"norm='l2' is not a mel filter normalization"),
        (dict(sr=SR, norm=-1.0), r"norm=-1\.0 is not a mel filter normalization"),
        (dict(sr=SR, dct_type=4), "dct_type must be 1, 2 or 3"),
        (dict(sr=SR, top_db=-10.0), r"top_db must be a positive, finite number of dB \(or None\), got -10\.0"),
        (dict(sr=SR, amin=0.0), "amin must be a positive, finite floor applied before the logarithm, got 0.0"),
        (dict(sr=SR, center="yes"), "center must be True or False, got 'yes'"),
    ],
)
def test_invalid_settings_raise_naming_the_value(kwargs, match):
    with pytest.raises(ValueError, match=match):
        FeatureConfig(**kwargs)


def test_too_many_mel_bands_says_how_many_are_empty_and_what_works():
    with pytest.raises(ValueError) as error:
        FeatureConfig(sr=SR, n_fft=256)
    message = str(error.value)
    # the numbers it gives are right: 13 zero rows; 95 bands pass, 96 fail; n_fft=512 passes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # librosa's own "Empty filters" warning
        zero_rows = librosa.filters.mel(sr=SR, n_fft=256, n_mels=128).max(axis=1) == 0
    assert "13 of the 128 mel filters" in message and "n_mels <= 95" in message
    assert int(zero_rows.sum()) == 13
    assert "n_fft >= 512" in message
    FeatureConfig(sr=SR, n_fft=256, n_mels=95)
    FeatureConfig(sr=SR, n_fft=512)
    with pytest.raises(ValueError, match="n_mels=96"):
        FeatureConfig(sr=SR, n_fft=256, n_mels=96)


@pytest.mark.parametrize(("n_fft", "n_mels", "htk", "fmin"),
                         [(256, 95, False, 0.0), (256, 96, False, 0.0), (256, 60, True, 0.0),
                          (256, 80, True, 0.0), (512, 128, True, 100.0), (512, 195, False, 0.0),
                          (1024, 256, False, 0.0)])
def test_empty_filter_check_agrees_with_librosas_filterbank(n_fft, n_mels, htk, fmin):
    """Refused exactly when librosa's filterbank has an all-zero row. This includes a
    first filter starting at 0 Hz, which librosa's "Empty filters" warning skips
    (n_fft=512, n_mels=195: row 0 spans 0-30.8 Hz, the first bin above DC is 31.25 Hz)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weights = librosa.filters.mel(sr=SR, n_fft=n_fft, n_mels=n_mels, htk=htk, fmin=fmin)
    zero_rows = int((weights.max(axis=1) == 0).sum())
    try:
        FeatureConfig(sr=SR, n_fft=n_fft, n_mels=n_mels, htk=htk, fmin=fmin)
        refused = 0
    except ValueError as error:
        found = re.search(r"(\d+) of the \d+ mel filters would hold no FFT bin", str(error))
        assert found, str(error)
        refused = int(found.group(1))
    assert refused == zero_rows


def test_bad_signals_are_refused_before_librosa():
    cfg = FeatureConfig(sr=SR, n_fft=512)
    with pytest.raises(ValueError, match="integer dtype int16"):
        cfg.stft(np.zeros(1000, dtype=np.int16))
    with pytest.raises(ValueError, match="more channels than samples"):
        cfg.stft(np.zeros((1000, 2), dtype=np.float32))
    with pytest.raises(ValueError, match="100 samples, fewer than n_fft=512"):
        cfg.replace(center=False).stft(np.zeros(100, dtype=np.float32))
    with pytest.raises(ValueError, match=r"S has shape \(129, 10\); an STFT with n_fft=512 has 257"):
        cfg.istft(np.zeros((129, 10), dtype=np.complex64))
    with pytest.raises(ValueError, match="length must be a positive whole number of samples, got 0"):
        cfg.istft(np.zeros((257, 10), dtype=np.complex64), length=0)


# ------------------------------------------------------------------ frozen, replace


def test_frozen_and_replace_revalidates():
    cfg = FeatureConfig(sr=SR, n_fft=512, n_mels=40)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.n_fft = 1024
    with pytest.raises(ValueError, match="hop_length=1024 is longer than n_fft=512"):
        cfg.replace(hop_length=1024)
    with pytest.raises(ValueError, match="fmax=10000 Hz is above"):
        cfg.replace(fmax=10000.0)
    with pytest.raises(TypeError, match="no field 'nfft'"):
        cfg.replace(nfft=1024)
    # defaults follow the new values; explicit ones stay
    wider = cfg.replace(n_fft=2048, sr=22050)
    assert (wider.hop_length, wider.win_length, wider.fmax) == (512, 2048, 11025.0)
    explicit = FeatureConfig(sr=SR, n_fft=512, hop_length=160, n_mels=40)
    assert explicit.replace(n_fft=1024).hop_length == 160
    assert cfg.n_fft == 512 and cfg.replace() == cfg
    assert hash(cfg) == hash(cfg.replace())
    # dataclasses.replace checks too
    with pytest.raises(ValueError, match="win_length=600 is longer than n_fft=512"):
        dataclasses.replace(cfg, win_length=600)


# ------------------------------------------------------------------ frames and times


@pytest.mark.parametrize("center", [True, False])
@pytest.mark.parametrize(("n_fft", "hop"), [(512, 128), (400, 160), (511, 100)])
def test_n_frames_and_frame_times_match_the_stft(center, n_fft, hop):
    cfg = FeatureConfig(sr=SR, n_fft=n_fft, hop_length=hop, n_mels=32, center=center)
    for n in (n_fft, 4000, 4001, 12345):
        assert cfg.n_frames(n) == cfg.stft(np.zeros(n, dtype=np.float32)).shape[-1], n
    frames = np.arange(cfg.n_frames(4000))
    np.testing.assert_array_equal(
        cfg.frames_to_time(frames),
        librosa.frames_to_time(frames, sr=SR, hop_length=hop, n_fft=None if center else n_fft))
    # measured: a click is loudest in the frame whose reported time is nearest to it
    for click in (1999, 2345, 3000):
        y = np.zeros(4000, dtype=np.float32)
        y[click] = 1.0
        energy = (np.abs(cfg.stft(y)) ** 2).sum(axis=0)
        times = cfg.frames_to_time(np.arange(energy.size))
        nearest = np.abs(times - click / SR)
        assert nearest[np.argmax(energy)] <= nearest.min() + 0.5 * hop / SR, (click, center)


def test_n_frames_refuses_signals_shorter_than_a_frame_without_centering():
    cfg = FeatureConfig(sr=SR, n_fft=512, center=False)
    with pytest.raises(ValueError, match="n_samples=511 is fewer than n_fft=512"):
        cfg.n_frames(511)
    assert cfg.n_frames(512) == 1 and cfg.replace(center=True).n_frames(1) == 1


# ------------------------------------------------------------------ mel scale


def test_mel_scales_at_one_kilohertz():
    # HTK: 2595 log10(1 + 1000 / 700) = 999.99 mel; Slaney: linear, 1000 Hz / (200/3 Hz) = 15 mel
    assert float(librosa.hz_to_mel(1000.0, htk=True)) == pytest.approx(999.99, abs=0.01)
    assert float(librosa.hz_to_mel(1000.0, htk=False)) == pytest.approx(15.0, abs=1e-9)
    for htk in (False, True):
        centres = FeatureConfig(sr=SR, n_mels=40, htk=htk).mel_frequencies()
        steps = np.diff(librosa.hz_to_mel(centres, htk=htk))
        np.testing.assert_allclose(steps, steps[0], rtol=1e-9)  # equally spaced in mel
        assert np.all(np.diff(centres) > 0) and 0 < centres[0] and centres[-1] < SR / 2
    slaney = FeatureConfig(sr=SR, n_mels=40).mel_frequencies()
    low = slaney[slaney < 1000]
    np.testing.assert_allclose(np.diff(low), np.diff(low)[0], rtol=1e-9)  # linear below 1 kHz


@pytest.mark.parametrize("htk", [False, True])
@pytest.mark.parametrize("norm", ["slaney", None])
def test_filter_peaks_lie_at_the_mel_frequencies(htk, norm):
    cfg = FeatureConfig(sr=SR, n_fft=2048, n_mels=40, htk=htk, norm=norm, fmin=60.0)
    bin_hz = SR / cfg.n_fft
    peaks = np.argmax(cfg.mel_filterbank(), axis=1) * bin_hz
    assert np.max(np.abs(peaks - cfg.mel_frequencies())) <= bin_hz
    if norm is None:
        assert np.all(cfg.mel_filterbank().max(axis=1) > 0.5)


# ------------------------------------------------------------------ inversion


ROUND_TRIP = [
    pytest.param(dict(n_fft=512, hop_length=128), id="hann-hop-n/4"),
    pytest.param(dict(n_fft=512, hop_length=256), id="hann-hop-n/2"),
    pytest.param(dict(n_fft=512, hop_length=128, window="hamming"), id="hamming-hop-n/4"),
    pytest.param(dict(n_fft=512, hop_length=256, window="hamming"), id="hamming-hop-n/2"),
    pytest.param(dict(n_fft=512, win_length=400, hop_length=100), id="hann-win400"),
    pytest.param(dict(n_fft=1024, hop_length=256, pad_mode="reflect"), id="hann-1024-reflect"),
]


@pytest.mark.parametrize("channels", [None, 2], ids=["mono", "stereo"])
@pytest.mark.parametrize("n", [16001, 12345])
@pytest.mark.parametrize("kwargs", ROUND_TRIP)
def test_istft_of_stft_gives_the_signal_back(kwargs, n, channels):
    cfg = FeatureConfig(sr=SR, n_mels=32, **kwargs)
    y = _signal(n, channels=channels, seed=n)
    back = cfg.istft(cfg.stft(y), length=n)
    assert back.shape == y.shape and back.dtype == np.float32
    error = float(np.max(np.abs(back - y)))
    assert error < 1e-6, error  # measured: 1.8e-07 at most (float32 rounding)


def test_without_centering_the_edges_are_lost_and_the_interior_is_exact():
    n = 12345
    cfg = FeatureConfig(sr=SR, n_fft=512, hop_length=128, center=False, n_mels=32)
    y = _signal(n)
    back = cfg.istft(cfg.stft(y), length=n)
    error = np.abs(back - y)
    covered = (cfg.n_frames(n) - 1) * cfg.hop_length + cfg.n_fft  # end of the last frame
    assert covered < n
    # beyond the last frame nothing was analysed: those samples come back as zeros
    assert np.all(back[covered:] == 0) and float(error[covered:].max()) > 0.1
    # the first sample sits where the Hann window is 0: it is lost too
    assert back[0] == 0 and error[0] > 0
    # between one frame from either end, the signal is exact
    assert float(error[cfg.n_fft:covered - cfg.n_fft].max()) < 1e-5
    # centred, the same signal comes back everywhere
    centred = cfg.replace(center=True)
    assert float(np.max(np.abs(centred.istft(centred.stft(y), length=n) - y))) < 1e-5


# ---------------------------------------------------------------- saving a configuration


@pytest.mark.parametrize("kwargs", [
    {},
    {"n_fft": 256, "hop_length": 128, "n_mels": 40, "ref": np.max},
    {"n_fft": 1024, "window": ("kaiser", 8.0), "htk": True, "norm": None, "top_db": None},
    {"n_fft": 400, "win_length": 320, "center": False, "power": 1.0, "ref": np.median,
     "fmin": 20.0, "fmax": 7600.0, "lifter": 22.0},
])
def test_to_dict_round_trips_through_json(kwargs):
    import json

    cfg = FeatureConfig(sr=16000, **kwargs)
    d = cfg.to_dict()
    again = FeatureConfig.from_dict(json.loads(json.dumps(d)))
    assert again == cfg
    y = (0.1 * np.random.default_rng(0).standard_normal(4000)).astype(np.float32)
    np.testing.assert_array_equal(again.log_mel(y), cfg.log_mel(y))
    assert list(d) == [f.name for f in dataclasses.fields(FeatureConfig) if f.init]


def test_to_dict_and_from_dict_refuse_what_cannot_be_data():
    with pytest.raises(ValueError, match="cannot be saved as data"):
        FeatureConfig(sr=16000, ref=lambda S: S.max()).to_dict()
    assert FeatureConfig(sr=16000, ref=np.amax).to_dict()["ref"] == "numpy.max"
    with pytest.raises(ValueError, match="no field 'n_fft_size'; its fields are"):
        FeatureConfig.from_dict({"sr": 16000, "n_fft_size": 512})
    with pytest.raises(ValueError, match="names no known function"):
        FeatureConfig.from_dict({"sr": 16000, "ref": "np.maximum"})


# ---------------------------------------------------------------- long signals


@pytest.mark.parametrize("kwargs", [
    {"pad_mode": "reflect"}, {"center": False}, {"power": 1.0, "ref": np.max},
    {"n_fft": 2048, "hop_length": 300, "top_db": None}, {"power": 1.5, "ref": np.max},
    {"pad_mode": "edge", "stereo": True},
])
def test_long_signals_are_analysed_in_blocks_with_the_whole_signal_result(kwargs):
    """Five minutes at 16 kHz: long enough to go block by block; every value equals the
    whole-signal librosa result to float32 rounding (the ends padded as librosa pads)."""
    kwargs = dict(kwargs)
    rng = np.random.default_rng(1)
    y = (0.1 * rng.standard_normal(16000 * 300)).astype(np.float32)
    y[:16000] = 0                                   # a silent start: the top_db floor
    if kwargs.pop("stereo", False):
        y = np.stack([y, 0.5 * y[::-1]])
    cfg = FeatureConfig(sr=16000, n_fft=kwargs.pop("n_fft", 512), n_mels=40, **kwargs)
    got = cfg.log_mel(y)
    assert got.shape[-1] > 4 * cfg._chunk_frames()           # really in blocks
    whole = librosa.feature.melspectrogram(y=y, sr=16000, power=cfg.power,
                                           **cfg._stft_kwargs(), **cfg._mel_kwargs())
    assert got.shape == whole.shape
    assert np.abs(got - cfg._to_db(whole.astype(np.float32))).max() < 1e-3


def test_an_hour_of_audio_needs_little_more_than_input_and_output(record_property):
    """Whole-signal librosa peaked at 7 to 13 times the input for an hour at 16 kHz
    (1.3 GiB extra here for 220 MiB); block by block the extra is the output plus a
    fixed working set."""
    from helpers import run_python

    out = run_python("""
import resource
import numpy as np
from audiotut.features import FeatureConfig
cfg = FeatureConfig(sr=16000, n_fft=512, hop_length=128, n_mels=40, ref=np.max)
y = np.random.default_rng(0).standard_normal(3600 * 16000, dtype=np.float32)
y *= 0.1
cfg.log_mel(y[:16000])                               # imports and caches warm
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
S = cfg.log_mel(y)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(y.nbytes, S.nbytes, peak - before)
""", timeout=300)
    given, output, extra = map(int, out.split())
    record_property("measured", f"1 h at 16 kHz: input {given / 2**20:.0f} MiB, output "
                                f"{output / 2**20:.0f} MiB, extra peak {extra / 2**20:.0f} MiB")
    assert extra < output + 96 * 2**20
