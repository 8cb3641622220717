"""What one reconciliation produces, and its JSON form (CONTRACT.md section 4).

The frames below are the single source for the CLI's JSON, the Balance/Supply/Yield/
Exceptions/Ledger sheets, the worksheet functions and the inspector export.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import pandas as pd
from pydantic import BaseModel

BALANCE_COLUMNS = [
    "item", "owner", "start", "end", "beginning", "received", "produced", "used",
    "shipped", "losses", "expected_ending", "counted_ending", "variance", "variance_pct",
    "tolerance_pct", "status",
]
SUPPLY_COLUMNS = [
    "ingredient", "owner", "start", "end", "available", "shipped_equivalent",
    "losses_equivalent", "on_hand_equivalent", "unaccounted", "tolerance_pct", "status",
]
YIELD_COLUMNS = [
    "batch", "product", "date", "owner", "input", "output", "process_loss",
    "documented_loss", "undocumented_loss", "yield_pct",
]
FINDING_COLUMNS = ["severity", "code", "sheet", "row", "column", "cell", "message"]
LEDGER_COLUMNS = [
    "date", "kind", "item", "lot", "owner", "location", "qty", "effect", "batch",
    "partner", "certificate", "organic", "reference", "sheet", "row",
]

BalanceStatus = Literal["PASS", "INVESTIGATE", "NEGATIVE", "NO COUNT"]
SupplyStatus = Literal["PASS", "INVESTIGATE", "OVERSOLD"]


class BalanceOut(BaseModel):
    item: str
    owner: str | None
    start: date
    end: date
    beginning: float
    received: float
    produced: float
    used: float
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


class ReconcileOut(BaseModel):
    unit: str
    balances: list[BalanceOut]
    supply: list[SupplyOut]
    yields: list[YieldOut]
    exceptions: list[FindingOut]


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    """Frame rows as plain Python dicts: NaN/NA -> None, Timestamps -> date."""
    out = []
    sub = frame[[c for c in columns if c in frame.columns]]
    for rec in sub.to_dict("records"):
        clean = {}
        for k, v in rec.items():
            if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT:
                v = None
            elif isinstance(v, pd.Timestamp):
                v = v.date()
            elif hasattr(v, "item") and not isinstance(v, (str, bytes)):
                v = v.item()
            clean[k] = v
        out.append(clean)
    return out


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

    def to_model(self) -> ReconcileOut:
        return ReconcileOut(
            unit=self.unit,
            balances=[BalanceOut(**r) for r in _records(self.balances, BALANCE_COLUMNS)],
            supply=[SupplyOut(**r) for r in _records(self.supply, SUPPLY_COLUMNS)],
            yields=[YieldOut(**r) for r in _records(self.yields, YIELD_COLUMNS)],
            exceptions=[FindingOut(**r) for r in _records(self.findings, FINDING_COLUMNS)],
        )

    def to_json(self) -> str:
        return self.to_model().model_dump_json(indent=2)

    @property
    def needs_attention(self) -> bool:
        """A balance NEGATIVE or INVESTIGATE, a supply row OVERSOLD or INVESTIGATE, or an
        error finding (CONTRACT section 4). The faces decide what follows (the CLI: exit 1)."""
        bad_balance = self.balances["status"].isin(["NEGATIVE", "INVESTIGATE"]).any() if len(self.balances) else False
        bad_supply = self.supply["status"].isin(["OVERSOLD", "INVESTIGATE"]).any() if len(self.supply) else False
        errors = (self.findings["severity"] == "error").any() if len(self.findings) else False
        return bool(bad_balance or bad_supply or errors)
