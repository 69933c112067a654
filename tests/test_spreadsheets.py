"""The one rule every export follows: no cell a spreadsheet would run as a formula."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commitments.domain.spreadsheets import FORMULA_STARTS, inert_cell


@pytest.mark.parametrize(
    "text", ["=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", "=cmd|' /C calc'!A0"]
)
def test_text_that_starts_like_a_formula_gets_an_apostrophe(text):
    assert inert_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Amazon", "", "'already quoted", 42, -5, None, 1.5])
def test_other_values_are_left_alone(value):
    assert inert_cell(value) == value


@given(st.text())
def test_no_text_comes_out_starting_like_a_formula(text):
    cell = inert_cell(text)
    assert not cell.startswith(FORMULA_STARTS)
    assert cell in (text, "'" + text)
