"""`massbal demo`'s book, the bench script, and (once the engine is there) that it finds every plant."""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import range_boundaries

from massbal.books.demo import DEMO_FILE, demo_manifest, write_demo

ROOT = Path(__file__).resolve().parents[2]


def test_write_demo_writes_the_named_book(tmp_path):
    path = write_demo(tmp_path)
    assert path == tmp_path / DEMO_FILE and path.exists()
    assert not list(tmp_path.glob("*.json"))
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.sheetnames[0] == "Start here" and "xlwings.conf" in wb.sheetnames
    write_demo(tmp_path / "again", manifest=True)
    assert (tmp_path / "again" / "massbal_demo.manifest.json").exists()
    # the same book every time
    assert (tmp_path / "again" / DEMO_FILE).read_bytes() == path.read_bytes()


def test_bench_script_writes_a_book_and_its_manifest(tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "generate_books.py"), "--scale", "10k",
                          "--out", str(tmp_path), "--json"], capture_output=True, text=True, check=True,
                         timeout=300)
    r = json.loads(out.stdout.splitlines()[-1])
    assert r["scale"] == "10k" and 8_000 < r["movement_rows"] < 13_000 and r["items"] >= 40
    assert Path(r["path"]).exists()
    man = json.loads((tmp_path / "bench_10k.manifest.json").read_text())
    assert man["movement_rows"] == r["movement_rows"]


def _read_raw_book(path: Path):
    """Every Excel Table of the book as the engine's RawTable (cells as openpyxl reads them)."""
    from massbal.engine.rawbook import RawBook, RawTable
    wb = openpyxl.load_workbook(path)
    tables = {}
    for ws in wb.worksheets:
        for name in ws.tables:
            c0, r0, c1, r1 = range_boundaries(ws.tables[name].ref)
            rows = [[c.value for c in row] for row in ws.iter_rows(min_row=r0, max_row=r1, min_col=c0, max_col=c1)]
            tables[name] = RawTable.from_records(name, rows[0], rows[1:], sheet=ws.title, header_row=r0,
                                                 first_column=c0)
    return RawBook(tables, sheet_names=tuple(wb.sheetnames), source=str(path))


@pytest.mark.skipif(importlib.util.find_spec("massbal.engine.api") is None,
                    reason="the engine's reconcile() is not on this branch yet")
def test_engine_reports_every_planted_problem_where_the_manifest_says(tmp_path):
    from massbal.engine.api import reconcile
    path = write_demo(tmp_path)
    result = reconcile(_read_raw_book(path))
    f = result.findings
    missed = []
    for p in demo_manifest().planted:
        sheet, row = p.finding_sheet or p.sheet, p.finding_row or p.row
        if not ((f["code"] == p.code) & (f["sheet"] == sheet) & (f["row"] == row)).any():
            missed.append((p.id, p.code, sheet, row))
    assert not missed
