"""Table cells written in bulk: the cell XML and the fingerprint texts of a whole column
at once, instead of one XlsxWriter call and one dict entry per cell.

Why: a quarter of a million-movement book is a Ledger of millions of cells; one
XlsxWriter call per cell and every cell's text kept in a dict took minutes and gigabytes
(issue 15). XlsxWriter still writes the rest of the workbook (formats, the Table
definitions, charts, page setup, the rows outside tables); the rows made here wait in a
temporary file and are spliced into its sheet parts once it has closed (`splice`).
Strings are inline (no shared-string table held in memory). Each cell is written with
exactly the value, format and fingerprint text `Sheet.put` / `Sheet.formula` give it
(`cell_value` is the one rule both follow), so `verify` reads back what was hashed.
Each distinct value of a chunk is escaped and formatted once; a row's cells are joined
from per-column lists (issue 15: a quarter of the 980k book is some nine million cells).
"""
from __future__ import annotations

import hashlib
import re
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from massbal.xlref import column_letter
from massbal.xlsx.write.cell_xml import may_edge_space

from .verify import EPOCH, FORMULA, MAX_STRING, canon_texts, excel_serial

CHUNK = 8192  # rows built at once: bounds the memory of the intermediate strings (about 70 MB
# for a Ledger; 32768 rows were 300 MB at the peak of a 980k-movement export)
_ESCAPE_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")
_NEEDS_ESCAPE = re.compile("_x[0-9a-fA-F]{4}_|[\x00-\x08\x0b-\x1f\ufffe\uffff&<>]")
_PRESERVE = re.compile(r"^\s|\s$")
# the same as an Arrow (RE2) pattern: what may need xml_text
_NEEDS_ESCAPE_RE2 = "_x[0-9a-fA-F]{4}_|[\\x00-\\x08\\x0b-\\x1f\\x{fffe}\\x{ffff}&<>]"
_ERRORS = ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!")


def blank(v) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float) and v != v:
        return True
    if isinstance(v, str):
        return v == ""
    try:
        return bool(pd.isna(v)) if not isinstance(v, (bytes, dict, list, tuple)) else False
    except (TypeError, ValueError):
        return False


def cell_value(v, kind: str | None = None):
    """What a cell holds: None (nothing written), ('n', number, has_time) or ('s', text);
    has_time is None for a number that is no date.
    Dates become Excel day numbers, booleans Yes/No, text is cut at Excel's limit."""
    if blank(v):
        return None
    number = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
    if (kind == "date" and not number) or isinstance(v, (datetime, date, pd.Timestamp)):
        ts = pd.Timestamp(v).to_pydatetime()
        return ("n", excel_serial(ts), ts.time() != datetime.min.time())
    if isinstance(v, (bool, np.bool_)):
        return ("s", "Yes" if v else "No")
    if number:
        x = float(v)
        return None if x in (float("inf"), float("-inf")) else ("n", x, None)
    return ("s", utf16_cut(str(v)[:MAX_STRING]))


def utf16_cut(s: str) -> str:
    """Excel's limit counts UTF-16 units (an emoji is two): cut as XlsxWriter would."""
    if len(s) <= MAX_STRING // 2 or len(s.encode("utf-16-le")) // 2 <= MAX_STRING:
        return s
    b = s.encode("utf-16-le")[:2 * MAX_STRING]
    return b.decode("utf-16-le", errors="ignore")


def formula_result(cached):
    """The cached result of a formula cell as Sheet.formula stores it: '' or str or float."""
    if blank(cached):
        return ""
    if isinstance(cached, (bool, np.bool_)):
        return "Yes" if cached else "No"
    if isinstance(cached, (int, float, np.integer, np.floating)):
        return float(cached)
    if isinstance(cached, (datetime, date, pd.Timestamp)):
        return excel_serial(pd.Timestamp(cached).to_pydatetime())
    return str(cached)


def xml_text(s: str) -> str:
    """A string as cell XML text, escaped as XlsxWriter escapes shared strings."""
    if _NEEDS_ESCAPE.search(s):
        s = _ESCAPE_ESCAPE.sub(r"_x005F\1", s)
        s = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", s)
        s = s.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
        s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return s


def xml_attr(s: str) -> str:
    return (s.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\n", "&#xA;"))


# ------------------------------------------------------------------ one column

@dataclass
class Cells:
    """A column's cells: tag 0 nothing, 1 number, 2 text; num and txt hold the values."""
    tag: np.ndarray
    num: np.ndarray
    txt: np.ndarray


def classify(values, kind: str | None) -> Cells:
    """Sheet.put's rule over a whole column, vectorised where the column has one type."""
    s = values if isinstance(values, pd.Series) else pd.Series(values if len(values) else [], dtype=object
                                                                if not len(values) else None)
    n = len(s)
    tag = np.zeros(n, dtype=np.int8)
    num = np.zeros(n, dtype=float)
    txt = np.empty(n, dtype=object)
    dt = s.dtype
    if dt.kind in "fiu" and not isinstance(dt, pd.api.extensions.ExtensionDtype):
        x = s.to_numpy(dtype=float)
        ok = np.isfinite(x)
        tag[ok], num[ok] = 1, x[ok]
        return Cells(tag, num, txt)
    if dt.kind == "M" and not isinstance(dt, pd.DatetimeTZDtype):
        v = s.to_numpy(dtype="datetime64[us]")
        ok = ~np.isnat(v)
        delta = v[ok] - np.datetime64(EPOCH, "us")
        us = delta.astype(np.int64)
        days, rest = np.divmod(us, 86_400_000_000)
        secs, micro = np.divmod(rest, 1_000_000)
        # excel_serial's own arithmetic, in its order, so every double is the same
        tag[ok] = 1
        num[ok] = days.astype(float) + secs.astype(float) / 86400.0 + micro.astype(float) / 86400e6
        return Cells(tag, num, txt)
    if dt == bool:
        tag[:] = 2
        txt[:] = np.where(s.to_numpy(), "Yes", "No")
        return Cells(tag, num, txt)
    arr = s.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(arr, skipna=True) == "string" and not isinstance(dt, pd.CategoricalDtype):
        ok = np.fromiter((isinstance(v, str) and v != "" for v in arr), dtype=bool, count=n)
        tag[ok] = 2
        txt[ok] = [utf16_cut(v[:MAX_STRING]) if len(v) > MAX_STRING // 2 else v for v in arr[ok]]
        return Cells(tag, num, txt)
    for i, v in enumerate(arr):  # mixed types: the rule itself, cell by cell
        c = cell_value(v, None if isinstance(v, str) or kind != "date" else "date")
        if c is None:
            continue
        if c[0] == "n":
            tag[i], num[i] = 1, c[1]
        else:
            tag[i], txt[i] = 2, c[1]
    return Cells(tag, num, txt)


# ------------------------------------------------------------------ a block of rows

@dataclass
class Column:
    """One column of a block: values, a formula text per row (or None), the cell format's
    index, the format index of a linked cell, and each row's link location (or None)."""
    values: object
    kind: str | None = None
    xf: int | None = None
    formulas: list | None = None
    links: list | None = None
    link_xf: int | None = None


@dataclass
class Block:
    """Rows made in bulk for one sheet: their XML in a temporary file, their links, and
    what the fingerprint needs (each row's digest, each column's joined cell texts).
    The column texts are as large as the data itself, so they wait in a temporary file
    too (`col_pieces` reads them back, one piece at a time, when the columns are hashed)."""
    first: int  # 1-based worksheet row of the first
    last: int
    c0: int  # 1-based first column
    ncols: int
    file: object
    links: list[tuple[int, int, str]] = field(default_factory=list)
    row_digests: dict[int, str] = field(default_factory=dict)  # 1-based row -> sha256 hex
    col_spans: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # column -> (offset, bytes) pieces
    texts: object = None  # the temporary file of the column texts (UTF-8)

    def add_col_bytes(self, col: int, data) -> None:
        if self.texts is None:
            self.texts = tempfile.TemporaryFile()
        self.texts.seek(0, 2)
        self.col_spans.setdefault(col, []).append((self.texts.tell(), len(data)))
        self.texts.write(data)

    def col_pieces(self, col: int):
        """The column's texts (UTF-8 bytes), in row order, as _digest made them."""
        for offset, size in self.col_spans.get(col, ()):
            self.texts.seek(offset)
            yield self.texts.read(size)


def make_block(first: int, c0: int, n: int, cols: list[Column], heights=None, hashed: bool = True) -> Block:
    """first, c0: 0-based row and column of the block's first cell. heights: per row, a
    custom height in points or 0."""
    f = tempfile.TemporaryFile()
    b = Block(first + 1, first + n, c0 + 1, len(cols), f)
    letters = [column_letter(c0 + j + 1) for j in range(len(cols))]
    for a in range(0, n, CHUNK):
        z = min(n, a + CHUNK)
        rows = pa.array(np.arange(first + 1 + a, first + 1 + z, dtype=np.int64)).cast(pa.string())
        cells, pieces = [], []   # per column with a cell here: its cells, its row-digest pieces
        for j, c in enumerate(cols):
            vals = c.values[a:z] if not isinstance(c.values, pd.Series) else c.values.iloc[a:z]
            col = c0 + j + 1
            got = _column_xml(letters[j], col, rows, vals, c, a, z, hashed)
            if got is not None:
                cells.append(got[0])
                pieces.append(got[1])
                if hashed:
                    b.add_col_bytes(col, got[2])
            if c.links is not None:
                b.links += [(first + 1 + i, col, c.links[i]) for i in range(a, z) if c.links[i]]
        f.write(_row_xml(rows, _concat(cells, z - a), heights[a:z] if heights is not None else None))
        if hashed and pieces:
            _digest(b, first + 1 + a, _concat(pieces, z - a))
    return b


def _concat(arrays: list, m: int) -> pa.Array:
    """Row by row, the arrays' texts one after the other (a missing one adds nothing)."""
    if not arrays:
        return pa.array([""] * m, pa.string())
    return pc.binary_join_element_wise(*arrays, "", null_handling="replace", null_replacement="")


def _row_xml(rows: pa.Array, bodies: pa.Array, hts) -> memoryview:
    """The chunk's <row> elements: a row with no cell and no height of its own is left out."""
    plain = pc.binary_join_element_wise("<row r=\"", rows, "\">", bodies, "</row>", "")
    keep = pc.greater(pc.binary_length(bodies), 0)
    if hts is not None and hts.any():
        tall = pa.array(hts != 0)
        ht = pa.array([f"{h}" for h in hts.tolist()], pa.string())
        high = pc.binary_join_element_wise("<row r=\"", rows, "\" ht=\"", ht, "\" customHeight=\"1\">",
                                           bodies, "</row>", "")
        plain = pc.if_else(tall, high, plain)
        keep = pc.or_(keep, tall)
    return _text_bytes(pc.if_else(keep, plain, None))


def _text_bytes(arr: pa.Array) -> memoryview:
    """The array's texts one after the other, as UTF-8 (a missing one adds nothing)."""
    offsets, data = _buffers(arr)
    return data[offsets[0]:offsets[-1]]


def _buffers(arr: pa.Array) -> tuple[list[int], memoryview]:
    """Each text's (start, end) offsets into the array's UTF-8 data, and that data."""
    if arr.null_count:
        arr = arr.fill_null("")
    _, offs, data = arr.buffers()
    offsets = np.frombuffer(offs, dtype=np.int32, count=len(arr) + 1, offset=4 * arr.offset).tolist()
    return offsets, memoryview(data if data is not None else b"")


def _column_xml(letter: str, col: int, rows: pa.Array, vals, c: Column, a: int, z: int, hashed: bool = True):
    """The column's cells in this chunk, as (each row's cell XML, each row's piece of its row
    digest text, the column's digest text as UTF-8), where a row without a cell is missing;
    None when the column has no cell here. Each distinct value is escaped and formatted once
    (a Ledger repeats its items, kinds and sheets on every row) and the rows are put
    together by Arrow: nine million cells were seconds of Python strings."""
    plain = f' s="{c.xf}"' if c.xf is not None else ""
    style = plain
    if c.links is not None:
        linked = np.fromiter((c.links[i] is not None for i in range(a, z)), dtype=bool, count=z - a)
        style = pc.if_else(pa.array(linked), f' s="{c.link_xf}"', plain)
    if c.formulas is not None:
        tail = pa.array(_formula_tails(c.formulas[a:z], vals), pa.string())
        canon = pa.scalar(FORMULA)
    else:
        codes, tails, canons = _value_codes(vals, c.kind, hashed)
        take = pa.array(codes, mask=codes < 0)
        tail = tails.take(take)
        if not len(tail) or tail.null_count == len(tail):
            return None
        canon = canons.take(take)
    xml = pc.binary_join_element_wise(f'<c r="{letter}', rows, '"', style, tail, "")
    if not hashed:
        return xml, None, None
    piece = pc.binary_join_element_wise(f"\x1f{col}=", canon, "")
    if isinstance(piece, pa.Scalar):
        piece = pa.array([piece.as_py()] * len(rows), pa.string())
    text = _text_bytes(pc.drop_null(pc.binary_join_element_wise(rows, "=", canon, "\x1f", "")))
    return xml, piece, text[:-1]


def _value_codes(vals, kind: str | None, hashed: bool = True) -> tuple[np.ndarray, pa.Array, pa.Array]:
    """Sheet.put's rule (classify) as each row's code (-1: no cell) into its distinct
    values' cell XML tails (after the style attribute) and fingerprint texts (numbers'
    only when hashed); a tail of None is no cell either. Each distinct value is formatted
    once."""
    if isinstance(vals, pd.Series) and _is_text(vals.dtype):
        codes, uniq = pd.factorize(vals, use_na_sentinel=True)   # pyarrow text: never walked per row
        return (codes, *_text_tails(pa.array(uniq, pa.string())))
    if isinstance(vals, pd.Series) and isinstance(vals.dtype, pd.CategoricalDtype):
        cats = _value_codes(pd.Series(vals.cat.categories.to_numpy(dtype=object), dtype=object), kind, hashed)
        codes = vals.cat.codes.to_numpy()
        return (np.where(codes >= 0, cats[0][codes], -1), cats[1], cats[2])
    if isinstance(vals, pd.Series) and isinstance(vals.dtype, pd.api.extensions.ExtensionDtype):
        vals = vals.astype(object)
    if isinstance(vals, list) or (isinstance(vals, pd.Series) and vals.dtype == object):
        arr = vals.to_numpy() if isinstance(vals, pd.Series) else np.fromiter(vals, dtype=object, count=len(vals))
        if len(arr) and pd.api.types.infer_dtype(arr, skipna=True) == "string":
            # text and blanks only (classify's text rule): each distinct text once
            codes, uniq = pd.factorize(arr, use_na_sentinel=True)
            return (codes, *_text_tails(uniq.tolist()))
    cells = _int_list(vals)
    if cells is None:
        cells = classify(vals, kind)
    codes = np.full(len(cells.tag), -1, dtype=np.int64)
    nums = np.flatnonzero(cells.tag == 1)
    u, inv = np.unique(cells.num[nums], return_inverse=True)   # as number_texts: the same doubles
    codes[nums] = inv
    texts16 = [f"{v:.16G}" for v in u.tolist()]
    tails = pa.array([f"><v>{x}</v></c>" for x in texts16], pa.string())
    canons = pa.array(canon_texts(texts16) if hashed else [None] * len(texts16), pa.string())
    texts = np.flatnonzero(cells.tag == 2)
    if len(texts):
        tcodes, uniq = pd.factorize(cells.txt[texts])
        codes[texts] = len(tails) + tcodes
        ut, uc = _text_tails(list(uniq))
        tails, canons = pa.concat_arrays([tails, ut]), pa.concat_arrays([canons, uc])
    return codes, tails, canons


def _int_list(vals) -> Cells | None:
    """A list of plain ints as classify reads it (an int64 column, as doubles), else None."""
    if not isinstance(vals, list) or not vals or not all(type(v) is int for v in vals):
        return None
    try:
        x = np.asarray(vals, dtype=np.int64).astype(float)
    except OverflowError:
        return None
    return Cells(np.ones(len(x), dtype=np.int8), x, np.empty(len(x), dtype=object))


def _is_text(dtype) -> bool:
    return isinstance(dtype, pd.StringDtype)


def _cut(v: str) -> str:
    return utf16_cut(v[:MAX_STRING]) if len(v) > MAX_STRING // 2 else v


def _text_tails(uniq) -> tuple[pa.Array, pa.Array]:
    """Inline-string cell XML tails and fingerprint texts of distinct strings ('' and None:
    no cell). Arrow puts the plain ones together; a text that needs escaping or may keep
    spaces at an end (cell_xml.may_edge_space) takes the rule in Python."""
    u = pa.array(uniq, pa.string()) if not isinstance(uniq, pa.Array) else uniq
    long = pc.greater(pc.utf8_length(u), MAX_STRING // 2).fill_null(False)
    if long.true_count:
        u = pc.replace_with_mask(u, long, pa.array([_cut(v) for v in pc.filter(u, long).to_pylist()], pa.string()))
    u = pc.if_else(pc.equal(u, ""), None, u)
    tails = pc.binary_join_element_wise(' t="inlineStr"><is><t>', u, "</t></is></c>", "")
    odd = pc.or_(pc.match_substring_regex(u, _NEEDS_ESCAPE_RE2), pa.array(may_edge_space(u)))
    odd = odd.fill_null(False)
    if odd.true_count:
        fixed = []
        for v in pc.filter(u, odd).to_pylist():
            p = ' xml:space="preserve"' if _PRESERVE.search(v) else ""
            fixed.append(f' t="inlineStr"><is><t{p}>{xml_text(v)}</t></is></c>')
        tails = pc.replace_with_mask(tails, odd, pa.array(fixed, pa.string()))
    return tails, pc.binary_join_element_wise("s:", u, "")


def _formula_tails(texts, vals) -> list[str]:
    """Per row: the formula cell's XML after its style attribute (formula and cached value)."""
    prepared: dict[str, str] = {}
    out = []
    x = None
    if isinstance(vals, pd.Series) and vals.dtype.kind in "fiu" and not isinstance(
            vals.dtype, pd.api.extensions.ExtensionDtype):
        x = vals.to_numpy(dtype=float)
    elif isinstance(vals, np.ndarray) and vals.dtype.kind in "fiu":
        x = vals.astype(float)
    if x is not None:   # numbers: each distinct double's text once (by its bits: -0.0 stays -0.0)
        u, inv = np.unique(x.view(np.int64), return_inverse=True)
        # formula_result and _result_xml of a double, without their checks for other types
        results = [("", "") if v != v else ("", f"{v}") for v in u.view(float).tolist()]
        res = [results[k] for k in inv.tolist()]
    else:
        res = [_result_xml(formula_result(v)) for v in list(vals)]
    for text, (t, r) in zip(texts, res, strict=True):
        fx = prepared.get(text)
        if fx is None:
            fx = prepared[text] = xml_text_formula(text)
        out.append(f"{t}><f>{fx}</f><v>{r}</v></c>")
    return out


def _result_xml(res) -> tuple[str, str]:
    if isinstance(res, str):
        t = "" if res == "" else (' t="e"' if res in _ERRORS else ' t="str"')
        return t, res.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "", f"{res}"


def xml_text_formula(text: str) -> str:
    text = text[1:] if text.startswith("=") else text
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _digest(b: Block, first: int, texts: pa.Array) -> None:
    """Each row's digest, as verify.digests makes it from the row's cells (its text without
    the leading separator)."""
    sha = hashlib.sha256
    offsets, data = _buffers(texts)
    for i, (lo, hi) in enumerate(zip(offsets[:-1], offsets[1:], strict=True)):
        if hi > lo:
            b.row_digests[first + i] = sha(data[lo + 1:hi]).hexdigest()
