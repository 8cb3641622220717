"""How long 1,000 MASSBAL cells take to recalculate, through the code Excel calls.

A synthetic year of a small brand (items x months, receipts, runs, shipments, counts) is
written as a real .xlsx, opened in xlwings' remote engine (what xlwings Lite runs), and
1,000 cells (every figure function over items and months) are evaluated the way a
desktop recalculation calls them: massbal.excel.udfs with the calling cell, so the
tables are read and fingerprinted once per recalculation. Two recalculations are timed:
the first (cold: ledger prepared, periods computed) and a second after nothing changed
(warm: one read + fingerprint, then lookups). Desktop Excel adds its own per-call COM
cost (roughly a millisecond per cell), which cannot be measured on this machine.

    XLWINGS_LICENSE_KEY=noncommercial PYTHONPATH=src:tests:tests/excel python bench/bench_udfs.py
"""
from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests"), str(ROOT / "tests" / "excel")]

import xlwings as xw  # noqa: E402
from bookkit import certified, count, receipt, run, ship, use  # noqa: E402
from payload import payload_from_xlsx, write_book  # noqa: E402

from massbal.excel import cache as C  # noqa: E402
from massbal.excel import figures as F  # noqa: E402
from massbal.excel import udfs  # noqa: E402


def year_of_data(n_ingredients=20, seed=1):
    rnd = random.Random(seed)
    ings = [f"Ingredient {i:02d}" for i in range(n_ingredients)]
    items = [{"Item": i, "Kind": "Ingredient"} for i in ings] + [{"Item": "Granola", "Kind": "Product"}]
    rec, runs, inputs, ships, counts = [], [], [], [], []
    for m in range(1, 13):
        for ing in ings:
            for d in (3, 17):
                rec.append(receipt(f"2025-{m:02d}-{d:02d}", ing, f"{ing[-2:]}-{m}-{d}", rnd.randint(500, 900)))
            inputs.append(use(f"B-{m}", ing, f"{ing[-2:]}-{m}-3", 300))
            counts.append(count(f"2025-{m:02d}-28", ing, rnd.randint(700, 1500)))
        runs.append(run(f"B-{m}", f"2025-{m:02d}-10", "Granola", f"GR-{m}", 300 * n_ingredients * 0.95))
        ships.append(ship(f"2025-{m:02d}-20", "Granola", f"GR-{m}", 250 * n_ingredients))
    return {"Items": items, "Certificates": [certified()], "Receipts": rec, "Batches": runs,
            "BatchInputs": inputs, "Shipments": ships, "Counts": counts}


def recalc(book, cells):
    t = time.perf_counter()
    out = [getattr(udfs, name)(item, s, e, caller=c) for (name, item, s, e), c in cells]
    return time.perf_counter() - t, out


def main():
    tables = year_of_data()
    with tempfile.TemporaryDirectory() as tmp:
        book = xw.Book(json=payload_from_xlsx(write_book(Path(tmp) / "Year.xlsx", tables)))
    rows = sum(len(v) for v in tables.values())
    ings = [t["Item"] for t in tables["Items"] if t["Kind"] == "Ingredient"]
    months = [(f"2025-{m:02d}-01", f"2025-{m:02d}-28") for m in range(1, 13)]
    funcs = [f.classic for f in F.FIGURES if f.table == "balance"]
    cells = []
    sheet = book.sheets[0]
    for i in range(1000):
        name = funcs[i % len(funcs)]
        item = ings[(i // len(funcs)) % len(ings)]
        s, e = months[(i // (len(funcs) * len(ings))) % len(months)]
        cells.append(((name, item, s, e), sheet.range((i + 1, 30))))
    C.CACHE.clear()
    cold, out = recalc(book, cells)
    warm, out2 = recalc(book, cells)
    assert out == out2 and all(not isinstance(v, str) or v in {"PASS", "INVESTIGATE", "NEGATIVE", "NO COUNT"}
                               for v in out), [v for v in out if isinstance(v, str)][:3]
    t = time.perf_counter()
    raw = udfs.read_raw_book(book)
    read = time.perf_counter() - t
    t = time.perf_counter()
    C.fingerprint(raw)
    fp = time.perf_counter() - t
    print(f"input rows: {rows}; cells: {len(cells)}; distinct periods: {len(months)}")
    print(f"first recalculation (ledger prepared): {cold:.2f} s")
    print(f"next recalculation (tables read once, fingerprint unchanged): {warm:.2f} s")
    print(f"  of which one read of the tables: {read * 1000:.0f} ms, fingerprint: {fp * 1000:.0f} ms")
    print(f"ledger prepared {C.CACHE.prepares} time(s)")


if __name__ == "__main__":
    main()
