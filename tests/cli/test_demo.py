"""`massbal demo` end to end: the realistic year is written, reconciled in place, opens in
LibreOffice, and its Exceptions sheet points at every planted mistake."""
import subprocess
import sys

import openpyxl
from libreoffice import convert

from massbal.books.demo import demo_manifest


def test_demo_reconciles_in_place_and_opens_in_libreoffice(tmp_path):
    p = subprocess.run([sys.executable, "-m", "massbal.cli", "demo", str(tmp_path)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    book = tmp_path / "massbal_demo.xlsx"
    assert str(book) in p.stdout
    wb = openpyxl.load_workbook(book, read_only=False)
    for name in ("Balance", "Supply", "Yield", "Exceptions", "Ledger"):
        assert name in wb.sheetnames and name in wb[name].tables
    for name in ("Items", "Receipts", "Batches", "BatchInputs", "Shipments", "Losses", "Counts"):
        assert name in wb.sheetnames  # the inputs are still there
    ex = wb["Exceptions"]
    head = [c.value for c in ex[1]]
    rows = [dict(zip(head, (c.value for c in r), strict=False)) for r in ex.iter_rows(min_row=2)]
    flagged = {(r["Code"], r["Sheet"], r["Row"]) for r in rows}
    missed = []
    for m in demo_manifest().planted:
        where = (m.code, m.finding_sheet or m.sheet, m.finding_row or m.row)
        if where not in flagged:
            missed.append(where)
    assert missed == []
    pdf = convert([book], tmp_path / "pdf", "pdf")[0]
    assert pdf.exists() and pdf.stat().st_size > 10_000
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert int(next(l.split()[-1] for l in info.splitlines() if l.startswith("Pages:"))) > 10


def test_demo_says_where_it_wrote_within_80_columns(tmp_path):
    """At an 80-column terminal the closing sentence wraps at words; a path longer than the
    terminal stands whole on a line of its own (a path broken in two cannot be copied)."""
    import os
    folder = tmp_path / ("a_folder_with_a_rather_long_name_" * 2)
    p = subprocess.run([sys.executable, "-m", "massbal.cli", "demo", str(folder)], capture_output=True, text=True,
                       env=dict(os.environ, COLUMNS="80"))
    assert p.returncode == 0, p.stderr
    path = str(folder / "massbal_demo.xlsx")
    lines = [line.rstrip() for line in p.stdout.splitlines()]
    assert path + ":" in lines
    assert all(len(line) <= 80 for line in lines if line != path + ":"), lines
    assert "Open it in Excel and look at the Exceptions sheet." in " ".join(lines)
