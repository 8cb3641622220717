"""investigate.runs: the runs a copy cannot rebuild alone (a run input of a lot the
genealogy does not know), looked up for the runs reached only."""
from types import SimpleNamespace

import numpy as np
import pandas as pd

from massbal.engine.investigate import runs as R
from massbal.engine.investigate.supply import Positions


def _whole_book(ledger: pd.DataFrame, lot_comp: pd.DataFrame) -> set:
    """Every run with an input whose (item, lot) the genealogy does not know (the old
    look-up over all the book's run inputs)."""
    used = ledger[ledger["kind"] == "used"]
    pairs = set(zip(lot_comp["item_key"], lot_comp["lot_key"], strict=True))
    return {int(b) for b, i, lot in zip(used["batch_key"], used["item_key"], used["lot_key"], strict=True)
            if (i, lot) not in pairs}


def _random_ledger(rng, n, *, runs, items, lots, first):
    """n ledger rows of runs, receipts and shipments (batch 0: no run), labelled from first."""
    return pd.DataFrame({
        "kind": pd.Categorical(rng.choice(["used", "produced", "receipt", "shipped"], n)),
        "batch_key": rng.integers(0, runs, n), "item_key": rng.integers(1, items, n),
        "lot_key": rng.integers(0, lots, n)}, index=np.arange(first, first + n))


def test_unknown_runs_among_those_reached_are_the_whole_books():
    rng = np.random.default_rng(3)
    for _ in range(20):
        n = 400
        ledger = _random_ledger(rng, n, runs=30, items=8, lots=40, first=100)
        known = ledger.sample(frac=0.7, random_state=int(rng.integers(1 << 30)))[["item_key", "lot_key"]]
        lot_comp = known.drop_duplicates().assign(ingredient_key=1, frac=1.0).reset_index(drop=True)
        gen = SimpleNamespace(lot_comp=lot_comp, cycle_batches=frozenset())
        facts = R.run_facts(ledger, gen, Positions(ledger["batch_key"].to_numpy()),
                            Positions(ledger["item_key"].to_numpy()))
        whole = _whole_book(ledger, lot_comp)
        assert whole  # the draw has some
        present = set(ledger["batch_key"].tolist())
        for k in (0, 1, 3, 30):
            runs = set(rng.choice(sorted(present), size=min(k, len(present)), replace=False).tolist())
            assert R._unknown(facts, runs) == whole & runs


def _whole_book_walk(ledger: pd.DataFrame, b: int) -> tuple[set, set] | None:
    """The runs and lots (item, lot) downstream of run b, from every run of the book indexed
    at once (the walk as it was before run_facts looked up the runs reached only); None when
    one of the lots is made by more than one run."""
    made = ledger[ledger["kind"] == "produced"]
    used = ledger[ledger["kind"] == "used"]
    makers = made.groupby(["item_key", "lot_key"])["batch_key"].nunique()
    multi = set(makers.index[makers > 1])
    runs, lots, todo = {b}, set(), [b]
    while todo:
        r = todo.pop()
        for lot in zip(*(made.loc[made["batch_key"] == r, k] for k in ("item_key", "lot_key")), strict=True):
            if lot in multi:
                return None
            if lot not in lots:
                lots.add(lot)
                new = set(used.loc[(used["item_key"] == lot[0]) & (used["lot_key"] == lot[1]), "batch_key"]) - runs
                runs |= new
                todo += list(new)
    return runs, lots


def test_walks_from_the_runs_reached_are_the_whole_books():
    rng = np.random.default_rng(5)
    walked = multi = 0
    for _ in range(30):
        n = 300
        ledger = _random_ledger(rng, n, runs=25, items=6, lots=30, first=50)
        # every lot known (no run left to the whole-scope path for that), a batch 0 for no run
        lot_comp = ledger[["item_key", "lot_key"]].drop_duplicates().assign(ingredient_key=1, frac=1.0)
        gen = SimpleNamespace(lot_comp=lot_comp.reset_index(drop=True), cycle_batches=frozenset())
        items = Positions(ledger["item_key"].to_numpy())
        facts = R.run_facts(ledger, gen, Positions(ledger["batch_key"].to_numpy()), items)
        alts = pd.DataFrame({"_i": ledger.index, "date_new": pd.NaT})
        got = R.touched(ledger, alts, facts, items)
        for (_, row), t in zip(ledger.iterrows(), got, strict=True):
            if row["kind"] not in ("used", "produced") or row["batch_key"] == 0:
                assert t is None
                continue
            want = _whole_book_walk(ledger, int(row["batch_key"]))
            if want is None:
                multi += 1
                assert t is None
                continue
            walked += 1
            runs, lots = want
            assert t[0] == tuple(sorted(runs))
            assert t[2] == frozenset(lots)
            assert t[1] == tuple(sorted({int(row["item_key"])} | {i for i, _ in lots}))
    assert walked and multi  # the draws hold both
