"""Corrected copies of a few items' rows, and the supply figure after each correction: the
book's supply terms plus the copy's part corrected, less the same part as it is
(investigate.supply's item-only corrections, investigate.runs' run corrections).

Every copy n sits under item codes key + n x ik and run codes key + n x bk, so one pass of
the engine's own supply_terms computes all of them without mixing any two.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from massbal.engine.genealogy import Genealogy
from massbal.engine.load import Book
from massbal.engine.supply import supply_figures, supply_terms

from . import touches as T


def stack(slim: pd.DataFrame, ns: np.ndarray, pos: list[np.ndarray], at: np.ndarray, qty_new: np.ndarray,
          date_new: np.ndarray, ik: int, bk: int) -> pd.DataFrame:
    """Copies of slim's rows, copy ns[k] holding the rows at positions pos[k]; the last
    len(at) copies are the corrected ones, each with one cell corrected: the row at[k]
    (a position within its copy) takes date_new[k] where given, else qty_new[k] (0 deletes
    it). Returns the copies under their codes (bk: above every run key of slim)."""
    sizes = np.array([len(p) for p in pos], dtype=np.int64)
    n = np.repeat(np.asarray(ns, dtype=np.int64), sizes)
    stacked = slim.iloc[np.concatenate(pos)].reset_index(drop=True)
    at = np.concatenate([[0], np.cumsum(sizes)[:-1]])[len(pos) - len(at):] + np.asarray(at, dtype=np.int64)
    date_new = np.asarray(date_new, dtype="datetime64[ns]")
    moved = ~np.isnat(date_new)
    q = stacked["qty"].to_numpy(dtype=float, copy=True)
    q[at[~moved]] = np.asarray(qty_new, dtype=float)[~moved]
    d = stacked["date"].to_numpy(dtype="datetime64[ns]", copy=True)
    d[at[moved]] = date_new[moved]
    b = stacked["batch_key"].to_numpy()
    stacked = stacked.assign(qty=q, date=d, item_key=stacked["item_key"].to_numpy() + n * ik,
                             batch_key=np.where(b != 0, b + n * bk, 0))
    gone = at[~moved & (np.asarray(qty_new, dtype=float) == 0)]
    return stacked[~np.isin(np.arange(len(stacked)), gone)]


def alts_of(ctxs: list[dict]) -> pd.DataFrame:
    """The alternatives of ctxs as one frame, with `cid` (their flagged row), `j` (their
    index among its alternatives) and `ing`: one concat, the columns added once rather
    than to a copy of each flagged row's alternatives (hundreds at 20 % flagged)."""
    sizes = [len(c["alts"]) for c in ctxs]
    alt = pd.concat([c["alts"] for c in ctxs], ignore_index=True)
    alt["cid"] = np.repeat(np.array([c["id"] for c in ctxs], dtype=np.int64), sizes)
    alt["j"] = np.concatenate([c["alts"].index.to_numpy() for c in ctxs])
    alt["ing"] = np.repeat(np.array([c["ing"] for c in ctxs], dtype=np.int64), sizes)
    return alt


def joined(parts: list[tuple[pd.DataFrame, pd.DataFrame, Genealogy, set]]) -> tuple:
    """Copies of several kinds (numbered apart, under one bk) as one (alt, stacked,
    genealogy, codes) for one figures_after: one supply_terms for all of them."""
    if len(parts) == 1:
        alt, stacked, g, codes = parts[0]
        return alt[["cid", "j", "ing", "n", "n_orig"]], stacked, g, codes
    cat = lambda frames: pd.concat(frames, ignore_index=True)  # noqa: E731
    gs = [p[2] for p in parts]
    g = Genealogy(cat([x.lot_comp for x in gs]), cat([x.item_comp for x in gs]), cat([x.batch_comp for x in gs]),
                  pd.Series(dtype=np.int64), frozenset())
    return (cat([p[0][["cid", "j", "ing", "n", "n_orig"]] for p in parts]), cat([p[1] for p in parts]), g,
            set().union(*[p[3] for p in parts]))


def within(ledger: pd.DataFrame, scopes) -> np.ndarray:
    """Whether each ledger row is in any of the scopes (their union, in ledger order)."""
    mask = np.zeros(len(ledger), dtype=bool)
    for sc in scopes:
        mask[ledger.index.get_indexer(sc)] = True
    return mask


def book_terms(slim: pd.DataFrame, gen: Genealogy, ctxs: list[dict], terms: pd.DataFrame | None = None
               ) -> pd.DataFrame:
    """The book's supply terms of every flagged ingredient over every period any of ctxs
    asks for (a period's terms do not depend on the other periods asked), once for all
    passes: taken from `terms` (the engine's own, over every period) when given, else
    computed on the rows of their scopes, without those dated after the last period.
    Either way the same figures: an ingredient's terms come from its scope's rows alone
    (in the same order), and the roll looks back only. figures_after numbers the periods
    (`p`) itself."""
    periods = sorted(set().union(*[c["wanted"] for c in ctxs]))
    if terms is not None:
        ings = {c["ing"] for c in ctxs}
        return terms[terms["ingredient_key"].isin(ings).to_numpy() &
                     terms["start"].isin([p[0] for p in periods]).to_numpy()].reset_index(drop=True)
    last = np.datetime64(periods[-1][1], "ns")
    rows = slim[within(slim, {c["ing"]: c["scope"] for c in ctxs}.values())]
    return supply_terms(rows[(rows["date"].to_numpy(dtype="datetime64[ns]") <= last)], gen, periods,
                        {c["ing"] for c in ctxs})


def figures_after(book: Book, slim: pd.DataFrame, base: pd.DataFrame, ctxs: list[dict], alt: pd.DataFrame,
                  stacked: pd.DataFrame, g: Genealogy, codes: set, ik: int) -> dict:
    """{(cid, j): supply rows after alternative j of flagged row cid}. alt: one row per
    alternative with cid, j, ing, n (its corrected copy) and n_orig (the same rows as they
    are); stacked and g: every copy and its genealogy under their codes (`codes`: the
    copies' ingredient codes). The figure is the book's terms (book_terms) + the corrected
    copy's - the copy as it is."""
    # only the periods asked for, and without the rows dated after the last of them: the roll
    # looks back only, so they change none of those figures
    periods = sorted(set().union(*[c["wanted"] for c in ctxs]))
    # each copy without the rows dated after the last period its alternatives ask for (a
    # copy as it is serves several): the roll looks back only
    last_of = {c["id"]: max(p[1] for p in c["wanted"]) for c in ctxs}
    last_alt = alt["cid"].map(last_of).to_numpy(dtype="datetime64[ns]")
    last = np.full(int(max(alt["n"].max(), alt["n_orig"].max())) + 1, np.datetime64("NaT"), dtype="datetime64[ns]")
    shared = pd.Series(last_alt).groupby(alt["n_orig"].to_numpy()).max()
    last[shared.index.to_numpy()] = shared.to_numpy(dtype="datetime64[ns]")
    last[alt["n"].to_numpy()] = last_alt
    stacked = stacked[(stacked["date"].to_numpy(dtype="datetime64[ns]") <= last[stacked["item_key"].to_numpy() // ik])]
    terms = supply_terms(stacked, g, periods, codes)
    at = {p[0]: i for i, p in enumerate(periods)}
    base = base[base["ingredient_key"].isin(set(alt["ing"])).to_numpy() & base["start"].isin(list(at)).to_numpy()]
    base = base.assign(p=base["start"].map(at).to_numpy())
    sums = [col for col in terms.columns if col not in ("ingredient_key", "owner_key", "p", "start", "end")]
    terms = terms.assign(n=terms["ingredient_key"] // ik)
    a = alt[["n", "n_orig", "ing"]]
    new = pd.concat([
        a.merge(base.rename(columns={"ingredient_key": "ing"}), on="ing"),
        a.merge(terms.drop(columns="ingredient_key"), on="n"),
        _minus(a, terms, sums),
    ], ignore_index=True)
    new = new.groupby(["n", "ing", "owner_key", "p"], sort=False)[sums].sum().reset_index()
    starts = [p[0] for p in periods]
    ends = [p[1] for p in periods]
    new["start"] = [starts[p] for p in new["p"]]
    new["end"] = [ends[p] for p in new["p"]]
    new["ingredient_key"] = new["ing"] + new["n"] * ik
    owners = _owners(slim, new["owner_key"].to_numpy())
    sup = supply_figures(T.coded_book(book, new["ingredient_key"].to_numpy(), ik), owners,
                         new.drop(columns=["n", "ing"]))[0]
    n = pd.to_numeric(sup["ingredient"]).to_numpy() // ik
    mine = sup["end"].to_numpy(dtype="datetime64[ns]") <= last[n]  # a later period misses rows: not asked
    got = dict(tuple(sup[mine].groupby(n[mine], sort=False)))
    none = sup.iloc[:0]
    return {(cid, j): got.get(k, none).reset_index(drop=True)
            for cid, j, k in zip(alt["cid"], alt["j"], alt["n"], strict=True)}


def _owners(slim: pd.DataFrame, keys: np.ndarray) -> pd.DataFrame:
    """slim's first row of each owner key of `keys` (owner_key, owner), in slim's order: all
    supply_figures reads to name the owners of these figures. A few keys' first rows are
    found by a scan of the key column each, not a hash of every row of the book."""
    keys = pd.unique(keys)
    if len(keys) > 8:
        return slim.drop_duplicates("owner_key")[["owner_key", "owner"]]
    col = slim["owner_key"].to_numpy()
    first = [i for i in (int(np.argmax(col == k)) for k in keys) if len(col) and col[i] in keys]
    return slim.iloc[sorted(set(first))][["owner_key", "owner"]]


def _minus(a: pd.DataFrame, terms: pd.DataFrame, sums: list[str]) -> pd.DataFrame:
    """The part as it is, subtracted: its terms negated under the corrected copy's number."""
    o = a.merge(terms.drop(columns="ingredient_key").rename(columns={"n": "n_orig"}), on="n_orig")
    o[sums] = -o[sums]
    return o
