"""Time (and optionally profile) the engine alone on a pickled RawBook.

    PYTHONPATH=src python bench/engine_timing.py /tmp/raw1m.pkl [--profile prepare|reconcile] [--dump out.pkl]

The RawBook pickle comes from massbal.xlsx.read.read_book.read_book of a generated book
(bench/generate_books.py); timing it apart from reading shows what the engine costs.
--dump writes balances, supply, yields and findings for bench/engine_equal.py.
"""
from __future__ import annotations

import argparse
import cProfile
import pickle
import pstats
import resource
import time
from datetime import date


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("rawbook")
    ap.add_argument("--profile", choices=["prepare", "reconcile"])
    ap.add_argument("--dump")
    ap.add_argument("--top", type=int, default=40)
    a = ap.parse_args()
    from massbal.engine.api import prepare, reconcile_prepared
    with open(a.rawbook, "rb") as fh:
        raw = pickle.load(fh)
    today = date(2026, 1, 1)  # fixed, so CERT_EXPIRING and future dates compare across runs
    prof = cProfile.Profile()
    if a.profile == "prepare":
        prof.enable()
    t0 = time.perf_counter()
    prep = prepare(raw, today)
    t1 = time.perf_counter()
    if a.profile == "prepare":
        prof.disable()
    if a.profile == "reconcile":
        prof.enable()
    res = reconcile_prepared(prep)
    t2 = time.perf_counter()
    if a.profile == "reconcile":
        prof.disable()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"prepare {t1 - t0:.2f} s  reconcile_prepared {t2 - t1:.2f} s  "
          f"({len(res.periods)} periods)  peak RSS {peak:.0f} MB")
    if a.profile:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(a.top)
    if a.dump:
        with open(a.dump, "wb") as fh:
            pickle.dump({"balances": res.balances, "supply": res.supply, "yields": res.yields,
                         "findings": res.findings, "ledger": res.ledger}, fh)


if __name__ == "__main__":
    main()
