"""xlwings Lite: addin/lite/main.py exercised through xlwings' own custom-function and
custom-script call paths, with request payloads shaped like the Office.js client's."""
from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
import xlwings as xw
from books import granola_tables
from lite_run import replayed, run_script
from openpyxl.utils import get_column_letter as sheet_col
from payload import payload_from_xlsx, write_book
from xlwings import CustomFunctionResult
from xlwings.pro.caller import Caller, caller_from_address
from xlwings.pro.udfs_officejs import custom_functions_call, custom_functions_meta

from massbal.engine.api import reconcile
from massbal.engine.schema import book_specs
from massbal.excel import figures as F
from massbal.excel import lite
from massbal.excel.adapter import read_raw_book

TABLES = {t.name: t for t in book_specs()}  # a handler's book: no farm tables

MAIN = Path(__file__).resolve().parents[2] / "addin" / "lite" / "main.py"


@pytest.fixture()
def xlsx(tmp_path):
    return write_book(tmp_path / "Granola.xlsx", granola_tables(), plain=("Counts",))


def call_function(main, func_name, args, book_name="Granola.xlsx"):
    address = f"[{book_name}]Sheet1!B7"
    data = {"func_name": func_name, "args": args, "caller_address": address,
            "version": xw.__version__, "client": "Office.js", "culture_info_name": "en-US",
            "date_format": "M/d/yyyy", "runtime": "1.4"}
    return asyncio.run(custom_functions_call(data, main, typehint_to_value={Caller: caller_from_address(address)}))


def test_function_metadata_names(main):
    meta = custom_functions_meta(main)
    names = {f["name"] for f in meta["functions"]}
    assert names == {f.lite for f in F.FIGURES} | {f.lite for f in F.HERD_FIGURES}
    massbal = next(f for f in meta["functions"] if f["name"] == "MASSBAL")
    assert [p["name"] for p in massbal["parameters"]] == ["item", "start_date", "end_date", "owner"]
    assert massbal["options"]["volatile"] is True
    assert massbal["parameters"][1]["description"].startswith("First day")


def test_functions_load_then_match_the_balance_sheet(main, xlsx):
    book = xw.Book(json=payload_from_xlsx(xlsx))
    args = [[["Oats"]], [[45962]], [[45991]], [[None]]]  # dates arrive as serials
    first = call_function(main, "massbal", args)
    assert isinstance(first, CustomFunctionResult)
    assert first.value == [[lite.LOADING]]
    assert first.script["script_name"] == "massbal_check"
    # the requested script runs (with the book), fills the cache and asks Excel to recalculate
    run_script(main, "massbal_check", book)
    assert any(a["func"] == "calculate" for a in book.json()["actions"])
    rec = reconcile(read_raw_book(book))
    row = rec.balances[(rec.balances["item"] == "Oats") & (rec.balances["start"] == "2025-11-01")].iloc[0]
    again = call_function(main, "massbal", args)  # first call of the recalculation: checks again
    assert isinstance(again, CustomFunctionResult) and again.value == [[row["expected_ending"]]]
    plain = call_function(main, "massbal_variance", [[["Oats"]], [["2025-11-01"]], [["2025-11-30"]], [[None]]])
    assert plain == [[row["variance"]]]
    status = call_function(main, "massbal_status", [[["Oats"]], [["2025-11-01"]], [["2025-11-30"]], [[None]]])
    assert status == [[row["status"]]]


def test_check_without_change_does_not_recalculate(main, xlsx):
    book = xw.Book(json=payload_from_xlsx(xlsx))
    run_script(main, "massbal_check", book)
    book2 = xw.Book(json=payload_from_xlsx(xlsx))
    run_script(main, "massbal_check", book2)
    assert not any(a["func"] == "calculate" for a in book2.json()["actions"])


def test_reconcile_script_writes_the_balance_table(main, xlsx):
    pytest.importorskip("massbal.layout.sheets")
    from massbal.layout.sheets import result_sheets
    book = xw.Book(json=payload_from_xlsx(xlsx))
    run_script(main, "reconcile", book)
    actions = book.json()["actions"]
    tables = [a for a in actions if a["func"] == "addTable"]
    assert {a["args"][-1] for a in tables} >= {"Balance", "Supply", "Yield", "Exceptions", "Ledger"}
    # the Balance table's cells, as Excel would get them, are the Balance sheet spec's
    sheet_pos = next(a["args"][0] for a in actions if a["func"] == "addSheet" and a["args"][1] == "Balance")
    written = next(a for a in actions if a["func"] == "setValues" and a["sheet_position"] == sheet_pos)
    spec = next(s for s in result_sheets(reconcile(read_raw_book(xw.Book(json=payload_from_xlsx(xlsx)))))
                if s.name == "Balance")
    assert written["values"][0][:len(spec.headers)] == list(spec.headers)
    assert len(written["values"]) == spec.nrows + 1
    items = [r[0] for r in written["values"][1:]]
    assert items == list(spec.data["Item"])
    # and the functions now answer from the ledger the sheet came from, without loading
    got = call_function(main, "massbal", [[["Oats"]], [["2025-11-01"]], [["2025-11-30"]], [[None]]])
    assert isinstance(got, CustomFunctionResult) and got.value != [[lite.LOADING]]


def test_new_workbook_adds_missing_tables(main, tmp_path):
    path = write_book(tmp_path / "Start.xlsx", {"Items": [{"Item": "Oats"}]})
    excel = replayed(main, "new_workbook", payload_from_xlsx(path))
    added = [s.name for s in excel.sheets[1:]]
    assert added == [t for t in TABLES if t != "Items"]
    for name in added:  # each an empty Excel Table with the table's headers
        sheet = excel.sheet(name)
        headers = [c.name for c in TABLES[name].columns]
        assert [sheet.values.get((1, c)) for c in range(1, len(headers) + 1)] == headers
        assert sheet.tables == {name: f"A1:{sheet_col(len(headers))}2"}
    assert excel.sheet("Items").values[(2, 1)] == "Oats"
    assert excel.alerts == ["Added the input tables: " + ", ".join(added) + "."]


def test_export_in_lite_says_where_to_make_it(main, tmp_path):
    path = write_book(tmp_path / "Start.xlsx", {"Items": [{"Item": "Oats"}]})
    excel = replayed(main, "export_for_inspector", payload_from_xlsx(path))
    assert len(excel.alerts) == 1 and "xlwings Lite cannot write files" in excel.alerts[0]
    assert "massbal export" in excel.alerts[0]
    assert [s.name for s in excel.sheets] == ["Items"]  # nothing written


def test_lite_import_path_is_pure_python():
    # xlwings Lite installs pure-Python wheels only: the code main.py pulls in must not
    # import compiled file-format libraries.
    code = ("import os, sys; os.environ['XLWINGS_LICENSE_KEY']='noncommercial'\n"
            f"sys.path.insert(0, {str(MAIN.parent)!r})\n"
            "import pandas, numpy, pint, pydantic, xlwings, xlwings.server\n"
            "before = set(sys.modules)\n"
            "import main\n"
            "new = set(sys.modules) - before\n"
            "bad = [m for m in ('pyarrow', 'fastexcel', 'python_calamine', 'xlsxwriter', 'openpyxl', 'lxml',"
            " 'defusedxml', 'typer', 'zipfile') if m in new]\n"
            "print(','.join(bad))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**__import__('os').environ, "PYTHONPATH": str(Path(F.__file__).parents[2])})
    assert done.returncode == 0, done.stderr[-1500:]
    assert done.stdout.strip() == ""
