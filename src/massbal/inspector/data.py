"""The frames behind the inspector's copy: which ledger rows it carries, in what order,
the ingredient share of each row, the opening count each balance starts from, and the
supply balance broken down by the item that holds the ingredient.

Everything here is pandas over whole columns; the sheets in export.py only lay it out.
The formulas in the copy recompute Balance and Supply from these rows, so the rows must
be complete: for each item, every movement from its opening count (or from the first
day of data when it has none) to the end of the last period.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from massbal.engine.api import owner_names as engine_owner_names
from massbal.engine.api import supply_by_item
from massbal.engine.ledger import KIND_ORDER
from massbal.engine.load import BLANK
from massbal.engine.prepared import Prepared
from massbal.engine.result import Reconciliation
from massbal.engine.roll import ledger_openings
from massbal.engine.trace.model import LotTrace

BAL_KEY = ["item_key", "owner_key"]
DETAIL_COLUMNS = ["p", "start", "end", "ingredient", "item", "owner", "beginning", "sum_receipt", "sum_produced",
                  "sum_used", "sum_shipped", "sum_loss", "book_end", "counted_end", "held_open", "on_hand", "short"]


@dataclass(frozen=True)
class ExportData:
    ledger: pd.DataFrame  # rows carried, sorted; 'pos' = 0-based position in the Ledger table
    shares: pd.DataFrame  # same index as ledger, one column per supply ingredient_key
    ingredients: dict[str, str]  # ingredient_key -> display name, in Supply order
    balances: pd.DataFrame  # rec.balances + 'anchor' (opening count date or NaT)
    supply: pd.DataFrame  # rec.supply + ingredient_key, owner_key
    detail: pd.DataFrame  # supply by (ingredient, item, owner, period) + anchor
    yields: pd.DataFrame  # rec.yields (those the export shows) + batch_key, shares
    periods: list[tuple[pd.Timestamp, pd.Timestamp]]


def _anchors(counts: pd.DataFrame, keys: pd.DataFrame, by: list[str], openings: pd.DataFrame) -> pd.Series:
    """Per keys row: the latest count date of its (item, owner) on or before the day before
    start, else its opening count when the period holds it (the engine's roll begins there)."""
    if counts.empty or keys.empty:
        return pd.Series(pd.NaT, index=keys.index, dtype="datetime64[ns]")
    anchor = _count_before(counts, keys, by)
    op = keys[by].astype(object).merge(openings.astype({c: object for c in by}), on=by, how="left")["opening"]
    op = pd.to_datetime(op).astype("datetime64[ns]").to_numpy()
    holds = (op >= pd.to_datetime(keys["start"]).to_numpy(dtype="datetime64[ns]")) & \
        (op <= pd.to_datetime(keys["end"]).to_numpy(dtype="datetime64[ns]"))
    return pd.Series(np.where(holds, op, anchor.to_numpy(dtype="datetime64[ns]")), index=keys.index)


def _count_before(counts: pd.DataFrame, keys: pd.DataFrame, by: list[str]) -> pd.Series:
    days = counts[by + ["date"]].drop_duplicates().rename(columns={"date": "anchor"})
    days = days.astype({c: object for c in by}).astype({"anchor": "datetime64[ns]"}).sort_values("anchor")
    left = keys[by].astype(object).assign(day_before=(pd.to_datetime(keys["start"]) - pd.Timedelta(days=1))
                                          .astype("datetime64[ns]").to_numpy(), _i=np.arange(len(keys)))
    m = pd.merge_asof(left.sort_values("day_before"), days, left_on="day_before", right_on="anchor", by=by,
                      direction="backward").sort_values("_i")
    return pd.Series(m["anchor"].to_numpy(), index=keys.index)


def build(prep: Prepared, rec: Reconciliation) -> ExportData:
    led = prep.ledger
    items = prep.book.items
    periods = [(pd.Timestamp(s), pd.Timestamp(e)) for s, e in rec.periods]
    end = periods[-1][1]
    counts = led[led["kind"] == "count"]
    openings = ledger_openings(led, BAL_KEY)

    bal = rec.balances.copy()
    bal["anchor"] = _anchors(counts, bal, BAL_KEY, openings)

    sup = rec.supply.copy()
    ing_key = {v: k for k, v in items["item"].items()}
    sup["ingredient_key"] = sup["ingredient"].map(lambda n: _known(ing_key, n, prep, "item"))
    okeys = engine_owner_names(prep)
    back = {v: k for k, v in okeys.items()}
    sup["owner_key"] = sup["owner"].map(lambda o: _known(back, o, prep, "owner") if isinstance(o, str) else BLANK)
    ingredients = dict(zip(sup["ingredient_key"], sup["ingredient"], strict=True))

    # the engine's roll per item holding each ingredient, and every row's equivalents
    rolled, eq_all = supply_by_item(prep, periods)
    eq_all = eq_all[eq_all["ingredient_key"].isin(set(ingredients))]
    detail = _supply_detail(prep, rolled, sup, okeys)
    detail["anchor"] = _anchors(counts, detail, BAL_KEY, openings)

    yields = _yields(prep, rec, set(ingredients), set(bal["item_key"]))

    # the rows the formulas need: per item and owner, from its first opening count on
    keys = pd.concat([bal[BAL_KEY + ["anchor"]], detail[BAL_KEY + ["anchor"]]], ignore_index=True)
    first = keys.groupby(BAL_KEY, sort=False)["anchor"].agg(lambda a: a.min() if a.notna().all() else pd.NaT)
    lk = led.reset_index().merge(first.rename("from_").reset_index(), on=BAL_KEY, how="inner")
    ok = (lk["date"] <= end) & (lk["from_"].isna() | (lk["date"] >= lk["from_"]))
    keep = led.index.isin(lk.loc[ok.to_numpy(), "index"])
    run_rows = led["batch_key"].isin(set(yields["batch_key"])) & led["kind"].isin(("used", "produced", "process loss"))
    out = led[keep | run_rows.to_numpy()].copy()
    out["item"] = out["item_key"].map(items["item"]).fillna(out["item"])
    out["owner"] = out["owner_key"].map(okeys).where(out["owner_key"] != BLANK, None)
    bnames = led[led["batch_key"] != BLANK].drop_duplicates("batch_key").set_index("batch_key")["batch"]
    out["batch"] = out["batch_key"].map(bnames).where(out["batch_key"] != BLANK, None)
    out["_k"] = out["kind"].map(KIND_ORDER)
    out = out.sort_values(["item", "owner", "_k", "date", "sheet", "row"], kind="stable", na_position="first")
    out = out.drop(columns="_k")
    out["pos"] = np.arange(len(out))

    shares = _shares(eq_all, out, list(ingredients))
    return ExportData(out, shares, ingredients, bal, sup, detail, yields, periods)


def _known(keys, name, prep: Prepared, kind: str):
    """The key of a name the export already knows, else the book's code for it. Book.code
    scans every name of its kind, so only the few names not known are looked up there
    (issue 15: one scan per run made the export of 100k runs quadratic)."""
    hit = keys.get(name, _MISSING)
    return prep.book.code(kind, name) if hit is _MISSING else hit


_MISSING = object()


def _shares(eq: pd.DataFrame, rows: pd.DataFrame, ing: list) -> pd.DataFrame:
    """Fraction of each row's quantity that is each organic ingredient (genealogy)."""
    eq = eq[eq["_i"].isin(rows.index)]
    frac = np.divide(eq["value"].to_numpy(dtype=float), eq["qty"].to_numpy(dtype=float),
                     out=np.zeros(len(eq)), where=eq["qty"].to_numpy(dtype=float) != 0)
    piv = eq.assign(frac=frac).pivot_table(index="_i", columns="ingredient_key", values="frac", aggfunc="sum")
    return piv.reindex(index=rows.index, columns=ing)


def _supply_detail(prep: Prepared, g: pd.DataFrame | None, sup: pd.DataFrame, okeys: pd.Series) -> pd.DataFrame:
    """The engine's per-item roll of the supply rows the copy shows, with names."""
    empty = pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c in ("start", "end") else object) for c in
                          ["ingredient_key", "item_key", "owner_key"] + DETAIL_COLUMNS})
    if g is None:
        return empty
    g = g[g["ingredient_key"].isin(set(sup["ingredient_key"]))]
    figs = ["beginning", "sum_receipt", "sum_produced", "sum_used", "sum_shipped", "sum_loss", "book_end", "on_hand",
            "sum_harvested", "sum_farm use", "sum_applied"]
    g = g[(g[figs].abs().sum(axis=1) > 1e-9) | g["counted_end"].notna()]
    g["start"] = pd.to_datetime(g["start"])
    g["end"] = pd.to_datetime(g["end"])
    wanted = sup[["ingredient_key", "owner_key", "start", "end"]].assign(
        start=lambda d: pd.to_datetime(d["start"]), end=lambda d: pd.to_datetime(d["end"]))
    if g.empty:
        return empty
    g = g.astype({"ingredient_key": object, "owner_key": object}).merge(
        wanted.astype({"ingredient_key": object, "owner_key": object}), on=["ingredient_key", "owner_key", "start", "end"])
    items = prep.book.items["item"]
    g["ingredient"] = g["ingredient_key"].map(items)
    g["item"] = g["item_key"].map(items)
    g["owner"] = g["owner_key"].map(okeys).where(g["owner_key"] != BLANK, None)
    return g.sort_values(["ingredient", "owner", "start", "item"], kind="stable", na_position="first").reset_index(drop=True)


def _yields(prep: Prepared, rec: Reconciliation, ing: set, item_keys: set) -> pd.DataFrame:
    """Runs the copy shows: those in the period that hold a supply ingredient or touch a
    balance item; with each ingredient's share of the run's input (batch_comp)."""
    y = rec.yields.copy()
    if y.empty:
        return y.assign(batch_key=pd.Series(dtype=object))
    led = prep.ledger
    runs = led[led["kind"].isin(("used", "produced"))]
    bkey = runs.drop_duplicates("batch_key").set_index("batch")["batch_key"] if len(runs) else pd.Series(dtype=object)
    known = dict(zip(bkey.index, bkey.to_numpy(), strict=True)) if bkey.index.is_unique else bkey
    y["batch_key"] = y["batch"].map(lambda b: _known(known, b, prep, "batch"))
    bc = prep.genealogy.batch_comp
    bc = bc[bc["ingredient_key"].isin(ing)]
    touches = set(runs.loc[runs["item_key"].isin(item_keys), "batch_key"]) | set(bc["batch_key"])
    y = y[y["batch_key"].isin(touches)].reset_index(drop=True)
    piv = bc.pivot_table(index="batch_key", columns="ingredient_key", values="frac", aggfunc="sum")
    for k in ing:
        y[f"share:{k}"] = y["batch_key"].map(piv[k]) if k in piv else np.nan
    return y


def blocks(rows: pd.DataFrame, targets: pd.DataFrame, kinds: tuple[str, ...] | None) -> pd.DataFrame:
    """For each target (item_key, owner_key, start, end, tid): first and last Ledger
    position of its rows of the given kinds dated in [start, end] (rows sorted so they
    are contiguous). kinds=None: all its rows, any date."""
    r = rows[BAL_KEY + ["kind", "date", "pos"]]
    if kinds is not None:
        r = r[r["kind"].isin(kinds)]
    m = targets[BAL_KEY + ["start", "end", "tid"]].astype({"item_key": object, "owner_key": object}).merge(
        r.astype({"item_key": object, "owner_key": object}), on=BAL_KEY)
    if kinds is not None:
        m = m[(m["date"] >= pd.to_datetime(m["start"])) & (m["date"] <= pd.to_datetime(m["end"]))]
    return m.groupby("tid")["pos"].agg(["min", "max"])


@dataclass
class Meta:
    prep: Prepared
    rec: Reconciliation
    data: ExportData
    traces: list[LotTrace]
    now: datetime
    source: str
    item: str | None
    out_name: str = ""  # the copy's file name: the PDF (made from a twin) must say the same

    @property
    def period_text(self) -> str:
        p = self.rec.periods
        text = f"{p[0][0]:%Y-%m-%d} to {p[-1][1]:%Y-%m-%d}"
        return text + (f" ({len(p)} periods)" if len(p) > 1 else "")

    @property
    def operation(self) -> str:
        return self.prep.book.settings.operation or "Operation not named (add 'Operation' on the Settings sheet)"
