"""A Tolerance % below 1 read through xlwings' remote engine (what xlwings Lite runs),
which cannot see number formats: read as typed (0.5 means 0.5 %), and said at the cell;
never multiplied by 100 on a guess (issue 14, item 2)."""
import xlwings as xw
from payload import payload_from_xlsx, write_book

from massbal.engine.api import reconcile
from massbal.excel.adapter import read_raw_book


def test_lite_reads_a_small_tolerance_as_typed_and_says_so(tmp_path):
    tables = {"Items": [{"Item": "Oats", "Kind": "Ingredient", "Tolerance %": 0.5}],
              "Receipts": [{"Date": "2025-03-01", "Item": "Oats", "Lot": "L1", "Quantity": 1000, "Unit": "lb"}],
              "Counts": [{"Date": "2025-03-31", "Item": "Oats", "Quantity": 970, "Unit": "lb"}]}
    book = xw.Book(json=payload_from_xlsx(write_book(tmp_path / "t.xlsx", tables)))
    raw = read_raw_book(book)
    assert raw.get("Items").percent == {}  # formats unknown on this engine
    rec = reconcile(raw, "2025-03-01", "2025-03-31")
    b = rec.balances.iloc[0]
    assert b.tolerance_pct == 0.5 and b.status == "INVESTIGATE"  # a 3 % shortfall
    f = rec.findings[(rec.findings["code"] == "BAD_VALUE") & (rec.findings["sheet"] == "Items")].iloc[0]
    assert f.severity == "warning" and f.column == "Tolerance %" and "type 50" in f.message
