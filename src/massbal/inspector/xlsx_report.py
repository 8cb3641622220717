"""A thin layer over XlsxWriter for massbal's reports (inspector copy, recall).

It writes values with explicit types (a lot called "=1" stays text, a supplier called
"http://..." is not a link), never NaN, dates as Excel day numbers, and feeds every
cell it writes to the fingerprint. Tables are Excel Tables with a header row, so the
inspector can sort and filter, and formulas can use structured references. A table's
rows are written in bulk (bulk.py: a million-row Ledger in seconds, not minutes);
XlsxWriter writes the rest.
"""
from __future__ import annotations

import functools
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_range

from massbal.inspector.bulk import Column, blank, cell_value, formula_result, make_block
from massbal.inspector.splice import splice
from massbal.inspector.verify import (
    FINGERPRINT_SHEET,
    FORMULA,
    Digests,
    canon_number,
    canon_string,
    digests,
    fingerprint_columns,
)
from massbal.layout.sheets import COLORS, STATUS_COLORS
from massbal.xlsx.write.print_setup import text_lines

MAX_LINKS = 65000  # Excel keeps at most 65,530 hyperlinks per worksheet
NUM = "#,##0.00"


def header_text(text: str) -> str:
    """Page header/footer text: '&' is a code there."""
    return str(text).replace("&", "&&")


@functools.lru_cache(maxsize=4096)  # a few column names, asked once per formula (issue 15)
def ref_name(column: str) -> str:
    """A column name inside a structured reference: ', [, ], # are escaped with '."""
    out = []
    for ch in column:
        if ch in "'[]#":
            out.append("'")
        out.append(ch)
    return "".join(out)


def this_row(table: str, column: str) -> str:
    return f"{table}[[#This Row],[{ref_name(column)}]]"


def col_ref(table: str, column: str) -> str:
    return f"{table}[{ref_name(column)}]"


@dataclass
class Col:
    """One column of a table: values, or a formula per row with the engine's value cached."""
    header: str
    values: Sequence | None = None
    kind: str = "text"  # text, number, date, pct, int
    width: float = 12
    formula: Callable[[int], str] | None = None  # row index -> formula text
    link: Callable[[int], str | None] | None = None  # row index -> internal location
    quiet: np.ndarray | None = None  # status: rows whose NO COUNT is no missing count (not amber)


class Report:
    def __init__(self, path, *, header_left: str = "", header_right: str = "", footer_left: str = ""):
        self.path = str(path)
        # XlsxWriter writes the package to memory without the table rows (bulk.py makes
        # those); close() splices the two into the file
        self._package = io.BytesIO()
        self.wb = xlsxwriter.Workbook(self._package, {"strings_to_numbers": False, "strings_to_formulas": False,
                                                      "strings_to_urls": False, "in_memory": True})
        self.cells: dict[str, dict[tuple[int, int], str]] = {}
        self.labels: dict[str, dict[int, str]] = {}
        self.beside: list[tuple[str, int, int]] = []  # cells stated beside the fingerprint, not in it (1-based)
        self.sheets: list[Sheet] = []
        self.blocks: dict[str, list] = {}  # sheet name -> the bulk-written rows of its tables
        self.header_left, self.header_right, self.footer_left = header_left, header_right, footer_left
        wb = self.wb
        self.f = {
            "title": wb.add_format({"bold": True, "font_size": 14}),
            "sub": wb.add_format({"italic": True, "font_color": "#555555"}),
            "bold": wb.add_format({"bold": True}),
            # every cell reads from the top of its row, beside a wrapped neighbour
            "text": wb.add_format({"indent": 1, "valign": "top"}),  # a gap after a number column
            "wrap": wb.add_format({"text_wrap": True, "valign": "top", "indent": 1}),
            "number": wb.add_format({"num_format": NUM, "valign": "top"}),
            "int": wb.add_format({"num_format": "0", "valign": "top"}),
            "pct": wb.add_format({"num_format": "0.00", "valign": "top"}),
            "share": wb.add_format({"num_format": "0.000000", "valign": "top"}),
            "date": wb.add_format({"num_format": "yyyy-mm-dd", "valign": "top"}),
            "datetime": wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss", "valign": "top"}),
            "link_number": wb.add_format({"num_format": NUM, "font_color": "#1F4E9A", "underline": 1,
                                          "valign": "top"}),
            "link_text": wb.add_format({"font_color": "#1F4E9A", "underline": 1, "valign": "top"}),
            "fp": wb.add_format({"font_name": "Courier New", "bold": True}),
            "head": wb.add_format({"bold": True, "text_wrap": True, "valign": "bottom", "bottom": 1,
                                   "bg_color": "#DCE6F1"}),
            "left_number": wb.add_format({"num_format": NUM, "align": "left"}),
            "left_int": wb.add_format({"num_format": "0", "align": "left"}),
            "left_datetime": wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss", "align": "left"}),
        }
        for colour, (fill, font) in COLORS.items():   # Excel's Good / Neutral / Bad, as the workbook's sheets
            self.f["status_" + colour] = wb.add_format({"bg_color": "#" + fill, "font_color": "#" + font})

    def sheet(self, name: str, title: str | None = None, subtitle: str | None = None, *,
              landscape: bool = True) -> Sheet:
        ws = self.wb.add_worksheet(name)
        s = Sheet(self, ws, name)
        self.sheets.append(s)
        self.cells[name] = {}
        ws.set_paper(1)  # US letter: the inspectors are USDA NOP
        if landscape:
            ws.set_landscape()
        ws.fit_to_pages(1, 0)  # pages fit the width
        ws.set_margins(left=0.5, right=0.5, top=0.75, bottom=0.75)
        if title:
            s.put(0, 0, title, self.f["title"])
            s.row = 1
        if subtitle:
            s.put(s.row, 0, subtitle, self.f["sub"])
            s.row += 1
        if title or subtitle:
            s.row += 1
        return s

    def add_block(self, sheet: Sheet, block) -> None:
        self.blocks.setdefault(sheet.name, []).append(block)

    def close(self, cover: tuple[Sheet, int, int] | None = None) -> Digests:
        """Hash every cell written, store the digests on a hidden sheet, write the
        fingerprint on the cover cell and in every page footer, and close the file."""
        d = digests(self.cells, self.blocks)
        # column names in verify's messages only where one table fills the sheet
        labels = {s.name: self.labels.get(s.name, {}) for s in self.sheets if s.tables == 1 and not s.pairs_used}
        if cover is not None:
            sheet, r, c = cover
            sheet.ws.write_string(r, c, d.overall, self.f["fp"])  # not hashed: it is the hash
            fp = self.wb.add_worksheet(FINGERPRINT_SHEET)
            fcols = fingerprint_columns(d, (sheet.name, r + 1, c + 1), labels, self.beside)
            fp.write_row(0, 0, ["Sheet", "Kind", "Index", "Digest", "Label"])
            cols = [Column(v) for v in fcols]
            self.blocks[FINGERPRINT_SHEET] = [make_block(1, 0, len(fcols[0]), cols, hashed=False)]
            fp.hide()
            parts_of = {FINGERPRINT_SHEET: fp}
        else:
            parts_of = {}
        for s in self.sheets:
            s.ws.set_header(f"&L{header_text(self.header_left)}&C&\"-,Bold\"{header_text(s.name)}"
                            f"&R{header_text(self.header_right)}")
            s.ws.set_footer(f"&L{header_text(self.footer_left)}&CPage &P of &N"
                            + (f"&RFingerprint {d.overall[:16]}" if cover is not None else ""))
        self.wb.close()
        parts_of.update({s.name: s.ws for s in self.sheets})
        # XlsxWriter names sheet parts by position: sheet1.xml, sheet2.xml, ...
        splice(self._package, self.path, {f"xl/worksheets/sheet{parts_of[name].index + 1}.xml": blocks
                                          for name, blocks in self.blocks.items()})
        return d


class Sheet:
    def __init__(self, report: Report, ws, name: str):
        self.report, self.ws, self.name = report, ws, name
        self.row = 0  # next free row
        self.links = 0
        self.tables = 0
        self.pairs_used = False
        self.widths: dict[int, float] = {}

    # -- single cells
    def put(self, r: int, c: int, v: Any, fmt=None, kind: str | None = None) -> None:
        cell = cell_value(v, kind)
        if cell is None:  # nothing written: the column's own format covers what is typed later
            return
        cells = self.report.cells[self.name]
        if cell[0] == "n":
            f = fmt or (None if cell[2] is None else self.report.f["datetime"] if cell[2] else self.report.f["date"])
            self.ws.write_number(r, c, cell[1], f)
            cells[(r + 1, c + 1)] = canon_number(cell[1])
        else:
            self.ws.write_string(r, c, cell[1], fmt)
            cells[(r + 1, c + 1)] = canon_string(cell[1])

    def beside(self, r: int, c: int, v: Any, fmt=None) -> None:
        """A cell stated beside the fingerprint but not inside it (the time of export, the
        version): two exports of an unchanged book carry the same fingerprint."""
        self.put(r, c, v, fmt)
        if self.report.cells[self.name].pop((r + 1, c + 1), None) is not None:
            self.report.beside.append((self.name, r + 1, c + 1))

    def formula(self, r: int, c: int, text: str, cached: Any, fmt=None) -> None:
        self.ws.write_formula(r, c, text, fmt, formula_result(cached))
        self.report.cells[self.name][(r + 1, c + 1)] = FORMULA

    def link(self, r: int, c: int, location: str) -> bool:
        """An internal hyperlink on a cell (written before the cell's value)."""
        if self.links >= MAX_LINKS:
            return False
        self.ws.write_url(r, c, "internal:" + location)
        self.links += 1
        return True

    def pairs(self, rows: list[tuple[str, Any]], key_fmt=None, val_fmt=None, value_col: int = 1) -> int:
        """Label/value lines (cover, summaries); returns the first row used. A label
        runs on into the empty columns before value_col."""
        first = self.row
        f = self.report.f
        self.pairs_used = True
        for label, value in rows:
            self.put(self.row, 0, label, key_fmt or f["bold"])
            fmt = val_fmt
            if fmt is None and isinstance(value, (datetime, pd.Timestamp)):
                fmt = f["left_datetime"]
            elif fmt is None and isinstance(value, (int, np.integer)) and not isinstance(value, bool):
                fmt = f["left_int"]
            elif fmt is None and isinstance(value, (float, np.floating)):
                fmt = f["left_number"]
            self.put(self.row, value_col, value, fmt)
            self.row += 1
        return first

    def lines(self, caption: str, texts: list[str]) -> None:
        """A caption and one line of text per row (it runs on across the empty cells)."""
        self.put(self.row, 0, caption, self.report.f["bold"])
        self.row += 1
        for t in texts:
            self.put(self.row, 0, t)
            self.row += 1
        self.row += 1

    # -- tables
    def table(self, name: str, cols: list[Col], n: int, *, caption: str | None = None, repeat: bool = True,
              first_col: int = 0, charted: bool = False) -> tuple[int, int]:
        """An Excel Table at the next free row (from column first_col); returns (header
        row, first data row) 0-based. Text longer than its column wraps (the column grows
        a little first) and the row grows to show it all: nothing is cut on the page.
        The rows are written in bulk (bulk.py), except a table that charts plot (charted):
        XlsxWriter caches a chart's values from the cells it wrote itself."""
        f = self.report.f
        if caption:
            self.put(self.row, first_col, caption, f["bold"])
            self.row += 1
        top = self.row
        first = top + 1
        last = top + max(n, 1)
        self.tables += 1
        ws = self.ws
        c0 = first_col
        # declared over its header and one row, then given its whole range: XlsxWriter's
        # overlap check keeps a dict entry per cell of the range (millions for a Ledger),
        # and massbal's tables never overlap
        ws.add_table(top, c0, top + 1, c0 + len(cols) - 1, {
            "name": name, "style": "Table Style Light 9",
            "columns": [{"header": c.header, "header_format": f["head"]} for c in cols]})
        whole = xl_range(top, c0, last, c0 + len(cols) - 1)
        ws.tables[-1].update({k: whole for k in ("range", "a_range", "autofilter") if k in ws.tables[-1]})
        fmt_of = {"number": f["number"], "date": f["date"], "pct": f["pct"], "int": f["int"],
                  "share": f["share"], "text": f["text"], "wrap": f["wrap"], "status": f["text"]}
        lines = np.ones(n, dtype=int)
        columns = []
        widths = []
        labels = self.report.labels.setdefault(self.name, {})
        # one column's values as a Python list at a time (all of a Ledger's columns at once
        # were half a gigabyte at issue 15's size)
        for j, c in enumerate(cols):
            series = isinstance(c.values, pd.Series)
            # pyarrow-backed text is slow to walk from Python: as plain objects (make_block
            # does the same a slice at a time, so the copy is never whole for long)
            # text never walked from Python where only its lengths matter (issue 15)
            lengths = _lengths(c.values) if series and c.link is None and not charted else None
            obj = c.values.astype(object) if series and _extension(c.values) and lengths is None else c.values
            # the values as a list only where something below reads them one by one (a
            # quarter's dates as a million Timestamps were seconds of an export)
            walked = not series or charted or c.link is not None or (c.kind in ("text", "wrap") and lengths is None)
            vals = None if not walked else list(obj) if obj is not None else [None] * n
            widths.append(fit_width(c, vals, lengths))
            # a column as wide as the widest table on the sheet wants it (several tables
            # share a sheet's columns)
            self.report.cells[self.name][(top + 1, c0 + j + 1)] = canon_string(c.header)
            labels.setdefault(c0 + j + 1, c.header)
            if widths[j] > self.widths.get(c0 + j, 0):
                self.widths[c0 + j] = widths[j]
                ws.set_column(c0 + j, c0 + j, widths[j])
            wraps = c.kind in ("text", "wrap") and (
                bool((lengths > widths[j]).any()) if lengths is not None
                else any(isinstance(v, str) and len(v) > widths[j] for v in vals))
            fmt = f["wrap"] if wraps else fmt_of.get(c.kind)
            links = None
            if c.link is not None:
                # a hyperlink on an empty cell would show its address as text in some viewers
                links = [None] * n
                for i in range(n):
                    if self.links >= MAX_LINKS:
                        break
                    if not blank(vals[i]) and (loc := c.link(i)):
                        links[i] = loc
                        self.links += 1
            link_fmt = f["link_number"] if c.kind == "number" else f["link_text"]
            columns.append(Column(
                (obj if charted else c.values) if series else vals, c.kind,
                fmt._get_xf_index() if fmt is not None else None,
                [c.formula(i) for i in range(n)] if c.formula is not None else None,
                links, link_fmt._get_xf_index() if links is not None else None))
            if wraps:
                wrap_at = max(int(widths[j] * 1.1), 4)  # shorter text takes one line
                if lengths is not None:
                    long = np.flatnonzero(lengths > wrap_at)
                    for i, v in zip(long.tolist(), c.values.iloc[long].tolist(), strict=True):
                        lines[i] = max(lines[i], wrapped_lines(v, widths[j]))
                for i, v in enumerate(vals or ()):
                    if isinstance(v, str) and len(v) > wrap_at:
                        lines[i] = max(lines[i], wrapped_lines(v, widths[j]))
            if c.kind == "status" and n:
                self.status_colours(first, c0 + j, last, c.quiet)
            del vals, obj
        # the header row as tall as its longest wrapped name
        head_lines = max((math.ceil(len(c.header) / max(w - 1, 1)) for c, w in zip(cols, widths, strict=True)),
                         default=1)
        ws.set_row(top, 16 * max(2, min(head_lines, 4)) + 4)
        # LibreOffice does not fit row heights to wrapped text on load: set them
        heights = np.where(lines > 1, 15 * lines, 0)
        if charted:
            self._cell_by_cell(first, c0, n, columns, heights)
        else:
            self.report.add_block(self, make_block(first, c0, n, columns, heights))
        if repeat:
            ws.repeat_rows(top)
            ws.freeze_panes(first, 0)
        self.row = last + 2
        return top, first

    def _cell_by_cell(self, first: int, c0: int, n: int, columns: list[Column], heights) -> None:
        fmts = {f._get_xf_index(): f for f in self.report.f.values()}
        for j, c in enumerate(columns):
            vals = list(c.values)
            for i in range(n):
                linked = c.links is not None and c.links[i] is not None
                if linked:
                    self.ws.write_url(first + i, c0 + j, "internal:" + c.links[i])
                fmt = fmts.get(c.link_xf if linked else c.xf)
                if c.formulas is not None:
                    self.formula(first + i, c0 + j, c.formulas[i], vals[i], fmt)
                else:
                    self.put(first + i, c0 + j, vals[i], fmt,
                             "date" if c.kind == "date" and not isinstance(vals[i], str) else None)
        for i in np.flatnonzero(heights):
            self.ws.set_row(first + int(i), int(heights[i]))

    def status_colours(self, first: int, col: int, last: int, quiet: np.ndarray | None = None) -> None:
        """Status cells coloured by their value (conditional, so a recalculated status
        is coloured too): green PASS, amber INVESTIGATE / NO COUNT, red NEGATIVE / OVERSOLD.
        quiet: rows where NO COUNT is not amber (a farm's month inside its season owes no
        count: the rule covers only the other rows, as the in-place Balance does)."""
        for value, colour in STATUS_COLORS.items():
            ranges = [(first, last)]
            if value == "NO COUNT" and quiet is not None and quiet.any():
                ranges = _runs(first, ~quiet.astype(bool))
                if not ranges:
                    continue
            options = {"type": "cell", "criteria": "==", "value": f'"{value}"',
                       "format": self.report.f["status_" + colour]}
            if len(ranges) > 1:
                options["multi_range"] = " ".join(xl_range(a, col, b, col) for a, b in ranges)
            self.ws.conditional_format(ranges[0][0], col, ranges[0][1], col, options)


def _runs(first: int, rows: np.ndarray) -> list[tuple[int, int]]:
    """The worksheet rows (first + i) where rows[i], as (first, last) runs."""
    edges = np.diff(np.concatenate(([0], rows.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    return [(first + int(a), first + int(b)) for a, b in zip(starts, ends, strict=True)]


WRAP_AT = 40   # a text column grows to fit up to this width, then wraps


def _extension(values: pd.Series) -> bool:
    return isinstance(values.dtype, pd.api.extensions.ExtensionDtype)


def _lengths(values: pd.Series) -> np.ndarray | None:
    """Each value's length (NaN where missing or not text) of a text column, else None."""
    if isinstance(values.dtype, pd.StringDtype):
        return values.str.len().to_numpy(dtype=float, na_value=np.nan)
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        # text with blanks (None, NaN): measured without a Python loop over the column
        return values.astype("string").str.len().to_numpy(dtype=float, na_value=np.nan)
    return None


def fit_width(c: Col, values: list | None, lengths: np.ndarray | None = None) -> float:
    """A text column as wide as its longest value, up to WRAP_AT (never narrower than asked)."""
    if c.kind not in ("text",):
        return c.width
    if lengths is not None:
        longest = int(np.nanmax(lengths)) if len(lengths) and not np.isnan(lengths).all() else 0
    else:
        longest = max((len(v) for v in values if isinstance(v, str)), default=0)
    return max(c.width, min(longest + 2, max(c.width, WRAP_AT)))


def wrapped_lines(text: str, width: float) -> int:
    """Lines a text takes wrapped at word boundaries in a column `width` wide (about 1.1
    characters of text to a unit of width; rather a line too many than a cut one)."""
    chars = max(int(width * 1.1), 4)
    # the in-place sheets' exact count of textwrap's lines (print_setup), without building them
    return text_lines(text, chars) if len(text) > chars else 1
