"""Writing into workbooks with charts, pictures, validations, comments, names, formats
and macros, built here with XlsxWriter: nothing of theirs may change."""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import openpyxl
import pandas as pd
import pytest
import recs
import xlsxwriter
from iowrite_helpers import CORPUS, changed_members, member_order, png_bytes
from lxml import etree

from massbal.xlsx.write.write_results import write_results

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
SHARED = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "xl/styles.xml"}
TODAY = date(2025, 12, 5)


def build_book(path, *, date1904=False, vba: bytes | None = None):
    """An input workbook such as a user keeps: tables, chart, picture, validation,
    comments, names, conditional formats, hyperlinks, merged cells, frozen panes."""
    opts = {"date_1904": True} if date1904 else {}
    wb = xlsxwriter.Workbook(str(path), opts)
    bold = wb.add_format({"bold": True, "bg_color": "#DDEEFF"})
    datef = wb.add_format({"num_format": "dd/mm/yyyy"})
    ws = wb.add_worksheet("Receipts")
    rows = [[datetime(2025, 11, d), "Almonds", f"L-{d}", 100.0 * d, "lb"] for d in range(1, 21)]
    ws.add_table(0, 0, len(rows), 4, {"name": "Receipts", "columns": [
        {"header": h} for h in ("Date", "Item", "Lot", "Quantity", "Unit")]})
    for r, row in enumerate(rows, start=1):
        ws.write_datetime(r, 0, row[0], datef)
        ws.write_row(r, 1, row[1:])
    ws.data_validation("E2:E21", {"validate": "list", "source": ["lb", "kg", "case"]})
    ws.conditional_format("D2:D21", {"type": "cell", "criteria": ">", "value": 1500, "format": bold})
    ws.write_comment("C3", "Lot from the October harvest")
    ws.freeze_panes(1, 0)
    ws.insert_image("H2", "pic.png", {"image_data": io.BytesIO(png_bytes())})
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"values": "=Receipts!$D$2:$D$21", "categories": "=Receipts!$C$2:$C$21"})
    ws.insert_chart("H10", chart)
    notes = wb.add_worksheet("Notes")
    notes.merge_range("A1:D1", "Organic system plan", bold)
    notes.write_url("A3", "https://example.org/coo.pdf", string="Certificate")
    notes.write_url("A4", "internal:Receipts!A1", string="Back to receipts")
    notes.write_formula("B6", "=SUM(Receipts!D2:D21)", None, 21000)
    wb.define_name("TotalReceived", "=Notes!$B$6")
    wb.define_name("Notes!LocalName", "=Notes!$A$1")
    wb.define_name("Units", "=Receipts!$E$2:$E$21")
    if vba is not None:
        wb.add_vba_project(io.BytesIO(vba), is_stream=True)
        wb.set_vba_name("ThisWorkbook")
    wb.close()


def _xml(path, part):
    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read(part))


@pytest.fixture
def book(tmp_path):
    path = tmp_path / "book.xlsx"
    build_book(path)
    return path


def test_nothing_but_massbal_parts_change(book, tmp_path):
    original = tmp_path / "original.xlsx"
    original.write_bytes(book.read_bytes())
    report = write_results(book, recs.reconciliation(), today=TODAY)
    differ, removed, added = changed_members(original, book)
    assert differ <= SHARED, differ
    assert not removed
    assert {n for n in added if not n.startswith(("xl/worksheets/", "xl/tables/", "xl/charts/", "xl/drawings/"))} == set()
    assert len([n for n in added if n.startswith("xl/tables/table")]) == 7   # the six result sheets and the Dashboard
    # the Dashboard's charts: 3 items, 2 ingredients, 1 product; one drawing and its relationships
    assert len([n for n in added if n.startswith("xl/charts/chart")]) == 3 + 2 + 1
    assert len([n for n in added if n.startswith("xl/drawings/")]) == 2
    # untouched members keep their order; new ones come last
    old_order = member_order(original)
    assert member_order(book)[:len(old_order)] == old_order
    assert [s.sheet for s in report.sheets] == ["Balance", "Supply", "Yield", "Exceptions", "Ledger", "Investigations", "Dashboard"]
    assert report.backup and open(report.backup, "rb").read() == original.read_bytes()


def test_styles_are_appended_never_renumbered(book, tmp_path):
    before = _xml(book, "xl/styles.xml")
    write_results(book, recs.reconciliation(), today=TODAY, backup=False)
    after = _xml(book, "xl/styles.xml")
    for section in ("numFmts", "fonts", "fills", "borders", "cellXfs", "cellStyleXfs", "dxfs"):
        old = before.find("m:" + section, NS)
        if old is None:
            continue
        new = after.find("m:" + section, NS)
        old_items = [etree.tostring(e) for e in old]
        assert [etree.tostring(e) for e in new][:len(old_items)] == old_items, section
        assert int(new.get("count", len(new))) == len(new)
    # a second run finds its own styles again: styles.xml does not grow
    once = zipfile.ZipFile(book).read("xl/styles.xml")
    write_results(book, recs.reconciliation(), today=TODAY, backup=False)
    assert zipfile.ZipFile(book).read("xl/styles.xml") == once


def test_openpyxl_reads_the_tables_with_the_right_values(book):
    rec = recs.reconciliation(items=("Almonds", "Raisins", "Quinoa", "Oats", "Dates"))
    write_results(book, rec, today=TODAY, backup=False)
    wb = openpyxl.load_workbook(book)
    for name, frame in (("Balance", rec.balances), ("Supply", rec.supply), ("Yield", rec.yields),
                        ("Exceptions", rec.findings), ("Ledger", rec.ledger)):
        ws = wb[name]
        assert list(ws.tables) == [name]
        t = ws.tables[name]
        last = 1 + max(len(frame), 1)
        assert t.ref.split(":")[1].endswith(str(last)), (name, t.ref)
        assert [c.name for c in t.tableColumns] == [c.value for c in ws[1]]
        assert ws.freeze_panes == "A2"
    bal = wb["Balance"]
    header = [c.value for c in bal[1]]
    rows = [dict(zip(header, (c.value for c in r), strict=False)) for r in bal.iter_rows(min_row=2)]
    assert [r["Item"] for r in rows] == list(rec.balances["item"])
    assert [r["Owner"] for r in rows] == [None if pd.isna(o) else o for o in rec.balances["owner"]]
    assert all(r["Start"] == datetime(2025, 11, 1) and r["End"] == datetime(2025, 11, 30) for r in rows)
    for r, (_, e) in zip(rows, rec.balances.iterrows(), strict=True):
        assert r["Expected ending"] == pytest.approx(e["expected_ending"])
        assert (r["Variance %"] is None) == pd.isna(e["variance_pct"])
        if r["Variance %"] is not None:
            assert r["Variance %"] == pytest.approx(e["variance_pct"])
        assert r["Status"] == e["status"]
    cell = bal.cell(row=2, column=header.index("Beginning") + 1)
    assert cell.number_format == '#,##0.00 "lb"'
    sc = header.index("Status") + 1
    status = {bal.cell(row=i, column=sc).value: bal.cell(row=i, column=sc) for i in range(2, 7)}
    assert status["PASS"].fill.fgColor.rgb == "FFC6EFCE"
    assert status["NO COUNT"].fill.fgColor.rgb == "FFFFEB9C"
    assert status["NEGATIVE"].fill.fgColor.rgb == "FFFFC7CE"
    assert bal.cell(row=2, column=header.index("Start") + 1).number_format == "yyyy-mm-dd"
    exc = wb["Exceptions"]
    assert exc["G2"].value == "Receipts!C17" and exc["G2"].hyperlink.location == "'Receipts'!C17"
    assert exc["C2"].value == "Receipts" and exc["D2"].value == 17
    assert "&" in exc["F2"].value and "<check>" in exc["F2"].value
    # the Counts sheet does not exist: no link that Excel would call invalid
    missing = [r for r in exc.iter_rows(min_row=2) if r[1].value == "MISSING_TABLE"][0]
    assert missing[6].value is None and missing[6].hyperlink is None
    led = wb["Ledger"]
    assert led.max_row == len(rec.ledger) + 1
    assert led["A2"].value == datetime(2025, 1, 1) and led["D2"].value == "L-0"
    assert led["G2"].value == pytest.approx(rec.ledger["qty"][0])


def test_user_names_and_sheets_unchanged_and_markers_hidden(book):
    before = _xml(book, "xl/workbook.xml")
    write_results(book, recs.reconciliation(), today=TODAY, backup=False)
    after = _xml(book, "xl/workbook.xml")
    old_names = [etree.tostring(n) for n in before.find("m:definedNames", NS)]
    new_names = after.find("m:definedNames", NS)
    assert [etree.tostring(n) for n in new_names][:len(old_names)] == old_names
    markers = {n.get("name"): n for n in new_names if n.get("name").startswith("_massbal.")}
    assert set(markers) == {f"_massbal.{s}" for s in ("Balance", "Supply", "Yield", "Exceptions", "Ledger", "Investigations", "Dashboard")}
    assert all(m.get("hidden") == "1" for m in markers.values())
    assert markers["_massbal.Balance"].text == "'Balance'!$A$1"
    old_sheets = [etree.tostring(s) for s in before.find("m:sheets", NS)]
    assert [etree.tostring(s) for s in after.find("m:sheets", NS)][:len(old_sheets)] == old_sheets
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == ["Receipts", "Notes", "Balance", "Supply", "Yield", "Exceptions", "Ledger", "Investigations", "Dashboard"]
    assert wb.defined_names["TotalReceived"].attr_text == "Notes!$B$6"
    assert wb["Receipts"].tables["Receipts"].ref == "A1:E21"
    assert wb["Ledger"].print_title_rows == "$1:$1"


def test_a_second_run_with_the_same_results_changes_nothing(book):
    rec = recs.reconciliation()
    write_results(book, rec, today=TODAY, backup=False)
    first = book.read_bytes()
    write_results(book, rec, today=TODAY, backup=False)
    assert book.read_bytes() == first


def test_dates_honour_the_1904_system(tmp_path):
    path = tmp_path / "mac.xlsx"
    build_book(path, date1904=True)
    write_results(path, recs.reconciliation(), today=TODAY, backup=False)
    wb = openpyxl.load_workbook(path)
    assert wb.epoch.year == 1904
    assert wb["Balance"]["C2"].value == datetime(2025, 11, 1)
    sheet = _sheet_xml(path, "Balance")
    # 2025-11-01 is day 45962 in the 1900 system and 1462 days fewer in the 1904 one
    assert sheet.find(".//m:c[@r='C2']/m:v", NS).text == str(45962 - 1462)


def _sheet_xml(path, name):
    wbx = _xml(path, "xl/workbook.xml")
    rid = [s for s in wbx.find("m:sheets", NS) if s.get("name") == name][0].get(
        "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")
    rels = _xml(path, "xl/_rels/workbook.xml.rels")
    target = [r for r in rels if r.get("Id") == rid][0].get("Target")
    return _xml(path, "xl/" + target.lstrip("/").removeprefix("xl/"))


def test_macro_workbook_keeps_its_vba_project(tmp_path):
    with zipfile.ZipFile(CORPUS / "xw_macro04.xlsm") as z:
        vba = z.read("xl/vbaProject.bin")
    path = tmp_path / "macro.xlsm"
    build_book(path, vba=vba)
    original = tmp_path / "original.xlsm"
    original.write_bytes(path.read_bytes())
    write_results(path, recs.reconciliation(), today=TODAY, backup=False)
    differ, removed, _ = changed_members(original, path)
    assert "xl/vbaProject.bin" not in differ | removed
    assert zipfile.ZipFile(path).read("xl/vbaProject.bin") == vba
    ct = zipfile.ZipFile(path).read("[Content_Types].xml").decode()
    assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in ct
    assert "vbaProject" in ct
    wb = openpyxl.load_workbook(path, keep_vba=True)
    assert "Balance" in wb.sheetnames


def test_built_books_open_in_libreoffice(tmp_path, libreoffice):
    plain, mac = tmp_path / "plain.xlsx", tmp_path / "mac1904.xlsx"
    build_book(plain)
    build_book(mac, date1904=True)
    originals = []
    for p in (plain, mac):
        o = tmp_path / f"orig_{p.name}"
        o.write_bytes(p.read_bytes())
        originals.append(o)
        write_results(p, recs.reconciliation(), today=TODAY, backup=False)
    csvs = libreoffice.to_csv([plain, mac, *originals], tmp_path / "csv")
    for p, o in zip((plain, mac), originals, strict=True):
        new, old = csvs[p.stem], csvs[o.stem]
        for sheet in old:  # the user's sheets read exactly as before
            assert new[sheet] == old[sheet], (p.name, sheet)
        bal = new["Balance"]
        assert bal[0][:4] == ["Item", "Owner", "Start", "End"]
        assert bal[1][0] == "Almonds" and bal[1][2] == "2025-11-01" and bal[1][bal[0].index("Status")] == "NO COUNT"
        assert bal[2][bal[0].index("Variance")] == "-10"
        assert len(new["Ledger"]) == 21
        assert new["Exceptions"][1][6] == "Receipts!C17"
