"""`massbal demo --farm`: a year of a mixed organic farm, assembled from row providers.

Each provider is `provider(year, rng) -> {table name: [row dicts keyed by the schema's
column names]}` and brings its own Items rows. The crop farm is one provider; a herd's
(milk, hay and corn silage fed) is another, added to PROVIDERS with one line. An item
that two providers list (corn grown here and fed to the cows) keeps the first row.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from massbal.engine.schema import TABLES, book_specs, name_key

from .farm_crops import crop_rows
from .farm_dairy import dairy_rows

Provider = Callable[[int, np.random.Generator], dict]
PROVIDERS: list[Provider] = [crop_rows, dairy_rows]
FARM_YEAR = 2025
FARM_SEED = 20250
FARM_FILE = "massbal_farm_demo.xlsx"
FARM_DEMO_SPAN = (f"{FARM_YEAR}-01-01", f"{FARM_YEAR}-12-31")
SETTINGS = [("Unit", "lb"), ("Tolerance %", 5), ("Harvest tolerance %", 15), ("Operation", "Prairie Hill Organic Farm")]


def farm_tables(year: int = FARM_YEAR, seed: int = FARM_SEED,
                providers: list[Provider] | None = None) -> dict[str, pd.DataFrame]:
    """Every provider's rows as the farm book's tables (schema columns, dates as dates)."""
    rng = np.random.default_rng(seed)
    rows: dict[str, list[dict]] = {}
    for provide in (PROVIDERS if providers is None else providers):
        for table, part in provide(year, rng).items():
            rows.setdefault(table, []).extend(part)
    seen: set[str] = set()
    items = []
    for r in rows.get("Items", []):
        if name_key(r["Item"]) not in seen:
            seen.add(name_key(r["Item"]))
            items.append(r)
    rows["Items"] = items
    rows.setdefault("Settings", [{"Setting": k, "Value": v} for k, v in SETTINGS])
    out = {}
    for spec in book_specs(farm=True):
        frame = pd.DataFrame(rows.get(spec.name, []), columns=[c.name for c in spec.columns])
        for c in spec.columns:
            if c.kind == "date":
                frame[c.name] = pd.to_datetime(frame[c.name])
        out[spec.name] = frame
    assert set(rows) <= set(TABLES), set(rows) - set(TABLES)
    return out


def write_farm_demo(directory: str | Path = ".", *, year: int = FARM_YEAR, seed: int = FARM_SEED) -> Path:
    """Write `directory/massbal_farm_demo.xlsx` (the same book every time) and return its path."""
    from ..template import write_input_book
    from .book import finalize
    path = Path(directory) / FARM_FILE
    tables = finalize(farm_tables(year, seed), farm=True)
    write_input_book(path, {k: v.drop(columns="_id") for k, v in tables.items()},
                     title="massbal farm demo book", farm=True)
    return path
