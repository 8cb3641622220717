"""What a supply correction touches: whether a slip's correction can change any lot's
make-up (build_genealogy), and so must be recomputed on the copy of its ingredient's whole
scope, or changes only its own item's part of the figure (investigate.supply)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from massbal.engine.load import Book


def lot_facts(ledger: pd.DataFrame) -> dict:
    """What decides whether a receipt's or a count's correction can change any lot's make-up
    (build_genealogy): the items some run makes, the lots received or made (a count of any
    other lot opens it), and per received lot its source rows and whether all agree on organic."""
    kind = ledger["kind"]  # categorical: isin per category, not per row
    src = ledger.loc[kind.isin(("receipt", "harvested")).to_numpy(), ["item_key", "lot_key", "organic", "qty"]]
    made = ledger.loc[(kind == "produced").to_numpy(), ["item_key", "lot_key"]]
    lots = src.assign(pos=src["qty"].to_numpy() > 0, org=src["organic"].astype(bool).to_numpy()).groupby(
        ["item_key", "lot_key"], sort=False).agg(positive=("pos", "sum"), lo=("org", "min"), hi=("org", "max"))
    lots["mixed"] = lots["lo"] != lots["hi"]
    known = pd.MultiIndex.from_frame(pd.concat([src[["item_key", "lot_key"]], made]).drop_duplicates())
    c = ledger.loc[(kind == "count").to_numpy() & (ledger["lot_key"] != 0).to_numpy(), ["item_key", "lot_key"]]
    opened = c.loc[~pd.MultiIndex.from_frame(c).isin(known), "item_key"]
    # an item with an opened lot keeps its average make-up whole (opening counts tie-break by date)
    return {"made_items": set(made["item_key"]) | set(opened), "lots": lots, "known": known}


def route(typed: pd.DataFrame, alts: pd.DataFrame, facts: dict) -> tuple[np.ndarray, np.ndarray]:
    """Which alternatives (rows of `typed`) are recomputed on their item's rows alone (item-only), and of
    those, which need their item's average make-up rebuilt (remake); the rest on the copy of
    the ingredient's whole scope. A shipment's, a loss's or any date's correction is no part
    of the genealogy. A count's is none either unless it opens a lot nobody received or made.
    A receipt's changes only its item's average make-up (weighted by quantity) when its lot's
    sources all agree on organic (the lot's fractions are then 1 or 0 whatever the quantity),
    some of them stay, and no run makes the item nor a count opens a lot of it (so that
    average comes from its own received lots)."""
    r = typed.loc[alts["_i"].to_numpy()]
    kind = r["kind"].astype(object).to_numpy()
    moved = alts["date_new"].notna().to_numpy()
    only = (np.isin(kind, ["shipped", "loss"]) | moved) & (kind != "count")
    lot = pd.MultiIndex.from_arrays([r["item_key"].to_numpy(), r["lot_key"].to_numpy()])
    opens = (r["lot_key"].to_numpy() != 0) & ~lot.isin(facts["known"])
    only |= (kind == "count") & ~opens
    lf = facts["lots"].reindex(lot)
    deleted = alts["qty_new"].to_numpy() == 0
    stays = lf["positive"].to_numpy(dtype=float) - (deleted & (r["qty"].to_numpy() > 0)) > 0
    mixed = lf["mixed"].astype(object).fillna(True).to_numpy(dtype=bool)
    remake = (kind == "receipt") & ~moved & ~mixed & stays & ~r["item_key"].isin(facts["made_items"]).to_numpy()
    return only | remake, remake


def coded_book(book: Book, keys: np.ndarray, ik: int) -> Book:
    """The book with each coded item (a copy's item or ingredient, key + n x ik) named by its
    code and taking its original's settings."""
    keys = pd.Index(pd.unique(np.asarray(keys)))
    ext = book.items.reindex(keys % ik).set_axis(keys).assign(item=keys.to_numpy())
    return dataclasses.replace(book, items=pd.concat([book.items, ext]))
