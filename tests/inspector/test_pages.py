"""The printed pages read well (issue 9, items 8 and the Dashboard): long certificate
numbers, customer names and lot lists are wrapped, never cut; source dates print as
dates; statuses are coloured; the inspector's copy carries the Dashboard's native charts
and its PDF shows them. Real XlsxWriter files, real LibreOffice, real pdftotext."""
from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from dataclasses import replace

import openpyxl
import pytest

from massbal.engine.api import prepare, recall
from massbal.inspector.export import export_inspector
from massbal.inspector.recall_report import recall_pdf

from .books import T, granola

LONG_CERT = "ES-ECO-023-NOP-0419"
LONG_CUSTOMER = "Northstar Natural Distributors"
ITEMS = "Oats, Honey, Almonds, Raisins, Currants, Sunflower seed in-shell, Flax seed"


@pytest.fixture(scope="module", autouse=True)
def _tools():
    import libreoffice  # tests/libreoffice.py: skip on a developer's machine without it, fail in CI
    libreoffice.soffice()
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler (pdftotext) is not installed")


def _book():
    raw = granola(extra_shipments=[["2025-03-12", "Granola", "G3", 100, "lb", LONG_CUSTOMER, "Warehouse", "INV-9"]])
    certs = T("Certificates", ["Supplier", "Certificate", "Certifier", "Items covered", "Valid from", "Valid to"], [
        ["Prairie Farms", "CCOF-111", "CCOF", ITEMS, "2024-01-01", "2026-06-30"],
        ["BeeCo", "QAI-222", "QAI", "", "2023-01-01", "2025-01-31"],
        ["Nutty Inc", LONG_CERT, "Ecocert", "Almonds", "2024-01-01", "2026-12-31"]])
    receipts = raw.get("Receipts")
    receipts.data.loc[receipts.data[1] == "Almonds", 7] = LONG_CERT
    return replace(raw, tables={**raw.tables, "Certificates": certs})


def _text(pdf) -> list[str]:
    n = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                                                           check=True).stdout).group(1))
    return [subprocess.run(["pdftotext", "-layout", "-f", str(p), "-l", str(p), str(pdf), "-"], capture_output=True,
                           text=True, check=True).stdout for p in range(1, n + 1)]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    d = tmp_path_factory.mktemp("pages")
    return export_inspector(_book(), d / "copy.xlsx", start="2025-03-01", end="2025-03-31", source_name="granola.xlsx")


def test_export_pdf_shows_whole_certificate_numbers_and_items_covered(exported):
    assert exported.pdf_problem is None
    pages = _text(exported.pdf)
    cert = next(p for p in pages if "Certificate register" in p)
    assert LONG_CERT in cert                      # was cut to ES-ECO-023-NOF
    words = " ".join(cert.split())
    for item in ("Sunflower seed in-shell", "Flax seed", "Currants"):   # wrapped, every word on the page
        assert all(w in words for w in item.split()), item
    src = next(p for p in pages if "Source rows: Receipts" in p)
    assert "2025-03-01" in src and not re.search(r"\b45\d{3}\b", src)   # dates, not serials (45717)


def test_export_colours_statuses_and_top_aligns_wrapped_rows(exported):
    wb = openpyxl.load_workbook(exported.path)
    ws = wb["Balance"]
    rules = [(str(cf.sqref), r.formula) for cf in ws.conditional_formatting for r in cf.rules]
    status_col = next(c.column_letter for c in ws[4] if c.value == "Status")
    assert (f"{status_col}5:{status_col}{ws.max_row}", ['"PASS"']) in [(s, f) for s, f in rules]
    assert any(f == ['"NEGATIVE"'] for _, f in rules) and any(f == ['"INVESTIGATE"'] for _, f in rules)
    exc = wb["Exceptions"]
    head = next(r for r in exc.iter_rows(min_row=1, max_row=6) if r[0].value == "Severity")[0].row
    assert all(c.alignment.vertical == "top" for c in exc[head + 1] if c.value is not None)


def test_export_has_the_dashboards_native_charts_in_the_pdf_too(exported):
    with zipfile.ZipFile(exported.path) as z:
        charts = sorted(n for n in z.namelist() if re.match(r"xl/charts/chart\d+\.xml$", n))
        xml = z.read(charts[0]).decode()
    # one chart per item with a balance, per organic ingredient, per product with runs
    wb = openpyxl.load_workbook(exported.path, read_only=True)
    titles = {r[0] for r in wb["Dashboard"].iter_rows(min_row=5, min_col=18, max_col=18, values_only=True) if r[0]}
    assert len(charts) == len(titles) >= 5
    assert "<c:f>Dashboard!$Y$" in xml and xml.count("<c:numCache>") == 5   # the Dashboard's own cells, cached
    pages = _text(exported.pdf)
    assert "Dashboard: the balances as pictures" in pages[1] and "Stock of Almonds" in pages[1]
    assert any("Yield of Granola" in p for p in pages) and any("Supply of organic Oats" in p for p in pages)


def test_recall_pdf_shows_whole_customer_names_and_lots(tmp_path):
    rc = recall(prepare(_book()), "O1")
    made, problem = recall_pdf(rc, tmp_path / "recall O1.pdf", operation="Sunrise Granola Co")
    assert problem is None
    text = " ".join(" ".join(_text(made)).split())
    assert LONG_CUSTOMER in text                  # was cut to "Northstar Natural"
    assert "G1" in text and "G3" in text
