"""Users' words survive a Reconcile: the one notes carrier of every face.

A row of an output table is identified by its key columns (Balance: Item, Owner, Start,
End; Yield: Batch; ...). Before a sheet is replaced, every non-empty cell of its note
columns and of columns the user added is read with its row's key, and re-attached to
the new row with the same key. A note whose key no longer exists (the item left the
period, the finding was fixed) is never dropped: it goes to the 'Orphaned notes' sheet,
one row per cell, and returns to its row by itself if a later run brings the key back
(a run limited to one item, say).

Pure (pandas only, Lite-safe): the package writer (massbal.xlsx.write.notes) and the
xlwings adapter (massbal.excel.adapter) both hand their old table to `carry`, so the
command line and a button put the same note in the same place. A cell is whatever the
caller reads (the package writer's OldCell, a plain value from xlwings); the carrier
only moves it.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from massbal.layout.sheets import SheetSpec

ORPHANS_SHEET = "Orphaned notes"
ORPHANS_TABLE = "OrphanedNotes"
ORPHAN_HEADERS = ("Sheet", "Key", "Column", "Value", "Formula", "Orphaned on")
ORPHAN_WIDTHS = {"Sheet": 12, "Key": 40, "Column": 18, "Value": 40, "Formula": 24, "Orphaned on": 12}

KEY_SEPARATOR = " | "
# Columns that describe a row of a sheet without keys (the Ledger) in the orphan list.
DESCRIBE = ("Date", "Kind", "Item", "Lot", "Sheet", "Row")


def key_parts(values: pd.Series, kind: str) -> pd.Series:
    """One key column as canonical text, so a row read back from the sheet matches the
    row the engine produced: text stripped, dates ISO, integers without decimals."""
    values = values.reset_index(drop=True)
    if kind == "date":
        d = pd.to_datetime(values, errors="coerce")
        return d.dt.strftime("%Y-%m-%d").astype(object).where(d.notna(), "").astype(str)
    if kind in ("integer",):
        num = pd.to_numeric(values, errors="coerce")
        return num.round().astype("Int64").astype("string").fillna("").astype(str)
    obj = values.astype(object)
    return obj.where(obj.notna(), "").astype(str).str.strip()


def _joined(parts: list[pd.Series], n: int) -> pd.Series:
    if not parts:
        return pd.Series([""] * n, dtype=object)
    out = parts[0].astype(object)
    for p in parts[1:]:
        out = out + KEY_SEPARATOR + p
    return out


def row_keys(spec: SheetSpec, frame: Mapping[str, pd.Series] | None = None) -> pd.Series:
    """The key of every row: its key columns' canonical text joined by ' | '."""
    frame = spec.data if frame is None else frame
    parts = [key_parts(frame[h], spec.column(h).kind) for h in spec.keys]
    return number_repeats(_joined(parts, spec.nrows))


def number_repeats(keys: pd.Series) -> pd.Series:
    """Keys made unique in row order: the second row with a key gets ' #2', and so on
    (two findings that say the same thing keep their own notes)."""
    keys = pd.Series(keys, dtype=object).reset_index(drop=True)
    n = keys.groupby(keys, sort=False).cumcount()
    if not (n > 0).any():
        return keys
    return keys.where(n == 0, keys + " #" + (n + 1).astype(str))


def final_order(spec: SheetSpec, old_names: list[str] | None) -> list[str]:
    """Column order: the user's arrangement of the old table (their added columns where
    they put them); massbal's columns that are new go after their predecessor."""
    spec_headers = list(spec.headers)
    if not old_names:
        return spec_headers
    data = data_headers(spec)
    order = [n for n in old_names if n not in data or n in spec_headers]
    seen = {n.lower() for n in order}
    for i, h in enumerate(spec_headers):
        if h.lower() in seen:
            continue
        at = 0
        for prev in reversed(spec_headers[:i]):
            if prev in order:
                at = order.index(prev) + 1
                break
        order.insert(at, h)
        seen.add(h.lower())
    return order


def data_headers(spec: SheetSpec) -> set[str]:
    """massbal's own columns: everything but the note columns."""
    return {c.header for c in spec.columns if c.kind != "note"}


def wanted_headers(spec: SheetSpec, old_names: list[str]) -> set[str]:
    """Old table columns whose cells must be read: the user's and the key columns."""
    data = data_headers(spec)
    kept = {n for n in old_names if n not in data}
    if not kept:
        return set()
    ident = set(spec.keys) if spec.keys else set(DESCRIBE)
    return kept | (ident & set(old_names))


@dataclass
class Orphan:
    sheet: str
    key: str
    column: str
    cell: Any                           # as the caller reads and writes a cell
    row_cells: dict[str, Any] | None = None   # an earlier orphan row, written back as found


@dataclass
class OldRows:
    """The table being replaced, as far as the carrier needs it.

    headers: its columns as the user left them. first_row: the sheet row of its first
    data row. content: data row index (0-based) -> [(column, cell)], the non-empty cells
    of the columns that are carried (notes and the user's), in column order.
    key_values(column, kind, indexes): those data rows' values of a key column, as plain
    values (dates as dates), for key_parts.
    """
    headers: list[str]
    first_row: int
    nrows: int
    content: dict[int, list[tuple[str, Any]]]
    key_values: Callable[[str, str, list[int]], Sequence[Any]]


@dataclass
class Carried:
    cells: dict[str, dict[int, Any]]    # carried column -> new row index -> cell
    orphans: list[Orphan] = field(default_factory=list)
    reattached: set[int] = field(default_factory=set)   # ids of earlier orphans that found a row
    kept: int = 0                                        # note cells back on their row


def carry(spec: SheetSpec, order: list[str], old: OldRows | None,
          earlier: Sequence[tuple[int, Orphan]] = ()) -> Carried:
    """Place the old table's carried cells, then earlier orphans, on the new rows by key."""
    data = data_headers(spec)
    result = Carried({h: {} for h in order if h not in data})
    found: list[pd.Series] = []   # the new rows by key, made at the first cell to place

    def place(key: str, name: str, cell: Any) -> bool:
        if not spec.keys or name not in result.cells:
            return False
        if not found:   # only a sheet with notes pays for every row's key (0.8 s at 980k)
            new_keys = row_keys(spec)
            index = pd.Series(np.arange(len(new_keys)), index=pd.Index(new_keys))
            found.append(index[~index.index.duplicated()])
        at = found[0].get(key)
        if at is None or int(at) in result.cells[name]:
            return False   # the first cell for a row wins; the rest are orphans
        result.cells[name][int(at)] = cell
        return True

    if old is not None and old.content:
        rows = sorted(old.content)
        ident = [h for h in (spec.keys or DESCRIBE) if h in old.headers]
        # keyed sheets: every row's key, so repeated keys are numbered as row_keys numbers them
        read = list(range(old.nrows)) if spec.keys else rows
        parts = []
        for h in ident:
            kind = spec.column(h).kind if h in spec.headers else "text"
            values = pd.Series(list(old.key_values(h, kind, read)), dtype=object)
            parts.append(key_parts(values, kind))
        joined = _joined(parts, len(read))
        if spec.keys:
            joined = number_repeats(joined)
            keys = [joined.iloc[i] for i in rows]
        else:
            keys = list(joined)
        complete = bool(spec.keys) and all(h in old.headers for h in spec.keys)
        for i, key in zip(rows, keys, strict=True):
            for name, cell in old.content[i]:
                if complete and place(key, name, cell):
                    result.kept += 1
                else:
                    shown = key if spec.keys else f"row {old.first_row + i}: {key}"
                    result.orphans.append(Orphan(spec.name, shown, name, cell))
    for oid, o in earlier:
        if o.sheet == spec.name and place(o.key, o.column, o.cell):
            result.reattached.add(oid)
            result.kept += 1
    return result


def orphan_text(value: Any) -> str:
    """A cell of the orphan list's Sheet, Key, Column or Formula as text (a key typed as
    17 reads back as the number 17.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
