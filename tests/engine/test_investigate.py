"""Investigations (CONTRACT section 7): hand-worked cases for every cause, each candidate's
figures checked against a full reconcile of the corrected workbook."""
import pandas as pd
from bookkit import book, certified, count, loss, receipt, run, ship, use
from investigate_kit import assert_recomputed

from massbal.engine.api import reconcile

QUINOA = [{"Item": "Quinoa", "Kind": "Ingredient"}]


def quinoa_book(shipments=(900, 1000, 1000, 1200, 100, 1500, 800, 1100, 1000), counted=9550, **extra):
    return book(Items=QUINOA, Certificates=[certified()],
                Receipts=[receipt("2025-11-03", "Quinoa", "Q2", 14000)],
                Shipments=[ship(f"2025-11-{5 + 2 * i:02d}", "Quinoa", "Q1" if i < 3 else "Q2", q)
                           for i, q in enumerate(shipments)],
                Counts=[count("2025-10-31", "Quinoa", 5000, Lot="Q1"), count("2025-11-30", "Quinoa", counted, Lot="Q2")],
                **extra)


def candidates(rec, item, start, figure="Balance"):
    inv = rec.investigations
    return inv[(inv["figure"] == figure) & (inv["item"] == item) & (inv["start"] == pd.Timestamp(start))] \
        .reset_index(drop=True)


def test_contract_quinoa_example():
    # 5,000 + 14,000 - 8,600 = 10,400 expected; counted 9,550: -850 (-8.17 %). The fifth
    # shipment (worksheet row 6) was 1,000 keyed as 100.
    raw = quinoa_book()
    rec = reconcile(raw, "2025-11-01", "2025-11-30")
    b = rec.balances.iloc[0]
    assert (b.expected_ending, b.variance, b.variance_pct, b.status) == (10400, -850, -8.17, "INVESTIGATE")
    first = candidates(rec, "Quinoa", "2025-11-01").iloc[0]
    assert (first.sheet, first.row, first.column, first.cell) == ("Shipments", 6, "Quantity", "D6")
    assert (first.cause, first.typed, first.suggested) == ("DIGIT_SHIFT", 100, 1000)
    assert (first.variance_after, first.variance_pct_after, first.status_after) == (50, 0.53, "PASS")
    assert first.explanation.startswith("Shipments row 6: Quantity 100 was probably 1,000")
    assert assert_recomputed(raw, rec.investigations, "2025-11-01", "2025-11-30", "all") >= 1
    # and in the JSON, by the contract's names
    j = rec.to_model().investigations[0]
    assert (j.item, j.cause, j.sheet, j.row, j.column, j.suggested, j.variance_after, j.status_after) == \
        ("Quinoa", "DIGIT_SHIFT", "Shipments", 6, "Quantity", 1000.0, 50.0, "PASS")


def test_transposed_digits():
    # a 1,450 lb shipment keyed 1,540: the books are 90 short, the count 90 over them
    raw = book(Items=[{"Item": "Oats", "Kind": "Ingredient"}], Certificates=[certified()],
               Receipts=[receipt("2025-03-03", "Oats", "O1", 5000)],
               Shipments=[ship("2025-03-10", "Oats", "O1", 1540), ship("2025-03-12", "Oats", "O1", 2000)],
               Counts=[count("2025-03-31", "Oats", 1550, Lot="O1")])
    rec = reconcile(raw, "2025-03-01", "2025-03-31")
    b = rec.balances.iloc[0]
    assert (b.expected_ending, b.variance, b.status) == (1460, 90, "INVESTIGATE")
    first = candidates(rec, "Oats", "2025-03-01").iloc[0]
    assert (first.cause, first.cell, first.typed, first.suggested) == ("TRANSPOSED_DIGITS", "D2", 1540, 1450)
    assert (first.variance_after, first.status_after) == (0, "PASS")
    assert_recomputed(raw, rec.investigations, "2025-03-01", "2025-03-31", "all")


def test_unit_slip():
    # 500 kg of almonds received, keyed as 500 lb: the count finds 602.31 lb more
    raw = book(Items=[{"Item": "Almonds", "Kind": "Ingredient"}], Certificates=[certified()],
               Receipts=[receipt("2025-05-02", "Almonds", "A1", 2000), receipt("2025-05-09", "Almonds", "A2", 500)],
               Shipments=[ship("2025-05-20", "Almonds", "A1", 1500)],
               Counts=[count("2025-05-31", "Almonds", 500 + 500 / 0.45359237, Lot="A2")])
    rec = reconcile(raw, "2025-05-01", "2025-05-31")
    first = candidates(rec, "Almonds", "2025-05-01").iloc[0]
    assert (first.cause, first.sheet, first.row, first.column, first.typed, first.suggested) == \
        ("UNIT_SLIP", "Receipts", 3, "Unit", "lb", "kg")
    assert abs(first.variance_after) < 1e-6 and first.status_after == "PASS"
    assert_recomputed(raw, rec.investigations, "2025-05-01", "2025-05-31", "all")


def test_duplicate_row_is_the_second_of_the_twins():
    raw = book(Items=[{"Item": "Raisins", "Kind": "Ingredient"}], Certificates=[certified()],
               Receipts=[receipt("2025-06-02", "Raisins", "R1", 3000)],
               Shipments=[ship("2025-06-10", "Raisins", "R1", 400), ship("2025-06-12", "Raisins", "R1", 700),
                          ship("2025-06-10", "Raisins", "R1", 400)],
               Counts=[count("2025-06-30", "Raisins", 1900, Lot="R1")])
    rec = reconcile(raw, "2025-06-01", "2025-06-30")
    assert rec.balances.iloc[0].variance == 400
    first = candidates(rec, "Raisins", "2025-06-01").iloc[0]
    assert (first.cause, first.sheet, first.row, first.variance_after, first.status_after) == \
        ("DUPLICATE_ROW", "Shipments", 4, 0, "PASS")
    assert_recomputed(raw, rec.investigations, "2025-06-01", "2025-06-30", "all")


def test_wrong_period_closes_both_months():
    # a 2,000 lb receipt of 31 March keyed as 1 April: March 2,000 short, April 2,000 over
    raw = book(Items=[{"Item": "Flax", "Kind": "Ingredient"}], Certificates=[certified()],
               Receipts=[receipt("2025-03-05", "Flax", "F1", 5000), receipt("2025-04-01", "Flax", "F2", 2000)],
               Shipments=[ship("2025-03-20", "Flax", "F1", 1000), ship("2025-04-15", "Flax", "F1", 3000)],
               Counts=[count("2025-02-28", "Flax", 0), count("2025-03-31", "Flax", 6000),
                       count("2025-04-30", "Flax", 3000)])
    rec = reconcile(raw, "2025-03-01", "2025-04-30", period="month")
    bal = rec.balances.set_index("start")
    assert (bal.loc["2025-03-01", "variance"], bal.loc["2025-04-01", "variance"]) == (2000, -2000)
    for month, other in (("2025-03-01", "2025-04-01"), ("2025-04-01", "2025-03-01")):
        first = candidates(rec, "Flax", month).iloc[0]
        assert (first.cause, first.sheet, first.row, first.column) == ("WRONG_PERIOD", "Receipts", 3, "Date")
        assert (first.typed, first.suggested) == ("2025-04-01", "2025-03-31")
        assert (first.variance_after, first.status_after) == (0, "PASS")
        assert first.other_start == pd.Timestamp(other) and first.other_status_after == "PASS"
        assert first.other_variance_after == 0
    assert_recomputed(raw, rec.investigations, "2025-03-01", "2025-04-30")


def test_undocumented_run_loss_entered_as_stock_loss():
    # run B-1's 50 lb cleaning loss went onto Losses without its Batch: the raw quinoa
    # stock loses it twice (as run input and as stock loss), the count is 50 over
    items = [{"Item": "Quinoa raw", "Kind": "Ingredient"}, {"Item": "Quinoa clean", "Kind": "Product"}]
    raw = book(Items=items, Certificates=[certified()],
               Receipts=[receipt("2025-03-01", "Quinoa raw", "Q1", 2000)],
               Batches=[run("B-1", "2025-03-02", "Quinoa clean", "C1", 950)],
               BatchInputs=[use("B-1", "Quinoa raw", "Q1", 1000)],
               Losses=[loss("2025-03-02", "Quinoa raw", 50, Lot="Q1", Reason="cleaning")],
               Shipments=[ship("2025-03-05", "Quinoa clean", "C1", 950)],
               Counts=[count("2025-03-31", "Quinoa raw", 1000, Lot="Q1"),
                       count("2025-03-31", "Quinoa clean", 0, Lot="C1")])
    rec = reconcile(raw, "2025-03-01", "2025-03-31")
    b = rec.balances[rec.balances["item"] == "Quinoa raw"].iloc[0]
    assert (b.variance, b.status) == (50, "INVESTIGATE")
    first = candidates(rec, "Quinoa raw", "2025-03-01").iloc[0]
    assert (first.cause, first.sheet, first.row, first.column, first.suggested) == \
        ("UNDOCUMENTED_RUN_LOSS", "Losses", 2, "Batch", "B-1")
    assert (first.variance_after, first.status_after) == (0, "PASS")
    assert_recomputed(raw, rec.investigations, "2025-03-01", "2025-03-31", "all")


def test_two_candidates_the_closer_first():
    # 900 short: a shipment of 100 keyed as 1,000 closes it exactly; a 1,090 keyed as
    # 1,900 would close it to 90 (within 5 %) but not exactly: the digit shift comes first
    raw = book(Items=QUINOA, Certificates=[certified()],
               Receipts=[receipt("2025-11-03", "Quinoa", "Q1", 10000)],
               Shipments=[ship("2025-11-05", "Quinoa", "Q1", 1900), ship("2025-11-07", "Quinoa", "Q1", 1000)],
               Counts=[count("2025-11-30", "Quinoa", 8000, Lot="Q1")])
    rec = reconcile(raw, "2025-11-01", "2025-11-30")
    assert rec.balances.iloc[0].variance == 900
    got = candidates(rec, "Quinoa", "2025-11-01")
    assert list(got["rank"][:2]) == [1, 2]
    assert (got.loc[0, "cause"], got.loc[0, "cell"], got.loc[0, "suggested"], got.loc[0, "variance_after"]) == \
        ("DIGIT_SHIFT", "D3", 100, 0)
    second = got[got["cell"] == "D2"].iloc[0]
    assert second["cause"] == "TRANSPOSED_DIGITS" and second["suggested"] == 1090 and second["variance_after"] == 90
    assert second["rank"] > 1
    assert_recomputed(raw, rec.investigations, "2025-11-01", "2025-11-30", "all")


def test_no_candidate_gets_one_row_saying_what_to_check():
    raw = quinoa_book(shipments=(1000, 1000), counted=17000 - 2500)
    rec = reconcile(raw, "2025-11-01", "2025-11-30")
    got = candidates(rec, "Quinoa", "2025-11-01")
    assert len(got) == 1 and pd.isna(got.loc[0, "cause"]) and got.loc[0, "variance"] == -2500
    assert "recount" in got.loc[0, "explanation"]


def test_pass_balances_have_no_rows():
    raw = quinoa_book(counted=10400)
    rec = reconcile(raw, "2025-11-01", "2025-11-30")
    assert rec.balances.iloc[0].status == "PASS" and rec.investigations.empty
    assert rec.to_model().investigations == []


def test_variance_trend_lists_the_months():
    # 4 % short four months running, each within the 5 % tolerance
    # the count of 31 December opens each month at 1,920; 1,000 in, 920 out: 2,000 expected,
    # 1,920 counted every month
    ends = ["2025-01-31", "2025-02-28", "2025-03-31", "2025-04-30"]
    raw = book(Items=[{"Item": "Oats", "Kind": "Ingredient"}], Certificates=[certified()],
               Receipts=[receipt(f"2025-{m:02d}-05", "Oats", f"O{m}", 1000) for m in range(1, 5)],
               Shipments=[ship(f"2025-{m:02d}-20", "Oats", f"O{m}", 920) for m in range(1, 5)],
               Counts=[count("2024-12-31", "Oats", 1920)] + [count(e, "Oats", 1920) for e in ends])
    rec = reconcile(raw, "2025-01-01", "2025-04-30", period="month")
    assert list(rec.balances["variance_pct"]) == [-4.0, -4.0, -4.0, -4.0]
    assert set(rec.balances["status"]) == {"PASS"}
    f = rec.findings[rec.findings["code"] == "VARIANCE_TREND"]
    assert len(f) == 1 and f.iloc[0]["severity"] == "warning"
    assert (f.iloc[0]["sheet"], f.iloc[0]["row"]) == ("Counts", 6)
    msg = f.iloc[0]["message"]
    assert "4 months running" in msg and "2025-01 -4.00 %" in msg and "2025-04 -4.00 %" in msg
    # fewer months than the setting: no finding
    two = reconcile(raw, "2025-03-01", "2025-04-30", period="month")
    assert not (two.findings["code"] == "VARIANCE_TREND").any()


def test_supply_through_a_run():
    # run B-101 used 1,000 lb of raw quinoa, keyed 10,000: the run seems to lose 9,050 and
    # the raw quinoa supply is oversold; the input cell, corrected, closes it
    items = [{"Item": "Quinoa, raw", "Kind": "Ingredient"}, {"Item": "Quinoa, cleaned", "Kind": "Product"}]
    raw = book(Items=items, Certificates=[certified()],
               Receipts=[receipt("2025-03-01", "Quinoa, raw", "Q1", 1000)],
               Batches=[run("B-101", "2025-03-02", "Quinoa, cleaned", "QC1", 950)],
               BatchInputs=[use("B-101", "Quinoa, raw", "Q1", 10000)],
               Losses=[loss("2025-03-02", "Quinoa, raw", 50, Reason="cleaning", Batch="B-101")],
               Shipments=[ship("2025-03-05", "Quinoa, cleaned", "QC1", 950)],
               Counts=[count("2025-03-31", "Quinoa, raw", 0), count("2025-03-31", "Quinoa, cleaned", 0)])
    rec = reconcile(raw, "2025-03-01", "2025-03-31")
    s = rec.supply[rec.supply["ingredient"] == "Quinoa, raw"].iloc[0]
    assert s.status == "OVERSOLD" and s.unaccounted == -9000
    inv = rec.investigations
    first = inv[inv["figure"] == "Supply"].iloc[0]
    assert (first["item"], first.cause, first.sheet, first.row, first.column, first.typed, first.suggested) == \
        ("Quinoa, raw", "DIGIT_SHIFT", "BatchInputs", 2, "Quantity", 10000, 1000)
    assert (first.variance_after, first.status_after) == (0, "PASS")
    # the same cell is the first candidate of the raw quinoa's NEGATIVE stock balance
    bal = inv[(inv["figure"] == "Balance") & (inv["item"] == "Quinoa, raw")].iloc[0]
    assert (bal.cell, bal.suggested, bal.status_after) == ("D2", 1000, "PASS")
    assert_recomputed(raw, inv, "2025-03-01", "2025-03-31", "all")


def test_a_book_with_nothing_flagged_looks_up_no_run_names(monkeypatch):
    # run_yields (every run's name among the ledger's, ~0.08 s at 1M rows) is made only
    # for an explainer that has flagged rows to explain
    from massbal.engine.investigate import slips

    calls = []
    real = slips.run_yields
    monkeypatch.setattr(slips, "run_yields", lambda *a: calls.append(1) or real(*a))
    raw = quinoa_book(counted=10400, Batches=[run("B-1", "2025-11-02", "Quinoa", "Q9", 95)],
                      BatchInputs=[use("B-1", "Quinoa", "Q2", 100)])
    rec = reconcile(raw, "2025-11-01", "2025-11-30")
    assert rec.investigations.empty and not calls
    assert len(rec.yields) == 1  # a run the look-up would have had to name


def test_a_date_fix_carried_through_months_without_a_count():
    # 1,000 lb of oats received on 10 April, keyed 2025-10-04 (day and month swapped); 500
    # shipped on 20 April. Without a count, each month begins where the one before ended,
    # so the book stock is -500 from April to September and October dips to -500 before the
    # receipt: seven months NEGATIVE. Dated right, it is 500 from 20 April on: each of the
    # seven is fixed by the one cell, and October among them is no longer negative either.
    # (That one correction names October as the other month it changes for April and for
    # May alike: twice the same other month, which once made the whole reconcile fail.)
    raw = book(Items=[{"Item": "Oats", "Kind": "Ingredient"}], Certificates=[certified()],
               Receipts=[receipt("2025-10-04", "Oats", "O1", 1000)],
               Shipments=[ship("2025-04-20", "Oats", "O1", 500)])
    rec = reconcile(raw, "2025-04-01", "2025-11-30", period="month")
    assert rec.balances["status"].tolist() == ["NEGATIVE"] * 7 + ["NO COUNT"]
    assert rec.balances["expected_ending"].tolist() == [-500] * 6 + [500, 500]
    right = reconcile(book(Items=[{"Item": "Oats", "Kind": "Ingredient"}], Certificates=[certified()],
                           Receipts=[receipt("2025-04-10", "Oats", "O1", 1000)],
                           Shipments=[ship("2025-04-20", "Oats", "O1", 500)]),
                      "2025-04-01", "2025-11-30", period="month").balances
    assert right["status"].tolist() == ["NO COUNT"] * 8  # the workbook with the date fixed
    for month in ("2025-04-01", "2025-05-01", "2025-06-01", "2025-07-01", "2025-08-01", "2025-09-01"):
        first = candidates(rec, "Oats", month).iloc[0]
        assert (first.cause, first.sheet, first.row, first.cell, first.typed, first.suggested, first.status_after) == \
            ("WRONG_PERIOD", "Receipts", 2, "A2", "2025-10-04", "2025-04-10", "NO COUNT"), month
        other = pd.Timestamp(first.other_start)
        assert first.other_status_after == right.set_index("start").loc[other, "status"] == "NO COUNT", month


def test_a_date_moved_before_an_items_first_month_still_counts_in_it():
    # 150 lb of oats shipped on 4 July with none in stock: July to September are NEGATIVE.
    # Dated 7 April instead (day and month swapped), the shipment still comes before July,
    # where the oats' balances begin, so July is just as negative: no explanation. (Rye
    # starts the book in January; the oats have no balance before July.)
    items = [{"Item": "Oats", "Kind": "Ingredient"}, {"Item": "Rye", "Kind": "Ingredient"}]

    def oats(shipped):
        raw = book(Items=items, Certificates=[certified()], Receipts=[receipt("2025-01-10", "Rye", "R1", 100)],
                   Shipments=[ship(shipped, "Oats", "O1", 150)])
        rec = reconcile(raw, "2025-01-01", "2025-09-30", period="month")
        return rec, rec.balances[rec.balances["item"] == "Oats"].set_index("start")["status"]

    rec, status = oats("2025-07-04")
    assert status.tolist() == ["NEGATIVE"] * 3
    assert oats("2025-04-07")[1].loc[pd.Timestamp("2025-07-01")] == "NEGATIVE"  # the swap fixes nothing
    inv = rec.investigations[rec.investigations["cause"].notna()]
    assert len(inv) and "2025-04-07" not in set(inv["suggested"])
