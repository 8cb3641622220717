"""slips.typed_rows looks each row's typed cell up by position: the same frame (rows, order,
columns, dtypes) as the merge per table it replaced, on any rows in any order."""
import numpy as np
import pandas as pd
from bookkit import book, certified, count, loss, receipt, run, ship, use
from farmkit import crop_item, farm_book, field, harvest
from farmkit import ship as farm_ship

from massbal.engine.api import prepare
from massbal.engine.investigate.slips import KIND_TABLE, typed_rows


def merged(bk, ledger: pd.DataFrame) -> pd.DataFrame:
    """typed_rows as it was: a groupby of the tables and a left merge each."""
    out = ledger.assign(_i=ledger.index, table=ledger["kind"].astype(object).map(KIND_TABLE))
    parts = []
    for table, grp in out.groupby("table", sort=False):
        t = bk.tables[table][["_row", "quantity", "unit"]].drop_duplicates("_row")
        parts.append(grp.merge(t.rename(columns={"_row": "row", "quantity": "typed"}), on="row", how="left"))
    if not parts:
        return out.assign(typed=np.nan, unit=None, per_typed=np.nan)
    res = pd.concat(parts, ignore_index=True)
    res["typed"] = res["typed"].astype(float)
    res["per_typed"] = res["qty"] / res["typed"].where(res["typed"] != 0)
    return res.set_index(res["_i"].to_numpy())


def _books():
    items = [{"Item": "Quinoa, raw", "Kind": "Ingredient"}, {"Item": "Quinoa, cleaned", "Kind": "Product"}]
    yield book(Items=items, Certificates=[certified()],
               Receipts=[receipt("2025-03-01", "Quinoa, raw", "Q1", 1000), receipt("2025-03-03", "Quinoa, raw", "Q2", 0)],
               Batches=[run("B-101", "2025-03-02", "Quinoa, cleaned", "QC1", 950)],
               BatchInputs=[use("B-101", "Quinoa, raw", "Q1", 1000)],
               Losses=[loss("2025-03-02", "Quinoa, raw", 50, Reason="cleaning", Batch="B-101")],
               Shipments=[ship("2025-03-05", "Quinoa, cleaned", "QC1", 950)],
               Counts=[count("2025-03-31", "Quinoa, raw", 0), count("2025-03-31", "Quinoa, cleaned", 0)])
    yield farm_book(Items=[crop_item("Corn")], Fields=[field("North", "Corn", 2025, 100, 150)],
                    Harvests=[harvest("2025-10-01", "Corn", "H1", 15000, unit="bu", field="North")],
                    Shipments=[farm_ship("2025-11-01", "Corn", "H1", 14000, unit="bu")])


def test_typed_rows_as_the_merge_gave_them():
    rng = np.random.default_rng(3)
    for raw in _books():
        prep = prepare(raw)
        led = prep.ledger
        slim = led[["item_key", "owner_key", "date", "kind", "qty", "sheet", "row", "batch_key", "lot_key"]]
        for frame in (led, slim):
            for rows in (frame, frame.iloc[::-1], frame.iloc[:0], frame.iloc[rng.permutation(len(frame))[:3]],
                         frame[(frame["kind"].astype(object) == "count").to_numpy()],
                         frame[(frame["kind"].astype(object) == "harvested").to_numpy()]):
                pd.testing.assert_frame_equal(typed_rows(prep.book, rows), merged(prep.book, rows), check_exact=True)


def test_typed_rows_of_tables_not_in_row_order():
    # a table whose worksheet rows are not ascending, or repeat (the first of each is read):
    # the look-up by hash, as the merge gave it; in row order, by binary search: the same
    import dataclasses
    prep = prepare(next(_books()))
    t = prep.book.tables["Receipts"]
    for odd in (t.iloc[::-1], pd.concat([t.assign(quantity=t["quantity"] * 2), t], ignore_index=True)):
        bk = dataclasses.replace(prep.book, tables={**prep.book.tables, "Receipts": odd})
        for rows in (prep.ledger, prep.ledger.iloc[::-1]):
            pd.testing.assert_frame_equal(typed_rows(bk, rows), merged(bk, rows), check_exact=True)
