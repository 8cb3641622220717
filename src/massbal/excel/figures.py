"""The worksheet functions' figures, shared by desktop UDFs and xlwings Lite.

=MASSBAL(item, start, end, owner) and its siblings return one figure of CONTRACT.md
section 2, read from the rows the engine gives a period (cache.BookEntry asks the same
engine calls as Reconcile), so a cell and the Balance sheet never disagree. This module
says what each function is (names, help texts), reads its arguments and picks the
figure, or the sentence the cell shows instead; cache.py keeps the prepared ledgers.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from massbal.engine.schema import name_key
from massbal.xlref import EPOCH_1900, EPOCH_1904

if TYPE_CHECKING:  # cache.py imports this module
    from massbal.excel.cache import BookEntry


class FigureError(ValueError):
    """A figure that cannot be given; the message is the sentence the cell shows."""


@dataclass(frozen=True)
class Figure:
    classic: str  # desktop name (VBA allows no dots)
    lite: str  # xlwings Lite name
    column: str  # column of the engine's balances or supply frame
    table: Literal["balance", "supply", "explain", "crop"]
    doc: str


# What each figure is, by the engine column it reads. The names follow from the column:
# MASSBAL is the expected ending, the others MASSBAL_<COLUMN> (MASSBAL.<COLUMN> in Lite).
_BALANCE_FIGURES = {
    "expected_ending": "Expected ending balance of an item over a period: beginning + received + produced "
                       "- used - shipped - losses, in the report unit.",
    "beginning": "Beginning balance: the last count before the period, rolled forward to its start (or the "
                 "opening count inside the period, where the item's books begin).",
    "received": "Quantity received in the period (Receipts).",
    "produced": "Quantity produced in the period (Batches).",
    "used": "Quantity used by production runs in the period (BatchInputs).",
    "shipped": "Quantity shipped in the period (Shipments).",
    "losses": "Stock losses in the period (Losses rows without a Batch).",
    "counted_ending": "Physical count on the period's end date; empty when there is none.",
    "variance": "Counted ending minus expected ending (negative: less on hand than the books).",
    "variance_pct": "Variance as a percentage of the expected ending (1.5 means 1.5 %).",
    "status": "Status of the balance: PASS, INVESTIGATE, NEGATIVE or NO COUNT.",
}
_SUPPLY_FIGURES = {
    "unaccounted": "Organic supply of an ingredient not accounted for: available - shipped - losses "
                   "- on hand, all as ingredient equivalent. Below zero means more went out than came in.",
}


_EXPLAIN_FIGURES = {
    "explanation": "The likeliest cause of a flagged balance, as a sentence: the cell, the value that would "
                   "close the gap and the variance after (the first row of the Investigations sheet).",
}

# A farm's crop figures (CONTRACT section 6): =MASSBAL_HARVEST_PCT(crop, year); the second
# argument is the season (a year, or any date in it), the third and fourth stay empty.
_CROP_FIGURES = {
    "harvest_pct": "Organic harvest of a crop in a season as a percentage of what its organic fields' acres "
                   "x expected yield should give (the Crop sheet's Harvest %).",
}


def _figure(column: str, table: Literal["balance", "supply", "explain", "crop"], doc: str) -> Figure:
    word = {"expected_ending": "", "counted_ending": "COUNTED", "explanation": "EXPLAIN"}.get(column, column.upper())
    classic = "MASSBAL" + (f"_{word}" if word else "")
    return Figure(classic, classic.replace("_", ".", 1), column, table, doc)


FIGURES: tuple[Figure, ...] = tuple(
    [_figure(c, "balance", d) for c, d in _BALANCE_FIGURES.items()]
    + [_figure(c, "supply", d) for c, d in _SUPPLY_FIGURES.items()]
    + [_figure(c, "explain", d) for c, d in _EXPLAIN_FIGURES.items()]
    + [_figure(c, "crop", d) for c, d in _CROP_FIGURES.items()])
FIGURES_BY_CLASSIC = {f.classic: f for f in FIGURES}

ARG_DOCS = {
    "item": "Item name as on the Items sheet (for MASSBAL_UNACCOUNTED: the organic ingredient).",
    "start_date": "First day of the period: an Excel date or text such as 2025-11-01. Empty: the first day of the data.",
    "end_date": "Last day of the period: an Excel date or text such as 2025-11-30. Empty: the last day of the data.",
    "owner": "Owner, where the workbook keeps stock per owner (co-packing). Empty: stock without an owner.",
}
ARGS = tuple(ARG_DOCS)  # the parameters of every function, in order


def arg_doc(fig: Figure, arg: str) -> str:
    """The function wizard's help for one argument of one function."""
    if fig.table == "supply" and arg == "item":
        return "Organic ingredient, as on the Items sheet."
    if fig.table == "crop":
        return {"item": "Crop, as on the Items or Fields sheet.",
                "start_date": "Season: the harvest year (2025), or any date in it."}.get(arg, "Leave empty.")
    return ARG_DOCS[arg]


# ---------------------------------------------------------------- arguments

_EXCEL_EPOCH = pd.Timestamp(EPOCH_1900)
_EXCEL_EPOCH_1904 = pd.Timestamp(EPOCH_1904)


def blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str) and not value.strip():
        return True
    # Office.js hands a single cell over as [[value]]
    if isinstance(value, (list, tuple)) and len(value) == 1:
        return blank(value[0])
    return False


def _scalar(value: Any) -> Any:
    while isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    return value


def parse_date(value: Any, what: str = "date", date1904: bool = False) -> pd.Timestamp | None:
    """An Excel date (serial number or date value) or ISO text, as a day; None if blank."""
    if blank(value):
        return None
    value = _scalar(value)
    if isinstance(value, (str, int, float, datetime)):
        # A sheet of MASSBAL cells asks the same few dates a thousand times per
        # recalculation: remember each one's day (typed, so TRUE is never taken for 1).
        return _day_of(value, what, date1904)
    return _day_of.__wrapped__(value, what, date1904)


@lru_cache(maxsize=4096, typed=True)
def _day_of(value: Any, what: str, date1904: bool) -> pd.Timestamp:
    if isinstance(value, (datetime, date, pd.Timestamp, np.datetime64)):
        return pd.Timestamp(value).normalize()
    if isinstance(value, bool):
        raise FigureError(f"The {what} is TRUE/FALSE, not a date.")
    if isinstance(value, (int, float, np.integer, np.floating)):
        serial = float(value)
        if not 1 <= serial < 2958466:  # Excel's own range: 1900-01-01 to 9999-12-31
            raise FigureError(f"The {what} {value} is not an Excel date.")
        epoch = _EXCEL_EPOCH_1904 if date1904 else _EXCEL_EPOCH
        return (epoch + pd.Timedelta(days=math.floor(serial))).normalize()
    text = str(value).strip()
    try:
        return pd.Timestamp(datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)).normalize()
    except ValueError:
        raise FigureError(f"The {what} '{text}' is not a date: type it as 2025-11-30 "
                          f"or give an Excel date.") from None


def _text(value: Any) -> str | None:
    if blank(value):
        return None
    value = _scalar(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # an owner or item typed as 1001 arrives as 1001.0
    return str(value).strip()


# ---------------------------------------------------------------- the figure

def figure_value(entry: BookEntry, fig: Figure, item: Any, start: Any = None, end: Any = None,
                 owner: Any = None) -> Any:
    """One figure from a book's entry; raises FigureError with the sentence to show."""
    item_text = _text(item)
    if item_text is None:
        raise FigureError("Give the item name, for example =MASSBAL(\"Oats\", \"2025-11-01\", \"2025-11-30\").")
    if fig.table == "crop":
        return _crop_value(entry, fig, item_text, start)
    s = parse_date(start, "start", entry.date1904)
    e = parse_date(end, "end", entry.date1904)
    if s is not None and e is not None and e < s:
        raise FigureError(f"The period ends ({e:%Y-%m-%d}) before it starts ({s:%Y-%m-%d}).")
    hits = entry.rows(fig.table, s, e).by_item.get(name_key(item_text))
    what = "ingredient" if fig.table == "supply" else "item"
    if not hits:
        raise FigureError(_no_row_sentence(entry, fig, item_text))
    owner_text = _text(owner)
    row = hits.get("" if owner_text is None else name_key(owner_text))
    if row is None:
        owners = sorted(str(r["owner"]) for k, r in hits.items() if k)
        if owner_text is None:
            raise FigureError(f"{item_text} is kept per owner ({', '.join(owners)}): give the owner as the "
                              f"fourth argument.")
        raise FigureError(f"No {what} {item_text} owned by {owner_text} in this period"
                          + (f"; owners are {', '.join(owners)}." if owners else "."))
    value = row[fig.column]
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def _crop_value(entry: BookEntry, fig: Figure, crop: str, season: Any) -> Any:
    """A crop figure of one season: the Crop sheet's row for that crop and year."""
    if blank(season):
        raise FigureError(f"Give the season, for example ={fig.classic}(\"{crop}\", 2025).")
    season = _scalar(season)
    if isinstance(season, (int, float, np.integer, np.floating)) and 1900 <= float(season) <= 2200:
        year = int(season)
    else:
        day = parse_date(season, "season", entry.date1904)
        year = day.year
    start, end = pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31)
    row = entry.rows("crop", start, end).by_item.get(name_key(crop), {}).get("")
    if row is None:
        raise FigureError(f"{crop} has no row on the Crop sheet for {year}: it is not a crop of this workbook "
                          f"(Kind Crop on Items, or on the Fields sheet), or had nothing that season.")
    value = row[fig.column]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if isinstance(value, (np.floating, np.integer)) else value


def _no_row_sentence(entry: BookEntry, fig: Figure, item: str) -> str:
    key = name_key(item)
    ledger = entry.prepared.ledger
    known = False
    if "item" in ledger.columns and len(ledger):
        known = bool((ledger["item"].map(name_key) == key).any())
    # the Items sheet's items are coded (Book.code); its index holds the codes, not the names
    known = known or entry.prepared.book.code("item", item) is not None
    if fig.table == "supply":
        if not known:
            return f"'{item}' is not an item in this workbook (check the Items sheet)."
        return f"{item} has no organic supply balance in this period (it is not an organic ingredient that was received or held)."
    if not known:
        return f"'{item}' is not an item in this workbook (check the Items sheet)."
    return f"{item} has no stock and no movement in this period, so the Balance sheet has no row for it."


# ---------------------------------------------------------------- herds (CONTRACT section 6)

@dataclass(frozen=True)
class HerdFigure:
    """A livestock function: a herd and one more argument (a day, a year)."""
    classic: str
    lite: str
    args: tuple[str, str]
    doc: str
    arg_docs: tuple[str, str]


_HERD_DOC = "Herd name as on the Herds sheet."
HERD_FIGURES: tuple[HerdFigure, ...] = (
    HerdFigure("MASSBAL_HEAD", "MASSBAL.HEAD", ("herd", "on_date"),
               "Head count of a herd at the end of a day: its last count, rolled forward with the births, "
               "purchases, sales, deaths and moves recorded on the Animals sheet since.",
               (_HERD_DOC, "The day: an Excel date or text such as 2025-12-31.")),
    HerdFigure("MASSBAL_DMI", "MASSBAL.DMI", ("herd", "year"),
               "Dry matter intake from pasture, in % of the herd's demand, over its grazing season of that "
               "year (the Pasture sheet's figure; ruminants need at least 30).",
               (_HERD_DOC, "The year of the grazing season, such as 2025.")),
)
HERD_FIGURES_BY_CLASSIC = {f.classic: f for f in HERD_FIGURES}


def _year(value: Any, date1904: bool) -> int:
    value = _scalar(value)
    if blank(value):
        raise FigureError("Give the year of the grazing season, for example =MASSBAL_DMI(\"Milking cows\", 2025).")
    try:
        number = float(str(value).strip()) if not isinstance(value, (int, float)) else float(value)
    except ValueError:
        number = None
    if number is not None and 1950 <= number <= 2100 and float(number).is_integer():
        return int(number)
    return parse_date(value, "year", date1904).year  # a date in that year works too


def herd_value(entry: BookEntry, name: str, herd: Any, when: Any) -> Any:
    """MASSBAL_HEAD or MASSBAL_DMI from a book's entry; FigureError with the sentence to show."""
    from massbal.engine.farm.livestock import dmi_for, head_on
    herd_text = _text(herd)
    if herd_text is None:
        raise FigureError("Give the herd name, for example =MASSBAL_HEAD(\"Milking cows\", \"2025-12-31\").")
    lv = entry.prepared.livestock
    if lv is None:
        raise FigureError("This workbook has no Herds or Animals table.")
    try:
        if name == "MASSBAL_HEAD":
            day = parse_date(when, "day", entry.date1904)
            if day is None:
                raise FigureError("Give the day, for example =MASSBAL_HEAD(\"Milking cows\", \"2025-12-31\").")
            return int(round(head_on(lv, herd_text, day)))
        year = _year(when, entry.date1904)
        row = dmi_for(lv, herd_text, year)
    except KeyError:
        raise FigureError(f"'{herd_text}' is not a herd on the Herds or Animals sheet.") from None
    if row is None:
        raise FigureError(f"{herd_text} has no grazing season in {year} with animals on hand (see the Pasture sheet).")
    if row["dmi_pct"] is None or row["dmi_pct"] != row["dmi_pct"]:
        raise FigureError(f"The pasture figure of {herd_text} cannot be computed: {row['status']} (see the Exceptions sheet).")
    return float(row["dmi_pct"])
