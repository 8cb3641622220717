"""The inspector's copy of a farm with animals carries the Herd, Feed and Pasture sheets
with Reconcile's figures, and the Herds and Animals rows as typed."""
from __future__ import annotations

import openpyxl
import pandas as pd
from farmkit import animals, fed, herd, write_farm_xlsx

from massbal.inspector.export import export_inspector
from massbal.xlsx.read.read_book import read_book


def test_export_carries_the_livestock_sheets(tmp_path):
    book = write_farm_xlsx(
        tmp_path / "farm.xlsx",
        Items=[{"Item": "Ration", "Kind": "Feed", "Dry matter %": 50}],
        Herds=[herd("Cows", 50, **{"Grazing start": "2025-05-01", "Grazing end": "2025-10-15"})],
        Animals=[animals("2025-04-30", "Cows", "count", 100), animals("2025-10-15", "Cows", "count", 100)],
        FarmUse=[fed(str(d.date()), "Ration", 6000, "Cows") for d in pd.date_range("2025-05-01", "2025-10-15")])
    out = export_inspector(read_book(book), tmp_path / "copy.xlsx", start="2025-05-01", end="2025-10-31", pdf=False)
    wb = openpyxl.load_workbook(out.path)
    assert {"Herd", "Feed", "Pasture", "Src Herds", "Src Animals"} <= set(wb.sheetnames)
    rows = [[c.value for c in r] for r in wb["Pasture"].iter_rows()]
    header = next(i for i, r in enumerate(rows) if r and r[0] == "Herd")
    cols = rows[header]
    first = dict(zip(cols, rows[header + 1], strict=True))
    assert first["Herd"] == "Cows" and first["Days"] == 168 and first["DMI from pasture %"] == 40
    assert first["Status"] == "PASS"
    cover = [[c.value for c in r] for r in wb["Cover"].iter_rows()]
    assert any(r and r[0] == "Pasture" for r in cover)
