"""Keying slips for the Investigations sheet to find (CONTRACT section 7): a unit slip, a
row entered twice and a date in the wrong month, beside plant.py's 1,000 keyed as 100.

Each is a typing mistake: the written table changes, the true stock does not, so the
month-end counts show it. Each is chosen so that it breaks nothing else: the receipt
keyed in kg instead of lb only adds to its lot, the twin shipment comes from a lot with
enough left, the shipment dated a day late moves later in time.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .book import kg_of

# items other plants already put out of tolerance: one slip per item and month is the
# story an investigator meets
BUSY = {"Quinoa cleaned", "Raisins", "Sunflower hulls", "Granola 12oz"}


def _free(t: pd.DataFrame, taken: set[int], only=None) -> pd.Series:
    ok = ~t["Item"].isin(BUSY) & ~t.index.isin(taken) & t["Owner"].isna()
    return ok & t["Item"].isin(only) if only else ok


def _busy_months(planter) -> set[tuple[str, int]]:
    """(item, month) of every row planted so far, and of the raisin shortfall."""
    out = {(planter.shortfall[0], planter.shortfall[1].month)}
    for p in planter.entries:
        t = planter.t[p.sheet]
        if "Date" in t and "Item" in t:
            row = t[t["_id"] == p._id]
            if len(row):
                out.add((row["Item"].iat[0], pd.Timestamp(row["Date"].iat[0]).month))
    return out


def _big_enough(s: pd.DataFrame, kg: pd.Series, ok: pd.Series, t: dict, cat, fallback: bool = True) -> int | None:
    """The largest row of `ok` whose twin shows at its month-end count: a quarter over its
    item's tolerance of what was counted (a big book's month holds far more than its
    largest shipment); else (fallback) the row largest against its count, or None."""
    from .audit import row_kg, tolerances
    c = t["Counts"]
    d = pd.to_datetime(c["Date"])
    c = c[c["Owner"].isna().to_numpy() & (d.dt.day == d.dt.days_in_month).to_numpy()]  # the month-end counts
    month = lambda d: pd.to_datetime(d).dt.to_period("M")  # noqa: E731
    counted = pd.Series(row_kg(c, cat), index=c.index).groupby([c["Item"], month(c["Date"])]).sum()
    held = counted.reindex(pd.MultiIndex.from_arrays([s["Item"], month(s["Date"])])).to_numpy(dtype=float)
    share = kg.to_numpy() / np.where(held > 0, held, np.nan)
    tol = s["Item"].map(tolerances(cat)).fillna(5.0).to_numpy(dtype=float) / 100.0
    fits = ok.to_numpy() & (np.nan_to_num(share, nan=0.0) >= 1.25 * tol)  # no count: nothing shows
    if fits.any():
        return int(kg[fits].idxmax())
    return int(pd.Series(share, index=s.index)[ok.to_numpy()].idxmax()) if fallback else None


def plant_slips(planter, taken: set[int]) -> None:
    t, cat = planter.t, planter.tb.catalog
    only = cat.extra.get("slip_items")  # a catalog may say which items can show one slip
    month = pd.to_datetime(t["Receipts"]["Date"]).dt.month

    # a receipt of 2,000 lb keyed in kg: the books think 2.2 times as much came in
    r = t["Receipts"]
    kg = pd.Series(kg_of(r, cat), index=r.index)
    ok = _free(r, set(), only) & (r["Unit"] == "lb") & month.between(2, 4) & (r["Organic"].fillna("Yes") != "No")
    i = unit = int(kg[ok.to_numpy()].idxmax())
    r.loc[i, "Unit"] = "kg"
    planter.add("Receipts", int(np.flatnonzero(r.index == i)[0]), "Unit", id="unit_slip", kind="mistake",
                code="VARIANCE_OVER_TOLERANCE", value="kg", intended="lb", finding_sheet="Counts",
                finding_column="Quantity", note=f"A receipt of {r.loc[i, 'Quantity']:,.0f} lb of {r.loc[i, 'Item']} "
                "keyed in kg: the books hold 2.2 times what came in.")
    busy = {r.loc[i, "Item"]}

    # a shipment entered twice, from a lot that still held enough for the twin
    s = t["Shipments"]
    s_kg = pd.Series(kg_of(s.assign(Quantity=pd.to_numeric(s["Quantity"], errors="coerce").fillna(0.0)), cat),
                     index=s.index)
    inflow = pd.concat([t["Receipts"], t["Batches"]])
    held = pd.Series(kg_of(inflow, cat), index=inflow["Lot"].to_numpy()).groupby(level=0).sum()
    out = pd.concat([s[["Lot"]].assign(kg=s_kg), t["BatchInputs"][["Lot"]].assign(kg=kg_of(t["BatchInputs"], cat))])
    left = held - out.groupby("Lot")["kg"].sum().reindex(held.index).fillna(0.0)
    smonth = pd.to_datetime(s["Date"]).dt.month
    ok = _free(s, taken, only) & ~s["Item"].isin(busy) & smonth.between(2, 12) & ~s["Reference"].astype(str).str.startswith("SAMPLE")
    ok &= (left.reindex(s["Lot"]).fillna(0.0).to_numpy() >= s_kg.to_numpy() + 1e-6)
    i = _big_enough(s, s_kg, ok, t, cat, fallback=False)
    if i is None:
        # a big book: its lots spent and its months large, no shipment shows twice; a
        # delivery keyed twice does (and its lot then came in twice: DUPLICATE_LOT)
        _twin_receipt(planter, r, kg, _free(r, {unit}, only) & month.between(2, 12) & ~r["Item"].isin(busy), t, cat)
        busy.add(t["Receipts"].iloc[-1]["Item"])
    else:
        twin = s.loc[[i]].assign(_id=int(s["_id"].max()) + 1)
        t["Shipments"] = s = pd.concat([s, twin], ignore_index=True)
        taken.add(i)
        planter.add("Shipments", len(s) - 1, "Quantity", id="duplicate_row", kind="mistake",
                    code="VARIANCE_OVER_TOLERANCE", value=s.iloc[-1]["Quantity"], intended=None, finding_sheet="Counts",
                    finding_column="Quantity", note=f"A shipment of {s.iloc[-1]['Item']} entered twice.")
        busy.add(s.iloc[-1]["Item"])

    # a shipment of the last days of a month keyed on the 1st of the next
    d = pd.to_datetime(s["Date"])
    last = (d.dt.days_in_month - d.dt.day < 3) & d.dt.month.between(2, 11)
    months = _busy_months(planter)
    clear = [(it, m) not in months and (it, m + 1) not in months and it not in busy
             for it, m in zip(s["Item"], d.dt.month, strict=True)]
    ok = s["Item"].isin(only) if only else pd.Series(True, index=s.index)
    ok &= ~s.index.isin(taken) & s["Owner"].isna() & np.array(clear) & last & ~s["Reference"].astype(str).str.startswith("SAMPLE")
    ok &= pd.to_numeric(s["Quantity"], errors="coerce").notna()
    kg = pd.Series(kg_of(s.assign(Quantity=pd.to_numeric(s["Quantity"], errors="coerce").fillna(0.0)), cat),
                   index=s.index)
    i = _big_enough(s, kg, ok, t, cat)
    true_date = d.loc[i]
    s.loc[i, "Date"] = true_date + pd.offsets.MonthBegin(1)
    taken.add(i)
    planter.add("Shipments", i, "Date", id="wrong_month", kind="mistake", code="VARIANCE_OVER_TOLERANCE",
                value=s.loc[i, "Date"], intended=true_date, finding_sheet="Counts", finding_column="Quantity",
                note=f"A shipment of {s.loc[i, 'Item']} made on {true_date:%Y-%m-%d} keyed on the 1st of the next "
                     "month: one month's count is under the books, the next one's over.")


def _twin_receipt(planter, r: pd.DataFrame, kg: pd.Series, ok: pd.Series, t: dict, cat) -> None:
    i = _big_enough(r, kg, ok, t, cat)
    twin = r.loc[[i]].assign(_id=int(r["_id"].max()) + 1)
    t["Receipts"] = r = pd.concat([r, twin], ignore_index=True)
    planter.add("Receipts", len(r) - 1, "Quantity", id="duplicate_row", kind="mistake",
                code="VARIANCE_OVER_TOLERANCE", value=r.iloc[-1]["Quantity"], intended=None, finding_sheet="Counts",
                finding_column="Quantity", note=f"A delivery of {r.iloc[-1]['Item']} entered twice.")
    planter.add("Receipts", len(r) - 1, "Lot", id="duplicate_row_lot", kind="consequence", code="DUPLICATE_LOT",
                value=r.iloc[-1]["Lot"], note="The delivery entered twice brings its lot in twice.")
