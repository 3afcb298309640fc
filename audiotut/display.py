"""Listening and looking: embedded players, waveforms and spectrograms.

One figure style serves every chapter (:func:`use_style`): labelled axes with
units, a white figure background that stays readable in the book's light and
dark themes, and small figures (``8 x 2.5`` inches for a waveform, as in the FMP
notebooks).

Plots are drawn with :mod:`librosa.display`; players are
:class:`IPython.display.Audio` elements, which keep working in the rendered HTML
book because the sound is embedded in the page.

Taught in :doc:`/book/01_sampling`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ._validate import check_full_scale, check_signal, check_sr

if TYPE_CHECKING:  # pragma: no cover - imported lazily at run time
    from IPython.display import HTML, Audio
    from matplotlib.axes import Axes

    from .features import FeatureConfig

__all__ = [
    "FIGSIZE",
    "HIDPI_SCALE",
    "MAX_FIGURE_WIDTH",
    "audio",
    "confusion_matrix",
    "hidpi_image",
    "log_mel",
    "audio_table",
    "spectrogram",
    "spectrogram_dbfs",
    "use_style",
    "waveform",
]

#: Default figure size in inches (width, height) for one waveform or spectrogram.
FIGSIZE = (8.0, 2.5)

#: The floor of every dBFS scale in this package: -100 dBFS, below 16-bit noise.
DB_FLOOR = -100.0

_STYLE = {
    "figure.figsize": FIGSIZE,
    "figure.dpi": 100,
    "savefig.dpi": 100,
    # Opaque white: readable as a card on the book's dark theme too.
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "axes.facecolor": "white",
    "text.color": "#222222",
    "axes.labelcolor": "#222222",
    "xtick.color": "#222222",
    "ytick.color": "#222222",
    "axes.edgecolor": "#444444",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "image.cmap": "magma",
    "figure.constrained_layout.use": True,
}


#: Pixels per CSS pixel of the figures a notebook stores (2: sharp on HiDPI screens).
HIDPI_SCALE = 2
#: The widest a stored figure is drawn for, in CSS pixels (labels may add a little): the
#: book's text column is narrower, so a wider figure would only be scaled down (and
#: cost more bytes).
MAX_FIGURE_WIDTH = 720
_JPEG_QUALITY = 75


def hidpi_image(figure) -> tuple[str, str, dict]:
    """A figure as an image sharp on HiDPI screens, as small as it can be.

    The figure is drawn at twice the pixels it is shown at (at most
    :data:`MAX_FIGURE_WIDTH` CSS pixels wide), and stored as whichever is smaller: a PNG
    of 256 colours (a colormap has 256; the rest is text and lines, which it keeps
    exact) or a JPEG at quality 75 (for dense, noisy spectrograms, which a palette PNG
    compresses badly). Shown at the width in its metadata, which Jupyter, JupyterLab and
    the rendered book honour, it is sharp on a phone or a retina laptop, and the
    notebooks keep within their size budget.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
        The figure to render.

    Returns
    -------
    (str, str, dict)
        The MIME type (``"image/png"`` or ``"image/jpeg"``), the image base64-encoded,
        and ``{"width": ...}``, the width to show it at in CSS pixels.

    Notes
    -----
    :func:`use_style` makes this the notebook's figure format; taught in
    :doc:`/book/01_sampling`.

    Examples
    --------
    >>> import base64, io
    >>> import matplotlib.pyplot as plt
    >>> from PIL import Image
    >>> from audiotut import display
    >>> figure, ax = plt.subplots(figsize=(4, 2), dpi=100, layout="none")
    >>> mime, data, metadata = display.hidpi_image(figure)
    >>> image = Image.open(io.BytesIO(base64.b64decode(data)))
    >>> mime, image.size[0] == 2 * metadata["width"]
    ('image/png', True)
    >>> plt.close(figure)
    """
    import base64
    import io

    from IPython.core.pylabtools import print_figure
    from PIL import Image

    width_inches = figure.get_size_inches()[0]
    dpi = HIDPI_SCALE * min(figure.dpi, MAX_FIGURE_WIDTH / width_inches)
    png = print_figure(figure, fmt="png", bbox_inches="tight", dpi=dpi)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = image.size
    if width % HIDPI_SCALE:  # drop the last column of the white margin: shown at exactly 1/2
        image = image.crop((0, 0, width - width % HIDPI_SCALE, height))
    candidates = {}
    buffer = io.BytesIO()
    image.quantize(256, method=Image.Quantize.MEDIANCUT).save(buffer, format="png",
                                                              optimize=True)
    candidates["image/png"] = buffer.getvalue()
    buffer = io.BytesIO()
    image.save(buffer, format="jpeg", quality=_JPEG_QUALITY, optimize=True)
    candidates["image/jpeg"] = buffer.getvalue()
    mime = min(candidates, key=lambda kind: len(candidates[kind]))
    data = base64.b64encode(candidates[mime]).decode("ascii")
    return mime, data, {"width": image.size[0] // HIDPI_SCALE}


def _formatter(kind: str):
    """IPython's formatter for one image type: the figure if :func:`hidpi_image` chose
    that type for it, else nothing (the other type's formatter then gives it)."""
    def format_figure(figure):
        if kind == "image/png":  # IPython asks for PNG before JPEG: render once, here
            figure._audiotut_image = hidpi_image(figure)
        chosen = getattr(figure, "_audiotut_image", None) or hidpi_image(figure)
        if kind == "image/jpeg":
            figure._audiotut_image = None
        mime, data, metadata = chosen
        return (data, metadata) if mime == kind else None

    return format_figure


def use_style() -> None:
    """Apply the book's figure style to matplotlib.

    Every chapter calls this once, right after its imports. In a notebook it also makes
    figures sharp on HiDPI screens: each is stored at twice the pixels it is shown at
    (:func:`hidpi_image`).

    Returns
    -------
    None
        The style is applied to ``matplotlib.pyplot.rcParams``.

    Notes
    -----
    Taught in :doc:`/book/01_sampling`.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from audiotut import display
    >>> display.use_style()
    >>> tuple(plt.rcParams["figure.figsize"])
    (8.0, 2.5)
    """
    import matplotlib.pyplot as plt

    plt.rcParams.update(_STYLE)
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:  # in a notebook (after pyplot set up the inline backend)
        from matplotlib.figure import Figure

        formatters = shell.display_formatter.formatters
        for kind in ("image/png", "image/jpeg"):
            formatters[kind].for_type(Figure, _formatter(kind))
        for other in ("image/svg+xml", "application/pdf"):
            formatters[other].pop(Figure, None)


def audio(y: np.ndarray, *, sr: int, normalize: bool = False) -> Audio:
    """An embedded audio player for a signal, at its true level.

    ``IPython.display.Audio`` scales every clip to full scale by default, so a
    whisper and a scream play equally loud. This player does not: a clip at
    -20 dBFS sounds quieter than one at -6 dBFS, which is exactly what the
    normalization chapter needs you to hear. Pass ``normalize=True`` for
    IPython's behaviour.

    Parameters
    ----------
    y : numpy.ndarray
        ``(n,)`` or ``(channels, n)``, float in [-1, 1].
    sr : int
        Sample rate in Hz.
    normalize : bool
        Scale the clip so its peak reaches full scale.

    Returns
    -------
    IPython.display.Audio
        Displays as an HTML ``<audio>`` player holding the clip as 16-bit FLAC
        (lossless: the samples IPython would store as WAV, in about half the bytes).

    Raises
    ------
    ValueError
        For a bad ``sr``, a signal that is not 1-D/2-D real and finite, or
        (with ``normalize=False``) samples beyond [-1, 1], which would clip.

    Notes
    -----
    Taught in :doc:`/book/01_sampling`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut import display
    >>> t = np.arange(8000) / 8000
    >>> player = display.audio(0.1 * np.sin(2 * np.pi * 440 * t), sr=8000)
    >>> "<audio" in player._repr_html_()
    True
    """
    from IPython.display import Audio

    sr = check_sr(sr)
    y = check_signal(y)
    if not normalize:
        check_full_scale(y, consequence="it would clip",
                         fix="Scale it down, or pass normalize=True to play it scaled to full scale")
    elif not np.any(y):
        raise ValueError("y is digital silence; normalize=True cannot scale it to full scale")
    player = Audio(data=np.asarray(y, dtype=np.float64), rate=sr, normalize=normalize)
    # IPython writes 16-bit WAV; the same samples as FLAC take about half the bytes, so
    # a chapter's players keep within its size budget (every browser plays FLAC)
    import io

    import soundfile as sf

    samples, rate = sf.read(io.BytesIO(player.data), dtype="int16")
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format="FLAC", subtype="PCM_16")
    player.data, player.mimetype = buffer.getvalue(), "audio/flac"
    return player


def audio_table(
    clips: Mapping[str, np.ndarray], *, sr: int | Mapping[str, int], normalize: bool = False
) -> HTML:
    """A row of labelled players for listening to clips side by side (A/B).

    Parameters
    ----------
    clips : mapping of str to numpy.ndarray
        Label to signal, in display order.
    sr : int or mapping of str to int
        One sample rate for all clips, or one per label.
    normalize : bool
        Passed to :func:`audio` for every clip.

    Returns
    -------
    IPython.display.HTML
        A table with the labels as headers and a player under each.

    Notes
    -----
    Taught in :doc:`/book/01_sampling`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut import display
    >>> t = np.arange(8000) / 8000
    >>> table = display.audio_table(
    ...     {"440 Hz": 0.1 * np.sin(2 * np.pi * 440 * t), "880 Hz": 0.1 * np.sin(2 * np.pi * 880 * t)},
    ...     sr=8000,
    ... )
    >>> table.data.count("<audio")
    2
    """
    from IPython.display import HTML

    if not clips:
        raise ValueError("clips is empty; pass a mapping such as {'original': y, 'resampled': y2}")
    rates = sr if isinstance(sr, Mapping) else {label: sr for label in clips}
    missing = [label for label in clips if label not in rates]
    if missing:
        raise ValueError(f"no sample rate given for {missing}; add them to sr")
    head = "".join(f"<th>{html.escape(str(label))}</th>" for label in clips)
    cells = "".join(
        f"<td>{audio(y, sr=rates[label], normalize=normalize)._repr_html_()}</td>"
        for label, y in clips.items()
    )
    return HTML(
        '<table class="audiotut-players"><thead><tr>'
        f"{head}</tr></thead><tbody><tr>{cells}</tr></tbody></table>"
    )


def _axes_for(ax: Axes | Sequence[Axes] | None, count: int) -> list[Axes]:
    import matplotlib.pyplot as plt

    if ax is None:
        width, height = plt.rcParams["figure.figsize"]
        _, axes = plt.subplots(count, 1, figsize=(width, height * (1 if count == 1 else 0.7 * count)),
                               sharex=True, squeeze=False)
        return list(axes[:, 0])
    axes = [ax] if not isinstance(ax, Sequence | np.ndarray) else list(np.ravel(ax))
    if len(axes) != count:
        raise ValueError(f"got {len(axes)} axes for a signal with {count} channels; pass one per channel")
    return axes


def waveform(
    y: np.ndarray,
    *,
    sr: int,
    ax: Axes | Sequence[Axes] | None = None,
    title: str | None = None,
    **kwargs,
) -> list[Axes]:
    """Plot amplitude against time, one panel per channel.

    Draws with :func:`librosa.display.waveshow` (new in librosa 0.8.1; it
    replaced ``waveplot``, removed in 0.9.0) and labels the axes "Time (s)" and "Amplitude (FS)", where
    1.0 FS is digital full scale.

    Parameters
    ----------
    y : numpy.ndarray
        ``(n,)`` or ``(channels, n)``.
    sr : int
        Sample rate in Hz.
    ax : matplotlib Axes, sequence of Axes, or None
        Where to draw, one Axes per channel; ``None`` makes a new figure.
    title : str or None
        Title over the first panel.
    **kwargs
        Passed to :func:`librosa.display.waveshow` (``color``, ``alpha``,
        ``max_points`` ...).

    Returns
    -------
    list of matplotlib.axes.Axes
        One per channel.

    Notes
    -----
    Taught in :doc:`/book/01_sampling`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut import display
    >>> t = np.arange(2 * 8000) / 8000
    >>> stereo = np.stack([np.sin(2 * np.pi * 3 * t), 0.5 * np.sin(2 * np.pi * 5 * t)])
    >>> axes = display.waveform(stereo, sr=8000, title="Two channels")
    >>> len(axes), axes[-1].get_xlabel()
    (2, 'Time (s)')
    """
    import librosa.display

    sr = check_sr(sr)
    y = check_signal(y)
    channels = y[np.newaxis] if y.ndim == 1 else y
    axes = _axes_for(ax, channels.shape[0])
    for index, (channel, axis) in enumerate(zip(channels, axes)):
        librosa.display.waveshow(channel, sr=sr, ax=axis, **kwargs)
        label = "Amplitude (FS)" if len(axes) == 1 else f"Ch. {index}\nAmplitude (FS)"
        axis.set_ylabel(label)
        axis.set_xlabel("Time (s)" if index == len(axes) - 1 else "")
        axis.xaxis.set_major_formatter("{x:g}")
    if title:
        axes[0].set_title(title)
    return axes


def spectrogram_dbfs(
    y: np.ndarray, *, sr: int, n_fft: int = 2048, hop_length: int | None = None
) -> np.ndarray:
    """Magnitude spectrogram in dBFS: a full-scale sine peaks at 0 dB.

    The STFT is :func:`librosa.stft` with a Hann window. A sine of amplitude A
    centred on a frequency bin has magnitude ``A * sum(window) / 2`` there, so
    dividing by ``sum(window) / 2`` makes the scale read in dB relative to full
    scale: amplitude 0.5 reads -6.02 dBFS. Values are floored at -100 dBFS.

    Parameters
    ----------
    y : numpy.ndarray
        ``(n,)`` or ``(channels, n)``.
    sr : int
        Sample rate in Hz (checked; the values do not depend on it).
    n_fft : int
        FFT and window length in samples.
    hop_length : int or None
        Hop between frames in samples; ``None`` means ``n_fft // 4``.

    Returns
    -------
    numpy.ndarray
        ``(1 + n_fft // 2, frames)``, or ``(channels, 1 + n_fft // 2, frames)``.

    Notes
    -----
    Taught in :doc:`/book/01_sampling`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut import display
    >>> sr, n_fft = 8000, 1024
    >>> freq = 100 * sr / n_fft  # exactly on bin 100
    >>> y = 0.5 * np.sin(2 * np.pi * freq * np.arange(sr) / sr)
    >>> S = display.spectrogram_dbfs(y, sr=sr, n_fft=n_fft)
    >>> round(float(S[100, 4]), 2)
    -6.02
    """
    import librosa

    check_sr(sr)
    y = check_signal(y)
    if not isinstance(n_fft, (int, np.integer)) or n_fft < 2:
        raise ValueError(f"n_fft must be an integer >= 2 samples, got {n_fft!r}")
    if n_fft > y.shape[-1]:
        raise ValueError(
            f"n_fft={n_fft} is longer than the signal ({y.shape[-1]} samples); use a smaller n_fft"
        )
    window = librosa.filters.get_window("hann", n_fft, fftbins=True)
    magnitude = np.abs(librosa.stft(np.asarray(y, dtype=np.float32), n_fft=n_fft,
                                    hop_length=hop_length, window="hann"))
    full_scale = window.sum() / 2  # magnitude of a full-scale sine on a bin centre
    return librosa.amplitude_to_db(magnitude / full_scale, ref=1.0, amin=10 ** (DB_FLOOR / 20),
                                   top_db=None)


def spectrogram(
    y: np.ndarray,
    *,
    sr: int,
    n_fft: int = 2048,
    hop_length: int | None = None,
    y_axis: str = "linear",
    ax: Axes | None = None,
    title: str | None = None,
    colorbar: bool = True,
    vmin: float = -90.0,
) -> Axes:
    """Plot a spectrogram in dBFS: frequency in Hz against time in seconds.

    Computes :func:`spectrogram_dbfs` and draws it with
    :func:`librosa.display.specshow`; the colour bar is labelled in dBFS so that
    levels can be compared across figures.

    Parameters
    ----------
    y : numpy.ndarray
        ``(n,)`` mono signal (mix down or pick a channel first).
    sr : int
        Sample rate in Hz.
    n_fft : int
        FFT length in samples.
    hop_length : int or None
        Hop in samples; ``None`` means ``n_fft // 4``.
    y_axis : {"linear", "log", "mel"}
        Frequency axis scale, as in :func:`librosa.display.specshow`.
    ax : matplotlib.axes.Axes or None
        Where to draw; ``None`` makes a new figure.
    title : str or None
        Axes title.
    colorbar : bool
        Add a colour bar labelled "Level (dBFS)".
    vmin : float
        The dBFS level drawn darkest; 0 dBFS is always the brightest.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Taught in :doc:`/book/01_sampling`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut import display
    >>> t = np.arange(8000) / 8000
    >>> ax = display.spectrogram(0.5 * np.sin(2 * np.pi * 1000 * t), sr=8000, n_fft=512)
    >>> ax.get_ylabel(), ax.get_xlabel()
    ('Frequency (Hz)', 'Time (s)')
    """
    import librosa.display
    import matplotlib.pyplot as plt

    sr = check_sr(sr)
    y = check_signal(y)
    if y.ndim != 1:
        raise ValueError(
            f"spectrogram draws one channel; y has shape {y.shape}. Pass y[0] for one channel "
            "or librosa.to_mono(y) for the mix"
        )
    if hop_length is None:
        hop_length = n_fft // 4
    S_db = spectrogram_dbfs(y, sr=sr, n_fft=n_fft, hop_length=hop_length)
    if ax is None:
        _, ax = plt.subplots()
    image = librosa.display.specshow(S_db, sr=sr, hop_length=hop_length, n_fft=n_fft,
                                     x_axis="s", y_axis=y_axis, ax=ax, vmin=vmin, vmax=0.0)
    ax.set_xlabel("Time (s)")
    ax.set_ylabel("Frequency (Hz)")
    if title:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, format="%+.0f", label="Level (dBFS)")
    return ax


def log_mel(
    S: np.ndarray,
    *,
    config: FeatureConfig,
    ax: Axes | None = None,
    title: str | None = None,
    colorbar: bool = True,
) -> Axes:
    """Plot a log-mel spectrogram already computed with ``config``.

    For features you have (from :meth:`audiotut.features.FeatureConfig.log_mel`,
    :func:`audiotut.gpu.log_mel`, a cache or a model's first layer): the mel
    bands on a mel-spaced axis labelled in Hz, frames on a time axis in seconds
    (from ``config``'s ``sr``, hop and centring), and a colour bar whose label
    names the reference: ``dB re max`` for ``ref=np.max``, ``dB re 1`` for
    ``ref=1``.

    Parameters
    ----------
    S : numpy.ndarray or torch.Tensor
        ``(n_mels, frames)`` in dB; a tensor is moved to the CPU.
    config : audiotut.features.FeatureConfig
        The configuration that computed ``S``.
    ax : matplotlib.axes.Axes or None
        Where to draw; ``None`` makes a new figure.
    title : str or None
        Axes title.
    colorbar : bool
        Add the labelled colour bar.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If ``S`` is not 2-D with ``config.n_mels`` rows.

    Notes
    -----
    Taught in :doc:`/book/09_datasets`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut import display
    >>> from audiotut.features import FeatureConfig
    >>> cfg = FeatureConfig(sr=8000, n_fft=256, hop_length=128, n_mels=40, ref=np.max)
    >>> S = cfg.log_mel(np.random.default_rng(0).normal(0, 0.1, 8000).astype(np.float32))
    >>> ax = display.log_mel(S, config=cfg)
    >>> ax.get_xlabel(), ax.get_ylabel(), ax.figure.axes[-1].get_ylabel()
    ('Time (s)', 'Frequency (Hz, mel scale)', 'Level (dB re max)')
    """
    import librosa.display
    import matplotlib.pyplot as plt

    from .features import FeatureConfig

    if not isinstance(config, FeatureConfig):
        raise ValueError(f"config must be the FeatureConfig that computed S, got {config!r:.60}")
    if hasattr(S, "detach"):                      # a torch tensor
        S = S.detach().cpu().numpy()
    S = np.asarray(S)
    if S.ndim != 2 or S.shape[0] != config.n_mels:
        raise ValueError(f"S has shape {S.shape}; expected ({config.n_mels}, frames), one "
                         "signal's log-mel from this config (pick one with S[i] from a batch)")
    if ax is None:
        _, ax = plt.subplots()
    image = librosa.display.specshow(
        S, sr=config.sr, hop_length=config.hop_length, n_fft=config.n_fft, x_axis="s",
        y_axis="mel", fmin=config.fmin, fmax=config.fmax, htk=config.htk, ax=ax)
    ax.set_xlabel("Time (s)")
    ax.set_ylabel("Frequency (Hz, mel scale)")
    if title:
        ax.set_title(title)
    if colorbar:
        reference = "max" if callable(config.ref) else f"{config.ref:g}"
        ax.figure.colorbar(image, ax=ax, format="%+.0f", label=f"Level (dB re {reference})")
    return ax


def confusion_matrix(
    matrix: np.ndarray,
    *,
    labels: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Plot a confusion matrix: true class down, predicted class across, counts written in.

    Parameters
    ----------
    matrix : numpy.ndarray
        ``(classes, classes)`` counts, row = true class, column = prediction, as
        :func:`audiotut.models.confusion_matrix` returns.
    labels : sequence of str or None
        Class names; ``None`` numbers them from 0.
    ax : matplotlib.axes.Axes or None
        Where to draw; ``None`` makes a square figure.
    title : str or None
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        For a matrix that is not square, holds negative or non-whole counts, or
        labels of another length.

    Notes
    -----
    Taught in :doc:`/book/09_datasets`.

    Examples
    --------
    >>> import numpy as np
    >>> from audiotut import display
    >>> ax = display.confusion_matrix(np.array([[9, 1], [0, 10]]), labels=["no", "yes"])
    >>> ax.get_xlabel(), ax.get_ylabel(), [t.get_text() for t in ax.texts]
    ('Predicted class', 'True class', ['9', '1', '10'])
    """
    import matplotlib.pyplot as plt

    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] == 0:
        raise ValueError(f"matrix has shape {matrix.shape}; expected (classes, classes) counts")
    if matrix.dtype.kind not in "iu" and not np.all(np.mod(matrix, 1) == 0):
        raise ValueError("matrix must hold whole counts (row = true class, column = predicted)")
    if np.any(matrix < 0):
        raise ValueError("matrix holds negative counts; expected counts of predictions")
    classes = matrix.shape[0]
    names = [str(i) for i in range(classes)] if labels is None else [str(x) for x in labels]
    if len(names) != classes:
        raise ValueError(f"labels has {len(names)} names for {classes} classes")
    if ax is None:
        side = min(8.0, 1.6 + 0.35 * classes)
        _, ax = plt.subplots(figsize=(side + 0.8, side))
    image = ax.imshow(matrix, cmap="Greys")
    threshold = matrix.max() / 2 if matrix.max() > 0 else 1
    for (row, col), count in np.ndenumerate(matrix):
        if count:
            ax.text(col, row, f"{int(count)}", ha="center", va="center", fontsize=8,
                    color="white" if count > threshold else "black")
    ax.set(xlabel="Predicted class", ylabel="True class", xticks=range(classes),
           yticks=range(classes), xticklabels=names, yticklabels=names)
    ax.grid(False)
    if title:
        ax.set_title(title)
    ax.figure.colorbar(image, ax=ax, label="Count")
    return ax
