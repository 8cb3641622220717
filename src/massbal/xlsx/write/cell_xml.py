"""Worksheet XML for massbal's sheets, built a whole column at a time.

A Ledger can hold a million rows, so no Python code runs per cell: each column becomes
one Arrow string array of finished <c> elements (escaping, number formatting and
styles are Arrow compute kernels), the row elements are one join across the columns,
and the sheet is produced in slices of rows so that deflating one slice overlaps the
building of the next. Only the sparse cells that hold a user's notes are rendered one
by one.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from massbal.engine.frames import distinct_by_bits
from massbal.xlref import column_letter
from massbal.xlref import epoch as excel_epoch
from massbal.xlsx.write.readback import OldCell

CHUNK_ROWS = 32768
_BAD_XML = "[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x{FFFE}\\x{FFFF}]"


@dataclass
class OutColumn:
    """One column of an output table as it is written.

    kind: text, status, date, quantity, percent, integer, link (spec data in `values`)
        or cells (the user's cells in `cells`, by 0-based data row; `formula` fills the
        rows without one, for a calculated column).
    """
    header: str
    kind: str
    values: pd.Series | None = None
    style: int = 0
    status_styles: Mapping[str, int] = field(default_factory=dict)
    status_keys: pd.Series | None = None   # the value each row's colour follows (SheetSpec.status_keys)
    cells: dict[int, OldCell] = field(default_factory=dict)
    formula: str | None = None
    width: float | None = None
    table_column: object = None       # the old <tableColumn> element of a user's column


_CONTROL = np.zeros(256, dtype=bool)
_CONTROL[[*range(0, 9), 11, 12, *range(14, 32)]] = True   # not allowed in XML 1.0


def _value_bytes(arr: pa.Array) -> np.ndarray:
    """The UTF-8 bytes of all values of a string array, as one uint8 array (no copy)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    bufs = arr.buffers()
    if bufs[2] is None or len(arr) == 0:
        return np.zeros(0, dtype=np.uint8)
    off = np.frombuffer(bufs[1], dtype=np.int64 if pa.types.is_large_string(arr.type) else np.int32)
    lo, hi = int(off[arr.offset]), int(off[arr.offset + len(arr)])
    return np.frombuffer(bufs[2], dtype=np.uint8)[lo:hi]


def esc_text(arr: pa.Array) -> pa.Array:
    """Escape text for XML element content; characters XML cannot hold are dropped.

    Whole-buffer byte checks first, so the replace kernels run only on columns that
    need them (most text holds no '&', '<' or control characters)."""
    b = _value_bytes(arr)
    if (b == 0x26).any():
        arr = pc.replace_substring(arr, "&", "&amp;")
    if (b == 0x3C).any():
        arr = pc.replace_substring(arr, "<", "&lt;")
    if (b == 0x3E).any():
        arr = pc.replace_substring(arr, ">", "&gt;")
    if _has_bad_bytes(b):
        arr = pc.replace_substring_regex(arr, _BAD_XML, "")
    return arr


def _has_bad_bytes(b: np.ndarray) -> bool:
    """A control character XML cannot hold, or 0xEF (the lead byte of U+FFFE / U+FFFF)?
    The byte table is looked up only when the column's smallest byte is below a space
    (min and max are one quick pass each; the table look-up is 40 times slower)."""
    if not len(b):
        return False
    return bool((b.min() < 0x20 and _CONTROL[b].any()) or (b.max() >= 0xEF and (b == 0xEF).any()))


def esc_attr(arr: pa.Array) -> pa.Array:
    arr = esc_text(arr)
    b = _value_bytes(arr)
    for ch, rep in (('"', "&quot;"), ("\n", "&#10;"), ("\r", "&#13;"), ("\t", "&#9;")):
        if (b == ord(ch)).any():
            arr = pc.replace_substring(arr, ch, rep)
    return arr


# characters XML 1.0 cannot hold (esc_text's _BAD_XML): below 0x20 but tab, line feed and
# carriage return, and U+FFFE, U+FFFF
_BAD_ONE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


_ESCAPED = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def needs_escape(text: str) -> bool:
    """Would esc_one change this element text? (One search over many values joined: most
    hold nothing to escape.)"""
    return _ESCAPED.search(text) is not None


def esc_one(text: str, attr: bool = False) -> str:
    out = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = _BAD_ONE.sub("", out)   # one regex pass, not a Python step per character
    if attr:
        out = out.replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    return out


def _strings(values: pd.Series) -> pa.Array:
    """Text values as an Arrow string array; missing or empty text is null (no cell)."""
    if isinstance(values.dtype, pd.StringDtype) or str(values.dtype).startswith("string"):
        arr = pa.array(values.array, from_pandas=True)
    else:
        obj = values.astype(object)
        arr = pa.array(obj.where(obj.notna(), None).to_numpy(), type=pa.string(), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type != pa.string():
        arr = pc.cast(arr, pa.string())
    empty = pc.equal(arr, "")
    if pc.any(empty).as_py():
        arr = pc.if_else(empty, pa.scalar(None, pa.string()), arr)
    return arr


def _merge(pieces: list) -> list:
    """Join neighbouring literal pieces: fewer arguments make the row join faster."""
    out: list = []
    for p in pieces:
        if isinstance(p, str) and out and isinstance(out[-1], str):
            out[-1] += p
        else:
            out.append(p)
    return out


def _cell_pieces(letter: str, rows: pa.Array, attrs: list, body: list, value: pa.Array) -> list:
    """Pieces of one column's <c> elements for the row join. A column with missing values
    is joined on its own first (a missing value means no <c> at all: a missing cell, which
    the row join writes as nothing). Where a quarter or more is missing, over the filled
    rows only: the join costs per row and piece, filled or not, and a Ledger's Owner, Batch
    or Certificate is missing on most rows (picking the rows costs more where few are)."""
    if value.null_count == len(value):
        return []
    pieces = _merge([f'<c r="{letter}', rows, *attrs, *body])
    if value.null_count == 0:
        return pieces
    if value.null_count * 4 < len(value):
        return [pc.binary_join_element_wise(*pieces, "", null_handling="emit_null")]
    filled = value.is_valid().to_numpy(zero_copy_only=False)
    at = pa.array(np.flatnonzero(filled))
    cells = pc.binary_join_element_wise(*[p.take(at) if isinstance(p, pa.Array) else p for p in pieces], "",
                                        null_handling="emit_null")
    return [_spread(cells, filled)]


def _spread(cells: pa.Array, filled: np.ndarray) -> pa.Array:
    """The filled rows' cells back on their rows, an empty text on the others (the row join
    writes a missing value as nothing too). The bytes stay where they are: in row order
    they are already the whole column's text; only the offsets are made."""
    off = np.frombuffer(cells.buffers()[1], dtype=np.int32)[cells.offset:cells.offset + len(cells) + 1]
    length = np.zeros(len(filled), dtype=np.int32)
    length[filled] = np.diff(off)
    offsets = np.empty(len(filled) + 1, dtype=np.int32)
    offsets[0] = off[0]
    np.cumsum(length, out=offsets[1:])
    offsets[1:] += off[0]
    return pa.Array.from_buffers(pa.string(), len(filled), [None, pa.py_buffer(offsets), cells.buffers()[2]])


def may_edge_space(arr: pa.Array) -> np.ndarray:
    """Per value: could it start or end with white space? Only if its first or last byte is
    a space, a control character or part of a non-ASCII character (Unicode's spaces); a
    missing or empty value cannot. The cheap test that spares most values the exact one
    (trimming, or a regex), in the write and in the inspector's export."""
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    out = np.zeros(len(arr), dtype=bool)
    b = _value_bytes(arr)
    if not len(b):
        return out
    bufs = arr.buffers()
    off = np.frombuffer(bufs[1], dtype=np.int64 if pa.types.is_large_string(arr.type) else np.int32)
    off = off[arr.offset:arr.offset + len(arr) + 1].astype(np.int64) - int(off[arr.offset])
    starts, ends = off[:-1], off[1:]
    filled = ends > starts
    if arr.null_count:
        filled &= arr.is_valid().to_numpy(zero_copy_only=False)
    first, last = b[starts[filled]], b[ends[filled] - 1]
    out[filled] = (first <= 0x20) | (first >= 0x80) | (last <= 0x20) | (last >= 0x80)
    return out


def _text_pieces(letter: str, rows: pa.Array, arr: pa.Array, style) -> list:
    arr = esc_text(arr)
    space = []
    if may_edge_space(arr).any():
        trimmed = pc.utf8_trim_whitespace(arr)
        keep = pc.not_equal(pc.binary_length(trimmed), pc.binary_length(arr))
        space = [pc.if_else(keep, ' xml:space="preserve"', "")] if pc.any(keep).as_py() else []
    attrs = ['" s="', style, '"'] if not (isinstance(style, str) and style == "0") else ['"']
    return _cell_pieces(letter, rows, attrs, [' t="inlineStr"><is><t', *space, ">", arr, "</t></is></c>"], arr)


def _number_text(num: pa.Array) -> pa.Array:
    """pc.cast(num, string), each distinct float made text once (the cast costs ~190 ns a
    value; a Ledger's days and quantities repeat). Distinct by their bits: -0.0 ("-0")
    is never taken for 0.0; missing values (NaN) stay missing."""
    if len(num) < 1024 or not pa.types.is_float64(num.type):
        return pc.cast(num, pa.string())
    v = num.to_numpy(zero_copy_only=False)
    if len(pd.unique(v[:2048].view(np.int64))) > 512:   # judged on the first rows: quantities seldom repeat enough
        return pc.cast(num, pa.string())
    found = distinct_by_bits(v, len(v) // 4)
    if found is None:
        return pc.cast(num, pa.string())
    codes, uniq = found
    texts = pc.cast(pa.array(uniq, from_pandas=True), pa.string())
    return pc.take(texts, pa.array(codes))


def _number_pieces(letter: str, rows: pa.Array, num: pa.Array, style: int) -> list:
    text = _number_text(num)
    return _cell_pieces(letter, rows, [f'" s="{style}"'], ["><v>", text, "</v></c>"], text)


def date_serials(values: pd.Series, date1904: bool) -> pa.Array:
    """Excel serial day numbers (float, null for no date) in the workbook's date system."""
    epoch = np.datetime64(excel_epoch(date1904), "ns")
    ns = pd.to_datetime(values, errors="coerce").to_numpy(dtype="datetime64[ns]")
    missing = np.isnat(ns)
    days = (ns - epoch).astype("timedelta64[ns]").astype(np.int64) / 86_400e9
    days = np.where(missing | (days < 1), np.nan, days)  # no serial before the epoch
    return pa.array(days, from_pandas=True)


def serial_of(d: date, date1904: bool) -> float:
    epoch = excel_epoch(date1904)
    return float((d - epoch).days)


def cell_xml(ref: str, cell: OldCell) -> str:
    """One user's cell, as it was: value, type, style and formula."""
    s = f' s="{cell.style}"' if cell.style else ""
    f = f"<f>{esc_one(cell.formula)}</f>" if cell.formula else ""
    v = cell.value
    if v is None or v == "":
        if f:
            return f'<c r="{ref}"{s}>{f}</c>'
        return f'<c r="{ref}"{s}/>'
    if cell.type == "n" and isinstance(v, (int, float)) and np.isfinite(v):
        return f'<c r="{ref}"{s}>{f}<v>{repr(float(v)) if not float(v).is_integer() else int(v)}</v></c>'
    if cell.type == "b":
        return f'<c r="{ref}"{s} t="b">{f}<v>{1 if v else 0}</v></c>'
    if cell.type == "e":
        return f'<c r="{ref}"{s} t="e">{f}<v>{esc_one(v)}</v></c>'
    text = esc_one(v)
    if f:
        return f'<c r="{ref}"{s} t="str">{f}<v>{text}</v></c>'
    sp = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t{sp}>{text}</t></is></c>'


def _column_pieces(col: OutColumn, letter: str, rows: pa.Array, a: int, b: int, date1904: bool,
                   row0: int) -> list:
    kind = col.kind
    if kind == "cells":
        sparse = [None] * (b - a)
        any_cell = False
        for i, cell in col.cells.items():
            if a <= i < b:
                sparse[i - a] = cell_xml(f"{letter}{row0 + i}", cell)
                any_cell = True
        override = pa.array(sparse, type=pa.string()) if any_cell else None
        if col.formula:
            base = pc.binary_join_element_wise(f'<c r="{letter}', rows,
                                               f'"><f>{esc_one(col.formula)}</f></c>', "")
            return [pc.coalesce(override, base) if override is not None else base]
        return [pc.fill_null(override, "")] if override is not None else []
    values = col.values.iloc[a:b]
    if kind in ("text", "link"):
        return _text_pieces(letter, rows, _strings(values), str(col.style))
    if kind == "status":
        arr = _strings(values)
        style: str | pa.Array = str(col.style)
        if col.status_styles:
            keys = list(col.status_styles)
            by = _strings(col.status_keys.iloc[a:b]) if col.status_keys is not None else arr
            idx = pc.index_in(by, value_set=pa.array(keys, type=pa.string()))
            found = pc.take(pa.array([str(col.status_styles[k]) for k in keys], type=pa.string()), idx)
            style = pc.fill_null(found, str(col.style))
        return _text_pieces(letter, rows, arr, style)
    if kind == "date":
        return _number_pieces(letter, rows, date_serials(values, date1904), col.style)
    if kind in ("quantity", "percent"):
        return _number_pieces(letter, rows, pa.array(values.to_numpy(dtype="float64", na_value=np.nan),
                                                     from_pandas=True), col.style)
    if kind == "integer":
        return _number_pieces(letter, rows, pa.array(values.astype("Int64"), type=pa.int64(),
                                                     from_pandas=True), col.style)
    raise ValueError(kind)


def _joined_bytes(arr: pa.Array) -> pa.Buffer:
    """The concatenated UTF-8 of a string array, without copying it into Python str."""
    arr = pc.fill_null(arr, "") if arr.null_count else arr
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)
    start, end = int(offsets[arr.offset]), int(offsets[arr.offset + len(arr)])
    return arr.buffers()[2].slice(start, end - start)


def header_row_xml(headers: list[str], row: int, col0: int, style: int, left: str = "",
                   right: str = "") -> str:
    cells = "".join(
        f'<c r="{column_letter(col0 + j)}{row}" s="{style}" t="inlineStr"><is><t>{esc_one(h)}</t></is></c>'
        for j, h in enumerate(headers))
    return f'<row r="{row}">{left}{cells}{right}</row>'


def _sparse(extra: Mapping[int, str] | None, first: int, count: int) -> pa.Array | None:
    if not extra or not any(first <= r < first + count for r in extra):
        return None
    return pc.fill_null(pa.array([extra.get(first + i) for i in range(count)], type=pa.string()), "")


def sheet_rows(columns: list[OutColumn], nrows: int, row0: int, col0: int, date1904: bool,
               left: Mapping[int, str] | None = None, right: Mapping[int, str] | None = None,
               heights: np.ndarray | None = None) -> Iterator[pa.Buffer | bytes]:
    """<row> elements for the data rows (sheet rows row0 .. row0+nrows-1), in slices.

    left / right: sheet row -> XML of a user's cells beside the table on that row.
    heights: points per data row (0: the default height), for rows of wrapped text:
    neither Excel nor LibreOffice fits a row to its wrapped text when a file opens.
    """
    letters = [column_letter(col0 + j) for j in range(len(columns))]

    def rows_xml(a: int, b: int) -> list[pa.Buffer]:
        rows = pc.cast(pa.array(np.arange(row0 + a, row0 + b, dtype=np.int64)), pa.string())
        parts: list = ['<row r="', rows, '"']
        if heights is not None and heights[a:b].any():
            h = heights[a:b]
            parts.append(pa.array(np.where(h > 0, [f' ht="{x:g}" customHeight="1"' for x in h], ""), pa.string()))
        parts.append(">")
        before = _sparse(left, row0 + a, b - a)
        if before is not None:
            parts.append(before)
        for col, letter in zip(columns, letters, strict=True):
            parts += _column_pieces(col, letter, rows, a, b, date1904, row0)
        after = _sparse(right, row0 + a, b - a)
        if after is not None:
            parts.append(after)
        parts.append("</row>")
        try:
            joined = pc.binary_join_element_wise(*_merge(parts), "", null_handling="replace",
                                                 null_replacement="")
        except (pa.ArrowCapacityError, pa.ArrowInvalid):
            if b - a <= 1:
                raise
            mid = (a + b) // 2  # more than 2 GB of text in one slice: halve it
            return rows_xml(a, mid) + rows_xml(mid, b)
        return [_joined_bytes(joined)]

    for a in range(0, nrows, CHUNK_ROWS):
        yield from rows_xml(a, min(nrows, a + CHUNK_ROWS))


def hyperlinks_xml(letter: str, row0: int, location: pd.Series, display: pd.Series) -> list[pa.Buffer]:
    """<hyperlink> elements (no wrapper) for internal links to cells of this workbook."""
    out = []
    n = len(location)
    for a in range(0, n, CHUNK_ROWS):
        b = min(n, a + CHUNK_ROWS)
        loc = _strings(location.iloc[a:b])
        if loc.null_count == len(loc):
            continue
        rows = pc.cast(pa.array(np.arange(row0 + a, row0 + b, dtype=np.int64)), pa.string())
        disp = pc.fill_null(_strings(display.iloc[a:b]), "")
        out.append(_joined_bytes(pc.binary_join_element_wise(
            '<hyperlink ref="', letter, rows, '" location="', esc_attr(loc), '" display="',
            esc_attr(disp), '"/>', "", null_handling="emit_null")))
    return out
