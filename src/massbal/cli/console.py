"""What every command of the CLI shares: its two consoles and its plain-sentence exits."""
from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console

# piped into a file or another program, tables keep their columns whole
out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def fail(reason: str, code: int = 2) -> None:
    """One plain line on standard error, then exit (2: the workbook could not be used)."""
    err.print(f"massbal: {reason}", markup=False)
    raise typer.Exit(code)


def first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def parse_day(text: str | None, flag: str):
    if text is None:
        return None
    from massbal.engine.parse import _date_from_text
    value, problem = _date_from_text(text)
    if value is None:
        fail(f"{flag} {problem}")
    return value


def load_raw(book: Path):
    from massbal.xlsx.read.read_book import BookReadError, read_book
    try:
        return read_book(book)
    except BookReadError as e:
        fail(str(e))


def write_sheets_into(book: Path, specs):
    """The one way the CLI writes into a workbook (reconcile, trace, recall): massbal's
    package writer, the file untouched on any failure (locked, read-only, changed
    meanwhile, damaged). Everything the writer had to do differently from the plain case
    (a sheet written beside the user's own of that name, notes moved to Orphaned notes,
    a Totals row switched off, a signature broken) is said on standard error."""
    from massbal.xlsx.write.write_results import write_sheets
    try:
        rep = write_sheets(str(book), list(specs))
    except Exception as e:
        fail(f"{book.name} was not changed: {first_line(e)}")
    for w in rep.warnings:
        err.print(w, markup=False)
    return rep


def wrote_sentence(rep, book: Path) -> str:
    """'Wrote Balance (massbal), Supply, ... into BOOK.': the sheets as they are named in
    the workbook, so a user finds each one."""
    from massbal.layout.sheets import ORPHANS_SHEET
    names = [s.sheet for s in rep.sheets if s.output != ORPHANS_SHEET]
    listed = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else "".join(names)
    return f"Wrote {listed} into {book}."
