"""The seam between the faces (xlsx file, xlwings book, xlwings Lite) and the engine.

A reader turns whatever holds the workbook into a RawBook: for each input table, the
header cells as typed and the cell values as read, with the worksheet row and column
of each, so that every finding can point at the cell a user clicks. No parsing or
judgement happens in readers; all of it is in the engine, once, for every face.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from massbal.xlref import column_letter


@dataclass(frozen=True)
class RawTable:
    """One input table as it stands in the workbook.

    data: one column per header, labelled 0..n-1 in header order; values as the reader
        got them (float, int, str, bool, datetime/Timestamp, date, None/NaN). Excel error
        values (#N/A, #VALUE! ...) arrive as their text.
    headers: the header cells as typed, same order as data's columns.
    rows: the worksheet row number (1-based, as Excel shows it) of each data row.
    columns: the Excel column letter of each header.
    """

    name: str
    sheet: str
    headers: tuple[str, ...]
    data: pd.DataFrame
    rows: np.ndarray
    columns: tuple[str, ...]
    header_row: int = 1
    is_table: bool = True  # an Excel Table (ListObject), not a plain sheet
    # the first row read from just under the Table's range (rows typed or pasted there, which
    # Excel itself would have taken into the table), or None
    below_table_from: int | None = None
    # the first filled row further down, after a blank row: not read, but said
    detached_row: int | None = None
    # column index -> per data row, whether the cell's number format is a percentage
    # (0.005 shown as 0.5 %). Given by faces that can see formats, for the columns whose
    # meaning depends on it (Tolerance %); a column not in here: formats unknown.
    percent: dict = field(default_factory=dict)

    @staticmethod
    def from_records(name: str, headers: list[str], records: list[list], *,
                     sheet: str | None = None, header_row: int = 1,
                     first_column: int = 1, is_table: bool = True) -> RawTable:
        """Build from a list of rows, as cells lie under the header row (tests, adapters)."""
        width = len(headers)
        padded = [list(r)[:width] + [None] * (width - len(r)) for r in records]
        data = pd.DataFrame(padded, columns=range(width), dtype=object)
        rows = np.arange(header_row + 1, header_row + 1 + len(records), dtype=np.int64)
        cols = tuple(column_letter(first_column + i) for i in range(width))
        return RawTable(name, sheet or name, tuple(str(h) if h is not None else "" for h in headers),
                        data, rows, cols, header_row, is_table)


@dataclass(frozen=True)
class RawBook:
    tables: dict[str, RawTable]  # keyed by the contract's table name (schema.TABLES)
    date1904: bool = False
    source: str = ""
    sheet_names: tuple[str, ...] = field(default_factory=tuple)
    # the file's (size, mtime_ns, inode) as read: the writer refuses when it has moved since
    signature: tuple = ()

    def get(self, name: str) -> RawTable | None:
        return self.tables.get(name)
