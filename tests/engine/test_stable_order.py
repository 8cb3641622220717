"""roll.stable_order: numpy's stable argsort, by radix on 16 bits where the keys' range allows."""
import numpy as np

from massbal.engine.roll import stable_order


def test_same_order_as_a_stable_argsort():
    rng = np.random.default_rng(3)
    for trial in range(200):
        n = int(rng.integers(0, 300))
        lo = int(rng.integers(-2 ** 40, 2 ** 40)) if trial % 3 == 0 else int(rng.integers(-5, 5))
        span = (2, 200, 2 ** 16 - 1, 2 ** 16, 2 ** 20)[trial % 5]
        keys = (lo + rng.integers(0, span, n)).astype((np.int64, np.int32, np.intp)[trial % 3] if trial % 3 else np.int64)
        if trial % 7 == 0 and n:
            keys[0], keys[-1] = lo, lo + span - 1  # the range's ends present
        assert np.array_equal(stable_order(keys), np.argsort(keys, kind="stable"))


def test_other_keys_as_numpy():
    for keys in (np.array([2.5, -1.0, 2.5, 0.0]), np.array([], dtype=np.int64), np.array([7])):
        assert np.array_equal(stable_order(keys), np.argsort(keys, kind="stable"))
