"""The issue's key check: a button in Excel writes the sheets the command line writes.

For the same real workbook, the headless path (read_book -> reconcile -> the package
writer, read back with openpyxl) and xlwings Lite's Reconcile script (the adapter on
xlwings' remote engine, fed the workbook as the Office.js client sends it; its actions
applied by replay.Workbook) must give every result table equal cell for cell: headers,
values, number formats, status colours, links, column widths.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import sheetread as SR
from books import granola_tables
from lite_run import replayed
from openpyxl.utils import get_column_letter, range_boundaries
from payload import payload_from_xlsx
from replay import Workbook, as_excel_stores

from massbal.books.demo import write_demo
from massbal.books.template import write_input_book
from massbal.engine.api import reconcile
from massbal.layout.notes import ORPHANS_SHEET, ORPHANS_TABLE
from massbal.layout.sheets import OUTPUT_SHEETS
from massbal.xlsx.read.read_book import read_book
from massbal.xlsx.write.write_results import write_results


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return write_demo(tmp_path_factory.mktemp("demo"))


def _frames(tables: dict[str, list[dict]]) -> dict[str, pd.DataFrame]:
    out = {}
    for name, rows in tables.items():
        frame = pd.DataFrame(rows)
        for col in frame.columns:
            if col in ("Date", "Valid from", "Valid to"):
                frame[col] = pd.to_datetime(frame[col])
        out[name] = frame
    return out


@pytest.fixture(scope="module")
def granola(tmp_path_factory):
    """The template's layout holding lots Excel would read as a number and a date."""
    tables = granola_tables()
    for table in ("Receipts", "BatchInputs"):
        for r in tables[table]:
            r["Lot"] = {"OAT-1": "0042", "ALM-1": "2025-11"}.get(r["Lot"], r["Lot"])
    path = tmp_path_factory.mktemp("granola") / "Granola.xlsx"
    return write_input_book(path, _frames(tables))


def headless(src: Path, dst: Path) -> Path:
    shutil.copyfile(src, dst)
    write_results(str(dst), reconcile(read_book(dst)), backup=False)
    return dst


def assert_same_table(written: Path, excel: Workbook, name: str, table: str | None = None) -> None:
    table = table or name
    SR.assert_same(SR.from_xlsx(written, name, table), SR.from_replay(excel, name, table), name)


@pytest.mark.parametrize("book", ["demo", "granola"])
def test_reconcile_button_writes_the_headless_sheets(request, main, tmp_path, book):
    src = request.getfixturevalue(book)
    written = headless(src, tmp_path / "headless.xlsx")
    excel = replayed(main, "reconcile", payload_from_xlsx(src))
    for name in OUTPUT_SHEETS + ("Dashboard",):   # the Dashboard's data table too, right of its charts
        assert_same_table(written, excel, name)
    assert excel.alerts and "balances" in excel.alerts[0]


def test_text_that_looks_like_a_number_or_date_stays_text(main, granola):
    excel = replayed(main, "reconcile", payload_from_xlsx(granola))
    ledger = SR.from_replay(excel, "Ledger", "Ledger")
    lots = {r[ledger.cells[0].index("Lot")] for r in ledger.cells[1:]}
    assert {"0042", "2025-11"} <= lots
    # and the model of Excel does turn them into something else without the apostrophe
    assert as_excel_stores("0042", "General") == 42.0
    assert as_excel_stores("2025-11", "General") != "2025-11"


def _type_note(path: Path, sheet: str, item: str, start: str, note: str) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    head = [c.value for c in ws[1]]
    for r in ws.iter_rows(min_row=2):
        if r[head.index("Item")].value == item and str(r[head.index("Start")].value)[:10] == start:
            r[head.index("Notes")].value = note
            break
    else:
        raise AssertionError("no such row")
    wb.save(path)


# Acorns sort first: every Balance row moves down one, so the note must follow its key.
NEW_RECEIPT = {"Date": "2025-10-03", "Item": "Acorns", "Lot": "ACN-1", "Quantity": 50, "Unit": "lb"}


def _add_receipt_xlsx(path: Path) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb["Receipts"]
    table = ws.tables["Receipts"]
    c1, r1, c2, r2 = range_boundaries(table.ref)
    head = [ws.cell(r1, c).value for c in range(c1, c2 + 1)]
    for j, h in enumerate(head):
        v = NEW_RECEIPT.get(h)
        ws.cell(r2 + 1, c1 + j).value = pd.Timestamp(v).to_pydatetime() if h == "Date" else v
    table.ref = f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2 + 1}"
    wb.save(path)


def _add_receipt_excel(book: Workbook) -> None:
    sheet = book.sheet("Receipts")
    c1, r1, c2, r2 = range_boundaries(sheet.tables["Receipts"])
    for c in range(c1, c2 + 1):
        v = NEW_RECEIPT.get(sheet.values.get((r1, c)))
        if v is not None:
            sheet.values[(r2 + 1, c)] = pd.Timestamp(v).to_pydatetime() if c == c1 else v
    sheet.tables["Receipts"] = f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2 + 1}"


def test_second_reconcile_keeps_notes_the_same_way(main, tmp_path, granola):
    # headless: reconcile, the user types a note, adds a receipt, reconcile again
    note = "00 recount: bin 7 was missed"  # text Excel would not keep as typed
    written = headless(granola, tmp_path / "headless.xlsx")
    _type_note(written, "Balance", "Almonds", "2025-10-01", note)
    _add_receipt_xlsx(written)
    write_results(str(written), reconcile(read_book(written)), backup=False)
    # Lite: the same steps, the second run on what the first run left in Excel
    first = replayed(main, "reconcile", payload_from_xlsx(granola))
    sheet = first.sheet("Balance")
    head = [sheet.values.get((1, c)) for c in range(1, 41)]
    row = next(r for r in range(2, 20) if sheet.values.get((r, 1)) == "Almonds"
               and str(sheet.values.get((r, 3)))[:10] == "2025-10-01")
    sheet.values[(row, head.index("Notes") + 1)] = note
    _add_receipt_excel(first)
    second = replayed(main, "reconcile", first.payload("Granola.xlsx"))
    for name in OUTPUT_SHEETS:
        assert_same_table(written, second, name)
    got = SR.from_replay(second, "Balance", "Balance")
    noted = [r for r in got.cells if note in r]
    assert len(noted) == 1 and noted[0][0] == "Almonds" and noted[0][2] == pd.Timestamp("2025-10-01")
    assert got.cells[1][0] == "Acorns" and got.cells.index(noted[0]) == row + 1


def _set_item_xlsx(path: Path, lot: str, item: str) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb["Receipts"]
    head = [c.value for c in ws[1]]
    hit = [r for r in ws.iter_rows(min_row=2) if r[head.index("Lot")].value == lot]
    assert len(hit) == 1
    hit[0][head.index("Item")].value = item
    wb.save(path)


def _set_item_excel(book: Workbook, lot: str, item: str) -> None:
    s = book.sheet("Receipts")
    head = {v: c for (r, c), v in s.values.items() if r == 1}
    hit = [r for (r, c), v in s.values.items() if c == head["Lot"] and v == lot]
    assert len(hit) == 1
    s.values[(hit[0], head["Item"])] = item


def test_a_note_whose_row_is_gone_is_kept_and_comes_back_the_same_way(main, tmp_path, granola):
    # The user notes the Acorns balance, then finds the receipt was oats typed wrong:
    # the Acorns row is gone on the next run and its note goes to 'Orphaned notes'.
    # Then the receipt turns out to be acorns after all: the note returns to its row
    # and leaves 'Orphaned notes', whether the command line or a button reconciles.
    note = "Acorns? ask the dock"
    start = tmp_path / "start.xlsx"
    shutil.copyfile(granola, start)
    _add_receipt_xlsx(start)
    written = headless(start, tmp_path / "headless.xlsx")
    _type_note(written, "Balance", "Acorns", "2025-10-01", note)
    _set_item_xlsx(written, "ACN-1", "Oats")
    write_results(str(written), reconcile(read_book(written)), backup=False)

    first = replayed(main, "reconcile", payload_from_xlsx(start))
    sheet = first.sheet("Balance")
    row = next(r for r in range(2, 20) if sheet.values.get((r, 1)) == "Acorns")
    head = [sheet.values.get((1, c)) for c in range(1, 41)]
    sheet.values[(row, head.index("Notes") + 1)] = note
    _set_item_excel(first, "ACN-1", "Oats")
    second = replayed(main, "reconcile", first.payload("Granola.xlsx"))
    for name in OUTPUT_SHEETS + (ORPHANS_SHEET,):
        table = ORPHANS_TABLE if name == ORPHANS_SHEET else name
        assert_same_table(written, second, name, table)
    orphans = SR.from_replay(second, ORPHANS_SHEET, ORPHANS_TABLE)
    assert [r[2:4] for r in orphans.cells[1:]] == [["Notes", note]]
    assert any("Orphaned notes" in a for a in second.alerts)

    _set_item_xlsx(written, "ACN-1", "Acorns")
    write_results(str(written), reconcile(read_book(written)), backup=False)
    _set_item_excel(second, "ACN-1", "Acorns")
    third = replayed(main, "reconcile", second.payload("Granola.xlsx"))
    for name in OUTPUT_SHEETS + (ORPHANS_SHEET,):
        table = ORPHANS_TABLE if name == ORPHANS_SHEET else name
        assert_same_table(written, third, name, table)
    balance = SR.from_replay(third, "Balance", "Balance")
    noted = [r for r in balance.cells if note in r]
    assert len(noted) == 1 and noted[0][0] == "Acorns"
    orphans = SR.from_replay(third, ORPHANS_SHEET, ORPHANS_TABLE)
    assert all(v is None for r in orphans.cells[1:] for v in r)
