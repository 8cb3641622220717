"""xlwings Book <-> engine: read the input tables into a RawBook, write the result sheets.

One adapter for every xlwings engine: desktop Excel (COM on Windows, AppleScript on
macOS) and the remote engine that xlwings Lite runs. It only uses the xlwings API that
all of them share, takes the book as a parameter, and never looks up the calling book
itself (that is the thin entry points' job, see entry.py and addin/lite/main.py).

Reading is one bulk `.value` per table, so a desktop book costs one round trip per
table. Writing follows the same sheet specs (massbal.sheets) as the .xlsx writer, so the
Balance sheet a button writes is the Balance sheet the command line writes.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from massbal.engine.rawbook import RawBook, RawTable, column_letter
from massbal.engine.schema import TABLES, table_key


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
    return RawBook(out, _date1904(book), source=book.name, sheet_names=tuple(s.name for s in sheets))
