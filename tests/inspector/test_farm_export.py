"""The inspector's copy of a farm's book (CONTRACT section 6): Balance and Supply carry the
farm's flows as live formulas, Crop and Harvest derive their figures live, and the cover
names each field's expected-yield source. LibreOffice recalculates every formula on load;
each recomputed figure must equal the engine's."""
from __future__ import annotations

import math

import pytest

from massbal.books.gen.farm import FARM_DEMO_SPAN, write_farm_demo
from massbal.cli.console import load_raw
from massbal.engine.api import prepare, reconcile_prepared
from massbal.inspector.export import export_inspector
from massbal.inspector.soffice import recalculated_copies

from .xlsxkit import sheet_rows, table

BAL = {"Beginning": "beginning", "Received": "received", "Harvested": "harvested", "Used": "used",
       "Farm use": "farm_use", "Applied": "applied", "Shipped": "shipped", "Losses": "losses",
       "Expected ending": "expected_ending", "Counted ending": "counted_ending", "Status": "status"}
SUP = {"Available": "available", "Farm use equivalent": "farm_use_equivalent",
       "On hand equivalent": "on_hand_equivalent", "Unaccounted": "unaccounted", "Status": "status"}
CROP = {"Beginning (A)": "beginning", "Harvested (B)": "harvested", "Sold (D)": "sold", "Farm use (F)": "farm_use",
        "Accounted": "accounted", "Counted ending (G)": "counted_ending", "Difference": "difference",
        "Harvest %": "harvest_pct", "Status": "status"}
HARVEST = {"Expected harvest": "expected_harvest", "Harvested": "harvested", "Harvest %": "harvest_pct",
           "Harvested per acre": "harvested_per_acre", "Status": "status"}


@pytest.fixture(scope="module", autouse=True)
def _libreoffice():
    import libreoffice  # tests/libreoffice.py: skip on a developer's machine without it, fail in CI
    libreoffice.soffice()


@pytest.fixture(scope="module")
def farm(tmp_path_factory):
    d = tmp_path_factory.mktemp("farm")
    raw = load_raw(write_farm_demo(d))
    prep = prepare(raw)
    export_inspector(raw, d / "copy.xlsx", prep=prep, pdf=False, start=FARM_DEMO_SPAN[0], end=FARM_DEMO_SPAN[1])
    rec = reconcile_prepared(prep, *FARM_DEMO_SPAN)
    out = recalculated_copies([d / "copy.xlsx"], d / "out")[0]
    return d / "copy.xlsx", out, rec


def _same(a, b) -> bool:
    blank_a = a is None or a == "" or (isinstance(a, float) and math.isnan(a))
    blank_b = b is None or b == "" or (isinstance(b, float) and math.isnan(b))
    if blank_a or blank_b:
        return blank_a and blank_b
    if isinstance(b, str) or isinstance(a, str):
        return a == b
    return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(b)))


@pytest.mark.parametrize("sheet,key,cols,frame", [
    ("Balance", "Item", BAL, "balances"), ("Supply", "Ingredient", SUP, "supply"),
    ("Crop", "Crop", CROP, "crop"), ("Harvest", "Field", HARVEST, "fields")])
def test_recomputed_figures_equal_the_engine(farm, sheet, key, cols, frame):
    _, out, rec = farm
    rows = table(out, sheet, key)
    want = getattr(rec, frame).reset_index(drop=True)
    assert len(rows) == len(want) > 0
    bad = [(r[key], h, r[h], want.iloc[i][c]) for i, r in enumerate(rows) for h, c in cols.items()
           if not _same(r[h], want.iloc[i][c])]
    assert not bad, bad[:10]


def test_the_over_expected_field_and_the_yield_sources_are_in_the_copy(farm):
    copy, out, _ = farm
    h = {r["Field"]: r for r in table(out, "Harvest", "Field")}
    assert h["H22"]["Status"] == "OVER EXPECTED" and h["H22"]["Harvest %"] == 140.0
    assert h["T18"]["Organic"] == "Transition"
    cover = [r for r in sheet_rows(copy, "Cover") if r]
    sources = {tuple(r[:2]): r[5] for r in cover if len(r) > 5 and r[0] in h}
    assert sources[("N40", "Wheat")] == "farm history 2020-2024"
    assert sources[("E60", "Corn")] == "county average (NASS)"


def test_a_month_that_owed_no_count_is_not_amber(tmp_path):
    """As in the workbook's own Balance: a farm counts once a season, so the copy's amber
    NO COUNT rule covers only the rows where a count was due (Compost's December), while the
    other status colours cover every row (a recalculated status is coloured too)."""
    import openpyxl
    raw = load_raw(write_farm_demo(tmp_path))
    prep = prepare(raw)
    copy = tmp_path / "by_month.xlsx"
    export_inspector(raw, copy, prep=prep, pdf=False, start=FARM_DEMO_SPAN[0], end=FARM_DEMO_SPAN[1], period="month")
    rec = reconcile_prepared(prep, *FARM_DEMO_SPAN, period="month")
    ws = openpyxl.load_workbook(copy)["Balance"]
    top = int(ws.tables["Balance"].ref.split(":")[0].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    covered: dict[str, set[int]] = {}
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            rows = covered.setdefault(rule.formula[0].strip('"'), set())
            for r in cf.sqref.ranges:
                rows |= set(range(r.min_row, r.max_row + 1))
    due = rec.balances["count_due"].to_numpy(dtype=bool)
    every = {top + 1 + i for i in range(len(due))}
    assert len(table(copy, "Balance", "Item")) == len(due)  # the copy's rows are these, by month
    assert 0 < due.sum() < len(due)
    assert covered["NO COUNT"] == {top + 1 + i for i in range(len(due)) if due[i]}
    assert covered["PASS"] == covered["INVESTIGATE"] == covered["NEGATIVE"] == every
