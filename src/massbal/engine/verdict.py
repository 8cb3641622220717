"""What a reconciliation found, in counts a person can act on (the terminal's first lines).

A verdict is a list of tallies: how many of one kind of thing need a look, and which
sheet to open for them. Each source below turns a Reconciliation into tallies; other
parts of massbal (farm balances, investigations, closed periods) add theirs by
appending a function to TALLY_SOURCES. Pure: no terminal, no Excel.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pandas as pd


@dataclass(frozen=True)
class Tally:
    count: int
    one: str            # "balance to investigate"
    many: str           # "balances to investigate"
    sheet: str          # the sheet to open: "Balance"
    blocking: bool      # counts toward exit status 1
    always: bool = False  # shown even at zero ("no negative balances" reassures)

    @property
    def words(self) -> str:
        if self.count == 0:
            return f"no {self.many}"
        return f"{self.count:,} {self.one if self.count == 1 else self.many}"


def _status_count(frame: pd.DataFrame, status: str) -> int:
    return int((frame["status"] == status).sum()) if len(frame) else 0


def balance_tallies(rec) -> list[Tally]:
    b = rec.balances
    if "count_due" in b:  # a farm item's month inside its season owes no count (balance.count_due)
        b = b[b["count_due"].to_numpy(dtype=bool) | (b["status"] != "NO COUNT").to_numpy()]
    return [
        Tally(_status_count(b, "INVESTIGATE"), "balance to investigate", "balances to investigate", "Balance",
              True, always=True),
        Tally(_status_count(b, "NEGATIVE"), "negative balance", "negative balances", "Balance", True, always=True),
        Tally(_status_count(b, "NO COUNT"), "balance without a count on its last day",
              "balances without a count on their last day", "Balance", False),
    ]


def supply_tallies(rec) -> list[Tally]:
    s = rec.supply
    return [
        Tally(_status_count(s, "OVERSOLD"), "oversold organic ingredient", "oversold organic ingredients", "Supply",
              True, always=True),
        Tally(_status_count(s, "INVESTIGATE"), "organic supply balance to investigate",
              "organic supply balances to investigate", "Supply", True),
    ]


def finding_tallies(rec) -> list[Tally]:
    sev = rec.findings["severity"] if len(rec.findings) else pd.Series(dtype=object)
    return [
        Tally(int((sev == "error").sum()), "error", "errors", "Exceptions", True, always=True),
        Tally(int((sev == "warning").sum()), "warning", "warnings", "Exceptions", False, always=True),
        Tally(int((sev == "info").sum()), "note", "notes", "Exceptions", False),
    ]


TALLY_SOURCES: list[Callable[[object], list[Tally]]] = [balance_tallies, supply_tallies, finding_tallies]


def tallies(rec) -> list[Tally]:
    return [t for source in TALLY_SOURCES for t in source(rec)]


def headline(items: list[Tally], exit_code: int) -> str:
    """One sentence: what to do, and why the exit status is what it is."""
    blocking = [t for t in items if t.blocking and t.count]
    if not blocking:
        return ("Nothing needs investigating: no balance to investigate, none negative or oversold, "
                "and no errors (exit status 0).")
    sheets = list(dict.fromkeys(t.sheet for t in blocking))
    verb = "needs" if len(blocking) == 1 and blocking[0].count == 1 else "need"
    return (f"{_join([t.words for t in blocking])} {verb} a look: open the {_join(sheets)} "
            f"sheet{'s' if len(sheets) > 1 else ''} (exit status {exit_code}).")


def shown(items: list[Tally]) -> list[Tally]:
    """The tallies worth a line: every nonzero one, and the reassuring zeros."""
    return [t for t in items if t.count or t.always]


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def period_label(start, end) -> str:
    """A period in the fewest characters that keep it exact: 2025-03, 2025 Q1, 2025, or both days."""
    s, e = pd.Timestamp(start).date(), pd.Timestamp(end).date()
    last = (pd.Timestamp(e) + pd.offsets.MonthEnd(0)).date()
    if s.day == 1 and e == last:
        months = (e.year - s.year) * 12 + e.month - s.month + 1
        if months == 1:
            return f"{s:%Y-%m}"
        if months == 3 and s.month in (1, 4, 7, 10):
            return f"{s.year} Q{(s.month - 1) // 3 + 1}"
        if months == 12 and s.month == 1:
            return str(s.year)
    return f"{_day(s)} to {_day(e)}"


def _day(d: date) -> str:
    return f"{d:%Y-%m-%d}"
