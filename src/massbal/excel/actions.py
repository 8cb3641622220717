"""What the ribbon buttons and xlwings Lite's scripts do, each given the workbook.

Desktop entry points (entry.py) and Lite scripts (addin/lite/main.py) both call these,
so a button behaves the same everywhere. They compute first and write once (the remote
engine Lite uses has no read-after-write), and tell the user in a sentence, never a
traceback.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from massbal.engine.api import prepare, reconcile_prepared

from .adapter import TABLE_STYLE, on_remote_engine, read_raw_book, write_results, write_sheet
from .cache import CACHE

log = logging.getLogger(__name__)
TITLE = "Mass Balance"


class UserMessage(Exception):
    """A problem the user can fix, said in their words."""


def _alert(where, text: str) -> None:
    """A message box over the workbook (or the Excel app) `where`."""
    try:
        getattr(where, "app", where).alert(text, title=TITLE)
    except Exception:  # an engine without message boxes: the log still has it
        log.warning("%s", text)


def run_for_user(where, action: Callable, *args: Any) -> Any:
    """Run an action on a workbook (or, for New workbook, the Excel app); any failure
    becomes one plain sentence in a message box."""
    try:
        return action(where, *args)
    except UserMessage as e:
        _alert(where, str(e))
    except Exception as e:  # never show a traceback to the user
        log.exception("massbal %s failed", getattr(action, "__name__", action))
        _alert(where, f"massbal could not finish: {e}. Nothing was changed in your input sheets.")
    return None


def _read(book):
    raw = read_raw_book(book)
    prep = prepare(raw)
    # Keep the worksheet functions in step with what the sheets now show.
    CACHE.store(book.name, raw, prepared=prep)
    return raw, prep


def _prepared(book):
    return _read(book)[1]


def _summary(rec) -> str:
    b = rec.balances
    counts = b["status"].value_counts() if len(b) else {}
    errors = int((rec.findings["severity"] == "error").sum()) if len(rec.findings) else 0
    warnings = int((rec.findings["severity"] == "warning").sum()) if len(rec.findings) else 0
    parts = [f"{len(b)} balances: " + ", ".join(f"{int(n)} {s}" for s, n in counts.items())
             if len(b) else "No balances (no movements in the period)."]
    oversold = int((rec.supply["status"] == "OVERSOLD").sum()) if len(rec.supply) else 0
    if oversold:
        parts.append(f"{oversold} organic ingredients OVERSOLD: more went out than came in.")
    parts.append(f"{errors} errors and {warnings} warnings on the Exceptions sheet.")
    return "\n".join(parts)


def reconcile(book, start=None, end=None, item=None, period=None) -> Any:
    from massbal.engine.record.changelog import snapshots
    from massbal.engine.record.closing import review_reconciliation

    from .closing_actions import log_write, read_kept_book
    raw, prep = _read(book)
    rec = reconcile_prepared(prep, start, end, item, period)
    kept, current = read_kept_book(book), snapshots(raw)
    rec = review_reconciliation(rec, kept.state, raw, current)   # closed periods (CONTRACT s.8)
    orphaned = write_results(book, rec)
    log_write(book, raw, "Reconcile", rec.unit, kept, current)
    text = _summary(rec)
    if orphaned:
        text += f"\n{orphaned} notes lost their row and were kept on the 'Orphaned notes' sheet."
    _alert(book, text)
    return rec


def validate_lots(book) -> Any:
    from massbal.engine.record.closing import review_reconciliation

    from .closing_actions import log_write, read_kept_book
    raw, prep = _read(book)
    kept = read_kept_book(book)
    rec = review_reconciliation(reconcile_prepared(prep), kept.state, raw)
    write_results(book, rec, only=("Exceptions",))
    log_write(book, raw, "Validate lots", rec.unit, kept)
    f = rec.findings
    if not len(f):
        _alert(book, "No problems found in the input sheets.")
    else:
        n_err = int((f["severity"] == "error").sum())
        _alert(book, f"{len(f)} findings ({n_err} errors) are listed on the Exceptions sheet, "
                     "each with the cell to fix.")
    return rec


def trace_lot(book, lot: str) -> list:
    """The lot back to its receipts and forward to its customers, on the Trace sheet.

    A lot number that several items use is traced for each (as `massbal trace` does).
    """
    from massbal.engine.api import trace_lots
    from massbal.engine.trace.model import LotNotFound
    from massbal.layout.trace_sheets import trace_sheet

    lot = (lot or "").strip()
    if not lot:
        raise UserMessage("Select a cell holding a lot, or type the lot to trace.")
    raw, prep = _read(book)
    try:
        traces = trace_lots(prep, lot)
    except LotNotFound as e:
        raise UserMessage(str(e)) from None
    write_sheet(book, trace_sheet(traces))
    from .closing_actions import log_write
    log_write(book, raw, "Trace", prep.unit)
    _alert(book, trace_text(traces))
    return traces


def trace_selected_lot(book) -> Any:
    """Trace lot for the selected cell (xlwings Lite has no input box)."""
    try:
        cell = book.app.selection
        lot = cell.options(ndim=2).value[0][0] if cell is not None else None
    except Exception:
        lot = None
    if lot is None or (isinstance(lot, str) and not lot.strip()):
        raise UserMessage("Select the cell holding the lot to trace, then press Trace lot.")
    if isinstance(lot, float) and lot.is_integer():
        lot = int(lot)
    return trace_lot(book, str(lot))


def close_period(book, through: str | None = None) -> Any:
    """Close every period up to a date (the one typed, or in the selected cell)."""
    from massbal.engine.record.closing import review_reconciliation

    from .closing_actions import ClosingError, close
    day = _day(through if through else _selected(book), "the date to close through")
    raw, prep = _read(book)
    rec = reconcile_prepared(prep)
    try:
        record = close(book, raw, rec, day)
    except ClosingError as e:
        raise UserMessage(str(e)) from None
    write_results(book, review_reconciliation(rec, record.state, raw))
    line = record.closed_rows[0]
    _alert(book, f"Closed through {day:%Y-%m-%d}: {line['Rows']:,} input rows and {len(record.closed_rows) - 1} "
                 "balances are kept on the Closed periods sheet. A later change to those rows is an error "
                 "(CLOSED_PERIOD_CHANGED); put corrections in new rows dated after the close.")
    return record


def reopen_period(book, through: str | None = None, reason: str | None = None) -> Any:
    """Reopen the closed periods, with the reason typed (Lite: the selected cell's text)."""
    from .closing_actions import ClosingError, read_kept_book, reopen
    raw, prep = _read(book)
    state = read_kept_book(book).state
    if state.closed is None:
        raise UserMessage("No period of this workbook is closed.")
    day = _day(through, "the closed date") if through else state.closed.through
    reason = reason if reason is not None else str(_selected(book) or "")
    if not reason.strip():
        raise UserMessage("Type why the period is reopened in a cell, select it, then press Reopen: "
                          "the Change log keeps the reason for the inspector.")
    try:
        reopen(book, raw, prep.unit, day, reason)
    except ClosingError as e:
        raise UserMessage(str(e)) from None
    _alert(book, f"Reopened (was closed through {day:%Y-%m-%d}). The reason is in the Change log: {reason.strip()}")


def _selected(book) -> Any:
    try:
        cell = book.app.selection
        return cell.options(ndim=2).value[0][0] if cell is not None else None
    except Exception:
        return None


def _day(value: Any, what: str):
    import datetime as dt

    from massbal.engine.parse import _date_from_text
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    day, problem = _date_from_text(str(value or "").strip())
    if day is None:
        raise UserMessage(f"Select a cell holding {what} (or type it as 2025-06-30).")
    return day.date() if hasattr(day, "date") else day


def trace_text(traces) -> str:
    """The message after Trace lot: where each traced lot came from and went."""
    lines = []
    for t in traces:
        a = t.accounted
        received = [s for s in t.back if s.kind == "receipt"]
        suppliers = sorted({s.supplier for s in received if s.supplier})
        lapsed = sorted({s.certificate or "(none)" for s in received if s.certificate_valid is False})
        customers = sorted({s.customer for s in t.forward if s.kind == "shipment" and s.customer})
        lines.append(f"Lot {t.lot} ({t.item}): {t.origin}, {a.total:,.2f} {t.unit}.")
        lines.append("Came from: " + (", ".join(suppliers) or "no supplier recorded") + ".")
        if lapsed:
            lines.append("Certificate not valid on the receipt date: " + ", ".join(lapsed) + ".")
        shown = ", ".join(customers[:5]) + (", ..." if len(customers) > 5 else "")
        n = len(customers)
        lines.append(f"Went to {n} customer{'' if n == 1 else 's'}" + (f": {shown}." if n else "."))
        lines.append(f"Shipped {a.shipped:,.2f}, lost {a.losses:,.2f}, run losses {a.process_loss:,.2f}, "
                     f"on hand {a.on_hand:,.2f}, not accounted for {a.unaccounted:,.2f} {t.unit}.")
        if t.open_questions:
            lines.append(f"{len(t.open_questions)} open questions (links that could not be followed).")
    lines.append("Every step is on the Trace sheet, with a link to its row.")
    return "\n".join(lines)


def export_for_inspector(book) -> Path:
    """The inspector's copy, made from the saved workbook file beside it (and its PDF
    where LibreOffice is installed)."""
    from massbal.inspector.export import default_copy_path, export_book

    if on_remote_engine(book):
        raise UserMessage("xlwings Lite cannot write files. Make the inspector's copy with the desktop "
                          "add-in, or with 'massbal export' on a computer with Python.")
    path = Path(str(getattr(book, "fullname", "") or ""))
    if path.suffix.lower() not in (".xlsx", ".xlsm") or not path.is_file():
        raise UserMessage("Save the workbook first: the inspector's copy is made from the saved file.")
    pdf = default_copy_path(path).with_suffix(".pdf")
    pdf_before = pdf.stat().st_mtime_ns if pdf.is_file() else None  # an earlier export's
    out = export_book(path)
    text = f"The inspector's copy of the workbook as last saved is at\n{out}"
    if pdf.is_file() and pdf.stat().st_mtime_ns != pdf_before:
        text += f"\nand its PDF at\n{pdf}"
    else:
        text += "\nNo PDF was made (that needs LibreOffice); the copy prints as it is."
    _alert(book, text)
    return out


def add_input_tables(book) -> list[str]:
    """Add an empty Excel Table for every input table the workbook lacks (Lite's
    'New workbook': Lite cannot open a new file). Existing sheets are left alone."""
    from massbal.engine.schema import book_specs, table_key

    have = {table_key(t.name) for s in book.sheets for t in s.tables}
    have |= {table_key(s.name) for s in book.sheets}
    added = []
    for spec in book_specs(farm=False):
        name = spec.name
        if table_key(name) in have:
            continue
        sheet = book.sheets.add(name, after=book.sheets[len(book.sheets) - 1])
        headers = [c.name for c in spec.columns]
        sheet.range((1, 1)).value = [headers]
        sheet.tables.add(source=sheet.range((1, 1), (2, len(headers))), name=name,
                         table_style_name=TABLE_STYLE)
        added.append(name)
    _alert(book, ("Added the input tables: " + ", ".join(added) + ".") if added
           else "Every input table is already in this workbook.")
    return added


NEW_BOOK = "Mass balance.xlsx"


def new_workbook(app, folder: str | Path | None = None) -> Any:
    """A new workbook with every input table, saved in Documents (never over a file
    that exists) and opened in Excel."""
    from massbal.books.template import write_template

    folder = Path(folder) if folder is not None else _documents()
    target = _free_path(folder / NEW_BOOK)
    write_template(target)
    book = app.books.open(str(target))
    _alert(app, f"A new mass balance workbook is at\n{target}\nFill in the input tables, then press Reconcile.")
    return book


def _documents() -> Path:
    docs = Path.home() / "Documents"
    return docs if docs.is_dir() else Path.home()


def _free_path(path: Path) -> Path:
    n = 2
    out = path
    while out.exists():
        out = path.with_name(f"{path.stem} ({n}){path.suffix}")
        n += 1
    return out
