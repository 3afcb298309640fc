"""The rendered book: it builds with warnings as errors, and every page works in a real
browser (headless Chromium): players load, figures load, no console errors. Every page
reads on a phone (nothing scrolls sideways at 390 px) and on a desktop (79-character
code fits, outputs and rows of players wrap); figures have alt text and players names;
code has a copy button."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import WAIT_FOR_AUDIO, expected_media, serve, toc_pages, watched_tab

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"


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
    with serve(html) as address:
        yield address


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
    tab = watched_tab(browser, problems)
    response = tab.goto(f"{server}/{page}.html", wait_until="load")
    assert response is not None and response.ok, f"{page}.html: HTTP {response and response.status}"

    audio = tab.evaluate(WAIT_FOR_AUDIO)
    images = tab.evaluate(WAIT_FOR_IMAGES)
    tab.wait_for_timeout(500)  # let late scripts report their errors
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{Path(page).name}.png"), full_page=True)
    tab.close()

    figures, players = expected_media(page)
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


# ------------------------------------------------------------ phones, desktops, screen readers

PHONE = {"width": 390, "height": 844}      # a current phone's CSS viewport
DESKTOP = {"width": 1280, "height": 900}
CODE_LINE = 79                              # the chapters' limit (tests/test_notebooks.py)

# What widens the page past the viewport: elements that stick out on the right and are
# not inside a box that scrolls (or clips) them itself, outermost first.
SIDEWAYS = """() => {
  const width = window.innerWidth;
  const inBox = el => {
    for (let box = el.parentElement; box && box !== document.body; box = box.parentElement) {
      if (getComputedStyle(box).overflowX !== 'visible')
        return box.getBoundingClientRect().right <= width + 1;
    }
    return false;
  };
  const out = (el) => el.getBoundingClientRect().right > width + 1 && !inBox(el)
    && getComputedStyle(el).position !== 'fixed';
  const culprits = [];
  for (const el of document.querySelectorAll('.bd-article *')) {
    if (out(el) && !(el.parentElement && out(el.parentElement)))
      culprits.push(`${el.tagName.toLowerCase()}.${el.className} (right edge at `
        + `${Math.round(el.getBoundingClientRect().right)} px): `
        + (el.textContent || '').trim().slice(0, 60));
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width,
          culprits: culprits.slice(0, 5)};
}"""


def _open(browser, server, page: str, viewport: dict):
    tab = browser.new_page()
    tab.set_default_timeout(180_000)
    tab.set_viewport_size(viewport)
    response = tab.goto(f"{server}/{page}.html", wait_until="load")
    assert response is not None and response.ok, f"{page}.html: HTTP {response and response.status}"
    return tab


@pytest.mark.browser
@pytest.mark.parametrize("page", toc_pages())
def test_no_page_scrolls_sideways_on_a_phone(browser, server, page, record_property):
    """At a 390 px wide viewport the page is as wide as the screen: long code scrolls in
    its own box, tables in theirs, long outputs, paths and URLs wrap."""
    tab = _open(browser, server, page, PHONE)
    try:
        tab.evaluate(WAIT_FOR_IMAGES)
        found = tab.evaluate(SIDEWAYS)
    finally:
        tab.close()
    record_property("measured", f"{page} at {PHONE['width']} px: {found['scrollWidth']} px wide")
    assert found["scrollWidth"] <= found["innerWidth"] + 1, (
        f"{page} is {found['scrollWidth']} px wide at a {found['innerWidth']} px viewport; "
        "widened by: " + "; ".join(found["culprits"]))


DESKTOP_FIT = """(limit) => {
  const lines = el => Math.max(...el.textContent.split('\\n').map(line => line.length));
  const scrolls = el => el.scrollWidth > el.clientWidth + 1;
  const describe = el => `${el.scrollWidth} px in ${el.clientWidth} px: `
    + el.textContent.trim().slice(0, 50);
  const pres = Array.from(document.querySelectorAll('.bd-article pre'));
  const code = pres.filter(pre => !pre.closest('.cell_output'));
  // a line of exactly `limit` characters in the page's first code block
  let fits = null;
  if (code.length) {
    const pre = code[0], style = getComputedStyle(pre);
    const probe = document.createElement('span');
    probe.textContent = 'x'.repeat(limit);
    pre.appendChild(probe);
    const room = pre.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    fits = {line: probe.getBoundingClientRect().width, room: room, font: style.fontSize};
    probe.remove();
  }
  return {
    fits: fits,
    code: code.filter(pre => lines(pre) <= limit && scrolls(pre)).map(describe),
    outputs: pres.filter(pre => pre.closest('.cell_output') && scrolls(pre)).map(describe),
    players: Array.from(document.querySelectorAll('.audiotut-players'))
      .filter(scrolls).map(describe),
    images: Array.from(document.querySelectorAll('.bd-article img'))
      // (a figure shown at its stored width is wrapped in a link, an inline box)
      .filter(img => img.getBoundingClientRect().width
              > (img.closest('div, figure, p') || img.parentElement).clientWidth + 1)
      .map(img => img.alt.slice(0, 50)),
  };
}"""


@pytest.mark.browser
@pytest.mark.parametrize("page", toc_pages())
def test_code_outputs_and_players_fit_on_a_desktop(browser, server, page, record_property):
    """At 1280 px: a 79-character code line fits its block without scrolling, outputs wrap
    instead of scrolling, rows of players wrap, figures stay inside the column."""
    tab = _open(browser, server, page, DESKTOP)
    try:
        tab.evaluate(WAIT_FOR_IMAGES)
        found = tab.evaluate(DESKTOP_FIT, CODE_LINE)
    finally:
        tab.close()
    if found["fits"]:
        fits = found["fits"]
        record_property("measured", f"{page} at {DESKTOP['width']} px: {CODE_LINE} characters "
                        f"of {fits['font']} code take {fits['line']:.0f} px of "
                        f"{fits['room']:.0f} px")
        assert fits["line"] <= fits["room"], f"{page}: {CODE_LINE} characters do not fit: {fits}"
    assert not found["code"], (f"{page}: code blocks of <= {CODE_LINE} characters scroll: "
                               f"{found['code']}")
    assert not found["outputs"], f"{page}: outputs scroll instead of wrapping: {found['outputs']}"
    assert not found["players"], f"{page}: a row of players is cut: {found['players']}"
    assert not found["images"], f"{page}: figures wider than the column: {found['images']}"


@pytest.mark.browser
def test_rosetta_shows_every_library_on_a_desktop(browser, server):
    """The defaults tables (a row per library) fit the column at 1280 px, no scrolling."""
    tab = _open(browser, server, "book/rosetta", DESKTOP)
    try:
        tables = tab.evaluate("""() => {
          const section = document.querySelector('section#the-names-and-their-defaults');
          return Array.from(section.querySelectorAll('table')).map(table => {
            const box = table.closest('.pst-scrollable-table-container') || table.parentElement;
            return {rows: Array.from(table.querySelectorAll('tbody tr'))
                      .map(row => row.cells[0].textContent.trim()),
                    width: box.scrollWidth, room: box.clientWidth};
          });
        }""")
    finally:
        tab.close()
    libraries = ["librosa", "audiotut", "nnAudio", "Keras 3", "tf.signal", "kapre", "torchaudio"]
    assert len(tables) >= 5
    for table in tables:
        assert table["rows"] == libraries, table
        assert table["width"] <= table["room"] + 1, f"a defaults table scrolls: {table}"


PATHLIKE = re.compile(r"(^|/)[\w.-]+\.(png|jpe?g|gif|svg)$|_images/", re.I)


@pytest.mark.browser
@pytest.mark.parametrize("page", [p for p in toc_pages() if (ROOT / f"{p}.ipynb").exists()])
def test_figures_have_alt_text_and_players_have_names(browser, server, page, record_property):
    """Every figure has alt text that says what it shows (not its file path), and every
    player an accessible name: its label in a row of players, else what the cell plays."""
    tab = _open(browser, server, page, DESKTOP)
    try:
        images = tab.evaluate("""() => Array.from(document.querySelectorAll('img'))
          .map(img => ({alt: img.getAttribute('alt'), output: !!img.closest('.cell_output')}))""")
        # the accessible name Chromium computes for each <audio>, and its row's label
        cdp = tab.context.new_cdp_session(tab)
        cdp.send("DOM.enable")
        cdp.send("Accessibility.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        players = []
        audio = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": "audio"})
        for node in audio["nodeIds"]:
            tree = cdp.send("Accessibility.getPartialAXTree", {"nodeId": node,
                                                               "fetchRelatives": False})
            name = (tree["nodes"][0].get("name") or {}).get("value", "")
            players.append(name)
        labels = tab.evaluate("""() => Array.from(document.querySelectorAll('audio')).map(a => {
          const figure = a.closest('figure.audiotut-player');
          return figure ? figure.querySelector('figcaption').textContent.trim() : null; })""")
    finally:
        tab.close()
    figures, expected_players = expected_media(page)
    assert sum(image["output"] for image in images) == figures
    for image in images:
        alt = (image["alt"] or "").strip()
        assert alt and not PATHLIKE.search(alt), f"{page}: an image's alt text is {alt!r}"
        if image["output"]:
            assert alt.startswith("Figure"), f"{page}: {alt!r}"
    assert len(players) == expected_players
    for name, label in zip(players, labels):
        assert name.strip(), f"{page}: a player has no accessible name"
        if label is not None:
            assert name == label, f"{page}: the player under {label!r} is named {name!r}"
    alts = [image["alt"] for image in images if image["output"]]
    record_property("measured", f"{page}: {len(alts)} figures with alt text "
                    f"({min(map(len, alts), default=0)} to {max(map(len, alts), default=0)} "
                    f"characters), {len(players)} named players")


@pytest.mark.browser
def test_code_has_a_copy_button_that_copies_runnable_code(browser, server):
    """sphinx-copybutton on every code block and on no output; a docstring example
    copies without its prompts and outputs, so it pastes into Python as it is."""
    tab = _open(browser, server, "book/01_sampling", DESKTOP)
    try:
        tab.wait_for_selector("button.copybtn", state="attached")
        counts = tab.evaluate("""() => ({
          code: document.querySelectorAll('.bd-article .cell_input div.highlight pre').length,
          buttons: document.querySelectorAll('.bd-article .cell_input button.copybtn').length,
          in_outputs: document.querySelectorAll('.bd-article .cell_output button.copybtn').length,
        })""")
    finally:
        tab.close()
    assert counts["code"] > 0 and counts["buttons"] == counts["code"], counts
    assert counts["in_outputs"] == 0, counts

    browser.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    tab = _open(browser, server, "book/api", DESKTOP)
    try:
        block = tab.locator("dl.py.function", has=tab.locator("#audiotut\\.display\\.audio_table"))
        example = block.locator("div.doctest, div.highlight-pycon, div.highlight-default").first
        example.hover()
        example.locator("button.copybtn").click()
        copied = tab.evaluate("() => navigator.clipboard.readText()")
        shown = example.locator("pre").inner_text()
    finally:
        tab.close()
    assert ">>> " in shown and ">>>" not in copied and "..." not in copied, copied
    assert "display.audio_table(" in copied
    compile(copied, "copied from the API page", "exec")  # Python, as copied


def test_api_page_shows_no_private_base_classes(built_book):
    html, _ = built_book
    text = re.sub(r"<[^>]+>", "", (html / "book" / "api.html").read_text(encoding="utf-8"))
    bases = re.findall(r"Bases: ([^\n]*)", text)
    assert bases, "the API page lists no base classes"
    private = [line for line in bases if re.search(r"(^|[\s,.])_[A-Za-z]", line)]
    assert not private, f"private base classes on the API page: {private}"
