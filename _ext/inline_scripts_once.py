"""Sphinx extension: write each <script> of a page once.

Sphinx 7.4 lists an inline script twice when an extension adds it after the HTML builder
has started: once as given (file name ``None``) and once more, as ``''``, when it prepares
the writing phase, and the two do not compare equal. sphinx-thebe, which Jupyter Book
loads, adds its configuration that way (``const THEBE_JS_URL = ...`` at
``env-before-read-docs``), so without this every page would throw
"Identifier 'THEBE_JS_URL' has already been declared" in the reader's browser.
``make site-check`` fails on that error; this extension removes the duplicate.
"""

from __future__ import annotations


def _script_key(script) -> tuple:
    return (script.filename or "", script.priority, tuple(sorted(script.attributes.items())))


def _write_each_script_once(app, pagename, templatename, context, doctree) -> None:
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
    # A new list: the builder's own list of scripts is shared by all pages.
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", _write_each_script_once, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
