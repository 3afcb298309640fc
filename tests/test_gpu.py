"""audiotut.gpu: the PyTorch front-end gives FeatureConfig's (librosa's) numbers for every
setting, keeps the input's leading axes, lets gradients through, never syncs with the host
inside a module's forward, and refuses bad input with a message naming the fix."""

from __future__ import annotations


import numpy as np
import pytest
from helpers import NO_TORCH, run_python
import torch

from audiotut import gpu
from audiotut.features import FeatureConfig

SR = 16000
N = 8000  # half a second: small and fast, 63 frames at hop 128


def _signal(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """Noise plus two tones whose frequencies change from row to row, float32 (..., N)."""
    rng = np.random.default_rng(seed)
    t = np.arange(N) / SR
    rows = int(np.prod(shape[:-1], dtype=int))
    tones = np.stack([0.3 * np.sin(2 * np.pi * (220 + 110 * r) * t)
                      + 0.1 * np.sin(2 * np.pi * (3000 + 500 * r) * t) for r in range(rows)])
    y = tones.reshape(shape) + rng.normal(0, 0.05, shape)
    return y.astype(np.float32)


def _per_signal(method, y: np.ndarray) -> np.ndarray:
    """librosa (via FeatureConfig) on each 1-D signal of y (..., n), stacked back to y's axes."""
    out = np.stack([method(row) for row in y.reshape(-1, y.shape[-1])])
    return out.reshape(*y.shape[:-1], *out.shape[1:])


CONFIGS = [
    pytest.param({}, id="defaults-2048"),
    pytest.param(dict(n_fft=512, center=False), id="uncentred"),
    pytest.param(dict(n_fft=512, htk=True, n_mels=64), id="htk"),
    pytest.param(dict(n_fft=512, norm=None), id="norm-none"),
    pytest.param(dict(n_fft=512, norm=2.0, n_mels=64), id="norm-l2"),
    pytest.param(dict(n_fft=512, power=1.0), id="power-1"),
    pytest.param(dict(n_fft=512, power=1.5, ref=0.5, amin=1e-4), id="power-1.5"),
    pytest.param(dict(n_fft=512, top_db=None), id="top_db-none"),
    pytest.param(dict(n_fft=512, top_db=20.0, ref=np.max), id="ref-max-top_db-20"),
    pytest.param(dict(n_fft=512, win_length=400, hop_length=100, window="hamming"),
                 id="win400-hamming"),
    pytest.param(dict(n_fft=256, n_mels=64, fmin=50.0, fmax=7000.0), id="n_fft-256"),
    *[pytest.param(dict(n_fft=512, pad_mode=mode), id=f"pad-{mode}")
      for mode in ("edge", "linear_ramp", "reflect", "symmetric")],
    pytest.param(dict(n_fft=512, n_mels=40, n_mfcc=13, dct_type=1), id="dct1"),
    pytest.param(dict(n_fft=512, n_mels=40, n_mfcc=40, dct_type=3, lifter=22.0), id="dct3-lifter"),
    pytest.param(dict(n_fft=1024, n_mels=64, lifter=10.0, pad_mode="reflect"), id="dct2-lifter"),
]
SHAPES = [pytest.param((N,), id="mono"), pytest.param((2, N), id="stereo"),
          pytest.param((3, 2, N), id="batch")]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kwargs", CONFIGS)
def test_every_output_equals_featureconfig(kwargs, shape, record_property):
    cfg = FeatureConfig(sr=SR, **kwargs)
    y = _signal(shape, seed=len(shape))
    x = torch.from_numpy(y)

    S = gpu.stft(x, config=cfg)
    expected = _per_signal(cfg.stft, y)
    assert S.dtype == torch.complex64 and S.shape == expected.shape
    assert S.shape == (*shape[:-1], 1 + cfg.n_fft // 2, cfg.n_frames(N))
    stft_error = float(np.max(np.abs(S.numpy() - expected)) / np.max(np.abs(expected)))
    assert stft_error < 1e-5

    spec = gpu.spectrogram(x, config=cfg).numpy()
    np.testing.assert_allclose(spec, _per_signal(cfg.spectrogram, y), rtol=1e-4,
                               atol=1e-5 * float(spec.max()))
    mel = gpu.melspectrogram(x, config=cfg).numpy()
    np.testing.assert_allclose(mel, _per_signal(cfg.melspectrogram, y), rtol=1e-4,
                               atol=1e-6 * float(mel.max()))

    L = gpu.log_mel(x, config=cfg)
    assert L.dtype == torch.float32 and L.shape == (*shape[:-1], cfg.n_mels, cfg.n_frames(N))
    db_error = float(np.max(np.abs(L.numpy() - _per_signal(cfg.log_mel, y))))
    assert db_error < 1e-3

    C = gpu.mfcc(x, config=cfg)
    assert C.shape == (*shape[:-1], cfg.n_mfcc, cfg.n_frames(N))
    mfcc_error = float(np.max(np.abs(C.numpy() - _per_signal(cfg.mfcc, y))))
    assert mfcc_error < 1e-3

    # inverse: the signal back to float32 precision, and what librosa's istft gives
    back = gpu.istft(S, config=cfg, length=N)
    assert back.shape == x.shape and back.dtype == torch.float32
    librosa_back = _per_signal(lambda row: cfg.istft(cfg.stft(row), length=N), y)
    if cfg.center:
        inside = slice(None)
    else:  # the ends, under less than a full window, are lost: compare one frame in
        inside = slice(cfg.n_fft, (cfg.n_frames(N) - 1) * cfg.hop_length)
    roundtrip_error = float((back - x)[..., inside].abs().max())
    istft_error = float(np.max(np.abs(back.numpy() - librosa_back)[..., inside]))
    assert roundtrip_error < 1e-5 and istft_error < 1e-5
    if not cfg.center:   # beyond the last frame nothing was analysed: zeros, as librosa
        covered = (cfg.n_frames(N) - 1) * cfg.hop_length + cfg.n_fft
        assert covered < N
        assert not back[..., covered:].any() and not librosa_back[..., covered:].any()
    record_property("measured", f"gpu vs FeatureConfig {kwargs} {shape}: stft {stft_error:.1e} "
                                f"of max, log_mel {db_error:.1e} dB, mfcc {mfcc_error:.1e}, "
                                f"istft(stft) {roundtrip_error:.1e}, vs librosa.istft "
                                f"{istft_error:.1e}")


def test_short_signals_pad_like_numpy_in_every_mode(record_property):
    """Signals shorter than n_fft // 2: np.pad reflects and repeats them; so does gpu."""
    worst = 0.0
    for mode in ("constant", "edge", "linear_ramp", "reflect", "symmetric"):
        cfg = FeatureConfig(sr=SR, n_fft=512, pad_mode=mode)
        for n in (1, 2, 5, 100, 300):
            y = np.random.default_rng(n).normal(0, 0.1, n).astype(np.float32)
            with pytest.warns(UserWarning, match="too large"):
                expected = cfg.stft(y)
            got = gpu.stft(torch.from_numpy(y), config=cfg).numpy()
            error = float(np.max(np.abs(got - expected)) / np.max(np.abs(expected)))
            assert error < 1e-5, (mode, n)
            worst = max(worst, error)
    record_property("measured", f"short signals, all pad modes: stft within {worst:.1e} of max")


def test_pad_mode_empty_pads_with_zeros():
    """NumPy leaves "empty" padding uninitialised (librosa's edge frames hold arbitrary values);
    gpu pads with zeros. The frames that do not touch the padding are librosa's."""
    cfg = FeatureConfig(sr=SR, n_fft=512, pad_mode="empty")
    inner = slice(2, cfg.n_frames(N) - 2)  # frames 2 .. -3 lie wholly inside the signal
    y = _signal((N,))
    got = gpu.stft(torch.from_numpy(y), config=cfg).numpy()
    with np.errstate(invalid="ignore", over="ignore"):   # librosa's uninitialised padding
        expected = cfg.stft(y)[:, inner]
    zeros = gpu.stft(torch.from_numpy(y), config=cfg.replace(pad_mode="constant")).numpy()
    np.testing.assert_array_equal(got, zeros)
    assert np.max(np.abs(got[:, inner] - expected)) < 1e-5 * np.max(np.abs(expected))


def test_ref_max_and_top_db_are_per_signal():
    """np.max and top_db use each signal's own maximum: a quiet channel reaches 0 dB too.
    librosa on a (channels, n) array takes one maximum over both channels."""
    y = _signal((2, N))
    y[1] *= 0.1                                       # 20 dB quieter
    cfg = FeatureConfig(sr=SR, n_fft=512, ref=np.max, top_db=30.0)
    L = gpu.log_mel(torch.from_numpy(y), config=cfg).numpy()
    np.testing.assert_allclose(L.max(axis=(-2, -1)), [0.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(L.min(axis=(-2, -1)), [-30.0, -30.0], atol=1e-4)
    together = cfg.log_mel(y)                          # librosa's stereo call
    mel = cfg.melspectrogram(y)
    quiet_peak = 10 * np.log10(mel[1].max() / mel.max())   # about -20 dB: below the loud one
    assert quiet_peak < -15 and together[1].max() == pytest.approx(quiet_peak, abs=1e-3)
    # with a number as ref and no floor, a stereo array gives exactly librosa's stereo call
    plain = cfg.replace(ref=1.0, top_db=None)
    np.testing.assert_allclose(gpu.log_mel(torch.from_numpy(y), config=plain).numpy(),
                               plain.log_mel(y), atol=1e-3)


def test_top_db_floor_on_a_signal_with_silence(record_property):
    y = _signal((N,))
    y[N // 2:] = 0.0                                   # half silence: the floor is reached
    cfg = FeatureConfig(sr=SR, n_fft=512)
    L = gpu.log_mel(torch.from_numpy(y), config=cfg).numpy()
    expected = cfg.log_mel(y)
    assert float(expected.min()) == pytest.approx(float(expected.max()) - 80, abs=1e-4)
    assert float(L.min()) == pytest.approx(float(L.max()) - 80, abs=1e-4)
    error = float(np.max(np.abs(L - expected)))
    assert error < 1e-3
    record_property("measured", f"top_db floor reached on half silence: log_mel within "
                                f"{error:.1e} dB of librosa")


def test_mfcc_count_per_call_and_module():
    cfg = FeatureConfig(sr=SR, n_fft=512, n_mels=40, lifter=22.0)
    x = torch.from_numpy(_signal((2, N)))
    full = gpu.mfcc(x, config=cfg, n_mfcc=40)
    assert gpu.mfcc(x, config=cfg).shape[-2] == cfg.n_mfcc
    torch.testing.assert_close(gpu.mfcc(x, config=cfg, n_mfcc=13), full[..., :13, :])
    torch.testing.assert_close(gpu.MFCC(cfg, n_mfcc=13)(x), full[..., :13, :])
    np.testing.assert_allclose(full.numpy(), _per_signal(lambda r: cfg.mfcc(r, n_mfcc=40),
                                                         x.numpy()), atol=1e-3)
    with pytest.raises(ValueError, match="n_mfcc=41 is more than n_mels=40"):
        gpu.mfcc(x, config=cfg, n_mfcc=41)


# ------------------------------------------------------------------------- modules


MODULES = [("Spectrogram", "spectrogram", ["window"]),
           ("MelSpectrogram", "melspectrogram", ["window", "mel_filterbank"]),
           ("LogMel", "log_mel", ["window", "mel_filterbank"]),
           ("MFCC", "mfcc", ["window", "mel_filterbank", "dct", "lifter"])]


@pytest.mark.parametrize(("name", "function", "buffers"), MODULES, ids=[m[0] for m in MODULES])
def test_modules_mirror_the_functions_and_carry_their_buffers(name, function, buffers):
    cfg = FeatureConfig(sr=SR, n_fft=512, n_mels=40, n_mfcc=13, ref=np.max, lifter=22.0)
    module = getattr(gpu, name)(cfg)
    assert isinstance(module, torch.nn.Module) and type(module).__module__ == "audiotut.gpu"
    assert [b for b, _ in module.named_buffers()] == buffers
    assert module.state_dict() == {}              # derived from config, not saved
    if "mel_filterbank" in buffers:
        np.testing.assert_array_equal(module.mel_filterbank.numpy(), cfg.mel_filterbank())
    x = torch.from_numpy(_signal((3, 2, N)))
    torch.testing.assert_close(module(x), getattr(gpu, function)(x, config=cfg))

    # .to(device) moves every buffer; forward then runs there. On the "meta" device a
    # tensor has no values: any .item(), .cpu() or branch on a value raises, so this
    # forward provably never waits for the device.
    module.to("meta")
    assert {b.device.type for b in module.buffers()} == {"meta"}
    out = module(torch.empty(3, 2, N, device="meta"))
    assert out.device.type == "meta" and out.shape == getattr(gpu, function)(x, config=cfg).shape
    with pytest.raises(ValueError, match=r"on meta: move the module with \.to\('cpu'\)"):
        module(x)


def test_lazy_import_of_torch():
    code = ("import sys, audiotut, audiotut.gpu\n"
            "assert 'torch' not in sys.modules, 'import audiotut.gpu imported torch'\n"
            "from audiotut.gpu import LogMel\n"
            "assert 'torch' in sys.modules and LogMel.__name__ == 'LogMel'\n"
            "import pickle, audiotut.gpu as g\n"
            "assert pickle.loads(pickle.dumps(LogMel)) is g.LogMel\n")
    run_python(code)


def test_gradients_flow_to_the_input(record_property):
    cfg = FeatureConfig(sr=SR, n_fft=512, n_mels=40, ref=np.max)
    x = torch.from_numpy(_signal((2, 2, N))).requires_grad_(True)
    gpu.LogMel(cfg)(x).mean().backward()
    assert bool(torch.isfinite(x.grad).all()) and float(x.grad.abs().max()) > 0
    # and it is the right gradient: a central difference along a fixed direction agrees
    # (without ref=np.max and top_db, whose maxima have kinks)
    smooth = cfg.replace(ref=1.0, top_db=None)
    x = x.detach().requires_grad_(True)
    gpu.log_mel(x, config=smooth).mean().backward()
    direction = torch.randn(x.shape, generator=torch.Generator().manual_seed(0))
    eps = 1e-3
    numeric = (gpu.log_mel(x.detach() + eps * direction, config=smooth).mean()
               - gpu.log_mel(x.detach() - eps * direction, config=smooth).mean()) / (2 * eps)
    analytic = float((x.grad * direction).sum())
    assert float(numeric) == pytest.approx(analytic, rel=0.01)
    record_property("measured", f"log_mel gradient along a direction: autograd {analytic:.4f}, "
                                f"central difference {float(numeric):.4f}")


def test_half_precision_input_is_computed_in_float32():
    cfg = FeatureConfig(sr=SR, n_fft=512, n_mels=40)
    x = torch.from_numpy(_signal((2, N)))
    for dtype in (torch.float16, torch.bfloat16, torch.float64):
        low = x.to(dtype)
        out = gpu.log_mel(low, config=cfg)
        assert out.dtype == torch.float32
        torch.testing.assert_close(out, gpu.log_mel(low.float(), config=cfg))
        assert gpu.stft(low, config=cfg).dtype == torch.complex64


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_front_end_computes_in_float32_under_autocast(dtype, record_property):
    """Regression: under CPU autocast, float16 gave NaN/inf (n_fft 2048, a 0.9 sine at
    1 kHz) and bfloat16 a bfloat16 log-mel 0.2 dB off. The front-end now turns autocast
    off for itself; the layers after it still run in half precision."""
    config = FeatureConfig(sr=SR, n_fft=2048, hop_length=512, n_mels=64)
    t = torch.arange(SR) / SR
    x = 0.9 * torch.sin(2 * torch.pi * 1000 * t)
    reference = gpu.log_mel(x, config=config)
    model = torch.nn.Sequential(gpu.LogMel(config), torch.nn.Flatten(0),
                                torch.nn.Linear(64 * reference.shape[-1], 3))
    with torch.autocast("cpu", dtype=dtype):
        for got in (gpu.log_mel(x, config=config), model[0](x),
                    gpu.mfcc(x, config=config), gpu.melspectrogram(x, config=config)):
            assert got.dtype == torch.float32 and torch.isfinite(got).all()
        error = float((gpu.log_mel(x, config=config) - reference).abs().max())
        logits = model(x)
    assert error < 1e-3
    assert logits.dtype == dtype                    # the rest of the model: half precision
    record_property("measured", f"autocast {dtype}: log-mel float32, within {error:.1e} dB "
                                "of the plain float32 result; Linear after it in half")


def test_cpu_chunks_give_the_whole_batch_result(monkeypatch):
    cfg = FeatureConfig(sr=SR, n_fft=512, n_mels=40)
    x = torch.from_numpy(_signal((5, N)))
    whole = gpu.mfcc(x, config=cfg)
    monkeypatch.setattr(gpu, "_CHUNK_SAMPLES", 2 * N)   # chunks of 2 rows: 2 + 2 + 1
    torch.testing.assert_close(gpu.mfcc(x, config=cfg), whole, atol=1e-4, rtol=1e-5)
    S = gpu.stft(x, config=cfg)
    torch.testing.assert_close(gpu.istft(S, config=cfg, length=N), x, atol=1e-5, rtol=0)


def test_buffers_are_cached_per_config_and_device():
    cfg = FeatureConfig(sr=SR, n_fft=512, n_mels=40, ref=np.max)
    hash(cfg)                                         # frozen and hashable, np.max included
    x = torch.from_numpy(_signal((N,)))
    gpu.log_mel(x, config=cfg)
    before = gpu._buffer.cache_info()
    gpu.log_mel(x, config=cfg.replace())              # an equal configuration
    after = gpu._buffer.cache_info()
    assert after.hits == before.hits + 2 and after.misses == before.misses


# ------------------------------------------------------------------------- errors


def test_bad_input_is_refused_with_the_fix():
    cfg = FeatureConfig(sr=SR, n_fft=512, n_mels=40)
    x = torch.from_numpy(_signal((N,)))
    with pytest.raises(ValueError, match="config must be an audiotut.features.FeatureConfig, "
                                         "got dict"):
        gpu.log_mel(x, config={"sr": SR})
    with pytest.raises(ValueError, match="config must be"):
        gpu.LogMel(None)
    with pytest.raises(ValueError, match=r"integer dtype torch.int16.*x.float\(\) / 32768"):
        gpu.log_mel(torch.zeros(N, dtype=torch.int16), config=cfg)
    with pytest.raises(ValueError, match=r"numpy array.*torch.from_numpy\(x\)"):
        gpu.log_mel(x.numpy(), config=cfg)
    with pytest.raises(ValueError, match=r"numpy array.*torch.from_numpy"):
        gpu.LogMel(cfg)(x.numpy())
    with pytest.raises(ValueError, match="must be a torch.Tensor .* got list"):
        gpu.stft([0.0] * N, config=cfg)
    with pytest.raises(ValueError, match="complex dtype"):
        gpu.log_mel(torch.zeros(N, dtype=torch.complex64), config=cfg)
    with pytest.raises(ValueError, match=r"shape \(16000, 2\).*x.T"):
        gpu.log_mel(torch.zeros(16000, 2), config=cfg)
    with pytest.raises(ValueError, match="100 samples, fewer than n_fft=512, so center=False"):
        gpu.stft(torch.zeros(100), config=cfg.replace(center=False))
    with pytest.raises(ValueError, match=r"ref=median is not supported.*ref=np.max"):
        gpu.log_mel(x, config=cfg.replace(ref=np.median))
    with pytest.raises(ValueError, match="ref=median is not supported"):
        gpu.LogMel(cfg.replace(ref=np.median))
    with pytest.raises(ValueError, match=r"X has shape \(129, 10\).*257"):
        gpu.istft(torch.zeros(129, 10, dtype=torch.complex64), config=cfg)
    with pytest.raises(ValueError, match="length must be a positive whole number"):
        gpu.istft(gpu.stft(x, config=cfg), config=cfg, length=0)


def test_non_finite_input_is_refused_unless_the_check_is_off():
    """The check waits for the device once, so it can be turned off; modules never check."""
    cfg = FeatureConfig(sr=SR, n_fft=512, n_mels=40)
    x = torch.from_numpy(_signal((2, N)))
    x[1, 100] = float("nan")
    x[0, 5] = float("inf")
    with pytest.raises(ValueError, match=r"2 NaN or infinite samples.*torch.nan_to_num"):
        gpu.log_mel(x, config=cfg)
    with pytest.raises(ValueError, match="X holds NaN or infinite values"):
        gpu.istft(torch.full((257, 4), complex(float("nan"), 0)), config=cfg)
    unchecked = gpu.log_mel(x, config=cfg, check_finite=False)
    assert bool(torch.isnan(unchecked).any())
    assert bool(torch.isnan(gpu.LogMel(cfg)(x)).any())


@pytest.mark.parametrize("kwargs", [{"pad_mode": "reflect"}, {"center": False},
                                    {"power": 1.0, "ref": np.max, "pad_mode": "linear_ramp"}])
def test_long_signals_on_the_cpu_go_in_blocks_with_the_same_values(kwargs):
    """A minute: processed a block of frames at a time, equal to FeatureConfig's
    (itself equal to librosa's whole-signal result) within 1e-3 dB; gradients flow."""
    config = FeatureConfig(sr=SR, n_fft=512, n_mels=40, **kwargs)
    rng = np.random.default_rng(1)
    y = (0.1 * rng.standard_normal(SR * 60)).astype(np.float32)
    y[:SR] = 0
    x = torch.from_numpy(y)
    assert config.n_frames(len(y)) > 4 * (gpu._CHUNK_SAMPLES // config.n_fft)
    assert float((gpu.log_mel(x, config=config) - torch.from_numpy(config.log_mel(y))).abs().max()) < 1e-3
    assert float((gpu.mfcc(x, config=config) - torch.from_numpy(config.mfcc(y))).abs().max()) < 1e-2
    part = x.clone().requires_grad_()
    gpu.log_mel(part, config=config).mean().backward()
    assert part.grad is not None and torch.isfinite(part.grad).all() and part.grad.abs().sum() > 0


def test_an_hour_on_the_cpu_needs_little_more_than_input_and_output(record_property):
    """Whole-signal: the frames, spectra and powers of an hour at 16 kHz at once, 2.2 GiB
    beyond the 220 MiB input; in blocks, the output plus a fixed working set."""
    out = run_python("""
import resource
import numpy as np, torch
from audiotut import gpu
from audiotut.features import FeatureConfig
cfg = FeatureConfig(sr=16000, n_fft=512, hop_length=128, n_mels=40, ref=np.max)
x = torch.from_numpy(np.random.default_rng(0).standard_normal(3600 * 16000, dtype=np.float32))
x *= 0.1
gpu.log_mel(x[:16000], config=cfg)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
S = gpu.log_mel(x, config=cfg)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(x.numel() * 4, S.numel() * 4, peak - before)
""", timeout=300)
    given, output, extra = map(int, out.split())
    record_property("measured", f"gpu.log_mel, 1 h at 16 kHz on the CPU: input {given / 2**20:.0f} "
                                f"MiB, output {output / 2**20:.0f} MiB, extra peak {extra / 2**20:.0f} MiB")
    assert extra < 2 * output + 96 * 2**20


def test_without_torch_the_error_says_how_to_install_it():
    """torch is an extra: where it is missing, import audiotut still works and the
    torch features say what to install, instead of 'No module named torch'."""
    out = run_python(NO_TORCH + """
import numpy as np
import audiotut
from audiotut import augment, gpu
from audiotut.features import FeatureConfig
for call in (lambda: gpu.log_mel(np.zeros(16000), config=FeatureConfig(sr=16000)),
             lambda: gpu.LogMel, lambda: augment.SpecAugment):
    try:
        call()
    except ImportError as error:
        print(error)
""")
    lines = out.strip().splitlines()
    assert len(lines) == 3
    assert all("needs PyTorch" in line and "pip install 'audiotut[torch]'" in line
               for line in lines), lines
