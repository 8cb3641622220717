"""Figures against examples worked by hand (CONTRACT section 2, DOMAIN.md)."""
import pytest
from bookkit import book, certified, count, loss, one, receipt, run, ship, use

from massbal.engine.api import reconcile

ITEMS = [{"Item": n, "Kind": k} for n, k in [
    ("Quinoa, raw", "Ingredient"), ("Quinoa, cleaned", "Product"), ("Sunflower seed, in-shell", "Ingredient"),
    ("Sunflower kernels", "Product"), ("Almonds", "Ingredient"), ("Raisins", "Ingredient"),
    ("Trail mix", "Product")]]


def test_contract_almond_balance():
    # the CONTRACT's JSON example: 12,500 + 16,500 - 17,500 - 500 = 11,000; counted 10,850
    b = book(
        Items=[{"Item": "Almonds", "Kind": "Ingredient"}],
        Certificates=[certified()],
        Receipts=[receipt("2025-11-04", "Almonds", "A-2", 16500)],
        Shipments=[ship("2025-11-10", "Almonds", "A-1", 10000), ship("2025-11-20", "Almonds", "A-2", 7500)],
        Losses=[loss("2025-11-21", "Almonds", 500, Lot="A-2", Reason="spoilage")],
        Counts=[count("2025-10-31", "Almonds", 12500, Lot="A-1"), count("2025-11-30", "Almonds", 10850, Lot="A-2")],
    )
    rec = reconcile(b, "2025-11-01", "2025-11-30")
    r = one(rec.balances, item="Almonds")
    assert (r.beginning, r.received, r.shipped, r.losses) == (12500, 16500, 17500, 500)
    assert r.expected_ending == 11000 and r.counted_ending == 10850
    assert r.variance == -150 and r.variance_pct == -1.36 and r.status == "PASS"


def test_quinoa_cleaning_yield_and_supply():
    b = book(
        Items=ITEMS, Certificates=[certified()],
        Receipts=[receipt("2025-03-01", "Quinoa, raw", "Q1", 1000)],
        Batches=[run("B-101", "2025-03-02", "Quinoa, cleaned", "QC1", 950)],
        BatchInputs=[use("B-101", "Quinoa, raw", "Q1", 1000)],
        Losses=[loss("2025-03-02", "Quinoa, raw", 50, Reason="cleaning", Batch="B-101")],
        Shipments=[ship("2025-03-05", "Quinoa, cleaned", "QC1", 950)],
    )
    rec = reconcile(b, "2025-03-01", "2025-03-31")
    y = one(rec.yields, batch="B-101")
    assert (y.input, y.output, y.process_loss, y.documented_loss, y.yield_pct) == (1000, 950, 50, 50, 95.0)
    s = one(rec.supply, ingredient="Quinoa, raw")
    assert (s.available, s.shipped_equivalent, s.losses_equivalent, s.on_hand_equivalent, s.unaccounted) == \
        (1000, 950, 50, 0, 0)
    assert s.status == "PASS"
    # the documented run loss is not taken from stock a second time
    raw = one(rec.balances, item="Quinoa, raw")
    assert (raw.received, raw.used, raw.losses, raw.expected_ending) == (1000, 1000, 0, 0)
    assert not (rec.findings["code"] == "UNDOCUMENTED_LOSS").any()


def test_sunflower_kernels():
    b = book(
        Items=ITEMS, Certificates=[certified()],
        Receipts=[receipt("2025-03-01", "Sunflower seed, in-shell", "S1", 1000)],
        Batches=[run("B-7", "2025-03-02", "Sunflower kernels", "K1", 350)],
        BatchInputs=[use("B-7", "Sunflower seed, in-shell", "S1", 1000)],
        Shipments=[ship("2025-03-05", "Sunflower kernels", "K1", 350)],
    )
    rec = reconcile(b, "2025-03-01", "2025-03-31")
    s = one(rec.supply, ingredient="Sunflower seed, in-shell")
    assert (s.available, s.shipped_equivalent, s.losses_equivalent, s.unaccounted) == (1000, 350, 650, 0)
    y = one(rec.yields, batch="B-7")
    assert y.yield_pct == 35.0 and y.undocumented_loss == 650
    f = one(rec.findings, code="UNDOCUMENTED_LOSS")
    assert (f.sheet, f.row, f.column) == ("Batches", 2, "Batch")


def test_trail_mix():
    b = book(
        Items=ITEMS, Certificates=[certified()],
        Receipts=[receipt("2025-03-01", "Almonds", "A1", 100), receipt("2025-03-01", "Raisins", "R1", 50)],
        Batches=[run("TM-1", "2025-03-02", "Trail mix", "T1", 150)],
        BatchInputs=[use("TM-1", "Almonds", "A1", 100), use("TM-1", "Raisins", "R1", 50)],
        Shipments=[ship("2025-03-05", "Trail mix", "T1", 150)],
    )
    rec = reconcile(b, "2025-03-01", "2025-03-31")
    assert one(rec.supply, ingredient="Almonds").shipped_equivalent == 100
    assert one(rec.supply, ingredient="Raisins").shipped_equivalent == 50
    assert set(rec.supply["status"]) == {"PASS"}


def multi_level_book(**extra):
    """Oats and honey baked into clusters (12 % moisture lost), clusters and almonds packed
    into granola sold in 10 lb cases."""
    tables = dict(
        Items=[{"Item": "Oats", "Kind": "Ingredient"}, {"Item": "Honey", "Kind": "Ingredient"},
               {"Item": "Almonds", "Kind": "Ingredient"}, {"Item": "Oat clusters", "Kind": "Intermediate"},
               {"Item": "Granola", "Kind": "Product", "Unit": "case", "Kg per unit": 4.5359237}],
        Certificates=[certified()],
        Receipts=[receipt("2025-01-02", "Oats", "O1", 800), receipt("2025-01-02", "Honey", "H1", 200),
                  receipt("2025-01-02", "Almonds", "A1", 60)],
        Batches=[run("CL-1", "2025-01-05", "Oat clusters", "C1", 880),
                 run("GR-1", "2025-01-10", "Granola", "G1", 50, unit="case")],
        BatchInputs=[use("CL-1", "Oats", "O1", 800), use("CL-1", "Honey", "H1", 200),
                     use("GR-1", "Oat clusters", "C1", 440), use("GR-1", "Almonds", "A1", 60)],
        Losses=[loss("2025-01-05", "Oat clusters", 120, Reason="process", Batch="CL-1")],
        Shipments=[ship("2025-01-20", "Granola", "G1", 30, unit="cases")],
        Counts=[count("2025-01-31", "Granola", 20, unit="case", Lot="G1"),
                count("2025-01-31", "Oat clusters", 440, Lot="C1"),
                count("2025-01-31", "Oats", 0), count("2025-01-31", "Honey", 0), count("2025-01-31", "Almonds", 0)],
    )
    tables.update(extra)
    return book(**tables)


def test_multi_level_ingredient_equivalents():
    rec = reconcile(multi_level_book(), "2025-01-01", "2025-01-31")
    g = one(rec.balances, item="Granola")
    assert g.produced == pytest.approx(500) and g.shipped == pytest.approx(300)
    assert g.counted_ending == pytest.approx(200) and g.status == "PASS"
    # granola = 88 % clusters (80 % oats, 20 % honey) + 12 % almonds
    oats = one(rec.supply, ingredient="Oats")
    assert oats.available == pytest.approx(800)
    assert oats.shipped_equivalent == pytest.approx(300 * 0.704)
    assert oats.losses_equivalent == pytest.approx(120 * 0.8)
    assert oats.on_hand_equivalent == pytest.approx(440 * 0.8 + 200 * 0.704)
    assert oats.unaccounted == pytest.approx(0, abs=1e-6)
    honey = one(rec.supply, ingredient="Honey")
    assert honey.shipped_equivalent == pytest.approx(300 * 0.176)
    assert one(rec.supply, ingredient="Almonds").shipped_equivalent == pytest.approx(36)
    assert set(rec.supply["status"]) == {"PASS"}


def test_counted_shortfall_shows_as_unaccounted_supply():
    # 30 lb of clusters missing at the count: 24 lb of oats unaccounted, beyond nothing shipped
    b = multi_level_book(Counts=[count("2025-01-31", "Granola", 20, unit="case", Lot="G1"),
                                 count("2025-01-31", "Oat clusters", 410, Lot="C1")])
    rec = reconcile(b, "2025-01-01", "2025-01-31")
    assert one(rec.supply, ingredient="Oats").unaccounted == pytest.approx(30 * 0.8)


def test_mixed_units_sum_in_report_unit():
    # DOMAIN: 1,000 lb + 200 kg + 1 short ton = 3,440.9 lb
    b = book(Items=[{"Item": "Wheat"}], Certificates=[certified()],
             Receipts=[receipt("2025-02-01", "Wheat", "W1", 1000, "lb"), receipt("2025-02-02", "Wheat", "W2", 200, "kg"),
                       receipt("2025-02-03", "Wheat", "W3", 1, "ton")])
    r = one(reconcile(b, "2025-02-01", "2025-02-28").balances, item="Wheat")
    assert round(r.received, 1) == 3440.9


def test_report_unit_kg_from_settings():
    b = book(Items=[{"Item": "Wheat"}], Certificates=[certified()], Settings=[{"Setting": "Unit", "Value": "kg"}],
             Receipts=[receipt("2025-02-01", "Wheat", "W1", 1000, "lb")])
    rec = reconcile(b, "2025-02-01", "2025-02-28")
    assert rec.unit == "kg"
    assert one(rec.balances, item="Wheat").received == pytest.approx(453.59237)


def test_bushels_through_kg_per_unit():
    # oats at 32 lb per bushel
    b = book(Items=[{"Item": "Oats", "Unit": "bushel", "Kg per unit": 32 * 0.45359237}], Certificates=[certified()],
             Receipts=[receipt("2025-02-01", "Oats", "O1", 100, "bu")])
    assert one(reconcile(b, "2025-02-01", "2025-02-28").balances, item="Oats").received == pytest.approx(3200)


def test_negative_balance_of_an_oversold_trader():
    b = book(Items=[{"Item": "Quinoa"}], Certificates=[certified()],
             Receipts=[receipt("2025-05-01", "Quinoa", "Q1", 10000)],
             Shipments=[ship("2025-05-10", "Quinoa", "Q1", 8000), ship("2025-05-20", "Quinoa", "Q1", 5000)])
    rec = reconcile(b, "2025-05-01", "2025-05-31")
    r = one(rec.balances, item="Quinoa")
    assert r.status == "NEGATIVE" and r.expected_ending == -3000
    f = one(rec.findings, code="NEGATIVE_BALANCE")
    assert (f.sheet, f.row, f.column, f.severity) == ("Shipments", 3, "Quantity", "error")
    sup = one(rec.supply, ingredient="Quinoa")
    assert sup.status == "OVERSOLD" and sup.unaccounted == pytest.approx(-3000)
    assert rec.needs_attention  # massbal reconcile exits 1


def test_same_day_inflow_before_outflow_is_not_negative():
    b = book(Items=[{"Item": "Oats"}], Certificates=[certified()],
             Receipts=[receipt("2025-05-03", "Oats", "O1", 100)],
             Shipments=[ship("2025-05-03", "Oats", "O1", 100)])
    assert one(reconcile(b, "2025-05-01", "2025-05-31").balances, item="Oats").status == "NO COUNT"


def test_beginning_rolls_forward_from_last_count_and_months_chain():
    b = book(Items=[{"Item": "Oats"}], Certificates=[certified()],
             Receipts=[receipt("2025-01-10", "Oats", "O1", 1000), receipt("2025-02-10", "Oats", "O2", 500)],
             Shipments=[ship("2025-01-20", "Oats", "O1", 300), ship("2025-02-15", "Oats", "O1", 600)],
             Counts=[count("2025-01-31", "Oats", 690, Lot="O1"), count("2025-02-28", "Oats", 590)])
    rec = reconcile(b, period="month")
    jan = one(rec.balances, item="Oats", start=__import__("pandas").Timestamp("2025-01-01"))
    feb = one(rec.balances, item="Oats", start=__import__("pandas").Timestamp("2025-02-01"))
    assert (jan.expected_ending, jan.counted_ending, jan.variance) == (700, 690, -10)
    assert feb.beginning == 690  # the count at the end of January, not the book
    assert feb.expected_ending == 590 and feb.status == "PASS"
    # a period starting mid-month rolls the January count forward through Feb 10
    mid = one(reconcile(b, "2025-02-12", "2025-02-28").balances, item="Oats")
    assert mid.beginning == 1190


def test_owner_stock_kept_apart():
    b = book(Items=[{"Item": "Oats"}], Certificates=[certified()],
             Receipts=[receipt("2025-01-10", "Oats", "O1", 1000),
                       receipt("2025-01-10", "Oats", "CUST-1", 400, Owner="Granola Co")],
             Shipments=[ship("2025-01-20", "Oats", "CUST-1", 500, Owner="Granola Co")])
    rec = reconcile(b, "2025-01-01", "2025-01-31")
    own = one(rec.balances, item="Oats", owner=None)
    assert own.expected_ending == 1000 and own.status == "NO COUNT"
    theirs = one(rec.balances, owner="Granola Co")
    assert theirs.expected_ending == -100 and theirs.status == "NEGATIVE"


def test_variance_over_tolerance_investigate():
    b = book(Items=[{"Item": "Raisins", "Category": "Dried fruit"}], Certificates=[certified()],
             Settings=[{"Setting": "Tolerance % Dried fruit", "Value": 2}],
             Receipts=[receipt("2025-01-10", "Raisins", "R1", 1000)],
             Counts=[count("2025-01-31", "Raisins", 970, Lot="R1")])
    rec = reconcile(b, "2025-01-01", "2025-01-31")
    r = one(rec.balances, item="Raisins")
    assert (r.variance_pct, r.tolerance_pct, r.status) == (-3.0, 2.0, "INVESTIGATE")
    f = one(rec.findings, code="VARIANCE_OVER_TOLERANCE")
    assert (f.sheet, f.row, f.column) == ("Counts", 2, "Quantity")
    assert rec.needs_attention  # massbal reconcile exits 1
