"""The supply balance of each organic ingredient: did more organic X go out than came in?

Stock of every item is rolled forward in ingredient equivalents with the same `roll`
as the item balance (so a count on the start or end date means the same thing in both),
then summed over items per ingredient and owner.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import findings as F
from .frames import columns_at, group_heads, inner_merge
from .genealogy import Genealogy, equivalents
from .load import Book
from .roll import EPS, ledger_openings, roll

KEY = ["ingredient_key", "item_key", "owner_key"]
STOCK_KINDS = ("receipt", "produced", "used", "shipped", "loss", "harvested", "farm use", "applied")
# Counts are usually kept to whole units, so a count can sit up to half a unit per lot
# from the book: differences within half a unit, or 0.1 % of what was available, are
# rounding, not a finding.
ROUNDING_UNITS = 0.5
ROUNDING_SHARE = 0.001


def process_loss_equivalents(ledger: pd.DataFrame, gen: Genealogy) -> pd.DataFrame:
    """Each run's process loss (input - output) shared among its ingredients."""
    runs = ledger.loc[ledger["kind"].isin(("used", "produced")).to_numpy(), ["kind", "qty", "batch_key", "date", "owner_key"]]
    used = (runs["kind"] == "used").to_numpy()
    per = runs["qty"].where(used, -runs["qty"]).groupby(runs["batch_key"], sort=False).sum()
    # each run's first day and owner from its inputs (a run with none has no loss to share),
    # looked up by key rather than joined (the investigations' copies hold a million rows)
    heads = group_heads(runs[used], "batch_key", date=("date", "min"), owner_key=("owner_key", "first"))
    at = heads.index.get_indexer(per.index)
    has = at >= 0
    per = pd.DataFrame({"batch_key": per.index.to_numpy()[has], "loss": per.to_numpy()[has],
                        **{c: heads[c].to_numpy()[at[has]] for c in ("date", "owner_key")}})
    eq = inner_merge(per, gen.batch_comp, "batch_key")
    eq["value"] = eq["loss"] * eq["frac"]
    return eq[["batch_key", "date", "owner_key", "ingredient_key", "value"]]


def compute_supply(book: Book, ledger: pd.DataFrame, gen: Genealogy, periods,
                   ingredient_keys: set | None = None, openings: pd.DataFrame | None = None
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    return supply_figures(book, ledger, supply_terms(ledger, gen, periods, ingredient_keys, openings))


def supply_terms(ledger: pd.DataFrame, gen: Genealogy, periods, ingredient_keys: set | None = None,
                 openings: pd.DataFrame | None = None, rolled: tuple | None = None) -> pd.DataFrame:
    """Per ingredient, owner and period: the sums over items (and runs) that make the supply
    figure. Each is a sum of per-item (per-run) parts, so the investigations add an item's
    change to them and ask supply_figures for the figure and status. openings: the ledger's
    (Prepared.openings), else computed from it. rolled: supply_roll's (eq, g) of the same
    arguments, when the caller already has it."""
    eq, g = rolled if rolled is not None else supply_roll(ledger, gen, periods, ingredient_keys, openings)
    del eq
    # stock cannot be below zero: a book that went negative means more went out than came
    # in, and that must show as unaccounted (OVERSOLD), not vanish into a negative on-hand.
    # Columns of their own, g left as the roll gave it (the inspector's supply by item reads it)
    sums = g[["ingredient_key", "owner_key", "p", "start", "end", "sum_receipt", "sum_harvested", "sum_shipped",
              "sum_loss", "sum_farm use", "sum_applied"]].assign(
        book_short=(-g["book_end"]).clip(lower=0.0) + (-g["beginning"]).clip(lower=0.0),
        on_hand=g["counted_end"].where(g["counted_end"].notna(), g["book_end"]).clip(lower=0.0),
        beginning=g["beginning"].clip(lower=0.0))
    per = sums.groupby(["ingredient_key", "owner_key", "p"], sort=False).agg(
        start=("start", "first"), end=("end", "first"), opening=("beginning", "sum"),
        received=("sum_receipt", "sum"), harvested=("sum_harvested", "sum"), shipped=("sum_shipped", "sum"),
        stock_loss=("sum_loss", "sum"), farm_use=("sum_farm use", "sum"), applied=("sum_applied", "sum"),
        on_hand=("on_hand", "sum"), book_short=("book_short", "sum")).reset_index()

    pl = process_loss_equivalents(ledger, gen)
    if ingredient_keys is not None:
        pl = pl[pl["ingredient_key"].isin(ingredient_keys)]
    starts = np.array([p[0] for p in periods], dtype="datetime64[ns]")
    ends = np.array([p[1] for p in periods], dtype="datetime64[ns]")
    d = pl["date"].to_numpy(dtype="datetime64[ns]")
    i = np.searchsorted(starts, d, side="right") - 1
    pl = pl.assign(p=np.where((i >= 0) & (d <= ends[np.clip(i, 0, len(ends) - 1)]), i, -1))
    pls = pl[pl["p"] >= 0].groupby(["ingredient_key", "owner_key", "p"], sort=False)["value"].sum() \
        .rename("process_loss").reset_index()
    per = per.merge(pls, on=["ingredient_key", "owner_key", "p"], how="left")
    per["process_loss"] = per["process_loss"].fillna(0.0)
    return per


def supply_roll(ledger: pd.DataFrame, gen: Genealogy, periods, ingredient_keys: set | None = None,
                openings: pd.DataFrame | None = None, eq: pd.DataFrame | None = None
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ingredient equivalents of the ledger's stock rows and counts (of the ingredients
    asked, else all) and their roll per ingredient, item and owner over the periods: what
    supply_terms sums, and the inspector's supply by item shows. eq: the equivalents of
    every ingredient, when the caller has them."""
    if eq is None:
        eq = equivalents(ledger, gen, STOCK_KINDS + ("count",))
    if ingredient_keys is not None:
        eq = eq[eq["ingredient_key"].isin(ingredient_keys)]
    is_count = (eq["kind"] == "count").to_numpy()  # the columns taken with the rows: one copy each
    moves = pd.DataFrame(columns_at(eq, np.flatnonzero(~is_count), KEY + ["date", "kind", "value"]), copy=False)
    counts = pd.DataFrame(columns_at(eq, np.flatnonzero(is_count), KEY + ["date", "value"]), copy=False)
    days = ledger.loc[(ledger["kind"] == "count").to_numpy(), ["item_key", "owner_key", "date"]].drop_duplicates()
    g = roll(moves, counts, days, periods, KEY, ["item_key", "owner_key"],
             openings=ledger_openings(ledger, ["item_key", "owner_key"]) if openings is None else openings)
    return eq, g


def supply_figures(book: Book, ledger: pd.DataFrame, per: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The Supply rows (and findings) from supply_terms."""
    items = book.items
    out = pd.DataFrame({
        "ingredient": per["ingredient_key"].map(items["item"]).fillna(per["ingredient_key"]),
        "owner": per["owner_key"].map(_owner_names(ledger)).astype(object).where(per["owner_key"] != 0, None),
        "start": per["start"], "end": per["end"],
        # a farm's organic harvests are organic supply like receipts (CONTRACT section 6); a
        # conventional harvest lot holds no organic ingredient (genealogy), so adds nothing
        "available": per["opening"] + per["received"] + per["harvested"],
        "shipped_equivalent": per["shipped"],
        "losses_equivalent": per["stock_loss"] + per["process_loss"],
        "farm_use_equivalent": per["farm_use"] + per["applied"],
        "on_hand_equivalent": per["on_hand"],
    })
    out["unaccounted"] = (out["available"] - out["shipped_equivalent"] - out["losses_equivalent"]
                          - out["farm_use_equivalent"] - out["on_hand_equivalent"])
    for col in ("available", "shipped_equivalent", "losses_equivalent", "farm_use_equivalent", "on_hand_equivalent",
                "unaccounted"):
        out[col] = out[col].round(6) + 0.0  # no -0.0 in reports
    out["tolerance_pct"] = per["ingredient_key"].map(items["tolerance_pct"]).fillna(
        book.settings.tolerance_pct).astype(float).to_numpy()
    out["_short"] = per["book_short"].to_numpy()
    active = (out[["available", "shipped_equivalent", "losses_equivalent", "farm_use_equivalent", "on_hand_equivalent"]].abs().sum(axis=1) > EPS)
    out = out[active.to_numpy()]
    # OVERSOLD: the books themselves send out more organic X than came in (some stock of
    # it went below zero), or the counts find more of it than the inputs can explain by
    # more than the tolerance. A count a little above the book is measurement, not sale.
    allowance = np.maximum(ROUNDING_UNITS, ROUNDING_SHARE * out["available"].clip(lower=0))
    band = out["tolerance_pct"] / 100.0 * out["available"].clip(lower=0) + allowance
    over = (out["_short"] > allowance) | (out["unaccounted"] < -band)
    investigate = out["unaccounted"].abs() > band
    out["status"] = np.select([over, investigate], ["OVERSOLD", "INVESTIGATE"], "PASS")
    out = out.drop(columns="_short")
    out = out.sort_values(["ingredient", "owner", "start"], na_position="first", kind="stable").reset_index(drop=True)
    return out, _supply_findings(book, out)


def _owner_names(ledger: pd.DataFrame) -> pd.Series:
    o = ledger.loc[(ledger["owner_key"] != 0).to_numpy(), ["owner_key", "owner"]].drop_duplicates("owner_key")
    return pd.Series(o["owner"].to_numpy(), index=o["owner_key"].to_numpy())


def _supply_findings(book: Book, sup: pd.DataFrame) -> pd.DataFrame:
    over = sup[sup["status"] == "OVERSOLD"]
    if over.empty:
        return F.empty()
    unit = book.settings.unit
    msgs = ("From " + over["start"].dt.strftime("%Y-%m-%d") + " to " + over["end"].dt.strftime("%Y-%m-%d") +
            ", " + (-over["unaccounted"]).map(lambda v: f"{v:,.2f}") + f" {unit} more organic " +
            over["ingredient"].astype(str) + " went out (shipped, lost or still on hand) than was available. "
            "Find the missing organic receipt, or the outflow that is too high.")
    return F.make("error", "SUPPLY_OVERSOLD", "Supply", None, None, None, "x").iloc[[0] * len(over)].assign(
        message=msgs.to_numpy()).reset_index(drop=True)
