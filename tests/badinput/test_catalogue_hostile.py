"""The bad-input catalogue, continued: the cases of issue 14 (a careless user, a hostile
file). Each is a real .xlsx read by the real reader; each failed before its fix."""
import datetime as dt

import openpyxl
import pytest

from massbal.engine.api import reconcile
from massbal.io.read_xlsx import BookReadError, read_book

from test_catalogue import CERTS, OK_RECEIPT, RECEIPT_HEAD, finding, received, run

COUNT_HEAD = ["Date", "Item", "Quantity", "Unit"]


def tolerance_book(path, tolerance, number_format=None, settings=None):
    """1,000 lb of oats received, 970 counted at the end of March: a 3 % shortfall."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    sheets = {"Items": [["Item", "Kind", "Tolerance %"], ["Oats", "Ingredient", tolerance]],
              "Certificates": CERTS, "Receipts": [RECEIPT_HEAD, OK_RECEIPT],
              "Counts": [COUNT_HEAD, [dt.date(2025, 3, 31), "Oats", 970, "lb"]]}
    if settings:
        sheets["Settings"] = [["Setting", "Value"]] + [list(r[:2]) for r in settings]
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    if number_format:
        wb["Items"]["C2"].number_format = number_format
    for i, r in enumerate(settings or [], start=2):
        if len(r) > 2:
            wb["Settings"].cell(i, 2).number_format = r[2]
    wb.save(path)
    return reconcile(read_book(path), "2025-03-01", "2025-03-31", today=dt.date(2025, 6, 1))


def oats(rec):
    return rec.balances[rec.balances["item"] == "Oats"].iloc[0]


# ---- 2. a Tolerance % below 1 is what it says, unless the cell is formatted as a percentage

def test_half_a_percent_typed_as_a_number_is_half_a_percent(tmp_path):
    b = oats(tolerance_book(tmp_path / "t.xlsx", 0.5))
    assert b.tolerance_pct == 0.5 and b.variance_pct == pytest.approx(-3.0)
    assert b.status == "INVESTIGATE"  # was 50 %: PASS


def test_a_cell_formatted_as_percent_holds_a_fraction(tmp_path):
    b = oats(tolerance_book(tmp_path / "t.xlsx", 0.005, "0.0%"))  # shows 0.5%
    assert b.tolerance_pct == pytest.approx(0.5) and b.status == "INVESTIGATE"
    b = oats(tolerance_book(tmp_path / "t2.xlsx", 0.05, "0%"))  # shows 5%
    assert b.tolerance_pct == pytest.approx(5.0) and b.status == "PASS"


@pytest.mark.parametrize("value,fmt", [(-2, None), (250, None), (5, "0%")])  # 5 formatted as % is 500 %
def test_negative_or_absurd_tolerance_is_bad_value(tmp_path, value, fmt):
    rec = tolerance_book(tmp_path / "t.xlsx", value, fmt)
    assert finding(rec, "BAD_VALUE") == ("Items", 2, "Tolerance %")
    assert oats(rec).tolerance_pct == 5.0 and oats(rec).status == "PASS"  # the default, said at the cell


def test_settings_tolerance_follows_the_same_rule(tmp_path):
    rec = tolerance_book(tmp_path / "s.xlsx", None, settings=[["Tolerance %", 0.5]])
    assert oats(rec).tolerance_pct == 0.5 and oats(rec).status == "INVESTIGATE"
    rec = tolerance_book(tmp_path / "s2.xlsx", None, settings=[["Tolerance %", 0.04, "0%"]])
    assert oats(rec).tolerance_pct == pytest.approx(4.0) and oats(rec).status == "PASS"
    rec = tolerance_book(tmp_path / "s3.xlsx", None, settings=[["Tolerance %", -1]])
    assert finding(rec, "BAD_VALUE") == ("Settings", 2, "Value")


# ---- 10. a run that consumes its own output lot: only that input is blamed

def test_lot_cycle_blames_only_the_input_that_closes_the_circle(tmp_path):
    extra = {"Batches": [["Batch", "Date", "Item", "Lot", "Quantity", "Unit"],
                         ["B1", dt.date(2025, 3, 3), "Granola", "G1", 900, "lb"]],
             "BatchInputs": [["Batch", "Item", "Lot", "Quantity", "Unit"],
                             ["B1", "Oats", "L1", 800, "lb"],  # received: innocent
                             ["B1", "Granola", "G1", 100, "lb"]]}  # its own output: the circle
    rec = run(tmp_path, extra=extra)
    cyc = rec.findings[rec.findings["code"] == "LOT_CYCLE"]
    assert [(r.sheet, int(r.row), r.column) for r in cyc.itertuples()] == [("BatchInputs", 3, "Lot")]
    assert "L1" not in " ".join(cyc["message"])


# ---- 11. a name longer than a message can quote

def test_a_huge_name_is_quoted_short_and_the_advice_survives(tmp_path):
    name = "Oats " + "x" * 32_000  # near Excel's 32,767 characters per cell
    row = [dt.date(2025, 3, 2), name, "L9", 10, "lb", "Andes", "C1"]
    rec = run(tmp_path, receipts=[OK_RECEIPT, row])
    f = rec.findings[rec.findings["code"] == "UNKNOWN_ITEM"].iloc[0]
    assert (f.sheet, int(f.row), f.column) == ("Receipts", 3, "Item")
    assert len(f.message) <= 1_000 and "32,005 characters" in f.message and "Items sheet" in f.message
    assert all(len(m) <= 1_000 for m in rec.findings["message"])
