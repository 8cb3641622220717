"""Investigation candidates as sentences a non-programmer reads (a few rows: plain loops)."""
from __future__ import annotations

import math

import pandas as pd

WHAT = {
    "DIGIT_SHIFT": "a digit shift",
    "TRANSPOSED_DIGITS": "two digits swapped",
    "UNIT_SLIP": "the wrong unit",
    "DUPLICATE_ROW": "the same movement entered twice",
    "WRONG_PERIOD": "a date in the wrong period",
    "UNDOCUMENTED_RUN_LOSS": "a run's loss keyed as something else",
}


def number(v) -> str:
    """1000.0 -> '1,000'; 12.5 -> '12.5'; text as it is."""
    if isinstance(v, str):
        return v
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d")
    v = float(v)
    if abs(v - round(v)) < 1e-9:
        return f"{v:,.0f}"
    return f"{v:,.3f}".rstrip("0").rstrip(".")


def _pct(v) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else f" ({v:+.2f} %)"


def _period(start, end) -> str:
    return f"{pd.Timestamp(start):%Y-%m-%d} to {pd.Timestamp(end):%Y-%m-%d}"


def sentence(r: dict, unit: str, label: str = "the variance") -> str:
    where = f"{r['sheet']} row {r['row']}"
    cause = r["cause"]
    typed, sugg = number(r["typed"]), number(r["suggested"])
    if cause == "DUPLICATE_ROW":
        head = f"{where} repeats an earlier row exactly (entered twice?). Without it"
    elif cause == "WRONG_PERIOD":
        head = f"{where} is dated {typed}; if it belongs on {sugg}, then"
    elif cause == "UNIT_SLIP":
        head = f"{where}: Unit '{typed}' was probably '{sugg}' ({WHAT[cause]}). With {sugg}"
    elif cause == "UNDOCUMENTED_RUN_LOSS" and r["column"] == "Batch":
        head = (f"{where} looks like run {sugg}'s process loss entered as a stock loss: with {sugg} in its "
                "Batch column")
    elif cause == "UNDOCUMENTED_RUN_LOSS":
        head = (f"{where}: Quantity {typed} was probably {sugg} (the run's undocumented loss is this "
                f"difference). With {sugg}")
    else:
        head = f"{where}: Quantity {typed} was probably {sugg} ({WHAT.get(cause, cause)}). With {sugg}"
    after = r["variance_after"]
    if after is None or (isinstance(after, float) and math.isnan(after)):
        text = f"{head} the book stock stays above zero ({r['status_after']})."
    else:
        text = f"{head} {label} would be {number(round(float(after), 2))} {unit}{_pct(r.get('variance_pct_after'))}, " \
               f"{r['status_after']}."
    o = r.get("other_status_after")
    if isinstance(o, str) and o:
        ov = r.get("other_variance_after")
        shown = "" if ov is None or (isinstance(ov, float) and math.isnan(ov)) else \
            f"its variance would be {number(round(float(ov), 2))} {unit}, "
        text += f" It also changes {_period(r['other_start'], r['other_end'])}: {shown}{o}."
    return text


def sentences(frame: pd.DataFrame, unit: str, label: str = "the variance") -> list[str]:
    return [sentence(r, unit, label) for r in frame.to_dict("records")]
