"""The worksheet functions' cache: prepared ledgers by workbook, and when to trust them.

Speed comes from a cache per workbook: the prepared ledger (the expensive,
period-free part) and, per period, the balance and supply rows. Correctness comes from
how the cache is trusted: an entry is reused only when the caller hands in a token that
certainly identifies the same workbook content (an xlwings Lite snapshot), or when the
input tables, read again, hash to the same fingerprint. When neither holds, it
recomputes.
"""
from __future__ import annotations

import gc
import hashlib
import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from massbal.engine.api import Prepared, balance_rows, periods_for, prepare, supply_rows
from massbal.engine.farm.farm_result import crop_figures
from massbal.engine.rawbook import RawBook
from massbal.engine.schema import name_key
from massbal.excel.figures import FIGURES_BY_CLASSIC, FigureError, blank, figure_value, herd_value

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
        got = self._slot(key)
        if table not in got:
            # What engine.api.reconcile_prepared asks for this period, one table at a time
            # (a sheet of MASSBAL cells needs no supply balance, nor findings).
            prep = self.prepared
            periods = periods_for(prep, start, end, "all")
            if table in ("balance", "supply"):
                self._with_siblings(table, key, periods)
            elif table == "explain":
                from massbal.engine.investigate.balances import explained_balances
                frame = self.rows("balance", start, end).frame
                got[table] = _Rows(explained_balances(prep, periods, frame), "item")
            else:  # crop
                frame, _, _ = crop_figures(prep.book, prep.ledger, periods, None)
                got[table] = _Rows(frame if frame is not None else pd.DataFrame(columns=["crop"]), "crop")
        return got[table]

    def _slot(self, key: PeriodKey) -> dict[str, _Rows]:
        got = self.periods.get(key)
        if got is None:
            if len(self.periods) >= 256:  # a sheet of many different periods: keep memory flat
                self.periods.pop(next(iter(self.periods)))
            got = self.periods[key] = {}
        return got

    def _with_siblings(self, table: str, key: PeriodKey, periods: list) -> None:
        """The period's balance (or supply) rows, and in the same engine call those of its
        siblings (the same days of the other months, quarters or years of the data) not
        asked yet: a sheet of MASSBAL cells asks period after period, and the engine
        computes a dozen periods in about the time of one."""
        asked = {key: periods}
        if len(periods) == 1:
            for sib in _siblings(key, self.prepared.ledger["date"]):
                if table not in self.periods.get(sib, {}) and len(self.periods) + len(asked) < 256:
                    ps = periods_for(self.prepared, sib[0], sib[1], "all")
                    if len(ps) == 1:
                        asked[sib] = ps
        every = _tiling([ps[0] for ps in asked.values()]) if len(asked) > 1 else periods
        rows, name = (balance_rows, "item") if table == "balance" else (supply_rows, "ingredient")
        frame = rows(self.prepared, every)[0]
        if len(asked) == 1:
            self._slot(key)[table] = _Rows(frame, name)
            return
        start, end = pd.to_datetime(frame["start"]), pd.to_datetime(frame["end"])
        for k, ps in asked.items():
            mine = ((start == ps[0][0]) & (end == ps[0][1])).to_numpy()
            if mine.any():
                self._slot(k)[table] = _Rows(frame[mine].reset_index(drop=True), name)
            elif k == key:  # no rows (a period before the data): as the engine gives it alone
                self._slot(k)[table] = _Rows(rows(self.prepared, periods)[0], name)


def _tiling(periods: list) -> list:
    """The periods in order with the days between them as periods of their own: the
    engine rolls the books from one period into the next, so what it is given must
    leave no day out (the gaps' rows are computed and not kept)."""
    out = []
    for s, e in sorted(periods):
        if out and s > out[-1][1] + pd.Timedelta(days=1):
            out.append((out[-1][1] + pd.Timedelta(days=1), s - pd.Timedelta(days=1)))
        out.append((s, e))
    return out


def _siblings(key: PeriodKey, dates: pd.Series, most: int = 48) -> list[PeriodKey]:
    """The period moved by whole steps of its own length in months (a month of 1 to 28
    November: 1 to 28 of every month) while it overlaps the data; none for a period shorter
    than about a month or open at either end."""
    start, end = key
    if start is None or end is None or not len(dates):
        return []
    if (end - start).days < 25:
        return []
    step = 1  # months: the smallest shift that starts after the period ends
    while start + pd.DateOffset(months=step) <= end:
        step += 1
    first, last = pd.Timestamp(dates.min()), pd.Timestamp(dates.max())
    kept = [key]
    for k in range(1, most):
        for sign in (-1, 1):
            shift = pd.DateOffset(months=sign * k * step)
            s, e = start + shift, end + shift
            # a month's end clipped (31 January + 1 month) can touch a neighbour: never overlap
            if e >= first and s <= last and len(kept) <= most and all(e < a or s > b for a, b in kept):
                kept.append((s, e))
    return kept[1:]


class _Rows:
    """One period's balance (or supply) rows, found by item and owner in O(1)."""

    def __init__(self, frame: pd.DataFrame, name_col: str):
        names = frame[name_col].map(name_key).tolist()
        owner = frame["owner"] if "owner" in frame.columns else pd.Series([None] * len(frame))
        owners = owner.map(lambda v: "" if blank(v) else name_key(v)).tolist()
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


# ---------------------------------------------------------------- a cell's figure

def compute(fig_name: str, book_key: Hashable, load: Callable[[], RawBook] | None,
            item: Any, start: Any = None, end: Any = None, owner: Any = None,
            token: Hashable | None = None, cache: LedgerCache = CACHE) -> Any:
    fig = FIGURES_BY_CLASSIC[fig_name]
    entry = cache.entry(book_key, load, token)
    return figure_value(entry, fig, item, start, end, owner)


def compute_herd(fig_name: str, book_key: Hashable, load: Callable[[], RawBook] | None, herd: Any, when: Any,
                 token: Hashable | None = None, cache: LedgerCache = CACHE) -> Any:
    entry = cache.entry(book_key, load, token)
    return herd_value(entry, fig_name, herd, when)


# The worksheet functions run in a long-lived process (Excel's Python server, xlwings
# Lite) that has by now imported pandas, pint's registry and the engine: hundreds of
# thousands of objects that live as long as it does. A full garbage collection walks
# them all, and a first recalculation triggers several (a third of its time on a small
# book); frozen, they are skipped. They are freed as usual when no longer referenced.
gc.freeze()
