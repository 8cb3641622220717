"""Measure writing a million-row Ledger plus the other sheets into a workbook.

    PYTHONPATH=src:tests/io_write python tests/io_write/bench_write.py [ROWS]

Prints the seconds for the first write (new sheets) and a second one (replacing them,
reading back notes), the file size and the peak memory (max RSS) of the process.
"""
from __future__ import annotations

import os
import resource
import sys
import tempfile
import time

import openpyxl

import recs
from massbal.io.write_xlsx import write_results


def main(rows: int) -> None:
    t = time.perf_counter()
    rec = recs.reconciliation(items=[f"Item {i}" for i in range(500)], ledger_rows=rows)
    build = time.perf_counter() - t
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "book.xlsx")
        wb = openpyxl.Workbook()
        wb.active.title = "Receipts"
        wb.save(path)
        for label in ("first write (adds sheets)", "second write (replaces them)"):
            t = time.perf_counter()
            report = write_results(path, rec)
            dt = time.perf_counter() - t
            print(f"{label}: {dt:.2f} s, {os.path.getsize(path) / 1e6:.1f} MB, "
                  f"ledger rows {report.sheets[-1].rows}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"building the Reconciliation frames: {build:.2f} s")
    print(f"peak RSS: {rss:.0f} MB (after building the frames: {rss0:.0f} MB)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
