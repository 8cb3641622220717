"""What one reconciliation produces, and its JSON form (CONTRACT.md section 4).

The frames below are the single source for the CLI's JSON, the Balance/Supply/Yield/
Exceptions/Ledger sheets, the worksheet functions and the inspector export.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import numpy as np
import pandas as pd
from pandas.core.dtypes.cast import maybe_box_native
from pydantic import BaseModel, ConfigDict, TypeAdapter

from massbal.engine.farm.farm_models import CropOut, FieldOut, farm_models
from massbal.engine.frames import distinct_by_bits

BALANCE_COLUMNS = [
    "item", "owner", "start", "end", "beginning", "received", "harvested", "produced", "used",
    "farm_use", "applied", "shipped", "losses", "expected_ending", "counted_ending", "variance", "variance_pct",
    "tolerance_pct", "status",
]
SUPPLY_COLUMNS = [
    "ingredient", "owner", "start", "end", "available", "shipped_equivalent",
    "losses_equivalent", "farm_use_equivalent", "on_hand_equivalent", "unaccounted", "tolerance_pct", "status",
]
YIELD_COLUMNS = [
    "batch", "product", "date", "owner", "input", "output", "process_loss",
    "documented_loss", "undocumented_loss", "yield_pct",
]
FINDING_COLUMNS = ["severity", "code", "sheet", "row", "column", "cell", "message"]
CLOSED_COLUMNS = ["closed", "as_closed"]  # added to balances by engine.closing
LEDGER_COLUMNS = [
    "date", "kind", "item", "lot", "owner", "location", "qty", "effect", "batch",
    "partner", "certificate", "organic", "reference", "sheet", "row",
]

INVESTIGATION_COLUMNS = [
    "figure", "item", "owner", "start", "end", "variance", "rank", "cause", "sheet", "row", "column",
    "cell", "typed", "suggested", "variance_after", "variance_pct_after", "status_after",
    "other_start", "other_end", "other_variance", "other_variance_after", "other_status_after",
    "explanation",
]
# Livestock (CONTRACT section 6): only a book with Herds or Animals has these rows.
HERD_COLUMNS = [
    "herd", "start", "end", "beginning", "born", "bought", "moved_in", "sold", "slaughtered", "culled",
    "moved_out", "died", "expected_ending", "counted_ending", "difference", "head_days", "output",
    "output_expected", "output_pct", "status",
]
FEED_COLUMNS = [
    "herd", "start", "end", "head_days", "demand_dm", "fed_dm", "fed_organic_dm", "fed_nonorganic_dm",
    "fed_without_dm", "pasture_dm", "shortfall_dm", "shortfall_pct", "tolerance_pct", "status",
]
PASTURE_COLUMNS = ["herd", "start", "end", "days", "head_days", "demand_dm", "fed_dm", "pasture_dm", "dmi_pct",
                   "status"]

BalanceStatus = Literal["PASS", "INVESTIGATE", "NEGATIVE", "NO COUNT"]
SupplyStatus = Literal["PASS", "INVESTIGATE", "OVERSOLD"]


class BalanceOut(BaseModel):
    model_config = ConfigDict(extra="allow")  # `closed` and `as_closed` once a period is closed
    item: str
    owner: str | None
    start: date
    end: date
    beginning: float
    received: float
    harvested: float = 0.0  # farms (CONTRACT section 6): zero for a handler
    produced: float
    used: float
    farm_use: float = 0.0
    applied: float = 0.0
    shipped: float
    losses: float
    expected_ending: float
    counted_ending: float | None
    variance: float | None
    variance_pct: float | None
    tolerance_pct: float
    status: BalanceStatus


class SupplyOut(BaseModel):
    ingredient: str
    owner: str | None
    start: date
    end: date
    available: float
    shipped_equivalent: float
    losses_equivalent: float
    farm_use_equivalent: float = 0.0  # farms: seed planted, feed fed, inputs applied
    on_hand_equivalent: float
    unaccounted: float
    tolerance_pct: float
    status: SupplyStatus


class YieldOut(BaseModel):
    batch: str
    product: str
    date: date | None
    owner: str | None
    input: float
    output: float
    process_loss: float
    documented_loss: float
    undocumented_loss: float
    yield_pct: float | None


class FindingOut(BaseModel):
    severity: Literal["error", "warning", "info"]
    code: str
    sheet: str | None
    row: int | None
    column: str | None
    message: str


class InvestigationOut(BaseModel):
    """One candidate cell for a flagged figure (CONTRACT section 7); cause is null on the
    one row of a figure for which no single corrected cell closes the gap."""
    figure: Literal["Balance", "Supply"]
    item: str
    owner: str | None
    start: date
    end: date
    variance: float | None
    rank: int | None
    cause: str | None
    sheet: str | None
    row: int | None
    column: str | None
    cell: str | None
    typed: float | str | None
    suggested: float | str | None
    variance_after: float | None
    variance_pct_after: float | None
    status_after: str | None
    other_start: date | None
    other_end: date | None
    other_variance: float | None
    other_variance_after: float | None
    other_status_after: str | None
    explanation: str
class HerdOut(BaseModel):
    herd: str
    start: date
    end: date
    beginning: float
    born: float
    bought: float
    moved_in: float
    sold: float
    slaughtered: float
    culled: float
    moved_out: float
    died: float
    expected_ending: float
    counted_ending: float | None
    difference: float | None
    head_days: float
    output: float | None
    output_expected: float | None
    output_pct: float | None
    status: str


class FeedOut(BaseModel):
    herd: str
    start: date
    end: date
    head_days: float
    demand_dm: float | None
    fed_dm: float
    fed_organic_dm: float
    fed_nonorganic_dm: float
    fed_without_dm: float
    pasture_dm: float | None
    shortfall_dm: float | None
    shortfall_pct: float | None
    tolerance_pct: float
    status: str


class PastureOut(BaseModel):
    herd: str
    start: date
    end: date
    days: int
    head_days: float
    demand_dm: float | None
    fed_dm: float
    pasture_dm: float | None
    dmi_pct: float | None
    status: str


class ReconcileOut(BaseModel):
    unit: str
    balances: list[BalanceOut]
    supply: list[SupplyOut]
    yields: list[YieldOut]
    exceptions: list[FindingOut]
    investigations: list[InvestigationOut] = []
    crop: list[CropOut] | None = None  # farms only (CONTRACT section 6)
    fields: list[FieldOut] | None = None
    herds: list[HerdOut] | None = None  # livestock farms only
    feed: list[FeedOut] | None = None
    pasture: list[PastureOut] | None = None


def _clean(v):
    """One value as JSON takes it: NaN/NA -> None, Timestamps -> date, numpy -> Python."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.date()
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        return v.item()
    return v


_PLAIN = {str, int, bool, float, date, type(None)}  # what _clean returns as it is (NaN aside)


def _column_values(col: pd.Series) -> list:
    """A column's values as _clean makes them, a whole column at a time where its dtype
    allows (100k findings: per-value Python was most of the JSON's time)."""
    kind = col.dtype.kind if isinstance(col.dtype, np.dtype) else "x"  # x: an extension dtype
    if kind in ("i", "u", "b"):
        return col.to_numpy().tolist()
    if kind == "f":
        values = col.to_numpy()
        out = values.tolist()
        for i in np.flatnonzero(np.isnan(values)).tolist():
            out[i] = None
        return out
    if kind == "M":
        out = col.dt.date.tolist()
        for i in np.flatnonzero(col.isna().to_numpy()).tolist():
            out[i] = None
        return out
    if isinstance(col.dtype, (pd.StringDtype, pd.Int64Dtype, pd.Int32Dtype, pd.BooleanDtype)):
        # str or NA (Python ints, bools: what numpy's object conversion gives)
        return col.to_numpy(dtype=object, na_value=None).tolist()
    if kind == "O":  # text, dates, None: plain Python already, only the missing ones change
        values = col.to_numpy()
        out = values.tolist()
        if set(map(type, out)) <= _PLAIN:
            for i in np.flatnonzero(pd.isna(values)).tolist():
                out[i] = None
            return out
    if kind in ("O", "x"):  # as DataFrame.to_dict boxes them: numpy scalars -> Python
        return [_clean(maybe_box_native(v)) for v in col]
    return [_clean(v) for v in col]


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    """Frame rows as plain Python dicts: NaN/NA -> None, Timestamps -> date."""
    names = [c for c in columns if c in frame.columns]
    values = [_column_values(frame[c]) for c in names]
    return [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)] if names else \
        [{} for _ in range(len(frame))]


@functools.cache
def _adapter(annotation) -> TypeAdapter:
    return TypeAdapter(annotation)


def _json_column(values: list, annotation) -> list[str]:
    """Each value's JSON text as the model's field of this annotation writes it: the
    column validated (coerced: 5 -> 5.0 in a float field; a status outside its Literal
    fails) and serialized as one list, one value a line (JSON text holds no raw newline)."""
    ta = _adapter(list[annotation])
    text = ta.dump_json(ta.validate_python(values), indent=1).decode()
    if not values:
        return []
    # "[\n a,\n b\n]": a scalar's JSON holds no raw newline, so ",\n " only ever parts two values
    return text[3:-2].split(",\n ")


def _distinct(col: pd.Series) -> tuple[np.ndarray, list] | None:
    """Codes (-1: missing) and distinct values (as _column_values makes them) of a long
    column whose values repeat (a run's product, day and yield, a finding's code and
    sheet), judged on its first rows; else None. Days and numbers are told apart by their
    64 bits (frames.distinct_by_bits), texts only where every distinct value is a str (no
    1 taken for True or 1.0)."""
    n = len(col)
    if n < 4096:
        return None
    kind = col.dtype.kind if isinstance(col.dtype, np.dtype) else "x"
    if kind in ("f", "M"):
        v = col.to_numpy()
        if len(pd.unique(v[:2048].view(np.int64))) > 512:
            return None
        found = distinct_by_bits(v, n // 4)
        if found is None:
            return None
        codes, uniq = found
        return codes, _column_values(pd.Series(uniq))
    if kind == "O" or isinstance(col.dtype, pd.StringDtype):
        if len(pd.unique(col.iloc[:2048])) > 512:
            return None
        codes, uniq = pd.factorize(col)
        uniq = np.asarray(uniq, dtype=object)
        if len(uniq) > n // 4 or any(type(u) is not str for u in uniq):
            return None
        return codes, uniq.tolist()
    return None


def _column_json(col: pd.Series, annotation) -> list[str]:
    """_json_column(_column_values(col), annotation), each distinct value of a column whose
    values repeat made JSON once and taken by code (a value's JSON is its own: the list's
    items are validated and written one by one)."""
    found = _distinct(col)
    if found is None:
        return _json_column(_column_values(col), annotation)
    codes, uniq = found
    missing = bool((codes < 0).any())
    texts = np.array(_json_column(uniq + [None] if missing else uniq, annotation), dtype=object)
    return texts[codes].tolist()   # code -1 (missing) takes the last: None's JSON


def _rows_json(frame: pd.DataFrame, columns: list[str], model: type[BaseModel]) -> list[str]:
    """[model(**row) for row in _records(frame, columns)] as ReconcileOut's JSON (indent 2)
    holds it, as pieces to join: the model's fields in its order (a missing column takes
    the field's default), then the frame's other columns when the model keeps extras."""
    if not len(frame):
        return ["[]"]
    present = [c for c in columns if c in frame.columns]
    fields = model.model_fields
    extras = [c for c in present if c not in fields] if model.model_config.get("extra") == "allow" else []
    cells, keys = [], []
    for name, info in [*fields.items(), *((c, None) for c in extras)]:
        annotation = Any if info is None else info.annotation
        if name in present:
            cells.append(_column_json(frame[name], annotation))
        elif info is not None and not info.is_required():
            cells.append(_json_column([info.get_default(call_default_factory=True)] * len(frame), annotation))
        else:
            raise ValueError(f"{model.__name__}: no column {name!r}")
        keys.append('"' + name + '": ')
    n = len(frame)
    if any(len(c) != n for c in cells):   # the pieces below would be out of step
        raise ValueError(f"{model.__name__}: a column's JSON has not one value per row")
    # every row's pieces laid out in one list by slice assignment (keys and indents as the
    # model's JSON has them), joined once by the caller: no format call or join per row
    k = len(keys)
    step = 2 * k + 1
    heads = ["    {\n      " + keys[0]] + [",\n      " + key for key in keys[1:]]
    pieces: list = [None] * (n * step + 2)
    pieces[0] = "[\n"
    for j in range(k):
        pieces[1 + 2 * j:-1:step] = [heads[j]] * n
        pieces[2 + 2 * j:-1:step] = cells[j]
    pieces[step::step] = ["\n    },\n"] * n
    pieces[-2] = "\n    }"
    pieces[-1] = "\n  ]"
    return pieces


@dataclass(frozen=True)
class Reconciliation:
    unit: str
    periods: list[tuple[date, date]]
    balances: pd.DataFrame
    supply: pd.DataFrame
    yields: pd.DataFrame
    findings: pd.DataFrame
    ledger: pd.DataFrame
    settings: dict = field(default_factory=dict)
    investigations: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=INVESTIGATION_COLUMNS))
    # a farm's Crop and Harvest figures (CONTRACT section 6); None for a handler's book
    crop: pd.DataFrame | None = None
    fields: pd.DataFrame | None = None
    herds: pd.DataFrame | None = None  # livestock (None: the book has no Herds or Animals)
    feed: pd.DataFrame | None = None
    pasture: pd.DataFrame | None = None

    def to_model(self) -> ReconcileOut:
        farm = {}
        if self.herds is not None:
            farm = dict(herds=[HerdOut(**r) for r in _records(self.herds, HERD_COLUMNS)],
                        feed=[FeedOut(**r) for r in _records(self.feed, FEED_COLUMNS)],
                        pasture=[PastureOut(**r) for r in _records(self.pasture, PASTURE_COLUMNS)])
        # one validation of the whole object (pydantic's core walks the lists), not one
        # model per row: the same models, so the same JSON
        return ReconcileOut.model_validate(dict(
            unit=self.unit,
            balances=_records(self.balances, BALANCE_COLUMNS + CLOSED_COLUMNS),
            supply=_records(self.supply, SUPPLY_COLUMNS),
            yields=_records(self.yields, YIELD_COLUMNS),
            exceptions=_records(self.findings, FINDING_COLUMNS),
            investigations=_records(self.investigations, INVESTIGATION_COLUMNS),
            **farm_models(self),
            **farm,
        ))

    def to_json(self) -> str:
        """to_model().model_dump_json(indent=2), byte for byte, built a column at a time:
        each column is validated and serialized by pydantic's core as one list (the same
        validator and serializer as the model's field), so 100k runs and findings are not
        100k models. A handler's JSON keeps exactly its fields; a farm's gains crop and
        fields, and with animals herds, feed and pasture."""
        from massbal.engine.farm.crop import CROP_COLUMNS, FIELD_COLUMNS
        sections = {
            "balances": (self.balances, BALANCE_COLUMNS + CLOSED_COLUMNS, BalanceOut),
            "supply": (self.supply, SUPPLY_COLUMNS, SupplyOut), "yields": (self.yields, YIELD_COLUMNS, YieldOut),
            "exceptions": (self.findings, FINDING_COLUMNS, FindingOut),
            "investigations": (self.investigations, INVESTIGATION_COLUMNS, InvestigationOut),
            "crop": (self.crop, CROP_COLUMNS, CropOut), "fields": (self.fields, FIELD_COLUMNS, FieldOut),
            "herds": (self.herds, HERD_COLUMNS, HerdOut), "feed": (self.feed, FEED_COLUMNS, FeedOut),
            "pasture": (self.pasture, PASTURE_COLUMNS, PastureOut),
        }
        # one join of every section's pieces: the sections' texts (tens of MB at 980k
        # movements) are not copied into each other
        pieces = ["{\n", f'  "unit": {_adapter(str).dump_json(self.unit).decode()}']
        for name, (frame, columns, model) in sections.items():
            if frame is not None:
                pieces.append(f',\n  "{name}": ')
                pieces += _rows_json(frame, columns, model)
        pieces.append("\n}")
        return "".join(pieces)

    @property
    def needs_attention(self) -> bool:
        """A balance NEGATIVE or INVESTIGATE, a supply row OVERSOLD or INVESTIGATE, or an
        error finding (CONTRACT section 4). The faces decide what follows (the CLI: exit 1)."""
        bad_balance = self.balances["status"].isin(["NEGATIVE", "INVESTIGATE"]).any() if len(self.balances) else False
        bad_supply = self.supply["status"].isin(["OVERSOLD", "INVESTIGATE"]).any() if len(self.supply) else False
        errors = (self.findings["severity"] == "error").any() if len(self.findings) else False
        return bool(bad_balance or bad_supply or errors)
