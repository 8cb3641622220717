"""Small pandas helpers shared by the engine's modules."""
from __future__ import annotations

import numpy as np
import pandas as pd


def distinct_by_bits(values: np.ndarray, most: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Codes and distinct values of a column of 8-byte days or numbers, told apart by their
    64 bits (equal bits, equal value: -0.0 is never taken for 0.0), by one hash pass
    (pd.factorize), not a sort; None where more than `most` are distinct. For making a
    text once per distinct value (the change log's snapshot, the sheets' number cells)."""
    bits = np.ascontiguousarray(values).view(np.int64)
    codes, uniq = pd.factorize(bits)
    if len(uniq) > most:
        return None
    return codes, uniq.view(values.dtype)


def _same_kind(frame: pd.DataFrame, on: str, by: list[str]) -> pd.DataFrame:
    fix = {c: frame[c].astype(object) for c in by if not pd.api.types.is_integer_dtype(frame[c])}
    if pd.api.types.is_datetime64_any_dtype(frame[on].dtype):
        fix[on] = frame[on].astype("datetime64[ns]")
    else:
        fix[on] = frame[on].astype("int64")
    return frame.assign(**fix)


def asof_merge(left: pd.DataFrame, right: pd.DataFrame, *, left_on: str, right_on: str,
               by: list[str], allow_exact_matches: bool = True) -> pd.DataFrame:
    """pandas.merge_asof (latest right row at or before each left row, per `by` group)
    that keeps left's order and index, whatever dtypes pandas inferred for the keys
    (pandas 3 infers str where 2.x kept object; merge_asof wants them identical)."""
    l = _same_kind(left.reset_index(names="__pos"), left_on, by) if left[left_on].notna().all() else None
    if l is None:  # rows with nothing to look up keep NaN in right's columns
        known = left[left[left_on].notna()]
        done = asof_merge(known, right, left_on=left_on, right_on=right_on, by=by,
                          allow_exact_matches=allow_exact_matches)
        return done.reindex(left.index).assign(**{c: left[c] for c in left.columns})
    r = _same_kind(right, right_on, by)
    m = pd.merge_asof(l.sort_values(left_on, kind="stable"), r.sort_values(right_on, kind="stable"),
                      left_on=left_on, right_on=right_on, by=by, direction="backward",
                      allow_exact_matches=allow_exact_matches)
    return m.set_index("__pos").sort_index().rename_axis(left.index.name)


def key_codes(frames: list[pd.DataFrame], key: list[str]) -> list[np.ndarray]:
    """Each key tuple of `key` columns as one int64, shared by `frames` and in the tuples'
    sorted order: group-bys and merges on one integer column, factorized once, rather than
    on every key column each time (same groups, same order, same sums)."""
    offsets = _int_offsets(frames, key)
    if offsets is not None:
        return offsets
    sizes = [len(f) for f in frames]
    # one frame's columns read as they are (the codes below are new arrays, and nothing here
    # writes into a column), not copied whole first
    cols = [np.concatenate([f[c].to_numpy() for f in frames]) if len(frames) > 1 else frames[0][c].to_numpy()
            for c in key]
    if len(cols) == 1 and np.issubdtype(cols[0].dtype, np.integer):
        code = cols[0].astype(np.int64, copy=len(frames) == 1)  # (a copy: never a view of a column)
    else:
        code = np.zeros(sum(sizes), dtype=np.int64)
        span = 1
        for c in cols:
            whole = np.issubdtype(c.dtype, np.integer)
            lo, hi = (int(c.min()), int(c.max())) if whole and len(c) else (0, -1)
            if whole and hi - lo < 2 ** 31:  # integers of a modest range keep their order as offsets
                # (int64 keys offset directly: no copy of a million keys first)
                inv, width = (c if c.dtype == np.int64 else c.astype(np.int64)) - lo, hi - lo + 1
            else:
                inv, u = pd.factorize(c, sort=True, use_na_sentinel=False)  # (keys are never blank)
                width = len(u)
            if span * (width + 1) >= 2 ** 62:  # keep the combined code in range, order kept
                code, v = pd.factorize(code, sort=True)
                span = len(v)
            # in place: code is this function's own array (zeros, or factorize's new codes)
            code *= width
            code += inv
            span *= width + 1
    return np.split(code, np.cumsum(sizes)[:-1])


def _int_offsets(frames: list[pd.DataFrame], key: list[str]) -> list[np.ndarray] | None:
    """key_codes of two or more int64 key columns of a modest range (the engine's name
    codes), none ranked: the same numbers as its loop, ((a - lo_a) x width_b + b - lo_b) ...,
    made frame by frame in one array each, not from copies of every column of every frame
    joined and offset first (a third of the time at 1.6M rows). Wrapping int64 arithmetic
    is exact modulo 2**64 and the result is below 2**62, so the order of the steps does not
    matter. None otherwise (the caller's loop)."""
    if len(key) < 2 or not sum(len(f) for f in frames):
        return None
    cols = [[f[c].to_numpy() for c in key] for f in frames]
    if any(c.dtype != np.int64 for fc in cols for c in fc):
        return None
    los, widths, span = [], [], 1
    for j in range(len(key)):
        lo = min(int(fc[j].min()) for fc in cols if len(fc[j]))
        hi = max(int(fc[j].max()) for fc in cols if len(fc[j]))
        span *= hi - lo + 2  # (key_codes' check: span x (width + 1) stays below 2**62)
        if hi - lo >= 2 ** 31 or span >= 2 ** 62:
            return None
        los.append(lo)
        widths.append(hi - lo + 1)
    out = []
    for fc in cols:
        code = fc[0] - los[0]  # this function's own array: the rest in place
        for c, lo, width in zip(fc[1:], los[1:], widths[1:], strict=True):
            code *= width
            code += c
            code -= lo
        out.append(code)
    return out


class KeyRuns:
    """An integer key column sorted once (stably), for finding every row of many keys: each
    distinct key's run among the sorted keys is found by one hash look-up, then gathered
    with np.repeat, rather than a merge of two frames or a search per key. order: the
    stable sorting order of `keys` when the caller has it already."""

    def __init__(self, keys: np.ndarray, order: np.ndarray | None = None):
        self.order = np.argsort(keys, kind="stable") if order is None else order
        self.keys = keys[self.order]
        self._runs = None

    def matches(self, left: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The positions of the rows whose key is each of `left` in turn (in the keys' own
        order within each, as pandas' merge orders an inner join's rows), and how many each
        left key has. (A hash look-up: a searchsorted of a million left keys cost twice as
        much.)"""
        if not len(self.keys):
            return np.zeros(0, dtype=np.intp), np.zeros(len(left), dtype=np.intp)
        if self._runs is None:  # made on the first look-up only
            k = self.keys
            first = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
            self._runs = _Distinct(k[first]), first, np.diff(np.r_[first, len(k)])
        distinct, first, runs = self._runs
        at = distinct.get_indexer(left)
        lo, n = np.where(at >= 0, first[at], 0), np.where(at >= 0, runs[at], 0)
        return self.order[np.repeat(lo - (np.cumsum(n) - n), n) + np.arange(int(n.sum()))], n


class _Distinct:
    """Index.get_indexer of distinct int64 keys, sorted. Where each key's low 32 bits tell it
    apart and span little more than there are keys (lot codes: the lot code is unique to its
    item in a book's usual case; small codes such as runs), a key's place is read off a table
    indexed by those bits and checked against the key itself, rather than hashing each
    looked-up key: the same places (-1: not a key)."""

    def __init__(self, keys: np.ndarray):
        self.keys, self.table = keys, None
        if len(keys) and keys.dtype == np.int64 and keys[0] >= 0:  # (sorted: keys[0] is the least)
            low = keys & _LOW32
            top = int(low.max())
            if top < 2 * len(keys) + 1024:
                table = np.full(top + 1, -1, dtype=np.intp)
                table[low] = np.arange(len(keys))
                if (table >= 0).sum() == len(keys):  # no two keys share their low bits
                    self.table = table
        self.index = pd.Index(keys) if self.table is None else None

    def get_indexer(self, left: np.ndarray) -> np.ndarray:
        if self.table is None or left.dtype != np.int64:
            return (self.index if self.index is not None else pd.Index(self.keys)).get_indexer(left)
        low = left & _LOW32
        at = self.table[np.minimum(low, len(self.table) - 1)]
        return np.where((low < len(self.table)) & (at >= 0) & (self.keys[at] == left), at, -1)


def distinct_positions(pos: np.ndarray, n: int) -> np.ndarray:
    """np.unique of row positions 0..n-1 (sorted, each once). Many positions are marked on
    the n rows and read back (linear: a sort of a few hundred thousand costs several times
    more); a few are sorted (reading n marks would cost more)."""
    if len(pos) < n // 32:
        return np.unique(pos)
    mark = np.zeros(n, dtype=bool)
    mark[pos] = True
    return np.flatnonzero(mark)


def runs_within(size, most: int) -> list[tuple[int, int]]:
    """Consecutive ranges [lo, hi) of items (of sizes `size`, in order) whose sizes sum to at
    most `most`; an item bigger than that is a range alone. At least one range."""
    out, lo, total = [], 0, 0
    for k, n in enumerate(size):
        if total and total + n > most:
            out.append((lo, k))
            lo, total = k, 0
        total += n
    out.append((lo, len(size)))
    return out


def columns_at(frame: pd.DataFrame, at: np.ndarray, names) -> dict:
    """frame's columns `names` at positions `at`, by name: numpy columns as numpy arrays,
    others (a categorical kind) as pandas arrays. A frame made of them with copy=False takes
    each column once, at half the cost of .loc of a million rows (its index is a new range)."""
    return {c: col.to_numpy()[at] if isinstance(col.dtype, np.dtype) else col.array.take(at)
            for c in names for col in (frame[c],)}


def left_matches(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A left join of two integer key arrays as positions, in the rows' order of
    DataFrame.merge(how='left'): each left position with each of its right matches, or once
    with -1 where it has none."""
    ri, n = KeyRuns(right).matches(left)
    m = np.maximum(n, 1)
    out = np.full(int(m.sum()), -1, dtype=np.intp)
    out[np.repeat(n > 0, m)] = ri
    return np.repeat(np.arange(len(left)), m), out


def looked_up(left: dict, right: pd.DataFrame, col: str | None) -> np.ndarray:
    """right[col] at each left row's key (left: columns by name), NaN where right has none
    (col None: whether it has one): a left merge's column where right's keys are unique, by
    one hash index of the keys as one integer each (key_codes) rather than a merge of every
    key column. get_indexer refuses repeated keys, as the merge's rows would then no longer
    line up with left's either."""
    lc, rc = key_codes([pd.DataFrame(left), right], list(left))
    at = pd.Index(rc).get_indexer(lc)
    if col is None:
        return at >= 0
    out = np.full(len(at), np.nan)
    out[at >= 0] = right[col].to_numpy(dtype=float)[at[at >= 0]]
    return out


def inner_merge(left: pd.DataFrame, right: pd.DataFrame, on: str) -> pd.DataFrame:
    """left.merge(right, on=on) (inner) for an int64 key `on`: the same rows in the same
    order (left's, each left row's matches in right's order), by KeyRuns rather than a hash
    table of both sides each time. Columns the two share besides `on` go through pandas (it
    suffixes them)."""
    lk, rk = left[on].to_numpy(), right[on].to_numpy()
    shared = (set(left.columns) & set(right.columns)) - {on}
    if shared or lk.dtype != np.int64 or rk.dtype != np.int64:
        return left.merge(right, on=on)
    if 16 * len(lk) < len(rk):
        # a few left rows against many (a level's runs against every lot's make-up): only
        # right's rows of their keys are sorted, in right's order, so the same matches
        sel = np.flatnonzero(pd.Series(rk, copy=False).isin(lk).to_numpy())
        ri, n = KeyRuns(rk[sel]).matches(lk)
        ri = sel[ri]
    else:
        ri, n = KeyRuns(rk).matches(lk)
    out = left.take(np.repeat(np.arange(len(lk)), n)).reset_index(drop=True)
    rest = right.drop(columns=on).take(ri).reset_index(drop=True)
    for c in rest.columns:
        out[c] = rest[c]
    return out


def lot_codes(*frames: pd.DataFrame) -> list[np.ndarray]:
    """(item_key, lot_key) of each frame's rows as one int64, shared by the frames and in the
    pairs' sorted order: group-bys, joins and as-of merges by lot on one integer column
    rather than two (same groups, same order, same sums). A book's name codes fit in 32
    bits each, so the item is shifted above the lot; keys beyond that (the explainer's
    widened item keys) go through key_codes. Back to the pair: lot_pairs."""
    item = [f["item_key"].to_numpy(dtype=np.int64) for f in frames]
    lot = [f["lot_key"].to_numpy(dtype=np.int64) for f in frames]
    i, k = np.concatenate(item), np.concatenate(lot)
    if len(i) and (i.min() < 0 or i.max() >= 2 ** 31 or k.min() < 0 or k.max() >= 2 ** 32):
        return key_codes(list(frames), ["item_key", "lot_key"])
    return [(a << 32) | b for a, b in zip(item, lot, strict=True)]


def lot_numbers(frame: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Each row's (item_key, lot_key) as a number from 0 (one per pair) and how many numbers
    there can be: for tables and group-bys indexed by lot. Where no lot code is shared by two
    items (a book's usual case) the lot code is that number, read off with no hashing; else
    lot_codes' integers, numbered by one hash pass."""
    item, lot = frame["item_key"].to_numpy(dtype=np.int64), frame["lot_key"].to_numpy(dtype=np.int64)
    if len(lot) and lot.min() >= 0 and lot.max() < 2 * len(lot) + 1024:  # (a table of the codes' span)
        holder = np.full(int(lot.max()) + 1, -1, dtype=np.int64)
        holder[lot] = item  # (one item per code: whichever row wrote last, every row agrees)
        if np.array_equal(holder[lot], item):
            return lot, len(holder)
    number, distinct = pd.factorize(lot_codes(frame)[0])
    return number.astype(np.int64, copy=False), len(distinct)


def lot_pairs(codes: np.ndarray, frame: pd.DataFrame, frame_codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """item_key and lot_key of each of `codes`, looked up among `frame`'s rows (whose lot
    codes, from the same lot_codes call, are frame_codes)."""
    item = frame["item_key"].to_numpy(dtype=np.int64)
    lot = frame["lot_key"].to_numpy(dtype=np.int64)
    if _shifted(item, lot, frame_codes):
        # the codes are the pairs themselves (lot_codes' usual case): read them back by
        # shifting, not by hashing a million codes to find each one's row
        return codes >> 32, codes & _LOW32
    first = ~pd.Index(frame_codes).duplicated()
    at = pd.Index(frame_codes[first]).get_indexer(codes)
    if (at < 0).any():  # a code not from frame's rows: no pair to give it
        raise KeyError("lot_pairs: a lot code that frame does not hold")
    return item[first][at], lot[first][at]


_LOW32 = np.int64(2 ** 32 - 1)


def _shifted(item: np.ndarray, lot: np.ndarray, frame_codes: np.ndarray) -> bool:
    """Whether frame_codes are lot_codes' shifted pairs (not key_codes' ranks) of every row."""
    if not len(item) or len(frame_codes) != len(item):
        return False
    if item.min() < 0 or item.max() >= 2 ** 31 or lot.min() < 0 or lot.max() >= 2 ** 32:
        return False
    return bool(np.array_equal((item << 32) | lot, frame_codes))


# the dtype pandas gives a column of Python text (pandas 3: str, Arrow-backed; 2.2: object)
TEXT = pd.Series(np.array(["a"], dtype=object)).dtype


def text_by_code(uniques: np.ndarray, codes: np.ndarray, missing=np.nan):
    """What a frame makes of the object column uniques[codes] (code -1: `missing`), made by code
    where pandas would turn it into a text column: each distinct text converted once and
    taken, not a million Python strings converted one by one (the same values and dtype;
    pandas 2.2, and any column pandas would not make text, get the object array itself)."""
    vals = np.append(np.asarray(uniques, dtype=object), np.array([missing], dtype=object))
    if TEXT != object and len(codes):
        used = np.bincount(np.asarray(codes) + 1, minlength=len(vals))[1:] > 0
        kinds = [isinstance(v, str) or v is None or (isinstance(v, float) and v != v) for v in vals[:-1]]
        if all(kinds) and any(isinstance(v, str) for v in vals[:-1][used]):
            return pd.array(vals[:-1], dtype=TEXT).take(np.asarray(codes, dtype=np.intp), allow_fill=True)
    return vals[codes]


def joined_text(values: np.ndarray, index=None) -> pd.Series:
    """An object column of text as it comes out of a frame that made a text column of it
    and then joined it (pd.concat) with object columns: pandas 3 leaves its missing values
    NaN, pandas 2.2 as they were. Kept object from the start, it is not converted to text
    and back (the ledger's parts are then joined in one gather, not by pandas' concat)."""
    values = np.asarray(values, dtype=object)
    if TEXT != object and pd.api.types.infer_dtype(values, skipna=True) == "string":
        missing = pd.isna(values)
        if missing.any():
            values = values.copy()
            values[missing] = np.nan
    return pd.Series(values, index=index, dtype=object, copy=False)


def group_heads(frame: pd.DataFrame, key: str, **named: tuple[str, str]) -> pd.DataFrame:
    """frame.groupby(key, sort=False).agg(**named) for aggregations "first" (the first value
    not missing) and "min" (of dates), by position: the groups numbered by one hash pass (in
    order of first appearance, as groupby's), each group's value found by a lowest row or
    day per group (np.minimum.at), not a cython group pass per column (three object columns
    of 100k runs were most of the runs' heads). The same values, dtypes and index; a group
    with no value gets None (object), NaT or NaN, as pandas gives. key: integers, none
    missing; columns of numpy dtypes (a ledger's)."""
    codes, keys = pd.factorize(frame[key].to_numpy())
    index = pd.Index(keys, name=key)
    n = len(frame)
    out = {}
    for name, (column, how) in named.items():
        values = frame[column].to_numpy()
        if how == "min" and values.dtype.kind == "M":  # the earliest day, NaT skipped
            day = values.view(np.int64).copy()
            never = np.iinfo(np.int64).max
            day[np.isnat(values)] = never
            low = np.full(len(keys), never, dtype=np.int64)
            np.minimum.at(low, codes, day)
            low[low == never] = np.iinfo(np.int64).min  # (NaT)
            got = low.view(values.dtype)
        elif how == "first":
            filled = pd.notna(values)
            at = np.full(len(keys), n, dtype=np.int64)
            np.minimum.at(at, codes[filled], np.flatnonzero(filled))
            none = at == n
            got = values[np.minimum(at, n - 1)] if n else values[:0]
            if none.any():
                if got.dtype.kind in "Mf":
                    got[none] = np.datetime64("NaT") if got.dtype.kind == "M" else np.nan
                else:
                    got = got.astype(object)
                    got[none] = None
        else:
            raise ValueError(f"group_heads: {how} of {values.dtype}")
        # (a Series of its own dtype: an object array would become a text column)
        out[name] = pd.Series(got, index=index, dtype=got.dtype, copy=False)
    return pd.DataFrame(out, index=index, copy=False)
