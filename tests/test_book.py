"""The rendered book: it builds with warnings as errors, and every page works in a real
browser (headless Chromium): players load, figures load, no console errors."""

from __future__ import annotations

import functools
import http.server
import json
import re
import threading
from pathlib import Path

import pytest
from helpers import chromium_context, toc_pages

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"


def _expected_media(page: str) -> tuple[int, int]:
    """(figures, players) stored in a notebook's outputs; a page without a notebook has none."""
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


def test_book_builds_without_warnings(built_book):
    html, result = built_book
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-5000:]
    assert "WARNING" not in log, [line for line in log.splitlines() if "WARNING" in line]
    assert (html / "index.html").is_file()
    for page in toc_pages():
        assert (html / f"{page}.html").is_file(), f"{page}.html was not built"


def test_pages_load_nothing_from_the_internet(built_book):
    """The book works offline: scripts, styles and images (MathJax included) are local."""
    html, _ = built_book
    remote = re.compile(r"<(script|link|img|source)\b[^>]*\b(src|href)=[\"']?(https?:)?//", re.I)
    for page in toc_pages():
        text = (html / f"{page}.html").read_text(encoding="utf-8")
        found = [match.group(0) for match in remote.finditer(text)]
        assert not found, f"{page}.html loads remote resources: {found[:3]}"
    assert (html / "_static" / "mathjax").is_dir()


@pytest.fixture(scope="module")
def server(built_book):
    html, result = built_book
    if result.returncode != 0:
        pytest.fail("the book did not build; see test_book_builds_without_warnings")
    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    handler = functools.partial(QuietHandler, directory=str(html))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser(chromium, tmp_path_factory):
    profile = tmp_path_factory.mktemp("chromium-profile")
    # the players are checked by playing them, without a click
    with chromium_context(chromium, profile,
                          extra_args=["--autoplay-policy=no-user-gesture-required"]) as context:
        yield context


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

WAIT_FOR_IMAGES = """
async () => Promise.all(Array.from(document.images).map(async image => {
  try { await image.decode(); } catch (error) {}
  return {src: image.src.slice(0, 80), width: image.naturalWidth,
          output: image.closest('.cell_output') !== null};
}))
"""


@pytest.mark.browser
@pytest.mark.parametrize("page", toc_pages())
def test_page_works_in_chromium(browser, server, page):
    problems: list[str] = []
    tab = browser.new_page()
    # Playwright's 30 s default is too short for the long API page on a loaded 2-core
    # CI machine (a full-page screenshot of it once took longer); these are limits on
    # waiting, not expectations of speed.
    tab.set_default_timeout(180_000)
    tab.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
           if message.type == "error" else None)
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    tab.on("requestfailed", lambda request: problems.append(f"request failed: {request.url}"))
    response = tab.goto(f"{server}/{page}.html", wait_until="load")
    assert response is not None and response.ok, f"{page}.html: HTTP {response and response.status}"

    audio = tab.evaluate(WAIT_FOR_AUDIO)
    images = tab.evaluate(WAIT_FOR_IMAGES)
    tab.wait_for_timeout(500)  # let late scripts report their errors
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{Path(page).name}.png"), full_page=True)
    tab.close()

    figures, players = _expected_media(page)
    assert len(audio) == players, f"{page}: {len(audio)} <audio> elements, notebook has {players}"
    for index, state in enumerate(audio):
        assert state["readyState"] == 4 and state["duration"] > 0, f"{page}: audio {index}: {state}"
    assert sum(image["output"] for image in images) == figures, f"{page}: figures missing"
    for image in images:
        assert image["width"] > 0, f"{page}: image did not load: {image['src']}"
    assert not problems, f"{page}: " + "\n".join(problems)


HANGUL = re.compile(r"[\uac00-\ud7a3]")  # precomposed Hangul syllables


@pytest.mark.browser
def test_hangul_renders_with_a_cjk_font(browser, server, record_property):
    """The talk's Korean title renders with a CJK font, not as empty boxes (tofu).

    Chromium reports, through the DevTools Protocol, which platform fonts drew a node's
    glyphs; without a font that has Hangul it draws .notdef boxes with a Latin one.
    """
    title = "딥러닝으로 오디오 만나보기 (실전편)"
    tab = browser.new_page()
    tab.set_default_timeout(180_000)
    try:
        response = tab.goto(f"{server}/book/intro.html", wait_until="load")
        assert response is not None and response.ok, f"intro.html: HTTP {response and response.status}"
        cdp = tab.context.new_cdp_session(tab)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        node = text = None
        for node_id in cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": "em"})["nodeIds"]:
            children = cdp.send("DOM.describeNode", {"nodeId": node_id, "depth": 1})["node"].get("children", [])
            candidate = "".join(child.get("nodeValue", "") for child in children)
            if title in candidate:
                node, text = node_id, candidate
                break
        assert node is not None, f"intro.html has no <em> with the talk's title {title!r}"
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    finally:
        tab.close()

    syllables = len(HANGUL.findall(text))
    used = ", ".join(f"{font['familyName']} ({font['glyphCount']} glyphs)" for font in fonts)
    cjk = sum(font["glyphCount"] for font in fonts if "CJK" in font["familyName"])
    record_property("measured", f"intro.html, the talk's Korean title: {used}")
    assert cjk >= syllables, (
        f"Hangul rendered with {used or 'no font'}, not a CJK font ({cjk} of {syllables} "
        f"syllables in {text!r}): install fonts-noto-cjk"
    )
