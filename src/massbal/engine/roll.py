"""Rolling stock forward over periods: the arithmetic of CONTRACT section 2, once.

One function serves both the item balance (values are quantities) and the supply
balance (values are ingredient equivalents): given movements and counts for some keys,
it gives per key and period the beginning, the period's sums per kind, the book ending,
the counted ending and the lowest running balance. All of it is whole-table pandas
(group sums, cumulative sums, as-of merges), no loop over rows.

Counts: `count_days` says on which days an item (item-level key) was counted; a key
whose item was counted that day but which has no count row (an ingredient absent from
the counted lots) counts as 0 on hand.

Opening counts: an item's first count with no movement of it dated on or before it is
where its books begin ("an opening count establishes a lot", CONTRACT section 2). The
period holding it begins from that count (the period's movements all come after it), so
the stock a first-time user counts is neither a variance nor oversold; every later period
begins from it as from any count.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .frames import key_codes, looked_up

SIGN = {"receipt": 1.0, "produced": 1.0, "used": -1.0, "shipped": -1.0, "loss": -1.0,
        "process": -1.0, "harvested": 1.0, "farm use": -1.0, "applied": -1.0}
EPS = 1e-6


def signs(kind: pd.Series) -> np.ndarray:
    """SIGN of each row's kind (NaN for a kind without one), as kind.astype(object).map(SIGN)
    gives it; looked up once per category where kind is categorical (the ledger's: a
    row-by-row map of a million kinds cost 0.3 s)."""
    if isinstance(kind.dtype, pd.CategoricalDtype):
        table = np.array([SIGN.get(c, np.nan) for c in kind.cat.categories] + [np.nan], dtype=float)
        return table[kind.cat.codes.to_numpy()]  # code -1 (a missing kind) takes the last: NaN
    return kind.astype(object).map(SIGN).to_numpy(dtype=float)


def stable_order(keys: np.ndarray) -> np.ndarray:
    """np.argsort(keys, kind="stable") for integer keys: keys of a range under 2**16 (items,
    a few tables) sorted as their offsets from the smallest in 16 bits, which numpy sorts by
    radix (a quarter of the time at a million rows); the same order (the offsets keep it)."""
    keys = np.asarray(keys)
    if len(keys) and np.issubdtype(keys.dtype, np.integer):
        lo, hi = int(keys.min()), int(keys.max())
        if hi - lo < 2 ** 16:
            return np.argsort((keys - lo).astype(np.uint16), kind="stable")
    return np.argsort(keys, kind="stable")


def _period_index(dates, starts: np.ndarray, ends: np.ndarray, days: tuple | None = None) -> np.ndarray:
    """Each date's period (-1: in none); days: day_codes(dates), when the caller has them (each
    distinct day looked up once, then taken by its code)."""
    if days is not None:
        return _period_index(days[1], starts, ends)[days[0]]
    d = np.asarray(dates, dtype="datetime64[ns]")
    i = np.searchsorted(starts, d, side="right") - 1
    ok = (i >= 0) & (d <= ends[np.clip(i, 0, len(ends) - 1)])
    return np.where(ok, i, -1)


def day_codes(dates) -> tuple[np.ndarray, np.ndarray] | None:
    """Each date's rank among the distinct dates, and those dates ascending (a sorted
    factorize); None where there is no date or one is missing."""
    day, days = pd.factorize(np.asarray(dates, dtype="datetime64[ns]"), sort=True)
    if len(day) == 0 or (day < 0).any():
        return None
    return day, np.asarray(days)


def day_sums(codes: np.ndarray, dates, values: np.ndarray, days: tuple | None = None) -> pd.DataFrame | None:
    """groupby([code, date], sort=True)[value].sum() as columns `code`, `date`, `value`,
    grouped on one int64 (code and day rank) rather than two columns: pandas then skips
    combining and compressing two levels of 1.6 million rows. The same groups in the same
    order, each summed over the same rows in the same order, so the same sums to the bit.
    None when a date is missing (the caller keeps pandas' own way, which drops it).
    days: day_codes of these dates (or of dates they are some of: ranks with gaps keep the
    groups and their order), when the caller has them."""
    days = day_codes(dates) if days is None else days
    if days is None:
        return None
    day, days = days
    nd = len(days)
    lo = int(codes.min())
    k, uk = codes - lo, None
    # codes spread too wide for group_sums' table of code x days, but of a modest span
    # themselves: their ranks (order kept) instead
    ranked = _ranks(k) if (int(k.max()) + 1) * nd > 2 * len(k) + 1024 else None
    if ranked is not None:
        k, uk = ranked[0], ranked[1] + lo
    elif int(k.max()) >= 2 ** 62 // nd:  # keep code * days in range: rank the codes (order kept)
        k, uk = pd.factorize(codes, sort=True)
    c, sums = group_sums(k * nd + day, values)
    code = c // nd + lo if uk is None else np.asarray(uk)[c // nd]
    return pd.DataFrame({"code": code, "date": np.asarray(days)[c % nd], "value": sums})


def group_sums(key: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """pd.Series(values).groupby(key, sort=True).sum() as (its index, its values), for int64
    keys: where the keys span little more than there are rows (a key's code and day, a grid
    row and kind), each key's rank is read off a table of the span and pandas groups on
    those ranks as a categorical's codes, without hashing a million keys first. The same
    groups in the same order, each summed over the same rows in the same order (pandas'
    own group sum), so the same sums to the bit."""
    lo = int(key.min()) if len(key) else 0
    ranked = _ranks(key - lo)
    if ranked is None:
        s = pd.Series(values).groupby(key, sort=True).sum()
        return s.index.to_numpy(), s.to_numpy()
    rank, present = ranked
    codes = pd.Categorical.from_codes(rank, categories=pd.RangeIndex(len(present)), validate=False)
    # every category is some row's (its rank is one), so observed=False only skips their search
    s = pd.Series(values).groupby(codes, observed=False, sort=True).sum()
    return present + lo, s.to_numpy()


def _ranks(k: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Each of k's (int, from 0) rank among its distinct values, and those values ascending,
    by a table of k's span (a flag per value, counted up): where the span is at most about
    twice the rows; else None (the caller hashes or sorts)."""
    if not len(k) or int(k.min()) < 0 or int(k.max()) >= 2 * len(k) + 1024:
        return None
    seen = np.zeros(int(k.max()) + 1, dtype=bool)
    seen[k] = True
    rank = np.cumsum(seen, dtype=np.int32) - 1  # (the span is under 2**31: twice the rows at most)
    return rank[k], np.flatnonzero(seen)


def _cum_at(daily: pd.DataFrame, K: str, keys: np.ndarray, when: np.ndarray) -> np.ndarray:
    """daily's `cum` of each key on its latest day on or before `when` (NaN when it has none,
    or when is NaT). daily holds one row per (key, day), sorted by key then day."""
    at = _last_at(daily[K].to_numpy(), daily["date"].to_numpy(dtype="datetime64[ns]"), keys, when)
    out = np.full(len(keys), np.nan)
    out[at >= 0] = daily["cum"].to_numpy(dtype=float)[at[at >= 0]]
    return out


def _last_at(dk: np.ndarray, dd: np.ndarray, keys: np.ndarray, when: np.ndarray) -> np.ndarray:
    """The position of the row of (dk, dd), sorted by key then day, none of dd NaT, that is
    each key's latest on or before `when` (-1: none, or when is NaT): merge_asof's backward
    match, by searchsorted. (key rank, day rank) as one integer keeps the rows' order, so
    the match is the last such integer at or below the key's and when's."""
    out = np.full(len(keys), -1, dtype=np.intp)
    if not len(dk) or not len(keys):
        return out
    uk = np.unique(dk)
    day, days = pd.factorize(dd, sort=True)
    nd = len(days)
    code = np.searchsorted(uk, dk) * nd + day  # sorted, as the rows are
    kr = np.searchsorted(uk, keys)
    known = (kr < len(uk)) & (uk[np.minimum(kr, len(uk) - 1)] == keys) & ~np.isnat(when)
    wr = np.searchsorted(np.asarray(days), when, side="right") - 1  # the last day on or before when
    pos = np.searchsorted(code, kr * nd + wr, side="right") - 1
    ok = known & (wr >= 0) & (pos >= 0)
    ok[ok] = code[pos[ok]] // nd == kr[ok]  # a match of the same key
    out[ok] = pos[ok]
    return out


def _count_day_before(grid: pd.DataFrame, cd: pd.DataFrame, item_key: list[str]) -> np.ndarray:
    """The last count day (cd: item_key + count_date) of each grid row's item on or before its
    day_before, NaT where none: what merge_asof by item_key gave, by _last_at on the items as
    one integer each (key_codes), not a merge of the grid by two columns."""
    days = cd["count_date"].to_numpy(dtype="datetime64[ns]")
    dated = ~np.isnat(days)  # (a count without a day is no count day; merge_asof refused it)
    cd, days = cd[dated], days[dated]
    out = np.full(len(grid), np.datetime64("NaT"), dtype="datetime64[ns]")
    if not len(cd):
        return out
    mine, theirs = key_codes([grid, cd], item_key)
    order = np.lexsort((days, theirs))
    at = _last_at(theirs[order], days[order], mine, grid["day_before"].to_numpy(dtype="datetime64[ns]"))
    out[at >= 0] = days[order][at[at >= 0]]
    return out


def _norm(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """Same dtypes on both sides of every merge (pandas may infer str or object)."""
    fix = {c: frame[c].astype(object) for c in cols if c in frame and not pd.api.types.is_integer_dtype(frame[c])}
    if "date" in frame:
        fix["date"] = frame["date"].astype("datetime64[ns]")
    return frame.assign(**fix)


def opening_days(moves: pd.DataFrame, count_days: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """by + `opening`: the day of each group's opening count (its first count, when no
    movement of the group is dated on or before it); groups without one are left out."""
    first_count = count_days.groupby(by, sort=False)["date"].min()
    first_move = moves.groupby(by, sort=False)["date"].min().reindex(first_count.index)
    keep = (first_move.isna() | (first_move > first_count)).to_numpy()
    return first_count[keep].rename("opening").reset_index()


def ledger_openings(ledger: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """opening_days from the ledger itself (every stock movement, organic or not), so the
    item balance, the supply balance and the crop balance open on the same day."""
    # on the kind column as it is (categorical): an object copy of a million kinds compared
    # as text cost ten times more
    kind = ledger["kind"]
    flows = ledger.loc[kind.isin(list(SIGN)).to_numpy(), by + ["date"]]
    days = ledger.loc[(kind == "count").to_numpy(), by + ["date"]]
    return opening_days(flows, days, by)


def _open_from_count(g: pd.DataFrame, openings: pd.DataFrame, csum: pd.DataFrame, key: list[str],
                     item_key: list[str]) -> pd.DataFrame:
    """A period that holds its key's opening count begins from that count. Nothing of the
    key moved before it, so the beginning found so far is 0 and the period's movements
    all come after the count: the period's arithmetic stays beginning + movements."""
    if openings.empty:
        return g.assign(opened=False)
    op = g[item_key + ["start", "end"]].merge(openings, on=item_key, how="left")["opening"]
    op = pd.to_datetime(op).astype("datetime64[ns]").to_numpy()
    here = (op >= g["start"].to_numpy()) & (op <= g["end"].to_numpy())
    if not here.any():
        return g.assign(opened=here)
    at = g.loc[here, key].assign(date=op[here]).merge(csum, on=key + ["date"], how="left")["count_value"]
    beginning = g["beginning"].to_numpy(dtype=float).copy()
    beginning[here] = at.fillna(0.0).to_numpy(dtype=float)
    return g.assign(beginning=beginning, opened=here)


def roll(moves: pd.DataFrame, counts: pd.DataFrame, count_days: pd.DataFrame,
         periods: list[tuple[pd.Timestamp, pd.Timestamp]], key: list[str], item_key: list[str],
         keys: pd.DataFrame | None = None, openings: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per key and period: beginning, sum_<kind>, book_end, counted_end, min_running, first_negative,
    opened (the beginning is the key's opening count, dated inside the period).

    moves: key + date + kind + value (positive magnitude; SIGN gives the effect).
    counts: key + date + value (count rows, summed here).
    count_days: item_key + date, the days each item was counted.
    openings: item_key + opening (ledger_openings); by default opening_days of moves.
    """
    moves, counts, count_days = (_norm(x, key) for x in (moves, counts, count_days))
    openings = opening_days(moves, count_days, item_key) if openings is None else _norm(openings, item_key)
    if keys is not None:
        keys = _norm(keys, key)
    starts = np.array([p[0] for p in periods], dtype="datetime64[ns]")
    ends = np.array([p[1] for p in periods], dtype="datetime64[ns]")
    # K: a key's place among the grid's keys (past them: a key not asked for), so the grid's
    # row of key K and period p is K x periods + p: the period sums and running lows are put
    # in place by that number rather than merged back on (key, period)
    K = "_k"
    kc = key_codes([moves, counts] + ([keys] if keys is not None else []), key)
    n = len(moves)
    if keys is None:
        # the distinct keys in order of first appearance (drop_duplicates' order, on the
        # codes; a hash, not a sort): factorize numbers them so, each key's first row is
        # where the running largest number grows
        place = pd.factorize(np.concatenate(kc))[0]
        top = np.maximum.accumulate(place) if len(place) else place
        first = np.flatnonzero(np.r_[True, top[1:] > top[:-1]]) if len(place) else place
        # taken from each part apart (first is ascending: the moves' before the counts'), not
        # from a copy of both parts' key columns whole
        keys = pd.concat([moves[key].iloc[first[first < n]], counts[key].iloc[first[first >= n] - n]],
                         ignore_index=True)
        place = (place[:n], place[n:])
    else:
        asked = pd.Index(kc[2])
        if not asked.is_unique:
            raise ValueError("roll: the keys asked for repeat")
        keys = keys.reset_index(drop=True)
        # a key not asked for: a place of its own past the grid's (its rows grouped as before:
        # pandas' sums of a group can change with how the other rows are grouped)
        both = np.concatenate(kc[:2])
        at = asked.get_indexer(both)
        other = at < 0
        at[other] = len(keys) + pd.factorize(both[other])[0]
        place = (at[:n], at[n:])
    keys = keys.assign(**{K: np.arange(len(keys))})
    mv = moves.assign(effect=moves["value"] * moves["kind"].map(SIGN).to_numpy(), **{K: place[0]})
    counts = counts.assign(**{K: place[1]})
    np_ = len(periods)
    grid = keys.loc[keys.index.repeat(np_)].reset_index(drop=True)
    grid["p"] = np.tile(np.arange(np_), len(keys))
    grid["start"] = starts[grid["p"].to_numpy()]
    grid["end"] = ends[grid["p"].to_numpy()]
    grid["day_before"] = grid["start"] - pd.Timedelta(days=1)

    # book cumulative effect at the end of each day
    # the moves' days coded once, for their day sums and their periods
    days = day_codes(mv["date"])
    daily = day_sums(mv[K].to_numpy(), mv["date"], mv["effect"].to_numpy(), days)
    if daily is None:
        daily = mv.groupby([K, "date"], sort=True)["effect"].sum().reset_index()
    else:
        daily = daily.rename(columns={"code": K, "value": "effect"})
    daily["cum"] = daily.groupby(K, sort=False)["effect"].cumsum()

    # beginning: last count on or before the day before start, rolled forward
    cd = count_days.drop_duplicates().rename(columns={"date": "count_date"})
    # the grid's count look-ups by position (the keys as one integer each), not merges of it
    g = grid.assign(count_date=_count_day_before(grid, cd, item_key))
    csum = counts.groupby([K, "date"], sort=False)["value"].sum().rename("count_value").reset_index()
    at_count = looked_up({K: g[K].to_numpy(), "date": g["count_date"].to_numpy()}, csum, "count_value")
    g["count_value"] = np.where(np.isnan(at_count), 0.0, at_count)  # (fillna: an infinite sum stays so)
    g["cum_before"] = _cum_at(daily, K, g[K].to_numpy(), g["day_before"].to_numpy(dtype="datetime64[ns]"))
    g["cum_at_count"] = _cum_at(daily, K, g[K].to_numpy(), g["count_date"].to_numpy(dtype="datetime64[ns]"))
    g["cum_before"] = g["cum_before"].fillna(0.0)
    has_count = g["count_date"].notna()
    g["cum_at_count"] = g["cum_at_count"].where(has_count, 0.0).fillna(0.0)
    g["beginning"] = np.where(has_count, g["count_value"] + g["cum_before"] - g["cum_at_count"],
                              g["cum_before"])
    g = g.drop(columns=["count_date", "count_value", "cum_before", "cum_at_count", "d1", "d2"],
               errors="ignore")
    g = _open_from_count(g, openings, csum, [K], item_key)  # csum is keyed by the key's code

    # the period's movements by kind
    for c, v in _period_sums(mv, starts, ends, len(g), days).items():
        g[c] = v
    for k in SIGN:
        c = "sum_" + k
        g[c] = g[c].fillna(0.0) if c in g else 0.0
    g["book_end"] = g["beginning"] + sum(SIGN[k] * g["sum_" + k] for k in SIGN)

    # counted ending: a count on the end date
    counted = looked_up({**{c: g[c].to_numpy() for c in item_key}, "count_date": g["end"].to_numpy()}, cd, None)
    at_end = looked_up({K: g[K].to_numpy(), "date": g["end"].to_numpy()}, csum, "count_value")
    g["counted_end"] = np.where(counted, np.where(np.isnan(at_end), 0.0, at_end), np.nan)

    # the running book balance, day by day (a day's inflows before its outflows, so the
    # day's lowest point is its end)
    # the day totals inside periods are daily's: a day lies wholly in one period or none
    low, first_negative = _running_lows(daily, starts, ends, g["beginning"].to_numpy(dtype=float))
    g["min_running"] = np.fmin(low, g["beginning"].to_numpy(dtype=float))
    g["first_negative"] = first_negative
    g["active"] = (g[[f"sum_{k}" for k in SIGN]].abs().sum(axis=1) > EPS) | g["counted_end"].notna() | \
        (g["beginning"].abs() > EPS)
    return g.drop(columns=K)


def _period_sums(mv: pd.DataFrame, starts: np.ndarray, ends: np.ndarray, rows: int, days: tuple | None) -> dict:
    """sum_<kind> of each grid row (key place `_k` x periods + period) over the moves dated in
    the period: groupby([_k, p, kind]).sum() unstacked, as columns of the grid. Grouped on
    one integer, the same groups summed over the same rows in the same order: the same sums
    to the bit. A kind's column in order of the kind's first row; 0.0 where the row's key
    and period moved only in other kinds, NaN where they did not move (what a left merge of
    the unstacked sums gave; the caller fills SIGN's kinds)."""
    p = _period_index(mv["date"], starts, ends, days)
    inside = p >= 0
    kind = mv["kind"]
    if isinstance(kind.dtype, pd.CategoricalDtype):
        code, names = kind.cat.codes.to_numpy().astype(np.int64), kind.cat.categories
    else:
        code, names = pd.factorize(kind)  # a missing kind: -1, left out as the group-by did
    inside &= code >= 0
    code, p = code[inside], p[inside]
    if not len(code):
        return {}
    nk = len(names)
    row = mv["_k"].to_numpy()[inside] * (len(starts)) + p  # rows: a key not asked for
    # (in key order, not first seen: each sum is put in place by its key below)
    at, sums = group_sums(row * nk + code, mv["value"].to_numpy()[inside])
    sums = sums.astype(float, copy=False)
    r, k = at // nk, at % nk
    mine = r < rows
    moved = np.zeros(rows, dtype=bool)
    moved[r[mine]] = True
    out = {}
    for c in pd.unique(code):  # the kinds in order of their first row inside a period
        col = np.where(moved, 0.0, np.nan)
        hit = mine & (k == c)
        col[r[hit]] = sums[hit]
        out["sum_" + str(names[c])] = col
    return out


def _running_lows(daily: pd.DataFrame, starts: np.ndarray, ends: np.ndarray, beginning: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The lowest running book balance of each grid row (beginning + the day totals of its
    period, cumulated), NaN where nothing moved, and the first day it is below -EPS (NaT:
    never). daily is sorted by key place and day, so each row's days are one run of it: the
    cumulative sums by one group-by on the grid row (the same sums as on key and period),
    the lowest by a reduce over the runs and the first negative day where it first is."""
    low = np.full(len(beginning), np.nan)
    first_negative = np.full(len(beginning), np.datetime64("NaT"), dtype="datetime64[ns]")
    dp = _period_index(daily["date"], starts, ends)
    row = daily["_k"].to_numpy() * len(starts) + dp
    keep = (dp >= 0) & (row < len(beginning))  # a key not asked for has no grid row
    row = row[keep]
    if not len(row):
        return low, first_negative
    running = pd.Series(daily["effect"].to_numpy()[keep]).groupby(row, sort=False).cumsum().to_numpy() + \
        beginning[row]
    dates = daily["date"].to_numpy(dtype="datetime64[ns]")[keep]
    if (row[1:] < row[:-1]).any():  # periods out of order (never made so): each row's days are not one run
        low[pd.unique(row)] = pd.Series(running).groupby(row, sort=False).min().to_numpy()
        neg = running < -EPS
        first = pd.Series(dates[neg]).groupby(row[neg], sort=False).min()
        first_negative[first.index.to_numpy()] = first.to_numpy(dtype="datetime64[ns]")
        return low, first_negative
    bounds = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])
    low[row[bounds]] = np.fmin.reduceat(running, bounds)  # fmin: a NaN is skipped, as min() does
    neg = np.flatnonzero(running < -EPS)
    if len(neg):
        firsts = neg[np.r_[True, row[neg][1:] != row[neg][:-1]]]
        first_negative[row[firsts]] = dates[firsts]
    return low, first_negative
