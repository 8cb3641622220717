"""Issue 15's table in one run: each stage's seconds, peak memory and ratio to the read floor.

    PYTHONPATH=src python bench/issue15.py /work/benchbooks/shape15.xlsx
    PYTHONPATH=src python bench/issue15.py BOOK --no-export --json out.json

Stages in this process (peak RSS is the process's high-water mark after the stage, so it
only grows): the read floor (fastexcel loading every sheet, nothing else), massbal's read,
engine prepare, engine reconcile (every month), the result sheets written in place into a
copy. Then as processes, each on its own copy with its own peak RSS (wait4):
`massbal reconcile --json`, `massbal reconcile --dry-run --json`, and the quarter export
(`massbal export --from 2025-01-01 --to 2025-03-31 --no-pdf`). The machine's load
(`uptime`) is printed before and after, since the machine is shared. Not a test.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run_bench import peak_mb  # noqa: E402

QUARTER = ("--from", "2025-01-01", "--to", "2025-03-31")


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def in_process(book: Path, tmp: Path) -> tuple[dict, dict]:
    rows: dict[str, dict] = {}

    def stage(name, fn):
        t = time.perf_counter()
        result = fn()
        rows[name] = {"seconds": round(time.perf_counter() - t, 3), "peak_mb": round(peak_mb(), 1)}
        return result

    import fastexcel

    def floor():
        r = fastexcel.read_excel(str(book))
        return sum(r.load_sheet(s).height for s in r.sheet_names)

    stage("read floor (fastexcel, every sheet)", floor)
    from massbal.xlsx.read.read_book import read_book
    raw = stage("massbal read", lambda: read_book(book))
    from massbal.engine.api import prepare, reconcile_prepared
    prep = stage("engine prepare", lambda: prepare(raw))
    rec = stage("engine reconcile (monthly)", lambda: reconcile_prepared(prep))
    from massbal.xlsx.write.write_results import write_results
    target = tmp / "inproc.xlsx"
    shutil.copyfile(book, target)
    stage("write the sheets in place", lambda: write_results(target, rec, backup=False))
    counts = {"movements": sum(len(t.data) for n, t in raw.tables.items()
                               if n not in ("Items", "Certificates", "Settings")),
              "balances": len(rec.balances), "supply": len(rec.supply), "findings": len(rec.findings)}
    return rows, counts


def as_process(args: list[str]) -> dict:
    """Seconds, peak RSS (of this child alone) and exit code of one massbal command."""
    env = dict(os.environ, PYTHONPATH=os.environ.get("PYTHONPATH", str(HERE.parent / "src")))
    t = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-m", "massbal.cli", *args], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    err = p.stderr.read().decode(errors="replace").strip() if p.stderr else ""
    return {"seconds": round(time.perf_counter() - t, 3), "peak_mb": round(ru.ru_maxrss / 1024.0, 1),
            "exit": p.returncode, **({"stderr": err[-300:]} if p.returncode not in (0, 1) else {})}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("book", type=Path)
    ap.add_argument("--no-export", action="store_true", help="skip the quarter export (minutes on 1M rows)")
    ap.add_argument("--no-process", action="store_true", help="only the in-process stages")
    ap.add_argument("--json", type=Path, help="also write the table as JSON here")
    a = ap.parse_args(argv)
    load_before = uptime()
    with tempfile.TemporaryDirectory(prefix="issue15-") as d:
        tmp = Path(d)
        rows, counts = in_process(a.book, tmp)
        if not a.no_process:
            copy = tmp / "proc.xlsx"
            shutil.copyfile(a.book, copy)
            rows["massbal reconcile --json (process)"] = as_process(["reconcile", str(copy), "--json"])
            rows["massbal reconcile --dry-run --json (process)"] = as_process(
                ["reconcile", str(a.book), "--dry-run", "--json"])
            if not a.no_export:
                rows["massbal export quarter --no-pdf (process)"] = as_process(
                    ["export", str(a.book), *QUARTER, "--no-pdf", "-o", str(tmp / "quarter.xlsx")])
    floor = rows["read floor (fastexcel, every sheet)"]["seconds"]
    for r in rows.values():
        r["x_floor"] = round(r["seconds"] / max(floor, 1e-9), 2)
    engine = rows["engine prepare"]["seconds"] + rows["engine reconcile (monthly)"]["seconds"]
    load_after = uptime()
    print(f"{a.book.name}: {counts['movements']:,} movements, {counts['balances']:,} balances, "
          f"{counts['supply']:,} supply rows, {counts['findings']:,} findings")
    print(f"{'stage':<46} {'seconds':>8} {'x floor':>8} {'peak MB':>8}")
    for name, r in rows.items():
        extra = f"  exit {r['exit']}" if "exit" in r else ""
        print(f"{name:<46} {r['seconds']:>8.2f} {r['x_floor']:>8.2f} {r['peak_mb']:>8.0f}{extra}"
              + (f"  {r['stderr']}" if "stderr" in r else ""))
    print(f"{'engine (prepare + reconcile)':<46} {engine:>8.2f} {engine / max(floor, 1e-9):>8.2f}")
    print(f"load before: {load_before}\nload after:  {load_after}")
    if a.json:
        a.json.write_text(json.dumps({"book": str(a.book), **counts, "stages": rows,
                                      "engine_seconds": round(engine, 3), "uptime_before": load_before,
                                      "uptime_after": load_after}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
