"""The certificate each receipt is judged by, and whether it was valid on the receipt date.

Computed once, as data, by `prepare`: the CERT_* findings (checks.certificate_findings)
and the trace's certificate column both read this frame, so a reworded finding cannot
change what a trace says, and the two can never disagree about a lot.

One row per receipt ledger row, indexed by its Receipts worksheet row:
- certificate, certifier: the certificate named on the receipt, or (when the receipt
  names none and the lot needs one) the supplier's certificate on file that fits best;
- judged: the lot is an organic agricultural input, so it needs a valid certificate;
- problem, column: the CERT_* code and the Receipts column to fix, or None;
- valid: True / False on the receipt date, None when not judged;
- note: the plain sentence (the finding's message when there is a problem).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .load import Book
from .schema import name_key

COLUMNS = ["certificate", "certifier", "judged", "problem", "column", "valid", "note"]
CONVENTIONAL = "Conventional (non-organic) lot: no certificate applies."
NOT_AGRICULTURAL = "Not an agricultural ingredient: no certificate needed."


def receipt_certificates(book: Book, ledger: pd.DataFrame) -> pd.DataFrame:
    rec = ledger.loc[(ledger["kind"] == "receipt").to_numpy(),
                     ["date", "item", "item_key", "partner", "certificate", "organic", "row"]]
    if rec.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS},
                            index=pd.Index([], dtype="int64", name="row"))
    organic = rec["organic"].fillna(True).astype(bool)
    agricultural = rec["item_key"].map(book.items["agricultural"]).fillna(True).astype(bool)
    best = _best_certificate(book, rec)
    problem, column, note = _problems(best)
    judged = (organic & agricultural).to_numpy()
    named = (best["certificate_key"] != 0).to_numpy()
    has_problem = judged & pd.notna(problem)
    out = pd.DataFrame({
        # a blank Certificate shows the supplier's only where the lot needs one: a conventional
        # lot is not covered by a certificate its supplier holds for other lots
        "certificate": best["certificate"].where(named, best["cert_name"].where(judged)).to_numpy(),
        "certifier": best["certifier"].where(named | judged).to_numpy(),
        "judged": judged,
        "problem": np.where(has_problem, problem, None),
        "column": np.where(has_problem, column, None),
        "valid": np.where(judged, ~has_problem, None),
        "note": np.where(has_problem, note, np.where(~organic.to_numpy(), CONVENTIONAL, np.where(
            ~agricultural.to_numpy(), NOT_AGRICULTURAL, None))),
    }, index=pd.Index(rec["row"].astype("int64").to_numpy(), name="row"))
    return out[~out.index.duplicated()]


def _best_certificate(book: Book, rec: pd.DataFrame) -> pd.DataFrame:
    """For each receipt (in rec's order) the certificate that fits it best: named, of its
    supplier, valid on the date, covering the item, in that order of weight."""
    certs = book.tables["Certificates"]
    R = book.tables["Receipts"]
    # the receipt's supplier and certificate keys (the ledger keeps display text)
    rk = R.set_index("_row")[["supplier_key", "certificate_key"]]
    rk = rk[~rk.index.duplicated()]
    rec = rec.join(rk, on="row")
    rec["certificate_key"] = rec["certificate_key"].fillna(0).astype(np.int64)
    rec["supplier_key"] = rec["supplier_key"].fillna(0).astype(np.int64)
    rec = rec.reset_index(drop=True).rename_axis("_i").reset_index()
    c = certs.assign(scope=certs["items_covered"].map(_scope)).rename(columns={"supplier": "cert_supplier"})
    # whether a certificate lists items: once per certificate, not per receipt
    c = c.assign(_listed=c["scope"].map(lambda s: isinstance(s, frozenset)).astype(bool))
    c = c[["cert_supplier", "supplier_key", "certificate", "certificate_key", "certifier", "valid_from", "valid_to",
           "scope", "_row", "_listed"]].rename(columns={"supplier_key": "cert_supplier_key", "_row": "cert_row",
                                                        "certificate": "cert_name"})
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
    listed = cand.pop("_listed").fillna(False).astype(bool).to_numpy()
    cand["in_scope"] = True
    if listed.any():
        # once per distinct (certificate row, item): receipts repeat both (one integer per pair)
        sub = cand[listed]
        ik = np.int64(sub["item_key"].max()) + 1
        _, at, pair = np.unique(sub["cert_row"].to_numpy(dtype=np.int64) * ik + sub["item_key"].to_numpy(),
                                return_index=True, return_inverse=True)
        scopes, keys, cats = sub["scope"].to_numpy()[at], sub["item_key"].to_numpy()[at], cat[listed].to_numpy()[at]
        names = book.codes["item"][keys]
        ok = np.array([i in s or bool(k and k in s) for s, i, k in zip(scopes, names, cats, strict=True)], dtype=bool)
        cand.loc[listed, "in_scope"] = ok[pair]
    cand["in_scope"] = cand["in_scope"].astype(bool)
    cand["score"] = (cand["known"].astype(int) * 8 + cand["supplier_ok"].astype(int) * 4 +
                     cand["in_date"].astype(int) * 2 + cand["in_scope"].astype(int))
    # per receipt the first candidate of the highest score (a stable sort, then each _i's first)
    i = cand["_i"].to_numpy()
    order = np.lexsort((-cand["score"].to_numpy(), i))
    first = np.ones(len(order), dtype=bool)
    first[1:] = i[order][1:] != i[order][:-1]
    return cand.iloc[order[first]].set_index("_i")


def _problems(best: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The CERT_* code, the column to fix and the sentence for each receipt (None: none)."""
    n = len(best)
    code = np.full(n, None, dtype=object)
    column = np.full(n, None, dtype=object)
    note = np.full(n, None, dtype=object)

    def put(mask: pd.Series, c: str, col: str, msgs) -> None:
        # sentences are built for the receipts with this problem only (few of many)
        m = mask.to_numpy(dtype=bool)
        if m.any():
            code[m], column[m], note[m] = c, col, msgs(best[m]).to_numpy()

    known, supplier_ok, in_date = best["known"], best["supplier_ok"], best["in_date"]
    put((best["certificate_key"] == 0) & ~known, "CERT_MISSING", "Certificate", lambda b: (
        "This organic receipt of " + b["item"].astype(str) + " names no certificate" +
        b["partner"].fillna("").astype(str).map(
            lambda s: f", and supplier '{s}' has none on the Certificates sheet" if s else " and no supplier") +
        ". Add the supplier's organic certificate, or mark the lot Organic = No."))
    put((best["certificate_key"] != 0) & ~known, "CERT_UNKNOWN", "Certificate", lambda b: (
        "Certificate '" + b["certificate"].astype(str) + "' is not on the Certificates sheet. "
        "Add it with its Valid to date, or correct the number."))
    put(known & ~supplier_ok, "CERT_UNKNOWN", "Supplier", lambda b: (
        "Certificate '" + b["cert_name"].astype(str) + "' belongs to " + b["cert_supplier"].astype(str) +
        ", not to " + b["partner"].astype(str) + ". A lot is organic only under its own supplier's certificate."))
    put(known & supplier_ok & ~in_date, "CERT_EXPIRED", "Date", lambda b: (
        "Received on " + b["date"].dt.strftime("%Y-%m-%d") + " under certificate '" +
        b["cert_name"].astype(str) + "', which " +
        pd.Series(np.where(b["date"] < b["valid_from"].fillna(pd.Timestamp("1900-01-01")),
                           "was not yet valid (valid from " +
                           b["valid_from"].dt.strftime("%Y-%m-%d").fillna("") + ")",
                           "had expired on " + b["valid_to"].dt.strftime("%Y-%m-%d").fillna("")),
                  index=b.index) +
        ". This lot is not a certified organic input unless a renewed certificate covers that date: "
        "add it to the Certificates sheet."))
    put(known & supplier_ok & in_date & ~best["in_scope"], "CERT_SCOPE", "Item", lambda b: (
        "Certificate '" + b["cert_name"].astype(str) + "' does not cover " + b["item"].astype(str) +
        " (it lists: " + b["scope"].map(lambda s: ", ".join(sorted(s)) if isinstance(s, frozenset) else "") +
        "). This lot is not a certified organic input."))
    return code, column, note


def _scope(text) -> frozenset | None:
    if not isinstance(text, str) or not text.strip():
        return None
    parts = [name_key(p) for p in text.replace(";", ",").split(",")]
    return frozenset(p for p in parts if p) or None
