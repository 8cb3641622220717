"""Livestock's four balances in one place (CONTRACT section 6): the herd balance (sheet
Herd, JSON herds), the feed balance (Feed, feed), the pasture check (Pasture, pasture)
and the product output on each Herd row.

`prepare_livestock` reads and checks Herds, Animals, the feed rows and the herds'
harvests once; `livestock_results` answers any list of periods from that. A book with
neither Herds nor Animals (a handler's, a crop farm's) has no livestock: None.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from massbal.engine import findings as F
from massbal.engine.load import Book

from .feed import FarmSettings, farm_settings, feed_balance, feeding, herd_output, pasture
from .herd import Herds, herd_balance, herd_key, read_herds


@dataclass(frozen=True)
class Livestock:
    book: Book
    herds: Herds
    feed: pd.DataFrame      # FarmUse feed rows, with dry matter and organic status
    output: pd.DataFrame    # Harvests rows taken from a herd
    settings: FarmSettings
    findings: pd.DataFrame  # about the input rows, whatever the period


@dataclass(frozen=True)
class LivestockResults:
    herds: pd.DataFrame
    feed: pd.DataFrame
    pasture: pd.DataFrame
    findings: pd.DataFrame


def has_livestock(book: Book) -> bool:
    return "Herds" in book.present or "Animals" in book.present


def prepare_livestock(book: Book, extra_days: tuple = ()) -> Livestock | None:
    if not has_livestock(book):
        return None
    herds = read_herds(book, extra_days)
    fed, f_feed = feeding(book, herds)
    out, f_out = herd_output(book, herds)
    st, f_set = farm_settings(book)
    return Livestock(book, herds, fed, out, st, F.combine([herds.findings, f_feed, f_out, f_set]))


def livestock_results(lv: Livestock, periods, today: pd.Timestamp | None = None) -> LivestockResults:
    """Herd, Feed and Pasture rows for the periods (pasture: every grazing season they touch)."""
    h = lv.herds
    lo, hi = pd.Timestamp(periods[0][0]), pd.Timestamp(periods[-1][1])
    if lo < h.days[0] or hi > h.days[-1]:  # periods beyond the data: the series must cover them
        h = read_herds(lv.book, (lo, hi))
        lv = Livestock(lv.book, h, lv.feed, lv.output, lv.settings, lv.findings)
    periods = [(pd.Timestamp(s), pd.Timestamp(e)) for s, e in periods]
    herd_rows, f_herd = herd_balance(h, lv.output, periods, lv.settings.harvest_tolerance_pct, lv.book)
    feed_rows, f_feed = feed_balance(h, lv.feed, periods, lv.settings, lv.book)
    past_rows, f_past = pasture(h, lv.feed, lo, hi, lv.settings, lv.book, today)
    return LivestockResults(herd_rows, feed_rows, past_rows, F.combine([f_herd, f_feed, f_past]))


def head_on(lv: Livestock, herd: str, when) -> float:
    """MASSBAL_HEAD: the herd's head count at the end of that day (counted and rolled)."""
    key = herd_key(herd)
    if key not in lv.herds.herds.index:
        raise KeyError(herd)
    when = pd.Timestamp(when).normalize()
    h = lv.herds if lv.herds.days[0] <= when <= lv.herds.days[-1] else read_herds(lv.book, (when,))
    return h.head_on(key, when)


def dmi_for(lv: Livestock, herd: str, year: int) -> dict | None:
    """MASSBAL_DMI: the Pasture row of the herd's grazing season that starts in `year`, or None."""
    key = herd_key(herd)
    if key not in lv.herds.herds.index:
        raise KeyError(herd)
    lo, hi = pd.Timestamp(int(year), 1, 1), pd.Timestamp(int(year), 12, 31)
    rows, _ = pasture(lv.herds if lv.herds.days[-1] >= hi else read_herds(lv.book, (lo, hi)),
                      lv.feed, lo, hi, lv.settings, lv.book)
    if rows.empty:
        return None
    rows = rows[(rows["herd"].map(herd_key) == key) & (pd.to_datetime(rows["start"]).dt.year == int(year))]
    return rows.iloc[0].to_dict() if len(rows) else None
