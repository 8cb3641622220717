"""Which cells of a column are formatted as percentages (0.005 shown as 0.5 %).

A Tolerance % of 0.5 typed as a number means 0.5 %; the same 0.5 % in a cell formatted
as a percentage is stored as 0.005. Only the cell's number format tells them apart, so
the reader looks it up for the few columns whose meaning depends on it (small tables:
Items, Settings) and hands it to the engine (RawTable.percent).
"""
from __future__ import annotations

import numpy as np

from massbal.engine.tolerance import is_percent_code
from massbal.xlsx.read.header_row import iter_rows
from massbal.xlsx.read.package import Package, local

# Excel's built-in number formats that are percentages: 9 "0%", 10 "0.00%".
_BUILTIN_PERCENT = frozenset({9, 10})


def percent_styles(pkg: Package, styles_part: str | None) -> frozenset[int]:
    """Indexes into cellXfs whose number format is a percentage."""
    if not styles_part or not pkg.has(styles_part):
        return frozenset()
    root = pkg.xml(styles_part)
    custom: dict[int, str] = {}
    out: set[int] = set()
    for child in root:
        if local(child.tag) == "numFmts":
            for f in child:
                fid = f.get("numFmtId", "")
                if fid.isdigit():
                    custom[int(fid)] = f.get("formatCode", "")
        elif local(child.tag) == "cellXfs":
            for i, xf in enumerate(x for x in child if local(x.tag) == "xf"):
                fid = xf.get("numFmtId", "0")
                n = int(fid) if fid.isdigit() else 0
                if n in _BUILTIN_PERCENT or (n in custom and is_percent_code(custom[n])):
                    out.add(i)
    return frozenset(out)


def percent_flags(pkg: Package, sheet_part: str, styles: frozenset[int], rows: np.ndarray,
                  column: int) -> np.ndarray:
    """Per worksheet row in `rows`, whether the cell in `column` (1-based) is formatted as
    a percentage. Reads the sheet only down to the last row asked for."""
    flags = np.zeros(len(rows), dtype=bool)
    if not len(rows) or not styles:
        return flags
    at = {int(r): i for i, r in enumerate(rows)}
    last = int(max(rows))
    for row, cells in iter_rows(pkg, sheet_part):
        if row in at:
            flags[at[row]] = any(c.col == column and c.style in styles for c in cells)
        if row >= last:
            break
    return flags
