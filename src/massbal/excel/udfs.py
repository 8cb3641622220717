"""Desktop worksheet functions: =MASSBAL(item, start, end, owner) and siblings.

xlwings UDFs (Windows Excel; xlwings has no worksheet functions on macOS desktop, where
xlwings Lite provides them). The .xlam carries the VBA wrappers xlwings generates for this
module (addin/vba/xlwings_udfs.bas, checked against xlwings by a golden test), so every
workbook sees the functions once the add-in is loaded.

The functions are volatile: Excel cannot see that a cell depends on the input tables,
so they run on every recalculation and cache.RecalcEpochs decides when the tables
must be read again.
"""
from __future__ import annotations

from typing import Any

import xlwings as xw

from massbal.unit_cache import use_cached_registry

from . import cache as C
from . import figures as F
from .adapter import read_raw_book

use_cached_registry()  # this process's pint registry from the definitions kept parsed (unit_cache.py)

CATEGORY = "Mass Balance"


def _calculation_is_automatic(book) -> bool:
    try:
        return book.app.calculation == "automatic"
    except Exception:  # an engine that cannot tell: treat as manual, i.e. always re-read
        return False


def figure_for_cell(name: str, item: Any, start: Any, end: Any, owner: Any, caller) -> Any:
    """The figure for the cell `caller` (an xlwings Range); a sentence when there is none."""
    if caller is None:
        return "MASSBAL functions run only in a worksheet cell."
    try:
        book = caller.sheet.book
        key = book.fullname
        token = C.EPOCHS.token(key, (caller.sheet.name, caller.address),
                               _calculation_is_automatic(book))
        value = C.compute(name, key, lambda: read_raw_book(book), item, start, end, owner, token=token)
    except F.FigureError as e:
        return str(e)
    return "" if value is None else value


def _make(fig: F.Figure):
    # start_date/end_date, not start/end: End is a reserved word in VBA, and these
    # names become the VBA wrapper's parameters.
    def udf(item, start_date=None, end_date=None, owner=None, caller=None):
        return figure_for_cell(fig.classic, item, start_date, end_date, owner, caller)

    udf.__name__ = udf.__qualname__ = fig.classic
    udf.__doc__ = fig.doc
    udf.__module__ = __name__
    for arg in F.ARGS:
        udf = xw.arg(arg, doc=F.arg_doc(fig, arg))(udf)
    return xw.func(volatile=True, category=CATEGORY)(udf)


# One module-level name per figure: xlwings finds UDFs by scanning the module.
for _fig in F.FIGURES:
    globals()[_fig.classic] = _make(_fig)
del _fig


def herd_figure_for_cell(name: str, herd: Any, when: Any, caller) -> Any:
    """MASSBAL_HEAD / MASSBAL_DMI for the cell `caller`, as figure_for_cell does."""
    if caller is None:
        return "MASSBAL functions run only in a worksheet cell."
    try:
        book = caller.sheet.book
        key = book.fullname
        token = C.EPOCHS.token(key, (caller.sheet.name, caller.address), _calculation_is_automatic(book))
        value = C.compute_herd(name, key, lambda: read_raw_book(book), herd, when, token=token)
    except F.FigureError as e:
        return str(e)
    return "" if value is None else value


_HEAD, _DMI = F.HERD_FIGURES


@xw.func(volatile=True, category=CATEGORY)
@xw.arg("herd", doc=_HEAD.arg_docs[0])
@xw.arg("on_date", doc=_HEAD.arg_docs[1])
def MASSBAL_HEAD(herd, on_date=None, caller=None):
    return herd_figure_for_cell("MASSBAL_HEAD", herd, on_date, caller)


@xw.func(volatile=True, category=CATEGORY)
@xw.arg("herd", doc=_DMI.arg_docs[0])
@xw.arg("year", doc=_DMI.arg_docs[1])
def MASSBAL_DMI(herd, year=None, caller=None):
    return herd_figure_for_cell("MASSBAL_DMI", herd, year, caller)


MASSBAL_HEAD.__doc__, MASSBAL_DMI.__doc__ = _HEAD.doc, _DMI.doc

__all__ = [f.classic for f in F.FIGURES] + [f.classic for f in F.HERD_FIGURES]
