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

from .frames import left_matches, text_by_code
from .load import Book
from .schema import name_key

COLUMNS = ["certificate", "certifier", "judged", "problem", "column", "valid", "note"]
CONVENTIONAL = "Conventional (non-organic) lot: no certificate applies."
NOT_AGRICULTURAL = "Not an agricultural ingredient: no certificate needed."


def receipt_certificates(book: Book, ledger: pd.DataFrame) -> pd.DataFrame:
    at = np.flatnonzero((ledger["kind"] == "receipt").to_numpy())
    if not len(at):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS},
                            index=pd.Index([], dtype="int64", name="row"))
    # the receipts' columns as arrays, only those read (names are taken for the rows a
    # sentence quotes, not copied for every receipt)
    item_key = ledger["item_key"].to_numpy()[at]
    row = ledger["row"].to_numpy()[at].astype("int64")
    organic = pd.Series(ledger["organic"].to_numpy()[at]).fillna(True).astype(bool).to_numpy()
    agricultural = pd.Series(item_key).map(book.items["agricultural"]).fillna(True).astype(bool).to_numpy()
    best = _best_certificate(book, ledger["date"].to_numpy()[at], item_key, row)
    judged = organic & agricultural
    problem, note_at, notes = _problems(best, _Rows(book, ledger, at, best), judged)
    named = best["certificate_key"] != 0
    has_problem = problem >= 0
    # text columns by code (frames.text_by_code): the certificate typed on the receipt,
    # else (where the lot needs one) the best certificate on file; its certifier
    certs = book.tables["Certificates"]
    j = best["j"]
    typed, typed_u = pd.factorize(ledger["certificate"].to_numpy()[at[named]])
    cert_code = np.where(judged & ~named, j, -1)
    cert_code[named] = np.where(typed >= 0, typed + len(certs), -1)
    cert_u = np.concatenate([certs["certificate"].to_numpy(dtype=object), np.asarray(typed_u, dtype=object)])
    note_code = np.where(has_problem, note_at + 2, np.where(~organic, 0, np.where(~agricultural, 1, -1)))
    out = pd.DataFrame({
        # a blank Certificate shows the supplier's only where the lot needs one: a conventional
        # lot is not covered by a certificate its supplier holds for other lots
        "certificate": text_by_code(cert_u, cert_code),
        "certifier": text_by_code(certs["certifier"].to_numpy(dtype=object), np.where(named | judged, j, -1)),
        "judged": judged,
        "problem": text_by_code(np.array([p[0] for p in _PROBLEMS], dtype=object), problem, None),
        "column": text_by_code(np.array([p[1] for p in _PROBLEMS], dtype=object), problem, None),
        "valid": np.where(judged, ~has_problem, None),
        "note": text_by_code(np.array([CONVENTIONAL, NOT_AGRICULTURAL] + notes, dtype=object), note_code, None),
    }, index=pd.Index(row, name="row"))
    dup = out.index.duplicated()
    return out[~dup] if dup.any() else out


def _best_certificate(book: Book, date: np.ndarray, item_key: np.ndarray, row: np.ndarray) -> dict:
    """For each receipt (in the given order) the certificate that fits it best: named, of
    its supplier, valid on the date, covering the item, in that order of weight. Arrays:
    j, the certificate's position on Certificates (-1: none); certificate_key, the one
    the receipt names (0: none); known, supplier_ok, in_date, in_scope.
    (Candidates as positions, not merged frames: integers only, names read by _Rows.)"""
    certs = book.tables["Certificates"]
    R = book.tables["Receipts"]
    # the receipt's supplier and certificate keys (the ledger keeps display text): its row's
    rrow = R["_row"].to_numpy()
    first = ~pd.Index(rrow).duplicated()
    pos = pd.Index(rrow[first]).get_indexer(row)
    sk = np.where(pos >= 0, R["supplier_key"].to_numpy(dtype=np.int64)[first][pos], 0)
    ck = np.where(pos >= 0, R["certificate_key"].to_numpy(dtype=np.int64)[first][pos], 0)
    c_ck = certs["certificate_key"].to_numpy(dtype=np.int64)
    c_sk = certs["supplier_key"].to_numpy(dtype=np.int64)
    # candidates: a named certificate's rows on file, else every certificate of the supplier
    named = np.flatnonzero(ck != 0)
    blank = np.flatnonzero(ck == 0)
    li_n, ri_n = left_matches(ck[named], c_ck)
    li_b, ri_b = left_matches(sk[blank], c_sk)
    i = np.concatenate([named[li_n], blank[li_b]])
    j = np.concatenate([ri_n, ri_b])
    known = j >= 0
    jj = np.where(known, j, 0)
    cand_sk = sk[i]
    supplier_ok = (cand_sk == 0) | (known & (cand_sk == (c_sk[jj] if len(certs) else 0)))
    d = date[i]
    if len(certs):
        vf = certs["valid_from"].to_numpy(dtype="datetime64[ns]")[jj]
        vf = np.where(np.isnat(vf), np.datetime64("1900-01-01", "ns"), vf)
        vt = certs["valid_to"].to_numpy(dtype="datetime64[ns]")[jj]
        in_date = known & (d >= vf) & (d <= vt)  # (NaT compares False, as in pandas)
    else:
        in_date = np.zeros(len(i), dtype=bool)
    in_scope = np.ones(len(i), dtype=bool)
    scope = certs["items_covered"].map(_scope).to_numpy(dtype=object)
    c_listed = np.array([isinstance(s, frozenset) for s in scope], dtype=bool)
    listed = known & (c_listed[jj] if len(certs) else False)
    if listed.any():
        # once per distinct (certificate, item): receipts repeat both (one integer per pair)
        ik = np.int64(item_key.max()) + 1
        sub_j, sub_item = j[listed], item_key[i[listed]]
        _, at, pair = np.unique(sub_j * ik + sub_item, return_index=True, return_inverse=True)
        keys = sub_item[at]
        cats = pd.Series(keys).map(book.items["category_key"]).fillna("").to_numpy()
        names = book.codes["item"][keys]
        ok = np.array([n in s or bool(k and k in s) for s, n, k in zip(scope[sub_j[at]], names, cats, strict=True)],
                      dtype=bool)
        in_scope[listed] = ok[pair.reshape(-1)]
    score = known.astype(int) * 8 + supplier_ok.astype(int) * 4 + in_date.astype(int) * 2 + in_scope.astype(int)
    # per receipt the first candidate of the highest score (a stable sort, then each receipt's first)
    order = np.lexsort((-score, i))
    pick = np.ones(len(order), dtype=bool)
    pick[1:] = i[order][1:] != i[order][:-1]
    sel = order[pick]
    return {"j": j[sel], "certificate_key": ck, "known": known[sel], "supplier_ok": supplier_ok[sel],
            "in_date": in_date[sel], "in_scope": in_scope[sel], "scope": scope}


class _Rows:
    """The receipts' and their certificates' columns a sentence quotes, for some rows only
    (as the candidates' frame held them: the ledger's names, the Certificates' cells)."""
    def __init__(self, book: Book, ledger: pd.DataFrame, at: np.ndarray, best: dict):
        self.book, self.ledger, self.at, self.j, self.scope = book, ledger, at, best["j"], best["scope"]

    def __call__(self, m: np.ndarray) -> pd.DataFrame:
        k, j = self.at[m], self.j[m]
        cols = {c: pd.Series(self.ledger[c].to_numpy()[k], dtype=self.ledger[c].dtype)
                for c in ("item", "partner", "certificate", "date")}
        certs = self.book.tables["Certificates"]
        if len(certs):
            jj = np.where(j >= 0, j, 0)  # (certificate columns are read for known ones only)
            for c, name in (("certificate", "cert_name"), ("supplier", "cert_supplier"),
                            ("valid_from", "valid_from"), ("valid_to", "valid_to")):
                v = certs[c].to_numpy()[jj]
                cols[name] = pd.Series(v, dtype=v.dtype)
            cols["scope"] = pd.Series(self.scope[jj], dtype=object)
        return pd.DataFrame(cols)


# (CERT_* code, Receipts column to fix) of each problem _problems finds
_PROBLEMS = [("CERT_MISSING", "Certificate"), ("CERT_UNKNOWN", "Certificate"), ("CERT_UNKNOWN", "Supplier"),
             ("CERT_EXPIRED", "Date"), ("CERT_SCOPE", "Item")]


def _problems(best: dict, rows: _Rows, judged: np.ndarray) -> tuple[np.ndarray, np.ndarray, list]:
    """For each receipt the problem (an index into _PROBLEMS, -1: none) and its sentence (an
    index into the returned sentences), for judged receipts only: no other shows one."""
    n = len(best["j"])
    code = np.full(n, -1)
    note = np.full(n, -1)
    notes: list = []

    def put(mask: np.ndarray, c: int, msgs) -> None:
        # sentences are built for the receipts with this problem only (few of many)
        m = mask & judged
        if m.any():
            code[m] = c
            note[m] = np.arange(len(notes), len(notes) + int(m.sum()))
            notes.extend(msgs(rows(m)).tolist())

    known, supplier_ok, in_date = best["known"], best["supplier_ok"], best["in_date"]
    named = best["certificate_key"] != 0
    put(~named & ~known, 0, lambda b: (
        "This organic receipt of " + b["item"].astype(str) + " names no certificate" +
        b["partner"].fillna("").astype(str).map(
            lambda s: f", and supplier '{s}' has none on the Certificates sheet" if s else " and no supplier") +
        ". Add the supplier's organic certificate, or mark the lot Organic = No."))
    put(named & ~known, 1, lambda b: (
        "Certificate '" + b["certificate"].astype(str) + "' is not on the Certificates sheet. "
        "Add it with its Valid to date, or correct the number."))
    put(known & ~supplier_ok, 2, lambda b: (
        "Certificate '" + b["cert_name"].astype(str) + "' belongs to " + b["cert_supplier"].astype(str) +
        ", not to " + b["partner"].astype(str) + ". A lot is organic only under its own supplier's certificate."))
    put(known & supplier_ok & ~in_date, 3, lambda b: (
        "Received on " + b["date"].dt.strftime("%Y-%m-%d") + " under certificate '" +
        b["cert_name"].astype(str) + "', which " +
        pd.Series(np.where(b["date"] < b["valid_from"].fillna(pd.Timestamp("1900-01-01")),
                           "was not yet valid (valid from " +
                           b["valid_from"].dt.strftime("%Y-%m-%d").fillna("") + ")",
                           "had expired on " + b["valid_to"].dt.strftime("%Y-%m-%d").fillna("")),
                  index=b.index) +
        ". This lot is not a certified organic input unless a renewed certificate covers that date: "
        "add it to the Certificates sheet."))
    put(known & supplier_ok & in_date & ~best["in_scope"], 4, lambda b: (
        "Certificate '" + b["cert_name"].astype(str) + "' does not cover " + b["item"].astype(str) +
        " (it lists: " + b["scope"].map(lambda s: ", ".join(sorted(s)) if isinstance(s, frozenset) else "") +
        "). This lot is not a certified organic input."))
    return code, note, notes


def _scope(text) -> frozenset | None:
    if not isinstance(text, str) or not text.strip():
        return None
    parts = [name_key(p) for p in text.replace(";", ",").split(",")]
    return frozenset(p for p in parts if p) or None
