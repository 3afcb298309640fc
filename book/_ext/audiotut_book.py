"""Sphinx fix-ups for the audiotut book (loaded through _config.yml's local_extensions).

Everything here acts when the book is built, so the committed notebooks (and what nbval
compares) stay as they are. tests/test_book.py checks each part in Chromium.

* Scripts once. sphinx-thebe 0.3.1 registers its inline configuration script twice
  under Jupyter Book 1.0.4, once with the file name ``None`` and once with ``""``, so
  Sphinx does not see the duplicate; every page then declared ``const THEBE_JS_URL``
  twice and the browser reported a SyntaxError. Pages here get each script once.
* Alt text for figures. A notebook's figure output carries no description, and myst-nb
  falls back to the image's file path. The alt text is read from the code of the cell
  that drew the figure: the titles, axis labels, legend entries and colour-bar label it
  sets (``set_title``, ``set(title=...)``, ``title=`` of a plotting helper,
  ``set_xlabel``, ``label=``, ...), including those set inside a function the notebook
  defined earlier and the cell calls. An f-string's computed parts are shown as the
  expression in brackets, ``Sweep sampled at [rate] Hz``.
* Players. :func:`audiotut.display.audio_table` stores a one-row table with the labels
  as column headers; the page shows it as a row of labelled players that wraps on a
  narrow screen, and every ``<audio>`` gets its label as its accessible name
  (``aria-label``). A single player gets the name of what the cell plays.
* The two editions: language links, Korean search and the rest are in audiotut_i18n.py.
* API page: a private base class (``_FeatureModule``) is replaced, in "Bases:", by its
  nearest public bases.
"""

from __future__ import annotations

import ast
import html
import json
import re
from pathlib import Path

from docutils import nodes

# ------------------------------------------------------------------ scripts, once each


def _script_key(script) -> tuple:
    # an inline script's filename is None when registered once and "" the other time
    filename = getattr(script, "filename", str(script)) or ""
    attributes = getattr(script, "attributes", {}) or {}
    return (filename, tuple(sorted((str(k), str(v)) for k, v in attributes.items())))


def dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple] = set()
    unique = []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


# ------------------------------------------------------------- reading a cell's code

_TITLE_CALLS = {"set_title", "suptitle", "title"}
_XLABEL_CALLS = {"set_xlabel", "xlabel"}
_YLABEL_CALLS = {"set_ylabel", "ylabel"}
_KINDS = {"spectrogram": "spectrogram", "specshow": "spectrogram",
          "waveform": "waveform", "imshow": "image"}
MAX_ALT = 400  # characters; a longer description is cut at a separator


def _parse(source: str) -> ast.Module | None:
    """A cell's code as Python (IPython magics turned into calls), or None."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        source = TransformerManager().transform_cell(source)
    except Exception:  # IPython missing or the cell does not transform: drop magics
        source = "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                           for line in source.splitlines())
    try:
        return ast.parse(source)
    except SyntaxError:
        return None


class _Scope:
    """What a piece of code (a cell, or a function the notebook defined) binds to a
    name as literal strings: ``x = "a"``, ``for title in ("a", "b")``, ``for ax,
    (title, y) in zip(axes, {"a": ..., "b": ...}.items())`` and the like."""

    def __init__(self, tree: ast.AST) -> None:
        self.assigned: dict[str, ast.AST] = {}
        self.loops: list[ast.For] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                    and isinstance(node.targets[0], ast.Name):
                self.assigned[node.targets[0].id] = node.value
            elif isinstance(node, ast.For):
                self.loops.append(node)

    def _elements(self, node: ast.AST, depth: int = 0) -> list | None:
        """The values one iteration over ``node`` yields: AST nodes, tuples of values,
        or None where unknown; None when the sequence itself is unknown."""
        if depth > 5:
            return None
        if isinstance(node, ast.Name) and node.id in self.assigned:
            return self._elements(self.assigned[node.id], depth + 1)
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            values: list = []
            for element in node.elts:
                if isinstance(element, ast.Starred):
                    values += self._elements(element.value, depth + 1) or [None]
                else:
                    values.append(element)
            return values
        if isinstance(node, ast.Dict):
            return [key for key in node.keys if key is not None]
        if not isinstance(node, ast.Call):
            return None
        func, args = node.func, node.args
        if isinstance(func, ast.Attribute) and func.attr in {"items", "keys", "values"}:
            mapping = func.value
            while isinstance(mapping, ast.Name) and mapping.id in self.assigned:
                mapping = self.assigned[mapping.id]
            if not isinstance(mapping, ast.Dict):
                return None
            pairs = [(k, v) for k, v in zip(mapping.keys, mapping.values) if k is not None]
            return [{"items": pair, "keys": pair[0], "values": pair[1]}[func.attr]
                    for pair in pairs]
        name = func.id if isinstance(func, ast.Name) else ""
        if name == "zip" and args:
            columns = [self._elements(arg, depth + 1) for arg in args]
            known = [len(column) for column in columns if column is not None]
            if not known:
                return None
            length = min(known)
            columns = [column or [None] * length for column in columns]
            return [tuple(column[i] for column in columns) for i in range(length)]
        if name == "enumerate" and args:
            inner = self._elements(args[0], depth + 1)
            return None if inner is None else [(None, value) for value in inner]
        if name in {"list", "tuple", "sorted", "reversed"} and args:
            return self._elements(args[0], depth + 1)
        return None

    @staticmethod
    def _bind(target: ast.AST, value, name: str) -> list:
        """What ``for target in ...`` binds to ``name`` from one value (None: unknown)."""
        if isinstance(target, ast.Name):
            return [value] if target.id == name else []
        if isinstance(target, ast.Tuple | ast.List):
            if isinstance(value, ast.Tuple | ast.List):
                value = tuple(value.elts)
            if not (isinstance(value, tuple) and len(value) == len(target.elts)):
                value = (None,) * len(target.elts)
            return [bound for t, v in zip(target.elts, value)
                    for bound in _Scope._bind(t, v, name)]
        return []

    def strings(self, name: str) -> list[str]:
        """The literal strings the code binds to ``name``, in order; none if it also
        binds anything else (a computed value, a part of a sequence it cannot read)."""
        bound: list = []
        for loop in self.loops:
            for value in self._elements(loop.iter) or []:  # a loop it cannot read
                bound += self._bind(loop.target, value, name)  # is left out
        if name in self.assigned:
            bound.append(self.assigned[name])
        if all(isinstance(b, ast.Constant) and isinstance(b.value, str) for b in bound):
            return [b.value for b in bound]
        return []


def _texts(node: ast.AST | None, scope: _Scope | None = None) -> list[str]:
    """The texts a string expression shows: a literal as it is; a name or an f-string
    with one computed part, once for each literal string the code binds it to; an
    f-string's other computed parts as their expression in brackets."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Name) and scope is not None:
        return scope.strings(node.id)
    if isinstance(node, ast.JoinedStr):
        computed = [v for v in node.values if isinstance(v, ast.FormattedValue)]
        if (scope is not None and len(computed) == 1 and computed[0].format_spec is None
                and isinstance(computed[0].value, ast.Name)):
            values = scope.strings(computed[0].value.id)
            if values:
                return ["".join(str(v.value) if isinstance(v, ast.Constant) else value
                                for v in node.values) for value in values]
        return ["".join(str(v.value) if isinstance(v, ast.Constant)
                        else f"[{ast.unparse(v.value)}]" for v in node.values)]
    if isinstance(node, ast.IfExp):  # f"{name}, time warp" if warp else name
        return _texts(node.body, scope) + _texts(node.orelse, scope)
    return []


def _literal_strings(node: ast.AST) -> list[ast.AST]:
    """String literals given as they are or in tuples and lists (not inside calls)."""
    if isinstance(node, ast.Constant | ast.JoinedStr):
        return [node]
    if isinstance(node, ast.Tuple | ast.List):
        return [found for element in node.elts for found in _literal_strings(element)]
    return []


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


class _Description:
    """What the code says about its figure, in order of appearance, without repeats."""

    def __init__(self) -> None:
        self.kinds: list[str] = []
        self.titles: list[str] = []
        self.x: list[str] = []
        self.y: list[str] = []
        self.legend: list[str] = []
        self.colour: list[str] = []

    @staticmethod
    def _add(target: list[str], node: ast.AST | None, scope: _Scope) -> None:
        for text in _texts(node, scope):
            text = " ".join(text.split())
            if text and text not in target:
                target.append(text)

    def read(self, tree: ast.AST, functions: dict[str, ast.FunctionDef],
             seen: frozenset[str] = frozenset()) -> None:
        scope = _Scope(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _call_name(node)
            keywords = {k.arg: k.value for k in node.keywords if k.arg}
            first = node.args[0] if node.args else None
            if name in _KINDS and _KINDS[name] not in self.kinds:
                self.kinds.append(_KINDS[name])
            if name in _TITLE_CALLS:
                self._add(self.titles, first, scope)
            elif name in _XLABEL_CALLS:
                self._add(self.x, first, scope)
            elif name in _YLABEL_CALLS:
                self._add(self.y, first, scope)
            elif name == "colorbar":
                self._add(self.colour, keywords.get("label"), scope)
            elif "label" in keywords:
                self._add(self.legend, keywords["label"], scope)
            self._add(self.titles, keywords.get("title"), scope)
            self._add(self.x, keywords.get("xlabel"), scope)
            self._add(self.y, keywords.get("ylabel"), scope)
            if isinstance(node.func, ast.Name) and name in functions and name not in seen:
                # a plotting helper the notebook defined: what it sets, then the
                # labels the code passes to it (string arguments)
                self.read(functions[name], functions, seen | {name})
                for arg in node.args:
                    for literal in _literal_strings(arg):
                        self._add(self.titles, literal, scope)

    def alt(self, fallback: str) -> str:
        kind = f" ({', '.join(self.kinds)})" if self.kinds else ""
        parts = []
        if self.titles:
            parts.append("; ".join(self.titles))
        axes = []
        if self.x:
            axes.append("x: " + " / ".join(self.x))
        if self.y:
            axes.append("y: " + " / ".join(self.y))
        if self.colour:
            axes.append("colour: " + " / ".join(self.colour))
        if axes:
            parts.append("; ".join(axes))
        if self.legend:
            parts.append("lines: " + "; ".join(self.legend))
        text = f"Figure{kind}: " + ("".join(
            part + ("" if i == len(parts) - 1 else " " if part.endswith(".") else ". ")
            for i, part in enumerate(parts)) if parts else fallback)
        if len(text) > MAX_ALT:
            cut = max(text.rfind(sep, 0, MAX_ALT - 1) for sep in (";", ",", "."))
            text = text[:cut if cut > 0 else MAX_ALT - 1].rstrip() + "…"
        return text


def _functions(trees: list[ast.Module | None]) -> dict[str, ast.FunctionDef]:
    functions: dict[str, ast.FunctionDef] = {}
    for tree in trees:
        for node in getattr(tree, "body", []):
            if isinstance(node, ast.FunctionDef):
                functions[node.name] = node
    return functions


def figure_alt(sources: list[str], index: int) -> str:
    """Alt text for the figure that code cell ``index`` of a notebook drew."""
    trees = [_parse(source) for source in sources[: index + 1]]
    description = _Description()
    if trees[index] is not None:
        description.read(trees[index], _functions(trees[:index]))
    return description.alt(f"the output of code cell {index + 1}")


def _player_name(tree: ast.Module, expression: ast.AST) -> str:
    """What a player plays: the strings in its expression (or in the assignment of the
    variable it names), else the variable's name."""
    strings = [n.value for n in ast.walk(expression)
               if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    names = [n.id for n in ast.walk(expression) if isinstance(n, ast.Name)]
    if not strings and isinstance(expression, ast.Name):
        for node in ast.walk(tree):
            if (isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == expression.id for t in node.targets)):
                strings = [n.value for n in ast.walk(node.value)
                           if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    if strings:
        return ", ".join(strings)
    return names[0].replace("_", " ") if names else ast.unparse(expression)


def player_names(source: str) -> list[str]:
    """Accessible names for the single players a cell's code makes, in order."""
    tree = _parse(source)
    if tree is None:
        return []
    calls = sorted((n for n in ast.walk(tree) if isinstance(n, ast.Call)
                    and _call_name(n) in {"audio", "Audio"}),
                   key=lambda n: (n.lineno, n.col_offset))
    names = []
    for call in calls:
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        played = call.args[0] if call.args else keywords.get("data", keywords.get("filename"))
        if played is not None:
            names.append(f"Audio: {_player_name(tree, played)}")
    return names


# ------------------------------------------------------------------- players in HTML

_PLAYERS = re.compile(r'<table class="audiotut-players">(.*?)</table>', re.S)
_AUDIO_TAG = re.compile(r"<audio\b(?![^>]*\baria-label)", re.I)


def _label_audio(fragment: str, label: str) -> str:
    attribute = html.escape(html.unescape(label), quote=True)
    return _AUDIO_TAG.sub(f'<audio aria-label="{attribute}"', fragment, count=1)


def _players_row(match: re.Match) -> str:
    body = match.group(1)
    labels = re.findall(r"<th>(.*?)</th>", body, re.S)
    cells = re.findall(r"<td>(.*?)</td>", body, re.S)
    if not labels or len(labels) != len(cells):
        return match.group(0)
    figures = "".join(
        f'<figure class="audiotut-player"><figcaption>{label}</figcaption>'
        f"{_label_audio(cell.strip(), label)}</figure>"
        for label, cell in zip(labels, cells)
    )
    return f'<div class="audiotut-players" role="group">{figures}</div>'


def label_players(text: str, single: list[str], cell_number: int) -> str:
    """The HTML of one output with a row of labelled players in place of each
    audio_table, and names from ``single`` (then a numbered fallback) for the rest."""
    text = _PLAYERS.sub(_players_row, text)
    names = iter(single)

    def name(match: re.Match) -> str:
        label = next(names, f"Audio output of code cell {cell_number}")
        return f'<audio aria-label="{html.escape(label, quote=True)}"'

    return _AUDIO_TAG.sub(name, text)


# ---------------------------------------------------------------- the doctree pass


def _cell_index(node: nodes.Node) -> int | None:
    while node is not None:
        if isinstance(node, nodes.Element) and node.get("cell_index") is not None:
            return node["cell_index"]
        node = node.parent
    return None


def _is_path(alt: str | None) -> bool:
    return not alt or bool(re.search(r"\.(png|jpe?g|svg|gif)$", alt.strip(), re.I))


def describe_notebook_outputs(app, doctree) -> None:
    path = Path(str(app.env.doc2path(app.env.docname)))
    if path.suffix != ".ipynb":
        return
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    sources = ["".join(cell["source"]) if cell["cell_type"] == "code" else ""
               for cell in cells]
    for image in list(doctree.findall(nodes.image)):
        index = _cell_index(image)
        if index is not None and _is_path(image.get("alt")):
            image["alt"] = figure_alt(sources, index)
    for raw in list(doctree.findall(nodes.raw)):
        index = _cell_index(raw)
        if index is None or "html" not in raw.get("format", "").split():
            continue
        text = raw.astext()
        if "<audio" not in text:
            continue
        raw[:] = [nodes.Text(label_players(text, player_names(sources[index]), index + 1))]


# --------------------------------------------------------------- bases on the API page


def public_bases(app, name, obj, options, bases: list) -> None:
    """Replace a private base class (its name starts with "_") by its own bases."""
    result: list = []
    pending = list(bases)
    while pending:
        base = pending.pop(0)
        if getattr(base, "__name__", "").startswith("_") and hasattr(base, "__bases__"):
            pending[:0] = list(base.__bases__)
        elif base not in result:
            result.append(base)
    bases[:] = result


def setup(app):
    app.setup_extension("sphinx.ext.autodoc")  # its event is connected below
    app.setup_extension("audiotut_i18n")       # the two editions (book/_ext/audiotut_i18n.py)
    app.connect("html-page-context", dedupe_scripts, priority=900)
    app.connect("doctree-read", describe_notebook_outputs)
    app.connect("autodoc-process-bases", public_bases)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
