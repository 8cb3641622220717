"""A book with many flagged figures is investigated a group at a time (memory): balances a
few items and owners at a time, supply a few flagged rows at a time, each balance's
touches met with the balances a slice at a time. The groups must find exactly what one
pass finds: the same rows, candidates, order and budget. Here on a generated book with
slips planted in many rows (shipments, run inputs and receipts keyed ten times too high),
the limits made small enough that every path is cut in several pieces."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from massbal.books.gen import generate_tables
from massbal.engine.api import periods_for, prepare
from massbal.engine.balance import compute_balances
from massbal.engine.investigate import balances as B
from massbal.engine.investigate import supply as S
from massbal.engine.rawbook import RawBook, RawTable
from massbal.engine.supply import compute_supply, supply_terms

FLAGGED_SUPPLY = ("OVERSOLD", "INVESTIGATE")


@pytest.fixture(scope="module")
def messy():
    tables = generate_tables(12_000, seed=7)[0]
    rng = np.random.default_rng(3)
    for name, share in (("Shipments", 0.05), ("BatchInputs", 0.02), ("Receipts", 0.02)):
        t = tables[name]
        pick = rng.choice(len(t), size=int(share * len(t)), replace=False)
        q = t["Quantity"].to_numpy(dtype=object).copy()
        q[pick] = [v * 10 if isinstance(v, (int, float)) else v for v in q[pick]]
        tables[name] = t.assign(Quantity=q)
    raw = RawBook({name: RawTable.from_records(name, list(t.drop(columns="_id").columns),
                                               t.drop(columns="_id").astype(object).where(t.notna(), None)
                                               .values.tolist()) for name, t in tables.items()})
    prep = prepare(raw)
    periods = periods_for(prep)
    bal, _ = compute_balances(prep.book, prep.ledger, periods)
    sup, _ = compute_supply(prep.book, prep.ledger, prep.genealogy, periods)
    assert bal["status"].isin(B.FLAGGED).sum() >= 20 and sup["status"].isin(FLAGGED_SUPPLY).sum() >= 10
    return prep, periods, bal, sup


def _counted(monkeypatch, module, name: str) -> list:
    calls = []
    real = getattr(module, name)

    def spy(*a, **k):
        got = real(*a, **k)
        calls.append(got)
        return got
    monkeypatch.setattr(module, name, spy)
    return calls


def test_balances_in_groups_find_what_one_pass_finds(messy, monkeypatch):
    prep, periods, bal, _ = messy
    whole = B.explain_balances(prep.book, prep.ledger, prep.yields, bal, periods, prep.openings)
    assert whole["cause"].notna().sum() >= 10
    monkeypatch.setattr(B, "KEY_ROWS", 400)
    monkeypatch.setattr(B, "AFFECT_ROWS", 3_000)
    groups = _counted(monkeypatch, B, "_key_groups")
    parts = _counted(monkeypatch, B, "_affected_part")
    cut = B.explain_balances(prep.book, prep.ledger, prep.yields, bal, periods, prep.openings)
    assert len(groups[0]) >= 3 and len(parts) > 2 * len(groups[0])
    pd.testing.assert_frame_equal(cut, whole, check_exact=True)


def test_affected_in_slices_gives_the_same_rows_in_the_same_order(messy, monkeypatch):
    prep, periods, bal, _ = messy
    starts, _ = B.periods_arrays(periods)
    b = B._with_base(bal.reset_index(drop=True), prep.ledger, starts, prep.openings)
    led = prep.ledger[prep.ledger["kind"].isin(B.FLOW_KINDS + ("count",)).to_numpy()]
    touches = pd.DataFrame({"_i": led.index, **{k: led[k].to_numpy() for k in B.KEY}, "date": led["date"].to_numpy(),
                            "count": (led["kind"] == "count").to_numpy(), "delta": 1.0})
    whole = B.affected(touches, b, starts)
    monkeypatch.setattr(B, "AFFECT_ROWS", 1_000)
    pd.testing.assert_frame_equal(B.affected(touches, b, starts), whole, check_exact=True)
    pd.testing.assert_frame_equal(B.affected(touches.iloc[:0], b, starts), whole.iloc[:0], check_index_type=False)


@pytest.mark.parametrize("budget", [None, "half"])
def test_supply_in_groups_finds_what_one_pass_finds(messy, monkeypatch, budget):
    prep, periods, _, sup = messy
    terms = supply_terms(prep.ledger, prep.genealogy, periods)  # as Reconcile hands them over

    def run():
        return S.explain_supply(prep.book, prep.ledger, prep.genealogy, prep.yields, sup, periods, terms)
    if budget == "half":  # a budget that runs out partway: the same rows examined, the rest say so
        spent = _counted(monkeypatch, S, "_exact_all")
        run()
        monkeypatch.setattr(S, "STACK_BUDGET", spent[0][2] // 2)
    whole = run()
    if budget == "half":
        assert (whole["explanation"] == S.NOT_EXAMINED).sum() >= 2
    assert whole["cause"].notna().sum() >= 3
    members = _counted(monkeypatch, S, "_members")
    run()
    monkeypatch.setattr(S, "GROUP_MEMBERS", len(members[0][0]) // 4)  # four groups or so
    screens = _counted(monkeypatch, S, "_screen")
    cut = run()
    assert len(screens) >= 3
    pd.testing.assert_frame_equal(cut, whole, check_exact=True)
