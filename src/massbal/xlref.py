"""Spreadsheet coordinates, in one place: column letters, A1 references, ranges (always
first row, first col, last row, last col), Excel serial-date epochs and OOXML's _xHHHH_
escapes. Pure (the standard library only): the engine, every reader and writer, and
xlwings Lite may import it.
"""
from __future__ import annotations

import re
from datetime import date

EPOCH_1900 = date(1899, 12, 30)  # serial 0 of the 1900 date system (past Excel's 1900 leap-year bug)
EPOCH_1904 = date(1904, 1, 1)    # serial 0 of the 1904 date system (old Mac Excel)

_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def epoch(date1904: bool = False) -> date:
    """The day an Excel serial counts from."""
    return EPOCH_1904 if date1904 else EPOCH_1900


def column_letter(index: int) -> str:
    """1 -> 'A', 27 -> 'AA'."""
    letters = ""
    while index > 0:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_number(letters: str) -> int:
    """'A' -> 1, 'AA' -> 27 (either case)."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n


def parse_cell(ref: str) -> tuple[int, int]:
    """'C3' or '$C$3' -> (3, 3): 1-based row and column. ValueError when not a cell."""
    m = _CELL.match(ref.strip())
    if not m:
        raise ValueError(ref)
    return int(m.group(2)), column_number(m.group(1))


def parse_range(ref: str) -> tuple[int, int, int, int]:
    """'B2:D10' (or one cell) -> (first row, first col, last row, last col), 1-based."""
    a, _, b = ref.partition(":")
    r1, c1 = parse_cell(a)
    r2, c2 = parse_cell(b) if b else (r1, c1)
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def unescape(text: str) -> str:
    """Decode OOXML's _xHHHH_ escapes (a line break in a header is stored as _x000a_)."""
    if "_x" not in text:
        return text
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
