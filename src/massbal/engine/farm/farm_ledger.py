"""A farm's movements for the ledger (CONTRACT section 6): Harvests come in, FarmUse and
Applications go out.

A harvest is organic only when everything says so: the item is organic, the harvest row
does not say No, and the field it came from is Organic = Yes for that season (the
calendar year of the harvest). A transitional field, a conventional field or a buffer
strip harvested as conventional gives stock, never organic supply.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from massbal.engine.load import Book
from massbal.engine.parse import match_keys

FARM_MOVEMENTS = ("Harvests", "FarmUse", "Applications")


def field_keys(values: pd.Series) -> np.ndarray:
    """Match keys of field (or herd) names: 'N40', 'n40 ' and 'N40' are one field."""
    codes, uniques = pd.factorize(values.astype(object))
    keys = match_keys(pd.Series(np.asarray(uniques, dtype=object)))
    return np.append(keys, "")[codes]


def field_status(text) -> str:
    """A Fields row's Organic cell as Yes / Transition / No (blank: Yes)."""
    s = str(text).strip().casefold() if isinstance(text, str) else ""
    if s.startswith("t"):
        return "Transition"
    if s.startswith("n"):
        return "No"
    return "Yes"


def fields_table(book: Book) -> pd.DataFrame:
    """The Fields rows with match keys: field_key, season (int), crop_key, seed_key, status."""
    f = book.tables["Fields"]
    codes = {k: i for i, k in enumerate(book.codes.get("item", []))}
    crop_keys = match_keys(f["crop"].astype(object))
    seed_keys = match_keys(f["seed"].astype(object))
    return f.assign(
        field_key=field_keys(f["field"]),
        season=f["season"].astype(float).round().astype("Int64"),
        crop_key=[codes.get(k, -1) for k in crop_keys],
        seed_key=[codes.get(k, -1) if k else 0 for k in seed_keys],
        status=f["organic"].map(field_status).astype(object),
    )


def harvest_field_status(book: Book, fields: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per Harvests row: field_key, season, status of its field that season ('Yes',
    'Transition', 'No', or None when the row names a field with no Fields row that season)."""
    h = book.tables["Harvests"]
    fields = fields_table(book) if fields is None else fields
    fk = field_keys(h["field"])
    season = h["date"].dt.year.astype("Int64")
    out = pd.DataFrame({"field_key": fk, "season": season.to_numpy(), "item_key": h["item_key"].to_numpy()})
    # the field's row for this crop that season, else any of its rows that season
    by_crop = fields.drop_duplicates(["field_key", "season", "crop_key"])[["field_key", "season", "crop_key", "status"]]
    any_row = fields.drop_duplicates(["field_key", "season"])[["field_key", "season", "status"]]
    out = out.merge(by_crop.rename(columns={"crop_key": "item_key", "status": "s1"}),
                    on=["field_key", "season", "item_key"], how="left")
    out = out.merge(any_row.rename(columns={"status": "s2"}), on=["field_key", "season"], how="left")
    status = out["s1"].where(out["s1"].notna(), out["s2"])
    status = status.where(fk != "", None)
    return pd.DataFrame({"field_key": fk, "season": season.to_numpy(), "status": status.to_numpy()}, index=h.index)


def harvest_organic(book: Book, status: pd.DataFrame) -> pd.Series:
    h = book.tables["Harvests"]
    item_org = h["item_key"].map(book.items["organic"]).fillna(True).astype(bool)
    said = h["organic"]
    said_no = said.notna() & ~said.fillna(True).astype(bool)
    st = status["status"]
    # a field-less harvest (milk from a herd) is as organic as its row or item says; a
    # field with no row that season is not known to be organic (UNKNOWN_FIELD says so)
    field_ok = st.eq("Yes") | (status["field_key"] == "")
    return (item_org & ~said_no & field_ok).astype(bool)


def farm_parts(book: Book):
    """(kind, table, extra ledger columns) for each farm movement table."""
    T = book.tables
    h = T["Harvests"]
    st = harvest_field_status(book)
    partner = h["field"].where(h["field"].notna(), h["herd"])
    yield "harvested", "Harvests", dict(partner=partner, organic=harvest_organic(book, st))
    u = T["FarmUse"]
    yield "farm use", "FarmUse", dict(partner=u["field"].where(u["field"].notna(), u["herd"]), reason=u["use"])
    a = T["Applications"]
    yield "applied", "Applications", dict(partner=a["field"])
