"""frames.key_codes: one integer per key tuple, in the tuples' order, shared by frames (roll
and the stock make-up group and merge on it instead of on the key columns)."""
import numpy as np
import pandas as pd

from massbal.engine.frames import key_codes


def test_codes_group_and_order_as_the_tuples():
    rng = np.random.default_rng(1)
    shapes = (["a", "b"], ["a", "c", "b"], ["d", "a", "b"], ["a"], ["c"], ["d", "d", "a"])
    for trial in range(120):
        n = int(rng.integers(0, 40))
        df = pd.DataFrame({"a": rng.integers(-3, 5, n) * 10 ** int(rng.integers(0, 12)),
                           "b": rng.integers(0, 4, n), "c": rng.choice(["x", "y", "z"], n).astype(object),
                           "d": rng.integers(0, 2 ** 40, n)})
        cols = shapes[trial % len(shapes)]
        code = np.concatenate(key_codes([df.iloc[: n // 2], df.iloc[n // 2:]], cols))
        tup = list(df[cols].itertuples(index=False, name=None))
        for i in range(n):
            for j in range(n):
                assert (code[i] < code[j]) == (tup[i] < tup[j])
                assert (code[i] == code[j]) == (tup[i] == tup[j])


def test_wide_integer_keys_do_not_overflow():
    # keys as the explainer makes them (item + copy * span): ranges beyond 2**31 are factorized
    df = pd.DataFrame({"x": np.array([2 ** 50, 5, 2 ** 50, 7], dtype=np.int64),
                       "y": np.array([2 ** 45, 1, 2 ** 45, 2 ** 45], dtype=np.int64)})
    code = key_codes([df], ["x", "y"])[0]
    assert code[0] == code[2] and len(set(code.tolist())) == 3
    assert code[1] < code[3] < code[0]


def test_lot_codes_order_and_join_as_the_pairs():
    from massbal.engine.frames import lot_codes, lot_pairs
    rng = np.random.default_rng(7)
    for wide in (0, 2 ** 40):  # book codes, and the explainer's widened item keys
        a = pd.DataFrame({"item_key": rng.integers(0, 6, 60) + wide, "lot_key": rng.integers(0, 9, 60)})
        b = pd.DataFrame({"item_key": rng.integers(0, 6, 30) + wide, "lot_key": rng.integers(0, 9, 30)})
        ca, cb = lot_codes(a, b)
        ta = list(a.itertuples(index=False, name=None))
        tb = list(b.itertuples(index=False, name=None))
        for i in range(len(ta)):
            for j in range(len(tb)):
                assert (ca[i] < cb[j]) == (ta[i] < tb[j])
                assert (ca[i] == cb[j]) == (ta[i] == tb[j])
        item, lot = lot_pairs(cb, a.iloc[::-1], ca[::-1]) if set(cb) <= set(ca) else lot_pairs(ca, a, ca)
        want = b if set(cb) <= set(ca) else a
        assert (item == want["item_key"].to_numpy()).all() and (lot == want["lot_key"].to_numpy()).all()


def test_adding_a_level_sums_as_the_whole_regroup():
    # genealogy._add_comp against what it replaces: concat, group by lot and ingredient, sum
    from massbal.engine.genealogy import _add_comp
    rng = np.random.default_rng(3)
    for trial in range(80):
        # half the trials with NaN and -0.0 among the fractions (there the whole column is summed)
        values = [0.1, 1 / 3, 0.0, 0.7, 2 / 7] + ([-0.0, np.nan] if trial % 2 else [])

        def comp(n, values=values):
            f = pd.DataFrame({"_lk": rng.integers(0, 12, n).astype(np.int64),
                              "ingredient_key": rng.integers(0, 4, n).astype(np.int64),
                              "frac": rng.choice(values, n)})
            return f.drop_duplicates(["_lk", "ingredient_key"]).reset_index(drop=True)
        lot_comp, new = comp(int(rng.integers(0, 30))), comp(int(rng.integers(0, 10)))
        want = pd.concat([lot_comp, new], ignore_index=True).groupby(
            ["_lk", "ingredient_key"], sort=False)["frac"].sum().reset_index()
        got = _add_comp(lot_comp, new)
        pd.testing.assert_frame_equal(got, want, check_exact=True)
        assert (np.signbit(got["frac"].to_numpy()) == np.signbit(want["frac"].to_numpy())).all()
