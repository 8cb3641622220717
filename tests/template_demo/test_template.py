"""The empty workbook `massbal new` hands out: read back with openpyxl and LibreOffice."""
from __future__ import annotations

import csv
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import range_boundaries

from massbal.engine.schema import KINDS, LOSS_REASONS, book_specs

TABLES = {t.name: t for t in book_specs()}  # a handler's book: no farm tables or columns
from massbal.books.template import COMMON_UNITS, NAMES, XLWINGS_CONF, write_input_book, write_template

TEMPLATE = Path(__file__).resolve().parents[2] / "workbook_template" / "massbal_template.xlsx"


@pytest.fixture(scope="module")
def book():
    return openpyxl.load_workbook(TEMPLATE)


def test_committed_template_is_exactly_what_write_template_writes(tmp_path):
    fresh = write_template(tmp_path / "t.xlsx")
    new, old = fresh.read_bytes(), TEMPLATE.read_bytes()
    if new != old:
        a, b = zipfile.ZipFile(fresh), zipfile.ZipFile(TEMPLATE)
        changed = [n for n in a.namelist() if n not in b.namelist() or a.read(n) != b.read(n)]
        pytest.fail(f"workbook_template/massbal_template.xlsx is stale; parts that differ: {changed}. "
                    "Regenerate it with massbal.books.template.write_template.")


def test_output_is_deterministic(tmp_path):
    a = write_template(tmp_path / "a.xlsx").read_bytes()
    b = write_template(tmp_path / "b.xlsx").read_bytes()
    assert a == b
    z = zipfile.ZipFile(tmp_path / "a.xlsx")
    assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    core = z.read("docProps/core.xml").decode()
    assert "<dcterms:created" in core and "2025-01-01T00:00:00Z" in core


def test_sheets_in_order_each_with_its_table_and_exact_headers(book):
    assert book.sheetnames == ["Start here", *TABLES, "xlwings.conf"]
    for name, spec in TABLES.items():
        ws = book[name]
        assert list(ws.tables) == [name]
        min_col, min_row, max_col, max_row = range_boundaries(ws.tables[name].ref)
        assert (min_col, min_row) == (1, 1)
        header = [ws.cell(1, c).value for c in range(1, max_col + 1)]
        assert header == [c.name for c in spec.columns], name
        # columns of the Table definition name the same headers (Excel repairs a mismatch)
        assert [c.name for c in ws.tables[name].tableColumns] == header
        assert max_row >= 3  # a few empty rows to type into


def test_required_headers_marked_by_style_not_text(book):
    for name, spec in TABLES.items():
        ws = book[name]
        fills = {}
        for i, col in enumerate(spec.columns, start=1):
            cell = ws.cell(1, i)
            assert cell.value == col.name  # text unchanged: no '*' added
            fills[col.required] = fills.get(col.required, set()) | {cell.fill.fgColor.rgb}
        assert True in fills, name
        if False in fills:
            assert fills[True].isdisjoint(fills[False]), f"{name}: required and optional headers look alike"


def test_header_notes_say_what_to_type(book):
    ws = book["Receipts"]
    assert ws["A1"].comment is not None and "Required" in ws["A1"].comment.text
    assert "certificate" in ws["H1"].comment.text.lower()


def _validations(ws) -> dict[str, tuple[str, str, str]]:
    """Column letter -> (type, formula1, error style) of each validation starting at row 2."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in str(dv.sqref).split():
            first = rng.split(":")[0]
            col = "".join(ch for ch in first if ch.isalpha())
            assert first == f"{col}2", rng
            assert rng.endswith("1048576"), "validation covers the whole column"
            out[col] = (dv.type, dv.formula1, dv.errorStyle)
    return out


def _letter(table: str, column: str) -> str:
    names = [c.name for c in TABLES[table].columns]
    return openpyxl.utils.get_column_letter(names.index(column) + 1)


def test_dropdowns_and_checks(book):
    units = '"' + ",".join(COMMON_UNITS) + '"'
    for name, spec in TABLES.items():
        v = _validations(book[name])
        for col in spec.columns:
            got = v.get(_letter(name, col.name))
            if col.name == "Item" and name != "Items":
                assert got[:2] == ("list", "ItemList"), (name, got)
            elif col.kind == "unit":
                assert got[:2] == ("list", units)
            elif col.kind == "yesno":
                assert got[:2] == ("list", '"Yes,No"')
            elif col.kind == "date":
                assert got[0] == "date"
            elif col.kind == "number":
                assert got[0] == "decimal"
        # units are free text: every validation warns and lets the value stand
        assert {s for _, _, s in v.values()} <= {"warning"}
    assert _validations(book["Items"])["B"][:2] == ("list", '"' + ",".join(KINDS) + '"')
    assert _validations(book["Losses"])[_letter("Losses", "Reason")][:2] == ("list", '"' + ",".join(LOSS_REASONS) + '"')
    for table in ("BatchInputs", "Shipments", "Transfers", "Losses"):
        kind, formula, _ = _validations(book[table])[_letter(table, "Lot")]
        assert kind == "custom" and "ReceiptLots" in formula and "RunLots" in formula
    assert _validations(book["BatchInputs"])["A"][:2] == ("list", "BatchList")
    names = {k: v.attr_text for k, v in book.defined_names.items()}
    assert names == {k: v.lstrip("=") for k, v in NAMES.items()}


def test_settings_prefilled(book):
    ws = book["Settings"]
    rows = [(r[0].value, r[1].value) for r in ws.iter_rows(min_row=2, max_row=3)]
    assert rows == [("Unit", "lb"), ("Tolerance %", 5)]
    assert ws.tables["Settings"].ref == "A1:B3"


def test_print_setup_frozen_header_widths(book):
    for name in TABLES:
        ws = book[name]
        assert ws.freeze_panes == "A2"
        assert ws.page_setup.orientation == "landscape"
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        # fitToWidth defaults to 1 in the file format when absent; 0 tall means "as many pages as needed"
        assert (ws.page_setup.fitToWidth or 1) == 1 and ws.page_setup.fitToHeight == 0
        assert ws.print_title_rows == "$1:$1"
        assert "&A" in ws.oddHeader.left.text and "&P" in ws.oddFooter.center.text
        for i, col in enumerate(TABLES[name].columns, start=1):
            width = ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width
            assert width >= len(col.name) + 2
    assert book["Receipts"].column_dimensions["A"].number_format == "yyyy-mm-dd"


def test_xlwings_conf_hidden_with_udf_modules(book):
    ws = book["xlwings.conf"]
    assert ws.sheet_state == "hidden"
    assert [(r[0].value, r[1].value) for r in ws.iter_rows(max_col=2)] == list(XLWINGS_CONF)
    assert XLWINGS_CONF == (("UDF Modules", "massbal.excel.udfs"),)


def test_start_here_explains_every_table(book):
    ws = book["Start here"]
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)
    for name, spec in TABLES.items():
        assert name in text
        assert spec.row_is[1:] in text  # what one row is
        assert ", ".join(spec.required) in text
    for words in ("Kg per unit", "massbal reconcile", "Reconcile", "YYYY-MM-DD", "Tolerance %", "lb"):
        assert words in text
    assert book.active.title == "Start here"


def test_libreoffice_opens_it_and_prints_a_pdf(tmp_path, lo_convert):
    lo_convert(TEMPLATE, tmp_path, "pdf")
    pdf = tmp_path / "massbal_template.pdf"
    assert pdf.exists() and pdf.stat().st_size > 10_000
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages >= 1 + len(TABLES)  # instructions, then one landscape page per (empty) table
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "massbal: organic mass balance" in text
    assert "Supplier lot" in text and "Kg per unit" in text


def test_libreoffice_keeps_the_validations_and_names(tmp_path, lo_convert):
    out = tmp_path / "out"
    lo_convert(TEMPLATE, out, "xlsx")
    wb = openpyxl.load_workbook(out / "massbal_template.xlsx")
    names = {k: v.attr_text for k, v in wb.defined_names.items()}
    assert names["ItemList"] == "Items[Item]"
    kinds = {(dv.type, dv.formula1) for dv in wb["BatchInputs"].data_validations.dataValidation}
    assert ("list", "ItemList") in kinds and ("list", "BatchList") in kinds
    assert any(t == "custom" and "ReceiptLots" in f for t, f in kinds)


def test_libreoffice_resolves_the_dropdown_sources(tmp_path, lo_convert):
    """The names behind the dropdowns and the lot check, computed by LibreOffice itself."""
    tables = {
        "Items": pd.DataFrame({"Item": ["Rolled oats", "Honey", "Granola 12oz"],
                               "Kind": ["Ingredient", "Ingredient", "Product"]}),
        "Receipts": pd.DataFrame({"Date": pd.to_datetime(["2025-01-02"]), "Item": ["Rolled oats"], "Lot": ["OAT-1"],
                                  "Quantity": [1000.0], "Unit": ["lb"]}),
        "Batches": pd.DataFrame({"Batch": ["B-1"], "Date": pd.to_datetime(["2025-01-03"]), "Item": ["Granola 12oz"],
                                 "Lot": ["GRN-1"], "Quantity": [100.0], "Unit": ["case"]}),
    }
    path = write_input_book(tmp_path / "small.xlsx", tables)
    wb = openpyxl.load_workbook(path)
    probe = wb.create_sheet("Probe", 0)
    lot_check = _validations(wb["Shipments"])[_letter("Shipments", "Lot")][1]
    probe["A1"] = "=ROWS(ItemList)"
    probe["B1"] = "=INDEX(ItemList,2)"
    probe["C1"] = "=ROWS(BatchList)"
    probe["D1"] = '="x"&INDEX(RunLots,1)'
    # the Shipments Lot check, as written in the validation, on a known and an unknown lot
    probe["A2"], probe["B2"], probe["C2"] = "OAT-1", "GRN-1", "NEVER-ARRIVED"
    for col in "ABC":
        probe[f"{col}3"] = "=" + lot_check.replace("C2", f"{col}2")
    wb.save(tmp_path / "probe.xlsx")
    filt = 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,1'  # first sheet
    lo_convert(tmp_path / "probe.xlsx", tmp_path / "csv", filt, recalc=True, profile=tmp_path / "lo")
    rows = list(csv.reader((tmp_path / "csv" / "probe-Probe.csv").open(encoding="utf-8")))
    assert rows[0][:4] == ["3", "Honey", "1", "xGRN-1"]
    assert [v.upper() for v in rows[2][:3]] == ["TRUE", "TRUE", "FALSE"]
