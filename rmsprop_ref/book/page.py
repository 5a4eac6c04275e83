"""Put a value computed on a page into that page's prose.

Some numbers a chapter states cannot be fixed in advance: how long a step took depends on the
machine that executed the page. Such a number is computed in a cell, handed to
:func:`glue`, and the prose quotes it with MyST-NB's ``{glue:text}`name``` role, so the
rendered sentence always carries the figure that this execution measured.

MyST-NB (installed with Jupyter Book) does the storing. Where it is missing, in Colab say,
:func:`glue` prints ``name: text`` instead, and the page's prose shows the role unexpanded,
which is all a notebook viewer can show anyway.

:func:`show_error` is for a cell whose point is an error: it prints the exception's one line,
the way a reader needs to see it, instead of a traceback full of the build machine's paths.
:func:`expect_logs` is for a cell whose point is a message a library logs: it collects the
records for the cell to print, and fails when the message goes away.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def glue(name: str, value, fmt: str | None = None) -> None:
    """Store ``value`` for the prose under ``name``.

    ``value`` is a string, or a number formatted with ``fmt`` (a format spec such as ``".2f"``).
    The text is stored, not the number, so the page shows exactly the digits the cell printed.
    Nothing is returned, so a cell that ends with a call to :func:`glue` shows no echo of it.
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
    except ImportError:  # no MyST-NB (e.g. Colab): nothing to store into, so show it
        print(f"{name}: {text}")
        return
    myst_glue(name, text, display=False)


@contextmanager
def show_error(*expected: type[BaseException]) -> Iterator[None]:
    """Run the block, which must raise one of ``expected``, and print that error in one line.

    The line reads ``TypeError: <message>``, the exception's type and message, which is what
    the page wants to show of an error. Any other exception propagates unchanged, and a block
    that raises nothing is itself an error (:class:`AssertionError`), so the cell still fails
    when the behaviour it shows goes away.
    """
    if not expected or not all(isinstance(kind, type) and issubclass(kind, BaseException) for kind in expected):
        raise TypeError(f"expected must be one or more exception classes, got {expected!r}")
    try:
        yield
    except expected as error:
        print(f"{type(error).__name__}: {error}")
    else:
        names = " or ".join(kind.__name__ for kind in expected)
        raise AssertionError(f"the block raised no {names}")


class _Collect(logging.Handler):
    def __init__(self, level: int):
        super().__init__(level)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def expect_logs(logger: str, level: str | int = "WARNING") -> Iterator[list]:
    """Collect what the logger called ``logger`` logs at ``level`` or above inside the block.

    Yields the list that receives the log records (``record.getMessage()`` is the text). While the block runs, the records go to that list only, not to the console,
    as with ``unittest.TestCase.assertLogs``; a block that logs nothing at that level is
    an error (:class:`AssertionError`), so the cell still fails when the message goes away.
    """
    target = logging.getLogger(logger)
    number = logging.getLevelName(level) if isinstance(level, str) else level
    if not isinstance(number, int):
        raise ValueError(f"level must be a logging level such as 'WARNING', got {level!r}")
    handler = _Collect(number)
    saved = target.handlers[:], target.level, target.propagate
    target.handlers, target.propagate = [handler], False
    target.setLevel(handler.level)
    try:
        yield handler.records
    finally:
        target.handlers, target.propagate = saved[0], saved[2]
        target.setLevel(saved[1])
    if not handler.records:
        raise AssertionError(
            f"the block logged nothing to {logger!r} at {logging.getLevelName(handler.level)} or above"
        )
