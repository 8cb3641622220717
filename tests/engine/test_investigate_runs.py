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


def test_unknown_runs_among_those_reached_are_the_whole_books():
    rng = np.random.default_rng(3)
    for _ in range(20):
        n = 400
        ledger = pd.DataFrame({
            "kind": pd.Categorical(rng.choice(["used", "produced", "receipt", "shipped"], n)),
            "batch_key": rng.integers(0, 30, n), "item_key": rng.integers(1, 8, n),
            "lot_key": rng.integers(0, 40, n)}, index=np.arange(100, 100 + n))
        known = ledger.sample(frac=0.7, random_state=int(rng.integers(1 << 30)))[["item_key", "lot_key"]]
        lot_comp = known.drop_duplicates().assign(ingredient_key=1, frac=1.0).reset_index(drop=True)
        gen = SimpleNamespace(lot_comp=lot_comp, cycle_batches=frozenset())
        facts = R.run_facts(ledger, gen, Positions(ledger["batch_key"].to_numpy()))
        whole = _whole_book(ledger, lot_comp)
        assert whole  # the draw has some
        present = set(ledger["batch_key"].tolist())
        for k in (0, 1, 3, 30):
            runs = set(rng.choice(sorted(present), size=min(k, len(present)), replace=False).tolist())
            assert R._unknown(facts, runs) == whole & runs
