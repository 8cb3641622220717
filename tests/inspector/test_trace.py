"""Trace back and forward, and the mock recall, over multi-level books with split and
merged lots: shares in proportion, forward quantities adding up to what the lot
produced, back quantities to what it consumed."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from massbal.engine.api import prepare, recall, reconcile_prepared, trace_lots
from massbal.engine.rawbook import RawBook, RawTable
from massbal.engine.trace.model import AmbiguousLot, LotNotFound

from .books import granola
from .randombooks import books

T = RawTable.from_records


@pytest.fixture(scope="module")
def tracer():
    return prepare(granola())


def one(prep, lot, item=None):
    """The trace of a lot number that names one lot."""
    [tr] = trace_lots(prep, lot, item)
    return tr


def kinds(steps, kind):
    return [s for s in steps if s.kind == kind]


def test_forward_of_a_split_raw_lot_shows_each_run_share(tracer):
    tr = one(tracer, "O1")
    runs = {s.batch: s for s in kinds(tr.forward, "input") if s.lot == "O1"}
    assert runs["B1"].quantity == 1200 and runs["B1"].pct_of_lot == 60.0
    assert runs["B2"].quantity == 800 and runs["B2"].pct_of_lot == 40.0
    # GB1 is made by both runs (a merged lot): O1's part is 1200/1400 of B1's 1,300 plus 800/1200 of B2's 1,100
    made = {s.batch: s.quantity for s in kinds(tr.forward, "output") if s.lot == "GB1"}
    assert made["B1"] == pytest.approx(1300 * 1200 / 1400)
    assert made["B2"] == pytest.approx(1100 * 800 / 1200)


def test_forward_adds_up_to_what_the_lot_brought_in(tracer):
    for lot in ("O1", "O2", "H1", "A1", "GB1", "G1", "G2", "G3"):
        tr = one(tracer, lot)
        a = tr.accounted
        leaves = sum(s.quantity for s in tr.forward if s.kind in ("shipment", "loss", "process loss", "on hand"))
        assert leaves == pytest.approx(tr.total), lot
        assert a.unaccounted == pytest.approx(0.0, abs=1e-6), lot


def test_forward_reaches_every_customer_with_quantity_in_units_and_equivalents(tracer):
    tr = one(tracer, "O1")
    ships = kinds(tr.forward, "shipment")
    assert {s.customer for s in ships} == {"Whole Foods", "Costco", "Sprouts", "(no customer recorded)"}
    wf = next(s for s in ships if s.lot == "G1" and s.customer == "Whole Foods")
    assert wf.entered == "60 case"  # the lot's own unit, as typed
    assert wf.row_quantity == pytest.approx(600.0)  # 60 cases of 10 lb
    share = (1300 * 1200 / 1400 + 1100 * 800 / 1200) / 2400 * 1500 / 1800  # O1 in GB1, GB1 in B3
    assert wf.quantity == pytest.approx(600 * share)
    assert wf.equivalents == {"Oats": pytest.approx(600 * share)}


def test_back_of_a_coproduct_takes_its_share_of_the_run(tracer):
    tr = one(tracer, "G1")  # B3 made G1 (1,000 lb) and G2 (700 lb) from 1,500 GB1 + 300 A1
    first = kinds(tr.back, "input")
    depth1 = [s for s in first if s.depth == 1]
    assert {s.lot: s.quantity for s in depth1} == {"GB1": pytest.approx(1500 * 1000 / 1700),
                                                    "A1": pytest.approx(300 * 1000 / 1700)}
    assert sum(s.quantity for s in depth1) == pytest.approx(1800 * 1000 / 1700)  # what G1 consumed
    assert all(s.via_lot == "G1" and s.batch == "B3" for s in depth1)


def test_back_of_a_merged_lot_reaches_every_receipt_with_certificate(tracer):
    tr = one(tracer, "GB1")  # made by B1 (O1 + H1) and by B2 (O1 + O2)
    rec = {s.lot: s for s in kinds(tr.back, "receipt")}
    assert {k: v.quantity for k, v in rec.items()} == {"O1": pytest.approx(2000), "O2": pytest.approx(400),
                                                       "H1": pytest.approx(200)}
    assert sum(v.quantity for v in rec.values()) == pytest.approx(1400 + 1200)  # all B1 and B2 consumed
    o1 = rec["O1"]
    assert (o1.supplier, o1.supplier_lot, o1.certificate, o1.certifier) == ("Prairie Farms", "PF-9001", "CCOF-111", "CCOF")
    assert o1.certificate_valid is True
    h1 = rec["H1"]
    assert h1.certificate_valid is False and "expired on 2025-01-31" in h1.certificate_note
    assert any(q.lot == "H1" and q.row == 4 for q in tr.open_questions)


def test_recall_lists_customers_stock_to_quarantine_and_open_questions(tracer):
    rc = recall(tracer, "GB1")
    # GB1 is 1500/1800 of what B3 made (G1, G2) and 600/800 of what B4 made (G3)
    assert {c.customer: c.quantity for c in rc.customers} == {
        "Whole Foods": pytest.approx((600 + 700) * 1500 / 1800),
        "Costco": pytest.approx(400 * 1500 / 1800), "Sprouts": pytest.approx(500 * 600 / 800),
        "(no customer recorded)": pytest.approx(100)}
    stock = {(s.lot, s.location): s for s in rc.on_hand}
    assert stock[("GB1", "Plant")].row_quantity == pytest.approx(200)  # 2,400 - 1,500 - 600 - 100
    assert stock[("GB1", "Plant")].counted == pytest.approx(200)
    # G3 was moved: 600 of 780 to the warehouse, which shipped 500 and lost 20
    assert stock[("G3", "Plant")].row_quantity == pytest.approx(180)
    assert stock[("G3", "Warehouse")].row_quantity == pytest.approx(80)
    assert any("names no customer" in q.message and q.row == 6 for q in rc.open_questions)
    assert rc.seconds > 0
    a = rc.accounted
    assert a.shipped + a.losses + a.process_loss + a.on_hand == pytest.approx(a.total)


def test_a_lot_number_of_several_items_asks_which(tracer):
    raw = granola(extra_receipts=[["2025-03-02", "Almonds", "G1", 10, "lb", "Nutty Inc", "NI-6", "OTCO-333",
                                   "Plant", "PO-9"]])
    t = prepare(raw)
    with pytest.raises(AmbiguousLot) as e:
        recall(t, "G1")
    assert set(e.value.items) == {"Granola", "Almonds"}
    assert one(t, "G1", item="Almonds").total == 10
    assert {x.item for x in trace_lots(t, "G1")} == {"Granola", "Almonds"}


def test_unknown_lot_suggests_near_names_and_a_batch_traces_its_outputs(tracer):
    with pytest.raises(LotNotFound) as e:
        one(tracer, "G 1")
    assert "G1" in e.value.suggestions
    assert sorted(t.lot for t in trace_lots(tracer, "b3")) == ["G1", "G2"]


def test_a_lot_that_never_arrived_is_an_open_question():
    raw = RawBook({
        "Receipts": T("Receipts", ["Date", "Item", "Lot", "Quantity", "Unit"], [["2025-01-01", "Oats", "O1", 100, "lb"]]),
        "Batches": T("Batches", ["Batch", "Date", "Item", "Lot", "Quantity", "Unit"], [["B", "2025-01-02", "Mix", "M1", 150, "lb"]]),
        "BatchInputs": T("BatchInputs", ["Batch", "Item", "Lot", "Quantity", "Unit"],
                         [["B", "Oats", "O1", 100, "lb"], ["B", "Oats", "O9", 50, "lb"]]),
    })
    tr = one(prepare(raw), "M1")
    q = [q for q in tr.open_questions if q.lot == "O9"]
    assert q and q[0].sheet == "BatchInputs" and q[0].row == 3 and "never came in" in q[0].message
    assert sum(s.quantity for s in tr.back if s.kind == "receipt") == pytest.approx(100)


# ------------------------------------------------------------------ properties

@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(books())
def test_random_books_conserve_every_lot(bk):
    prep = prepare(bk.raw)
    t = prep
    for (item, lot), total in bk.totals.items():
        tr = one(t, lot, item)
        assert tr.total == pytest.approx(total, abs=1e-6)
        assert tr.accounted.unaccounted == pytest.approx(0.0, abs=1e-6 * max(1, total)), (item, lot)
        # back: the runs that made the lot give it output/all-outputs of their inputs
        want = 0.0
        for run in bk.runs.values():
            made = sum(q for it, lt, q in run["out"] if (it, lt) == (item, lot))
            if made:
                want += made / sum(q for *_, q in run["out"]) * sum(q for *_, q in run["in"])
        got = sum(s.quantity for s in tr.back if s.kind == "input" and (s.via_item, s.via_lot) == (item, lot))
        assert got == pytest.approx(want, abs=1e-6 * max(1, want)), (item, lot)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(books())
def test_random_books_forward_traces_add_up_to_the_supply_balance(bk):
    """Summed over every received lot of an ingredient, the forward traces give the
    engine's supply balance over the whole span: shipped, lost (stock and runs), on hand."""
    prep = prepare(bk.raw)
    rec = reconcile_prepared(prep, "2024-12-01", "2025-12-31")
    t = prep
    for _, row in rec.supply.iterrows():
        lots = [k for k, ing in bk.received.items() if ing == row["ingredient"]]
        traces = [one(t, lot, item) for item, lot in lots]
        acc = {k: sum(getattr(tr.accounted, k) for tr in traces) for k in ("shipped", "losses", "process_loss", "on_hand")}
        assert acc["shipped"] == pytest.approx(row["shipped_equivalent"], abs=1e-4)
        assert acc["losses"] + acc["process_loss"] == pytest.approx(row["losses_equivalent"], abs=1e-4)
        assert acc["on_hand"] == pytest.approx(row["on_hand_equivalent"], abs=1e-4)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(books(lossless=True))
def test_random_lossless_books_back_and_forward_agree(bk):
    """With no process loss, the part of raw lot R that back-traces into lot T equals the
    part of T that R's forward trace says it made."""
    t = prepare(bk.raw)
    made = [k for k in bk.totals if k not in bk.received]
    fwd = {r: one(t, r[1], r[0]) for r in bk.received}
    for item, lot in made:
        back = one(t, lot, item)
        for s in back.back:
            if s.kind != "receipt":
                continue
            into = sum(x.quantity for x in fwd[(s.item, s.lot)].forward if x.kind == "output" and x.lot == lot
                       and x.item == item)
            assert into == pytest.approx(s.quantity, abs=1e-6 * max(1, s.quantity)), (s.lot, lot)


def test_a_lot_made_by_runs_at_two_levels_holds_both_in_proportion():
    """X1 is made by R2 (from raw oats) and by R3 (from B1, itself made from almonds): its
    make-up is 35 parts oats and 10 almonds, in the trace and in the supply balance."""
    raw = RawBook({
        "Receipts": T("Receipts", ["Date", "Item", "Lot", "Quantity", "Unit"],
                      [["2025-01-01", "Oats", "O1", 50, "lb"], ["2025-01-01", "Almonds", "A1", 50, "lb"]]),
        "Batches": T("Batches", ["Batch", "Date", "Item", "Lot", "Quantity", "Unit"], [
            ["R1", "2025-01-02", "Base", "B1", 10, "lb"], ["R2", "2025-01-03", "Granola", "X1", 35, "lb"],
            ["R3", "2025-01-04", "Granola", "X1", 10, "lb"]]),
        "BatchInputs": T("BatchInputs", ["Batch", "Item", "Lot", "Quantity", "Unit"], [
            ["R1", "Almonds", "A1", 10, "lb"], ["R2", "Oats", "O1", 35, "lb"], ["R3", "Base", "B1", 10, "lb"]]),
        "Shipments": T("Shipments", ["Date", "Item", "Lot", "Quantity", "Unit", "Customer"],
                       [["2025-01-05", "Granola", "X1", 45, "lb", "Ann"]]),
    })
    prep = prepare(raw)
    sup = reconcile_prepared(prep, "2025-01-01", "2025-01-31").supply.set_index("ingredient")
    assert sup.loc["Almonds", "shipped_equivalent"] == pytest.approx(10)
    assert sup.loc["Oats", "shipped_equivalent"] == pytest.approx(35)
    t = prep
    assert one(t, "X1").composition == {"Oats": pytest.approx(35 / 45), "Almonds": pytest.approx(10 / 45)}
    assert one(t, "A1").accounted.shipped == pytest.approx(10)
