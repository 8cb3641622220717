"""The weight spellings massbal accepts, written down (engine/units.py MASS_KEYS), each with
its factor worked by hand from the international definitions (1 lb = 0.45359237 kg,
1 oz = 1/16 lb, short ton = 2,000 lb, long ton = 2,240 lb); every other spelling that
pint reads as a weight is refused, never guessed."""
import pytest

from massbal.engine.units import AMBIGUOUS, MASS_KEYS, unit_info

LB = 0.45359237
ACCEPTED = {
    "kg": 1.0, "kilogram": 1.0, "kilograms": 1.0, "kilos": 1.0, "kgs": 1.0, "KG": 1.0,
    "g": 0.001, "gram": 0.001, "grams": 0.001, "mg": 1e-6, "milligram": 1e-6,
    "lb": LB, "lbs": LB, "LBS": LB, "pound": LB, "pounds": LB, "#": LB, "lb.": LB,
    "oz": LB / 16, "ounce": LB / 16, "ounces": LB / 16,
    "t": 1000.0, "tonne": 1000.0, "tonnes": 1000.0, "MT": 1000.0, "metric ton": 1000.0,
    "ton": 2000 * LB, "tons": 2000 * LB, "short ton": 2000 * LB, "long ton": 2240 * LB,
}


@pytest.mark.parametrize("unit,kg", ACCEPTED.items(), ids=list(ACCEPTED))
def test_accepted_weight_spellings(unit, kg):
    info = unit_info(unit)
    assert info.kind == "mass" and info.to_kg == pytest.approx(kg, rel=1e-12)
    assert info.key in MASS_KEYS


@pytest.mark.parametrize("unit", ["gr", "ct", "u", "dr", "st", "cwt", "grain", "carat", "dram", "stone",
                                  "hundredweight", "quintal", "dwt", "slug", "carats", "GR", "Ct."])
def test_weights_pint_knows_but_trade_does_not_mean_are_refused(unit):
    info = unit_info(unit)
    assert info.kind == "ambiguous" and info.to_kg is None


def test_every_ambiguous_spelling_says_what_to_type():
    for key, text in AMBIGUOUS.items():
        assert f"'{key}'" in text and ("Type " in text or "give the item" in text), key
