"""The JSON of a farm's Crop and Harvest figures (CONTRACT section 6: `crop`, `fields`)."""
from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel

FARM_JSON = ("crop", "fields")


class CropOut(BaseModel):
    crop: str
    season: int
    start: date
    end: date
    beginning: float  # A
    harvested: float  # B, organic harvests
    bought: float  # C, organic receipts
    sold: float  # D
    losses: float  # E
    farm_use: float  # F, seed and feed
    accounted: float
    counted_ending: float | None  # G
    difference: float | None
    acres: float
    expected_harvest: float
    harvest_pct: float | None
    tolerance_pct: float
    status: Literal["PASS", "INVESTIGATE", "NEGATIVE", "NO COUNT", "OVER EXPECTED"]


class FieldOut(BaseModel):
    field: str
    crop: str
    season: int
    organic: str
    acres: float
    expected_yield: float
    yield_unit: str | None
    harvested_per_acre: float | None
    expected_harvest: float | None
    harvested: float
    harvest_pct: float | None
    seed: str | None
    seed_planted: float
    seed_expected: float | None
    yield_source: str | None
    status: Literal["PASS", "OVER EXPECTED", "UNDER EXPECTED", "NO HARVEST", "NO EXPECTED"]


def farm_models(rec) -> dict:
    """crop and fields for ReconcileOut (absent, not empty, for a handler's book)."""
    from massbal.engine.result import _records

    from .crop import CROP_COLUMNS, FIELD_COLUMNS
    out = {}
    if rec.crop is not None:
        out["crop"] = [CropOut(**r) for r in _records(rec.crop, CROP_COLUMNS)]
    if rec.fields is not None:
        out["fields"] = [FieldOut(**r) for r in _records(rec.fields, FIELD_COLUMNS)]
    return out
