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
        before = df.copy()
        whole = key_codes([df], cols)[0]  # one frame: its columns read as they are
        assert np.array_equal(whole, code)
        whole += 1  # the codes are the caller's own: never a view of a column
        pd.testing.assert_frame_equal(df, before)
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


def test_lot_numbers_tell_the_pairs_apart():
    """frames.lot_numbers: one number per (item, lot) pair, from 0 and below the count given,
    both where each lot code has one item (the lot code itself) and where two items share a
    lot code or the codes are too sparse (the pairs hashed)."""
    from massbal.engine.frames import lot_numbers
    rng = np.random.default_rng(11)
    for trial in range(300):
        n = int(rng.integers(0, 40))
        lot = rng.integers(0, 12, n) * (1 if trial % 3 else 10_000)  # every third: a sparse span
        item = lot % 3 if trial % 2 else rng.integers(0, 3, n)  # odd: one item per lot code
        frame = pd.DataFrame({"item_key": item.astype(np.int64), "lot_key": lot.astype(np.int64)})
        number, most = lot_numbers(frame)
        assert number.dtype == np.int64 and ((number >= 0) & (number < most)).all()
        pairs = list(zip(item.tolist(), lot.tolist(), strict=True))
        for i in range(n):
            for j in range(n):
                assert (number[i] == number[j]) == (pairs[i] == pairs[j])


def test_adding_a_level_sums_as_the_whole_regroup():
    # genealogy._add_comp against what it replaces: concat, group by lot and ingredient, sum
    from massbal.engine.genealogy import _add_comp
    rng = np.random.default_rng(3)
    for trial in range(80):
        # half the trials with NaN and -0.0 among the fractions (there the whole column is summed)
        values = [0.1, 1 / 3, 0.0, 0.7, 2 / 7] + ([-0.0, np.nan] if trial % 2 else [])

        def comp(n, values=values, lots=(0, 12)):
            f = pd.DataFrame({"_lk": rng.integers(*lots, n).astype(np.int64),
                              "ingredient_key": rng.integers(0, 4, n).astype(np.int64),
                              "frac": rng.choice(values, n)})
            return f.drop_duplicates(["_lk", "ingredient_key"]).reset_index(drop=True)
        # a third of the trials with new's lots apart from lot_comp's (made at one level only)
        lot_comp = comp(int(rng.integers(0, 30)))
        new = comp(int(rng.integers(0, 10)), lots=(12, 20) if trial % 3 == 0 else (0, 12))
        want = pd.concat([lot_comp, new], ignore_index=True).groupby(
            ["_lk", "ingredient_key"], sort=False)["frac"].sum().reset_index()
        got = _add_comp(lot_comp, new)
        pd.testing.assert_frame_equal(got, want, check_exact=True)
        assert (np.signbit(got["frac"].to_numpy()) == np.signbit(want["frac"].to_numpy())).all()


def _merged_in_left_order(left, right, on):
    """The inner merge's rows in left's order, each left row's matches in right's order:
    pandas 3's order (pandas 2.2 groups a key's rows together where keys repeat)."""
    m = left.assign(_l=np.arange(len(left))).merge(right.assign(_r=np.arange(len(right))), on=on)
    return m.sort_values(["_l", "_r"]).drop(columns=["_l", "_r"]).reset_index(drop=True)


def test_inner_merge_is_pandas_inner_merge():
    """frames.inner_merge gives pandas' inner merge on one int64 key: the same rows in the
    same order (left's, each left row's matches in right's order; pandas 3's order, also
    under Lite's pandas 2.2), the same dtypes."""
    from massbal.engine.frames import inner_merge
    pandas3 = int(pd.__version__.split(".")[0]) >= 3
    rng = np.random.default_rng(3)
    for trial in range(200):
        nl, nr = rng.integers(0, 30, 2)
        if trial % 4 == 1:  # few left rows against many right ones (only their keys' rows sorted)
            nl = nl % 5
            nr = 16 * nl + rng.integers(1, 300)
        left = pd.DataFrame({"k": rng.integers(0, 6, nl).astype(np.int64), "a": rng.random(nl),
                             "s": rng.choice(["x", "y", None], nl).astype(object)})
        right = pd.DataFrame({"k": rng.integers(0, 6, nr).astype(np.int64), "b": rng.integers(0, 5, nr),
                              "f": rng.random(nr)})
        if trial % 3 == 0:  # an index that is not 0..n-1
            left = left.iloc[::-1]
        got = inner_merge(left, right, "k")
        pd.testing.assert_frame_equal(got, _merged_in_left_order(left, right, "k"), check_exact=True)
        if pandas3:
            pd.testing.assert_frame_equal(got, left.merge(right, on="k"), check_exact=True)
    # a column both sides hold besides the key: pandas' suffixes
    left = pd.DataFrame({"k": np.array([1, 2], dtype=np.int64), "v": [1.0, 2.0]})
    right = pd.DataFrame({"k": np.array([2, 1, 2], dtype=np.int64), "v": [3.0, 4.0, 5.0]})
    pd.testing.assert_frame_equal(inner_merge(left, right, "k"), left.merge(right, on="k"))


def test_left_matches_is_pandas_left_merge():
    """frames.left_matches: the rows of a left merge on one integer key as (left, right)
    positions, -1 where a left key has no match, in the order pandas' left merge gives
    (left's rows in turn, each one's matches in right's order)."""
    from massbal.engine.frames import left_matches
    rng = np.random.default_rng(4)
    for _ in range(200):
        nl, nr = rng.integers(0, 30, 2)
        lk, rk = rng.integers(0, 6, nl).astype(np.int64), rng.integers(0, 6, nr).astype(np.int64)
        m = pd.DataFrame({"k": lk, "li": np.arange(nl)}).merge(
            pd.DataFrame({"k": rk, "ri": np.arange(nr)}), on="k", how="left")
        li, ri = left_matches(lk, rk)
        assert li.tolist() == m["li"].tolist()
        assert ri.tolist() == m["ri"].fillna(-1).astype(int).tolist()


def test_first_dates_is_the_groups_minimum_looked_up():
    """checks._first_dates: groupby(lot)[date].min() looked up per wanted lot, NaT for a lot
    with no row or only undated rows (lots numbered from 0, some with no row)."""
    from massbal.engine.checks import _first_dates
    rng = np.random.default_rng(5)
    for _ in range(200):
        n, m = int(rng.integers(0, 30)), int(rng.integers(0, 30))
        lk = rng.integers(0, 8, n).astype(np.int64)
        date = pd.Series(pd.to_datetime("2025-01-01") + pd.to_timedelta(rng.integers(0, 20, n), unit="D"))
        date[rng.random(n) < 0.2] = pd.NaT
        wanted = rng.integers(0, 10, m).astype(np.int64)  # lots 8 and 9: no row
        expect = pd.Series(date.to_numpy(), index=lk).groupby(level=0).min().reindex(wanted).to_numpy()
        got = _first_dates(lk, date.to_numpy(), wanted, 10)
        np.testing.assert_array_equal(got, expect.astype("datetime64[ns]"))


def test_weighted_on_one_code_is_the_two_column_group_by():
    """genealogy._weighted by one integer column groups (it, ingredient) as one int64: the
    same rows, order, dtypes and sums to the bit as pandas' two-column group-by (NaN and
    -0.0 weights, totals of 0, negative keys, keys too wide to combine)."""
    from massbal.engine.genealogy import _weighted

    def plain(rows, by, total):
        num = rows.groupby([by, "ingredient_key"], sort=False)["w"].sum().reset_index()
        with np.errstate(divide="ignore", invalid="ignore"):
            num["frac"] = num["w"].to_numpy() / total.reindex(num[by].to_numpy()).to_numpy()
        return num[[by, "ingredient_key", "frac"]]
    rng = np.random.default_rng(5)
    for trial in range(100):
        n = int(rng.integers(1, 400))
        k = rng.integers(-3, 40, n).astype(np.int64)
        if trial % 10 == 0:
            k[0] = 2 ** 61  # too wide to combine with the ingredient: pandas' own way
        w = rng.random(n) * 10 ** rng.integers(0, 6)
        w[rng.random(n) < 0.05] = np.nan
        w[rng.random(n) < 0.05] = -0.0
        rows = pd.DataFrame({"_lk": k, "ingredient_key": rng.integers(0, 9, n).astype(np.int64), "w": w})
        total = pd.Series(rng.choice([0.0, 1.5, 7.0, 1e6], len(np.unique(k))), index=np.unique(k))
        pd.testing.assert_frame_equal(_weighted(rows, ["_lk"], total), plain(rows, "_lk", total),
                                      check_exact=True)


def test_key_runs_find_the_same_rows_by_table_or_by_hash():
    """KeyRuns.matches reads a key's place off a table of its low 32 bits where they tell the
    keys apart and span little (lot codes item << 32 | lot, small codes); else it hashes. Both
    give pandas' Index.get_indexer places: keys of another item with the same lot, keys past
    the table, negative keys and -1 rows are not matched."""
    from massbal.engine.frames import KeyRuns, _Distinct
    rng = np.random.default_rng(5)
    tables = 0
    for trial in range(300):
        n = int(rng.integers(0, 40))
        lot = rng.integers(0, 60 if trial % 3 else 2 ** 33, n)
        item = rng.integers(0, 3 if trial % 2 else 1, n)
        keys = ((item << 32) | lot).astype(np.int64)
        if trial % 7 == 0:
            keys = keys - 5  # some negative: no table
        probe = np.concatenate([keys, rng.integers(-3, 70, 20), (rng.integers(0, 4, 10) << 32) | rng.integers(0, 60, 10),
                                np.array([2 ** 62, -1, 2 ** 32 - 1])]).astype(np.int64)
        distinct = np.unique(keys)
        d = _Distinct(distinct)
        tables += d.table is not None
        assert d.get_indexer(probe).tolist() == pd.Index(distinct).get_indexer(probe).tolist()
        at, cnt = KeyRuns(keys).matches(probe)
        want = [np.flatnonzero(keys == p).tolist() for p in probe]
        assert cnt.tolist() == [len(w) for w in want]
        assert at.tolist() == [i for w in want for i in w]
    assert 50 < tables < 300  # both ways were taken


def test_int64_keys_get_the_loops_numbers():
    """key_codes' int64 path (frame by frame, in place) gives the very numbers of its loop,
    which int32 columns still take: the same codes, not only the same order."""
    rng = np.random.default_rng(5)
    for trial in range(200):
        sizes = rng.integers(0, 30, int(rng.integers(1, 4)))
        scale = 10 ** int(rng.integers(0, 9))
        frames = [pd.DataFrame({"a": rng.integers(-5, 5, n) * scale, "b": rng.integers(-2, 3, n),
                                "c": rng.integers(0, 1000, n)}) for n in sizes]
        key = [["a", "b"], ["b", "a", "c"], ["c", "b"]][trial % 3]
        fast = key_codes(frames, key)
        loop = key_codes([f.astype({key[0]: np.int32}) for f in frames], key)
        assert [x.dtype for x in fast] == [np.int64] * len(frames)
        assert all(np.array_equal(x, y) for x, y in zip(fast, loop, strict=True))


def test_int64_keys_near_the_limits_rank_as_the_loop():
    # a range of 2**31 or a combined span of 2**62 leaves the int64 path for the loop's ranks
    wide = pd.DataFrame({"a": np.array([0, 2 ** 31, 5], dtype=np.int64), "b": np.array([1, 0, 1], dtype=np.int64)})
    big = pd.DataFrame({"a": np.array([0, 2 ** 31 - 1, 7], dtype=np.int64),
                        "b": np.array([0, 2 ** 31 - 1, 3], dtype=np.int64)})
    for df in (wide, big):
        loop = key_codes([df.astype({"a": np.int32 if df is big else np.int64}).assign(b=df["b"].astype(np.int32))],
                         ["a", "b"])[0]
        assert np.array_equal(key_codes([df], ["a", "b"])[0], loop)
