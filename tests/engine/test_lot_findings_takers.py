"""checks.lot_findings picks the takers never born and born late by numpy masks of their
places among the lots' rows (not from a frame of every taker): the same rows as the
pandas filters it replaced, undated rows included (a ledger an investigation edits may
hold one; NaT compares False in both)."""
import numpy as np
import pandas as pd
from bookkit import book, receipt, ship

from massbal.engine.checks import _first_dates, lot_findings
from massbal.engine.frames import lot_numbers
from massbal.engine.ledger import INFLOW_KINDS, OUTFLOW_KINDS, build_ledger
from massbal.engine.load import load_book

OATS = [{"Item": "Oats", "Kind": "Ingredient"}]


def _ledger():
    raw = book(Items=OATS,
               Receipts=[receipt("2025-01-05", "Oats", "L1", 100), receipt("2025-01-07", "Oats", "L2", 50)],
               Shipments=[ship("2025-01-02", "Oats", "L1", 10),   # before L1 arrives
                          ship("2025-01-03", "Oats", "L1", 5),    # before too: undated below
                          ship("2025-01-09", "Oats", "L9", 7),    # a lot that never arrives
                          ship("2025-01-10", "Oats", "L2", 80),   # more than L2 holds
                          ship("2025-01-11", "Oats", "L1", 20)])  # fine
    b = load_book(raw)
    return b, build_ledger(b)[0]


def _replaced(ledger):
    """The rows the replaced code found: pandas filters of every taker with its first date."""
    lots = ledger.loc[(ledger["lot_key"] != 0).to_numpy(), ["item_key", "lot_key", "date", "kind", "row"]]
    number, most = lot_numbers(lots)
    kind = lots["kind"]
    creators = kind.isin(INFLOW_KINDS + ("count",)).to_numpy()
    taking = kind.isin(OUTFLOW_KINDS + ("transfer out",)).to_numpy()
    takers = lots[taking].assign(born=_first_dates(number[creators], lots["date"].to_numpy()[creators],
                                                   number[taking], most))
    never = takers[takers["born"].isna()]
    early = takers[takers["born"].notna() & (takers["date"] < takers["born"])]
    return sorted(never["row"].tolist() + early["row"].tolist())


def _found_rows(found):
    return sorted(found.loc[found["code"] == "UNKNOWN_LOT", "row"].astype(int).tolist())


def test_as_the_pandas_filters():
    b, ledger = _ledger()
    found = lot_findings(b, ledger)
    assert _found_rows(found) == _replaced(ledger) == [2, 3, 4]
    over = found[found["code"] == "LOT_OVERDRAWN"]
    assert over["row"].tolist() == [5] and "holds 50.00 lb on 2025-01-10" in over["message"].iloc[0]


def test_undated_rows_as_the_pandas_filters():
    b, ledger = _ledger()
    dated = ledger.copy()
    # an undated taker (born late before) and an undated receipt (L2's only one: its takers never born)
    dated.loc[dated["row"].eq(3) & dated["kind"].eq("shipped"), "date"] = pd.NaT
    dated.loc[dated["row"].eq(3) & dated["kind"].eq("receipt"), "date"] = pd.NaT
    assert np.isnat(dated["date"].to_numpy()).sum() == 2
    assert _found_rows(lot_findings(b, dated)) == _replaced(dated) == [2, 4, 5]
