"""A farm's figures for one reconciliation: Crop and Harvest over the seasons asked."""
from __future__ import annotations

import pandas as pd

from massbal.engine import findings as F
from massbal.engine.load import Book

from .crop import crop_balances, field_findings, field_rows, field_yields, is_farm


def seasons_of(periods) -> list[int]:
    """The calendar years (seasons) that overlap the periods asked."""
    if not periods:
        return []
    return list(range(pd.Timestamp(periods[0][0]).year, pd.Timestamp(periods[-1][1]).year + 1))


def crop_figures(book: Book, ledger: pd.DataFrame, periods, item_keys: set | None = None):
    """(crop, fields, findings); crop and fields are None for a handler's book."""
    if not is_farm(book):
        return None, None, F.empty()
    years = seasons_of(periods)
    f = field_rows(book)
    if item_keys is not None:
        f_shown = f[f["crop_key"].isin(item_keys).to_numpy()]
    else:
        f_shown = f
    fields = field_yields(book, f_shown, set(years))
    crop = crop_balances(book, ledger, f, years, item_keys)
    return crop, fields, field_findings(book, fields)
