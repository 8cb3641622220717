"""Issue 9, item 3: rows typed or pasted just under an Excel Table are read as part of it
(Excel grows a table when you type there) and an info finding says so; never dropped
silently. A real workbook from `massbal new`, filled in with openpyxl as another program
would, its Tables left at five data rows."""
import datetime as dt

import openpyxl
import pytest

from massbal.books.template import write_template
from massbal.engine.api import reconcile
from massbal.xlsx.read.read_book import read_book


def _filled(tmp_path, receipts, gap=False):
    path = write_template(tmp_path / "book.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["Items"]["A2"], wb["Items"]["B2"] = "Oats", "Ingredient"
    ws = wb["Receipts"]  # the Receipts table is A1:L6: data rows 2 to 6
    for i, (day, qty) in enumerate(receipts):
        r = 2 + i + (1 if gap and i >= 5 else 0)
        for col, v in zip("ABCDEHI", (dt.date(2025, 3, day), "Oats", f"L{i + 1}", qty, "lb", None, "No"),
                          strict=True):
            if v is not None:
                ws[f"{col}{r}"] = v
    wb.save(path)
    assert wb["Receipts"].tables["Receipts"].ref == "A1:L6"  # the table did not grow
    return path


SEVEN = [(1, 100), (2, 100), (3, 100), (4, 100), (5, 100), (6, 40), (7, 2)]


def test_rows_just_under_a_table_count_and_are_said(tmp_path):
    rec = reconcile(read_book(_filled(tmp_path, SEVEN)), "2025-03-01", "2025-03-31")
    assert float(rec.balances.iloc[0]["received"]) == 542.0  # 5 x 100 + 40 + 2, by hand
    f = rec.findings[rec.findings["code"] == "ROWS_BELOW_TABLE"]
    assert len(f) == 1
    r = f.iloc[0]
    assert (r.severity, r.sheet, int(r.row)) == ("info", "Receipts", 7)
    assert r.message.startswith("Rows 7 to 8 are just below the Excel Table 'Receipts', which ends at row 6.")


def test_a_blank_row_ends_the_table_and_what_follows_is_said(tmp_path):
    """Rows after a blank row under the table may be something else (notes, another
    block): not counted, but a warning at the first of them says so."""
    path = _filled(tmp_path, SEVEN, gap=True)  # rows 2-6 in the table, 7 blank, 8-9 filled
    t = read_book(path).get("Receipts")
    assert list(t.rows) == [2, 3, 4, 5, 6]
    assert t.below_table_from is None and t.detached_row == 8
    rec = reconcile(read_book(path), "2025-03-01", "2025-03-31")
    assert float(rec.balances.iloc[0]["received"]) == 500.0
    f = rec.findings[rec.findings["code"] == "ROWS_BELOW_TABLE"]
    assert [(r.severity, r.sheet, int(r.row)) for r in f.itertuples()] == [("warning", "Receipts", 8)]
    assert "does not count it" in f.iloc[0].message


@pytest.mark.parametrize("n", [5, 3])
def test_a_table_with_room_left_has_no_finding(tmp_path, n):
    rec = reconcile(read_book(_filled(tmp_path, SEVEN[:n])), "2025-03-01", "2025-03-31")
    assert not (rec.findings["code"] == "ROWS_BELOW_TABLE").any()
    assert float(rec.balances.iloc[0]["received"]) == 100.0 * n
