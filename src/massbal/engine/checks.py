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
from .frames import asof_merge
from .genealogy import LOT
from .ledger import INFLOW_KINDS, OUTFLOW_KINDS
from .load import Book
from .roll import EPS
from .schema import name_key

_WHAT = {"used": "this run input", "shipped": "this shipment", "loss": "this loss",
         "transfer out": "this transfer"}


def _fmt(v: pd.Series) -> pd.Series:
    return v.map(lambda x: f"{x:,.2f}")


def lot_findings(book: Book, ledger: pd.DataFrame) -> pd.DataFrame:
    unit = book.settings.unit
    # only the columns the checks need (a million rows: every column kept is copied at
    # each filter); names are added back for the rows a finding is about
    lots = ledger.loc[(ledger["lot_key"] != 0).to_numpy(),
                      LOT + ["date", "kind", "qty", "effect", "sheet", "row"]]
    creators = lots[lots["kind"].isin(INFLOW_KINDS + ("count",))]
    born = creators.groupby(LOT, sort=False)["date"].min().rename("born")
    takers = lots[lots["kind"].isin(OUTFLOW_KINDS + ("transfer out",))]
    takers = takers.join(born, on=LOT)
    out = []
    never = _named(ledger, takers[takers["born"].isna()])
    early = _named(ledger, takers[takers["born"].notna() & (takers["date"] < takers["born"])])
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
    ok = takers.index.difference(never.index).difference(early.index)
    flows = lots[lots["kind"].isin(INFLOW_KINDS + OUTFLOW_KINDS)]
    if len(ok) and len(flows):
        eff = flows[LOT + ["date", "effect"]].copy()
        eff["cum"] = eff.groupby(LOT, sort=False)["effect"].cumsum()  # ledger is in date/kind order
        t = lots.loc[ok, LOT + ["date", "qty", "effect", "kind", "sheet", "row"]].copy()
        t["cum"] = eff["cum"].reindex(t.index)
        # transfers do not change the amount: their 'cum' is the last flow before them
        last = eff.reset_index()[LOT + ["date", "cum", "index"]].rename(columns={"index": "pos"})
        tt = t[t["cum"].isna()].reset_index()
        if len(tt):
            m = asof_merge(tt.drop(columns="cum").assign(pos=tt["index"]), last, left_on="pos",
                           right_on="pos", by=LOT).set_index("index")
            t.loc[m.index, "cum"] = m["cum"].fillna(0.0)
        counts = lots[lots["kind"] == "count"].groupby(LOT + ["date"], sort=True)["qty"].sum() \
            .rename("counted").reset_index()
        if len(counts):
            daily = eff.groupby(LOT + ["date"], sort=True)["cum"].last().reset_index()
            counts = asof_merge(counts, daily.rename(columns={"cum": "cum_at", "date": "d"}),
                                left_on="date", right_on="d", by=LOT)
            counts["cum_at"] = counts["cum_at"].fillna(0.0)
            m = asof_merge(t, counts.rename(columns={"date": "count_date"}).drop(columns="d"),
                           left_on="date", right_on="count_date", by=LOT, allow_exact_matches=False)
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
    made = ledger.loc[(ledger["kind"].isin(INFLOW_KINDS) & (ledger["lot_key"] != 0)).to_numpy(),
                      LOT + ["kind", "batch_key", "row", "lot", "item", "sheet", "partner"]]
    # one source is one receipt row, or one run (a run may list a lot on several rows), or
    # one field's harvest (a lot filled by several loads, one scale ticket each)
    src = made["batch_key"].where(made["kind"] == "produced", "#" + made["row"].astype(str))
    harvest = (made["kind"] == "harvested").to_numpy()
    if harvest.any():
        src = src.astype(object).where(~harvest, "F" + made["partner"].astype(str).str.strip().str.casefold())
    made = made.assign(src=src.to_numpy())
    firsts = made.drop_duplicates(LOT + ["src"])
    n = firsts.groupby(LOT, sort=False)["src"].transform("size")
    dup = firsts[n > 1]
    later = dup[dup.duplicated(LOT, keep="first")]
    if later.empty:
        return F.empty()
    first = dup.drop_duplicates(LOT).set_index(LOT)
    f = first.reindex(pd.MultiIndex.from_frame(later[LOT]))
    msgs = ("Lot " + later["lot"].astype(str) + " of " + later["item"].astype(str) + " already came in on " +
            pd.Series(f["sheet"].to_numpy(), index=later.index) + " row " +
            pd.Series(f["row"].astype(str).to_numpy(), index=later.index) +
            ". A lot number should name one delivery or one run; give this one its own lot number "
            "(both are counted meanwhile).")
    return F.combine(_by_sheet(book, later, "warning", "DUPLICATE_LOT", "Lot", msgs))


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


def certificate_findings(book: Book, ledger: pd.DataFrame, today: pd.Timestamp | None = None) -> pd.DataFrame:
    rec = ledger.loc[(ledger["kind"] == "receipt").to_numpy(),
                     ["date", "item", "item_key", "partner", "certificate", "organic", "row"]]
    rec = rec[rec["organic"].fillna(True).astype(bool)]
    rec = rec[rec["item_key"].map(book.items["agricultural"]).fillna(True).astype(bool)]
    if rec.empty:
        return F.empty()
    certs = book.tables["Certificates"]
    sheet = book.sheets["Receipts"]
    R = book.tables["Receipts"]
    # the receipt's supplier and certificate keys (the ledger keeps display text)
    rk = R.set_index("_row")[["supplier_key", "certificate_key"]]
    rec = rec.join(rk, on="row")
    rec["certificate_key"] = rec["certificate_key"].fillna(0).astype(np.int64)
    rec["supplier_key"] = rec["supplier_key"].fillna(0).astype(np.int64)
    rec = rec.reset_index().rename(columns={"index": "_i"})
    c = certs.assign(scope=certs["items_covered"].map(_scope)).rename(columns={"supplier": "cert_supplier"})
    c = c[["cert_supplier", "supplier_key", "certificate", "certificate_key", "valid_from", "valid_to", "scope",
           "_row"]].rename(columns={"supplier_key": "cert_supplier_key", "_row": "cert_row", "certificate": "cert_name"})
    named = rec[rec["certificate_key"] != 0]
    blank = rec[rec["certificate_key"] == 0]
    cand = pd.concat([
        named.merge(c, on="certificate_key", how="left"),
        blank.merge(c.drop(columns="certificate_key"), left_on="supplier_key", right_on="cert_supplier_key",
                    how="left"),
    ], ignore_index=True)
    cand["known"] = cand["cert_row"].notna()
    cand["supplier_ok"] = (cand["supplier_key"] == 0) | (cand["supplier_key"] == cand["cert_supplier_key"])
    vf = cand["valid_from"].fillna(pd.Timestamp("1900-01-01"))
    cand["in_date"] = (cand["date"] >= vf) & (cand["date"] <= cand["valid_to"])
    cat = cand["item_key"].map(book.items["category_key"]).fillna("")
    # scopes are few: test each receipt only against certificates that list items
    listed = cand["scope"].map(lambda s: isinstance(s, frozenset))
    cand["in_scope"] = True
    if listed.any():
        sub = cand[listed]
        names = book.codes["item"][sub["item_key"].to_numpy()]
        cand.loc[listed, "in_scope"] = [i in s or bool(k and k in s) for s, i, k in
                                        zip(sub["scope"], names, cat[listed])]
    cand["in_scope"] = cand["in_scope"].astype(bool)
    cand["score"] = (cand["known"].astype(int) * 8 + cand["supplier_ok"].astype(int) * 4 +
                     cand["in_date"].astype(int) * 2 + cand["in_scope"].astype(int))
    best = cand.sort_values(["_i", "score"], ascending=[True, False]).drop_duplicates("_i").set_index("_i")
    letter_c = book.letter("Receipts", "Certificate")
    letter_s = book.letter("Receipts", "Supplier")
    letter_d = book.letter("Receipts", "Date")
    out = []
    item = best["item"].astype(str)

    missing = best[(best["certificate_key"] == 0) & ~best["known"]]
    if len(missing):
        sup = missing["partner"].fillna("").astype(str)
        msgs = ("This organic receipt of " + missing["item"].astype(str) + " names no certificate" +
                sup.map(lambda s: f", and supplier '{s}' has none on the Certificates sheet" if s else
                        " and no supplier") + ". Add the supplier's organic certificate, or mark the lot Organic = No.")
        out.append(F.make("error", "CERT_MISSING", sheet, missing["row"].to_numpy(),
                          "Certificate", letter_c, msgs))
    unknown = best[(best["certificate_key"] != 0) & ~best["known"]]
    if len(unknown):
        msgs = ("Certificate '" + unknown["certificate"].astype(str) + "' is not on the Certificates sheet. "
                "Add it with its Valid to date, or correct the number.")
        out.append(F.make("error", "CERT_UNKNOWN", sheet, unknown["row"].to_numpy(), "Certificate", letter_c, msgs))
    wrong = best[best["known"] & ~best["supplier_ok"]]
    if len(wrong):
        msgs = ("Certificate '" + wrong["cert_name"].astype(str) + "' belongs to " +
                wrong["cert_supplier"].astype(str) + ", not to " + wrong["partner"].astype(str) +
                ". A lot is organic only under its own supplier's certificate.")
        out.append(F.make("error", "CERT_UNKNOWN", sheet, wrong["row"].to_numpy(), "Supplier", letter_s, msgs))
    expired = best[best["known"] & best["supplier_ok"] & ~best["in_date"]]
    if len(expired):
        before = expired["date"] < expired["valid_from"].fillna(pd.Timestamp("1900-01-01"))
        msgs = ("Received on " + expired["date"].dt.strftime("%Y-%m-%d") + " under certificate '" +
                expired["cert_name"].astype(str) + "', which " +
                np.where(before, "was not yet valid (valid from " + expired["valid_from"].dt.strftime("%Y-%m-%d").fillna("") + ")",
                         "had expired on " + expired["valid_to"].dt.strftime("%Y-%m-%d")) +
                ". This lot is not a certified organic input unless a renewed certificate covers that date: "
                "add it to the Certificates sheet.")
        out.append(F.make("error", "CERT_EXPIRED", sheet, expired["row"].to_numpy(), "Date", letter_d, msgs))
    scope = best[best["known"] & best["supplier_ok"] & best["in_date"] & ~best["in_scope"]]
    if len(scope):
        msgs = ("Certificate '" + scope["cert_name"].astype(str) + "' does not cover " +
                scope["item"].astype(str) + " (it lists: " + scope["scope"].map(
                    lambda s: ", ".join(sorted(s)) if s else "") + "). This lot is not a certified organic input.")
        out.append(F.make("error", "CERT_SCOPE", sheet, scope["row"].to_numpy(), "Item",
                          book.letter("Receipts", "Item"), msgs))
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


def _scope(text) -> frozenset | None:
    if not isinstance(text, str) or not text.strip():
        return None
    parts = [name_key(p) for p in text.replace(";", ",").split(",")]
    return frozenset(p for p in parts if p) or None


def commingled_findings(book: Book, ledger: pd.DataFrame) -> pd.DataFrame:
    items = book.items
    used = ledger.loc[(ledger["kind"] == "used").to_numpy(), LOT + ["batch_key", "batch", "lot", "item", "row"]]
    if used.empty:
        return F.empty()
    rec = ledger.loc[ledger["kind"].isin(("receipt", "harvested")).to_numpy(), LOT + ["organic"]]
    conv_lots = rec[~rec["organic"].fillna(True).astype(bool)][LOT].drop_duplicates()
    conv_lots = set(zip(conv_lots["item_key"], conv_lots["lot_key"]))
    item_org = used["item_key"].map(items["organic"]).fillna(True).astype(bool)
    lot_conv = pd.Series([k in conv_lots for k in zip(used["item_key"], used["lot_key"])], index=used.index,
                         dtype=bool) if conv_lots else pd.Series(False, index=used.index)
    agricultural = used["item_key"].map(items["agricultural"]).fillna(True).astype(bool)
    outputs = ledger.loc[(ledger["kind"] == "produced").to_numpy(), ["item_key", "batch_key"]]
    org_out = outputs.assign(o=outputs["item_key"].map(items["organic"]).fillna(True).astype(bool)) \
        .groupby("batch_key")["o"].any()
    makes_organic = used["batch_key"].map(org_out).fillna(False).astype(bool)
    bad = used[(lot_conv | ~item_org) & agricultural & makes_organic]
    if bad.empty:
        return F.empty()
    msgs = ("Batch " + bad["batch"].astype(str) + " makes an organic product but uses lot " + bad["lot"].astype(str) +
            " of " + bad["item"].astype(str) + ", which is conventional (not organic). Its output cannot be sold as "
            "organic unless this input is corrected.")
    return F.make("error", "COMMINGLED", book.sheets["BatchInputs"], bad["row"].to_numpy(), "Lot",
                  book.letter("BatchInputs", "Lot"), msgs)
