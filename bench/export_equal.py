"""Check that two versions of the inspector's export write the same cells.

    python bench/export_equal.py BOOK OLD_SRC NEW_SRC [--from 2025-01-01 --to 2025-03-31]

OLD_SRC and NEW_SRC are `src` folders (a `git archive` of the base commit and this
worktree's src). Each exports BOOK (no PDF, the same export time) in its own
interpreter, printing its seconds and peak memory; then every sheet of the two copies is
compared cell by cell: the value (or the formula text) and the cached value, through
openpyxl, and the fingerprints must be equal. Last, the package parts are compared byte for
byte (row heights, formats and widths are not cells): the parts that differ are listed.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import zipfile

RUN = r"""
import json, resource, sys, time
from datetime import datetime
t0 = time.perf_counter()
from massbal.xlsx.read.read_book import read_book
from massbal.inspector.export import export_inspector
book, out, start, end = sys.argv[1:5]
raw = read_book(book)
res = export_inspector(raw, out, start=start or None, end=end or None, pdf=False, source_name="book.xlsx",
                       now=datetime(2026, 1, 2, 3, 4, 5))
print(json.dumps({"fingerprint": res.fingerprint, "seconds": round(time.perf_counter() - t0, 2),
                  "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))
"""


def export(src: str, book: str, out: str, start: str, end: str) -> dict:
    env = dict(os.environ, PYTHONPATH=src)
    p = subprocess.run([sys.executable, "-c", RUN, book, out, start, end], env=env, check=True,
                       capture_output=True, text=True)
    return json.loads(p.stdout.strip().splitlines()[-1])


def cells(path: str, data_only: bool) -> dict[str, dict[str, object]]:
    import openpyxl
    wb = openpyxl.load_workbook(path, read_only=True, data_only=data_only)
    out = {}
    for ws in wb.worksheets:
        out[ws.title] = {c.coordinate: c.value for row in ws.iter_rows() for c in row
                         if getattr(c, "value", None) is not None}
    wb.close()
    return out


def compare(a: str, b: str) -> list[str]:
    problems = []
    for data_only in (False, True):
        x, y = cells(a, data_only), cells(b, data_only)
        if list(x) != list(y):
            problems.append(f"sheets differ: {list(x)} / {list(y)}")
        for sheet in x:
            gx, gy = x[sheet], y.get(sheet, {})
            diff = [k for k in set(gx) | set(gy) if gx.get(k) != gy.get(k)]
            if diff:
                k = sorted(diff)[0]
                problems.append(f"{sheet} ({'cached' if data_only else 'values/formulas'}): {len(diff)} cells "
                                f"differ, e.g. {k}: {gx.get(k)!r} / {gy.get(k)!r}")
        print(f"{'cached values' if data_only else 'values and formulas'}: "
              f"{sum(len(g) for g in x.values())} cells compared")
    return problems


def parts(a: str, b: str) -> list[str]:
    """The package parts that are not byte-identical (or are in one copy only), apart from
    docProps/core.xml (XlsxWriter stamps it with the clock)."""
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        names = sorted((set(za.namelist()) | set(zb.namelist())) - {"docProps/core.xml"})
        other = [n for n in names if n not in za.namelist() or n not in zb.namelist()]
        return other + [n for n in names if n not in other and za.read(n) != zb.read(n)]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("book")
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--from", dest="start", default="")
    ap.add_argument("--to", dest="end", default="")
    ap.add_argument("--keep", help="folder to keep the two copies in")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = a.keep or tmp
        # the same file name: the cover names the copy
        os.makedirs(os.path.join(folder, "old"), exist_ok=True)
        os.makedirs(os.path.join(folder, "new"), exist_ok=True)
        pa, pb = os.path.join(folder, "old", "copy.xlsx"), os.path.join(folder, "new", "copy.xlsx")
        ra = export(a.old, a.book, pa, a.start, a.end)
        print("old:", ra)
        rb = export(a.new, a.book, pb, a.start, a.end)
        print("new:", rb)
        problems = compare(pa, pb)
        if ra["fingerprint"] != rb["fingerprint"]:
            problems.append("fingerprints differ")
        differ = parts(pa, pb)
        print(f"package parts not byte-identical: {differ or 'none'}")
    for p in problems:
        print("DIFFERENT:", p)
    print("equal" if not problems else f"{len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
