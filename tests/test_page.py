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
    assert page.glue("ratio", 3.14159, ".2f") == "3.14"
    [(data, kwargs)] = shown
    # Stored as a str's repr: MyST-NB's {glue:text} role strips the quotes again.
    assert data[GLUE_MIME] == "'3.14'"
    assert kwargs["metadata"]["scrapbook"]["name"] == "ratio"


def test_numpy_scalar_is_formatted_not_repr(shown):
    import numpy as np

    assert page.glue("ns", np.float64(0.5), ".1f") == "0.5"
    assert shown[0][0][GLUE_MIME] == "'0.5'"


def test_string_is_stored_as_is(shown):
    assert page.glue("words", "between 2 and 3") == "between 2 and 3"
    assert shown[0][0][GLUE_MIME] == "'between 2 and 3'"


def test_without_myst_nb_it_only_returns_the_text(monkeypatch):
    monkeypatch.setitem(sys.modules, "myst_nb", None)  # makes `import myst_nb` fail
    assert page.glue("ratio", 2.0, ".1f") == "2.0"


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
