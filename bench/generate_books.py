"""Write the benchmark books: about 10k, 100k and 1M movement rows.

    python bench/generate_books.py                 # all three into bench/out/
    python bench/generate_books.py --scale 1m --out /tmp/books
    python bench/generate_books.py --scale shape15_100k --scale shape15 --out /work/benchbooks

shape15 is issue 15's proportions (~980k movements: 300k receipt lots from 20 suppliers,
100k runs of three input lots, 250k shipments, 30k losses); shape15_100k a tenth of it.

Each book comes with <name>.manifest.json (planted problems and row counts). Prints one
line per book: rows, seconds to generate the tables, seconds to write the file, size.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from massbal.books.gen import SCALES, SHAPES, generate_tables  # noqa: E402
from massbal.books.gen.fastxlsx import write_tables  # noqa: E402

BENCH_SCALES = ("10k", "100k", "1m")


def write_bench_book(scale: str, out: Path, seed: int) -> dict:
    t0 = time.perf_counter()
    tables, manifest = generate_tables(scale, seed)
    t1 = time.perf_counter()
    path = out / (f"{scale}.xlsx" if scale in SHAPES else f"bench_{scale}.xlsx")
    write_tables(path, {k: v.drop(columns="_id") for k, v in tables.items()})
    t2 = time.perf_counter()
    manifest.write(path.with_name(path.stem + ".manifest.json"))
    return {"scale": scale, "path": str(path), "movement_rows": manifest.movement_rows,
            "items": manifest.rows["Items"], "generate_s": round(t1 - t0, 2), "write_s": round(t2 - t1, 2),
            "mb": round(path.stat().st_size / 1e6, 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", choices=[s for s in SCALES if s != "demo"] + list(SHAPES), action="append",
                    help="which book (repeatable); default: all three")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out", help="output folder (bench/out)")
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--json", action="store_true", help="print one JSON object per book")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for scale in args.scale or BENCH_SCALES:
        r = write_bench_book(scale, args.out, args.seed)
        if args.json:
            print(json.dumps(r))
        else:
            print(f"{r['scale']:>5}: {r['movement_rows']:>9,} rows, {r['items']} items, "
                  f"tables {r['generate_s']:.1f} s, write {r['write_s']:.1f} s, {r['mb']} MB -> {r['path']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
