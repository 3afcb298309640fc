"""Streaming: log-mel features block by block, a recognizer that listens, a live loop.

A file is analysed in one piece; a microphone delivers a block of samples
every few milliseconds, and whatever listens must answer before the whole
recording exists. This module does the three things that takes:

- :class:`StreamingLogMel` turns blocks of any size into log-mel frames as
  soon as each frame's samples have arrived, carrying the unfinished frame
  over to the next block. Its frames equal
  :meth:`audiotut.features.FeatureConfig.log_mel` of the whole signal (within
  1e-3 dB) for the configurations that can be streamed: ``center=False``, a
  fixed ``ref`` and ``top_db=None``. The others need samples from the future
  (centring pads around frames not yet heard) or from the whole clip (its
  maximum), and are refused with the reason and the fix.
- :class:`Recognizer` slides a window over those frames, asks a classifier
  for posteriors every ``step`` seconds, averages the last few, and emits an
  :class:`Event` ``(label, time, score, detected_at)`` for each stretch in
  which a word class stays above a threshold (``silence``, ``noise`` and
  ``unknown`` never fire).
- :func:`listen` runs a recognizer on the sound card, through
  :func:`audiotut.playback.monitor` (a :class:`sounddevice.InputStream`),
  resampling the device's rate to the model's on the fly, optionally playing
  a signal into a loopback device at the same time.

Taught in :doc:`/book/10_live`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from ._validate import check_positive, check_signal
from .errors import AudioDeviceError
from .features import FeatureConfig

__all__ = ["Event", "Recognizer", "StreamingLogMel", "listen"]

#: Classes that never fire an event unless told otherwise.
BACKGROUND = ("silence", "noise", "unknown", "_silence_", "_unknown_", "_background_noise_")


def _streamable(config: object) -> FeatureConfig:
    """The config, or a ValueError saying why it cannot be streamed and what to use."""
    if not isinstance(config, FeatureConfig):
        raise ValueError(
            f"config must be an audiotut.features.FeatureConfig, got {type(config).__name__}")
    fix = ("use config.replace(center=False, ref=1.0, top_db=None) and train the model on "
           "features computed with that configuration")
    if config.center:
        raise ValueError(
            "config has center=True: frame t is centred on sample t * hop_length, so it needs "
            f"n_fft // 2 = {config.n_fft // 2} samples after that one, and the first frames "
            "need padding before the start of a stream that never ends; a live front-end "
            f"can only emit frames whose samples have all arrived: {fix}")
    if callable(config.ref):
        name = getattr(config.ref, "__name__", repr(config.ref))
        raise ValueError(
            f"config has ref={name}: the dB reference is computed from the whole "
            "clip (its loudest cell), which a stream only knows when it ends, and every frame "
            f"already emitted would change with it; use a fixed reference: {fix}")
    if config.top_db is not None:
        raise ValueError(
            f"config has top_db={config.top_db:g}: the floor sits {config.top_db:g} dB below the "
            "loudest cell of the whole clip, which a stream only knows when it ends; use "
            f"top_db=None (amin already floors silence): {fix}")
    return config


class StreamingLogMel:
    """A causal log-mel front-end: push blocks of samples, get the finished frames.

    Frame ``t`` covers samples ``t * hop_length`` to ``t * hop_length +
    n_fft`` (``center=False``), so it is finished as soon as its last sample
    has arrived. :meth:`push` appends a block to the samples not yet used by
    a finished frame, computes every frame that is now complete with
    :meth:`audiotut.features.FeatureConfig.log_mel`, and keeps the rest for
    the next block. The frames are the ones the whole signal gives, whatever
    the block sizes: a block of one sample usually finishes no frame (an
    empty ``(n_mels, 0)`` array), a block of seconds finishes hundreds.

    Parameters
    ----------
    config : audiotut.features.FeatureConfig
        With ``center=False``, a fixed (numeric) ``ref`` and ``top_db=None``.

    Raises
    ------
    ValueError
        For another kind of config, or one that cannot be streamed: with
        ``center=True`` (frames need samples that have not arrived yet),
        ``ref=np.max`` or a ``top_db`` (they depend on the whole clip's
        maximum). The message says why and what to use instead.

    Attributes
    ----------
    config : audiotut.features.FeatureConfig
        The configuration.
    samples : int
        Samples pushed since the start (or the last :meth:`reset`).
    frames : int
        Frames emitted since then; the next frame has index ``frames`` and
        its centre is at ``config.frames_to_time(frames)`` seconds.

    Notes
    -----
    A model that will listen must be trained on features made the same way:
    train with this configuration, not with ``center=True`` and
    ``ref=np.max`` features that a stream cannot reproduce. Taught in
    :doc:`/book/10_live`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.features import FeatureConfig
    >>> from audiotut.stream import StreamingLogMel
    >>> cfg = FeatureConfig(sr=16000, n_fft=400, hop_length=160, n_mels=40,
    ...                     center=False, top_db=None)
    >>> y = np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32)
    >>> front = StreamingLogMel(cfg)
    >>> parts = [front.push(block) for block in np.array_split(y, 37)]
    >>> S = np.concatenate(parts, axis=1)
    >>> S.shape, front.push(y[:1]).shape
    ((40, 98), (40, 0))
    >>> float(np.abs(S - cfg.log_mel(y)).max()) < 1e-3
    True
    >>> StreamingLogMel(cfg.replace(center=True))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: config has center=True: frame t is centred on sample ...
    """

    def __init__(self, config: FeatureConfig) -> None:
        self.config = _streamable(config)
        self.reset()

    def reset(self) -> None:
        """Forget everything pushed so far: the next sample is sample 0 of a new stream.

        Returns
        -------
        None

        Examples
        --------
        >>> import numpy as np
        >>> from audiotut.features import FeatureConfig
        >>> from audiotut.stream import StreamingLogMel
        >>> cfg = FeatureConfig(sr=16000, n_fft=400, hop_length=160,
        ...                     center=False, top_db=None, n_mels=40)
        >>> front = StreamingLogMel(cfg)
        >>> _ = front.push(np.zeros(1000, np.float32))
        >>> front.frames, front.reset(), front.frames
        (4, None, 0)
        """
        self._pending = np.zeros(0, dtype=np.float32)
        self.samples = 0
        self.frames = 0

    def __repr__(self) -> str:
        return (f"StreamingLogMel({self.config!r}, samples={self.samples}, "
                f"frames={self.frames})")

    def push(self, block: np.ndarray) -> np.ndarray:
        """Add a block of samples; return the log-mel frames it finished.

        Parameters
        ----------
        block : numpy.ndarray
            Mono float samples ``(n,)`` at ``config.sr``, any length (an empty
            block is allowed and finishes nothing).

        Returns
        -------
        numpy.ndarray
            float32 dB ``(n_mels, k)``, ``k >= 0``: the frames whose last
            sample is in this block, in order, continuing from the previous
            call's frames.

        Raises
        ------
        ValueError
            For a block that is not a finite mono float array (mix channels
            to mono first, e.g. ``block.mean(axis=0)``).

        Examples
        --------
        >>> import numpy as np
        >>> from audiotut.features import FeatureConfig
        >>> from audiotut.stream import StreamingLogMel
        >>> cfg = FeatureConfig(sr=16000, n_fft=400, hop_length=160,
        ...                     center=False, top_db=None, n_mels=40)
        >>> front = StreamingLogMel(cfg)
        >>> [front.push(np.zeros(n, np.float32)).shape[1] for n in (399, 1, 160)]
        [0, 1, 1]
        """
        block = self._checked(block)
        cfg = self.config
        pending = np.concatenate([self._pending, block]) if self._pending.size else block
        self.samples += block.size
        if pending.size < cfg.n_fft:
            self._pending = pending.copy() if pending is block else pending
            return np.zeros((cfg.n_mels, 0), dtype=np.float32)
        k = 1 + (pending.size - cfg.n_fft) // cfg.hop_length
        used = (k - 1) * cfg.hop_length + cfg.n_fft
        frames = cfg.log_mel(pending[:used])
        self._pending = pending[k * cfg.hop_length:].copy()
        self.frames += k
        return frames

    @staticmethod
    def _checked(block: object) -> np.ndarray:
        if isinstance(block, np.ndarray) and block.ndim == 1 and block.size == 0:
            return np.zeros(0, dtype=np.float32)
        block = check_signal(block, name="block")
        if block.ndim != 1:
            raise ValueError(
                f"block has shape {block.shape}; StreamingLogMel takes mono (n,) blocks: mix "
                "the channels first, e.g. block.mean(axis=0)")
        if block.dtype.kind != "f":
            raise ValueError(
                f"block has dtype {block.dtype}; give float samples in [-1, 1], e.g. "
                "block.astype(np.float32) / 32768 for 16-bit PCM")
        return block.astype(np.float32, copy=False)


class Event(NamedTuple):
    """A word the :class:`Recognizer` heard.

    Attributes
    ----------
    label : str
        The class name.
    time : float
        When it was said, in seconds of stream time: the midpoint of the
        centres of the first and the last window in which a word was heard
        (a window sees the whole word for as long as it lies inside it, so
        that stretch is centred on the word).
    score : float
        The mean averaged posterior of ``label`` over that stretch, 0 to 1.
    detected_at : float
        Stream time, in seconds, of the last sample of the window that ended
        the stretch: the earliest moment the event could be known. The
        latency from the word's centre is ``detected_at - time`` (plus the
        block size and the time the computer took to get there).

    Notes
    -----
    Taught in :doc:`/book/10_live`.
    """

    label: str
    time: float
    score: float
    detected_at: float


class Recognizer:
    """Keyword spotting on a stream: sliding window, averaged posteriors, a threshold.

    Each :meth:`push` feeds a block to a :class:`StreamingLogMel`; every
    ``step`` seconds the last ``window`` seconds of frames go through
    ``classify`` and the softmax of the logits is averaged over the last
    ``smooth`` windows. A word starts when the best class that is not
    background reaches ``threshold`` and ends when it falls below
    ``release``; then one :class:`Event` reports the word class with the
    highest posterior summed over that stretch, and the stretch's middle as
    its time. Before the stream has filled a window, the missing frames are
    those of digital silence.

    A classifier that averages over time (as :class:`audiotut.models.LogMelCNN`
    does) hears a word equally well anywhere in its window, so two words are
    told apart only if the silence between them is about as long as the
    window: keep ``window`` just longer than the longest word.

    Parameters
    ----------
    classify : callable
        Log-mels ``(batch, n_mels, frames)`` as a float32 torch tensor (or,
        with ``torch_input=False``, a NumPy array) to logits ``(batch,
        n_classes)``, e.g. the ``classify`` method of an
        :class:`audiotut.models.LogMelCNN` in eval mode.
    config : audiotut.features.FeatureConfig
        The front-end the model was trained with (streamable, see
        :class:`StreamingLogMel`).
    classes : sequence of str
        The name of each output.
    window : float
        Seconds of audio each decision sees (the training clips' length).
    step : float
        Seconds between decisions.
    smooth : int
        Number of decisions averaged.
    threshold : float
        Averaged posterior, 0 to 1, at which a word fires.
    release : float or None
        Averaged posterior below which a word has ended; ``None`` means
        ``threshold / 2``.
    background : sequence of str
        Classes that never fire (silence, noise, unknown words).
    torch_input : bool
        Pass a torch tensor (the default) or a NumPy array to ``classify``.

    Raises
    ------
    ValueError
        For a config that cannot be streamed, a window shorter than one frame,
        a bad ``step``, ``smooth``, ``threshold`` or ``release``, no class
        left that may fire, or a ``classify`` bound to a torch module still
        in training mode (call ``model.eval()``: dropout and batch statistics
        would make every answer random).

    Attributes
    ----------
    events : list of Event
        Every event so far.
    times : numpy.ndarray
        Centre of each decision's window, seconds (see :attr:`posteriors`).
    posteriors : numpy.ndarray
        ``(decisions, n_classes)``: the averaged posteriors of each decision.

    Notes
    -----
    Taught in :doc:`/book/10_live`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.features import FeatureConfig
    >>> from audiotut.stream import Recognizer
    >>> cfg = FeatureConfig(sr=16000, n_fft=400, hop_length=160, n_mels=40,
    ...                     center=False, top_db=None)
    >>> def loud(S):                      # a "model": is the window loud?
    ...     level = S.max(axis=(1, 2))        # dB re 1
    ...     return np.stack([0 * level, (level + 50) / 5], axis=1)
    >>> rec = Recognizer(loud, cfg, ["silence", "loud"], torch_input=False,
    ...                  window=0.5, threshold=0.9)
    >>> y = np.zeros(48000, np.float32)      # a tone from 1.0 to 1.5 s
    >>> y[16000:24000] = 0.3 * np.sin(np.arange(8000) * 0.3)
    >>> events = rec.push(y)
    >>> [(e.label, round(e.time, 1)) for e in events]
    [('loud', 1.3)]
    """

    def __init__(self, classify: Callable[[Any], Any], config: FeatureConfig,
                 classes: Sequence[str], *, window: float = 1.0, step: float = 0.1,
                 smooth: int = 3, threshold: float = 0.7, release: float | None = None,
                 background: Sequence[str] = BACKGROUND, torch_input: bool = True) -> None:
        if not callable(classify):
            raise ValueError(f"classify must map log-mels to logits, got {classify!r}")
        owner = getattr(classify, "__self__", classify)
        if getattr(owner, "training", False) is True:
            raise ValueError(
                "classify belongs to a torch module in training mode: dropout and batch "
                "statistics would change every answer; call model.eval() first")
        self.classify = classify
        self.front = StreamingLogMel(config)
        self.config = self.front.config
        self.classes = [str(c) for c in classes]
        if len(self.classes) < 2:
            raise ValueError(f"classes must name at least two outputs, got {classes!r}")
        hop = self.config.hop_length
        window = check_positive(window, "window", "seconds")
        samples = round(window * self.config.sr)
        # the frames a training clip of `window` seconds gives (center=False)
        self.window_frames = 1 + (samples - self.config.n_fft) // hop \
            if samples >= self.config.n_fft else 0
        if self.window_frames < 1:
            raise ValueError(
                f"window={window:g} s is shorter than one frame (n_fft={self.config.n_fft} "
                f"samples = {self.config.n_fft / self.config.sr:g} s); use the length of the "
                "training clips, e.g. window=1.0")
        step = check_positive(step, "step", "seconds")
        self.step_frames = max(1, round(step * self.config.sr / hop))
        self.smooth = int(check_positive(smooth, "smooth", "decisions", whole=True))
        self.threshold = self._probability(threshold, "threshold")
        self.release = self.threshold / 2 if release is None else self._probability(
            release, "release")
        if self.release > self.threshold:
            raise ValueError(f"release={self.release:g} must not exceed "
                             f"threshold={self.threshold:g}")
        background = {str(b) for b in background}
        self._words = np.array([c not in background for c in self.classes])
        if not self._words.any():
            raise ValueError(
                f"every class {self.classes} is background, so nothing could fire; pass "
                "background= naming only silence, noise and unknown classes")
        self.torch_input = bool(torch_input)
        self._silence = self.config.log_mel(np.zeros(self.config.n_fft, np.float32))[:, :1]
        self.reset()

    @staticmethod
    def _probability(value: object, name: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
                or not 0 < float(value) <= 1:
            raise ValueError(f"{name} must be a probability in (0, 1], got {value!r}")
        return float(value)

    def reset(self) -> None:
        """Start a new stream: forget the frames, the decisions and the events.

        Returns
        -------
        None

        Examples
        --------
        >>> import numpy as np
        >>> from audiotut.features import FeatureConfig
        >>> from audiotut.stream import Recognizer
        >>> cfg = FeatureConfig(sr=16000, n_fft=400, hop_length=160, n_mels=40,
        ...                     center=False, top_db=None)
        >>> rec = Recognizer(lambda S: np.zeros((1, 2)), cfg, ["a", "b"],
        ...                  torch_input=False)
        >>> _ = rec.push(np.zeros(16000, np.float32))
        >>> len(rec.times) > 0, rec.reset(), len(rec.times)
        (True, None, 0)
        """
        self.front.reset()
        self._frames = np.repeat(self._silence, self.window_frames, axis=1)
        self._since = 0                    # frames since the last decision
        self._recent: list[np.ndarray] = []
        self._times: list[float] = []
        self._centres: list[float] = []
        self._posteriors: list[np.ndarray] = []
        self._open: list | None = None     # the segment of a word being heard
        self.events: list[Event] = []

    @property
    def times(self) -> np.ndarray:
        return np.asarray(self._times, dtype=np.float64)

    @property
    def posteriors(self) -> np.ndarray:
        if not self._posteriors:
            return np.zeros((0, len(self.classes)), dtype=np.float32)
        return np.stack(self._posteriors).astype(np.float32)

    def _logits(self, S: np.ndarray) -> np.ndarray:
        if self.torch_input:
            import torch

            with torch.inference_mode():
                out = self.classify(torch.from_numpy(np.ascontiguousarray(S[None])))
            out = out.detach().cpu().numpy()
        else:
            out = np.asarray(self.classify(S[None]))
        out = np.asarray(out, dtype=np.float64).reshape(-1)
        if out.size != len(self.classes):
            raise ValueError(f"classify returned {out.size} logits for {len(self.classes)} "
                             f"classes {self.classes}; pass the classes the model was trained on")
        return out

    def _decide(self, end: int) -> Event | None:
        """One decision on the window of frames ``end - window_frames`` to ``end - 1``."""
        cfg = self.config
        logits = self._logits(self._frames)
        p = np.exp(logits - logits.max())
        p /= p.sum()
        start = end - self.window_frames
        last = (end - 1) * cfg.hop_length + cfg.n_fft        # one past its last sample
        centre = (start * cfg.hop_length + last) / 2
        self._recent = (self._recent + [p])[-self.smooth:]
        self._centres = (self._centres + [centre / cfg.sr])[-self.smooth:]
        mean = np.mean(self._recent, axis=0)
        self._times.append(float(np.mean(self._centres)))
        self._posteriors.append(mean)
        words = np.where(self._words, mean, -1.0)
        score = float(words.max())
        if self._open is None:
            if score >= self.threshold:                 # a word starts: open a segment
                self._open = [mean.copy(), self._times[-1], self._times[-1], 1]
            return None
        total, first, _, count = self._open
        self._open = [total + mean, first, self._times[-1], count + 1]
        if score >= self.release:
            return None
        total, first, final, count = self._open         # the word ended: report it
        self._open = None
        label = int(np.argmax(np.where(self._words, total, -np.inf)))
        return Event(self.classes[label], (first + final) / 2, float(total[label] / count),
                     last / cfg.sr)

    def push(self, block: np.ndarray) -> list[Event]:
        """Feed a block of samples; return the events it completed.

        Parameters
        ----------
        block : numpy.ndarray
            Mono float samples at ``config.sr``, any length.

        Returns
        -------
        list of Event
            The events fired while this block was processed (usually none);
            all of them are also appended to :attr:`events`.

        Raises
        ------
        ValueError
            As :meth:`StreamingLogMel.push`, or when ``classify`` returns the
            wrong number of logits.

        Examples
        --------
        >>> import numpy as np
        >>> from audiotut.features import FeatureConfig
        >>> from audiotut.stream import Recognizer
        >>> cfg = FeatureConfig(sr=16000, n_fft=400, hop_length=160, n_mels=40,
        ...                     center=False, top_db=None)
        >>> rec = Recognizer(lambda S: np.array([[2.0, 0.0]]), cfg,
        ...                  ["silence", "yes"], torch_input=False)
        >>> rec.push(np.zeros(16000, np.float32)), rec.posteriors.shape
        ([], (9, 2))
        """
        new = self.front.push(block)
        first = self.front.frames - new.shape[1]          # index of new[:, 0]
        events = []
        start = 0
        while start < new.shape[1]:
            take = min(new.shape[1] - start, self.step_frames - self._since)
            chunk = new[:, start:start + take]
            self._frames = np.concatenate([self._frames[:, take:], chunk], axis=1)
            self._since += take
            start += take
            if self._since == self.step_frames:
                self._since = 0
                event = self._decide(first + start)
                if event is not None:
                    events.append(event)
        self.events.extend(events)
        return events


def _input_rate(device: int | str | None) -> tuple[int, str]:
    """The input device's own rate and name, or an AudioDeviceError saying what to do."""
    from . import playback

    try:
        if device is None:
            found = playback.default_device(kind="input")
        else:
            found = next((d for d in playback.devices() if d.inputs > 0 and (
                d.index == device or (isinstance(device, str) and device in d.name))), None)
            if found is None:
                raise ValueError(
                    f"device={device!r} matches no input device; choose one from "
                    f"audiotut.playback.devices():\n{playback.devices()}")
    except AudioDeviceError as error:
        raise AudioDeviceError(
            f"there is no input device to listen to ({error}). Plug in a microphone or "
            "headset, or choose one with device= (audiotut.playback.devices() lists them); "
            "to try the recognizer without one, feed a recording: recognizer.push(y)"
        ) from None
    return found.default_sr, found.name


def listen(recognizer: Recognizer, *, duration: float | None = None,
           play: np.ndarray | None = None, device: int | str | None = None,
           block_size: int = 1024,
           on_event: Callable[[Event], Any] | None = None) -> list[Event]:
    """Run a recognizer on the sound card's input, live, and return its events.

    Opens the input device at its own rate with
    :func:`audiotut.playback.monitor` (a :class:`sounddevice.InputStream`,
    or a duplex stream when ``play`` is given), resamples each block to the
    model's rate with a streaming soxr resampler, and pushes it into
    ``recognizer``; events are printed by ``on_event`` as they fire.

    Parameters
    ----------
    recognizer : Recognizer
        Reset before listening; its stream time 0 is the first sample heard.
    duration : float, optional
        Seconds to listen; defaults to the length of ``play`` plus 0.5 s.
    play : numpy.ndarray, optional
        A mono signal at the recognizer's rate to play on the same device
        while listening: on a loopback device (the tests' virtual card) the
        recognizer hears exactly that; on a laptop, the speakers.
    device : int or str, optional
        As in :func:`audiotut.playback.devices`; default: ``AUDIOTUT_DEVICE``,
        else the system's default input.
    block_size : int
        Samples per block at the device's rate.
    on_event : callable, optional
        Called with each :class:`Event` as soon as it fires.

    Returns
    -------
    list of Event
        The events, in order.

    Raises
    ------
    AudioDeviceError
        PortAudio is missing or there is no input device (the message says
        what to plug in or choose, and how to run without one).
    ValueError
        For bad arguments.

    Notes
    -----
    Taught in :doc:`/book/10_live`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut import playback
    >>> from audiotut.features import FeatureConfig
    >>> from audiotut.stream import Recognizer, listen
    >>> cfg = FeatureConfig(sr=16000, n_fft=400, hop_length=160, n_mels=40,
    ...                     center=False, top_db=None)
    >>> rec = Recognizer(lambda S: np.array([[2.0, 0.0]]), cfg,
    ...                  ["silence", "yes"], torch_input=False)
    >>> if playback.available():
    ...     events = listen(rec, duration=0.5)
    ... else:
    ...     events = []
    >>> events
    []
    """
    import soxr

    from . import playback

    if not isinstance(recognizer, Recognizer):
        raise ValueError(f"recognizer must be an audiotut.stream.Recognizer, got "
                         f"{type(recognizer).__name__}")
    sr = recognizer.config.sr
    if play is not None:
        play = check_signal(play, name="play")
        if play.ndim != 1:
            raise ValueError(f"play has shape {play.shape}; give a mono (n,) signal")
    if duration is None:
        if play is None:
            raise ValueError("give duration= (seconds to listen) or play= (a signal to play)")
        duration = play.size / sr + 0.5
    duration = check_positive(duration, "duration", "seconds")
    block_size = int(check_positive(block_size, "block_size", "samples", whole=True))
    playback._sounddevice()                 # PortAudio missing: say how to install it
    rate, _ = _input_rate(device)
    outgoing = None
    if play is not None:
        outgoing = play.astype(np.float32) if rate == sr else soxr.resample(
            play.astype(np.float32), sr, rate, quality="HQ").astype(np.float32)
        pad = math.ceil(duration * rate) - outgoing.size
        if pad > 0:
            outgoing = np.concatenate([outgoing, np.zeros(pad, np.float32)])
    resampler = None if rate == sr else soxr.ResampleStream(rate, sr, 1, dtype="float32",
                                                            quality="HQ")
    recognizer.reset()

    def on_block(block: np.ndarray, info: Any) -> list[Event]:
        if block.ndim > 1:
            block = block.mean(axis=0)
        if resampler is not None:
            block = resampler.resample_chunk(np.ascontiguousarray(block, np.float32))
        events = recognizer.push(block)
        if on_event is not None:
            for event in events:
                on_event(event)
        return events

    playback.monitor(on_block, sr=rate, duration=duration, play=outgoing,
                     block_size=block_size, device=device)
    return list(recognizer.events)
