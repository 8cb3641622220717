"""MASSBAL_HEAD(herd, date) and MASSBAL_DMI(herd, year): the same figures as the Herd and
Pasture sheets, through the shared function layer and through xlwings Lite's call path."""
from __future__ import annotations

import asyncio

import pandas as pd
import pytest
import xlwings as xw
from farmkit import animals, fed, herd, write_farm_xlsx
from farmkit import livestock_book as farm_book
from lite_run import run_script
from payload import payload_from_xlsx
from xlwings.pro.caller import Caller, caller_from_address
from xlwings.pro.udfs_officejs import custom_functions_call

from massbal.engine.api import reconcile
from massbal.excel import cache as C
from massbal.excel import figures as F

SEASON = {"Grazing start": "2025-05-01", "Grazing end": "2025-10-15"}


def _rows():
    return dict(
        Items=[{"Item": "Ration", "Kind": "Feed", "Dry matter %": 50}],
        Herds=[herd("Cows", 50, **SEASON)],
        Animals=[animals("2025-04-30", "Cows", "count", 100), animals("2025-07-01", "Cows", "birth", 3),
                 animals("2025-07-10", "Cows", "died", 1)],
        FarmUse=[fed(str(d.date()), "Ration", 6000, "Cows") for d in pd.date_range("2025-05-01", "2025-10-15")])


def test_head_and_dmi_agree_with_the_sheets():
    raw = farm_book(**_rows())
    cache = C.LedgerCache()
    head = [C.compute_herd("MASSBAL_HEAD", "k", lambda: raw, "cows", d, cache=cache)
            for d in ("2025-04-29", "2025-04-30", "2025-07-01", "2025-07-09", "2025-07-10", "2026-03-01")]
    assert head == [0, 100, 103, 103, 102, 102]
    rec = reconcile(raw, "2025-01-01", "2025-12-31")
    p = rec.pasture.iloc[0]
    # fed 30 lb DM a head a day while the demand is 50: 40 % from pasture (head-days 16,800 + 3 x 9 + 2 x 97)
    dmi = C.compute_herd("MASSBAL_DMI", "k", lambda: raw, "Cows", 2025, cache=cache)
    assert dmi == p.dmi_pct
    assert C.compute_herd("MASSBAL_DMI", "k", lambda: raw, "Cows", "2025", cache=cache) == dmi
    for args, words in ((("Goats", 2025), "not a herd"), (("Cows", 2024), "no grazing season in 2024"),
                        ((None, 2025), "Give the herd name")):
        with pytest.raises(F.FigureError, match=words):
            C.compute_herd("MASSBAL_DMI", "k", lambda: raw, *args, cache=cache)


def test_lite_functions(main, tmp_path):
    xlsx = write_farm_xlsx(tmp_path / "Dairy.xlsx", **_rows())
    book = xw.Book(json=payload_from_xlsx(xlsx))
    run_script(main, "massbal_check", book)
    address = "[Dairy.xlsx]Sheet1!B7"

    def call(name, args):
        data = {"func_name": name, "args": args, "caller_address": address, "version": xw.__version__,
                "client": "Office.js", "culture_info_name": "en-US", "date_format": "M/d/yyyy", "runtime": "1.4"}
        out = asyncio.run(custom_functions_call(data, main, typehint_to_value={Caller: caller_from_address(address)}))
        return getattr(out, "value", out)

    assert call("massbal_head", [[["Cows"]], [[45839]]]) == [[103]]  # 45839 = 2025-07-01
    rec = reconcile(farm_book(**_rows()), "2025-01-01", "2025-12-31")
    assert call("massbal_dmi", [[["Cows"]], [[2025]]]) == [[rec.pasture.iloc[0].dmi_pct]]
    assert call("massbal_dmi", [[["Heifers"]], [[2025]]]) == [["'Heifers' is not a herd on the Herds or Animals sheet."]]


def test_lite_reconcile_writes_herd_feed_and_pasture(main, tmp_path):
    xlsx = write_farm_xlsx(tmp_path / "Dairy.xlsx", **_rows())
    book = xw.Book(json=payload_from_xlsx(xlsx))
    run_script(main, "reconcile", book)
    actions = book.json()["actions"]
    assert {a["args"][-1] for a in actions if a["func"] == "addTable"} >= {"Herd", "Feed", "Pasture"}
    pos = next(a["args"][0] for a in actions if a["func"] == "addSheet" and a["args"][1] == "Pasture")
    values = next(a for a in actions if a["func"] == "setValues" and a["sheet_position"] == pos)["values"]
    assert values[0][:4] == ["Herd", "Season start", "Season end", "Days"] and values[1][0] == "Cows"
    assert values[1][3] == 168
