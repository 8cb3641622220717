"""What a trace and a recall are: pydantic models shared by the JSON, the Trace and Recall
sheets and the PDF, and the two ways a lot number can fail to name one lot."""
from __future__ import annotations

from datetime import date as Day  # a field named 'date' hides the type inside a model
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

StepKind = Literal["receipt", "opening stock", "input", "output", "shipment", "loss",
                   "process loss", "on hand", "harvest", "farm use"]
CERT_CODES = ("CERT_MISSING", "CERT_UNKNOWN", "CERT_EXPIRED", "CERT_SCOPE")
NO_LOCATION = "(no location recorded)"
NO_CUSTOMER = "(no customer recorded)"


# ------------------------------------------------------------------ the result

class TraceStep(BaseModel):
    """One link of a trace. `quantity` is always the traced lot's part, in the report unit."""
    kind: StepKind
    depth: int  # runs between the traced lot and this step (0: the lot itself)
    date: Day | None = None
    lot: str | None = None
    item: str
    quantity: float
    pct_of_lot: float | None = None  # quantity as % of the traced lot
    row_quantity: float | None = None  # the whole row (receipt, input, shipment ...), report unit
    pct_of_row: float | None = None  # quantity as % of that row
    entered: str | None = None  # that row's quantity as typed, e.g. "40 case"
    via_lot: str | None = None  # back: the lot this went into; forward: the lot it came from
    via_item: str | None = None
    batch: str | None = None
    supplier: str | None = None
    supplier_lot: str | None = None
    certificate: str | None = None
    certifier: str | None = None
    certificate_valid: bool | None = None  # on the receipt date; None: not an organic input
    field: str | None = None  # a farm's harvest: the field and season (harvest year) it came from
    season: int | None = None
    certificate_note: str | None = None
    customer: str | None = None
    location: str | None = None
    reference: str | None = None
    counted: float | None = None  # on hand steps: the latest count of the lot there
    counted_on: Day | None = None
    equivalents: dict[str, float] = Field(default_factory=dict)  # organic ingredient -> report unit
    sheet: str | None = None
    row: int | None = None


class OpenQuestion(BaseModel):
    """A link the trace could not follow, with the row to look at."""
    message: str
    lot: str | None = None
    item: str | None = None
    sheet: str | None = None
    row: int | None = None


class Accounting(BaseModel):
    """Where the traced lot went, summed from the forward trace (report unit)."""
    total: float  # what came into being of the lot: received + produced + opening count
    shipped: float
    losses: float
    process_loss: float
    on_hand: float
    unaccounted: float  # total - shipped - losses - process_loss - on_hand - farm_use
    farm_use: float = 0.0  # a farm's own use: seed planted, feed fed, inputs applied


class LotTrace(BaseModel):
    lot: str
    item: str
    unit: str
    origin: str  # received / produced / opening count / received and produced / unknown
    total: float
    composition: dict[str, float] = Field(default_factory=dict)  # organic ingredient -> fraction
    back: list[TraceStep]
    forward: list[TraceStep]
    open_questions: list[OpenQuestion]
    accounted: Accounting
    seconds: float


class RecallCustomer(BaseModel):
    customer: str
    shipments: int
    quantity: float  # the recalled lot's part of what they received, report unit
    shipped: float  # what they received of the shipped lots, report unit
    lots: list[str]
    first_date: Day | None
    last_date: Day | None


class Recall(BaseModel):
    lot: str
    item: str
    unit: str
    total: float
    generated: datetime
    customers: list[RecallCustomer]
    shipments: list[TraceStep]
    on_hand: list[TraceStep]  # stock to quarantine, by lot and location
    # places whose part of the lot is below recall.DUST: float rounding of proportional splits,
    # counted (not listed) so the quarantine list holds only stock a person can find
    dust_places: int = 0
    dust_quantity: float = 0.0
    open_questions: list[OpenQuestion]
    accounted: Accounting
    seconds: float


class LotNotFound(LookupError):
    def __init__(self, lot: str, suggestions: list[str]):
        self.lot, self.suggestions = lot, suggestions
        hint = f" Did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"No receipt, run, shipment or count has lot '{lot}'.{hint}")


class AmbiguousLot(LookupError):
    """The lot number exists for several items; the caller asks which, or traces each."""
    def __init__(self, lot: str, items: list[str]):
        self.lot, self.items = lot, items
        super().__init__(f"Lot '{lot}' exists for {len(items)} items ({', '.join(items)}). "
                         "Say which item (--item), or trace each.")
