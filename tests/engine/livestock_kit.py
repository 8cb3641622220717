"""Small livestock workbooks for tests, typed as a farmer types them (CONTRACT section 6)."""
from __future__ import annotations

from massbal.engine.rawbook import RawBook, RawTable
from massbal.engine.schema import TABLES


def farm_book(**tables) -> RawBook:
    """farm_book(Herds=[{...}], Animals=[{...}], ...): every schema column as a header, in
    schema order, data from worksheet row 2; extra keys become extra columns."""
    raw = {}
    for name, rows in tables.items():
        headers = [c.name for c in TABLES[name].columns]
        for r in rows:
            headers += [k for k in r if k not in headers]
        raw[name] = RawTable.from_records(name, headers, [[r.get(h) for h in headers] for r in rows])
    return RawBook(raw)


def herd(name, demand, species="Cattle", **kw):
    return dict({"Herd": name, "Species": species, "Dry matter demand": demand}, **kw)


def animals(date, herd_name, event, head, **kw):
    return dict({"Date": date, "Herd": herd_name, "Event": event, "Head": head}, **kw)


def fed(date, item, qty, herd_name, unit="lb", lot=None, **kw):
    return dict({"Date": date, "Item": item, "Quantity": qty, "Unit": unit, "Use": "feed", "Herd": herd_name,
                 "Lot": lot}, **kw)


def one(frame, **match):
    sub = frame
    for k, v in match.items():
        sub = sub[sub[k] == v]
    assert len(sub) == 1, (match, sub)
    return sub.iloc[0]


def findings(rec, code):
    f = rec.findings
    return f[f["code"] == code]


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
