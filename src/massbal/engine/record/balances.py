"""The balances of a closed period: kept at the close, and today's compared with them
(the Balance sheet's Closed and As closed columns)."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

# the figures kept for a balance as closed, and compared with today's
CLOSED_FIGURES = ("beginning", "received", "produced", "used", "shipped", "losses",
                  "expected_ending", "counted_ending", "variance", "status")


def _key(item, owner, start, end) -> str:
    def day(v):
        return pd.Timestamp(v).strftime("%Y-%m-%d")
    own = "" if owner is None or (isinstance(owner, float) and owner != owner) or owner is pd.NA else str(owner)
    return f"{item}\x1f{own}\x1f{day(start)}\x1f{day(end)}"


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "(none)"
    return f"{v:,.2f}" if isinstance(v, (int, float)) else str(v)


def closed_balance_records(balances: pd.DataFrame, through: date) -> list[dict]:
    """The balances of periods ending on or before `through`, as JSON-able records."""
    if not len(balances):
        return []
    b = balances[pd.to_datetime(balances["end"]) <= pd.Timestamp(through)]
    out = []
    for r in b.to_dict("records"):
        rec = {"item": str(r["item"]), "owner": None if pd.isna(r["owner"]) else str(r["owner"]),
               "start": pd.Timestamp(r["start"]).strftime("%Y-%m-%d"), "end": pd.Timestamp(r["end"]).strftime("%Y-%m-%d")}
        for f in CLOSED_FIGURES:
            v = r.get(f)
            rec[f] = None if v is None or (isinstance(v, float) and v != v) else (
                float(v) if isinstance(v, (int, float, np.floating)) else str(v))
        out.append(rec)
    return out


def annotate_balances(balances: pd.DataFrame, state) -> pd.DataFrame:
    """Balance rows gain `closed` (the close a period lies in) and `as_closed` (today's
    figures against those recorded at the close: where they differ, the closed ones)."""
    b = balances.copy()
    n = len(b)
    closed = pd.Series([None] * n, dtype=object, index=b.index)
    as_closed = pd.Series([None] * n, dtype=object, index=b.index)
    c = state.closed
    if c is not None and n:
        kept = {_key(r["item"], r["owner"], r["start"], r["end"]): r for r in c.balances}
        inside = (pd.to_datetime(b["end"]) <= pd.Timestamp(c.through)).to_numpy()
        closed[inside] = f"through {c.through:%Y-%m-%d}"
        same = _surely_as_closed(b[inside], kept)
        as_closed[b.index[inside][same]] = f"As closed on {c.on[:10]} by {c.by}."
        look = inside.copy()
        look[np.flatnonzero(inside)[same]] = False
        # records, not iterrows: a Series per row cost seconds on a large book
        for idx, r in zip(b.index[look], b[look].to_dict("records"), strict=True):
            old = kept.get(_key(r["item"], r["owner"], r["start"], r["end"]))
            if old is None:
                as_closed[idx] = "No balance of this period was recorded at the close."
                continue
            diffs = []
            for f in CLOSED_FIGURES:
                now, then = r.get(f), old.get(f)
                now = None if now is None or (isinstance(now, float) and now != now) else now
                if isinstance(now, (int, float, np.floating)) and isinstance(then, (int, float)):
                    same = abs(float(now) - then) <= 0.005
                else:
                    same = (None if now is None else str(now)) == then
                if not same:
                    diffs.append(f"{f.replace('_', ' ')} {_fmt(then)} (now {_fmt(now)})")
            as_closed[idx] = (f"As closed on {c.on[:10]} by {c.by}." if not diffs else
                              f"DIFFERS from the close on {c.on[:10]}: " + "; ".join(diffs) + ".")
    b["closed"] = closed
    b["as_closed"] = as_closed
    return b


def _surely_as_closed(b: pd.DataFrame, kept: dict) -> np.ndarray:
    """Balance rows whose every figure is, at a glance, the one recorded at the close (a
    whole column at a time); the others are compared one by one in annotate_balances."""
    if not len(b):
        return np.zeros(0, dtype=bool)
    day = "%Y-%m-%d"
    own = b["owner"].astype(object).where(b["owner"].notna(), "").astype(str)
    keys = (b["item"].astype(str) + "\x1f" + own + "\x1f" + pd.to_datetime(b["start"]).dt.strftime(day) + "\x1f"
            + pd.to_datetime(b["end"]).dt.strftime(day)).to_numpy(dtype=object)
    at = pd.Index(list(kept)).get_indexer(keys)
    ok = at >= 0
    recs = list(kept.values())
    for f in CLOSED_FIGURES:
        if f not in b.columns:
            return np.zeros(len(b), dtype=bool)
        then = pd.Series([recs[i].get(f) if i >= 0 else None for i in at], dtype=object)
        now = b[f]
        if pd.api.types.is_numeric_dtype(now.dtype) and not pd.api.types.is_bool_dtype(now.dtype):
            v = now.to_numpy(dtype="float64", na_value=np.nan)
            num = then.map(lambda x: isinstance(x, (int, float)) and not isinstance(x, bool)).to_numpy(dtype=bool)
            t = pd.to_numeric(then.where(num), errors="coerce").to_numpy(dtype="float64")
            with np.errstate(invalid="ignore"):
                ok &= (num & ~np.isnan(v) & (np.abs(v - t) <= 0.005)) | (np.isnan(v) & then.isna().to_numpy())
        else:
            text = now.astype(object)
            ok &= ((text.isna().to_numpy() & then.isna().to_numpy())
                   | (text.notna().to_numpy() & (text.astype(str).to_numpy() == then.to_numpy())))
    return ok
