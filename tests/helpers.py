"""Small signal helpers for the tests (imported as ``from helpers import ...``)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]


#: Headless Chromium in a container, fetching nothing of its own (updates, sync, QUIC).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@contextmanager
def chromium_context(chromium: Path, profile: Path, *, extra_args: Sequence[str] = ()) -> Iterator:
    """A Playwright browser context of the system's headless Chromium (no download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(chromium), headless=True,
            args=[*CHROMIUM_ARGS, *extra_args], viewport={"width": 1280, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()


#: Wait for every player of a page to load (or fail, or 20 s); its state, player by player.
WAIT_FOR_AUDIO = """
async () => Promise.all(Array.from(document.querySelectorAll('audio')).map(audio =>
  new Promise(resolve => {
    const report = () => resolve({readyState: audio.readyState, duration: audio.duration,
                                  error: audio.error ? audio.error.code : null});
    if (audio.readyState >= 4) { report(); return; }
    audio.addEventListener('canplaythrough', report, {once: true});
    audio.addEventListener('error', report, {once: true});
    setTimeout(report, 20000);
    audio.preload = 'auto';
    audio.load();
  })))
"""


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """A quiet local HTTP server on a folder (the built book); yields its address."""
    import functools
    import http.server
    import threading

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    handler = functools.partial(QuietHandler, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def watched_tab(browser, problems: list[str]):
    """A new tab whose console errors, page errors and failed requests go to ``problems``.

    Playwright's 30 s default is too short for the long API page on a loaded 2-core CI
    machine (a full-page screenshot of it once took longer); the timeout is a limit on
    waiting, not an expectation of speed.
    """
    tab = browser.new_page()
    tab.set_default_timeout(180_000)
    tab.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
           if message.type == "error" else None)
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    tab.on("requestfailed", lambda request: problems.append(f"request failed: {request.url}"))
    return tab


def run_python(code: str, *, env: dict | None = None, timeout: float = 120) -> str:
    """Run ``code`` in a fresh interpreter (this Python) and return its standard output;
    a non-zero exit fails the test with the child's standard error."""
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr
    return result.stdout


def expected_media(page: str) -> tuple[int, int]:
    """(figures, players) stored in a notebook's outputs; a page without a notebook has none."""
    import json

    notebook = ROOT / f"{page}.ipynb"
    if not notebook.exists():
        return 0, 0
    figures = players = 0
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            figures += "image/png" in data or "image/jpeg" in data
            players += "".join(data.get("text/html", "")).count("<audio")
    return figures, players


def toc_pages() -> list[str]:
    """Every page listed in _toc.yml (root first), as paths without extension."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages += [chapter["file"] for chapter in part.get("chapters", [])]
    return pages


def tone(freq: float, *, sr: int, duration: float = 1.0, amplitude: float = 0.5) -> np.ndarray:
    """A float32 sine for tests."""
    t = np.arange(int(round(duration * sr))) / sr
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def peak_frequency(y: np.ndarray, *, sr: int) -> float:
    """The frequency of the largest FFT bin of a mono signal, in Hz."""
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return float(np.fft.rfftfreq(len(y), d=1 / sr)[np.argmax(spectrum)])


def markdown_bullets(text: str) -> list[str]:
    """Each "- " bullet of a Markdown text with its indented continuation lines, joined
    (book/changes_since_talk.md's entries, one string each)."""
    bullets: list[str] = []
    in_bullet = False
    for line in text.splitlines():
        if line.startswith("- "):
            bullets.append(line)
            in_bullet = True
        elif in_bullet and line.startswith("  "):
            bullets[-1] += " " + line.strip()
        else:
            in_bullet = False
    return bullets


#: Python source that, run first in a fresh interpreter, makes ``import torch`` fail as
#: if torch were not installed (for the tests of audiotut without its [torch] extra).
NO_TORCH = """\
import importlib.abc, sys

class NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r}")

sys.meta_path.insert(0, NoTorch())
"""
