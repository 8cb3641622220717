"""The inspector's copy of a period that holds an opening count: its live formulas begin
the balance from that count, as the engine does (CONTRACT section 2, "an opening count
establishes a lot"). LibreOffice recalculates every formula on load; each recomputed
figure must equal the engine's, and the opening count is not a variance."""
from __future__ import annotations

import pytest
from openingkit import quinoa_book, wheat_book

from massbal.engine.api import prepare, reconcile_prepared
from massbal.inspector.export import export_inspector
from massbal.inspector.soffice import recalculated_copies

from .test_farm_export import BAL, SUP, _same
from .xlsxkit import table


@pytest.fixture(scope="module", autouse=True)
def _libreoffice():
    import libreoffice  # tests/libreoffice.py: skip on a developer's machine without it, fail in CI
    libreoffice.soffice()


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    d = tmp_path_factory.mktemp("opening")
    books = {"quinoa": (quinoa_book(), "2025-03-01", "2025-04-30"),  # the count of 10 March inside
             "wheat": (wheat_book(), "2024-12-01", "2025-12-31")}  # the count of 31 December 2024 inside
    recs, paths = {}, []
    for name, (raw, start, end) in books.items():
        prep = prepare(raw)
        export_inspector(raw, d / f"{name}.xlsx", prep=prep, pdf=False, start=start, end=end)
        recs[name] = reconcile_prepared(prep, start, end)
        paths.append(d / f"{name}.xlsx")
    outs = recalculated_copies(paths, d / "out")
    return {name: (out, recs[name]) for name, out in zip(books, outs, strict=True)}


@pytest.mark.parametrize("name,item,beginning", [("quinoa", "Quinoa", 5000), ("wheat", "Wheat", 12000)])
def test_the_copy_begins_from_the_opening_count(copies, name, item, beginning):
    out, rec = copies[name]
    rows = table(out, "Balance", "Item")
    want = rec.balances.reset_index(drop=True)
    assert len(rows) == len(want) == 1
    cols = {h: c for h, c in BAL.items() if h in rows[0]}
    bad = [(h, rows[0][h], want.iloc[0][c]) for h, c in cols.items() if not _same(rows[0][h], want.iloc[0][c])]
    assert not bad, bad
    assert (rows[0]["Beginning"], rows[0]["Status"]) == (beginning, "PASS")
    sup = table(out, "Supply", "Ingredient")
    s_cols = {h: c for h, c in SUP.items() if h in sup[0]}
    s_want = rec.supply.reset_index(drop=True)
    assert not [(h, sup[0][h], s_want.iloc[0][c]) for h, c in s_cols.items() if not _same(sup[0][h], s_want.iloc[0][c])]
    assert sup[0]["Status"] == "PASS"
