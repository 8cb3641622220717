"""Run an xlwings Lite script of addin/lite/main.py the way Lite does: xlwings' own
custom-script call path, the workbook as the Office.js client sends it."""
from __future__ import annotations

import asyncio
import copy
import importlib.util
from pathlib import Path

import xlwings as xw
from replay import Workbook
from xlwings.pro.udfs_officejs import custom_scripts_call

from massbal.excel import cache as C

MAIN = Path(__file__).resolve().parents[2] / "addin" / "lite" / "main.py"


def load_main():
    spec = importlib.util.spec_from_file_location("massbal_lite_main", MAIN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_script(main, name: str, book: xw.Book):
    return asyncio.run(custom_scripts_call(main, name, typehint_to_value={xw.Book: book}))


def replayed(main, name: str, payload: dict, *, fresh: bool = True) -> Workbook:
    """The workbook after the script: the payload with the script's actions applied."""
    if fresh:
        C.CACHE.clear()
    book = xw.Book(json=copy.deepcopy(payload))  # the remote engine updates its payload as it goes
    run_script(main, name, book)
    return Workbook(payload).apply(book.json()["actions"])
