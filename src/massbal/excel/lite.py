"""The glue between xlwings Lite's functions and scripts and the shared function layer.

A Lite custom function receives its arguments and nothing else: it cannot read the
workbook. So the figures come from the ledger the Lite scripts cached (functions.CACHE,
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
from typing import Any

import xlwings as xw

from . import functions as F
from .book_adapter import read_raw_book

CHECK_SCRIPT = "massbal_check"
LOADING = "Loading the ledger..."

_lock = threading.Lock()
_check_pending: dict[str, bool] = {}


def figure(name: str, item: Any, start: Any, end: Any, owner: Any, book_name: str) -> Any:
    """The value a Lite function returns: a figure, a sentence, or either with a check."""
    entry = F.CACHE.peek(book_name)
    with _lock:
        ask = not _check_pending.get(book_name, False)
        _check_pending[book_name] = True
    if entry is None:
        return xw.WithScript(LOADING, CHECK_SCRIPT) if ask else LOADING
    try:
        value = F.figure_value(entry, F.FIGURES_BY_CLASSIC[name], item, start, end, owner)
    except F.FigureError as e:
        value = str(e)
    return xw.WithScript(value, CHECK_SCRIPT) if ask else value


def check(book) -> bool:
    """Bring the cache in line with the workbook; True when the figures changed."""
    key = book.name
    before = F.CACHE.peek(key)
    entry = F.CACHE.store(key, read_raw_book(book))
    with _lock:
        _check_pending[key] = False
    changed = before is None or before.fingerprint != entry.fingerprint
    if changed:
        book.app.calculate()  # the functions are volatile: they read the new ledger
    return changed


def reset() -> None:
    with _lock:
        _check_pending.clear()
