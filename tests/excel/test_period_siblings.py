"""A period asked of the worksheet functions' cache is computed with its siblings (the
same days of the other months, quarters or years) in one engine call; every period's rows
must equal what the engine gives for that period alone, whatever the shape of the period
(gaps between siblings, calendar months, quarters, a period before the data, owners)."""
from __future__ import annotations

import pandas as pd
import pytest
from bookkit import book, count, receipt, ship
from books import granola_tables

from massbal.engine.api import balance_rows, periods_for, prepare, supply_rows
from massbal.excel.cache import BookEntry

T = pd.Timestamp
ASKED = [(T("2025-10-01"), T("2025-10-28")), (T("2025-11-01"), T("2025-11-30")),
         (T("2025-10-01"), T("2025-12-31")), (T("2025-08-01"), T("2025-08-31")),
         (T("2025-10-05"), T("2025-11-04")), (T("2025-10-31"), T("2025-11-27"))]


def _longer_book():
    """Granola (owners, runs, counts) with four more months of oats, some in the days
    between siblings (29 to 31)."""
    tables = granola_tables()
    tables["Receipts"] = tables["Receipts"] + [
        receipt(f"2026-{m:02d}-{d:02d}", "Oats", f"OAT-{m}-{d}", 100 * m + d, supplier="Prairie Mills",
                cert="CERT-PM") for m in (1, 2, 3) for d in (2, 28)] + [
        receipt("2025-12-30", "Oats", "OAT-DEC", 333, supplier="Prairie Mills", cert="CERT-PM")]
    tables["Shipments"] = tables["Shipments"] + [ship("2026-01-29", "Oats", "OAT-1-2", 50),
                                                 ship("2026-03-30", "Oats", "OAT-DEC", 70)]
    tables["Counts"] = tables["Counts"] + [count("2026-01-28", "Oats", 2900), count("2026-03-31", "Oats", 3500)]
    return book(**tables)


@pytest.mark.parametrize("raw", [book(**granola_tables()), _longer_book()], ids=["granola", "longer"])
@pytest.mark.parametrize("table,alone", [("balance", balance_rows), ("supply", supply_rows)])
def test_rows_with_siblings_equal_the_period_alone(raw, table, alone):
    prep = prepare(raw)
    entry = BookEntry("fp", prep)
    for start, end in ASKED:
        entry.rows(table, start, end)
    computed = [k for k, got in entry.periods.items() if table in got]
    assert set(computed) - set(ASKED)  # siblings were computed beside the periods asked
    for start, end in computed:
        got = entry.periods[(start, end)][table].frame
        pd.testing.assert_frame_equal(got, alone(prep, periods_for(prep, start, end, "all"))[0], check_exact=True)
