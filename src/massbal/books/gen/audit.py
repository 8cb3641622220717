"""The generator's own reading of the books it wrote: month by month, book against count.

Used to find the month-end count that a planted mistake throws out of tolerance (so the
manifest can say where the engine should report it) and by the tests to show that the
generated books balance apart from what was planted. It reads the tables as written: a
quantity or unit that cannot be read leaves its row out, as it leaves the engine's books.
This is a small independent check of the generator, not a second engine.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import flow
from .catalog import Catalog


def row_kg(t: pd.DataFrame, cat: Catalog) -> np.ndarray:
    """Kilograms of each row; NaN where the quantity or unit cannot be read."""
    items = {i.name: i for i in cat.items}
    q = t["Quantity"]
    if q.dtype == object:  # text typed in a number column stays text, as in Excel
        q = q.where(~q.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool))
    q = pd.to_numeric(q, errors="coerce")
    return q.to_numpy(dtype=float) * flow.pair_factors(t["Unit"], t["Item"], items, strict=False)


def flows(tables: dict[str, pd.DataFrame], cat: Catalog) -> pd.DataFrame:
    """Every stock movement as written: Date, Item, Owner, kg (+ in, - out)."""
    b = tables["Batches"]
    head = b.drop_duplicates("Batch").set_index("Batch")
    parts = []
    for name, sign in (("Receipts", 1), ("Batches", 1), ("BatchInputs", -1), ("Shipments", -1), ("Losses", -1)):
        t = tables[name]
        if name == "Losses":
            t = t[t["Batch"].isna()]
        if name == "BatchInputs":
            t = t.assign(Date=head["Date"].reindex(t["Batch"]).to_numpy(),
                         Owner=head["Owner"].reindex(t["Batch"]).to_numpy())
        parts.append(pd.DataFrame({"Date": pd.to_datetime(t["Date"]).to_numpy(), "Item": t["Item"].to_numpy(),
                                   "Owner": t["Owner"].fillna("").to_numpy(), "kg": sign * row_kg(t, cat)}))
    f = pd.concat(parts, ignore_index=True)
    return f[f["kg"].notna() & f["Item"].notna()]


def tolerances(cat: Catalog) -> dict[str, float]:
    settings = {str(k): v for k, v in cat.settings}
    default = float(settings.get("Tolerance %", 5))
    return {i.name: float(i.tolerance if i.tolerance is not None else
                          settings.get(f"Tolerance % {i.category}", default)) for i in cat.items}


def monthly(tables: dict[str, pd.DataFrame], cat: Catalog, movements: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per item, owner and month: expected ending, counted ending, variance %, tolerance,
    and the lowest end-of-day book balance in the month (a count resets the book).
    `movements`: flows(tables, cat), when the caller already has it."""
    f = flows(tables, cat) if movements is None else movements
    c = tables["Counts"]
    cnt = pd.DataFrame({"Date": pd.to_datetime(c["Date"]), "Item": c["Item"], "Owner": c["Owner"].fillna(""),
                        "kg": row_kg(c, cat)}).dropna(subset=["kg"])
    keys = ["Item", "Owner"]
    net = f.assign(m=f["Date"].dt.month).groupby(keys + ["m"])["kg"].sum().unstack("m").reindex(columns=range(1, 13))
    counted = cnt.assign(m=cnt["Date"].dt.month).groupby(keys + ["m"])["kg"].sum().unstack("m") \
        .reindex(index=net.index, columns=range(1, 13))
    cum = net.fillna(0.0).cumsum(axis=1)
    adj = (counted - cum).ffill(axis=1).fillna(0.0)  # counted minus book at the latest count so far
    prev_adj = adj.shift(1, axis=1).fillna(0.0)
    expected = cum + prev_adj
    out = pd.DataFrame({
        "expected": expected.stack(), "counted": counted.stack(future_stack=True).reindex(expected.stack().index),
    })
    out["variance"] = out["counted"] - out["expected"]
    positive = out["expected"].where(out["expected"] > 0)
    out["variance_pct"] = 100 * out["variance"] / positive
    out = out.reset_index().rename(columns={"m": "month"})
    out["tolerance"] = out["Item"].map(tolerances(cat))
    out["over"] = out["variance_pct"].abs() > out["tolerance"]
    # lowest end-of-day balance per month (inflows come before outflows within a day)
    daily = f.groupby(keys + ["Date"])["kg"].sum().reset_index()
    daily["cum"] = daily.groupby(keys)["kg"].cumsum()
    daily["month"] = daily["Date"].dt.month
    pa = prev_adj.stack().rename("prev_adj").reset_index().rename(columns={"m": "month"})
    daily = daily.merge(pa, on=keys + ["month"], how="left")
    daily["balance"] = daily["cum"] + daily["prev_adj"].fillna(0.0)
    low = daily.groupby(keys + ["month"])["balance"].min().rename("lowest")
    return out.merge(low.reset_index(), on=keys + ["month"], how="left")
