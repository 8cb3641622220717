"""The Dashboard's native charts in real Excel-saved workbooks: chart and drawing parts
are massbal's, added on the first run and replaced in place on the next (more or fewer
charts), every other part byte-identical; the chart XML names the Dashboard's own
cells and caches their values; the result sheets print landscape, fitted to the width."""
from __future__ import annotations

import re
import zipfile
from datetime import date

import pytest
import recs
from iowrite_helpers import CORPUS, changed_members, copy_writable
from lxml import etree

from massbal.layout.dashboard import dashboard_sheet
from massbal.xlsx.write.write_results import write_results

TODAY = date(2025, 12, 5)
ALL = sorted(p for p in CORPUS.glob("*.xls*") if "strict" not in p.name) if CORPUS.exists() else []
SHARED = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "xl/styles.xml"}
C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"


def _overrides(z: zipfile.ZipFile) -> set[str]:
    ct = z.read("[Content_Types].xml").decode()
    return {p.lstrip("/") for p in re.findall(r'PartName="([^"]+)"', ct)}


def _charts_of_dashboard(path) -> list[str]:
    """The chart parts the Dashboard's drawing names, through the relationships."""
    with zipfile.ZipFile(path) as z:
        wb = z.read("xl/workbook.xml").decode()
        rid = re.search(r'<sheet name="Dashboard" sheetId="\d+" r:id="(rId\d+)"', wb).group(1)
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        sheet = "xl/" + re.search(rf'Id="{rid}"[^>]*Target="/?(?:xl/)?([^"]+)"', rels).group(1)
        srels = z.read(sheet.replace("worksheets/", "worksheets/_rels/") + ".rels").decode()
        drawing = "xl/" + re.search(r'relationships/drawing" Target="\.\./([^"]+)"', srels).group(1)
        drels = z.read(drawing.replace("drawings/", "drawings/_rels/") + ".rels").decode()
        return ["xl/" + t for t in re.findall(r'Target="\.\./([^"]+)"', drels)]


pytestmark = pytest.mark.skipif(not ALL, reason="the shared corpus is not here")


def test_every_corpus_book_gets_charts_and_a_rerun_replaces_them(tmp_path):
    first = recs.reconciliation(items=("Almonds", "Raisins", "Quinoa", "Oats"))
    fewer = recs.reconciliation(items=("Almonds",), supply=recs.supply(["Quinoa"]))
    n_first = len(dashboard_sheet(first).charts)
    n_fewer = len(dashboard_sheet(fewer).charts)
    assert (n_first, n_fewer) == (4 + 2 + 1, 1 + 1 + 1)   # stock per item, supply per ingredient, yield per product
    for src in ALL:
        book = copy_writable(src, tmp_path)
        write_results(book, first, today=TODAY, backup=False)
        differ, removed, added = changed_members(src, book)
        assert not removed and differ <= SHARED | {n for n in differ if n.endswith("styles.xml")}, (src.name, differ)
        charts = _charts_of_dashboard(book)
        assert len(charts) == n_first, src.name
        with zipfile.ZipFile(book) as z:
            assert set(charts) <= set(z.namelist()) and set(charts) <= _overrides(z), src.name
            assert set(charts) <= added, src.name
            before = set(z.namelist())
        # the second run has fewer charts: the first ones are rewritten in place, the rest go
        snapshot = book.with_name("snap_" + book.name)
        snapshot.write_bytes(book.read_bytes())
        write_results(book, fewer, today=TODAY, backup=False)
        differ, removed, added = changed_members(snapshot, book)
        assert not added, (src.name, added)
        assert removed == set(charts[n_fewer:]), (src.name, removed)
        assert _charts_of_dashboard(book) == charts[:n_fewer]
        with zipfile.ZipFile(book) as z:
            names = set(z.namelist())
            assert names == before - removed
            assert not {p for p in _overrides(z) if "/charts/" in p or "/drawings/drawing" in p} - names, src.name
        snapshot.unlink()
        book.unlink()


def test_chart_names_the_dashboards_cells_and_caches_them(tmp_path):
    book = copy_writable(CORPUS / "xw_table06.xlsx", tmp_path)
    rec = recs.reconciliation()
    write_results(book, rec, today=TODAY, backup=False)
    charts = _charts_of_dashboard(book)
    with zipfile.ZipFile(book) as z:
        first = etree.fromstring(z.read(charts[0]))
    title = "".join(first.find(f"{C}chart/{C}title").itertext())
    assert title == "Stock of Almonds"
    names = [s.find(f"{C}tx//{C}v").text for s in first.iter(f"{C}ser")]
    assert names == ["Tolerance low", "Tolerance band", "Book", "Counted", "Flagged"]
    book_ser = next(s for s in first.iter(f"{C}ser") if s.find(f"{C}tx//{C}v").text == "Book")
    # the table starts at R1 on a new Dashboard: row 2 holds Almonds (one period)
    assert book_ser.find(f"{C}val/{C}numRef/{C}f").text == "'Dashboard'!$W$2:$W$2"
    assert [float(v.text) for v in book_ser.find(f"{C}val").iter(f"{C}v")] == [1000.0]   # expected ending (hand-made)
    band = next(s for s in first.iter(f"{C}ser") if s.find(f"{C}tx//{C}v").text == "Tolerance band")
    assert float(band.find(f"{C}val//{C}v").text) == pytest.approx(2 * 0.05 * 1000.0)   # +-5 % of 1,000


def test_result_sheets_print_landscape_fitted_with_titles(tmp_path):
    book = copy_writable(CORPUS / "xw_table06.xlsx", tmp_path)
    write_results(book, recs.reconciliation(), today=TODAY, backup=False)
    with zipfile.ZipFile(book) as z:
        wb = z.read("xl/workbook.xml").decode()
        sheets = re.findall(r'<sheet name="([^"]+)" sheetId="\d+" r:id="(rId\d+)"', wb)
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        for index, (name, rid) in enumerate(sheets):
            if name not in ("Balance", "Supply", "Yield", "Exceptions", "Ledger", "Dashboard"):
                continue
            target = re.search(rf'Id="{rid}"[^>]*Target="/?(?:xl/)?([^"]+)"', rels).group(1)
            xml = z.read("xl/" + target).decode()
            assert '<pageSetup orientation="landscape" fitToWidth="1" fitToHeight="0"/>' in xml, name
            assert '<pageSetUpPr fitToPage="1"/>' in xml, name
            titles = re.search(rf'name="_xlnm.Print_Titles" localSheetId="{index}">([^<]+)<', wb)
            if name == "Dashboard":
                assert titles is None
                assert re.search(rf'name="_xlnm.Print_Area" localSheetId="{index}">\'Dashboard\'!\$A\$1:\$P\$\d+<', wb)
            elif name == "Ledger":
                assert titles.group(1) == "'Ledger'!$A:$C,'Ledger'!$1:$1"
            else:
                assert titles.group(1) == f"'{name}'!$A:$A,'{name}'!$1:$1", name


def test_exception_messages_wrap_in_rows_tall_enough(tmp_path):
    import openpyxl

    from massbal.engine import findings as F
    long = ("Batch B25-0079 makes an organic product but uses lot ALM-250618-1 of Almonds, which is "
            "conventional (not organic). Its output cannot be sold as organic unless this input is corrected.")
    rec = recs.reconciliation(findings=F.combine([F.make("error", "COMMINGLED", "BatchInputs", [126], "Lot", "C", long),
                                                  F.make("warning", "MISSING_TABLE", "Counts", None, None, None, "No Counts.")]))
    book = copy_writable(CORPUS / "xw_table06.xlsx", tmp_path)
    write_results(book, rec, today=TODAY, backup=False)
    ws = openpyxl.load_workbook(book)["Exceptions"]
    assert ws["F1"].value == "Message" and ws["F2"].value == long
    assert ws["F2"].alignment.wrap_text and ws["F2"].alignment.vertical == "top"
    assert ws["A2"].alignment.vertical == "top"            # the row's other cells read from the top too
    # 190 characters in a column 60 wide (about 78 characters of text a line): 3 lines of 15 pt
    assert ws.row_dimensions[2].height == 45
    assert ws.row_dimensions[3].height is None              # a one-line message keeps the default height


def test_chart_points_are_the_per_point_text():
    """A series' cached points (chart_xml's _num_ref and _str_ref, plain floats and plain
    categories made in one pass) are the text of the point-by-point rule: finite numbers as
    repr, NaN, infinities and non-numbers left out, categories escaped, empty ones left out."""
    import math

    import numpy as np

    from massbal.xlsx.write.cell_xml import esc_one
    from massbal.xlsx.write.chart_xml import _num, _num_ref, _str_ref

    def num_ref(values):
        pts = "".join(f'<c:pt idx="{i}"><c:v>{x}</c:v></c:pt>' for i, v in enumerate(values)
                      if (x := _num(v)) is not None)
        return (f"<c:numRef><c:f>R</c:f><c:numCache><c:formatCode>General</c:formatCode>"
                f'<c:ptCount val="{len(values)}"/>{pts}</c:numCache></c:numRef>')

    def str_ref(values):
        pts = "".join(f'<c:pt idx="{i}"><c:v>{esc_one(v)}</c:v></c:pt>' for i, v in enumerate(values)
                      if v is not None and str(v) != "")
        return f'<c:strRef><c:f>R</c:f><c:strCache><c:ptCount val="{len(values)}"/>{pts}</c:strCache></c:strRef>'

    floats = [0.0, -0.0, math.nan, math.inf, -math.inf, 1.5, 1e20, 1 / 3, -2.25e-7, 12.0]
    for values in (floats, floats * 300, floats + [3], floats + [np.float64(2.5), None, "4", "x", True], [], [None]):
        assert _num_ref("R", values) == num_ref(values)
    for values in (["2025-01-03", "Oats", "", None, "é"] * 40, ["a & b", "<x>", "bell\x07", "\ufffe", "ok", None],
                   [1, 2.5, None, ""], []):
        assert _str_ref("R", values) == str_ref(values)
