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


def write_specs(book: Path, specs) -> None:
    """Sheets into the workbook through massbal's package writer; the file stays untouched
    on any failure (locked, read-only, changed meanwhile, damaged)."""
    from massbal.xlsx.write.write_results import write_sheets
    try:
        rep = write_sheets(str(book), list(specs))
    except Exception as e:
        fail(f"{book.name} was not changed: {first_line(e)}")
    for w in rep.warnings:
        err.print(w, markup=False)
    return rep
