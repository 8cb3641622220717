"""The package writer's side of the notes carrier (massbal.layout.notes): the old sheet's
cells as read from the package, handed to the one carrier, and the 'Orphaned notes'
table's rows as cells.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from massbal.layout import notes as N
from massbal.layout.notes import ORPHAN_HEADERS, Orphan, orphan_text, wanted_headers
from massbal.layout.sheets import SheetSpec
from massbal.xlref import epoch as excel_epoch
from massbal.xlsx.write.cell_xml import OutColumn
from massbal.xlsx.write.readback import OldCell, OldSheet

__all__ = ["Carry", "Orphan", "carry", "orphan_rows", "orphan_table_rows", "wanted_headers"]
OUTSIDE = "(outside the table)"


@dataclass
class Carry:
    columns: list[OutColumn]
    orphans: list[Orphan] = field(default_factory=list)
    reattached: set[int] = field(default_factory=set)  # ids of earlier orphans that found a row
    kept: int = 0                                       # note cells back on their row


def _as_key_values(cells: list[OldCell | None], kind: str, date1904: bool) -> list:
    vals = []
    epoch = pd.Timestamp(excel_epoch(date1904))
    for c in cells:
        v = None if c is None else c.value
        if kind == "date" and c is not None and c.type == "n" and v is not None:
            v = epoch + pd.Timedelta(days=float(v))
        vals.append(v)
    return vals


def _old_rows(old: OldSheet | None, carried: set[str], date1904: bool) -> N.OldRows | None:
    """The old table's carried cells by data row, and its key cells as values."""
    own = old.own if old is not None else None
    if own is None or not old.cells_read:
        return None
    first, last = own.data_rows
    content: dict[int, list[tuple[str, OldCell]]] = {}
    for name in (n for n in own.columns if n in carried):
        col = own.first_col + own.columns.index(name)
        calc = own.calc_formula(name)
        for rnum, cell in old.table_cells.get(col, {}).items():
            if not first <= rnum <= last or cell.empty:
                continue
            if calc is not None and cell.formula == calc:
                continue  # the calculated column's own formula, written again anyway
            content.setdefault(rnum - first, []).append((name, cell))
    content = {i: content[i] for i in sorted(content)}

    def key_values(h: str, kind: str, rows: list[int]) -> list:
        cells = old.table_cells.get(own.first_col + own.columns.index(h), {})
        return _as_key_values([cells.get(first + i) for i in rows], kind, date1904)

    return N.OldRows(list(own.columns), first, last - first + 1, content, key_values)


def key_headers(spec: SheetSpec, old_names: list[str]) -> set[str]:
    """Of wanted_headers, those read only to key the rows that hold a note."""
    data = N.data_headers(spec)
    kept = {n for n in old_names if n not in data}
    ident = set(spec.keys) if spec.keys else set(N.DESCRIBE)
    return (ident & set(old_names)) - kept


def carry(spec: SheetSpec, spec_columns: dict[str, OutColumn], old: OldSheet | None,
          date1904: bool, earlier: list[tuple[int, Orphan]]) -> Carry:
    own = old.own if old is not None else None
    order = N.final_order(spec, own.columns if own is not None else None)
    columns: dict[str, OutColumn] = {}
    for name in order:
        if name in spec_columns:
            columns[name] = spec_columns[name]
        else:  # a column the user added: header and calculated formula as they made it
            columns[name] = OutColumn(name, "cells", formula=own.calc_formula(name),
                                      table_column=own.column_els[own.columns.index(name)])
    placed = N.carry(spec, order, _old_rows(old, set(order) - N.data_headers(spec), date1904), earlier)
    for name, cells in placed.cells.items():
        columns[name].cells.update(cells)
    return Carry([columns[n] for n in order], placed.orphans, placed.reattached, placed.kept)


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
            return orphan_text(None if c is None else c.value)

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
