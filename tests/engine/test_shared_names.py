"""load._shared_names: the big lot and batch columns of every table read as one column and
matched on shared codes give the same typed tables, codes, variants and findings as each
table read on its own (SHARED_KINDS empty: the per-table reading)."""
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from massbal.engine import load, parse
from massbal.engine.rawbook import RawBook, RawTable

N = parse.SMALL + 500  # every big table takes the whole-column path
CLEAN = ["Lot-1", "lot-1", "LOT-1", "Ｌｏｔ-3", "lot-3", "#N/A", "", None, "Éclair-7", "éclair-7"]
STRAY = CLEAN + [" Lot-1", "Lot-1 ", "Lot  1", "Lot\u00a01", "Lot\t1"]
FILLED = [v for v in CLEAN if v and v != "#N/A"]  # nothing blank or unread: the shared codes kept as they come


def _book(pool: list, shipments_number: bool) -> RawBook:
    rng = np.random.default_rng(11)

    def lots(n: int, prefix: str) -> list:
        pick = [pool[i] for i in rng.integers(0, len(pool), n // 4)]
        return pick + [f"{prefix}-{i}" for i in rng.integers(0, n, n - len(pick))]
    day = dt.datetime(2025, 3, 1)
    receipts = [[day, "Oats", lot, 10.0, "kg"] for lot in lots(N, "R")]
    batches = [[f"B-{i}", day, "Flakes", f"F-{i}", 9.0, "kg"] for i in range(N)]
    inputs = [[f"B-{i % N}" if i % 7 else f"b-{i % N}", "Oats", lot, 1.0, "kg"]
              for i, lot in enumerate(lots(N, "R"))]
    ship_lots = lots(N, "F")
    if shipments_number:
        ship_lots[5] = 1001.0  # not all text: Shipments is read on its own
    shipments = [[day, "Flakes", lot, 1.0, "kg"] for lot in ship_lots]
    losses = [[day, "Oats", 1.0, "kg", lot, "process", f"B-{i}"] for i, lot in enumerate(lots(N, "R"))]
    transfers = [[day, "Oats", lot, 1.0, "kg", "A", "B"] for lot in ["Lot-1", "LOT-1", "new-1", "R-3", "F-9", None]]
    counts = [[day, "Oats", 5.0, "kg", lot] for lot in ["lot-3", "R-4", "only-counted"]]

    def t(name, headers, recs):
        return RawTable.from_records(name, headers, recs)
    return RawBook({
        "Items": t("Items", ["Item", "Unit"], [["Oats", "kg"], ["Flakes", "kg"]]),
        "Receipts": t("Receipts", ["Date", "Item", "Lot", "Quantity", "Unit"], receipts),
        "Batches": t("Batches", ["Batch", "Date", "Item", "Lot", "Quantity", "Unit"], batches),
        "BatchInputs": t("BatchInputs", ["Batch", "Item", "Lot", "Quantity", "Unit"], inputs),
        "Shipments": t("Shipments", ["Date", "Item", "Lot", "Quantity", "Unit"], shipments),
        "Losses": t("Losses", ["Date", "Item", "Quantity", "Unit", "Lot", "Reason", "Batch"], losses),
        "Transfers": t("Transfers", ["Date", "Item", "Lot", "Quantity", "Unit", "From", "To"], transfers),
        "Counts": t("Counts", ["Date", "Item", "Quantity", "Unit", "Lot"], counts),
    })


@pytest.mark.parametrize("pool, shipments_number, shared", [
    (CLEAN, False, {"lot", "batch"}),  # case and width variants, errors, blanks: codes stand for texts
    (CLEAN, True, {"lot", "batch"}),  # a table read on its own, its names looked up among the shared
    (FILLED, False, {"lot", "batch"}),  # the lots keep their shared codes as they are (no factorize)
    (STRAY, False, {"batch"}),  # stray white space cleaned into another's spelling: lots per table
])
def test_shared_reading_equals_per_table_reading(monkeypatch, pool, shipments_number, shared):
    raw = _book(pool, shipments_number)
    assert set(load._shared_names(raw)[1]) == shared
    got = load.load_book(raw)
    monkeypatch.setattr(load, "SHARED_KINDS", ())
    assert load._shared_names(raw) == ({}, {})
    want = load.load_book(raw)
    assert want.codes.keys() == got.codes.keys()
    for kind in want.codes:
        assert got.codes[kind].dtype == want.codes[kind].dtype
        assert got.codes[kind].tolist() == want.codes[kind].tolist(), kind
    assert got.variants == want.variants and got.variants["lot"]
    for name in want.tables:
        pd.testing.assert_frame_equal(got.tables[name], want.tables[name], check_exact=True)
    pd.testing.assert_frame_equal(got.items, want.items, check_exact=True)
    pd.testing.assert_frame_equal(got.findings, want.findings, check_exact=True)
