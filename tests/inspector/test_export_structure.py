"""What the inspector's copy holds, read back with openpyxl: macro-free, every sheet
print-ready, the source rows of every movement, the certificate register, Trace and FSMA
204 sheets for the lots asked."""
from __future__ import annotations

import zipfile

import openpyxl
import pytest

from massbal.engine.api import prepare, reconcile_prepared
from massbal.inspector.export import export_inspector

from .books import granola
from .xlsxkit import sheet_rows, table


@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    d = tmp_path_factory.mktemp("structure")
    raw = granola()
    res = export_inspector(raw, d / "copy.xlsx", start="2025-03-01", end="2025-03-31", lots=["G1", "O1"],
                           source_name="granola.xlsx", pdf=False)
    return res


def test_macro_free_plain_xlsx(copy):
    with zipfile.ZipFile(copy.path) as z:
        names = z.namelist()
        types = z.read("[Content_Types].xml").decode()
    assert not any("vba" in n.lower() for n in names)
    assert "macroEnabled" not in types
    assert copy.path.suffix == ".xlsx"


def test_every_sheet_prints_with_titles_width_and_period(copy):
    wb = openpyxl.load_workbook(copy.path)
    visible = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
    assert [ws.title for ws in visible][:7] == ["Cover", "Dashboard", "Balance", "Supply", "Supply by item", "Yield",
                                                "Exceptions"]
    for ws in visible:
        # one page wide (1 is the file format's default, so it may be left out), as long as needed
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0, ws.title
        assert "2025-03-01 to 2025-03-31" in ws.oddHeader.right.text, ws.title
        assert "Sunrise Granola Co" in ws.oddHeader.left.text, ws.title
        assert copy.fingerprint[:16] in ws.oddFooter.right.text, ws.title
        if ws.title == "Dashboard":   # its charts print, two rows of them to a page, not its data table
            assert ws.print_area and not ws.print_title_rows and ws.row_breaks.count
        elif ws.title not in ("Cover",) and not ws.title.startswith("Trace"):
            assert ws.print_title_rows, ws.title  # the table's header row repeats on every page


def test_cover_states_settings_factors_version_and_fingerprint(copy):
    cover = {r[0]: r[1] for r in sheet_rows(copy.path, "Cover") if r and r[0]}
    assert cover["Operation"] == "Sunrise Granola Co"
    assert cover["Period"] == "2025-03-01 to 2025-03-31"
    assert cover["Report unit"] == "lb" and cover["Default tolerance %"] == 5
    assert cover["Lots traced"] == "G1 (Granola), O1 (Oats)"
    assert cover["Fingerprint (SHA-256)"] == copy.fingerprint and len(copy.fingerprint) == 64
    conv = table(copy.path, "Cover", "Unit as typed")
    case = next(r for r in conv if r["Unit as typed"] == "case")
    assert case["Item"] == "Granola" and case["lb per unit"] == pytest.approx(10.0)
    assert case["Source"].startswith("Items sheet, row 6: Kg per unit 4.53592")
    lb = next(r for r in conv if r["Unit as typed"] == "lb")
    assert lb["Item"] == "(any)" and "0.45359237 kg" in lb["Source"]


def test_every_ledger_row_has_its_source_row_as_typed(copy):
    led = table(copy.path, "Ledger", "Date")
    assert len(led) == 28
    by_sheet = {}
    for r in led:
        by_sheet.setdefault(r["Source sheet"], set()).add(r["Source row"])
    for sheet, rows in by_sheet.items():
        src = table(copy.path, f"Src {sheet}", "Row")
        assert rows <= {r["Row"] for r in src}, sheet
    ships = {r["Row"]: r for r in table(copy.path, "Src Shipments", "Row")}
    assert ships[2]["Quantity"] == 60 and ships[2]["Unit"] == "case" and ships[2]["Customer"] == "Whole Foods"


def test_certificate_register_with_validity_and_receipts(copy):
    certs = {r["Certificate"]: r for r in table(copy.path, "Certificates", "Supplier")}
    assert certs["QAI-222"]["Valid at period end"] == "No"
    assert certs["CCOF-111"]["Valid at period end"] == "Yes"
    assert certs["CCOF-111"]["Receipts in period"] == 2
    assert certs["CCOF-111"]["Quantity received in period"] == pytest.approx(3000)


def test_exceptions_are_the_engines_findings(copy):
    rec = reconcile_prepared(prepare(granola()), "2025-03-01", "2025-03-31")
    rows = table(copy.path, "Exceptions", "Severity")
    assert [(r["Code"], r["Sheet"], r["Row"]) for r in rows] == \
        [(f.code, f.sheet, f.row) for f in rec.findings.itertuples()]


def test_trace_sheets_for_the_lots_asked(copy):
    names = openpyxl.load_workbook(copy.path, read_only=True).sheetnames
    assert "Trace G1" in names and "Trace O1" in names
    back = table(copy.path, "Trace G1", "Depth")
    receipts = {r["Lot"]: r for r in back if r["Step"] == "Received"}
    assert receipts["H1"]["Certificate valid"] == "No" and receipts["O1"]["Certificate valid"] == "Yes"
    assert receipts["O1"]["Supplier lot"] == "PF-9001"


def test_fsma_204_one_row_per_critical_tracking_event(copy):
    ev = table(copy.path, "FSMA 204", "Critical tracking event")
    kinds = {}
    for r in ev:
        kinds.setdefault(r["Critical tracking event"], []).append(r)
    # back from G1 and O1: the receipts of O1, O2, H1, A1
    assert sorted(r["Traceability lot code"] for r in kinds["Receiving"]) == ["A1", "H1", "O1", "O2"]
    # runs on either trace: B1, B2 (GB1), B3 (G1, G2), B4 (G3, forward from O1)
    assert sorted((r["Reference document"], r["Traceability lot code"]) for r in kinds["Transformation"]) == [
        ("Batch B1", "GB1"), ("Batch B2", "GB1"), ("Batch B3", "G1"), ("Batch B3", "G2"), ("Batch B4", "G3")]
    b1 = next(r for r in kinds["Transformation"] if r["Reference document"] == "Batch B1")
    assert b1["Input traceability lot codes"] == "O1 (Oats, 1,200 lb); H1 (Honey, 200 lb)"
    # forward from O1 reaches every shipment of GB1, G1, G2, G3
    assert sorted(r["Reference document"] for r in kinds["Shipping"]) == ["INV-1", "INV-2", "INV-3", "INV-4", "INV-5"]
    inv1 = next(r for r in kinds["Shipping"] if r["Reference document"] == "INV-1")
    assert (inv1["Quantity"], inv1["Unit of measure"], inv1["Immediate subsequent recipient"]) == (60, "case", "Whole Foods")
    o1 = next(r for r in kinds["Receiving"] if r["Traceability lot code"] == "O1")
    assert (o1["Immediate previous source"], o1["Supplier lot code"]) == ("Prairie Farms", "PF-9001")
    dates = [r["Event date"] for r in ev]
    assert dates == sorted(dates)


def test_an_empty_book_and_an_unknown_lot(tmp_path):
    from massbal.engine.rawbook import RawBook
    from massbal.engine.trace.model import LotNotFound
    from massbal.inspector.verify import verify
    res = export_inspector(RawBook({}), tmp_path / "empty.xlsx", pdf=False)
    assert verify(res.path).ok
    assert table(res.path, "Balance", "Item") == []
    with pytest.raises(LotNotFound):
        export_inspector(granola(), tmp_path / "x.xlsx", lots=["NOPE"], pdf=False)
    assert not (tmp_path / "x.xlsx").exists()
