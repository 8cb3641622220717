"""The change log and closed periods of a workbook file: read what it keeps, and the sheets
to add to massbal's next write of it (CONTRACT.md section 8).

Every write by massbal to a file (Reconcile, Close, Reopen, Trace, Recall, demo) goes
through `logged_write`, which appends to the Change log what changed in the input tables
since the previous write and stores the new state, all in the one atomic replacement of
the file that writes the result sheets: a write killed half-way leaves the old log or the
new one, never a chain with a hole.
"""
from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime

from massbal.engine.record.closing import BookState, Record
from massbal.engine.record.logchain import ChainCheck, LogEntry, check_chain
from massbal.layout.closing import (
    CLOSED_SHEET,
    LOG_SHEET,
    RECORD_SHEETS,
    STATE_SHEET,
    closed_lines_from,
    entries_from,
    record_specs,
    state_from,
    table_rows,
)


@dataclass
class Kept:
    """What a workbook holds of its history."""

    state: BookState
    entries: list[LogEntry] = field(default_factory=list)
    closed_lines: list[dict] = field(default_factory=list)
    has_state: bool = False


def _grid(cells: dict[tuple[int, int], str]) -> list[list]:
    if not cells:
        return []
    nr = max(r for r, _ in cells)
    nc = max(c for _, c in cells)
    grid: list[list] = [[None] * nc for _ in range(nr)]
    for (r, c), v in cells.items():
        kind, text = v[:2], v[2:]
        grid[r - 1][c - 1] = float(text) if kind == "n:" else (text == "1") if kind == "b:" else (
            None if v == "f" else text)
    return grid


def read_kept(path) -> Kept:
    from massbal.inspector.verify import read_cells
    cells = read_cells(path, only={CLOSED_SHEET, LOG_SHEET, STATE_SHEET})
    return kept_from_grids({name: _grid(c) for name, c in cells.items()})


def kept_from_grids(grids: dict[str, list[list]]) -> Kept:
    """From the three sheets as rows of values (a file's or an open workbook's)."""
    _, srows = table_rows(grids.get(STATE_SHEET, []), "State")
    state = state_from(srows)
    head, lrows = table_rows(grids.get(LOG_SHEET, []), "Entry")
    entries = entries_from(head, lrows)
    head, crows = table_rows(grids.get(CLOSED_SHEET, []), "Through")
    lines = closed_lines_from(head, crows)
    if state is None:
        # no state (never written, or removed): the next entry chains onto the log's last
        last = entries[-1] if entries else None
        state = BookState(None, last.number if last else 0, last.hash if last else BookState().last_hash,
                          None, len(lines))
        return Kept(state, entries, lines, False)
    return Kept(state, entries, lines, True)


def user_name() -> str:
    """The computer's user name, as the log records who wrote."""
    try:
        return getpass.getuser()
    except Exception:  # no user database (a container, Pyodide)
        return os.environ.get("USERNAME") or os.environ.get("USER") or "unknown"


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def record_sheets(kept: Kept, record: Record, unit: str):
    """The Closed periods, Change log and state sheets after this write: the old rows as
    they are (an edit shows in verify, not hidden by rewriting), the new ones appended."""
    return record_specs(kept.entries + record.entries, kept.closed_lines + record.closed_rows,
                        record.state, unit)


def logged_write(path, specs, raw, action: str, *, record: Record | None = None, kept: Kept | None = None,
                 unit: str = "lb", backup: bool = True, today=None, current=None, before: tuple | None = None):
    """Write `specs` into the workbook with the Change log appended (one atomic write).

    specs: the sheets, or a function that makes them. record: the log of this write when
    the caller made it (close, reopen, Reconcile with its closed-period review); else the
    input tables' changes since the last write, made (with the state encoded) once the
    sheets are planned: a big sheet is then being made on the second thread (ahead.py),
    beside the record's second at 980k movements (issue 15).
    """
    from massbal.engine.record.closing import record_write
    from massbal.xlsx.write.write_results import Later, write_sheets
    kept = read_kept(path) if kept is None else kept
    if record is None and raw is None:
        from massbal.xlsx.read.read_book import read_book
        raw = read_book(path)

    def record_sheets_now():
        done = record or record_write(kept.state, raw, utc_now(), user_name(), action, current=current)
        return record_sheets(kept, done, unit)
    specs = specs() if callable(specs) else list(specs)
    # the signature as the book was read: a book saved meanwhile is never written over
    return write_sheets(str(path), specs, backup=backup, today=today, before=before or getattr(raw, "signature", None),
                        later=Later(RECORD_SHEETS, record_sheets_now))


def review(path, raw, rec):
    """Reconcile's figures with the workbook's closed periods applied (CLOSED_PERIOD_CHANGED,
    the Balance's As closed), and what the write needs: (rec, kept, current snapshots)."""
    from massbal.engine.record.changelog import snapshots
    from massbal.engine.record.closing import review_reconciliation
    kept = read_kept(path)
    current = snapshots(raw)
    return review_reconciliation(rec, kept.state, raw, current), kept, current


def verify_log(path) -> ChainCheck | None:
    """The Change log's chain of a workbook (None: it has no Change log)."""
    kept = read_kept(path)
    if not kept.entries and not kept.has_state:
        return None
    st = kept.state if kept.has_state else None
    return check_chain(kept.entries, st.written if st else None, st.last_hash if st else None)

