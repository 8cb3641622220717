"""The normalized ledger: every movement of every table as one row, in the report unit.

`effect` is what a row does to its item's book balance: + for receipts and run outputs,
- for run inputs, shipments and stock losses, 0 for counts (snapshots), transfers
(stock changes place, not amount) and losses that document a run's process loss
(CONTRACT section 2: they belong to the run, not to any stock). Each row keeps the
sheet and worksheet row it came from, so every figure traces to the user's own rows.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from massbal.engine.farm.farm_ledger import FARM_MOVEMENTS, farm_parts

from . import findings as F
from .frames import group_heads, joined_text
from .load import Book

# order of kinds within one day: inflows before outflows (CONTRACT: NEGATIVE rule),
# stock moved to where it is used before it is used, counts last because a count is
# taken at the end of its day
# (a farm's harvests come in like receipts; its own use and applications go out like run inputs)
KIND_ORDER = {"receipt": 0, "harvested": 1, "produced": 2, "transfer out": 3, "transfer in": 4, "used": 5,
              "farm use": 6, "applied": 7, "shipped": 8, "loss": 9, "process loss": 10, "count": 11}
INFLOW_KINDS = ("receipt", "harvested", "produced")
OUTFLOW_KINDS = ("used", "farm use", "applied", "shipped", "loss")


def kinds_in(kind: pd.Series, kinds: tuple) -> np.ndarray:
    """kind.isin(kinds) as a numpy mask, looked up once per category where kind is
    categorical (the ledger's: its codes taken, not a million rows matched; as roll.signs)."""
    if isinstance(kind.dtype, pd.CategoricalDtype):
        table = np.append(kind.cat.categories.isin(kinds), False)  # code -1 (a missing kind): False
        return table[kind.cat.codes.to_numpy()]
    return kind.isin(kinds).to_numpy()


_COLS = ["date", "kind", "item", "item_key", "lot", "lot_key", "owner", "owner_key", "location",
         "qty", "effect", "batch", "batch_key", "partner", "certificate", "organic", "reference",
         "reason", "sheet", "row"]


def batch_heads(book: Book) -> pd.DataFrame:
    """One row per batch: its date (earliest output row), owner and location."""
    # (only the columns read: sorting copies every column kept)
    b = book.tables["Batches"][["date", "_row", "batch_key", "batch", "owner", "owner_key", "location"]] \
        .sort_values(["date", "_row"])
    return group_heads(b, "batch_key", batch=("batch", "first"), date=("date", "min"), owner=("owner", "first"),
                       owner_key=("owner_key", "first"), location=("location", "first"), _row=("_row", "first"))


class _Part(dict):
    """One table's rows as ledger columns (name -> Series), with the kind and sheet they
    all share; build_ledger makes categories of these rather than a million strings."""
    def __init__(self, cols: dict, kind: str, sheet: str, n: int, blank: frozenset = frozenset()):
        super().__init__(cols)
        self.kind, self.sheet, self.n = kind, sheet, n
        self.blank = blank  # the columns this table has no cells for (all None)


def _frame(t: pd.DataFrame, kind: str, sheet: str, sign: float, **cols) -> _Part:
    n = len(t)
    none = pd.Series(np.full(n, None, dtype=object), index=t.index, dtype=object)
    zero = pd.Series(np.zeros(n, dtype=np.int64), index=t.index)
    base = {
        "date": t["date"] if "date" in t else pd.Series(pd.NaT, index=t.index),
        "item": t["item"], "item_key": t["item_key"],
        "lot": t["lot"] if "lot" in t else none, "lot_key": t["lot_key"] if "lot_key" in t else zero,
        "owner": t["owner"] if "owner" in t else none, "owner_key": t["owner_key"] if "owner_key" in t else zero,
        "location": t["location"] if "location" in t else none,
        "qty": t["qty"], "effect": t["qty"] * sign,
        "batch": none, "batch_key": zero, "partner": none, "certificate": none, "organic": none,
        "reference": t["reference"] if "reference" in t else none, "reason": none,
        "row": t["_row"],
    }
    base.update(cols)
    return _Part(base, kind, sheet, n, frozenset(c for c, v in base.items() if v is none))


def build_ledger(book: Book) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ledger and the findings met while building it (unknown batches)."""
    T, S = book.tables, book.sheets
    out = []
    parts = []
    r = T["Receipts"]
    item_organic = book.items["organic"]
    organic = r["organic"].where(r["organic"].notna(), r["item_key"].map(item_organic)).astype(bool)
    organic = organic & r["item_key"].map(item_organic).fillna(True).astype(bool)
    parts.append(_frame(r, "receipt", S["Receipts"], 1.0, partner=r["supplier"],
                        certificate=r["certificate"], organic=organic))

    heads = batch_heads(book)
    b = T["Batches"]
    parts.append(_frame(b, "produced", S["Batches"], 1.0, batch=b["batch"], batch_key=b["batch_key"]))

    bi = T["BatchInputs"]
    known = bi["batch_key"].isin(heads.index)
    if (~known).any():
        out.append(F.make("error", "UNKNOWN_BATCH", S["BatchInputs"], bi.loc[~known, "_row"].to_numpy(),
                          "Batch", book.letter("BatchInputs", "Batch"),
                          "Batch '" + bi.loc[~known, "batch"].astype(str) + "' is not on the Batches sheet, "
                          "so this input has no date or output. Add the batch's output row to Batches; "
                          "this input is left out until then."))
    bi = bi[known.to_numpy()]
    h = heads.reindex(bi["batch_key"])
    # (owner and location object columns, as the other parts' are: frames.joined_text)
    bi = bi.assign(date=h["date"].to_numpy(), owner=joined_text(h["owner"].to_numpy(), bi.index),
                   owner_key=h["owner_key"].to_numpy(), location=joined_text(h["location"].to_numpy(), bi.index))
    parts.append(_frame(bi, "used", S["BatchInputs"], -1.0, batch=bi["batch"], batch_key=bi["batch_key"]))

    s = T["Shipments"]
    parts.append(_frame(s, "shipped", S["Shipments"], -1.0, partner=s["customer"]))

    lo = T["Losses"]
    named = lo["batch_key"] != 0
    run_known = named & lo["batch_key"].isin(heads.index)
    unknown_run = named & ~run_known
    if unknown_run.any():
        out.append(F.make("error", "UNKNOWN_BATCH", S["Losses"], lo.loc[unknown_run, "_row"].to_numpy(),
                          "Batch", book.letter("Losses", "Batch"),
                          "Batch '" + lo.loc[unknown_run, "batch"].astype(str) + "' is not on the Batches "
                          "sheet. This loss is counted as a stock loss until the batch is recorded."))
    lo_stock, lo_run = lo[~run_known.to_numpy()], lo[run_known.to_numpy()]
    parts.append(_frame(lo_stock, "loss", S["Losses"], -1.0, reason=lo_stock["reason"],
                        batch=lo_stock["batch"], batch_key=lo_stock["batch_key"]))
    parts.append(_frame(lo_run, "process loss", S["Losses"], 0.0, reason=lo_run["reason"],
                        batch=lo_run["batch"], batch_key=lo_run["batch_key"]))

    c = T["Counts"]
    parts.append(_frame(c, "count", S["Counts"], 0.0))

    if any(len(T[t]) for t in FARM_MOVEMENTS):  # a farm's book (CONTRACT section 6)
        for kind, table, cols in farm_parts(book):
            parts.append(_frame(T[table], kind, S[table], -1.0 if kind != "harvested" else 1.0, **cols))

    tr = T["Transfers"]
    parts.append(_frame(tr, "transfer out", S["Transfers"], 0.0, location=tr["from"], partner=tr["to"]))
    parts.append(_frame(tr, "transfer in", S["Transfers"], 0.0, location=tr["to"], partner=tr["from"]))

    parts = [p for p in parts if p.n]
    if not parts:
        ledger = pd.DataFrame({c: pd.Series(dtype=object) for c in _COLS})
        ledger["date"] = ledger["date"].astype("datetime64[ns]")
        ledger["qty"] = ledger["qty"].astype(float)
        ledger["effect"] = ledger["effect"].astype(float)
        for k in ("owner_key", "lot_key", "batch_key"):
            ledger[k] = ledger[k].astype(np.int64)
        ledger["kind"] = pd.Categorical(ledger["kind"], categories=list(KIND_ORDER))
        ledger["sheet"] = ledger["sheet"].astype("category")
        ledger["_order"] = ledger["kind"].cat.codes.astype(np.int8)
        return ledger, F.combine(out)
    # kinds and sheets are few over a million rows: categories compare and copy fast, and
    # are made from one code per part rather than from a million strings
    sheet_names = sorted({p.sheet for p in parts})
    kind_code = np.concatenate([np.full(p.n, KIND_ORDER[p.kind], dtype=np.int8) for p in parts])
    sheet_code = np.concatenate([np.full(p.n, sheet_names.index(p.sheet), dtype=np.int8) for p in parts])

    def whole(c: str) -> pd.Series:  # one column over all parts, dtypes as pd.concat makes them
        return pd.concat([p[c] for p in parts], ignore_index=True)
    date = pd.to_datetime(whole("date")).astype("datetime64[ns]").to_numpy()
    row = whole("row").to_numpy()
    # date, then kind order within a day, then worksheet row; stable, undated rows last
    d = date.view(np.int64).copy()
    d[np.isnat(date)] = np.iinfo(np.int64).max
    perm = np.lexsort((row, kind_code, d))
    # each part's rows' places in the ledger (perm inverted): a column is put in place part
    # by part, one pass over its values, not joined and then gathered (two passes over a
    # million names' references), and a name column only where its table has the name (a
    # certificate on Receipts only), the other rows left None
    place = np.empty_like(perm)
    place[perm] = np.arange(len(perm))
    bounds = np.cumsum([0] + [p.n for p in parts])
    cols = {}
    for c in _COLS:
        if c == "kind":
            cols[c] = pd.Categorical.from_codes(kind_code[perm], categories=list(KIND_ORDER))
        elif c == "sheet":
            cols[c] = pd.Categorical.from_codes(sheet_code[perm], categories=pd.Index(sheet_names))
        elif c == "date":
            cols[c] = date[perm]
        elif c == "row" and row.dtype == np.int64:
            cols[c] = row[perm]
        elif len({p[c].dtype for p in parts}) == 1 and isinstance(parts[0][c].dtype, np.dtype) \
                and parts[0][c].dtype in (object, np.float64, np.int64):
            # every part holds the same numpy dtype (names are object, keys int64): each
            # part's values put at their places, not pandas' concat and then a take of a
            # million-row Series (the same values in the same order)
            dtype = parts[0][c].dtype
            joined = np.full(len(perm), None, dtype=object) if dtype == object else np.empty(len(perm), dtype=dtype)
            for p, a, b in zip(parts, bounds[:-1], bounds[1:], strict=True):
                if not (dtype == object and c in p.blank):
                    joined[place[a:b]] = p[c].to_numpy()
            # (a Series of its own dtype: an object array would become a text column)
            cols[c] = pd.Series(joined, dtype=joined.dtype, copy=False)
        else:
            col = whole(c)
            if c in ("qty", "effect"):
                col = col.astype(float)
            elif c in ("owner_key", "lot_key", "batch_key"):
                col = col.fillna(0).astype(np.int64)  # 0: no name given
            cols[c] = col.take(perm).reset_index(drop=True)
    cols["_order"] = kind_code[perm]
    ledger = pd.DataFrame(cols, copy=False)  # the columns are new already: no second copy
    return ledger, F.combine(out)
