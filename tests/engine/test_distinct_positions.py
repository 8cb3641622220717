"""frames.distinct_positions is np.unique of row positions, whichever way it takes (marks on
the rows for many positions, a sort for few)."""
from __future__ import annotations

import numpy as np
import pytest

from massbal.engine.frames import distinct_positions


@pytest.mark.parametrize("n", [1, 7, 64, 5_000])
def test_the_sorted_distinct_positions_for_few_and_many(n):
    rng = np.random.default_rng(n)
    for m in (0, 1, n // 40, n // 31, n // 2, 3 * n):
        pos = rng.integers(0, n, size=m)
        got = distinct_positions(pos, n)
        assert got.dtype.kind == "i" and np.array_equal(got, np.unique(pos)), (n, m)
