"""audiotut.display: players keep true levels, figures carry labelled units."""

from __future__ import annotations

import io as _io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import soundfile as sf
from helpers import tone

from audiotut import display


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _decode(player) -> tuple[np.ndarray, int]:
    """The samples embedded in an IPython Audio player, channel-first."""
    y, sr = sf.read(_io.BytesIO(player.data), dtype="float32", always_2d=True)
    return y.T, sr


def test_player_keeps_the_true_level():
    player = display.audio(tone(440, sr=8000, amplitude=0.1), sr=8000)
    y, sr = _decode(player)
    assert sr == 8000
    assert np.max(np.abs(y)) == pytest.approx(0.1, abs=2 / 32768)


def test_normalize_true_scales_to_full_scale():
    y, _ = _decode(display.audio(tone(440, sr=8000, amplitude=0.1), sr=8000, normalize=True))
    assert np.max(np.abs(y)) == pytest.approx(1.0, abs=2 / 32768)


def test_stereo_player_keeps_channel_order():
    left, right = tone(440, sr=8000, amplitude=0.5), tone(440, sr=8000, amplitude=0.125)
    y, _ = _decode(display.audio(np.stack([left, right]), sr=8000))
    assert y.shape == (2, 8000)
    assert np.max(np.abs(y[0])) == pytest.approx(0.5, abs=1e-3)
    assert np.max(np.abs(y[1])) == pytest.approx(0.125, abs=1e-3)


def test_player_is_flac_holding_the_samples_ipython_would_store_as_wav():
    from IPython.display import Audio

    y = tone(440, sr=16000, amplitude=0.3) + 0.01 * np.random.default_rng(0).standard_normal(
        16000).astype(np.float32)
    player = display.audio(y, sr=16000)
    wav = Audio(data=y.astype(np.float64), rate=16000, normalize=False).data
    assert player.mimetype == "audio/flac" and player.data[:4] == b"fLaC"
    flac, _ = sf.read(_io.BytesIO(player.data), dtype="int16")
    reference, _ = sf.read(_io.BytesIO(wav), dtype="int16")
    np.testing.assert_array_equal(flac, reference)          # lossless
    assert len(player.data) < 0.8 * len(wav)


def test_player_renders_an_audio_element():
    html = display.audio(tone(440, sr=8000), sr=8000)._repr_html_()
    assert "<audio" in html and "data:audio/flac;base64," in html


@pytest.mark.parametrize(
    ("y", "kwargs", "message"),
    [
        (tone(440, sr=8000, amplitude=1.5), {"sr": 8000}, r"peaks at 1\.5.*normalize=True"),
        (np.zeros(8000), {"sr": 8000, "normalize": True}, "digital silence"),
        (tone(440, sr=8000), {"sr": 0}, "sr must be a positive"),
        (np.zeros(100, dtype=np.complex64), {"sr": 8000}, "np.abs"),
        (np.zeros((8000, 2)), {"sr": 8000}, "frame-first"),
        (np.array([0.0, np.nan]), {"sr": 8000}, "NaN"),
    ],
)
def test_player_bad_input(y, kwargs, message):
    with pytest.raises(ValueError, match=message):
        display.audio(y, **kwargs)


def test_silence_plays_without_normalizing():
    y, _ = _decode(display.audio(np.zeros(800, dtype=np.float32), sr=8000))
    assert not y.any()


def test_audio_table_has_one_labelled_player_per_clip():
    table = display.audio_table(
        {"a <b>": tone(440, sr=8000), "slow": tone(440, sr=4000)}, sr={"a <b>": 8000, "slow": 4000}
    )
    assert table.data.count("<audio") == 2
    assert "<th>a &lt;b&gt;</th>" in table.data


def test_audio_table_needs_a_rate_for_every_clip():
    with pytest.raises(ValueError, match="no sample rate given for \\['b'\\]"):
        display.audio_table({"a": tone(440, sr=8000), "b": tone(440, sr=8000)}, sr={"a": 8000})
    with pytest.raises(ValueError, match="clips is empty"):
        display.audio_table({}, sr=8000)


def test_spectrogram_dbfs_reads_a_bin_centred_sine_exactly():
    sr, n_fft = 16000, 1024
    freq = 64 * sr / n_fft
    S = display.spectrogram_dbfs(tone(freq, sr=sr, amplitude=0.5), sr=sr, n_fft=n_fft)
    assert S.shape[0] == n_fft // 2 + 1
    middle = S[:, S.shape[1] // 2]
    assert np.argmax(middle) == 64
    assert middle[64] == pytest.approx(20 * np.log10(0.5), abs=0.01)


def test_spectrogram_dbfs_finds_440_hz_at_440_hz():
    sr, n_fft = 22050, 2048
    S = display.spectrogram_dbfs(tone(440, sr=sr), sr=sr, n_fft=n_fft)
    freqs = np.fft.rfftfreq(n_fft, d=1 / sr)
    assert abs(freqs[np.argmax(S[:, S.shape[1] // 2])] - 440) < sr / n_fft


def test_spectrogram_dbfs_floors_silence_at_minus_100():
    S = display.spectrogram_dbfs(np.zeros(4096, dtype=np.float32), sr=8000, n_fft=512)
    assert np.all(S == display.DB_FLOOR)


def test_spectrogram_dbfs_rejects_n_fft_longer_than_signal():
    with pytest.raises(ValueError, match="longer than the signal"):
        display.spectrogram_dbfs(np.zeros(100), sr=8000, n_fft=512)


def test_spectrogram_axes_and_colorbar_are_labelled():
    ax = display.spectrogram(tone(1000, sr=8000), sr=8000, n_fft=512, title="t")
    assert ax.get_xlabel() == "Time (s)"
    assert ax.get_ylabel() == "Frequency (Hz)"
    colorbar_axes = [a for a in ax.figure.axes if a is not ax]
    assert [a.get_ylabel() for a in colorbar_axes] == ["Level (dBFS)"]


def test_spectrogram_refuses_stereo_with_advice():
    with pytest.raises(ValueError, match=r"y\[0\].*to_mono"):
        display.spectrogram(np.zeros((2, 8000)), sr=8000)


def test_waveform_one_panel_per_channel_with_units():
    axes = display.waveform(np.stack([tone(3, sr=1000), tone(5, sr=1000)]), sr=1000)
    assert len(axes) == 2
    assert axes[-1].get_xlabel() == "Time (s)"
    assert all("Amplitude (FS)" in ax.get_ylabel() for ax in axes)
    # the time axis covers the signal's one second
    start, end = axes[-1].get_xlim()
    assert start <= 0.0 and 1.0 <= end < 1.1


def test_waveform_needs_one_axes_per_channel():
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="one per channel"):
        display.waveform(np.zeros((2, 100)), sr=100, ax=ax)


def test_hidpi_image_is_twice_the_shown_width_and_the_smaller_format():
    import base64

    from PIL import Image

    figure, (top, bottom) = plt.subplots(2, figsize=(6, 3), dpi=100, layout="none")
    top.plot(tone(3.0, sr=1000))
    mime, data, metadata = display.hidpi_image(figure)
    image = Image.open(_io.BytesIO(base64.b64decode(data)))
    assert image.size[0] == 2 * metadata["width"]
    assert 1000 <= image.size[0] <= 1200          # 6 inches at 200 dpi, trimmed to the ink
    assert mime == "image/png" and image.mode == "P" and len(image.getcolors()) <= 256
    # dense noise compresses better as JPEG, and the choice follows
    bottom.imshow(np.random.default_rng(0).random((200, 600)), aspect="auto")
    mime, data, metadata = display.hidpi_image(figure)
    plt.close(figure)
    assert mime == "image/jpeg"
    assert Image.open(_io.BytesIO(base64.b64decode(data))).size[0] == 2 * metadata["width"]


def test_hidpi_image_caps_the_width_of_wide_figures():
    figure, _ = plt.subplots(figsize=(12, 2), dpi=100, layout="none")
    _, _, metadata = display.hidpi_image(figure)
    plt.close(figure)
    assert metadata["width"] <= 1.1 * display.MAX_FIGURE_WIDTH  # labels may stick out


def test_use_style_makes_notebook_figures_hidpi():
    """In IPython (a notebook's kernel), a figure displays as the 2x image with its width."""
    from helpers import run_python

    out = run_python(
        "import matplotlib\nmatplotlib.use('agg')\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "import matplotlib.pyplot as plt\nfrom audiotut import display\n"
        "display.use_style()\n"
        "figure, ax = plt.subplots()\nax.plot([0, 1], [0, 1])\n"
        "data, metadata = shell.display_formatter.format(figure)\n"
        "import base64, io\nfrom PIL import Image\n"
        "image = Image.open(io.BytesIO(base64.b64decode(data['image/png'])))\n"
        "print(sorted(data), image.size[0], metadata['image/png']['width'])\n")
    kinds, pixels, width = out.rsplit(" ", 2)
    assert kinds == "['image/png', 'text/plain']" and int(pixels) == 2 * int(width)
    assert 700 <= int(width) <= 1.1 * display.MAX_FIGURE_WIDTH  # 8 inches, capped


def test_use_style_sets_the_book_style():
    display.use_style()
    assert tuple(plt.rcParams["figure.figsize"]) == display.FIGSIZE
    assert matplotlib.colors.to_hex(plt.rcParams["figure.facecolor"]) == "#ffffff"


def test_log_mel_plots_computed_features_with_their_reference():
    import matplotlib.pyplot as plt
    import torch

    from audiotut.features import FeatureConfig

    y = tone(1000, sr=8000)
    for ref, label in ((np.max, "Level (dB re max)"), (1.0, "Level (dB re 1)")):
        cfg = FeatureConfig(sr=8000, n_fft=256, hop_length=128, n_mels=40, ref=ref)
        S = cfg.log_mel(y)
        ax = display.log_mel(torch.from_numpy(S), config=cfg, title="tone")
        assert ax.get_xlabel() == "Time (s)" and "mel" in ax.get_ylabel()
        assert ax.figure.axes[-1].get_ylabel() == label
        mesh = ax.collections[0]
        np.testing.assert_array_equal(np.asarray(mesh.get_array()).reshape(S.shape), S)
        assert ax.get_xlim()[1] == pytest.approx(S.shape[1] * 128 / 8000, rel=0.05)
        plt.close(ax.figure)
    with pytest.raises(ValueError, match=r"expected \(40, frames\)"):
        display.log_mel(np.zeros((2, 40, 10)), config=cfg)
    with pytest.raises(ValueError, match="FeatureConfig"):
        display.log_mel(S, config={"n_mels": 40})


def test_confusion_matrix_writes_the_counts_and_names_the_axes():
    import matplotlib.pyplot as plt

    matrix = np.array([[5, 0, 1], [0, 7, 0], [2, 0, 4]])
    ax = display.confusion_matrix(matrix, labels=["yes", "no", "maybe"])
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Predicted class", "True class")
    assert [t.get_text() for t in ax.texts] == ["5", "1", "7", "2", "4"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["yes", "no", "maybe"]
    plt.close(ax.figure)
    for bad, match in ((np.ones((2, 3)), "classes, classes"), (np.array([[1, -1], [0, 2]]),
                       "negative"), (np.array([[0.5, 0], [0, 1]]), "whole counts")):
        with pytest.raises(ValueError, match=match):
            display.confusion_matrix(bad)
    with pytest.raises(ValueError, match="2 names for 3 classes"):
        display.confusion_matrix(matrix, labels=["a", "b"])
