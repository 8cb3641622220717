"""The `massbal` command line (CONTRACT section 4): a thin face over the engine."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.table import Table

from massbal import __version__
from .console import err, fail, first_line, load_raw, out, parse_day, write_sheets_into, wrote_sentence

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Organic mass balance and lot traceability for Excel workbooks.")
STATUS_STYLE = {"PASS": "green", "INVESTIGATE": "yellow", "NO COUNT": "yellow", "NEGATIVE": "bold red",
                "OVERSOLD": "bold red", "error": "red", "warning": "yellow", "info": "cyan"}


@contextmanager
def stages(show: bool):
    """A progress display on standard error, one line per stage, for long runs."""
    if not show:
        yield lambda name: None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err, transient=True) as progress:
        current = {"task": None}

        def stage(name: str):
            if current["task"] is not None:
                progress.update(current["task"], completed=1, total=1)
            current["task"] = progress.add_task(name, total=None)
        yield stage


@app.command()
def reconcile(
    book: Path = typer.Argument(..., help="The workbook (.xlsx or .xlsm)."),
    date_from: str | None = typer.Option(None, "--from", help="First day (YYYY-MM-DD)."),
    date_to: str | None = typer.Option(None, "--to", help="Last day (YYYY-MM-DD)."),
    item: str | None = typer.Option(None, "--item", help="Only this item (or ingredient)."),
    period: str | None = typer.Option(None, "--period", help="month, quarter, year or all."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Compute, but do not write the workbook."),
):
    """Compute every balance, check every lot link, and write the result sheets into BOOK."""
    from massbal.engine.api import prepare, reconcile_prepared
    if period is not None and period not in ("month", "quarter", "year", "all"):
        fail(f"--period must be month, quarter, year or all, not {period!r}")
    start, end = parse_day(date_from, "--from"), parse_day(date_to, "--to")
    show = sys.stderr.isatty() and not as_json
    with stages(show) as stage:
        stage("Reading workbook")
        raw = load_raw(book)
        stage("Reconciling")
        try:
            rec = reconcile_prepared(prepare(raw), start, end, item, period)
        except ValueError as e:  # a period that ends before it starts, a report unit ...
            fail(str(e))
        written = None
        if not dry_run:
            stage("Writing result sheets")
            written = write_into(book, rec)
    if as_json:
        sys.stdout.write(rec.to_json() + "\n")
    else:
        show_reconciliation(rec, book, written)
    raise typer.Exit(1 if rec.needs_attention else 0)  # CONTRACT section 4's exit status


def write_into(book: Path, rec):
    from massbal.layout.sheets import result_sheets
    return write_sheets_into(book, result_sheets(rec))


def show_reconciliation(rec, book: Path, written) -> None:
    unit = rec.unit
    t = Table(title=f"Balance ({unit})", title_justify="left")
    for c in ("Item", "Owner", "Period", "Beginning", "In", "Out", "Expected", "Counted", "Var %", "Status"):
        t.add_column(c, justify="right" if c not in ("Item", "Owner", "Period", "Status") else "left")
    for r in rec.balances.itertuples(index=False):
        t.add_row(str(r.item), r.owner or "", f"{r.start:%Y-%m-%d}..{r.end:%Y-%m-%d}",
                  f"{r.beginning:,.2f}", f"{r.received + r.produced:,.2f}",
                  f"{r.used + r.shipped + r.losses:,.2f}", f"{r.expected_ending:,.2f}",
                  "" if r.counted_ending != r.counted_ending else f"{r.counted_ending:,.2f}",
                  "" if r.variance_pct != r.variance_pct else f"{r.variance_pct:+.2f}",
                  f"[{STATUS_STYLE.get(r.status, '')}]{r.status}[/]")
    out.print(t)
    s = Table(title=f"Organic supply ({unit}, ingredient equivalents)", title_justify="left")
    for c in ("Ingredient", "Owner", "Period", "Available", "Shipped", "Losses", "On hand", "Unaccounted", "Status"):
        s.add_column(c, justify="left" if c in ("Ingredient", "Owner", "Period", "Status") else "right")
    for r in rec.supply.itertuples(index=False):
        s.add_row(str(r.ingredient), r.owner or "", f"{r.start:%Y-%m-%d}..{r.end:%Y-%m-%d}", f"{r.available:,.2f}",
                  f"{r.shipped_equivalent:,.2f}", f"{r.losses_equivalent:,.2f}", f"{r.on_hand_equivalent:,.2f}",
                  f"{r.unaccounted:,.2f}", f"[{STATUS_STYLE.get(r.status, '')}]{r.status}[/]")
    out.print(s)
    f = rec.findings
    if len(f):
        e = Table(title=f"Findings ({len(f)})", title_justify="left")
        for c in ("Severity", "Code", "Where", "Message"):
            e.add_column(c, overflow="fold")
        for r in f.head(200).itertuples(index=False):
            where = f"{r.sheet or ''}!{r.cell or ''}" if r.cell else (r.sheet or "")
            e.add_row(f"[{STATUS_STYLE.get(r.severity, '')}]{r.severity}[/]", r.code, where, r.message)
        out.print(e)
        if len(f) > 200:
            out.print(f"... and {len(f) - 200} more findings: see the Exceptions sheet or use --json.")
    if written is not None:
        out.print(wrote_sentence(written, book))


@app.command()
def new(book: Path = typer.Argument(..., help="Where to write the empty workbook.")):
    """Write an empty workbook with every input table, ready to fill in."""
    from massbal.books.template import write_template
    if book.exists():
        fail(f"{book} already exists; massbal new never overwrites a workbook")
    write_template(book)
    out.print(str(book))


@app.command()
def demo(directory: Path = typer.Argument(Path("."), help="Folder for massbal_demo.xlsx.")):
    """Write a realistic example workbook (a year of an organic snack brand) and reconcile it."""
    from massbal.books.demo import write_demo
    from massbal.engine.api import reconcile as run
    directory.mkdir(parents=True, exist_ok=True)
    path = write_demo(directory)
    rec = run(load_raw(path))
    write_into(path, rec)
    out.print(f"{path}: {len(rec.balances)} balances, {len(rec.supply)} supply rows, {len(rec.yields)} runs, "
              f"{len(rec.findings)} findings. Open it in Excel and look at the Exceptions sheet.")


@app.command()
def undo(book: Path = typer.Argument(..., help="The workbook to restore.")):
    """Put back the workbook as it was before the last massbal write."""
    from massbal.xlsx.write.safe_save import undo as restore
    try:
        restored = restore(str(book))
    except Exception as e:  # no backup, locked, read-only
        fail(first_line(e))
    out.print(f"Restored {book} from {restored}.")


@app.command()
def version():
    """Print massbal's version."""
    out.print(__version__)


def _register_optional() -> None:
    """Faces that live in their own modules add their commands here."""
    for mod in ("massbal.cli.inspector", "massbal.cli.addin"):
        try:
            module = __import__(mod, fromlist=["register"])
        except ModuleNotFoundError as e:
            if e.name != mod:  # the module is there but something it needs is not
                raise
            continue
        module.register(app)


_register_optional()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
