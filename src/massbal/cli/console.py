"""What every command of the CLI shares: its two consoles and its plain-sentence exits."""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console

# piped into a file or another program, tables keep their columns whole (unless COLUMNS says)
out = Console(highlight=False, width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def plain(value) -> str:
    """A user's text (item, lot, customer, message) for rich output: shown as typed, never
    read as markup ('Oats [organic]' stays whole, 'Oats [/i]' does not crash the table)."""
    from rich.markup import escape
    return "" if value is None else escape(str(value))


def _flags_take_no_value() -> None:
    """typer prints `<bool>` beside every flag in --help (--json <bool>), as if it took a
    value: a flag's type column stays empty."""
    try:
        from typer.core import TyperOption
    except ImportError:
        return
    shown = getattr(TyperOption, "display_type_rich", None)
    if shown is None or getattr(shown, "massbal", False):
        return

    def display_type_rich(self, ctx):
        return None if getattr(self, "is_flag", False) else shown(self, ctx)
    display_type_rich.massbal = True
    TyperOption.display_type_rich = display_type_rich


_flags_take_no_value()


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
    from massbal.unit_cache import use_cached_registry
    from massbal.xlsx.read.read_book import BookReadError, read_book
    use_cached_registry()  # every command that reads a book then asks the engine
    try:
        return read_book(book)
    except BookReadError as e:
        fail(str(e))


def start_reading(book: Path):
    """Start load_raw(book) on a second thread and return, once calamine starts on the
    sheets, the function that waits for the read and gives load_raw's result, or its same
    one-line exit.

    The caller imports meanwhile what runs after the read (the engine with pint's registry,
    the writer): calamine parses the sheets without holding Python's lock, so where a core
    is free those imports cost no time (issue 15). Not before calamine starts: until then
    the read lets go of the lock for many short spells (calamine's opening and the zip-bomb
    check's pieces) and, each time, waits for it back up to Python's switch interval (5 ms) while
    the other thread imports: imports then delayed the read by as much as they took. The
    one exception: read_book's own modules (pandas) are imported while the thread runs the
    checks and calamine's opening (opening.py, which imports nothing then: its modules are
    imported here before the thread starts, so the two threads never import one module
    graph at once); the bomb check inflates in big pieces for that reason (read_once.py)."""
    import threading

    from massbal.xlsx.read.heap import keep_freed_memory, one_arena
    from massbal.xlsx.read.opening import open_book, plainly
    got: dict = {}
    one_arena()  # the threads' frees reused by the rest of the run (heap.py)
    keep_freed_memory()  # and not handed back to the system, to be faulted in again
    parsing = threading.Event()
    imported = threading.Event()

    def read() -> None:
        try:
            # the checks and calamine's opening need no pandas (opening.py): they run while
            # this thread's caller imports read_book's own modules (pandas)
            opened = plainly(book, lambda: open_book(book))
            imported.wait()
            got["raw"] = read_opened(opened, parsing.set)
        except BaseException as e:  # raised again in the caller's thread, as load_raw would
            got["error"] = e
        finally:
            parsing.set()  # a read that ended early (unreadable, no sheet to load)

    # a daemon: an interrupted run (Ctrl-C) ends without waiting for calamine to finish
    thread = threading.Thread(target=read, name="massbal-read", daemon=True)
    thread.start()
    try:
        from massbal.xlsx.read.read_book import BookReadError, read_opened
    finally:
        imported.set()
    parsing.wait()

    def result():
        thread.join()
        error = got.pop("error", None)
        if isinstance(error, BookReadError):
            fail(str(error))
        if error is not None:
            raise error
        return got.pop("raw")
    return result


def write_sheets_into(book: Path, specs, raw=None, *, action: str | None = None, **log):
    """The one way the CLI writes into a workbook (reconcile, trace, recall, close, reopen):
    massbal's package writer with the Change log appended (CONTRACT section 8), the file
    untouched on any failure (locked, read-only, changed since it was read, damaged).
    Everything the writer had to do differently from the plain case (a sheet written beside
    the user's own of that name, notes moved to Orphaned notes, a Totals row switched off,
    a signature broken) is said on standard error. `log`: logged_write's before, kept,
    current, unit, record. specs: the sheets, or with `action` a function that makes them
    (logged_write makes them first, and the Change log's record once they are planned)."""
    from massbal.xlsx.write.change_log import logged_write
    specs = specs if callable(specs) else list(specs)
    try:
        rep = logged_write(book, specs, raw, action or " and ".join(s.name for s in specs), **log)
    except Exception as e:
        fail(f"{book.name} was not changed: {first_line(e)}")
    for w in rep.warnings:
        err.print(w, markup=False)
    return rep


@contextmanager
def stages(show: bool):
    """A progress display on standard error, one line per stage, for long runs (every
    command that can take more than a second). Off when standard error is not a terminal."""
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
            progress.refresh()  # every stage is shown, however quick
        yield stage


def wrote_sentence(rep, book: Path) -> str:
    """'Wrote Balance (massbal), Supply, ... into BOOK.': the sheets as they are named in
    the workbook, so a user finds each one."""
    from massbal.layout.closing import STATE_SHEET
    from massbal.layout.notes import ORPHANS_SHEET
    # the hidden state sheet is not one a user can find: never named
    names = [s.sheet for s in rep.sheets if s.output not in (ORPHANS_SHEET, STATE_SHEET)]
    listed = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else "".join(names)
    return f"Wrote {listed} into {book}."


def print_with_path(console: Console, sentence: str, path: str) -> None:
    """A sentence wrapped at words like every other line, the path in it never broken: on
    a line of its own when it is longer than the terminal (a path broken in two cannot be
    copied)."""
    before, found, after = sentence.partition(path)
    if not found or len(path) < console.width:
        console.print(sentence, markup=False)
        return
    if before.strip():
        console.print(before.rstrip(), markup=False)
    stuck = after[:1] if after[:1] in ".:," else ""   # the punctuation that ends the path's phrase
    console.print(path + stuck, markup=False, soft_wrap=True)
    if after[len(stuck):].strip():
        console.print(after[len(stuck):].strip(), markup=False)
