"""read_book's first half: the checks and calamine's opening of the workbook, which import
neither pandas nor numpy, so a reading thread can run them while its caller imports those
(cli.console.start_reading, issue 15). read_book.read_opened does the rest.
"""
from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import fastexcel

from massbal.engine.schema import TABLES, table_key

from .calamine_view import readable_by_calamine
from .errors import BookReadError
from .package import MAX_TOTAL_BYTES, Package
from .read_once import BookBytes, check_inflated_sizes, read_once
from .sniff import check_file
from .workbook import WorkbookInfo, read_workbook_info


@dataclass
class Opened:
    """A workbook checked and open: its bytes, its package map and calamine's reader.
    Closed by read_opened (the package and any temporary copy for calamine)."""

    path: Path
    book: BookBytes
    pkg: Package
    info: WorkbookInfo
    closing: ExitStack
    reader: fastexcel.ExcelReader | None = None
    # what calamine opened (the bytes, or a copy it can read): a second reader opens it too
    source: bytes | Path | None = field(default=None, repr=False)
    # why calamine could not open it: said only if a sheet is to be read (read_opened), where
    # it was said before calamine was opened this early
    refused: BaseException | None = field(default=None, repr=False)


def open_book(path: Path) -> Opened:
    """check_file, the one read of the bytes, the zip-bomb check of every part calamine may
    inflate, then calamine's reader (of a worksheets-only copy where it would refuse the
    workbook). Errors as read_book's (plainly)."""
    check_file(path)
    book = read_once(path)  # every part below comes from these bytes (one open handle)
    closing = ExitStack()
    try:
        pkg = closing.enter_context(Package(path, book.data))
        info = read_workbook_info(pkg)  # small parts, read no further than their declared size
        # calamine inflates the input sheets whole, trusting the declared sizes: check those
        # and every other part it may read; sheets that cannot hold an input table (massbal's
        # own Ledger, say) are never inflated whole
        names = {table_key(n) for n in TABLES}
        inputs = {t.sheet for t in info.tables if table_key(t.name) in names} | \
            {s.name for s in info.sheets if table_key(s.name) in names}
        others = frozenset(s.part.casefold() for s in info.sheets if s.part and s.name not in inputs)
        check_inflated_sizes(pkg.zip, book.data, path.name, MAX_TOTAL_BYTES, skip=others)
        opened = Opened(path, book, pkg, info, closing)
        try:
            # macro or dialog sheets, a sheet pointing nowhere: calamine reads a worksheets-only copy
            source = closing.enter_context(readable_by_calamine(path.name, book.data, info, pkg))
            opened.reader = open_reader(source, path.name)
            opened.source = source
        except Exception as e:  # (said by read_opened when there is a sheet to read)
            opened.refused = e
        return opened
    except BaseException:
        closing.close()
        raise


def open_reader(path: Path | bytes, book: str) -> fastexcel.ExcelReader:
    try:
        return fastexcel.read_excel(path)
    except fastexcel.FastExcelError as exc:
        line = (str(exc).strip().splitlines() or [""])[0]
        raise BookReadError(f"{book} cannot be read ({line})") from None


def plainly(path: Path, read: Callable):
    """read(), any failure one BookReadError line (the contract: never a traceback)."""
    try:
        return read()
    except BookReadError:
        raise
    except MemoryError:
        raise BookReadError(f"{path.name} is too large to read in this computer's memory") from None
    except RecursionError:
        raise BookReadError(f"{path.name} is too deeply nested to read (damaged file?)") from None
    except Exception as exc:  # the contract: one plain line, never a traceback
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        raise BookReadError(f"{path.name} cannot be read ({type(exc).__name__}: {first})") from exc
