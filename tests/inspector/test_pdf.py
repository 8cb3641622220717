"""The PDF renderings (LibreOffice), rendered in turn to PNG (poppler) and read back."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from massbal.engine.api import prepare, recall
from massbal.inspector.export import export_inspector
from massbal.inspector.recall_report import recall_pdf

from .books import granola


@pytest.fixture(scope="module", autouse=True)
def _tools():
    import os

    import libreoffice  # tests/libreoffice.py: skip on a developer's machine without it, fail in CI
    libreoffice.soffice()
    if shutil.which("pdftoppm") is None:
        (pytest.fail if os.environ.get("CI") else pytest.skip)("poppler (pdftoppm) is not installed")


def pdf_text(path, page: int) -> str:
    return subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(path), "-"],
                          capture_output=True, text=True, check=True).stdout


def pages(path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(l for l in info.splitlines() if l.startswith("Pages:")).split()[1])


def ink(png) -> float:
    """Share of the page that is not white: a blank page has none."""
    import struct
    import zlib
    data = png.read_bytes()
    w, h = struct.unpack(">II", data[16:24])
    raw, pos = b"", 8
    while pos < len(data):
        n = struct.unpack(">I", data[pos:pos + 4])[0]
        kind = data[pos + 4:pos + 8]
        if kind == b"IDAT":
            raw += data[pos + 8:pos + 8 + n]
        pos += 12 + n
    pix = zlib.decompress(raw)
    dark = sum(1 for b in pix if b < 128)
    return dark / len(pix)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    d = tmp_path_factory.mktemp("pdf")
    return export_inspector(granola(), d / "copy.xlsx", start="2025-03-01", end="2025-03-31", lots=["O1"],
                            source_name="granola.xlsx")


def test_export_pdf_is_the_report_with_period_and_fingerprint_on_every_page(exported, tmp_path):
    assert exported.pdf_problem is None and exported.pdf.exists()
    n = pages(exported.pdf)
    assert n >= 8
    cover = pdf_text(exported.pdf, 1)
    assert "inspector's copy" in cover and "Sunrise Granola Co" in cover
    assert exported.fingerprint in cover.replace(" ", "")
    for p in range(1, n + 1):
        t = pdf_text(exported.pdf, p)
        assert "2025-03-01 to 2025-03-31" in t, p  # the page header
        assert f"Fingerprint {exported.fingerprint[:16]}" in t, p  # the page footer
    balance = next(t for t in (pdf_text(exported.pdf, p) for p in range(2, n + 1)) if "Balance of each item" in t)
    assert "Balance of each item" in balance and "3,000.00" in balance  # oats received, as cached
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(exported.pdf), str(tmp_path / "page")], check=True)
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == n
    assert all(ink(p) > 0.002 for p in pngs)  # no blank page


def test_recall_pdf(tmp_path):
    rc = recall(prepare(granola()), "O1")
    made, problem = recall_pdf(rc, tmp_path / "recall O1.pdf", operation="Sunrise Granola Co")
    assert problem is None and made.exists()
    t = pdf_text(made, 1)
    assert "Mock recall of lot O1 (Oats)" in t
    for customer in ("Whole Foods", "Costco", "Sprouts"):
        assert customer in t
    assert "Stock on hand to quarantine" in t and "Warehouse" in t
    assert "names no customer" in t
