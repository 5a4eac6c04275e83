"""Put a value computed on a page into that page's prose.

Some numbers a chapter states cannot be fixed in advance: how long a step took depends on the
machine that executed the page. Such a number is computed in a cell, handed to
:func:`glue`, and the prose quotes it with MyST-NB's ``{glue:text}`name``` role, so the
rendered sentence always carries the figure that this execution measured.

MyST-NB (installed with Jupyter Book) does the storing. Where it is missing, in Colab say,
:func:`glue` stores nothing and only returns the text: the cell prints it, and the page's
prose shows the role unexpanded, which is all a notebook viewer can show anyway.
"""

from __future__ import annotations

import re

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def glue(name: str, value, fmt: str | None = None) -> str:
    """Store ``value`` for the prose under ``name`` and return the text that the prose will show.

    ``value`` is a string, or a number formatted with ``fmt`` (a format spec such as ``".2f"``).
    The text is stored, not the number, so the page shows exactly the digits the cell printed.
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"name must be a Python identifier (letters, digits, _), got {name!r}")
    if fmt is None:
        if not isinstance(value, str):
            raise TypeError(
                f"value must be a str when fmt is None, got {type(value).__name__};"
                " pass fmt (e.g. fmt='.2f') to format a number"
            )
        text = value
    else:
        try:
            text = format(value, fmt)
        except (TypeError, ValueError) as error:
            raise ValueError(f"fmt {fmt!r} cannot format value {value!r}: {error}") from None
    try:
        from myst_nb import glue as myst_glue
    except ImportError:  # no MyST-NB (e.g. Colab): nothing to store into
        return text
    myst_glue(name, text, display=False)
    return text
