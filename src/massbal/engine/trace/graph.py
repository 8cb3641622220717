"""The lot graph every trace walks, built once per prepared workbook, and the small
helpers the back and forward walks share."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

import numpy as np
import pandas as pd

from massbal.engine.genealogy import LOT
from massbal.engine.load import BLANK, MOVEMENT_TABLES
from massbal.engine.prepared import Prepared


@dataclass(frozen=True)
class Graph:
    """What every trace needs, built once per prepared workbook."""
    prep: Prepared
    lots: pd.DataFrame  # ledger rows that name a lot
    totals: pd.Series  # by (item_key, lot_key): received + produced + opening count
    sources: pd.DataFrame  # LOT + kind, qty, date, row, sheet, batch_key: how each lot came in
    used: pd.DataFrame  # run input rows
    produced: pd.DataFrame  # run output rows
    run_in: pd.Series  # batch_key -> sum of inputs
    run_out: pd.Series  # batch_key -> sum of outputs
    level: pd.Series  # batch_key -> level (-1: in a cycle)
    item_names: pd.Series  # item_key -> item
    lot_names: pd.Series  # (item_key, lot_key) -> lot as first typed
    typed: pd.DataFrame  # sheet, row, q, u: every movement row's quantity and unit as typed


def build_graph(prep: Prepared) -> Graph:
    led = prep.ledger
    # many small takes follow: plain object columns are much cheaper there than arrow strings
    text = [c for c in led.columns if pd.api.types.is_string_dtype(led[c].dtype) and led[c].dtype != object]
    led = led.astype({c: object for c in text})
    lots = led[led["lot_key"] != BLANK]
    inflow = lots[lots["kind"].isin(("receipt", "produced", "harvested"))]
    # a lot first seen in a count (opening stock) came in with that first count
    made = pd.MultiIndex.from_frame(inflow[LOT]).unique() if len(inflow) else pd.MultiIndex.from_tuples([], names=LOT)
    counts = lots[lots["kind"] == "count"]
    if len(counts):
        is_new = ~pd.MultiIndex.from_frame(counts[LOT]).isin(made)
        counts = counts[is_new]
        first = counts.groupby(LOT, sort=False)["date"].transform("min")
        counts = counts[(counts["date"] == first).to_numpy()].assign(kind="opening stock")
    sources = pd.concat([inflow, counts], ignore_index=False)
    totals = sources.groupby(LOT, sort=False)["qty"].sum()
    level = prep.genealogy.batch_level
    used = led[led["kind"] == "used"]
    used = used.assign(level=used["batch_key"].map(level).fillna(-1).astype(int).to_numpy())
    produced = led[led["kind"] == "produced"]
    produced = produced.assign(level=produced["batch_key"].map(level).fillna(-1).astype(int).to_numpy())
    run_in = used.groupby("batch_key", sort=False)["qty"].sum()
    run_out = produced.groupby("batch_key", sort=False)["qty"].sum()
    items = prep.book.items["item"]
    names = lots.drop_duplicates(LOT).set_index(LOT)["lot"]
    return Graph(prep, lots, totals, sources, used, produced, run_in, run_out,
                  prep.genealogy.batch_level, items, names, typed_table(prep.book))


def levels(g: Graph) -> range:
    lv = g.level[g.level >= 0]
    return range(int(lv.max()) + 1 if len(lv) else 0)


def at_level(frame: pd.DataFrame, g: Graph, lvl: int) -> pd.DataFrame:
    return frame[frame["level"].to_numpy() == lvl]


def accumulate(frame: pd.DataFrame, value: str) -> pd.DataFrame:
    return frame.groupby(LOT, sort=False).agg(**{value: (value, "sum"), "depth": ("depth", "min")}).reset_index()


def graph_of(prep: Prepared) -> Graph:
    """The graph of a prepared workbook, built on first use and kept with it."""
    g = prep.cache.get("lot graph")
    if g is None:
        g = prep.cache["lot graph"] = build_graph(prep)
    return g


def typed_table(book) -> pd.DataFrame:
    parts = [pd.DataFrame({"sheet": book.sheets[t], "row": book.tables[t]["_row"].to_numpy(dtype=float),
                           "q": book.tables[t]["quantity"].to_numpy(), "u": book.tables[t]["unit"].to_numpy()})
             for t in MOVEMENT_TABLES if t in book.tables and len(book.tables[t])]
    if not parts:
        return pd.DataFrame({"sheet": pd.Series(dtype=object), "row": pd.Series(dtype=float), "q": [], "u": []})
    t = pd.concat(parts, ignore_index=True).drop_duplicates(["sheet", "row"])
    return t.astype({"sheet": object, "u": object})


def typed_quantities(book, sheet: pd.Series, row: pd.Series, typed: pd.DataFrame | None = None) -> pd.DataFrame:
    """Quantity and unit as the user typed them, for rows named by (sheet, row)."""
    t = typed if typed is not None else typed_table(book)
    keys = pd.DataFrame({"sheet": pd.Series(sheet).astype(object).to_numpy(),
                         "row": pd.to_numeric(pd.Series(row), errors="coerce").to_numpy(dtype=float)})
    return keys.merge(t, on=["sheet", "row"], how="left")


def rows_of(frame: pd.DataFrame) -> list[SimpleNamespace]:
    """Rows of a small frame as objects (question messages are built one per row)."""
    return [SimpleNamespace(**r) for r in frame.to_dict("records")] if len(frame) else []


def joined(s: pd.Series) -> str:
    return ", ".join(dict.fromkeys(s.astype(str)))


def num(v) -> float | None:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(x) else x


def text_or_none(v) -> str | None:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    s = str(v)
    return s if s.strip() else None


def flag(v) -> bool | None:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    return bool(v)


def day(v) -> date | None:
    if v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
        return None
    try:
        ts = pd.Timestamp(v)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(ts) else ts.date()
