"""Lot links, lot overdraws, certificates, commingling, duplicate lots and name variants.

Each check is a pure function from the ledger (and the typed book) to a frame of
findings. Lot links are checked in date order, a day's inflows before its outflows and
a count at the end of its day, so 'used before it arrived' and 'used more than it held'
point at the very row where it happened.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import findings as F
from .frames import asof_merge, columns_at, lot_codes, lot_numbers
from .genealogy import LOT
from .ledger import INFLOW_KINDS, OUTFLOW_KINDS, kinds_in
from .load import Book
from .roll import EPS

_WHAT = {"used": "this run input", "shipped": "this shipment", "loss": "this loss",
         "transfer out": "this transfer"}


def _fmt(v: pd.Series) -> pd.Series:
    return pd.Series(F.amounts(v), index=v.index)


def lot_findings(book: Book, ledger: pd.DataFrame) -> pd.DataFrame:
    unit = book.settings.unit
    # only the columns the checks need (a million rows: every column kept is copied at
    # each filter); names are added back for the rows a finding is about
    lots = ledger.loc[(ledger["lot_key"] != 0).to_numpy(),
                      LOT + ["date", "kind", "qty", "effect", "sheet", "row"]]
    # the lot as one number from 0 (frames.lot_numbers): group-bys on one integer column, and
    # each lot's first date in a table by position rather than by sorting half a million rows
    number, most = lot_numbers(lots)
    lots = lots.assign(_lk=number)
    kind = lots["kind"]
    # each subset with only the columns it is read for (a filter copies every column kept)
    creators = kinds_in(kind, INFLOW_KINDS + ("count",))
    taking = kinds_in(kind, OUTFLOW_KINDS + ("transfer out",))
    # the takers as their places among the lots' rows: their rows are taken only where a
    # check reads them (the few never born or born late; the rest with the columns the
    # overdraw reads), not half a million rows with every column first
    taker_at = np.flatnonzero(taking)
    born = _first_dates(number[creators], lots["date"].to_numpy()[creators], number[taking], most)
    unborn = np.isnat(born)
    late = ~unborn & (lots["date"].to_numpy()[taker_at] < born)  # (NaT compares False, as in pandas)
    out = []
    never = _named(ledger, lots.iloc[taker_at[unborn]].assign(born=born[unborn]))
    early = _named(ledger, lots.iloc[taker_at[late]].assign(born=born[late]))
    for frame, why in ((never, None), (early, "early")):
        if frame.empty:
            continue
        if why is None:
            msgs = ("Lot " + frame["lot"].astype(str) + " of " + frame["item"].astype(str) +
                    " never arrived: no receipt, run output or count has this lot. Check the lot number "
                    "(or record the receipt); " + frame["kind"].map(_WHAT) + " still counts in the item's balance.")
        else:
            msgs = ("Lot " + frame["lot"].astype(str) + " of " + frame["item"].astype(str) + " is used on " +
                    frame["date"].dt.strftime("%Y-%m-%d") + " but first arrives on " +
                    frame["born"].dt.strftime("%Y-%m-%d") + ". Check the date or the lot number.")
        out.extend(_by_sheet(book, frame, "error", "UNKNOWN_LOT", "Lot", msgs))

    # overdraw: stock of each lot, reset by counts
    # the takers neither finding is about, as a mask of the takers in ledger order
    born_ok = ~unborn & ~late
    flows = kinds_in(kind, INFLOW_KINDS + OUTFLOW_KINDS)
    if born_ok.any() and flows.any():
        # (columns added by assign, not to a copy of the filtered rows: pandas 3 copies them
        # no second time)
        eff = lots.loc[flows, ["_lk", "date", "effect"]]
        # grouped on the lots' numbers as a categorical's codes, every number a group (observed=False:
        # none searched for), as roll.group_sums does: no hashing of half a million codes; the same
        # groups, each summed over the same rows in the same order (ledger: date/kind order)
        lot = pd.Categorical.from_codes(number[flows], categories=pd.RangeIndex(most), validate=False)
        cum = eff["effect"].groupby(lot, observed=False, sort=True).cumsum().to_numpy()
        eff = eff.assign(cum=cum)
        # each taker's stock after it, by its position among the lots' rows (NaN: not a flow)
        after = np.full(len(lots), np.nan)
        after[flows] = cum
        at = taker_at[born_ok]
        t = pd.DataFrame(columns_at(lots, at, ["_lk", "date", "qty", "effect", "kind", "sheet", "row"])
                         | {"cum": after[at]}, index=lots.index[at], copy=False)
        if not t.index.is_monotonic_increasing:  # (build_ledger's ledger always is)
            t = t.sort_index()
        # transfers do not change the amount: their 'cum' is the last flow before them
        moved = np.flatnonzero(np.isnan(t["cum"].to_numpy()))
        tt = t.iloc[moved].reset_index()
        if len(tt):
            # only the flows of the lots transferred: a match stays within its lot
            # (the lots as numbers below `most`: marked in a table, not hashed per row)
            moving = np.zeros(most, dtype=bool)
            moving[tt["_lk"].to_numpy()] = True
            near = eff[moving[eff["_lk"].to_numpy()]]
            last = near.reset_index()[["_lk", "date", "cum", "index"]].rename(columns={"index": "pos"})
            m = asof_merge(tt.drop(columns="cum").assign(pos=tt["index"]), last, left_on="pos",
                           right_on="pos", by=["_lk"]).set_index("index")
            # (by position: m keeps tt's order, so no label look-up among half a million takers)
            cum = t["cum"].to_numpy().copy()
            cum[moved] = m["cum"].fillna(0.0).to_numpy()
            t["cum"] = cum
        counts = lots.loc[(kind == "count").to_numpy(), ["_lk", "date", "qty"]].groupby(["_lk", "date"], sort=True)["qty"].sum() \
            .rename("counted").reset_index()
        if len(counts):
            daily = eff.groupby(["_lk", "date"], sort=True)["cum"].last().reset_index()
            counts = asof_merge(counts, daily.rename(columns={"cum": "cum_at", "date": "d"}),
                                left_on="date", right_on="d", by=["_lk"])
            counts["cum_at"] = counts["cum_at"].fillna(0.0)
            m = asof_merge(t, counts.rename(columns={"date": "count_date"}).drop(columns="d"),
                           left_on="date", right_on="count_date", by=["_lk"], allow_exact_matches=False)
            adj = (m["counted"] - m["cum_at"]).fillna(0.0)
            t["held_after"] = t["cum"] + adj.reindex(t.index)
        else:
            t["held_after"] = t["cum"]
        t["held_before"] = t["held_after"] - t["effect"]
        over = _named(ledger, t[(t["qty"] > t["held_before"] + EPS) & (t["held_before"] >= -EPS)])
        if len(over):
            msgs = ("Lot " + over["lot"].astype(str) + " of " + over["item"].astype(str) + " holds " +
                    _fmt(over["held_before"].clip(lower=0)) + f" {unit} on " + over["date"].dt.strftime("%Y-%m-%d") +
                    " but " + over["kind"].map(_WHAT) + " takes " + _fmt(over["qty"]) + f" {unit}. "
                    "Check the quantity and the lot number, or record the receipt that is missing.")
            out.extend(_by_sheet(book, over, "error", "LOT_OVERDRAWN", "Quantity", msgs))
    return F.combine(out)


def _first_dates(lot: np.ndarray, date: np.ndarray, wanted: np.ndarray, lots: int) -> np.ndarray:
    """The earliest date of each lot of `wanted` among (lot, date) pairs, NaT where a lot has
    none or only undated rows: groupby(lot)[date].min() looked up, for lots numbered 0 to
    lots - 1: each lot's minimum in one pass into a table of the lots, read back by
    position (no sort, no search)."""
    never = np.iinfo(np.int64).max  # (above any day: NaT, the smallest int64, is made this)
    day = date.astype("datetime64[ns]").view(np.int64)  # (astype copies)
    day[np.isnat(date)] = never  # undated: a lot's minimum skips them
    first = np.full(lots, never, dtype=np.int64)
    np.minimum.at(first, lot, day)
    out = first[wanted]
    none = out == never
    out = out.view("datetime64[ns]")
    out[none] = np.datetime64("NaT")
    return out


def _named(ledger: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` (rows of the ledger) with the item and lot as typed."""
    return frame.assign(item=ledger["item"].reindex(frame.index), lot=ledger["lot"].reindex(frame.index))


def _by_sheet(book: Book, frame: pd.DataFrame, severity, code, column, msgs) -> list:
    out = []
    tables = {s: t for t, s in book.sheets.items()}
    for sheet, grp in frame.groupby("sheet", sort=False):
        table = tables.get(sheet, sheet)
        out.append(F.make(severity, code, sheet, grp["row"].to_numpy(), column,
                          book.letter(table, column), msgs[grp.index]))
    return out


def duplicate_lot_findings(book: Book, ledger: pd.DataFrame) -> pd.DataFrame:
    inflow = kinds_in(ledger["kind"], INFLOW_KINDS) & (ledger["lot_key"] != 0).to_numpy()
    # integers only (the lot as one code: frames.lot_codes); names are read for the rows
    # found, not copied for every lot that came in
    made = ledger.loc[inflow, LOT + ["kind", "batch_key", "row"]]
    # one source is one receipt row, or one run (a run may list a lot on several rows), or
    # one field's harvest (a lot filled by several loads, one scale ticket each)
    harvest = (made["kind"] == "harvested").to_numpy()
    if harvest.any():
        partner = ledger.loc[inflow, "partner"]
        src = made["batch_key"].where(made["kind"] == "produced", "#" + made["row"].astype(str))
        src = src.astype(object).where(~harvest, "F" + partner.astype(str).str.strip().str.casefold())
    else:  # the same sources as integers (a run's code; minus a receipt's row): no string per row
        src = np.where((made["kind"] == "produced").to_numpy(), made["batch_key"].to_numpy(),
                       -made["row"].to_numpy(dtype=np.int64) - 1)
    src = np.asarray(src)
    if src.dtype == object:  # (a farm's harvests: text sources, as integers)
        src = pd.factorize(src)[0]
    later_at, first_at = _second_sources(lot_codes(made)[0], src.astype(np.int64))
    if not len(later_at):
        return F.empty()
    at = np.flatnonzero(inflow)  # made's rows by ledger position
    cols = [ledger.columns.get_loc(c) for c in ("lot", "item", "sheet", "row")]
    later = ledger.iloc[at[later_at], cols]
    f = ledger.iloc[at[first_at], cols[2:]]
    msgs = ("Lot " + later["lot"].astype(str) + " of " + later["item"].astype(str) + " already came in on " +
            pd.Series(f["sheet"].to_numpy(), index=later.index) + " row " +
            pd.Series(f["row"].astype(str).to_numpy(), index=later.index) +
            ". A lot number should name one delivery or one run; give this one its own lot number "
            "(both are counted meanwhile).")
    return F.combine(_by_sheet(book, later, "warning", "DUPLICATE_LOT", "Lot", msgs))


def _second_sources(lot: np.ndarray, src: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows (positions, ascending) where a lot comes in from a source other than the one it
    first came from, each source's first row only; and for each, the position of its lot's
    first row. One sort by lot and source instead of hashing (lot, source) pairs: the rows
    drop_duplicates([lot, source]) keeps whose lot has more than one source, minus each
    lot's first."""
    n = len(lot)
    if not n:
        return np.array([], dtype=np.intp), np.array([], dtype=np.intp)
    order = np.lexsort((src, lot))  # stable: a pair's rows stay in row order
    lo, so = lot[order], src[order]
    new_lot = np.ones(n, dtype=bool)
    new_lot[1:] = lo[1:] != lo[:-1]
    new_pair = new_lot.copy()
    new_pair[1:] |= so[1:] != so[:-1]
    lot_id = np.cumsum(new_lot) - 1
    starts = np.flatnonzero(new_lot)
    first = np.minimum.reduceat(order, starts)  # each lot's first row
    sources = np.bincount(lot_id[new_pair], minlength=len(starts))
    pair_first = order[new_pair]  # each (lot, source)'s first row
    pair_lot = lot_id[new_pair]
    keep = (sources[pair_lot] > 1) & (pair_first != first[pair_lot])
    later, later_lot = pair_first[keep], pair_lot[keep]
    o = np.argsort(later, kind="stable")
    return later[o], first[later_lot[o]]


def name_variant_findings(book: Book, ledger: pd.DataFrame) -> pd.DataFrame:
    """The same item or lot typed two ways ('Oats' and 'oats '): matched, but said."""
    out = []
    for col in ("item", "lot"):
        key = col + "_key"
        suspects = book.variants.get(col, frozenset())
        if not suspects:
            continue
        sub = ledger.loc[ledger[key].isin(suspects).to_numpy(), [key, col, "sheet", "row"]].dropna(subset=[col])
        spell = sub.drop_duplicates([key, col])
        multi = spell[spell.duplicated(key, keep=False)]
        if multi.empty:
            continue
        firsts = multi.drop_duplicates(key).set_index(key)[col]
        later = multi[multi.duplicated(key, keep="first")]
        msgs = ("'" + later[col].astype(str) + "' is written differently from '" +
                later[key].map(firsts).astype(str) + "' elsewhere; massbal treats them as the same " +
                col + ". Use one spelling so filters and lookups in Excel find them all.")
        out.extend(_by_sheet(book, later, "info", "NAME_VARIANT", col.capitalize(), msgs))
    return F.combine(out)


def certificate_findings(book: Book, receipt_certs: pd.DataFrame, today: pd.Timestamp | None = None) -> pd.DataFrame:
    """CERT_* findings from the certificate data prepare() computed once (certificates.py)."""
    bad = receipt_certs[receipt_certs["problem"].notna()]
    sheet = book.sheets["Receipts"]
    out = [F.make("error", code, sheet, grp.index.to_numpy(), column, book.letter("Receipts", column), grp["note"])
           for (code, column), grp in bad.groupby(["problem", "column"], sort=False)]
    out.append(_expiring(book, today))
    return F.combine(out)


def _expiring(book: Book, today: pd.Timestamp | None) -> pd.DataFrame:
    certs = book.tables["Certificates"]
    if certs.empty:
        return F.empty()
    today = (today or pd.Timestamp.today()).normalize()
    days = (certs["valid_to"] - today).dt.days
    soon = certs[(days >= 0) & (days <= 90)]
    if soon.empty:
        return F.empty()
    d = days[soon.index]
    msgs = ("Certificate '" + soon["certificate"].astype(str) + "' of " + soon["supplier"].astype(str) +
            " expires on " + soon["valid_to"].dt.strftime("%Y-%m-%d") + " (in " + d.astype(str) +
            " days). Ask the supplier for the renewed certificate.")
    return F.make("info", "CERT_EXPIRING", book.sheets["Certificates"], soon["_row"].to_numpy(), "Valid to",
                  book.letter("Certificates", "Valid to"), msgs)


def commingled_findings(book: Book, ledger: pd.DataFrame) -> pd.DataFrame:
    items = book.items
    # (names only for the rows found: a filter copies every column it keeps)
    used = ledger.loc[(ledger["kind"] == "used").to_numpy(), LOT + ["batch_key", "row"]]
    if used.empty:
        return F.empty()
    rec = ledger.loc[kinds_in(ledger["kind"], ("receipt", "harvested")), LOT + ["organic"]]
    conv_lots = rec[~rec["organic"].fillna(True).astype(bool).to_numpy()]
    item_org = used["item_key"].map(items["organic"]).fillna(True).astype(bool)
    # a used lot is conventional when a conventional receipt has its (item, lot): one integer
    # per pair (frames.lot_codes, one call for both), looked up whole-column
    used_lk, conv_lk = lot_codes(used, conv_lots)
    lot_conv = pd.Series(np.isin(used_lk, conv_lk), index=used.index, dtype=bool)
    agricultural = used["item_key"].map(items["agricultural"]).fillna(True).astype(bool)
    outputs = ledger.loc[(ledger["kind"] == "produced").to_numpy(), ["item_key", "batch_key"]]
    org_out = outputs.assign(o=outputs["item_key"].map(items["organic"]).fillna(True).astype(bool)) \
        .groupby("batch_key")["o"].any()
    makes_organic = used["batch_key"].map(org_out).fillna(False).astype(bool)
    bad = used[(lot_conv | ~item_org) & agricultural & makes_organic]
    if bad.empty:
        return F.empty()
    bad = bad.assign(**{c: ledger[c].reindex(bad.index) for c in ("batch", "lot", "item")})
    msgs = ("Batch " + bad["batch"].astype(str) + " makes an organic product but uses lot " + bad["lot"].astype(str) +
            " of " + bad["item"].astype(str) + ", which is conventional (not organic). Its output cannot be sold as "
            "organic unless this input is corrected.")
    return F.make("error", "COMMINGLED", book.sheets["BatchInputs"], bad["row"].to_numpy(), "Lot",
                  book.letter("BatchInputs", "Lot"), msgs)
