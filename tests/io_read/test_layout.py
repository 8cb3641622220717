"""Where the reader finds each input table, and the row and column numbers it reports."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import xlsxwriter
from ioread_helpers import add_table, new_book, put
from openpyxl.worksheet.table import Table

from massbal.xlsx.read.read_book import read_book

RECEIPT_HEADERS = ["Date", "Item", "Lot", "Quantity", "Unit"]


def receipts(n: int, start_day: int = 1) -> list[list]:
    return [[dt.datetime(2025, 1, start_day + i), f"Oats {i}", f"L{i}", 100.0 * (i + 1), "lb"]
            for i in range(n)]


def test_table_at_a1(tmp_path):
    wb = new_book()
    ws = wb.create_sheet("Data")
    put(ws, 1, 1, [RECEIPT_HEADERS] + receipts(3))
    add_table(ws, "Receipts", "A1:E4")
    path = tmp_path / "t.xlsx"
    wb.save(path)

    t = read_book(path).tables["Receipts"]
    assert t.is_table and t.sheet == "Data"
    assert t.headers == tuple(RECEIPT_HEADERS)
    assert t.columns == ("A", "B", "C", "D", "E")
    assert t.header_row == 1
    assert list(t.rows) == [2, 3, 4]
    assert list(t.data[2]) == ["L0", "L1", "L2"]
    assert list(t.data[3]) == [100.0, 200.0, 300.0]
    assert list(t.data[0]) == [pd.Timestamp(2025, 1, d) for d in (1, 2, 3)]


def test_table_not_at_a1_with_totals_row(tmp_path):
    wb = new_book()
    ws = wb.create_sheet("Stock")
    ws["A1"] = "Shipments this month"  # a title above the table, outside it
    put(ws, 5, 3, [["Date", "Item", "Lot", "Quantity", "Unit"]] + receipts(4))
    put(ws, 10, 3, [["Total", None, None, "=SUBTOTAL(109,[Quantity])", None]])
    add_table(ws, "Shipments", "C5:G10", totals=True)
    path = tmp_path / "t.xlsx"
    wb.save(path)

    t = read_book(path).tables["Shipments"]
    assert t.header_row == 5
    assert t.columns == ("C", "D", "E", "F", "G")
    assert list(t.rows) == [6, 7, 8, 9]  # row 10, the totals row, is not data
    assert list(t.data[2]) == ["L0", "L1", "L2", "L3"]
    assert "Total" not in set(t.data[0].astype(str))


def test_plain_sheet_header_in_first_non_empty_row(tmp_path):
    wb = new_book()
    ws = wb.create_sheet("Receipts")
    put(ws, 4, 2, [RECEIPT_HEADERS] + receipts(2))
    path = tmp_path / "t.xlsx"
    wb.save(path)

    t = read_book(path).tables["Receipts"]
    assert not t.is_table
    assert t.header_row == 4
    assert t.columns == ("B", "C", "D", "E", "F")
    assert list(t.rows) == [5, 6]
    assert list(t.data[1]) == ["Oats 0", "Oats 1"]


def test_blank_rows_inside_kept_trailing_dropped(tmp_path):
    wb = new_book()
    ws = wb.create_sheet("Receipts")
    rows = receipts(5)
    rows[1] = [None] * 5          # sheet row 3: blank, between data
    rows[2] = [None, "  ", None, None, None]  # sheet row 4: only spaces, also blank to a user
    put(ws, 1, 1, [RECEIPT_HEADERS] + rows)
    ws.cell(9, 2, "   ")  # trailing rows: whitespace and a formatted empty cell
    ws.cell(12, 3).number_format = "0.00"
    ws.cell(12, 3).value = None
    path = tmp_path / "t.xlsx"
    wb.save(path)

    t = read_book(path).tables["Receipts"]
    assert list(t.rows) == [2, 3, 4, 5, 6]
    assert list(t.data[2].iloc[[0, 3, 4]]) == ["L0", "L3", "L4"]
    assert t.data.iloc[1].isna().all()
    assert len(t.data) == len(t.rows)


def test_table_preferred_over_sheet_of_that_name(tmp_path):
    wb = new_book()
    sheet = wb.create_sheet("Receipts")
    put(sheet, 1, 1, [["Old notes", "x"], ["nothing", "here"]])
    data = wb.create_sheet("Data")
    put(data, 2, 2, [RECEIPT_HEADERS] + receipts(2))
    add_table(data, "receipts", "B2:F4")  # Excel table names ignore case, so may ours
    path = tmp_path / "t.xlsx"
    wb.save(path)

    book = read_book(path)
    t = book.tables["Receipts"]
    assert t.is_table and t.sheet == "Data" and list(t.rows) == [3, 4]
    assert book.sheet_names == ("Receipts", "Data")


def test_names_match_ignoring_case_spaces_underscores(tmp_path):
    wb = new_book()
    put(wb.create_sheet("batch inputs"), 1, 1, [["Batch", "Item", "Lot", "Quantity", "Unit"],
                                                ["B1", "Oats", "L1", 5, "lb"]])
    put(wb.create_sheet("SETTINGS"), 1, 1, [["Setting", "Value"], ["Unit", "kg"]])
    ws = wb.create_sheet("Lists")
    put(ws, 1, 1, [["Item", "Kind"], ["Oats", "Ingredient"]])
    add_table(ws, "Items_", "A1:B2")
    path = tmp_path / "t.xlsx"
    wb.save(path)

    book = read_book(path)
    assert set(book.tables) == {"Items", "BatchInputs", "Settings"}
    assert book.tables["BatchInputs"].sheet == "batch inputs"
    assert book.tables["Items"].is_table and book.tables["Items"].sheet == "Lists"
    assert list(book.tables["Settings"].data[1]) == ["kg"]


def test_header_quirks_keep_text_and_type_columns(tmp_path):
    wb = new_book()
    put(wb.create_sheet("Items"), 1, 1, [
        ["ITEM", "Kg_per_unit", "tolerance %"],
        ["Oats", 22.68, 3],
        ["Milk", "n/a", None],
    ])
    put(wb.create_sheet("Receipts"), 1, 1, [
        ["Date", "Item", "Lot", "Quantity (lb)", "UNIT"],
        [dt.datetime(2025, 3, 1), "Oats", "L1", 1000, "lb"],
    ])
    put(wb.create_sheet("Counts"), 1, 1, [
        ["Date", "Item", "QUANTITY", "Unit"],
        [dt.datetime(2025, 3, 31), "Oats", "12.5", "lb"],  # a number typed as text
    ])
    path = tmp_path / "t.xlsx"
    wb.save(path)

    book = read_book(path)
    items = book.tables["Items"]
    assert items.headers == ("ITEM", "Kg_per_unit", "tolerance %")
    assert items.data[1].iloc[0] == pytest.approx(22.68)   # read as a number column
    assert items.data[1].iloc[1] == "n/a"                  # and the bad cell kept as typed
    assert items.data[2].iloc[0] == 3.0
    rec = book.tables["Receipts"]
    assert rec.headers[3] == "Quantity (lb)"
    assert rec.data[3].dtype == np.float64 and rec.data[3].iloc[0] == 1000.0
    counts = book.tables["Counts"]
    assert counts.data[2].iloc[0] in (12.5, "12.5")


def test_two_tables_on_one_sheet(tmp_path):
    wb = new_book()
    ws = wb.create_sheet("Data")
    put(ws, 1, 1, [["Item", "Kind"], ["Oats", "Ingredient"], ["Granola", "Product"]])
    add_table(ws, "Items", "A1:B3")
    # stacked below the first table, sharing its columns but not their types
    put(ws, 6, 1, [["Setting", "Value"], ["Tolerance %", 5], ["Unit", "kg"]])
    add_table(ws, "Settings", "A6:B8")
    put(ws, 2, 4, [["Date", "Item", "Quantity", "Unit"], [dt.datetime(2025, 1, 31), "Oats", 7.5, "lb"]])
    add_table(ws, "Counts", "D2:G3")
    path = tmp_path / "t.xlsx"
    wb.save(path)

    book = read_book(path)
    items, settings, counts = book.tables["Items"], book.tables["Settings"], book.tables["Counts"]
    assert list(items.rows) == [2, 3] and list(items.data[0]) == ["Oats", "Granola"]
    assert list(settings.rows) == [7, 8] and settings.columns == ("A", "B")
    assert list(settings.data[1]) in (["5", "kg"], [5.0, "kg"])
    assert list(counts.rows) == [3] and counts.columns == ("D", "E", "F", "G")
    assert counts.data[2].iloc[0] == 7.5
    assert counts.data[0].iloc[0] == pd.Timestamp(2025, 1, 31)


def test_header_only_table_and_empty_sheet(tmp_path):
    wb = new_book()
    ws = wb.create_sheet("Data")
    put(ws, 3, 2, [["Date", "Item", "Lot", "Quantity", "Unit", "Customer"]])
    add_table(ws, "Shipments", "B3:G4")  # Excel keeps one empty data row in a new table
    wb.create_sheet("Counts")  # a sheet of that name with nothing on it
    path = tmp_path / "t.xlsx"
    wb.save(path)

    book = read_book(path)
    ship = book.tables["Shipments"]
    assert ship.headers[-1] == "Customer" and len(ship.data) == 0 and len(ship.rows) == 0
    assert ship.data.shape[1] in (0, 6)
    counts = book.tables["Counts"]
    assert counts.headers == () and len(counts.data) == 0 and not counts.is_table


def test_empty_table_column_and_header_line_break(tmp_path):
    path = tmp_path / "t.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("Data")
    ws.add_table("B2:E4", {"name": "Losses", "columns": [
        {"header": "Date"}, {"header": "Item"}, {"header": "Quantity\n(kg)"}, {"header": "Evidence"}],
        "data": [["2025-02-01", "Oats", 3, None], ["2025-02-02", "Rye", 4, None]]})
    wb.close()

    t = read_book(path).tables["Losses"]
    assert t.headers == ("Date", "Item", "Quantity\n(kg)", "Evidence")
    assert list(t.rows) == [3, 4]
    assert list(t.data[2]) == [3.0, 4.0]
    assert t.data[3].isna().all()           # a column with nothing in it still has its cells
    assert list(t.data[0]) == ["2025-02-01", "2025-02-02"]  # ISO text kept as text


def test_inline_strings_and_row_numbers_far_down(tmp_path):
    # XlsxWriter's constant_memory mode writes inline strings, no shared-string table.
    path = tmp_path / "t.xlsx"
    wb = xlsxwriter.Workbook(path, {"constant_memory": True})
    ws = wb.add_worksheet("Transfers")
    ws.write_row(2999, 3, ["Date", "Item", "Lot", "Quantity", "Unit", "From", "To"])
    for i in range(3):
        ws.write_row(3000 + i, 3, [f"2025-04-0{i + 1}", "Oats", f"L{i}", i + 0.5, "lb", "A", "B"])
    wb.close()

    t = read_book(path).tables["Transfers"]
    assert t.header_row == 3000 and t.columns[0] == "D"
    assert list(t.rows) == [3001, 3002, 3003]
    assert list(t.data[3]) == [0.5, 1.5, 2.5]


def test_table_without_header_row(tmp_path):
    wb = new_book()
    ws = wb.create_sheet("Data")
    put(ws, 4, 1, [["Unit", "kg"], ["Tolerance %", 3]])
    table = Table(displayName="Settings", ref="A4:B5", headerRowCount=0)
    table._initialise_columns()
    table.tableColumns[0].name, table.tableColumns[1].name = "Setting", "Value"
    ws.add_table(table)
    path = tmp_path / "t.xlsx"
    wb.save(path)

    t = read_book(path).tables["Settings"]
    assert t.headers == ("Setting", "Value")
    assert list(t.rows) == [4, 5] and t.header_row == 3  # no header row: data starts at the top
    assert list(t.data[0]) == ["Unit", "Tolerance %"]
