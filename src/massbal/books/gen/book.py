"""From the simulated year to the workbook's tables, and the true ledger behind them.

Tables carry a hidden `_id` column (stable through sorting) so a planted mistake can be
located at its final worksheet row. The true ledger lists every physical movement by
item, location and owner in kilograms; the month-end counts are taken from it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from massbal.engine.schema import TABLES, book_specs
from massbal.engine.units import unit_info

from . import flow
from .catalog import PLANT, YEAR, Catalog
from .simulate import EPOCH, World

COUNT_NOISE = (-0.0015, 0.0025, -0.006, 0.004)  # mean, sd, min, max of a count's relative error


def _dates(days) -> pd.Series:
    return pd.Series(EPOCH + pd.to_timedelta(np.asarray(days, dtype=np.int64), unit="D"))


def _yymmdd(days: pd.Series) -> pd.Series:
    """Day numbers as yymmdd text; each distinct day formatted once."""
    codes, uniq = pd.factorize(np.asarray(days, dtype=np.int64))
    text = _dates(uniq).dt.strftime("%y%m%d").to_numpy(dtype=object)
    return pd.Series(text[codes], dtype=object)


def _letters(n: np.ndarray) -> np.ndarray:
    """0 -> 'A', 25 -> 'Z', 26 -> 'AA' ..."""
    table = np.array([chr(65 + i) for i in range(26)] +
                     [chr(65 + i) + chr(65 + j) for i in range(26) for j in range(26)], dtype=object)
    return table[np.asarray(n)]


def _seq(frame: pd.DataFrame, keys: list[str]) -> np.ndarray:
    return frame.groupby(keys, sort=False).cumcount().to_numpy()


class Tables:
    """The written tables plus what the generator knows about them."""

    def __init__(self, catalog: Catalog, tables: dict[str, pd.DataFrame], truth: pd.DataFrame,
                 world: World, runs: pd.DataFrame):
        self.catalog, self.tables, self.truth, self.world = catalog, tables, truth, world
        self.runs = runs  # one row per run, with its Batch name

    def row_of(self, table: str, _id: int) -> int:
        """Worksheet row (as Excel shows it) of a row id in the final table."""
        pos = np.flatnonzero(self.tables[table]["_id"].to_numpy() == _id)
        return int(pos[0]) + 2


def build(world: World, rng: np.random.Generator) -> Tables:
    cat = world.catalog
    items = {i.name: i for i in cat.items}
    code = {i.name: i.code for i in cat.items}
    lots = world.lots.copy()
    runs = world.runs.sort_values(["day", "run"], kind="stable").reset_index(drop=True)
    width = max(4, len(str(len(runs))))
    runs["batch"] = [f"B{YEAR % 100:02d}-{k:0{width}d}" for k in range(1, len(runs) + 1)]
    batch_of = pd.Series(runs["batch"].to_numpy(), index=runs["run"].to_numpy())

    # lot numbers: receipts OAT-250114-1, run outputs OCL-250114-A
    lots = lots.sort_values(["day", "lot_id"], kind="stable").reset_index(drop=True)
    stem = lots["item"].map(code) + "-" + _yymmdd(lots["day"]).to_numpy()
    seq = _seq(lots.assign(stem=stem.to_numpy()), ["stem", "origin"])
    is_run = (lots["origin"] == "run").to_numpy()
    suffix = np.where(is_run, _letters(seq), (seq + 1).astype(str))
    lots["lot"] = (stem + "-" + suffix).to_numpy()
    lot_name = pd.Series(lots["lot"].to_numpy(), index=lots["lot_id"].to_numpy())
    lot_loc = pd.Series(lots["location"].to_numpy(), index=lots["lot_id"].to_numpy())

    rec = lots[~is_run].reset_index(drop=True)
    organic = rec["item"].map({n: i.organic for n, i in items.items()}).astype(bool)
    receipts = pd.DataFrame({
        "Date": _dates(rec["day"]), "Item": rec["item"], "Lot": rec["lot"], "Quantity": rec["qty"],
        "Unit": rec["unit"], "Supplier": rec["supplier"],
        "Supplier lot": rec["lot_prefix"] + pd.Series(rng.integers(10000, 99999, len(rec))).astype(str),
        "Certificate": rec["certificate"], "Organic": np.where(organic, "Yes", "No"),
        "Location": rec["location"], "Owner": rec["owner"],
        "Reference": [f"PO-{YEAR % 100:02d}-{k:04d}" for k in range(1, len(rec) + 1)],
    })

    out = lots[is_run].sort_values(["run", "order"], kind="stable").reset_index(drop=True)
    out_batch = batch_of.reindex(out["run"].to_numpy()).to_numpy()
    batches = pd.DataFrame({
        "Batch": out_batch, "Date": _dates(out["day"]), "Item": out["item"], "Lot": out["lot"],
        "Quantity": out["qty"], "Unit": out["unit"], "Location": out["location"], "Owner": out["owner"],
        "Reference": None,
    })

    pieces = world.pieces
    used = pieces[pieces["kind"] == "used"].sort_values(["run", "line"], kind="stable").reset_index(drop=True)
    inputs = pd.DataFrame({
        "Batch": batch_of.reindex(used["run"].to_numpy()).to_numpy(), "Item": used["item"],
        "Lot": lot_name.reindex(used["lot_id"].to_numpy()).to_numpy(), "Quantity": used["qty"],
        "Unit": used["unit"],
    })

    sh = pieces[pieces["kind"] == "shipped"].sort_values(["day", "line"], kind="stable").reset_index(drop=True)
    order_no = pd.Series(pd.factorize(sh["line"])[0] + 1, index=sh.index)  # numbered in ship-date order
    sample = sh["sample"].fillna(False).astype(bool) if "sample" in sh else pd.Series(False, index=sh.index)
    ref = np.where(sample, "SAMPLE-" + order_no.astype(str).str.zfill(5),
                   f"INV-{YEAR % 100:02d}-" + order_no.astype(str).str.zfill(5))
    shipments = pd.DataFrame({
        "Date": _dates(sh["day"]), "Item": sh["item"],
        "Lot": lot_name.reindex(sh["lot_id"].to_numpy()).to_numpy(), "Quantity": sh["qty"],
        "Unit": sh["unit"], "Customer": sh["customer"], "Location": sh["location"], "Owner": sh["owner"],
        "Reference": ref,
    })

    lo = pieces[pieces["kind"] == "loss"].sort_values(["day", "line"], kind="stable").reset_index(drop=True)
    stock_losses = pd.DataFrame({
        "Date": _dates(lo["day"]), "Item": lo["item"], "Quantity": lo["qty"], "Unit": lo["unit"],
        "Lot": lot_name.reindex(lo["lot_id"].to_numpy()).to_numpy(), "Reason": lo["reason"], "Batch": None,
        "Location": lo["location"], "Owner": lo["owner"], "Evidence": lo["evidence"],
    })
    losses = pd.concat([stock_losses, _process_losses(world, runs, used, out, rng)], ignore_index=True)

    transfers = _transfers(used, runs, lot_name, lot_loc, rng)
    tables = {
        "Items": _items_table(cat), "Certificates": _certificates_table(cat),
        "Receipts": receipts, "Batches": batches, "BatchInputs": inputs, "Shipments": shipments,
        "Losses": losses, "Transfers": transfers,
        "Settings": pd.DataFrame(list(cat.settings), columns=["Setting", "Value"]),
    }
    tables = {k: v.assign(_id=np.arange(len(v))) for k, v in tables.items()}
    truth = _truth(world, tables, runs)
    return Tables(cat, tables, truth, world, runs)


def _process_losses(world: World, runs: pd.DataFrame, used: pd.DataFrame, out: pd.DataFrame,
                    rng: np.random.Generator) -> pd.DataFrame:
    """Losses rows that document a run's process loss (inputs minus outputs)."""
    procs = {p.output: p for p in world.catalog.processes}
    in_kg = used.groupby("run")["kg"].sum()
    out_kg = out.groupby("run")["kg"].sum()
    main_in = used.sort_values("kg", ascending=False, kind="stable").drop_duplicates("run").set_index("run")["item"]
    r = runs[runs["documented"]].copy()
    loss_kg = in_kg.reindex(r["run"]).to_numpy() - out_kg.reindex(r["run"]).to_numpy()
    unit = r["process"].map({k: p.input_unit for k, p in procs.items()}).to_numpy(dtype=object)
    f = np.array([unit_info(u).to_kg for u in unit])
    dec = np.array([flow.decimals(u) for u in unit])
    qty = np.round(loss_kg / f * 10.0 ** dec) / 10.0 ** dec
    reason = r["process"].map({k: p.loss_reason for k, p in procs.items()}).to_numpy(dtype=object)
    evidence = np.where(reason == "cleaning", "Screenings scale ticket", "Run sheet " + r["batch"].to_numpy())
    return pd.DataFrame({
        "Date": _dates(r["day"]), "Item": main_in.reindex(r["run"]).to_numpy(), "Quantity": qty, "Unit": unit,
        "Lot": None, "Reason": reason, "Batch": r["batch"].to_numpy(), "Location": r["location"].to_numpy(),
        "Owner": r["owner"].to_numpy(), "Evidence": evidence,
    })[qty > 0]


def _transfers(used: pd.DataFrame, runs: pd.DataFrame, lot_name: pd.Series, lot_loc: pd.Series,
               rng: np.random.Generator) -> pd.DataFrame:
    """What a co-packer's runs use is sent there first, lot by lot, a day or two ahead
    (the same day only when the lot itself was made that day)."""
    run_loc = pd.Series(runs["location"].to_numpy(), index=runs["run"].to_numpy())
    u = used[(run_loc.reindex(used["run"].to_numpy()).to_numpy() != PLANT) &
             (lot_loc.reindex(used["lot_id"].to_numpy()).to_numpy() == PLANT)]
    day = np.maximum(u["lot_day"].to_numpy(), u["day"].to_numpy() - rng.integers(1, 3, len(u)))
    return pd.DataFrame({
        "Date": _dates(day), "Item": u["item"].to_numpy(), "Lot": lot_name.reindex(u["lot_id"].to_numpy()).to_numpy(),
        "Quantity": u["qty"].to_numpy(), "Unit": u["unit"].to_numpy(), "From": PLANT,
        "To": run_loc.reindex(u["run"].to_numpy()).to_numpy(),
    }).sort_values("Date", kind="stable").reset_index(drop=True)


def _items_table(cat: Catalog) -> pd.DataFrame:
    rows = []
    for i in cat.items:
        mass = unit_info(i.unit).kind == "mass"
        rows.append((i.name, i.kind, "Yes" if i.organic else "No", i.category, i.unit,
                     None if mass else i.kg_per_unit, i.tolerance))
    return pd.DataFrame(rows, columns=[c.name for c in TABLES["Items"].columns if not c.farm])


def _certificates_table(cat: Catalog) -> pd.DataFrame:
    t = pd.DataFrame(list(cat.certificates), columns=[c.name for c in TABLES["Certificates"].columns])
    for c in ("Valid from", "Valid to"):
        t[c] = pd.to_datetime(t[c])
    return t


def kg_of(table: pd.DataFrame, cat: Catalog) -> np.ndarray:
    """Kilograms of each row (Quantity x its unit), as the engine converts them."""
    items = {i.name: i for i in cat.items}
    per_unit = flow.pair_factors(table["Unit"], table["Item"], items)
    return pd.to_numeric(table["Quantity"]).to_numpy(dtype=float) * per_unit


def _truth(world: World, t: dict[str, pd.DataFrame], runs: pd.DataFrame) -> pd.DataFrame:
    """Every physical movement: +in / -out kilograms by item, location and owner."""
    cat = world.catalog
    run_of = runs.set_index("batch")
    parts = []

    def add(frame, sign, location, owner):
        parts.append(pd.DataFrame({"Date": frame["Date"].to_numpy(), "Item": frame["Item"].to_numpy(),
                                   "Location": location, "Owner": owner,
                                   "kg": sign * kg_of(frame, cat)}))

    r, b, bi = t["Receipts"], t["Batches"], t["BatchInputs"]
    add(r, 1, r["Location"].to_numpy(), r["Owner"].to_numpy())
    add(b, 1, b["Location"].to_numpy(), b["Owner"].to_numpy())
    run = run_of.reindex(bi["Batch"])
    add(bi.assign(Date=_dates(run["day"]).to_numpy()), -1, run["location"].to_numpy(), run["owner"].to_numpy())
    s = t["Shipments"]
    add(s, -1, s["Location"].to_numpy(), s["Owner"].to_numpy())
    lo = t["Losses"]
    stock = lo[lo["Batch"].isna()]
    add(stock, -1, stock["Location"].to_numpy(), stock["Owner"].to_numpy())
    tr = t["Transfers"]
    add(tr, -1, tr["From"].to_numpy(), None)
    add(tr, 1, tr["To"].to_numpy(), None)
    return pd.concat(parts, ignore_index=True)


def month_end_books(truth: pd.DataFrame) -> pd.DataFrame:
    """Book stock (kg) of every item, location and owner at each month end it has had stock."""
    t = truth.assign(Owner=truth["Owner"].fillna(""), month=truth["Date"].dt.month)
    net = t.groupby(["Item", "Location", "Owner", "month"])["kg"].sum().unstack("month")
    net = net.reindex(columns=range(1, 13))
    started = net.notna().cumsum(axis=1) > 0
    book = net.fillna(0.0).cumsum(axis=1).where(started)
    out = book.stack().rename("kg").reset_index()
    out["Date"] = pd.to_datetime(dict(year=YEAR, month=out["month"], day=1)) + pd.offsets.MonthEnd(0)
    return out


def counts(tables: Tables, rng: np.random.Generator) -> pd.DataFrame:
    """Month-end counts: the true stock, with a person's small counting error."""
    cat = tables.catalog
    items = {i.name: i for i in cat.items}
    books = month_end_books(tables.truth)
    books = books[books["kg"] > 1e-6].reset_index(drop=True)
    counted_in_own = {n: i.kind == "Product" and unit_info(i.unit).kind != "mass" for n, i in items.items()}
    own_unit = books["Item"].map(counted_in_own).to_numpy(dtype=bool)
    unit = np.where(own_unit, books["Item"].map({n: i.unit for n, i in items.items()}).to_numpy(dtype=object), "lb")
    f = flow.pair_factors(pd.Series(unit), books["Item"], items)
    mean, sd, lo, hi = COUNT_NOISE
    noise = np.clip(rng.normal(mean, sd, len(books)), lo, hi)
    exact = books["kg"].to_numpy() / f
    dec = np.where(own_unit, 0, np.where(exact >= 100, 0, 1))
    scale = 10.0 ** dec
    return pd.DataFrame({"Date": books["Date"], "Item": books["Item"],
                         "Quantity": np.round(exact * (1 + noise) * scale) / scale, "Unit": unit,
                         "Lot": None, "Location": books["Location"],
                         "Owner": books["Owner"].replace("", None),
                         "_exact": np.round(exact * scale) / scale})


def settle_counts(tables: Tables, keep: set[tuple[str, int]]) -> None:
    """Where counting noise alone would put a month out of tolerance, count exactly.

    A count resets the book, so a small error on a large stock can look big against the
    next, smaller month. Real counters recount such a month; here the counts of that
    month and the one before it are made exact, until only planted problems stand out.
    `keep` holds the (item, month) pairs whose variance is planted.
    """
    from .audit import flows, monthly
    c = tables.tables["Counts"]
    moves = flows(tables.tables, tables.catalog)
    month = pd.to_datetime(c["Date"]).dt.month.to_numpy()
    owner = c["Owner"].fillna("").to_numpy()
    for _ in range(6):
        m = monthly(tables.tables, tables.catalog, moves)
        planted = np.array([(i, mo) in keep for i, mo in zip(m["Item"], m["month"], strict=True)], dtype=bool)
        bad = m[m["over"].to_numpy() & ~planted]
        if bad.empty:
            break
        hit = np.zeros(len(c), dtype=bool)
        for (item, own), grp in bad.groupby(["Item", "Owner"]):
            months = list(set(grp["month"]) | {x - 1 for x in grp["month"]})
            hit |= (c["Item"].to_numpy() == item) & (owner == own) & np.isin(month, months)
        c.loc[hit, "Quantity"] = c.loc[hit, "_exact"]
    tables.tables["Counts"] = c


SORT = {
    "Receipts": ["Date", "Reference"], "Batches": [], "BatchInputs": [], "Shipments": ["Date", "Reference"],
    "Losses": ["Date"], "Counts": ["Date", "Location", "Item"], "Transfers": ["Date"],
    "Harvests": ["Date"], "FarmUse": ["Date"], "Applications": ["Date"],
}


def finalize(tables: dict[str, pd.DataFrame], farm: bool = False) -> dict[str, pd.DataFrame]:
    """Schema column order, final row order, and an `_id` kept for locating rows."""
    out = {}
    for spec in book_specs(farm):
        name = spec.name
        t = tables.get(name)
        if t is None:
            t = pd.DataFrame(columns=[c.name for c in spec.columns])
        if "_id" not in t:
            t = t.assign(_id=np.arange(len(t)))
        keys = SORT.get(name)
        if keys:
            t = t.sort_values(keys + ["_id"], kind="stable")
        cols = [c.name for c in spec.columns]
        for c in cols:
            if c not in t:
                t[c] = None
        out[name] = t[cols + ["_id"]].reset_index(drop=True)
    return out


