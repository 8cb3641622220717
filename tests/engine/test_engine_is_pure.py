"""The engine, the sheet layouts and the coordinate helpers must run inside xlwings Lite
(Pyodide): no Excel and no file-format library on their import path."""
import subprocess
import sys
from pathlib import Path

import pytest

FORBIDDEN = ("xlwings", "fastexcel", "python_calamine", "openpyxl", "xlsxwriter", "lxml", "defusedxml",
             "typer", "rich", "massbal.xlsx", "massbal.inspector", "massbal.excel", "massbal.cli", "massbal.books")
PURE = ("massbal.engine.api", "massbal.engine.result", "massbal.layout.sheets", "massbal.layout.notes",
        "massbal.layout.trace_sheets", "massbal.layout.trace_tables", "massbal.xlref")


@pytest.mark.parametrize("module", PURE)
def test_imports_no_file_or_excel_library(module):
    src = Path(__file__).resolve().parents[2] / "src"
    code = (f"import sys; sys.path.insert(0, {str(src)!r}); import {module}; "
            "print('\\n'.join(sorted(sys.modules)))")
    mods = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    loaded = [m for m in mods if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]
    assert loaded == []
    assert module in mods  # the check ran on a real import
