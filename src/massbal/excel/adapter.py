"""xlwings Book <-> engine: read the input tables into a RawBook, write the result sheets.

One adapter for every xlwings engine: desktop Excel (COM on Windows, AppleScript on
macOS) and the remote engine that xlwings Lite runs. It only uses the xlwings API that
all of them share, takes the book as a parameter, and never looks up the calling book
itself (that is the thin entry points' job, see entry.py and addin/lite/main.py).

Reading is one bulk `.value` per table, so a desktop book costs one round trip per
table. Writing follows the same sheet specs (massbal.layout.sheets) as the .xlsx writer, so the
Balance sheet a button writes is the Balance sheet the command line writes.
"""
from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from massbal.engine.rawbook import RawBook, RawTable
from massbal.engine.schema import TABLES, table_key
from massbal.xlref import column_letter, column_number


def _rows_2d(rng) -> list[list[Any]]:
    values = rng.options(ndim=2).value
    return [list(r) for r in (values or [])]


def _is_empty(v: Any) -> bool:
    return v is None or (isinstance(v, str) and v == "") or (isinstance(v, float) and np.isnan(v))


def _raw_table(name: str, sheet_name: str, values: list[list[Any]], top_row: int, left_col: int,
               is_table: bool) -> RawTable:
    headers = values[0] if values else []
    body = values[1:]
    if not is_table:
        # A plain sheet's used range can run past the data (formatted but empty rows);
        # those trailing rows are not records. Blank rows between records stay: the
        # engine decides about them, with their row numbers intact.
        while body and all(_is_empty(v) for v in body[-1]):
            body.pop()
    width = len(headers)
    data = pd.DataFrame([[None if _is_empty(v) else v for v in r] for r in body],
                        columns=range(width), dtype=object)
    if data.empty:
        data = pd.DataFrame({i: pd.Series(dtype=object) for i in range(width)})
    rows = np.arange(top_row + 1, top_row + 1 + len(body), dtype=np.int64)
    cols = tuple(column_letter(left_col + i) for i in range(width))
    head = tuple("" if _is_empty(h) else str(h) for h in headers)
    return RawTable(name, sheet_name, head, data, rows, cols, top_row, is_table)


def _date1904(book) -> bool:
    try:  # desktop Windows; other engines have no such property and use 1900 dates
        return bool(book.api.Date1904)
    except Exception:
        return False


def read_raw_book(book) -> RawBook:
    """The contract's input tables from an open xlwings Book.

    An Excel Table of the table's name wins (on whatever sheet it lives); otherwise a
    sheet of that name whose first used row holds the headers.
    """
    sheets = list(book.sheets)
    found: dict[str, tuple[Any, Any]] = {}
    for sheet in sheets:
        for table in sheet.tables:
            found.setdefault(table_key(table.name), (sheet, table))
    by_sheet = {table_key(s.name): s for s in sheets}
    out: dict[str, RawTable] = {}
    for name in TABLES:
        hit = found.get(table_key(name))
        if hit is not None:
            sheet, table = hit
            rng = table.range
            out[name] = _raw_table(name, sheet.name, _rows_2d(rng), rng.row, rng.column, True)
            continue
        sheet = by_sheet.get(table_key(name))
        if sheet is None:
            continue
        rng = sheet.used_range
        values = _rows_2d(rng)
        if not values or all(_is_empty(v) for v in values[0]):
            continue
        out[name] = _raw_table(name, sheet.name, values, rng.row, rng.column, False)
    for name, header in (("Items", "Tolerance %"), ("Settings", "Value")):
        if name in out:
            sheet = next(s for s in sheets if s.name == out[name].sheet)
            out[name] = _with_percent_formats(sheet, out[name], header)
    return RawBook(out, _date1904(book), source=book.name, sheet_names=tuple(s.name for s in sheets))


def _with_percent_formats(sheet, t: RawTable, header: str) -> RawTable:
    """Which cells of the Tolerance % column are formatted as percentages (0.005 shown as
    0.5 %), where the engine can tell: desktop Excel can, the remote engine (xlwings Lite)
    cannot read formats synchronously, and then the engine says how it read the value."""
    from dataclasses import replace

    from massbal.engine.schema import header_key
    from massbal.engine.tolerance import is_percent_code
    cols = [i for i, h in enumerate(t.headers) if header_key(h) == header_key(header)]
    if not cols or not len(t.rows) or len(t.rows) > 1_000:  # Items and Settings are small
        return t
    col = column_number(t.columns[cols[0]])
    try:
        flags = [is_percent_code(sheet.range((int(r), col)).number_format) for r in t.rows]
    except Exception:  # NotImplementedError on the remote engine, COM errors
        return t
    return replace(t, percent={cols[0]: np.asarray(flags, dtype=bool)})


# ------------------------------------------------------------------ writing

TABLE_STYLE = "TableStyleMedium2"
TEXT_KINDS = ("text", "status", "link")

# Excel parses text written to a cell as if typed: "00123" becomes 123, "2025-11" a date,
# "=x" or "-x" a formula, "TRUE" a boolean. A leading apostrophe keeps text as text (and
# is not part of the value), so text Excel could read otherwise gets one. Wider than
# Excel's rules on purpose: an apostrophe too many changes nothing.
_EXCEL_WOULD_PARSE = re.compile(
    r"^(?:[\s=+\-@'0-9.,($\u20ac\u00a3\u00a5#]|(?:true|false)$"
    r"|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?[\s\-/,]*\d)",
    re.IGNORECASE)


def _cell_value(v: Any) -> Any:
    """A value as xlwings writes it: None for empty, datetimes for dates."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, (np.integer, np.floating, np.bool_)):
        return v.item()
    return v


def _text_kept(values: pd.Series) -> pd.Series:
    """A text column as written to Excel: an apostrophe before text Excel would parse."""
    text = values.astype("string")
    risky = text.str.match(_EXCEL_WOULD_PARSE).fillna(False).astype(bool)
    return text.mask(risky, "'" + text)


def _value_kept(v: Any) -> Any:
    """One cell written back as it was read (a user's note): text stays text."""
    if isinstance(v, str) and _EXCEL_WOULD_PARSE.match(v):
        return "'" + v
    return _cell_value(v)


def _column_cells(spec, header: str) -> list[Any]:
    values = spec.data[header]
    if spec.column(header).kind in TEXT_KINDS:
        values = _text_kept(values)
    return [_cell_value(v) for v in values.tolist()]


def on_remote_engine(book) -> bool:
    """xlwings Lite (and xlwings Server) drive Excel through the remote engine: Office.js
    underneath, no files on disk, no reading back what was just written."""
    return getattr(getattr(book.app, "engine", None), "name", "") == "remote"


def _width_setter(book):
    """Column widths in massbal's unit (characters of the default font) as the engine
    takes them: desktop Excel in characters, the remote engine of xlwings Lite in points
    (Office.js). Characters to points: 7 pixels a character plus 5 of padding (Calibri
    11, Excel's default font), 0.75 points a pixel."""
    remote = on_remote_engine(book)

    def setter(rng, characters: float) -> None:
        rng.column_width = round((characters * 7 + 5) * 0.75, 2) if remote else characters
    return setter


def _find_sheet(book, name: str):
    for s in book.sheets:
        if s.name.casefold() == name.casefold():
            return s
    return None


def _find_table(sheet, name: str):
    for t in sheet.tables:
        if t.name.casefold() == name.casefold():
            return t
    return None


def _old_rows(values: list[list[Any]] | None, top_row: int, carried: set[str]):
    """The old table (its values, header row first) as the notes carrier reads it."""
    from massbal.layout.notes import OldRows

    if not values or len(values) < 2:
        return None
    head = ["" if h is None else str(h) for h in values[0]]
    body = values[1:]
    at = [(j, h) for j, h in enumerate(head) if h in carried]
    content = {}
    for i, r in enumerate(body):
        cells = [(h, r[j]) for j, h in at if not _is_empty(r[j])]
        if cells:
            content[i] = cells

    def key_values(h: str, kind: str, rows: list[int]) -> list:
        j = head.index(h)
        return [body[i][j] for i in rows]

    return OldRows(head, top_row + 1, len(body), content, key_values)


class _Formula(str):
    """A note that was a formula (the package writer keeps its text on 'Orphaned notes'):
    written back as the formula, not as text."""


def _note_value(v: Any) -> Any:
    return "=" + v if isinstance(v, _Formula) else _value_kept(v)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index pairs of the True runs in mask."""
    if not mask.any():
        return []
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    # Python ints: the remote engine would send numpy ints as text, which Office.js'
    # getRangeByIndexes does not take.
    return list(zip(np.flatnonzero(d == 1).tolist(), (np.flatnonzero(d == -1) - 1).tolist(), strict=True))


def _write_sheet(book, spec, earlier):
    """Replace one result sheet's table; returns what the notes carrier did (layout.notes)."""
    from massbal.layout.notes import carry, data_headers, final_order
    from massbal.layout.sheets import COLORS

    sheet = _find_sheet(book, spec.name)
    table_name = spec.name.replace(" ", "_")  # a table's name has no spaces (as the package writer names it)
    table = _find_table(sheet, table_name) if sheet is not None else None
    old_values = _rows_2d(table.range) if table is not None else None
    ours = data_headers(spec)
    old_head = [str(h) for h in old_values[0]] if old_values else None
    order = final_order(spec, old_head)
    old = _old_rows(old_values, table.range.row, set(order) - ours) if table is not None else None
    placed = carry(spec, order, old, earlier)

    n = spec.nrows
    columns: list[list[Any]] = []
    for h in order:
        if h in ours:
            columns.append(_column_cells(spec, h))
        else:
            cells = placed.cells.get(h, {})
            columns.append([_note_value(cells[i]) if i in cells else None for i in range(n)])
    head = [_value_kept(h) for h in order]
    values = [head] + [list(r) for r in zip(*columns, strict=True)] if n else [head]

    if sheet is None:
        sheet = book.sheets.add(spec.name, after=book.sheets[len(book.sheets) - 1])
    # where the table is (or, new, where its spec puts it: the Dashboard's right of its charts)
    r0, c0 = (table.range.row, table.range.column) if table is not None else spec.origin
    if table is not None:
        table.range.clear_contents()
    width = len(order)
    sheet.range((r0, c0)).value = values
    last_row = r0 + max(n, 1)  # a table needs a data row, even an empty one
    target = sheet.range((r0, c0), (last_row, c0 + width - 1))
    if table is not None:
        table.resize(target)
    else:
        sheet.tables.add(source=target, name=table_name, table_style_name=TABLE_STYLE)
    set_width = _width_setter(book)
    for j, h in enumerate(order, start=c0):
        col = spec.column(h) if h in spec.headers else None
        if col is None:
            continue
        set_width(sheet.range((r0, j)), col.width)
        if n and col.number_format:
            sheet.range((r0 + 1, j), (r0 + n, j)).number_format = col.number_format
        if n and col.wrap:
            sheet.range((r0 + 1, j), (r0 + n, j)).wrap_text = True
        if n and col.kind == "status":
            # a row without a status (or whose colour key is <NA>: SheetSpec.status_keys): no colour
            status = spec.status_keys.get(h, spec.data[h]).astype(object).fillna("").to_numpy()
            for value, colour in spec.status_colors.items():
                fill, font = COLORS[colour]
                for a, b in _runs(status == value):
                    rng = sheet.range((r0 + 1 + a, j), (r0 + 1 + b, j))
                    rng.color = "#" + fill
                    rng.font.color = "#" + font
        if n and h in spec.links:
            targets = spec.links[h].astype(object).tolist()
            shown = spec.data[h].astype(object).tolist()
            for i, (loc, text) in enumerate(zip(targets, shown, strict=True)):
                if isinstance(loc, str) and loc:  # rows without a link hold <NA>
                    sheet.range((r0 + 1 + i, j)).add_hyperlink("#" + loc, text_to_display=text)
    return placed


def write_results(book, rec, only: tuple[str, ...] | None = None) -> int:
    """Write the Balance, Supply, Yield, Exceptions and Ledger sheets and the Dashboard's
    data table (or `only` some). The Dashboard's charts are drawn by the package writer
    (CLI, desktop button on a saved file): xlwings cannot style a chart's series on
    every engine, and a chart without its band and flagged marks would mislead.

    Notes and columns the user added to a result table follow their row by key; a note
    whose row is gone goes to the 'Orphaned notes' sheet, never lost, and comes back to
    its row when a later run brings the row back (the carrier the command line uses,
    massbal.layout.notes). Returns how many notes were orphaned.
    """
    from massbal.layout.sheets import written_sheets

    return write_sheets(book, [s for s in written_sheets(rec) if only is None or s.name in only])


def write_sheet(book, spec) -> int:
    """Write one massbal sheet from its SheetSpec (the Trace sheet); returns how many
    notes went to 'Orphaned notes'."""
    return write_sheets(book, [spec])


def write_sheets(book, specs) -> int:
    """Write the sheets, carrying notes as the package writer does; returns how many
    notes went to 'Orphaned notes'."""
    earlier, table = _earlier_orphans(book)
    new, reattached = [], set()
    for spec in specs:
        placed = _write_sheet(book, spec, earlier)
        new += placed.orphans
        reattached |= placed.reattached
    if new or reattached:
        _write_orphans(book, table, [(i, o) for i, o in earlier if i not in reattached], new)
    return len(new)


def _earlier_orphans(book):
    """The rows of the 'Orphaned notes' table as the carrier's orphans, and the table."""
    from massbal.layout.notes import ORPHANS_SHEET, ORPHANS_TABLE, Orphan, orphan_text

    sheet = _find_sheet(book, ORPHANS_SHEET)
    table = _find_table(sheet, ORPHANS_TABLE) if sheet is not None else None
    values = _rows_2d(table.range) if table is not None else []
    if len(values) < 2:
        return [], table
    head = ["" if h is None else str(h) for h in values[0]]
    out = []
    for i, r in enumerate(values[1:]):
        if all(_is_empty(v) for v in r):
            continue
        row = dict(zip(head, r, strict=True))

        def text(h: str, row: dict = row) -> str:  # bound now: called within this row
            return orphan_text(None if _is_empty(row.get(h)) else row.get(h))

        formula = text("Formula")
        cell = _Formula(formula) if formula else row.get("Value")
        out.append((i, Orphan(text("Sheet"), text("Key"), text("Column"), cell, row)))
    return out, table


def _write_orphans(book, table, kept, new) -> None:
    """The 'Orphaned notes' table, laid out as the package writer lays it: the earlier
    rows that found no row again as they were, then the new ones."""
    from datetime import date as _date

    from massbal.layout.notes import ORPHAN_HEADERS, ORPHAN_WIDTHS, ORPHANS_SHEET, ORPHANS_TABLE
    from massbal.layout.sheets import DATE_FORMAT

    headers = ["" if h is None else str(h) for h in _rows_2d(table.range)[0]] if table is not None else []
    headers += [h for h in ORPHAN_HEADERS if h not in headers]
    today = _date.today()
    rows = [[o.row_cells.get(h) for h in headers] for _, o in kept]
    for o in new:
        fresh = {"Sheet": o.sheet, "Key": o.key, "Column": o.column, "Value": o.cell, "Orphaned on": today}
        rows.append([fresh.get(h) for h in headers])
    sheet = _find_sheet(book, ORPHANS_SHEET)
    if sheet is None:
        sheet = book.sheets.add(ORPHANS_SHEET, after=book.sheets[len(book.sheets) - 1])
    if table is not None:
        r0, c0 = table.range.row, table.range.column
        table.range.clear_contents()
    else:
        r0, c0 = 1, 1
    sheet.range((r0, c0)).value = [[_value_kept(h) for h in headers]] + [[_value_kept(v) for v in r] for r in rows]
    target = sheet.range((r0, c0), (r0 + max(len(rows), 1), c0 + len(headers) - 1))
    if table is not None:
        table.resize(target)
    else:
        sheet.tables.add(source=target, name=ORPHANS_TABLE, table_style_name=TABLE_STYLE)
    set_width = _width_setter(book)
    for j, h in enumerate(headers, start=c0):
        if h in ORPHAN_WIDTHS:
            set_width(sheet.range((r0, j)), ORPHAN_WIDTHS[h])
    on = c0 + headers.index("Orphaned on")
    if rows:
        sheet.range((r0 + 1, on), (r0 + len(rows), on)).number_format = DATE_FORMAT
