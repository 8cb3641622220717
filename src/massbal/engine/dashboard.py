"""The figures behind the Dashboard's pictures, from one reconciliation (pure).

Three kinds of chart, each a block of consecutive rows of one long table:
- stock: per item (and owner), month by month, the book (expected ending) against the
  counted stock, with the tolerance band around the book and the flagged months marked;
- supply: per organic ingredient, per period, what was available against where it went
  (shipped, losses, on hand, as ingredient equivalent), flagged periods marked;
- yield: per product, run by run, the yield with the product's typical (median) yield
  and the runs that stand out (the same rule as the YIELD_OUTLIER finding).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .result import Reconciliation
from .runs import yield_outliers
from .schema import name_keys

MAX_CHARTS = 60       # per kind; more would bury the ones that matter (flagged first)
MAX_RUNS = 500        # per yield chart: the latest runs
FLAG_BALANCE = ("INVESTIGATE", "NEGATIVE")
FLAG_SUPPLY = ("OVERSOLD", "INVESTIGATE")

COLUMNS = ["chart", "kind", "name", "owner", "label", "date", "book", "counted", "tolerance_low",
           "tolerance_band", "tolerance_high", "flagged", "available", "shipped", "losses", "on_hand",
           "yield_pct", "typical_yield_pct", "outlier", "status"]


def period_label(start, end) -> str:
    """'Jan 2025', 'Q1 2025', '2025', else '2025-01-05 to 2025-02-04'."""
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    if s.day == 1 and e == s + pd.offsets.MonthEnd(0):
        return s.strftime("%b %Y")
    if s.day == 1 and s.month % 3 == 1 and e == s + pd.offsets.QuarterEnd(0):
        return f"Q{(s.month - 1) // 3 + 1} {s.year}"
    if s.month == 1 and s.day == 1 and e == s + pd.offsets.YearEnd(0):
        return str(s.year)
    return f"{s:%Y-%m-%d} to {e:%Y-%m-%d}"


def _title(prefix: str, name, owner) -> str:
    own = "" if owner is None or (isinstance(owner, float) and np.isnan(owner)) or owner == "" else f" ({owner})"
    return f"{prefix} {name}{own}"


def _group_keys(frame: pd.DataFrame, name_col: str, flagged: pd.Series) -> list[tuple]:
    """The (name, owner) groups to chart: all, or the MAX_CHARTS with most flags."""
    keys = frame[name_col].astype(str) + "\x00" + frame["owner"].astype(object).where(frame["owner"].notna(), "").astype(str)
    counts = flagged.groupby(keys, sort=False).sum()
    order = sorted(counts.index, key=lambda k: (-counts[k], k.casefold()))[:MAX_CHARTS]
    return sorted(order, key=str.casefold), keys


def _owner(v):
    return None if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v == "" else v


def _chart_rows(keys: pd.Series, chosen: list, order: np.ndarray) -> list[np.ndarray]:
    """Each chosen chart's row positions, in `order` (a stable sort of the whole frame):
    one grouping pass instead of one scan of the frame per chart. A subset of a stably
    sorted frame is that subset stably sorted, so each chart's rows are in the order the
    chart's own sort would give."""
    codes = pd.Categorical(keys.to_numpy(), categories=chosen).codes[order]  # -1: not charted
    rows, codes = order[codes >= 0], codes[codes >= 0]
    by_chart = np.argsort(codes, kind="stable")
    rows, codes = rows[by_chart], codes[by_chart]
    bounds = np.searchsorted(codes, np.arange(len(chosen) + 1))
    return [rows[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _labels(starts, ends) -> list[str]:
    """period_label of each row, each distinct period worded once (every item shares the months)."""
    seen: dict = {}
    return [seen[p] if p in seen else seen.setdefault(p, period_label(*p)) for p in zip(starts, ends, strict=True)]


def _period_charts(frame: pd.DataFrame, name_col: str, flags: tuple[str, ...], kind: str, prefix: str,
                   figures) -> pd.DataFrame:
    """One chart per name (and owner) of a per-period frame, its periods in order;
    figures(rows, flagged) gives the chart's own columns (row by row, so all charts' rows
    are computed at once)."""
    if frame.empty:
        return pd.DataFrame(columns=COLUMNS)
    frame = frame.reset_index(drop=True)
    chosen, keys = _group_keys(frame, name_col, frame["status"].isin(flags))
    order = np.argsort(pd.to_datetime(frame["start"]).to_numpy(), kind="stable")
    charts = _chart_rows(keys, chosen, order)
    firsts = [int(rows[0]) for rows in charts]
    owners = [_owner(frame["owner"].iloc[i]) for i in firsts]
    titles = [_title(prefix, frame[name_col].iloc[i], o) for i, o in zip(firsts, owners, strict=True)]
    sizes = [len(rows) for rows in charts]
    g = frame.take(np.concatenate(charts))
    owner = np.repeat(np.array(owners, dtype=object), sizes)
    if any(o is None for o in owners):  # None stays None beside owners' names (not a string column's NaN)
        owner = pd.Series(owner, dtype=object)
    return pd.DataFrame({
        "chart": np.repeat(np.array(titles, dtype=object), sizes), "kind": kind,
        "name": g[name_col].to_numpy(), "owner": owner,
        "label": _labels(g["start"], g["end"]),
        "date": pd.to_datetime(g["end"]).to_numpy(),
        **figures(g, g["status"].isin(flags).to_numpy()), "status": g["status"].to_numpy()}).reindex(columns=COLUMNS)


def _stock_figures(g: pd.DataFrame, flagged: np.ndarray) -> dict:
    book = g["expected_ending"].astype(float)
    tol = g["tolerance_pct"].astype(float).fillna(0.0) / 100.0
    low, high = book - book.abs() * tol, book + book.abs() * tol
    counted = pd.to_numeric(g["counted_ending"], errors="coerce").astype(float)
    return {"book": book.to_numpy(), "counted": counted.to_numpy(), "tolerance_low": low.to_numpy(),
            "tolerance_band": (high - low).to_numpy(), "tolerance_high": high.to_numpy(),
            "flagged": np.where(flagged, counted.fillna(book), np.nan)}


def _supply_figures(g: pd.DataFrame, flagged: np.ndarray) -> dict:
    avail = g["available"].astype(float)
    return {"available": avail.to_numpy(), "shipped": g["shipped_equivalent"].astype(float).to_numpy(),
            "losses": g["losses_equivalent"].astype(float).to_numpy(),
            "on_hand": g["on_hand_equivalent"].astype(float).to_numpy(),
            "flagged": np.where(flagged, avail, np.nan)}


def stock_rows(b: pd.DataFrame) -> pd.DataFrame:
    """Per item and owner, month by month: the book against the count, with its band."""
    return _period_charts(b, "item", FLAG_BALANCE, "stock", "Stock of", _stock_figures)


def supply_rows(sp: pd.DataFrame) -> pd.DataFrame:
    """Per organic ingredient and owner, period by period: available against where it went."""
    return _period_charts(sp, "ingredient", FLAG_SUPPLY, "supply", "Supply of organic", _supply_figures)


def yield_rows(y: pd.DataFrame) -> pd.DataFrame:
    if y.empty:
        return pd.DataFrame(columns=COLUMNS)
    y = y.reset_index(drop=True).copy()
    y["yield_pct"] = pd.to_numeric(y["yield_pct"], errors="coerce").astype(float)
    for c in ("input", "output"):
        y[c] = pd.to_numeric(y[c], errors="coerce").astype(float)
    key = name_keys(y["product"].astype(str))   # a few products over many runs: each keyed once
    odd, typical = yield_outliers(y, key)
    odd = odd | (y["output"] > y["input"] + 0.005)   # made more than went in
    y = y.assign(_odd=odd, _typ=typical, owner=None)   # a run's yield is the product's, whoever owns it
    chosen, keys = _group_keys(y, "product", y["_odd"])
    order = y.sort_values(["date", "batch"], kind="stable").index.to_numpy()  # positions: y's index is 0..n-1
    charts = _chart_rows(keys, chosen, order)
    typical = y["_typ"].astype(float).to_numpy()
    titles, kept, typ = [], [], []
    for rows in charts:
        title = _title("Yield of", y["product"].iloc[rows[0]], None)
        if len(rows) > MAX_RUNS:
            title += f" (latest {MAX_RUNS} runs)"
        rows = rows[-MAX_RUNS:]
        t = pd.Series(typical[rows])
        titles.append(title)
        kept.append(rows)
        typ.append(t.fillna(t.median()).to_numpy())   # a run that gained has no median of its own
    g = y.take(np.concatenate(kept))
    return pd.DataFrame({
        "chart": np.repeat(np.array(titles, dtype=object), [len(r) for r in kept]), "kind": "yield",
        "name": g["product"].to_numpy(), "owner": None,
        "label": g["batch"].astype(str).to_numpy(), "date": pd.to_datetime(g["date"]).to_numpy(),
        "yield_pct": g["yield_pct"].to_numpy(),
        "typical_yield_pct": np.concatenate(typ),
        "outlier": np.where(g["_odd"], g["yield_pct"], np.nan)}).reindex(columns=COLUMNS)


def dashboard_frame(rec: Reconciliation) -> pd.DataFrame:
    """One row per point of every chart, charts in order (stock, supply, yield), each
    chart's rows consecutive."""
    parts = [stock_rows(rec.balances), supply_rows(rec.supply), yield_rows(rec.yields)]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    out = pd.concat(parts, ignore_index=True)
    for c in ("book", "counted", "tolerance_low", "tolerance_band", "tolerance_high", "flagged", "available",
              "shipped", "losses", "on_hand", "yield_pct", "typical_yield_pct", "outlier"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64")
    return out


def chart_blocks(frame: pd.DataFrame) -> list[tuple[str, str, int, int]]:
    """(title, kind, first row, last row) of each chart: its consecutive rows."""
    if frame.empty:
        return []
    title = frame["chart"].astype(str).to_numpy()
    starts = np.flatnonzero(np.r_[True, title[1:] != title[:-1]])
    ends = np.r_[starts[1:] - 1, len(title) - 1]
    kinds = frame["kind"].astype(str).to_numpy()
    return [(str(title[a]), str(kinds[a]), int(a), int(b)) for a, b in zip(starts, ends, strict=True)]
