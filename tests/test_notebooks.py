"""Notebook hygiene: every chapter is in the table of contents, executed in order,
error-free, tidy, and built on the same skeleton. nbval (``--nbval``) re-runs them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import markdown_bullets, toc_pages

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
NOTEBOOKS = sorted(BOOK.glob("[0-9][0-9]_*.ipynb"))
REQUIRED_SECTIONS = ["What you will learn", "Prerequisites", "Exercises", "Summary"]
MAX_MEGABYTES = 2.0


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _source(cell) -> str:
    return "".join(cell["source"])


def test_there_are_chapters():
    assert NOTEBOOKS, "book/ holds no NN_topic.ipynb chapters"


def test_every_notebook_is_in_the_toc_and_every_toc_entry_exists():
    listed = toc_pages()
    chapters = {f"book/{path.stem}" for path in NOTEBOOKS}
    assert chapters <= set(listed), f"missing from _toc.yml: {sorted(chapters - set(listed))}"
    for entry in listed:
        matches = list(ROOT.glob(entry + ".*"))
        assert matches, f"_toc.yml lists {entry}, which does not exist"
    stray = sorted(p.name for p in BOOK.glob("*.ipynb") if p not in NOTEBOOKS)
    assert not stray, f"notebooks in book/ not named NN_topic.ipynb: {stray}"


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.name)
def notebook(request) -> tuple[Path, dict]:
    return request.param, _load(request.param)


def test_executed_top_to_bottom(notebook):
    path, nb = notebook
    counts = [c.get("execution_count") for c in nb["cells"] if c["cell_type"] == "code"]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: execution counts {counts} are not 1..n; run `make notebooks`"
    )


def test_no_stored_errors(notebook):
    path, nb = notebook
    for index, cell in enumerate(nb["cells"]):
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", f"{path.name} cell {index}: {output.get('ename')}"
            if output["output_type"] == "stream":
                assert output["name"] != "stderr", (
                    f"{path.name} cell {index} wrote to stderr: {''.join(output['text'])[:200]}"
                )


def test_first_cell_is_the_title(notebook):
    path, nb = notebook
    first = nb["cells"][0]
    assert first["cell_type"] == "markdown" and _source(first).startswith("# "), path.name
    number = int(path.name[:2])
    assert _source(first).startswith(f"# {number}. "), f"{path.name}: title should start '# {number}. '"


def test_headings_step_down_one_level_at_a_time(notebook):
    path, nb = notebook
    level = 0
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        in_code = False
        for line in _source(cell).splitlines():
            if line.startswith("```"):
                in_code = not in_code
            match = re.match(r"^(#+) ", line)
            if match and not in_code:
                new = len(match.group(1))
                assert new <= level + 1, f"{path.name}: heading {line!r} skips a level"
                assert new > 1 or level == 0, f"{path.name}: a second top-level heading {line!r}"
                level = new


def test_no_empty_cells(notebook):
    path, nb = notebook
    empty = [i for i, c in enumerate(nb["cells"]) if not _source(c).strip()]
    assert not empty, f"{path.name}: empty cells {empty}"


def test_imports_audiotut(notebook):
    path, nb = notebook
    code = "\n".join(_source(c) for c in nb["cells"] if c["cell_type"] == "code")
    assert re.search(r"^(import audiotut|from audiotut)", code, re.M), path.name


def test_has_the_chapter_skeleton(notebook):
    path, nb = notebook
    headings = [
        line[3:].strip()
        for c in nb["cells"] if c["cell_type"] == "markdown"
        for line in _source(c).splitlines() if line.startswith("## ")
    ]
    for section in REQUIRED_SECTIONS:
        assert section in headings, f"{path.name}: no '## {section}' section"
    assert headings.index("What you will learn") < headings.index("Prerequisites")
    assert headings.index("Exercises") < headings.index("Summary")


def test_exercise_solutions_are_hidden(notebook):
    path, nb = notebook
    hidden = [c for c in nb["cells"] if {"hide-cell", "hide-input"} & set(c["metadata"].get("tags", []))]
    assert hidden, f"{path.name}: no solution cell tagged hide-cell"


def test_randomness_is_seeded(notebook):
    path, nb = notebook
    code = "\n".join(_source(c) for c in nb["cells"] if c["cell_type"] == "code")
    assert "default_rng()" not in code, f"{path.name}: np.random.default_rng() without a seed"
    assert not re.search(r"np\.random\.(rand|randn|random|normal|uniform|choice)\(", code), (
        f"{path.name}: use a seeded np.random.default_rng(seed), not the global generator"
    )


def test_kernel_is_the_portable_python3(notebook):
    path, nb = notebook
    assert nb["metadata"]["kernelspec"]["name"] == "python3", path.name


def test_size_is_modest(notebook):
    path, _ = notebook
    megabytes = path.stat().st_size / 1e6
    assert megabytes < MAX_MEGABYTES, f"{path.name} is {megabytes:.1f} MB; shorten embedded audio"


def test_figures_are_sharp_on_hidpi_screens(notebook):
    """Every figure is stored at twice the resolution it is shown at (display.use_style
    makes it so): a PNG or JPEG whose pixel width is twice its "width" metadata."""
    import base64
    import io

    from PIL import Image

    path, nb = notebook
    figures = 0
    for index, cell in enumerate(nb["cells"]):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            kinds = [kind for kind in ("image/png", "image/jpeg") if kind in data]
            if not kinds:
                continue
            figures += 1
            assert len(kinds) == 1 and "image/svg+xml" not in data, (path.name, index)
            image = Image.open(io.BytesIO(base64.b64decode(data[kinds[0]])))
            width = output.get("metadata", {}).get(kinds[0], {}).get("width")
            assert width, f"{path.name} cell {index}: a figure without its display width"
            assert image.size[0] == 2 * width, (
                f"{path.name} cell {index}: {image.size[0]} px shown at {width} px, not 2x")
    assert figures or path.name.startswith("08"), f"{path.name}: no figures"


# ----------------------------------------------------------------- the book's conventions
# (book/conventions.md states them; these tests hold every chapter to them)

MAX_CODE_LINE = 79
BOX = re.compile(r"```\{admonition\} audiotut in this chapter\n:class: tip\n(.*?)```", re.S)
ROLE_NAME = re.compile(r"\{py:(?:func|class|mod|meth|data|attr)\}`(?:[^`<]*<)?~?(audiotut[\w.]*)>?`")


def test_code_lines_fit_the_rendered_page(notebook):
    """No code cell scrolls sideways in the rendered page."""
    path, nb = notebook
    long = [
        f"cell {i}: {len(line)} chars: {line[:50]}..."
        for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
        for line in _source(c).splitlines() if len(line) > MAX_CODE_LINE
    ]
    assert not long, f"{path.name}: code lines over {MAX_CODE_LINE} characters:\n" + "\n".join(long)


def _used_audiotut_names(code: str) -> set[str]:
    """audiotut.module.name for every public name the code uses (from imports and attributes)."""
    import importlib

    used: set[str] = set()
    aliases: dict[str, str] = {}                       # local name -> audiotut.module
    imports = re.findall(r"^from (audiotut\.\w+) import (?:\(([\w,\s]+)\)|([\w, ]+))", code, re.M)
    for module, wrapped, plain in imports:
        for name in re.split(r"[,\s]+", (wrapped or plain).strip()):
            if name:
                used.add(f"{module}.{name}")
    for names in re.findall(r"^from audiotut import ([\w, ]+)", code, re.M):
        for name in re.split(r"[,\s]+", names.strip()):
            if name:
                aliases[name] = f"audiotut.{name}"
    for local, module in aliases.items():
        for attr in set(re.findall(rf"(?<![\w.]){local}\.([A-Za-z]\w*)", code)):
            used.add(f"{module}.{attr}")
    for module, attr in re.findall(r"(?<![\w.])audiotut\.(\w+)\.([A-Za-z]\w*)", code):
        used.add(f"audiotut.{module}.{attr}")
    public = set()
    for name in used:
        module_name, attr = name.rsplit(".", 1)
        module = importlib.import_module(module_name)
        if attr in getattr(module, "__all__", ()):
            public.add(name)
    return public


def test_audiotut_box_lists_what_the_chapter_uses(notebook):
    """After the prerequisites, a tip box names every audiotut module the chapter uses (the
    module itself or the names it uses from it), and nothing the chapter does not use."""
    path, nb = notebook
    markdown = "\n".join(_source(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    boxes = BOX.findall(markdown)
    assert len(boxes) == 1, f"{path.name}: expected one 'audiotut in this chapter' tip box"
    assert markdown.index("## Prerequisites") < markdown.index("audiotut in this chapter")
    listed = set(ROLE_NAME.findall(boxes[0]))
    code = "\n".join(_source(c) for c in nb["cells"] if c["cell_type"] == "code")
    used = _used_audiotut_names(code)
    used_modules = {name.rsplit(".", 1)[0] for name in used}
    listed_modules = {name if name in used_modules else name.rsplit(".", 1)[0] for name in listed}
    missing = sorted(used_modules - listed_modules)
    assert not missing, f"{path.name}: the box names nothing from {missing}, which the chapter uses"
    extra = sorted(name for name in listed
                   if name not in used and name not in used_modules
                   and not any(name.startswith(u + ".") for u in used))
    assert not extra, f"{path.name}: the box lists {extra}, which the chapter does not use"


def test_cross_references_are_doc_roles(notebook):
    """Links between pages are {doc} roles, which Sphinx checks, not markdown links."""
    path, nb = notebook
    markdown = "\n".join(_source(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    links = re.findall(r"\]\((?!https?:)[^)]*\.(?:ipynb|md)(?:#[^)]*)?\)", markdown)
    assert not links, f"{path.name}: markdown links {links}; use {{doc}}`/book/NN_topic`"


def test_solutions_are_labelled(notebook):
    """'## Exercises', then '### Solutions', each solution behind a 'Show solution N' toggle."""
    path, nb = notebook
    cells = nb["cells"]
    starts = [i for i, c in enumerate(cells)
              if c["cell_type"] == "markdown" and _source(c).lstrip().startswith("## Exercises")]
    solutions = [i for i, c in enumerate(cells)
                 if c["cell_type"] == "markdown" and _source(c).lstrip().startswith("### Solutions")]
    summary = [i for i, c in enumerate(cells)
               if c["cell_type"] == "markdown" and "## Summary" in _source(c)]
    assert starts and solutions and summary, f"{path.name}: no Exercises/Solutions/Summary"
    assert starts[0] < solutions[0] < summary[0], f"{path.name}: Exercises, Solutions, Summary"
    shown = 0
    for c in cells[solutions[0] + 1:summary[0]]:
        if c["cell_type"] == "code":
            number = re.match(r"# Exercise (\d+)", _source(c))
            assert number, f"{path.name}: a solution cell does not start '# Exercise N'"
            assert "hide-cell" in c["metadata"].get("tags", []), f"{path.name}: not hidden"
            prompt = c["metadata"].get("mystnb", {}).get("code_prompt_show", "")
            assert prompt == f"Show solution {number[1]}", (
                f"{path.name}: exercise {number[1]}'s toggle reads {prompt!r}; set the cell "
                f"metadata mystnb.code_prompt_show to 'Show solution {number[1]}'"
            )
            shown += 1
        else:
            shown += _source(c).count("{dropdown} Solution")
    assert shown, f"{path.name}: no solutions between '### Solutions' and the summary"


# A level in dB names its reference: dBFS, dB re 1, dB re max, LUFS, LU or dBTP.
# A bare "dB" is for ratios (gain, SNR, attenuation), so a label that says it is a
# level, a power or a magnitude must not end in a bare "(dB)".
BARE_LEVEL = re.compile(
    r"""(?:label|title)\w*\s*=\s*f?["'](?:[^"'\n]*?)(?:Level|level|Power|power|Magnitude|"""
    r"""magnitude|Amplitude|amplitude)\s*\(dB\)""")


def test_levels_name_their_reference(notebook):
    path, nb = notebook
    code = "\n".join(_source(c) for c in nb["cells"] if c["cell_type"] == "code")
    bare = BARE_LEVEL.findall(code) + re.findall(r"""format=["']%\+?[\d.]*f dB["']""", code)
    assert not bare, (f"{path.name}: levels labelled with a bare dB {bare}; say dBFS, "
                      "dB re 1, dB re max, LUFS or dBTP (book/conventions.md)")


def test_pages_cross_reference_with_doc_roles():
    pages = [p for p in BOOK.glob("*.md")]
    assert pages
    for page in pages:
        links = re.findall(r"\]\((?!https?:)[^)]*\.(?:ipynb|md)(?:#[^)]*)?\)",
                           page.read_text(encoding="utf-8"))
        assert not links, f"{page.name}: markdown links {links}; use {{doc}} roles"


def test_changes_since_talk_links_each_correction_to_the_cell_that_computes_it():
    """book/changes_since_talk.md: every bullet is one correction that links, with a {ref}
    role, to a target placed in a chapter right above the cell that computes it; every
    talk-chN-... target in chapter N is listed there."""
    page = (BOOK / "changes_since_talk.md").read_text(encoding="utf-8")
    bullets = markdown_bullets(page)          # each with its indented continuation lines
    assert len(bullets) >= 20, f"only {len(bullets)} corrections listed"
    targets = {}
    for path in NOTEBOOKS:
        for i, cell in enumerate(_load(path)["cells"]):
            for label in re.findall(r"^\(([\w-]+)\)=$", _source(cell), re.M):
                targets[label] = (path, i)
    for label, (path, _) in targets.items():
        talk = re.match(r"talk-ch(\d+)-", label)
        assert not talk or int(path.name[:2]) == int(talk[1]), f"{label} sits in {path.name}"
    linked, chapters = set(), set()
    for bullet in bullets:
        labels = re.findall(r"\{ref\}`[^`]*<([\w-]+)>`", bullet)
        assert labels, f"a correction without a link to its cell: {bullet[:80]}"
        for label in labels:
            assert label in targets, f"{label} is not a target in any chapter"
            path, index = targets[label]
            following = _load(path)["cells"][index + 1:index + 4]
            assert any(c["cell_type"] == "code" for c in following), (
                f"{label} in {path.name} is not followed by the cell that computes it")
            linked.add(label)
            chapters.add(int(path.name[:2]))
    assert chapters == {int(p.name[:2]) for p in NOTEBOOKS}, (
        f"chapters without a linked correction: "
        f"{sorted({int(p.name[:2]) for p in NOTEBOOKS} - chapters)}")
    unused = sorted(label for label in targets if label.startswith("talk-") and label not in linked)
    assert not unused, f"targets no correction links to: {unused}"
