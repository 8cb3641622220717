"""The export's supply by item reuses the roll reconcile_prepared(by_item=True) kept: the
same frames as computed apart, and nothing kept when not asked."""
import pandas as pd
from bookkit import book, certified, count, loss, receipt, run, ship, use

from massbal.engine.api import periods_for, prepare, reconcile_prepared, supply_by_item


def _raw():
    items = [{"Item": "Quinoa, raw", "Kind": "Ingredient"}, {"Item": "Quinoa, cleaned", "Kind": "Product"}]
    return book(Items=items, Certificates=[certified()],
                Receipts=[receipt("2025-03-01", "Quinoa, raw", "Q1", 1000), receipt("2025-04-02", "Quinoa, raw", "Q2", 500)],
                Batches=[run("B-101", "2025-03-02", "Quinoa, cleaned", "QC1", 950)],
                BatchInputs=[use("B-101", "Quinoa, raw", "Q1", 1000)],
                Losses=[loss("2025-03-02", "Quinoa, raw", 50, Reason="cleaning", Batch="B-101")],
                Shipments=[ship("2025-03-05", "Quinoa, cleaned", "QC1", 900), ship("2025-04-09", "Quinoa, raw", "Q2", 10)],
                Counts=[count("2025-03-31", "Quinoa, raw", 0), count("2025-03-31", "Quinoa, cleaned", 50),
                        count("2025-04-30", "Quinoa, raw", 490)])


def test_kept_roll_is_the_roll_computed_apart():
    for start, end in ((None, None), ("2025-03-01", "2025-04-30")):
        prep = prepare(_raw())
        reconcile_prepared(prep, start, end)
        assert "supply_roll" not in prep.cache  # not asked: a workbook's Prepared lives long
        periods = periods_for(prep, start, end)
        g0, eq0 = supply_by_item(prep, periods)
        reconcile_prepared(prep, start, end, by_item=True)
        assert "supply_roll" in prep.cache
        g1, eq1 = supply_by_item(prep, periods)
        assert "supply_roll" not in prep.cache  # used once, then let go
        pd.testing.assert_frame_equal(g0, g1, check_exact=True)
        pd.testing.assert_frame_equal(eq0, eq1, check_exact=True)


def test_a_roll_kept_for_other_periods_is_not_used():
    prep = prepare(_raw())
    reconcile_prepared(prep, "2025-03-01", "2025-03-31", by_item=True)
    periods = periods_for(prep)  # by month over the whole span
    g, _ = supply_by_item(prep, periods)
    assert sorted(set(g["start"])) == [p[0] for p in periods]


def test_the_roll_takes_the_rows_whatever_the_index():
    """supply_roll takes the moves' and counts' columns as arrays (a new range index), not by
    .loc: roll reads no index, so an equivalents frame of any index (shuffled, repeated) rolls
    as the .loc-split frames of the same rows did."""
    from massbal.engine.roll import roll
    from massbal.engine.supply import KEY, supply_roll
    prep = prepare(_raw())
    periods = periods_for(prep)
    eq = supply_by_item(prep, periods)[1]
    odd = eq.set_axis(list(range(len(eq), 0, -1))[:-1] + [3])  # descending, 3 twice
    ledger = prep.ledger
    days = ledger.loc[(ledger["kind"] == "count").to_numpy(), ["item_key", "owner_key", "date"]].drop_duplicates()
    is_count = (odd["kind"] == "count").to_numpy()
    want = roll(odd.loc[~is_count, KEY + ["date", "kind", "value"]], odd.loc[is_count, KEY + ["date", "value"]], days,
                periods, KEY, ["item_key", "owner_key"], openings=prep.openings)
    assert is_count.any() and (~is_count).any()
    pd.testing.assert_frame_equal(supply_roll(ledger, prep.genealogy, periods, openings=prep.openings, eq=odd)[1],
                                  want, check_exact=True)
