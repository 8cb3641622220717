"""One result table, cell by cell, from either face: the .xlsx the package writer wrote
(read with openpyxl) or the workbook an xlwings script's actions made (replay.Workbook).
Both give the same plain structure, so a test compares them with ==."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import openpyxl
from openpyxl.utils import range_boundaries
from replay import Workbook


@dataclass
class Table:
    ref: str                              # "A1:T8"
    cells: list[list[Any]]                # values, header row first; None for empty
    formats: list[list[str]]              # number formats
    fills: dict[tuple[int, int], str]     # (row, column) in the table -> fill RGB, where filled
    font_colors: dict[tuple[int, int], str]
    links: dict[tuple[int, int], str]     # -> internal target, "'Receipts'!D17"
    widths: list[float]                   # per column, in characters


def from_xlsx(path, sheet: str, table: str) -> Table:
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    ref = ws.tables[table].ref
    c1, r1, c2, r2 = range_boundaries(ref)
    cells, formats, fills, fonts, links = [], [], {}, {}, {}
    for i, r in enumerate(range(r1, r2 + 1)):
        cells.append([]), formats.append([])
        for j, c in enumerate(range(c1, c2 + 1)):
            cell = ws.cell(r, c)
            cells[-1].append(cell.value)
            formats[-1].append(cell.number_format)
            if i == 0:
                continue  # the header row is the table style's, in both faces
            if cell.fill is not None and cell.fill.fill_type == "solid":
                fills[(i, j)] = cell.fill.fgColor.rgb[-6:].upper()
            if cell.font is not None and cell.font.color is not None \
                    and isinstance(cell.font.color.rgb, str) and cell.hyperlink is None:
                fonts[(i, j)] = cell.font.color.rgb[-6:].upper()
            if cell.hyperlink is not None:
                links[(i, j)] = cell.hyperlink.location
    from openpyxl.utils import get_column_letter
    widths = [ws.column_dimensions[get_column_letter(c)].width for c in range(c1, c2 + 1)]
    return Table(ref, cells, formats, fills, fonts, links, widths)


def points_to_characters(points: float) -> float:
    """Excel's column width in characters of the default font (Calibri 11: 7 pixels a
    character, 5 pixels of padding) from a width in points, as Office.js sets it."""
    return (points / 0.75 - 5) / 7


def from_replay(book: Workbook, sheet: str, table: str) -> Table:
    s = book.sheet(sheet)
    ref = s.tables[table]
    grid = s.table_cells(table)
    cells = [[s.values.get(at) for at in row] for row in grid]
    formats = [[s.number_format(at) for at in row] for row in grid]
    fills, fonts, links = {}, {}, {}
    for i, row in enumerate(grid):
        for j, at in enumerate(row):
            if i == 0:
                continue
            if at in s.fills:
                fills[(i, j)] = s.fills[at]
            if at in s.font_colors:
                fonts[(i, j)] = s.font_colors[at]
            if at in s.links:
                target = s.links[at][0]
                assert target.startswith("#"), target  # an internal link, as Excel reads "#Sheet!A1"
                links[(i, j)] = target[1:]
    widths = [round(points_to_characters(s.widths[c]), 2) if c in s.widths else None
              for _, c in grid[0]]
    return Table(ref, cells, formats, fills, fonts, links, widths)


def assert_same(want: Table, got: Table, name: str) -> None:
    assert got.ref == want.ref, name
    assert got.cells[0] == want.cells[0], name  # headers
    for i, (w, g) in enumerate(zip(want.cells, got.cells, strict=True)):
        assert g == w, (name, "row", i + 1)
    # Number formats where a cell shows a value (the package writer leaves an empty
    # cell unstyled; a format on a cell with nothing in it shows nothing).
    for i, (row_w, row_g) in enumerate(zip(want.formats, got.formats, strict=True)):
        for j, (fw, fg) in enumerate(zip(row_w, row_g, strict=True)):
            if want.cells[i][j] is not None:
                assert fg == fw, (name, i + 1, want.cells[0][j], fg, fw)
    assert got.fills == want.fills, name
    assert got.font_colors == want.font_colors, name
    assert got.links == want.links, name
    assert got.widths == want.widths, name
