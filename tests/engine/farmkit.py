"""Small farm workbooks for tests: the farm tables (CONTRACT section 6) typed as a farmer types them."""
from __future__ import annotations

from bookkit import book

from massbal.engine.rawbook import RawBook
from massbal.engine.schema import TABLES

LB_PER_BU = {"Wheat": 60, "Soybeans": 60, "Corn": 56, "Oats": 32}  # DOMAIN.md standard bushel weights
KG_PER_LB = 0.45359237


def farm_book(**tables) -> RawBook:
    """farm_book(Fields=[{...}], Harvests=[...], ...): headers are the keys the rows use, in
    order of first use; data from worksheet row 2, under a header on row 1."""
    return book(columns="used", **tables)


def livestock_book(**tables) -> RawBook:
    """livestock_book(Herds=[{...}], Animals=[{...}], ...): every schema column as a header,
    in schema order, data from worksheet row 2; extra keys become extra columns."""
    return book(columns="schema", **tables)


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


# ---------------------------------------------------------------- livestock

def herd(name, demand, species="Cattle", **kw):
    return dict({"Herd": name, "Species": species, "Dry matter demand": demand}, **kw)


def animals(date, herd_name, event, head, **kw):
    return dict({"Date": date, "Herd": herd_name, "Event": event, "Head": head}, **kw)


def fed(date, item, qty, herd_name, unit="lb", lot=None, **kw):
    return dict({"Date": date, "Item": item, "Quantity": qty, "Unit": unit, "Use": "feed", "Herd": herd_name,
                 "Lot": lot}, **kw)


def write_farm_xlsx(path, **tables):
    """The same rows as a real farm workbook (massbal's own template layout, Excel Tables)."""
    import pandas as pd

    from massbal.books.template import write_input_book
    frames = {}
    for name, rows in tables.items():
        f = pd.DataFrame(rows)
        for c in TABLES[name].columns:
            if c.kind == "date" and c.name in f:
                f[c.name] = pd.to_datetime(f[c.name])
        frames[name] = f
    return write_input_book(path, frames, farm=True)
