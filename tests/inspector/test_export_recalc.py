"""The inspector's copy recomputed by a real spreadsheet program.

LibreOffice opens each export with a profile that recalculates every formula on load,
and saves it again; each Balance, Supply and Yield figure must then equal the engine's
figure for the same period. One LibreOffice start serves every file (it is slow).
"""
from __future__ import annotations

import math

import pytest

from massbal.engine.api import prepare, reconcile_prepared
from massbal.inspector.export import export_inspector
from massbal.inspector.soffice import recalculated_copies

from .books import copacker, granola, numeric_names, odd_names
from .xlsxkit import set_number, sheet_rows, sheet_xml, table


@pytest.fixture(scope="module", autouse=True)
def _libreoffice():
    import libreoffice  # tests/libreoffice.py: skip on a developer's machine without it, fail in CI
    libreoffice.soffice()

CASES = {
    "granola": (granola, dict(start="2025-03-01", end="2025-03-31", lots=["O1", "G1"])),
    "copacker": (copacker, dict(lots=["F1"])),  # monthly periods, owners, counts that open March
    "flax_only": (copacker, dict(item="Flax*")),  # a wildcard character in an item name
    "odd_names": (odd_names, dict()),  # < = * ? ~ in item and owner names
    "numeric_names": (numeric_names, dict()),  # '0012' and '12', '007' and '7': one number to Excel
}
BAL = {"Beginning": "beginning", "Received": "received", "Produced": "produced", "Used": "used",
       "Shipped": "shipped", "Losses": "losses", "Expected ending": "expected_ending",
       "Counted ending": "counted_ending", "Variance": "variance", "Variance %": "variance_pct",
       "Status": "status"}
SUP = {"Available": "available", "Shipped equivalent": "shipped_equivalent",
       "Losses equivalent": "losses_equivalent", "On hand equivalent": "on_hand_equivalent",
       "Unaccounted": "unaccounted", "Status": "status"}
YLD = {"Input": "input", "Output": "output", "Process loss": "process_loss",
       "Documented loss": "documented_loss", "Undocumented loss": "undocumented_loss", "Yield %": "yield_pct"}


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    d = tmp_path_factory.mktemp("recalc")
    made, recs = [], {}
    for name, (book, kw) in CASES.items():
        raw = book()
        prep = prepare(raw)
        export_inspector(raw, d / f"{name}.xlsx", prep=prep, pdf=False, **kw)
        recs[name] = reconcile_prepared(prep, kw.get("start"), kw.get("end"), kw.get("item"))
        made.append(d / f"{name}.xlsx")
    # a copy whose ledger says 2,500 lb of oats lot O1 came in, not 2,000: the formulas must follow
    led = table(d / "granola.xlsx", "Ledger", "Date")
    i = next(i for i, r in enumerate(led) if r["Kind"] == "receipt" and r["Lot"] == "O1")
    top = next(n for n, r in enumerate(sheet_rows(d / "granola.xlsx", "Ledger")) if r and r[0] == "Date")
    col = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[list(led[0]).index("Quantity")]
    set_number(d / "granola.xlsx", d / "edited.xlsx", "Ledger", f"{col}{top + 2 + i}", 2500.0)
    made.append(d / "edited.xlsx")
    outs = recalculated_copies(made, d / "out")
    return {p.stem: (p, o) for p, o in zip(made, outs, strict=True)}, recs


def _same(a, b) -> bool:
    blank_a = a is None or a == "" or (isinstance(a, float) and math.isnan(a))
    blank_b = b is None or b == "" or (isinstance(b, float) and math.isnan(b))
    if blank_a or blank_b:
        return blank_a and blank_b
    if isinstance(b, str) or isinstance(a, str):
        return a == b
    return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(b)))


@pytest.mark.parametrize("name", list(CASES))
def test_balance_figures_recomputed_equal_engine(recalculated, name):
    files, recs = recalculated
    _, out = files[name]
    rows = table(out, "Balance", "Item")
    want = recs[name].balances
    assert len(rows) == len(want) > 0
    bad = [(r["Item"], r["Start"], h, r[h], want.iloc[i][c]) for i, r in enumerate(rows)
           for h, c in BAL.items() if not _same(r[h], want.iloc[i][c])]
    assert not bad, bad[:10]


@pytest.mark.parametrize("name", list(CASES))
def test_supply_figures_recomputed_equal_engine(recalculated, name):
    files, recs = recalculated
    _, out = files[name]
    rows = table(out, "Supply", "Ingredient")
    want = recs[name].supply
    assert len(rows) == len(want) > 0
    bad = [(r["Ingredient"], r["Owner"], r["Start"], h, r[h], want.iloc[i][c]) for i, r in enumerate(rows)
           for h, c in SUP.items() if not _same(r[h], want.iloc[i][c])]
    assert not bad, bad[:10]


@pytest.mark.parametrize("name", list(CASES))
def test_yield_figures_recomputed_equal_engine(recalculated, name):
    files, recs = recalculated
    _, out = files[name]
    rows = table(out, "Yield", "Batch")
    want = recs[name].yields.set_index("batch")
    if "item" in CASES[name][1]:  # --item: the runs that touch the item
        assert rows and {r["Batch"] for r in rows} < set(want.index)
    else:
        assert len(rows) == len(want)
    bad = [(r["Batch"], h, r[h], want.loc[r["Batch"], c]) for r in rows for h, c in YLD.items()
           if not _same(r[h], want.loc[r["Batch"], c])]
    assert not bad, bad[:10]


def test_no_formula_error_anywhere(recalculated):
    files, _ = recalculated
    for name, (_, out) in files.items():
        import openpyxl
        wb = openpyxl.load_workbook(out, read_only=True, data_only=True)
        errors = [(ws.title, v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row
                  if isinstance(v, str) and v.startswith("#") and v.rstrip("!?/0").upper() in
                  ("#NAME", "#VALUE", "#REF", "#DIV", "#N/A", "#NUM", "#NULL")]
        wb.close()
        assert not errors, (name, errors[:5])


def test_formulas_use_only_forms_both_programs_compute(recalculated):
    files, _ = recalculated
    src, _ = files["copacker"]
    for sheet in ("Balance", "Supply", "Supply by item", "Yield", "Ledger", "Certificates"):
        xml = sheet_xml(src, sheet)
        assert "<f>" in xml
        for bad in ("[#All]", "[#Data]", "[#Headers]", "[#Totals]"):
            assert bad not in xml, (sheet, bad)


def test_figures_follow_an_edited_ledger(recalculated):
    """Change one ledger quantity (O1 received 2,500 not 2,000) and the copy's own formulas
    carry it into Balance and Supply: they are live, not pasted values."""
    files, recs = recalculated
    _, out = files["edited"]
    oats = next(r for r in table(out, "Balance", "Item") if r["Item"] == "Oats")
    assert oats["Received"] == pytest.approx(3500.0)
    assert oats["Expected ending"] == pytest.approx(1100.0)
    assert oats["Status"] == "INVESTIGATE"  # counted 600 against 1,100 on the books
    sup = next(r for r in table(out, "Supply", "Ingredient") if r["Ingredient"] == "Oats")
    assert sup["Available"] == pytest.approx(3500.0)
    assert sup["Unaccounted"] == pytest.approx(500.0)
    assert sup["Status"] == "INVESTIGATE"


def test_cached_values_are_the_engines_before_any_recalculation(recalculated):
    """A viewer that never recalculates shows the stored values: they must be the figures."""
    files, recs = recalculated
    src, _ = files["granola"]
    rows = table(src, "Balance", "Item")
    want = recs["granola"].balances
    for i, r in enumerate(rows):
        for h, c in BAL.items():
            assert _same(r[h], want.iloc[i][c]), (r["Item"], h)


def test_each_figure_links_to_the_ledger_rows_behind_it(recalculated):
    """The hyperlink on a Balance figure selects exactly the ledger rows it sums."""
    import openpyxl
    files, recs = recalculated
    src, _ = files["copacker"]
    wb = openpyxl.load_workbook(src)
    bal, led = wb["Balance"], wb["Ledger"]
    head_row = next(r for r in range(1, 10) if bal.cell(r, 1).value == "Item")
    heads = {bal.cell(head_row, c).value: c for c in range(1, bal.max_column + 1)}
    lhead = next(r for r in range(1, 10) if led.cell(r, 1).value == "Date")
    lcols = {led.cell(lhead, c).value: c for c in range(1, led.max_column + 1)}
    want = recs["copacker"].balances
    checked = 0
    for i in range(len(want)):
        for h, kind in (("Received", "receipt"), ("Used", "used"), ("Shipped", "shipped"), ("Produced", "produced")):
            cell = bal.cell(head_row + 1 + i, heads[h])
            if not want.iloc[i][BAL[h]]:
                continue
            link = cell.hyperlink
            assert link is not None and link.location, (want.iloc[i]["item"], h)
            sheet, rng = link.location.split("!")
            assert sheet.strip("'") == "Ledger"
            a, b = (int("".join(ch for ch in part if ch.isdigit())) for part in rng.split(":"))
            rows = [[led.cell(r, lcols[k]).value for k in ("Kind", "Item", "Quantity")] for r in range(a, b + 1)]
            assert all(k == kind and it == want.iloc[i]["item"] for k, it, _ in rows), rows
            assert sum(q for _, _, q in rows) == pytest.approx(want.iloc[i][BAL[h]])
            checked += 1
    assert checked >= 8


def test_a_copy_recomputed_and_saved_by_libreoffice_still_verifies(recalculated):
    """Opening, recomputing and saving the copy changes no data cell (numbers to the 15
    digits Excel shows); the copy with a changed ledger quantity is caught, by cell."""
    from massbal.inspector.verify import verify
    files, _ = recalculated
    for name in CASES:
        res = verify(files[name][1])
        assert res.ok, (name, res.problems)
    res = verify(files["edited"][1])
    assert not res.ok
    assert len(res.problems) == 1 and res.problems[0].startswith("Ledger row ") and "(Quantity)" in res.problems[0]


def test_criteria_never_match_numeric_looking_text(recalculated):
    """Excel's SUMIFS/COUNTIFS read a criterion that looks like a number as that number
    ('0012' equals '12'), which LibreOffice does not do, so this is checked in the formulas:
    every criterion on a name is over a key column whose text no spreadsheet takes for a
    number, and each key column holds 'k:' + the name beside it."""
    import re
    files, _ = recalculated
    src, _ = files["numeric_names"]
    for sheet in ("Balance", "Supply", "Yield", "Certificates"):
        xml = sheet_xml(src, sheet)
        for m in re.finditer(r"(?:SUMIFS|COUNTIFS)\(([^<]*?)\)", xml):
            body = m.group(1)
            for name in ("Item", "Owner", "Batch", "Certificate", "Ingredient"):
                assert f"[{name}]," not in body, (sheet, body[:200])
    led = table(src, "Ledger", "Date")
    assert {r["Item key"] for r in led} >= {"k:0012", "k:12", "k:1234567890123456789"}
    assert all(r["Item key"] == "k:" + str(r["Item"]) for r in led)
