"""frames.group_heads gives what pandas' groupby(sort=False).agg gives for "first" and "min"
(of dates): the same values, dtypes, index and order, with missing names, undated rows,
groups with no value at all, one row and no rows."""
import numpy as np
import pandas as pd
import pytest

from massbal.engine.frames import group_heads

_AGG = dict(batch=("batch", "first"), date=("date", "min"), owner=("owner", "first"),
            row=("row", "first"), qty=("qty", "first"), day=("date", "first"))


def _frame(rng, n: int) -> pd.DataFrame:
    owners = np.array(["Plant", "Co-packer", None, np.nan, "Farm"], dtype=object)
    days = pd.to_datetime(["2025-01-03", "2025-01-01", None, "2025-02-01"]).to_numpy()
    qty = np.array([1.5, np.nan, 0.0, -0.0, 7.0])
    return pd.DataFrame({
        "batch_key": rng.integers(0, max(n // 3, 1), n).astype(np.int64) * 7 - 3,  # (negative keys too)
        "batch": pd.Series(rng.choice(np.array(["B1", "B2", None], dtype=object), n), dtype=object),
        "owner": pd.Series(rng.choice(owners, n), dtype=object),
        "date": days[rng.integers(0, len(days), n)],
        "row": rng.permutation(n).astype(np.int64) + 2,
        "qty": qty[rng.integers(0, len(qty), n)],
    })


@pytest.mark.parametrize("n", [0, 1, 2, 7, 40, 500])
@pytest.mark.parametrize("seed", range(4))
def test_as_pandas_groupby(n, seed):
    frame = _frame(np.random.default_rng(seed * 1000 + n), n)
    want = frame.groupby("batch_key", sort=False).agg(**_AGG)
    got = group_heads(frame, "batch_key", **_AGG)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    for c in ("batch", "owner"):  # None stays None (not NaN), as pandas leaves it
        assert [type(v) for v in got[c]] == [type(v) for v in want[c]]


def test_groups_with_no_value():
    frame = pd.DataFrame({"batch_key": np.array([5, 5, 9], dtype=np.int64),
                          "owner": pd.Series([None, np.nan, "Plant"], dtype=object),
                          "date": pd.to_datetime([None, None, "2025-01-01"]).to_numpy(),
                          "qty": [np.nan, np.nan, 1.0]})
    agg = dict(owner=("owner", "first"), date=("date", "min"), first_day=("date", "first"), qty=("qty", "first"))
    got = group_heads(frame, "batch_key", **agg)
    pd.testing.assert_frame_equal(got, frame.groupby("batch_key", sort=False).agg(**agg), check_exact=True)
    assert got["owner"].iloc[0] is None and pd.isna(got["date"].iloc[0]) and np.isnan(got["qty"].iloc[0])
