"""The one notes carrier (massbal.layout.notes), on its own: which old cell goes to which
new row, and which becomes an orphan. Both faces hand it their old table (the package
writer's cells, xlwings' values), so what holds here holds for the command line and the
ribbon alike; tests/excel/test_same_sheets.py checks the two end to end."""
from __future__ import annotations

import pandas as pd

from massbal.layout.notes import OldRows, Orphan, carry, final_order
from massbal.layout.sheets import ColumnSpec, SheetSpec


def _spec(items: list[str], keys=("Item", "Start")) -> SheetSpec:
    cols = (ColumnSpec("Item", "text", 20), ColumnSpec("Start", "date", 12), ColumnSpec("Qty", "quantity", 12),
            ColumnSpec("Notes", "note", 30))
    data = {"Item": pd.Series(items, dtype="string"),
            "Start": pd.Series(pd.to_datetime(["2025-10-01"] * len(items))),
            "Qty": pd.Series([1.0] * len(items))}
    return SheetSpec("Balance", cols, data, keys, ("Notes",))


def _old(rows: list[dict], first_row: int = 2) -> OldRows:
    headers = list(rows[0])
    content = {i: [(h, r[h]) for h in headers if h in ("Notes", "Mine") and r[h] is not None]
               for i, r in enumerate(rows)}
    return OldRows(headers, first_row, len(rows), {i: c for i, c in content.items() if c},
                   lambda h, kind, idx: [rows[i][h] for i in idx])


def test_notes_follow_their_key_and_a_gone_key_is_an_orphan():
    spec = _spec(["Acorns", "Almonds", "Oats"])
    old = _old([{"Item": "Almonds", "Start": "2025-10-01", "Qty": 5, "Notes": "recount", "Mine": None},
                {"Item": "Rye", "Start": pd.Timestamp("2025-10-01"), "Qty": 1, "Notes": "gone", "Mine": "x"}])
    order = final_order(spec, old.headers)
    assert order == ["Item", "Start", "Qty", "Notes", "Mine"]
    got = carry(spec, order, old)
    assert got.cells == {"Notes": {1: "recount"}, "Mine": {}}
    assert [(o.key, o.column, o.cell) for o in got.orphans] == [
        ("Rye | 2025-10-01", "Notes", "gone"), ("Rye | 2025-10-01", "Mine", "x")]
    assert got.kept == 1


def test_an_earlier_orphan_returns_unless_its_cell_is_taken():
    spec = _spec(["Almonds", "Oats"])
    old = _old([{"Item": "Almonds", "Start": "2025-10-01", "Qty": 5, "Notes": "typed since"}])
    earlier = [(7, Orphan("Balance", "Almonds | 2025-10-01", "Notes", "older")),
               (8, Orphan("Balance", "Oats | 2025-10-01", "Notes", "back")),
               (9, Orphan("Supply", "Oats | 2025-10-01", "Notes", "another sheet's"))]
    got = carry(spec, final_order(spec, old.headers), old, earlier)
    assert got.cells["Notes"] == {0: "typed since", 1: "back"}
    assert got.reattached == {8} and got.kept == 2 and got.orphans == []


def test_rows_without_keys_are_described_by_their_row():
    spec = _spec(["Oats"], keys=())
    old = _old([{"Item": "Oats", "Start": "2025-10-01", "Qty": 5, "Notes": None},
                {"Item": "Rye", "Start": "2025-10-02", "Qty": 1, "Notes": "checked"}], first_row=4)
    got = carry(spec, final_order(spec, old.headers), old)
    assert got.cells["Notes"] == {}
    assert [(o.key, o.cell) for o in got.orphans] == [("row 5: Rye", "checked")]


def test_a_table_without_all_its_key_columns_orphans_its_notes():
    spec = _spec(["Almonds"])
    old = _old([{"Item": "Almonds", "Qty": 5, "Notes": "recount"}])
    got = carry(spec, final_order(spec, old.headers), old)
    assert got.cells["Notes"] == {} and [o.cell for o in got.orphans] == ["recount"]


def test_repeated_keys_keep_their_own_notes():
    spec = _spec(["Almonds", "Almonds"])
    old = _old([{"Item": "Almonds", "Start": "2025-10-01", "Qty": 5, "Notes": "first"},
                {"Item": "Almonds", "Start": "2025-10-01", "Qty": 5, "Notes": "second"}])
    got = carry(spec, final_order(spec, old.headers), old)
    assert got.cells["Notes"] == {0: "first", 1: "second"} and got.orphans == []
