"""Realistic massbal workbooks: the demo book and the benchmark books, from one simulation.

    manifest = generate_book("book.xlsx", scale="demo", seed=2025)

writes the input tables as Excel Tables and returns the manifest of planted problems
(each with the cell that holds it and where the engine should report it). Scales:
"demo" (a year of a small organic snack brand, about 2,000 rows), "10k", "100k", "1m"
(total movement rows), or a number of rows.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import book as _book
from . import catalog as _catalog
from .plant import Planted, Planter
from .simulate import simulate

SCALES = {"demo": 0, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}
SHAPES = {"shape15": 1.0, "shape15_100k": 0.1, "shape15_10k": 0.01}  # issue 15's proportions (shape15.py), at a fraction
MOVEMENT_TABLES = ("Receipts", "Batches", "BatchInputs", "Shipments", "Losses", "Counts", "Transfers")
DEMO_SEED = 2025
XLSXWRITER_MAX_ROWS = 60_000  # above this the fast writer is used (XlsxWriter: ~60 s per 1M rows)


@dataclass
class Manifest:
    scale: str
    seed: int
    rows: dict[str, int]
    planted: list[Planted] = field(default_factory=list)

    @property
    def movement_rows(self) -> int:
        return sum(self.rows.get(t, 0) for t in MOVEMENT_TABLES)

    def by_id(self, pid: str) -> list[Planted]:
        return [p for p in self.planted if p.id == pid]

    def to_dict(self) -> dict:
        return {"scale": self.scale, "seed": self.seed, "rows": self.rows, "movement_rows": self.movement_rows,
                "planted": [p.public() for p in self.planted]}

    def write(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=1, default=str) + "\n", encoding="utf-8")
        return path


def catalog_for(scale: str | int, rng: np.random.Generator) -> _catalog.Catalog:
    base = _catalog.demo()
    if scale in SHAPES:
        from . import shape15
        return shape15.catalog(base, SHAPES[scale], rng)
    rows = SCALES[scale] if isinstance(scale, str) else int(scale)
    extra = rows - 2_000
    if extra <= 0:
        return base
    n_items = int(round(np.interp(np.log10(rows), [3, 4, 5, 6], [14, 50, 120, 200])))
    return _catalog.extend(base, n_items, extra, rng)


def generate_tables(scale: str | int = "demo", seed: int = DEMO_SEED) -> tuple[dict[str, pd.DataFrame], Manifest]:
    """The input tables (schema column order, an `_id` column last) and the manifest."""
    rng = np.random.default_rng(seed)
    cat = catalog_for(scale, rng)
    world = simulate(cat, rng)
    tb = _book.build(world, rng)
    planter = Planter(tb, rng)
    planter.conditions()
    tb.tables["Counts"] = _book.counts(tb, rng).assign(_id=lambda f: np.arange(len(f)))
    _book.settle_counts(tb, keep={(planter.shortfall[0], planter.shortfall[1].month)})
    tb.tables["Counts"] = tb.tables["Counts"].drop(columns="_exact")
    planter.locate_shortfall()
    planter.mistakes()
    tables = _book.finalize(tb.tables)
    planted = planter.resolve(tables, cat)
    rows = {name: len(t) for name, t in tables.items()}
    return tables, Manifest(str(scale), seed, rows, planted)


def generate_book(path: str | Path, *, scale: str | int = "demo", seed: int = DEMO_SEED,
                  writer: str = "auto", manifest: bool = True) -> Manifest:
    """Write a generated workbook to `path` (and `<stem>.manifest.json` beside it)."""
    path = Path(path)
    tables, man = generate_tables(scale, seed)
    plain = {k: v.drop(columns="_id") for k, v in tables.items()}
    if writer == "auto":
        writer = "xlsxwriter" if man.movement_rows <= XLSXWRITER_MAX_ROWS else "fast"
    if writer == "xlsxwriter":
        from massbal.books.template import write_input_book
        write_input_book(path, plain, title=f"massbal {'demo' if scale == 'demo' else 'benchmark'} book")
    elif writer == "fast":
        from .fastxlsx import write_tables
        write_tables(path, plain)
    else:
        raise ValueError(f"unknown writer {writer!r}")
    if manifest:
        man.write(path.with_name(path.stem + ".manifest.json"))
    return man


__all__ = ["generate_book", "generate_tables", "Manifest", "Planted", "SCALES", "SHAPES"]
