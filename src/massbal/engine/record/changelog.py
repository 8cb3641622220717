"""What changed in the input tables between two writes: row snapshots and their diff.

A snapshot holds every row of one input table as canonical text (the value a user sees,
the same whichever program saved the file: 1000.0 and 1000 are "1000", a date is
2025-03-04), with its worksheet row. A row's fingerprint is a 64-bit hash of its cells
keyed by header, computed for a whole table at once (pandas' hash_array, no Python per
row), so a column moved, renamed in case or added empty changes no fingerprint.

The diff pairs rows by fingerprint first: a row inserted above, a sort or a cut-and-paste
moves rows without changing them, and such rows are not reported. What is left are rows
added, deleted or edited. An edited row is paired with the row it was by its place (the
same unchanged row before it, in the old and the new order) or, failing that, by the most
cells in common; at least half of its cells must be the same, else it is one row deleted
and another added.
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
import zlib
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

from massbal.engine.frames import distinct_by_bits
from massbal.engine.rawbook import RawTable
from massbal.engine.schema import header_key

_MASK = (1 << 64) - 1


@dataclass(frozen=True)
class Snapshot:
    """One input table's rows as canonical text; cells[j][i] is row i's cell in column j."""

    table: str
    sheet: str
    headers: tuple[str, ...]
    rows: np.ndarray              # worksheet row of each row (int64)
    cells: tuple[np.ndarray, ...]  # one object array of str per header
    iso: tuple[bool, ...] = ()    # per column: read as dates, so every cell is ISO text or empty

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(header_key(h) for h in self.headers)

    def column(self, key: str) -> np.ndarray | None:
        for k, c in zip(self.keys, self.cells, strict=True):
            if k == key:
                return c
        return None

    def hashes(self) -> np.ndarray:
        """Each row's fingerprint: the sum over its non-empty cells of hash(value) times a
        number drawn from the header, so neither column order nor empty columns count."""
        got = self.__dict__.get("_hashes")
        if got is not None:
            return got
        out = np.zeros(len(self.rows), dtype=np.uint64)
        for key, col in zip(self.keys, self.cells, strict=True):
            if not len(col):
                continue
            h = pd.util.hash_array(col, categorize=False)
            h[col == ""] = 0
            weight = np.uint64(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little") | 1)
            out += h * weight   # wraps around modulo 2**64, as intended
        object.__setattr__(self, "_hashes", out)  # a cache: the snapshot itself never changes
        return out

    def take(self, mask: np.ndarray) -> Snapshot:
        out = Snapshot(self.table, self.sheet, self.headers, self.rows[mask],
                       tuple(c[mask] for c in self.cells), self.iso)
        got = self.__dict__.get("_hashes")
        if got is not None:
            object.__setattr__(out, "_hashes", got[mask])
        return out

    def row_text(self, i: int) -> str:
        """A row as a user reads it: 'Date 2025-03-04, Item Oats, ...' (empty cells left out)."""
        return ", ".join(f"{h} {c[i]}" for h, c in zip(self.headers, self.cells, strict=True) if c[i] != "")

    def digest(self) -> str:
        """One fingerprint of the whole table: headers, row numbers and row fingerprints."""
        got = self.__dict__.get("_digest")
        if got is None:
            h = hashlib.sha256("\x1f".join(self.headers).encode("utf-8"))
            h.update(self.rows.astype(np.int64).tobytes())
            h.update(self.hashes().tobytes())
            got = h.hexdigest()[:32]
            object.__setattr__(self, "_digest", got)
        return got

    def to_text(self) -> str:
        """The stored form: deflated, base64 (text any cell can hold, in any face). Each
        column's texts joined by a separator (JSON only for a column holding one), the
        worksheet rows as runs: a fifth smaller than JSON of it all, and quicker to read."""
        got = self.__dict__.get("_text")
        if got is None:
            n = len(self.rows)
            kinds, parts = [], []
            for c in self.cells:
                joined = _US.join(c.tolist())
                plain = joined.count(_US) == max(n - 1, 0) and _RS not in joined
                kinds.append("t" if plain else "j")
                parts.append(joined if plain else json.dumps(c.tolist(), ensure_ascii=False))
            head = {"table": self.table, "sheet": self.sheet, "headers": list(self.headers), "iso": list(self.iso),
                    "n": n, "runs": _runs(self.rows), "kinds": kinds}
            raw = _RS.join([json.dumps(head, separators=(",", ":"), ensure_ascii=False)] + parts).encode("utf-8")
            got = TEXT_V2 + base64.b64encode(zlib.compress(raw, TEXT_LEVEL)).decode("ascii")
            object.__setattr__(self, "_text", got)
        return got

    @staticmethod
    def from_text(text: str) -> Snapshot:
        if text.startswith(TEXT_V2):
            s = Snapshot._from_v2(zlib.decompress(base64.b64decode(text[len(TEXT_V2):])).decode("utf-8"))
        else:   # the first stored form: JSON of to_dict
            s = Snapshot.from_dict(json.loads(zlib.decompress(base64.b64decode(text)).decode("utf-8")))
        object.__setattr__(s, "_text", text)
        return s

    @staticmethod
    def _from_v2(raw: str) -> Snapshot:
        head, *parts = raw.split(_RS)
        h = json.loads(head)
        n = h["n"]
        cells = []
        for kind, part in zip(h["kinds"], parts, strict=True):
            a = np.empty(n, dtype=object)
            if n:
                a[:] = part.split(_US) if kind == "t" else json.loads(part)
            cells.append(a)
        r = h["runs"]
        rows = (np.concatenate([np.arange(a, a + k, dtype=np.int64) for a, k in zip(r[::2], r[1::2], strict=True)])
                if r else np.zeros(0, dtype=np.int64))
        return Snapshot(h["table"], h["sheet"], tuple(h["headers"]), rows, tuple(cells), tuple(h["iso"]))

    # -- stored form (the workbook's hidden state) ------------------------------------
    def to_dict(self) -> dict:
        return {"table": self.table, "sheet": self.sheet, "headers": list(self.headers),
                "rows": self.rows.tolist(), "cells": [c.tolist() for c in self.cells], "iso": list(self.iso)}

    @staticmethod
    def from_dict(d: dict) -> Snapshot:
        n = len(d["rows"])
        cells = []
        for c in d["cells"]:
            a = np.empty(n, dtype=object)
            a[:] = c
            cells.append(a)
        return Snapshot(d["table"], d["sheet"], tuple(d["headers"]), np.asarray(d["rows"], dtype=np.int64),
                        tuple(cells), tuple(d.get("iso", ())))


TEXT_V2 = "2:"      # not base64, so a first-form text never starts so
# deflate's fastest level: a first write of a million movements deflates 84 MB of text,
# 2.4 s at level 6 against 0.55 s, for a text 28% longer (14.2 MB against 11.1; the cells
# are read back whole only when a table changed). Any level inflates alike: older
# massbal reads it.
TEXT_LEVEL = 1
_US, _RS = "\x1f", "\x1e"   # between a column's texts, between parts


def _runs(rows: np.ndarray) -> list[int]:
    """Worksheet rows as [first, count, first, count ...]: rows run on, mostly."""
    if not len(rows):
        return []
    starts = np.flatnonzero(np.diff(rows) != 1) + 1
    firsts = np.concatenate([[0], starts])
    counts = np.diff(np.concatenate([firsts, [len(rows)]]))
    return np.column_stack([rows[firsts], counts]).ravel().tolist()


class Stored:
    """A snapshot as the workbook keeps it, read only when needed: a table whose digest is
    unchanged is neither decoded nor encoded again (most tables at most writes)."""

    def __init__(self, text: str, digest: str):
        self.text = text
        self._digest = digest
        self._snap: Snapshot | None = None

    def digest(self) -> str:
        return self._digest

    def to_text(self) -> str:
        return self.text

    def load(self) -> Snapshot:
        if self._snap is None:
            self._snap = Snapshot.from_text(self.text)
        return self._snap


def loaded(x) -> Snapshot | None:
    """A stored table (whole, or in blocks: blocks.py) as one snapshot."""
    return x.load() if x is not None and not isinstance(x, Snapshot) else x


# ------------------------------------------------------------------ canonical text

def canon_value(v) -> str:
    """One cell as canonical text (the slow path, for mixed columns)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        if not math.isfinite(v):  # as canon_column: no cell holds an infinity or a NaN
            return ""
        return _number(float(v))
    if isinstance(v, (datetime, pd.Timestamp)):
        return v.strftime("%Y-%m-%d") if (v.hour, v.minute, v.second) == (0, 0, 0) else v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


def _number(x: float) -> str:
    # 15 significant digits: what Excel shows and LibreOffice writes back on a re-save
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return format(x, ".15g")


def _each_distinct(values: np.ndarray, text) -> np.ndarray:
    """text(values) for a column of days or numbers, made once per distinct value: a
    million movements hold a few hundred days and quantities that repeat, and formatting
    was most of a first write's snapshot. Exact: the values are told apart by their 64
    bits (frames.distinct_by_bits: equal bits, equal value, equal text)."""
    found = distinct_by_bits(values, len(values) // 2) if len(values) >= 1024 else None
    if found is None:
        return text(values)
    codes, uniq = found
    return text(uniq)[codes]


def _each_text(s: pd.Series) -> np.ndarray:
    """A text column's values as Python str ("" for missing). A column of few distinct
    texts (items, units, suppliers: judged on its first rows) makes each text once and
    takes it by code: a Python str per cell was most of a first write's snapshot."""
    n = len(s)
    if n >= 65536:
        _, head = pd.factorize(s.iloc[:4096])
        if len(head) <= 256:
            codes, uniq = pd.factorize(s)
            if len(uniq) <= n // 8:
                texts = np.empty(len(uniq) + 1, dtype=object)
                texts[:-1] = np.asarray(uniq, dtype=object)
                texts[-1] = ""
                return texts[codes]   # code -1 (missing) takes the last: ""
    return s.to_numpy(dtype=object, na_value="")


def canon_column(s: pd.Series) -> np.ndarray:
    """A whole column as canonical text, vectorised for the types the readers give."""
    n = len(s)
    out = np.empty(n, dtype=object)
    if n == 0:
        return out
    dt = s.dtype
    if pd.api.types.is_datetime64_any_dtype(dt):
        d = s.to_numpy(dtype="datetime64[ns]")
        day = d.astype("datetime64[D]")
        nat = np.isnat(d)
        out[:] = _each_distinct(day, lambda u: np.datetime_as_string(u, unit="D").astype(object))
        timed = ~nat & (d != day.astype("datetime64[ns]"))
        if timed.any():
            out[timed] = np.datetime_as_string(d[timed], unit="s")
            out[timed] = [t.replace("T", " ") for t in out[timed]]
        out[nat] = ""
        return out
    if pd.api.types.is_float_dtype(dt) or pd.api.types.is_integer_dtype(dt):
        v = s.to_numpy(dtype="float64", na_value=np.nan)
        ok = np.isfinite(v)
        whole = ok & (v == np.round(v)) & (np.abs(v) < 1e15)
        out[:] = ""
        out[whole] = _each_distinct(v[whole].astype(np.int64), lambda u: u.astype(str).astype(object))
        frac = ok & ~whole
        if frac.any():
            out[frac] = _each_distinct(v[frac], lambda u: np.array([format(x, ".15g") for x in u], dtype=object))
        return out
    if isinstance(dt, pd.StringDtype):
        out[:] = _each_text(s)
        return out
    values = s.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        out[:] = values
        out[pd.isna(values)] = ""
        return out
    # a mixed column (numbers with a few texts, say): each type as a block
    kinds = pd.Series(values).map(type).to_numpy()
    is_str = kinds == str
    out[is_str] = values[is_str]
    is_num = (kinds == float) | (kinds == int)
    if is_num.any():
        out[is_num] = canon_column(pd.Series(values[is_num].astype("float64")))
    rest = ~(is_str | is_num)
    if rest.any():
        out[rest] = [canon_value(v) for v in values[rest]]
    return out


def filled_rows(cells: tuple[np.ndarray, ...], n: int) -> np.ndarray:
    """Rows with a value in some column (canonical text other than ""). Each column is
    looked at only for the rows still empty in those before it: most rows have a value in
    the first column, so the rest are seldom read (a whole comparison per cell of every
    column was a tenth of a first write's snapshot)."""
    filled = np.ones(n, dtype=bool)
    if not cells:
        return filled
    empty = np.flatnonzero(cells[0] == "")
    for c in cells[1:]:
        if not len(empty):
            break
        empty = empty[c[empty] == ""]
    filled[empty] = False
    return filled


def snapshot(t: RawTable) -> Snapshot:
    """A table as the reader got it; rows with no value at all are not records."""
    cells = tuple(canon_column(t.data[j]) for j in range(len(t.headers)))
    iso = tuple(pd.api.types.is_datetime64_any_dtype(t.data[j].dtype) for j in range(len(t.headers)))
    rows = np.asarray(t.rows, dtype=np.int64)
    if cells:
        filled = filled_rows(cells, len(rows))
        if not filled.all():
            return Snapshot(t.name, t.sheet, t.headers, rows[filled], tuple(c[filled] for c in cells), iso)
    return Snapshot(t.name, t.sheet, t.headers, rows, cells, iso)


def snapshots(raw):
    """Every input table's snapshot, each made when first asked for (record.current.Current)."""
    from .current import Current
    return Current(raw)


# ------------------------------------------------------------------ the diff

@dataclass(frozen=True)
class CellChange:
    column: str
    old: str
    new: str


@dataclass(frozen=True)
class RowChange:
    """One row added, deleted or changed. row: where it is now (deleted: where it was)."""

    table: str
    sheet: str
    kind: str                 # added | changed | deleted
    row: int
    old_row: int | None
    cells: tuple[CellChange, ...]   # changed: the cells that differ; added/deleted: every non-empty cell
    old_index: int | None = None    # position in the old snapshot
    new_index: int | None = None    # position in the new snapshot


def _occurrence_keys(h: np.ndarray) -> np.ndarray:
    """Fingerprint plus how many identical rows came before: two equal rows are two rows."""
    occ = pd.Series(h).groupby(h).cumcount().to_numpy(dtype=np.uint64)
    return h + occ * np.uint64(0x9E3779B97F4A7C15)


def _last_matched(matched: np.ndarray) -> np.ndarray:
    """For each position, the last matched position before it (-1 if none)."""
    pos = np.where(matched, np.arange(len(matched)), -1)
    prev = np.maximum.accumulate(pos) if len(pos) else pos
    return np.concatenate([[-1], prev[:-1]]) if len(prev) else prev


def _aligned(old: Snapshot, new: Snapshot):
    """Columns of both tables matched by header: (name, old column or None, new column or None)."""
    out = []
    ok = dict(zip(old.keys, old.cells, strict=True))
    seen = set()
    for h, k, c in zip(new.headers, new.keys, new.cells, strict=True):
        out.append((h, ok.get(k), c))
        seen.add(k)
    for h, k, c in zip(old.headers, old.keys, old.cells, strict=True):
        if k not in seen:
            out.append((h, c, None))
    return out


def _cell_pairs(cols, i: int, j: int):
    for h, oc, nc in cols:
        yield h, ("" if oc is None else oc[i]), ("" if nc is None else nc[j])


def _similar(cols, i: int, j: int) -> int:
    """How many filled cells agree, or -1 when fewer than half do."""
    same = filled = 0
    for _, a, b in _cell_pairs(cols, i, j):
        if a or b:
            filled += 1
            same += a == b
    return same if filled and same * 2 >= filled else -1


MAX_FUZZY = 400  # leftover rows compared each with each (beyond, they stay added/deleted)


def diff(old: Snapshot | None, new: Snapshot | None) -> list[RowChange]:
    """Rows added, deleted and changed from `old` to `new` (either may be None: no table)."""
    if old is None and new is None:
        return []
    if old is None:
        old = Snapshot(new.table, new.sheet, new.headers, new.rows[:0], tuple(c[:0] for c in new.cells))
    if new is None:
        new = Snapshot(old.table, old.sheet, old.headers, old.rows[:0], tuple(c[:0] for c in old.cells))
    ko, kn = _occurrence_keys(old.hashes()), _occurrence_keys(new.hashes())
    partner = pd.Index(ko).get_indexer(kn)          # new position -> old position, -1 unmatched
    new_matched = partner >= 0
    old_matched = np.zeros(len(ko), dtype=bool)
    old_matched[partner[new_matched]] = True
    if new_matched.all() and old_matched.all():
        return []
    cols = _aligned(old, new)
    # pair unmatched rows that follow the same unchanged row (the row edited in place)
    anchor_old = _last_matched(old_matched)
    prev_new = _last_matched(new_matched)
    anchor_new = np.where(prev_new >= 0, partner[np.maximum(prev_new, 0)], -1)
    lone_old = np.flatnonzero(~old_matched)
    lone_new = np.flatnonzero(~new_matched)
    by_anchor: dict[int, list[int]] = {}
    for i in lone_old.tolist():
        by_anchor.setdefault(int(anchor_old[i]), []).append(i)
    pairs: list[tuple[int, int]] = []
    left_new = []
    for j in lone_new.tolist():
        group = by_anchor.get(int(anchor_new[j]))
        if group and _similar(cols, group[0], j) >= 0:
            pairs.append((group.pop(0), j))
        else:
            left_new.append(j)
    left_old = [i for g in by_anchor.values() for i in g]
    # rows edited and moved: the most similar leftover, while few enough to compare
    if left_old and left_new and len(left_old) * len(left_new) <= MAX_FUZZY * MAX_FUZZY:
        still_new = []
        for j in left_new:
            best, at = -1, None
            for i in left_old:
                s = _similar(cols, i, j)
                if s > best:
                    best, at = s, i
            if at is None:
                still_new.append(j)
            else:
                pairs.append((at, j))
                left_old.remove(at)
        left_new = still_new
    out: list[RowChange] = []
    for i, j in pairs:
        changed = tuple(CellChange(h, a, b) for h, a, b in _cell_pairs(cols, i, j) if a != b)
        out.append(RowChange(new.table, new.sheet, "changed", int(new.rows[j]), int(old.rows[i]), changed, i, j))
    for j in left_new:
        cells = tuple(CellChange(h, "", c[j]) for h, c in zip(new.headers, new.cells, strict=True) if c[j])
        out.append(RowChange(new.table, new.sheet, "added", int(new.rows[j]), None, cells, None, j))
    for i in left_old:
        cells = tuple(CellChange(h, c[i], "") for h, c in zip(old.headers, old.cells, strict=True) if c[i])
        out.append(RowChange(old.table, old.sheet, "deleted", int(old.rows[i]), int(old.rows[i]), cells, i, None))
    order = {"changed": 0, "added": 0, "deleted": 1}
    out.sort(key=lambda c: (order[c.kind], c.row))
    return out
