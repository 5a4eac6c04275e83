"""rmsprop_ref.book.page.glue: what it stores for MyST-NB, and its errors."""

import sys

import pytest

from rmsprop_ref.book import page

GLUE_MIME = "application/papermill.record/text/plain"


@pytest.fixture
def shown(monkeypatch):
    """Capture what myst_nb.glue hands to IPython's display."""
    import myst_nb.ext.glue as myst_glue_module

    calls = []
    monkeypatch.setattr(myst_glue_module, "ipy_display", lambda data, **kwargs: calls.append((data, kwargs)))
    return calls


def test_number_is_stored_as_its_formatted_text(shown):
    assert page.glue("ratio", 3.14159, ".2f") is None
    [(data, kwargs)] = shown
    # Stored as a str's repr: MyST-NB's {glue:text} role strips the quotes again.
    assert data[GLUE_MIME] == "'3.14'"
    assert kwargs["metadata"]["scrapbook"]["name"] == "ratio"


def test_numpy_scalar_is_formatted_not_repr(shown):
    import numpy as np

    page.glue("ns", np.float64(0.5), ".1f")
    assert shown[0][0][GLUE_MIME] == "'0.5'"


def test_string_is_stored_as_is(shown):
    page.glue("words", "between 2 and 3")
    assert shown[0][0][GLUE_MIME] == "'between 2 and 3'"


def test_without_myst_nb_it_prints_the_text(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "myst_nb", None)  # makes `import myst_nb` fail
    assert page.glue("ratio", 2.0, ".1f") is None
    assert capsys.readouterr().out == "ratio: 2.0\n"


@pytest.mark.parametrize("name", ["", "1st", "a-b", "a b", None])
def test_bad_name(name, shown):
    with pytest.raises(ValueError, match="name must be a Python identifier"):
        page.glue(name, "x")
    assert shown == []


def test_number_without_fmt(shown):
    with pytest.raises(TypeError, match="value must be a str when fmt is None.*fmt='.2f'"):
        page.glue("ratio", 2.5)
    assert shown == []


def test_fmt_that_does_not_fit(shown):
    with pytest.raises(ValueError, match="fmt '.2f' cannot format value 'abc'"):
        page.glue("ratio", "abc", ".2f")
    assert shown == []


def test_show_error_prints_one_line(capsys):
    with page.show_error(ValueError):
        raise ValueError("rho must be in [0, 1), got 1.5")
    assert capsys.readouterr().out == "ValueError: rho must be in [0, 1), got 1.5\n"


def test_show_error_accepts_any_of_several(capsys):
    with page.show_error(KeyError, TypeError):
        raise TypeError("lr is not accepted")
    assert capsys.readouterr().out == "TypeError: lr is not accepted\n"


def test_show_error_fails_when_nothing_is_raised():
    with pytest.raises(AssertionError, match="raised no ValueError"):
        with page.show_error(ValueError):
            pass


def test_show_error_lets_another_error_through():
    with pytest.raises(KeyError):
        with page.show_error(ValueError):
            raise KeyError("x")


@pytest.mark.parametrize("expected", [(), ("ValueError",), (int,)])
def test_show_error_needs_exception_classes(expected):
    with pytest.raises(TypeError, match="expected must be one or more exception classes"):
        with page.show_error(*expected):
            pass


def test_expect_logs_collects_the_records_and_restores_the_logger(capsys):
    import logging

    log = logging.getLogger("rmsprop_ref.test_page")
    before = log.handlers[:], log.level, log.propagate
    with page.expect_logs("rmsprop_ref.test_page", "WARNING") as records:
        log.info("too quiet")
        log.warning("argument %s is deprecated", "lr")
    assert [r.getMessage() for r in records] == ["argument lr is deprecated"]
    assert (log.handlers, log.level, log.propagate) == before
    assert capsys.readouterr().err == ""  # collected, not printed


def test_expect_logs_fails_when_nothing_is_logged():
    with pytest.raises(AssertionError, match="logged nothing"):
        with page.expect_logs("rmsprop_ref.test_page", "WARNING"):
            pass
    with pytest.raises(ValueError, match="level"):
        with page.expect_logs("rmsprop_ref.test_page", "LOUD"):
            pass
