"""Close period, Reopen and the Change log in xlwings Lite: the scripts of addin/lite/main.py
on xlwings' remote engine, the workbook carried from one run to the next as Excel holds it
(CONTRACT section 8). The state lives in the workbook, so nothing here is on disk."""
from __future__ import annotations

import pytest
import sheetread as SR
from books import granola_tables
from lite_run import replayed
from payload import payload_from_xlsx, write_book

from massbal.engine.record.closing import CLOSED_SHEET
from massbal.layout.closing import LOG_SHEET, STATE_SHEET

NAME = "Granola.xlsx"


def rows(wb, sheet):
    t = SR.from_replay(wb, sheet, sheet.replace(" ", "_"))
    head = t.cells[0]
    return [dict(zip(head, r, strict=True)) for r in t.cells[1:] if any(v is not None for v in r)]


def select(wb, sheet, cell, value=None):
    """The next run's request: the workbook as the last run left it, a cell selected."""
    if value is not None:
        r = int(cell[1:])
        wb.sheet(sheet).values[(r, ord(cell[0]) - 64)] = value
    p = wb.payload(NAME)
    p["book"]["active_sheet_index"] = [s["name"] for s in p["sheets"]].index(sheet)
    p["book"]["selection"] = cell
    return p


@pytest.fixture()
def first(main, tmp_path):
    xlsx = write_book(tmp_path / NAME, granola_tables(), plain=("Counts",))
    return replayed(main, "reconcile", payload_from_xlsx(xlsx))


def test_reconcile_records_then_close_and_a_closed_edit_is_an_error(main, first):
    log = rows(first, LOG_SHEET)
    assert [e["Change"] for e in log] == ["recorded"]
    assert first.sheet(STATE_SHEET).visibility == "Hidden"   # Office.js' very hidden maps to hidden
    closed = replayed(main, "close_period", select(first, "Counts", "A2"), fresh=False)   # 2025-10-31
    assert any("Closed through 2025-10-31" in a for a in closed.alerts), closed.alerts
    lines = rows(closed, CLOSED_SHEET)
    assert lines[0]["Action"] == "Closed" and lines[0]["Through"] == "2025-10-31"
    assert [e["Change"] for e in rows(closed, LOG_SHEET)] == ["recorded", "closed"]
    # an October receipt edited (2,000 -> 2,500 lb of oats), a November one too
    closed.sheet("Receipts").values[(2, 4)] = 2500
    closed.sheet("Receipts").values[(4, 4)] = 900
    again = replayed(main, "reconcile", select(closed, "Receipts", "A1"), fresh=False)
    exc = [r for r in rows(again, "Exceptions") if r["Code"] == "CLOSED_PERIOD_CHANGED"]
    assert [(r["Sheet"], r["Row"], r["Column"]) for r in exc] == [("Receipts", 2, "Quantity")]
    assert "Quantity was 2000, now 2500" in exc[0]["Message"]
    log = rows(again, LOG_SHEET)
    assert [(e["Change"], e["Row"], e["Old value"], e["New value"]) for e in log[2:]] == [
        ("changed", 2, "2000", "2500"), ("changed", 4, "1000", "900")]
    bal = [r for r in rows(again, "Balance") if r["Item"] == "Oats" and str(r["End"]).startswith("2025-10-31")]
    assert bal and bal[0]["Closed"] == "through 2025-10-31" and "DIFFERS" in bal[0]["As closed"]
    # Reopen with the reason in the selected cell
    back = replayed(main, "reopen", select(again, "Items", "J2", "Weighbridge ticket 4411 corrects OAT-1"),
                    fresh=False)
    assert rows(back, LOG_SHEET)[-1]["Change"] == "reopened"
    assert "Weighbridge ticket 4411" in rows(back, LOG_SHEET)[-1]["New value"]
