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
