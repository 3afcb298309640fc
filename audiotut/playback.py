"""Playing and recording through the sound card, with :mod:`sounddevice`.

A thin, careful layer over `sounddevice <https://python-sounddevice.readthedocs.io>`_
(which wraps the PortAudio C library):

- it speaks audiotut's channel-first arrays, ``(n,)`` or ``(channels, n)``,
  and converts to and from sounddevice's frame-first ``(frames, channels)``
  layout in both directions (:func:`to_frames`, :func:`from_frames`): the
  talk's ``(44100, 2)`` array is frames-first stereo, while audiotut (like
  librosa) would write ``(2, 44100)``;
- :mod:`sounddevice` is imported only when a device is needed, so
  ``import audiotut`` works on a machine without PortAudio; there, and on a
  machine without any device, the functions raise :class:`AudioDeviceError`
  saying what is missing and how to install it. In a notebook, :func:`play`
  falls back to an embedded player instead, so the example is still heard;
- it handles the known traps: ``sd.play`` then ``sd.rec`` stops the playback
  (use :func:`playrec` to play and record at once); a device accepts only
  some sample rates (the signal is resampled with soxr, or a clear error is
  raised with ``resample=False``); non-blocking playback needs :func:`wait`
  before the program exits.

The device used when ``device=None`` is sounddevice's default, unless the
environment variable ``AUDIOTUT_DEVICE`` names another one (a name, a part of
a name, or an index from :func:`devices`).

Taught in :doc:`/book/02_playback_recording`.
"""

from __future__ import annotations

import math
import os
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from ._validate import check_full_scale, check_positive, check_signal, check_sr
from .errors import AudioDeviceError

__all__ = [
    "BlockInfo",
    "Device",
    "DeviceList",
    "Lag",
    "available",
    "default_device",
    "devices",
    "from_frames",
    "measure_lag",
    "monitor",
    "play",
    "playrec",
    "record",
    "stop",
    "to_frames",
    "wait",
]

#: The environment variable that chooses the device when ``device=None``.
DEVICE_VARIABLE = "AUDIOTUT_DEVICE"

_INSTALL = (
    "Install PortAudio and restart Python: Debian/Ubuntu `sudo apt install libportaudio2`; "
    "conda `conda install -c conda-forge portaudio`; on macOS and Windows the sounddevice "
    "wheel bundles PortAudio, so reinstall it: `pip install --force-reinstall sounddevice`"
)


# --------------------------------------------------------------------------- layout


def to_frames(y: np.ndarray) -> np.ndarray:
    """Convert a channel-first signal to sounddevice's frame-first layout.

    audiotut and librosa store ``(channels, n)``; sounddevice and soundfile
    store ``(frames, channels)``. A mono ``(n,)`` signal becomes ``(n, 1)``.

    Parameters
    ----------
    y : numpy.ndarray
        ``(n,)`` or ``(channels, n)``.

    Returns
    -------
    numpy.ndarray
        ``(n, channels)``, float32, C-contiguous (what PortAudio needs).

    Raises
    ------
    ValueError
        If ``y`` is not a finite, real, 1-D or channel-first 2-D array.

    Notes
    -----
    Taught in :doc:`/book/02_playback_recording`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.playback import to_frames
    >>> stereo = np.zeros((2, 44100), dtype=np.float32)
    >>> to_frames(stereo).shape
    (44100, 2)
    >>> to_frames(np.zeros(8000)).shape
    (8000, 1)
    """
    y = check_signal(y)
    frames = y[:, np.newaxis] if y.ndim == 1 else y.T
    return np.ascontiguousarray(frames, dtype=np.float32)


def from_frames(frames: np.ndarray) -> np.ndarray:
    """Convert sounddevice's frame-first ``(frames, channels)`` to channel-first.

    One channel becomes a mono ``(n,)`` signal; more become ``(channels, n)``.

    Parameters
    ----------
    frames : numpy.ndarray
        ``(n, channels)`` as returned by ``sounddevice.rec`` or passed to a
        stream callback.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` or ``(channels, n)``, float32.

    Raises
    ------
    ValueError
        If ``frames`` is not 2-D, or has more columns than rows (it is
        probably channel-first already).

    Notes
    -----
    Taught in :doc:`/book/02_playback_recording`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.playback import from_frames
    >>> from_frames(np.zeros((44100, 2))).shape
    (2, 44100)
    >>> from_frames(np.zeros((8000, 1))).shape
    (8000,)
    """
    if not isinstance(frames, np.ndarray) or frames.ndim != 2:
        shape = getattr(frames, "shape", None)
        raise ValueError(
            f"frames must be a 2-D (frames, channels) array as sounddevice returns, got "
            f"{type(frames).__name__} with shape {shape}"
        )
    if frames.shape[1] > frames.shape[0]:
        raise ValueError(
            f"frames has shape {frames.shape}: more channels than frames. It looks "
            "channel-first already; from_frames expects sounddevice's (frames, channels)"
        )
    out = np.ascontiguousarray(frames.T, dtype=np.float32)
    return out[0].copy() if out.shape[0] == 1 else out


# --------------------------------------------------------------------------- devices


def _sounddevice() -> Any:
    """Import sounddevice, turning a missing PortAudio into AudioDeviceError."""
    try:
        import sounddevice
    except OSError as exc:  # sounddevice raises OSError when libportaudio is missing
        raise AudioDeviceError(f"the PortAudio library is not installed ({exc}). {_INSTALL}") from None
    return sounddevice


def _device_choice(device: int | str | None) -> int | str | None:
    if device is None:
        device = os.environ.get(DEVICE_VARIABLE) or None
    if isinstance(device, str) and device.strip().isdigit():
        return int(device)
    return device


def _device_info(sd: Any, device: int | str | None, kind: str) -> dict:
    """The device dict for ``kind`` ('input' or 'output'), or a clear error."""
    choice = _device_choice(device)
    try:
        info = sd.query_devices(choice, kind)
    except (ValueError, sd.PortAudioError) as exc:
        names = [d["name"] for d in sd.query_devices()]
        if choice is None:
            raise AudioDeviceError(
                f"there is no default {kind} device ({exc}); this machine has "
                f"{len(names)} audio device(s){': ' + ', '.join(names) if names else ''}. "
                f"Connect a sound card or headset, choose a device with device=..., or set "
                f"{DEVICE_VARIABLE}; see audiotut.playback.devices()"
            ) from None
        raise ValueError(
            f"device={choice!r} matches no {kind} device; expected an index or a name from "
            f"audiotut.playback.devices(): {names}"
        ) from None
    if info[f"max_{kind}_channels"] < 1:
        raise ValueError(f"device {info['name']!r} has no {kind} channels; choose another device")
    return info


def _rate(sd: Any, info: dict, kind: str, sr: int, channels: int, resample: bool) -> int:
    """The rate to open the device at: ``sr`` if it accepts it, else its default rate."""
    check = sd.check_output_settings if kind == "output" else sd.check_input_settings
    try:
        check(device=info["index"], channels=channels, dtype="float32", samplerate=sr)
        return sr
    except sd.PortAudioError as exc:
        native = int(info["default_samplerate"])
        if resample and native != sr:
            return native
        raise AudioDeviceError(
            f"device {info['name']!r} cannot open {channels} {kind} channel(s) at sr={sr} "
            f"Hz ({exc}); its own rate is {native} Hz. Pass resample=True, or resample "
            f"first: soxr.resample(y, {sr}, {native})"
        ) from None


def _resample(x: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """Resample frame-first audio with soxr (no-op when the rates match)."""
    if sr_in == sr_out:
        return x
    import soxr

    return np.ascontiguousarray(soxr.resample(x, sr_in, sr_out), dtype=np.float32)


class Device(NamedTuple):
    """One audio device as PortAudio sees it (a row of :func:`devices`).

    Taught in :doc:`/book/02_playback_recording`.
    """

    index: int
    name: str
    hostapi: str
    inputs: int
    outputs: int
    default_sr: int
    default_input: bool
    default_output: bool


class DeviceList(list):
    """A list of :class:`Device` that prints as a table.

    Taught in :doc:`/book/02_playback_recording`.
    """

    def __str__(self) -> str:
        if not self:
            return "(no audio devices)"
        width = max(len(d.name) for d in self)
        lines = [f"  # {'name':<{width}}  {'host API':<12} {'in':>3} {'out':>3} {'rate':>6}"]
        for d in self:
            mark = ">" if d.default_input else ("<" if d.default_output else " ")
            if d.default_input and d.default_output:
                mark = "*"
            lines.append(
                f"{mark}{d.index:>2} {d.name:<{width}}  {d.hostapi[:12]:<12} "
                f"{d.inputs:>3} {d.outputs:>3} {d.default_sr:>6}"
            )
        lines.append("(* default input and output, > default input, < default output)")
        return "\n".join(lines)

    __repr__ = __str__


def devices() -> DeviceList:
    """List the audio devices, with their channels and native sample rates.

    Returns
    -------
    DeviceList
        A list of :class:`Device` that prints as a table marking the defaults.

    Raises
    ------
    AudioDeviceError
        If PortAudio is not installed (the message says how to install it).

    Notes
    -----
    The defaults are sounddevice's, unless ``AUDIOTUT_DEVICE`` is set, which
    :func:`play`, :func:`record` and :func:`playrec` honour when ``device=None``.

    Taught in :doc:`/book/02_playback_recording`.

    Examples
    --------
    >>> from audiotut import playback
    >>> try:
    ...     table = playback.devices()
    ... except playback.AudioDeviceError:  # no PortAudio on this machine
    ...     table = playback.DeviceList()
    >>> isinstance(table, list)
    True
    """
    sd = _sounddevice()
    apis = [api["name"] for api in sd.query_hostapis()]
    default_in, default_out = (_default_index(sd, kind) for kind in ("input", "output"))
    return DeviceList(
        Device(
            index=int(d["index"]),
            name=str(d["name"]),
            hostapi=apis[d["hostapi"]],
            inputs=int(d["max_input_channels"]),
            outputs=int(d["max_output_channels"]),
            default_sr=int(d["default_samplerate"]),
            default_input=int(d["index"]) == default_in,
            default_output=int(d["index"]) == default_out,
        )
        for d in sd.query_devices()
    )


def default_device(*, kind: str = "output") -> Device:
    """The device that ``device=None`` means here, as a row of :func:`devices`.

    That is the device named by the ``AUDIOTUT_DEVICE`` environment variable
    if it is set, else sounddevice's default. To make raw sounddevice calls
    use the same one: ``sd.default.device = default_device().index``.

    Parameters
    ----------
    kind : {"output", "input"}
        The direction.

    Returns
    -------
    Device
        Index, name, host API, channels and native rate.

    Raises
    ------
    AudioDeviceError
        If PortAudio is missing or there is no such device.

    Notes
    -----
    Taught in :doc:`/book/02_playback_recording`.

    Examples
    --------
    >>> from audiotut import playback
    >>> if playback.available(kind="output"):
    ...     print(playback.default_device().outputs > 0)
    ... else:
    ...     print(True)
    True
    """
    if kind not in ("output", "input"):
        raise ValueError(f"kind must be 'output' or 'input', got {kind!r}")
    sd = _sounddevice()
    index = int(_device_info(sd, None, kind)["index"])
    return next(device for device in devices() if device.index == index)


def _default_index(sd: Any, kind: str) -> int:
    try:
        return int(_device_info(sd, None, kind)["index"])
    except (AudioDeviceError, ValueError):
        return -1


def available(*, kind: str = "duplex") -> bool:
    """Whether this machine can play (``"output"``), record (``"input"``) or both.

    Parameters
    ----------
    kind : {"duplex", "output", "input"}
        What is needed: ``"duplex"`` means both an input and an output device.

    Returns
    -------
    bool
        True when PortAudio is installed and the default devices exist.

    Notes
    -----
    Chapters use it to skip recording cells on machines without a sound card.

    Taught in :doc:`/book/02_playback_recording`.

    Examples
    --------
    >>> from audiotut import playback
    >>> playback.available(kind="output") in (True, False)
    True
    """
    kinds = {"duplex": ("input", "output"), "output": ("output",), "input": ("input",)}
    if kind not in kinds:
        raise ValueError(f"kind must be one of {sorted(kinds)}, got {kind!r}")
    try:
        sd = _sounddevice()
        for each in kinds[kind]:
            _device_info(sd, None, each)
    except (AudioDeviceError, ValueError):
        return False
    return True


# --------------------------------------------------------------------------- play / record


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (where an embedded player can be shown)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def _output_frames(y: np.ndarray, info: dict) -> np.ndarray:
    """Frame-first output; mono goes to both front channels where there are two."""
    frames = to_frames(y)
    outputs = int(info["max_output_channels"])
    if frames.shape[1] > outputs:
        raise ValueError(
            f"y has {frames.shape[1]} channels but device {info['name']!r} plays at most "
            f"{outputs}; mix down first, e.g. librosa.to_mono(y)"
        )
    if frames.shape[1] == 1 and outputs >= 2:
        # The same mono signal on left and right, as media players do. (PortAudio's
        # JACK host API also corrupts memory when a stream opens one output channel.)
        frames = np.repeat(frames, 2, axis=1)
    return frames


def _checked_output(y: np.ndarray, sr: int) -> tuple[np.ndarray, int]:
    sr = check_sr(sr)
    y = check_signal(y)
    check_full_scale(
        y,
        consequence="the sound card would clip it",
        fix="Scale it down first, e.g. y / np.abs(y).max()",
    )
    return y, sr


def play(
    y: np.ndarray,
    *,
    sr: int,
    blocking: bool = True,
    device: int | str | None = None,
    resample: bool = True,
) -> None:
    """Play a signal on the sound card.

    Parameters
    ----------
    y : numpy.ndarray
        ``(n,)`` or ``(channels, n)``, float in [-1, 1]. Mono plays on both
        front channels of a stereo device.
    sr : int
        Sample rate of ``y`` in Hz.
    blocking : bool
        Wait until the sound has finished. With ``False`` the call returns at
        once; call :func:`wait` before the program exits, or the sound is cut.
    device : int or str, optional
        An index or (part of a) name from :func:`devices`; default: the
        ``AUDIOTUT_DEVICE`` variable, else the system default.
    resample : bool
        If the device does not accept ``sr`` (JACK, for one, runs at a single
        rate), resample to its native rate with soxr. With ``False``, raise
        :class:`AudioDeviceError` instead.

    Returns
    -------
    None
        In a notebook without a sound device, an embedded player is displayed
        instead, with a one-line notice.

    Raises
    ------
    AudioDeviceError
        Outside a notebook: PortAudio missing, no output device, or a rate the
        device refuses with ``resample=False``.
    ValueError
        For a bad signal or ``sr``, samples beyond full scale, a device name
        that matches nothing, or more channels than the device has.

    Notes
    -----
    A second :func:`play`, :func:`record` or :func:`playrec` stops a
    non-blocking one: sounddevice runs one stream at a time. To record while
    playing, use :func:`playrec`.

    Taught in :doc:`/book/02_playback_recording`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut import playback
    >>> t = np.arange(4800) / 48000
    >>> beep = (0.1 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    >>> if playback.available(kind="output"):
    ...     playback.play(beep, sr=48000)
    """
    y, sr = _checked_output(y, sr)
    try:
        sd = _sounddevice()
        info = _device_info(sd, device, "output")
    except AudioDeviceError as exc:
        if not _in_notebook():
            raise
        from IPython.display import display

        from .display import audio

        print(f"No sound device here ({str(exc).split(';')[0]}); playing in the page instead.")
        display(audio(y, sr=sr))
        return None
    frames = _output_frames(y, info)
    rate = _rate(sd, info, "output", sr, frames.shape[1], resample)
    frames = _resample(frames, sr, rate)
    try:
        sd.play(frames, samplerate=rate, device=info["index"], blocking=False)
    except sd.PortAudioError as exc:
        raise AudioDeviceError(f"playing on {info['name']!r} failed: {exc}") from None
    if blocking:
        _finish(sd, len(frames) / rate, "playing", info["name"])
    return None


def _finish(sd: Any, seconds: float, action: str, name: str) -> None:
    """Wait for sounddevice's play/rec/playrec stream, but not forever.

    A device that stops delivering blocks (a crashed sound server, a USB card
    unplugged mid-stream) would otherwise leave the call waiting forever.
    """
    stream = sd.get_stream()
    limit = 60.0 + 20.0 * seconds  # a loaded machine can stall a sound server for seconds
    deadline = time.monotonic() + limit
    while stream.active:
        if time.monotonic() > deadline:
            sd.stop()
            raise AudioDeviceError(
                f"{action} on {name!r} did not finish: {seconds:.2f} s of audio was still "
                f"running after {limit:.0f} s, so the device or its sound server stopped "
                "responding. Check the device (audiotut.playback.devices()) and try again"
            )
        time.sleep(0.005)
    sd.wait()


def _check_channels(channels: object, info: dict) -> int:
    channels = check_positive(channels, "channels", "channels", whole=True)
    if channels > info["max_input_channels"]:
        raise ValueError(
            f"device {info['name']!r} records at most {info['max_input_channels']} channel(s), "
            f"got channels={channels}"
        )
    return int(channels)


def record(
    duration: float,
    *,
    sr: int,
    channels: int = 1,
    device: int | str | None = None,
    resample: bool = True,
) -> np.ndarray:
    """Record from the sound card for ``duration`` seconds (blocking).

    Parameters
    ----------
    duration : float
        Seconds to record.
    sr : int
        Sample rate of the returned signal in Hz.
    channels : int
        Number of input channels.
    device : int or str, optional
        An index or (part of a) name from :func:`devices`; default: the
        ``AUDIOTUT_DEVICE`` variable, else the system default.
    resample : bool
        If the device does not accept ``sr``, record at its native rate and
        resample to ``sr`` with soxr; with ``False``, raise instead.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` for one channel, ``(channels, n)`` otherwise, float32,
        ``n = round(duration * sr)``.

    Raises
    ------
    AudioDeviceError
        PortAudio missing, no input device, or a refused rate with
        ``resample=False``.
    ValueError
        For a bad ``duration``, ``sr`` or ``channels``, or an unknown device.

    Notes
    -----
    Recording stops any sound still playing from a non-blocking :func:`play`;
    use :func:`playrec` to do both at once.

    Taught in :doc:`/book/02_playback_recording`.

    Examples
    --------
    >>> from audiotut import playback
    >>> if playback.available(kind="input"):
    ...     y = playback.record(0.1, sr=16000)
    ...     print(y.shape)
    ... else:
    ...     print((1600,))
    (1600,)
    """
    duration = check_positive(duration, "duration", "seconds")
    sr = check_sr(sr)
    sd = _sounddevice()
    info = _device_info(sd, device, "input")
    channels = _check_channels(channels, info)
    rate = _rate(sd, info, "input", sr, channels, resample)
    n = round(duration * sr)
    try:
        frames = sd.rec(
            max(1, round(duration * rate)), samplerate=rate, channels=channels,
            dtype="float32", device=info["index"], blocking=False,
        )
    except sd.PortAudioError as exc:
        raise AudioDeviceError(f"recording from {info['name']!r} failed: {exc}") from None
    _finish(sd, duration, "recording", info["name"])
    frames = _fit(_resample(frames, rate, sr), n)
    return from_frames(frames)


def _fit(frames: np.ndarray, n: int) -> np.ndarray:
    """Crop or zero-pad frame-first audio to exactly n frames."""
    if len(frames) >= n:
        return frames[:n]
    return np.concatenate([frames, np.zeros((n - len(frames), frames.shape[1]), frames.dtype)])


def playrec(
    y: np.ndarray,
    *,
    sr: int,
    channels: int = 1,
    device: int | str | None = None,
    resample: bool = True,
) -> np.ndarray:
    """Play a signal and record at the same time, sample-synchronously (blocking).

    This is the way to play and record together: calling :func:`play` and
    then :func:`record` stops the playback, because sounddevice runs one
    stream at a time. Input and output share one duplex stream, so the lag
    between them (:func:`measure_lag`) is the round-trip latency.

    Parameters
    ----------
    y : numpy.ndarray
        ``(n,)`` or ``(channels, n)``, float in [-1, 1]; mono plays on both
        front channels of a stereo device.
    sr : int
        Sample rate in Hz, of ``y`` and of the recording.
    channels : int
        Number of input channels to record.
    device : int or str, optional
        One device for both directions (an index or a name from
        :func:`devices`); default: ``AUDIOTUT_DEVICE``, else the defaults.
    resample : bool
        If the device does not accept ``sr``, run it at its native rate and
        resample both ways with soxr; with ``False``, raise instead.

    Returns
    -------
    numpy.ndarray
        The recording, as long as ``y``: ``(n,)`` for one channel, else
        ``(channels, n)``, float32.

    Raises
    ------
    AudioDeviceError
        PortAudio missing, no input or output device, or a refused rate with
        ``resample=False``.
    ValueError
        For a bad signal, ``sr`` or ``channels``, or an unknown device.

    Notes
    -----
    Taught in :doc:`/book/02_playback_recording`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut import playback
    >>> click = np.zeros(4800, dtype=np.float32)
    >>> click[100] = 0.5
    >>> if playback.available():
    ...     print(playback.playrec(click, sr=48000).shape)
    ... else:
    ...     print((4800,))
    (4800,)
    """
    y, sr = _checked_output(y, sr)
    sd = _sounddevice()
    out_info = _device_info(sd, device, "output")
    in_info = _device_info(sd, device, "input")
    channels = _check_channels(channels, in_info)
    frames = _output_frames(y, out_info)
    rate = _rate(sd, out_info, "output", sr, frames.shape[1], resample)
    if _rate(sd, in_info, "input", rate, channels, resample=False) != rate:  # pragma: no cover
        raise AudioDeviceError("input and output devices cannot share one rate")
    try:
        recorded = sd.playrec(
            _resample(frames, sr, rate), samplerate=rate, channels=channels, dtype="float32",
            device=(in_info["index"], out_info["index"]), blocking=False,
        )
    except sd.PortAudioError as exc:
        raise AudioDeviceError(f"play-and-record on {out_info['name']!r} failed: {exc}") from None
    _finish(sd, frames.shape[0] / sr, "play-and-record", out_info["name"])
    return from_frames(_fit(_resample(recorded, rate, sr), frames.shape[0]))


def wait() -> None:
    """Wait until a non-blocking :func:`play` has finished.

    Call it before a script exits, or the sound is cut off when the
    interpreter shuts down.

    Returns
    -------
    None

    Notes
    -----
    Taught in :doc:`/book/02_playback_recording`.

    Examples
    --------
    >>> from audiotut import playback
    >>> if playback.available(kind="output"):
    ...     playback.wait()  # returns at once when nothing is playing
    """
    _sounddevice().wait()


def stop() -> None:
    """Stop a non-blocking :func:`play` now.

    Returns
    -------
    None

    Notes
    -----
    Taught in :doc:`/book/02_playback_recording`.

    Examples
    --------
    >>> from audiotut import playback
    >>> if playback.available(kind="output"):
    ...     playback.stop()
    """
    _sounddevice().stop()


# --------------------------------------------------------------------------- real time


@dataclass(frozen=True)
class BlockInfo:
    """What :func:`monitor` passes with each block besides the samples.

    Taught in :doc:`/book/02_playback_recording`.

    Attributes
    ----------
    index : int
        Block number, from 0.
    time : float
        Stream time of the block's first sample, in seconds from the start.
    overflow : bool
        True when PortAudio dropped input before this block (the computer
        was too slow to keep up).
    """

    index: int
    time: float
    overflow: bool


def monitor(
    callback: Callable[[np.ndarray, BlockInfo], Any],
    *,
    sr: int,
    duration: float | None = None,
    play: np.ndarray | None = None,
    block_size: int = 1024,
    channels: int = 1,
    device: int | str | None = None,
) -> list:
    """Run ``callback`` on each block of incoming audio, as it arrives.

    PortAudio calls its own callback on a real-time thread that must never
    wait; this one only copies each block into a queue, and ``callback``
    runs on the calling thread. So ``callback`` may print, plot or raise
    (the exception stops the stream and reaches you), as long as it keeps up
    on average: a block of 1024 samples at 48 kHz leaves it 21 ms.

    Parameters
    ----------
    callback : callable
        ``callback(block, info)`` with ``block`` channel-first, ``(block_size,)``
        for one channel (the last block may be shorter), and a :class:`BlockInfo`.
        Its return values are collected.
    sr : int
        Sample rate in Hz; the device must accept it (no resampling here).
    duration : float, optional
        Seconds to listen. Defaults to the length of ``play``.
    play : numpy.ndarray, optional
        A signal to play while listening (a duplex stream, like
        :func:`playrec`).
    block_size : int
        Samples per block: smaller blocks mean less latency and more calls.
    channels : int
        Number of input channels.
    device : int or str, optional
        As in :func:`playrec`.

    Returns
    -------
    list
        What ``callback`` returned for each block, in order.

    Raises
    ------
    AudioDeviceError
        PortAudio missing, no device, or a rate the device refuses.
    ValueError
        For bad arguments (neither ``duration`` nor ``play``, a bad
        ``block_size``...).

    Notes
    -----
    Taught in :doc:`/book/02_playback_recording`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut import playback
    >>> rms_db = lambda block, info: 20 * np.log10(np.sqrt(np.mean(block**2)) + 1e-12)
    >>> if playback.available():
    ...     levels = playback.monitor(rms_db, sr=48000, duration=0.1)
    ...     print(len(levels))
    ... else:
    ...     print(5)
    5
    """
    if not callable(callback):
        raise ValueError(f"callback must be a function(block, info), got {callback!r}")
    sr = check_sr(sr)
    block_size = check_positive(block_size, "block_size", "samples", whole=True)
    if play is None and duration is None:
        raise ValueError("give duration= (seconds to listen) or play= (a signal to play)")
    if play is not None:
        play, sr = _checked_output(play, sr)
    total = round(check_positive(duration, "duration", "seconds") * sr) if duration is not None else play.shape[-1]
    sd = _sounddevice()
    in_info = _device_info(sd, device, "input")
    channels = _check_channels(channels, in_info)
    _rate(sd, in_info, "input", sr, channels, resample=False)
    blocks: queue.Queue = queue.Queue()
    outgoing = None
    if play is not None:
        out_info = _device_info(sd, device, "output")
        outgoing = _output_frames(play, out_info)
        _rate(sd, out_info, "output", sr, outgoing.shape[1], resample=False)
    position = 0

    def collect(indata, *rest):
        nonlocal position
        status = rest[-1]
        frames = len(indata)
        if outgoing is not None:
            outdata = rest[0]
            chunk = outgoing[position:position + frames]
            outdata[: len(chunk)] = chunk
            outdata[len(chunk):] = 0
        position += frames
        blocks.put((indata.copy(), bool(status.input_overflow)))

    kwargs = dict(samplerate=sr, blocksize=int(block_size), dtype="float32", callback=collect)
    try:
        if outgoing is None:
            stream = sd.InputStream(device=in_info["index"], channels=channels, **kwargs)
        else:
            stream = sd.Stream(
                device=(in_info["index"], out_info["index"]),
                channels=(channels, outgoing.shape[1]), **kwargs,
            )
    except sd.PortAudioError as exc:
        raise AudioDeviceError(f"opening a stream on {in_info['name']!r} failed: {exc}") from None
    results = []
    received = 0
    timeout = max(2.0, 20 * block_size / sr)
    with stream:
        while received < total:
            try:
                data, overflow = blocks.get(timeout=timeout)
            except queue.Empty:
                raise AudioDeviceError(
                    f"no audio arrived from {in_info['name']!r} for {timeout:.1f} s; is the "
                    "device running?"
                ) from None
            data = data[: total - received]
            info = BlockInfo(index=len(results), time=received / sr, overflow=overflow)
            results.append(callback(from_frames(data), info))
            received += len(data)
    return results


class Lag(NamedTuple):
    """The delay of a recording behind what was played (from :func:`measure_lag`).

    Taught in :doc:`/book/02_playback_recording`.
    """

    samples: int
    ms: float
    correlation: float


def measure_lag(
    played: np.ndarray, recorded: np.ndarray, *, sr: int, max_lag: int | None = None
) -> Lag:
    """Find how many samples ``recorded`` lags behind ``played``.

    The lag is the peak of the cross-correlation (computed by FFT with
    :func:`scipy.signal.correlate`) over lags ``0 .. max_lag``. The
    correlation reported is normalized over the overlapping part at that lag:
    1.0 means the recording is an exact, possibly scaled, delayed copy.

    Parameters
    ----------
    played, recorded : numpy.ndarray
        Mono ``(n,)`` signals, or channel-first; only the first channel of
        each is used.
    sr : int
        Sample rate in Hz (for the lag in milliseconds).
    max_lag : int, optional
        The largest lag to consider, in samples; default: ``len(recorded) - 1``.

    Returns
    -------
    Lag
        ``(samples, ms, correlation)``.

    Raises
    ------
    ValueError
        For bad signals or a silent ``played`` or ``recorded``.

    Notes
    -----
    Taught in :doc:`/book/02_playback_recording`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut.playback import measure_lag
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal(4800).astype(np.float32)
    >>> delayed = np.concatenate([np.zeros(1024, np.float32), x])[:4800]
    >>> lag = measure_lag(x, delayed, sr=48000)
    >>> lag.samples, round(lag.ms, 2), lag.correlation
    (1024, 21.33, 1.0)
    """
    from scipy import signal

    sr = check_sr(sr)
    a = check_signal(played, name="played")
    b = check_signal(recorded, name="recorded")
    a = (a if a.ndim == 1 else a[0]).astype(np.float64)
    b = (b if b.ndim == 1 else b[0]).astype(np.float64)
    for name, x in (("played", a), ("recorded", b)):
        if not np.any(x):
            raise ValueError(f"{name} is silent (all zeros), so it has no lag to find")
    limit = len(b) - 1 if max_lag is None else int(max_lag)
    if limit < 0:
        raise ValueError(f"max_lag must be >= 0, got {max_lag!r}")
    corr = signal.correlate(b, a, mode="full", method="fft")
    lags = signal.correlation_lags(len(b), len(a), mode="full")
    keep = (lags >= 0) & (lags <= limit)
    lag = int(lags[keep][np.argmax(corr[keep])])
    n = min(len(a), len(b) - lag)
    x, z = a[:n], b[lag:lag + n]
    norm = math.sqrt(float(np.dot(x, x)) * float(np.dot(z, z)))
    correlation = float(np.dot(x, z) / norm) if norm > 0 else 0.0
    return Lag(samples=lag, ms=1000.0 * lag / sr, correlation=round(correlation, 6))
