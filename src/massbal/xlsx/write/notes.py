"""Users' words survive a Reconcile: notes and added columns follow their row.

A row of an output table is identified by its key columns (Balance: Item, Owner, Start,
End; Yield: Batch; ...). Before a sheet is replaced, every non-empty cell of its note
columns and of columns the user added is read with its row's key, and re-attached to
the new row with the same key. A note whose key no longer exists (the item left the
period, the finding was fixed) is never dropped: it goes to the 'Orphaned notes' sheet,
one row per cell, and returns to its row by itself if a later run brings the key back
(a run limited to one item, say).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from massbal.layout.sheets import (
    KEY_SEPARATOR,
    ORPHAN_HEADERS,
    SheetSpec,
    final_order,
    key_parts,
    number_repeats,
    row_keys,
)
from massbal.xlref import epoch as excel_epoch
from massbal.xlsx.write.cell_xml import OutColumn
from massbal.xlsx.write.readback import OldCell, OldSheet

# Columns that describe a row of a sheet without keys (the Ledger) in the orphan list.
_DESCRIBE = ("Date", "Kind", "Item", "Lot", "Sheet", "Row")
OUTSIDE = "(outside the table)"


@dataclass
class Orphan:
    sheet: str
    key: str
    column: str
    cell: OldCell                       # value, type and style; formula restored on return
    row_cells: dict[str, OldCell] | None = None   # an earlier orphan row, written back as found


@dataclass
class Carry:
    columns: list[OutColumn]
    orphans: list[Orphan] = field(default_factory=list)
    reattached: set[int] = field(default_factory=set)  # ids of earlier orphans that found a row
    kept: int = 0                                       # note cells back on their row


def _as_key_values(cells: list[OldCell | None], kind: str, date1904: bool) -> pd.Series:
    vals = []
    epoch = pd.Timestamp(excel_epoch(date1904))
    for c in cells:
        v = None if c is None else c.value
        if kind == "date" and c is not None and c.type == "n" and v is not None:
            v = epoch + pd.Timedelta(days=float(v))
        vals.append(v)
    s = pd.Series(vals, dtype=object)
    if kind == "date":
        return pd.to_datetime(s, errors="coerce")
    return s


def wanted_headers(spec: SheetSpec, old_names: list[str]) -> set[str]:
    """Old table columns whose cells must be read: the user's and the key columns."""
    data = {c.header for c in spec.columns if c.kind != "note"}
    kept = {n for n in old_names if n not in data}
    if not kept:
        return set()
    ident = set(spec.keys) if spec.keys else set(_DESCRIBE)
    return kept | (ident & set(old_names))


def key_headers(spec: SheetSpec, old_names: list[str]) -> set[str]:
    """Of wanted_headers, those read only to key the rows that hold a note."""
    data = {c.header for c in spec.columns if c.kind != "note"}
    kept = {n for n in old_names if n not in data}
    ident = set(spec.keys) if spec.keys else set(_DESCRIBE)
    return (ident & set(old_names)) - kept


def carry(spec: SheetSpec, spec_columns: dict[str, OutColumn], old: OldSheet | None,
          date1904: bool, earlier: list[tuple[int, Orphan]]) -> Carry:
    own = old.own if old is not None else None
    old_names = own.columns if own is not None else None
    order = final_order(spec, old_names)
    columns: dict[str, OutColumn] = {}
    for name in order:
        if name in spec_columns:
            columns[name] = spec_columns[name]
        else:  # a column the user added: header and calculated formula as they made it
            columns[name] = OutColumn(name, "cells", formula=own.calc_formula(name),
                                      table_column=own.column_els[own.columns.index(name)])
    result = Carry([columns[n] for n in order])
    new_keys = row_keys(spec)
    index = pd.Series(np.arange(len(new_keys)), index=pd.Index(new_keys)) if spec.keys else pd.Series(dtype=int)
    index = index[~index.index.duplicated()]
    taken: set[tuple[int, str]] = set()

    def place(key: str, name: str, cell: OldCell) -> bool:
        if not spec.keys or name not in columns or columns[name].kind != "cells":
            return False
        at = index.get(key)
        if at is None or (int(at), name) in taken:
            return False
        taken.add((int(at), name))
        columns[name].cells[int(at)] = cell
        return True

    if own is not None and old.cells_read:
        first, last = own.data_rows
        kept_names = [n for n in own.columns if n in columns and columns[n].kind == "cells"]
        content: dict[int, list[tuple[str, OldCell]]] = {}
        for name in kept_names:
            col = own.first_col + own.columns.index(name)
            calc = own.calc_formula(name)
            for rnum, cell in old.table_cells.get(col, {}).items():
                if not first <= rnum <= last or cell.empty:
                    continue
                if calc is not None and cell.formula == calc:
                    continue  # the calculated column's own formula, written again anyway
                content.setdefault(rnum, []).append((name, cell))
        rows = sorted(content)
        ident = [h for h in (spec.keys or _DESCRIBE) if h in own.columns]
        # keyed sheets: every row's key, so repeated keys are numbered as row_keys numbers them
        read = list(range(first, last + 1)) if spec.keys and rows else rows
        parts = []
        for h in ident:
            col = own.first_col + own.columns.index(h)
            cells = [old.table_cells.get(col, {}).get(r) for r in read]
            kind = spec.column(h).kind if h in spec.headers else "text"
            parts.append(key_parts(_as_key_values(cells, kind, date1904), kind))
        joined = pd.Series([""] * len(read), dtype=object) if not parts else parts[0].astype(object)
        for p in parts[1:]:
            joined = joined + KEY_SEPARATOR + p
        if spec.keys and rows:
            joined = number_repeats(joined)
            keys = [joined.iloc[r - first] for r in rows]
        else:
            keys = list(joined)
        complete = spec.keys and all(h in own.columns for h in spec.keys)
        for rnum, key in zip(rows, keys, strict=True):
            for name, cell in content[rnum]:
                if complete and place(key, name, cell):
                    result.kept += 1
                else:
                    shown = key if spec.keys else f"row {rnum}: {key}"
                    result.orphans.append(Orphan(spec.name, shown, name, cell))
    for oid, o in earlier:
        if o.sheet == spec.name and place(o.key, o.column, o.cell):
            result.reattached.add(oid)
            result.kept += 1
    return result


def orphan_rows(old: OldSheet | None) -> list[tuple[int, Orphan]]:
    """The rows of the existing 'Orphaned notes' table."""
    if old is None or old.own is None or not old.cells_read:
        return []
    own = old.own
    first, last = own.data_rows
    by_col = {name: old.table_cells.get(own.first_col + i, {}) for i, name in enumerate(own.columns)}
    rows = sorted({r for cells in by_col.values() for r in cells if first <= r <= last})
    out = []
    for rnum in rows:
        row = {name: cells[rnum] for name, cells in by_col.items() if rnum in cells}

        def text(h: str, row: dict = row) -> str:  # bound now: called within this row
            c = row.get(h)
            if c is None or c.value is None:
                return ""
            v = c.value
            return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)

        value = row.get("Value") or OldCell(None)
        formula = text("Formula") or None
        cell = OldCell(value.value, value.type, value.style, formula)
        out.append((rnum, Orphan(text("Sheet"), text("Key"), text("Column"), cell, row)))
    return out


def orphan_table_rows(kept: list[tuple[int, Orphan]], new: list[Orphan], headers: list[str],
                      today: date, date_style: int, date1904: bool) -> dict[str, dict[int, OldCell]]:
    """Cells of the 'Orphaned notes' table: earlier rows as found, then the new ones."""
    from massbal.xlsx.write.cell_xml import serial_of

    cols: dict[str, dict[int, OldCell]] = {h: {} for h in headers}
    i = 0
    for _, o in kept:
        for h, c in (o.row_cells or {}).items():
            if h in cols:
                cols[h][i] = c
        i += 1
    stamp = OldCell(serial_of(today, date1904), "n", date_style)
    for o in new:
        value = OldCell(o.cell.value, o.cell.type, o.cell.style, None)
        row = {"Sheet": OldCell(o.sheet), "Key": OldCell(o.key), "Column": OldCell(o.column),
               "Value": value, "Formula": OldCell(o.cell.formula) if o.cell.formula else None,
               "Orphaned on": stamp}
        for h in ORPHAN_HEADERS:
            if row.get(h) is not None and h in cols:
                cols[h][i] = row[h]
        i += 1
    return cols
