"""`massbal reconcile` in the terminal: a verdict first, then only what needs attention.

Sized to the terminal: names wrap instead of being cut, periods are written short
(2025-03, 2025 Q1), numbers and statuses are never cut. `--all` prints every row.
"""
from __future__ import annotations

import pandas as pd
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from massbal.cli.console import print_with_path
from massbal.cli.farm_report import print_farm
from massbal.cli.investigations import likeliest_causes
from massbal.engine.verdict import headline, period_label, shown, tallies

STATUS_STYLE = {"PASS": "green", "INVESTIGATE": "yellow", "NO COUNT": "yellow", "NEGATIVE": "bold red",
                "OVERSOLD": "bold red", "error": "red", "warning": "yellow", "info": "cyan"}
WIDE = 110  # from this width the balance shows beginning, in and out too
FINDINGS_PER_CODE = 1  # without --all, one message of each kind; the others' places


def show_reconciliation(console: Console, rec, *, everything: bool = False, written: str | None = None,
                        book: str = "") -> None:
    """written: the sentence saying where each sheet went (None: nothing was written), book
    the path it names."""
    items = tallies(rec)
    console.print(Text(headline(items, 1 if rec.needs_attention else 0), style="bold"))
    for t in shown(items):
        line = Text("  ")
        line.append(t.words, style=("bold " if t.blocking and t.count else "") + ("" if t.count else "dim"))
        if t.count:
            line.append(f"  ({t.sheet} sheet)", style="dim")
        console.print(line)
    balances = rec.balances if everything else rec.balances[rec.balances["status"].isin(["INVESTIGATE", "NEGATIVE"])]
    supply = rec.supply if everything else rec.supply[rec.supply["status"].isin(["OVERSOLD", "INVESTIGATE"])]
    if len(balances):
        console.print(_balance_table(balances, rec.unit, console.width))
    if len(supply):
        console.print(_supply_table(supply, rec.unit, console.width))
    print_farm(console, rec, everything, _table, _num, _status)
    for part in likeliest_causes(rec.investigations, rec.unit):
        console.print(part)
    findings = rec.findings if everything else rec.findings[rec.findings["severity"] != "info"]
    if len(findings):
        _show_findings(console, findings, everything)
    if not everything:
        sizes = ", ".join(f"{n:,} {one if n == 1 else many}" for n, one, many in (
            (len(rec.balances), "balance", "balances"), (len(rec.supply), "supply row", "supply rows"),
            (len(rec.yields), "run", "runs")))
        console.print(Text(f"Every row: massbal reconcile --all, or the sheets in the workbook ({sizes}).",
                           style="dim"))
    if written:
        print_with_path(console, written, book)


def _table(title: str) -> Table:
    return Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True,
                 title_style="bold")


def _num(v, places: int = 2) -> str:
    if v is None or v != v:
        return ""
    text = f"{v:,.{places}f}"
    return "0.00" if text in ("-0.00", "-0.0", "-0") else text  # no "-0.00": rounding dust has no sign


def _pct(v) -> str:
    return "" if v is None or v != v else ("+0.00" if abs(v) < 0.005 else f"{v:+.2f}")


def _farm(r, column: str) -> float:
    """A farm's column of a balance row (harvested, farm_use, applied): 0 where absent."""
    v = getattr(r, column, 0.0)
    return 0.0 if v is None or v != v else v


def _status(s: str) -> Text:
    return Text(s, style=STATUS_STYLE.get(s, ""))


def _name_columns(t: Table, first: str, frame) -> bool:
    t.add_column(first, overflow="fold", ratio=1, min_width=8)
    owners = bool(frame["owner"].notna().any()) if "owner" in frame else False
    if owners:
        t.add_column("Owner", overflow="fold", ratio=1, min_width=6)
    t.add_column("Period", no_wrap=False, overflow="fold", min_width=7)
    return owners


def _balance_table(frame, unit: str, width: int) -> Table:
    wide = width >= WIDE
    t = _table(f"Balances ({unit})")
    owners = _name_columns(t, "Item", frame)
    numbers = (["Beginning", "In", "Out"] if wide else []) + ["Expected", "Counted", "Variance", "Var %"]
    for c in numbers:
        t.add_column(c, justify="right", no_wrap=True)
    t.add_column("Status", no_wrap=True)
    for r in frame.itertuples(index=False):
        row = [Text(str(r.item))] + ([Text(r.owner or "")] if owners else []) + [period_label(r.start, r.end)]
        if wide:
            row += [_num(r.beginning), _num(r.received + _farm(r, 'harvested') + r.produced),
                    _num(r.used + _farm(r, 'farm_use') + _farm(r, 'applied') + r.shipped + r.losses)]
        row += [_num(r.expected_ending), _num(r.counted_ending), _num(r.variance), _pct(r.variance_pct)]
        t.add_row(*row, _status(r.status))
    return t


def _supply_table(frame, unit: str, width: int) -> Table:
    wide = width >= WIDE
    t = _table(f"Organic supply ({unit}, ingredient equivalents)")
    owners = _name_columns(t, "Ingredient", frame)
    numbers = ["Available", "Shipped"] + (["Losses", "On hand"] if wide else []) + ["Unaccounted"]
    for c in numbers:
        t.add_column(c, justify="right", no_wrap=True)
    t.add_column("Status", no_wrap=True)
    for r in frame.itertuples(index=False):
        row = [Text(str(r.ingredient))] + ([Text(r.owner or "")] if owners else []) + [period_label(r.start, r.end)]
        row += [_num(r.available), _num(r.shipped_equivalent)]
        if wide:
            row += [_num(r.losses_equivalent), _num(r.on_hand_equivalent)]
        row += [_num(r.unaccounted)]
        t.add_row(*row, _status(r.status))
    return t


def _where(r) -> str:
    if r.cell:
        return f"{r.sheet}!{r.cell}"
    if r.sheet and not pd.isna(r.row):
        return f"{r.sheet} row {r.row}"
    return r.sheet or "the workbook"


def _places(rows) -> str:
    """Sheet!C131, C136, Batches!A5: each sheet named once."""
    out, last = [], None
    for r in rows:
        where = _where(r)
        sheet, _, cell = where.partition("!")
        out.append(cell if cell and sheet == last else where)
        last = sheet if cell else None
    return ", ".join(out)


def _show_findings(console: Console, findings, everything: bool) -> None:
    """Findings grouped by kind, errors first: each kind with its first message and where
    the others are (every message with --all)."""
    console.print(Text(f"\nFindings ({len(findings):,})", style="bold"))
    for (severity, code), group in findings.groupby(["severity", "code"], sort=False):
        rows = list(group.itertuples(index=False))
        head = Text(f"{severity} ", style=STATUS_STYLE.get(severity, ""))
        head.append(f"{code}", style="bold")
        head.append(f" ({len(rows)})" if len(rows) > 1 else "")
        console.print(head)
        show = rows if everything else rows[:FINDINGS_PER_CODE]
        grid = Table.grid(padding=(0, 1), pad_edge=False)
        grid.add_column(no_wrap=True, style="dim")
        grid.add_column(overflow="fold", ratio=1)
        for r in show:
            grid.add_row(Text(f"  {_where(r)}"), Text(str(r.message)))  # the user's words, never markup
        rest = rows[len(show):]
        if rest:
            more = f" and {len(rest) - 12} more" if len(rest) > 12 else ""
            grid.add_row("  also at", Text(_places(rest[:12]) + more))
        console.print(grid)
