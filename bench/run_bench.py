"""Time and memory of each stage of `massbal reconcile`, on generated realistic books.

    python bench/run_bench.py                  # 10k, 100k and 1M movements
    python bench/run_bench.py --sizes 10000    # one size

Each size runs in a fresh process so peak memory is its own. Stages:
  floor    : fastexcel loading every input sheet, nothing else (the read floor)
  read     : massbal's reader (read_book -> RawBook)
  prepare  : the engine's period-free work (typed tables, ledger, genealogy, checks)
  reconcile: balances and supply for every month of the data
  write    : the five result sheets written into a copy of the workbook, in place
Peak RSS is the process's high-water mark after the stage (it only grows).
Not a test: the suite asserts no timings.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def one_size(n: int) -> dict:
    from massbal.books.gen import generate_book

    OUT.mkdir(exist_ok=True)
    book = OUT / f"book_{n}.xlsx"
    if not book.exists():
        t = time.perf_counter()
        generate_book(book, scale=n, seed=7)
        print(f"  generated {book.name} in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    rows = {}

    def stage(name, fn):
        t = time.perf_counter()
        result = fn()
        rows[name] = {"seconds": round(time.perf_counter() - t, 3), "peak_rss_mb": round(peak_mb(), 1)}
        return result

    import fastexcel

    def floor():
        r = fastexcel.read_excel(book)
        return sum(r.load_sheet(s).height for s in r.sheet_names)

    stage("floor", floor)
    from massbal.xlsx.read.read_book import read_book
    raw = stage("read", lambda: read_book(book))
    movements = sum(len(t.data) for name, t in raw.tables.items() if name not in ("Items", "Certificates", "Settings"))
    from massbal.engine.api import prepare, reconcile_prepared
    prep = stage("prepare", lambda: prepare(raw))
    rec = stage("reconcile", lambda: reconcile_prepared(prep))
    from massbal.xlsx.write.write_results import write_results
    target = OUT / f"written_{n}.xlsx"
    shutil.copyfile(book, target)
    stage("write", lambda: write_results(target, rec, backup=False))
    total = sum(r["seconds"] for k, r in rows.items() if k != "floor")
    return {"movements": movements, "balances": len(rec.balances), "supply": len(rec.supply),
            "findings": len(rec.findings), "stages": rows, "end_to_end_seconds": round(total, 2),
            "engine_seconds": round(rows["prepare"]["seconds"] + rows["reconcile"]["seconds"], 2),
            "ratio_to_read_floor": round(total / max(rows["floor"]["seconds"], 1e-9), 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one_size(args.one)))
        return
    results = []
    for n in args.sizes:
        print(f"size {n:,} ...", file=sys.stderr)
        proc = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True, text=True,
                              env=dict(os.environ))
        if proc.returncode:
            print(proc.stderr, file=sys.stderr)
            continue
        res = json.loads(proc.stdout.strip().splitlines()[-1])
        results.append(res)
        print(f"{res['movements']:>10,} movements  end-to-end {res['end_to_end_seconds']:>7.2f} s  "
              f"engine {res['engine_seconds']:>6.2f} s  x{res['ratio_to_read_floor']} of the read floor")
        for name, r in res["stages"].items():
            print(f"    {name:<10} {r['seconds']:>8.3f} s   peak RSS {r['peak_rss_mb']:>8.1f} MB")
    (OUT / "results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
