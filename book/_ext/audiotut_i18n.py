"""The two editions of the book (loaded by audiotut_book.py).

The English edition is built into _build/html, the Korean one (``language: ko``, made by
tools/i18n_build.py from the same sources and the catalogs in locales/ko) into
_build/html/ko. This extension gives both what Sphinx and the themes do not:

* **Language links.** Every page names the same page in the other edition (한국어 /
  English) at the top of the article, and lists both in ``<link rel="alternate"
  hreflang>``.
* **Captions of the table of contents.** sphinx-external-toc inserts the captions
  ("Chapters") after Sphinx has translated the root page, so they are translated here,
  from the root page's catalog, which holds them.
* **Korean search.** Sphinx 7 has no Korean search language: with the English one,
  particles stay attached to words (``간격은``) and a search for ``간격`` finds nothing.
  :class:`SearchKorean` indexes each run of Hangul with all its prefixes, so ``간격``,
  ``위상`` or ``멜`` find ``간격은``, ``위상을`` and ``멜의``; Latin words are stemmed as in
  English.
* **The theme's own strings.** Strings the themes mark for translation come from
  locales/ko/LC_MESSAGES/sphinx.po; the few they write in English without marking
  (button titles, landmark names) and the author line, which sphinx-book-theme renders as
  "으로 <author>", are replaced in the written pages by their translations from the same
  catalog.
* **Korean notebooks.** The download button of a Korean page gives the chapter's
  notebook with its Markdown cells in Korean (each paragraph, heading, list item, table
  cell and box translated through the page's catalog) and its code unchanged.
"""

from __future__ import annotations

import gettext
import html
import json
import re
from pathlib import Path

from sphinx import addnodes
from sphinx.search import SearchLanguage
from sphinx.search.en import js_porter_stemmer

EDITIONS = {"en": ("English", ""), "ko": ("한국어", "ko/")}   # name, folder in _build/html


def _language(app) -> str:
    return app.config.language if app.config.language in EDITIONS else "en"


def _catalog(app, docname: str):
    """The compiled catalog of one page (Sphinx compiles the .po files before reading)."""
    for folder in app.config.locale_dirs:
        directory = Path(app.srcdir, folder)
        try:
            return gettext.translation(docname, localedir=str(directory),
                                       languages=[app.config.language])
        except OSError:
            continue
    return gettext.NullTranslations()


# ------------------------------------------------------------------------ language links


def language_links(app, pagename, templatename, context, doctree) -> None:
    """``<link rel="alternate" hreflang>`` for both editions and a link to the other one."""
    if "body" not in context or pagename in {"genindex", "search", "py-modindex"}:
        return
    language = _language(app)
    up = "../" * pagename.count("/")
    root = up + ("../" if EDITIONS[language][1] else "")   # the English edition's root
    hrefs = {code: f"{root}{folder}{pagename}.html" for code, (_, folder) in EDITIONS.items()}
    context["metatags"] = context.get("metatags", "") + "".join(
        f'\n<link rel="alternate" hreflang="{code}" href="{href}" />'
        for code, href in hrefs.items())
    links = "".join(
        f'<a class="audiotut-language-link" href="{href}" hreflang="{code}" lang="{code}">'
        f"{EDITIONS[code][0]}</a>"
        for code, href in hrefs.items() if code != language)
    context["body"] = (f'<p class="audiotut-languages">{links}</p>\n' + context["body"])


# ------------------------------------------------------- captions of the table of contents


def translate_captions(app, doctree) -> None:
    if _language(app) == "en" or app.env.docname != app.config.root_doc:
        return
    translation = _catalog(app, app.env.docname)
    for toctree in doctree.findall(addnodes.toctree):
        if toctree.get("caption"):
            toctree["caption"] = translation.gettext(toctree["caption"])


# ------------------------------------------------------------------------- Korean search

_HANGUL = "\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3"
_TOKEN = re.compile(rf"[{_HANGUL}]+|[^\W{_HANGUL}]+")

# The English porter stemmer for Latin words, nothing for Hangul (its prefixes are indexed)
_KOREAN_STEMMER = js_porter_stemmer.replace("var Stemmer = function", "var PorterStemmer = function") + """
var Stemmer = function() {
  const porter = new PorterStemmer();
  this.stemWord = (word) => /[\\u1100-\\u11ff\\u3130-\\u318f\\uac00-\\ud7a3]/.test(word)
    ? word : porter.stemWord(word);
};
"""


class SearchKorean(SearchLanguage):
    """Korean for Sphinx's search: Hangul words indexed with every prefix, so a word is
    found whatever particle or ending follows it (``위상`` finds ``위상을``)."""

    lang = "ko"
    language_name = "Korean"
    js_stemmer_code = _KOREAN_STEMMER
    stopwords = set()

    def init(self, options) -> None:
        import snowballstemmer

        self.stemmer = snowballstemmer.stemmer("porter")

    def split(self, input: str) -> list[str]:
        words = []
        for token in _TOKEN.findall(input):
            if re.match(rf"[{_HANGUL}]", token):
                words += [token[:end] for end in range(1, len(token) + 1)]
            else:
                words.append(token)
        return words

    def stem(self, word: str) -> str:
        if re.match(rf"[{_HANGUL}]", word):
            return word
        return self.stemmer.stemWord(word.lower())


# ------------------------------------------------------------------- the theme's strings

# Written in English by the themes' templates, not marked for translation
_UNMARKED = ['title="Toggle primary sidebar"', 'title="Toggle secondary sidebar"',
             'aria-label="Main"', 'aria-label="Page"', 'aria-label="Search"',
             'title="Search"']
_AUTHOR = re.compile(r'(<p class="component-author">)\s*.*?\s*(</p>)', re.S)


def theme_strings(app, exception) -> None:
    if exception or _language(app) == "en" or app.builder.format != "html":
        return
    from sphinx.locale import _

    replacements = {}
    for attribute in _UNMARKED:
        name, value = attribute.split("=", 1)
        english = value.strip('"')
        replacements[attribute] = f'{name}="{html.escape(_(english))}"'
    author = html.escape(app.config.author)
    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        new = text
        for old, replacement in replacements.items():
            new = new.replace(old, replacement)
        new = _AUTHOR.sub(rf"\g<1>{author}\g<2>", new)
        if new != text:
            page.write_text(new, encoding="utf-8")


def search_box_text(app, config) -> None:
    if config.language in EDITIONS and config.language != "en":
        from sphinx.locale import _

        options = dict(config.html_theme_options or {})
        options["search_bar_text"] = _("Search this book...")
        config.html_theme_options = options


# --------------------------------------------------------------------- Korean notebooks

def _translate_markdown(text: str, translate) -> str:
    """Markdown with each translatable block replaced by its translation (the blocks
    Sphinx extracts as messages: paragraphs, headings, list items, table cells, and the
    same inside MyST directives), everything else as it was."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.colon_fence import colon_fence_plugin
    from mdit_py_plugins.dollarmath import dollarmath_plugin
    from mdit_py_plugins.myst_blocks import myst_block_plugin

    parser = (MarkdownIt("commonmark").enable("table").use(myst_block_plugin)
              .use(colon_fence_plugin).use(dollarmath_plugin))
    lines = text.split("\n")
    edits: dict[tuple[int, int], str] = {}        # (first line, end line): new text
    span: list[int] | None = None
    for token in parser.parse(text):
        if token.map:
            span = token.map
        if token.type in {"fence", "colon_fence"} and token.info.startswith("{") and token.map:
            start, end = token.map
            inner = lines[start + 1:end - 1]
            options = [line for line in inner if re.match(r"\s*:\w[\w-]*:", line)]
            body = "\n".join(inner[len(options):])
            if token.info.startswith(("{math}", "{code", "{eval")):
                continue
            title = token.info.split("}", 1)[1].strip()       # an admonition's title
            if title and translate(title) != title:
                edits[start, start + 1] = lines[start].replace(title, translate(title))
            translated = _translate_markdown(body, translate)
            if translated != body:
                edits[start + 1 + len(options), end - 1] = translated
            continue
        if token.type == "inline" and span is not None:
            message = " ".join(token.content.split("\n")).strip()
            translation = translate(message)
            if translation == message:
                continue
            start, end = span   # a paragraph, heading, list item or table row
            block = edits.get((start, end), "\n".join(lines[start:end]))
            pattern = r"\n[ \t>]*".join(re.escape(line.strip())
                                          for line in token.content.split("\n"))
            block, count = re.subn(pattern, lambda _: translation, block, count=1)
            if count:   # a row's cells are translated one after the other
                edits[start, end] = block
    for (start, end), new in sorted(edits.items(), reverse=True):
        lines[start:end] = new.split("\n")
    return "\n".join(lines)


def translate_notebook(notebook: dict, translate) -> dict:
    """A copy of a notebook whose Markdown cells are translated; code cells unchanged."""
    result = json.loads(json.dumps(notebook))
    for cell in result["cells"]:
        if cell["cell_type"] == "markdown":
            source = "".join(cell["source"])
            translated = _translate_markdown(source, translate)
            cell["source"] = translated.splitlines(keepends=True)
    return result


def korean_notebooks(app, exception) -> None:
    if exception or _language(app) == "en" or app.builder.format != "html":
        return
    for docname in app.env.found_docs:
        source = Path(str(app.env.doc2path(docname)))
        if source.suffix != ".ipynb":
            continue
        translation = _catalog(app, docname)
        notebook = json.loads(source.read_text(encoding="utf-8"))
        target = Path(app.outdir, "_sources", f"{docname}.ipynb")
        if target.exists():
            translated = translate_notebook(notebook, translation.gettext)
            target.write_text(json.dumps(translated, ensure_ascii=False, indent=1) + "\n",
                              encoding="utf-8")


def setup(app):
    app.add_search_language(SearchKorean)
    app.connect("config-inited", search_box_text)
    app.connect("html-page-context", language_links)
    app.connect("doctree-read", translate_captions)
    app.connect("build-finished", theme_strings)
    app.connect("build-finished", korean_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
