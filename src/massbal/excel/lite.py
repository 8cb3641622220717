"""The glue between xlwings Lite's functions and scripts and the shared function layer.

A Lite custom function receives its arguments and nothing else: it cannot read the
workbook. So the figures come from the ledger the Lite scripts cached (cache.CACHE,
keyed by the workbook's name), and the cache is checked against the workbook through a
script: the first function call of a recalculation returns its figure together with a
request (xw.WithScript) to run `massbal_check`. That script reads the input tables,
and when their fingerprint differs from the cached one it rebuilds the ledger and asks
Excel to recalculate, so every function shows the new figures a moment later. Before
the first check of a session the functions say that the ledger is loading instead of
showing a number.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import xlwings as xw

# xlwings.server holds Lite's decorators whatever XLWINGS_ON_SERVER says, so these
# functions behave the same in Lite and in the tests that run them through xlwings.
from xlwings.server import Caller, arg, func, script

from . import actions
from . import cache as C
from . import figures as F
from .adapter import read_raw_book

CHECK_SCRIPT = "massbal_check"
LOADING = "Loading the ledger..."

_lock = threading.Lock()
_check_pending: dict[str, bool] = {}


def figure(name: str, item: Any, start: Any, end: Any, owner: Any, book_name: str) -> Any:
    """The value a Lite function returns: a figure, a sentence, or either with a check."""
    return _answer(book_name, lambda entry: F.figure_value(entry, F.FIGURES_BY_CLASSIC[name], item, start, end, owner))


def herd_figure(name: str, herd: Any, when: Any, book_name: str) -> Any:
    """MASSBAL.HEAD / MASSBAL.DMI in Lite, as `figure` answers the others."""
    return _answer(book_name, lambda entry: F.herd_value(entry, name, herd, when))


def _answer(book_name: str, value_of: Callable) -> Any:
    entry = C.CACHE.peek(book_name)
    with _lock:
        ask = not _check_pending.get(book_name, False)
        _check_pending[book_name] = True
    if entry is None:
        return xw.WithScript(LOADING, CHECK_SCRIPT) if ask else LOADING
    try:
        value = value_of(entry)
    except F.FigureError as e:
        value = str(e)
    return xw.WithScript(value, CHECK_SCRIPT) if ask else value


def check(book) -> bool:
    """Bring the cache in line with the workbook; True when the figures changed."""
    key = book.name
    before = C.CACHE.peek(key)
    entry = C.CACHE.store(key, read_raw_book(book))
    with _lock:
        _check_pending[key] = False
    changed = before is None or before.fingerprint != entry.fingerprint
    if changed:
        book.app.calculate()  # the functions are volatile: they read the new ledger
    return changed


def reset() -> None:
    with _lock:
        _check_pending.clear()


# ---------------------------------------------------------------- what main.py exposes

def _function(fig: F.Figure) -> Callable:
    """The Lite worksheet function of one figure, volatile (Excel cannot see that it
    depends on the input tables)."""
    def function(item, start_date=None, end_date=None, owner=None, caller: Caller = None):
        return figure(fig.classic, item, start_date, end_date, owner, caller.book_name)

    function.__name__ = function.__qualname__ = fig.lite.lower().replace(".", "_")
    function.__doc__ = fig.doc
    for name in F.ARGS:
        function = arg(name, doc=F.arg_doc(fig, name))(function)
    return func(name=fig.lite, volatile=True)(function)


def _herd_functions() -> list[Callable]:
    """MASSBAL.HEAD(herd, on_date) and MASSBAL.DMI(herd, year), volatile like the others."""
    head, dmi = F.HERD_FIGURES

    def massbal_head(herd, on_date=None, caller: Caller = None):
        return herd_figure(head.classic, herd, on_date, caller.book_name)

    def massbal_dmi(herd, year=None, caller: Caller = None):
        return herd_figure(dmi.classic, herd, year, caller.book_name)

    out = []
    for fig, function in ((head, massbal_head), (dmi, massbal_dmi)):
        function.__doc__ = fig.doc
        for name, doc in zip(fig.args, fig.arg_docs, strict=True):
            function = arg(name, doc=doc)(function)
        out.append(func(name=fig.lite, volatile=True)(function))
    return out


def _button(title: str, action: Callable, doc: str) -> Callable:
    """A Lite script that runs one of the Mass Balance buttons on the open workbook."""
    def button(book: xw.Book):
        actions.run_for_user(book, action)

    button.__name__ = button.__qualname__ = title.lower().replace(" ", "_")
    button.__doc__ = doc
    return script(name=title)(button)


def massbal_check(book: xw.Book):
    """Run by the MASSBAL functions themselves: refresh their ledger when the tables changed."""
    check(book)


BUTTONS = (
    ("Reconcile", actions.reconcile,
     "Balance every item, check supply, yields and lots; write the five result sheets."),
    ("Validate lots", actions.validate_lots, "List every problem in the input sheets on the Exceptions sheet."),
    ("Trace lot", actions.trace_selected_lot,
     "Trace the lot in the selected cell back to its receipts and forward to its customers."),
    ("Export for inspector", actions.export_for_inspector,
     "The inspector's copy is a file: made by the desktop add-in or 'massbal export'."),
    ("New workbook", actions.add_input_tables, "Add every missing input table to this workbook, ready to fill in."),
    ("Close period", actions.close_period,
     "Close every period up to the date in the selected cell: later changes to its rows are errors."),
    ("Reopen", actions.reopen_period,
     "Reopen the closed periods; the selected cell holds the reason, kept in the Change log."),
)


def main_module_names() -> dict[str, Callable]:
    """Every function and script of xlwings Lite's main.py, by its Python name."""
    out = {f.__name__: f for f in [_function(fig) for fig in F.FIGURES] + _herd_functions()}
    out.update({b.__name__: b for b in (_button(*spec) for spec in BUTTONS)})
    out[CHECK_SCRIPT] = script(name=CHECK_SCRIPT)(massbal_check)
    return out
