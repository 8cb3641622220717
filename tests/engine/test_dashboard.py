"""The Dashboard's figures (engine.dashboard), hand-worked: the tolerance band around the
book, the flagged months at the counted stock, the supply blocks, the yield outliers by
the same rule as the YIELD_OUTLIER finding, and the chart grid."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from massbal.engine.dashboard import chart_blocks, dashboard_frame, period_label
from massbal.engine.result import BALANCE_COLUMNS, SUPPLY_COLUMNS, YIELD_COLUMNS, Reconciliation
from massbal.layout.dashboard import chart_specs, dashboard_sheet, page_breaks


def _bal(item, month, expected, counted, status, tol=5.0, owner=None):
    start = date(2025, month, 1)
    end = (pd.Timestamp(start) + pd.offsets.MonthEnd(0)).date()
    return {"item": item, "owner": owner, "start": start, "end": end, "beginning": 0.0, "received": 0.0,
            "produced": 0.0, "used": 0.0, "shipped": 0.0, "losses": 0.0, "expected_ending": expected,
            "counted_ending": counted, "variance": None, "variance_pct": None, "tolerance_pct": tol, "status": status}


def _rec(balances=(), supply=(), yields=()) -> Reconciliation:
    return Reconciliation("lb", [(date(2025, 1, 1), date(2025, 3, 31))],
                          pd.DataFrame(list(balances), columns=BALANCE_COLUMNS),
                          pd.DataFrame(list(supply), columns=SUPPLY_COLUMNS),
                          pd.DataFrame(list(yields), columns=YIELD_COLUMNS),
                          pd.DataFrame(columns=["severity", "code", "sheet", "row", "column", "cell", "message"]),
                          pd.DataFrame())


def test_period_labels():
    assert period_label(date(2025, 1, 1), date(2025, 1, 31)) == "Jan 2025"
    assert period_label(date(2025, 4, 1), date(2025, 6, 30)) == "Q2 2025"
    assert period_label(date(2025, 1, 1), date(2025, 12, 31)) == "2025"
    assert period_label(date(2025, 1, 5), date(2025, 2, 4)) == "2025-01-05 to 2025-02-04"


def test_stock_band_and_flagged_months():
    rec = _rec([_bal("Quinoa", 2, 10_000.0, 9_150.0, "INVESTIGATE", tol=3.0),
                _bal("Quinoa", 1, 9_400.0, 9_400.0, "PASS", tol=3.0),
                _bal("Quinoa", 3, 1_000.0, None, "NEGATIVE", tol=3.0)])
    f = dashboard_frame(rec)
    assert list(f["label"]) == ["Jan 2025", "Feb 2025", "Mar 2025"]    # month order, not row order
    feb = f.iloc[1]
    assert (feb["tolerance_low"], feb["tolerance_high"], feb["tolerance_band"]) == (9_700.0, 10_300.0, 600.0)
    assert feb["flagged"] == 9_150.0                  # marked at the count, outside the band
    assert np.isnan(f.iloc[0]["flagged"])             # a passing month is not marked
    assert f.iloc[2]["flagged"] == 1_000.0            # no count: marked at the book
    assert chart_blocks(f) == [("Stock of Quinoa", "stock", 0, 2)]


def test_owners_get_their_own_chart_and_supply_follows():
    rec = _rec([_bal("Oats", 1, 100.0, 100.0, "PASS"), _bal("Oats", 1, 50.0, 50.0, "PASS", owner="Acme")],
               [{"ingredient": "Oats", "owner": None, "start": date(2025, 1, 1), "end": date(2025, 1, 31),
                 "available": 1000.0, "shipped_equivalent": 950.0, "losses_equivalent": 80.0,
                 "on_hand_equivalent": 0.0, "unaccounted": -30.0, "tolerance_pct": 5.0, "status": "OVERSOLD"}])
    f = dashboard_frame(rec)
    assert [b[0] for b in chart_blocks(f)] == ["Stock of Oats", "Stock of Oats (Acme)", "Supply of organic Oats"]
    sup = f[f["kind"] == "supply"].iloc[0]
    assert (sup["shipped"] + sup["losses"] + sup["on_hand"], sup["available"], sup["flagged"]) == (1030.0, 1000.0, 1000.0)


def test_yield_outliers_are_the_findings_runs():
    runs = [{"batch": f"B{i}", "product": "Oat clusters", "date": date(2025, 1, i + 1), "owner": None,
             "input": 1000.0, "output": 10 * y, "process_loss": 1000.0 - 10 * y, "documented_loss": 0.0,
             "undocumented_loss": 1000.0 - 10 * y, "yield_pct": y}
            for i, y in enumerate([87.5, 87.0, 88.0, 72.0, 87.6, 87.4])]
    f = dashboard_frame(_rec(yields=runs))
    assert list(f["label"]) == ["B0", "B1", "B2", "B3", "B4", "B5"]
    assert f["outlier"].notna().tolist() == [False, False, False, True, False, False]   # 72 % against a median of 87.45
    assert f["typical_yield_pct"].tolist() == [87.45] * 6


def test_charts_grid_and_page_breaks():
    rec = _rec([_bal(x, 1, 100.0, 100.0, "PASS") for x in ("A", "B", "C")],
               [{"ingredient": "A", "owner": None, "start": date(2025, 1, 1), "end": date(2025, 1, 31), "available": 1.0,
                 "shipped_equivalent": 1.0, "losses_equivalent": 0.0, "on_hand_equivalent": 0.0, "unaccounted": 0.0,
                 "tolerance_pct": 5.0, "status": "PASS"}])
    charts, last = chart_specs(dashboard_frame(rec), "lb")
    # three stock charts fill a row and a half; supply starts a new row of charts
    assert [(c.col, c.row) for c in charts] == [(1, 1), (9, 1), (1, 17), (1, 33)]
    assert last == 48 and page_breaks(last) == (32,)
    spec = dashboard_sheet(rec)
    assert spec.origin == (1, 18) and spec.print_setup.area_columns == 16 and spec.charts == tuple(charts)
