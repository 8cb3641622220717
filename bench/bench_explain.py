"""Time the explainer (engine.investigate: balances, then supply) on a generated book with 1 %,
5 % and 20 % of item-months (ingredient-months) flagged.

    PYTHONPATH=src python bench/bench_explain.py 100000       # movements, generated
    PYTHONPATH=src python bench/bench_explain.py /work/benchbooks/shape15.xlsx   # a book

A number: the book's tables are generated in memory (massbal.gen) and handed to the
engine as a RawBook; a path: the book is read (its reading is not timed). Either way the
figures are the engine's alone (no xlsx writing). Since issue 12's second round the
generator plants every mistake at 1M movements too (seed 7: 1,051,299 movements): a big
book's twin is a delivery keyed twice when no shipment's twin would show at its count,
and the wrong-month shipment is one its count shows. Each time is wall and CPU (the
machine is shared: CPU is the steadier figure), with the load average. To flag a
share of item-months, that share of the counted balances gets its count moved off the
books by the tolerance plus 3 to 30 % (as a slip would), and its status recomputed by
balance.status_of; the explainer then runs on those balances as Reconcile runs it.
The supply rows are flagged the same way (unaccounted moved off by the tolerance plus 3
to 30 % of what was available): the explainer screens every alternative against that gap
and recomputes the short lists exactly, as it would for a real one (so the time is real,
though the candidates found are few: the real figure passes).
Not a test: the suite asserts no timings.

Figures (2 December 2026, 2-core machine shared by five sessions; CPU seconds of this
process, then wall seconds with the load average). Before: the explainer as of 18a3889;
after: balances screened on the flagged balances first, one common period for the
running balance; supply counts and same-organic receipts recomputed on their item's rows,
roll without rows after the periods asked for. The Investigations rows are identical
before and after in every case measured (demo, a 10k book, 100k and 1M below).

  shape15.xlsx (978,490 ledger rows, 12 periods; about 2,100 item-months and 800 supply rows)
                      before cpu (wall, load)      after cpu (wall, load)
  balances  1 %  21    4.4 s ( 19.7 s, ~7)          3.3 s ( 24.8 s, ~11)
  balances  5 % 105   12.9 s ( 67.7 s, ~7)          8.9 s ( 67.8 s, ~11)
  balances 20 % 420   not run                      18.9 s (142.8 s, ~11)
  supply    1 %   8    9.9 s ( 67.4 s, ~8)          5.9 s ( 30.6 s, ~11)
  supply    5 %  40   37.0 s (202.5 s, ~8)         29.3 s (170.9 s, ~11)
  supply   20 % 160   not run                     117.3 s (662.7 s, ~10)

  generated 100k (108,045 movements, 1,404 item-months)
  balances  1/5/20 %  before 3.9 / 5.2 / 8.1 s wall at load ~3 (this script);
                      after cpu 1.6 / 2.2 / 3.5 s (wall 11.9 / 17.1 / 18.3 s, load ~8)
  supply    1/5/20 %  before 8.4 / 18.5 s wall at load ~3, 20 %: 328 s wall at load ~9;
                      after cpu 4.1 / 7.3 / 28.9 s (wall 20.2 / 36.7 / 145 s, load ~11)

What was left on the 1M book then (profile of the supply explainer at 5 %): the exact
passes took two thirds of its time, 40 % the copies of an ingredient's whole scope that
run inputs and outputs (a Batches or BatchInputs quantity) needed (genealogy and roll),
27 % the item-only copies; the screen (scopes, slips, duplicates) 30 %.

Second round (issue 12, 2 December 2026, the machine shared by four engineers at load 5
to 10; CPU seconds). A run's correction is now recomputed on what it touches (the runs
downstream of it, the items of the corrected row and of their lots: investigate/runs.py,
build_genealogy keeping every other lot's make-up as fixed), one copy as it is per items
and ingredient; each copy is cut after the last period its alternatives ask for; the
book's own terms are computed once for every pass; the screen looks rows up by position,
looks for exact twins among numeric twins only, and the candidates are screened for
PASS at once. Investigations rows identical to before on the demo (tests), 100k at
5 / 20 % and shape15 at 1 / 5 % (the 20 % run before took 11 minutes of wall time and
was not repeated); the balances explainer's rows identical at 100k and 1M, 1 / 5 / 20 %.

  shape15.xlsx              before cpu (load)        after cpu (load)
  supply    1 %   8          6.8 s (3.5)              7.7 s (8.9)
  supply    5 %  40         32.9 s (4.5)             23.6 s (4.7)
  supply   20 % 160        117.3 s (~10, above)      55.0 s (9.7; wall 290 s)
  balances  1 / 5 / 20 %    3.4 / 8.8 / 19.2 s (~10)  3.5 / 8.8 / 19.5 s (~10): unchanged
  shape15_100k supply 5 / 20 %: before 5.9 / 19.5 s (load 3.3 / 4.4), after 4.3 / 11.4 s (load 4.7 / 4.8)

At 1 % the fixed part dominates (the book's terms over the flagged ingredients' scopes,
who made and used each lot, the screen: about 2 s each); at 20 % the exact passes (the
copies' supply_terms and the runs' genealogy) and the screen, about evenly. CPU time at
load 10 on two cores reads high (1 %: 6.8 s before at load 3.5, 7.7 s after at load 8.9).
  generated 1M (seed 7, 1,051,299 movements, 1,102,498 ledger rows; seed 8 plants too),
  after, load ~10: prepare 106.9 s wall; balances 1 / 5 / 20 % (22 / 114 / 456 flagged)
  cpu 2.9 / 6.7 / 16.8 s; supply 1 / 5 / 20 % (12 / 60 / 240 flagged) cpu 8.1 / 24.2 / 89.4 s
  (wall 72 / 152 / 398 s; peak RSS 7.1 GB at 20 %). Its 20 % is 240 flagged rows against
  shape15's 160: not yet well under a minute there (no before: it did not generate).
"""
from __future__ import annotations

import os
import resource
import sys
import time

import numpy as np
import pandas as pd


def raw_from_tables(tables: dict[str, pd.DataFrame]):
    from massbal.engine.rawbook import RawBook, RawTable
    out = {}
    for name, t in tables.items():
        t = t.drop(columns="_id")
        out[name] = RawTable.from_records(name, list(t.columns), t.astype(object).where(t.notna(), None).values.tolist())
    return RawBook(out)


def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def main() -> None:
    arg = sys.argv[1] if len(sys.argv) > 1 else "100000"
    from massbal.engine.api import periods_for, prepare
    from massbal.engine.balance import compute_balances, status_of, variance_pct
    from massbal.engine.investigate.balances import explain_balances
    from massbal.engine.investigate.supply import explain_supply
    from massbal.engine.supply import compute_supply
    t = time.perf_counter()
    if arg.isdigit():
        from massbal.books.gen import generate_tables
        tables, man = generate_tables(int(arg), seed=7)
        raw = raw_from_tables(tables)
        print(f"book: {man.movement_rows:,} movements, generated in {time.perf_counter() - t:.1f} s", flush=True)
    else:
        from massbal.xlsx.read.read_book import read_book
        raw = read_book(arg)
        print(f"book: {arg}, read in {time.perf_counter() - t:.1f} s", flush=True)
    t = time.perf_counter()
    prep = prepare(raw)
    periods = periods_for(prep)
    print(f"{len(prep.ledger):,} ledger rows, {len(periods)} periods", flush=True)
    t1 = time.perf_counter()
    bal, _ = compute_balances(prep.book, prep.ledger, periods)
    t2 = time.perf_counter()
    print(f"prepare {t1 - t:.2f} s; balances {t2 - t1:.2f} s ({len(bal):,} item-months)", flush=True)
    rng = np.random.default_rng(1)
    counted = np.flatnonzero(bal["counted_ending"].notna().to_numpy() & (bal["expected_ending"] > 100).to_numpy())
    for share in (0.01, 0.05, 0.20):
        b = bal.copy()
        b["status"] = "PASS"
        pick = rng.choice(counted, size=max(1, int(share * len(bal))), replace=False)
        off = (b["tolerance_pct"].to_numpy()[pick] + rng.uniform(3, 30, len(pick))) / 100 * rng.choice([-1, 1], len(pick))
        b.loc[pick, "counted_ending"] = b["expected_ending"].to_numpy()[pick] * (1 + off)
        b["variance"] = b["counted_ending"] - b["expected_ending"]
        b["variance_pct"] = variance_pct(b["variance"], b["expected_ending"])
        b.loc[pick, "status"] = status_of(b.loc[pick]).to_numpy()
        flagged = int(b["status"].isin(["INVESTIGATE", "NEGATIVE"]).sum())
        t, c = time.perf_counter(), time.process_time()
        inv = explain_balances(prep.book, prep.ledger, prep.yields, b, periods)
        dt, cpu = time.perf_counter() - t, time.process_time() - c
        named = inv["cause"].notna().groupby([inv["item"], inv["start"]]).any().sum() if len(inv) else 0
        print(f"{share:>4.0%} flagged: {flagged:>5,} balances, explainer {dt:7.2f} s (cpu {cpu:6.2f} s, load {load()}), "
              f"{len(inv):,} rows, "
              f"{named:,} with a candidate; peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB",
              flush=True)
    t = time.perf_counter()
    sup, _ = compute_supply(prep.book, prep.ledger, prep.genealogy, periods)
    print(f"supply {time.perf_counter() - t:.2f} s ({len(sup):,} ingredient-months, "
          f"{int(sup['status'].isin(['OVERSOLD', 'INVESTIGATE']).sum()):,} flagged by the book itself)", flush=True)
    for share in (0.01, 0.05, 0.20):
        s = sup.copy()
        s["status"] = "PASS"
        live = np.flatnonzero((s["available"] > 100).to_numpy())
        pick = rng.choice(live, size=min(len(live), max(1, int(share * len(sup)))), replace=False)
        off = (s["tolerance_pct"].to_numpy()[pick] + rng.uniform(3, 30, len(pick))) / 100 * rng.choice([-1, 1], len(pick))
        s.loc[s.index[pick], "unaccounted"] = s["unaccounted"].to_numpy()[pick] + off * s["available"].to_numpy()[pick]
        s.loc[s.index[pick], "status"] = "INVESTIGATE"
        t, c = time.perf_counter(), time.process_time()
        inv = explain_supply(prep.book, prep.ledger, prep.genealogy, prep.yields, s, periods)
        dt, cpu = time.perf_counter() - t, time.process_time() - c
        print(f"{share:>4.0%} flagged: {len(pick):>5,} supply rows, explainer {dt:7.2f} s (cpu {cpu:6.2f} s, load {load()}), "
              f"{len(inv):,} rows; "
              f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB", flush=True)


if __name__ == "__main__":
    main()
