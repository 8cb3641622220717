"""The input tables of one write, fingerprinted cheaply first, and the dates of their rows.

A snapshot (every cell as canonical text, changelog.Snapshot) is most of what change
detection costs, and at most writes most tables have not changed. So each table first
gets a quick key: SHA-256 over its headers, worksheet rows and typed columns as the
reader gave them (the bytes of numbers and dates, pandas' hash of texts; no Python per
row). Equal quick keys mean equal snapshots, so a table whose key is the one the state
kept from the last write is neither snapshotted nor diffed. Unequal keys prove nothing:
a LibreOffice re-save may type a cell otherwise, another pandas may hash a text
otherwise; then the snapshot is made and compared as always. The key only saves work,
it never decides that something changed.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd

from massbal.engine.rawbook import RawBook, RawTable
from massbal.engine.schema import header_key

from .changelog import Snapshot, canon_column, snapshot


def _typed(s: pd.Series) -> tuple[bytes, bytes]:
    """A column as (kind, bytes): equal bytes of one kind mean equal canonical text."""
    dt = s.dtype
    if pd.api.types.is_datetime64_any_dtype(dt):
        return b"M", s.to_numpy(dtype="datetime64[ns]").view(np.int64).tobytes()
    if pd.api.types.is_float_dtype(dt) or pd.api.types.is_integer_dtype(dt):
        # canon_column reads integers as float64 too; NaN has one pattern once through numpy
        v = s.to_numpy(dtype="float64", na_value=np.nan)
        v = np.where(np.isnan(v), np.nan, v)
        return b"f", v.tobytes()
    if isinstance(dt, pd.StringDtype) and dt.storage == "pyarrow":
        got = _arrow_bytes(s)
        if got is not None:
            return b"a", got
    values = s.to_numpy(dtype=object)
    inferred = "string" if isinstance(dt, pd.StringDtype) else pd.api.types.infer_dtype(values, skipna=True)
    if inferred in ("floating", "integer", "mixed-integer-float"):   # numbers as objects (xlwings)
        return _typed(pd.Series(values, dtype="float64"))
    if inferred in ("string", "empty"):
        # texts and empties only: hashed as they are (not categorised: lots are mostly distinct)
        return b"s", pd.util.hash_array(values, categorize=False).tobytes()
    # a mixed column: its canonical text, so a number and a text that read alike agree
    return b"x", pd.util.hash_array(canon_column(s), categorize=False).tobytes()


def _arrow_bytes(s: pd.Series) -> bytes | None:
    """A text column kept by Arrow, as its buffers' digest: the same buffers hold the same
    texts (no string is made). None when not so kept after all."""
    try:
        chunked = s.array.__arrow_array__()
    except Exception:
        return None
    h = hashlib.sha256(str(chunked.type).encode())
    for chunk in chunked.chunks:
        h.update(f"|{chunk.offset}|{len(chunk)}|".encode())
        for buf in chunk.buffers():
            h.update(b"-" if buf is None else memoryview(buf))
            h.update(b"|")
    return h.digest()


def quick_key(t: RawTable) -> str:
    h = hashlib.sha256()
    h.update("\x1f".join(t.headers).encode("utf-8") + b"\x1e")
    h.update(np.asarray(t.rows, dtype=np.int64).tobytes())
    for j in range(len(t.headers)):
        kind, data = _typed(t.data[j])
        h.update(b"\x1e" + kind + len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()[:32]


def _dated_by(t: RawTable) -> str | None:
    """'date' when the table's rows carry their own date, 'batch' when they take their
    batch's (BatchInputs), None when they are not dated (Items, Certificates, Settings)."""
    keys = {header_key(h) for h in t.headers}
    return "date" if "date" in keys else "batch" if "batch" in keys else None


class Current(Mapping):
    """A book's input tables as snapshots, each made on first use; quick keys for all.

    It also carries what this write found of a closed period (`clean`: close -> table ->
    closed key of a content whose closed rows are as closed), for the state it writes next.
    """

    def __init__(self, raw: RawBook):
        self.raw = raw
        self._snaps: dict[str, Snapshot] = {}
        self._quick: dict[str, str] = {}
        self.clean: dict[str, dict[str, str]] = {}

    def __getitem__(self, name: str) -> Snapshot:
        got = self._snaps.get(name)
        if got is None:
            got = self._snaps[name] = snapshot(self.raw.tables[name])
        return got

    def __iter__(self) -> Iterator[str]:
        return iter(self.raw.tables)

    def __len__(self) -> int:
        return len(self.raw.tables)

    def __contains__(self, name) -> bool:
        return name in self.raw.tables

    def quick(self, name: str) -> str | None:
        t = self.raw.tables.get(name)
        if t is None:
            return None
        got = self._quick.get(name)
        if got is None:
            got = self._quick[name] = quick_key(t)
        return got

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


def name_keys(values: np.ndarray) -> pd.Series:
    """schema.name_key of a whole column (case, spaces and look-alike forms ignored)."""
    t = pd.Series(values, dtype=object).astype(str)
    return t.str.normalize("NFKC").str.casefold().str.split().str.join(" ")


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
