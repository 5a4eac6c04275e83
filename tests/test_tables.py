"""Tests of rmsprop_ref.book.tables: the book's one text table and one Markdown table."""

import pytest

from rmsprop_ref.book.tables import markdown_table, number, text_table


def test_text_table_aligns_names_left_and_numbers_right():
    lines = text_table(["name", "x", "long header"], [["a", "1", "2.5"], ["bbb", "10", "0.25"]]).splitlines()
    assert lines == [
        "name   x  long header",
        "a      1          2.5",
        "bbb   10         0.25",
    ]


def test_text_table_without_header_and_with_more_left_columns():
    assert text_table(None, [["a", "b", "1"], ["cc", "d", "10"]], left=2).splitlines() == ["a   b   1", "cc  d  10"]


def test_text_table_refuses_a_row_of_the_wrong_length():
    with pytest.raises(ValueError, match="row 1 has 1 cells; every row needs 2 cells"):
        text_table(["a", "b"], [["x", "1"], ["y"]])
    with pytest.raises(ValueError, match="at least one row"):
        text_table(None, [])
    with pytest.raises(ValueError, match="left"):
        text_table(["a"], [["x"]], left=2)


def test_markdown_table_aligns_the_first_column_left_and_the_others_right():
    text = markdown_table(["name", "x", "y"], [["a", "1", "2"]])
    assert text.splitlines() == ["| name | x | y |", "|:--|--:|--:|", "| a | 1 | 2 |"]
    assert markdown_table(["a", "b"], [], left=2).splitlines()[1] == "|:--|:--|"
    with pytest.raises(ValueError, match="row 0 has 2 cells; every row needs 1 cells"):
        markdown_table(["a"], [["x", "y"]])


@pytest.mark.parametrize(
    "value, fmt, text",
    [
        (0.5, ".3f", "0.500"),
        (1234.5, ".3g", "1230"),  # format() would give 1.23e+03
        (5e-5, ".2e", "5×10⁻⁵"),
        (1.5e-5, ".2g", "1.5×10⁻⁵"),
        (1e4, ".0e", "10⁴"),
        (2.5e-5, None, "2.5×10⁻⁵"),
        (float("inf"), ".2e", "inf"),
    ],
)
def test_number_never_writes_e_notation(value, fmt, text):
    assert number(value, fmt) == text
