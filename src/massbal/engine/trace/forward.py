"""Forward: from a lot to every shipment, loss, process loss and stock it became part of.

The traced lot is `frac` of every lot downstream (1 for itself); a run whose inputs hold
it carries `sum(input * frac) / all inputs` into each of its outputs and into its process
loss, so what the lot became adds up to what came into being of the lot.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from massbal.engine.genealogy import LOT
from massbal.engine.load import BLANK
from massbal.engine.roll import EPS

from .graph import Graph, accumulate, at_level, joined, levels, rows_of
from .model import NO_LOCATION, OpenQuestion


def forward(g: Graph, target: tuple[str, str]) -> tuple[pd.DataFrame, list[OpenQuestion], pd.DataFrame]:
    fracs = pd.DataFrame({"item_key": [target[0]], "lot_key": [target[1]], "frac": [1.0], "depth": [0]})
    steps, questions = [], []
    for lvl in levels(g):
        u = at_level(g.used, g, lvl).reset_index().merge(fracs, on=LOT)
        if u.empty:
            continue
        u["amount"] = u["qty"] * u["frac"]
        runs = u.groupby("batch_key", sort=False).agg(held=("amount", "sum"), depth=("depth", "min"),
                                                      via_lot=("lot", joined), via_item=("item", joined))
        inp = g.run_in.reindex(runs.index).to_numpy(dtype=float)
        runs["frac"] = np.divide(runs["held"].to_numpy(), inp, out=np.zeros(len(inp)), where=inp > 0)
        runs["depth"] = runs["depth"] + 1
        steps.append(u.assign(step="input", depth=u["depth"]))  # the input row sits with its lot
        out = g.produced[g.produced["batch_key"].isin(runs.index)].reset_index()
        out = out.join(runs[["frac", "depth", "via_lot", "via_item"]], on="batch_key")
        out["frac"] = out["frac"].astype(float)
        out["amount"] = out["qty"] * out["frac"]
        steps.append(out.assign(step="output"))
        # process loss: inputs minus outputs of the run, the traced lot's share of it
        loss = runs["held"] - runs["frac"] * g.run_out.reindex(runs.index).fillna(0.0)
        head = out.drop_duplicates("batch_key").set_index("batch_key")
        pl = pd.DataFrame({"batch_key": runs.index, "amount": loss.to_numpy(), "depth": runs["depth"].to_numpy(),
                           "via_lot": runs["via_lot"].to_numpy(), "via_item": runs["via_item"].to_numpy()})
        pl = pl.join(head[["batch", "date", "location", "item", "item_key"]], on="batch_key")
        pl["item"] = pl["item"].fillna(pl["via_item"])
        pl["batch"] = pl["batch"].fillna(pl["batch_key"])
        steps.append(pl.assign(step="process loss", lot=None, qty=np.nan, row=None, sheet=None))
        # the traced lot's content of each output lot
        made = out.assign(total=out.set_index(LOT).index.map(g.totals).to_numpy(dtype=float))
        made = made[~((made["item_key"] == target[0]) & (made["lot_key"] == target[1]))]
        made["frac"] = made["amount"] / made["total"]
        fracs = accumulate(pd.concat([fracs, made[LOT + ["frac", "depth"]]], ignore_index=True), "frac")
    fracs = fracs[fracs["frac"] > 0]
    lots = g.lots.reset_index().merge(fracs, on=LOT)
    ships = lots[lots["kind"] == "shipped"].assign(step="shipment")
    losses = lots[lots["kind"] == "loss"].assign(step="loss")
    # a farm's own use of the lot: seed planted in a field, feed fed to a herd, an input applied
    own_use = lots[lots["kind"].isin(("farm use", "applied"))].assign(step="farm use")
    for frame in (ships, losses, own_use):
        frame["amount"] = frame["qty"] * frame["frac"]
    stock = on_hand(g, lots)
    steps += [ships, losses, own_use, stock]
    questions += forward_questions(g, lots, ships, fracs)
    if len(stock):
        for r in rows_of(stock[stock["stock"] < -EPS]):
            questions.append(OpenQuestion(
                lot=str(r.lot), item=str(r.item),
                message=f"More of lot {r.lot} left {r.location} than arrived there ({r.stock:,.2f} on the books): "
                        "a transfer, receipt or run output there may be missing."))
    frame = pd.concat([s for s in steps if len(s)], ignore_index=True) if any(len(s) for s in steps) else pd.DataFrame()
    return frame, questions, fracs


def on_hand(g: Graph, lots: pd.DataFrame) -> pd.DataFrame:
    """Book stock of each reached lot by location: inflows - outflows, transfers move it."""
    sign = {"receipt": 1.0, "produced": 1.0, "used": -1.0, "shipped": -1.0, "loss": -1.0,
            "transfer in": 1.0, "transfer out": -1.0, "harvested": 1.0, "farm use": -1.0, "applied": -1.0}
    m = lots[lots["kind"].isin(list(sign))].copy()
    if m.empty:
        return m
    # a row with no location is where the lot came in (its first inflow with a location)
    home = m[m["kind"].isin(("receipt", "produced", "harvested")) & m["location"].notna()].drop_duplicates(LOT)
    home = home.set_index(LOT)["location"]
    loc = m["location"].where(m["location"].notna(), m.set_index(LOT).index.map(home).to_numpy())
    m["location"] = loc.fillna(NO_LOCATION)
    m["stock"] = m["qty"] * m["kind"].map(sign).to_numpy()
    keys = LOT + ["location"]
    st = m.groupby(keys, sort=False).agg(stock=("stock", "sum"), frac=("frac", "first"), depth=("depth", "first"),
                                         lot=("lot", "first"), item=("item", "first"), date=("date", "max"))
    st = st[st["stock"].abs() > EPS].reset_index()
    if st.empty:
        return st
    c = g.lots[(g.lots["kind"] == "count")].merge(st[LOT].drop_duplicates(), on=LOT)
    if len(c):
        c = c.assign(location=c["location"].fillna(NO_LOCATION)).sort_values("date")
        last = c.groupby(keys, sort=False).agg(counted_on=("date", "last"))
        cq = c.merge(last.reset_index(), on=keys)
        cq = cq[cq["date"] == cq["counted_on"]].groupby(keys, sort=False).agg(
            counted=("qty", "sum"), counted_on=("counted_on", "first"))
        st = st.join(cq, on=keys)
    st["amount"] = st["stock"] * st["frac"]
    st["qty"] = st["stock"]
    return st.assign(step="on hand", row=None, sheet=None)


def forward_questions(g: Graph, lots: pd.DataFrame, ships: pd.DataFrame, fracs: pd.DataFrame) -> list:
    out = []
    for r in rows_of(ships[ships["partner"].isna()]):
        out.append(OpenQuestion(lot=str(r.lot), item=str(r.item), sheet=str(r.sheet), row=int(r.row),
                                message=f"This shipment of lot {r.lot} names no customer: who received it?"))
    # stock losses of a reached item that name no lot, after the lot came in
    book, led = g.prep.book, g.prep.ledger
    first = lots[lots["kind"].isin(("receipt", "produced", "harvested"))].groupby("item_key")["date"].min()
    nolot = led[(led["kind"] == "loss") & (led["lot_key"] == BLANK) & led["item_key"].isin(first.index)]
    if len(nolot):  # (mapping an empty frame through dates fails: a lot known only from counts)
        nolot = nolot[(nolot["date"] >= nolot["item_key"].map(first)).to_numpy()]
    for _, grp in nolot.groupby("item_key", sort=False):
        r = grp.iloc[0]
        out.append(OpenQuestion(item=str(r["item"]), sheet=str(r["sheet"]), row=int(r["row"]),
                                message=f"{len(grp)} loss row(s) of {r['item']} name no lot; any of them may be "
                                        "part of the traced lot. Add the lot to these Losses rows."))
    # run inputs left out of the ledger because their batch is not on Batches
    bi = book.tables["BatchInputs"]
    known = set(g.level.index)
    lost = bi[~bi["batch_key"].isin(known)].merge(fracs[LOT], on=LOT)
    for r in rows_of(lost):
        out.append(OpenQuestion(lot=str(r.lot), item=str(r.item), sheet=book.sheets["BatchInputs"], row=int(r._row),
                                message=f"Lot {r.lot} went into batch {r.batch}, which is not on the Batches "
                                        "sheet, so what it became cannot be followed."))
    # runs in a circle of lot links
    cyc = g.used[g.used["level"].to_numpy() < 0].merge(fracs[LOT], on=LOT)
    for r in rows_of(cyc.drop_duplicates("batch_key")):
        out.append(OpenQuestion(lot=str(r.lot), item=str(r.item), sheet=str(r.sheet), row=int(r.row),
                                message=f"Batch {r.batch} is part of a circle of lot links (LOT_CYCLE), so the "
                                        "trace forward does not go through it."))
    return out
