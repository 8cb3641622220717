"""Units: one pint registry for the whole program.

Quantities enter as (number, unit text, item) and leave as numbers in the report unit.
The conversion factor of each distinct (unit, item) pair is asked of pint once, then
applied to whole columns; pint decides every factor, nothing here is a hand-typed
constant. Only the unambiguous weight spellings of MASS_KEYS go to pint: food trade
uses short spellings that pint reads as something else ('ct' is a count there, a carat
to pint; 'gr' is grams to most people, grains to pint), and a guess there is a silently
wrong figure. The item's own Unit wins: any unit (case, ctn, btl, ct, bushel, gallon ...)
converts through the item's 'Kg per unit' when it is the item's declared Unit, and only
then: a bushel of oats is not a bushel of wheat, and a case is not an each.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import pint

_registry: pint.UnitRegistry | None = None


def registry(make=pint.UnitRegistry) -> pint.UnitRegistry:
    """The one pint registry, made by `make` on first use and kept for the whole run. Parsing
    pint's definitions takes 0.35-0.55 s, so a face that keeps them parsed on disk calls this
    first with its own maker (massbal/unit_cache.py; the engine itself reads no file)."""
    global _registry
    if _registry is None:
        _registry = make()
    return _registry


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


# The weight spellings massbal hands to pint, after unit_key (case, dots, plurals and
# the _ALIASES folded). Nothing else is taken as a weight, however pint reads it.
MASS_KEYS = frozenset({
    "kg", "g", "mg", "lb", "oz", "tonne", "metric_ton", "ton", "short_ton", "long_ton",
    "kilogram", "gram", "milligram", "pound", "ounce", "milligrams", "grams",
})

# Spellings that mean different things in food trade; what to type instead. They are
# accepted only as an item's own declared Unit (with its Kg per unit).
AMBIGUOUS = {
    "gr": "'gr' means grams to some and grains to others. Type g for grams",
    "grain": "'grain' is a tiny apothecary weight (0.065 g), not a unit of trade. Type g, kg or lb",
    "ct": "'ct' is a count of pieces in food trade but carats to a unit converter. For pieces, "
          "give the item ct as its Unit and a Kg per unit on the Items sheet",
    "carat": "'carat' is a jeweller's weight (0.2 g). Type g, kg or lb",
    "u": "'u' can be a unit (each) or an atomic mass unit. For pieces, give the item u as its "
         "Unit and a Kg per unit on the Items sheet",
    "dr": "'dr' can be a dram (1.77 g or 3.89 g) or a drum. Type g, or for drums give the "
          "item dr as its Unit and a Kg per unit on the Items sheet",
    "dram": "'dram' has two sizes (1.77 g avoirdupois, 3.89 g apothecary). Type g, kg or lb",
    "st": "'st' can be a stone (14 lb) or a piece (Stück). Type lb or kg, or for pieces give "
          "the item st as its Unit and a Kg per unit on the Items sheet",
    "stone": "'stone' (14 lb) is rarely meant in trade. Type lb or kg",
    "cwt": "'cwt' is 100 lb in the US but 112 lb in the UK. Type lb or kg",
    "hundredweight": "'hundredweight' is 100 lb in the US but 112 lb in the UK. Type lb or kg",
    "q": "'q' can be a quintal (100 kg, or 46 kg in old Spanish use) or a count. Type kg",
    "quintal": "'quintal' is 100 kg in most places but 46 kg in old Spanish use. Type kg",
    "dwt": "'dwt' is a pennyweight (1.56 g) or deadweight tonnage. Type g, kg or lb",
}


@dataclass(frozen=True)
class UnitInfo:
    key: str
    kind: str  # "mass", "ambiguous", "volume", "count", "other", "unknown"
    to_kg: float | None  # for mass units


@lru_cache(maxsize=4096)
def unit_info(text: str) -> UnitInfo:
    key = unit_key(text)
    raw = " ".join(str(text).strip().casefold().replace(".", "").split())
    if not key:
        return UnitInfo(key, "unknown", None)
    if raw in AMBIGUOUS or key in AMBIGUOUS:
        return UnitInfo(raw if raw in AMBIGUOUS else key, "ambiguous", None)
    if key in COUNT_UNITS:
        return UnitInfo(key, "count", None)
    ureg = registry()
    try:
        q = ureg.Quantity(1.0, key)
    except Exception:  # pint raises several kinds for odd text ('#', '1/0', ...)
        return UnitInfo(key, "unknown", None)
    if q.check("[mass]"):
        if key in MASS_KEYS:
            return UnitInfo(key, "mass", float(q.to(ureg.kilogram).magnitude))
        return UnitInfo(key, "ambiguous", None)  # a weight pint knows but trade does not use
    if q.check("[volume]"):
        return UnitInfo(key, "volume", None)
    return UnitInfo(key, "other", None)


def report_factor(report_unit: str) -> float:
    """How many report units one kilogram is."""
    info = unit_info(report_unit)
    if info.kind != "mass":
        raise ValueError(f"report unit {report_unit!r} is not a unit of mass")
    ureg = registry()
    return float(ureg.Quantity(1.0, ureg.kilogram).to(unit_key(report_unit)).magnitude)


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
    # one conversion per distinct (unit text, item) pair, found on integer codes; the text
    # of a distinct unit is made once (an empty cell is ''), not per row
    ucode, uniq = pd.factorize(units.to_numpy(dtype=object), use_na_sentinel=True)
    uniq_u = np.array([str(u) for u in uniq] + [""], dtype=object)
    ucode = np.where(ucode < 0, len(uniq), ucode)
    icode, uniq_i = pd.factorize(items.to_numpy(), use_na_sentinel=False)
    pair, uniq_p = pd.factorize(ucode.astype(np.int64) * max(len(uniq_i), 1) + icode, use_na_sentinel=False)
    factors = np.empty(len(uniq_p), dtype=float)
    problems = np.empty(len(uniq_p), dtype=object)
    for j, p in enumerate(uniq_p):
        u, i = divmod(int(p), max(len(uniq_i), 1))
        factors[j], problems[j] = _factor_for(uniq_u[u], uniq_i[i], item_units, item_kg_per_unit)
    return Conversion(pd.Series(factors[pair], index=units.index),
                      pd.Series(problems[pair], index=units.index, dtype=object))


def unit_problem(info: UnitInfo, shown: str) -> str:
    """What to type instead of a unit that is not an unambiguous weight."""
    if info.kind == "ambiguous":
        return AMBIGUOUS.get(info.key, f"'{shown}' is not a unit of weight used in trade. Type g, kg or lb") + "."
    return f"'{shown}' is not a unit of weight. Type lb, kg, g, oz, tonne or ton."


def _factor_for(unit_text: str, item: str, item_units: dict[str, str],
                item_kg_per_unit: dict[str, float]) -> tuple[float, str | None]:
    info = unit_info(unit_text)
    if info.kind == "mass":
        return info.to_kg, None
    kpu = item_kg_per_unit.get(item)
    own = item_units.get(item)
    shown = unit_text.strip()
    has_kpu = kpu is not None and np.isfinite(kpu) and kpu > 0
    if own is not None and unit_key(own) == info.key and has_kpu:
        return float(kpu), None  # the item's own declared Unit wins, whatever else it could mean
    if info.kind == "ambiguous":
        return np.nan, unit_problem(info, shown)
    if info.kind == "unknown" and own is not None and unit_key(own) == info.key:
        return np.nan, (f"'{shown}' is this item's own unit, so it needs a Kg per unit on the Items "
                        "sheet before massbal can turn it into weight.")
    if info.kind == "unknown":
        return np.nan, f"'{shown}' is not a unit massbal knows. Use a unit of weight such as lb or kg, or the item's own unit from the Items sheet."
    if not has_kpu:
        what = {"volume": "a volume", "count": "a count of packages"}.get(info.kind, "not a weight")
        return np.nan, (f"'{shown}' is {what}, so it cannot be turned into weight until the Items "
                        f"sheet gives this item's Unit as '{shown}' and its Kg per unit.")
    if own is None or unit_key(own) != info.key:
        return np.nan, (f"'{shown}' is not this item's unit: the Items sheet gives Kg per unit for "
                        f"'{own or '(no unit)'}'. Enter the quantity in '{own or 'lb'}' or in a unit of weight.")
    return float(kpu), None


