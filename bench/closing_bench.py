"""What the Change log and closed periods cost on a generated book (issue 13, item 4).

    python bench/closing_bench.py --rows 100000 [--out /tmp/closing/bench]

Times, on one book: Reconcile as before (read + prepare + reconcile + write of the five
result sheets) against what section 8 adds to it (the snapshot of the input tables, the
diff against the last write, the closed period's check, the state's stored form, the
three extra sheets in the same write). Sizes: the file after a Reconcile without and with
the state. Three writes: the first records the tables (no diff), then a close of the
first half of the data, then a Reconcile after one edit in the closed period (the case
that must find it). Not a test: the suite asserts no timings.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from massbal.books.gen import generate_book
    book = args.out / f"book_{args.rows}.xlsx"
    if not book.exists():
        t = time.perf_counter()
        generate_book(book, scale=args.rows, seed=7)
        print(f"generated {book.name} in {time.perf_counter() - t:.1f} s", file=sys.stderr)

    import pandas as pd

    from massbal.engine.api import prepare, reconcile_prepared
    from massbal.engine.record.changelog import snapshots
    from massbal.engine.record.closing import close_period, record_write, review_reconciliation
    from massbal.layout.sheets import result_sheets
    from massbal.xlsx.read.read_book import read_book
    from massbal.xlsx.write.change_log import read_kept, record_sheets
    from massbal.xlsx.write.write_results import write_sheets

    res: dict = {"rows": args.rows}
    plain, logged = args.out / "plain.xlsx", args.out / "logged.xlsx"
    shutil.copyfile(book, plain)
    shutil.copyfile(book, logged)

    def clock(fn):
        t = time.perf_counter()
        out = fn()
        return out, time.perf_counter() - t

    # Reconcile as it was: read, engine, write the five sheets
    raw, t_read = clock(lambda: read_book(plain))
    rec, t_eng = clock(lambda: reconcile_prepared(prepare(raw)))
    _, t_write = clock(lambda: write_sheets(str(plain), result_sheets(rec), backup=False))
    base = t_read + t_eng + t_write
    res["reconcile_s"] = round(base, 2)
    res["movements"] = sum(len(t.data) for n, t in raw.tables.items() if n not in ("Items", "Certificates", "Settings"))

    now = pd.Timestamp("2026-01-05 10:00").to_pydatetime()

    def logged_run(action, make_record, path):
        t0 = time.perf_counter()
        kept = read_kept(path)
        cur = snapshots(raw2)
        r2 = review_reconciliation(rec2, kept.state, raw2, cur)
        record = make_record(kept, cur)
        specs = result_sheets(r2) + record_sheets(kept, record, r2.unit)
        t1 = time.perf_counter()
        write_sheets(str(path), specs, backup=False)
        t2 = time.perf_counter()
        return record, r2, t1 - t0, t2 - t1

    # first logged Reconcile: records the tables
    raw2, rec2 = raw, rec
    _, _, t_extra1, t_w1 = logged_run("Reconcile", lambda k, c: record_write(k.state, raw2, now, "bench", "Reconcile",
                                                                             current=c), logged)
    res["first_write_extra_s"] = round(t_extra1 + (t_w1 - t_write), 2)
    # close the first half of the data
    days = pd.to_datetime(raw.tables["Receipts"].data[0], errors="coerce")
    through = (days.min() + (days.max() - days.min()) / 2).date()
    _, _, t_close, _ = logged_run("Close", lambda k, c: close_period(k.state, raw2, rec2.balances, through, now,
                                                                      "bench", c), logged)
    res["close_s"] = round(t_close, 2)
    # one edit in the closed period, then Reconcile: read, engine, the review, the write
    import openpyxl  # noqa: F401  (edit by the package: change one Quantity cell's value)
    raw2, t_read2 = clock(lambda: read_book(logged))
    raw2.tables["Receipts"].data.iat[3, 3] = float(raw2.tables["Receipts"].data.iat[3, 3]) + 1
    rec2, t_eng2 = clock(lambda: reconcile_prepared(prepare(raw2)))
    rec_, r2, t_extra, t_w = logged_run("Reconcile", lambda k, c: record_write(k.state, raw2, now, "bench", "Reconcile",
                                                                               current=c), logged)
    found = int((r2.findings["code"] == "CLOSED_PERIOD_CHANGED").sum())
    res["closed_changes_found"] = found
    res["log_entries_this_write"] = len(rec_.entries)
    added = t_extra + (t_w - t_write)
    res["reconcile_with_log_s"] = round(t_read2 + t_eng2 + t_extra + t_w, 2)
    res["added_s"] = round(added, 2)
    res["added_pct_of_reconcile"] = round(100 * added / base, 1)
    res["size_plain_mb"] = round(plain.stat().st_size / 1e6, 2)
    res["size_logged_mb"] = round(logged.stat().st_size / 1e6, 2)
    res["size_added_pct"] = round(100 * (logged.stat().st_size / plain.stat().st_size - 1), 1)
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
