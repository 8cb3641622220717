"""What Excel would hold after an xlwings script: the request payload's sheets with the
script's actions (book.json()["actions"]) applied, the way xlwings' Office.js client
applies them, so a test can read the sheet a button wrote cell by cell.

Values are stored as Excel stores what is written to Range.values: text is parsed as if
typed (xlwings' remote engine sends dates as ISO text and relies on that), so "00123"
becomes a number and "2025-11-01" a date unless the text starts with an apostrophe or
the cell's number format is Text ("@"). The model covers the parsing rules that can
change a value massbal writes (numbers, ISO dates, year-month, TRUE/FALSE, formulas);
it is a model of Excel, checked here against nothing but itself.

An action this module does not know fails the test, so a new kind of write is never
silently ignored.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import xlwings as xw
from openpyxl.utils import get_column_letter as L
from openpyxl.utils import range_boundaries

_NUMBER = re.compile(r"^\s*[+-]?(\d[\d,]*\.?\d*|\.\d+)([eE][+-]?\d+)?%?\s*$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$")
_YEAR_MONTH = re.compile(r"^\d{4}[-/]\d{1,2}$|^\d{1,2}[-/]\d{1,2}([-/]\d{2,4})?$")


@dataclass(frozen=True)
class Reinterpreted:
    """Text Excel would not keep as typed (a formula, a date it guessed, ...)."""
    text: str


def as_excel_stores(value: Any, number_format: str) -> Any:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        return value
    if number_format == "@":
        return value
    if value.startswith("'"):
        return value[1:]
    if value[:1] in "=+-@" and len(value) > 1:
        return Reinterpreted(value)
    if _ISO_DATE.match(value):
        return datetime.fromisoformat(value)
    if _NUMBER.match(value):
        text = value.strip().replace(",", "")
        return float(text[:-1]) / 100 if text.endswith("%") else float(text)
    if value.upper() in ("TRUE", "FALSE"):
        return value.upper() == "TRUE"
    if _YEAR_MONTH.match(value):
        return Reinterpreted(value)
    return value


@dataclass
class Sheet:
    name: str
    values: dict[tuple[int, int], Any] = field(default_factory=dict)  # (row, column), 1-based
    formats: dict[tuple[int, int], str] = field(default_factory=dict)
    fills: dict[tuple[int, int], str] = field(default_factory=dict)
    font_colors: dict[tuple[int, int], str] = field(default_factory=dict)
    links: dict[tuple[int, int], tuple[str, str]] = field(default_factory=dict)
    wraps: dict[tuple[int, int], bool] = field(default_factory=dict)
    widths: dict[int, float] = field(default_factory=dict)
    tables: dict[str, str] = field(default_factory=dict)  # name -> "A1:T8"
    visibility: str = "Visible"

    def number_format(self, cell: tuple[int, int]) -> str:
        return self.formats.get(cell, "General")

    def table_cells(self, name: str) -> list[list[tuple[int, int]]]:
        c1, r1, c2, r2 = range_boundaries(self.tables[name])
        return [[(r, c) for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]


class Workbook:
    def __init__(self, payload: dict):
        self.sheets: list[Sheet] = []
        self.alerts: list[str] = []
        self.calculated = False
        for s in payload["sheets"]:
            sheet = Sheet(s["name"])
            for r, row in enumerate(s["values"], start=1):
                for c, v in enumerate(row, start=1):
                    if v not in ("", None):
                        sheet.values[(r, c)] = v
            for t in s["tables"]:
                sheet.tables[t["name"]] = t["range_address"].replace("$", "")
            self.sheets.append(sheet)

    def sheet(self, name: str) -> Sheet:
        (found,) = [s for s in self.sheets if s.name.casefold() == name.casefold()]  # Excel: unique
        return found

    def apply(self, actions: list[dict]) -> Workbook:
        for a in actions:
            getattr(self, "_" + a["func"])(a)
        return self

    # -- the actions, as xlwings' clients apply them (its Office Scripts client ships
    # with xlwings as js/xlwings.ts: getRangeByIndexes(start_row, start_column, ...))

    def _cells(self, a: dict) -> tuple[Sheet, list[tuple[int, int]]]:
        for k in ("sheet_position", "start_row", "start_column", "row_count", "column_count"):
            # Office.js' getRangeByIndexes takes numbers; text here would fail in Excel
            assert isinstance(a[k], int) and not isinstance(a[k], bool), (a["func"], k, a[k])
        sheet = self.sheets[a["sheet_position"]]
        r0, c0 = a["start_row"] + 1, a["start_column"] + 1
        return sheet, [(r, c) for r in range(r0, r0 + a["row_count"]) for c in range(c0, c0 + a["column_count"])]

    def _addSheet(self, a):
        name = a["args"][1]
        assert all(s.name.casefold() != name.casefold() for s in self.sheets), f"sheet {name} exists"
        self.sheets.insert(a["args"][0], Sheet(name))

    def _setValues(self, a):
        sheet, cells = self._cells(a)
        r0, c0 = cells[0]
        for i, row in enumerate(a["values"]):
            for j, v in enumerate(row):
                at = (r0 + i, c0 + j)
                stored = as_excel_stores(v, sheet.number_format(at))
                if stored is None:
                    sheet.values.pop(at, None)
                else:
                    sheet.values[at] = stored

    def _rangeClearContents(self, a):
        sheet, cells = self._cells(a)
        for at in cells:
            sheet.values.pop(at, None)

    def _setNumberFormat(self, a):
        sheet, cells = self._cells(a)
        for at in cells:
            sheet.formats[at] = a["args"][0]

    def _setRangeColor(self, a):
        sheet, cells = self._cells(a)
        for at in cells:
            sheet.fills[at] = a["args"][0].lstrip("#").upper()

    def _setFontProperty(self, a):
        sheet, cells = self._cells(a)
        assert a["args"][0] == "color", a
        for at in cells:
            sheet.font_colors[at] = a["args"][1].lstrip("#").upper()

    def _addHyperlink(self, a):
        sheet, cells = self._cells(a)
        target, text = a["args"][0], a["args"][1]
        for at in cells:
            sheet.links[at] = (target, text)
            sheet.values[at] = text

    def _setWrapText(self, a):
        sheet, cells = self._cells(a)
        assert a["args"] in ([True], [False]), a
        for at in cells:
            sheet.wraps[at] = a["args"][0]

    def _setColumnWidth(self, a):
        sheet, cells = self._cells(a)
        for _, c in cells:
            sheet.widths[c] = a["args"][0]

    def _addTable(self, a):
        address, has_headers, _style, name = a["args"]
        assert has_headers is True
        self.sheets[a["sheet_position"]].tables[name] = address.replace("$", "")

    def _resizeTable(self, a):
        sheet = self.sheets[a["sheet_position"]]
        name = list(sheet.tables)[a["args"][0]]
        sheet.tables[name] = a["args"][1].replace("$", "")

    def _alert(self, a):
        self.alerts.append(a["args"][0])

    def _calculate(self, a):
        self.calculated = True

    def _setSheetVisibility(self, a):
        args = a["args"]
        self.sheets[a["sheet_position"]].visibility = args[0] if isinstance(args, list) else args

    # -- and back into a request payload, for a second script run on the result

    def payload(self, name: str) -> dict:
        sheets = []
        for s in self.sheets:
            rows = max((r for r, _ in s.values), default=1)
            cols = max((c for _, c in s.values), default=1)
            values = [[_json(s.values.get((r, c))) for c in range(1, cols + 1)] for r in range(1, rows + 1)]
            tables = []
            for t, ref in s.tables.items():
                c1, r1, c2, r2 = range_boundaries(ref)
                tables.append({
                    "name": t, "range_address": f"${L(c1)}${r1}:${L(c2)}${r2}",
                    "header_row_range_address": f"${L(c1)}${r1}:${L(c2)}${r1}",
                    "data_body_range_address": f"${L(c1)}${r1 + 1}:${L(c2)}${r2}",
                    "total_row_range_address": None, "show_headers": True, "show_totals": False,
                    "table_style": "TableStyleMedium2", "show_autofilter": True})
            sheets.append({"name": s.name, "values": values, "pictures": [], "tables": tables})
        return {"client": "Office.js", "version": xw.__version__,
                "book": {"name": name, "active_sheet_index": 0, "selection": "A1",
                         "calculation": "Automatic"},
                "names": [], "sheets": sheets}


def _json(v):
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert not isinstance(v, Reinterpreted), v
    return v
