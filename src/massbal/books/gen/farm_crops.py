"""A year of a mixed organic grain farm for `massbal demo --farm` (CONTRACT section 6).

Wheat, corn, soybeans and oats on a dozen fields, weighed in bushels; saved seed of wheat
and oats from the bins, bought seed of corn and soybeans; compost on most fields; grain
sold to elevators through the autumn; bin counts on 31 December. Planted problems, each
for Reconcile to find at its cell:
- field H22's corn comes in 40 % over its expected yield (HARVEST_OVER_EXPECTED);
- field T18 is in transition: its soybeans are stock, sold as conventional, never organic supply;
- the buffer strip of N40 is harvested as its own conventional lot (Organic = No);
- urea, a synthetic fertiliser (Allowed = No), is spread on organic field E35 (PROHIBITED_INPUT).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

LB_PER_BU = {"Wheat": 60, "Corn": 56, "Soybeans": 60, "Oats": 32}  # DOMAIN.md standard weights
KG_PER_LB = 0.45359237
CROP_PREFIX = {"Wheat": "W", "Corn": "C", "Soybeans": "S", "Oats": "O"}
OVER_FIELD, OVER_FACTOR = "H22", 1.40
TRANSITION_FIELD = "T18"
BUFFER_FIELD = "N40"
PROHIBITED_FIELD = "E35"

# field, crop, acres, expected bu/acre, yield source, organic, seed item, seeding rate, seed unit
FIELDS = [
    ("N40", "Wheat", 40, 45, "farm history 2020-2024", "Yes", "Wheat", 2.0, "bu"),
    ("N20", "Wheat", 20, 42, "farm history 2020-2024", "Yes", "Wheat", 2.0, "bu"),
    ("E60", "Corn", 60, 150, "county average (NASS)", "Yes", "Seed corn", 17.0, "lb"),
    ("E35", "Corn", 35, 145, "county average (NASS)", "Yes", "Seed corn", 17.0, "lb"),
    ("H22", "Corn", 22, 140, "county average (NASS)", "Yes", "Seed corn", 17.0, "lb"),
    ("E12", "Corn", 12, 150, "county average (NASS)", "Yes", "Seed corn", 17.0, "lb"),
    ("S50", "Soybeans", 50, 40, "county average (NASS)", "Yes", "Soybean seed", 1.0, "bu"),
    ("S25", "Soybeans", 25, 38, "county average (NASS)", "Yes", "Soybean seed", 1.0, "bu"),
    ("T18", "Soybeans", 18, 35, "county average (NASS)", "Transition", "Soybean seed", 1.0, "bu"),
    ("W30", "Oats", 30, 70, "farm history 2020-2024", "Yes", "Oats", 3.0, "bu"),
    ("W15", "Oats", 15, 65, "farm history 2020-2024", "Yes", "Oats", 3.0, "bu"),
    ("W8", "Oats", 8, 70, "farm history 2020-2024", "Yes", "Oats", 3.0, "bu"),
]
HARVEST_MONTH = {"Wheat": 7, "Oats": 7, "Soybeans": 10, "Corn": 10}
PLANT_MONTH = {"Wheat": 4, "Oats": 4, "Soybeans": 5, "Corn": 5}
OPENING_BU = {"Wheat": 150, "Oats": 250, "Corn": 120, "Soybeans": 0}  # in the bins on 31 Dec of the year before
ELEVATORS = ("Heartland Organic Grain", "Prairie Co-op (organic)", "Great Plains Feed Mill")
CONVENTIONAL_BUYER = "County Co-op (conventional)"


def _day(year: int, month: int, day: int) -> pd.Timestamp:
    return pd.Timestamp(year, month, day)


def crop_rows(year: int, rng: np.random.Generator) -> dict[str, list[dict]]:
    """Table name -> rows keyed by the schema's column names."""
    t: dict[str, list[dict]] = {k: [] for k in ("Items", "Certificates", "Receipts", "Fields", "Harvests",
                                                 "FarmUse", "Applications", "Shipments", "Losses", "Counts")}
    for crop, lb in LB_PER_BU.items():
        t["Items"].append({"Item": crop, "Kind": "Crop", "Organic": "Yes", "Category": "Grain", "Unit": "bu",
                           "Kg per unit": lb * KG_PER_LB, "Tolerance %": 3})
    t["Items"] += [
        {"Item": "Seed corn", "Kind": "Seed", "Organic": "Yes", "Category": "Seed", "Unit": "lb"},
        {"Item": "Soybean seed", "Kind": "Seed", "Organic": "Yes", "Category": "Seed", "Unit": "bu",
         "Kg per unit": 60 * KG_PER_LB},
        {"Item": "Compost", "Kind": "Input", "Organic": "No", "Category": "Non-agricultural", "Unit": "ton",
         "Allowed": "Yes"},
        {"Item": "Urea 46-0-0", "Kind": "Input", "Organic": "No", "Category": "Non-agricultural", "Unit": "lb",
         "Allowed": "No"},
    ]
    t["Certificates"].append({"Supplier": "Blue River Seeds", "Certificate": "MOSA-55120", "Certifier": "MOSA",
                              "Items covered": "Seed corn, Soybean seed", "Valid from": _day(year - 1, 1, 1),
                              "Valid to": _day(year + 1, 12, 31)})
    prev_end = _day(year - 1, 12, 31)
    for crop, bu in OPENING_BU.items():
        if bu:
            t["Counts"].append({"Date": prev_end, "Item": crop, "Quantity": bu, "Unit": "bu",
                                "Lot": f"{CROP_PREFIX[crop]}{(year - 1) % 100:02d}-BIN", "Location": "Bins"})
    seed_need = {"Seed corn": 0.0, "Soybean seed": 0.0}
    for _f, _crop, acres, *_rest, seed, rate, _unit in FIELDS:
        if seed in seed_need:
            seed_need[seed] += acres * rate
    t["Receipts"] += [
        {"Date": _day(year, 3, 18), "Item": "Seed corn", "Lot": f"SC-{year}-1", "Quantity": seed_need["Seed corn"],
         "Unit": "lb", "Supplier": "Blue River Seeds", "Supplier lot": "BR-7731", "Certificate": "MOSA-55120",
         "Organic": "Yes", "Location": "Shed", "Reference": "INV 20331"},
        {"Date": _day(year, 3, 18), "Item": "Soybean seed", "Lot": f"SB-{year}-1",
         "Quantity": seed_need["Soybean seed"], "Unit": "bu", "Supplier": "Blue River Seeds",
         "Supplier lot": "BR-7790", "Certificate": "MOSA-55120", "Organic": "Yes", "Location": "Shed",
         "Reference": "INV 20331"},
        {"Date": _day(year, 3, 25), "Item": "Compost", "Lot": f"CMP-{year}", "Quantity": 340, "Unit": "ton",
         "Supplier": "Valley Compost", "Organic": "No", "Location": "Pad", "Reference": "BOL 118"},
        {"Date": _day(year, 5, 2), "Item": "Urea 46-0-0", "Lot": f"UREA-{year}", "Quantity": 2000, "Unit": "lb",
         "Supplier": "Farm & Home Supply", "Organic": "No", "Location": "Shed", "Reference": "RCPT 5521"},
    ]
    stock_bu = {c: float(OPENING_BU[c]) for c in LB_PER_BU}  # organic book stock, bushels
    lots: dict[str, list[tuple[str, float]]] = {c: [] for c in LB_PER_BU}
    for f, crop, acres, exp, source, organic, seed, rate, seed_unit in FIELDS:
        t["Fields"].append({"Field": f, "Crop": crop, "Season": year, "Acres": acres, "Expected yield": exp,
                            "Yield unit": "bu", "Yield source": source, "Organic": organic, "Seed": seed,
                            "Seeding rate": rate, "Seed unit": seed_unit})
        plant = _day(year, PLANT_MONTH[crop], int(rng.integers(5, 25)))
        if seed in LB_PER_BU:  # saved seed from the bins
            t["FarmUse"].append({"Date": plant, "Item": seed, "Quantity": acres * rate, "Unit": "bu", "Use": "seed",
                                 "Lot": f"{CROP_PREFIX[crop]}{(year - 1) % 100:02d}-BIN", "Field": f,
                                 "Reference": f"planting {f}"})
            stock_bu[seed] -= acres * rate
        else:  # bought seed, applied to the field
            t["Applications"].append({"Date": plant, "Field": f, "Item": seed, "Quantity": acres * rate,
                                      "Unit": seed_unit, "Lot": f"{'SC' if seed == 'Seed corn' else 'SB'}-{year}-1",
                                      "Reference": f"planting {f}"})
        t["Applications"].append({"Date": plant - pd.Timedelta(days=10), "Field": f, "Item": "Compost",
                                  "Quantity": float(acres) if f != TRANSITION_FIELD else 20.0, "Unit": "ton",
                                  "Lot": f"CMP-{year}", "Reference": "spreader log"})
        # the harvest, in two or three scale tickets
        factor = OVER_FACTOR if f == OVER_FIELD else float(rng.uniform(0.88, 1.06))
        total = round(acres * exp * factor)
        loads = int(rng.integers(2, 4))
        parts = np.diff(np.round(np.linspace(0, total, loads + 1))).astype(int)
        lot = f"{CROP_PREFIX[crop]}{year % 100:02d}-{f}"
        day0 = int(rng.integers(1, 15))
        for i, q in enumerate(parts):
            t["Harvests"].append({"Date": _day(year, HARVEST_MONTH[crop], day0 + 2 * i), "Item": crop, "Lot": lot,
                                  "Quantity": int(q), "Unit": "bu", "Field": f, "Location": "Bins",
                                  "Reference": f"ticket {HARVEST_MONTH[crop]}{day0 + 2 * i:02d}-{i + 1}"})
        if organic == "Yes":
            stock_bu[crop] += total
            lots[crop].append((lot, total))
        else:  # a transitional field's crop is sold as conventional, all of it
            t["Shipments"].append({"Date": _day(year, 11, 3), "Item": crop, "Lot": lot, "Quantity": total, "Unit": "bu",
                                   "Customer": CONVENTIONAL_BUYER, "Reference": "sold as conventional"})
        if f == BUFFER_FIELD:  # the buffer strip along the neighbour's conventional corn
            buf = f"{lot}-BUFFER"
            t["Harvests"].append({"Date": _day(year, HARVEST_MONTH[crop], day0), "Item": crop, "Lot": buf,
                                  "Quantity": 60, "Unit": "bu", "Field": f, "Organic": "No", "Location": "Wagon",
                                  "Reference": "buffer strip"})
            t["Shipments"].append({"Date": _day(year, 8, 20), "Item": crop, "Lot": buf, "Quantity": 60, "Unit": "bu",
                                   "Customer": CONVENTIONAL_BUYER, "Reference": "buffer strip, conventional"})
    t["Applications"].append({"Date": _day(year, 6, 12), "Field": PROHIBITED_FIELD, "Item": "Urea 46-0-0",
                              "Quantity": 2000, "Unit": "lb", "Lot": f"UREA-{year}", "Reference": "side-dress"})
    # sales to the elevators, drying shrink on corn, and the year-end bin counts
    for crop, crop_lots in lots.items():
        for lot, total in crop_lots:
            sold = round(total * float(rng.uniform(0.80, 0.92)))
            n = int(rng.integers(2, 4))
            parts = np.diff(np.round(np.linspace(0, sold, n + 1))).astype(int)
            for i, q in enumerate(parts):
                month = min(12, HARVEST_MONTH[crop] + 1 + i)
                t["Shipments"].append({"Date": _day(year, month, int(rng.integers(2, 27))), "Item": crop, "Lot": lot,
                                       "Quantity": int(q), "Unit": "bu", "Customer": ELEVATORS[i % len(ELEVATORS)],
                                       "Reference": f"BOL {int(rng.integers(10000, 99999))}"})
            stock_bu[crop] -= sold
            if crop == "Corn":  # drying from 17.5 to 15 % moisture: (17.5 - 15) x 1.2 = 3 % shrink
                shrink = round(total * 0.03)
                t["Losses"].append({"Date": _day(year, 10, 28), "Item": crop, "Quantity": shrink, "Unit": "bu",
                                    "Lot": lot, "Reason": "shrinkage", "Evidence": "dryer log, 17.5 -> 15 %"})
                stock_bu[crop] -= shrink
    for crop, bu in stock_bu.items():
        counted = round(bu * float(rng.uniform(0.992, 1.008)))
        t["Counts"].append({"Date": _day(year, 12, 31), "Item": crop, "Quantity": counted, "Unit": "bu",
                            "Location": "Bins"})
    return t
