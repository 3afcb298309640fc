"""The Korean edition (한국어판): catalogs in step with the pages and complete, every
translation keeping its markup and the glossary's terms, the Korean build without
warnings, and its pages in a real browser (lang, Hangul font, players, math, search,
language links). tools/i18n.py holds the checks; these tests run them."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from helpers import WAIT_FOR_AUDIO, expected_media, serve, toc_pages, watched_tab

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import i18n  # noqa: E402  (tools/i18n.py)

HANGUL = re.compile(r"[\uac00-\ud7a3]")
TRANSLATED = i18n.pages()          # every page but the API reference


# ------------------------------------------------------------------------ the catalogs


def test_every_page_but_the_api_is_translated():
    """Chapters 1-10, the introduction, the glossary, the conventions, the changes since
    the talk, the Rosetta page and the set-up page: each has its catalog."""
    assert set(toc_pages()) - set(TRANSLATED) == {"book/api"}
    chapters = [page for page in TRANSLATED if re.match(r"book/\d\d_", page)]
    assert len(chapters) == 10
    for page in TRANSLATED:
        assert i18n.catalog_path(page).is_file(), f"{page}: no catalog; run make po"


def test_catalogs_are_in_step_with_the_pages(i18n_templates):
    """A sentence changed in English fails here until `make po` brings its message into
    the catalog (and the next test until it is translated)."""
    problems = i18n.in_step(i18n_templates)
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize("page", TRANSLATED)
def test_catalog_is_complete_and_keeps_markup_and_terms(page, record_property):
    """100 % translated, nothing fuzzy, `msgfmt --check` clean, every role, code span,
    equation and link kept, the glossary's Korean used for its English terms."""
    if not shutil.which("msgfmt"):
        pytest.skip("msgfmt is missing: install gettext (apt-get install gettext)")
    path = i18n.catalog_path(page)
    problems = i18n.check_catalog(path)
    messages = [message for message in i18n.read(path) if message.id]
    done = sum(bool(message.string) and not message.fuzzy for message in messages)
    record_property("measured", f"{page}: {done} of {len(messages)} messages translated")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:30])


def _catalog(tmp_path: Path, entries: list[tuple[str, str]], fuzzy: bool = False) -> Path:
    from babel import Locale
    from babel.messages.catalog import Catalog

    catalog = Catalog(locale=Locale.parse("ko"), project="audiotut", fuzzy=False)
    for source, translation in entries:
        catalog.add(source, translation, flags=["fuzzy"] if fuzzy else [])
    path = tmp_path / "page.po"
    i18n.write(catalog, path)
    return path


@pytest.mark.parametrize("source, translation, problem", [
    ("The {term}`spectrogram` of a clip.", "클립의 스펙트로그램.", "roles dropped"),
    ("See {doc}`/book/04_stft_phase`.", "{doc}`/book/05_mel_mfcc`을 보자.", "roles dropped"),
    ("Call `librosa.stft` once.", "`librosa.istft`를 한 번 호출한다.", "code dropped"),
    ("Bins at $k \\cdot sr/N$ Hz.", "빈은 $k sr/N$ Hz에 있다.", "math dropped"),
    ("4. STFT and phase", "4. STFT와 위상", "numbered heading"),
    ("A **bold** claim.", "**굵은 주장.", "unbalanced"),
    ("The sample rate of the clip is 16 kHz.", "클립의 표본 속도는 16 kHz다.",
     "glossary term 'sample rate'"),
    ("Each frame is windowed before the transform is taken.",
     "Each frame is windowed before the transform is taken.", "is the English"),
    ("Phase carries information.", "", "not translated"),
    ("The talk *\"Deep audio\"* and its code.", "발표 *“딥 오디오”*와 그 코드.",
     "does not open or close"),
])
def test_checker_catches_a_broken_translation(tmp_path, source, translation, problem):
    problems = i18n.check_catalog(_catalog(tmp_path, [(source, translation)]))
    assert any(problem in line for line in problems), problems


def test_checker_accepts_a_good_translation(tmp_path):
    entries = [
        ("The {term}`spectrogram` at the {term}`sample rate` of `y`, see "
         "{ref}`the DFT primer <dft-primer>` and $k \\cdot sr/N$.",
         "`y`의 {term}`샘플링 레이트 <sample rate>`에서 본 {term}`스펙트로그램 <spectrogram>`."
         " {ref}`DFT 입문 <dft-primer>`과 $k \\cdot sr/N$을 보자."),
        ("4. STFT and phase", "4\\. STFT와 위상"),
        ("FSDD", "FSDD"),
    ]
    assert i18n.check_catalog(_catalog(tmp_path, entries)) == []


def test_fuzzy_entries_do_not_ship(tmp_path):
    path = _catalog(tmp_path, [("Phase carries information.", "위상은 정보를 담는다.")],
                    fuzzy=True)
    assert any("fuzzy" in line for line in i18n.check_catalog(path))


def test_make_po_turns_a_changed_sentence_into_a_fuzzy_entry():
    """What `make po` does to a catalog when the English changes: the kept message keeps
    its translation, the changed one is fuzzy with the old translation as its hint, the
    removed one goes."""
    from babel.messages.catalog import Catalog

    catalog = Catalog(locale="ko")
    catalog.add("What you will learn", "이 장에서 배울 것")
    catalog.add("The phase looks like noise.", "위상은 잡음처럼 보인다.")
    catalog.add("A sentence that was removed.", "지워진 문장.")
    template = Catalog()
    template.add("What you will learn")
    template.add("The phase looks like noise, yet it carries much.")
    merged = i18n.merge(template, catalog)
    messages = {message.id: message for message in merged if message.id}
    assert set(messages) == {"What you will learn",
                             "The phase looks like noise, yet it carries much."}
    assert messages["What you will learn"].string == "이 장에서 배울 것"
    changed = messages["The phase looks like noise, yet it carries much."]
    assert changed.fuzzy and changed.string == "위상은 잡음처럼 보인다."


def test_glossary_is_the_term_base():
    """Every glossary entry starts with its Korean term, which the checks use."""
    terms = i18n.glossary()
    assert len(terms) > 150
    korean = {term.names[0]: term.korean for term in terms}
    assert korean["phase"][0] == "위상"
    assert korean["augmentation"][0] == "데이터 증강"
    assert korean["reverberation"][0] == "잔향"
    assert korean["normalization"][0] == "정규화"
    assert all(HANGUL.search(" ".join(term.korean)) or term.names[0].isupper()
               or term.names[0] in {"dBFS", "dB re 1", "dBTP", "LUFS", "SpecAugment", "PCM"}
               for term in terms), [t for t in terms if not HANGUL.search(" ".join(t.korean))]


# ------------------------------------------------------------------ the Korean build


def test_korean_edition_builds_without_warnings(korean_build):
    html, result = korean_build
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-5000:]
    assert "WARNING" not in log, [line for line in log.splitlines() if "WARNING" in line]
    for page in toc_pages():
        assert (html / f"{page}.html").is_file(), f"ko/{page}.html was not built"


def _article(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    match = re.search(r"<article.*?</article>", text, re.S)
    return re.sub(r"<[^>]+>", " ", match.group(0) if match else "")


@pytest.mark.parametrize("page", TRANSLATED)
def test_korean_page_reads_in_korean(korean_build, page):
    """lang="ko", and the article is Korean: most of its prose lines hold Hangul."""
    html, _ = korean_build
    text = (html / f"{page}.html").read_text(encoding="utf-8")
    assert re.search(r'<html[^>]*\blang="ko"', text)
    article = _article(html / f"{page}.html")
    assert len(HANGUL.findall(article)) > 200, f"ko/{page}: little Korean in the article"


def test_language_links_and_alternates(built_book, korean_build):
    """Every page links to the same page in the other edition, and lists both editions
    as hreflang alternates; the links resolve to pages that exist."""
    english, _ = built_book
    korean, _ = korean_build
    for page in toc_pages():
        for folder, other in ((english, "ko"), (korean, "en")):
            path = folder / f"{page}.html"
            text = path.read_text(encoding="utf-8")
            links = re.findall(rf'<a class="audiotut-language-link" href="([^"]+)" '
                               rf'hreflang="{other}"', text)
            assert len(links) == 1, f"{path}: {links}"
            target = (path.parent / links[0]).resolve()
            assert target == ((korean if other == "ko" else english) / f"{page}.html").resolve()
            alternates = dict(re.findall(r'<link rel="alternate" hreflang="(\w+)" href="([^"]+)"',
                                         text))
            assert set(alternates) == {"en", "ko"}, f"{path}: {alternates}"


def test_korean_notebooks_to_download(korean_build):
    """The download button of a Korean chapter gives its notebook with Korean Markdown
    cells and the English notebook's code and outputs unchanged."""
    html, _ = korean_build
    for page in [p for p in toc_pages() if (ROOT / f"{p}.ipynb").exists()]:
        english = json.loads((ROOT / f"{page}.ipynb").read_text(encoding="utf-8"))
        path = html / "_sources" / f"{page}.ipynb"
        korean = json.loads(path.read_text(encoding="utf-8"))
        assert [c["cell_type"] for c in korean["cells"]] == \
               [c["cell_type"] for c in english["cells"]]
        markdown = 0
        for ko, en in zip(korean["cells"], english["cells"]):
            if en["cell_type"] == "code":
                assert ko["source"] == en["source"] and ko["outputs"] == en["outputs"]
                continue
            text = re.sub(r"^[ \t]*```(?!\{).*?^[ \t]*```", "", "".join(ko["source"]),
                          flags=re.S | re.M)                    # code blocks stay as they are
            prose = [line for line in text.splitlines()
                     if re.search(r"[a-z]{3,} [a-z]{3,} [a-z]{3,}", re.sub(
                         r"`[^`]*`|\$[^$]*\$|\{[^}]*\}|<[^>]*>|\([^)]*\)", "", line))]
            english_only = [line for line in prose if not HANGUL.search(line)]
            assert not english_only, f"{page}: untranslated Markdown: {english_only[:3]}"
            markdown += 1
        assert markdown > 5
        link = (html / f"{page}.html").read_text(encoding="utf-8")
        assert f'_sources/{page}.ipynb' in link, f"{page}: no download link to the notebook"


# ------------------------------------------------------------------ in the browser


@pytest.fixture(scope="module")
def server(korean_build):
    html, result = korean_build
    if result.returncode != 0:
        pytest.fail("the Korean edition did not build; see "
                    "test_korean_edition_builds_without_warnings")
    with serve(html.parent) as address:   # both editions: _build/html
        yield address


KOREAN_PAGE = """async () => {
  if (window.MathJax && MathJax.startup) await MathJax.startup.promise;
  return {
    lang: document.documentElement.lang,
    math: document.querySelectorAll('.math').length,
    rendered: document.querySelectorAll('mjx-container').length,
  };
}"""


def _fonts(tab, selector: str) -> tuple[str, int, int]:
    """(fonts used, glyphs drawn by a CJK font, Hangul syllables) for the first element."""
    cdp = tab.context.new_cdp_session(tab)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    text = tab.inner_text(selector)
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    used = ", ".join(f"{font['familyName']} ({font['glyphCount']})" for font in fonts)
    cjk = sum(font["glyphCount"] for font in fonts if "CJK" in font["familyName"])
    return used, cjk, len(HANGUL.findall(text))


@pytest.mark.browser
@pytest.mark.parametrize("page", toc_pages())
def test_korean_page_works_in_chromium(browser, server, page, record_property):
    """lang="ko", Hangul drawn with a CJK font, players and equations load, no console
    errors, nothing scrolls sideways on a phone, and the English link lands on the same
    page in the English edition (and its 한국어 link back here)."""
    problems: list[str] = []
    tab = watched_tab(browser, problems)
    try:
        response = tab.goto(f"{server}/ko/{page}.html", wait_until="load")
        assert response is not None and response.ok
        players = tab.evaluate(WAIT_FOR_AUDIO)
        found = tab.evaluate(KOREAN_PAGE)
        used, cjk, syllables = _fonts(tab, "article h1")
        tab.set_viewport_size({"width": 390, "height": 844})
        phone = tab.evaluate("() => document.documentElement.scrollWidth")
        tab.click("a.audiotut-language-link")
        tab.wait_for_load_state("load")
        english = tab.url
        back = tab.evaluate("() => document.querySelector('a.audiotut-language-link').href")
    finally:
        tab.close()
    record_property("measured", f"ko/{page}: title drawn with {used}; {len(players)} "
                    f"players, {found['rendered']} equations")
    assert found["lang"] == "ko"
    if page != "book/api":   # the API reference stays English (its title too)
        assert syllables > 0 and cjk >= syllables, f"ko/{page}: Hangul drawn with {used}"
    assert all(p["readyState"] == 4 and p["duration"] > 0 for p in players), (
        f"ko/{page}: a player did not load: {players}")
    assert len(players) == expected_media(page)[1]
    assert found["rendered"] >= found["math"] > 0 or found["math"] == 0, found
    assert phone <= 391, f"ko/{page} is {phone} px wide on a 390 px phone"
    assert english == f"{server}/{page}.html", english
    assert back == f"{server}/ko/{page}.html", back
    assert not problems, "\n".join(problems)


@pytest.mark.browser
@pytest.mark.parametrize("query", ["위상", "간격", "멜 스펙트로그램", "데이터 증강"])
def test_korean_search_finds_the_pages_that_use_a_word(browser, server, korean_build, query):
    """Sphinx's search with the Korean index (book/_ext/audiotut_i18n.py): a word finds
    the pages whose text uses it with any particle attached (간격은, 위상을)."""
    html, _ = korean_build
    words = query.split()
    expected = {page for page in TRANSLATED
                if all(word in _article(html / f"{page}.html") for word in words)}
    assert expected, f"no Korean page uses {query!r}"
    tab = browser.new_page()
    tab.set_default_timeout(180_000)
    try:
        tab.goto(f"{server}/ko/search.html?q={quote(query)}", wait_until="load")
        # the summary reports the count once every result is listed
        tab.wait_for_function("""() => /\\d/.test((document.querySelector(
            '#search-results p.search-summary') || {}).textContent || '')""")
        found = tab.evaluate("""() => Array.from(document.querySelectorAll(
            '#search-results ul.search li a')).map(a => a.getAttribute('href'))""")
    finally:
        tab.close()
    pages = {re.sub(r"\.html.*$", "", href).lstrip("./") for href in found}
    missing = expected - pages
    assert not missing, f"searching {query!r} misses {sorted(missing)} (found {sorted(pages)})"
