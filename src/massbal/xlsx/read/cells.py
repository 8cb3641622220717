"""Cell values of a block of a sheet, read by fastexcel (Rust calamine + Arrow).

Each column is read as the type its header asks for (a Quantity as float, a Date as
datetime, everything else as text), which keeps a clean million-row column a plain
float64 or datetime64 array. A cell that does not fit its column's type is not
dropped: fastexcel reports it (with calamine's description of the cell) and it is put
back with its own value: 'abc' stays 'abc', #DIV/0! arrives as '#DIV/0!', a date
typed into a Quantity column stays a date. Such a column becomes dtype object.

Known conversions fastexcel makes silently (faithful enough for the engine):
text that parses as a number in a float column becomes that number ('1000' -> 1000.0);
a TRUE/FALSE cell in a float column becomes 1.0/0.0; a plain number in a datetime
column becomes the date of that serial (1900 system; for 1904 workbooks date columns
are read as float instead, see read_xlsx); in text columns numbers arrive as their
text with at most 9 decimals, dates as 'YYYY-MM-DD HH:MM:SS' and booleans as
'true'/'false'.

Cost: a clean column costs nothing extra; each misfit cell costs a few microseconds
(a million ISO-text dates in a Date column add 2-3 s).
"""
from __future__ import annotations

import re
from collections import defaultdict

import fastexcel
import numpy as np
import pandas as pd
import pyarrow as pa

from massbal.xlref import EPOCH_1900, EPOCH_1904

from .errors import BookReadError


class UnsupportedErrorCell(BookReadError):
    """calamine met an error value it does not know (#SPILL!, #CALC! ...) in the sheet."""


ERROR_TEXT = {
    "Div0": "#DIV/0!", "NA": "#N/A", "Name": "#NAME?", "Null": "#NULL!", "Num": "#NUM!",
    "Ref": "#REF!", "Value": "#VALUE!", "GettingData": "#GETTING_DATA",
}


def load_block(reader: fastexcel.ExcelReader, sheet: str, first_row: int, last_row: int | None,
               first_col: int, last_col: int, dtypes: dict[int, str], *, date1904: bool,
               book: str, serial_dates: frozenset[int] = frozenset()) -> pd.DataFrame:
    """Rows first_row..last_row (None: to the sheet's end) and columns first_col..last_col
    (1-based, as Excel numbers them) of `sheet`.

    Returns a frame indexed 0..n-1 (row first_row + i) with one column per sheet column,
    labelled by its 1-based number. dtypes maps a column number to 'float', 'datetime'
    or 'string' (the default). Rows after the sheet's last used row are not returned.
    serial_dates: columns read as 'float' whose numbers are dates (1904 workbooks): they
    are turned into Timestamps here, in the workbook's own date system.
    """
    wanted = {c - 1: dtypes.get(c, "string") for c in range(first_col, last_col + 1)}
    n_rows = None if last_row is None else max(last_row - first_row + 1, 0)
    try:
        loaded = reader.load_sheet(
            sheet, header_row=None, skip_rows=first_row - 1, n_rows=n_rows,
            use_columns=lambda c: first_col - 1 <= c.absolute_index <= last_col - 1,
            dtypes=wanted)
        batch, errors = loaded.to_arrow_with_errors()
        selected = loaded.selected_columns
    except fastexcel.InvalidParametersError as exc:
        if "Too many rows skipped" in str(exc):  # the block starts below the sheet's last row
            return _empty(first_col, last_col)
        raise BookReadError(f"{book}: sheet {sheet!r} cannot be read ({_first_line(exc)})") from None
    except fastexcel.FastExcelError as exc:
        if "Unsupported cell error value" in str(exc):
            raise UnsupportedErrorCell(f"{book}: sheet {sheet!r} holds an error value this reader "
                                       f"does not know ({_first_line(exc)})") from None
        raise BookReadError(f"{book}: sheet {sheet!r} cannot be read ({_first_line(exc)})") from None

    height = batch.num_rows
    columns: dict[int, pd.Series] = {}
    by_index = {}
    for pos, info in enumerate(selected):
        col = info.absolute_index + 1
        by_index[info.index] = col
        columns[col] = _to_series(batch.column(pos), height)

    if errors is not None and errors.errors:
        fixes: dict[int, tuple[list[int], list[str]]] = defaultdict(lambda: ([], []))
        for err in errors.errors:
            row, index = err.offset_position
            col = by_index.get(index)
            if col is None or row >= height:
                continue
            at_rows, details = fixes[col]
            at_rows.append(row)
            details.append(err.detail)
        for col, (rows, details) in fixes.items():
            values = cell_values_from_details(details, date1904)
            series = columns[col].astype(object)
            series.iloc[rows] = pd.Series(values, dtype=object).to_numpy()
            columns[col] = series

    for col in serial_dates & columns.keys():
        columns[col] = serials_as_dates(columns[col], date1904)

    out = {}
    for col in range(first_col, last_col + 1):
        out[col] = columns.get(col)
        if out[col] is None:  # a column with no value anywhere in the sheet's used range
            out[col] = pd.Series([None] * height, dtype=object)
    return pd.DataFrame(out, index=pd.RangeIndex(height))


def _to_series(array, height: int) -> pd.Series:
    if array.type.equals(pa.null()):  # a column fastexcel found no value in
        return pd.Series([None] * height, dtype=object)
    series = array.to_pandas()
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_localize(None)
    return series.reset_index(drop=True)


def _empty(first_col: int, last_col: int) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in range(first_col, last_col + 1)})


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# -- calamine's description of a cell, as fastexcel reports it -----------------------------
# fastexcel says "Expected float but got 'String(\"abc\")'": the Rust Debug form of
# calamine's Data value. Parsing it recovers the cell's own value and type.
_GOT = " but got '"
_DATETIME = re.compile(
    r"^DateTime\(ExcelDateTime \{ value: ([^,]+), datetime_type: (\w+), is_1904: (\w+) \}\)$")
_SIMPLE = re.compile(r"^(Error|Bool|Float|Int)\((.*)\)$", re.S)
_QUOTED = re.compile(r'^(String|DateTimeIso|DurationIso)\("(.*)"\)$', re.S)
_RUST_ESCAPE = re.compile(r"\\(u\{([0-9a-fA-F]{1,6})\}|.)", re.S)
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "0": "\0", "\\": "\\", '"': '"', "'": "'"}


def _rust_unescape(text: str) -> str:
    if "\\" not in text:
        return text

    def one(m: re.Match) -> str:
        if m.group(2):
            return chr(int(m.group(2), 16))
        return _SIMPLE_ESCAPES.get(m.group(1), m.group(1))

    return _RUST_ESCAPE.sub(one, text)


def cell_values_from_details(details: list[str], date1904: bool) -> list[object]:
    """The cells' own values; an unrecognised description is kept as its text, never lost."""
    values: list[object] = []
    serial_at: list[int] = []
    serials: list[float] = []
    for detail in details:
        at = detail.find(_GOT)
        if not detail.startswith("Expected ") or at < 0:
            values.append(detail)
            continue
        inner = detail[at + len(_GOT):]
        if inner.endswith(")'"):  # fastexcel closes the quote for some types, not others
            inner = inner[:-1]
        if inner.startswith('String("') and inner.endswith('")'):  # the common case, fast
            text = inner[8:-2]
            values.append(_rust_unescape(text) if "\\" in text else text)
            continue
        q = _QUOTED.match(inner)
        if q:
            values.append(_rust_unescape(q.group(2)))
            continue
        d = _DATETIME.match(inner)
        if d:
            try:
                value = float(d.group(1))
            except ValueError:
                values.append(inner)
                continue
            if d.group(2) == "DateTime":
                serial_at.append(len(values))
                serials.append(value)
                values.append(None)
            else:  # a duration ([h]:mm format)
                values.append(pd.Timedelta(days=value))
            continue
        s = _SIMPLE.match(inner)
        if s:
            kind, arg = s.groups()
            if kind == "Error":
                values.append(ERROR_TEXT.get(arg, "#" + arg.upper()))
            elif kind == "Bool":
                values.append(arg == "true")
            else:
                try:
                    values.append(int(arg) if kind == "Int" else float(arg))
                except ValueError:
                    values.append(inner)
            continue
        values.append(None if inner == "Empty" else inner)
    if serials:
        for at, stamp in zip(serial_at, serial_to_datetime(np.asarray(serials), date1904), strict=True):
            values[at] = stamp
    return values


_EPOCH_1904 = np.datetime64(EPOCH_1904, "ms")
_EPOCH_1900 = np.datetime64(EPOCH_1900, "ms")
_MS_PER_DAY = 86_400_000
_MAX_SERIAL = 2_958_465  # 9999-12-31, Excel's last date


def _serial_stamps(serials: np.ndarray, date1904: bool) -> tuple[np.ndarray, np.ndarray]:
    """Excel serial day numbers to datetime64[ms], in the workbook's date system, and
    a mask of the serials that are dates at all (not negative, not past 9999).

    The 1900 system counts a non-existent 1900-02-29 (serial 60), so serials below 61
    are one day later than a plain count from 1899-12-30 would give.
    """
    serials = np.asarray(serials, dtype=float)
    ok = np.isfinite(serials) & (serials >= 0) & (serials <= _MAX_SERIAL)
    days = np.where(ok, serials, 0.0)
    if date1904:
        epoch = _EPOCH_1904
    else:
        epoch = _EPOCH_1900
        days = np.where(days < 61, days + 1, days)  # the 1900-02-29 that never was
    stamps = epoch + np.round(days * _MS_PER_DAY).astype("int64").astype("timedelta64[ms]")
    return stamps, ok


def serial_to_datetime(serials: np.ndarray, date1904: bool) -> list[object]:
    """Timestamps for serials that are dates; any other number is kept as that number."""
    stamps, ok = _serial_stamps(serials, date1904)
    return [pd.Timestamp(s) if good else float(v) for s, good, v in zip(stamps, ok, np.asarray(serials), strict=True)]


def serials_as_dates(series: pd.Series, date1904: bool) -> pd.Series:
    """The numbers of a date column read as float, as dates (other cells untouched)."""
    if series.dtype == np.float64:
        values = series.to_numpy()
        stamps, ok = _serial_stamps(values, date1904)
        present = ~np.isnan(values)
        if (ok | ~present).all():
            return pd.Series(np.where(present, stamps, np.datetime64("NaT", "ms")), index=series.index)
        series = series.astype(object)
    if series.dtype != object:
        return series
    is_number = series.map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
                           and v == v).to_numpy(dtype=bool)
    if is_number.any():
        series = series.copy()
        series[is_number] = pd.Series(
            serial_to_datetime(series[is_number].to_numpy(dtype=float), date1904),
            dtype=object).to_numpy()
    return series
