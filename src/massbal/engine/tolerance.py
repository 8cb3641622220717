"""Reading a Tolerance % as the user meant it.

0.5 in a Tolerance % cell means 0.5 % (ISCC accepts 0.5 % between book and stock), so it
is never multiplied by 100 on a guess. Only a cell whose number format is a percentage
(0.005 shown as 0.5 %) holds a fraction, and only the face that read the workbook can
see formats: it says so per cell (RawTable.percent), or says nothing (formats unknown).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

# Above this a tolerance hides real losses: half the stock could vanish and still PASS.
MAX_TOLERANCE_PCT = 50.0


_QUOTED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')


def is_percent_code(code: str | None) -> bool:
    """A number format shows a percentage when a % stands outside quotes, escapes and [...]."""
    return bool(code) and "%" in _QUOTED.sub("", code)


@dataclass(frozen=True)
class Tolerance:
    pct: float | None  # the tolerance in percent; None: not usable (use the next one down)
    severity: str | None = None  # of the finding to report at the cell, if any
    message: str | None = None


def read_tolerance(value: float, percent_format: bool | None, *, has_percent_sign: bool = False,
                   fallback: str = "the default tolerance") -> Tolerance:
    """One Tolerance % cell. percent_format: the cell is formatted as a percentage (True),
    is not (False), or the face cannot tell (None)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return Tolerance(None)
    shown = f"{value:g}"
    pct = value * 100 if percent_format else value
    if pct < 0 or pct > MAX_TOLERANCE_PCT or not math.isfinite(pct):
        as_read = f"{pct:g} %" + (f" (the cell holds {shown}, formatted as a percentage)" if percent_format else "")
        return Tolerance(None, "error", f"Tolerance % of {as_read} is not a tolerance massbal can use: it "
                         f"must lie between 0 and {MAX_TOLERANCE_PCT:g} %. Type, for example, 2 for 2 %; "
                         f"until then {fallback} is used.")
    if percent_format is None and not has_percent_sign and 0 < value < 1:
        return Tolerance(pct, "warning", f"Tolerance % is read as {shown} % (less than one percent). If "
                         f"you meant {value * 100:g} %, type {value * 100:g}.")
    return Tolerance(pct)


def read_tolerance_column(values: pd.Series, percent_format: pd.Series | None,
                          fallback: str = "the default tolerance") -> tuple[pd.Series, list[Tolerance]]:
    """A whole Tolerance % column (a handful of Items rows): the tolerances in percent
    (NaN where blank or unusable) and, per row, what to report."""
    fmt = [None] * len(values) if percent_format is None else list(percent_format)
    read = [read_tolerance(float(v) if pd.notna(v) else float("nan"), None if f is None else bool(f),
                           fallback=fallback)
            for v, f in zip(values, fmt, strict=True)]
    pct = pd.Series(np.array([np.nan if t.pct is None else t.pct for t in read], dtype=float), index=values.index)
    return pct, read
