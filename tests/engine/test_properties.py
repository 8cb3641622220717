"""Properties that hold for every consistent book (hypothesis generates the books)."""
from datetime import date, timedelta

import pandas as pd
import pytest
from bookkit import book, certified, receipt, run, ship, use
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from massbal.engine.api import prepare, reconcile, reconcile_prepared

LB_PER_KG = 1 / 0.45359237
START = date(2025, 1, 1)


@st.composite
def consistent_books(draw):
    """Receipts of a few ingredients, runs that use only what is on hand (with a yield
    below 100 %), some runs feeding others, shipments of what exists. No counts."""
    n_ing = draw(st.integers(1, 3))
    ingredients = [f"Ing{i}" for i in range(n_ing)]
    stock = {}  # (item, lot) -> qty on hand
    receipts, batches, inputs, shipments = [], [], [], []
    day = 0
    for k in range(draw(st.integers(1, 6))):
        day += draw(st.integers(0, 20))
        item = draw(st.sampled_from(ingredients))
        qty = draw(st.integers(10, 2000))
        lot = f"R{k}"
        receipts.append((START + timedelta(days=day), item, lot, qty))
        stock[(item, lot)] = stock.get((item, lot), 0) + qty
    for b in range(draw(st.integers(0, 4))):
        day += draw(st.integers(0, 20))
        avail = [k for k, v in stock.items() if v >= 2]
        if not avail:
            break
        picks = draw(st.lists(st.sampled_from(avail), min_size=1, max_size=3, unique=True))
        used = 0
        for (item, lot) in picks:
            q = draw(st.integers(1, int(stock[(item, lot)])))
            stock[(item, lot)] -= q
            inputs.append((f"B{b}", item, lot, q))
            used += q
        out = round(used * draw(st.floats(0.5, 1.0)), 2)
        product = f"Prod{b % 2}"
        batches.append((f"B{b}", START + timedelta(days=day), product, f"P{b}", out))
        stock[(product, f"P{b}")] = out
    for _ in range(draw(st.integers(0, 5))):
        day += draw(st.integers(0, 20))
        avail = [k for k, v in stock.items() if v > 1]
        if not avail:
            break
        item, lot = draw(st.sampled_from(avail))
        q = round(draw(st.floats(0.1, 1.0)) * stock[(item, lot)], 2)
        stock[(item, lot)] -= q
        shipments.append((START + timedelta(days=day), item, lot, q))
    return dict(receipts=receipts, batches=batches, inputs=inputs, shipments=shipments, last=day)


def to_raw(d, unit="lb"):
    f = 1.0 if unit == "lb" else 1 / LB_PER_KG
    items = sorted({r[1] for r in d["receipts"]}) + sorted({b[2] for b in d["batches"]})
    return book(
        Items=[{"Item": i} for i in items], Certificates=[certified()],
        Receipts=[receipt(dt.isoformat(), i, l, q * f, unit) for dt, i, l, q in d["receipts"]],
        Batches=[run(b, dt.isoformat(), i, l, q * f, unit) for b, dt, i, l, q in d["batches"]],
        BatchInputs=[use(b, i, l, q * f, unit) for b, i, l, q in d["inputs"]],
        Shipments=[ship(dt.isoformat(), i, l, q * f, unit) for dt, i, l, q in d["shipments"]],
    )


FAST = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(consistent_books())
def test_supply_unaccounted_is_zero_without_counts(d):
    rec = reconcile(to_raw(d), START, START + timedelta(days=d["last"] + 1))
    assert (rec.supply["unaccounted"].abs() < 1e-6).all(), rec.supply
    assert set(rec.supply["status"]) <= {"PASS"}
    assert not rec.balances["status"].eq("NEGATIVE").any()


@FAST
@given(consistent_books(), st.integers(0, 60))
def test_a_period_split_in_two_ends_where_the_whole_ends(d, cut):
    prep = prepare(to_raw(d))
    end = START + timedelta(days=d["last"] + 1)
    mid = START + timedelta(days=min(cut, d["last"]))
    whole = reconcile_prepared(prep, START, end).balances.set_index("item")
    first = reconcile_prepared(prep, START, mid).balances.set_index("item")
    second = reconcile_prepared(prep, mid + timedelta(days=1), end).balances.set_index("item")
    # an item with no stock and no movement in a period has no row there: all zeros
    cols = ["beginning", "received", "produced", "used", "shipped", "expected_ending"]
    first = first[cols].reindex(whole.index, fill_value=0.0)
    second = second[cols].reindex(whole.index, fill_value=0.0)
    for item, w in whole.iterrows():
        assert second.loc[item, "expected_ending"] == pytest.approx(w["expected_ending"], abs=1e-6)
        assert second.loc[item, "beginning"] == pytest.approx(first.loc[item, "expected_ending"], abs=1e-6)
        for col in ("received", "produced", "used", "shipped"):
            parts = second.loc[item, col] + first.loc[item, col]
            assert parts == pytest.approx(w[col], abs=1e-6)


@FAST
@given(consistent_books())
def test_same_book_in_kg_and_in_lb_gives_the_same_figures(d):
    end = START + timedelta(days=d["last"] + 1)
    lb = reconcile(to_raw(d, "lb"), START, end)
    kg = reconcile(to_raw(d, "kg"), START, end)
    cols = ["beginning", "received", "produced", "used", "shipped", "losses", "expected_ending"]
    pd.testing.assert_frame_equal(lb.balances[cols], kg.balances[cols], atol=1e-6, check_exact=False)
    pd.testing.assert_frame_equal(lb.supply[["available", "shipped_equivalent", "unaccounted"]],
                                  kg.supply[["available", "shipped_equivalent", "unaccounted"]], atol=1e-6,
                                  check_exact=False)
    assert list(lb.balances["status"]) == list(kg.balances["status"])


@FAST
@given(consistent_books())
def test_lot_balances_sum_to_the_item_balance(d):
    prep = prepare(to_raw(d))
    end = START + timedelta(days=d["last"] + 1)
    bal = reconcile_prepared(prep, START, end).balances.set_index("item")["expected_ending"]
    led = prep.ledger
    per_lot = led[led["date"] <= pd.Timestamp(end)].groupby(["item", "lot"])["effect"].sum()
    by_item = per_lot.groupby(level="item").sum()
    assert (per_lot > -1e-6).all()  # no lot of a consistent book goes below zero
    for item, v in bal.items():
        assert by_item.get(item, 0.0) == pytest.approx(v, abs=1e-6)
