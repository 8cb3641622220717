"""Small workbooks for tests, typed the way a user types them into the tables."""
from __future__ import annotations

from massbal.engine.rawbook import RawBook, RawTable
from massbal.engine.schema import TABLES

HEADERS = {
    "Items": ["Item", "Kind", "Organic", "Category", "Unit", "Kg per unit", "Tolerance %"],
    "Certificates": ["Supplier", "Certificate", "Certifier", "Items covered", "Valid from", "Valid to"],
    "Receipts": ["Date", "Item", "Lot", "Quantity", "Unit", "Supplier", "Supplier lot", "Certificate", "Organic",
                 "Location", "Owner"],
    "Batches": ["Batch", "Date", "Item", "Lot", "Quantity", "Unit", "Location", "Owner"],
    "BatchInputs": ["Batch", "Item", "Lot", "Quantity", "Unit"],
    "Shipments": ["Date", "Item", "Lot", "Quantity", "Unit", "Customer", "Location", "Owner"],
    "Losses": ["Date", "Item", "Quantity", "Unit", "Lot", "Reason", "Batch", "Location", "Owner"],
    "Counts": ["Date", "Item", "Quantity", "Unit", "Lot", "Location", "Owner"],
    "Transfers": ["Date", "Item", "Lot", "Quantity", "Unit", "From", "To"],
    "Settings": ["Setting", "Value"],
}


def book(*, columns: str = "listed", **tables) -> RawBook:
    """book(Receipts=[{"Date": ..., "Item": ...}, ...], ...): dict rows as a RawBook.

    Headers: columns="listed" the ones in HEADERS, "schema" every schema column in schema
    order, "used" none; then the keys the rows use that are not there yet, in order of
    first use. Data start on worksheet row 2 under a header on row 1, in column A.
    """
    raw = {}
    for name, rows in tables.items():
        assert name in TABLES, name
        headers = (list(HEADERS[name]) if columns == "listed" else
                   [c.name for c in TABLES[name].columns] if columns == "schema" else [])
        for r in rows:
            headers += [k for k in r if k not in headers]
        raw[name] = RawTable.from_records(name, headers, [[r.get(h) for h in headers] for r in rows])
    return RawBook(raw)


def one(frame, **match):
    """The one row of frame with these values (None: an empty cell)."""
    sub = frame
    for k, v in match.items():
        sub = sub[sub[k].isna()] if v is None else sub[sub[k] == v]
    assert len(sub) == 1, (match, sub)
    return sub.iloc[0]


def findings(rec, code):
    """The findings of one code."""
    f = rec.findings
    return f[f["code"] == code]


def certified(supplier="Andes Organics", cert="CERT-1", valid_to="2030-12-31", **kw):
    return dict({"Supplier": supplier, "Certificate": cert, "Valid to": valid_to}, **kw)


def receipt(date, item, lot, qty, unit="lb", supplier="Andes Organics", cert="CERT-1", **kw):
    return dict({"Date": date, "Item": item, "Lot": lot, "Quantity": qty, "Unit": unit, "Supplier": supplier,
                 "Certificate": cert}, **kw)


def ship(date, item, lot, qty, unit="lb", customer="Whole Foods", **kw):
    return dict({"Date": date, "Item": item, "Lot": lot, "Quantity": qty, "Unit": unit, "Customer": customer}, **kw)


def run(batch, date, item, lot, qty, unit="lb", **kw):
    return dict({"Batch": batch, "Date": date, "Item": item, "Lot": lot, "Quantity": qty, "Unit": unit}, **kw)


def use(batch, item, lot, qty, unit="lb"):
    return {"Batch": batch, "Item": item, "Lot": lot, "Quantity": qty, "Unit": unit}


def count(date, item, qty, unit="lb", **kw):
    return dict({"Date": date, "Item": item, "Quantity": qty, "Unit": unit}, **kw)


def loss(date, item, qty, unit="lb", **kw):
    return dict({"Date": date, "Item": item, "Quantity": qty, "Unit": unit}, **kw)
