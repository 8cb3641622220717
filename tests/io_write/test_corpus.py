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
from massbal.xlsx.write.zip_copy import Package

from massbal.xlsx.write.write_results import write_results

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
        assert all(n.startswith(("xl/worksheets/", "xl/tables/")) for n in added), (src.name, added)
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
        assert bal[1][2] == "2025-11-01" and bal[1][15] == "NO COUNT", book.name
        assert len(new["Ledger"]) == 21
        # a finding links only to a sheet the book has (none of these has Receipts)
        assert new["Exceptions"][1][2:4] == ["Receipts", "17"] and new["Exceptions"][1][6] == ""
        if book.name.endswith(OPENPYXL_SLOW):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(book)
        ws = wb["Balance"]
        assert ws.tables["Balance"].ref == "A1:T4"
        assert ws["A3"].value == "Raisins" and ws["M3"].value == -10
