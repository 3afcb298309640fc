"""The Korean edition: catalogs, checks and the second build.

One set of notebooks and pages; the Korean text lives in gettext catalogs, one per page,
``locales/ko/LC_MESSAGES/book/<page>.po`` (``gettext_compact: false`` in _config.yml).
The API page (docstrings) stays English and has no catalog.

    python tools/i18n.py po        extract the English messages (Sphinx's gettext
                                   builder) and merge them into the catalogs: a changed
                                   sentence becomes a fuzzy entry with the old
                                   translation as a hint, a new one an empty entry
    python tools/i18n.py check     the catalogs are in step with the pages, complete,
                                   free of fuzzy entries, and every translation keeps
                                   its message's markup and uses the glossary's terms
    python tools/i18n.py build     build the Korean edition into _build/html/ko
                                   (after the English one, into _build/html)

`make po` and `make book` call these. tests/test_i18n.py runs the checks in CI.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LANGUAGE = "ko"
LOCALES = ROOT / "locales"
CATALOGS = LOCALES / LANGUAGE / "LC_MESSAGES"
BUILD = ROOT / "_build"
GETTEXT = BUILD / "gettext"            # the extracted templates (.pot)
ENGLISH_ONLY = {"book/api"}            # docstrings stay English: no catalog
WIDTH = 79                             # catalog line width (msgmerge's default is 79)


# ----------------------------------------------------------------------- the catalogs


def pages() -> list[str]:
    """Docnames of the pages that have a catalog: every page of _toc.yml but the API."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    names = [toc["root"]]
    for part in toc.get("parts", []):
        names += [chapter["file"] for chapter in part.get("chapters", [])]
    return [name for name in names if name not in ENGLISH_ONLY]


def catalog_path(page: str) -> Path:
    return CATALOGS / f"{page}.po"


def read(path: Path):
    from babel.messages.pofile import read_po

    with open(path, "rb") as stream:
        return read_po(stream, locale=LANGUAGE, abort_invalid=True)


def write(catalog, path: Path) -> None:
    """Write a catalog atomically, in the one layout every tool here uses."""
    from babel.messages.pofile import write_po

    path.parent.mkdir(parents=True, exist_ok=True)
    # babel flags any message with a "%" or braces as python-format ("95 % here") or
    # python-brace-format, and msgfmt then checks it as a format string; the book's
    # messages are text, never formats
    for message in catalog:
        message.flags.discard("python-format")
        message.flags.discard("python-brace-format")
    temporary = path.with_suffix(".po.tmp")
    with open(temporary, "wb") as stream:
        write_po(stream, catalog, width=WIDTH, ignore_obsolete=True, include_previous=True)
    temporary.replace(path)


def extract(output: Path = GETTEXT, *, nice: int = 0) -> Path:
    """Run Sphinx's gettext builder (through jupyter-book, so the configuration is the
    book's) and return the folder of the .pot files, one per page; ``nice`` lowers its
    priority (the tests run it beside others)."""
    from i18n_build import jupyter_book  # tools/i18n_build.py

    build = output.parent / (output.name + "-build")
    result = jupyter_book("build", str(ROOT), "--builder", "custom", "--custom-builder",
                          "gettext", "--path-output", str(build), capture=True, nice=nice)
    if result.returncode != 0:
        raise SystemExit(f"extracting the messages failed:\n{result.stdout[-3000:]}"
                         f"\n{result.stderr[-3000:]}")
    if output.exists():
        shutil.rmtree(output)
    shutil.copytree(build / "_build" / "gettext", output)
    return output


def merge(template, catalog=None):
    """A catalog updated to a template's messages: kept translations stay, a changed
    message becomes fuzzy with the closest old translation as its hint, a new one is
    empty, and messages the page no longer has are dropped."""
    from babel import Locale
    from babel.messages.catalog import Catalog

    if catalog is None:
        catalog = Catalog(locale=Locale.parse(LANGUAGE), project="audiotut",
                          language_team="Korean", fuzzy=False)
    catalog.update(template, no_fuzzy_matching=False, update_header_comment=False)
    catalog.fuzzy = False
    return catalog


def update(templates: Path) -> list[str]:
    """Merge the templates into the catalogs; return what changed, page by page."""
    report = []
    for page in pages():
        path = catalog_path(page)
        catalog = read(path) if path.exists() else None
        before = {message.id for message in catalog if message.id} if catalog else set()
        catalog = merge(read(templates / f"{page}.pot"), catalog)
        after = {message.id for message in catalog if message.id}
        fuzzy = [message.id for message in catalog if message.id and message.fuzzy]
        if after != before or not path.exists():   # unchanged catalogs stay as they are
            catalog.revision_date = catalog.creation_date
            catalog.last_translator = "the audiotut contributors"
            write(catalog, path)
        if after != before or fuzzy:
            report.append(f"{path.relative_to(ROOT)}: {len(after - before)} new or changed, "
                          f"{len(before - after)} gone, {len(fuzzy)} fuzzy (to review)")
    return report


# ------------------------------------------------------------------ what a message holds

_SPAN = re.compile(
    r"\{(?P<role>[\w:.+-]+)\}(?P<rticks>`+)(?P<rtext>.+?)(?P=rticks)"   # {role}`text`
    r"|(?P<ticks>`+)(?P<code>.+?)(?P=ticks)"                             # `code`
    r"|(?P<math>\$\$?[^$]+?\$\$?)"                                       # $math$
    r"|\]\((?P<link>[^)\s]+)\)"                                          # [text](target)
    r"|<(?P<url>https?://[^>\s]+)>", re.S)                               # <https://...>
_TARGET = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
_BLOCK_START = re.compile(r"^(\d+[.)]\s|[-*+>]\s|#+\s)")


@dataclass
class Markup:
    """The parts of a message a translation must keep as they are."""

    roles: set[tuple[str, str]] = field(default_factory=set)   # (role, target)
    role_texts: list[str] = field(default_factory=list)        # what a role shows
    code: set[str] = field(default_factory=set)
    math: set[str] = field(default_factory=set)
    links: set[str] = field(default_factory=set)
    prose: str = ""                                            # the rest


def markup(text: str) -> Markup:
    found = Markup()
    prose = []
    last = 0
    for match in _SPAN.finditer(text):
        prose.append(text[last:match.start()])
        last = match.end()
        if match["role"]:
            role, content = match["role"], match["rtext"]
            explicit = _TARGET.match(content)
            target = explicit["target"] if explicit else content
            shown = explicit["text"] if explicit else content
            if role == "term":
                target = " ".join(target.lower().split())
            found.roles.add((role, target))
            found.role_texts.append(shown)
            if role in {"term", "ref", "doc"} or explicit:
                prose.append(f" {shown} ")
        elif match["code"] is not None:
            found.code.add(match["code"].strip())
        elif match["math"]:
            found.math.add(match["math"])
        elif match["link"]:
            found.links.add(match["link"])
            prose.append("]")
        elif match["url"]:
            found.links.add(match["url"])
    prose.append(text[last:])
    found.prose = "".join(prose)
    return found


# ------------------------------------------------------------------------ the glossary


@dataclass
class Term:
    names: list[str]       # the entry's English names (the {term} targets)
    korean: list[str]      # its Korean forms: the first, then the alternatives


def glossary() -> list[Term]:
    """The term base: each entry of book/glossary.md starts its definition with the
    Korean term, alternatives in parentheses (``에일리어싱 (앨리어싱). A frequency ...``)."""
    text = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    terms = []
    for block in re.findall(r"```\{glossary\}\n(.*?)```", text, re.S):
        names: list[str] = []
        definition: list[str] = []
        for line in block.splitlines() + [""]:
            if line.startswith(":"):
                continue
            if line.startswith(" "):
                definition.append(line.strip())
                continue
            if definition:
                head = " ".join(definition).split(". ")[0]
                head = re.sub(r";\s*the talk writes[^)]*", "", head)
                forms = re.split(r"\s*[(),;/]\s*|\s+/\s+", head)
                korean = [form.strip() for form in forms if form.strip()]
                korean = [form for form in korean if re.search(r"\w", form)]
                terms.append(Term(names, korean))
                names, definition = [], []
            if line.strip():
                names.append(line.strip())
    return terms


# Names that are also everyday English words: where they appear outside a {term} role
# they need not be the glossary's sense, so only their {term} uses are checked.
EVERYDAY = {"take", "split", "gain", "block", "buffer", "domain", "delta", "fade", "echo",
            "shelf", "seed", "mixing", "alias", "bin", "leakage", "sweep", "label",
            "feature", "sample", "window", "worker", "batch", "magnitude", "frame",
            "channel", "pitch", "mel", "phase", "epoch", "accuracy", "speaker", "harmonic",
            "transient", "loudness", "gating", "octave", "distortion", "clipping"}


def _mentions(name: str, prose: str) -> bool:
    # case-sensitive: "dataset" is not the "Dataset" of "Free Spoken Digit Dataset"
    pattern = r"(?<![\w-])" + re.escape(name) + r"(s|es)?(?![\w-])"
    return re.search(pattern, prose) is not None


def term_problems(source: str, translation: str, terms: list[Term]) -> list[str]:
    """Glossary terms of the English message whose Korean is missing from the translation."""
    english = markup(source)
    # a quoted title ("The GTZAN dataset", “…”) keeps its own words
    prose = re.sub(r'"[^"]*"|“[^”]*”', " ", english.prose)
    problems = []
    referenced = {target for role, target in english.roles if role == "term"}
    for term in terms:
        lowered = {" ".join(name.lower().split()) for name in term.names}
        if lowered & referenced:
            used = True
        else:
            used = any(_mentions(name, prose) for name in term.names
                       if name.lower() not in EVERYDAY and len(name) > 2)
        if used and not any(form in translation for form in term.korean):
            problems.append(f"glossary term {term.names[0]!r}: the translation has none of "
                            f"{' / '.join(term.korean)}")
    return problems


# ------------------------------------------------------------------------- the checks


def message_problems(source: str, translation: str, terms: list[Term],
                     keep_english: set[str]) -> list[str]:
    """What is wrong with one translated message (an empty list when nothing is)."""
    if not translation:
        return ["not translated"]
    if translation == source:
        words = re.findall(r"(?<![\\\w])[A-Za-z]{3,}", markup(source).prose)  # not \frac
        if source in keep_english or len(words) < 3 or all(w[0].isupper() for w in words):
            return []
        return ["the translation is the English message"]
    problems = []
    english, korean = markup(source), markup(translation)
    for kind in ("roles", "code", "math", "links"):
        missing = getattr(english, kind) - getattr(korean, kind)
        added = getattr(korean, kind) - getattr(english, kind)
        if missing:
            problems.append(f"{kind} dropped or changed: {sorted(missing)}")
        if added:
            problems.append(f"{kind} not in the English: {sorted(added)}")
    if korean.prose.count("**") % 2 != english.prose.count("**") % 2:   # not in code
        problems.append("unbalanced ** (bold)")
    if _BLOCK_START.match(translation) and not _BLOCK_START.match(source):
        problems.append("starts like a list item, quote or heading in Markdown; escape it "
                        r"(a numbered heading is written '1\. ...')")
    elif re.match(r"\d+\.\s", translation):
        problems.append(r"a numbered heading must be written '1\. ...' (else it is read "
                        "as a list item and dropped)")
    if _stray_asterisks(translation) > _stray_asterisks(source):
        problems.append("a * or ** does not open or close (emphasis next to punctuation "
                        "and a letter: write “*제목*”과 or *단언*(assert)한다, not "
                        "*“제목”*과 or *단언(assert)*한다)")
    problems += term_problems(source, translation, terms)
    return problems


def _stray_asterisks(text: str) -> int:
    """Asterisks Markdown shows as text: emphasis that did not open or close (CommonMark's
    flanking rules: ``*“제목”*과`` closes nowhere, since the closing ``*`` follows
    punctuation and precedes a letter)."""
    from markdown_it import MarkdownIt

    count = 0
    for block in MarkdownIt("commonmark").parse(text):
        for child in block.children or []:
            if child.type == "text":
                count += child.content.count("*")
    return count


def check_catalog(path: Path, terms: list[Term] | None = None) -> list[str]:
    """Every problem of one catalog, as 'file: message: problem' lines."""
    terms = glossary() if terms is None else terms
    keep_english = {name for term in terms for name in term.names}
    catalog = read(path)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        head = message.id if len(message.id) < 60 else message.id[:57] + "..."
        if message.fuzzy:
            problems.append(f"{path.name}: {head!r}: fuzzy (review it, then remove the flag)")
        for problem in message_problems(message.id, message.string, terms, keep_english):
            problems.append(f"{path.name}: {head!r}: {problem}")
    if shutil.which("msgfmt"):
        result = subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(path)],
                                capture_output=True, text=True, errors="replace",
                                env={**os.environ, "LC_ALL": "C.UTF-8"})
        if result.returncode != 0:
            problems.append(f"{path.name}: msgfmt --check: {result.stderr.strip()}")
    return problems


def in_step(templates: Path) -> list[str]:
    """Messages of the pages missing from the catalogs, or left over in them."""
    problems = []
    for page in pages():
        template = {message.id for message in read(templates / f"{page}.pot") if message.id}
        path = catalog_path(page)
        if not path.exists():
            problems.append(f"{page}: no catalog {path.relative_to(ROOT)}; run make po")
            continue
        catalog = {message.id for message in read(path) if message.id}
        for missing in sorted(template - catalog):
            problems.append(f"{page}: the page has a message the catalog lacks (run make po, "
                            f"then translate it): {missing[:70]!r}")
        for stale in sorted(catalog - template):
            problems.append(f"{page}: the catalog has a message the page no longer has (run "
                            f"make po): {stale[:70]!r}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("po", help="update the catalogs from the pages")
    check = commands.add_parser("check", help="check the catalogs")
    check.add_argument("catalogs", nargs="*", type=Path,
                       help="only these .po files (and skip the in-step check)")
    korean = commands.add_parser("build", help="build the Korean edition into _build/html/ko")
    korean.add_argument("options", nargs=argparse.REMAINDER,
                        help="passed to jupyter-book build (e.g. --all -W)")
    args = parser.parse_args(argv)

    if args.command == "po":
        for line in update(extract()) or ["the catalogs were already in step"]:
            print(line)
        return 0
    if args.command == "check":
        terms = glossary()
        if args.catalogs:
            problems = [line for path in args.catalogs for line in check_catalog(path, terms)]
        else:
            problems = in_step(extract())
            problems += [line for page in pages() if catalog_path(page).exists()
                         for line in check_catalog(catalog_path(page), terms)]
        print("\n".join(problems) or "no problems")
        return 1 if problems else 0
    if args.command == "build":
        from i18n_build import build  # tools/i18n_build.py

        return build(args.options).returncode
    return 2


if __name__ == "__main__":
    sys.exit(main())
