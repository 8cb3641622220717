"""`massbal demo`: a year of a small organic snack brand, ready to reconcile.

The book is generated (massbal.books.gen) at demo scale with a fixed seed, so every run of
`massbal demo` gives the same workbook, with the same handful of realistic problems for
Reconcile to find: a certificate that lapsed, a conventional lot in an organic run, a
burnt batch, raisins lost without a record, and some typing mistakes.
"""
from __future__ import annotations

from pathlib import Path

from .gen import DEMO_SEED, Manifest, generate_book

DEMO_FILE = "massbal_demo.xlsx"


def write_demo(directory: str | Path = ".", *, manifest: bool = False) -> Path:
    """Write `directory/massbal_demo.xlsx` and return its path.

    With manifest=True the list of planted problems is written beside it
    (massbal_demo.manifest.json), for tests and for the curious.
    """
    path = Path(directory) / DEMO_FILE
    generate_book(path, scale="demo", seed=DEMO_SEED, writer="xlsxwriter", manifest=manifest)
    return path


def demo_manifest() -> Manifest:
    """The planted problems of the demo book (the same every time), without writing it."""
    from .gen import generate_tables
    return generate_tables("demo", DEMO_SEED)[1]


def set_aside(path: Path) -> Path:
    """Rename an existing demo workbook to the first free massbal_demo.old[N].xlsx beside it
    (`massbal demo --force`: a fresh demo never costs the user an edited one)."""
    n = 1
    while True:
        kept = path.with_name(f"{path.stem}.old{'' if n == 1 else n}{path.suffix}")
        if not kept.exists():
            path.rename(kept)
            return kept
        n += 1
