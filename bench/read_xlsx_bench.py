"""Time read_book on a large Receipts sheet (default 1,000,000 rows x 8 columns).

    python bench/read_xlsx_bench.py [ROWS] [--sst] [--keep DIR]

Writes the workbook with XlsxWriter (constant_memory: inline strings, as the brief
asks; --sst writes a shared-strings table as Excel does, slower to generate, needs
~3 GB of memory for 1M rows), then reads it three times and prints the best time and
the part of it calamine's own sheet parse takes.
"""
from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import fastexcel
import xlsxwriter

from massbal.xlsx.read.read_book import read_book

HEADERS = ["Date", "Item", "Lot", "Quantity", "Unit", "Supplier", "Certificate", "Organic"]


def write_book(path: Path, rows: int, shared_strings: bool) -> None:
    wb = xlsxwriter.Workbook(path, {"constant_memory": not shared_strings})
    ws = wb.add_worksheet("Receipts")
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, HEADERS)
    start = dt.datetime(2024, 1, 1)
    for i in range(rows):
        r = i + 1
        ws.write_datetime(r, 0, start + dt.timedelta(days=i % 700), date)
        ws.write_string(r, 1, f"Item {i % 50}")
        ws.write_string(r, 2, f"L{i}")
        ws.write_number(r, 3, (i % 997) * 1.5)
        ws.write_string(r, 4, "lb")
        ws.write_string(r, 5, f"Supplier {i % 20}")
        ws.write_string(r, 6, f"C-{i % 20}")
        ws.write_string(r, 7, "Yes")
    wb.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("rows", type=int, nargs="?", default=1_000_000)
    ap.add_argument("--sst", action="store_true", help="shared strings, as Excel saves")
    ap.add_argument("--keep", type=Path, help="folder to keep (and reuse) the workbook in")
    args = ap.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="massbal_bench_"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"receipts_{args.rows}{'_sst' if args.sst else ''}.xlsx"
    if not path.exists():
        t = time.perf_counter()
        write_book(path, args.rows, args.sst)
        print(f"wrote {path} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.0f} s")

    best = best_cpu = float("inf")
    for _ in range(3):
        t, c = time.perf_counter(), time.process_time()
        book = read_book(path)
        best = min(best, time.perf_counter() - t)
        best_cpu = min(best_cpu, time.process_time() - c)
    table = book.tables["Receipts"]
    assert len(table.rows) == args.rows and table.rows[-1] == args.rows + 1

    t = time.perf_counter()
    fastexcel.read_excel(path).load_sheet("Receipts", n_rows=1)  # parses the whole sheet anyway
    parse = time.perf_counter() - t
    print(f"read_book: {best:.2f} s wall, {best_cpu:.2f} s CPU for {args.rows:,} rows x "
          f"{len(HEADERS)} columns (calamine's sheet parse alone: {parse:.2f} s wall)")


if __name__ == "__main__":
    main()
