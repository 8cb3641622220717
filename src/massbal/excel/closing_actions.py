"""Closed periods and the Change log in an open workbook (desktop Excel and xlwings Lite).

The same engine (engine.closing) and the same sheets (closing_sheets) as the command
line: the state lives in the workbook's very hidden sheet, so the log is right on
whichever computer writes next, in Lite too. Every button that writes (Reconcile,
Validate lots, Trace lot, Close period, Reopen) appends the log through `log_write`.
"""
from __future__ import annotations

from datetime import datetime

from massbal.engine.record.changelog import snapshots
from massbal.engine.record.closing import ClosingError, Record, close_period, record_write, reopen_period
from massbal.excel.adapter import _find_sheet, _rows_2d, write_sheet
from massbal.layout.closing import RECORD_SHEETS, STATE_SHEET


def read_kept_book(book):
    """The Closed periods, Change log and state sheets of an open workbook."""
    from massbal.xlsx.write.change_log import kept_from_grids
    grids = {}
    for name in RECORD_SHEETS:
        sheet = _find_sheet(book, name)
        if sheet is not None:
            grids[name] = _rows_2d(sheet.used_range)
    return kept_from_grids(grids)


def user_name() -> str:
    """Who writes: the computer's user name (Lite's browser has none: 'xlwings Lite')."""
    from massbal.xlsx.write.change_log import user_name as computer_user
    name = computer_user()
    return name if name not in ("unknown", "pyodide", "web_user") else "xlwings Lite"


def _now() -> datetime:
    from massbal.xlsx.write.change_log import utc_now
    return utc_now()


def write_record(book, kept, record: Record, unit: str) -> None:
    """The three sheets after this write: the old rows as read, the new ones appended."""
    from massbal.xlsx.write.change_log import record_sheets
    for spec in record_sheets(kept, record, unit):
        write_sheet(book, spec)
        if spec.name == STATE_SHEET:
            _hide(book, spec.name)


def _hide(book, name: str) -> None:
    sheet = _find_sheet(book, name)
    try:
        sheet.api.Visible = 2   # desktop Excel: xlSheetVeryHidden
    except Exception:
        sheet.visible = False   # the remote engine (Lite): hidden


def log_write(book, raw, action: str, unit: str, kept=None, current=None) -> None:
    """Append to the Change log what changed in the input tables since massbal's last write."""
    kept = read_kept_book(book) if kept is None else kept
    record = record_write(kept.state, raw, _now(), user_name(), action, current=current)
    write_record(book, kept, record, unit)


def close(book, raw, rec, through) -> Record:
    kept = read_kept_book(book)
    current = snapshots(raw)
    record = close_period(kept.state, raw, rec.balances, through, _now(), user_name(), current)
    write_record(book, kept, record, rec.unit)
    return record


def reopen(book, raw, unit: str, through, reason: str) -> Record:
    kept = read_kept_book(book)
    record = reopen_period(kept.state, raw, through, reason, _now(), user_name())
    write_record(book, kept, record, unit)
    return record


__all__ = ["ClosingError", "close", "log_write", "read_kept_book", "reopen", "write_record"]
