"""A result sheet's print setup as worksheet XML (the SheetSpec's PrintSetup).

A sheet massbal adds gets the whole setup. A sheet it replaces keeps whatever print
setup the user gave it (their choice wins); only a sheet that has none (one written by
an older massbal, which printed in portrait over dozens of pages) gets massbal's.
"""
from __future__ import annotations

import copy
import re
import textwrap

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree

from massbal.layout.sheets import PrintSetup, SheetSpec
from massbal.xlsx.write.zip_copy import NS_MAIN

M = f"{{{NS_MAIN}}}"

# Sheet name on the left of every page, file name on the right, page x of y below: a
# loose printed page still says where it came from.
HEADER_FOOTER = (b'<headerFooter><oddHeader>&amp;L&amp;"-,Bold"&amp;A&amp;R&amp;F</oddHeader>'
                 b'<oddFooter>&amp;CPage &amp;P of &amp;N</oddFooter></headerFooter>')


def page_setup_xml(setup: PrintSetup) -> bytes:
    attrs = []
    if setup.landscape:
        attrs.append('orientation="landscape"')
    if setup.fit_width:
        attrs.append('fitToWidth="1" fitToHeight="0"')
    return ("<pageSetup " + " ".join(attrs) + "/>").encode()


def row_breaks_xml(rows: tuple[int, ...]) -> bytes:
    brk = "".join(f'<brk id="{r}" max="16383" man="1"/>' for r in rows)
    return f'<rowBreaks count="{len(rows)}" manualBreakCount="{len(rows)}">{brk}</rowBreaks>'.encode()


def _with_fit_to_page(sheet_pr: etree._Element | None) -> bytes:
    """sheetPr with <pageSetUpPr fitToPage="1"/> (without it Excel ignores fitToWidth)."""
    el = copy.deepcopy(sheet_pr) if sheet_pr is not None else etree.Element(M + "sheetPr", nsmap={None: NS_MAIN})
    pr = el.find(M + "pageSetUpPr")
    if pr is None:
        pr = etree.SubElement(el, M + "pageSetUpPr")   # last child, as the schema orders it
    pr.set("fitToPage", "1")
    return etree.tostring(el, encoding="UTF-8", xml_declaration=False)


def print_elements(setup: PrintSetup, old_children: dict[str, etree._Element], force: bool = False
                   ) -> dict[str, bytes]:
    """Worksheet elements to write in place of the old sheet's (name -> XML).

    old_children: the replaced sheet's top-level elements by name (empty for a new sheet).
    force: massbal's setup even over an existing one (the Dashboard, whose pages follow
    its charts).
    """
    if "pageSetup" in old_children and not force:
        return {}   # the user's (or an earlier run's) print setup stays as it is
    out = {"pageSetup": page_setup_xml(setup)}
    if setup.fit_width:
        out["sheetPr"] = _with_fit_to_page(old_children.get("sheetPr"))
    if "headerFooter" not in old_children:
        out["headerFooter"] = HEADER_FOOTER
    if setup.row_breaks or (force and "rowBreaks" in old_children):
        out["rowBreaks"] = row_breaks_xml(setup.row_breaks) if setup.row_breaks else b""
    return out


LINE_POINTS = 15.0   # one line of 11 pt text


def wrapped_lines(values, width: float) -> np.ndarray:
    """Lines each text takes when wrapped in a column `width` wide (words kept whole, as
    Excel and LibreOffice wrap them). A width counts the digit '0'; ordinary text is
    narrower, about 1.3 characters to the unit in Calibri (rather a line too many than
    a cut sentence). values: a column (Series) or a list of its values."""
    chars = max(int(width * 1.3), 8)
    arr = _as_strings(values)
    if arr is None:   # not all text: each value on its own
        return _each_lines(values.tolist() if isinstance(values, pd.Series) else values, chars)
    out = np.ones(len(arr), dtype=np.int64)
    long = np.flatnonzero(pc.fill_null(pc.greater(pc.utf8_length(arr), chars), False).to_numpy(zero_copy_only=False))
    if not len(long):
        return out
    sub = arr.take(pa.array(long))
    # ASCII text of words and single spaces is filled here for all texts at once; the rest
    # (a hyphen between letters, odd white space, other characters) as before, one by one
    plain = pc.and_(pc.string_is_ascii(sub), pc.invert(pc.match_substring_regex(sub, _NOT_PLAIN_ASCII)))
    plain = plain.to_numpy(zero_copy_only=False)
    lines, fits = _fill(sub.filter(pa.array(plain)), chars)
    at = long[plain]
    out[at[fits]] = lines[fits]
    rest = np.concatenate([long[~plain], at[~fits]])
    if len(rest):
        out[rest] = _each_lines(sub.take(pa.array(np.searchsorted(long, rest))).to_pylist(), chars)
    return out


def _each_lines(values: list, chars: int) -> np.ndarray:
    out = np.ones(len(values), dtype=np.int64)
    for i, v in enumerate(values):
        if isinstance(v, str) and len(v) > chars:
            out[i] = text_lines(v, chars)
    return out


# ASCII text that _plain does not pass, or may not: a space at either end or two together,
# control characters (white space other than a space among them), '--' or a hyphen
# between two letters (_letter_hyphen's test; [^\d\W] is [A-Za-z_] in ASCII)
_NOT_PLAIN_ASCII = r"^ | $|  |--|[A-Za-z_]-[A-Za-z_]|[\x00-\x1f\x7f]"


def _as_strings(values) -> pa.Array | None:
    """Text (or missing) values as one Arrow string array; None if any value is not text."""
    try:
        if isinstance(values, pd.Series) and isinstance(values.dtype, pd.StringDtype):
            arr = pa.array(values.array, from_pandas=True)
        else:
            vals = values.tolist() if isinstance(values, pd.Series) else values
            if not all(v is None or isinstance(v, str) for v in vals):
                return None
            arr = pa.array(vals, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr if arr.type == pa.string() else pc.cast(arr, pa.string())


def _fill(texts: pa.Array, chars: int) -> tuple[np.ndarray, np.ndarray]:
    """text_lines' greedy fill over word lengths for ASCII texts of words and single spaces,
    all texts a word position at a time. Returns the lines and whether every word fits a
    line (a text with a longer word goes to textwrap, as in text_lines)."""
    words = pc.split_pattern(texts, " ")
    counts = pc.list_value_length(words).to_numpy(zero_copy_only=False).astype(np.int64)
    lens = pc.binary_length(pc.list_flatten(words)).to_numpy(zero_copy_only=False).astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    fits = np.maximum.reduceat(lens, starts) <= chars if len(lens) else np.ones(0, dtype=bool)
    order = np.argsort(-counts, kind="stable")   # most words first: the texts still going are a prefix
    c, st = counts[order], starts[order]
    cur = lens[st] if len(st) else np.zeros(0, dtype=np.int64)
    lines = np.ones(len(c), dtype=np.int64)
    for k in range(1, int(c[0]) if len(c) else 0):
        m = int(np.searchsorted(-c, -k, side="left"))   # texts of more than k words
        n = lens[st[:m] + k]
        nxt = cur[:m] + 1 + n
        fit = nxt <= chars
        cur[:m] = np.where(fit, nxt, n)
        lines[:m] += ~fit
    out = np.empty(len(c), dtype=np.int64)
    out[order] = lines
    return out, fits


# what only textwrap's own splitting handles: a hyphen it may break after (between
# letters: "co-packer"; never in lot numbers and dates: "L-2025-001"), dashes, white space
# other than single spaces (textwrap drops a chunk that str.strip() empties, such as a
# no-break space)
_L = r"[^\d\W]"
_HYPHEN = re.compile(rf"--|{_L}{{2}}-(?={_L}-?{_L})|{_L}-{_L}-(?={_L}-?{_L})")
_ODD_SPACE = re.compile(r"[^\S ]")


def _plain(text: str) -> bool:
    if text[0] == " " or text[-1] == " " or "  " in text or _ODD_SPACE.search(text):
        return False
    return "-" not in text or not (_letter_hyphen(text) and _HYPHEN.search(text))


def _letter(c: str) -> bool:
    """_L's class ([^\\d\\W]: a word character that is no decimal digit) without a regex."""
    return (c.isalnum() or c == "_") and not c.isdecimal()


def _letter_hyphen(text: str) -> bool:
    """What every match of _HYPHEN holds: '--', or a hyphen between two letters. Checked
    first because it is cheap: _HYPHEN's search was most of the row heights of 70k
    findings, and lot numbers (L-2025-001) put a hyphen in nearly every message."""
    if "--" in text:
        return True
    i = text.find("-", 1)
    while 0 < i < len(text) - 1:
        if _letter(text[i - 1]) and _letter(text[i + 1]):
            return True
        i = text.find("-", i + 1)
    return False


def text_lines(text: str, chars: int) -> int:
    """len(textwrap.wrap(text, chars)), without building the lines: for text of words
    and single spaces (most messages: 100k findings took seconds in textwrap), the same
    greedy fill over word lengths; anything else (a hyphen between letters, runs of
    white space, a word longer than a line) goes to textwrap itself."""
    if _plain(text):
        lens = [len(w) for w in text.split(" ")]
        if max(lens) <= chars:
            lines, cur = 1, lens[0]
            for n in lens[1:]:
                if cur + 1 + n <= chars:
                    cur += 1 + n
                else:
                    lines, cur = lines + 1, n
            return lines
    return max(1, len(textwrap.wrap(text, chars, break_long_words=True)))


def row_heights(spec: SheetSpec, order: list[str]) -> np.ndarray | None:
    """Points per data row for a sheet with wrapped columns (0: the default height);
    None when the sheet wraps nothing. order: the headers as the sheet shows them."""
    wrap = [c for c in spec.columns if c.wrap and c.header in order]
    if not wrap or not spec.nrows:
        return None
    lines = np.ones(spec.nrows, dtype=np.int64)
    for c in wrap:
        col = spec.data[c.header]
        vals = col if isinstance(col.dtype, pd.StringDtype) else col.astype(object).where(col.notna(), None).tolist()
        lines = np.maximum(lines, wrapped_lines(vals, c.width))
    return np.where(lines > 1, lines * LINE_POINTS, 0.0)
