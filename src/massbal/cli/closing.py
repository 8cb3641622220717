"""`massbal close` and `massbal reopen` (CONTRACT.md section 8)."""
from __future__ import annotations

from pathlib import Path

import typer

from .console import err, fail, first_line, load_raw, out, parse_day, write_sheets_into


def _balances(raw):
    """The balances as closed: every month of the data, as Reconcile computes them."""
    from massbal.engine.api import prepare, reconcile_prepared
    return reconcile_prepared(prepare(raw))


def _write(book: Path, rec, kept, record, what: str):
    from massbal.layout.sheets import written_sheets
    # the result sheets are written too, so the Balance shows the close at once
    return write_sheets_into(book, written_sheets(rec), None, action=what, record=record, kept=kept, unit=rec.unit)


def close(book: Path = typer.Argument(..., help="The workbook (.xlsx or .xlsm)."),
          through: str = typer.Option(..., "--through", help="Last day closed (YYYY-MM-DD).")):
    """Close every period up to a date: later edits of its rows are errors (CLOSED_PERIOD_CHANGED)."""
    from massbal.engine.record.changelog import snapshots
    from massbal.engine.record.closing import ClosingError, close_period, review_reconciliation
    from massbal.xlsx.write.change_log import read_kept, user_name, utc_now
    day = parse_day(through, "--through")
    raw = load_raw(book)
    rec = _balances(raw)
    try:
        kept = read_kept(book)
        current = snapshots(raw)
        record = close_period(kept.state, raw, rec.balances, day, utc_now(), user_name(), current)
    except ClosingError as e:
        fail(str(e), 1)
    except ValueError as e:
        fail(f"{book.name}: the Change log or closed periods cannot be read ({first_line(e)})")
    rec = review_reconciliation(rec, record.state, raw, current)
    _write(book, rec, kept, record, "Close period")
    line = record.closed_rows[0]
    out.print(f"Closed {book.name} through {day:%Y-%m-%d}: {line['Rows']:,} input rows and "
              f"{len(record.closed_rows) - 1} balances kept on the Closed periods sheet; "
              f"fingerprint {line['Fingerprint'][:16]}.", markup=False)


def reopen(book: Path = typer.Argument(..., help="The workbook (.xlsx or .xlsm)."),
           through: str = typer.Option(..., "--through", help="The date it is closed through (YYYY-MM-DD)."),
           reason: str = typer.Option(..., "--reason", help="Why it is reopened (kept in the Change log).")):
    """Reopen the closed periods, saying why in the Change log."""
    from massbal.engine.record.changelog import snapshots
    from massbal.engine.record.closing import ClosingError, reopen_period
    from massbal.xlsx.write.change_log import read_kept, user_name, utc_now
    day = parse_day(through, "--through")
    raw = load_raw(book)
    rec = _balances(raw)
    try:
        kept = read_kept(book)
        record = reopen_period(kept.state, raw, day, reason, utc_now(), user_name(), snapshots(raw))
    except ClosingError as e:
        fail(str(e), 1)
    except ValueError as e:
        fail(f"{book.name}: the Change log or closed periods cannot be read ({first_line(e)})")
    _write(book, rec, kept, record, "Reopen")
    out.print(f"Reopened {book.name} (was closed through {day:%Y-%m-%d}). Reason in the Change log: "
              f"{reason.strip()}", markup=False)
    err.print("Close it again (massbal close) once the corrections are in.", markup=False)


def register(app: typer.Typer) -> None:
    app.command("close")(close)
    app.command("reopen")(reopen)
