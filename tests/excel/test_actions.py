"""The ribbon's Trace lot, Export for inspector and New workbook, run as the buttons run
them (actions.run_for_user with the workbook or app), on real engines: xlwings Lite's
remote engine for Trace lot, xlwings' calamine engine over real files on disk for the
two that work on the saved file (it opens .xlsx files as a desktop Excel would hand
them over: a Book whose fullname is the file)."""
from __future__ import annotations

import logging
import re
import shutil

import openpyxl
import pytest
import sheetread as SR
import xlwings as xw
from books import granola_tables
from lite_run import replayed
from payload import payload_from_xlsx, write_book

from massbal.engine.api import prepare, trace_lots
from massbal.engine.schema import book_specs
from massbal.excel import actions
from massbal.layout.trace_sheets import TRACE_SHEET, trace_sheet
from massbal.xlsx.read.read_book import read_book
from massbal.xlsx.write.write_results import write_sheets

TABLES = {t.name: t for t in book_specs()}  # a handler's book: no farm tables

RECEIPTS = 2  # sheet index of Receipts in the granola book; its Lot column is C


@pytest.fixture()
def xlsx(tmp_path):
    return write_book(tmp_path / "Granola.xlsx", granola_tables(), plain=("Counts",))


@pytest.fixture()
def messages(caplog):
    """What the buttons say: engines without message boxes (calamine) log it instead."""
    caplog.set_level(logging.WARNING, logger=actions.log.name)
    return lambda: [r.getMessage() for r in caplog.records if r.name == actions.log.name]


def _untimed(table: SR.Table) -> SR.Table:
    # the lot's row says how long the trace took, which differs from run to run
    table.cells = [[re.sub(r"traced in [0-9.]+ s", "traced in - s", v) if isinstance(v, str) else v
                    for v in row] for row in table.cells]
    return table


def test_trace_lot_writes_the_trace_sheet_massbal_trace_writes(main, xlsx, tmp_path):
    excel = replayed(main, "trace_lot", payload_from_xlsx(xlsx, selection="C2", active=RECEIPTS))
    # the command line's Trace sheet for the same lot, through the package writer
    copy = tmp_path / "headless.xlsx"
    shutil.copyfile(xlsx, copy)
    traces = trace_lots(prepare(read_book(copy)), "OAT-1")
    write_sheets(str(copy), [trace_sheet(traces)], backup=False)
    want = _untimed(SR.from_xlsx(copy, TRACE_SHEET, TRACE_SHEET))
    got = _untimed(SR.from_replay(excel, TRACE_SHEET, TRACE_SHEET))
    SR.assert_same(want, got, TRACE_SHEET)
    steps = {r[4] for r in got.cells[1:]}
    assert {"Received", "Used in run", "Shipped"} <= steps
    (text,) = excel.alerts
    assert text.startswith("Lot OAT-1 (Oats): received, 2,000.00 lb.")
    assert "Came from: Prairie Mills." in text and "Trace sheet" in text


def test_trace_lot_sentences(main, xlsx):
    empty = replayed(main, "trace_lot", payload_from_xlsx(xlsx, selection="Z99", active=RECEIPTS))
    assert empty.alerts == ["Select the cell holding the lot to trace, then press Trace lot."]
    unknown = replayed(main, "trace_lot", payload_from_xlsx(xlsx, selection="B2", active=RECEIPTS))
    (text,) = unknown.alerts  # B2 holds the item, Oats, not a lot
    assert text.startswith("No receipt, run, shipment or count has lot 'Oats'.")
    assert TRACE_SHEET not in [s.name for s in unknown.sheets]


def test_export_for_inspector_writes_the_copy_beside_the_saved_file(xlsx, messages):
    book = xw.engines["calamine"].apps.active.books.open(str(xlsx))
    out = actions.run_for_user(book, actions.export_for_inspector)
    assert out == xlsx.with_name("Granola inspector copy.xlsx") and out.is_file()
    sheets = openpyxl.load_workbook(out, read_only=True).sheetnames
    assert sheets[:3] == ["Cover", "Dashboard", "Balance"] and "Ledger" in sheets
    pdf = out.with_suffix(".pdf")
    assert pdf.is_file() and pdf.read_bytes()[:5] == b"%PDF-"
    assert messages() == [f"The inspector's copy of the workbook as last saved is at\n{out}\n"
                          f"and its PDF at\n{pdf}"]


def test_export_for_inspector_needs_a_saved_file(tmp_path, messages):
    book = xw.engines["calamine"].apps.active.books.open(str(write_book(tmp_path / "a.xlsx", {"Items": []})))
    (tmp_path / "a.xlsx").unlink()  # as a book Excel has not saved yet: no file behind it
    assert actions.run_for_user(book, actions.export_for_inspector) is None
    assert messages() == ["Save the workbook first: the inspector's copy is made from the saved file."]


def test_new_workbook_is_the_template_and_never_replaces_a_file(tmp_path, messages):
    app = xw.engines["calamine"].apps.active
    first = actions.run_for_user(app, actions.new_workbook, tmp_path)
    path = tmp_path / "Mass balance.xlsx"
    assert first.fullname == str(path) and app.books.active.fullname == str(path)
    assert set(TABLES) <= {s.name for s in first.sheets}
    assert set(read_book(path).tables) == set(TABLES)
    before = path.read_bytes()
    second = actions.run_for_user(app, actions.new_workbook, tmp_path)
    assert second.fullname == str(tmp_path / "Mass balance (2).xlsx")
    assert path.read_bytes() == before
    assert messages()[-1].startswith(f"A new mass balance workbook is at\n{tmp_path / 'Mass balance (2).xlsx'}")
