"""Single-cell slips people make when keying a record, as alternative values per row.

Each generator takes ledger rows (with the value and unit as typed, see `typed_rows`)
and returns one row per alternative: the ledger row `_i`, the `cause` (CONTRACT
section 7), the `column` holding the slip, the quantity in the report unit the row
would hold if corrected (`qty_new`; 0 removes it from stock) or the date it would
carry (`date_new`), what is typed and what is suggested, and a `prior`: how much less
plausible the slip is than the likeliest (0). All whole-column numpy, no loop over rows.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from massbal.engine.load import Book
from massbal.engine.roll import stable_order
from massbal.engine.units import report_factor, unit_info, unit_key

# ledger kind -> the input table its row lives on
KIND_TABLE = {"receipt": "Receipts", "produced": "Batches", "used": "BatchInputs", "shipped": "Shipments",
              "loss": "Losses", "process loss": "Losses", "count": "Counts"}
ALT_COLUMNS = ["_i", "cause", "column", "qty_new", "date_new", "typed", "suggested", "prior"]
# mass units people confuse with each other (kg keyed as lb, tonne as short ton ...)
CONFUSED_UNITS = {
    "kg": ("lb",), "lb": ("kg",), "tonne": ("short_ton", "long_ton"), "metric_ton": ("short_ton", "long_ton"),
    "short_ton": ("tonne", "long_ton"), "long_ton": ("tonne", "short_ton"), "g": ("oz",), "oz": ("g",),
}
UNIT_WORD = {"short_ton": "ton", "long_ton": "long ton", "metric_ton": "tonne", "tonne": "tonne"}
SHIFTS = (10.0, 100.0, 1000.0)
PRIOR = {"DUPLICATE_ROW": 0.0, "DIGIT_SHIFT": 0.05, "TRANSPOSED_DIGITS": 0.1, "UNIT_SLIP": 0.1,
         "UNDOCUMENTED_RUN_LOSS": 0.1, "WRONG_PERIOD": 0.05}
EDGE_DAYS = 3  # a date this close to a period's edge may belong to the neighbouring period


def typed_rows(book: Book, ledger: pd.DataFrame) -> pd.DataFrame:
    """The ledger rows given, with `table`, `typed` (the Quantity cell as a number), `unit`
    (the Unit cell's text) and `per_typed` (report units per typed unit). A row of a kind
    with no input table (a farm's harvest, feed or herd rows) is left out; the rest come
    table by table (in order of first appearance), each in the order given, as a groupby
    of the tables and a merge each gave them: the cells looked up by position instead."""
    kind = ledger["kind"]
    if isinstance(kind.dtype, pd.CategoricalDtype):  # looked up once per category, not per row
        names = np.array([KIND_TABLE.get(c) for c in kind.cat.categories] + [None], dtype=object)
        table = names[kind.cat.codes.to_numpy()]
    else:
        table = kind.astype(object).map(KIND_TABLE).to_numpy(dtype=object)
    code, tables = pd.factorize(table)  # by first appearance; -1: no table
    if not len(tables):
        return ledger.assign(_i=ledger.index, table=kind.astype(object).map(KIND_TABLE), typed=np.nan, unit=None,
                             per_typed=np.nan)
    order = stable_order(code)
    order = order[code[order] >= 0]
    res = ledger.take(order)
    code, rows = code[order], res["row"].to_numpy()
    typed = np.full(len(res), np.nan)
    unit = np.full(len(res), np.nan, dtype=object)
    dtypes = set()
    for k, name in enumerate(tables):
        mine = np.flatnonzero(code == k)
        t, at = _table_rows(book.tables[name], rows[mine])
        hit = at >= 0
        typed[mine[hit]] = t["quantity"].to_numpy(dtype=float)[at[hit]]
        unit[mine[hit]] = t["unit"].to_numpy(dtype=object)[at[hit]]
        dtypes.add(t["unit"].dtype)
    # the columns typed as the map and merge made them: `table` inferred, `unit` as the table holds it
    res = res.assign(_i=res.index, table=pd.Series(table[order], index=res.index), typed=typed,
                     unit=pd.Series(unit, index=res.index, dtype=dtypes.pop() if len(dtypes) == 1 else object))
    res["per_typed"] = res["qty"] / res["typed"].where(res["typed"] != 0)
    return res.set_index(res["_i"].to_numpy())


def _alts(rows: pd.DataFrame, cause: str, column: str, qty_new, typed, suggested, prior=None,
          date_new=None) -> pd.DataFrame:
    n = len(rows)
    return pd.DataFrame({
        "_i": rows["_i"].to_numpy(), "cause": [cause] * n, "column": [column] * n,
        "qty_new": np.asarray(qty_new, dtype=float),
        "date_new": (pd.to_datetime(date_new).astype("datetime64[ns]") if date_new is not None
                     else np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")),
        "typed": np.asarray(typed, dtype=object), "suggested": np.asarray(suggested, dtype=object),
        "prior": np.full(n, PRIOR[cause]) if prior is None else np.asarray(prior, dtype=float),
    })


def empty_alts() -> pd.DataFrame:
    return _alts(pd.DataFrame({"_i": []}), "DIGIT_SHIFT", "Quantity", [], [], [])


def digit_shifts(rows: pd.DataFrame) -> pd.DataFrame:
    """1,000 keyed as 100 (and 100 as 1,000): the typed value times or over 10, 100, 1,000."""
    out = []
    ok = rows[rows["typed"].notna() & (rows["typed"] > 0) & rows["per_typed"].notna()]
    dec = _decimals(ok["typed"].to_numpy(dtype=float))
    for k, f in enumerate(SHIFTS):
        for mult in (f, 1.0 / f):
            new = ok["typed"] * mult
            # 137.7 keyed as 1,377 is a lost decimal point, rarer than a zero too many or too
            # few: a suggestion showing more decimals than the typed value weighs one step more
            finer = _decimals(new.to_numpy(dtype=float)) > dec
            out.append(_alts(ok, "DIGIT_SHIFT", "Quantity", new * ok["per_typed"], ok["typed"], new,
                             prior=PRIOR["DIGIT_SHIFT"] * (k + 1 + finer)))
    return pd.concat(out, ignore_index=True)


def _decimals(x: np.ndarray) -> np.ndarray:
    """How many decimals (0-3) a typed value shows."""
    dec = np.full(len(x), 3)
    for d in (2, 1, 0):
        whole = np.abs(x * 10.0 ** d - np.round(x * 10.0 ** d)) < 1e-6
        dec = np.where(whole, d, dec)
    return dec


def transpositions(rows: pd.DataFrame) -> pd.DataFrame:
    """1,450 keyed as 1,540: every swap of two neighbouring digits of the typed value."""
    ok = rows[rows["typed"].notna() & (rows["typed"] > 0) & rows["per_typed"].notna() & (rows["typed"] < 1e12)]
    x = ok["typed"].to_numpy(dtype=float)
    dec = _decimals(x)
    n = np.round(x * 10.0 ** dec).astype(np.int64)
    ndig = np.floor(np.log10(np.maximum(n, 1))).astype(np.int64) + 1
    out = []
    for i in range(15):
        lo = (n // 10 ** i) % 10
        hi = (n // 10 ** (i + 1)) % 10
        # a swap needs two digits that differ, and must not move a 0 to the front
        can = (i + 1 < ndig) & (lo != hi) & ~((i + 2 == ndig) & (lo == 0))
        if not can.any():
            continue
        new_n = n - 9 * (hi - lo) * 10 ** i
        new = new_n[can] / 10.0 ** dec[can]
        sel = ok[can]
        out.append(_alts(sel, "TRANSPOSED_DIGITS", "Quantity", new * sel["per_typed"].to_numpy(),
                         sel["typed"], new))
    return pd.concat(out, ignore_index=True) if out else empty_alts()


def unit_slips(rows: pd.DataFrame, report_unit: str) -> pd.DataFrame:
    """kg keyed as lb, tonne as short ton ...: the typed number in a unit people confuse."""
    ok = rows[rows["typed"].notna() & rows["unit"].notna()]
    units = ok["unit"].astype(str)
    keys = units.map({u: unit_key(u) for u in pd.unique(units)})  # each spelling looked up once
    rf = report_factor(report_unit)
    out = []
    for key, grp in ok.groupby(keys.to_numpy(), sort=False):
        for other in CONFUSED_UNITS.get(key, ()):
            kg = unit_info(other).to_kg
            word = UNIT_WORD.get(other, other)
            out.append(_alts(grp, "UNIT_SLIP", "Unit", grp["typed"] * kg * rf, grp["unit"], [word] * len(grp)))
    return pd.concat(out, ignore_index=True) if out else empty_alts()


# the columns that make two rows the same movement (a row entered twice)
TWIN_COLUMNS = ["kind", "item_key", "owner_key", "lot_key", "batch_key", "date", "qty", "partner", "location", "reference"]


def duplicates(ledger: pd.DataFrame) -> pd.Index:
    """Ledger index of every row that repeats an earlier row of the same table exactly."""
    cols = [c for c in TWIN_COLUMNS if c in ledger.columns]
    # only rows with a numeric twin can repeat one exactly: the text columns compared on those alone
    cheap = [c for c in cols if c not in ("partner", "location", "reference")]
    ledger = ledger[ledger[cheap].duplicated(keep=False).to_numpy()]
    sub = ledger[cols].astype({c: object for c in ("partner", "location", "reference") if c in cols})
    sub = sub.assign(row=ledger["row"]).sort_values("row", kind="stable")
    dup = sub.drop(columns="row").duplicated(keep="first")
    return sub.index[dup.to_numpy()]


def duplicate_rows(rows: pd.DataFrame, twins: pd.Index) -> pd.DataFrame:
    sel = rows[rows["_i"].isin(twins)]
    return _alts(sel, "DUPLICATE_ROW", "Quantity", np.zeros(len(sel)), sel["typed"], [0.0] * len(sel))


def date_slips(rows: pd.DataFrame, starts: np.ndarray, ends: np.ndarray) -> pd.DataFrame:
    """A date that belongs to another period: day and month swapped, the year one off, or
    a few days across the edge of its period. The five kinds of candidate in that order, as
    one frame: their new dates from one to_datetime, their texts from one strftime each."""
    d = pd.DatetimeIndex(rows["date"])
    year, month, day = d.year.to_numpy(), d.month.to_numpy(), d.day.to_numpy()
    n = len(d)
    every = np.arange(n)
    # day and month swapped (5 March keyed as 3 May); the year one off (2024 for 2025)
    swap = np.flatnonzero((day <= 12) & (day != month))
    made = pd.to_datetime({"year": np.concatenate([year[swap], year - 1, year + 1]),
                           "month": np.concatenate([day[swap], month, month]),
                           "day": np.concatenate([month[swap], day, day])}, errors="coerce")
    dd = d.to_numpy(dtype="datetime64[ns]")
    p = np.searchsorted(starts, dd, side="right") - 1
    inside = (p >= 0) & (dd <= ends[np.clip(p, 0, len(ends) - 1)])
    pc = np.clip(p, 0, len(ends) - 1)
    one = np.timedelta64(1, "D")
    near_start = np.flatnonzero(inside & ((dd - starts[pc]) < EDGE_DAYS * one))
    near_end = np.flatnonzero(inside & ((ends[pc] - dd) < EDGE_DAYS * one))
    at = np.concatenate([swap, every, every, near_start, near_end])
    new = np.concatenate([pd.DatetimeIndex(made).to_numpy(dtype="datetime64[ns]"), starts[pc][near_start] - one,
                          ends[pc][near_end] + one])
    extra = np.concatenate([np.zeros(len(swap)), np.full(n, 0.05), np.full(n, 0.05),
                            np.zeros(len(near_start) + len(near_end))])
    good = ~np.isnat(new)
    kinds = np.repeat(np.arange(5), [len(swap), n, n, len(near_start), len(near_end)])
    at, new, extra = at[good], new[good], extra[good]
    iso = lambda x: pd.DatetimeIndex(x).strftime("%Y-%m-%d").to_numpy(dtype=object)  # noqa: E731
    res = _alts(pd.DataFrame({"_i": rows["_i"].to_numpy()[at]}), "WRONG_PERIOD", "Date",
                rows["qty"].to_numpy()[at], iso(dd[at]), iso(new), prior=PRIOR["WRONG_PERIOD"] + extra,
                date_new=pd.DatetimeIndex(new))
    if np.bincount(kinds[good], minlength=5).min() == 0:
        # as the concat of a frame per kind made them: a kind without a candidate held
        # object columns, and text columns joined to them are object (pandas 3's str else)
        res = res.astype({c: object for c in res.columns if isinstance(res[c].dtype, pd.StringDtype)})
    return res.drop_duplicates(["_i", "date_new"])


def _table_rows(table: pd.DataFrame, rows: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """The table (its first row of each worksheet row) and the position in it of each of
    `rows` (-1: none). A typed table's rows are its worksheet rows, ascending and each once:
    found by a binary search of the few rows asked, rather than a copy of the table without
    repeats and a hash of its every row (each of the explainers' three calls, at 300k rows)."""
    r = table["_row"].to_numpy()
    if len(r) and r.dtype.kind in "iu" and rows.dtype.kind in "iu" and bool((r[1:] > r[:-1]).all()):
        at = np.minimum(np.searchsorted(r, rows), len(r) - 1)
        return table, np.where(r[at] == rows, at, -1)
    t = table[["_row", "quantity", "unit"]].drop_duplicates("_row")
    return t, pd.Index(t["_row"].to_numpy()).get_indexer(rows)


def run_yields(yields: pd.DataFrame, ledger: pd.DataFrame) -> pd.DataFrame:
    """The runs' yields with each run's `batch_key` (its name looked up in the ledger), as
    run_loss_fixes and run_fit read them: made once per explain and passed to both as their
    `yields` (the names of a million ledger rows cost ~0.13 s each time); given again, as is."""
    if yields.empty or "batch_key" in yields.columns:
        return yields
    if yields.index.name == "batch_key":  # compute_yields' own: each run's key is its index
        return _keyed(yields)
    # the names of the runs' outputs only (a run's name is its output rows', where yields
    # take it from), not of their half a million inputs too: a name's key is made from the
    # name itself (load: one code per spelling, shared by every table), so its first row
    # among the outputs bears the same key as its first among every named row
    named = (ledger["kind"] == "produced").to_numpy() & (ledger["batch_key"] != 0).to_numpy()
    names = ledger.loc[named, ["batch", "batch_key"]].drop_duplicates("batch")
    # the inner merge on the names (unique here) as one hash look-up of each run's name: the
    # same rows in the same order (a name not in the ledger drops its run, as the merge did)
    at = pd.Index(names["batch"].to_numpy(dtype=object)).get_indexer(yields["batch"].to_numpy(dtype=object))
    found = at >= 0
    return yields[found].reset_index(drop=True).assign(batch_key=names["batch_key"].to_numpy()[at[found]])


def _keyed(yields: pd.DataFrame) -> pd.DataFrame:
    """run_yields of compute_yields' frame (indexed by each run's key), without looking a
    name up: a run's name in yields is the name of one of its output rows, and a name's
    key is made from the name itself (one code per spelling), so the look-up of that name
    finds the same key. A run of key 0 (no name) is dropped, as the look-up drops it."""
    key = yields.index.to_numpy()
    named = key != 0
    return yields[named].reset_index(drop=True).assign(batch_key=key[named])


def run_loss_fixes(rows: pd.DataFrame, yields: pd.DataFrame, ledger: pd.DataFrame, min_share: float) -> pd.DataFrame:
    """A run whose undocumented loss is a keying slip: its input keyed from the recipe, its
    output keyed short, or its loss entered as a stock loss without the Batch. yields: the
    book's, or run_yields of them."""
    if yields.empty:
        return empty_alts()
    y = run_yields(yields, ledger)
    y = y[y["undocumented_loss"].abs() > min_share * y["input"]][["batch", "batch_key", "date", "undocumented_loss"]]
    if y.empty:
        return empty_alts()
    out = []
    runs = rows[rows["kind"].isin(["used", "produced"])].merge(y[["batch_key", "undocumented_loss"]], on="batch_key")
    if len(runs):
        u = runs["undocumented_loss"].to_numpy()
        new_qty = np.where(runs["kind"] == "used", runs["qty"] - u, runs["qty"] + u)
        ok = new_qty > 0
        runs, new_qty = runs[ok], new_qty[ok]
        out.append(_alts(runs, "UNDOCUMENTED_RUN_LOSS", "Quantity", new_qty, runs["typed"],
                         new_qty / runs["per_typed"].to_numpy()))
    # a stock loss of a run's input, dated near the run, that is the run's loss
    lo = rows[(rows["kind"] == "loss") & (rows["batch_key"] == 0)]
    if len(lo):
        # only the inputs of the losses' items (every (run, item) pair of them: the same first
        # ones in the same order), not every run input of the book joined to every run
        inputs = ledger.loc[(ledger["kind"] == "used").to_numpy(), ["batch_key", "item_key"]]
        inputs = inputs[inputs["item_key"].isin(pd.unique(lo["item_key"].to_numpy())).to_numpy()].drop_duplicates()
        runs_in = inputs.merge(y, on="batch_key").rename(columns={"batch": "run_batch", "batch_key": "run_key",
                                                                  "date": "run_date"})
        m = lo.merge(runs_in, on="item_key")
        near = (m["date"] - m["run_date"]).abs() <= pd.Timedelta(days=7)
        fits = m["qty"] <= m["undocumented_loss"] * 1.05 + 1e-6
        m = m[(near & fits).to_numpy()].drop_duplicates("_i")
        # a row that is there and fits is stronger evidence than a quantity to be changed
        out.append(_alts(m, "UNDOCUMENTED_RUN_LOSS", "Batch", np.zeros(len(m)), [""] * len(m), m["run_batch"],
                         prior=np.full(len(m), PRIOR["UNDOCUMENTED_RUN_LOSS"] / 5)))
    return pd.concat(out, ignore_index=True) if out else empty_alts()


RUN_FIT = 0.05  # rank bonus (or penalty) when a correction closes (or opens) a run's undocumented loss


def run_fit(rows: pd.DataFrame, alts: pd.DataFrame, yields: pd.DataFrame, ledger: pd.DataFrame) -> np.ndarray:
    """Plausibility from the production record: a run input or output whose correction
    brings its run's undocumented loss back towards zero is likelier than one that
    opens a gap there (1,000 lb in, 950 out, 50 documented: 10,000 in is the slip). yields:
    the book's, or run_yields of them."""
    adj = np.zeros(len(alts))
    if yields.empty or alts.empty:
        return adj
    y = run_yields(yields, ledger).drop_duplicates("batch_key").set_index("batch_key")
    pi = rows.index.get_indexer(alts["_i"].to_numpy())
    r = {c: rows[c].to_numpy()[pi] for c in ("batch_key", "qty")}
    kind = rows["kind"].astype(object).to_numpy()[pi]
    run = np.isin(kind, ["used", "produced"]) & alts["date_new"].isna().to_numpy() & (alts["column"] != "Batch").to_numpy()
    if not run.any():
        return adj
    und = y["undocumented_loss"].reindex(r["batch_key"]).to_numpy(dtype=float)
    inp = y["input"].reindex(r["batch_key"]).to_numpy(dtype=float)
    dq = alts["qty_new"].to_numpy() - r["qty"]
    after = np.where(kind == "used", und + dq, und - dq)
    slack = 0.005 * np.nan_to_num(inp) + 1e-6
    better = run & (np.abs(after) < np.abs(und) - slack)
    worse = run & (np.abs(after) > np.abs(und) + slack)
    return np.where(better, -RUN_FIT, np.where(worse, RUN_FIT, 0.0))
