"""Every finding code of the contract, at its exact sheet, row and column.

Rows: data start on worksheet row 2 (the header is row 1), so the n-th row of a table
list is worksheet row n + 1.
"""
import pandas as pd
from bookkit import book, certified, count, loss, receipt, run, ship, use

from massbal.engine.api import reconcile
from massbal.engine.findings import CODES
from massbal.engine.rawbook import RawBook, RawTable

OATS = [{"Item": "Oats", "Kind": "Ingredient"}, {"Item": "Oat clusters", "Kind": "Product"}]


def findings(b, **kw):
    return reconcile(b, "2025-01-01", "2025-12-31", today=pd.Timestamp("2025-06-01").date(), **kw).findings


def at(found, code):
    sub = found[found["code"] == code]
    assert len(sub), f"no {code} in\n{found[['code', 'sheet', 'row', 'message']]}"
    return [(r.severity, r.sheet, None if pd.isna(r.row) else int(r.row), r.column) for r in sub.itertuples()]


def base(**extra):
    t = dict(Items=OATS, Certificates=[certified()], Receipts=[receipt("2025-01-02", "Oats", "O1", 1000)])
    t.update(extra)
    return book(**t)


def test_missing_table():
    f = findings(book(Receipts=[receipt("2025-01-02", "Oats", "O1", 1)]))
    assert ("warning", "Items", None, None) in at(f, "MISSING_TABLE")
    assert ("warning", "Shipments", None, None) in at(f, "MISSING_TABLE")


def test_missing_column_stops_only_that_table():
    raw = base().tables
    shipments = RawTable.from_records("Shipments", ["Date", "Item", "Quantity", "Unit"],
                                      [["2025-01-05", "Oats", 10, "lb"]])
    f = findings(RawBook({**raw, "Shipments": shipments}))
    assert at(f, "MISSING_COLUMN") == [("error", "Shipments", 1, "Lot")]
    assert not (f["code"] == "UNKNOWN_LOT").any()


def test_missing_value_bad_date_bad_quantity_bad_unit():
    b = base(Shipments=[ship("2025-01-05", "Oats", None, 10), ship("2025-31-01", "Oats", "O1", 10),
                        ship("2025-01-06", "Oats", "O1", "ten"), ship("2025-01-07", "Oats", "O1", 10, unit="lbz"),
                        ship("2025-01-08", "Oats", "O1", 10, unit="gallon"), ship("2025-01-09", "Oats", "O1", -5)])
    f = findings(b)
    assert at(f, "MISSING_VALUE") == [("error", "Shipments", 2, "Lot")]
    assert at(f, "BAD_DATE") == [("error", "Shipments", 3, "Date")]
    assert ("error", "Shipments", 4, "Quantity") in at(f, "BAD_QUANTITY")
    assert ("error", "Shipments", 7, "Quantity") in at(f, "BAD_QUANTITY")
    assert at(f, "BAD_UNIT") == [("error", "Shipments", 5, "Unit"), ("error", "Shipments", 6, "Unit")]
    msg = f[(f["code"] == "BAD_UNIT") & (f["row"] == 6)].iloc[0].message
    assert "volume" in msg and "Kg per unit" in msg
    cells = f.set_index(["code", "row"])["cell"]
    assert cells[("BAD_QUANTITY", 4)] == "D4"


def test_good_rows_still_count_next_to_bad_ones():
    b = base(Shipments=[ship("2025-01-05", "Oats", "O1", 100), ship("2025-01-06", "Oats", "O1", "abc")])
    rec = reconcile(b, "2025-01-01", "2025-01-31")
    assert rec.balances.iloc[0].shipped == 100


def test_unknown_item_is_flagged_and_counted():
    b = base(Receipts=[receipt("2025-01-02", "Oats", "O1", 1000), receipt("2025-01-03", "Oat", "X1", 5)])
    f = findings(b)
    assert at(f, "UNKNOWN_ITEM") == [("error", "Receipts", 3, "Item")]


def test_unknown_lot_never_arrived_and_used_before_arrival():
    b = base(Shipments=[ship("2025-01-05", "Oats", "NOPE", 10), ship("2025-01-01", "Oats", "O1", 10)])
    assert at(findings(b), "UNKNOWN_LOT") == [("error", "Shipments", 2, "Lot"), ("error", "Shipments", 3, "Lot")]


def test_unknown_batch():
    b = base(BatchInputs=[use("B-9", "Oats", "O1", 10)],
             Losses=[loss("2025-01-05", "Oats", 3, Batch="B-8", Lot="O1")])
    f = findings(b)
    assert ("error", "BatchInputs", 2, "Batch") in at(f, "UNKNOWN_BATCH")
    assert ("error", "Losses", 2, "Batch") in at(f, "UNKNOWN_BATCH")


def test_duplicate_lot():
    b = base(Receipts=[receipt("2025-01-02", "Oats", "O1", 1000), receipt("2025-02-02", "Oats", "o1 ", 500)])
    f = findings(b)
    assert at(f, "DUPLICATE_LOT") == [("warning", "Receipts", 3, "Lot")]
    assert ("info", "Receipts", 3, "Lot") in at(f, "NAME_VARIANT")


def test_lot_overdrawn_at_the_row_that_overdraws():
    b = base(Shipments=[ship("2025-01-05", "Oats", "O1", 600), ship("2025-01-06", "Oats", "O1", 600)])
    f = findings(b)
    assert at(f, "LOT_OVERDRAWN") == [("error", "Shipments", 3, "Quantity")]
    assert "holds 400.00 lb" in f[f["code"] == "LOT_OVERDRAWN"].iloc[0].message


def test_count_resets_lot_stock():
    # counted 200 of O1 left after a 600 shipment: the book said 400, the count rules
    b = base(Shipments=[ship("2025-01-05", "Oats", "O1", 600), ship("2025-02-05", "Oats", "O1", 300)],
             Counts=[count("2025-01-31", "Oats", 200, Lot="O1")])
    assert at(findings(b), "LOT_OVERDRAWN") == [("error", "Shipments", 3, "Quantity")]


def test_one_lot_number_of_two_items_is_two_lots():
    # lot L1 of Oats and of Wheat are two lots (one lot code, two items: lot_findings numbers
    # the pairs, not the codes): Wheat's L1 holds its own 50, not Oats' 1000 as well, and
    # Wheat's L2 never arrived though Oats' L2 did
    wheat = [{"Item": "Wheat", "Kind": "Ingredient"}]
    b = base(Items=OATS + wheat,
             Receipts=[receipt("2025-01-02", "Oats", "L1", 1000), receipt("2025-01-02", "Wheat", "L1", 50),
                       receipt("2025-01-02", "Oats", "L2", 10)],
             Shipments=[ship("2025-01-05", "Wheat", "L1", 80), ship("2025-01-05", "Oats", "L1", 900),
                        ship("2025-01-06", "Wheat", "L2", 5)])
    f = findings(b)
    assert at(f, "LOT_OVERDRAWN") == [("error", "Shipments", 2, "Quantity")]
    assert "holds 50.00 lb" in f[f["code"] == "LOT_OVERDRAWN"].iloc[0].message
    assert at(f, "UNKNOWN_LOT") == [("error", "Shipments", 4, "Lot")]


def test_negative_balance():
    b = base(Shipments=[ship("2025-03-05", "Oats", "O1", 1200)])
    assert at(findings(b), "NEGATIVE_BALANCE") == [("error", "Shipments", 2, "Quantity")]


def test_certificates_missing_unknown_expired_scope():
    b = book(
        Items=[{"Item": "Oats"}, {"Item": "Honey"}],
        Certificates=[certified("Valley Mills", "VM-1", "2025-06-30", **{"Items covered": "Oats"}),
                      certified("Andes", "AN-1", "2026-12-31")],
        Receipts=[receipt("2025-01-02", "Oats", "O1", 10, supplier="Nobody", cert=None),
                  receipt("2025-01-02", "Oats", "O2", 10, supplier="Andes", cert="AN-404"),
                  receipt("2025-07-15", "Oats", "O3", 10, supplier="Valley Mills", cert="VM-1"),
                  receipt("2025-03-01", "Honey", "H1", 10, supplier="Valley Mills", cert="VM-1"),
                  receipt("2025-03-01", "Honey", "H2", 10, supplier="Valley Mills", cert=None),
                  receipt("2025-03-01", "Oats", "O4", 10, supplier="Nobody", cert=None, Organic="No")])
    f = findings(b)
    assert at(f, "CERT_MISSING") == [("error", "Receipts", 2, "Certificate")]
    assert at(f, "CERT_UNKNOWN") == [("error", "Receipts", 3, "Certificate")]
    assert at(f, "CERT_EXPIRED") == [("error", "Receipts", 4, "Date")]
    assert at(f, "CERT_SCOPE") == [("error", "Receipts", 5, "Item"), ("error", "Receipts", 6, "Item")]
    assert at(f, "CERT_EXPIRING") == [("info", "Certificates", 2, "Valid to")]


def test_commingled_conventional_lot_in_organic_run():
    b = base(Receipts=[receipt("2025-01-02", "Oats", "O1", 1000),
                       receipt("2025-01-02", "Oats", "CONV-1", 100, Organic="No")],
             Batches=[run("B1", "2025-01-03", "Oat clusters", "C1", 1000)],
             BatchInputs=[use("B1", "Oats", "O1", 950), use("B1", "Oats", "CONV-1", 100)])
    rec = reconcile(b, "2025-01-01", "2025-01-31")
    assert at(rec.findings, "COMMINGLED") == [("error", "BatchInputs", 3, "Lot")]
    # the conventional lot adds no organic oats to the supply balance
    s = rec.supply[rec.supply["ingredient"] == "Oats"].iloc[0]
    assert s.available == 1000


def test_salt_is_not_commingling():
    b = base(Items=OATS + [{"Item": "Sea salt", "Organic": "No", "Category": "Salt"}],
             Receipts=[receipt("2025-01-02", "Oats", "O1", 1000),
                       receipt("2025-01-02", "Sea salt", "S1", 10, supplier="Salt Co", cert=None)],
             Batches=[run("B1", "2025-01-03", "Oat clusters", "C1", 1000)],
             BatchInputs=[use("B1", "Oats", "O1", 995), use("B1", "Sea salt", "S1", 5)])
    f = findings(b)
    assert not (f["code"] == "COMMINGLED").any() and not (f["code"] == "CERT_MISSING").any()


def test_lot_cycle():
    b = base(Batches=[run("B1", "2025-01-03", "Oat clusters", "C1", 100), run("B2", "2025-01-04", "Oat clusters", "C2", 100)],
             BatchInputs=[use("B1", "Oats", "O1", 50), use("B1", "Oat clusters", "C2", 50),
                          use("B2", "Oat clusters", "C1", 100)])
    cyc = at(findings(b), "LOT_CYCLE")
    assert ("error", "BatchInputs", 3, "Lot") in cyc and ("error", "BatchInputs", 4, "Lot") in cyc


def test_yield_outlier_against_same_products_runs():
    runs, inputs = [], []
    for i, out in enumerate([880, 875, 885, 878, 700]):
        runs.append(run(f"B{i}", f"2025-01-{10 + i}", "Oat clusters", f"C{i}", out))
        inputs.append(use(f"B{i}", "Oats", "O1", 1000))
    b = base(Receipts=[receipt("2025-01-02", "Oats", "O1", 5000)], Batches=runs, BatchInputs=inputs,
             Losses=[loss(f"2025-01-{10 + i}", "Oats", 1000 - o, Batch=f"B{i}", Reason="process")
                     for i, o in enumerate([880, 875, 885, 878, 700])])
    assert at(findings(b), "YIELD_OUTLIER") == [("warning", "Batches", 6, "Quantity")]


def test_variance_over_tolerance_and_every_code_covered():
    b = base(Counts=[count("2025-01-31", "Oats", 800, Lot="O1")])
    f = reconcile(b, "2025-01-01", "2025-01-31").findings
    assert at(f, "VARIANCE_OVER_TOLERANCE") == [("warning", "Counts", 2, "Quantity")]


def test_every_contract_code_is_produced_by_some_test():
    import pathlib
    here = pathlib.Path(__file__).parent
    text = "".join(p.read_text() for p in here.glob("test_*.py"))
    contract = CODES[:CODES.index("VARIANCE_OVER_TOLERANCE") + 1]
    assert [c for c in contract if f'code="{c}"' not in text and f'"{c}")' not in text] == []


def test_blank_optional_cells_of_text_columns_stay_blank():
    # pandas' str dtype holds NaN for an empty cell; it must never become the name 'None'
    import numpy as np

    from massbal.engine.parse import parse_text
    p = parse_text(pd.Series([np.nan, " Lot  7 ", "B-1"], dtype="str"))
    assert p.values.tolist() == [None, "Lot 7", "B-1"] and p.blank.tolist() == [True, False, False]


def test_transfer_overdraws_at_its_lots_stock():
    # a transfer moves stock, not amount: each one holds its own lot's stock from the last
    # flow before it (two lots' transfers interleaved, so a stock put at another's row shows)
    tr = [{"Date": d, "Item": "Oats", "Lot": lot, "Quantity": q, "Unit": "lb", "From": "Plant", "To": "Annex"}
          for d, lot, q in (("2025-01-03", "O2", 50), ("2025-01-04", "O1", 300), ("2025-01-06", "O1", 500),
                            ("2025-01-07", "O2", 80), ("2025-01-08", "O2", 120))]
    b = base(Receipts=[receipt("2025-01-02", "Oats", "O1", 1000), receipt("2025-01-02", "Oats", "O2", 100)],
             Shipments=[ship("2025-01-05", "Oats", "O1", 600)], Transfers=tr)
    f = findings(b)
    assert at(f, "LOT_OVERDRAWN") == [("error", "Transfers", 4, "Quantity"), ("error", "Transfers", 6, "Quantity")]
    msgs = f[f["code"] == "LOT_OVERDRAWN"]["message"].tolist()
    assert "holds 400.00 lb" in msgs[0] and "takes 500.00 lb" in msgs[0]
    assert "holds 100.00 lb" in msgs[1] and "takes 120.00 lb" in msgs[1]
