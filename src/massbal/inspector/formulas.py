"""The live formulas of the inspector's copy.

Balance, Supply by item, Supply and Yield are recomputed by Excel (or LibreOffice)
from the exported Ledger table, so an inspector can see where each number comes from
and change a ledger quantity to see it move. Only forms both programs compute are
used: SUMIFS/COUNTIFS/SUMPRODUCT over whole table columns (`Ledger[Quantity]`) and
this-row references (`Balance[[#This Row],[Item]]`); never `Ledger[#Data]`.

SUMIFS reads * ? ~ in a criterion as wildcards and a leading < > = as a comparison, so
a name holding one of those is matched through an escaped literal instead of its cell.
Excel's SUMIFS also reads numeric-looking text as a number (lot '0012' equals '12', and
digits past the 15th are lost), so names are never matched directly: each name column a
criterion looks at has a key column massbal writes beside it ('Item key': 'k:0012'),
which no spreadsheet reads as a number, and the criterion is 'k:' & the name.
SUMPRODUCT's `=` has no wildcards and compares text as text, which is why the
ingredient-weighted sums use it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from massbal.engine.supply import ROUNDING_SHARE, ROUNDING_UNITS

from .xlsx_report import col_ref, this_row

EPS = "0.000001"
L = "Ledger"


KEY_PREFIX = "k:"


def key_header(column: str) -> str:
    """The key column massbal writes beside a name column that criteria match on."""
    return f"{column} key"


def key_values(values: pd.Series) -> pd.Series:
    """'k:' + the name as text ('k:' alone for a blank): never a number to a spreadsheet.
    Text, so the sheet writer never walks it a value at a time; each distinct name made once."""
    s = values.astype(object)
    codes, uniq = pd.factorize(s)   # a blank (None, NaN, <NA>) is code -1: the last key
    keys = np.asarray([KEY_PREFIX + str(v) for v in uniq.tolist()] + [KEY_PREFIX], dtype=object)
    return pd.Series(keys[codes], index=s.index, dtype="string")


def crit(table: str, column: str, value) -> str:
    """A SUMIFS criterion matching `value` exactly (blank matches blank) in the key column."""
    if isinstance(value, str) and any(ch in value for ch in "*?~"):
        esc = value.replace("~", "~~").replace("*", "~*").replace("?", "~?").replace('"', '""')
        return f'"{KEY_PREFIX}{esc}"'
    return f'"{KEY_PREFIX}"&{this_row(table, column)}'


def match(source: str, table: str, column: str, value) -> str:
    """A SUMIFS range-criterion pair: `source`'s key column of `column` equals this row's name."""
    return f"{col_ref(source, key_header(column))},{crit(table, column, value)}"


def _in_period(t: str, date_col: str = "Date", table: str = L) -> str:
    return (f'{col_ref(table, date_col)},">="&{this_row(t, "Start")},'
            f'{col_ref(table, date_col)},"<="&{this_row(t, "End")}')


# ------------------------------------------------------------------ Balance

def balance(t: str, item: str, owner, farm: bool = False) -> dict[str, str]:
    """Formulas of one Balance row, by column header (a farm's book has Harvested, Farm use
    and Applied columns too)."""
    r = lambda c: this_row(t, c)  # noqa: E731
    who = f'{match(L, t, "Item", item)},{match(L, t, "Owner", owner)}'
    qty, eff = col_ref(L, "Quantity"), col_ref(L, "Effect")
    kind = col_ref(L, "Kind")
    date = col_ref(L, "Date")
    anchor = r("Opening count date")

    def flow(k: str) -> str:
        return f'SUMIFS({qty},{who},{kind},"{k}",{_in_period(t)})'
    f = {
        "Beginning": (f'IF({anchor}="",SUMIFS({eff},{who},{date},"<"&{r("Start")}),'
                      f'SUMIFS({qty},{who},{kind},"count",{date},{anchor})'
                      f'+SUMIFS({eff},{who},{date},">"&{anchor},{date},"<"&{r("Start")}))'),
        "Received": flow("receipt"), "Produced": flow("produced"), "Used": flow("used"),
        "Shipped": flow("shipped"), "Losses": flow("loss"),
        "Expected ending": (f'{r("Beginning")}+{r("Received")}+{r("Produced")}-{r("Used")}'
                            f'-{r("Shipped")}-{r("Losses")}'
                            + (f'+{r("Harvested")}-{r("Farm use")}-{r("Applied")}' if farm else "")),
        "Counted ending": (f'IF(COUNTIFS({who},{kind},"count",{date},{r("End")})>0,'
                           f'SUMIFS({qty},{who},{kind},"count",{date},{r("End")}),"")'),
        "Variance": f'IF({r("Counted ending")}="","",{r("Counted ending")}-{r("Expected ending")})',
        "Variance %": (f'IF({r("Variance")}="","",IF({r("Expected ending")}<={EPS},"",'
                       f'ROUND(100*{r("Variance")}/{r("Expected ending")},2)))'),
        "Status": (f'IF({r("Lowest book balance")}<-{EPS},"NEGATIVE",IF({r("Counted ending")}="","NO COUNT",'
                   f'IF(ABS({r("Variance")})<={EPS},"PASS",IF({r("Variance %")}="","INVESTIGATE",'
                   f'IF(ABS({r("Variance %")})<={r("Tolerance %")},"PASS","INVESTIGATE")))))'),
    }
    if farm:
        f.update({"Harvested": flow("harvested"), "Farm use": flow("farm use"), "Applied": flow("applied")})
    return {k: "=" + v for k, v in f.items()}


# ------------------------------------------------------------------ Supply by item

def supply_detail(t: str, share_col: str, farm: bool = False) -> dict[str, str]:
    """Formulas of one 'Supply by item' row: the item's stock in ingredient equivalents
    (each ledger row's quantity times its share of the ingredient)."""
    r = lambda c: this_row(t, c)  # noqa: E731
    qty, eff, share = col_ref(L, "Quantity"), col_ref(L, "Effect"), col_ref(L, share_col)
    kind, date = col_ref(L, "Kind"), col_ref(L, "Date")
    who = f'({col_ref(L, "Item")}={r("Item")})*({col_ref(L, "Owner")}={r("Owner")})'
    period = f'({date}>={r("Start")})*({date}<={r("End")})'
    anchor = r("Opening count date")

    def flow(k: str) -> str:
        return f'SUMPRODUCT({qty},{share},{who}*({kind}="{k}")*{period})'
    counted_at_end = f'{who}*({kind}="count")*({date}={r("End")})'
    f = {
        "Opening": (f'IF({anchor}="",SUMPRODUCT({eff},{share},{who}*({date}<{r("Start")})),'
                    f'SUMPRODUCT({qty},{share},{who}*({kind}="count")*({date}={anchor}))'
                    f'+SUMPRODUCT({eff},{share},{who}*({date}>{anchor})*({date}<{r("Start")})))'),
        "Received": flow("receipt"), "Produced": flow("produced"), "Used": flow("used"),
        "Shipped": flow("shipped"), "Losses": flow("loss"),
        "Book at end": (f'{r("Opening")}+{r("Received")}+{r("Produced")}-{r("Used")}-{r("Shipped")}-{r("Losses")}'
                        + (f'+{r("Harvested")}-{r("Farm use")}' if farm else "")),
        "Counted at end": (f'IF(SUMPRODUCT({counted_at_end})>0,'
                           f'SUMPRODUCT({qty},{share},{counted_at_end}),"")'),
        # stock is never below zero: what the books sent below zero is 'Short' (OVERSOLD)
        "Opening held": f'MAX(0,{r("Opening")})',
        "On hand": f'MAX(0,IF({r("Counted at end")}="",{r("Book at end")},{r("Counted at end")}))',
        "Short": f'MAX(0,-{r("Book at end")})+MAX(0,-{r("Opening")})',
    }
    if farm:  # organic harvests come in like receipts; seed, feed and inputs used go out
        f.update({"Harvested": flow("harvested"), "Farm use": f'{flow("farm use")}+{flow("applied")}'})
    return {k: "=" + v for k, v in f.items()}


# ------------------------------------------------------------------ Supply

def supply(t: str, d: str, y: str, ingredient: str, owner, share_col: str, farm: bool = False) -> dict[str, str]:
    """Formulas of one Supply row: sums of its 'Supply by item' rows (table d), plus the
    ingredient's share of each run's process loss from the Yield table (y)."""
    r = lambda c: this_row(t, c)  # noqa: E731
    rows = (f'{match(d, t, "Ingredient", ingredient)},{match(d, t, "Owner", owner)},'
            f'{col_ref(d, "Start")},{r("Start")},{col_ref(d, "End")},{r("End")}')
    allowance = f'MAX({ROUNDING_UNITS},{ROUNDING_SHARE}*MAX({r("Available")},0))'
    band = f'{r("Tolerance %")}/100*MAX({r("Available")},0)+{allowance}'
    run_loss = (f'SUMPRODUCT({col_ref(y, "Process loss")},{col_ref(y, share_col)},'
                f'({col_ref(y, "Owner")}={r("Owner")})*({col_ref(y, "Date")}>={r("Start")})'
                f'*({col_ref(y, "Date")}<={r("End")}))')
    f = {
        "Available": f'SUMIFS({col_ref(d, "Opening held")},{rows})+SUMIFS({col_ref(d, "Received")},{rows})',
        "Shipped equivalent": f'SUMIFS({col_ref(d, "Shipped")},{rows})',
        "Losses equivalent": f'SUMIFS({col_ref(d, "Losses")},{rows})+{run_loss}',
        "On hand equivalent": f'SUMIFS({col_ref(d, "On hand")},{rows})',
        "Unaccounted": (f'{r("Available")}-{r("Shipped equivalent")}-{r("Losses equivalent")}'
                        f'-{r("On hand equivalent")}' + (f'-{r("Farm use equivalent")}' if farm else "")),
        "Book short": f'SUMIFS({col_ref(d, "Short")},{rows})',
        # compute_supply's rule: a book short beyond the rounding allowance, or counts finding
        # more than the inputs explain beyond the tolerance band, is OVERSOLD
        "Status": (f'IF(OR({r("Book short")}>{allowance},{r("Unaccounted")}<-({band})),"OVERSOLD",'
                   f'IF(ABS({r("Unaccounted")})>{band},"INVESTIGATE","PASS"))'),
    }
    if farm:
        f["Available"] += f'+SUMIFS({col_ref(d, "Harvested")},{rows})'
        f["Farm use equivalent"] = f'SUMIFS({col_ref(d, "Farm use")},{rows})'
    return {k: "=" + v for k, v in f.items()}


# ------------------------------------------------------------------ Yield, Ledger, Certificates

def yield_row(t: str, batch: str) -> dict[str, str]:
    r = lambda c: this_row(t, c)  # noqa: E731
    who = match(L, t, "Batch", batch)
    qty, kind = col_ref(L, "Quantity"), col_ref(L, "Kind")
    f = {
        "Input": f'SUMIFS({qty},{who},{kind},"used")',
        "Output": f'SUMIFS({qty},{who},{kind},"produced")',
        "Process loss": f'{r("Input")}-{r("Output")}',
        "Documented loss": f'SUMIFS({qty},{who},{kind},"process loss")',
        "Undocumented loss": f'{r("Process loss")}-{r("Documented loss")}',
        "Yield %": f'IF({r("Input")}>0,ROUND(100*{r("Output")}/{r("Input")},2),"")',
    }
    return {k: "=" + v for k, v in f.items()}


def ledger_effect(farm: bool = False) -> str:
    k, q = this_row(L, "Kind"), this_row(L, "Quantity")
    if farm:  # harvests come in, the farm's own use and applications go out
        return (f'=IF(OR({k}="receipt",{k}="produced",{k}="harvested"),{q},'
                f'IF(OR({k}="used",{k}="shipped",{k}="loss",{k}="farm use",{k}="applied"),-{q},0))')
    return (f'=IF(OR({k}="receipt",{k}="produced"),{q},'
            f'IF(OR({k}="used",{k}="shipped",{k}="loss"),-{q},0))')


def certificate_row(t: str, certificate: str, start: str, end: str) -> dict[str, str]:
    """start/end: DATE(y,m,d) texts of the copy's period."""
    r = lambda c: this_row(t, c)  # noqa: E731
    who = f'{match(L, t, "Certificate", certificate)},{col_ref(L, "Kind")},"receipt"'
    f = {
        "Valid at period end": (f'IF(AND(OR({r("Valid from")}="",{r("Valid from")}<={end}),'
                                f'{r("Valid to")}>={end}),"Yes","No")'),
        "Receipts in period": (f'COUNTIFS({who},{col_ref(L, "Date")},">="&{start},'
                               f'{col_ref(L, "Date")},"<="&{end})'),
        "Quantity received in period": (f'SUMIFS({col_ref(L, "Quantity")},{who},{col_ref(L, "Date")},">="&{start},'
                                        f'{col_ref(L, "Date")},"<="&{end})'),
    }
    return {k: "=" + v for k, v in f.items()}
