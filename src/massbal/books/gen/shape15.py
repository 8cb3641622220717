"""Issue 15's bench book: about 980,000 movements in the proportions a larger plant keeps.

300k receipt lots from 20 certified suppliers, 100k production runs of three input lots
each (every receipt lot goes whole into one run, just in time), 250k shipments and 30k
losses, plus the month-end counts; the demo brand is kept underneath so the planted
problems have their items. `fraction` scales every count (0.1: the 100k book).
"""
from __future__ import annotations

import datetime as dt

import numpy as np

from .catalog import _CUSTOMERS, _LINES, _RAW, Catalog, Item, Process, Sales, Source, day

SUPPLIERS = 20
RAW_ITEMS = 60  # three per supplier
PRODUCTS = 100
RUNS = 100_000
SHIPMENTS_PER_RUN = 2.5  # order pieces, counting the orders a lot change splits in two
DOCUMENTED = 0.3  # share of runs whose process loss is on Losses: 30k rows
_CERTIFIERS = ("CCOF", "QAI", "OTCO", "MOSA", "PCO", "OCIA", "Ecocert", "NOFA-NY")
_COMPANY = ("Prairie", "Sierra", "Cascade", "Andes", "Anatolia", "Delta", "Mesa", "Northland", "Valle",
            "Harbor", "Summit", "Lakeland", "Pampas", "Highland", "Riverside", "Coastal", "Meadow",
            "Redwood", "Basin", "Ozark")


def catalog(base: Catalog, fraction: float, rng: np.random.Generator) -> Catalog:
    items, sources, processes, sales, certs = [], [], [], [], []
    raw = []
    for i in range(RAW_ITEMS):
        name, cat = _RAW[i % len(_RAW)]
        name = f"{name} S{i:02d}"  # apart from the demo's and the bench catalogs' names
        raw.append(name)
        items.append(Item(name, f"S{i:02d}", "Ingredient", cat))
    for k in range(SUPPLIERS):
        sup = f"{_COMPANY[k]} Organic Ingredients"
        cert_body = _CERTIFIERS[k % len(_CERTIFIERS)]
        cert = f"{cert_body}-{k:02d}-{4000 + 131 * k}"
        mine = raw[3 * k:3 * k + 3]
        certs.append((sup, cert, cert_body, ", ".join(mine), dt.date(2024, 1 + k % 12, 1),
                      dt.date(2026, 1 + k % 12, 28)))
        for name in mine:
            sources.append(Source(name, sup, cert, "lb", None, lot_prefix=f"{_COMPANY[k][:3].upper()}-",
                                  per_line=True))
    runs_each = max(4, int(round(RUNS * fraction / PRODUCTS)))
    for i in range(PRODUCTS):
        line, unit, oz, per_unit = _LINES[i % len(_LINES)]
        name = f"{line} S{i:03d}" + (f" {oz:g}oz" if unit == "case" else "")
        kg_unit = round(oz * per_unit * 0.028349523125, 4)
        items.append(Item(name, f"Q{i:03d}", "Product", "Processed foods", unit, kg_unit))
        picks = rng.choice(RAW_ITEMS, size=3, replace=False)
        shares = rng.dirichlet(np.full(3, 4.0))
        units_per_run = max(1.0, round(float(rng.uniform(600, 3000)) / kg_unit))
        days = np.sort(rng.integers(day(1, 10), day(12, 22), runs_each))
        processes.append(Process(name, tuple((raw[j], float(s)) for j, s in zip(picks, shares, strict=True)),
                                 float(rng.uniform(.92, .99)), float(rng.uniform(0, .01)),
                                 documented=DOCUMENTED, fixed_runs=tuple(int(d) for d in days),
                                 run_size=(round(units_per_run * .8), round(units_per_run * 1.2), 1)))
        # orders a run: SHIPMENTS_PER_RUN less the one order each lot change splits
        mean = max(1.0, units_per_run * .95 / (SHIPMENTS_PER_RUN - 1))
        cust = rng.choice(len(_CUSTOMERS), size=4, replace=False)
        sales.append(Sales(name, tuple((_CUSTOMERS[c], .25) for c in cust),
                           (max(1.0, round(mean * .5)), round(mean * 1.5) + 1, 1), lag=(0, 5)))
    # at full size a product's month-end stock is so deep that one keyed slip (a shipment
    # entered twice) can stay within tolerance: the slips go on the demo brand's items.
    # (The 100k book, already shared, keeps the slips it was generated with.)
    extra = {"slip_items": frozenset(i.name for i in base.items)} if fraction >= .5 else {}
    return Catalog(base.items + tuple(items), base.sources + tuple(sources), base.processes + tuple(processes),
                   base.sales + tuple(sales), base.losses, base.certificates + tuple(certs), base.settings, extra)
