"""The Change log's hash chain: each entry's SHA-256 covers its content and the hash of
the entry before it, so an entry edited, removed or moved breaks the chain where it
happened, and `verify` names that entry.

Tamper-evidence, not a signature: someone who recomputes every hash after an edit can
forge a log. The workbook's hidden state also keeps how many entries massbal wrote and
the last hash, so a log cut short at its end is caught too.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from .changelog import RowChange

GENESIS = "0" * 64
LOG_HEADERS = ("Entry", "Time", "User", "Action", "Change", "Sheet", "Row", "Dated", "Column",
               "Old value", "New value", "Hash")
MAX_CELL = 32000  # Excel holds at most 32,767 characters in a cell


@dataclass(frozen=True)
class LogEntry:
    number: int
    time: str        # ISO 8601, UTC
    user: str
    action: str      # Reconcile, Close period, Reopen, Trace ...
    change: str      # added | changed | deleted | recorded | closed | reopened | ...
    sheet: str
    row: int | None
    column: str
    old: str
    new: str
    hash: str = ""
    at: int | None = None   # the worksheet row it was read from (verify names it)
    dated: str = ""         # the changed row's date (its Date, or its batch's), ISO

    def content(self) -> str:
        row = "" if self.row is None else str(self.row)
        return "\x1f".join((str(self.number), self.time, self.user, self.action, self.change,
                            self.sheet, row, self.dated, self.column, self.old, self.new))

    def cells(self) -> list:
        return [self.number, self.time, self.user, self.action, self.change, self.sheet, self.row,
                self.dated, self.column, self.old, self.new, self.hash]


def chain_hash(previous: str, entry: LogEntry) -> str:
    return hashlib.sha256((previous + "\x1e" + entry.content()).encode("utf-8")).hexdigest()


def _clip(text: str) -> str:
    return text if len(text) <= MAX_CELL else text[:MAX_CELL - 40] + f" ... ({len(text):,} characters)"


def seal(previous: str, first_number: int, entries: list[LogEntry]) -> list[LogEntry]:
    """Number the new entries from first_number and chain them onto `previous`."""
    out = []
    h = previous
    for k, e in enumerate(entries):
        e = replace(e, number=first_number + k, old=_clip(e.old), new=_clip(e.new))
        h = chain_hash(h, e)
        out.append(replace(e, hash=h))
    return out


MAX_ROWS_LISTED = 5000  # per write; beyond it one entry says how many more


def change_entries(changes: list[RowChange], time: str, user: str, action: str,
                   days: list[str] | None = None) -> list[LogEntry]:
    """Log entries (not yet sealed) for rows added, changed and deleted: one per changed
    cell, one per row added or deleted with its whole content. days: each change's row date."""
    out: list[LogEntry] = []
    shown = changes[:MAX_ROWS_LISTED]
    days = days or [""] * len(changes)
    for c, day in zip(shown, days, strict=False):
        if c.kind == "changed":
            for cell in c.cells:
                out.append(LogEntry(0, time, user, action, "changed", c.sheet, c.row, cell.column, cell.old, cell.new,
                                    dated=day))
        else:
            text = ", ".join(f"{x.column} {x.old or x.new}" for x in c.cells)
            old, new = (text, "") if c.kind == "deleted" else ("", text)
            where = f"was row {c.row}" if c.kind == "deleted" else ""
            out.append(LogEntry(0, time, user, action, c.kind, c.sheet, c.row, where, old, new, dated=day))
    rest = changes[MAX_ROWS_LISTED:]
    if rest:
        kinds = {k: sum(1 for c in rest if c.kind == k) for k in ("added", "changed", "deleted")}
        text = ", ".join(f"{n:,} rows {k}" for k, n in kinds.items() if n)
        out.append(LogEntry(0, time, user, action, "more", "", None, "",
                            "", f"and {text} not listed one by one (more than {MAX_ROWS_LISTED:,} in one write)"))
    return out


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    entries: int
    problems: tuple[str, ...]


def check_chain(entries: list[LogEntry], written: int | None = None, last_hash: str | None = None,
                sheet: str = "Change log") -> ChainCheck:
    """Whole (ok) or the first entry edited, removed or moved, in a sentence.

    written/last_hash: how many entries massbal wrote and the last one's hash, from the
    workbook's hidden state (None: not known, so a log cut at its end cannot be told).
    """
    prev = GENESIS
    expected = 1
    problems: list[str] = []
    for e in entries:
        where = f" (row {e.at} of the {sheet} sheet)" if e.at else ""
        if e.number != expected:
            if e.number > expected:
                gone = f"entry {expected}" if e.number == expected + 1 else f"entries {expected} to {e.number - 1}"
                problems.append(f"The Change log was cut: {gone} removed before entry {e.number}{where}.")
            else:
                problems.append(f"The Change log was reordered or an entry copied: entry {e.number} comes after "
                                f"entry {expected - 1}{where}.")
            break
        if chain_hash(prev, e) != e.hash:
            problems.append(f"Entry {e.number} of the Change log was edited{where}: its hash does not match "
                            "its content and the entry before it.")
            break
        prev = e.hash
        expected += 1
    if not problems and written is not None:
        n = len(entries)
        if n < written:
            gone = f"entry {n + 1}" if written == n + 1 else f"entries {n + 1} to {written}"
            problems.append(f"The Change log was cut: massbal wrote {written} entries, the sheet holds {n}; "
                            f"{gone} removed.")
        elif n > written or (last_hash and n and entries[-1].hash != last_hash):
            problems.append(f"The Change log does not end where massbal last wrote it (entry {written}): "
                            "entries were added or replaced by hand.")
    return ChainCheck(not problems, len(entries), tuple(problems))
