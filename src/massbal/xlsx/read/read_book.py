"""Read a massbal workbook (.xlsx file) into a RawBook.

For each input table of the contract (schema.TABLES) the workbook holds, this finds
an Excel Table of that name or else a sheet of that name whose first non-empty row
holds the headers (names match ignoring case, spaces and underscores), and reads its
headers as typed and its cells with the worksheet row and column letter a user sees.
Nothing is judged here: a bad cell arrives as its own value for the engine to report.

Anything that makes the file unreadable ends in BookReadError with a one-line reason.
The reader never imports openpyxl; values come from fastexcel (Rust calamine), the
workbook's map from its XML parts (defusedxml). A big workbook's sheets are parsed on two
calamine readers at once (two_readers.py).
"""
from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import fastexcel
import numpy as np
import pandas as pd

from massbal.engine.rawbook import RawBook, RawTable
from massbal.engine.schema import TABLES, header_key, table_key
from massbal.xlref import column_letter
from massbal.xlsx.read.header_row import SharedStrings, find_header_row
from massbal.xlsx.read.package import Package, copy_with_error_cells_as_text
from massbal.xlsx.write.readback import col_index

from .cells import UnsupportedErrorCell, load_block
from .errors import BookReadError
from .opening import Opened, open_book, open_reader, plainly
from .percent_cells import percent_flags, percent_styles
from .two_readers import load_sheets, two_readers_pay
from .workbook import SheetInfo, TableInfo, WorkbookInfo

__all__ = ["BookReadError", "read_book", "read_opened"]


def read_book(path: str | Path, parsing: Callable[[], None] | None = None) -> RawBook:
    """Every input table the workbook at `path` holds; BookReadError if it cannot be read.

    parsing: called once the checks are done and the reader is open, as calamine starts on
    the sheets (a reading thread's caller may then use Python's lock while calamine parses
    without it: cli.console.start_reading); not called when the read ends before that."""
    path = Path(path)
    return plainly(path, lambda: _read(open_book(path), parsing))


def read_opened(opened: Opened, parsing: Callable[[], None] | None = None) -> RawBook:
    """read_book's second half, of a workbook opening.open_book opened (and this closes)."""
    return plainly(opened.path, lambda: _read(opened, parsing))


@dataclass
class _Wanted:
    """One input table to read: where it lies and how to type its columns."""

    name: str  # the contract's table name
    sheet: str
    headers: tuple[str, ...]
    header_row: int
    first_row: int  # first data row (1-based)
    last_row: int | None  # last data row, None: to the sheet's end
    first_col: int
    is_table: bool
    kinds: dict[int, str]  # column number -> the schema's kind ('number', 'date', 'text', ...)
    date1904: bool = False
    # an Excel Table also takes the filled rows right under it, up to this row (another
    # table's start), as Excel grows a table when you type there; 0: it does not grow
    grow_to: int = 0

    @property
    def dtypes(self) -> dict[int, str]:
        # Read each column as the type its header asks for; cells that do not fit come back
        # with their own value (cells.py). In a 1904 workbook dates are read as serial
        # numbers and converted by us, because calamine can mistake the date system.
        by_kind = {"number": "float", "date": "float" if self.date1904 else "datetime"}
        return {c: by_kind.get(k, "string") for c, k in self.kinds.items()}

    @property
    def last_col(self) -> int:
        return self.first_col + len(self.headers) - 1


def _read(opened: Opened, parsing: Callable[[], None] | None = None) -> RawBook:
    path, book, pkg, info = opened.path, opened.book, opened.pkg, opened.info
    with opened.closing:
        wanted = _find_inputs(pkg, info)
        sheet_names = tuple(s.name for s in info.sheets)
        tables: dict[str, RawTable] = {}
        loadable = [w for w in wanted if w.headers]
        for w in wanted:
            if not w.headers:  # a sheet of that name with nothing on it
                tables[w.name] = _empty_table(w)
        if loadable:
            if opened.refused is not None:
                raise opened.refused
            reader = opened.reader
            if parsing is not None:
                parsing()
            groups = {sheet: [w for w in loadable if w.sheet == sheet]
                      for sheet in dict.fromkeys(w.sheet for w in loadable)}
            sizes = {sheet: pkg.size(next(s.part for s in info.sheets if s.name == sheet)) for sheet in groups}
            second = two_readers_pay(list(sizes.values()), pkg.size(info.shared_strings_part))
            loaded = load_sheets(sizes, lambda r, sheet: _load_sheet_group(r, sheet, groups[sheet], info, path, pkg),
                                 reader, (lambda: open_reader(opened.source, path.name)) if second else None)
            for sheet, group in groups.items():
                for w, table in zip(group, loaded[sheet], strict=True):
                    tables[w.name] = table
        tables = _with_percent_formats(pkg, info, tables)
    ordered = {name: tables[name] for name in TABLES if name in tables}
    return RawBook(ordered, date1904=info.date1904, source=str(path), sheet_names=sheet_names,
                   signature=book.signature)


# The columns whose meaning depends on the cells' number format (0.005 shown as 0.5 %).
_PERCENT_COLUMNS = {"Items": "Tolerance %", "Settings": "Value"}


def _with_percent_formats(pkg: Package, info: WorkbookInfo, tables: dict[str, RawTable]) -> dict[str, RawTable]:
    styles = None
    out = dict(tables)
    for name, header in _PERCENT_COLUMNS.items():
        t = tables.get(name)
        cols = [i for i, h in enumerate(t.headers) if header_key(h) == header_key(header)] if t else []
        part = next((s.part for s in info.sheets if t and s.name == t.sheet), "")
        if not cols or not part or not len(t.rows):
            continue
        if styles is None:
            rel = next((r for r in pkg.rels(info.workbook_part) if r.type == "styles"), None)
            styles = percent_styles(pkg, rel.target if rel else None)
        column = col_index(t.columns[cols[0]])
        out[name] = replace(t, percent={cols[0]: percent_flags(pkg, part, styles, t.rows, column)})
    return out


def _pick(candidates: list, name: str, label):
    """Exact name first, else the first in workbook order that matches."""
    for c in candidates:
        if label(c) == name:
            return c
    return candidates[0] if candidates else None


def _find_inputs(pkg: Package, info: WorkbookInfo) -> list[_Wanted]:
    strings = SharedStrings(pkg, info.shared_strings_part)
    out = []
    for name, spec in TABLES.items():
        key = table_key(name)
        kinds = {header_key(c.name): c.kind for c in spec.columns}
        table = _pick([t for t in info.tables if table_key(t.name) == key], name, lambda t: t.name)
        if table is not None:
            out.append(_from_table(name, table, kinds, info.date1904, _grow_limit(table, info.tables)))
            continue
        sheet = _pick([s for s in info.sheets if s.kind == "worksheet" and s.part
                       and pkg.has(s.part) and table_key(s.name) == key], name, lambda s: s.name)
        if sheet is not None:
            out.append(_from_sheet(name, sheet, pkg, strings, kinds, info.date1904))
    return out


def _kinds(first_col: int, headers: tuple[str, ...], spec_kinds: dict[str, str]) -> dict[int, str]:
    return {first_col + i: spec_kinds.get(header_key(h), "text") for i, h in enumerate(headers)}


def _grow_limit(t: TableInfo, tables) -> int:
    """The last row a table may grow into: the row before the next table below it (on its
    columns), else the sheet's last; 0 when it has a totals row (rows under that are not
    the table's)."""
    if t.totals_rows:
        return 0
    below = [o.first_row for o in tables if o.sheet == t.sheet and o is not t and o.first_row > t.last_row
             and o.first_col <= t.last_col and o.last_col >= t.first_col]
    return min(below) - 1 if below else 1_048_576


def _from_table(name: str, t: TableInfo, kinds: dict[str, str], date1904: bool, grow_to: int = 0) -> _Wanted:
    header_row = t.first_row if t.header_rows else t.first_row - 1
    return _Wanted(name, t.sheet, t.columns, header_row, t.data_first_row, t.data_last_row,
                   t.first_col, True, _kinds(t.first_col, t.columns, kinds), date1904, grow_to)


def _from_sheet(name: str, sheet: SheetInfo, pkg: Package, strings: SharedStrings,
                kinds: dict[str, str], date1904: bool) -> _Wanted:
    header = find_header_row(pkg, sheet.part, strings)
    if header is None:
        return _Wanted(name, sheet.name, (), 1, 2, None, 1, False, {}, date1904)
    return _Wanted(name, sheet.name, header.headers, header.row, header.row + 1, None,
                   header.first_col, False, _kinds(header.first_col, header.headers, kinds), date1904)


def _load_sheet_group(reader: fastexcel.ExcelReader, sheet: str, group: list[_Wanted],
                      info: WorkbookInfo, path: Path, pkg: Package) -> list[RawTable]:
    """One calamine pass for all input tables on one sheet (each pass parses the whole sheet)."""
    first_row = min(w.first_row for w in group)
    last_row = None if any(w.last_row is None or w.grow_to for w in group) else max(w.last_row for w in group)
    first_col = min(w.first_col for w in group)
    last_col = max(w.last_col for w in group)
    dtypes: dict[int, str] = {}
    kinds: dict[int, str] = {}
    # Where two tables share a column (stacked on one sheet), the bigger one decides its type.
    for w in sorted(group, key=lambda w: (w.last_row or 1 << 40) - w.first_row):
        dtypes.update(w.dtypes)
        kinds.update(w.kinds)
    if last_row is not None and last_row < first_row:
        block = pd.DataFrame({c: pd.Series([], dtype=object) for c in range(first_col, last_col + 1)})
    else:
        # In a 1904 workbook date columns come as numbers (see _Wanted.dtypes); make them dates.
        dates = frozenset(c for c, k in kinds.items() if k == "date") if info.date1904 else frozenset()
        args = (sheet, first_row, last_row, first_col, last_col, dtypes)
        options = dict(date1904=info.date1904, book=path.name, serial_dates=dates)
        try:
            block = load_block(reader, *args, **options)
        except UnsupportedErrorCell:
            # A #SPILL!, #CALC! ... cell somewhere on the sheet: read a copy in which
            # error cells are marked as text, so they arrive as their text like any error.
            part = next(s.part for s in info.sheets if s.name == sheet)
            with tempfile.TemporaryDirectory(prefix="massbal_") as tmp:
                copy = Path(tmp) / "errors_as_text.xlsx"
                copy_with_error_cells_as_text(pkg, part, copy)
                block = load_block(open_reader(copy, path.name), *args, **options)
    out = []
    for w in group:
        start = w.first_row - first_row
        stop = len(block) if w.last_row is None else max(min(len(block), w.last_row - first_row + 1), start)
        cols = slice(w.first_col - first_col, w.last_col - first_col + 1)
        under = block.iloc[stop:w.grow_to - first_row + 1, cols] if w.grow_to else block.iloc[0:0]
        below = _rows_just_below(under)
        later = np.flatnonzero(_filled(under.iloc[below:])) if len(under) > below else []
        part = block.iloc[start:stop + below, cols]
        part = part.iloc[:_rows_in_use(part)]
        data = part.reset_index(drop=True)
        data.columns = pd.RangeIndex(len(w.headers))
        if len(group) > 1:
            # Cells of a neighbouring table (its header, say) may have made a column mixed;
            # this table's own slice may well be all one type again.
            data = data.infer_objects()
        rows = np.arange(w.first_row, w.first_row + len(data), dtype=np.int64)
        letters = tuple(column_letter(w.first_col + i) for i in range(len(w.headers)))
        out.append(RawTable(w.name, w.sheet, w.headers, data, rows, letters, w.header_row, w.is_table,
                            w.last_row + 1 if below else None,
                            w.last_row + 1 + below + int(later[0]) if len(later) else None))
    return out


def _rows_just_below(frame: pd.DataFrame) -> int:
    """How many filled rows follow one another from the top of `frame` (up to the first blank)."""
    if not len(frame):
        return 0
    filled = _filled(frame)
    return len(filled) if filled.all() else int(np.argmin(filled))


def _empty_table(w: _Wanted) -> RawTable:
    return RawTable(w.name, w.sheet, (), pd.DataFrame(index=pd.RangeIndex(0)),
                    np.arange(0, dtype=np.int64), (), w.header_row, w.is_table)


def _rows_in_use(frame: pd.DataFrame) -> int:
    """Rows up to the last one holding a value: trailing blank rows are dropped, interior
    ones kept (the engine skips them, and later rows keep their numbers).

    Looks from the bottom in growing slices, so a full million-row column costs one
    small slice, not a scan.
    """
    end, step = len(frame), 256
    while end > 0:
        start = max(0, end - step)
        filled = _filled(frame.iloc[start:end])
        if filled.any():
            return start + int(np.flatnonzero(filled)[-1]) + 1
        end, step = start, step * 4
    return 0


def _filled(frame: pd.DataFrame) -> np.ndarray:
    mask = np.zeros(len(frame), dtype=bool)
    for _, s in frame.items():
        if s.dtype == object:
            mask |= s.map(_is_filled).to_numpy(dtype=bool)
        elif pd.api.types.is_string_dtype(s.dtype):
            mask |= s.fillna("").str.strip().ne("").to_numpy(dtype=bool)
        else:
            mask |= s.notna().to_numpy(dtype=bool)
    return mask


def _is_filled(value: object) -> bool:
    if value is None or value is pd.NaT:
        return False
    if isinstance(value, float) and value != value:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    return True
