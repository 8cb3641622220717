"""Cell values: types kept per cell, dates in both date systems, formulas' cached values."""
from __future__ import annotations

import datetime as dt
import zipfile

import fastexcel
import numpy as np
import openpyxl
import pandas as pd
import pytest
from ioread_helpers import CORPUS, add_table, new_book, put, soffice_recalc, write_package
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from massbal.xlsx.read.cells import load_block
from massbal.xlsx.read.read_book import read_book

TRICKY_TEXT = 'say "hi" \\ back\nslash é 中 \t🌾 \'q\')'


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    """A workbook with formulas, errors and mixed columns, saved by LibreOffice (cached values)."""
    d = tmp_path_factory.mktemp("values")
    wb = new_book()
    ws = wb.create_sheet("Receipts")
    put(ws, 1, 1, [["Date", "Item", "Lot", "Quantity", "Unit", "Organic"]])
    rows = [
        [dt.datetime(2025, 1, 2), "Oats", "L1", 1000, "lb", "Yes"],           # row 2
        ["2025-01-03", "Oats", "L2", "abc", "lb", True],                       # row 3
        [45000, "Rye", 1234, "=1/0", "kg", "No"],                              # row 4
        ["=DATE(2025,1,5)", '="Oa"&"ts"', "L4", "=2*500", "lb", None],         # row 5
        ["n/a", "Oats", "L5", dt.datetime(2025, 2, 1), "lb", None],           # row 6
        [dt.datetime(2025, 1, 7, 14, 30), "Oats", "L6", "=NA()", "lb", None],  # row 7
        [dt.datetime(2025, 1, 8), "Oats", "L7", "1000", "lb", None],           # row 8
        [dt.datetime(2025, 1, 9), "Oats", "L8", TRICKY_TEXT, "lb", None],      # row 9
        [dt.datetime(2025, 1, 10), "=1/0", "L9", 12.25, "lb", None],           # row 10
    ]
    put(ws, 2, 1, rows)
    for r in (2, 5, 6, 7, 8, 9, 10):
        ws.cell(r, 1).number_format = "yyyy-mm-dd"
    ws.cell(6, 4).number_format = "yyyy-mm-dd"
    ws.cell(5, 1).number_format = "yyyy-mm-dd"
    data = wb.create_sheet("Data")
    put(data, 3, 2, [["Batch", "Date", "Item", "Lot", "Quantity", "Unit"],
                     ["B1", dt.datetime(2025, 3, 1), "Granola", "G1", "=C8*2", "lb"],
                     ["B2", dt.datetime(2025, 3, 2), "Granola", "G2", "=SQRT(-1)", "lb"]])
    data["C8"] = 21
    add_table(data, "Batches", "B3:G5")
    src = d / "values.xlsx"
    wb.save(src)
    return read_book(soffice_recalc(src, d / "out"))


def cell(table, row: int, column: str):
    i = int(np.flatnonzero(table.rows == row)[0])
    return table.data[table.headers.index(column)].iloc[i]


def test_mixed_quantity_column_keeps_each_cells_value(recalculated):
    t = recalculated.tables["Receipts"]
    assert list(t.rows) == list(range(2, 11))
    assert cell(t, 2, "Quantity") == 1000.0
    assert cell(t, 3, "Quantity") == "abc"
    assert cell(t, 4, "Quantity") == "#DIV/0!"              # an error cell arrives as its text
    assert cell(t, 5, "Quantity") == 1000.0                  # a formula: its cached value
    assert cell(t, 6, "Quantity") == pd.Timestamp(2025, 2, 1)  # a date stays a date
    assert cell(t, 7, "Quantity") == "#N/A"
    assert cell(t, 8, "Quantity") in (1000.0, "1000")        # a number typed as text
    assert cell(t, 9, "Quantity") == TRICKY_TEXT             # text kept exactly
    assert cell(t, 10, "Quantity") == 12.25
    assert isinstance(cell(t, 2, "Quantity"), float) and isinstance(cell(t, 3, "Quantity"), str)


def test_dates_as_dates_iso_text_and_serials(recalculated):
    t = recalculated.tables["Receipts"]
    assert cell(t, 2, "Date") == pd.Timestamp(2025, 1, 2)
    assert cell(t, 3, "Date") == "2025-01-03"                 # ISO text stays text
    assert cell(t, 4, "Date") == pd.Timestamp(2023, 3, 15)    # serial 45000, no date format
    assert cell(t, 5, "Date") == pd.Timestamp(2025, 1, 5)     # =DATE(): cached value
    assert cell(t, 6, "Date") == "n/a"
    assert cell(t, 7, "Date") == pd.Timestamp(2025, 1, 7, 14, 30)


def test_text_columns(recalculated):
    t = recalculated.tables["Receipts"]
    assert cell(t, 5, "Item") == "Oats"       # a string formula's cached value
    assert cell(t, 10, "Item") == "#DIV/0!"
    assert cell(t, 4, "Lot") == "1234"        # a number in a text column: its text
    assert str(cell(t, 3, "Organic")).lower() == "true"
    assert cell(t, 2, "Organic") == "Yes"
    assert pd.isna(cell(t, 5, "Organic"))


def test_table_formulas_and_errors(recalculated):
    t = recalculated.tables["Batches"]
    assert t.is_table and t.sheet == "Data" and list(t.rows) == [4, 5]
    assert cell(t, 4, "Quantity") == 42.0
    assert cell(t, 5, "Quantity") in ("#NUM!", "#VALUE!")  # LibreOffice may store either
    assert cell(t, 4, "Date") == pd.Timestamp(2025, 3, 1)


def _book_1904(path, excel_2013_ext: bool):
    wb = new_book()
    wb.epoch = CALENDAR_MAC_1904
    ws = wb.create_sheet("Counts")
    put(ws, 1, 1, [["Date", "Item", "Quantity", "Unit"],
                   [dt.datetime(2025, 1, 2), "Oats", 10, "lb"],
                   [44198, "Oats", dt.datetime(2025, 1, 4), "lb"],  # a serial: 1904 system
                   ["2025-01-05", "Oats", 30, "lb"]])
    ws.cell(2, 1).number_format = "yyyy-mm-dd"
    ws.cell(3, 3).number_format = "yyyy-mm-dd"
    wb.save(path)
    if excel_2013_ext:
        # Excel 2013+ also writes <x15:workbookPr> inside extLst; it must not reset the
        # date system (calamine itself gets this wrong).
        with zipfile.ZipFile(path) as z:
            parts = {n: z.read(n) for n in z.namelist()}
        ext = (b'<extLst><ext uri="{140A7094-0E35-4892-8432-C4D2E57EDEB5}" xmlns:x15='
               b'"http://schemas.microsoft.com/office/spreadsheetml/2010/11/main">'
               b'<x15:workbookPr chartTrackingRefBase="1"/></ext></extLst></workbook>')
        parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(b"</workbook>", ext)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for n, b in parts.items():
                z.writestr(n, b)


@pytest.mark.parametrize("excel_2013_ext", [False, True])
def test_1904_workbook_dates(tmp_path, excel_2013_ext):
    path = tmp_path / "mac.xlsx"
    _book_1904(path, excel_2013_ext)
    book = read_book(path)
    assert book.date1904
    t = book.tables["Counts"]
    assert list(t.data[0]) == [pd.Timestamp(2025, 1, 2), pd.Timestamp(2025, 1, 3), "2025-01-05"]
    assert list(t.data[2]) == [10.0, pd.Timestamp(2025, 1, 4), 30.0]


def test_1904_corpus_workbooks_in_place():
    for name in ("sjs_1904.xlsx", "xw_date_1904_02.xlsx"):
        assert read_book(CORPUS / name).date1904, name
    reader = fastexcel.read_excel(CORPUS / "sjs_1904.xlsx")
    # Column B holds date cells; column C holds Excel's own TEXT(B,"YYYY-MM-DD") of them.
    block = load_block(reader, "Sheet1", 1, None, 2, 3, {2: "float", 3: "string"},
                       date1904=True, book="sjs_1904.xlsx", serial_dates=frozenset({2}))
    assert len(block) == 5
    assert [d.strftime("%Y-%m-%d") for d in block[2]] == list(block[3])
    reader = fastexcel.read_excel(CORPUS / "xw_date_1904_02.xlsx")
    block = load_block(reader, "Sheet1", 1, None, 1, 1, {1: "float"}, date1904=True,
                       book="xw_date_1904_02.xlsx", serial_dates=frozenset({1}))
    expected = [pd.Timestamp(1904, 1, 1) + pd.Timedelta(days=n) for n in (0, 1000, 5000, 10000, 100000)]
    assert list(block[1])[:5] == expected
    assert list(block[1])[5].year == 4641


def test_1900_serials_before_march_1900(tmp_path):
    wb = new_book()
    put(wb.create_sheet("Counts"), 1, 1, [["Date", "Item", "Quantity", "Unit"],
                                         [1, "Oats", 1, "lb"], [59, "Oats", 1, "lb"],
                                         [61, "Oats", 1, "lb"]])
    path = tmp_path / "early.xlsx"
    wb.save(path)
    t = read_book(path).tables["Counts"]
    assert list(t.data[0]) == [pd.Timestamp(1900, 1, 1), pd.Timestamp(1900, 2, 28),
                               pd.Timestamp(1900, 3, 1)]


def test_large_column_stays_typed(tmp_path):
    # Whole clean columns arrive as float64 / datetime64 arrays, not Python objects.
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Shipments")
    ws.append(["Date", "Item", "Lot", "Quantity", "Unit", "Customer"])
    for i in range(5000):
        ws.append([dt.datetime(2025, 1, 1) + dt.timedelta(hours=i), "Oats", f"L{i}", i * 0.5, "lb", "Acme"])
    path = tmp_path / "big.xlsx"
    wb.save(path)
    t = read_book(path).tables["Shipments"]
    assert len(t.rows) == 5000 and t.rows[0] == 2 and t.rows[-1] == 5001
    assert t.data[3].dtype == np.float64 and t.data[3].sum() == pytest.approx(0.5 * 4999 * 5000 / 2)
    assert str(t.data[0].dtype).startswith("datetime64")
    assert t.data[0].iloc[-1] == pd.Timestamp(2025, 1, 1) + pd.Timedelta(hours=4999)


def test_error_values_newer_than_the_parser(tmp_path):
    # Excel 365 writes #SPILL!, #CALC! ...; calamine refuses those, the reader must not.
    def err(ref, text, quote='"'):
        return f"<c r={quote}{ref}{quote} t={quote}e{quote}><f>X()</f><v>{text}</v></c>"

    sheet = ('<sheetData>'
             '<row r="1"><c r="A1" t="inlineStr"><is><t>Item</t></is></c>'
             '<c r="B1" t="inlineStr"><is><t>Quantity</t></is></c></row>'
             f'<row r="2"><c r="A2" t="inlineStr"><is><t>Oats</t></is></c>{err("B2", "#SPILL!")}</row>'
             f'<row r="3">{err("A3", "#CALC!", chr(39))}<c r="B3"><v>4.5</v></c></row>'
             f'<row r="4"><c r="A4" t="inlineStr"><is><t xml:space="preserve">a t="e" b</t></is></c>'
             f'{err("B4", "#DIV/0!")}</row>'
             '</sheetData>')
    path = tmp_path / "spill.xlsx"
    write_package(path, {"Counts": sheet})
    t = read_book(path).tables["Counts"]
    assert list(t.rows) == [2, 3, 4]
    assert list(t.data[0]) == ["Oats", "#CALC!", 'a t="e" b']
    assert list(t.data[1]) == ["#SPILL!", 4.5, "#DIV/0!"]
