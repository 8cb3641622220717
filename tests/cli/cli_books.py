"""Real .xlsx workbooks for CLI tests, written with openpyxl as plain sheets (headers in
row 1), the way a user pastes data without making Tables."""
from __future__ import annotations

import openpyxl
from bookkit import HEADERS


def write_book(path, **tables) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in tables.items():
        headers = list(HEADERS[name])
        for r in rows:
            headers += [k for k in r if k not in headers]
        ws = wb.create_sheet(name)
        ws.append(headers)
        for r in rows:
            ws.append([r.get(h) for h in headers])
    wb.save(path)
