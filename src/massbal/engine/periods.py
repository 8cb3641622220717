"""Reporting periods: [from, to] split into calendar months, quarters or years."""
from __future__ import annotations

from datetime import date
from typing import Literal

import pandas as pd

PeriodKind = Literal["month", "quarter", "year", "all"]
_FREQ = {"month": "MS", "quarter": "QS", "year": "YS"}


def split(start: pd.Timestamp, end: pd.Timestamp, kind: PeriodKind) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Inclusive (start, end) pairs covering [start, end]; the first and last are clipped."""
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if end < start:
        raise ValueError(f"the period ends ({end:%Y-%m-%d}) before it starts ({start:%Y-%m-%d})")
    if kind == "all":
        return [(start, end)]
    if kind not in _FREQ:
        raise ValueError(f"unknown period {kind!r}: use month, quarter, year or all")
    offset = pd.tseries.frequencies.to_offset(_FREQ[kind])
    first = offset.rollback(start) if not offset.is_on_offset(start) else start
    bounds = list(pd.date_range(first, end, freq=_FREQ[kind]))
    out = []
    for i, b in enumerate(bounds):
        nxt = bounds[i + 1] if i + 1 < len(bounds) else (b + offset)
        s, e = max(b, start), min(nxt - pd.Timedelta(days=1), end)
        if s <= e:
            out.append((s, e))
    return out


def data_span(dates: pd.Series, kind: PeriodKind) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The whole span of the data, widened to whole periods so counts at period ends line up."""
    d = dates.dropna()
    if d.empty:
        return None
    lo, hi = d.min().normalize(), d.max().normalize()
    if kind in _FREQ:
        offset = pd.tseries.frequencies.to_offset(_FREQ[kind])
        if not offset.is_on_offset(lo):
            lo = offset.rollback(lo)
        end_off = {"month": pd.offsets.MonthEnd(), "quarter": pd.offsets.QuarterEnd(),
                   "year": pd.offsets.YearEnd()}[kind]
        if not end_off.is_on_offset(hi):
            hi = end_off.rollforward(hi)
    return lo, hi


def to_date(value) -> date | None:
    if value is None:
        return None
    return pd.Timestamp(value).date()
