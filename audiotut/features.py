"""One frozen set of analysis parameters for STFT, mel spectrogram and MFCC.

:class:`FeatureConfig` gathers everything librosa asks for again and again
(``n_fft``, ``hop_length``, ``win_length``, ``window``, ``center``, the mel
filterbank's ``n_mels``, ``fmin``, ``fmax``, ``htk``, ``norm``, the dB
conversion and the MFCC settings) in one object, checks them together when it
is created, and passes them to librosa consistently: the STFT that is inverted
is the one that was taken, and the mel spectrogram's frames line up with the
times :meth:`FeatureConfig.frames_to_time` reports. Every method is a thin call
of the matching librosa function and gives exactly what that call gives.

Taught in :doc:`/book/04_stft_phase` and :doc:`/book/05_mel_mfcc`.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._validate import check_float_signal, check_positive, check_sr

__all__ = ["FeatureConfig"]

#: A long signal's mel spectrogram is computed this many STFT values (bins x frames) at a
#: time, about 16 MiB of complex64, so memory stays near input + output whatever its length.
_CHUNK_VALUES = 2**21
#: Padding modes whose padded edge depends only on the samples near that edge (the others
#: look at the whole signal, so a long signal is then analysed in one piece).
_LOCAL_PAD_MODES = ("constant", "edge", "reflect", "symmetric")

#: The ``ref`` functions a configuration can be saved with (:meth:`FeatureConfig.to_dict`).
_REF_FUNCTIONS: dict[str, Callable[[np.ndarray], Any]] = {
    "numpy.max": np.max, "numpy.mean": np.mean, "numpy.median": np.median,
}

#: The padding modes librosa's STFT accepts for ``center=True``.
PAD_MODES = ("constant", "edge", "linear_ramp", "reflect", "symmetric", "empty")


def _whole(value: object, name: str, unit: str) -> int:
    return int(check_positive(value, name, unit, whole=True))


def _number(value: object, name: str, kind: str, *, allow_zero: bool = False) -> float:
    """A finite float, positive (or with ``allow_zero`` non-negative); ``kind`` says what it is."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a {kind}, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        wanted = f"finite {kind}, zero or more" if allow_zero else f"positive, finite {kind}"
        raise ValueError(f"{name} must be a {wanted}, got {value!r}")
    return value


def _empty_mel_filters(*, sr: int, n_fft: int, n_mels: int, fmin: float, fmax: float,
                       htk: bool) -> int:
    """How many rows of librosa.filters.mel are all zeros: triangles holding no FFT bin.

    Filter ``i`` rises from ``mel_f[i]`` to ``mel_f[i + 1]`` and falls to
    ``mel_f[i + 2]``; it is empty when no bin frequency lies strictly between
    its two edges. Unlike librosa's "Empty filters" warning, this also counts a
    filter starting at 0 Hz: the DC bin sits on its edge and gets weight 0.
    """
    import librosa

    edges = librosa.mel_frequencies(n_mels=n_mels + 2, fmin=fmin, fmax=fmax, htk=htk)
    bins = librosa.fft_frequencies(sr=sr, n_fft=n_fft)
    # number of bins strictly above the lower edge and strictly below the upper edge
    above_lower = len(bins) - np.searchsorted(bins, edges[:-2], side="right")
    below_upper = np.searchsorted(bins, edges[2:], side="left")
    inside = below_upper - (len(bins) - above_lower)
    return int(np.sum(inside <= 0))


def _check_window(window: object, win_length: int) -> None:
    import scipy.signal

    if not isinstance(window, (str, tuple)):
        raise ValueError(
            f"window must be a window name such as 'hann', 'hamming' or 'blackman' (or a "
            f"tuple such as ('kaiser', 8.0)), got {window!r}"
        )
    try:
        scipy.signal.get_window(window, win_length, fftbins=True)
    except (ValueError, TypeError) as error:
        raise ValueError(
            f"window={window!r} is not a window scipy.signal.get_window knows ({error}); "
            "use a name such as 'hann', 'hamming', 'blackman' or 'boxcar', or a tuple "
            "with its parameter such as ('kaiser', 8.0)"
        ) from None


@dataclass(frozen=True, kw_only=True)
class FeatureConfig:
    """STFT, mel and MFCC parameters, checked together, used consistently.

    Create one per experiment and call its methods instead of repeating the
    keyword arguments of :func:`librosa.stft`, :func:`librosa.istft`,
    :func:`librosa.feature.melspectrogram` and :func:`librosa.feature.mfcc`.
    It is frozen (an assignment raises
    :class:`dataclasses.FrozenInstanceError`); :meth:`replace` makes a checked
    copy with some values changed.

    Parameters
    ----------
    sr : int
        Sample rate in Hz of the signals this configuration analyses.
    n_fft : int
        FFT size in samples; the spectrum has ``1 + n_fft // 2`` bins spaced
        ``sr / n_fft`` Hz apart.
    hop_length : int or None
        Samples between the starts of successive frames. ``None`` (the default)
        means ``win_length // 4``, as in librosa; after construction the
        attribute holds the number.
    win_length : int or None
        Length of the window in samples, at most ``n_fft`` (a shorter window
        is zero-padded at both sides to ``n_fft``). ``None`` means ``n_fft``.
    window : str or tuple
        A window :func:`scipy.signal.get_window` knows: ``"hann"``,
        ``"hamming"``, ``"blackman"``, ``("kaiser", 8.0)`` ...
    center : bool
        Pad ``n_fft // 2`` samples at both ends so that frame ``t`` is centred
        on sample ``t * hop_length``.
    pad_mode : str
        How to pad when ``center=True``: ``"constant"`` (zeros, librosa's
        default), ``"edge"``, ``"linear_ramp"``, ``"reflect"``, ``"symmetric"``
        or ``"empty"``.
    power : float
        Exponent of the magnitude: 2 for power (the default), 1 for magnitude.
    n_mels : int
        Number of mel bands.
    fmin, fmax : float
        Lowest and highest frequency of the mel filterbank in Hz; ``fmax=None``
        means ``sr / 2`` (the attribute then holds that number).
    htk : bool
        Use the HTK mel scale (``2595 log10(1 + f / 700)``) instead of
        Slaney's (linear below 1 kHz, logarithmic above), librosa's default.
    norm : {"slaney", None} or float
        Normalization of the mel triangles: ``"slaney"`` (equal area, the
        default), ``None`` (peak 1), or a number p for unit p-norm rows.
    n_mfcc : int
        Number of MFCCs :meth:`mfcc` keeps.
    dct_type : {1, 2, 3}
        Type of the discrete cosine transform of the MFCCs.
    lifter : float
        Cepstral liftering coefficient (0 turns it off).
    ref : float or callable
        Reference of the dB conversion in :meth:`log_mel`, in the units of the
        mel spectrogram (``numpy.max`` makes the loudest cell 0 dB).
    amin : float
        Smallest value of the mel spectrogram before taking the logarithm.
    top_db : float or None
        Floor the dB values at ``top_db`` below the peak; ``None`` keeps all.

    Raises
    ------
    ValueError
        For a value that is out of range or inconsistent with the others; the
        message names the value and says how to fix it: a hop or window longer
        than ``n_fft``, a hop longer than the window (frames would skip
        samples, and the STFT could not be inverted), ``fmax`` above ``sr / 2``,
        ``fmin >= fmax``, an unknown window or pad mode, ``power <= 0``,
        ``n_mfcc > n_mels``, or so many mel bands for ``n_fft`` that some mel
        filters would hold no FFT bin.

    Notes
    -----
    Taught in :doc:`/book/04_stft_phase` (STFT, inverse STFT, frames and
    times) and :doc:`/book/05_mel_mfcc` (mel filterbank, log-mel, MFCC).

    Examples
    --------
    >>> from audiotut.features import FeatureConfig
    >>> cfg = FeatureConfig(sr=16000, n_fft=512, n_mels=40)
    >>> cfg.hop_length, cfg.win_length, cfg.fmax
    (128, 512, 8000.0)
    >>> cfg.n_frames(16000)
    126
    >>> cfg.replace(n_fft=1024).hop_length
    256
    """

    sr: int
    n_fft: int = 2048
    hop_length: int | None = None
    win_length: int | None = None
    window: str | tuple[Any, ...] = "hann"
    center: bool = True
    pad_mode: str = "constant"
    power: float = 2.0
    n_mels: int = 128
    fmin: float = 0.0
    fmax: float | None = None
    htk: bool = False
    norm: str | float | None = "slaney"
    n_mfcc: int = 20
    dct_type: int = 2
    lifter: float = 0.0
    ref: float | Callable[[np.ndarray], Any] = 1.0
    amin: float = 1e-10
    top_db: float | None = 80.0
    # which of hop_length, win_length, fmax were left to their defaults, so that
    # replace() resolves them again from the new n_fft / win_length / sr
    _defaulted: frozenset[str] = field(default=frozenset(), init=False, repr=False,
                                       compare=False)

    def __post_init__(self) -> None:
        def put(name: str, value: object) -> None:  # frozen: store the resolved values
            object.__setattr__(self, name, value)

        defaulted = {name for name in ("hop_length", "win_length", "fmax")
                     if getattr(self, name) is None}
        put("_defaulted", frozenset(defaulted))

        sr = check_sr(self.sr)
        put("sr", sr)
        n_fft = _whole(self.n_fft, "n_fft", "samples")
        put("n_fft", n_fft)

        win_length = n_fft if self.win_length is None else _whole(
            self.win_length, "win_length", "samples")
        if win_length > n_fft:
            raise ValueError(
                f"win_length={win_length} is longer than n_fft={n_fft}; the window must fit "
                f"in one FFT frame: raise n_fft to at least {win_length} or shorten the window"
            )
        put("win_length", win_length)

        if self.hop_length is None:
            hop_length = win_length // 4
            if hop_length < 1:
                raise ValueError(
                    f"win_length={win_length} is too short for the default hop "
                    "(win_length // 4 = 0); give hop_length explicitly"
                )
        else:
            hop_length = _whole(self.hop_length, "hop_length", "samples")
        if hop_length > n_fft:
            raise ValueError(
                f"hop_length={hop_length} is longer than n_fft={n_fft}: frames would skip "
                f"samples; use a hop of at most n_fft, typically n_fft // 4 = {max(n_fft // 4, 1)}"
            )
        if hop_length > win_length:
            raise ValueError(
                f"hop_length={hop_length} is longer than win_length={win_length}: the windows "
                "would leave samples between them unseen, and istft could not invert the "
                f"STFT; use a hop of at most win_length, typically win_length // 4 = "
                f"{max(win_length // 4, 1)}"
            )
        put("hop_length", hop_length)

        _check_window(self.window, win_length)
        if not isinstance(self.center, (bool, np.bool_)):
            raise ValueError(f"center must be True or False, got {self.center!r}")
        put("center", bool(self.center))
        if self.pad_mode not in PAD_MODES:
            raise ValueError(
                f"pad_mode={self.pad_mode!r} is not a padding librosa.stft accepts; "
                f"choose one of {', '.join(PAD_MODES)}"
            )

        put("power", _number(self.power, "power", "exponent (2 for power, 1 for magnitude)"))
        n_mels = _whole(self.n_mels, "n_mels", "mel bands")
        put("n_mels", n_mels)
        fmin = _number(self.fmin, "fmin", "number of Hz", allow_zero=True)
        put("fmin", fmin)
        nyquist = sr / 2
        fmax = nyquist if self.fmax is None else _number(
            self.fmax, "fmax", "number of Hz (or None for sr / 2)")
        if fmax > nyquist:
            raise ValueError(
                f"fmax={fmax:g} Hz is above the Nyquist frequency sr / 2 = {nyquist:g} Hz, "
                f"where a signal sampled at {sr} Hz has no content; use fmax <= {nyquist:g} "
                "or fmax=None"
            )
        if fmin >= fmax:
            raise ValueError(
                f"fmin={fmin:g} Hz must be below fmax={fmax:g} Hz; the mel bands span "
                "fmin to fmax"
            )
        put("fmax", fmax)
        if not isinstance(self.htk, (bool, np.bool_)):
            raise ValueError(f"htk must be True or False, got {self.htk!r}")
        put("htk", bool(self.htk))
        self._check_norm()

        n_mfcc = _whole(self.n_mfcc, "n_mfcc", "coefficients")
        if n_mfcc > n_mels:
            raise ValueError(
                f"n_mfcc={n_mfcc} is more than n_mels={n_mels}: the DCT of {n_mels} mel bands "
                f"gives only {n_mels} coefficients; use n_mfcc <= {n_mels} or more mel bands"
            )
        put("n_mfcc", n_mfcc)
        if isinstance(self.dct_type, bool) or self.dct_type not in (1, 2, 3):
            raise ValueError(f"dct_type must be 1, 2 or 3 (2 is usual), got {self.dct_type!r}")
        put("dct_type", int(self.dct_type))
        put("lifter", _number(self.lifter, "lifter", "liftering coefficient", allow_zero=True))
        if not callable(self.ref):
            put("ref", _number(self.ref, "ref", "dB reference value (or a function such as numpy.max)"))
        put("amin", _number(self.amin, "amin", "floor applied before the logarithm"))
        if self.top_db is not None:
            put("top_db", _number(self.top_db, "top_db", "number of dB (or None)"))

        self._check_mel_filters()

    def _check_norm(self) -> None:
        norm = self.norm
        if norm is None or (isinstance(norm, str) and norm == "slaney"):
            return
        if (isinstance(norm, bool) or not isinstance(norm, (int, float, np.integer, np.floating))
                or not (norm > 0)):
            raise ValueError(
                f"norm={norm!r} is not a mel filter normalization; use 'slaney' (equal area, "
                "the default), None (peak 1) or a positive number p (unit p-norm rows, e.g. "
                "1, 2 or numpy.inf)"
            )
        object.__setattr__(self, "norm", float(norm))

    def _check_mel_filters(self) -> None:
        empty = _empty_mel_filters(sr=self.sr, n_fft=self.n_fft, n_mels=self.n_mels,
                                   fmin=self.fmin, fmax=self.fmax, htk=self.htk)
        if not empty:
            return
        mels = dict(sr=self.sr, fmin=self.fmin, fmax=self.fmax, htk=self.htk)
        largest = next((m for m in range(self.n_mels - 1, 0, -1)
                        if not _empty_mel_filters(n_fft=self.n_fft, n_mels=m, **mels)), None)
        n_fft = self.n_fft * 2
        while _empty_mel_filters(n_fft=n_fft, n_mels=self.n_mels, **mels) and n_fft < 2**20:
            n_fft *= 2
        fewer = f"use n_mels <= {largest}" if largest else "use fewer mel bands"
        raise ValueError(
            f"n_mels={self.n_mels} is too many for n_fft={self.n_fft} between "
            f"{self.fmin:g} and {self.fmax:g} Hz: {empty} of the {self.n_mels} mel filters "
            f"would hold no FFT bin (bins are {self.sr / self.n_fft:.3g} Hz apart); "
            f"{fewer}, or n_fft >= {n_fft}"
        )

    # ----------------------------------------------------------------- helpers

    def _signal(self, y: object, name: str = "y") -> np.ndarray:
        y = np.asarray(check_float_signal(y, name=name), dtype=np.float32)
        if not self.center and y.shape[-1] < self.n_fft:
            raise ValueError(
                f"{name} has {y.shape[-1]} samples, fewer than n_fft={self.n_fft}, so "
                "center=False gives no frame; use a shorter n_fft, a longer signal, or "
                "center=True"
            )
        return y

    def _stft_kwargs(self) -> dict[str, Any]:
        return dict(n_fft=self.n_fft, hop_length=self.hop_length, win_length=self.win_length,
                    window=self.window, center=self.center, pad_mode=self.pad_mode)

    def _mel_kwargs(self) -> dict[str, Any]:
        return dict(n_mels=self.n_mels, fmin=self.fmin, fmax=self.fmax, htk=self.htk,
                    norm=self.norm)

    # ----------------------------------------------------------------- public

    def to_dict(self) -> dict[str, Any]:
        """The configuration as plain JSON-able values, for a checkpoint or a log.

        ``ref=numpy.max`` (or ``numpy.mean``, ``numpy.median``) is written as its
        name, ``"numpy.max"``; a window given as a tuple becomes a list.
        :meth:`from_dict` reads it back to an equal configuration. Values left
        to their defaults (``hop_length``, ``win_length``, ``fmax``) are written
        as the numbers they resolved to.

        Returns
        -------
        dict
            One entry per field, in field order.

        Raises
        ------
        ValueError
            If ``ref`` is a function other than ``numpy.max``, ``numpy.mean`` or
            ``numpy.median``: a function cannot be written as data.

        Notes
        -----
        Taught in :doc:`/book/09_datasets` (saving a model with its front-end).

        Examples
        --------
        >>> import json
        >>> import numpy as np
        >>> from audiotut.features import FeatureConfig
        >>> cfg = FeatureConfig(sr=8000, n_fft=256, hop_length=128, n_mels=40, ref=np.max)
        >>> d = cfg.to_dict()
        >>> d["ref"], d["hop_length"]
        ('numpy.max', 128)
        >>> FeatureConfig.from_dict(json.loads(json.dumps(d))) == cfg
        True
        """
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if not f.init:
                continue
            value = getattr(self, f.name)
            if f.name == "ref" and callable(value):
                names = [name for name, fn in _REF_FUNCTIONS.items() if fn is value]
                if value is np.amax:
                    names = ["numpy.max"]
                if not names:
                    raise ValueError(
                        f"ref={value!r} is a function that cannot be saved as data; use a "
                        f"number or one of {', '.join(_REF_FUNCTIONS)}"
                    )
                value = names[0]
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FeatureConfig:
        """A configuration from :meth:`to_dict`'s values (after JSON, too).

        Parameters
        ----------
        d : dict
            Field names and values; missing fields take their defaults. ``ref``
            may be a number or ``"numpy.max"``, ``"numpy.mean"``,
            ``"numpy.median"``; a list ``window`` becomes a tuple.

        Returns
        -------
        FeatureConfig
            Checked like any new configuration.

        Raises
        ------
        ValueError
            For a name that is not a field, an unknown ``ref`` name, or values
            that do not make a valid configuration.

        Notes
        -----
        Taught in :doc:`/book/09_datasets`.

        Examples
        --------
        >>> from audiotut.features import FeatureConfig
        >>> FeatureConfig.from_dict({"sr": 16000, "n_fft": 512, "ref": "numpy.max"}).ref.__name__
        'max'
        """
        if not isinstance(d, dict):
            raise ValueError(f"d must be a dict of FeatureConfig fields, got {type(d).__name__}")
        problem = _unknown_fields(d)
        if problem:
            raise ValueError(problem)
        values = dict(d)
        ref = values.get("ref")
        if isinstance(ref, str):
            if ref not in _REF_FUNCTIONS:
                raise ValueError(f"ref={ref!r} names no known function; use a number or one of "
                                 f"{', '.join(_REF_FUNCTIONS)}")
            values["ref"] = _REF_FUNCTIONS[ref]
        if isinstance(values.get("window"), list):
            values["window"] = tuple(values["window"])
        return cls(**values)

    def replace(self, **changes: Any) -> FeatureConfig:
        """A copy with some values changed, checked like a new configuration.

        ``hop_length``, ``win_length`` and ``fmax`` that this configuration
        left to their defaults follow the new values: replacing ``n_fft`` of
        ``FeatureConfig(sr=16000, n_fft=512)`` also changes its hop from 128 to
        ``new_n_fft // 4``, exactly as constructing it anew would.

        Parameters
        ----------
        **changes
            Fields to change, by name, e.g. ``n_fft=1024, htk=True``.

        Returns
        -------
        FeatureConfig
            The new configuration; this one is unchanged.

        Raises
        ------
        ValueError
            If the new combination is invalid.
        TypeError
            If a name is not a field of :class:`FeatureConfig`.

        Notes
        -----
        Taught in :doc:`/book/04_stft_phase` and :doc:`/book/05_mel_mfcc`.

        Examples
        --------
        >>> from audiotut.features import FeatureConfig
        >>> cfg = FeatureConfig(sr=16000, n_fft=512, n_mels=40)
        >>> wide = cfg.replace(n_fft=2048, n_mels=128)
        >>> wide.n_fft, wide.hop_length, cfg.n_fft
        (2048, 512, 512)
        """
        problem = _unknown_fields(changes)
        if problem:
            raise TypeError(problem)
        for name in self._defaulted:
            changes.setdefault(name, None)
        return dataclasses.replace(self, **changes)

    def stft(self, y: np.ndarray) -> np.ndarray:
        """Short-time Fourier transform of ``y``: :func:`librosa.stft` with these settings.

        Parameters
        ----------
        y : numpy.ndarray
            Float signal, ``(n,)`` or ``(channels, n)``.

        Returns
        -------
        numpy.ndarray
            complex64, ``(..., 1 + n_fft // 2, n_frames)``: frequency bins by
            frames (see :meth:`n_frames` and :meth:`frames_to_time`).

        Raises
        ------
        ValueError
            If ``y`` is not a finite float signal, or with ``center=False`` is
            shorter than ``n_fft``.

        Notes
        -----
        Taught in :doc:`/book/04_stft_phase`.

        Examples
        --------
        >>> import numpy as np
        >>> from audiotut.features import FeatureConfig
        >>> cfg = FeatureConfig(sr=16000, n_fft=512)
        >>> y = np.sin(2 * np.pi * 1000 * np.arange(16000) / 16000).astype(np.float32)
        >>> S = cfg.stft(y)
        >>> S.shape, S.dtype
        ((257, 126), dtype('complex64'))
        >>> float(np.argmax(np.abs(S[:, 50])) * cfg.sr / cfg.n_fft)   # the peak bin in Hz
        1000.0
        """
        import librosa

        y = self._signal(y)
        return librosa.stft(y, **self._stft_kwargs()).astype(np.complex64, copy=False)

    def istft(self, S: np.ndarray, *, length: int | None = None) -> np.ndarray:
        """Inverse STFT: :func:`librosa.istft` with these settings.

        With ``center=True`` and a window and hop that overlap-add to a
        non-zero sum (the NOLA condition; any Hann or Hamming window with a hop
        of at most half the window satisfies it), ``istft(stft(y),
        length=len(y))`` gives ``y`` back to float32 precision.

        Parameters
        ----------
        S : numpy.ndarray
            Complex STFT ``(..., 1 + n_fft // 2, n_frames)``, e.g. from :meth:`stft`.
        length : int or None
            Trim or zero-pad the output to exactly this many samples; pass the
            original signal's length to get it back sample for sample.

        Returns
        -------
        numpy.ndarray
            float32, ``(..., length)``.

        Raises
        ------
        ValueError
            If ``S`` does not have ``1 + n_fft // 2`` rows, or ``length`` is
            not a positive whole number.

        Notes
        -----
        Taught in :doc:`/book/04_stft_phase`.

        Examples
        --------
        >>> import numpy as np
        >>> from audiotut.features import FeatureConfig
        >>> cfg = FeatureConfig(sr=16000, n_fft=512)
        >>> y = np.random.default_rng(0).uniform(-0.5, 0.5, 12345).astype(np.float32)
        >>> back = cfg.istft(cfg.stft(y), length=len(y))
        >>> back.shape, bool(np.max(np.abs(back - y)) < 1e-5)
        ((12345,), True)
        """
        import librosa

        S = np.asarray(S)
        bins = 1 + self.n_fft // 2
        if S.ndim < 2 or S.shape[-2] != bins:
            raise ValueError(
                f"S has shape {S.shape}; an STFT with n_fft={self.n_fft} has {bins} frequency "
                "rows, (..., 1 + n_fft // 2, n_frames): use the same FeatureConfig that "
                "computed it"
            )
        if not np.isfinite(S).all():
            raise ValueError("S holds NaN or infinite values; the STFT must be finite to invert it")
        if length is not None:
            length = _whole(length, "length", "samples")
        if not np.iscomplexobj(S):
            S = S.astype(np.complex64)
        y = librosa.istft(S, hop_length=self.hop_length, win_length=self.win_length,
                          n_fft=self.n_fft, window=self.window, center=self.center,
                          length=length)
        return y.astype(np.float32, copy=False)

    def spectrogram(self, y: np.ndarray) -> np.ndarray:
        """``|STFT|**power``: the magnitude (power 1) or power (power 2) spectrogram.

        Parameters
        ----------
        y : numpy.ndarray
            Float signal, ``(n,)`` or ``(channels, n)``.

        Returns
        -------
        numpy.ndarray
            float32, ``(..., 1 + n_fft // 2, n_frames)``.

        Raises
        ------
        ValueError
            As :meth:`stft`.

        Notes
        -----
        Taught in :doc:`/book/04_stft_phase`.

        Examples
        --------
        >>> import numpy as np
        >>> from audiotut.features import FeatureConfig
        >>> cfg = FeatureConfig(sr=16000, n_fft=512, power=1.0)
        >>> cfg.spectrogram(np.zeros(16000, dtype=np.float32)).shape
        (257, 126)
        """
        return (np.abs(self.stft(y)) ** self.power).astype(np.float32, copy=False)

    def melspectrogram(self, y: np.ndarray) -> np.ndarray:
        """Mel spectrogram: :func:`librosa.feature.melspectrogram` with these settings.

        Parameters
        ----------
        y : numpy.ndarray
            Float signal, ``(n,)`` or ``(channels, n)``.

        Returns
        -------
        numpy.ndarray
            float32, ``(..., n_mels, n_frames)``, in the units of
            ``|STFT|**power``.

        Raises
        ------
        ValueError
            As :meth:`stft`.

        Notes
        -----
        Taught in :doc:`/book/05_mel_mfcc`. A long signal (more than about
        32,000 frames at ``n_fft=512``) is analysed a block of frames at a
        time, each block with exactly the samples its frames cover, so the
        result equals the whole-signal one while the memory needed beyond input
        and output stays fixed (an hour at 16 kHz: about 30 MiB instead of
        1.3 GiB). :meth:`log_mel` then converts to dB in place.

        Examples
        --------
        >>> import numpy as np
        >>> from audiotut.features import FeatureConfig
        >>> cfg = FeatureConfig(sr=16000, n_fft=512, n_mels=40)
        >>> y = np.sin(2 * np.pi * 1000 * np.arange(16000) / 16000).astype(np.float32)
        >>> M = cfg.melspectrogram(y)
        >>> M.shape
        (40, 126)
        >>> band = int(np.argmax(M[:, 50]))           # the band holding the tone ...
        >>> bool(abs(cfg.mel_frequencies()[band] - 1000) < 100)   # ... is centred near 1 kHz
        True
        """
        import librosa

        y = self._signal(y)
        chunked = self._melspectrogram_in_chunks(y)
        if chunked is not None:
            return chunked
        mel = librosa.feature.melspectrogram(y=y, sr=self.sr, power=self.power,
                                             **self._stft_kwargs(), **self._mel_kwargs())
        return mel.astype(np.float32, copy=False)

    def _chunk_frames(self) -> int:
        return max(256, _CHUNK_VALUES // (1 + self.n_fft // 2))

    def _melspectrogram_in_chunks(self, y: np.ndarray) -> np.ndarray | None:
        """The mel spectrogram of a long signal, a block of frames at a time, or None.

        Whole-signal librosa holds the complex STFT, its power and the mel
        product at once: 7 to 13 times the input for an hour of audio. Here each
        block of frames gets exactly the samples it covers (the padding at the
        two ends made as the whole signal's would be), so the result equals the
        whole-signal one to float32 rounding while the extra memory is the output
        plus one block. Short signals (at most four blocks) return None and go
        through librosa in one piece, as before.
        """
        import librosa

        if self.center and self.pad_mode not in _LOCAL_PAD_MODES:
            return None
        n, hop, step = y.shape[-1], self.hop_length, self._chunk_frames()
        frames = self.n_frames(n)
        if frames <= 4 * step:
            return None
        left = self.n_fft // 2 if self.center else 0
        basis = self.mel_filterbank()
        kwargs = dict(self._stft_kwargs(), center=False)
        out = np.empty(y.shape[:-1] + (self.n_mels, frames), dtype=np.float32)
        for t0 in range(0, frames, step):
            t1 = min(frames, t0 + step)
            a, b = t0 * hop - left, (t1 - 1) * hop - left + self.n_fft
            segment = y[..., max(a, 0):min(b, n)]
            if a < 0 or b > n:                     # the ends: pad as the whole signal is
                widths = [(0, 0)] * (y.ndim - 1) + [(max(0, -a), max(0, b - n))]
                segment = np.pad(segment, widths, mode=self.pad_mode)
            power = np.abs(librosa.stft(segment, **kwargs)) ** self.power
            out[..., t0:t1] = basis @ power
        return out

    def _to_db_in_place(self, M: np.ndarray) -> np.ndarray:
        """:meth:`_to_db` without temporaries: librosa's formula, a block at a time."""
        exponent = 2.0 / self.power                # power_to_db of M ** (2 / power)
        ref = self.ref(M) if callable(self.ref) else self.ref
        amin = self.amin ** exponent
        ref_db = 10 * math.log10(max(amin, abs(float(ref)) ** exponent))
        step = self._chunk_frames()
        for t0 in range(0, M.shape[-1], step):
            block = M[..., t0:t0 + step]
            if exponent != 1.0:
                np.power(block, exponent, out=block)
            np.maximum(block, amin, out=block)
            np.log10(block, out=block)
            block *= 10
            block -= ref_db
        if self.top_db is not None:
            np.maximum(M, M.max() - self.top_db, out=M)
        return M

    def _to_db(self, S: np.ndarray) -> np.ndarray:
        import librosa

        if self.power == 2.0:
            db = librosa.power_to_db(S, ref=self.ref, amin=self.amin, top_db=self.top_db)
        elif self.power == 1.0:
            db = librosa.amplitude_to_db(S, ref=self.ref, amin=self.amin, top_db=self.top_db)
        else:
            # S = |X|**p, so 20 log10 |X| = (20 / p) log10 S = 10 log10 (S ** (2 / p))
            exponent = 2.0 / self.power
            ref = self.ref(S) if callable(self.ref) else self.ref
            db = librosa.power_to_db(S ** exponent, ref=float(ref) ** exponent,
                                     amin=self.amin ** exponent, top_db=self.top_db)
        return np.asarray(db, dtype=np.float32)

    def log_mel(self, y: np.ndarray) -> np.ndarray:
        """Log-mel spectrogram in dB: the mel spectrogram through power_to_db / amplitude_to_db.

        With ``power=2`` this is :func:`librosa.power_to_db` of
        :meth:`melspectrogram` (``10 log10(S / ref)``), with ``power=1``
        :func:`librosa.amplitude_to_db` (``20 log10(S / ref)``), each with this
        configuration's ``ref``, ``amin`` and ``top_db`` (``ref`` and ``amin``
        are in the units of the mel spectrogram). For another power p the
        values are ``(20 / p) log10(S / ref)``, the same rule: ``S`` holds
        magnitudes to the power p, and ``20 log10`` of a magnitude is its level
        in dB. (The mel bands sum ``|X|**p`` over several FFT bins, so the
        same sound still gives different numbers for different powers.)

        Parameters
        ----------
        y : numpy.ndarray
            Float signal, ``(n,)`` or ``(channels, n)``.

        Returns
        -------
        numpy.ndarray
            float32 dB, ``(..., n_mels, n_frames)``; at most ``top_db`` below
            the peak.

        Raises
        ------
        ValueError
            As :meth:`stft`.

        Notes
        -----
        Taught in :doc:`/book/05_mel_mfcc`.

        Examples
        --------
        >>> import numpy as np
        >>> from audiotut.features import FeatureConfig
        >>> cfg = FeatureConfig(sr=16000, n_fft=512, n_mels=40, ref=np.max)
        >>> y = np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32)
        >>> L = cfg.log_mel(y)
        >>> float(L.max()), bool(L.min() >= -80)
        (0.0, True)
        """
        M = self.melspectrogram(y)
        if M.shape[-1] > 4 * self._chunk_frames():    # long: convert in place
            return self._to_db_in_place(M)
        return self._to_db(M)

    def mfcc(self, y: np.ndarray, *, n_mfcc: int | None = None) -> np.ndarray:
        """MFCCs: the DCT of :meth:`log_mel`, via :func:`librosa.feature.mfcc`.

        ``librosa.feature.mfcc(S=self.log_mel(y), n_mfcc=..., dct_type=...,
        norm="ortho", lifter=...)``. With ``power=2`` and the default ``ref``,
        ``amin`` and ``top_db`` this equals ``librosa.feature.mfcc(y=y, sr=sr,
        ...)`` called with the same STFT and mel settings.

        Parameters
        ----------
        y : numpy.ndarray
            Float signal, ``(n,)`` or ``(channels, n)``.
        n_mfcc : int or None
            Number of coefficients; ``None`` uses the configuration's ``n_mfcc``.

        Returns
        -------
        numpy.ndarray
            float32, ``(..., n_mfcc, n_frames)``.

        Raises
        ------
        ValueError
            As :meth:`stft`, or if ``n_mfcc`` is not between 1 and ``n_mels``.

        Notes
        -----
        Taught in :doc:`/book/05_mel_mfcc`.

        Examples
        --------
        >>> import numpy as np
        >>> from audiotut.features import FeatureConfig
        >>> cfg = FeatureConfig(sr=16000, n_fft=512, n_mels=40, n_mfcc=13)
        >>> y = np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32)
        >>> cfg.mfcc(y).shape, cfg.mfcc(y, n_mfcc=20).shape
        ((13, 126), (20, 126))
        """
        import librosa

        if n_mfcc is None:
            n_mfcc = self.n_mfcc
        else:
            n_mfcc = _whole(n_mfcc, "n_mfcc", "coefficients")
            if n_mfcc > self.n_mels:
                raise ValueError(
                    f"n_mfcc={n_mfcc} is more than n_mels={self.n_mels}: the DCT of "
                    f"{self.n_mels} mel bands gives only {self.n_mels} coefficients; use "
                    f"n_mfcc <= {self.n_mels} or a configuration with more mel bands"
                )
        coefficients = librosa.feature.mfcc(S=self.log_mel(y), n_mfcc=n_mfcc,
                                            dct_type=self.dct_type, norm="ortho",
                                            lifter=self.lifter)
        return np.asarray(coefficients, dtype=np.float32)

    def mel_filterbank(self) -> np.ndarray:
        """The mel filterbank: :func:`librosa.filters.mel` with these settings.

        Returns
        -------
        numpy.ndarray
            float32 ``(n_mels, 1 + n_fft // 2)``: row ``m`` is the triangle
            that weights the FFT bins into mel band ``m``.

        Notes
        -----
        Taught in :doc:`/book/05_mel_mfcc`.

        Examples
        --------
        >>> import numpy as np
        >>> from audiotut.features import FeatureConfig
        >>> cfg = FeatureConfig(sr=16000, n_fft=512, n_mels=40, norm=None)
        >>> fb = cfg.mel_filterbank()
        >>> fb.shape, bool(np.all(fb.max(axis=1) > 0.5))
        ((40, 257), True)
        """
        import librosa

        with warnings.catch_warnings():  # empty filters are refused in __post_init__
            warnings.simplefilter("ignore", UserWarning)
            fb = librosa.filters.mel(sr=self.sr, n_fft=self.n_fft, **self._mel_kwargs())
        return fb.astype(np.float32, copy=False)

    def mel_frequencies(self) -> np.ndarray:
        """Centre frequency in Hz of each mel band (the peak of each triangle).

        ``librosa.mel_frequencies(n_mels + 2, fmin=fmin, fmax=fmax, htk=htk)``
        gives the ``n_mels + 2`` band edges equally spaced on the mel scale;
        the centres are all but the first and the last.

        Returns
        -------
        numpy.ndarray
            float64 ``(n_mels,)``, increasing, strictly between ``fmin`` and ``fmax``.

        Notes
        -----
        Taught in :doc:`/book/05_mel_mfcc`.

        Examples
        --------
        >>> from audiotut.features import FeatureConfig
        >>> cfg = FeatureConfig(sr=16000, n_mels=3, n_mfcc=3, fmax=2000.0, htk=True)
        >>> [round(float(f)) for f in cfg.mel_frequencies()]
        [281, 675, 1227]
        """
        import librosa

        edges = librosa.mel_frequencies(n_mels=self.n_mels + 2, fmin=self.fmin, fmax=self.fmax,
                                        htk=self.htk)
        return np.asarray(edges[1:-1], dtype=np.float64)

    def frames_to_time(self, frames: int | np.ndarray) -> np.ndarray:
        """Time in seconds of the centre of each frame.

        With ``center=True`` frame ``t`` is centred on sample ``t *
        hop_length``; with ``center=False`` it starts there, so its centre is
        ``n_fft // 2`` samples later. This is :func:`librosa.frames_to_time`
        with ``n_fft`` passed only when ``center=False``.

        Parameters
        ----------
        frames : int or numpy.ndarray
            Frame indices, e.g. ``np.arange(S.shape[-1])``.

        Returns
        -------
        numpy.ndarray
            Seconds, float64, the shape of ``frames``.

        Notes
        -----
        Taught in :doc:`/book/04_stft_phase`.

        Examples
        --------
        >>> import numpy as np
        >>> from audiotut.features import FeatureConfig
        >>> cfg = FeatureConfig(sr=16000, n_fft=512, hop_length=160)
        >>> cfg.frames_to_time(np.arange(3)).tolist()
        [0.0, 0.01, 0.02]
        >>> cfg.replace(center=False).frames_to_time(np.arange(3)).tolist()
        [0.016, 0.026, 0.036]
        """
        import librosa

        return np.asarray(librosa.frames_to_time(
            frames, sr=self.sr, hop_length=self.hop_length,
            n_fft=None if self.center else self.n_fft), dtype=np.float64)

    def n_frames(self, n_samples: int) -> int:
        """Number of frames :meth:`stft` gives for a signal of ``n_samples`` samples.

        ``1 + (n_samples + 2 * (n_fft // 2) - n_fft) // hop_length`` with
        ``center=True``, ``1 + (n_samples - n_fft) // hop_length`` with
        ``center=False``.

        Parameters
        ----------
        n_samples : int
            Length of the signal in samples.

        Returns
        -------
        int
            Number of STFT frames.

        Raises
        ------
        ValueError
            If ``n_samples`` is not a positive whole number, or with
            ``center=False`` is shorter than ``n_fft``.

        Notes
        -----
        Taught in :doc:`/book/04_stft_phase`.

        Examples
        --------
        >>> from audiotut.features import FeatureConfig
        >>> cfg = FeatureConfig(sr=16000, n_fft=512, hop_length=128)
        >>> cfg.n_frames(16000), cfg.replace(center=False).n_frames(16000)
        (126, 122)
        """
        n_samples = _whole(n_samples, "n_samples", "samples")
        padded = n_samples + 2 * (self.n_fft // 2) if self.center else n_samples
        if padded < self.n_fft:
            raise ValueError(
                f"n_samples={n_samples} is fewer than n_fft={self.n_fft}, so center=False "
                "gives no frame; use a shorter n_fft, a longer signal, or center=True"
            )
        return 1 + (padded - self.n_fft) // self.hop_length


def _unknown_fields(names: object) -> str | None:
    """The message for names that are not FeatureConfig fields, or None if all are."""
    fields = {f.name for f in dataclasses.fields(FeatureConfig) if f.init}
    unknown = sorted(set(names) - fields)
    if not unknown:
        return None
    return (f"FeatureConfig has no field {', '.join(map(repr, unknown))}; "
            f"its fields are {', '.join(sorted(fields))}")
