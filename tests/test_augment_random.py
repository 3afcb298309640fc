"""Reproducible random pipelines and SpecAugment: every property measured on the outputs
(gains and SNRs that match the drawn parameters, bit-identical items across processes and
DataLoader workers, application rates against a binomial bound, mask widths and counts read
back from masked rows and columns, a marker column moved by the time warp)."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
from helpers import run_python
import scipy.stats

from audiotut import augment as aug
from audiotut import synth
from audiotut.metrics import snr_db

SR = 16000
SENTINEL = -1000.0   # a mask value that a standard-normal "spectrogram" never holds


# --------------------------------------------------------------------------- step functions
# Module level, so that DataLoader workers started with spawn can unpickle them.


def gain_db(y: np.ndarray, *, db: float) -> np.ndarray:
    return (y * 10 ** (db / 20)).astype(np.float32)


def add_noise(y: np.ndarray, *, sr: int, rng: np.random.Generator, snr_db: float,
              color: str = "white") -> np.ndarray:
    noise = synth.noise(sr=sr, duration=y.shape[-1] / sr, color=color, rng=rng)
    return synth.mix(y, np.broadcast_to(noise, y.shape), snr_db=snr_db)


def reverse(y: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(y[..., ::-1])


def identity(y: np.ndarray) -> np.ndarray:
    return y


def _pipeline(seed: int = 0, gain_p: float = 0.8, gain_range=(-6, 6)) -> aug.Pipeline:
    return aug.Pipeline([
        aug.Step(gain_db, p=gain_p, db=aug.Uniform(*gain_range)),
        aug.Step(add_noise, p=0.5, snr_db=aug.Uniform(5, 30),
                 color=aug.Choice(["white", "pink"])),
        aug.OneOf([aug.Step(reverse), aug.Step(gain_db, db=aug.LogUniform(0.5, 2.0))], p=0.5),
    ], seed=seed)


def _clip(seconds: float = 0.25, freq: float = 440.0) -> np.ndarray:
    return synth.tone(freq, sr=SR, duration=seconds, amplitude=0.5)


# --------------------------------------------------------------------------- reproducibility

# Run both here and in fresh interpreters: only audiotut functions and code defined here.
_PROCESS_CODE = """
import hashlib, numpy as np
from audiotut import synth
from audiotut.augment import Choice, Pipeline, Step, Uniform
from audiotut.loudness import peak_normalize

def noisy(y, *, sr, rng, snr_db, color):
    n = synth.noise(sr=sr, duration=len(y) / sr, color=color, rng=rng)
    return synth.mix(y, n, snr_db=snr_db)

pipe = Pipeline([Step(peak_normalize, p=0.9, peak_db=Uniform(-12, -1)),
                 Step(noisy, snr_db=Uniform(0, 20), color=Choice(["white", "pink"]))], seed=7)
y = synth.tone(440, sr=16000, duration=0.25)
digest = hashlib.sha256(b"".join(pipe(y, sr=16000, index=i).tobytes() for i in range(5)))
digest = digest.hexdigest()
"""


def test_same_seed_and_index_are_bit_identical_in_separate_processes(record_property):
    here: dict = {}
    exec(_PROCESS_CODE, here)
    digests = []
    for hash_seed in ("1", "2"):   # different string hashing in each interpreter
        run = subprocess.run([sys.executable, "-c", _PROCESS_CODE + "\nprint(digest)"],
                             capture_output=True, text=True, timeout=120,
                             env={**os.environ, "PYTHONHASHSEED": hash_seed})
        assert run.returncode == 0, run.stderr
        digests.append(run.stdout.strip())
    assert digests == [here["digest"]] * 2
    record_property("measured", f"pipeline items 0-4 (seed 7): sha256 {here['digest'][:16]}... "
                                "identical in this process and 2 fresh interpreters")


def test_indices_and_epochs_differ_and_order_does_not_matter():
    pipe = _pipeline(seed=0)
    y = _clip()
    forward = [pipe(y, sr=SR, index=i) for i in range(12)]
    backward = [pipe(y, sr=SR, index=i) for i in reversed(range(12))][::-1]
    for a, b in zip(forward, backward):
        assert np.array_equal(a, b)
    # items agree only where no step applied at all (probability 0.2 * 0.5 * 0.5 = 5 %)
    untouched = [np.array_equal(a, y) for a in forward]
    assert len({a.tobytes() for a in forward}) == 12 - max(sum(untouched) - 1, 0)
    assert 9 <= 12 - sum(untouched)
    epoch1 = [pipe(y, sr=SR, index=i, epoch=1) for i in range(12)]
    other_seed = [_pipeline(seed=1)(y, sr=SR, index=i) for i in range(12)]
    for other in (epoch1, other_seed):
        for a, b in zip(forward, other):
            assert not np.array_equal(a, b) or np.array_equal(a, y)
        assert sum(np.array_equal(a, b) for a, b in zip(forward, other)) <= 2
    assert all(a.dtype == np.float32 and a.shape == y.shape for a in forward)


def test_input_is_never_modified_and_output_is_a_new_array():
    y = _clip()
    before = y.copy()
    out = aug.Pipeline([aug.Step(identity)], seed=0)(y, sr=SR, index=0)
    assert np.array_equal(out, y) and out is not y
    _pipeline()(y, sr=SR, index=3)
    assert np.array_equal(y, before)


def test_changing_one_step_leaves_the_other_steps_draws_alone():
    y = _clip()
    a, b = _pipeline(gain_p=0.8, gain_range=(-6, 6)), _pipeline(gain_p=1.0, gain_range=(-1, 1))
    differ = 0
    for i in range(40):
        (_, pa), (_, pb) = (p(y, sr=SR, index=i, return_params=True) for p in (a, b))
        assert pa[1:] == pb[1:]               # noise and OneOf: same decisions, same values
        differ += pa[0] != pb[0]
    assert differ == 40                       # while every gain record changed
    # changing p alone changes only whether a step applies, not the value it draws
    c = _pipeline(gain_p=1.0)
    for i in range(40):
        ra = a(y, sr=SR, index=i, return_params=True)[1][0]
        rc = c(y, sr=SR, index=i, return_params=True)[1][0]
        assert rc["applied"] and (not ra["applied"] or ra == rc)


def test_drawn_parameters_are_the_ones_applied(record_property):
    """Measure the gain (RMS ratio) and the SNR of each output against its record."""
    y = _clip(0.5)
    pipe = aug.Pipeline([aug.Step(gain_db, db=aug.Uniform(-6, 6))], seed=3)
    noise_pipe = aug.Pipeline([aug.Step(add_noise, snr_db=aug.Uniform(5, 30))], seed=3)
    worst_gain = worst_snr = 0.0
    for i in range(10):
        out, (rec,) = pipe(y, sr=SR, index=i, return_params=True)
        measured = 20 * np.log10(np.sqrt(np.mean(out**2)) / np.sqrt(np.mean(y**2)))
        worst_gain = max(worst_gain, abs(measured - rec["db"]))
        noisy, (rec,) = noise_pipe(y, sr=SR, index=i, return_params=True)
        assert isinstance(rec["rng"], int) and isinstance(rec["snr_db"], float)
        worst_snr = max(worst_snr, abs(snr_db(y, noisy) - rec["snr_db"]))
    assert worst_gain < 1e-4 and worst_snr < 1e-3
    record_property("measured", f"pipeline: measured gain within {worst_gain:.1e} dB and SNR "
                                f"within {worst_snr:.1e} dB of the recorded parameters")


def test_p_zero_never_p_one_always_and_p_03_at_its_rate(record_property):
    y = np.zeros(16, dtype=np.float32)
    n = 2000
    counts = {}
    for p in (0.0, 1.0, 0.3):
        pipe = aug.Pipeline([aug.Step(identity, p=p)], seed=0)
        counts[p] = sum(pipe(y, sr=SR, index=i, return_params=True)[1][0]["applied"]
                        for i in range(n))
    assert counts[0.0] == 0 and counts[1.0] == n
    # 2000 Bernoulli(0.3) draws: mean 600, sd sqrt(2000 * 0.3 * 0.7) = 20.5; allow 5 sd
    sd = math.sqrt(n * 0.3 * 0.7)
    assert abs(counts[0.3] - 0.3 * n) < 5 * sd
    assert scipy.stats.binomtest(counts[0.3], n, 0.3).pvalue > 1e-6
    # OneOf: applied with its p, options picked in proportion to their weights
    one_of = aug.Pipeline([aug.OneOf([aug.Step(identity), aug.Step(reverse)], p=0.5,
                                     weights=[3, 1])], seed=0)
    records = [one_of(y, sr=SR, index=i, return_params=True)[1][0] for i in range(n)]
    applied = [r for r in records if r["applied"]]
    first = sum(r["option"] == 0 for r in applied)
    assert abs(len(applied) - n / 2) < 5 * math.sqrt(n / 4)
    assert abs(first - 0.75 * len(applied)) < 5 * math.sqrt(len(applied) * 0.75 * 0.25)
    record_property("measured", f"pipeline: p=0 applied 0/{n}, p=1 {n}/{n}, p=0.3 "
                                f"{counts[0.3]}/{n} = {counts[0.3] / n:.3f} (5-sd bound "
                                f"+-{5 * sd:.0f}); OneOf p=0.5 {len(applied)}/{n}, "
                                f"weights 3:1 chose the first {first / len(applied):.3f}")


def test_params_replay_bit_identically_even_through_json():
    y = synth.tone(300, sr=SR, duration=0.25, amplitude=0.3)
    stereo = np.stack([y, 0.5 * y])
    pipe = _pipeline(seed=11)
    kinds = set()
    for signal in (y, stereo):
        for i in range(16):
            out, params = pipe(signal, sr=SR, index=i, return_params=True)
            saved = json.loads(json.dumps(params))
            assert np.array_equal(pipe.replay(signal, sr=SR, params=saved), out)
            kinds.update(r["step"] for r in params if r["applied"])
    assert kinds == {"gain_db", "add_noise", "OneOf"}
    # edit a record: switching the noise off gives the output without noise
    out, params = pipe(y, sr=SR, index=0, return_params=True)
    params[1] = {"step": "add_noise", "applied": False}
    quiet = pipe.replay(y, sr=SR, params=params)
    alone = aug.Pipeline([pipe.steps[0], pipe.steps[2]], seed=0).replay(
        y, sr=SR, params=[params[0], params[2]])
    assert np.array_equal(quiet, alone)
    with pytest.raises(ValueError, match="3 records"):
        pipe.replay(y, sr=SR, params=params[:2])
    with pytest.raises(ValueError, match="does not belong"):
        pipe.replay(y, sr=SR, params=[params[1], params[0], params[2]])


def test_pickles_and_repr():
    pipe = _pipeline(seed=5)
    copy = pickle.loads(pickle.dumps(pipe))
    assert copy == pipe
    y = _clip()
    assert np.array_equal(copy(y, sr=SR, index=2), pipe(y, sr=SR, index=2))
    text = repr(pipe)
    assert "Step(gain_db, p=0.8, db=Uniform(low=-6.0, high=6.0))" in text
    assert "OneOf([Step(reverse, p=1), " in text and text.endswith("seed=5)")


def test_refusals_are_clear_value_errors():
    with pytest.raises(ValueError, match=r"p=1.5 must be a probability"):
        aug.Step(identity, p=1.5)
    with pytest.raises(ValueError, match=r"p=-0.1"):
        aug.OneOf([aug.Step(identity)], p=-0.1)
    with pytest.raises(ValueError, match="swap them"):
        aug.Uniform(6, -6)
    with pytest.raises(ValueError, match="positive"):
        aug.LogUniform(0, 1)
    with pytest.raises(ValueError, match="at least one"):
        aug.Choice([])
    with pytest.raises(ValueError, match=r"'gain'.*does not take.*\['db'\]"):
        aug.Step(gain_db, gain=3)
    with pytest.raises(ValueError, match="leaves out 'db'"):
        aug.Step(gain_db)
    with pytest.raises(ValueError, match="pipeline passes sr"):
        aug.Step(add_noise, sr=SR, snr_db=10)
    with pytest.raises(ValueError, match="not a Step or OneOf"):
        aug.Pipeline([gain_db])
    with pytest.raises(ValueError, match="list of steps"):
        aug.Pipeline(aug.Step(identity))
    with pytest.raises(ValueError, match="seed must be a whole number"):
        aug.Pipeline([], seed=-1)
    pipe = _pipeline()
    for bad in (-1, 1.5, True, None):
        with pytest.raises(ValueError, match="index must be a whole number"):
            pipe(_clip(), sr=SR, index=bad)
    with pytest.raises(ValueError, match="epoch"):
        pipe(_clip(), sr=SR, index=0, epoch=-2)
    with pytest.raises(ValueError, match="returned list"):
        aug.Pipeline([aug.Step(lambda y: [0.0])])(_clip(), sr=SR, index=0)


# --------------------------------------------------------------------------- dataset


def test_dataset_pads_crops_labels_and_epochs():
    clips = [_clip(s) for s in (0.1, 0.25, 0.4)]
    pipe = aug.Pipeline([aug.Step(gain_db, db=aug.Uniform(-6, 6))], seed=0)
    ds = aug.AugmentedDataset(clips, sr=SR, pipeline=pipe, length=4000, labels=["a", "b", "c"])
    assert len(ds) == 3
    short, label = ds[0]
    assert label == "a" and short.shape == (4000,) and short.dtype == np.float32
    # the one pad/crop rule (audiotut.utils.fix_length) centres: 0.1 s = 1600 samples get
    # 1200 zeros on each side, 0.4 s = 6400 samples lose 1200 at each end
    assert np.all(short[:1200] == 0) and np.all(short[2800:] == 0)
    assert np.all(short[1201:1210] != 0) and np.all(short[2790:2800] != 0)
    assert np.array_equal(ds[2][0], pipe(clips[2], sr=SR, index=2)[1200:5200])  # cropped
    assert np.array_equal(ds[-1][0], ds[2][0])
    with pytest.raises(IndexError):
        ds[3]
    before = ds[1][0]
    ds.set_epoch(3)
    assert not np.array_equal(before, ds[1][0])
    assert np.array_equal(ds[1][0], pipe(clips[1], sr=SR, index=1, epoch=3))
    with pytest.raises(ValueError, match="one label per clip"):
        aug.AugmentedDataset(clips, sr=SR, pipeline=pipe, labels=[1])
    with pytest.raises(ValueError, match="length"):
        aug.AugmentedDataset(clips, sr=SR, pipeline=pipe, length=0)
    with pytest.raises(ValueError, match="Pipeline"):
        aug.AugmentedDataset(clips, sr=SR, pipeline=[aug.Step(identity)])


def test_dataloader_workers_under_spawn_match_a_single_process_loop(record_property):
    import torch.utils.data

    clips = [_clip(0.25, freq=200 + 50 * i) for i in range(8)]
    ds = aug.AugmentedDataset(clips, sr=SR, pipeline=_pipeline(seed=2), length=4000)
    ds.set_epoch(1)
    expected = np.stack([ds[i] for i in range(8)])
    loader = torch.utils.data.DataLoader(ds, batch_size=2, num_workers=2,
                                         multiprocessing_context="spawn")
    got = np.concatenate([batch.numpy() for batch in loader])
    assert got.shape == (8, 4000)
    assert np.array_equal(got, expected)
    record_property("measured", "DataLoader, 2 spawn workers, 8 items of 0.25 s, epoch 1: "
                                "bit-identical to the single-process loop")


def test_set_epoch_reaches_persistent_spawn_workers(record_property):
    """Regression: with persistent_workers=True the workers kept the epoch they were
    started with, so epoch 1 came out bit-identical to epoch 0."""
    import torch.utils.data

    clips = [_clip(0.25, freq=200 + 50 * i) for i in range(8)]
    ds = aug.AugmentedDataset(clips, sr=SR, pipeline=_pipeline(seed=3), length=4000)
    expected = {}
    for epoch in (0, 1):
        ds.set_epoch(epoch)
        expected[epoch] = np.stack([ds[i] for i in range(8)])
    assert not np.array_equal(expected[0], expected[1])
    ds.set_epoch(0)
    loader = torch.utils.data.DataLoader(ds, batch_size=2, num_workers=2,
                                         multiprocessing_context="spawn",
                                         persistent_workers=True)
    got = {}
    for epoch in (0, 1):
        ds.set_epoch(epoch)
        got[epoch] = np.concatenate([batch.numpy() for batch in loader])
    assert np.array_equal(got[0], expected[0])
    assert np.array_equal(got[1], expected[1])     # new draws, not epoch 0's again
    record_property("measured", "2 persistent spawn workers: epoch 1 differs from epoch 0 "
                                "and matches the single-process epoch 1")


def test_set_epoch_survives_pickling_outside_a_worker():
    import pickle

    ds = aug.AugmentedDataset([_clip()], sr=SR, pipeline=_pipeline(seed=4))
    ds.set_epoch(5)
    copy = pickle.loads(pickle.dumps(ds))
    assert copy.epoch == 5 and np.array_equal(copy[0], ds[0])
    copy.set_epoch(6)                     # a pickled copy is independent
    assert ds.epoch == 5


def test_integer_pcm_is_refused_not_passed_on_unscaled():
    """Regression: an int16 clip of 1000s came out of a pipeline at 1000.0 (log-mels
    ~90 dB too high) because it was cast to float without scaling."""
    pcm = np.full(1600, 1000, dtype=np.int16)
    never = aug.Pipeline([aug.Step(gain_db, p=0.0, db=aug.Uniform(-6, 6))], seed=0)
    with pytest.raises(ValueError, match="integer dtype int16.*float in \\[-1, 1\\]"):
        never(pcm, sr=SR, index=0)
    with pytest.raises(ValueError, match="integer dtype"):
        never.replay(pcm, sr=SR, params=[{"step": "gain_db", "applied": False}])
    ds = aug.AugmentedDataset([pcm], sr=SR, pipeline=never)
    with pytest.raises(ValueError, match="clips\\[0\\] has integer dtype int16"):
        ds[0]
    scaled = (pcm / 32768).astype(np.float32)         # what the message asks for
    assert np.allclose(never(scaled, sr=SR, index=0), 1000 / 32768)


# --------------------------------------------------------------------------- SpecAugment helpers


def _runs(mask: np.ndarray) -> np.ndarray:
    """Number of contiguous True runs along the last axis."""
    padded = np.concatenate([np.zeros(mask.shape[:-1] + (1,), bool), mask], axis=-1)
    return (padded[..., 1:] & ~padded[..., :-1]).sum(axis=-1)


def _masked(out: np.ndarray, value: float = SENTINEL) -> tuple[np.ndarray, np.ndarray]:
    """Fully masked rows (B, nu) and columns (B, tau) of a (B, nu, tau) output."""
    hit = out == value
    return hit.all(axis=-1), hit.all(axis=-2)


def _draws(augment, n: int, shape=(80, 300), chunk: int = 250) -> tuple[np.ndarray, np.ndarray]:
    """Masked rows and columns of n augmented copies of one random spectrogram."""
    base = np.random.default_rng(123).normal(size=shape).astype(np.float32)
    rows, cols = [], []
    for start in range(0, n, chunk):
        r, c = _masked(augment(np.broadcast_to(base, (chunk,) + shape), start))
        rows.append(r)
        cols.append(c)
    return np.concatenate(rows), np.concatenate(cols)


def _numpy_augment(policy, time_warp=False):
    return lambda S, i: aug.spec_augment(S, policy=policy, rng=i, mask_value=SENTINEL,
                                         time_warp=time_warp)


def _torch_augment(policy, time_warp=False):
    import torch

    module = aug.SpecAugment(policy, mask_value=SENTINEL, time_warp=time_warp)
    def run(S, i):
        g = torch.Generator().manual_seed(i)
        return module(torch.from_numpy(np.ascontiguousarray(S)), generator=g).numpy()
    return run


def _uniform_check(widths: np.ndarray, top: int) -> tuple[float, float]:
    """Discrete uniform on {0..top}: every value reached, mean within 5 standard errors,
    chi-square p-value above 1e-4. Returns (mean, p-value)."""
    n = widths.size
    assert widths.min() == 0 and widths.max() == top
    sd = math.sqrt(((top + 1) ** 2 - 1) / 12)
    assert abs(widths.mean() - top / 2) < 5 * sd / math.sqrt(n)
    counts = np.bincount(widths, minlength=top + 1)
    pvalue = scipy.stats.chisquare(counts).pvalue
    assert pvalue > 1e-4
    return float(widths.mean()), float(pvalue)


N_DRAWS = 2000


# --------------------------------------------------------------------------- SpecAugment (NumPy)


def test_lb_mask_widths_are_uniform_up_to_f_and_t(record_property):
    rows, cols = _draws(_numpy_augment("LB"), N_DRAWS)
    assert _runs(rows).max() == 1 and _runs(cols).max() == 1   # LB: one mask of each
    f_mean, f_p = _uniform_check(rows.sum(axis=1), 27)
    t_mean, t_p = _uniform_check(cols.sum(axis=1), 100)
    record_property("measured", f"spec_augment LB, {N_DRAWS} draws on (80, 300): freq width "
                                f"mean {f_mean:.2f} (F/2 = 13.5, chi2 p={f_p:.2f}), time width "
                                f"mean {t_mean:.2f} (T/2 = 50, chi2 p={t_p:.2f}), max 27 and 100")


def test_mask_counts_follow_mf_and_mt():
    rows, cols = _draws(_numpy_augment("LD"), 500)
    assert _runs(rows).max() == 2 and _runs(cols).max() == 2       # never more than mF, mT
    assert rows.sum(axis=1).max() <= 54 and cols.sum(axis=1).max() <= 200
    three = aug.SpecAugmentPolicy(W=0, F=5, mF=3, T=5, p=1.0, mT=0)
    rows, cols = _draws(_numpy_augment(three), 500)
    assert _runs(rows).max() == 3 and not cols.any()
    # the expected total width of mF independent masks, before overlaps, is mF * F / 2
    assert rows.sum(axis=1).mean() <= 3 * 2.5 + 5 * math.sqrt(3 * 35 / 12 / 500)


def test_sm_time_masks_respect_the_p_bound_on_short_clips(record_property):
    one_mask = dataclasses.replace(aug.POLICIES["SM"], mF=0, mT=1)
    rows, cols = _draws(_numpy_augment(one_mask), N_DRAWS, shape=(40, 100))
    t_mean, _ = _uniform_check(cols.sum(axis=1), 20)   # floor(0.2 * 100) = 20, not T = 70
    _, cols = _draws(_numpy_augment("SM"), 500, shape=(40, 100))
    assert cols.sum(axis=1).max() <= 40
    record_property("measured", f"spec_augment SM on 100 frames: time width max 20 "
                                f"(= floor(p*tau) < T=70), mean {t_mean:.2f}")


def test_mask_value_mean_is_per_example_and_input_is_untouched():
    rng = np.random.default_rng(0)
    S = rng.normal(size=(3, 2, 40, 120)) + np.arange(6).reshape(3, 2, 1, 1) * 10
    before = S.copy()
    out = aug.spec_augment(S, policy="LD", rng=0)
    assert np.array_equal(S, before) and out.dtype == S.dtype and out.shape == S.shape
    flat_in, flat_out = S.reshape(6, 40, 120), out.reshape(6, 40, 120)
    patterns = set()
    for b in range(6):
        mean = flat_in[b].mean()
        masked = flat_out[b] == mean
        assert masked.any()
        patterns.add(masked.tobytes())
    assert len(patterns) == 6                       # independent masks per leading index
    assert np.array_equal(out, aug.spec_augment(S, policy="LD", rng=0))
    assert not np.array_equal(out, aug.spec_augment(S, policy="LD", rng=1))
    ints = aug.spec_augment(np.ones((10, 20), dtype=np.int16), rng=0, mask_value=0)
    assert ints.dtype == np.float32


@pytest.mark.parametrize("shape", [(1, 1), (5, 8), (3, 2), (80, 3), (2, 100)])
def test_small_spectrograms_never_crash(shape):
    S = np.random.default_rng(0).normal(size=shape)
    for policy in aug.POLICIES:
        for seed in range(20):
            out = aug.spec_augment(S, policy=policy, rng=seed, mask_value=SENTINEL)
            assert out.shape == shape and np.isfinite(out).all()
            assert (out == SENTINEL).sum(axis=-1).max() <= shape[-1]


def test_time_warp_moves_a_marker_column(record_property):
    # the private warp: the centre frame lands exactly `shift` frames away; the ends stay
    tau = 50
    marker = np.zeros((2, 4, tau))
    marker[:, :, 20] = 1.0
    warped = aug.specaugment._warp_numpy(marker, np.array([20.0, 20.0]), np.array([7.0, -5.0]))
    assert warped.shape == marker.shape
    assert np.argmax(warped[0, 0]) == 27 and warped[0, 0, 27] == pytest.approx(1.0)
    assert np.argmax(warped[1, 0]) == 15 and warped[1, 0, 15] == pytest.approx(1.0)
    ramp = np.broadcast_to(np.arange(tau, dtype=float), (1, 3, tau))
    warped = aug.specaugment._warp_numpy(ramp, np.array([20.0]), np.array([7.0]))
    assert warped[0, 0, 0] == 0 and warped[0, 0, -1] == tau - 1
    assert np.all(np.diff(warped[0, 0]) > 0)      # monotone: time is not reordered
    # the public function: W=5 on 12 frames leaves one centre, frame 6, moved by w ~ U[-5, 5].
    # A ramp labels each frame with its index, and linear interpolation of a ramp is exact, so
    # the output holds the source position of each frame: frame 1, left of the moved centre,
    # holds 6 / (6 + w), which gives w exactly; label 6 itself is found within a frame of 6 + w.
    shift = _centre_shifts(aug.spec_augment(_ramps(N_DRAWS), policy=WARP_ONLY, rng=0))
    assert -5 - 1e-9 <= shift.min() < -4.9 and 4.9 < shift.max() < 5 + 1e-9
    assert abs(shift.mean()) < 5 * (10 / math.sqrt(12)) / math.sqrt(N_DRAWS)
    assert shift.std() == pytest.approx(10 / math.sqrt(12), rel=0.05)
    record_property("measured", f"time warp W=5: frame 6 moved by {shift.min():.2f} to "
                                f"{shift.max():.2f} frames, mean {shift.mean():+.3f}, sd "
                                f"{shift.std():.2f} (uniform on [-5, 5]: 2.89)")


WARP_ONLY = aug.SpecAugmentPolicy(W=5, F=0, mF=0, T=0, p=1.0, mT=0)


def _ramps(n: int) -> np.ndarray:
    return np.broadcast_to(np.arange(12, dtype=np.float32), (n, 3, 12)).copy()


def _centre_shifts(out: np.ndarray) -> np.ndarray:
    """The shift w of the warp centre (frame 6) in each output; checks the ends stay."""
    assert out.shape[1:] == (3, 12)
    assert np.all(out[:, :, 0] == 0) and np.all(out[:, :, -1] == 11)
    assert np.all(np.diff(out, axis=-1) > 0)                 # time is not reordered
    shift = 6 / out[:, 0, 1].astype(np.float64) - 6
    found = np.array([np.interp(6.0, row, np.arange(12)) for row in out[:, 0]]) - 6
    assert np.abs(found - shift).max() < 1
    return shift


def test_spec_augment_refusals():
    S = np.zeros((80, 100))
    with pytest.raises(ValueError, match=r"unknown SpecAugment policy 'XL'.*'LB', 'LD'"):
        aug.spec_augment(S, policy="XL")
    with pytest.raises(ValueError, match="shape"):
        aug.spec_augment(np.zeros(10))
    with pytest.raises(ValueError, match="no values"):
        aug.spec_augment(np.zeros((0, 10)))
    with pytest.raises(ValueError, match="NaN or infinite"):
        aug.spec_augment(np.full((4, 4), -np.inf))
    with pytest.raises(ValueError, match="complex"):
        aug.spec_augment(np.zeros((4, 4), dtype=complex))
    with pytest.raises(ValueError, match="mask_value"):
        aug.spec_augment(S, mask_value="median")
    with pytest.raises(ValueError, match="p="):
        aug.SpecAugmentPolicy(W=1, F=1, mF=1, T=1, p=2.0, mT=1)
    with pytest.raises(TypeError):
        aug.POLICIES["XL"] = aug.POLICIES["LB"]            # read-only
    assert aug.POLICIES["SS"] == aug.SpecAugmentPolicy(40, 27, 2, 70, 0.2, 2)


# --------------------------------------------------------------------------- SpecAugment (torch)


def test_importing_audiotut_does_not_import_torch():
    code = ("import sys, audiotut, audiotut.augment as a; "
            "assert 'torch' not in sys.modules, 'torch imported'; "
            "assert 'SpecAugment' in dir(a); a.SpecAugment; assert 'torch' in sys.modules")
    run_python(code)


def test_torch_module_masks_in_training_and_is_identity_in_eval():
    import torch

    module = aug.SpecAugment("LD")
    assert isinstance(module, torch.nn.Module) and "policy=SpecAugmentPolicy(W=80" in repr(module)
    x = torch.randn(3, 2, 40, 120) + torch.arange(6.0).reshape(3, 2, 1, 1) * 10
    before = x.clone()
    y = module(x, generator=torch.Generator().manual_seed(0))
    assert torch.equal(x, before) and y.shape == x.shape and y.dtype == x.dtype
    means = x.reshape(6, -1).mean(dim=1)
    patterns = {(y.reshape(6, 40, 120)[b] == means[b]).numpy().tobytes() for b in range(6)}
    assert len(patterns) == 6 and all(any(np.frombuffer(p, bool)) for p in patterns)
    again = module(x, generator=torch.Generator().manual_seed(0))
    assert torch.equal(y, again)
    module.eval()
    assert module(x) is x
    copy = pickle.loads(pickle.dumps(module.train()))
    assert type(copy) is aug.SpecAugment and copy.policy == aug.POLICIES["LD"]
    with pytest.raises(ValueError, match="floating-point"):
        module(torch.ones(4, 4, dtype=torch.int64))
    with pytest.raises(ValueError, match="unknown SpecAugment policy"):
        aug.SpecAugment("LX")


def test_torch_and_numpy_draw_the_same_width_distributions(record_property):
    # n = 2000 each: the difference of two means has standard error sd * sqrt(2 / n);
    # allow 5 of them, and a two-sample chi-square (contingency) p-value above 1e-4.
    n = N_DRAWS
    lines = []
    rows_np, cols_np = _draws(_numpy_augment("LB"), n)
    rows_t, cols_t = _draws(_torch_augment("LB"), n)
    for what, a, b, top in (("freq", rows_np, rows_t, 27), ("time", cols_np, cols_t, 100)):
        wa, wb = a.sum(axis=1), b.sum(axis=1)
        _uniform_check(wb, top)
        sd = math.sqrt(((top + 1) ** 2 - 1) / 12)
        assert abs(wa.mean() - wb.mean()) < 5 * sd * math.sqrt(2 / n)
        table = np.stack([np.bincount(wa, minlength=top + 1), np.bincount(wb, minlength=top + 1)])
        pvalue = scipy.stats.chi2_contingency(table).pvalue
        assert pvalue > 1e-4
        lines.append(f"{what} width mean numpy {wa.mean():.2f} / torch {wb.mean():.2f} "
                     f"(tolerance {5 * sd * math.sqrt(2 / n):.2f}, chi2 p={pvalue:.2f})")
    record_property("measured", f"SpecAugment LB, {n} draws each: " + "; ".join(lines))


def test_torch_time_warp_matches_numpy():
    import torch

    ramps = _ramps(N_DRAWS)
    shifts = [_centre_shifts(aug.spec_augment(ramps, policy=WARP_ONLY, rng=0)),
              _centre_shifts(aug.SpecAugment(WARP_ONLY)(
                  torch.from_numpy(ramps), generator=torch.Generator().manual_seed(0)).numpy())]
    se = (10 / math.sqrt(12)) * math.sqrt(2 / N_DRAWS)
    assert abs(shifts[0].mean() - shifts[1].mean()) < 5 * se
    assert shifts[1].std() == pytest.approx(shifts[0].std(), rel=0.1)
    assert shifts[1].min() < -4.9 and shifts[1].max() > 4.9 and shifts[1].max() < 5 + 1e-4


# --------------------------------------------------------------------------- adaptive masking


ADAPT_SIZE = aug.SpecAugmentPolicy(W=0, F=0, mF=0, T=10_000, p=1.0, mT=2, pS=0.1)
ADAPT_BOTH = aug.SpecAugmentPolicy(W=0, F=0, mF=0, T=10_000, p=1.0, mT=20, pM=0.04, pS=0.04)


def test_adaptive_time_masks_follow_the_length(record_property):
    # Park et al. (2020): count min(mT, floor(pM tau)), width up to floor(pS tau)
    assert ADAPT_BOTH.time_masks(151) == (6, 6) and ADAPT_BOTH.time_masks(1200) == (20, 48)
    assert ADAPT_SIZE.time_masks(151) == (2, 15) and aug.POLICIES["LD"].time_masks(151) == (2, 100)
    assert aug.POLICIES["SM"].time_masks(100) == (2, 20)          # the p bound, unchanged
    rows, cols = _draws(_numpy_augment(ADAPT_BOTH), 500, shape=(4, 151))
    assert _runs(cols).max() == 6 and cols.sum(axis=1).max() <= 36
    # adaptive size: the share of frames masked is the same on 1.5 s and on 12 s;
    # the fixed LD policy masks a far larger share of the short clip
    share = {}
    ld_time = dataclasses.replace(aug.POLICIES["LD"], mF=0)        # time masks only
    for name, policy in (("adaptive", ADAPT_SIZE), ("LD", ld_time)):
        for tau in (151, 1201):
            _, cols = _draws(_numpy_augment(policy), 1000, shape=(2, tau))
            share[name, tau] = float(cols.mean())
    assert abs(share["adaptive", 151] - share["adaptive", 1201]) < 0.01
    assert 0.085 < share["adaptive", 1201] < 0.105                   # about 2 x 0.1 / 2
    assert share["LD", 151] > 4 * share["LD", 1201]
    record_property("measured", "masked share of frames, tau 151 / 1201: adaptive pS=0.1 "
                                f"{share['adaptive', 151]:.3f} / {share['adaptive', 1201]:.3f}, "
                                f"LD {share['LD', 151]:.3f} / {share['LD', 1201]:.3f}")


def test_adaptive_policy_in_torch_matches_the_counts():
    import torch

    module = aug.SpecAugment(ADAPT_BOTH, mask_value=SENTINEL, time_warp=False)
    x = torch.from_numpy(np.random.default_rng(0).normal(size=(500, 4, 151)).astype(np.float32))
    _, cols = _masked(module(x, generator=torch.Generator().manual_seed(0)).numpy())
    assert _runs(cols).max() == 6 and cols.sum(axis=1).max() <= 36
    assert "pM=0.04, pS=0.04" in repr(module)


def test_policy_that_cannot_warp_warns():
    import torch

    S = np.random.default_rng(0).normal(size=(80, 151))
    with pytest.warns(UserWarning, match=r"W=80 needs at least 2W = 160 frames.*tau=151"):
        aug.spec_augment(S, policy="LD", rng=0)
    with pytest.warns(UserWarning, match="tau=151"):
        aug.SpecAugment("LD")(torch.from_numpy(S.astype(np.float32)))
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        aug.spec_augment(S, policy="LD", rng=0, time_warp=False)
        aug.spec_augment(np.zeros((80, 160)), policy="LD", rng=0)
        aug.spec_augment(S, policy=dataclasses.replace(aug.POLICIES["LD"], W=15), rng=0)
    assert repr(aug.POLICIES["LD"]) == "SpecAugmentPolicy(W=80, F=27, mF=2, T=100, p=1.0, mT=2)"
    for bad in ({"pM": 1.5}, {"pS": -0.1}, {"pS": True}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            aug.SpecAugmentPolicy(W=0, F=0, mF=0, T=10, p=1.0, mT=1, **bad)
