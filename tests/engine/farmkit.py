"""Small farm workbooks for tests: the farm tables (CONTRACT section 6) typed as a farmer types them."""
from __future__ import annotations

from massbal.engine.rawbook import RawBook, RawTable
from massbal.engine.schema import TABLES

LB_PER_BU = {"Wheat": 60, "Soybeans": 60, "Corn": 56, "Oats": 32}  # DOMAIN.md standard bushel weights
KG_PER_LB = 0.45359237


def farm_book(**tables) -> RawBook:
    """farm_book(Fields=[{...}], Harvests=[...], ...): headers are the keys the rows use, in
    order of first use; data from worksheet row 2, under a header on row 1."""
    raw = {}
    for name, rows in tables.items():
        assert name in TABLES, name
        headers: list[str] = []
        for r in rows:
            headers += [k for k in r if k not in headers]
        raw[name] = RawTable.from_records(name, headers, [[r.get(h) for h in headers] for r in rows])
    return RawBook(raw)


def crop_item(name, unit="bu", **kw):
    return dict({"Item": name, "Kind": "Crop", "Unit": unit,
                 "Kg per unit": LB_PER_BU[name] * KG_PER_LB if unit == "bu" else None}, **kw)


def field(name, crop, season, acres, expected, unit="bu", **kw):
    return dict({"Field": name, "Crop": crop, "Season": season, "Acres": acres, "Expected yield": expected,
                 "Yield unit": unit}, **kw)


def harvest(date, item, lot, qty, unit="lb", field=None, **kw):
    return dict({"Date": date, "Item": item, "Lot": lot, "Quantity": qty, "Unit": unit, "Field": field}, **kw)


def farm_use(date, item, qty, use, unit="lb", **kw):
    return dict({"Date": date, "Item": item, "Quantity": qty, "Unit": unit, "Use": use}, **kw)


def applied(date, field, item, qty, unit="lb", **kw):
    return dict({"Date": date, "Field": field, "Item": item, "Quantity": qty, "Unit": unit}, **kw)


def count(date, item, qty, unit="lb", **kw):
    return dict({"Date": date, "Item": item, "Quantity": qty, "Unit": unit}, **kw)


def ship(date, item, lot, qty, unit="lb", customer="Elevator", **kw):
    return dict({"Date": date, "Item": item, "Lot": lot, "Quantity": qty, "Unit": unit, "Customer": customer}, **kw)
