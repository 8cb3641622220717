"""Users' words survive Reconcile: notes, added columns, cells beside the table."""
from __future__ import annotations

from datetime import date, datetime

import openpyxl
import pytest
import recs
from iowrite_helpers import changed_members
from openpyxl.worksheet.table import Table, TableColumn, TableFormula

from massbal.layout.notes import ORPHANS_SHEET
from massbal.xlsx.write.write_results import write_results

TODAY = date(2025, 12, 5)


def _rows(ws):
    header = [c.value for c in ws[1]]
    return [dict(zip(header, (c.value for c in r), strict=False)) for r in ws.iter_rows(min_row=2)
            if any(c.value is not None for c in r)]


def _row_of(ws, **match):
    for r in _rows(ws):
        if all(r.get(k) == v for k, v in match.items()):
            return r
    raise AssertionError(f"no row {match}")


def _col(ws, name):
    return [c.value for c in ws[1]].index(name) + 1


@pytest.fixture
def book(tmp_path):
    path = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Receipts"
    wb.active.append(["Date", "Item", "Lot"])
    wb.save(path)
    return path


def _type_notes(path, sheet, at: dict, **values):
    """A user types into a copy with openpyxl (which re-saves everything its own way:
    shared strings, new styles), then the copy replaces the book."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    for r in ws.iter_rows(min_row=2):
        cells = {ws.cell(row=1, column=c.column).value: c for c in r}
        if all(cells[k].value == v for k, v in at.items()):
            for k, v in values.items():
                cells[k.replace("_", " ")].value = v
            break
    else:
        raise AssertionError(f"no row {at}")
    copy = path.with_name("typed.xlsx")
    wb.save(copy)
    copy.replace(path)


def test_a_note_survives_two_runs_and_follows_its_row(book):
    write_results(book, recs.reconciliation(), today=TODAY)
    _type_notes(book, "Balance", {"Item": "Raisins"}, Notes="Keyed 100 lb instead of 1000",
                Root_cause="Typo on receipt R-17", Investigated_by="Ann")
    # new items come before Raisins and its figures change: the note follows the key
    rec = recs.reconciliation(items=("Apricots", "Quinoa", "Raisins", "Almonds"))
    for _ in range(2):
        report = write_results(book, rec, today=TODAY)
    assert report.notes_kept == 3 and report.notes_orphaned == 0
    ws = openpyxl.load_workbook(book)["Balance"]
    raisins = _row_of(ws, Item="Raisins")
    assert raisins["Notes"] == "Keyed 100 lb instead of 1000"
    assert raisins["Root cause"] == "Typo on receipt R-17" and raisins["Investigated by"] == "Ann"
    assert all(r["Notes"] is None for r in _rows(ws) if r["Item"] != "Raisins")
    assert ORPHANS_SHEET not in openpyxl.load_workbook(book).sheetnames


def test_notes_on_every_noted_sheet(book):
    write_results(book, recs.reconciliation(), today=TODAY)
    _type_notes(book, "Supply", {"Ingredient": "Almonds"}, Notes="checked")
    _type_notes(book, "Yield", {"Batch": "B-102"}, Corrective_action="weigh the fines")
    _type_notes(book, "Exceptions", {"Code": "UNKNOWN_LOT", "Row": 18}, Notes="lot relabelled")
    rec = recs.reconciliation(supply=recs.supply(["Almonds", "Oats"]), yields=recs.yields(["B-100", "B-102"]))
    write_results(book, rec, today=TODAY)
    wb = openpyxl.load_workbook(book)
    assert _row_of(wb["Supply"], Ingredient="Almonds")["Notes"] == "checked"
    assert _row_of(wb["Yield"], Batch="B-102")["Corrective action"] == "weigh the fines"
    assert _row_of(wb["Exceptions"], Code="UNKNOWN_LOT", Row=18)["Notes"] == "lot relabelled"
    assert _row_of(wb["Exceptions"], Code="UNKNOWN_LOT", Row=17)["Notes"] is None


def test_an_orphaned_note_is_kept_and_comes_back(book):
    write_results(book, recs.reconciliation(), today=TODAY)
    _type_notes(book, "Balance", {"Item": "Raisins"}, Notes="count recheck 12/3", Root_cause=42.5)
    # Raisins leaves the results (a run limited to other items): its notes are orphaned
    report = write_results(book, recs.reconciliation(items=("Almonds", "Quinoa")), today=TODAY)
    assert report.notes_orphaned == 2
    wb = openpyxl.load_workbook(book)
    assert "Raisins" not in [r["Item"] for r in _rows(wb["Balance"])]
    orphans = _rows(wb[ORPHANS_SHEET])
    assert {(o["Sheet"], o["Column"], o["Value"]) for o in orphans} == {
        ("Balance", "Notes", "count recheck 12/3"), ("Balance", "Root cause", 42.5)}
    assert all(o["Key"] == "Raisins |  | 2025-11-01 | 2025-11-30" for o in orphans)
    assert all(o["Orphaned on"] == datetime(2025, 12, 5) for o in orphans)
    assert list(wb[ORPHANS_SHEET].tables) == ["OrphanedNotes"]
    # another run without Raisins keeps them; a run with Raisins puts them back
    write_results(book, recs.reconciliation(items=("Almonds",)), today=TODAY)
    assert len(_rows(openpyxl.load_workbook(book)[ORPHANS_SHEET])) == 2
    report = write_results(book, recs.reconciliation(), today=TODAY)
    assert report.notes_kept == 2
    wb = openpyxl.load_workbook(book)
    raisins = _row_of(wb["Balance"], Item="Raisins")
    assert raisins["Notes"] == "count recheck 12/3" and raisins["Root cause"] == 42.5
    assert _rows(wb[ORPHANS_SHEET]) == []


def test_a_column_the_user_added_to_the_table_survives(book):
    write_results(book, recs.reconciliation(), today=TODAY)
    wb = openpyxl.load_workbook(book)
    ws = wb["Balance"]
    t = ws.tables["Balance"]
    ncol = len(t.tableColumns)
    ws.cell(row=1, column=ncol + 1, value="Checked by")
    ws.cell(row=1, column=ncol + 2, value="Double variance")
    t.tableColumns.append(TableColumn(id=ncol + 1, name="Checked by"))
    t.tableColumns.append(TableColumn(id=ncol + 2, name="Double variance",
                                      calculatedColumnFormula=TableFormula(
                                          attr_text="Balance[[#This Row],[Variance]]*2")))
    last = ws.max_row
    for r in range(2, last + 1):
        ws.cell(row=r, column=ncol + 2, value="=Balance[[#This Row],[Variance]]*2")
    for r in range(2, last + 1):
        if ws.cell(row=r, column=1).value == "Quinoa":
            ws.cell(row=r, column=ncol + 1, value="Bob")
    ref = f"A1:{openpyxl.utils.get_column_letter(ncol + 2)}{last}"
    t.ref = ref
    t.autoFilter.ref = ref
    wb.save(book)
    rec = recs.reconciliation(items=("Quinoa", "Oats", "Almonds", "Raisins"))
    write_results(book, rec, today=TODAY)
    wb = openpyxl.load_workbook(book)
    ws = wb["Balance"]
    t = ws.tables["Balance"]
    names = [c.name for c in t.tableColumns]
    assert names[-2:] == ["Checked by", "Double variance"]
    assert t.tableColumns[-1].calculatedColumnFormula.attr_text == "Balance[[#This Row],[Variance]]*2"
    assert t.ref == "A1:Z5"  # 26 columns: the Balance with its farm, investigation and note columns
    assert _row_of(ws, Item="Quinoa")["Checked by"] == "Bob"
    assert _row_of(ws, Item="Oats")["Checked by"] is None
    col = _col(ws, "Double variance")
    assert all(ws.cell(row=r, column=col).value == "=Balance[[#This Row],[Variance]]*2" for r in range(2, 6))


def test_cells_beside_the_table_stay_or_are_orphaned(book):
    write_results(book, recs.reconciliation(), today=TODAY)
    wb = openpyxl.load_workbook(book)
    ws = wb["Balance"]
    ws["A9"] = "Reviewed by Ann"           # below the table
    ws["X2"] = "side remark"               # right of the table
    ws["A5"] = "will be covered"           # just below, where a longer table will reach
    wb.save(book)
    write_results(book, recs.reconciliation(items=("Almonds", "Raisins", "Quinoa", "Oats", "Dates")),
                  today=TODAY)
    wb = openpyxl.load_workbook(book)
    ws = wb["Balance"]
    assert ws["A9"].value == "Reviewed by Ann" and ws["X2"].value == "side remark"
    assert ws["A5"].value == "Oats"
    orphans = _rows(wb[ORPHANS_SHEET])
    assert [(o["Key"], o["Column"], o["Value"]) for o in orphans] == [
        ("cell A5", "(outside the table)", "will be covered")]


def test_a_users_own_sheet_named_balance_is_left_alone(book, tmp_path):
    wb = openpyxl.load_workbook(book)
    mine = wb.create_sheet("Balance")
    mine.append(["My own balance", "Qty", "Note"])
    mine.add_table(Table(displayName="MyBalance", ref="A1:C2"))
    mine.append(["x", 3, 4])
    wb.save(book)
    original = tmp_path / "original.xlsx"
    original.write_bytes(book.read_bytes())
    report = write_results(book, recs.reconciliation(), today=TODAY)
    assert report.sheets[0].sheet == "Balance (massbal)" and report.sheets[0].table == "Balance"
    assert any("'Balance' is not one massbal wrote" in w for w in report.warnings)
    differ, removed, _ = changed_members(original, book)
    assert not removed and not any(n.startswith("xl/worksheets/") for n in differ)
    report = write_results(book, recs.reconciliation(), today=TODAY)
    assert report.sheets[0].sheet == "Balance (massbal)" and report.sheets[0].replaced
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames.count("Balance (massbal)") == 1 and "Balance (massbal 2)" not in wb.sheetnames
    assert wb["Balance"]["A1"].value == "My own balance"


def test_a_renamed_massbal_sheet_becomes_the_users(book):
    write_results(book, recs.reconciliation(), today=TODAY)
    _type_notes(book, "Balance", {"Item": "Raisins"}, Notes="November sign-off")
    wb = openpyxl.load_workbook(book)
    wb["Balance"].title = "Balance Nov"
    wb.defined_names["_massbal.Balance"].attr_text = "'Balance Nov'!$A$1"  # as Excel would do
    wb.save(book)
    report = write_results(book, recs.reconciliation(items=("Oats",)), today=TODAY)
    wb = openpyxl.load_workbook(book)
    assert _row_of(wb["Balance Nov"], Item="Raisins")["Notes"] == "November sign-off"
    assert [r["Item"] for r in _rows(wb["Balance"])] == ["Oats"]
    assert report.sheets[0].sheet == "Balance" and not report.sheets[0].replaced
    assert wb.defined_names["_massbal.Balance"].attr_text == "'Balance'!$A$1"


def test_libreoffice_resaved_book_keeps_notes(book, tmp_path, libreoffice):
    """A book saved by another program (shared strings, its own styles and table parts)."""
    write_results(book, recs.reconciliation(), today=TODAY)
    _type_notes(book, "Balance", {"Item": "Quinoa"}, Notes="seen by LibreOffice")
    resaved = libreoffice.to_xlsx([book], tmp_path / "lo")[0]
    report = write_results(resaved, recs.reconciliation(items=("Quinoa", "Almonds")), today=TODAY)
    assert report.sheets[0].replaced and report.notes_kept == 1
    wb = openpyxl.load_workbook(resaved)
    assert _row_of(wb["Balance"], Item="Quinoa")["Notes"] == "seen by LibreOffice"
    assert [r["Item"] for r in _rows(wb["Balance"])] == ["Quinoa", "Almonds"]


def test_a_table_converted_to_a_range_still_carries_its_notes(book):
    write_results(book, recs.reconciliation(), today=TODAY)
    _type_notes(book, "Balance", {"Item": "Quinoa"}, Notes="recount done")
    wb = openpyxl.load_workbook(book)
    del wb["Balance"].tables["Balance"]      # Table Design > Convert to Range
    wb.save(book)
    report = write_results(book, recs.reconciliation(items=("Quinoa", "Almonds")), today=TODAY)
    assert report.notes_kept == 1 and report.notes_orphaned == 0
    wb = openpyxl.load_workbook(book)
    ws = wb["Balance"]
    assert list(ws.tables) == ["Balance"] and ws.tables["Balance"].ref == "A1:X3"
    assert _row_of(ws, Item="Quinoa")["Notes"] == "recount done"
    assert [r["Item"] for r in _rows(ws)] == ["Quinoa", "Almonds"]
    assert ORPHANS_SHEET not in wb.sheetnames


def test_the_users_settings_on_a_massbal_sheet_survive(book, tmp_path, libreoffice):
    """Tab colour, column widths, a drop-down on Root cause, a conditional format, a
    comment and print titles that a user put on the Balance sheet."""
    from openpyxl.comments import Comment
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    write_results(book, recs.reconciliation(), today=TODAY)
    wb = openpyxl.load_workbook(book)
    ws = wb["Balance"]
    ws.sheet_properties.tabColor = "FF0000"
    ws.column_dimensions["Q"].width = 55
    dv = DataValidation(type="list", formula1='"Typo,Shrinkage,Theft"', allow_blank=True)
    dv.add("R2:R200")
    ws.add_data_validation(dv)
    ws.conditional_formatting.add("M2:M200", CellIsRule(operator="lessThan", formula=["-5"],
                                                         fill=PatternFill("solid", fgColor="FFFF00")))
    ws["A2"].comment = Comment("checked with the warehouse", "Ann")
    ws.print_title_rows = "1:1"
    wb.save(book)
    write_results(book, recs.reconciliation(), today=TODAY)
    wb = openpyxl.load_workbook(book)
    ws = wb["Balance"]
    assert ws.sheet_properties.tabColor.rgb == "00FF0000"
    assert ws.column_dimensions["Q"].width == 55
    assert [str(v.sqref) for v in ws.data_validations.dataValidation] == ["R2:R200"]
    assert [str(r.sqref) for r in ws.conditional_formatting] == ["M2:M200"]
    assert ws["A2"].comment is not None and ws["A2"].comment.text == "checked with the warehouse"
    assert ws.print_title_rows == "$1:$1"
    assert ws["A2"].value == "Almonds" and list(ws.tables) == ["Balance"]
    csv = libreoffice.to_csv([book], tmp_path / "csv")[book.stem]
    assert csv["Balance"][1][0] == "Almonds"


def test_empty_results_write_empty_tables(book):
    from massbal.engine import findings as F
    write_results(book, recs.reconciliation(), today=TODAY)
    empty = recs.reconciliation(balances=recs.balances([]), supply=recs.supply([]),
                                yields=recs.yields([]), findings=F.empty(), ledger=recs.ledger(0))
    report = write_results(book, empty, today=TODAY)
    assert [s.rows for s in report.sheets] == [0] * 7   # the six result sheets and the Dashboard
    wb = openpyxl.load_workbook(book)
    for name in ("Balance", "Supply", "Yield", "Exceptions", "Ledger"):
        ws = wb[name]
        assert ws.tables[name].ref.endswith("2") and _rows(ws) == []
    assert not wb["Exceptions"]["G2"].hyperlink


def test_cells_under_the_orphan_table_are_kept_when_it_grows(book):
    write_results(book, recs.reconciliation(), today=TODAY)
    _type_notes(book, "Balance", {"Item": "Raisins"}, Notes="one")
    write_results(book, recs.reconciliation(items=("Almonds",)), today=TODAY)
    wb = openpyxl.load_workbook(book)
    wb[ORPHANS_SHEET]["A3"] = "typed under the orphans"
    wb.save(book)
    _type_notes(book, "Balance", {"Item": "Almonds"}, Notes="two")
    write_results(book, recs.reconciliation(items=("Oats",)), today=TODAY)
    values = {o["Value"] for o in _rows(openpyxl.load_workbook(book)[ORPHANS_SHEET])}
    assert values == {"one", "two", "typed under the orphans"}
