"""The worksheet functions' one implementation, shared by desktop UDFs and xlwings Lite.

=MASSBAL(item, start, end, owner) and its siblings return one figure of CONTRACT.md
section 2, computed by the same engine calls as Reconcile (engine.api.prepare, then
reconcile_prepared for the period), so a cell and the Balance sheet never disagree.

Speed comes from a cache per workbook: the prepared ledger (the expensive,
period-free part) and, per period, the balance and supply rows. Correctness comes from
how the cache is trusted: an entry is reused only when the caller hands in a token that
certainly identifies the same workbook content (an xlwings Lite snapshot), or when the
input tables, read again, hash to the same fingerprint. When neither holds, it
recomputes.
"""
from __future__ import annotations

import hashlib
import itertools
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd

from massbal.engine.api import Prepared, balance_rows, periods_for, prepare, supply_rows
from massbal.engine.farm.farm_result import crop_figures
from massbal.engine.rawbook import RawBook
from massbal.engine.schema import name_key
from massbal.xlref import EPOCH_1900, EPOCH_1904


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
    "beginning": "Beginning balance: the last count before the period, rolled forward to its start.",
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


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str) and not value.strip():
        return True
    # Office.js hands a single cell over as [[value]]
    if isinstance(value, (list, tuple)) and len(value) == 1:
        return _blank(value[0])
    return False


def _scalar(value: Any) -> Any:
    while isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    return value


def parse_date(value: Any, what: str = "date", date1904: bool = False) -> pd.Timestamp | None:
    """An Excel date (serial number or date value) or ISO text, as a day; None if blank."""
    if _blank(value):
        return None
    value = _scalar(value)
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
    if _blank(value):
        return None
    value = _scalar(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # an owner or item typed as 1001 arrives as 1001.0
    return str(value).strip()


# ---------------------------------------------------------------- fingerprint

def fingerprint(raw: RawBook) -> str:
    """A digest of everything the engine reads from the input tables.

    Values are hashed by repr, so 100 and '100' or a date and its text differ; the
    header cells, worksheet rows and columns are included because findings point at them.
    """
    h = hashlib.blake2b(digest_size=20)
    h.update(repr((raw.date1904, sorted(raw.sheet_names))).encode())
    for name in sorted(raw.tables):
        t = raw.tables[name]
        h.update(repr((name, t.sheet, t.headers, t.columns, t.header_row, t.is_table,
                       t.data.shape)).encode())
        h.update(np.ascontiguousarray(np.asarray(t.rows, dtype=np.int64)).tobytes())
        if t.data.size:
            # repr of the nested list runs in C, type by type: fast for any size
            h.update(repr(t.data.to_numpy(dtype=object).tolist()).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


# ---------------------------------------------------------------- cache

PeriodKey = tuple[pd.Timestamp | None, pd.Timestamp | None]


@dataclass
class BookEntry:
    """One workbook's prepared ledger and the periods asked of it so far."""
    fingerprint: str
    prepared: Prepared
    token: Hashable | None = None
    date1904: bool = False
    periods: dict[PeriodKey, dict[str, _Rows]] = field(default_factory=dict)

    def rows(self, table: str, start: pd.Timestamp | None, end: pd.Timestamp | None) -> _Rows:
        key = (start, end)
        got = self.periods.get(key)
        if got is None:
            if len(self.periods) >= 256:  # a sheet of many different periods: keep memory flat
                self.periods.pop(next(iter(self.periods)))
            got = self.periods[key] = {}
        if table not in got:
            # What engine.api.reconcile_prepared asks for this period, one table at a time
            # (a sheet of MASSBAL cells needs no supply balance, nor findings).
            prep = self.prepared
            periods = periods_for(prep, start, end, "all")
            if table == "balance":
                frame, _ = balance_rows(prep, periods)
                got[table] = _Rows(frame, "item")
            elif table == "explain":
                from massbal.engine.investigate.balances import explained_balances
                frame = self.rows("balance", start, end).frame
                got[table] = _Rows(explained_balances(prep, periods, frame), "item")
            elif table == "crop":
                frame, _, _ = crop_figures(prep.book, prep.ledger, periods, None)
                got[table] = _Rows(frame if frame is not None else pd.DataFrame(columns=["crop"]), "crop")
            else:
                frame, _ = supply_rows(prep, periods)
                got[table] = _Rows(frame, "ingredient")
        return got[table]


class _Rows:
    """One period's balance (or supply) rows, found by item and owner in O(1)."""

    def __init__(self, frame: pd.DataFrame, name_col: str):
        names = frame[name_col].map(name_key).tolist()
        owner = frame["owner"] if "owner" in frame.columns else pd.Series([None] * len(frame))
        owners = owner.map(lambda v: "" if _blank(v) else name_key(v)).tolist()
        records = frame.to_dict("records")
        self.frame = frame
        self.by_item: dict[str, dict[str, dict]] = {}
        for n, o, rec in zip(names, owners, records, strict=True):
            self.by_item.setdefault(n, {})[o] = rec


class LedgerCache:
    """Prepared ledgers by workbook, most recently used kept, at most `size` books."""

    def __init__(self, size: int = 8):
        self.size = size
        self._books: OrderedDict[Hashable, BookEntry] = OrderedDict()
        self._lock = threading.RLock()  # classic UDFs may be called from Excel's threads
        self.prepares = 0  # how often the engine prepared a ledger (tests, bench)

    def clear(self) -> None:
        with self._lock:
            self._books.clear()
            self.prepares = 0

    def peek(self, book_key: Hashable) -> BookEntry | None:
        with self._lock:
            return self._books.get(book_key)

    def entry(self, book_key: Hashable, load: Callable[[], RawBook] | None,
              token: Hashable | None = None) -> BookEntry:
        """The book's entry, recomputed unless it is certainly current.

        token: a value that identifies the workbook's content for sure (the same xlwings
            Lite snapshot); an entry stored with an equal token is reused without reading.
        load: reads the input tables; their fingerprint decides whether the entry holds.
        """
        with self._lock:
            entry = self._books.get(book_key)
            if entry is not None and token is not None and entry.token == token:
                self._books.move_to_end(book_key)
                return entry
            if load is None:
                raise FigureError("The workbook's tables could not be read.")
            raw = load()
            return self.store(book_key, raw, token)

    def store(self, book_key: Hashable, raw: RawBook, token: Hashable | None = None,
              prepared: Prepared | None = None) -> BookEntry:
        """Trust `raw` as the book's content now; reuse the entry if nothing changed."""
        with self._lock:
            fp = fingerprint(raw)
            entry = self._books.get(book_key)
            if entry is None or entry.fingerprint != fp:
                if prepared is None:
                    prepared = prepare(raw)
                    self.prepares += 1
                entry = BookEntry(fp, prepared, date1904=raw.date1904)
            entry.token = token
            self._books[book_key] = entry
            self._books.move_to_end(book_key)
            while len(self._books) > self.size:
                self._books.popitem(last=False)
            return entry


CACHE = LedgerCache()


class RecalcEpochs:
    """Tokens that let desktop UDFs read the tables once per recalculation, not per cell.

    Why this is certain in automatic calculation mode: every change to a cell makes
    Excel recalculate, and because the functions are volatile that recalculation calls
    every MASSBAL cell again. So a call from a cell already seen since the last check
    means a new recalculation has begun (and maybe an edit before it): the token changes
    and the next lookup reads and fingerprints the tables. Calls from cells not yet seen
    belong to the same recalculation, during which Excel accepts no edits. In manual
    calculation mode a formula can be calculated long after an edit, so there every call
    reads the tables (token None).
    """

    def __init__(self):
        self._state: dict[Hashable, tuple[int, set]] = {}
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)  # never reused, so an old token never matches

    def token(self, book_key: Hashable, cell: Hashable | None, automatic: bool) -> Hashable | None:
        with self._lock:
            if not automatic or cell is None:
                self._state.pop(book_key, None)
                return None
            number, seen = self._state.get(book_key, (0, None))
            if seen is None or cell in seen:
                number, seen = next(self._numbers), set()
                self._state[book_key] = (number, seen)
            seen.add(cell)
            return ("recalc", number)


EPOCHS = RecalcEpochs()


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
    if _blank(season):
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


def compute(fig_name: str, book_key: Hashable, load: Callable[[], RawBook] | None,
            item: Any, start: Any = None, end: Any = None, owner: Any = None,
            token: Hashable | None = None, cache: LedgerCache = CACHE) -> Any:
    fig = FIGURES_BY_CLASSIC[fig_name]
    entry = cache.entry(book_key, load, token)
    return figure_value(entry, fig, item, start, end, owner)


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
    if _blank(value):
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


def compute_herd(fig_name: str, book_key: Hashable, load: Callable[[], RawBook] | None, herd: Any, when: Any,
                 token: Hashable | None = None, cache: LedgerCache = CACHE) -> Any:
    entry = cache.entry(book_key, load, token)
    return herd_value(entry, fig_name, herd, when)
