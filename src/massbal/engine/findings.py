"""Findings: every problem massbal sees, as data that carries its place in the workbook.

As in beancount, checks never raise: each returns a frame of findings, and one run
reports every problem at once. A frame (not a list of objects) keeps a million bad
rows affordable.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

import numpy as np
import pandas as pd

from .frames import TEXT, text_by_code

Severity = Literal["error", "warning", "info"]

CODES = (
    "MISSING_TABLE", "MISSING_COLUMN", "MISSING_VALUE", "BAD_DATE", "BAD_QUANTITY",
    "BAD_UNIT", "UNKNOWN_ITEM", "UNKNOWN_LOT", "UNKNOWN_BATCH", "DUPLICATE_LOT",
    "LOT_OVERDRAWN", "NEGATIVE_BALANCE", "CERT_MISSING", "CERT_UNKNOWN", "CERT_EXPIRED",
    "CERT_SCOPE", "COMMINGLED", "LOT_CYCLE", "UNDOCUMENTED_LOSS", "YIELD_OUTLIER",
    "VARIANCE_OVER_TOLERANCE",
    # added by massbal beyond the contract's list
    "BAD_VALUE", "CERT_EXPIRING", "SUPPLY_OVERSOLD", "NAME_VARIANT", "ROWS_BELOW_TABLE",
    "VARIANCE_TREND",
    "CLOSED_PERIOD_CHANGED",  # CONTRACT section 8 (engine.closing)
    # crop farms (CONTRACT section 6)
    "HARVEST_OVER_EXPECTED", "SEEDING_RATE", "PROHIBITED_INPUT", "UNKNOWN_FIELD", "FIELD_NOT_ORGANIC",
    # livestock (CONTRACT section 6)
    "HEAD_COUNT", "FEED_SHORTFALL", "NONORGANIC_FEED", "PASTURE_DMI", "GRAZING_SEASON",
    "OUTPUT_OVER_EXPECTED", "UNKNOWN_HERD", "HERD_MOVE",
)

COLUMNS = ["severity", "code", "sheet", "row", "column", "cell", "message"]
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="Int64" if c == "row" else object) for c in COLUMNS})


def make(severity: Severity, code: str, sheet: str | None, rows, column: str | None,
         cell_letter: str | None, messages) -> pd.DataFrame:
    """Findings for many rows of one column at once.

    rows: worksheet row numbers (array-like) or a single int/None; messages: one string
    or one per row.
    """
    assert code in CODES, code
    if rows is None or np.isscalar(rows):
        rows = [rows]
    rows = pd.array(list(rows) if not isinstance(rows, (np.ndarray, pd.Series)) else rows,
                    dtype="Int64")
    n = len(rows)
    if n == 0:
        return empty()
    if isinstance(messages, str):
        messages = [messages] * n
    msgs = cap_messages(pd.Series(list(messages) if not isinstance(messages, pd.Series) else messages.to_numpy(),
                                  dtype=object))
    if cell_letter and TEXT != object and not rows.isna().any():
        # pandas 3: the cells made as the text column the frame would make of them, not as
        # Python strings it then converts one by one (every row given: no missing cell)
        cells = (cell_letter + pd.Series(rows).astype(TEXT)).array
    elif cell_letter:
        cells = (cell_letter + pd.Series(rows).astype("string").fillna("")).astype(object)
        cells = cells.where(pd.Series(rows).notna().to_numpy(), None).to_numpy()
    else:
        cells = np.full(n, None, dtype=object)
    one = np.zeros(n, dtype=np.intp)  # the columns every finding of the call shares, by code
    return pd.DataFrame({
        "severity": text_by_code(np.array([severity], dtype=object), one),
        "code": text_by_code(np.array([code], dtype=object), one),
        "sheet": text_by_code(np.array([sheet], dtype=object), one),
        "row": rows,
        "column": text_by_code(np.array([column], dtype=object), one),
        "cell": cells,
        "message": msgs.to_numpy(),
    })


# A message quotes what the user typed; a name thousands of characters long would make the
# message longer than an Excel cell holds (32,767) and bury the advice that follows it.
MAX_MESSAGE = 1_000
MAX_QUOTED = 80
_LONG_QUOTE = re.compile(rf"'([^']{{{MAX_QUOTED + 1},}})'")


def _shorten_quote(m: re.Match) -> str:
    text = m.group(1)
    return f"'{text[:MAX_QUOTED - 20]}…' ({len(text):,} characters)"


def cap_messages(msgs: pd.Series) -> pd.Series:
    """Messages with long quoted names cut to their start; any still too long cut at the end."""
    values = msgs.to_numpy()
    try:  # the usual case, every message short: their lengths in one C-level pass
        if not len(values) or max(map(len, values)) <= MAX_MESSAGE:
            return msgs
    except TypeError:  # a value without a length (None): the loop below tells text apart
        pass
    # one plain loop over the values (no Series.map per message: findings run to 100k rows)
    long = pd.Series(np.fromiter((isinstance(m, str) and len(m) > MAX_MESSAGE for m in msgs.to_numpy()),
                                 dtype=bool, count=len(msgs)), index=msgs.index)
    if not long.any():
        return msgs
    fixed = msgs[long].map(lambda m: _LONG_QUOTE.sub(_shorten_quote, m))
    fixed = fixed.map(lambda m: m if len(m) <= MAX_MESSAGE else m[:MAX_MESSAGE - 1] + "…")
    out = msgs.copy()
    out[long] = fixed
    return out


def amounts(values) -> list[str]:
    """f"{x:,.2f}" of each value (1,234.57), for tens of thousands of messages at once (a
    big book's undocumented run losses): Python's formatting one value at a time was most
    of the yields' time. Each value in whole cents (x * 100 rounded half to even, as Python
    rounds the float itself), the digits, separators and sign placed by position in one
    table of characters. Where x * 100's own rounding could put it on the other side of a
    half cent (or it is not finite, or beyond exact cents) Python formats it, so every
    text is Python's."""
    x = np.asarray(values, dtype=float).ravel()
    if not len(x):
        return []
    with np.errstate(invalid="ignore", over="ignore"):
        y = x * 100
        c = np.rint(y)
        # |y - x * 100| <= |y| * 2**-53: further than twice that from a half cent, y rounds as x does
        exact = np.isfinite(y) & (np.abs(y) < 2.0 ** 52) & (0.5 - np.abs(y - c) > np.abs(y) * 2.0 ** -52)
    cents = np.where(exact, np.abs(c), 0).astype(np.int64)
    whole, frac = cents // 100, cents % 100
    digits = max(len(str(int(whole.max()))), 1)
    width = 1 + digits + (digits - 1) // 3 + 4  # sign, digits and separators, ".dd", end of line
    chars = np.zeros((len(x), width), dtype=np.uint8)  # (zeros: no character, dropped below)
    chars[:, -4] = ord(".")
    chars[:, -3] = ord("0") + frac // 10
    chars[:, -2] = ord("0") + frac % 10
    chars[:, -1] = ord("\n")
    col = width - 5  # the units digit; each further digit one to the left, a separator before every third
    lead = np.full(len(x), col)  # each value's leftmost character so far
    for d in range(digits):
        shown = (whole >= 10 ** d) | (d == 0)
        if d and d % 3 == 0:
            chars[:, col] = np.where(shown, ord(","), 0)
            col -= 1
        chars[:, col] = np.where(shown, ord("0") + (whole // 10 ** d) % 10, 0)
        lead[shown] = col
        col -= 1
    minus = np.signbit(x)  # (-0.001 is "-0.00" in Python too)
    chars[np.flatnonzero(minus), lead[minus] - 1] = ord("-")
    out = chars.tobytes().decode("ascii").replace("\x00", "").split("\n")[:-1]
    for i in np.flatnonzero(~exact).tolist():
        out[i] = f"{x[i]:,.2f}"
    return out


def combine(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return empty()
    out = pd.concat(frames, ignore_index=True)
    # each distinct severity's rank looked up once (three at most), not one row at a time (pandas'
    # map of a text column runs per row): the same ranks, NaN for a missing or unknown severity
    at, severities = pd.factorize(out["severity"])
    order = np.append(pd.Series(severities, dtype=object).map(_SEVERITY_ORDER).to_numpy(dtype=float), np.nan)[at]
    out = out.assign(_o=order).sort_values(["_o", "sheet", "row", "column"], kind="stable",
                                            na_position="first")
    return out.drop(columns="_o").reset_index(drop=True)


def has_errors(findings: pd.DataFrame) -> bool:
    return bool((findings["severity"] == "error").any())
