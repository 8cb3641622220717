"""run_yields: each run's key from its name among the runs' output rows only, against every
named ledger row's (inputs and losses too): the same frame, names spelled several ways, a
name typed as a number on one sheet and as text on another, inputs of runs with no output."""
import pandas as pd
from bookkit import book, certified, loss, receipt, run, use

from massbal.engine.api import prepare
from massbal.engine.investigate.slips import run_yields


def _every_named_row(yields: pd.DataFrame, ledger: pd.DataFrame) -> pd.DataFrame:
    names = ledger.loc[(ledger["batch_key"] != 0).to_numpy(), ["batch", "batch_key"]].drop_duplicates("batch")
    at = pd.Index(names["batch"].to_numpy(dtype=object)).get_indexer(yields["batch"].to_numpy(dtype=object))
    found = at >= 0
    return yields[found].reset_index(drop=True).assign(batch_key=names["batch_key"].to_numpy()[at[found]])


def test_run_keys_from_the_outputs_names():
    raw = book(Items=[{"Item": "Oats", "Kind": "Ingredient"}, {"Item": "Granola", "Kind": "Product"}],
               Certificates=[certified()],
               Receipts=[receipt("2025-03-01", "Oats", "O1", 5000)],
               BatchInputs=[use("b-1 ", "Oats", "O1", 100), use("B-1", "Oats", "O1", 20), use(1001, "Oats", "O1", 50),
                            use("B-3", "Oats", "O1", 40), use("B-9", "Oats", "O1", 30), use("B-2", "Oats", "O1", 60)],
               Batches=[run("B-2", "2025-03-04", "Granola", "G2", 55), run("B-1", "2025-03-05", "Granola", "G1", 110),
                        run("1001", "2025-03-06", "Granola", "G3", 45), run("B-3", "2025-03-06", "Granola", "G4", 39),
                        run("B-1", "2025-03-07", "Granola", "G5", 3)],
               Losses=[loss("2025-03-08", "Oats", 5, Batch="b-1"), loss("2025-03-09", "Oats", 2, Batch="B-3 ")])
    prep = prepare(raw)
    y = run_yields(prep.yields, prep.ledger)
    assert len(y) == 4 and (y["batch_key"] != 0).all()
    pd.testing.assert_frame_equal(y, _every_named_row(prep.yields, prep.ledger), check_exact=True)


def _by_name(yields: pd.DataFrame, ledger: pd.DataFrame) -> pd.DataFrame:
    """run_yields as it was before compute_yields kept each run's key: every name looked up
    among the runs' output rows (the same frame without its key index takes that way)."""
    return run_yields(yields.reset_index(drop=True), ledger)


def test_the_key_index_gives_the_name_look_up():
    # spellings of one run ('b-1 ', 'B-1'), a name typed as a number, a run with no output,
    # and a generated book of a few thousand runs
    from massbal.books.gen import generate_tables
    from massbal.engine.rawbook import RawBook, RawTable
    spelled = book(Items=[{"Item": "Oats", "Kind": "Ingredient"}, {"Item": "Granola", "Kind": "Product"}],
                   Certificates=[certified()],
                   Receipts=[receipt("2025-03-01", "Oats", "O1", 5000)],
                   BatchInputs=[use("b-1 ", "Oats", "O1", 100), use(1001, "Oats", "O1", 50),
                                use("B-9", "Oats", "O1", 30), use("B-2", "Oats", "O1", 60)],
                   Batches=[run("B-2", "2025-03-04", "Granola", "G2", 55), run("B-1", "2025-03-05", "Granola", "G1", 110),
                            run("1001", "2025-03-06", "Granola", "G3", 45), run("B-1", "2025-03-07", "Granola", "G5", 3)])
    tables = generate_tables(20_000, seed=7)[0]
    generated = RawBook({name: RawTable.from_records(name, list(t.drop(columns="_id").columns),
                                                     t.drop(columns="_id").astype(object).where(t.notna(), None)
                                                     .values.tolist()) for name, t in tables.items()})
    for raw in (spelled, generated):
        prep = prepare(raw)
        assert prep.yields.index.name == "batch_key" and len(prep.yields)
        pd.testing.assert_frame_equal(run_yields(prep.yields, prep.ledger), _by_name(prep.yields, prep.ledger),
                                      check_exact=True)


def test_names_quoted_as_astype_str_reads_them():
    import numpy as np

    from massbal.engine.runs import _texts
    for values in (["B-1", "B-2", "Granola, Oat clusters"], ["B-1", np.str_("B-2")], ["B-1", 1001, 2.5],
                   ["B-1", None], [], ["Ünïcode", "b" * 300]):
        col = pd.Series(np.array(values, dtype=object), dtype=object)
        want = col.astype(str).tolist()
        got = _texts(col)
        assert got == want and [f"Batch {v}" for v in got] == [f"Batch {v}" for v in want]
