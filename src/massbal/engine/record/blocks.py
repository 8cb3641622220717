"""Input tables in row blocks, so that a write looks only at the rows that changed.

Most of change detection's cost is the canonical text of every row (changelog.snapshot),
its stored form and the diff, while most writes change a few rows of one table. So each
table is cut into blocks of about BLOCK rows, and each block gets a key: SHA-256 over its
cells as the reader typed them (the bytes of numbers and dates, pandas' hash of texts, an
Arrow column's own bytes; no Python per row). The state keeps each block's canonical text
under its key. At the next write a block whose key is kept holds the very content kept:
it is neither snapshotted, decoded, diffed nor encoded again. Only the blocks without a
kept key are diffed, against the kept blocks no longer present, so a row moved from one
block to another is still paired by its content and not reported.

Keys only save work: one that does not match proves nothing (a LibreOffice re-save may
type a cell otherwise, xlwings gives Python objects where a file reader gives Arrow), and
then those rows are compared as canonical text as always.

Blocks end where a row's own content says so (a hash of its typed cells hits a mark), not
every n rows: a row inserted or deleted changes the block it is in, not all those after.
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from massbal.engine.rawbook import RawTable

from .changelog import Snapshot, _runs, canon_column, filled_rows

BLOCK = 8192                 # rows per block, on average
MIN_BLOCK, MAX_BLOCK = 1024, 65536
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


# ------------------------------------------------------------------ typed cells

def _column(s: pd.Series, canon: np.ndarray | None = None):
    """A column as (kind, per-row marks, bytes of rows [a, b)): equal bytes of one kind
    mean equal canonical text; marks are a cheap per-row number, only to place cuts.
    canon: the column's canonical text when already made (a mixed column's key is its hash)."""
    dt = s.dtype
    if pd.api.types.is_datetime64_any_dtype(dt):
        v = s.to_numpy(dtype="datetime64[ns]").view(np.int64)
        return b"M", v.view(np.uint64), lambda a, b: v[a:b].tobytes()
    if pd.api.types.is_float_dtype(dt) or pd.api.types.is_integer_dtype(dt):
        v = s.to_numpy(dtype="float64", na_value=np.nan)
        v = np.where(np.isnan(v), np.nan, v)   # one NaN pattern
        return b"f", v.view(np.uint64), lambda a, b: v[a:b].tobytes()
    if isinstance(dt, pd.StringDtype) and dt.storage == "pyarrow":
        got = _arrow(s)
        if got is not None:
            return got
    values = s.to_numpy(dtype=object)
    inferred = "string" if isinstance(dt, pd.StringDtype) else pd.api.types.infer_dtype(values, skipna=True)
    if inferred in ("floating", "integer", "mixed-integer-float"):   # numbers as objects (xlwings)
        return _column(pd.Series(values, dtype="float64"))
    if inferred in ("string", "empty"):
        h = pd.util.hash_array(values, categorize=False)
        return b"s", h, lambda a, b: h[a:b].tobytes()
    # a mixed column: its canonical text, so a number and a text that read alike agree
    h = pd.util.hash_array(canon_column(s) if canon is None else canon, categorize=False)
    return b"x", h, lambda a, b: h[a:b].tobytes()


def _arrow(s: pd.Series):
    """A text column kept by Arrow, by its own buffers (no Python string is made)."""
    try:
        arr = s.array.__arrow_array__().combine_chunks()
        width = {"string": np.int32, "large_string": np.int64}[str(arr.type)]
    except Exception:
        return None
    n, bufs = len(arr), arr.buffers()
    off = np.frombuffer(bufs[1], dtype=width)[arr.offset:arr.offset + n + 1].astype(np.int64) if n else np.zeros(1, np.int64)
    data = memoryview(bufs[2]) if bufs[2] is not None else memoryview(b"")
    null = arr.is_null().to_numpy(zero_copy_only=False).astype(np.uint8) if arr.null_count else np.zeros(n, np.uint8)
    marks = np.diff(off).astype(np.uint64) + null.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)

    def part(a, b):
        return bytes(data[off[a]:off[b]]) + (off[a:b + 1] - off[a]).tobytes() + null[a:b].tobytes()
    return b"a", marks, part


def _mix(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def _ends(marks: np.ndarray) -> np.ndarray:
    """Where blocks end (exclusive positions): after rows whose mark hits, kept between
    MIN_BLOCK and MAX_BLOCK rows apart."""
    n = len(marks)
    hits = (np.flatnonzero(_mix(marks) % np.uint64(BLOCK) == 0) + 1).tolist()
    ends, last = [], 0
    for e in hits + [n]:
        while e - last > MAX_BLOCK:
            last += MAX_BLOCK
            ends.append(last)
        if e - last >= MIN_BLOCK or (e == n and e > last):
            ends.append(e)
            last = e
    return np.asarray(ends, dtype=np.int64)


@dataclass(frozen=True)
class Cut:
    """A table's blocks as read now: rows [starts[k], ends[k]) of the read rows, and keys."""

    keys: tuple[str, ...]
    ends: np.ndarray
    quick: str           # the whole table: headers, worksheet rows and block keys

    @property
    def starts(self) -> np.ndarray:
        if not len(self.ends):   # a table with no rows has no block (not one starting at 0)
            return np.zeros(0, dtype=np.int64)
        return np.concatenate([[0], self.ends[:-1]]).astype(np.int64)


def cut(t: RawTable, canon: tuple[np.ndarray, ...] | None = None) -> Cut:
    """canon: every column's canonical text over every read row, when already made (the
    snapshot of a first write): not made again for a mixed column."""
    n = len(t.rows)
    cols = [_column(t.data[j], None if canon is None else canon[j]) for j in range(len(t.headers))]
    marks = np.zeros(n, dtype=np.uint64)
    for j, (_, m, _) in enumerate(cols):
        marks += m * np.uint64((2 * j + 1) * 0x9E3779B1)   # wraps around, as intended
    ends = _ends(marks) if n else np.zeros(0, dtype=np.int64)
    head = ("\x1f".join(t.headers) + "\x1e").encode("utf-8")
    keys = []
    a = 0
    for e in ends.tolist():
        h = hashlib.sha256(head)
        for kind, _, part in cols:
            data = part(a, e)
            h.update(b"\x1e" + kind + len(data).to_bytes(8, "little"))
            h.update(data)
        keys.append(h.hexdigest()[:32])
        a = e
    q = hashlib.sha256(head)
    q.update(np.asarray(t.rows, dtype=np.int64).tobytes())
    q.update("|".join(keys).encode("ascii"))
    return Cut(tuple(keys), ends, q.hexdigest()[:32])


def match(new: tuple[str, ...], old: tuple[str, ...]) -> tuple[list[int], list[int]]:
    """Blocks of each side whose key the other side lacks (equal keys paired one to one)."""
    left_new, left_old = Counter(new), Counter(old)
    fresh, gone = [], []
    for k, key in enumerate(new):
        if left_old[key] > 0:
            left_old[key] -= 1
        else:
            fresh.append(k)
    for k, key in enumerate(old):
        if left_new[key] > 0:
            left_new[key] -= 1
        else:
            gone.append(k)
    return fresh, gone


# ------------------------------------------------------------------ canonical rows of blocks

def empty(table: str, sheet: str, headers, iso=()) -> Snapshot:
    return Snapshot(table, sheet, tuple(headers), np.zeros(0, np.int64),
                    tuple(np.empty(0, dtype=object) for _ in headers), tuple(iso))


def concat(parts: list[Snapshot], like: Snapshot) -> Snapshot:
    if not parts:
        return like.take(np.zeros(len(like), dtype=bool))
    if len(parts) == 1:
        return parts[0]
    return Snapshot(like.table, like.sheet, like.headers, np.concatenate([p.rows for p in parts]),
                    tuple(np.concatenate([p.cells[j] for p in parts]) for j in range(len(like.headers))), like.iso)


@dataclass(frozen=True)
class Rows:
    """Canonical text of some read rows of a table: `snap` holds the filled ones (worksheet
    rows), `pos` their read positions."""

    snap: Snapshot
    pos: np.ndarray

    def block(self, a: int, b: int, relative: bool) -> Snapshot:
        """The filled rows of read positions [a, b); rows relative to a, or worksheet rows."""
        i, j = np.searchsorted(self.pos, [a, b])
        s = self.snap
        rows = self.pos[i:j] - a if relative else s.rows[i:j]
        return Snapshot(s.table, s.sheet, s.headers, rows, tuple(c[i:j] for c in s.cells), s.iso)


def canon_rows(t: RawTable, pos: np.ndarray | None = None) -> Rows:
    """The rows at read positions `pos` (all when None) as canonical text; rows with no
    value at all are not records (as changelog.snapshot)."""
    n = len(t.rows)
    pos = np.arange(n, dtype=np.int64) if pos is None else np.asarray(pos, dtype=np.int64)
    whole = len(pos) == n
    run = len(pos) and pos[-1] - pos[0] + 1 == len(pos)   # one run of rows (a block): a slice, not a copy
    cols = [t.data[j] if whole else t.data[j].iloc[pos[0]:pos[-1] + 1] if run else t.data[j].iloc[pos]
            for j in range(len(t.headers))]
    cells = tuple(canon_column(c) for c in cols)
    iso = tuple(pd.api.types.is_datetime64_any_dtype(c.dtype) for c in cols)
    rows = np.asarray(t.rows, dtype=np.int64)[pos]
    filled = filled_rows(cells, len(pos))
    if cells and not filled.all():
        cells, rows, pos = tuple(c[filled] for c in cells), rows[filled], pos[filled]
    return Rows(Snapshot(t.name, t.sheet, t.headers, rows, cells, iso), pos)


def positions(c: Cut, blocks: list[int]) -> np.ndarray:
    starts = c.starts
    if not blocks:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate([np.arange(starts[k], c.ends[k], dtype=np.int64) for k in blocks])


# ------------------------------------------------------------------ stored forms

_GS = "\t"      # between blocks (JSON and base64 never hold one; a cell keeps it, unlike \x1d)
BLOCKS_V1, CLOSED_V1 = "B1:", "C1:"


class _Blocks:
    """Blocks of canonical text, each encoded (changelog.Snapshot.to_text) and decoded
    only when needed; a block with no text is empty."""

    prefix = ""

    def __init__(self, head: dict, texts: list, snaps: list | None = None, text: str | None = None):
        self.head = head
        self._texts = texts
        self._snaps = snaps or [None] * len(texts)
        self._text = text

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(k for k, _ in self.head["blocks"])

    def like(self) -> Snapshot:
        h = self.head
        return empty(h["table"], h["sheet"], h["headers"], h.get("iso", ()))

    def snap(self, k: int) -> Snapshot:
        got = self._snaps[k]
        if got is None:
            text = self._texts[k]
            got = self._snaps[k] = Snapshot.from_text(text) if text else self.like()
        return got

    def stored(self, k: int) -> str | Snapshot:
        """A block as it is at hand: its text, or its snapshot not yet encoded."""
        return self._texts[k] if self._texts[k] is not None else self._snaps[k]

    def block_text(self, k: int) -> str:
        got = self._texts[k]
        if got is None:
            s = self._snaps[k]
            got = self._texts[k] = s.to_text() if len(s) else ""
        return got

    def digest(self) -> str:
        return hashlib.sha256("|".join(self.keys).encode()).hexdigest()[:32]

    def to_text(self) -> str:
        if self._text is None:
            head = json.dumps(self.head, separators=(",", ":"), ensure_ascii=False)
            self._text = self.prefix + _GS.join([head] + [self.block_text(k) for k in range(len(self._texts))])
        return self._text

    @classmethod
    def from_text(cls, text: str):
        head, *texts = text[len(cls.prefix):].split(_GS)
        return cls(json.loads(head), texts, None, text)


class TableBlocks(_Blocks):
    """A table as the state keeps it: worksheet rows of every read row (runs), and per block
    its key, read-row count and canonical text (rows given relative to the block's start,
    so a block moved down by rows inserted above is the same block)."""

    prefix = BLOCKS_V1

    @staticmethod
    def build(t: RawTable, c: Cut, snaps: list) -> TableBlocks:
        counts = np.diff(np.concatenate([[0], c.ends])).tolist()
        head = {"table": t.name, "sheet": t.sheet, "headers": list(t.headers),
                "iso": [pd.api.types.is_datetime64_any_dtype(t.data[j].dtype) for j in range(len(t.headers))],
                "runs": _runs(np.asarray(t.rows, dtype=np.int64)), "blocks": [list(x) for x in zip(c.keys, counts, strict=True)]}
        texts = [s if isinstance(s, str) else None for s in snaps]
        return TableBlocks(head, texts, [None if isinstance(s, str) else s for s in snaps])

    def rows(self) -> np.ndarray:
        r = self.head["runs"]
        return (np.concatenate([np.arange(a, a + k, dtype=np.int64) for a, k in zip(r[::2], r[1::2], strict=True)])
                if r else np.zeros(0, dtype=np.int64))

    def sub(self, blocks: list[int]) -> Snapshot:
        """The blocks' rows as one snapshot, at the worksheet rows they had."""
        rows = self.rows()
        counts = [n for _, n in self.head["blocks"]]
        starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        parts = []
        for k in blocks:
            s = self.snap(k)
            parts.append(Snapshot(s.table, s.sheet, s.headers, rows[starts[k] + s.rows], s.cells, s.iso))
        return concat(parts, self.like())

    def load(self) -> Snapshot:
        return self.sub(list(range(len(self._texts))))


class ClosedBlocks(_Blocks):
    """A table's rows of a closed period, as closed, per block of the table then (key, and
    the block's closed rows at their worksheet rows then). `batches`: the Batches table's
    key then, for rows dated by their batch (another Batches may date them otherwise)."""

    prefix = CLOSED_V1

    @staticmethod
    def build(t: RawTable, c: Cut, rows: Rows, closed: np.ndarray, batches: str | None) -> ClosedBlocks:
        """closed: which of rows.snap's rows are in the closed period."""
        snaps = []
        keep = rows.snap.take(closed)
        kept_pos = rows.pos[closed]
        for a, b in zip(c.starts.tolist(), c.ends.tolist(), strict=True):
            snaps.append(Rows(keep, kept_pos).block(a, b, relative=False))
        head = {"table": t.name, "sheet": t.sheet, "headers": list(t.headers), "iso": list(rows.snap.iso),
                "blocks": [[k, len(s)] for k, s in zip(c.keys, snaps, strict=True)], "batches": batches}
        return ClosedBlocks(head, [None] * len(snaps), snaps)

    @property
    def batches(self) -> str | None:
        return self.head.get("batches")

    def sub(self, blocks: list[int]) -> Snapshot:
        return concat([self.snap(k) for k in blocks if self.head["blocks"][k][1]], self.like())

    def load(self) -> Snapshot:
        return self.sub(list(range(len(self._texts))))

    def __len__(self) -> int:
        return sum(n for _, n in self.head["blocks"])
