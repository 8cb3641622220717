"""What the Change log and closed periods cost on a book (issue 13, item 4).

    python bench/closing_bench.py --book BOOK.xlsx [--out /tmp/closing/bench]
    python bench/closing_bench.py --rows 100000          # a generated book

Two copies of the book, both already reconciled once (so both writes replace result
sheets, as every Reconcile after the first does):
- plain: Reconcile as it is without section 8: read, engine, write of the result sheets;
- logged: the same plus what section 8 adds, each part timed: reading the kept state,
  the review of the closed period, the log of this write (record_write), the state's
  stored form, and the three extra sheets in the same write.
Both see the same edit of one Quantity in the closed period (the case that must find it).
The added cost is the parts' sum plus the extra sheets' write, measured on their own
(the whole write's time varies on a shared machine by more than they cost); the two
whole Reconciles are printed too. Also: the first Reconcile of a book with no state (it
records the tables without a diff), a close, and the file sizes (the state sheet's own
compressed size, and the whole file). Not a test: the suite asserts no timings.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def clock(fn):
    t = time.perf_counter()
    out = fn()
    return out, round(time.perf_counter() - t, 3)


def state_part_size(path: Path) -> int:
    """Compressed bytes of the very hidden state sheet in the package."""
    from massbal.layout.closing import STATE_SHEET
    from massbal.xlsx.read.package import Package
    from massbal.xlsx.read.workbook import read_workbook_info
    with Package(path) as pkg:
        part = next(s.part for s in read_workbook_info(pkg).sheets if s.name == STATE_SHEET)
    with zipfile.ZipFile(path) as z:
        return z.getinfo(part.lstrip("/")).compress_size


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--book", type=Path)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    book = args.book
    if book is None:
        from massbal.books.gen import generate_book
        book = args.out / f"book_{args.rows}.xlsx"
        if not book.exists():
            generate_book(book, scale=args.rows, seed=7)

    import pandas as pd

    from massbal.engine.api import prepare, reconcile_prepared
    from massbal.engine.record.changelog import snapshots
    from massbal.engine.record.closing import close_period, record_write, review_reconciliation
    from massbal.layout.closing import state_spec
    from massbal.layout.sheets import result_sheets
    from massbal.xlsx.read.read_book import read_book
    from massbal.xlsx.write.change_log import read_kept, record_sheets
    from massbal.xlsx.write.write_results import write_sheets

    res: dict = {"book": book.name, "load_before": os.getloadavg()}
    plain, logged, tiny = args.out / "plain.xlsx", args.out / "logged.xlsx", args.out / "tiny.xlsx"
    shutil.copyfile(book, plain)
    shutil.copyfile(book, logged)
    now = pd.Timestamp("2026-01-05 10:00").to_pydatetime()

    raw = read_book(plain)
    rec = reconcile_prepared(prepare(raw))
    res["movements"] = sum(len(t.data) for n, t in raw.tables.items() if n not in ("Items", "Certificates", "Settings"))
    write_sheets(str(plain), result_sheets(rec), backup=False)

    def extras(path, raw, rec, make_record):
        """Section 8's parts of one logged write, each timed; the specs to write."""
        t: dict = {}
        kept, t["read_kept"] = clock(lambda: read_kept(path))
        cur, t["snapshots"] = clock(lambda: snapshots(raw))   # made lazily since the quick keys
        r2, t["review"] = clock(lambda: review_reconciliation(rec, kept.state, raw, cur))
        record, t["record_write"] = clock(lambda: make_record(kept, cur))
        extra, t["state_text"] = clock(lambda: record_sheets(kept, record, r2.unit))
        return r2, record, extra, t

    def tiny_write(extra):
        """The three extra sheets written on their own (what they add to a write)."""
        from openpyxl import Workbook
        wb = Workbook()
        wb.active["A1"] = "x"
        wb.save(tiny)
        return clock(lambda: write_sheets(str(tiny), extra, backup=False))[1]

    # the first logged Reconcile: no state yet, so it records the tables
    _, record, extra, t1 = extras(logged, raw, rec, lambda k, c: record_write(k.state, raw, now, "bench", "Reconcile",
                                                                               current=c))
    t1["extra_sheets_write"] = tiny_write(extra)
    res["first_reconcile"] = {**t1, "total_added_s": round(sum(t1.values()), 2), "entries": len(record.entries)}
    write_sheets(str(logged), result_sheets(rec) + extra, backup=False)
    # close the first half of the data
    days = pd.to_datetime(raw.tables["Receipts"].data[0], errors="coerce")
    through = (days.min() + (days.max() - days.min()) / 2).date()
    _, record, extra, tc = extras(logged, raw, rec, lambda k, c: close_period(k.state, raw, rec.balances, through, now,
                                                                               "bench", c))
    res["close_s"] = round(sum(tc.values()), 2)
    write_sheets(str(logged), result_sheets(rec) + extra, backup=False)

    # the measured Reconcile, on both books, after one edit in the closed period
    def edited(path):
        r = read_book(path)
        d = r.tables["Receipts"].data
        first = int(days.idxmin())
        d.iat[first, 3] = float(d.iat[first, 3]) + 1
        return r

    plain_t: dict = {}
    raw_p, plain_t["read"] = clock(lambda: edited(plain))
    rec_p, plain_t["engine"] = clock(lambda: reconcile_prepared(prepare(raw_p)))
    _, plain_t["write"] = clock(lambda: write_sheets(str(plain), result_sheets(rec_p), backup=False))
    log_t: dict = {}
    raw_l, log_t["read"] = clock(lambda: edited(logged))
    rec_l, log_t["engine"] = clock(lambda: reconcile_prepared(prepare(raw_l)))
    r2, record, extra, tx = extras(logged, raw_l, rec_l, lambda k, c: record_write(k.state, raw_l, now, "bench",
                                                                                    "Reconcile", current=c))
    tx["extra_sheets_write"] = tiny_write(extra)
    _, log_t["write"] = clock(lambda: write_sheets(str(logged), result_sheets(r2) + extra, backup=False))
    base = sum(plain_t.values())
    added = sum(tx.values())
    res["reconcile_plain"] = {**plain_t, "total_s": round(base, 2)}
    res["reconcile_logged"] = {**log_t, **tx, "total_s": round(sum(log_t.values()) + added - tx["extra_sheets_write"], 2)}
    res["added_s"] = round(added, 2)
    res["added_pct_of_reconcile"] = round(100 * added / base, 1)
    res["closed_changes_found"] = int((r2.findings["code"] == "CLOSED_PERIOD_CHANGED").sum())
    res["log_entries_this_write"] = len(record.entries)
    res["state_chars"] = len(state_spec(record.state).data["State"].str.cat())
    sp, sl = plain.stat().st_size, logged.stat().st_size
    res["size_plain_mb"] = round(sp / 1e6, 2)
    res["size_logged_mb"] = round(sl / 1e6, 2)
    res["size_added_pct"] = round(100 * (sl / sp - 1), 1)
    res["state_sheet_mb"] = round(state_part_size(logged) / 1e6, 2)
    res["state_sheet_pct"] = round(100 * state_part_size(logged) / sp, 1)
    res["load_after"] = os.getloadavg()
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
