"""A farm's workbook in Excel (CONTRACT section 6): =MASSBAL_HARVEST_PCT(crop, year) gives the
Crop sheet's figure, and xlwings Lite's Reconcile writes Crop and Harvest as the command line does."""
from __future__ import annotations

import pytest
import xlwings as xw
from lite_run import replayed
from payload import payload_from_xlsx, write_book
from test_same_sheets import assert_same_table, headless

from massbal.books.gen.farm import write_farm_demo
from massbal.engine.api import reconcile
from massbal.excel import cache as C
from massbal.excel import figures as F
from massbal.excel import lite, udfs
from massbal.excel.adapter import read_raw_book
from massbal.layout.sheets import FARM_OUTPUT_SHEETS, OUTPUT_SHEETS

KG_PER_BU = 60 * 0.45359237
WHEAT = {
    "Items": [{"Item": "Wheat", "Kind": "Crop", "Unit": "bu", "Kg per unit": KG_PER_BU}],
    "Fields": [{"Field": "N40", "Crop": "Wheat", "Season": 2025, "Acres": 40, "Expected yield": 45, "Yield unit": "bu"}],
    "Counts": [{"Date": "2024-12-31", "Item": "Wheat", "Quantity": 12000, "Unit": "lb", "Lot": "W24"},
               {"Date": "2025-12-31", "Item": "Wheat", "Quantity": 20000, "Unit": "lb"}],
    "Harvests": [{"Date": "2025-07-20", "Item": "Wheat", "Lot": "W25", "Quantity": 110400, "Unit": "lb", "Field": "N40"}],
    "Shipments": [{"Date": "2025-08-10", "Item": "Wheat", "Lot": "W25", "Quantity": 95000, "Unit": "lb"}],
    "Losses": [{"Date": "2025-08-01", "Item": "Wheat", "Quantity": 2400, "Unit": "lb", "Lot": "W25"}],
    "FarmUse": [{"Date": "2025-09-20", "Item": "Wheat", "Quantity": 5000, "Unit": "lb", "Use": "seed", "Lot": "W25"}],
}


def test_harvest_pct_function_is_the_crop_sheets_figure(tmp_path):
    xlsx = write_book(tmp_path / "Farm.xlsx", WHEAT)
    raw = read_raw_book(xw.Book(json=payload_from_xlsx(xlsx)))
    assert reconcile(raw, "2025-01-01", "2025-12-31").crop["harvest_pct"].tolist() == [102.22]
    C.CACHE.store("Farm.xlsx", raw, token="snapshot")

    def pct(*args):
        return C.compute("MASSBAL_HARVEST_PCT", "Farm.xlsx", None, *args, token="snapshot")
    # the season as a year, as a date inside it (an Excel serial too), and the Lite name
    assert pct("Wheat", 2025) == 102.22
    assert pct("wheat ", "2025-06-30") == 102.22
    assert pct("Wheat", 45838.0) == 102.22  # 2025-07-01
    assert lite.figure("MASSBAL_HARVEST_PCT", "Wheat", 2025, None, None, "Farm.xlsx").value == 102.22
    with pytest.raises(F.FigureError, match="no row on the Crop sheet for 2024"):
        pct("Wheat", 2024)
    with pytest.raises(F.FigureError, match="Give the season"):
        pct("Wheat", None)
    assert callable(udfs.MASSBAL_HARVEST_PCT) and "MASSBAL.HARVEST_PCT" in {f.lite for f in F.FIGURES}


def test_lite_reconcile_writes_crop_and_harvest_like_the_command_line(main, tmp_path):
    src = write_farm_demo(tmp_path)
    written = headless(src, tmp_path / "headless.xlsx")
    excel = replayed(main, "reconcile", payload_from_xlsx(src))
    for name in OUTPUT_SHEETS + FARM_OUTPUT_SHEETS:
        assert_same_table(written, excel, name)
