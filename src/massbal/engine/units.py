"""Units: one pint registry for the whole program.

Quantities enter as (number, unit text, item) and leave as numbers in the report unit.
The conversion factor of each distinct (unit, item) pair is asked of pint once, then
applied to whole columns; pint decides every factor, nothing here is a hand-typed
constant. Mass units convert directly. Count and volume units (case, each, bag, tote,
bushel, gallon ...) convert only through the item's 'Kg per unit', and only when the
row's unit is the item's own Unit: a bushel of oats is not a bushel of wheat, and a
case is not an each.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import pint

ureg = pint.UnitRegistry()
Q_ = ureg.Quantity

# Spellings people type that pint reads differently or not at all. 'mt' in trade is a
# metric ton, never pint's milli-tonne (1 kg); 'kgs', 'kilos' are plurals pint lacks.
_ALIASES = {
    "mt": "metric_ton", "mts": "metric_ton", "metric ton": "metric_ton",
    "metric tons": "metric_ton", "tonnes": "tonne", "tons": "ton", "t": "tonne",
    "kgs": "kg", "kilo": "kg", "kilos": "kg", "kilogram": "kg", "kilograms": "kg",
    "lbs": "lb", "lb": "lb", "pound": "lb", "pounds": "lb", "#": "lb",
    "short ton": "short_ton", "short tons": "short_ton", "long ton": "long_ton",
    "long tons": "long_ton", "us ton": "short_ton", "grams": "g", "gram": "g",
    "ozs": "oz", "ounce": "oz", "ounces": "oz", "cwt": "cwt",
    "gal": "gallon", "gals": "gallon", "gallons": "gallon", "bu": "bushel",
    "bushels": "bushel", "litre": "liter", "litres": "liter", "liters": "liter",
}

# Units that count packages or pieces: they have no mass of their own.
COUNT_UNITS = frozenset({
    "case", "each", "ea", "bag", "tote", "box", "carton", "pallet", "drum", "sack",
    "bin", "jar", "bottle", "pack", "unit", "piece", "pc", "pcs", "bale", "crate",
    "bucket", "pail", "can", "head", "dozen",
})


def unit_key(text: object) -> str:
    """Canonical spelling of a unit as typed: case, dots, plural 's' and spaces folded."""
    s = " ".join(str(text).strip().casefold().replace(".", "").split())
    if s in _ALIASES:
        return _ALIASES[s]
    if s.endswith("s") and s[:-1] in COUNT_UNITS:
        return s[:-1]
    if s.endswith("es") and s[:-2] in COUNT_UNITS:  # boxes
        return s[:-2]
    return s.replace(" ", "_")


@dataclass(frozen=True)
class UnitInfo:
    key: str
    kind: str  # "mass", "volume", "count", "other", "unknown"
    to_kg: float | None  # for mass units


@lru_cache(maxsize=4096)
def unit_info(text: str) -> UnitInfo:
    key = unit_key(text)
    if not key:
        return UnitInfo(key, "unknown", None)
    if key in COUNT_UNITS:
        return UnitInfo(key, "count", None)
    try:
        q = Q_(1.0, key)
    except Exception:  # pint raises several kinds for odd text ('#', '1/0', ...)
        return UnitInfo(key, "unknown", None)
    if q.check("[mass]"):
        return UnitInfo(key, "mass", float(q.to(ureg.kilogram).magnitude))
    if q.check("[volume]"):
        return UnitInfo(key, "volume", None)
    return UnitInfo(key, "other", None)


def report_factor(report_unit: str) -> float:
    """How many report units one kilogram is."""
    info = unit_info(report_unit)
    if info.kind != "mass":
        raise ValueError(f"report unit {report_unit!r} is not a unit of mass")
    return float(Q_(1.0, ureg.kilogram).to(unit_key(report_unit)).magnitude)


def report_unit_label(report_unit: str) -> str:
    return str(report_unit).strip() or "lb"


@dataclass(frozen=True)
class Conversion:
    factor: pd.Series  # kg per row unit, NaN where the unit could not be converted
    problem: pd.Series  # plain sentence per row where it could not, else None


def kg_factors(units: pd.Series, items: pd.Series, item_units: dict[str, str],
               item_kg_per_unit: dict[str, float]) -> Conversion:
    """Kilograms per one row unit, for every row, with a sentence where impossible.

    units: the unit cell text per row; items: the item match key per row;
    item_units / item_kg_per_unit: by item key, from the Items table.
    """
    u_txt = units.astype(object).where(units.notna(), "")
    # one conversion per distinct (unit text, item) pair, found on integer codes
    ucode, uniq_u = pd.factorize(u_txt.astype(str).to_numpy(dtype=object), use_na_sentinel=False)
    icode, uniq_i = pd.factorize(items.to_numpy(), use_na_sentinel=False)
    pair, uniq_p = pd.factorize(ucode.astype(np.int64) * max(len(uniq_i), 1) + icode, use_na_sentinel=False)
    factors = np.empty(len(uniq_p), dtype=float)
    problems = np.empty(len(uniq_p), dtype=object)
    for j, p in enumerate(uniq_p):
        u, i = divmod(int(p), max(len(uniq_i), 1))
        factors[j], problems[j] = _factor_for(uniq_u[u], uniq_i[i], item_units, item_kg_per_unit)
    return Conversion(pd.Series(factors[pair], index=units.index),
                      pd.Series(problems[pair], index=units.index, dtype=object))


def _factor_for(unit_text: str, item: str, item_units: dict[str, str],
                item_kg_per_unit: dict[str, float]) -> tuple[float, str | None]:
    info = unit_info(unit_text)
    if info.kind == "mass":
        return info.to_kg, None
    kpu = item_kg_per_unit.get(item)
    own = item_units.get(item)
    shown = unit_text.strip()
    if info.kind == "unknown":
        return np.nan, f"'{shown}' is not a unit massbal knows. Use a unit of weight such as lb or kg, or the item's own unit from the Items sheet."
    if kpu is None or not np.isfinite(kpu) or kpu <= 0:
        what = {"volume": "a volume", "count": "a count of packages"}.get(info.kind, "not a weight")
        return np.nan, (f"'{shown}' is {what}, so it cannot be turned into weight until the Items "
                        f"sheet gives this item's Unit as '{shown}' and its Kg per unit.")
    if own is None or unit_key(own) != info.key:
        return np.nan, (f"'{shown}' is not this item's unit: the Items sheet gives Kg per unit for "
                        f"'{own or '(no unit)'}'. Enter the quantity in '{own or 'lb'}' or in a unit of weight.")
    return float(kpu), None


