"""Issue 9, item 12: the cover asks for an `Operation` setting: the Settings dropdown of the
template offers it and README names it."""
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parents[2]


def test_settings_dropdown_offers_operation():
    wb = openpyxl.load_workbook(ROOT / "workbook_template" / "massbal_template.xlsx")
    ws = wb["Settings"]
    lists = [dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list" and "A2" in dv.sqref]
    assert lists == ['"Operation,Unit,Tolerance %"']


def test_readme_documents_operation():
    readme = (ROOT / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| Settings |"))
    assert "`Operation`" in row and "`Unit`" in row
