"""The `massbal` command line (CONTRACT section 4): a thin face over the engine."""
from __future__ import annotations

import sys
from pathlib import Path

import typer

from massbal import __version__

from .console import err, fail, first_line, load_raw, out, parse_day, print_with_path, stages, start_reading, write_sheets_into, wrote_sentence

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Organic mass balance and lot traceability for Excel workbooks.")


@app.command()
def reconcile(
    book: Path = typer.Argument(..., help="The workbook (.xlsx or .xlsm)."),
    date_from: str | None = typer.Option(None, "--from", metavar="DATE", help="First day (YYYY-MM-DD)."),
    date_to: str | None = typer.Option(None, "--to", metavar="DATE", help="Last day (YYYY-MM-DD)."),
    item: str | None = typer.Option(None, "--item", metavar="NAME", help="Only this item (or ingredient)."),
    period: str | None = typer.Option(None, "--period", metavar="PERIOD", help="month, quarter, year or all."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Compute, but do not write the workbook."),
    everything: bool = typer.Option(False, "--all", help="Print every balance, supply row and finding, not "
                                                         "only those that need attention."),
):
    """Compute every balance, check every lot link, and write the result sheets into BOOK."""
    if period is not None and period not in ("month", "quarter", "year", "all"):
        fail(f"--period must be month, quarter, year or all, not {period!r}")
    start, end = parse_day(date_from, "--from"), parse_day(date_to, "--to")
    show = sys.stderr.isatty() and not as_json
    with stages(show) as stage:
        stage("Reading workbook")
        read = start_reading(book)
        # imported while the sheets are read (start_reading); the write's when it will write
        from massbal.engine.api import prepare, reconcile_prepared
        from massbal.unit_cache import use_cached_registry
        from massbal.xlsx.read.heap import hand_back_freed_memory
        from massbal.xlsx.write import change_log  # noqa: F401  (closing_review, the write)
        if not dry_run:
            from massbal.layout import sheets  # noqa: F401  (write_into)
        use_cached_registry()  # pint's definitions loaded, as kept parsed (unit_cache.py)
        raw = read()
        stage("Reconciling")
        try:
            rec = reconcile_prepared(prepare(raw), start, end, item, period)
        except ValueError as e:  # a period that ends before it starts, a report unit ...
            fail(str(e))
        rec, kept, current = closing_review(book, raw, rec)
        written = None
        if not dry_run:
            stage("Writing result sheets")
            hand_back_freed_memory()  # what the engine freed (heap.py), before the write's own
            written = write_into(book, rec, raw, kept, current)
    # the workbook as read and its old state are not needed past the write: let go before
    # the JSON (the largest text built here) so both are never held at once (issue 15)
    del raw, kept, current
    if as_json:
        sys.stdout.write(rec.to_json())   # not concatenated: a 980k book's JSON is ~57 MB
        sys.stdout.write("\n")
    else:
        show_reconciliation(rec, book, written, everything)
    raise typer.Exit(1 if rec.needs_attention else 0)  # CONTRACT section 4's exit status


def closing_review(book: Path, raw, rec):
    """The closed periods' findings and the Balance's As closed (CONTRACT section 8)."""
    from massbal.xlsx.write.change_log import review
    try:
        return review(book, raw, rec)
    except Exception as e:  # massbal's hidden state unreadable: say so, never guess
        fail(f"{book.name}: the Change log or closed periods cannot be read ({first_line(e)})")


def write_into(book: Path, rec, raw=None, kept=None, current=None):
    """The result sheets and the Change log, in one write (the Change log's record made
    while the Ledger is made on the second core: logged_write)."""
    from massbal.layout.sheets import written_sheets
    return write_sheets_into(book, lambda: written_sheets(rec), raw, action="Reconcile", kept=kept, unit=rec.unit,
                             current=current)


def show_reconciliation(rec, book: Path, written, everything: bool = False) -> None:
    from .reconcile_report import show_reconciliation as show
    show(out, rec, everything=everything, written=None if written is None else wrote_sentence(written, book),
         book=str(book))


@app.command()
def new(book: Path = typer.Argument(..., help="Where to write the empty workbook."),
        farm: bool = typer.Option(False, "--farm", help="Add the farm tables (Fields, Harvests, FarmUse, ...).")):
    """Write an empty workbook with every input table, ready to fill in."""
    from massbal.books.template import write_template
    if book.exists():
        fail(f"{book} already exists; massbal new never overwrites a workbook")
    write_template(book, farm=farm)
    out.print(str(book), markup=False, soft_wrap=True)


@app.command()
def demo(directory: Path = typer.Argument(Path("."), help="Folder for massbal_demo.xlsx (massbal_farm_demo.xlsx)."),
         force: bool = typer.Option(False, "--force", help="Replace an existing demo workbook (the old one is "
                                                           "kept beside it as .old.xlsx)."),
         farm: bool = typer.Option(False, "--farm", help="A year of a mixed organic grain and dairy farm instead.")):
    """Write a realistic example workbook (a year of an organic snack brand, or with --farm of a grain and dairy farm) and reconcile it."""
    from massbal.books.demo import DEMO_FILE, set_aside, write_demo
    from massbal.books.gen.farm import FARM_DEMO_SPAN, FARM_FILE, write_farm_demo
    from massbal.engine.api import reconcile as run
    from massbal.unit_cache import use_cached_registry
    use_cached_registry()  # before the demo's own flows ask pint (books/gen/flow.py)
    target = directory / (FARM_FILE if farm else DEMO_FILE)
    if target.exists() and not force:  # it may hold the user's edits: never overwritten unasked
        fail(f"{target} already exists (you may have edited it); massbal demo never overwrites it. "
             f"Use --force to write a fresh one (the old one is kept as {target.stem}.old.xlsx).")
    with stages(sys.stderr.isatty()) as stage:
        directory.mkdir(parents=True, exist_ok=True)
        kept = set_aside(target) if target.exists() else None
        stage("Writing the demo workbook")
        path = write_farm_demo(directory) if farm else write_demo(directory)
        stage("Reading it back")
        raw = load_raw(path)
        stage("Reconciling")
        # a farm balances its year (the NOP's crop instruction: at least yearly)
        rec = run(raw, *FARM_DEMO_SPAN, period="year") if farm else run(raw)
        stage("Writing result sheets")
        write_into(path, rec, raw)
    if kept is not None:
        err.print(f"The previous {target.name} is kept as {kept}.", markup=False)
    print_with_path(out, f"{path}: {len(rec.balances)} balances, {len(rec.supply)} supply rows, "
                         f"{len(rec.yields)} runs, {len(rec.findings)} findings. Open it in Excel and look at the "
                         "Exceptions sheet.", str(path))


@app.command()
def undo(book: Path = typer.Argument(..., help="The workbook to restore.")):
    """Put back the workbook as it was before the last massbal write."""
    from massbal.xlsx.write.safe_save import undo as restore
    try:
        restored = restore(str(book))
    except Exception as e:  # no backup, locked, read-only
        fail(first_line(e))
    out.print(f"Restored {book} from {restored}.", markup=False)


@app.command()
def version():
    """Print massbal's version."""
    out.print(__version__)


def _register_optional() -> None:
    """Faces that live in their own modules add their commands here."""
    for mod in ("massbal.cli.inspector", "massbal.cli.addin", "massbal.cli.closing"):
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
