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

from massbal.xlsx.write.write_results import write_results


def main(rows: int) -> None:
    t = time.perf_counter()
    rec = recs.reconciliation(items=[f"Item {i}" for i in range(500)], ledger_rows=rows)
    build = time.perf_counter() - t
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    frames_rss = _rss("VmRSS")
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "book.xlsx")
        wb = openpyxl.Workbook()
        wb.active.title = "Receipts"
        wb.save(path)
        for label in ("first write (adds sheets)", "second write (replaces them)"):
            _reset_peak()
            before = _rss("VmRSS")
            t = time.perf_counter()
            cpu = time.process_time()
            report = write_results(path, rec)
            dt = time.perf_counter() - t
            print(f"{label}: {dt:.2f} s wall, {time.process_time() - cpu:.2f} s CPU, "
                  f"{os.path.getsize(path) / 1e6:.1f} MB file, ledger rows {next(s for s in report.sheets if s.output == 'Ledger').rows}, "
                  f"peak memory of the write {_rss('VmHWM') - before:.0f} MB above the "
                  f"{before:.0f} MB held before it")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"building the Reconciliation frames: {build:.2f} s")
    print(f"peak RSS of the process: {rss:.0f} MB (building the frames peaked at {rss0:.0f} MB, "
          f"they hold {frames_rss:.0f} MB); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def _rss(field: str) -> float:
    """VmRSS (now) or VmHWM (peak since the last reset) in MB, from /proc (Linux)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # resets VmHWM to the current RSS
    except OSError:
        pass


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
