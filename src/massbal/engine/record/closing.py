"""Closed periods and the change log's content (CONTRACT.md section 8), as pure functions.

The workbook keeps a small state (massbal's hidden sheet): the input tables as they were
at massbal's last write (so the next write can log what changed since), the rows of the
closed period as they were when it was closed, the balances as closed, and where the log
ended. Everything here works on that state and the RawBook; reading and writing the
workbook is the faces' job (xlsx.write.change_log, excel.adapter).
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime

import numpy as np
import pandas as pd

from massbal.engine import findings as F
from massbal.engine.rawbook import RawBook
from massbal.engine.schema import header_key, name_key

from .balances import CLOSED_FIGURES, annotate_balances, closed_balance_records  # noqa: F401
from .blocks import BLOCKS_V1, CLOSED_V1, ClosedBlocks, TableBlocks
from .changelog import RowChange, Snapshot, Stored, snapshots
from .current import batch_days, closed_since, dated_on_or_before, kept_form, since_last
from .logchain import GENESIS, LogEntry, change_entries, seal

CODE = "CLOSED_PERIOD_CHANGED"
STATE_VERSION = 2      # 2: tables kept in blocks (blocks.py); a state of version 1 is still read
CLOSED_SHEET = "Closed periods"


class ClosingError(ValueError):
    """A close or reopen that cannot be done, in a sentence for the user."""


@dataclass(frozen=True)
class Closed:
    through: date
    by: str
    on: str                      # ISO time of the close
    row: int                     # the Closed periods sheet row of the close
    tables: dict[str, ClosedBlocks | Stored]  # rows dated on or before `through`, as closed
    balances: list[dict]         # balances of periods ending on or before `through`
    # table -> closed key (current.Current.closed_key) of a content whose closed rows were
    # found as closed: a table still of that content needs no new look (current.py)
    clean: dict[str, str] = field(default_factory=dict)

    @property
    def ident(self) -> str:
        """Which close this is (what current.Current.clean is noted against)."""
        return f"{self.through:%Y-%m-%d}|{self.on}|{self.row}"


@dataclass(frozen=True)
class BookState:
    """What massbal keeps in the workbook between two writes."""

    last: dict[str, TableBlocks | Stored] | None = None   # input tables at the last write (None: never)
    written: int = 0                          # Change log entries written
    last_hash: str = GENESIS
    closed: Closed | None = None
    closed_rows: int = 0                      # rows of the Closed periods table written
    quick: dict[str, str] = field(default_factory=dict)  # quick key of each table in `last`

    # -- stored form: a line of JSON, then one line per table snapshot --------------------
    def to_text(self) -> str:
        meta = {"version": STATE_VERSION, "written": self.written, "last_hash": self.last_hash,
                "closed_rows": self.closed_rows, "recorded": self.last is not None}
        if self.quick:   # keys older versions ignore (a state they write has none: then all is compared)
            meta["quick"] = self.quick
        lines = []
        for k, x in (self.last or {}).items():
            lines.append(f"last\t{k}\t{x.digest()}\t{x.to_text()}")
        if self.closed is not None:
            c = self.closed
            meta["closed"] = {"through": c.through.isoformat(), "by": c.by, "on": c.on, "row": c.row,
                              "balances": c.balances, "clean": c.clean}
            for k, x in c.tables.items():
                lines.append(f"closed\t{k}\t{x.digest()}\t{x.to_text()}")
        return "\n".join([json.dumps(meta, separators=(",", ":"), ensure_ascii=False)] + lines)

    @staticmethod
    def from_text(text: str) -> BookState:
        head, *lines = text.split("\n")
        d = json.loads(head)
        if d.get("version") not in (1, STATE_VERSION):
            raise ValueError(f"massbal's state in this workbook is of version {d.get('version')}")
        parts: dict[str, dict] = {"last": {}, "closed": {}}
        for ln in lines:
            part, name, digest, blob = ln.split("\t", 3)
            parts[part][name] = (TableBlocks.from_text(blob) if blob.startswith(BLOCKS_V1) else
                                 ClosedBlocks.from_text(blob) if blob.startswith(CLOSED_V1) else Stored(blob, digest))
        closed = None
        if d.get("closed"):
            c = d["closed"]
            closed = Closed(date.fromisoformat(c["through"]), c["by"], c["on"], int(c["row"]),
                            parts["closed"], c["balances"], dict(c.get("clean") or {}))
        last = parts["last"] if d.get("recorded") else None
        quick = dict(d.get("quick") or {}) if last is not None else {}
        return BookState(last, int(d["written"]), d["last_hash"], closed, int(d.get("closed_rows", 0)), quick)


@dataclass(frozen=True)
class Record:
    """One write's additions: log entries (sealed), Closed periods rows, the new state."""

    entries: list[LogEntry]
    closed_rows: list[dict] = field(default_factory=list)
    state: BookState = field(default_factory=BookState)


def iso_now(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------------------ the log of a write

def record_write(state: BookState, raw: RawBook, now: datetime, user: str, action: str,
                 extra: list[LogEntry] = (), current: Mapping[str, Snapshot] | None = None) -> Record:
    """The log entries for one write by massbal: what changed in the input tables since the
    last write (on a first write, one entry saying the tables were recorded), then `extra`
    (a close, a reopen)."""
    current = snapshots(raw) if current is None else current
    t = iso_now(now)
    kept: dict[str, TableBlocks | Stored] = {}
    keys: dict[str, str] = {}
    if state.last is None:
        kept = {name: kept_form(current, name) for name in current}
        n = sum(len(current[name]) for name in kept)
        pending = [LogEntry(0, t, user, action, "recorded", "", None, "", "",
                            f"{n:,} rows in {len(kept)} input tables recorded; later writes log what changes")]
    else:
        changes: list[RowChange] = []
        days: list[str] = []
        batches: list = []   # Batches' days, made once and only if a change needs them
        for name in sorted(set(state.last) | set(current)):
            old = state.last.get(name)
            key = current.quick(name)
            if key is not None:
                keys[name] = key
            if old is not None and key is not None and state.quick.get(name) == key:
                kept[name] = old   # the very content of the last write: not even read
                continue
            found, o, new, form = since_last(old, current, name)
            if form is not None:
                kept[name] = form
            if found:
                days += _change_days(found, o, new, lambda: _batch_days_once(batches, current))
            changes += found
        pending = change_entries(changes, t, user, action, days)
    if state.last is None:
        keys = {name: k for name in kept if (k := current.quick(name)) is not None}
    pending += list(extra)
    sealed = seal(state.last_hash, state.written + 1, pending)
    last_hash = sealed[-1].hash if sealed else state.last_hash
    closed = state.closed
    found_clean = current.clean.get(closed.ident) if closed is not None else None
    if found_clean:
        closed = replace(closed, clean={**closed.clean, **found_clean})
    new_state = replace(state, last=kept, written=state.written + len(sealed), last_hash=last_hash,
                        closed=closed, quick=keys)
    return Record(sealed, [], new_state)


def _batch_days_once(cache: list, current) -> dict[str, str]:
    if not cache:
        cache.append(batch_days(current.get("Batches")))
    return cache[0]


def _change_days(found: list[RowChange], old: Snapshot | None, new: Snapshot | None, batches) -> list[str]:
    """The date of each changed row as ISO text (its new date; a deleted row's old one).
    batches: gives the batch days, for rows dated by their batch."""
    out = []
    for c in found:
        snap, i = (new, c.new_index) if c.new_index is not None else (old, c.old_index)
        day = ""
        if snap is not None and i is not None:
            col = snap.column("date")
            if col is not None:
                day = col[i][:10]
            elif snap.column("batch") is not None:
                day = batches().get(name_key(snap.column("batch")[i]), "")
        out.append(day)
    return out


# ------------------------------------------------------------------ closed periods

def _in_period(current, name: str, through: date, days: list):
    """For a table's rows (a snapshot), which are dated on or before `through` (batch
    inputs by their batch's date); a table not dated has none."""
    last = pd.Timestamp(through).strftime("%Y-%m-%d")
    by = current.dated_by(name)
    if by is None:
        return lambda s: np.zeros(len(s), dtype=bool)
    return lambda s: dated_on_or_before(s, _batch_days_once(days, current) if by == "batch" else {}, last)


def _closed_part(current, through: date) -> dict[str, tuple[ClosedBlocks, Snapshot]]:
    """Each dated table's rows dated on or before `through`: as the state keeps them (in
    the table's blocks), and as one snapshot."""
    days: list = []
    out = {}
    for name in current:
        if current.dated_by(name) is None:
            continue  # Items, Certificates, Settings: not dated
        rows = current.rows(name)
        closed = _in_period(current, name, through, days)(rows.snap)
        batches = (current.quick("Batches") or "") if current.dated_by(name) == "batch" else None
        out[name] = (ClosedBlocks.build(current.raw.tables[name], current.cut(name), rows, closed, batches),
                     rows.snap.take(closed))
    return out


def closed_changes(state: BookState, current) -> list[RowChange]:
    """Rows of the closed period added, changed or deleted since the close. A table whose
    content was already found as closed (Closed.clean) is not looked at again; each one
    found so now is noted in current.clean, for the state of this write."""
    c = state.closed
    if c is None:
        return []
    clean = current.clean.setdefault(c.ident, {})
    days: list = []
    out = []
    for name in sorted(set(c.tables) | set(current)):
        if name not in c.tables and current.dated_by(name) is None:
            continue  # not dated, never closed: not even snapshotted
        key = current.closed_key(name)
        if key is not None and c.clean.get(name) == key:
            clean[name] = key
            continue
        found = closed_since(c.tables.get(name), current, name, _in_period(current, name, c.through, days))
        if not found and key is not None:
            clean[name] = key
        out += found
    return out


def closed_findings(state: BookState, raw: RawBook, current: dict[str, Snapshot] | None = None) -> pd.DataFrame:
    """CLOSED_PERIOD_CHANGED at each row of a closed period added or changed since the
    close, and at the Closed periods sheet for each row deleted (with its old content)."""
    c = state.closed
    if c is None:
        return F.empty()
    current = snapshots(raw) if current is None else current
    since = f"the period closed through {c.through:%Y-%m-%d} (closed by {c.by} on {c.on[:10]})"
    fix = ("Put corrections in new rows dated after the close, or reopen the period with a reason "
           "(massbal reopen).")
    frames = []
    for ch in closed_changes(state, current):
        t = raw.get(ch.table)
        letters = {header_key(h): L for h, L in zip(t.headers, t.columns, strict=True)} if t is not None else {}
        if ch.kind == "deleted":
            content = ", ".join(f"{x.column} {x.old}" for x in ch.cells)
            msg = (f"A row of {ch.sheet} in {since} is gone (deleted, or its date moved after the close); "
                   f"it was row {ch.old_row}: {content}. {fix}")
            frames.append(F.make("error", CODE, CLOSED_SHEET, c.row, "Through", "A", msg))
        elif ch.kind == "added":
            content = ", ".join(f"{x.column} {x.new}" for x in ch.cells)
            msg = f"{ch.sheet} row {ch.row} was added to {since}: {content}. {fix}"
            col = ch.cells[0].column if ch.cells else None
            frames.append(F.make("error", CODE, ch.sheet, ch.row, col, letters.get(header_key(col or "")), msg))
        else:
            what = "; ".join(f"{x.column} was {x.old or '(empty)'}, now {x.new or '(empty)'}" for x in ch.cells)
            moved = f" (row {ch.old_row} at the close)" if ch.old_row != ch.row else ""
            msg = f"{ch.sheet} row {ch.row}{moved} in {since} was changed: {what}. {fix}"
            col = ch.cells[0].column if ch.cells else None
            frames.append(F.make("error", CODE, ch.sheet, ch.row, col, letters.get(header_key(col or "")), msg))
    return F.combine(frames)


def review_reconciliation(rec, state: BookState, raw: RawBook, current: dict[str, Snapshot] | None = None):
    """A Reconciliation with the closed period's findings added and, once a period is
    closed, each Balance row's Closed and As closed."""
    if state.closed is None:
        return rec
    f = closed_findings(state, raw, current)
    return replace(rec, findings=F.combine([rec.findings, f]), balances=annotate_balances(rec.balances, state))


def close_period(state: BookState, raw: RawBook, balances: pd.DataFrame, through: date,
                 now: datetime, user: str, current: dict[str, Snapshot] | None = None) -> Record:
    """Close every period up to `through`: keep its rows and balances, log it."""
    through = pd.Timestamp(through).date()
    current = snapshots(raw) if current is None else current
    if state.closed is not None:
        if through < state.closed.through:
            raise ClosingError(f"The workbook is already closed through {state.closed.through:%Y-%m-%d}; "
                               "reopen it first to close an earlier date.")
        if closed_changes(state, current):
            raise ClosingError(f"Rows of the period closed through {state.closed.through:%Y-%m-%d} changed "
                               "since it was closed (CLOSED_PERIOD_CHANGED on the Exceptions sheet). Undo "
                               "those changes, or reopen the period with a reason, before closing again.")
    closing = _closed_part(current, through)
    part = {name: snap for name, (_, snap) in closing.items()}
    nrows = sum(len(s) for s in part.values())
    t = iso_now(now)
    bal = closed_balance_records(balances, through)
    print_hash = _rows_fingerprint(part)
    row = 2 + state.closed_rows   # the close's line on the Closed periods sheet
    entry = LogEntry(0, t, user, "Close period", "closed", CLOSED_SHEET, row, "",
                     "", f"closed through {through:%Y-%m-%d}: {nrows:,} rows, {len(bal)} balances, "
                         f"fingerprint {print_hash[:16]}")
    rec = record_write(state, raw, now, user, "Close period", [entry], current)
    lines = [{"Through": f"{through:%Y-%m-%d}", "Action": "Closed", "By": user, "On": t, "Reason": "",
              "Rows": nrows, "Fingerprint": print_hash}]
    for b in bal:
        lines.append({"Through": f"{through:%Y-%m-%d}", "Action": "Balance as closed", "Item": b["item"],
                      "Owner": b["owner"], "Start": b["start"], "End": b["end"],
                      "Expected ending": b["expected_ending"], "Counted ending": b["counted_ending"],
                      "Variance": b["variance"], "Status": b["status"]})
    clean = {name: k for name in part if (k := current.closed_key(name)) is not None}
    closed = Closed(through, user, t, row, {name: kept for name, (kept, _) in closing.items()}, bal, clean)
    st = replace(rec.state, closed=closed, closed_rows=state.closed_rows + len(lines))
    return Record(rec.entries, lines, st)


def reopen_period(state: BookState, raw: RawBook, through: date, reason: str, now: datetime,
                  user: str, current: dict[str, Snapshot] | None = None) -> Record:
    """Reopen the close made through `through` (the latest), saying why in the log."""
    through = pd.Timestamp(through).date()
    c = state.closed
    if c is None:
        raise ClosingError("No period of this workbook is closed.")
    if through != c.through:
        raise ClosingError(f"The workbook is closed through {c.through:%Y-%m-%d}, not {through:%Y-%m-%d}; "
                           f"reopen --through {c.through:%Y-%m-%d}.")
    reason = (reason or "").strip()
    if not reason:
        raise ClosingError("Say why the period is reopened (--reason): the log keeps it for the inspector.")
    t = iso_now(now)
    changed = closed_changes(state, snapshots(raw) if current is None else current)
    row = 2 + state.closed_rows
    entry = LogEntry(0, t, user, "Reopen", "reopened", CLOSED_SHEET, row, "", f"closed through {c.through:%Y-%m-%d}",
                     f"reopened: {reason}" + (f" ({len(changed)} rows of it had changed)" if changed else ""))
    rec = record_write(state, raw, now, user, "Reopen", [entry], current)
    lines = [{"Through": f"{c.through:%Y-%m-%d}", "Action": "Reopened", "By": user, "On": t, "Reason": reason}]
    st = replace(rec.state, closed=None, closed_rows=state.closed_rows + len(lines))
    return Record(rec.entries, lines, st)


def _rows_fingerprint(part: dict[str, Snapshot]) -> str:
    """SHA-256 over the closed rows' fingerprints, table by table, order-free."""
    import hashlib
    h = hashlib.sha256()
    for name in sorted(part):
        fp = np.sort(part[name].hashes())
        h.update(name.encode() + b"\x1e" + fp.tobytes())
    return h.hexdigest()
