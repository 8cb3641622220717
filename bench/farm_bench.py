"""A farm book at scale next to a handler book of the same size (CONTRACT section 6).

    PYTHONPATH=src python bench/farm_bench.py [--fields 5000] [--rows 200000]

The farm book: `fields` Fields rows (four crops, season 2025, one in twenty in transition),
`rows` harvest and use rows (Harvests, FarmUse seed rows and Applications, half of them
harvest loads), plus grain sold and year-end bin counts. The handler book is the
generator's realistic book with the same number of movement rows. Both are written as
.xlsx and timed through read, prepare and a reconcile by month; the farm book also by
year (its Crop and Harvest sheets). Not a test: the suite asserts no timings.
"""
from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
CROPS = {"Wheat": (60, 45), "Corn": (56, 150), "Soybeans": (60, 40), "Oats": (32, 70)}  # lb/bu, bu/acre


def farm_tables(n_fields: int, n_rows: int, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    names = list(CROPS)
    crop = rng.choice(names, n_fields)
    acres = rng.integers(5, 120, n_fields).astype(float)
    expected = np.array([CROPS[c][1] for c in crop], dtype=float)
    field = np.array([f"F{i:05d}" for i in range(n_fields)], dtype=object)
    organic = np.where(rng.random(n_fields) < 0.05, "Transition", "Yes")
    items = pd.DataFrame({"Item": names + ["Compost"], "Kind": ["Crop"] * 4 + ["Input"],
                          "Organic": ["Yes"] * 4 + ["No"], "Unit": ["bu"] * 4 + ["ton"],
                          "Kg per unit": [CROPS[c][0] * 0.45359237 for c in names] + [None],
                          "Allowed": [None] * 4 + ["Yes"]})
    fields = pd.DataFrame({"Field": field, "Crop": crop, "Season": 2025, "Acres": acres, "Expected yield": expected,
                           "Yield unit": "bu", "Yield source": "county average", "Organic": organic, "Seed": crop,
                           "Seeding rate": 2.0, "Seed unit": "bu"})
    n_h, n_u = n_rows // 2, n_rows // 4
    f = rng.integers(0, n_fields, n_h)
    total = acres * expected * rng.uniform(0.85, 1.08, n_fields)
    loads = np.bincount(f, minlength=n_fields)
    qty = np.round(total[f] / np.maximum(loads[f], 1))
    day = pd.Timestamp("2025-07-01") + pd.to_timedelta(rng.integers(0, 120, n_h), unit="D")
    harvests = pd.DataFrame({"Date": day, "Item": crop[f], "Lot": [f"L25-{x}" for x in field[f]], "Quantity": qty,
                             "Unit": "bu", "Field": field[f], "Location": "Bins"})
    fu = rng.integers(0, n_fields, n_u)
    farm_use = pd.DataFrame({"Date": pd.Timestamp("2025-04-15") + pd.to_timedelta(rng.integers(0, 40, n_u), unit="D"),
                             "Item": crop[fu], "Quantity": np.round(acres[fu] * 2.0 / 4, 1), "Unit": "bu",
                             "Use": "seed", "Lot": [f"L24-{c}" for c in crop[fu]], "Field": field[fu]})
    ap = rng.integers(0, n_fields, n_rows - n_h - n_u)
    applications = pd.DataFrame({"Date": pd.Timestamp("2025-04-01") + pd.to_timedelta(rng.integers(0, 30, len(ap)), unit="D"),
                                 "Field": field[ap], "Item": "Compost", "Quantity": 0.5, "Unit": "ton", "Lot": "CMP"})
    # grain sold: most of each organic harvest lot, in one sale per ten loads
    lots = harvests.groupby(["Lot", "Item"], as_index=False)["Quantity"].sum()
    sales = lots.loc[lots.index.repeat(3)].reset_index(drop=True)
    sales["Quantity"] = np.floor(sales["Quantity"] * 0.28)
    shipments = pd.DataFrame({"Date": pd.Timestamp("2025-11-01") + pd.to_timedelta(rng.integers(0, 60, len(sales)), unit="D"),
                              "Item": sales["Item"], "Lot": sales["Lot"], "Quantity": sales["Quantity"], "Unit": "bu",
                              "Customer": "Elevator"})
    opening = pd.DataFrame({"Date": pd.Timestamp("2024-12-31"), "Item": names, "Quantity": 10_000_000.0, "Unit": "bu",
                            "Lot": [f"L24-{c}" for c in names]})
    closing = pd.DataFrame({"Date": pd.Timestamp("2025-12-31"), "Item": names, "Quantity": 0.0, "Unit": "bu"})
    receipts = pd.DataFrame({"Date": [pd.Timestamp("2025-03-01")], "Item": ["Compost"], "Lot": ["CMP"],
                             "Quantity": [float(len(ap))], "Unit": ["ton"], "Organic": ["No"]})
    return {"Items": items, "Receipts": receipts, "Fields": fields, "Harvests": harvests, "FarmUse": farm_use,
            "Applications": applications, "Shipments": shipments, "Counts": pd.concat([opening, closing]),
            "Settings": pd.DataFrame({"Setting": ["Unit"], "Value": ["lb"]})}


def timed(path: Path, periods: list[str]) -> dict:
    from massbal.engine.api import prepare, reconcile_prepared
    from massbal.xlsx.read.read_book import read_book
    out = {}
    t = time.perf_counter()
    raw = read_book(path)
    out["read"] = time.perf_counter() - t
    t = time.perf_counter()
    prep = prepare(raw)
    out["prepare"] = time.perf_counter() - t
    for p in periods:
        t = time.perf_counter()
        rec = reconcile_prepared(prep, period=p)
        out[f"reconcile by {p}"] = time.perf_counter() - t
        out[f"rows by {p}"] = (len(rec.balances), None if rec.crop is None else len(rec.crop),
                               None if rec.fields is None else len(rec.fields))
    out["movements"] = len(prep.ledger)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fields", type=int, default=5000)
    ap.add_argument("--rows", type=int, default=200_000)
    a = ap.parse_args()
    from massbal.books.gen import generate_book
    from massbal.books.gen.fastxlsx import write_tables
    OUT.mkdir(exist_ok=True)
    farm = OUT / f"farm_{a.fields}_{a.rows}.xlsx"
    tables = farm_tables(a.fields, a.rows, np.random.default_rng(7))
    write_tables(farm, tables)
    n = sum(len(tables[t]) for t in ("Receipts", "Harvests", "FarmUse", "Applications", "Shipments", "Counts"))
    handler = OUT / f"book_{n}.xlsx"
    if not handler.exists():
        generate_book(handler, scale=n, seed=7, writer="fast", manifest=False)
    for name, path, periods in (("farm", farm, ["month", "year"]), ("handler", handler, ["month"])):
        r = timed(path, periods)
        figures = "  ".join(f"{k} {v:.1f} s" if isinstance(v, float) else f"{k} {v}" for k, v in r.items())
        print(f"{name:8} {path.name}: {figures}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
