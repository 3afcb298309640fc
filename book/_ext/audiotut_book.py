"""Sphinx fix-ups for the audiotut book (loaded through _config.yml's local_extensions).

sphinx-thebe 0.3.1 registers its inline configuration script twice under Jupyter
Book 1.0.4, once with the file name ``None`` and once with ``""``, so Sphinx does not
see the duplicate; every page then declared ``const THEBE_JS_URL`` twice and the
browser reported a SyntaxError. Pages here get
each script once. tests/test_book.py checks that no page has a console error.
"""

from __future__ import annotations


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


def setup(app):
    app.connect("html-page-context", dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
