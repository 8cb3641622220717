"""Helpers for the investigation tests: apply a candidate's correction to the workbook as
a user would (edit the cell, or delete the row) and reconcile again from scratch."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from massbal.engine.api import reconcile
from massbal.engine.rawbook import RawBook


def corrected(raw: RawBook, cand) -> RawBook:
    """The workbook with the candidate's cell changed to its suggested value (a duplicate
    row deleted; a Batch filled in; a date moved)."""
    table = next(n for n, t in raw.tables.items() if t.sheet == cand["sheet"])
    t = raw.tables[table]
    pos = int(np.flatnonzero(np.asarray(t.rows) == int(cand["row"]))[0])
    data = t.data.copy()
    rows = np.asarray(t.rows)
    if cand["cause"] == "DUPLICATE_ROW":
        keep = np.arange(len(data)) != pos
        data, rows = data[keep].reset_index(drop=True), rows[keep]
    else:
        col = list(t.headers).index(cand["column"])
        data.iat[pos, col] = cand["suggested"]
    tables = dict(raw.tables)
    tables[table] = dataclasses.replace(t, data=data, rows=rows)
    return dataclasses.replace(raw, tables=tables)


def figure_after(raw: RawBook, cand, start, end, period="month", which="") -> pd.Series:
    """The flagged figure (or, with which='other_', the other period's) recomputed in full
    on the corrected workbook."""
    rec = reconcile(corrected(raw, cand), start, end, period=period)
    frame = rec.balances if cand["figure"] == "Balance" else rec.supply
    name = "item" if cand["figure"] == "Balance" else "ingredient"
    s = pd.Timestamp(cand[which + "start"] if which else cand["start"])
    sub = frame[(frame[name] == cand["item"]) & (frame["start"] == s)]
    assert len(sub) == 1, sub
    return sub.iloc[0]


def assert_recomputed(raw: RawBook, inv: pd.DataFrame, start, end, period="month") -> int:
    """Every candidate's figures equal a full reconcile of the corrected workbook."""
    n = 0
    for cand in inv[inv["cause"].notna()].to_dict("records"):
        full = figure_after(raw, cand, start, end, period)
        var = "variance" if cand["figure"] == "Balance" else "unaccounted"
        assert abs(full[var] - cand["variance_after"]) < 1e-6, (cand, full)
        assert full["status"] == cand["status_after"], (cand, full)
        if cand["figure"] == "Balance":
            assert (pd.isna(full["variance_pct"]) and pd.isna(cand["variance_pct_after"])) or \
                full["variance_pct"] == cand["variance_pct_after"], (cand, full)
        if isinstance(cand.get("other_status_after"), str):
            other = figure_after(raw, cand, start, end, period, "other_")
            assert other["status"] == cand["other_status_after"], (cand, other)
            if other[var] == other[var]:
                assert abs(other[var] - cand["other_variance_after"]) < 1e-6, (cand, other)
        n += 1
    return n
