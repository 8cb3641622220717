"""Writing into real Excel-saved workbooks (the shared corpus, read in place and copied
to a temp folder): every part that is not massbal's stays byte-identical, the books
open in LibreOffice with the user's sheets unchanged, and openpyxl reads the tables."""
from __future__ import annotations

import warnings
from datetime import date

import openpyxl
import pytest
import recs
from iowrite_helpers import CORPUS, changed_members, copy_writable, member_order

from massbal.xlsx.write.write_results import write_results
from massbal.xlsx.write.zip_copy import Package

TODAY = date(2025, 12, 5)
ALL = sorted(p for p in CORPUS.glob("*.xls*") if "strict" not in p.name) if CORPUS.exists() else []
# diverse and quick for LibreOffice: tables, pivots, charts and chart sheets, 1904 dates,
# macros, dialog/macro sheets, data descriptors in the zip, signatures, comments, names
SAMPLE = [
    "cx_DrawingSizeInPx.xlsx", "cx_tdf111974.xlsm", "poi_StructuredRefs-lots-with-lookups.xlsx",
    "poi_DateFormatTests.xlsx", "poi_WithChartSheet.xlsx", "sjs_comments_stress_test.xlsx",
    "xw_table06.xlsx", "xw_defined_name01.xlsx", "xw_chartsheet03.xlsx", "poi_57181.xlsm",
    "sjs_BlankSheetTypes.xlsm", "poi_ms-office-2010-signed.xlsx",
]
# openpyxl needs minutes for this one's merged cells (its own slowness, not the file's)
OPENPYXL_SLOW = ("cx_DrawingSizeInPx.xlsx",)
SHARED = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "xl/styles.xml"}

pytestmark = pytest.mark.skipif(not ALL, reason="the shared corpus is not here")


def _calc_chain(path) -> str | None:
    with Package(str(path)) as pkg:
        return pkg.find("xl/calcChain.xml")


def test_every_corpus_book_keeps_all_its_parts(tmp_path):
    """All 78 books: only the shared lists change, and new parts come after the old ones."""
    for src in ALL:
        book = copy_writable(src, tmp_path)
        write_results(book, recs.reconciliation(), today=TODAY, backup=False)
        differ, removed, added = changed_members(src, book)
        allowed = {n for n in differ if n.lstrip("/") in SHARED or n.lower().endswith("styles.xml")}
        assert differ == allowed and not removed, (src.name, differ, removed)
        assert all(n.startswith(("xl/worksheets/", "xl/tables/", "xl/charts/", "xl/drawings/")) for n in added), \
            (src.name, added)
        assert member_order(book)[:len(member_order(src))] == member_order(src)


def test_sample_opens_in_libreoffice_and_openpyxl(tmp_path, libreoffice):
    books, originals = [], []
    for name in SAMPLE:
        src = CORPUS / name
        book = copy_writable(src, tmp_path, "new_" + name)
        report = write_results(book, recs.reconciliation(), today=TODAY, backup=False)
        if "signed" in name:
            assert any("signature" in w for w in report.warnings)
        books.append(book)
        originals.append(copy_writable(src, tmp_path, "old_" + name))
    for book in books:  # a second run replaces massbal's sheets and touches nothing else
        first = book.with_name("first_" + book.name)
        first.write_bytes(book.read_bytes())
        ours = changed_members(book.with_name(book.name.replace("new_", "old_")), book)[2]
        write_results(book, recs.reconciliation(), today=TODAY, backup=False)
        differ, removed, added = changed_members(first, book)
        assert not removed and not added and differ <= ours | SHARED, (book.name, differ - ours)
        first.unlink()
    csvs = libreoffice.to_csv(books + originals, tmp_path / "csv")
    for book, orig in zip(books, originals, strict=True):
        new, old = csvs[book.stem], csvs[orig.stem]
        assert old, f"LibreOffice could not read {orig.name}"
        for sheet, rows in old.items():
            assert new.get(sheet) == rows, (book.name, sheet)
        bal = new["Balance"]
        assert bal[0][:3] == ["Item", "Owner", "Start"], book.name
        assert [r[0] for r in bal[1:]] == ["Almonds", "Raisins", "Quinoa"], book.name
        assert bal[1][2] == "2025-11-01" and bal[1][bal[0].index("Status")] == "NO COUNT", book.name
        assert len(new["Ledger"]) == 21
        # a finding links only to a sheet the book has (none of these has Receipts)
        assert new["Exceptions"][1][2:4] == ["Receipts", "17"] and new["Exceptions"][1][6] == ""
        if book.name.endswith(OPENPYXL_SLOW):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(book)
        ws = wb["Balance"]
        assert ws.tables["Balance"].ref == "A1:X4"
        variance = [c.value for c in ws[1]].index("Variance") + 1
        assert ws["A3"].value == "Raisins" and ws.cell(row=3, column=variance).value == -10


# ---------------------------------------------------------------- issue 9, item 5
# A user's macro-enabled workbook is a normal thing: Excel 4 macro sheets and a sheet that
# points nowhere (r:id="", which Excel opens) must be read and written like any other.

MACRO_BOOKS = ["poi_xlmmacro.xlsm", "sjs_BlankSheetTypes.xlsm", "cx_tdf111974.xlsm"]


def _input_sheet(name, rows):
    import pandas as pd

    from massbal.layout.sheets import ColumnSpec, SheetSpec
    heads = list(rows[0])
    kind = {"Date": "date", "Quantity": "quantity"}
    data = {}
    for h in heads:
        vals = [r[h] for r in rows]
        data[h] = (pd.to_datetime(pd.Series(vals)) if h == "Date" else pd.Series(vals, dtype=float)
                   if h == "Quantity" else pd.Series(vals, dtype="string"))
    return SheetSpec(name, tuple(ColumnSpec(h, kind.get(h, "text"), 14) for h in heads), data)


@pytest.mark.parametrize("name", MACRO_BOOKS)
def test_macro_and_dangling_sheet_books_reconcile_and_keep_every_part(tmp_path, name):
    from massbal.engine.api import reconcile
    from massbal.xlsx.read.read_book import read_book
    from massbal.xlsx.write.write_results import write_sheets
    src = CORPUS / name
    book = copy_writable(src, tmp_path)
    # the user's input tables, put in by massbal's own package writer: real Excel Tables
    write_sheets(str(book), [
        _input_sheet("Items", [{"Item": "Oats", "Kind": "Ingredient"}]),
        _input_sheet("Receipts", [{"Date": "2025-03-01", "Item": "Oats", "Lot": "O1", "Quantity": 1000.0,
                                   "Unit": "lb", "Organic": "No"}]),
        _input_sheet("Shipments", [{"Date": "2025-03-10", "Item": "Oats", "Lot": "O1", "Quantity": 400.0,
                                    "Unit": "lb", "Customer": "Costco"}]),
    ], backup=False, today=TODAY)
    typed = book.with_name("typed_" + name)
    typed.write_bytes(book.read_bytes())
    rec = reconcile(read_book(book), "2025-03-01", "2025-03-31", today=TODAY)
    b = rec.balances.iloc[0]
    assert (b["item"], b["received"], b["shipped"], b["expected_ending"]) == ("Oats", 1000.0, 400.0, 600.0)
    write_results(str(book), rec, today=TODAY, backup=False)
    differ, removed, added = changed_members(typed, book)
    assert not removed and {n.lstrip("/") for n in differ} <= SHARED | {"xl/styles.xml"}, differ
    assert all(n.startswith(("xl/worksheets/", "xl/tables/", "xl/charts/", "xl/drawings/")) for n in added), added  # the Dashboard's charts too
    # the macro sheets, the VBA project and every other part of the original, byte for byte
    differ, removed, _ = changed_members(src, book)
    assert not removed and {n.lstrip("/") for n in differ} <= SHARED | {"xl/styles.xml"}, differ


def test_the_corpus_reconciles_except_strict_open_xml(tmp_path):
    """Every workbook either reconciles and is written (every other part kept: see above),
    or is refused with one plain line for a reason Excel agrees with."""
    from massbal.engine.api import reconcile
    from massbal.xlsx.read.read_book import read_book
    from massbal.xlsx.write.write_results import PackageError
    files = sorted(CORPUS.glob("*.xls*"))
    refused = {}
    for src in files:
        book = copy_writable(src, tmp_path)
        try:
            write_results(str(book), reconcile(read_book(book), today=TODAY), today=TODAY, backup=False)
        except PackageError as e:
            assert "\n" not in str(e)
            refused[src.name] = str(e)
        book.unlink()
    assert list(refused) == ["oxsdk_xl8galry_strict.xlsx"], refused
    assert "Strict Open XML" in refused["oxsdk_xl8galry_strict.xlsx"]
    assert len(files) - len(refused) == 78
