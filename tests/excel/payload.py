"""Real workbooks for the xlwings tests: written as .xlsx with Excel Tables by openpyxl,
then turned into the JSON that xlwings' Office.js client sends (what xlwings Lite runs).

payload_from_xlsx follows the client's format: per sheet the values from A1 to the last
used cell ("" for empty, dates as ISO strings) and the tables with their addresses.
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl
import xlwings as xw
from bookkit import HEADERS
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.table import Table, TableStyleInfo


def write_book(path: Path, tables: dict[str, list[dict]], plain: tuple[str, ...] = (),
               extra_sheets: dict[str, list[list]] | None = None) -> Path:
    """An .xlsx with one sheet per input table; an Excel Table unless named in `plain`."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in tables.items():
        ws = wb.create_sheet(name)
        headers = list(HEADERS.get(name, ()))  # farm tables: the headers the rows use
        for r in rows:
            headers += [k for k in r if k not in headers]
        ws.append(headers)
        for r in rows:
            ws.append([_cell(r.get(h)) for h in headers])
        if name not in plain:
            ref = f"A1:{get_column_letter(len(headers))}{max(len(rows) + 1, 2)}"
            t = Table(displayName=name, ref=ref)
            t.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
            ws.add_table(t)
    for name, rows in (extra_sheets or {}).items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def _cell(v):
    # Dates are typed as Excel dates, the way the template's date columns hold them.
    if isinstance(v, str) and len(v) == 10 and v[4] == "-" and v[7] == "-":
        return datetime.fromisoformat(v)
    return v


def _json_value(v):
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(v, date):
        return v.isoformat()
    return v


def payload_from_xlsx(path: Path, selection: str = "A1", active: int = 0,
                      calculation: str = "Automatic") -> dict:
    wb = openpyxl.load_workbook(path)  # values as saved; the corpus is read in place
    sheets = []
    for ws in wb.worksheets:
        max_r, max_c = ws.max_row, ws.max_column
        values = [[_json_value(ws.cell(r, c).value) for c in range(1, max_c + 1)]
                  for r in range(1, max_r + 1)]
        tables = []
        for t in ws.tables.values():
            c1, r1, c2, r2 = range_boundaries(t.ref)
            a = f"{get_column_letter(c1)}{r1}"
            tables.append({
                "name": t.displayName,
                "range_address": f"${get_column_letter(c1)}${r1}:${get_column_letter(c2)}${r2}",
                "header_row_range_address": f"${get_column_letter(c1)}${r1}:${get_column_letter(c2)}${r1}",
                "data_body_range_address": f"${get_column_letter(c1)}${r1 + 1}:${get_column_letter(c2)}${r2}",
                "total_row_range_address": None,
                "show_headers": True, "show_totals": False,
                "table_style": t.tableStyleInfo.name if t.tableStyleInfo else None,
                "show_autofilter": True,
            })
            del a
        sheets.append({"name": ws.title, "values": values, "pictures": [], "tables": tables})
    return {"client": "Office.js", "version": xw.__version__,
            "book": {"name": path.name, "active_sheet_index": active, "selection": selection,
                     "calculation": calculation},
            "names": [], "sheets": sheets}


def remote_book(path: Path, **kw) -> xw.Book:
    return xw.Book(json=payload_from_xlsx(path, **kw))
