"""Back: from a lot to the receipts and opening counts it came from.

A run that made the traced lot gives it `output / all outputs of the run` of every input
row; an input lot that came from several sources (receipts, runs) passes its demand on to
each source in proportion to what that source brought in.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from massbal.engine.genealogy import LOT

from .graph import Graph, accumulate, at_level, levels, rows_of
from .model import OpenQuestion


def back(g: Graph, target: tuple[str, str], total: float) -> tuple[pd.DataFrame, list[OpenQuestion]]:
    demand = pd.DataFrame({"item_key": [target[0]], "lot_key": [target[1]], "amount": [total], "depth": [0]})
    steps, questions = [], []
    for lvl in reversed(levels(g)):
        prod = at_level(g.produced, g, lvl)
        if prod.empty:
            continue
        prod = prod.reset_index().merge(demand, on=LOT)
        if prod.empty:
            continue
        prod["total"] = prod.set_index(LOT).index.map(g.totals).to_numpy(dtype=float)
        # the part of each demanded lot's demand met by this run's output row, as a share
        # of everything the run made: that share of each input went into that lot
        prod["need"] = prod["amount"] * prod["qty"] / prod["total"]
        per_out = prod.groupby(["batch_key"] + LOT, sort=False).agg(
            need=("need", "sum"), depth=("depth", "min"), via_lot=("lot", "first"), via_item=("item", "first"))
        per_out = per_out.reset_index(level=LOT, drop=True)
        out = g.run_out.reindex(per_out.index).to_numpy(dtype=float)
        per_out["ratio"] = np.divide(per_out["need"].to_numpy(), out, out=np.zeros(len(out)), where=out > 0)
        inputs = g.used[g.used["batch_key"].isin(per_out.index)].reset_index()
        empty_runs = per_out.index.unique().difference(inputs["batch_key"])
        for b in empty_runs:  # a handful at most: runs with outputs and no inputs recorded
            r = prod[prod["batch_key"] == b].iloc[0]
            questions.append(OpenQuestion(
                lot=str(r["lot"]), item=str(r["item"]), sheet=str(r["sheet"]), row=int(r["row"]),
                message=f"Batch {r['batch']} made lot {r['lot']} but BatchInputs lists nothing it used, "
                        "so the trace back stops here. Record the run's input lots."))
        if inputs.empty:
            continue
        # one step per input row and lot it went into (a run reached along two paths shows both)
        inputs = inputs.merge(per_out[["ratio", "depth", "via_lot", "via_item"]].reset_index(), on="batch_key")
        inputs["amount"] = inputs["qty"] * inputs["ratio"]
        inputs["depth"] = inputs["depth"] + 1
        steps.append(inputs.assign(step="input"))
        demand = accumulate(pd.concat([demand, inputs[LOT + ["amount", "depth"]]], ignore_index=True), "amount")
    demand = demand[demand["amount"].abs() > 0]

    # receipts and opening counts: the ends of the trace
    src = g.sources[g.sources["kind"].isin(("receipt", "opening stock", "harvested"))].reset_index().merge(demand, on=LOT)
    if len(src):
        src["total"] = src.set_index(LOT).index.map(g.totals).to_numpy(dtype=float)
        src["amount"] = src["amount"] * src["qty"] / src["total"]
        src = receipt_details(g, src)
        steps.append(src.assign(step=src["kind"].astype(object).map({"opening stock": "opening stock",
                                                                     "harvested": "harvest"}).fillna("receipt")))
        for r in rows_of(src[src["kind"] == "opening stock"].drop_duplicates(LOT)):
            questions.append(OpenQuestion(
                lot=str(r.lot), item=str(r.item), sheet=str(r.sheet), row=int(r.row),
                message=f"Lot {r.lot} of {r.item} first appears in the count of {r.date:%Y-%m-%d} "
                        "(opening stock): where it came from is not in this workbook."))
        bad = src[(src["kind"] == "receipt") & (src["certificate_valid"] == False)]  # noqa: E712
        for r in rows_of(bad):
            questions.append(OpenQuestion(lot=str(r.lot), item=str(r.item), sheet=str(r.sheet), row=int(r.row),
                                          message=str(r.certificate_note)))
    # demanded lots that never came in, and lots made only by runs caught in a cycle
    known = demand.set_index(LOT).index.isin(g.totals.index)
    for r in rows_of(demand[~known]):
        questions.append(never_arrived(g, (r.item_key, r.lot_key)))
    cyc = g.produced[g.produced["level"].to_numpy() < 0].merge(demand[LOT], on=LOT)
    for r in rows_of(cyc.drop_duplicates("batch_key")):
        questions.append(OpenQuestion(lot=str(r.lot), item=str(r.item), sheet=str(r.sheet), row=int(r.row),
                                      message=f"Batch {r.batch} is part of a circle of lot links (LOT_CYCLE), "
                                              "so the trace back does not go through it."))
    frame = pd.concat(steps, ignore_index=True) if steps else pd.DataFrame()
    return frame, questions


def never_arrived(g: Graph, pair: tuple[str, str]) -> OpenQuestion:
    rows = g.used[(g.used["item_key"] == pair[0]) & (g.used["lot_key"] == pair[1])]
    r = rows.iloc[0] if len(rows) else None
    lot = str(r["lot"]) if r is not None else pair[1]
    item = str(g.item_names.get(pair[0], pair[0]))
    return OpenQuestion(lot=lot, item=item, sheet=str(r["sheet"]) if r is not None else None,
                        row=int(r["row"]) if r is not None else None,
                        message=f"Lot {lot} of {item} was used but never came in: no receipt, run output or "
                                "count has it, so its supplier and certificate cannot be traced. "
                                "Check the lot number on this row.")


def receipt_details(g: Graph, src: pd.DataFrame) -> pd.DataFrame:
    """Supplier, supplier lot, certificate and its validity on the receipt date: read from
    the certificate data prepare() computed once (engine/certificates.py), the same the
    CERT_* findings come from."""
    book = g.prep.book
    is_rec = (src["kind"] == "receipt").to_numpy()
    at = src["row"].where(is_rec, -1).astype("int64")  # an opening count's row is on Counts
    rr = book.tables["Receipts"].set_index("_row")
    rr = rr[~rr.index.duplicated()].reindex(at)
    cc = g.prep.receipt_certs.reindex(at)
    return src.assign(supplier=rr["supplier"].to_numpy(), supplier_lot=rr["supplier_lot"].to_numpy(),
                      certificate=cc["certificate"].to_numpy(), certifier=cc["certifier"].to_numpy(),
                      certificate_valid=cc["valid"].to_numpy(), certificate_note=cc["note"].to_numpy())
