"""Livestock figures against cases worked by hand (CONTRACT section 6, issue 11).

Column letters follow farmkit.livestock_book: every schema column in schema order, so
Herds: A Herd, B Species, C Class, D Ruminant, E Dry matter demand, F Grazing start,
G Grazing end, H Product, I Output per head per day; Animals: A Date, B Herd, C Event,
D Head, E Organic, F Certificate; FarmUse: A Date, B Item, C Quantity, D Unit, E Use,
F Lot, G Field, H Herd; Items: ... H Dry matter %.
"""
import json

import pandas as pd
import pytest
from bookkit import findings, one
from farmkit import animals, fed, herd
from farmkit import livestock_book as farm_book

from massbal.engine.api import reconcile

SEASON = {"Grazing start": "2025-05-01", "Grazing end": "2025-10-15"}  # 168 days
CERTS = [{"Supplier": "Maple Hill Dairy", "Certificate": "PCO-1", "Items covered": "Livestock",
          "Valid from": "2024-01-01", "Valid to": "2026-12-31"}]


def test_contract_herd_of_120_passes():
    # 120 on 1 Jan, 10 born, 5 bought, 8 sold, 4 culled, 2 died, counted 121 on 31 Dec
    b = farm_book(
        Herds=[herd("Cows", 50)], Certificates=CERTS,
        Animals=[animals("2024-12-31", "Cows", "count", 120), animals("2025-03-01", "Cows", "birth", 10),
                 animals("2025-04-01", "Cows", "bought", 5, Certificate="PCO-1"),
                 animals("2025-06-01", "Cows", "sold", 8), animals("2025-07-01", "Cows", "culled", 4),
                 animals("2025-08-01", "Cows", "died", 2), animals("2025-12-31", "Cows", "count", 121)])
    rec = reconcile(b, "2025-01-01", "2025-12-31")
    r = one(rec.herds, herd="Cows")
    assert (r.beginning, r.born, r.bought, r.sold, r.culled, r.died) == (120, 10, 5, 8, 4, 2)
    assert (r.expected_ending, r.counted_ending, r.difference, r.status) == (121, 121, 0, "PASS")
    # 120 x 59 days + 130 x 31 + 135 x 61 + 127 x 30 + 123 x 31 + 121 x 153
    assert r.head_days == 7080 + 4030 + 8235 + 3810 + 3813 + 18513 == 45481
    assert findings(rec, "HEAD_COUNT").empty and findings(rec, "CERT_MISSING").empty
    j = json.loads(rec.to_json())
    assert j["herds"][0]["expected_ending"] == 121 and j["herds"][0]["status"] == "PASS"
    assert {"herds", "feed", "pasture"} <= set(j)


def test_count_that_does_not_close_is_head_count_at_the_count_cell():
    b = farm_book(
        Herds=[herd("Cows", 50)],
        Animals=[animals("2024-12-31", "Cows", "count", 120), animals("2025-03-01", "Cows", "died", 2),
                 animals("2025-12-31", "Cows", "count", 117)])
    rec = reconcile(b, "2025-01-01", "2025-12-31")
    r = one(rec.herds, herd="Cows")
    assert (r.expected_ending, r.counted_ending, r.difference, r.status) == (118, 117, -1, "INVESTIGATE")
    f = one(findings(rec, "HEAD_COUNT"), severity="error")
    assert (f.sheet, f.row, f.column, f.cell) == ("Animals", 4, "Head", "D4")
    assert "1 head fewer" in f.message


def _season_book(fed_dm_per_head: float):
    # 100 cows, 50 lb DM demand, fed a ration of 50 % dry matter every day of the season
    rows = [fed(str(d.date()), "Ration", fed_dm_per_head * 100 / 0.5, "Cows")
            for d in pd.date_range("2025-05-01", "2025-10-15")]
    return farm_book(
        Items=[{"Item": "Ration", "Kind": "Feed", "Dry matter %": 50}],
        Herds=[herd("Cows", 50, Ruminant="Yes", **SEASON)],
        Animals=[animals("2025-04-30", "Cows", "count", 100), animals("2025-10-15", "Cows", "count", 100)],
        FarmUse=rows)


@pytest.mark.parametrize("fed_lb,dmi,status", [(30, 40.0, "PASS"), (38, 24.0, "BELOW 30%")])
def test_contract_pasture_examples(fed_lb, dmi, status):
    rec = reconcile(_season_book(fed_lb), "2025-05-01", "2025-10-31")
    p = one(rec.pasture, herd="Cows")
    assert (p.days, p.head_days, p.demand_dm) == (168, 16800, 840000)
    assert p.fed_dm == pytest.approx(fed_lb * 16800)
    assert (p.dmi_pct, p.status) == (dmi, status)
    bad = findings(rec, "PASTURE_DMI")
    if status == "PASS":
        assert bad.empty
    else:
        f = one(bad, severity="error")
        assert (f.sheet, f.row, f.column, f.cell) == ("Herds", 2, "Herd", "A2")
        assert "24 %" in f.message


def test_season_crossing_the_period_edge():
    # October: 15 days in season (fed 30 of 50, pasture the rest), 16 out of it (fed 50)
    rows = [fed(str(d.date()), "Ration", (30 if d <= pd.Timestamp("2025-10-15") else 50) * 100 / 0.5, "Cows")
            for d in pd.date_range("2025-05-01", "2025-10-31")]
    b = farm_book(Items=[{"Item": "Ration", "Kind": "Feed", "Dry matter %": 50}],
                  Herds=[herd("Cows", 50, **SEASON)],
                  Animals=[animals("2025-04-30", "Cows", "count", 100)], FarmUse=rows)
    rec = reconcile(b, "2025-10-01", "2025-10-31")
    f = one(rec.feed, herd="Cows")
    assert (f.head_days, f.demand_dm) == (3100, 155000)
    assert f.fed_dm == pytest.approx(15 * 3000 + 16 * 5000)
    assert f.pasture_dm == pytest.approx(15 * 5000 - 15 * 3000)
    assert f.shortfall_dm == pytest.approx(0) and f.status == "PASS"
    # the pasture check takes the season whole, whatever part of it the period holds
    p = one(rec.pasture, herd="Cows")
    assert (p.start, p.end, p.days, p.dmi_pct) == (pd.Timestamp("2025-05-01"), pd.Timestamp("2025-10-15"), 168, 40.0)
    year = reconcile(b, "2025-01-01", "2025-12-31", period="month")
    assert one(year.pasture, herd="Cows").to_dict() == p.to_dict()


def test_herd_moved_between_groups_mid_season():
    b = farm_book(
        Herds=[herd("Cows", 50, **SEASON), herd("Heifers", 22, **SEASON)],
        Animals=[animals("2025-04-30", "Cows", "count", 100), animals("2025-04-30", "Heifers", "count", 40),
                 animals("2025-07-01", "Heifers", "moved out", 20), animals("2025-07-01", "Cows", "moved in", 20),
                 animals("2025-07-31", "Cows", "count", 120), animals("2025-07-31", "Heifers", "count", 20)])
    rec = reconcile(b, "2025-07-01", "2025-07-31")
    c, h = one(rec.herds, herd="Cows"), one(rec.herds, herd="Heifers")
    assert (c.beginning, c.moved_in, c.expected_ending, c.status) == (100, 20, 120, "PASS")
    assert (h.beginning, h.moved_out, h.expected_ending, h.status) == (40, 20, 20, "PASS")
    season = {r.herd: r for r in rec.pasture.itertuples()}
    # 61 days (May, June) before the move, 107 after
    assert season["Cows"].head_days == 61 * 100 + 107 * 120 == 18940
    assert season["Heifers"].head_days == 61 * 40 + 107 * 20 == 4580
    assert season["Heifers"].demand_dm == 4580 * 22
    assert findings(rec, "HERD_MOVE").empty


def test_move_with_no_other_side_is_said():
    b = farm_book(Herds=[herd("Cows", 50), herd("Heifers", 22)],
                  Animals=[animals("2025-04-30", "Heifers", "count", 40),
                           animals("2025-07-01", "Heifers", "moved out", 20)])
    rec = reconcile(b, "2025-07-01", "2025-07-31")
    f = one(findings(rec, "HERD_MOVE"), severity="warning")
    assert (f.sheet, f.row, f.cell) == ("Animals", 3, "D3")


def test_feed_with_no_dry_matter_is_an_error_at_the_items_cell():
    b = farm_book(
        Items=[{"Item": "Hay", "Kind": "Feed"}, {"Item": "Grain", "Kind": "Feed", "Dry matter %": 88}],
        Herds=[herd("Cows", 50)],
        Animals=[animals("2025-04-30", "Cows", "count", 10)],
        FarmUse=[fed("2025-05-02", "Hay", 1000, "Cows"), fed("2025-05-02", "Grain", 100, "Cows")])
    rec = reconcile(b, "2025-05-01", "2025-05-31")
    f = one(findings(rec, "MISSING_VALUE"), sheet="Items")
    assert (f.severity, f.row, f.column, f.cell) == ("error", 2, "Dry matter %", "H2")
    r = one(rec.feed, herd="Cows")
    assert (r.fed_dm, r.fed_without_dm, r.status) == (pytest.approx(88), 1000, "DM % MISSING")
    assert findings(rec, "FEED_SHORTFALL").empty  # no verdict on a figure massbal cannot know


def test_hens_have_no_pasture_and_their_eggs_are_checked():
    # 1,000 layers, 0.25 lb DM a day; fed 250 lb of mash (88 % DM) a day in January
    b = farm_book(
        Items=[{"Item": "Layer mash", "Kind": "Feed", "Dry matter %": 88},
               {"Item": "Eggs", "Kind": "Livestock product", "Unit": "each", "Kg per unit": 0.057}],
        Herds=[herd("Layers", 0.25, species="Chickens", Product="Eggs", **{"Output per head per day": 0.85})],
        Animals=[animals("2024-12-31", "Layers", "count", 1000)],
        FarmUse=[fed(f"2025-01-{d:02d}", "Layer mash", 250, "Layers") for d in range(1, 32)],
        Harvests=[{"Date": f"2025-01-{d:02d}", "Item": "Eggs", "Lot": f"E{d}", "Quantity": 1000, "Unit": "each",
                   "Herd": "Layers"} for d in range(1, 32)])
    rec = reconcile(b, "2025-01-01", "2025-01-31")
    assert rec.pasture.empty and findings(rec, "GRAZING_SEASON").empty
    f = one(rec.feed, herd="Layers")
    assert (f.head_days, f.demand_dm, f.pasture_dm) == (31000, 7750, 0)
    assert f.fed_dm == pytest.approx(31 * 250 * 0.88) and f.shortfall_dm == pytest.approx(930)
    assert (f.shortfall_pct, f.status) == (12.0, "SHORT")
    assert one(findings(rec, "FEED_SHORTFALL"), sheet="Herds").cell == "A2"
    # eggs: 31,000 against 31,000 head-days x 0.85 = 26,350 (in lb: x 0.057 kg)
    h = one(rec.herds, herd="Layers")
    lb = 0.057 / 0.45359237
    assert h.output == pytest.approx(31000 * lb) and h.output_expected == pytest.approx(26350 * lb)
    assert h.output_pct == 117.65
    w = one(findings(rec, "OUTPUT_OVER_EXPECTED"), severity="warning")
    assert (w.sheet, w.row, w.column, w.cell) == ("Herds", 2, "Output per head per day", "I2")


def test_herd_with_no_count():
    b = farm_book(
        Herds=[herd("Goats", 4.5, species="Goats")], Certificates=CERTS,
        Animals=[animals("2025-02-10", "Goats", "bought", 30, Organic="Yes", Certificate="PCO-1"),
                 animals("2025-03-05", "Goats", "birth", 12), animals("2025-03-20", "Goats", "sold", 5)])
    rec = reconcile(b, "2025-03-01", "2025-03-31")
    r = one(rec.herds, herd="Goats")
    assert (r.beginning, r.born, r.sold, r.expected_ending, r.status) == (30, 12, 5, 37, "NO COUNT")
    assert pd.isna(r.counted_ending) and pd.isna(r.difference)
    assert r.head_days == 30 * 4 + 42 * 15 + 37 * 12 == 1194


def test_fractional_head_and_bought_animals_without_certificate():
    b = farm_book(
        Herds=[herd("Cows", 50)], Certificates=CERTS,
        Animals=[animals("2025-01-31", "Cows", "count", 10), animals("2025-02-03", "Cows", "birth", 1.5),
                 animals("2025-02-04", "Cows", "bought", 2),
                 animals("2025-02-05", "Cows", "bought", 2, Certificate="PCO-1"),
                 animals("2025-02-06", "Cows", "bought", 3, Organic="No"),
                 animals("2025-02-07", "Cows", "bought", 1, Certificate="PCO-1", Date="2027-02-07")])
    rec = reconcile(b, "2025-02-01", "2025-02-28")
    q = one(findings(rec, "BAD_QUANTITY"), sheet="Animals")
    assert (q.row, q.cell) == (3, "D3") and "whole" in q.message
    assert one(findings(rec, "CERT_MISSING"), sheet="Animals").cell == "F4"
    assert findings(rec, "CERT_MISSING")["row"].tolist() == [4]  # Organic = No needs none
    assert one(findings(rec, "CERT_EXPIRED"), sheet="Animals").cell == "A7"
    r = one(rec.herds, herd="Cows")
    assert (r.born, r.bought) == (0, 7)  # the 1.5 is left out


def test_conventional_feed_lot_and_unknown_herd():
    b = farm_book(
        Items=[{"Item": "Ration", "Kind": "Feed", "Dry matter %": 89}],
        Receipts=[{"Date": "2025-03-01", "Item": "Ration", "Lot": "R-3", "Quantity": 5000, "Unit": "lb",
                   "Supplier": "County Mill", "Organic": "No"},
                  {"Date": "2025-03-01", "Item": "Ration", "Lot": "R-4", "Quantity": 5000, "Unit": "lb",
                   "Supplier": "Northern", "Certificate": "C-9"}],
        Certificates=[{"Supplier": "Northern", "Certificate": "C-9", "Valid to": "2030-01-01"}],
        Herds=[herd("Cows", 50)],
        Animals=[animals("2025-02-28", "Cows", "count", 10)],
        FarmUse=[fed("2025-03-02", "Ration", 1000, "Cows", lot="R-3"),
                 fed("2025-03-03", "Ration", 1000, "Cows", lot="R-4"),
                 fed("2025-03-04", "Ration", 1000, "Cowz", lot="R-4")])
    rec = reconcile(b, "2025-03-01", "2025-03-31")
    n = one(findings(rec, "NONORGANIC_FEED"), severity="error")
    assert (n.sheet, n.row, n.column, n.cell) == ("FarmUse", 2, "Lot", "F2")
    u = one(findings(rec, "UNKNOWN_HERD"), sheet="FarmUse")
    assert (u.row, u.cell) == (4, "H4")
    r = one(rec.feed, herd="Cows")
    assert r.fed_nonorganic_dm == pytest.approx(890) and r.fed_organic_dm == pytest.approx(890)


def test_body_weight_typed_as_demand_says_what_to_fill_in():
    b = farm_book(Herds=[herd("Cows", 1400)], Animals=[animals("2025-01-31", "Cows", "count", 10)])
    rec = reconcile(b, "2025-02-01", "2025-02-28")
    f = one(findings(rec, "BAD_VALUE"), sheet="Herds")
    assert (f.row, f.column, f.cell) == (2, "Dry matter demand", "E2")
    assert "body weight" in f.message and "35 to 42 lb" in f.message
    r = one(rec.feed, herd="Cows")
    assert r.status == "NO DEMAND" and pd.isna(r.demand_dm)


def test_a_handlers_json_has_no_livestock_keys():
    from bookkit import book, certified, receipt
    rec = reconcile(book(Items=[{"Item": "Oats"}], Certificates=[certified()],
                         Receipts=[receipt("2025-01-02", "Oats", "L1", 10)]), "2025-01-01", "2025-01-31")
    assert rec.herds is None
    assert not {"herds", "feed", "pasture"} & set(json.loads(rec.to_json()))


def test_ruminants_without_a_grazing_season():
    b = farm_book(Herds=[herd("Steers", 25), herd("Pigs", 5, species="Swine")],
                  Animals=[animals("2025-03-31", "Steers", "count", 30), animals("2025-03-31", "Pigs", "count", 30)])
    rec = reconcile(b, "2025-04-01", "2025-12-31")
    f = one(findings(rec, "GRAZING_SEASON"), severity="error")
    assert (f.sheet, f.row, f.column, f.cell) == ("Herds", 2, "Grazing start", "F2")  # not the pigs' row
    assert rec.pasture.empty
