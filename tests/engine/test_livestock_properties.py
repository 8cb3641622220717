"""Properties of the livestock figures for any consistent herd (hypothesis draws the herds)."""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from bookkit import one
from farmkit import animals, fed, herd
from farmkit import livestock_book as farm_book
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from massbal.engine.api import prepare, reconcile_prepared

START = date(2025, 1, 1)
CHANGES = ("birth", "bought", "moved in", "sold", "slaughtered", "culled", "died", "moved out")


@st.composite
def herds(draw):
    """An opening count, then events and counts on random days of 2025; never below zero."""
    head = draw(st.integers(0, 60))
    rows = [animals("2024-12-31", "Flock", "count", head)]
    daily = []  # (day, head at the end of it) after each record, for the hand count below
    # one record a day: a count is the head at the end of its day, whatever else that day holds
    days = sorted(draw(st.lists(st.integers(0, 364), min_size=0, max_size=25, unique=True)))
    for d in days:
        day = START + timedelta(days=d)
        event = draw(st.sampled_from(CHANGES + ("count",)))
        if event == "count":
            head = draw(st.integers(0, 80))  # a count may differ from the books: it resets them
            n = head
        else:
            n = draw(st.integers(1, 10))
            if event in CHANGES[3:]:
                n = min(n, head)
                if n == 0:
                    continue
            head += n if event in CHANGES[:3] else -n
        rows.append(animals(str(day), "Flock", event, n, Organic="No"))
        daily.append((d, head))
    return rows, daily


def _hand_head_days(daily: list, opening: int, lo: int, hi: int) -> int:
    """Sum over days lo..hi (day numbers of 2025) of the head at the end of each day, walking
    day by day: the last record's head count carries until the next record."""
    total, head, k = 0, opening, 0
    for d in range(0, hi + 1):
        while k < len(daily) and daily[k][0] == d:
            head = daily[k][1]
            k += 1
        if d >= lo:
            total += head
    return total


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(herds())
def test_head_days_are_the_counted_and_rolled_head_count_summed_over_days(drawn):
    rows, daily = drawn
    prep = prepare(farm_book(Herds=[herd("Flock", 4, species="Sheep")], Animals=rows))
    rec = reconcile_prepared(prep, "2025-01-01", "2025-12-31", period="month")
    opening = rows[0]["Head"]
    months = pd.date_range("2025-01-01", periods=12, freq="MS")
    for m in months:
        lo, hi = (m - pd.Timestamp(START)).days, (m + pd.offsets.MonthEnd(0) - pd.Timestamp(START)).days
        expected = _hand_head_days(daily, opening, lo, hi)
        got = rec.herds[rec.herds["start"] == m]
        assert (float(got["head_days"].iloc[0]) if len(got) else 0.0) == expected
    year = reconcile_prepared(prep, "2025-01-01", "2025-12-31", period="all")
    total = float(year.herds["head_days"].sum()) if len(year.herds) else 0.0
    assert total == _hand_head_days(daily, opening, 0, 364) == float(rec.herds["head_days"].sum() if len(rec.herds) else 0)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(20, 120), st.floats(0.2, 0.9), st.integers(0, 4))
def test_months_or_a_year_give_the_same_season(head, fed_share, deaths):
    # a herd fed a steady share of its demand in the season: the season's pasture figure does
    # not depend on how the year is cut, and the months' pasture adds up to the season's
    death_days = [pd.Timestamp(f"2025-0{6 + i}-10") for i in range(deaths)]
    events = [animals("2024-12-31", "Cows", "count", head)] + [animals(str(d.date()), "Cows", "died", 1)
                                                               for d in death_days]
    # fed every day of the season, a steady share of what the herd on hand needs
    rows = [fed(str(d.date()), "Hay", round((head - sum(x <= d for x in death_days)) * 40 * fed_share / 0.9), "Cows")
            for d in pd.date_range("2025-05-01", "2025-10-15")]
    b = farm_book(Items=[{"Item": "Hay", "Kind": "Feed", "Dry matter %": 90}],
                  Herds=[herd("Cows", 40, **{"Grazing start": "2025-05-01", "Grazing end": "2025-10-15"})],
                  Animals=events, FarmUse=rows)
    prep = prepare(b)
    year = reconcile_prepared(prep, "2025-01-01", "2025-12-31", period="all")
    months = reconcile_prepared(prep, "2025-01-01", "2025-12-31", period="month")
    quarters = reconcile_prepared(prep, "2025-01-01", "2025-12-31", period="quarter")
    p = one(year.pasture, herd="Cows")
    assert one(months.pasture, herd="Cows").to_dict() == p.to_dict() == one(quarters.pasture, herd="Cows").to_dict()
    assert months.feed["pasture_dm"].sum() == pytest.approx(p.pasture_dm, abs=0.05)
    assert p.dmi_pct == pytest.approx(100 * (1 - fed_share), abs=0.2)
