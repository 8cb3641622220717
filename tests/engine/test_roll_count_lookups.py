"""roll looks its grid's counts up by position. _count_day_before finds each grid row's last
count day on or before its day_before as merge_asof by the item key did (frames.asof_merge,
kept here as the oracle): keys of one or two columns, of numbers or text, items never
counted, a count on day_before itself or after it only, count days repeated, none at all;
and a count day missing is no count day. The counted ending is what the merges gave."""
import numpy as np
import pandas as pd
import pytest

from massbal.engine.frames import asof_merge
from massbal.engine.roll import _count_day_before


def _oracle(grid: pd.DataFrame, cd: pd.DataFrame, by: list[str]) -> np.ndarray:
    if cd.empty:
        return np.full(len(grid), np.datetime64("NaT"), dtype="datetime64[ns]")
    m = asof_merge(grid, cd[by + ["count_date"]], left_on="day_before", right_on="count_date", by=by)
    return pd.to_datetime(m["count_date"]).astype("datetime64[ns]").to_numpy()


def _case(rng, by: list[str], text: bool):
    days = pd.date_range("2025-01-01", periods=40, freq="D").to_numpy()
    n_cd, n_grid = int(rng.integers(0, 25)), int(rng.integers(1, 30))

    def keys(n):
        out = {"item_key": rng.integers(0, 6, n).astype(np.int64), "owner_key": rng.integers(0, 2, n).astype(np.int64)}
        if text:
            out["item_key"] = np.array([f"i{k}" for k in out["item_key"]], dtype=object)
        return {c: out[c] for c in by}
    cd = pd.DataFrame({**keys(n_cd), "count_date": days[rng.integers(0, 40, n_cd)]})
    grid = pd.DataFrame({**keys(n_grid), "day_before": days[rng.integers(0, 40, n_grid)]})
    return grid, cd


@pytest.mark.parametrize("by", [["item_key", "owner_key"], ["item_key"]])
@pytest.mark.parametrize("text", [False, True])
def test_as_merge_asof_by_the_item(by, text):
    rng = np.random.default_rng(len(by) * 10 + text)
    for _ in range(150):
        grid, cd = _case(rng, by, text)
        for days in (cd, cd.drop_duplicates()):
            got = _count_day_before(grid, days, by)
            assert got.dtype == np.dtype("datetime64[ns]")
            np.testing.assert_array_equal(got, _oracle(grid, days, by))


def test_a_count_without_a_day_is_no_count_day():
    grid = pd.DataFrame({"item_key": np.array([1, 1, 2], dtype=np.int64),
                         "day_before": pd.to_datetime(["2025-01-05", "2025-01-01", "2025-01-09"]).to_numpy()})
    cd = pd.DataFrame({"item_key": np.array([1, 1, 2], dtype=np.int64),
                       "count_date": pd.to_datetime(["2025-01-03", None, None]).to_numpy()})
    got = _count_day_before(grid, cd, ["item_key"])
    np.testing.assert_array_equal(got, pd.to_datetime(["2025-01-03", None, None]).to_numpy())



def test_counted_end_as_the_merges_gave_it():
    """roll's counted ending, looked up by position: the key's counts on the period's last day
    where its item was counted then (0 when the key itself has none), else NaN, as the two
    left merges on (item, end) and (key, end) gave it; keys of numbers or text."""
    from massbal.engine.roll import roll
    rng = np.random.default_rng(4)
    ends = pd.to_datetime(["2025-01-31", "2025-02-28"])
    periods = [(pd.Timestamp("2025-01-01"), ends[0]), (pd.Timestamp("2025-02-01"), ends[1])]
    for trial in range(60):
        text = trial % 2 == 1
        n = int(rng.integers(2, 30))  # (a move at least: roll's sums of no moves are not numbers in pandas 3)
        item = rng.integers(0, 4, n)
        frame = pd.DataFrame({"item_key": np.array([f"i{k}" for k in item], dtype=object) if text else item.astype(np.int64),
                              "ingredient_key": rng.integers(0, 3, n).astype(np.int64),
                              "date": np.where(rng.random(n) < 0.6, ends[rng.integers(0, 2, n)],
                                               pd.Timestamp("2025-01-10")).astype("datetime64[ns]"),
                              "value": rng.choice([0.0, 2.0, 5.5], n)})
        moves = frame.iloc[: n // 2].assign(kind="receipt")
        counts = frame.iloc[n // 2:]
        days = counts[["item_key", "date"]].drop_duplicates()
        g = roll(moves, counts, days, periods, ["item_key", "ingredient_key"], ["item_key"])
        counted = g[["item_key", "end"]].merge(days.rename(columns={"date": "end"}).assign(c=True), how="left",
                                               on=["item_key", "end"])["c"].notna().to_numpy()
        total = counts.groupby(["item_key", "ingredient_key", "date"])["value"].sum().rename("v").reset_index()
        at = g[["item_key", "ingredient_key", "end"]].merge(total.rename(columns={"date": "end"}), how="left",
                                                            on=["item_key", "ingredient_key", "end"])["v"]
        want = np.where(counted, at.fillna(0.0).to_numpy(), np.nan)
        np.testing.assert_array_equal(g["counted_end"].to_numpy(), want)
