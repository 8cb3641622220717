"""genealogy.equivalents made from the ledger's columns taken once (and the stock make-up
from those columns, not from a filtered copy): the same frame, to the bit, as the frames
it replaced made (rows copied, taken, extended and joined), on odd books: rows with and
without a known lot, counts by lot and of a whole item, items with no stock, no row
without a lot, nothing selected, an index that is not 0..n-1, kinds as text, missing
dates, NaN and -0.0 quantities."""
import numpy as np
import pandas as pd
import pytest

from massbal.engine.frames import KeyRuns, asof_merge, key_codes, lot_codes
from massbal.engine.genealogy import Genealogy, _cumulated, equivalents
from massbal.engine.roll import EPS, SIGN
from massbal.engine.supply import STOCK_KINDS

KINDS = ["receipt", "produced", "used", "shipped", "loss", "count", "transfer in"]


def _before(ledger, gen, kinds):
    """equivalents as it was: the rows copied, taken and extended, the parts joined."""
    rows = ledger.loc[ledger["kind"].isin(kinds).to_numpy(), ["date", "kind", "item_key", "lot_key", "owner_key", "qty"]]
    rows = rows.reset_index().rename(columns={"index": "_i"})
    lc = gen.lot_comp
    lk_rows, lk_comp = lot_codes(rows, lc)
    at, n = KeyRuns(lk_comp).matches(lk_rows)
    left = np.repeat(np.arange(len(rows)), n)
    known = rows.take(left).reset_index(drop=True).assign(
        ingredient_key=lc["ingredient_key"].to_numpy()[at], frac=lc["frac"].to_numpy()[at])
    rest = rows[n == 0]
    parts = [known]
    if len(rest):
        on_hand, left = _stock_makeup_before(rest, known)
        parts += [on_hand, left.merge(gen.item_comp, on="item_key")]
    eq = pd.concat(parts, ignore_index=True)
    eq["value"] = eq["qty"] * eq["frac"]
    return eq.drop(columns=["frac"])


def _stock_makeup_before(rest, known):
    io = ["item_key", "owner_key"]
    flows = known[known["kind"].isin(list(SIGN))]
    sign = flows["kind"].map(SIGN).astype(float).to_numpy()
    io_flows, io_rest = key_codes([flows, rest], io)
    c = key_codes([flows], ["ingredient_key"] + io)[0]
    dates, qty = flows["date"].to_numpy(), flows["qty"].to_numpy()
    cum_eq = _cumulated(c, dates, qty * flows["frac"].to_numpy() * sign, "_c", "E")
    i = flows["_i"].to_numpy()
    first = np.r_[True, i[1:] != i[:-1]] if len(i) else np.zeros(0, dtype=bool)
    cum_q = _cumulated(io_flows[first], dates[first], qty[first] * sign[first], "_io", "Q")
    held = asof_merge(rest[["_i", "date"]].assign(_io=io_rest), cum_q.rename(columns={"date": "qd"}),
                      left_on="date", right_on="qd", by=["_io"])
    has = (held["Q"] > EPS).to_numpy()
    stocked, left = rest[has], rest[~has]
    one = ~pd.Series(c).duplicated().to_numpy()
    held_by = pd.DataFrame({"_c": c[one], "_io": io_flows[one], "ingredient_key": flows["ingredient_key"].to_numpy()[one]}
                           ).sort_values("_c")
    pairs = stocked.assign(_io=io_rest[has]).merge(held_by, on="_io")
    pairs = asof_merge(pairs, cum_eq.rename(columns={"date": "ed"}), left_on="date", right_on="ed", by=["_c"])
    pairs = pairs.merge(held.loc[has, ["_i", "Q"]], on="_i")
    pairs["frac"] = (pairs["E"].fillna(0.0) / pairs["Q"]).clip(lower=0.0, upper=1.0)
    return pairs[list(rest.columns) + ["ingredient_key", "frac"]], left


def _book(rng, n, *, lotless, text_kinds, missing_dates, index_from, all_lots_known):
    items, lots = 6, 12
    kind = rng.choice(KINDS, n, p=[0.25, 0.1, 0.2, 0.2, 0.05, 0.15, 0.05])
    lot = rng.integers(1, lots + 1, n)
    lot[rng.random(n) < lotless] = 0  # a row of the item as a whole
    qty = rng.integers(0, 500, n).astype(float)
    qty[rng.random(n) < 0.03] = np.nan
    qty[rng.random(n) < 0.03] = -0.0
    date = np.datetime64("2025-01-01", "ns") + rng.integers(0, 90, n).astype("timedelta64[D]")
    if missing_dates:
        date[rng.random(n) < 0.05] = np.datetime64("NaT")
    ledger = pd.DataFrame({
        "date": date, "kind": kind if text_kinds else pd.Categorical(kind, categories=KINDS + ["process loss"]),
        "item_key": rng.integers(1, items + 1, n), "lot_key": lot, "owner_key": rng.integers(0, 2, n),
        "qty": qty, "batch_key": rng.integers(0, 5, n)}, index=np.arange(n) * 3 + index_from)
    # each known lot holds one to three ingredients; some lots and items are unknown
    known = [(i, k) for i in range(1, items + 1) for k in range(1, lots + 1) if all_lots_known or rng.random() < 0.7]
    comp = []
    for i, k in known:
        ings = rng.choice(np.arange(100, 106), int(rng.integers(1, 4)), replace=False)
        comp += [(i, k, int(g), float(f)) for g, f in zip(ings, rng.dirichlet(np.ones(len(ings))), strict=True)]
    lot_comp = pd.DataFrame(comp, columns=["item_key", "lot_key", "ingredient_key", "frac"])
    item_comp = pd.DataFrame({"item_key": np.arange(1, items), "ingredient_key": np.arange(100, 100 + items - 1),
                              "frac": rng.random(items - 1)})
    gen = Genealogy(lot_comp, item_comp, pd.DataFrame(columns=["batch_key", "ingredient_key", "frac"]),
                    pd.Series(dtype=np.int64), frozenset())
    return ledger, gen


def _same(a, b):
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    for c in a.columns:
        if a[c].dtype == float:
            assert np.array_equal(a[c].to_numpy().view(np.int64), b[c].to_numpy().view(np.int64)), c


@pytest.mark.parametrize("trial", range(40))
def test_equivalents_as_before(trial):
    rng = np.random.default_rng(trial)
    ledger, gen = _book(rng, 0 if trial == 1 else int(rng.integers(1, 400)), lotless=(0.0, 0.1, 0.4, 1.0)[trial % 4],
                        text_kinds=trial % 3 == 0, missing_dates=trial % 5 == 0, index_from=int(rng.integers(0, 4)),
                        all_lots_known=trial % 4 == 0)  # then no row is without a known lot
    kinds = (STOCK_KINDS + ("count",), ("count",), ("shipped", "loss"))[trial % 3]
    try:
        want = _before(ledger, gen, kinds)
    except Exception as e:  # the same failure, if the old way had one
        with pytest.raises(type(e)):
            equivalents(ledger, gen, kinds)
        return
    _same(equivalents(ledger, gen, kinds), want)
