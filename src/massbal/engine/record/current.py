"""The input tables of one write: their blocks and keys (blocks.py), their canonical
rows made only where needed, and the dates of their rows.

A table's quick key (blocks.Cut.quick: its headers, worksheet rows and block keys) equal
to the one the state kept from the last write means the very content: that table is
neither snapshotted nor diffed. Unequal keys prove nothing; then the blocks are compared,
and those without a kept key are snapshotted and diffed as always.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd

from massbal.engine.rawbook import RawBook, RawTable
from massbal.engine.schema import header_key, name_keys

from .blocks import ClosedBlocks, Cut, Rows, TableBlocks, canon_rows, cut, match, positions
from .changelog import RowChange, Snapshot, diff, loaded


def quick_key(t: RawTable) -> str:
    return cut(t).quick


def _dated_by(t: RawTable) -> str | None:
    """'date' when the table's rows carry their own date, 'batch' when they take their
    batch's (BatchInputs), None when they are not dated (Items, Certificates, Settings)."""
    keys = {header_key(h) for h in t.headers}
    return "date" if "date" in keys else "batch" if "batch" in keys else None


class Current(Mapping):
    """A book's input tables as snapshots, each made on first use; blocks and keys for all.

    It also carries what this write found of a closed period (`clean`: close -> table ->
    closed key of a content whose closed rows are as closed), for the state it writes next.
    """

    def __init__(self, raw: RawBook):
        self.raw = raw
        self._rows: dict[str, Rows] = {}
        self._cuts: dict[str, Cut] = {}
        self._subs: dict[tuple, Rows] = {}
        self.clean: dict[str, dict[str, str]] = {}

    def __getitem__(self, name: str) -> Snapshot:
        return self.rows(name).snap

    def rows(self, name: str) -> Rows:
        """Every row of a table as canonical text, with its read position."""
        got = self._rows.get(name)
        if got is None:
            got = self._rows[name] = canon_rows(self.raw.tables[name])
        return got

    def sub(self, name: str, blocks: list[int]) -> Rows:
        """The rows of some blocks only (all of them already made: taken from those).
        Kept, so the closed period's look and the log's diff share one snapshot (and
        its row fingerprints)."""
        got = self._subs.get((name, tuple(blocks)))
        if got is None:
            full = self._rows.get(name)
            pos = positions(self.cut(name), blocks)
            if full is not None:
                keep = np.isin(full.pos, pos)
                got = Rows(full.snap.take(keep), full.pos[keep])
            else:
                got = canon_rows(self.raw.tables[name], pos)
            self._subs[(name, tuple(blocks))] = got
        return got

    def __iter__(self) -> Iterator[str]:
        return iter(self.raw.tables)

    def __len__(self) -> int:
        return len(self.raw.tables)

    def __contains__(self, name) -> bool:
        return name in self.raw.tables

    def cut(self, name: str) -> Cut | None:
        t = self.raw.tables.get(name)
        if t is None:
            return None
        got = self._cuts.get(name)
        if got is None:
            # a table already snapshotted whole with no empty row: its canonical text is
            # every read row's, in order (a mixed column's key hashes it: not made twice)
            rows = self._rows.get(name)
            whole = rows is not None and len(rows.pos) == len(t.rows)
            got = self._cuts[name] = cut(t, rows.snap.cells if whole else None)
        return got

    def quick(self, name: str) -> str | None:
        c = self.cut(name)
        return None if c is None else c.quick

    def dated_by(self, name: str) -> str | None:
        t = self.raw.tables.get(name)
        return None if t is None else _dated_by(t)

    def closed_key(self, name: str) -> str | None:
        """What a table's rows in a closed period depend on: the table, and for rows dated
        by their batch, the Batches table too."""
        by = self.dated_by(name)
        if by is None:
            return None
        key = self.quick(name)
        return key + "+" + (self.quick("Batches") or "") if by == "batch" else key


# ------------------------------------------------------------------ dates of rows

def _iso_days(col: np.ndarray) -> pd.Series:
    s = pd.Series(col, dtype=object).astype(str)
    d = pd.to_datetime(s.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    odd = d.isna() & s.ne("")
    if odd.any():  # dates typed as text in another form: the engine's own reading
        from massbal.engine.parse import _date_from_text
        d = d.astype(object)
        for i in np.flatnonzero(odd.to_numpy()):
            v, _ = _date_from_text(s.iat[i])
            d.iat[i] = pd.Timestamp(v) if v is not None else pd.NaT
        d = pd.to_datetime(d, errors="coerce")
    return d


def batch_days(*snaps: Snapshot | None) -> dict[str, str]:
    """Batch name -> its date as ISO text, from Batches snapshots (earlier ones win)."""
    out: dict[str, str] = {}
    for s in snaps:
        if s is None or s.column("batch") is None or s.column("date") is None:
            continue
        col = s.column("date")
        days = pd.Series(col, dtype=object).str.slice(0, 10)
        odd = ~days.str.match(_ISO).fillna(False).to_numpy(dtype=bool) & (col != "")
        if odd.any():
            days[odd] = [d.strftime("%Y-%m-%d") if not pd.isna(d) else "" for d in _iso_days(col[odd])]
        names = s.column("batch")
        ok = (names != "") & (days != "").to_numpy(dtype=bool)
        keys = name_keys(names[ok])
        # reversed: the first row of a batch wins; by exact name and by name key
        out.update(zip(names[ok][::-1], days[ok][::-1], strict=True))
        out.update(zip(keys[::-1], days[ok][::-1], strict=True))
    return out


_ISO = r"^\d{4}-\d{2}-\d{2}"


def dated_on_or_before(s: Snapshot, batches: dict[str, str], through: str) -> np.ndarray:
    """Rows dated on or before `through` (ISO text): canonical dates compare as text, so
    only dates typed some other way need reading."""
    col = s.column("date")
    last = through + " 99"   # a date with a time on the last day is still on it
    if col is None:
        b = s.column("batch")
        if b is None or not batches:
            return np.zeros(len(s), dtype=bool)
        days = pd.Series(b, dtype=object).map(batches)          # exact names first (fast) ...
        odd = days.isna().to_numpy() & (b != "")
        if odd.any():                                            # ... then as a user means them
            days[odd] = name_keys(b[odd]).map(batches).to_numpy()
        days = days.fillna("").to_numpy(dtype=object)
    elif s.iso and s.iso[s.keys.index("date")]:
        return (col != "") & (col <= last)
    else:
        days = pd.Series(col, dtype=object).str.slice(0, 10)
        iso = days.str.match(_ISO).fillna(False).to_numpy(dtype=bool)
        days = days.to_numpy(dtype=object)
        if not iso.all():
            odd = ~iso & (days != "")
            if odd.any():
                parsed = _iso_days(col[odd])
                days = days.copy()
                days[odd] = [d.strftime("%Y-%m-%d") if not pd.isna(d) else "" for d in parsed]
    return (days != "") & (days <= last)


# ------------------------------------------------------------------ changes, block by block

def _form(current: Current, name: str, rows: Rows, old=None, fresh=()) -> TableBlocks:
    """The table as the state keeps it next: blocks in `fresh` (all when old is None) from
    `rows`, the others as `old` kept them (their key is kept, so is their content)."""
    c = current.cut(name)
    kept = {}
    if old is not None:
        for k, key in enumerate(old.keys):
            kept.setdefault(key, k)
    fresh = set(fresh)
    parts = [rows.block(a, b, relative=True) if old is None or k in fresh else old.stored(kept[key])
             for k, (a, b, key) in enumerate(zip(c.starts.tolist(), c.ends.tolist(), c.keys, strict=True))]
    return TableBlocks.build(current.raw.tables[name], c, parts)


def kept_form(current: Current, name: str) -> TableBlocks:
    return _form(current, name, current.rows(name))


def since_last(old, current: Current, name: str):
    """What changed in one table since the state kept it as `old` (None: not kept):
    (changes, the old rows compared, the new rows compared, the form to keep, or None
    when the table is gone). Kept in blocks: only blocks whose key is not kept are read."""
    if name not in current:
        o = loaded(old)
        return diff(o, None), o, None, None
    if isinstance(old, TableBlocks):
        fresh, gone = match(current.cut(name).keys, old.keys)
        rows = current.sub(name, fresh)
        o = old.sub(gone)
        found = diff(o, rows.snap) if fresh or gone else []
        return found, o, rows.snap, _form(current, name, rows, old, fresh)
    rows = current.rows(name)   # kept whole (a state of an earlier massbal): compared whole
    o = loaded(old)
    return diff(o, rows.snap), o, rows.snap, _form(current, name, rows)


def closed_since(old, current: Current, name: str, closed) -> list[RowChange]:
    """Rows of a closed period added, changed or deleted since the close. old: the table's
    closed rows as closed (None: it had none); closed(rows snapshot) -> which rows of it
    are in the closed period now. Closed in blocks: only blocks whose key is not kept are
    read (for rows dated by their batch, only while Batches is as it was at the close)."""
    if isinstance(old, ClosedBlocks) and name in current and old.batches in (None, current.quick("Batches") or ""):
        fresh, gone = match(current.cut(name).keys, old.keys)
        if not fresh and not gone:
            return []
        now = current.sub(name, fresh).snap
        now.hashes()   # made once: the closed rows taken below and the log's diff share them
        return diff(old.sub(gone), now.take(closed(now)))
    now = None
    if name in current:
        snap = current[name]
        now = snap.take(closed(snap))
    o = loaded(old)
    if o is None and (now is None or not len(now)):
        return []
    return diff(o, now)
