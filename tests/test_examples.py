"""audiotut.examples: librosa's example recordings, cached, credited, and offline errors."""

from __future__ import annotations

import os
import socket
import textwrap

import pytest
from helpers import run_python

from audiotut import examples


def test_available_lists_the_book_recordings():
    catalogue = examples.available()
    for key in ("trumpet", "libri1", "brahms", "robin", "humpback"):
        assert key in catalogue and catalogue[key]


def test_unknown_key_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"unknown example 'trumpets'.*trumpet"):
        examples.path("trumpets")


def test_path_is_a_cached_file(librosa_examples):
    path = examples.path("trumpet")
    assert path.is_file() and path.suffix == ".ogg"
    assert path.parent.resolve() == examples.cache_dir().resolve()


def test_load_high_quality_stereo_shapes(librosa_examples):
    y, sr = examples.load("trumpet", hq=True, mono=False, duration=2.0)
    assert (y.shape, sr) == ((2, 88200), 44100)
    y, sr = examples.load("trumpet", hq=True, sr=44100, duration=5.0)
    assert y.shape == (220500,)


def test_load_default_version_is_22050_mono(librosa_examples):
    y, sr = examples.load("libri1", duration=1.0)
    assert (y.shape, sr) == ((22050,), 22050)


def test_credit_names_author_source_and_licence(librosa_examples):
    text = examples.credit("trumpet")
    assert text.startswith("trumpet: Mihai Sorohan - Trumpet loop")
    assert "freesound.org" in text.lower()
    assert "creativecommons.org/licenses/by/3.0" in text
    assert "\n\n" not in text  # librosa's blank lines are gone
    both = examples.credits(["trumpet", "libri1"])
    assert both.split("\n\n")[1].startswith("libri1:")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


def test_missing_cache_without_network_is_a_clear_error(tmp_path):
    # A fresh process: librosa reads LIBROSA_DATA_DIR once, at import. The proxy is a
    # closed local port, so the download fails at once and never leaves the machine.
    proxy = f"http://127.0.0.1:{_closed_port()}"
    env = dict(os.environ, LIBROSA_DATA_DIR=str(tmp_path / "empty-cache"),
               HTTPS_PROXY=proxy, https_proxy=proxy, HTTP_PROXY=proxy, http_proxy=proxy)
    env.pop("NO_PROXY", None)
    env.pop("no_proxy", None)
    code = textwrap.dedent("""
        from audiotut import examples
        from audiotut.errors import ExampleDataError
        try:
            examples.path("trumpet")
        except ExampleDataError as error:
            assert isinstance(error, OSError)
            print("MESSAGE:", error)
        else:
            raise SystemExit("no error")
    """)
    message = run_python(code, env=env)
    assert "'trumpet'" in message
    assert str(tmp_path / "empty-cache") in message
    assert "LIBROSA_DATA_DIR" in message and "internet" in message
