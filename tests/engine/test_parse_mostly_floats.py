"""parse_number of a big object column of Python floats with a few other cells (text typed
into a Quantity column): the floats read as a float column is, the rest cell by cell, give
the same values, blanks and problems as reading every cell one by one."""
import math

import numpy as np
import pandas as pd
import pytest

from massbal.engine import parse

N = parse.SMALL + 1000
ODD = ["12,5", "1,000", "abc", "  ", "", "#N/A", " 7 ", "1.234,5", "1,234", None, "inf", "nan"]


def one_by_one(col):
    return parse._parse_number(col)


def same(got, want):
    pd.testing.assert_series_equal(got.values, want.values, check_exact=True)
    pd.testing.assert_series_equal(got.blank, want.blank, check_exact=True)
    pd.testing.assert_series_equal(got.problem, want.problem, check_exact=True)
    assert np.signbit(got.values.to_numpy()).tolist() == np.signbit(want.values.to_numpy()).tolist()


def column(rng, odd, extra=()):
    values = rng.choice([0.5, 1.0, 2.25, 1e9, math.nan, math.inf, -math.inf, -3.0, 0.0], N).tolist()
    values += list(odd) + list(extra)
    rng.shuffle(values)
    return pd.Series(values, dtype=object, index=pd.RangeIndex(3, 3 + len(values)))


@pytest.mark.parametrize("odd", [ODD, ["only one text"], ODD * 450])
def test_mostly_floats_read_as_each_cell_is(odd):
    col = column(np.random.default_rng(5), odd)
    assert parse._mostly_floats(col) is not None
    same(parse.parse_number(col), one_by_one(col))


@pytest.mark.parametrize("extra", [[-0.0], [True], [1], [np.float64(2.0)], [pd.Timestamp("2025-01-01")]])
def test_cells_the_one_by_one_reading_takes_as_equal_keep_that_reading(extra):
    col = column(np.random.default_rng(6), ODD, extra)
    assert parse._mostly_floats(col) is None
    same(parse.parse_number(col), one_by_one(col))


def test_mostly_text_is_read_one_by_one():
    col = pd.Series(["1"] * N + [1.0] * 10, dtype=object)
    assert parse._mostly_floats(col) is None
