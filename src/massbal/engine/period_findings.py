"""The findings that belong to a period: those of rows dated inside it, plus those about
the book as a whole (a missing table, an Items row, a certificate). A Q1 export must not
list, or count on its cover, what went wrong in October.

A row's date is its Date cell as typed (read the same way as the figures read it); a
BatchInputs row takes the date of its batch. A finding whose row has no readable date
(the date itself is the problem, or the batch is unknown) cannot be placed and is kept:
hiding it could hide the very mistake that matters.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .parse import parse_date, parse_text
from .rawbook import RawBook, RawTable
from .schema import header_key, name_keys


def _column(t: RawTable, name: str) -> pd.Series | None:
    for i, h in enumerate(t.headers):
        if header_key(h) == name:
            return t.data[i]
    return None


def _dates(t: RawTable, date1904: bool) -> pd.Series | None:
    col = _column(t, "date")
    if col is None:
        return None
    return pd.Series(parse_date(col, date1904).values.to_numpy(), index=t.rows)


def row_dates(raw: RawBook) -> dict[str, pd.Series]:
    """sheet -> (worksheet row -> date, NaT where unreadable), for every dated input sheet."""
    out: dict[str, pd.Series] = {}
    for t in raw.tables.values():
        d = _dates(t, raw.date1904)
        if d is not None:
            out[t.sheet] = d
    inputs, batches = raw.get("BatchInputs"), raw.get("Batches")
    if inputs is not None and batches is not None and inputs.sheet not in out:
        b_col, i_col, b_dates = _column(batches, "batch"), _column(inputs, "batch"), _dates(batches, raw.date1904)
        if b_col is not None and i_col is not None and b_dates is not None:
            keys = name_keys(parse_text(b_col).values)
            first = pd.Series(b_dates.to_numpy(), index=keys.to_numpy())
            first = first[~first.index.duplicated()]
            wanted = name_keys(parse_text(i_col).values)
            out[inputs.sheet] = pd.Series(first.reindex(wanted.to_numpy()).to_numpy(), index=inputs.rows)
    return out


def findings_in_period(findings: pd.DataFrame, raw: RawBook, start, end) -> pd.DataFrame:
    """The findings of rows dated in [start, end] (inclusive), and every one that no date places."""
    if not len(findings):
        return findings
    lo, hi = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    dates = row_dates(raw)
    when = np.full(len(findings), np.datetime64("NaT"), dtype="datetime64[ns]")
    sheets = findings["sheet"].to_numpy()
    rows = findings["row"]
    for sheet, by_row in dates.items():
        here = (sheets == sheet) & rows.notna().to_numpy()
        if here.any():
            by_row = by_row[~by_row.index.duplicated()]
            when[here] = by_row.reindex(rows[here].astype("int64").to_numpy()).to_numpy()
    when = pd.Series(when, index=findings.index)
    keep = when.isna() | ((when >= lo) & (when <= hi))
    return findings[keep.to_numpy()].reset_index(drop=True)
