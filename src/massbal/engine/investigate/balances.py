"""Investigations: which single cell, corrected, would close a flagged balance (CONTRACT s.7).

For every balance INVESTIGATE or NEGATIVE, each movement and count that enters it is
tried with the slips people make (engine.slips). The balance is linear in the
quantities, so the effect of every alternative comes in one pass from the same per-row
contributions `roll` sums (value x SIGN of its kind): a changed movement moves the
expected ending of the period it is dated in (and the beginning of the next one when
no count stands between), a changed count the counted ending of its day (and the
beginning of the period that opens from it). Variance, variance % and status after are
then computed by balance.py's own functions. All alternatives are first screened against
the flagged balances alone (the same affected/_after/status code): only those that fix
one go on to the other balances they change, the ranking and the words. The running
balance (NEGATIVE) is not linear in the day order, so for the short list of survivors it
is recomputed by `roll` itself, on each survivor's corrected day totals (every survivor's
days shifted onto one common period: one grid row each).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from massbal.engine.balance import KEY, status_of, variance_pct
from massbal.engine.frames import asof_merge, key_codes, runs_within
from massbal.engine.ledger import INFLOW_KINDS, OUTFLOW_KINDS
from massbal.engine.load import Book
from massbal.engine.roll import EPS, SIGN, _cum_at, _running_lows, day_sums, ledger_openings, roll, signs
from massbal.engine.runs import UNDOCUMENTED_MIN_PCT

from . import slips as S

FLAGGED = ("INVESTIGATE", "NEGATIVE")
OK_AFTER = ("PASS", "NO COUNT")
SHORT_LIST = 8  # alternatives per balance whose running balance is recomputed
SHOWN = 5  # candidates listed per flagged figure
CLOSES_OTHER = -0.1  # rank bonus: it also closes the other period's gap
# how much a slip's plausibility weighs against the share of the gap it leaves: an exact
# correction beats a likelier slip that leaves a few per cent (coincidences are many)
PRIOR_WEIGHT = 0.2
FLOW_KINDS = INFLOW_KINDS + OUTFLOW_KINDS

COLUMNS = ["figure", "item", "owner", "start", "end", "variance", "rank", "cause", "sheet", "row", "column",
           "cell", "typed", "suggested", "variance_after", "variance_pct_after", "status_after",
           "other_start", "other_end", "other_variance", "other_variance_after", "other_status_after",
           "explanation"]


def periods_arrays(periods) -> tuple[np.ndarray, np.ndarray]:
    starts = np.array([p[0] for p in periods], dtype="datetime64[ns]")
    ends = np.array([p[1] for p in periods], dtype="datetime64[ns]")
    return starts, ends


def _with_base(bal: pd.DataFrame, ledger: pd.DataFrame, starts: np.ndarray, openings: pd.DataFrame | None = None
               ) -> pd.DataFrame:
    """Balances with their period index `p` and `base`: the day of the count their
    beginning comes from, the opening count inside the period included (NaT: none, the
    beginning is the whole history). openings: ledger_openings(ledger, KEY) (Prepared.openings)."""
    b = bal.assign(bal_id=np.arange(len(bal)), p=np.searchsorted(starts, bal["start"].to_numpy(dtype="datetime64[ns]")))
    days = ledger.loc[(ledger["kind"] == "count").to_numpy(), KEY + ["date"]].drop_duplicates()
    b = b.assign(day_before=b["start"] - pd.Timedelta(days=1))
    if days.empty:
        return b.assign(base=pd.NaT)
    m = asof_merge(b[KEY + ["day_before"]], days.rename(columns={"date": "base"}), left_on="day_before",
                   right_on="base", by=KEY)
    base = pd.to_datetime(m["base"]).astype("datetime64[ns]").to_numpy()
    if openings is None:
        openings = ledger_openings(ledger, KEY)
    op = b[KEY].astype(object).merge(openings.astype({k: object for k in KEY}), on=KEY, how="left")["opening"]
    op = pd.to_datetime(op).astype("datetime64[ns]").to_numpy()
    opens = (op >= b["start"].to_numpy(dtype="datetime64[ns]")) & (op <= b["end"].to_numpy(dtype="datetime64[ns]"))
    return b.assign(base=np.where(opens, op, base))


# rows of touches x balances held at once by `affected` (memory: each touch meets every
# balance of its item and owner before most are let go)
AFFECT_ROWS = 2_000_000
# ledger rows of the flagged balances' items investigated at once (memory: about eleven
# alternatives a row, each met with every balance of its item and owner)
KEY_ROWS = 60_000


def affected(touches: pd.DataFrame, bal: pd.DataFrame, starts: np.ndarray) -> pd.DataFrame:
    """Which balances each touch changes, and how.

    touches: key + date + `count` (bool) + `delta` (change of book effect, or of the
    counted quantity) + any id columns. Returns touches x balances with d_expected and
    d_counted. A movement changes the period it is dated in and, while no count stands
    between, the beginning of each later one (a period without a count begins where the
    one before it ended); a count the period ending on its day and each one whose
    beginning it is.
    """
    d = touches["date"].to_numpy(dtype="datetime64[ns]")
    p0 = np.searchsorted(starts, d, side="right") - 1   # -1: before the first period
    grid = bal[KEY + ["p", "bal_id", "start", "end", "base"]]
    touches = touches.assign(_p0=p0, _touch=np.arange(len(touches)))
    # each touch meets every balance of its key before most are dropped: touches a slice at
    # a time, so that meeting stays within AFFECT_ROWS rows (the same rows, sorted once below)
    most = int(grid.groupby(KEY, sort=False).size().max()) if len(grid) else 1
    step = max(1, AFFECT_ROWS // most)
    parts = [_affected_part(touches.iloc[lo:lo + step], grid) for lo in range(0, max(len(touches), 1), step)]
    m = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    # the touches' own periods first, then the next ones ..., each in the touches' order
    order = np.lexsort((m["_touch"].to_numpy(), m["p"].to_numpy() - m["_p0"].to_numpy()))
    return m.iloc[order].drop(columns=["_p0", "_touch"]).reset_index(drop=True)


def _affected_part(touches: pd.DataFrame, grid: pd.DataFrame) -> pd.DataFrame:
    # each touch against every balance of its key from its own period on: whether a count
    # stands between is each balance's own `base` (the count its beginning comes from), so
    # no chain needs following; an item's months without a balance row are simply absent
    m = touches.merge(grid, on=KEY, how="inner")
    m = m[(m["p"] >= m["_p0"]).to_numpy()]
    flow = ~m["count"].to_numpy(dtype=bool)
    base_before = m["base"].isna() | (m["base"] < m["date"])
    in_period = (m["date"] >= m["start"]) & (m["date"] <= m["end"])
    exp = flow & (in_period | (m["date"] < m["start"])) & base_before
    begin_count = ~flow & (m["base"] == m["date"])
    counted = ~flow & (m["end"] == m["date"])
    m = m.assign(d_expected=np.where(exp | begin_count, m["delta"], 0.0), d_counted=np.where(counted, m["delta"], 0.0))
    return m[(exp | begin_count | counted).to_numpy()]


def _touches(rows: pd.DataFrame, alts: pd.DataFrame) -> pd.DataFrame:
    """Each alternative as one or two touches of the books (a new date takes the row out
    of one day and puts it into another)."""
    a = alts.reset_index(drop=True).assign(alt=lambda f: np.arange(len(f)))
    r = rows.loc[a["_i"].to_numpy()]
    is_count = (r["kind"] == "count").to_numpy()
    sign = np.where(is_count, 1.0, np.nan_to_num(signs(r["kind"]), nan=0.0))
    qty = r["qty"].to_numpy(dtype=float)
    keys = {k: r[k].to_numpy() for k in KEY}
    moved = a["date_new"].notna().to_numpy()
    base = pd.DataFrame({"alt": a["alt"].to_numpy(), **keys, "count": is_count})
    value = base.assign(date=r["date"].to_numpy(), delta=sign * (a["qty_new"].to_numpy() - qty))[~moved]
    out_ = base.assign(date=r["date"].to_numpy(), delta=-sign * qty)[moved]
    in_ = base.assign(date=a["date_new"].to_numpy(dtype="datetime64[ns]"), delta=sign * qty)[moved]
    return pd.concat([value, out_, in_], ignore_index=True), a


def _after(pairs: pd.DataFrame, bal: pd.DataFrame, min_running=None) -> pd.DataFrame:
    """Expected, counted, variance, variance % and status of each balance after its change."""
    b = bal.loc[pairs["bal_id"].to_numpy()]
    exp = b["expected_ending"].to_numpy() + pairs["d_expected"].to_numpy()
    cnt = b["counted_ending"].to_numpy(dtype=float) + pairs["d_counted"].to_numpy()
    f = pd.DataFrame({"expected_ending": exp, "counted_ending": cnt, "tolerance_pct": b["tolerance_pct"].to_numpy(),
                      "min_running": np.zeros(len(b)) if min_running is None else min_running})
    f["variance"] = f["counted_ending"] - f["expected_ending"]
    f["variance_pct"] = variance_pct(f["variance"], f["expected_ending"])
    f["status"] = status_of(f)
    return f


def _running_low(pairs: pd.DataFrame, bal: pd.DataFrame, touches: pd.DataFrame, daily: pd.DataFrame,
                 periods) -> np.ndarray:
    """The lowest running balance of each (alternative, balance) pair, by `roll` on the
    balance's day totals with the alternative's touches and the corrected beginning."""
    if pairs.empty:
        return np.zeros(0)
    # a correction that takes nothing from the running balance on any day cannot make
    # it negative: the lowest point stays where it was (roll only for the others)
    lower = touches[(touches["delta"] < 0).to_numpy()]
    may_drop = pairs["alt"].isin(lower["alt"]).to_numpy() | (pairs["d_expected"].to_numpy() < 0) | \
        (bal.loc[pairs["bal_id"].to_numpy(), "min_running"].to_numpy() < -EPS)
    out = bal.loc[pairs["bal_id"].to_numpy(), "min_running"].to_numpy(dtype=float).copy()
    if may_drop.any():
        out[may_drop] = _roll_low(pairs[may_drop], bal, touches, daily, periods)
    return out


def _roll_low(pairs: pd.DataFrame, bal: pd.DataFrame, touches: pd.DataFrame, daily: pd.DataFrame,
              periods) -> np.ndarray:
    pr = pairs[["alt", "bal_id", "d_expected"]].reset_index(drop=True).assign(pair=lambda f: np.arange(len(f)))
    b = bal.loc[pr["bal_id"].to_numpy()]
    day_moves = pr[["pair", "bal_id"]].merge(daily, on="bal_id")[["pair", "date", "effect"]]
    t = pr[["pair", "alt", "bal_id"]].merge(touches[~touches["count"]], on="alt")
    t = t.merge(bal[["bal_id", "start", "end"]], on="bal_id")
    # by position: assigning a Series to an empty frame would adopt the Series' rows (pair NaN)
    inside_t = ((t["date"] >= t["start"]) & (t["date"] <= t["end"])).to_numpy()
    t = t.loc[inside_t, ["pair", "date"]].assign(effect=t["delta"].to_numpy()[inside_t])
    # the beginning after the change: what the touches did to it is the part of
    # d_expected not dated inside the period
    inside = t.groupby("pair")["effect"].sum().reindex(pr["pair"]).fillna(0.0).to_numpy()
    opening = pd.DataFrame({"pair": pr["pair"], "date": (b["start"] - pd.Timedelta(days=1)).to_numpy(),
                            "effect": b["beginning"].to_numpy() + pr["d_expected"].to_numpy() - inside})
    mv = pd.concat([opening, day_moves, t], ignore_index=True)
    mv = mv.assign(kind=np.where(mv["effect"] >= 0, "receipt", "shipped"), value=mv["effect"].abs())
    # each pair only needs its own period: every pair's days are shifted onto one common
    # period (same order of days, same sums), so roll's grid is one row per pair, not per
    # pair and period
    first = np.datetime64(periods[0][0], "ns")
    shift = b["start"].to_numpy(dtype="datetime64[ns]") - first
    longest = (b["end"].to_numpy(dtype="datetime64[ns]") - b["start"].to_numpy(dtype="datetime64[ns]")).max()
    mv = mv.assign(date=mv["date"].to_numpy(dtype="datetime64[ns]") - shift[mv["pair"].to_numpy()])
    low = _lows(mv, len(pr), first, first + longest)
    if low is not None:
        return low
    none = pd.DataFrame({"pair": pd.Series(dtype=np.int64), "date": pd.Series(dtype="datetime64[ns]"),
                         "value": pd.Series(dtype=float)})
    common = [(pd.Timestamp(first), pd.Timestamp(first + longest))]
    g = roll(mv[["pair", "date", "kind", "value"]], none, none[["pair", "date"]], common, ["pair"], ["pair"],
             keys=pr[["pair"]])
    low = pr[["pair"]].merge(g[["pair", "min_running"]], on="pair", how="left")["min_running"]
    return low.fillna(0.0).to_numpy()


def _lows(mv: pd.DataFrame, n: int, start: np.datetime64, end: np.datetime64) -> np.ndarray | None:
    """roll's min_running of each pair 0..n-1 (NaN as 0.0) over the one period start..end,
    for _roll_low's moves (pair, date, kind, value: receipts and shipments only, each pair's
    beginning one move on the day before start, nothing earlier) and no counts: roll's own
    steps for that case (day_sums, the cumulated day totals, _cum_at for the beginning,
    _running_lows), without the grid, count and opening merges that find nothing here (its
    fixed cost was most of the running balance's). None where roll would take another way
    (a date missing): the caller rolls."""
    effect = mv["value"].to_numpy(dtype=float) * np.where(mv["kind"].to_numpy() == "receipt", SIGN["receipt"],
                                                          SIGN["shipped"])
    daily = day_sums(mv["pair"].to_numpy(dtype=np.int64), mv["date"].to_numpy(dtype="datetime64[ns]"), effect)
    if daily is None:
        return None
    daily = daily.rename(columns={"code": "_k", "value": "effect"})
    daily["cum"] = daily.groupby("_k", sort=False)["effect"].cumsum()
    keys = np.arange(n, dtype=np.int64)
    before = np.full(n, start - np.timedelta64(1, "D"), dtype="datetime64[ns]")
    beginning = pd.Series(_cum_at(daily, "_k", keys, before)).fillna(0.0).to_numpy(dtype=float)
    low = _running_lows(daily, np.array([start], dtype="datetime64[ns]"), np.array([end], dtype="datetime64[ns]"),
                        beginning)[0]
    out = np.fmin(low, beginning)
    return np.where(np.isnan(out), 0.0, out)


def explain(prep, periods, balances: pd.DataFrame, supply: pd.DataFrame, terms: pd.DataFrame | None = None
            ) -> pd.DataFrame:
    """Every flagged balance and supply row, with its candidate cells (COLUMNS). terms: the
    supply_terms `supply` was computed from (api.supply_with_terms), else recomputed."""
    from massbal.engine.investigate.supply import FLAGGED as SUPPLY_FLAGGED
    from massbal.engine.investigate.supply import explain_supply
    # each run's key (a look-up of every run's name among the ledger's), once for both
    # explainers when both have flagged rows; else left to the one that needs it (it calls
    # run_yields itself), and not made at all for a book with nothing flagged
    both = all(not f.empty and f["status"].isin(flags).any()
               for f, flags in ((balances, FLAGGED), (supply, SUPPLY_FLAGGED)))
    yields = S.run_yields(prep.yields, prep.ledger) if both else prep.yields
    parts = [explain_balances(prep.book, prep.ledger, yields, balances, periods, prep.openings),
             explain_supply(prep.book, prep.ledger, prep.genealogy, yields, supply, periods, terms)]
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty()
    out = order(pd.concat(parts, ignore_index=True))
    # one row per cell of a figure: its best reading (the others are other slips of it)
    cell = ["figure", "item", "owner", "start", "sheet", "row", "column"]
    seen = out[cell].astype(object).fillna("").duplicated() & out["cause"].notna()
    out = out[~seen.to_numpy()].reset_index(drop=True)
    ranked = out["cause"].notna()
    out["rank"] = (ranked.groupby([out["figure"], out["item"], out["owner"].fillna(""), out["start"]])
                   .cumsum()).where(ranked, None)
    return out.astype({"row": "Int64", "rank": "Int64"})


STATUS_SENTENCE = {
    "PASS": "PASS: the count agrees with the books within tolerance; nothing to investigate.",
    "NO COUNT": "NO COUNT: there is no count on the period's last day, so there is no variance to explain.",
}


def explained_balances(prep, periods, balances: pd.DataFrame) -> pd.DataFrame:
    """Each balance with `explanation`: its first candidate's sentence when flagged, else
    what its status means (MASSBAL_EXPLAIN)."""
    inv = explain_balances(prep.book, prep.ledger, prep.yields, balances, periods, prep.openings)
    top = inv.drop_duplicates(["item", "owner", "start"]) if len(inv) else inv
    key = lambda f: list(zip(f["item"], f["owner"].fillna(""), pd.to_datetime(f["start"]), strict=True))  # noqa: E731
    said = dict(zip(key(top), top["explanation"], strict=True)) if len(top) else {}
    text = [said.get(k, STATUS_SENTENCE.get(st, st)) for k, st in zip(key(balances), balances["status"], strict=True)]
    return balances.assign(explanation=text)


def explain_balances(book: Book, ledger: pd.DataFrame, yields: pd.DataFrame, balances: pd.DataFrame,
                     periods, openings: pd.DataFrame | None = None) -> pd.DataFrame:
    """Candidates for every flagged balance, best first; one row per flagged balance
    without any. openings: Prepared.openings (else computed from the ledger)."""
    if balances.empty or not balances["status"].isin(FLAGGED).any():
        return empty()
    starts, ends = periods_arrays(periods)
    yields = S.run_yields(yields, ledger)  # once for run_loss_fixes and run_fit
    bal = _with_base(balances.reset_index(drop=True), ledger, starts, openings)
    flagged = bal[bal["status"].isin(FLAGGED)]
    # an item and owner's balances are investigated on its own rows alone, so a book with
    # many flagged is investigated a few items at a time (memory), each its rows and
    # alternatives only; the same rows as all at once, put back in order
    found = [_explain_keys(book, ledger, yields, bal, f, periods, starts, ends) for f in _key_groups(ledger, flagged)]
    outs = [out for out, _ in found if out is not None]
    missing = found[0][1] if len(found) == 1 else pd.concat([m for _, m in found])
    if not outs:
        return _none_rows(book, bal, missing)
    out = outs[0] if len(outs) == 1 else pd.concat(outs, ignore_index=True)
    return order(pd.concat([out.reindex(columns=COLUMNS), _none_rows(book, bal, missing)], ignore_index=True))


def _key_groups(ledger: pd.DataFrame, flagged: pd.DataFrame) -> list[pd.DataFrame]:
    """flagged cut into groups of items and owners whose ledger rows (movements and counts)
    number at most KEY_ROWS together (an item and owner with more is a group alone)."""
    keys = flagged[KEY].drop_duplicates()
    if len(keys) < 2:
        return [flagged]
    sel = ledger["kind"].isin(FLOW_KINDS + ("count",)).to_numpy() & \
        ledger["item_key"].isin(pd.unique(keys["item_key"].to_numpy())).to_numpy()
    at, key_at, flagged_at = key_codes([pd.DataFrame({k: ledger[k].to_numpy()[sel] for k in KEY}), keys, flagged], KEY)
    size = pd.Series(at).value_counts().reindex(key_at, fill_value=0).to_numpy()
    if size.sum() <= KEY_ROWS:
        return [flagged]
    runs = runs_within(size.tolist(), KEY_ROWS)
    group = np.repeat(np.arange(len(runs)), [hi - lo for lo, hi in runs])
    of_flagged = pd.Series(group, index=key_at).reindex(flagged_at).to_numpy()
    return [flagged[of_flagged == i] for i in range(len(runs))]


def _explain_keys(book: Book, ledger: pd.DataFrame, yields: pd.DataFrame, bal: pd.DataFrame, flagged: pd.DataFrame,
                  periods, starts: np.ndarray, ends: np.ndarray) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """The candidates of the flagged balances `flagged` (of bal), found on their items' rows
    (_rows; None: no candidate), and those of `flagged` without any."""
    keys = flagged[KEY].drop_duplicates()
    kinds = ledger["kind"]  # categorical: isin per category, not per row
    # only the columns the slips need: every column carried is copied at each step
    slim = KEY + ["date", "kind", "qty", "sheet", "row", "batch_key", "lot_key", "partner", "location", "reference"]
    # the rows of the flagged keys picked first (keys as one integer each), so only they are
    # copied; the flagged items' rows found first on the item column alone, so only they are
    # coded (a few items' rows, not the whole ledger's keys)
    pick = kinds.isin(FLOW_KINDS + ("count",)).to_numpy() & \
        ledger["item_key"].isin(pd.unique(keys["item_key"].to_numpy())).to_numpy()
    near = np.flatnonzero(pick)
    at, flagged_at = key_codes([pd.DataFrame({k: ledger[k].to_numpy()[near] for k in KEY}), keys], KEY)
    pick[near] = pd.Series(at).isin(flagged_at).to_numpy()
    mine = ledger.loc[pick, slim]
    # rows that enter a flagged balance: their unchanged value touches it
    probe = pd.DataFrame({"_i": mine.index, **{k: mine[k].to_numpy() for k in KEY},
                          "date": mine["date"].to_numpy(), "count": (mine["kind"] == "count").to_numpy(),
                          "delta": 1.0})
    hit = affected(probe, bal, starts)
    hit = hit[hit["bal_id"].isin(flagged["bal_id"])]
    rows = S.typed_rows(book, mine.loc[pd.unique(hit["_i"])])
    # run inputs carry their batch's date: a wrong date is the Batches row's, not theirs
    dated = tuple(k for k in FLOW_KINDS if k != "used")
    flows = S.typed_rows(book, mine[mine["kind"].isin(dated).to_numpy()])  # per category (as `kinds` above)
    alts = pd.concat([
        S.digit_shifts(rows), S.transpositions(rows), S.unit_slips(rows, book.settings.unit),
        S.duplicate_rows(rows, S.duplicates(mine)), S.date_slips(flows, starts, ends),
        S.run_loss_fixes(rows, yields, ledger, UNDOCUMENTED_MIN_PCT / 100.0),
    ], ignore_index=True)
    allrows = pd.concat([rows, flows[~flows.index.isin(rows.index)]])
    # screen: only an alternative that fixes a flagged balance is a candidate, so the rest of
    # the work (the other balances it changes, the running balance, the words) is for those
    alts = alts[_fixing(*_pairs(allrows, alts, flagged, starts), bal, flagged)]
    alts = alts.assign(prior=alts["prior"].to_numpy() + S.run_fit(allrows, alts, yields, ledger))
    pairs, touches, alts = _pairs(allrows, alts, bal, starts)
    after = _after(pairs, bal)
    pairs = pd.concat([pairs, after.add_suffix("_after")], axis=1)
    b = bal.loc[pairs["bal_id"].to_numpy()]
    counted = b["counted_ending"].notna().to_numpy()
    cand = pairs[_fixes(pairs, after, bal, flagged)]
    if cand.empty:
        return None, flagged
    gap = b["variance"].abs().to_numpy()
    pairs["closeness"] = np.where(counted, pairs["variance_after"].abs().to_numpy() / np.maximum(gap, EPS), 0.0)
    cand = pairs.loc[cand.index]
    cand = cand.assign(score=cand["closeness"].to_numpy() +
                       PRIOR_WEIGHT * alts.loc[cand["alt"].to_numpy(), "prior"].to_numpy())
    cand = cand.sort_values(["bal_id", "score"], kind="stable").groupby("bal_id", sort=False).head(SHORT_LIST)
    # the other balance each kept alternative changes
    others = pairs[pairs["alt"].isin(cand["alt"])]
    both = cand.merge(others, on="alt", suffixes=("", "_o"))
    both = both[both["bal_id_o"] != both["bal_id"]]
    both = both.assign(_big=both["d_expected_o"].abs() + both["d_counted_o"].abs()) \
        .sort_values("_big", ascending=False, kind="stable").drop_duplicates(["alt", "bal_id"])
    cand = cand.merge(both[["alt", "bal_id", "bal_id_o"]], on=["alt", "bal_id"], how="left")
    # the running balance, recomputed for the short list and each other balance it changes,
    # in one roll (each pair is rolled on its own: the same lows as apart). Their day totals
    # come from `mine`: the other balance is one of the same item and owner.
    # one row per (alternative, other balance): a correction that fixes two flagged balances
    # can name the same other balance for both, and a second row would be counted twice
    other = cand[cand["bal_id_o"].notna()][["alt", "bal_id_o"]].astype({"bal_id_o": np.int64}) \
        .rename(columns={"bal_id_o": "bal_id"}).drop_duplicates() \
        .merge(pairs[["alt", "bal_id", "d_expected", "d_counted"]], on=["alt", "bal_id"])
    lows = pd.concat([cand[["alt", "bal_id", "d_expected"]], other[["alt", "bal_id", "d_expected"]]],
                     ignore_index=True)
    daily = _daily(mine, bal, bal, lows)
    low = _running_low(lows, bal, touches, daily, periods)
    cand["min_running"] = low[:len(cand)]
    if len(other):
        o_after = _after(other, bal, low[len(cand):])
        other = pd.concat([other.reset_index(drop=True), o_after.add_suffix("_after")], axis=1)
    final = _after(cand, bal, cand["min_running"].to_numpy())
    for c in ("variance", "variance_pct", "status"):
        cand[c + "_after"] = final[c].to_numpy()
    cand = cand[cand["status_after"].isin(OK_AFTER).to_numpy()]
    cand = _rank(cand, other, bal)
    return _rows(book, bal, flagged, cand, alts, allrows, other)


def _pairs(rows: pd.DataFrame, alts: pd.DataFrame, bal: pd.DataFrame, starts: np.ndarray):
    """(alternative, balance) pairs with what each alternative changes in each of `bal`'s
    balances; the touches and the alternatives (renumbered `alt`) they came from."""
    touches, a = _touches(rows, alts)
    pairs = affected(touches, bal, starts).groupby(["alt", "bal_id"], sort=False)[["d_expected", "d_counted"]] \
        .sum().reset_index()
    return pairs, touches, a


def _fixes(pairs: pd.DataFrame, after: pd.DataFrame, bal: pd.DataFrame, flagged: pd.DataFrame) -> np.ndarray:
    """Which pairs fix a flagged balance: within tolerance after, or (no count) the running
    balance lifted back to zero."""
    b = bal.loc[pairs["bal_id"].to_numpy()]
    counted = b["counted_ending"].notna().to_numpy()
    lifts = pairs["d_expected"].to_numpy() >= -b["min_running"].to_numpy() - EPS
    fixes = np.where(counted, after["status"].to_numpy() == "PASS", lifts & (b["min_running"].to_numpy() < -EPS))
    return pairs["bal_id"].isin(flagged["bal_id"]).to_numpy() & fixes


def _fixing(pairs: pd.DataFrame, touches: pd.DataFrame, alts: pd.DataFrame, bal: pd.DataFrame,
            flagged: pd.DataFrame) -> np.ndarray:
    """Which alternatives (of _pairs on the flagged balances) fix one of them."""
    ok = _fixes(pairs, _after(pairs, bal), bal, flagged)
    return np.isin(np.arange(len(alts)), pairs.loc[ok, "alt"].to_numpy())


def _daily(ledger: pd.DataFrame, bal: pd.DataFrame, which: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """Day totals of the book effect (value x SIGN, as roll sums it) of each balance asked."""
    want = which[which["bal_id"].isin(pairs["bal_id"] if "bal_id" in pairs else [])]
    f = ledger.loc[ledger["kind"].isin(FLOW_KINDS).to_numpy(), KEY + ["date", "kind", "qty"]]
    f = f.merge(want[KEY].drop_duplicates(), on=KEY)
    f = f.assign(effect=f["qty"] * signs(f["kind"]))
    m = f.merge(want[KEY + ["bal_id", "start", "end"]], on=KEY)
    m = m[(m["date"] >= m["start"]) & (m["date"] <= m["end"])]
    return m.groupby(["bal_id", "date"], sort=True)["effect"].sum().reset_index()


def _rank(cand: pd.DataFrame, other: pd.DataFrame, bal: pd.DataFrame) -> pd.DataFrame:
    """Best first: how much of the gap is left, how plausible the slip, and what the
    correction does to the other period it touches. A correction that only moves the gap
    to another period that passed is no explanation: it is dropped."""
    adj = np.zeros(len(cand))
    if len(other):
        o = cand[["alt", "bal_id_o"]].merge(other[["alt", "bal_id", "status_after"]].rename(
            columns={"bal_id": "bal_id_o", "status_after": "o_after"}), on=["alt", "bal_id_o"], how="left")
        before = bal["status"].reindex(o["bal_id_o"].fillna(-1).astype(np.int64)).to_numpy()
        was_ok = pd.Series(before).isin(OK_AFTER).to_numpy()
        now_ok = o["o_after"].isin(OK_AFTER).to_numpy()
        has = o["o_after"].notna().to_numpy()
        adj = np.where(has & ~was_ok & now_ok, CLOSES_OTHER, 0.0)
        cand = cand[~(has & was_ok & ~now_ok)]
        adj = adj[~(has & was_ok & ~now_ok)]
    cand = cand.assign(score=cand["score"].to_numpy() + adj)
    cand = cand.sort_values(["bal_id", "score"], kind="stable").groupby("bal_id", sort=False).head(SHOWN)
    return cand.assign(rank=cand.groupby("bal_id", sort=False).cumcount() + 1)


def empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})


NEXT_STEPS = {
    "INVESTIGATE": "No single corrected cell closes this gap. Check next: recount the stock; look for a loss "
                   "nobody recorded (spoilage, spills, samples, cleaning); stock in transit or held elsewhere; "
                   "receipts, runs or shipments not entered yet.",
    "NEGATIVE": "No single corrected cell keeps the stock above zero. Check next: a receipt or run output not "
                "entered yet, an outflow dated before the stock arrived, or an opening count that is missing.",
    "OVERSOLD": "No single corrected cell closes this gap. Check next: an organic receipt not entered (or entered "
                "as conventional), a run input or shipment keyed too high, counts of products holding it.",
}


def _none_rows(book: Book, bal: pd.DataFrame, flagged: pd.DataFrame, figure: str = "Balance") -> pd.DataFrame:
    n = len(flagged)
    out = pd.DataFrame({
        "figure": [figure] * n, "item": flagged["item"].to_numpy(), "owner": flagged["owner"].to_numpy(),
        "start": flagged["start"].to_numpy(), "end": flagged["end"].to_numpy(),
        "variance": flagged["variance"].to_numpy(), "rank": [None] * n,
        "explanation": flagged["status"].map(NEXT_STEPS).to_numpy()})
    return out.reindex(columns=COLUMNS)


def _rows(book: Book, bal: pd.DataFrame, flagged: pd.DataFrame, cand: pd.DataFrame, alts: pd.DataFrame,
          rows: pd.DataFrame, other: pd.DataFrame) -> pd.DataFrame:
    """The candidates' investigation rows, and the flagged balances without a candidate
    (explain_balances gives each of those one row saying none)."""
    a = alts.loc[cand["alt"].to_numpy()].reset_index(drop=True)
    r = rows.loc[a["_i"].to_numpy()].reset_index(drop=True)
    b = bal.loc[cand["bal_id"].to_numpy()].reset_index(drop=True)
    c = cand.reset_index(drop=True)
    letters = [book.letter(t, col) for t, col in zip(r["table"], a["column"], strict=True)]
    out = pd.DataFrame({
        "figure": "Balance", "item": b["item"], "owner": b["owner"], "start": b["start"], "end": b["end"],
        "variance": b["variance"], "rank": c["rank"].to_numpy(), "cause": a["cause"],
        "sheet": r["sheet"].astype(object), "row": r["row"].to_numpy(), "column": a["column"],
        "cell": [f"{x}{y}" if x else None for x, y in zip(letters, r["row"], strict=True)],
        "typed": a["typed"], "suggested": a["suggested"], "variance_after": c["variance_after"].round(6) + 0.0,
        "variance_pct_after": c["variance_pct_after"], "status_after": c["status_after"],
    })
    out["_date_new"] = a["date_new"]
    out["_table"] = r["table"].to_numpy()
    if len(other):
        o = c[["alt", "bal_id_o"]].merge(
            other[["alt", "bal_id", "variance_after", "status_after"]].rename(columns={"bal_id": "bal_id_o"}),
            on=["alt", "bal_id_o"], how="left")
        ob = bal.reindex(o["bal_id_o"].fillna(-1).astype(np.int64))
        out["other_start"], out["other_end"] = ob["start"].to_numpy(), ob["end"].to_numpy()
        out["other_variance"] = ob["variance"].to_numpy()
        out["other_variance_after"] = (o["variance_after"].round(6) + 0.0).to_numpy()
        out["other_status_after"] = o["status_after"].to_numpy()
    from .explain_text import sentences
    out["explanation"] = sentences(out, book.settings.unit)
    done = set(zip(out["item"], out["owner"].fillna(""), out["start"], strict=True))
    missing = flagged[[(i, o if isinstance(o, str) else "", s) not in done
                       for i, o, s in zip(flagged["item"], flagged["owner"], flagged["start"], strict=True)]]
    return out, missing


def order(frame: pd.DataFrame) -> pd.DataFrame:
    """Figure, item, owner, period, then rank (the row saying 'none' has no rank)."""
    return frame.sort_values(["figure", "item", "owner", "start", "rank"], na_position="first", kind="stable") \
        .reset_index(drop=True)
