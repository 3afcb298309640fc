"""audiotut.stream: the streaming front-end equals the offline one whatever the blocks,
refusals of what cannot be streamed, the recognizer's events, the live loop's errors,
and spoken digits recognised live through the virtual sound card (``-k loopback``)."""

from __future__ import annotations

import numpy as np
import pytest

from audiotut import playback, stream
from audiotut.errors import AudioDeviceError
from audiotut.features import FeatureConfig
from audiotut.stream import Event, Recognizer, StreamingLogMel

SR = 16000
BASE = FeatureConfig(sr=SR, n_fft=400, hop_length=160, n_mels=40, center=False,
                     top_db=None)
CONFIGS = {
    "power-hop160": BASE,
    "magnitude-hamming-short-window": BASE.replace(n_fft=512, win_length=320,
                                                   hop_length=128, window="hamming",
                                                   power=1.0),
    "power1.5-ref-fmin-fmax": BASE.replace(power=1.5, ref=0.01, amin=1e-6, fmin=60.0,
                                           fmax=7000.0, n_mels=24, htk=True),
    "hop-equals-window-8k": FeatureConfig(sr=8000, n_fft=256, hop_length=256, n_mels=20,
                                          center=False, top_db=None, ref=2.0),
}


def _signal(seconds: float, sr: int, seed: int) -> np.ndarray:
    """Noise, a chirp and digital silence: levels from the amin floor to near full scale."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    t = np.arange(n) / sr
    y = 0.3 * np.sin(2 * np.pi * (100 * t + 300 * t**2)) + 0.05 * rng.standard_normal(n)
    y[n // 3: n // 3 + sr // 2] = 0.0
    return y.astype(np.float32)


def _random_blocks(y: np.ndarray, sr: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Blocks of 1 sample to 3 seconds (log-uniform), and some empty ones."""
    blocks, start = [], 0
    while start < y.size:
        size = 0 if rng.random() < 0.05 else int(np.exp(rng.uniform(0, np.log(3 * sr))))
        blocks.append(y[start:start + size])
        start += size
    return blocks


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_streamed_frames_equal_the_whole_signals_log_mel(name, seed, record_property):
    cfg = CONFIGS[name]
    y = _signal(8.0, cfg.sr, seed)
    rng = np.random.default_rng(100 + seed)
    front = StreamingLogMel(cfg)
    blocks = _random_blocks(y, cfg.sr, rng)
    parts = [front.push(block) for block in blocks]
    assert all(p.shape[0] == cfg.n_mels and p.dtype == np.float32 for p in parts)
    streamed = np.concatenate(parts, axis=1)
    offline = cfg.log_mel(y)
    assert streamed.shape == offline.shape
    assert front.frames == offline.shape[1] and front.samples == y.size
    error = float(np.abs(streamed - offline).max())
    assert error <= 1e-3, f"{name}: {error:.2e} dB"
    if seed == 0:
        record_property("measured", f"StreamingLogMel {name}: {len(blocks)} blocks, largest "
                                    f"difference from log_mel {error:.1e} dB")


def test_one_sample_at_a_time_and_reset():
    cfg = BASE
    y = _signal(0.3, SR, 3)
    front = StreamingLogMel(cfg)
    parts = [front.push(y[i:i + 1]) for i in range(y.size)]
    counts = [p.shape[1] for p in parts]
    # frame t is finished by sample t * hop + n_fft - 1, and not before
    finished = [i for i, k in enumerate(counts) if k]
    assert finished == [t * cfg.hop_length + cfg.n_fft - 1 for t in range(len(finished))]
    assert set(counts) == {0, 1}
    np.testing.assert_allclose(np.concatenate(parts, axis=1), cfg.log_mel(y), atol=1e-3)
    front.reset()
    assert (front.samples, front.frames) == (0, 0)
    again = front.push(y)
    np.testing.assert_allclose(again, cfg.log_mel(y), atol=1e-3)


def test_a_block_shorter_than_a_frame_gives_no_frame_of_the_right_shape():
    front = StreamingLogMel(BASE)
    out = front.push(np.zeros(10, np.float32))
    assert out.shape == (BASE.n_mels, 0) and out.dtype == np.float32
    assert front.push(np.zeros(0, np.float32)).shape == (BASE.n_mels, 0)


@pytest.mark.parametrize(("change", "why", "fix"), [
    (dict(center=True), r"center=True: frame t is centred", r"center=False"),
    (dict(ref=np.max), r"ref=max: the dB reference is computed from the whole clip",
     r"fixed reference"),
    (dict(top_db=80.0), r"top_db=80: the floor sits 80 dB below the loudest cell",
     r"top_db=None"),
])
def test_what_cannot_be_streamed_is_refused_with_the_reason_and_the_fix(change, why, fix):
    config = BASE.replace(**change)
    for make in (lambda: StreamingLogMel(config),
                 lambda: Recognizer(lambda S: np.zeros((1, 2)), config, ["a", "b"],
                                    torch_input=False)):
        with pytest.raises(ValueError, match=why) as error:
            make()
        assert fix in str(error.value)
        assert "config.replace(center=False, ref=1.0, top_db=None)" in str(error.value)


def test_the_default_feature_config_is_refused_first_for_centring():
    with pytest.raises(ValueError, match="center=True"):
        StreamingLogMel(FeatureConfig(sr=SR))          # center, top_db=80 by default


def test_bad_blocks_and_configs_are_refused():
    front = StreamingLogMel(BASE)
    with pytest.raises(ValueError, match="FeatureConfig"):
        StreamingLogMel({"sr": SR})
    with pytest.raises(ValueError, match=r"mix the channels first"):
        front.push(np.zeros((2, 100), np.float32))
    with pytest.raises(ValueError, match=r"float samples"):
        front.push(np.zeros(100, np.int16))
    with pytest.raises(ValueError, match="NaN"):
        front.push(np.full(100, np.nan, np.float32))
    assert front.samples == 0                          # refused blocks leave no trace


# ---------------------------------------------------------------- recognizer (no model)


def _loudness_model(S: np.ndarray) -> np.ndarray:
    """Two classes, silence and 'tone', from the loudest cell of the window (dB re 1)."""
    level = S.max(axis=(1, 2))
    return np.stack([np.zeros_like(level), (level + 50) / 5], axis=1)


def test_recognizer_reports_each_sound_once_at_its_centre():
    y = np.zeros(6 * SR, np.float32)
    centres = [1.25, 3.0, 4.6]
    for c in centres:
        start = int((c - 0.25) * SR)
        y[start:start + SR // 2] = 0.3 * np.sin(np.arange(SR // 2) * 0.3)
    rec = Recognizer(_loudness_model, BASE, ["silence", "tone"], torch_input=False,
                     window=0.5, step=0.05, threshold=0.9)
    events = []
    for block in np.array_split(y, 77):
        events += rec.push(block)
    assert [e.label for e in events] == ["tone"] * 3 and events == rec.events
    for event, centre in zip(events, centres):
        assert abs(event.time - centre) < 0.05
        assert event.score > 0.9
        assert centre < event.detected_at < centre + 1.0      # after the sound, not before
    assert rec.posteriors.shape == (len(rec.times), 2)
    assert np.all(np.diff(rec.times) > 0)


def test_recognizer_background_never_fires_and_errors_are_clear():
    def always(S):
        return np.array([[5.0, 0.0]])

    rec = Recognizer(always, BASE, ["silence", "yes"], torch_input=False)
    assert rec.push(np.zeros(3 * SR, np.float32)) == []
    with pytest.raises(ValueError, match="every class .* is background"):
        Recognizer(always, BASE, ["silence", "unknown"], torch_input=False)
    with pytest.raises(ValueError, match="shorter than one frame"):
        Recognizer(always, BASE, ["a", "b"], torch_input=False, window=0.01)
    with pytest.raises(ValueError, match="threshold must be a probability"):
        Recognizer(always, BASE, ["a", "b"], torch_input=False, threshold=1.5)
    wrong = Recognizer(lambda S: np.zeros((1, 3)), BASE, ["a", "b"], torch_input=False)
    with pytest.raises(ValueError, match="returned 3 logits for 2 classes"):
        wrong.push(np.zeros(SR, np.float32))


def test_recognizer_refuses_a_model_in_training_mode():
    torch = pytest.importorskip("torch")
    model = torch.nn.Linear(3, 2)                       # modules start in training mode
    with pytest.raises(ValueError, match=r"training mode.*model\.eval\(\)"):
        Recognizer(model, BASE, ["a", "b"])
    Recognizer(model.eval(), BASE, ["a", "b"])


def test_listen_without_an_input_device_says_what_to_do(monkeypatch):
    rec = Recognizer(lambda S: np.zeros((1, 2)), BASE, ["a", "b"], torch_input=False)

    def no_device(*, kind):
        raise AudioDeviceError(f"there is no default {kind} device (Error querying device -1)")

    monkeypatch.setattr(playback, "_sounddevice", lambda: object())
    monkeypatch.setattr(playback, "default_device", no_device)
    with pytest.raises(AudioDeviceError, match=r"no input device to listen to.*microphone.*"
                                               r"recognizer\.push\(y\)"):
        stream.listen(rec, duration=1.0)
    with pytest.raises(ValueError, match="duration= .* or play="):
        stream.listen(rec)


# ---------------------------------------------------------------- a trained model, live

DIGITS = "zero one two three four five six seven eight nine".split()
CLASSES = ["silence", "unknown", *DIGITS]
UNKNOWN = ["yes", "no", "stop", "go"]
TRAIN_VOICES = ["m1", "m2", "m4", "m5", "m6", "m7", "m8", "f1", "f2", "f4", "f5", "f3",
                "croak", "klatt", "klatt2", "klatt4", "Alex", "Andy", "Annie", "Denis"]
WINDOW = 0.8
FEATURES = FeatureConfig(sr=SR, n_fft=400, hop_length=160, n_mels=32, center=False,
                         top_db=None)


def _training_set(rng: np.random.Generator):
    from audiotut import synth

    n = int(WINDOW * SR)
    words = [(synth.speech(w, sr=SR, voice=f"en+{v}"), CLASSES.index(w)
              if w in DIGITS else 1) for v in TRAIN_VOICES for w in DIGITS + UNKNOWN]
    clips, labels = [], []
    for _ in range(2):
        for y, label in words:
            z = np.zeros(n, np.float32)
            m = min(y.size, n)
            start = int(rng.integers(0, n - m + 1))            # anywhere in the window
            z[start:start + m] = y[:m] * 10 ** (rng.uniform(-12, 6) / 20)
            clips.append(z)
            labels.append(label)
        for _ in range(len(words) // 12):
            clips.append(np.zeros(n, np.float32))
            labels.append(0)
    for z in clips:                                     # a little noise under everything
        z += (rng.standard_normal(n) * 10 ** (rng.uniform(-70, -35) / 20)).astype(np.float32)
    return np.stack([FEATURES.log_mel(z) for z in clips]), np.array(labels)


@pytest.fixture(scope="module")
def digit_model():
    torch = pytest.importorskip("torch")
    from audiotut.models import LogMelCNN
    from audiotut.utils import deterministic

    S, labels = _training_set(np.random.default_rng(0))
    S, labels = torch.from_numpy(S), torch.from_numpy(labels)
    threads = torch.get_num_threads()
    generator = deterministic(0, threads=1)    # small batches: one thread is fastest
    model = LogMelCNN(FEATURES, n_classes=len(CLASSES), channels=(16, 32, 32))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(12):
        model.train()
        order = torch.randperm(len(S), generator=generator)
        for i in range(0, len(S), 64):
            batch = order[i:i + 64]
            loss = torch.nn.functional.cross_entropy(model.classify(S[batch]), labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    torch.use_deterministic_algorithms(False)
    torch.set_num_threads(threads)
    return model.eval()


def _sequence(rng: np.random.Generator, voice: str, count: int):
    """Digits said by a voice not trained on, 0.9 to 1.3 s of quiet noise between them."""
    from audiotut import synth

    digits = [DIGITS[d] for d in rng.integers(0, 10, count)]
    parts, truth, position = [np.zeros(SR // 2, np.float32)], [], SR // 2
    for word in digits:
        y = 0.5 * synth.speech(word, sr=SR, voice=voice) / 0.9
        gap = np.zeros(int(rng.uniform(0.9, 1.3) * SR), np.float32)
        truth.append((word, (position + y.size / 2) / SR))
        parts += [y, gap]
        position += y.size + gap.size
    y = np.concatenate(parts)
    y += (0.002 * rng.standard_normal(y.size)).astype(np.float32)
    return np.clip(y, -0.99, 0.99).astype(np.float32), truth


def _errors(events: list[Event], truth: list[tuple[str, float]], tolerance: float) -> int:
    """Misses + false alarms + wrong words, matching events to words in time order."""
    errors, used = 0, set()
    for word, time in truth:
        near = [i for i, e in enumerate(events) if abs(e.time - time) <= tolerance
                and i not in used]
        if not near:
            errors += 1                                 # missed (or too far off in time)
            continue
        used.add(near[0])
        errors += events[near[0]].label != word         # heard, but another digit
    return errors + len(events) - len(used)             # false alarms


def _edit_distance(a: list[str], b: list[str]) -> int:
    """Levenshtein distance: insertions, deletions and substitutions."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
    return row[-1]


def test_trained_model_recognizes_digits_offline(digit_model, record_property):
    y, truth = _sequence(np.random.default_rng(5), "en+m3", 10)
    rec = Recognizer(digit_model.classify, FEATURES, CLASSES, window=WINDOW, step=0.05)
    rec.push(y)
    errors = _errors(rec.events, truth, 0.5)
    record_property("measured", f"offline streaming: {len(truth)} digits, {errors} errors, "
                                f"{[(e.label, round(e.time, 2)) for e in rec.events]}")
    assert errors <= 1


def test_loopback_live_recognition_of_spoken_digits(digit_model, loopback_device,
                                                    record_property):
    """>= 8 digits with silences played into the virtual card and recognised as they
    come back: in order, at most one error, each event within 0.5 s of its word."""
    y, truth = _sequence(np.random.default_rng(7), "en+m3", 9)
    rec = Recognizer(digit_model.classify, FEATURES, CLASSES, window=WINDOW, step=0.05)
    heard = []
    events = stream.listen(rec, play=y, on_event=heard.append)
    assert events == heard == rec.events
    errors = _errors(events, truth, 0.5)
    offsets = [round(e.time - t, 2) for e, (_, t) in zip(events, truth)]
    record_property("measured", f"loopback live: {len(truth)} digits played, {len(events)} "
                                f"events, {errors} errors, time offsets {offsets} s")
    assert errors <= 1
    # in order: the heard sequence is the said one with at most one edit
    assert _edit_distance([e.label for e in events], [w for w, _ in truth]) <= 1


def test_export_parity_of_front_end_and_model(digit_model, tmp_path, record_property):
    """TorchScript of the whole model (front-end + network): same logits as PyTorch."""
    import warnings

    import torch

    n = int(WINDOW * SR)
    x = torch.from_numpy(_sequence(np.random.default_rng(9), "en+f3", 2)[0][None, :n])
    path = tmp_path / "digits.pt"
    with warnings.catch_warnings():       # tracing warns about Python-side checks
        warnings.simplefilter("ignore")
        torch.jit.trace(digit_model, x).save(str(path))
        loaded = torch.jit.load(str(path))
    xs = [x, torch.zeros(1, n),
          0.1 * torch.randn(3, n, generator=torch.Generator().manual_seed(0))]
    with torch.inference_mode():
        difference = max(float((loaded(v) - digit_model(v)).abs().max()) for v in xs)
    record_property("measured", f"TorchScript export: largest logit difference {difference:.1e}, "
                                f"{path.stat().st_size / 1e3:.0f} kB")
    assert difference < 1e-4
