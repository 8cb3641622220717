"""Turning raw cell values into numbers, dates, yes/no and text, a whole column at a time.

Every parser returns the parsed column and, per row, a plain sentence where the cell
could not be read (None where it could). Distinct text values are parsed once and
mapped back, so a million rows cost about as much as their few thousand distinct values.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from massbal.xlref import EPOCH_1900, EPOCH_1904

EXCEL_ERRORS = frozenset({"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!",
                          "#SPILL!", "#CALC!", "#GETTING_DATA", "#FIELD!", "#BLOCKED!",
                          "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#N/A!"})


@dataclass(frozen=True)
class Parsed:
    values: pd.Series  # parsed values (float, datetime64[ns] normalised to days, object)
    blank: pd.Series  # bool: the cell is empty
    problem: pd.Series  # object: sentence where a non-empty cell could not be read
    # text columns read a distinct value at a time keep that reading: values is
    # uniques[codes] (code -1: an empty cell), so names can be matched per distinct value
    codes: np.ndarray | None = None
    uniques: np.ndarray | None = None
    # known to have no problem at all (problem is all None): the reader then skips looking
    # for one row by row (a null test over a million objects per column)
    clean: bool = False
    # uniques' texts are as distinct as the cells were (none had stray white space cleaned
    # into another's spelling): a code then names one text, and codes can stand for texts
    distinct: bool = False


# Below this many cells, plain Python per distinct value beats whole-column string
# operations, whose fixed cost per call dominates small tables.
SMALL = 5_000


def all_text(col: pd.Series) -> bool:
    """Every filled cell is text (the usual case for names, lots and units), in a column
    big enough for whole-column string operations to pay."""
    if len(col) < SMALL:
        return False
    if pd.api.types.is_string_dtype(col.dtype) and col.dtype != object:
        return True
    return col.dtype == object and pd.api.types.infer_dtype(col, skipna=True) in ("string", "empty")


def _as_text(col: pd.Series) -> pd.Series:
    """A text column as pandas' string dtype (Arrow-backed where pyarrow is installed:
    whole-column string operations then run in C++, not per cell in Python)."""
    return col if (pd.api.types.is_string_dtype(col.dtype) and col.dtype != object) else col.astype("string")


def _text_uniques(col: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """A text column as codes (-1 for empty cells) and its distinct values: names, lots
    and units repeat, so whole-column string work is done once per distinct value."""
    codes, uniques = _as_text(col).array.factorize()
    return np.asarray(codes), pd.Series(uniques)


def _blank_uniques(u: pd.Series, stripped: pd.Series | None = None) -> np.ndarray:
    s = u.str.strip() if stripped is None else stripped
    return s.eq("").fillna(True).to_numpy(dtype=bool)


def _spread(per_unique: np.ndarray, missing, codes: np.ndarray) -> np.ndarray:
    """Per-unique values back onto the rows; `missing` where the code is -1."""
    return np.append(per_unique, np.array([missing], dtype=per_unique.dtype))[codes]


def is_blank(col: pd.Series) -> pd.Series:
    """Empty cells: None, NaN, or text that is only white space."""
    if all_text(col):
        codes, u = _text_uniques(col)
        return pd.Series(_spread(_blank_uniques(u), True, codes), index=col.index)
    blank = col.isna()
    if (col.dtype == object or pd.api.types.is_string_dtype(col.dtype)) and len(col) < SMALL:
        # a small column: one plain loop beats the handful of whole-column steps below,
        # whose fixed cost is most of a small book's reading (the same test: a str that
        # strips to nothing; Python's and Arrow's white space are the same characters)
        na = blank.to_numpy(dtype=bool)
        # a text column's every value is text (pandas 2.2 may keep numpy's str in one); in
        # an object column only a plain str is, as below
        text = isinstance(col.dtype, pd.StringDtype)
        ws = np.fromiter(((isinstance(v, str) if text else type(v) is str) and not v.strip()
                          for v in col.to_numpy(dtype=object)), dtype=bool, count=len(col))
        return pd.Series(na | ws, index=col.index)
    if col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
        s = col[~blank].astype(object)
        is_str = s.map(type).eq(str)
        ws = pd.Series(False, index=col.index)
        if is_str.any():
            st = s[is_str.to_numpy()].astype(str)
            ws.loc[st.index] = st.str.strip().eq("").to_numpy()
        blank = blank | ws
    return blank.astype(bool)


def _map_unique(col: pd.Series, fn) -> tuple[pd.Series, pd.Series]:
    """Apply fn(value) -> (parsed, problem) once per distinct value."""
    codes, uniques = pd.factorize(col.astype(object), use_na_sentinel=True)
    parsed, problems = [], []
    for u in uniques:
        p, e = fn(u)
        parsed.append(p)
        problems.append(e)
    parsed_arr = np.array(parsed + [None], dtype=object)
    prob_arr = np.array(problems + [None], dtype=object)
    idx = np.where(codes < 0, len(uniques), codes)
    return (pd.Series(parsed_arr[idx], index=col.index, dtype=object),
            pd.Series(prob_arr[idx], index=col.index, dtype=object))


# ---------------------------------------------------------------- numbers

_THOUSANDS_US = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_THOUSANDS_EU = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_PLAIN = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def _number_from_text(text: str) -> tuple[float | None, str | None]:
    s = text.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("'", "")
    if s in EXCEL_ERRORS or text.strip().upper() in EXCEL_ERRORS:
        return None, f"shows the Excel error {text.strip()} instead of a number"
    if _PLAIN.match(s):
        return float(s), None
    if _THOUSANDS_US.match(s):
        return float(s.replace(",", "")), None
    if _THOUSANDS_EU.match(s):
        return float(s.replace(".", "").replace(",", ".")), None
    if _DECIMAL_COMMA.match(s):
        whole, frac = s.split(",")
        if len(frac) == 3:
            return None, (f"'{text.strip()}' is ambiguous: it could be {whole}{frac} or {whole}.{frac}. "
                          "Type it without a thousands separator, with a decimal point")
        return float(s.replace(",", ".")), None
    return None, f"'{text.strip()}' is not a number"


def _number_one(v) -> tuple[float | None, str | None]:
    if isinstance(v, bool):
        return None, f"'{v}' is not a number"
    if isinstance(v, (int, float, np.integer, np.floating)):
        f = float(v)
        if math.isnan(f) or math.isinf(f):
            return None, "is not a finite number"
        return f, None
    if isinstance(v, str):
        return _number_from_text(v)
    if isinstance(v, (dt.date, dt.datetime, pd.Timestamp)):
        return None, f"holds a date ({v:%Y-%m-%d}) where a number belongs"
    return None, f"'{v}' is not a number"


def parse_number(col: pd.Series) -> Parsed:
    if col.dtype == object and len(col) >= SMALL:
        return _mostly_floats(col) or _parse_number(col)
    return _parse_number(col)


def _parse_number(col: pd.Series) -> Parsed:
    blank = is_blank(col)
    if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
        vals = col.astype(float)
        bad = ~np.isfinite(vals) & ~blank
        prob = pd.Series(np.where(bad, "is not a finite number", None), index=col.index, dtype=object)
        return Parsed(vals.where(~bad), blank, prob, clean=not bad.any())
    vals, prob = _map_unique(col.where(~blank), _number_one)
    prob = prob.where(~blank, None)
    return Parsed(pd.to_numeric(vals, errors="coerce").astype(float), blank, prob)


def _mostly_floats(col: pd.Series) -> Parsed | None:
    """A big number column made object by a few cells that are not numbers (text typed
    into it, a date): its Python floats read as a float column is, the rest cell by cell
    as before; the same values, blanks and problems (a float column's, _number_one's).
    None when most cells are not floats. At 980k a 245k-row Quantity with one text cell:
    its type test and distinct floats one by one were most of the column's reading."""
    cells = col.to_numpy(dtype=object)
    floats = np.fromiter((type(v) is float for v in cells), dtype=bool, count=len(cells))
    if floats.sum() * 2 < len(cells):
        return None
    vals = cells[floats].astype(float)
    # the cell-by-cell reading takes equal values as one (0.0 and -0.0, 1.0 and True or 1):
    # only where no such pair can meet are the two readings the same
    zero = np.signbit(vals[vals == 0])
    if zero.any() and not zero.all():
        return None
    if not all(v is None or type(v) is str for v in cells[~floats]):
        return None
    blank = np.zeros(len(cells), dtype=bool)
    blank[floats] = np.isnan(vals)
    out = np.full(len(cells), np.nan)
    out[floats] = np.where(np.isinf(vals), np.nan, vals)  # NaN: a blank; infinity: no number
    prob = np.full(len(cells), None, dtype=object)
    prob[floats] = np.where(np.isinf(vals), "is not a finite number", None)
    rest = ~floats
    if rest.any():
        p = _parse_number(pd.Series(cells[rest], dtype=object))
        out[rest] = p.values.to_numpy(dtype=float)
        blank[rest] = p.blank.to_numpy(dtype=bool)
        prob[rest] = p.problem.to_numpy(dtype=object)
    return Parsed(pd.Series(out, index=col.index), pd.Series(blank, index=col.index),
                  pd.Series(prob, index=col.index, dtype=object))


# ---------------------------------------------------------------- dates

_EXCEL_EPOCH_1900 = pd.Timestamp(EPOCH_1900)
_EXCEL_EPOCH_1904 = pd.Timestamp(EPOCH_1904)
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?$")
_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2,4})$")
_MONTHS = {m.casefold(): i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_TEXT_MONTH = re.compile(r"^(\d{1,2})[ -]([A-Za-z]{3,9})\.?,?[ -](\d{4})$|^([A-Za-z]{3,9})\.? (\d{1,2}),? (\d{4})$")
_LO, _HI = pd.Timestamp("1950-01-01"), pd.Timestamp("2100-12-31")


def _mk(y: int, m: int, d: int, text: str) -> tuple[pd.Timestamp | None, str | None]:
    try:
        return pd.Timestamp(dt.date(y, m, d)), None
    except ValueError:
        return None, f"'{text}' is not a real date"


def _date_from_text(text: str) -> tuple[pd.Timestamp | None, str | None]:
    s = text.strip()
    if s.upper() in EXCEL_ERRORS:
        return None, f"shows the Excel error {s} instead of a date"
    m = _ISO.match(s)
    if m:
        return _mk(int(m[1]), int(m[2]), int(m[3]), s)
    m = _DMY.match(s)
    if m:
        a, b, y = int(m[1]), int(m[2]), int(m[3])
        if y < 100:
            y += 2000
        if a > 12 and b <= 12:
            return _mk(y, b, a, s)  # day first
        if b > 12 and a <= 12:
            return _mk(y, a, b, s)  # month first
        if a == b:
            return _mk(y, a, b, s)
        return None, (f"'{s}' is ambiguous: it could be day {a} of month {b} or month {a}, day {b}. "
                      f"Type it as {y}-MM-DD")
    m = _TEXT_MONTH.match(s)
    if m:
        if m[1]:
            d, mon, y = int(m[1]), m[2], int(m[3])
        else:
            mon, d, y = m[4], int(m[5]), int(m[6])
        mi = _MONTHS.get(mon[:3].casefold())
        if mi:
            return _mk(y, mi, d, s)
    try:  # a pure number stored as text: an Excel serial
        f = float(s)
        return _serial(f, False)
    except ValueError:
        pass
    return None, f"'{s}' is not a date (type dates as YYYY-MM-DD, for example 2025-03-31)"


def _serial(f: float, date1904: bool) -> tuple[pd.Timestamp | None, str | None]:
    if not (1 <= f < 2958466) or math.isnan(f):
        return None, f"{f:g} is not a date"
    epoch = _EXCEL_EPOCH_1904 if date1904 else _EXCEL_EPOCH_1900
    return (epoch + pd.Timedelta(days=int(math.floor(f)))), None


def parse_date(col: pd.Series, date1904: bool = False) -> Parsed:
    blank = is_blank(col)
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        vals = pd.to_datetime(col).dt.tz_localize(None) if getattr(col.dt, "tz", None) else pd.to_datetime(col)
        vals = vals.dt.normalize()
        prob = pd.Series(None, index=col.index, dtype=object)
    else:
        def one(v):
            if isinstance(v, (pd.Timestamp, dt.datetime)):
                return pd.Timestamp(v).normalize().tz_localize(None) if pd.Timestamp(v).tz else pd.Timestamp(v).normalize(), None
            if isinstance(v, dt.date):
                return pd.Timestamp(v), None
            if isinstance(v, bool):
                return None, f"'{v}' is not a date"
            if isinstance(v, (int, float, np.integer, np.floating)):
                return _serial(float(v), date1904)
            if isinstance(v, str):
                return _date_from_text(v)
            return None, f"'{v}' is not a date"
        raw, prob = _map_unique(col.where(~blank), one)
        vals = pd.to_datetime(raw, errors="coerce")
        prob = prob.where(~blank, None)
    out_of_range = vals.notna() & ((vals < _LO) | (vals > _HI))
    if out_of_range.any():
        prob = prob.where(~out_of_range, vals.dt.strftime("%Y-%m-%d").radd("the date ")
                          + " is outside 1950-2100; check the year")
        vals = vals.where(~out_of_range)
    return Parsed(vals.astype("datetime64[ns]"), blank, prob)


# ---------------------------------------------------------------- yes/no and text

_YES = {"yes", "y", "true", "1", "organic", "x", "ja", "si", "oui", "1.0"}
_NO = {"no", "n", "false", "0", "conventional", "non-organic", "nonorganic", "non organic", "0.0"}


def _yesno_one(v) -> tuple[bool | None, str | None]:
    if isinstance(v, (bool, np.bool_)):
        return bool(v), None
    s = str(v).strip().casefold()
    if s in _YES:
        return True, None
    if s in _NO:
        return False, None
    return None, f"'{str(v).strip()}' is not Yes or No"


def parse_yesno(col: pd.Series) -> Parsed:
    if all_text(col):
        # a big text column (Organic: two values over every receipt): its distinct values
        # read once from one factorize, which also tells the blanks (is_blank and
        # _map_unique would factorize it twice, the second time as Python objects)
        codes, u = _text_uniques(col)
        ublank = _blank_uniques(u)
        read = [(None, None) if b else _yesno_one(v)
                for v, b in zip(u.to_numpy(dtype=object, na_value=None), ublank, strict=True)]
        uvals = np.array([r[0] for r in read], dtype=object)
        uprob = np.array([r[1] for r in read], dtype=object)
        return Parsed(pd.Series(_spread(uvals, None, codes), index=col.index, dtype=object),
                      pd.Series(_spread(ublank, True, codes), index=col.index),
                      pd.Series(_spread(uprob, None, codes), index=col.index, dtype=object))
    blank = is_blank(col)
    vals, prob = _map_unique(col.where(~blank), _yesno_one)
    return Parsed(vals, blank, prob.where(~blank, None))


def _text_one(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))  # lot 1001 typed as a number, read back as 1001.0
    if isinstance(v, (pd.Timestamp, dt.datetime)):
        return f"{v:%Y-%m-%d}"
    return " ".join(str(v).split())


def _mostly_distinct(col: pd.Series) -> bool:
    """References and supplier lots: nearly every row differs, so reading the distinct
    values first (a hash of every string) costs more than the whole-column operations."""
    head = col.iloc[:SMALL]
    return head.nunique(dropna=True) > 0.5 * len(head)


def parse_text(col: pd.Series, names: bool = False) -> Parsed:
    """names: the column holds names the engine keys (items, lots ...): keep the distinct
    values and codes for matching. Other columns skip that when nearly every row differs."""
    if all_text(col) and not names and _mostly_distinct(col):
        return _text_rows(_as_text(col))
    if all_text(col):
        codes, u = _text_uniques(col)
        stripped = u.str.strip()  # (once: for blanks and for stray white space)
        ublank = _blank_uniques(u, stripped)
        uvals, uprob, clean, cleaned = _read_texts(u, ublank, stripped)
        prob = np.full(len(codes), None, dtype=object) if clean else _spread(uprob, None, codes)
        # (the arrays are new: a Series of each, not a copy, which pandas 3 makes by default)
        return Parsed(pd.Series(_spread(uvals, None, codes), index=col.index, dtype=object, copy=False),
                      pd.Series(_spread(ublank, True, codes), index=col.index, copy=False),
                      pd.Series(prob, index=col.index, dtype=object, copy=False),
                      codes, uvals, clean=clean, distinct=not cleaned)
    if len(col) < SMALL and (col.dtype == object or pd.api.types.is_string_dtype(col.dtype)):
        return _text_small(col)
    blank = is_blank(col)
    if col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
        codes, uniques = pd.factorize(col.astype(object).where(~blank), use_na_sentinel=True)
        conv = np.array([_text_one(u) for u in uniques] + [None], dtype=object)
        vals = pd.Series(conv[np.where(codes < 0, len(uniques), codes)], index=col.index, dtype=object)
    else:
        vals = col.map(_text_one).astype(object).where(~blank, None)
    prob = pd.Series(None, index=col.index, dtype=object)
    errs = vals.isin(list(EXCEL_ERRORS))
    if errs.any():
        prob = prob.where(~errs, "shows the Excel error " + vals.astype(str))
        vals = vals.where(~errs, None)
    return Parsed(vals, blank, prob)


def _text_small(col: pd.Series) -> Parsed:
    """parse_text's reading of a small text or object column in one plain loop: the same
    blanks as is_blank, each distinct value read once (a dict keyed as pd.factorize keys
    them: Python's equality), Excel errors no value. The whole-column steps' fixed cost
    was most of a small book's reading."""
    na = col.isna().to_numpy(dtype=bool)
    text = isinstance(col.dtype, pd.StringDtype)  # (as is_blank: numpy str counts as text here)
    n = len(col)
    vals = np.full(n, None, dtype=object)
    blank = np.zeros(n, dtype=bool)
    prob = np.full(n, None, dtype=object)
    read: dict = {}
    errs = False
    for i, v in enumerate(col.to_numpy(dtype=object)):
        if na[i] or ((isinstance(v, str) if text else type(v) is str) and not v.strip()):
            blank[i] = True
            continue
        t = read.get(v)
        if t is None:
            t = read[v] = _text_one(v)
        if t in EXCEL_ERRORS:
            prob[i] = "shows the Excel error " + t
            errs = True
        else:
            vals[i] = t
    return Parsed(pd.Series(vals, index=col.index, dtype=object), pd.Series(blank, index=col.index),
                  pd.Series(prob, index=col.index, dtype=object), clean=not errs)


def _text_rows(u: pd.Series) -> Parsed:
    """parse_text's reading of a text column, row by row in whole-column operations (the
    same steps as per distinct value, so the same result; empty cells are blank, as
    code -1 is there)."""
    stripped = u.str.strip()
    ublank = _blank_uniques(u, stripped) | u.isna().to_numpy(dtype=bool)
    uvals, uprob, clean, _ = _read_texts(u, ublank, stripped)
    return Parsed(pd.Series(uvals, index=u.index, dtype=object, copy=False), pd.Series(ublank, index=u.index, copy=False),
                  pd.Series(uprob, index=u.index, dtype=object, copy=False), clean=clean)


def filled_texts(values: np.ndarray) -> np.ndarray:
    """pd.notna of an object array, without its test of each value where every value is
    text (one pass of C type checks: a str is never missing), as a book's names are."""
    if len(values) and pd.api.types.infer_dtype(values, skipna=False) == "string":
        return np.ones(len(values), dtype=bool)
    return pd.notna(values)


def match_keys(values: pd.Series) -> np.ndarray:
    """schema.name_key for a whole column: plain ASCII text is just lower-cased (NFKC
    leaves it alone and casefold equals lower there); only other text goes through Python."""
    return distinct_keys(values)[0]


def distinct_keys(values: pd.Series) -> tuple[np.ndarray, bool]:
    """match_keys, and whether the keys are known to be as distinct as the values, none
    empty: only claimed for a big column of ASCII text with no lower-case letter and no
    empty text, whose lower-casing then maps distinct texts to distinct keys (each is
    its key upper-cased), so the caller need not hash them to find out (a book's lots)."""
    from .schema import name_key
    cells = values.to_numpy(dtype=object)
    filled = filled_texts(cells)
    out = np.full(len(values), "", dtype=object)
    if not filled.any():
        return out, False
    idx = np.flatnonzero(filled)
    if len(values) < SMALL:
        out[idx] = [name_key(v) for v in values.to_numpy()[idx]]
        return out, False
    texts = cells if len(idx) == len(cells) else cells[idx]
    if pd.api.types.infer_dtype(texts, skipna=False) == "string":
        # every value is text. All of it ASCII (a book's lots and batches): lower-cased as
        # one joined text and split back, the same texts as each one's lower() (ASCII
        # lower-casing maps byte for byte, and the separator is in no value, as its count
        # shows): a third of the loop's time at 400k names
        joined = "\x00".join(texts.tolist())
        if joined.isascii() and joined.count("\x00") == len(texts) - 1:
            out[idx] = joined.lower().split("\x00")
            # no empty text (no separator at either end or twice), every value its key
            # upper-cased (none has a lower-case letter), every value filled
            distinct = len(idx) == len(values) and joined == joined.upper() and "\x00\x00" not in joined \
                and not joined.startswith("\x00") and not joined.endswith("\x00") and bool(joined)
            return out, distinct
        # else one plain loop (str.isascii is a flag Python keeps, not a scan), not a
        # conversion to a text column and back to four hundred thousand new Python strings
        out[idx] = [v.lower() if v.isascii() else name_key(v) for v in texts]
        return out, False
    t = values[filled].astype("string")
    # (Series.str.isascii is pandas 3 only; Pyodide has pandas 2.2)
    ascii_ = (~t.str.contains(r"[^\x00-\x7f]", regex=True)).fillna(False).astype(bool).to_numpy()
    low = t.str.lower().to_numpy(dtype=object, na_value="")
    out[idx[ascii_]] = low[ascii_]
    rest = idx[~ascii_]
    if len(rest):
        out[rest] = [name_key(v) for v in values.to_numpy()[rest]]
    return out, False


def _arrow_text_bytes(u: pd.Series) -> bytes | None:
    """An Arrow-backed text column's values as one run of UTF-8 bytes, end to end (read
    from Arrow's own buffers: no Python string is made); None for other storage. Text
    found nowhere in it is in no value (a find in it may also span two values)."""
    if not (isinstance(u.dtype, pd.StringDtype) and u.dtype.storage == "pyarrow"):
        return None
    try:
        parts = []
        for chunk in u.array.__arrow_array__().chunks:
            width = {"string": np.int32, "large_string": np.int64}[str(chunk.type)]
            if not len(chunk):
                continue
            offsets, data = chunk.buffers()[1:3]
            ends = np.frombuffer(offsets, dtype=width)[[chunk.offset, chunk.offset + len(chunk)]]
            parts.append(bytes(memoryview(data)[int(ends[0]):int(ends[1])]) if data is not None else b"")
        return b"".join(parts)
    except Exception:  # (an Arrow layout not foreseen here: the column is searched as before)
        return None


# what makes a text need Python's hands (besides white space at either end), and what
# every Excel error starts with
_INNER_MARKS = ("  ", "\t", "\n", "\u00a0")


def _read_texts(u: pd.Series, ublank: np.ndarray, stripped: pd.Series) -> tuple[np.ndarray, np.ndarray, bool, bool]:
    """The texts of `u` (distinct values or whole rows) as read, each one's problem,
    whether none has one, and whether any was cleaned of stray white space: only those
    need Python's hands; Excel errors are no value. stripped: u.str.strip()."""
    # marks and errors looked for value by value only where the column's bytes hold one
    # (a big column of codes and references holds neither: two whole-column passes saved)
    text = _arrow_text_bytes(u)
    odd = stripped.ne(u)
    # (each mark's first byte looked for first: one byte is found many times faster than two)
    if text is None or any(m.encode()[:1] in text and m.encode() in text for m in _INNER_MARKS):
        # (the four inner marks in one pass: a regex of literal alternatives, the same test)
        odd = odd | u.str.contains("|".join(_INNER_MARKS), regex=True)
    odd = odd.fillna(False).to_numpy(dtype=bool) & ~ublank
    uvals = u.to_numpy(dtype=object, na_value=None)
    uvals[ublank] = None
    uerr = (u.isin(list(EXCEL_ERRORS)).to_numpy(dtype=bool) if text is None or b"#" in text
            else np.zeros(len(u), dtype=bool)) & ~odd
    if odd.any():
        uvals[odd] = cleaned = [_text_one(v) for v in uvals[odd]]
        uerr[odd] = [v in EXCEL_ERRORS for v in cleaned]
    uprob = np.full(len(uvals), None, dtype=object)
    if uerr.any():
        uprob[uerr] = ["shows the Excel error " + v for v in uvals[uerr]]
        uvals[uerr] = None
    return uvals, uprob, not uerr.any(), bool(odd.any())
