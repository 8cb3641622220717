"""What the generated business buys, makes, sells and to whom.

The demo catalog is a small organic snack brand in 2025 (granola, trail mix bars, cleaned
quinoa, toasted oats for a customer). The bench catalogs are the same brand grown to
50-200 items: `extend` adds synthetic product lines with realistic names, recipes and
suppliers, so the one simulation in `simulate.py` serves both.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import numpy as np

YEAR = 2025
PLANT = "Plant"
COPACKER = "Sunrise Co-Pack"
OWNER = "Green Valley Co-op"  # a customer whose own oats are processed and kept apart


def day(month: int, dom: int) -> int:
    """Day number in the year (1 January = 0)."""
    return (dt.date(YEAR, month, dom) - dt.date(YEAR, 1, 1)).days


@dataclass(frozen=True)
class Item:
    name: str
    code: str  # prefix of its lot numbers
    kind: str  # Ingredient / Intermediate / Product
    category: str
    unit: str = "lb"
    kg_per_unit: float | None = None
    organic: bool = True
    tolerance: float | None = None

    def __post_init__(self):
        # the Items sheet shows Kg per unit to 4 decimals; the simulation must use that same
        # number, or a lot received in bushels holds a few grams more than its users take
        if self.kg_per_unit is not None:
            object.__setattr__(self, "kg_per_unit", round(float(self.kg_per_unit), 4))


@dataclass(frozen=True)
class Source:
    """One supplier of one raw item (for one owner)."""
    item: str
    supplier: str
    certificate: str | None
    unit: str  # the unit on the supplier's paperwork
    lot: tuple[float, float, float] | None  # (min, max, step) in `unit`; None: sized to demand
    first_day: int = 0
    last_day: int = 364
    weight: float = 1.0
    lot_prefix: str = "L"
    owner: str | None = None
    lots_per_year: int = 0  # for lot=None: how many deliveries a year
    per_line: bool = False  # one delivery for each run input line, of exactly its size (just in time)


@dataclass(frozen=True)
class Process:
    """How a made item is made: one run turns input lots into output lots."""
    output: str
    inputs: tuple[tuple[str, float], ...]  # (item, share of the input mass)
    yield_base: float  # output mass / input mass of the main output
    yield_season: float = 0.0  # lower by this much in mid-July (hot, humid bakery)
    yield_sd: float = 0.004
    coproducts: tuple[tuple[str, float], ...] = ()  # (item, share of the input mass)
    location: str = PLANT
    owner: str | None = None
    input_unit: str = "lb"  # the unit the run sheet records inputs in
    loss_reason: str = "process"
    documented: float = 1.0  # share of runs whose process loss is recorded on Losses
    fixed_runs: tuple[int, ...] = ()  # run days of a scheduled product; empty: made to demand
    run_size: tuple[float, float, float] = (1000, 2000, 1)  # output per run (min, max, step)
    season_size: float = 0.0  # runs are larger by this share in December
    lead: tuple[int, int] = (0, 3)  # days a demand-made lot is made ahead of its first use
    lots_per_year: int = 0  # demand-made with run_size None-like sizing: runs a year
    outlier: tuple[int, float] | None = None  # (day, yield) of one run gone wrong


@dataclass(frozen=True)
class Sales:
    item: str
    customers: tuple[tuple[str, float], ...]
    size: tuple[float, float, float]  # order size (min, max, step) in the item's unit
    orders: int = 0  # made-to-demand items: orders a year (fixed dates)
    share: float = 0.95  # scheduled products: share of production shipped
    samples: tuple[str, tuple[float, float, float], int] | None = None  # customer, size, how many
    owner: str | None = None
    lag: tuple[int, int] = (0, 10)


@dataclass(frozen=True)
class StockLoss:
    item: str
    n: int
    size: tuple[float, float, float]  # in `unit`
    unit: str
    reason: str
    evidence: str
    location: str = PLANT


@dataclass(frozen=True)
class Catalog:
    items: tuple[Item, ...]
    sources: tuple[Source, ...]
    processes: tuple[Process, ...]
    sales: tuple[Sales, ...]
    losses: tuple[StockLoss, ...]
    certificates: tuple[tuple, ...]  # (supplier, certificate, certifier, items covered, from, to)
    settings: tuple[tuple[str, object], ...]
    extra: dict = field(default_factory=dict)

    def item(self, name: str) -> Item:
        return self._items[name]

    @property
    def _items(self) -> dict[str, Item]:
        return {i.name: i for i in self.items}


def _weekly(first: int, step: int, skip: tuple[int, ...] = (), last: int = 360) -> tuple[int, ...]:
    return tuple(d for d in range(first, last + 1, step) if d not in skip)


def _monthly(dom: int) -> tuple[int, ...]:
    return tuple(day(m, dom) for m in range(1, 13))


# 9 lb case of granola: twelve 12 oz bags. A bar weighs 45 g.
GRANOLA_CASE_KG = 12 * 12 * 0.028349523125
HONEY_GALLON_KG = 12.0 * 0.45359237  # honey weighs about 12 lb a US gallon


def demo() -> Catalog:
    items = (
        Item("Rolled oats", "OAT", "Ingredient", "Grains"),
        Item("Honey", "HNY", "Ingredient", "Sweeteners", "gallon", HONEY_GALLON_KG),
        Item("Almonds", "ALM", "Ingredient", "Nuts"),
        Item("Raisins", "RSN", "Ingredient", "Dried fruit", "case", 30 * 0.45359237),
        Item("Sunflower seed in-shell", "SFS", "Ingredient", "Seeds", "tote", 800 * 0.45359237),
        Item("Quinoa raw", "QNR", "Ingredient", "Grains", "bag", 25.0),
        Item("Sea salt", "SLT", "Ingredient", "Salt", organic=False),
        Item("Sunflower kernels", "SFK", "Intermediate", "Seeds"),
        Item("Sunflower hulls", "SFH", "Product", "Byproducts"),
        Item("Quinoa cleaned", "QNC", "Intermediate", "Grains"),
        Item("Oat clusters", "OCL", "Intermediate", "Processed foods"),
        Item("Granola 12oz", "GRN", "Product", "Processed foods", "case", GRANOLA_CASE_KG, tolerance=2.0),
        Item("Trail mix bar", "TMB", "Product", "Processed foods", "each", 0.045),
        Item("Toasted oats", "TOA", "Product", "Grains"),
    )
    skip = (day(7, 1), day(11, 25), day(12, 23), day(12, 30))
    processes = (
        Process("Granola 12oz", (("Oat clusters", .61), ("Almonds", .14), ("Raisins", .15),
                                 ("Quinoa cleaned", .10)),
                yield_base=.985, yield_sd=.002, documented=.92,
                fixed_runs=_weekly(day(1, 14), 7, skip), run_size=(420, 620, 1), season_size=.15),
        Process("Trail mix bar", (("Oat clusters", .40), ("Almonds", .25), ("Raisins", .20),
                                  ("Sunflower kernels", .10), ("Honey", .05)),
                yield_base=.955, yield_sd=.006, location=COPACKER, input_unit="kg", documented=.9,
                fixed_runs=_weekly(day(1, 16), 14), run_size=(18000, 24000, 12)),
        Process("Toasted oats", (("Rolled oats", 1.0),), yield_base=.945, yield_season=.01,
                owner=OWNER, fixed_runs=_monthly(12), run_size=(1800, 2200, 10)),
        Process("Oat clusters", (("Rolled oats", .69), ("Honey", .20), ("Sunflower kernels", .10),
                                 ("Sea salt", .01)),
                yield_base=.875, yield_season=.02, documented=.92, run_size=(3600, 4400, 50),
                lead=(0, 2), outlier=(day(6, 18), .72)),
        Process("Quinoa cleaned", (("Quinoa raw", 1.0),), yield_base=.96, yield_sd=.006,
                loss_reason="cleaning", run_size=(4500, 5500, 50), lead=(1, 4)),
        Process("Sunflower kernels", (("Sunflower seed in-shell", 1.0),), yield_base=.52, yield_sd=.008,
                coproducts=(("Sunflower hulls", .43),), loss_reason="cleaning",
                run_size=(3800, 4400, 50), lead=(2, 6)),
    )
    sources = (
        Source("Rolled oats", "Prairie Mills", "CCOF-PM-10422", "lbs", (4000, 9000, 500), lot_prefix="PM25-"),
        Source("Rolled oats", OWNER, "MOSA-GV-4410", "lb", (4000, 6000, 500), lot_prefix="GV", owner=OWNER),
        Source("Honey", "Bee Haven Apiaries", "QAI-BH-3381", "gallon", (165, 330, 55), last_day=day(6, 30),
               lot_prefix="BH-"),
        Source("Honey", "Golden Prairie Honey", "OTCO-GP-7719", "gallon", (165, 330, 55),
               first_day=day(7, 1), lot_prefix="GPH"),
        Source("Almonds", "Sierra Nut Co.", "CCOF-SN-20871", "lb", (2000, 5000, 250), weight=.6,
               lot_prefix="SN-"),
        Source("Almonds", "Iberia Organics S.L.", "ES-ECO-023-NOP-0419", "kg", (1000, 2000, 100), weight=.4,
               lot_prefix="IB/"),
        Source("Raisins", "Valley Vine Raisins", "CCOF-VV-5530", "case", (100, 200, 10), lot_prefix="VV"),
        Source("Sunflower seed in-shell", "Northern Plains Seed", "OTCO-NP-1187", "tote", (8, 16, 1),
               lot_prefix="NPS-"),
        Source("Quinoa raw", "Andes Trading Co.", "QAI-AT-9042", "bag", (200, 400, 20), lot_prefix="AT"),
        Source("Sea salt", "Coastal Salt Works", None, "lb", (500, 1000, 50), lot_prefix="CSW"),
    )
    retail = (("Whole Harvest Market", .35), ("Sprout & Stem Grocers", .2),
              ("Northstar Natural Distributors", .3), ("Bluebird Foods Distribution", .15))
    sales = (
        Sales("Granola 12oz", retail, (40, 260, 1),
              samples=("Lakeside Market (sample)", (1, 2, 1), 6)),
        Sales("Trail mix bar", (("Trailhead Outfitters", .4), ("Campus Dining Services", .3),
                                ("Northstar Natural Distributors", .3)), (1200, 4800, 12),
              samples=("Expo West booth (sample)", (24, 48, 12), 4)),
        Sales("Toasted oats", ((OWNER, 1.0),), (1700, 2000, 10), share=.97, owner=OWNER, lag=(1, 6)),
        Sales("Sunflower hulls", (("Valley Feed & Fuel", 1.0),), (1000, 1400, 100), share=.9),
        Sales("Quinoa cleaned", (("Harvest Bowl Restaurants", .5), ("Northstar Natural Distributors", .5)),
              (500, 2000, 500), orders=34),
    )
    losses = (
        StockLoss("Raisins", 3, (20, 60, 1), "lb", "spoilage", "QA hold form"),
        StockLoss("Honey", 2, (10, 25, 1), "lb", "shrinkage", "Drum heel weighed"),
        StockLoss("Almonds", 3, (2, 5, .5), "lb", "sample", "QA retain log"),
        StockLoss("Rolled oats", 2, (50, 150, 5), "lb", "spoilage", "Pest damage, disposal receipt"),
        StockLoss("Granola 12oz", 5, (1, 4, 1), "case", "other", "Damaged in warehouse"),
        StockLoss("Trail mix bar", 2, (24, 96, 12), "each", "other", "Wrapper defect", COPACKER),
    )
    certificates = (
        ("Prairie Mills", "CCOF-PM-10422", "CCOF", None, dt.date(2024, 4, 1), dt.date(2026, 3, 31)),
        ("Bee Haven Apiaries", "QAI-BH-3381", "QAI", "Honey", dt.date(2024, 7, 1), dt.date(2025, 6, 30)),
        ("Golden Prairie Honey", "OTCO-GP-7719", "OTCO", "Honey", dt.date(2025, 3, 15), dt.date(2026, 3, 14)),
        ("Sierra Nut Co.", "CCOF-SN-20871", "CCOF", None, dt.date(2024, 11, 1), dt.date(2026, 10, 31)),
        ("Iberia Organics S.L.", "ES-ECO-023-NOP-0419", "Ecocert", "Almonds", dt.date(2024, 9, 1),
         dt.date(2026, 8, 31)),
        ("Valley Vine Raisins", "CCOF-VV-5530", "CCOF", "Raisins, Currants", dt.date(2024, 6, 1),
         dt.date(2026, 5, 31)),
        ("Northern Plains Seed", "OTCO-NP-1187", "OTCO", "Sunflower seed in-shell, Flax seed",
         dt.date(2024, 5, 1), dt.date(2026, 4, 30)),
        ("Andes Trading Co.", "QAI-AT-9042", "QAI", "Quinoa raw", dt.date(2024, 10, 1), dt.date(2026, 9, 30)),
        (OWNER, "MOSA-GV-4410", "MOSA", "Rolled oats", dt.date(2024, 8, 1), dt.date(2026, 7, 31)),
    )
    settings = (("Unit", "lb"), ("Tolerance %", 5), ("Tolerance % Grains", 4), ("Tolerance % Seeds", 4),
                ("Tolerance % Nuts", 3), ("Tolerance % Dried fruit", 3), ("Tolerance % Sweeteners", 2),
                ("Tolerance % Processed foods", 3))
    return Catalog(items, sources, processes, sales, losses, certificates, settings)


# ----------------------------------------------------------------------------------------
# Bench catalogs: the same brand with many more product lines

_RAW = (
    ("Oat flour", "Grains"), ("Brown rice", "Grains"), ("Millet", "Grains"), ("Buckwheat groats", "Grains"),
    ("Amaranth", "Grains"), ("Spelt flakes", "Grains"), ("Barley flakes", "Grains"), ("Rye flakes", "Grains"),
    ("Wheat", "Grains"), ("Corn", "Grains"), ("Soybeans", "Legumes"), ("Lentils", "Legumes"),
    ("Chickpeas", "Legumes"), ("Black beans", "Legumes"), ("Chia seed", "Seeds"), ("Flax seed", "Seeds"),
    ("Pumpkin seed", "Seeds"), ("Hemp hearts", "Seeds"), ("Sesame seed", "Seeds"), ("Cashews", "Nuts"),
    ("Walnuts", "Nuts"), ("Pecans", "Nuts"), ("Hazelnuts", "Nuts"), ("Pistachios", "Nuts"),
    ("Brazil nuts", "Nuts"), ("Peanuts", "Nuts"), ("Dried cranberries", "Dried fruit"),
    ("Dried apricots", "Dried fruit"), ("Dates", "Dried fruit"), ("Figs", "Dried fruit"),
    ("Dried cherries", "Dried fruit"), ("Dried blueberries", "Dried fruit"), ("Dried mango", "Dried fruit"),
    ("Coconut chips", "Dried fruit"), ("Banana chips", "Dried fruit"), ("Cocoa nibs", "Processed foods"),
    ("Cocoa powder", "Processed foods"), ("Dark chocolate chips", "Processed foods"),
    ("Maple syrup", "Sweeteners"), ("Brown rice syrup", "Sweeteners"), ("Cane sugar", "Sweeteners"),
    ("Coconut sugar", "Sweeteners"), ("Agave syrup", "Sweeteners"), ("Sunflower oil", "Oils"),
    ("Coconut oil", "Oils"), ("Cinnamon", "Spices"), ("Vanilla extract", "Spices"), ("Ginger", "Spices"),
    ("Cardamom", "Spices"), ("Popcorn kernels", "Grains"),
)
_ORIGINS = ("Peru", "Turkey", "Canada", "Bolivia", "India", "Italy", "Mexico", "USA", "Spain", "Chile")
_BUSHEL_LB = {"Wheat": 60, "Soybeans": 60, "Corn": 56}  # standard bushel weights
_SYRUPS = ("Maple syrup", "Brown rice syrup", "Agave syrup", "Vanilla extract", "Sunflower oil", "Coconut oil")
# product line, unit, ounces per package, packages per unit
_LINES = (("Granola", "case", 12, 12), ("Trail mix", "case", 8, 12), ("Bar", "each", 1.6, 1),
          ("Oat bites", "case", 10, 8), ("Crackers", "case", 6, 12), ("Muesli", "case", 16, 6),
          ("Nut butter", "case", 16, 12), ("Snack mix", "case", 2, 24))
_FLAVOURS = ("Maple Pecan", "Cocoa Almond", "Cranberry Walnut", "Tropical", "Cinnamon", "Vanilla Chai",
             "Blueberry", "Ginger Cashew", "Coconut", "Apricot Honey", "Dark Chocolate", "Original",
             "Cherry Pistachio", "Mango Chili", "Banana Bread", "Peanut Crunch", "Fig Sesame", "Date Nut")
_CERTIFIERS = ("CCOF", "QAI", "OTCO", "MOSA", "PCO", "OCIA", "Ecocert", "NOFA-NY")
_CUSTOMERS = ("Whole Harvest Market", "Sprout & Stem Grocers", "Northstar Natural Distributors",
              "Bluebird Foods Distribution", "Trailhead Outfitters", "Campus Dining Services",
              "Harvest Bowl Restaurants", "Lakeside Market", "Pine Ridge Co-op", "Sunny Acres Grocery",
              "Metro Natural Foods", "Riverbend Market", "Golden Gate Provisions", "Evergreen Distributors",
              "Summit Snacks Wholesale", "Prairie Pantry", "Harbor Foods", "Mesa Verde Markets",
              "Cedar Lane Grocers", "Blue Ridge Natural", "Orchard Street Market", "Copper Kettle Cafes")


def extend(base: Catalog, n_items: int, rows: int, rng: np.random.Generator) -> Catalog:
    """The base catalog plus synthetic lines up to about n_items items, sized for ~rows movements."""
    n_new = max(0, n_items - len(base.items))
    n_raw, n_mid = round(.55 * n_new), round(.1 * n_new)
    n_prod = max(1, n_new - n_raw - n_mid)
    items, sources, processes, sales, certs = [], [], [], [], []
    raw_names = []
    for i in range(n_raw):
        base_name, cat = _RAW[i % len(_RAW)]
        name = base_name if i < len(_RAW) else f"{base_name} ({_ORIGINS[(i // len(_RAW) - 1) % len(_ORIGINS)]})"
        if i >= len(_RAW) * (len(_ORIGINS) + 1):
            name = f"{name} {i}"
        raw_names.append(name)
        code = f"R{i:03d}"
        if base_name in _BUSHEL_LB:
            it = Item(name, code, "Ingredient", cat, "bushel", _BUSHEL_LB[base_name] * 0.45359237)
        elif base_name in _SYRUPS:
            it = Item(name, code, "Ingredient", cat, "gallon", 11.0 * 0.45359237)
        elif i % 4 == 1:
            it = Item(name, code, "Ingredient", cat, "bag", 25.0)
        else:
            it = Item(name, code, "Ingredient", cat)
        items.append(it)
        n_src = 1 + (i % 3 == 0)
        for s in range(n_src):
            sup = f"{name.split(' (')[0]} Growers {chr(65 + s)}" if s else f"{name.split(' (')[0]} Supply Co."
            cert = f"{_CERTIFIERS[(i + s) % len(_CERTIFIERS)]}-{code}{s}-{1000 + 37 * i + s}"
            unit = it.unit if it.unit != "lb" else ("kg" if s else "lb")
            sources.append(Source(name, sup, cert, unit, None, weight=1.0 / n_src, lot_prefix=f"{code}{s}-"))
            certs.append((sup, cert, _CERTIFIERS[(i + s) % len(_CERTIFIERS)], None,
                          dt.date(2024, 1 + i % 12, 1), dt.date(2026, 1 + i % 12, 28)))
    mid_names = []
    for i in range(n_mid):
        src = raw_names[(3 * i) % len(raw_names)]
        kind = i % 3
        if kind == 0:
            name, ins, y, season = f"Roasted {src.lower()}", ((src, 1.0),), .94, .01
        elif kind == 1:
            name, ins, y, season = f"Cleaned {src.lower()}", ((src, 1.0),), .96, 0.0
        else:
            a, b = raw_names[(3 * i + 1) % len(raw_names)], raw_names[(3 * i + 2) % len(raw_names)]
            name, ins, y, season = f"{_FLAVOURS[i % len(_FLAVOURS)]} clusters {i}", \
                ((src, .6), (a, .3), (b, .1)), .88, .02
        if name in mid_names:
            name = f"{name} {i}"
        mid_names.append(name)
        items.append(Item(name, f"M{i:03d}", "Intermediate", "Processed foods"))
        processes.append(Process(name, ins, y, season, loss_reason="cleaning" if kind == 1 else "process",
                                 documented=.95, run_size=(0, 0, 1), lots_per_year=1, lead=(0, 3)))
    # runs per product so that the whole book has about `rows` movement rows (about 13 rows per run)
    runs_per_product = max(4, int(rows * .066 / n_prod))
    pool = raw_names + mid_names
    for i in range(n_prod):
        line, unit, oz, per_unit = _LINES[i % len(_LINES)]
        flav = _FLAVOURS[(i // len(_LINES)) % len(_FLAVOURS)]
        name = f"{line} {flav}" + (f" {oz:g}oz" if unit == "case" else "") + \
            (f" {i}" if i >= len(_LINES) * len(_FLAVOURS) else "")
        kg_unit = oz * per_unit * 0.028349523125
        items.append(Item(name, f"P{i:03d}", "Product", "Processed foods", unit, kg_unit))
        k = int(rng.integers(2, 7))
        picks = rng.choice(len(pool), size=min(k, len(pool)), replace=False)
        shares = rng.dirichlet(np.full(len(picks), 2.0))
        ins = tuple((pool[j], float(s)) for j, s in zip(picks, shares, strict=True))
        at_copacker = i % 7 == 3
        run_kg = float(rng.uniform(800, 4000))
        units_per_run = max(1.0, round(run_kg / kg_unit))
        days = np.sort(rng.integers(day(1, 10), day(12, 22), runs_per_product))
        processes.append(Process(name, ins, float(rng.uniform(.9, .99)), float(rng.uniform(0, .015)),
                                 location=COPACKER if at_copacker else PLANT,
                                 input_unit="kg" if at_copacker else "lb", documented=.95,
                                 fixed_runs=tuple(int(d) for d in days),
                                 run_size=(round(units_per_run * .8), round(units_per_run * 1.2), 1)))
        cust = rng.choice(len(_CUSTOMERS), size=3, replace=False)
        size = max(1.0, round(units_per_run / 5))
        sales.append(Sales(name, tuple((_CUSTOMERS[c], 1 / 3) for c in cust),
                           (max(1.0, round(size * .5)), round(size * 1.5) + 1, 1), lag=(0, 5)))
    lots = max(2, int(rows * .11 / max(1, sum(1 for s in sources))))
    sources = [replace(s, lots_per_year=lots) for s in sources]
    mid_runs = max(2, int(rows * .02 / max(1, n_mid)))
    processes = [replace(p, lots_per_year=mid_runs) if not p.fixed_runs else p for p in processes]
    return Catalog(base.items + tuple(items), base.sources + tuple(sources),
                   base.processes + tuple(processes), base.sales + tuple(sales), base.losses,
                   base.certificates + tuple(certs), base.settings)
