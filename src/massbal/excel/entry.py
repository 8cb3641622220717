"""The ribbon's entry points, run by xlwings' RunPython from the Mass Balance add-in.

Thin on purpose: each finds the calling workbook and hands it to massbal.excel.actions,
where the work happens with the book as a parameter (and where xlwings Lite's scripts
call the same code). Arguments typed by the user arrive as UTF-16 hex digits from the
VBA (MassbalRibbon.HexArgument), so no character can break the command line.
"""
from __future__ import annotations

import xlwings as xw

from massbal.unit_cache import use_cached_registry

from . import actions

use_cached_registry()  # this process's pint registry from the definitions kept parsed (unit_cache.py)


def decode_argument(hex_text: str = "") -> str:
    if not hex_text:
        return ""
    return bytes.fromhex(hex_text).decode("utf-16-be")


def _run(action, *args) -> None:
    book = xw.Book.caller()
    actions.run_for_user(book, action, *args)


def reconcile(argument: str = "") -> None:
    _run(actions.reconcile)


def validate_lots(argument: str = "") -> None:
    _run(actions.validate_lots)


def trace_lot(argument: str = "") -> None:
    _run(actions.trace_lot, decode_argument(argument))


def export_for_inspector(argument: str = "") -> None:
    _run(actions.export_for_inspector)


def close_period(argument: str = "") -> None:
    _run(actions.close_period, decode_argument(argument))


def reopen_period(argument: str = "") -> None:
    # "date<newline>reason", as MassbalReopen sends them
    day, _, reason = decode_argument(argument).partition("\n")
    _run(actions.reopen_period, day, reason)


def new_workbook(argument: str = "") -> None:
    actions.run_for_user(xw.apps.active, actions.new_workbook)
