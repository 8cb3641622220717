"""load.read_columns: a table's columns read ahead (the CLI reads each table as it arrives,
RawBook.read) give load_book the same typed tables, codes, variants and findings as
load_book reading them itself; load_book takes them (not held past it), and uses them
only for the very data frame they were read from."""
from dataclasses import replace

import pandas as pd
import pytest
from test_shared_names import CLEAN, STRAY, _book

from massbal.engine import load
from massbal.engine.parse import Parsed
from massbal.engine.rawbook import RawTable


def same(got, want):
    assert got.codes.keys() == want.codes.keys()
    for kind in want.codes:
        assert got.codes[kind].tolist() == want.codes[kind].tolist(), kind
    assert got.variants == want.variants
    for name in want.tables:
        pd.testing.assert_frame_equal(got.tables[name], want.tables[name], check_exact=True)
    pd.testing.assert_frame_equal(got.items, want.items, check_exact=True)
    pd.testing.assert_frame_equal(got.findings, want.findings, check_exact=True)


def _with_mistakes(raw):
    """A bad quantity and date, a Losses table without its required Item column."""
    tables = dict(raw.tables)
    r = tables["Receipts"]
    data = r.data.copy()
    data.iloc[3, 3] = "lots"
    data.iloc[4, 0] = "31/02/2025"
    tables["Receipts"] = replace(r, data=data)
    losses = tables["Losses"]
    tables["Losses"] = RawTable.from_records("Losses", ["Date", "Thing", "Quantity", "Unit"],
                                             losses.data.iloc[:5, [0, 1, 2, 3]].values.tolist())
    return replace(raw, tables=tables)


@pytest.mark.parametrize("pool, shipments_number, mistakes", [
    (CLEAN, False, False), (STRAY, True, False), (CLEAN, False, True)])
def test_columns_read_ahead_give_the_same_book(pool, shipments_number, mistakes):
    raw = _book(pool, shipments_number)
    raw = _with_mistakes(raw) if mistakes else raw
    want = load.load_book(raw)
    if mistakes:
        assert {"BAD_QUANTITY", "BAD_DATE", "MISSING_COLUMN"} <= set(want.findings["code"])
    ahead = {name: load.read_columns(t, raw.date1904) for name, t in raw.tables.items()}
    assert "Lot" not in ahead["Receipts"].parsed and "Quantity" in ahead["Receipts"].parsed  # lots: _shared_names
    assert ahead["Losses"].parsed == {} if mistakes else ahead["Losses"].parsed
    given = replace(raw, read=ahead)
    same(load.load_book(given), want)
    assert given.read == {}  # taken by load_book


def test_columns_read_for_another_frame_are_not_used():
    raw = _book(CLEAN, False)
    want = load.load_book(raw)
    other = raw.get("Receipts").data.copy()
    blank = pd.Series(True, index=other.index)
    nonsense = Parsed(pd.Series(0.0, index=other.index), blank, pd.Series(None, index=other.index, dtype=object))
    stale = load.ColumnsRead(other, {"Quantity": nonsense, "Item": nonsense})
    same(load.load_book(replace(raw, read={"Receipts": stale})), want)
