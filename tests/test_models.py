"""audiotut.models and audiotut.utils: fix_length puts samples where centring says, deterministic repeats draws
and shuffles, LogMelCNN is LogMel + classifier and learns a toy tone task, fit trains it and
keeps the best validation epoch, predict / evaluate /
confusion_matrix count what a model with known outputs gets right."""

from __future__ import annotations


import numpy as np
import pytest
from helpers import run_python
import torch

from audiotut import gpu, synth
from audiotut.features import FeatureConfig
from audiotut.models import LogMelCNN, confusion_matrix, evaluate, fit, predict
from audiotut.utils import deterministic, fix_length

SR = 8000
CFG = FeatureConfig(sr=SR, n_fft=256, hop_length=80, n_mels=40)


@pytest.fixture
def torch_state():
    """Restore the global torch / NumPy state that deterministic() changes."""
    flag = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    threads = torch.get_num_threads()
    rng_state = torch.get_rng_state()
    np_state = np.random.get_state()
    yield
    torch.use_deterministic_algorithms(flag, warn_only=warn_only)
    torch.set_num_threads(threads)
    torch.set_rng_state(rng_state)
    np.random.set_state(np_state)


# --------------------------------------------------------------------------- fix_length


@pytest.mark.parametrize(("n", "length", "expected"), [
    (3, 6, [0, 1, 2, 3, 0, 0]),          # odd difference: the extra zero goes after
    (3, 5, [0, 1, 2, 3, 0]),             # even difference: equal on both sides
    (2, 7, [0, 0, 1, 2, 0, 0, 0]),
    (5, 3, [2, 3, 4]),                   # even difference: one off each end
    (6, 3, [2, 3, 4]),                   # odd difference: the extra one off the end
    (7, 2, [3, 4]),
    (4, 4, [1, 2, 3, 4]),
])
def test_fix_length_centres_at_known_positions(n, length, expected):
    y = np.arange(1, n + 1, dtype=np.float32)
    out = fix_length(y, length=length)
    assert out.dtype == np.float32 and out.shape == (length,)
    np.testing.assert_array_equal(out, np.array(expected, dtype=np.float32))
    # the position formula of the docstring: (length - n) // 2 zeros (or samples cut) before
    if length > n:
        before = (length - n) // 2
        np.testing.assert_array_equal(out[before:before + n], y)
        assert not out[:before].any() and not out[before + n:].any()


@pytest.mark.parametrize(("n", "length", "expected"), [
    (3, 6, [1, 2, 3, 0, 0, 0]), (5, 3, [1, 2, 3]), (3, 3, [1, 2, 3])])
def test_fix_length_left_keeps_the_start(n, length, expected):
    y = np.arange(1, n + 1, dtype=np.float32)
    out = fix_length(y, length=length, align="left")
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.array(expected, dtype=np.float32))


@pytest.mark.parametrize("align", ["center", "left"])
def test_fix_length_channels_float32_and_input_untouched(align):
    y = np.stack([np.arange(1, 6), 10 * np.arange(1, 6)]).astype(np.float64)  # (2, 5)
    before = y.copy()
    longer, shorter = fix_length(y, length=8, align=align), fix_length(y, length=2, align=align)
    assert longer.shape == (2, 8) and shorter.shape == (2, 2)
    assert longer.dtype == shorter.dtype == np.float32
    start = 1 if align == "center" else 0
    for row in range(2):
        np.testing.assert_array_equal(longer[row, start:start + 5], y[row])
        assert longer[row].sum() == y[row].sum()  # only zeros added
        np.testing.assert_array_equal(shorter[row], y[row, start:start + 2])
    np.testing.assert_array_equal(y, before)
    assert y.dtype == np.float64
    # equal length: still a new float32 array, not a view of the input
    y32 = np.arange(1, 6, dtype=np.float32)
    same = fix_length(y32, length=5, align=align)
    assert not np.shares_memory(same, y32)
    same[0] = 99
    assert y32[0] == 1


def test_fix_length_integer_pcm_becomes_float32():
    out = fix_length(np.array([1, -2, 3], dtype=np.int16), length=5)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [0, 1, -2, 3, 0])


@pytest.mark.parametrize("length", [0, -1, 1.5, True, "4", None])
def test_fix_length_refuses_bad_length(length):
    with pytest.raises(ValueError, match=f"length.*{length!r}"):
        fix_length(np.ones(4, dtype=np.float32), length=length)


def test_fix_length_refuses_bad_align_and_bad_signals():
    with pytest.raises(ValueError, match="align.*'right'"):
        fix_length(np.ones(4, dtype=np.float32), length=3, align="right")
    y = np.ones(4, dtype=np.float32)
    y[2] = np.nan
    with pytest.raises(ValueError, match="1 NaN"):
        fix_length(y, length=3)
    with pytest.raises(ValueError, match=r"\(2, 2, 4\)"):
        fix_length(np.ones((2, 2, 4), dtype=np.float32), length=3)
    with pytest.raises(ValueError, match=r"\(8, 2\).*\.T"):
        fix_length(np.ones((8, 2), dtype=np.float32), length=3)   # frame-first


# --------------------------------------------------------------------------- deterministic


@pytest.mark.usefixtures("torch_state")
def test_deterministic_repeats_torch_and_numpy_draws():
    torch.use_deterministic_algorithms(False)
    g = deterministic(123)
    assert torch.are_deterministic_algorithms_enabled()
    assert isinstance(g, torch.Generator) and g.initial_seed() == 123
    a_torch, a_np, a_gen = torch.rand(5), np.random.rand(5), torch.rand(5, generator=g)
    torch.rand(7), np.random.rand(7)                 # move the states on
    g2 = deterministic(np.int64(123))
    b_torch, b_np, b_gen = torch.rand(5), np.random.rand(5), torch.rand(5, generator=g2)
    assert torch.equal(a_torch, b_torch) and torch.equal(a_gen, b_gen)
    np.testing.assert_array_equal(a_np, b_np)
    # the seed matters, and the draws are what torch / NumPy give for that seed
    deterministic(124)
    assert not torch.equal(torch.rand(5), a_torch)
    assert torch.equal(a_torch, torch.rand(5, generator=torch.Generator().manual_seed(123)))
    np.testing.assert_array_equal(a_np, np.random.RandomState(123).rand(5))


@pytest.mark.usefixtures("torch_state")
def test_deterministic_generator_makes_dataloader_shuffle_reproducible(record_property):
    data = torch.utils.data.TensorDataset(torch.arange(20))

    def order(seed):
        loader = torch.utils.data.DataLoader(data, batch_size=4, shuffle=True,
                                             generator=deterministic(seed))
        return [int(v) for (batch,) in loader for v in batch]

    first, again, other = order(7), order(7), order(8)
    assert sorted(first) == list(range(20))
    assert first == again
    assert first != list(range(20)) and first != other
    record_property("measured", f"seed 7 shuffle: {first[:8]}...")


@pytest.mark.usefixtures("torch_state")
def test_deterministic_sets_threads_only_when_asked():
    start = torch.get_num_threads()
    deterministic(0)
    assert torch.get_num_threads() == start
    deterministic(0, threads=1)
    assert torch.get_num_threads() == 1


@pytest.mark.usefixtures("torch_state")
@pytest.mark.parametrize("seed", [-1, 1.5, True, "0", None])
def test_deterministic_refuses_bad_seeds(seed):
    torch.use_deterministic_algorithms(False)
    with pytest.raises(ValueError, match=f"seed.*{seed!r}"):
        deterministic(seed)
    assert not torch.are_deterministic_algorithms_enabled()   # refused before changing state


@pytest.mark.usefixtures("torch_state")
@pytest.mark.parametrize("threads", [0, -2, 1.5, True])
def test_deterministic_refuses_bad_threads(threads):
    start = torch.get_num_threads()
    with pytest.raises(ValueError, match=f"threads.*{threads!r}"):
        deterministic(0, threads=threads)
    assert torch.get_num_threads() == start


# --------------------------------------------------------------------------- LogMelCNN


def _waves(batch: int, seed: int = 0) -> torch.Tensor:
    return 0.1 * torch.randn(batch, SR // 2, generator=torch.Generator().manual_seed(seed))


def test_digitcnn_shapes_and_front_end():
    torch.manual_seed(0)
    model = LogMelCNN(CFG, n_classes=3, channels=(4, 8)).eval()
    x = _waves(5)
    with torch.no_grad():
        logits = model(x)
        assert logits.shape == (5, 3) and logits.dtype == torch.float32
        # the first layer is a LogMel with the given config, giving gpu.log_mel's numbers
        first = next(iter(model.children()))
        assert first is model.logmel and isinstance(first, gpu.LogMel)
        assert model.logmel.config == CFG and model.config == CFG
        S = model.logmel(x)
        assert S.shape == (5, 40, CFG.n_frames(SR // 2)) == (5, 40, 51)
        torch.testing.assert_close(S, gpu.log_mel(x, config=CFG), rtol=0, atol=1e-4)
        # forward is exactly classify(logmel(x))
        assert torch.equal(logits, model.classify(S))
        assert torch.equal(model(x[:2]), model.classify(model.logmel(x[:2])))


@pytest.mark.parametrize(("channels", "n_mels", "n_classes"),
                         [((16, 32, 64), 40, 10), ((4, 8), 40, 3), ((5,), 33, 2)])
def test_digitcnn_parameter_count_follows_the_architecture(channels, n_mels, n_classes):
    # BatchNorm(1), per block a bias-free 3x3 conv and a BatchNorm, then one linear layer
    # over channels[-1] * (n_mels // 2**blocks) features
    expected, c_in = 2, 1
    for c in channels:
        expected += 9 * c_in * c + 2 * c
        c_in = c
    features = channels[-1] * (n_mels // 2 ** len(channels))
    expected += features * n_classes + n_classes
    model = LogMelCNN(CFG.replace(n_mels=n_mels), n_classes=n_classes, channels=channels)
    assert sum(p.numel() for p in model.parameters()) == expected
    if channels == (16, 32, 64):
        assert expected == 26620           # the docstring's number


def test_digitcnn_state_dict_round_trip():
    torch.manual_seed(1)
    model = LogMelCNN(CFG, n_classes=4, channels=(4, 8), dropout=0.2)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    x, y = _waves(6, seed=1), torch.tensor([0, 1, 2, 3, 0, 1])
    for _ in range(3):                      # move the weights and BatchNorm statistics
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    state = model.state_dict()
    # learned weights and statistics only: the front-end's buffers are not saved
    assert not any(key.startswith("logmel.") for key in state)
    assert "body.0.running_mean" in state
    torch.manual_seed(99)
    clone = LogMelCNN(CFG, n_classes=4, channels=(4, 8), dropout=0.2)
    model.eval(), clone.eval()
    with torch.no_grad():
        assert not torch.equal(clone(x), model(x))
        clone.load_state_dict(state)
        assert torch.equal(clone(x), model(x))


def _tone_clips(per_class: int, freqs: tuple[float, ...], seed: int):
    """Tones of jittered frequency, random amplitude and phase, in noise; 0.5 s at 8 kHz."""
    rng = np.random.default_rng(seed)
    clips, labels = [], []
    for label, freq in enumerate(freqs):
        for _ in range(per_class):
            y = synth.tone(freq * rng.uniform(0.95, 1.05), sr=SR, duration=0.5,
                           amplitude=rng.uniform(0.1, 0.5), phase=rng.uniform(0, 2 * np.pi))
            clips.append(y + rng.normal(0, 0.05, y.shape).astype(np.float32))
            labels.append(label)
    return torch.from_numpy(np.stack(clips)), torch.tensor(labels)


@pytest.mark.usefixtures("torch_state")
def test_digitcnn_learns_three_tones(record_property):
    # one thread: on a busy 2-core machine two threads make each tiny step ~50x slower
    g = deterministic(0, threads=1)
    freqs = (500.0, 700.0, 900.0)                   # two or three mel bands apart
    x, y = _tone_clips(20, freqs, seed=0)           # 60 training clips
    x_new, y_new = _tone_clips(10, freqs, seed=1)   # 30 clips it never sees
    model = LogMelCNN(CFG, n_classes=3, channels=(8, 16))
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=30)
    before = evaluate(model, loader)
    # log-mels computed once (LogMel has no parameters), as the docstring suggests
    with torch.no_grad():
        S = model.logmel(x)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    steps = 30
    model.train()
    for _ in range(steps):
        batch = torch.randperm(60, generator=g)[:20]
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model.classify(S[batch]), y[batch])
        loss.backward()
        optimizer.step()
    after = evaluate(model, loader)
    held_out = evaluate(model, [(x_new, y_new)])
    labels, preds = predict(model, loader)
    counts = confusion_matrix(labels, preds, n_classes=3)
    record_property("measured", f"tones {freqs} Hz, {steps} Adam steps: train accuracy "
                                f"{before:.2f} -> {after:.2f} (held out {held_out:.2f}), "
                                f"last batch loss {loss.item():.3f}")
    assert after >= 0.9, counts
    assert held_out >= 0.8
    assert after > before
    assert counts.trace() == round(after * 60) and counts.sum() == 60


def test_digitcnn_refuses_bad_input():
    model = LogMelCNN(CFG, n_classes=3, channels=(4,)).eval()
    with pytest.raises(ValueError, match=r"x has shape \(4000,\).*x\[None\]"):
        model(torch.zeros(SR // 2))                    # one clip, not a batch
    with pytest.raises(ValueError, match=r"\(2, 2, 4000\).*fold channels"):
        model(torch.zeros(2, 2, SR // 2))              # (batch, channels, n)
    with pytest.raises(ValueError, match=r"S has shape \(40, 51\).*S\[None\]"):
        model.classify(torch.zeros(40, 51))
    with pytest.raises(ValueError, match="numpy array"):
        model(np.zeros((2, SR // 2), dtype=np.float32))
    with pytest.raises(ValueError, match="integer dtype"):
        model(torch.zeros(2, SR // 2, dtype=torch.int16))


@pytest.mark.parametrize(("kwargs", "match"), [
    (dict(channels=()), "at least one block"),
    (dict(channels=(8, 0)), "channels.*0"),
    (dict(n_classes=0), "n_classes.*0"),
    (dict(n_classes=2.5), "n_classes.*2.5"),
    (dict(dropout=1.0), "dropout.*1.0"),
    (dict(dropout=-0.1), "dropout.*-0.1"),
    (dict(channels=(2,) * 6), "6 blocks.*n_mels=40.*at most 5"),
])
def test_digitcnn_refuses_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LogMelCNN(CFG, **kwargs)


def test_digitcnn_refuses_a_config_that_is_not_one():
    with pytest.raises(ValueError, match="FeatureConfig"):
        LogMelCNN({"sr": SR})


# --------------------------------------------------------------------------- predict/evaluate


class _FixedLogits(torch.nn.Module):
    """Returns one stored logit row per input index (inputs are the indices), and records the
    mode and gradient state it ran under."""

    def __init__(self, logits: torch.Tensor) -> None:
        super().__init__()
        self.scale = torch.nn.Parameter(torch.ones(()))
        self.logits = logits
        self.seen: list[tuple[bool, bool]] = []

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        self.seen.append((self.training, torch.is_grad_enabled()))
        return self.scale * self.logits[idx]


def test_predict_and_evaluate_on_known_logits(record_property):
    # argmax of each row: 2, 0, 1, 1, 0, 2, 2
    logits = torch.tensor([[0., 1., 5.], [3., 1., 2.], [0., 9., 1.], [1., 2., 0.],
                           [7., 0., 0.], [0., 0., 1.], [1., 2., 3.]])
    labels = torch.tensor([2, 0, 0, 1, 2, 2, 1])     # right at 0, 1, 3, 5: 4 of 7
    model = _FixedLogits(logits).train()
    loader = [(torch.arange(0, 3), labels[0:3]), (torch.arange(3, 5), labels[3:5]),
              (torch.arange(5, 7), labels[5:7])]
    got_labels, got_preds = predict(model, loader)
    assert got_labels.dtype == got_preds.dtype == np.int64
    np.testing.assert_array_equal(got_labels, [2, 0, 0, 1, 2, 2, 1])
    np.testing.assert_array_equal(got_preds, [2, 0, 1, 1, 0, 2, 2])
    # ran in eval mode without gradients, and gave the training mode back
    assert model.seen == [(False, False)] * 3
    assert model.training
    accuracy = evaluate(model, loader)
    assert isinstance(accuracy, float) and accuracy == pytest.approx(4 / 7, abs=1e-12)
    assert model.seen[3:] == [(False, False)] * 3 and model.training
    # a model found in eval mode stays in eval mode
    model.eval()
    evaluate(model, loader)
    assert not model.training
    record_property("measured", f"known logits: accuracy {accuracy:.4f} (4/7)")


def test_predict_with_a_dataloader_keeps_its_order_and_plain_int_labels():
    model = _FixedLogits(torch.eye(4)[[3, 2, 1, 0, 0]])       # preds 3, 2, 1, 0, 0
    data = torch.utils.data.TensorDataset(torch.arange(5), torch.tensor([3, 2, 0, 0, 1]))
    loader = torch.utils.data.DataLoader(data, batch_size=2, shuffle=False)
    labels, preds = predict(model, loader)
    np.testing.assert_array_equal(labels, [3, 2, 0, 0, 1])
    np.testing.assert_array_equal(preds, [3, 2, 1, 0, 0])
    assert evaluate(model, loader) == pytest.approx(3 / 5)
    assert evaluate(model, [(torch.arange(5), [3, 2, 1, 0, 0])]) == 1.0   # list labels


def test_predict_restores_training_mode_on_error_and_refuses_an_empty_loader():
    model = _FixedLogits(torch.eye(2)).train()
    with pytest.raises(IndexError):
        predict(model, [(torch.tensor([5]), torch.tensor([0]))])    # index out of range
    assert model.training
    with pytest.raises(ValueError, match="no batches"):
        predict(model, [])
    assert model.training


# --------------------------------------------------------------------------- confusion_matrix


def test_confusion_matrix_known_counts():
    labels = [0, 0, 0, 1, 1, 2, 2, 2, 2]
    preds = [0, 1, 0, 1, 2, 2, 0, 2, 2]
    counts = confusion_matrix(labels, preds, n_classes=3)
    expected = np.array([[2, 1, 0],      # rows are truth
                         [0, 1, 1],
                         [1, 0, 3]])
    np.testing.assert_array_equal(counts, expected)
    assert counts.dtype == np.int64 and counts.sum() == len(labels)
    np.testing.assert_array_equal(counts.sum(axis=1), np.bincount(labels))
    np.testing.assert_array_equal(counts.sum(axis=0), np.bincount(preds))
    # numpy input, and more classes than the labels use: empty rows and columns
    wide = confusion_matrix(np.array(labels), np.array(preds, dtype=np.uint8), n_classes=5)
    assert wide.shape == (5, 5)
    np.testing.assert_array_equal(wide[:3, :3], expected)
    assert not wide[3:].any() and not wide[:, 3:].any()
    assert confusion_matrix([], [], n_classes=2).tolist() == [[0, 0], [0, 0]]


@pytest.mark.parametrize(("labels", "preds", "n_classes", "match"), [
    ([0, 1, 2], [0, 1], 3, r"\(3,\).*\(2,\)"),
    ([0, 3], [0, 1], 3, "labels.*0..2.*3"),
    ([0, 1], [0, 5], 3, "predictions.*0..2.*5"),
    ([-1, 1], [0, 1], 3, "labels.*-1"),
    ([0.0, 1.0], [0, 1], 3, "labels.*whole numbers"),
    ([[0, 1]], [[0, 1]], 3, "1-D"),
    ([0, 1], [0, 1], 0, "n_classes.*0"),
])
def test_confusion_matrix_refuses_bad_input(labels, preds, n_classes, match):
    with pytest.raises(ValueError, match=match):
        confusion_matrix(labels, preds, n_classes=n_classes)


# --------------------------------------------------------------------------- import


def test_importing_audiotut_models_does_not_import_torch():
    code = ("import sys, audiotut.models as m, audiotut.utils as u\n"
            "assert 'torch' not in sys.modules, 'torch imported'\n"
            "assert 'LogMelCNN' in dir(m) and 'LogMelCNN' in m.__all__\n"
            "assert 'DigitCNN' in dir(m) and 'DigitCNN' not in m.__all__\n"
            "u.fix_length(__import__('numpy').ones(3), length=4)\n"
            "m.confusion_matrix([0], [0], n_classes=1)\n"
            "assert 'torch' not in sys.modules, 'torch imported by numpy-only functions'\n"
            "assert m.DigitCNN is m.LogMelCNN\n"
            "assert 'torch' in sys.modules\n")
    run_python(code)


def test_predict_and_evaluate_refuse_non_finite_inputs_and_logits():
    """Regression: NaN logits were counted as class 0 (argmax of a NaN row is 0)."""
    import torch

    from audiotut.models import evaluate, predict

    model = torch.nn.Linear(2, 3)
    x, y = torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([0, 0])
    with torch.no_grad():
        model.weight.fill_(float("nan"))
    assert torch.isnan(model(x)).all() and model(x).argmax(dim=1).tolist() == [0, 0]
    with pytest.raises(ValueError, match=r"NaN or infinite logits for 2 example\(s\) of batch 0"):
        evaluate(model, [(x, y)])
    torch.nn.init.eye_(model.weight)                        # finite again
    with pytest.raises(ValueError, match="batch 1 holds 1 NaN or infinite input values"):
        predict(model, [(x, y), (torch.tensor([[float("inf"), 0.0]]), torch.tensor([0]))])
    assert model.training                                   # the mode is restored


def test_save_and_load_carry_the_front_end_shape_and_classes(tmp_path):
    from audiotut.models import load, save

    config = FeatureConfig(sr=8000, n_fft=256, hop_length=128, n_mels=24, ref=np.max)
    deterministic(0)
    model = LogMelCNN(config, n_classes=3, channels=(8, 16), dropout=0.2).eval()
    x = 0.1 * torch.randn(4, 8000)
    path = save(model, tmp_path / "words.pt", classes=["yes", "no", "maybe"])
    raw = torch.load(path, weights_only=True)            # plain data and tensors only
    assert raw["config"]["ref"] == "numpy.max" and raw["init"]["channels"] == [8, 16]
    again, classes = load(path)
    assert classes == ["yes", "no", "maybe"] and not again.training
    assert again.config == config and again.init_args == model.init_args
    assert torch.equal(again(x), model(x))
    fresh = LogMelCNN(config, n_classes=3, channels=(8, 16))
    into, _ = load(path, into=fresh)
    assert into is fresh and torch.equal(into(x), model(x))
    assert not list(tmp_path.glob(".*partial"))


def test_load_names_what_differs_and_refuses_foreign_files(tmp_path):
    from audiotut.models import load, save

    path = save(LogMelCNN(FeatureConfig(sr=8000, n_fft=256, n_mels=40)), tmp_path / "m.pt")
    other = LogMelCNN(FeatureConfig(sr=8000, n_fft=512, n_mels=40))
    with pytest.raises(ValueError, match=r"n_fft 256 saved, 512 in into; hop_length 64 saved, "
                                         r"128 in into.*load without into="):
        load(path, into=other)
    bare = tmp_path / "bare.pt"
    torch.save(other.state_dict(), bare)
    with pytest.raises(ValueError, match="not a model saved by audiotut.models.save"):
        load(bare)
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a model saved"):
        load(tmp_path / "junk.pt")
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.pt")
    with pytest.raises(ValueError, match="2 names for a model with 10 outputs"):
        save(other, tmp_path / "x.pt", classes=["a", "b"])
    with pytest.raises(ValueError, match="writes audiotut's LogMelCNN"):
        save(torch.nn.Linear(2, 2), tmp_path / "x.pt")


# --------------------------------------------------------------------------- fit


class _EpochTensors(torch.utils.data.Dataset):
    """Tensors whose set_epoch calls are recorded (as FSDD.to_torch's dataset has)."""

    def __init__(self, x, y):
        self.x, self.y, self.epochs = x, y, []

    def set_epoch(self, epoch):
        self.epochs.append(epoch)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def _tones(n_per_class, seed):
    rng = np.random.default_rng(seed)
    freqs = (500.0, 700.0, 900.0)
    x = np.stack([synth.tone(f, sr=SR, duration=0.25, amplitude=0.3)
                  + 0.01 * rng.standard_normal(SR // 4).astype(np.float32)
                  for f in freqs for _ in range(n_per_class)])
    y = np.repeat(np.arange(3), n_per_class)
    return torch.from_numpy(x.astype(np.float32)), torch.from_numpy(y)


def test_fit_trains_calls_set_epoch_and_keeps_the_best_validation_epoch(torch_state):
    g = deterministic(0, threads=1)
    x, y = _tones(8, seed=1)
    x_val, y_val = _tones(4, seed=2)
    data = _EpochTensors(x, y)
    train = torch.utils.data.DataLoader(data, batch_size=8, shuffle=True, generator=g)
    val = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x_val, y_val), batch_size=12)
    model = LogMelCNN(CFG, n_classes=3, channels=(4, 8))
    before = evaluate(model, val)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    history = fit(model, train, epochs=6, optimizer=opt, validation=val, progress=False)
    assert data.epochs == [0, 1, 2, 3, 4, 5]
    assert [h["epoch"] for h in history] == list(range(6))
    assert history[-1]["loss"] < history[0]["loss"]
    best = max(h["val_accuracy"] for h in history)
    assert best == 1.0 and before < 0.7
    # the restored weights are the best epoch's (last of the ties), not simply the last epoch's
    assert evaluate(model, val) == best
    print(f"fit: 6 epochs on 24 tone clips, loss {history[0]['loss']:.3f} -> "
          f"{history[-1]['loss']:.3f}, validation {before:.2f} -> {best:.2f}")


def test_fit_restores_the_best_epoch_when_a_later_one_is_worse(torch_state):
    deterministic(0, threads=1)
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    y = torch.tensor([0, 1])
    model = torch.nn.Linear(2, 2, bias=False)
    with torch.no_grad():
        model.weight.copy_(torch.eye(2))

    class Sabotage(torch.optim.Optimizer):
        """Epoch 0 keeps the perfect weights; from epoch 1 on it swaps the rows."""

        def __init__(self, params):
            super().__init__(params, {})
            self.calls = 0

        def step(self, closure=None):
            self.calls += 1
            if self.calls >= 2:
                with torch.no_grad():
                    model.weight.copy_(torch.tensor([[0.0, 1.0], [1.0, 0.0]]))

    history = fit(model, [(x, y)], epochs=3, optimizer=Sabotage(model.parameters()),
                  validation=[(x, y)], progress=False)
    assert [h["val_accuracy"] for h in history] == [1.0, 0.0, 0.0]
    assert torch.equal(model.weight, torch.eye(2))             # epoch 0's weights restored
    fit(model, [(x, y)], epochs=2, optimizer=Sabotage(model.parameters()),
        validation=[(x, y)], progress=False, keep_best=False)
    assert not torch.equal(model.weight, torch.eye(2))         # keep_best=False keeps the last


def test_fit_refuses_non_finite_losses_bad_epochs_and_empty_loaders(torch_state):
    model = torch.nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    good = (torch.ones(2, 2), torch.tensor([0, 1]))
    bad = (torch.tensor([[float("nan"), 0.0], [0.0, 1.0]]), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="epoch 0, batch 1"):
        fit(model, [good, bad], epochs=1, optimizer=opt, progress=False)
    for epochs in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="epochs"):
            fit(model, [good], epochs=epochs, optimizer=opt, progress=False)
    with pytest.raises(ValueError, match="no batches"):
        fit(model, [], epochs=1, optimizer=opt, progress=False)


def test_fit_shows_a_progress_bar_on_stderr(torch_state, capsys):
    model = torch.nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    fit(model, [(torch.ones(2, 2), torch.tensor([0, 1]))] * 3, epochs=2, optimizer=opt)
    err = capsys.readouterr().err
    assert "epoch 1/2" in err and "epoch 2/2" in err and "loss=" in err
