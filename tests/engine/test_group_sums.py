"""roll.group_sums and day_sums: pandas' own group sums, to the bit, whichever way the
groups are found (a table of a modest span of keys, or pandas' hashing of them)."""
import numpy as np
import pandas as pd

from massbal.engine.roll import _period_index, day_codes, day_sums, group_sums


def _values(rng, n):
    v = rng.normal(size=n) * 10.0 ** rng.integers(-3, 9, n)
    v[rng.random(n) < 0.05] = np.nan  # skipped, as the group sum skips them
    v[rng.random(n) < 0.05] = -0.0
    return v


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and np.array_equal(a.view(np.int64), b.view(np.int64))


def test_group_sums_as_pandas():
    rng = np.random.default_rng(5)
    for trial in range(120):
        n = int(rng.integers(1, 3000))
        span = (1, 3, 50, n, 3 * n, 10 ** 9)[trial % 6]  # dense keys, and keys too far apart for a table
        key = rng.integers(0, span, n).astype(np.int64) + int(rng.integers(-5, 5)) * (trial % 2)
        v = _values(rng, n)
        s = pd.Series(v).groupby(key, sort=True).sum()
        at, sums = group_sums(key, v)
        assert np.array_equal(at, s.index.to_numpy())
        assert _same(sums, s.to_numpy())


def test_day_sums_as_two_column_group_by():
    rng = np.random.default_rng(8)
    for trial in range(60):
        n = int(rng.integers(1, 3000))
        step = (1, 3, 10 ** 6)[trial % 3]  # codes close together, and far apart
        codes = rng.integers(0, max(n // 7, 1), n).astype(np.int64) * step - int(rng.integers(0, 4))
        dates = np.datetime64("2025-01-01", "ns") + rng.integers(0, 60, n).astype("timedelta64[D]")
        v = _values(rng, n)
        want = pd.DataFrame({"code": codes, "date": dates, "v": v}).groupby(["code", "date"], sort=True)["v"] \
            .sum().reset_index()
        # the dates coded here, by the caller, or as some of a larger set's (ranks with gaps)
        more = np.concatenate([dates, dates[:3] - np.timedelta64(1, "D"), dates[:3] + np.timedelta64(400, "D")])
        day, days = day_codes(more)
        for got in (day_sums(codes, dates, v), day_sums(codes, dates, v, day_codes(dates)),
                    day_sums(codes, dates, v, (day[:n], days))):
            assert np.array_equal(got["code"].to_numpy(), want["code"].to_numpy())
            assert np.array_equal(got["date"].to_numpy(), want["date"].to_numpy())
            assert _same(got["value"].to_numpy(), want["v"].to_numpy())


def test_day_codes_and_periods_by_them():
    rng = np.random.default_rng(4)
    starts = np.array(["2025-01-01", "2025-02-01", "2025-04-01"], dtype="datetime64[ns]")
    ends = np.array(["2025-01-31", "2025-03-15", "2025-04-30"], dtype="datetime64[ns]")
    for _ in range(30):
        n = int(rng.integers(1, 500))
        dates = np.datetime64("2024-12-20", "ns") + rng.integers(0, 150, n).astype("timedelta64[D]")
        day, days = day_codes(dates)
        assert np.array_equal(days[day], dates) and (np.diff(days) > np.timedelta64(0)).all()
        assert np.array_equal(_period_index(dates, starts, ends, (day, days)), _period_index(dates, starts, ends))
    dates[0] = np.datetime64("NaT")
    assert day_codes(dates) is None and day_codes(dates[:0]) is None  # the caller's own way then


def test_run_sums_as_the_pivot_table():
    """compute_yields' per-run sums by kind, as the pivot table of batch x kind gave them."""
    from massbal.engine.runs import RUN_KINDS, _run_sums
    rng = np.random.default_rng(11)
    for trial in range(40):
        n = int(rng.integers(1, 2000))
        batches = rng.integers(0, (3, 40, 10 ** 7)[trial % 3], n).astype(np.int64) + 1
        kinds = pd.Categorical(rng.choice(list(RUN_KINDS), n, p=[0.6, 0.3, 0.1]),
                               categories=["receipt", "produced", "used", "process loss", "count"])
        runs = pd.DataFrame({"kind": kinds, "batch_key": batches, "qty": _values(rng, n)})
        piv = runs.pivot_table(index="batch_key", columns="kind", values="qty", aggfunc="sum", fill_value=0.0,
                               observed=True)
        asked = pd.unique(batches[runs["kind"].to_numpy() == "produced"])
        got = _run_sums(runs, asked)
        for k in RUN_KINDS:
            want = piv[k].reindex(asked).to_numpy() if k in piv else np.zeros(len(asked))
            assert _same(got[k], want.astype(float))
