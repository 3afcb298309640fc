"""Notebook hygiene: every chapter is in the table of contents, executed in order,
error-free, tidy, and built on the same skeleton. nbval (``--nbval``) re-runs them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import toc_pages

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
NOTEBOOKS = sorted(BOOK.glob("[0-9][0-9]_*.ipynb"))
REQUIRED_SECTIONS = ["What you will learn", "Prerequisites", "Exercises", "Summary"]
MAX_MEGABYTES = 4.0


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
