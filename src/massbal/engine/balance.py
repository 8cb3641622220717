"""The stock balance of each item (and owner) over each period: CONTRACT section 2."""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import findings as F
from .frames import key_codes
from .ledger import INFLOW_KINDS, OUTFLOW_KINDS
from .load import Book
from .roll import EPS, roll
from .schema import FARM_KINDS

KEY = ["item_key", "owner_key"]


def balance_inputs(ledger: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Movements, counts and count days of the item balance, from the ledger."""
    flows = ledger.loc[ledger["kind"].isin(INFLOW_KINDS + OUTFLOW_KINDS).to_numpy(), KEY + ["date", "kind", "qty"]]
    moves = flows[KEY + ["date", "kind"]].assign(value=flows["qty"].to_numpy())
    c = ledger.loc[(ledger["kind"] == "count").to_numpy(), KEY + ["date", "qty"]]
    counts = c[KEY + ["date"]].assign(value=c["qty"].to_numpy())
    days = c[KEY + ["date"]].drop_duplicates()
    return moves, counts, days


def variance_pct(variance: pd.Series, expected: pd.Series) -> pd.Series:
    """100 x variance / expected, rounded to 2 decimals; null where expected <= 0."""
    return (100.0 * variance / expected.where(expected > EPS)).round(2)


def status_of(frame: pd.DataFrame) -> pd.Series:
    neg = frame["min_running"] < -EPS
    no_count = frame["counted_ending"].isna()
    ok = (frame["variance"].abs() <= EPS) | (frame["variance_pct"].abs() <= frame["tolerance_pct"])
    return pd.Series(np.select([neg, no_count, ok], ["NEGATIVE", "NO COUNT", "PASS"], "INVESTIGATE"),
                     index=frame.index)


def count_due(book: Book, bal: pd.DataFrame) -> pd.Series:
    """Whether a count belongs on the period's last day, so that NO COUNT there is a count
    missing. A handler counts every period. A farm counts its crops, seed, inputs, feed and
    products at least once a season, a calendar year (CONTRACT section 6: the crop balance's
    G is the count on the season's last day), so a farm item's month inside the season is
    not a missing count; a period that holds a season's last day is."""
    farm_item = bal["item_key"].map(book.items["kind"]).isin(FARM_KINDS).to_numpy()
    closes_season = (bal["end"].dt.year > bal["start"].dt.year) | \
        ((bal["end"].dt.month == 12) & (bal["end"].dt.day == 31))
    return pd.Series(~farm_item | closes_season.to_numpy(), index=bal.index)


def compute_balances(book: Book, ledger: pd.DataFrame, periods, item_keys: set | None = None,
                     openings: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """openings: roll.ledger_openings(ledger, KEY) where the caller has it (Prepared);
    the same days roll finds from the moves (the ledger's flows are SIGN's kinds)."""
    moves, counts, days = balance_inputs(ledger)
    if item_keys is not None:
        moves, counts, days = (x[x["item_key"].isin(item_keys)] for x in (moves, counts, days))
    g = roll(moves, counts, days, periods, KEY, KEY, openings=openings)
    g = g[g["active"]].reset_index(drop=True)
    items = book.items
    # each item and owner's first ledger row (drop_duplicates(KEY)'s), found on the pair as
    # one integer: not a hash of two columns of a million rows and a copy of all 21 columns
    first = ~pd.Series(key_codes([ledger], KEY)[0], copy=False).duplicated().to_numpy()
    names = ledger.loc[first, KEY + ["item", "owner"]]
    g = g.merge(names, on=KEY, how="left")
    g["item"] = g["item_key"].map(items["item"]).fillna(g["item"])
    g["owner"] = g["owner"].where(g["owner_key"] != 0, None)
    g["tolerance_pct"] = g["item_key"].map(items["tolerance_pct"]).fillna(book.settings.tolerance_pct).astype(float)
    out = pd.DataFrame({
        "item": g["item"], "owner": g["owner"], "start": g["start"], "end": g["end"],
        "beginning": g["beginning"], "received": g["sum_receipt"], "harvested": g["sum_harvested"],
        "produced": g["sum_produced"], "used": g["sum_used"], "farm_use": g["sum_farm use"],
        "applied": g["sum_applied"], "shipped": g["sum_shipped"], "losses": g["sum_loss"],
        "expected_ending": g["book_end"], "counted_ending": g["counted_end"],
    })
    out["variance"] = out["counted_ending"] - out["expected_ending"]
    out["variance_pct"] = variance_pct(out["variance"], out["expected_ending"])
    out["tolerance_pct"] = g["tolerance_pct"]
    for c in ("beginning", "received", "harvested", "produced", "used", "farm_use", "applied", "shipped", "losses",
              "expected_ending",
              "counted_ending", "variance"):
        out[c] = out[c].round(6) + 0.0  # no -0.0 in reports
    out["min_running"] = g["min_running"]
    out["status"] = status_of(out)
    out["first_negative"] = g["first_negative"].where(g["first_negative"].notna(),
                                                      g["start"].where(g["beginning"] < -EPS))
    out["item_key"], out["owner_key"] = g["item_key"], g["owner_key"]
    out["count_due"] = count_due(book, out)
    out["beginning_negative"] = g["beginning"] < -EPS
    out = out.sort_values(["item", "owner", "start"], na_position="first", kind="stable").reset_index(drop=True)
    return out, _balance_findings(book, ledger, out)


def _balance_findings(book: Book, ledger: pd.DataFrame, bal: pd.DataFrame) -> pd.DataFrame:
    out = []
    unit = book.settings.unit
    # NEGATIVE: where the book first goes below zero (not again in later periods that
    # merely inherit a negative beginning)
    neg = bal[(bal["status"] == "NEGATIVE") & ~bal["beginning_negative"]]
    if len(neg):
        outs = ledger.loc[ledger["kind"].isin(OUTFLOW_KINDS).to_numpy(), ["item_key", "owner_key", "date", "sheet", "row"]]
        hit = neg.merge(outs,
                        left_on=["item_key", "owner_key", "first_negative"],
                        right_on=["item_key", "owner_key", "date"], how="left")
        hit = hit.drop_duplicates(["item_key", "owner_key", "start"], keep="last")
        msgs = ("On " + hit["first_negative"].dt.strftime("%Y-%m-%d") + " the book stock of " +
                hit["item"].astype(str) + owner_phrase(hit["owner"]) + " falls to " +
                hit["min_running"].map(lambda v: f"{v:,.2f}") + f" {unit}: more went out than had come in. "
                "Look for a missing receipt or run output, or an outflow keyed too high.")
        # as text: pandas 2.2 (Pyodide) cannot fill a categorical with a new category
        for sheet, grp in hit.groupby(hit["sheet"].astype(object).fillna(""), sort=False):
            letter = book.letter(_table_of(book, sheet), "Quantity") if sheet else None
            out.append(F.make("error", "NEGATIVE_BALANCE", sheet or "Balance", grp["row"].astype("Int64").to_numpy(),
                              "Quantity" if sheet else None, letter, msgs[grp.index]))
    inv = bal[bal["status"] == "INVESTIGATE"]
    if len(inv):
        counts = ledger.loc[(ledger["kind"] == "count").to_numpy(), ["item_key", "owner_key", "date", "sheet", "row"]]
        hit = inv.merge(counts, left_on=["item_key", "owner_key", "end"], right_on=["item_key", "owner_key", "date"],
                        how="left").drop_duplicates(["item_key", "owner_key", "start"])
        # a variance of books that hold nothing has no percentage: say so in words, never "nan %"
        over = np.where(hit["variance_pct"].notna(),
                        " (" + hit["variance_pct"].map(lambda v: f"{v:+.2f}") + " %), over the " +
                        hit["tolerance_pct"].map(lambda v: f"{v:g}") + " % tolerance.",
                        f" {unit}. The books hold none of it, so no tolerance can cover it (a tolerance is a share "
                        "of what the books hold).")
        msgs = ("Counted " + hit["counted_ending"].map(lambda v: f"{v:,.2f}") + f" {unit} of " +
                hit["item"].astype(str) + owner_phrase(hit["owner"]) + " on " + hit["end"].dt.strftime("%Y-%m-%d") +
                " but the books say " + hit["expected_ending"].map(lambda v: f"{v:,.2f}") + f" {unit}: a variance of " +
                hit["variance"].map(lambda v: f"{v:,.2f}") + over + " Investigate and "
                "record the root cause on the Balance sheet.")
        sheet = book.sheets["Counts"]
        out.append(F.make("warning", "VARIANCE_OVER_TOLERANCE", sheet, hit["row"].astype("Int64").to_numpy(),
                          "Quantity", book.letter("Counts", "Quantity"), msgs))
    return F.combine(out)


def owner_phrase(owner: pd.Series) -> pd.Series:
    return owner.map(lambda o: f" (owned by {o})" if isinstance(o, str) and o else "")


def _table_of(book: Book, sheet: str) -> str:
    for t, s in book.sheets.items():
        if s == sheet:
            return t
    return sheet
