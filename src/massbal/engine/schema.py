"""The workbook's input tables, as CONTRACT.md section 1 names them.

One place defines every table and column; the reader, the validator, the template and
the Excel adapters all take their names from here.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import pandas as pd

ColumnKind = Literal["text", "number", "date", "yesno", "unit", "choice"]


@dataclass(frozen=True)
class Column:
    name: str
    kind: ColumnKind = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""
    farm: bool = False  # a farm's column (CONTRACT section 6): left out of a handler's template


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]
    row_is: str  # what one row is, in the user's words (template instructions)
    farm: bool = False  # a farm's table (CONTRACT section 6): optional, not in a handler's template

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


KINDS = ("Ingredient", "Product", "Intermediate")
FARM_KINDS = ("Crop", "Seed", "Input", "Feed", "Livestock product")
LOSS_REASONS = ("cleaning", "shrinkage", "spoilage", "sample", "process", "other")
FIELD_ORGANIC = ("Yes", "Transition", "No")
ALLOWED = ("Yes", "No", "Restricted")
FARM_USES = ("seed", "feed", "bedding", "other")
ANIMAL_EVENTS = ("count", "birth", "bought", "moved in", "sold", "slaughtered", "culled", "died", "moved out")

_q = Column("Quantity", "number", True)
_u = Column("Unit", "unit", True)

TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        TableSpec("Items", (
            Column("Item", required=True),
            Column("Kind", "choice", choices=KINDS + FARM_KINDS),
            Column("Organic", "yesno"),
            Column("Category"),
            Column("Unit", "unit"),
            Column("Kg per unit", "number"),
            Column("Tolerance %", "number"),
            Column("Dry matter %", "number", farm=True),
            Column("Allowed", "choice", choices=ALLOWED, farm=True),
        ), "a thing that is bought, made or sold"),
        TableSpec("Certificates", (
            Column("Supplier", required=True),
            Column("Certificate", required=True),
            Column("Certifier"),
            Column("Items covered"),
            Column("Valid from", "date"),
            Column("Valid to", "date", True),
        ), "a supplier's organic certificate (COO)"),
        TableSpec("Receipts", (
            Column("Date", "date", True),
            Column("Item", required=True),
            Column("Lot", required=True),
            _q, _u,
            Column("Supplier"),
            Column("Supplier lot"),
            Column("Certificate"),
            Column("Organic", "yesno"),
            Column("Location"),
            Column("Owner"),
            Column("Reference"),
        ), "organic (or not) material received"),
        TableSpec("Batches", (
            Column("Batch", required=True),
            Column("Date", "date", True),
            Column("Item", required=True),
            Column("Lot", required=True),
            _q, _u,
            Column("Location"),
            Column("Owner"),
            Column("Reference"),
        ), "one output of a production run"),
        TableSpec("BatchInputs", (
            Column("Batch", required=True),
            Column("Item", required=True),
            Column("Lot", required=True),
            _q, _u,
        ), "one input lot consumed by a run"),
        TableSpec("Shipments", (
            Column("Date", "date", True),
            Column("Item", required=True),
            Column("Lot", required=True),
            _q, _u,
            Column("Customer"),
            Column("Location"),
            Column("Owner"),
            Column("Reference"),
        ), "product sent out (sales, samples, re-exports)"),
        TableSpec("Losses", (
            Column("Date", "date", True),
            Column("Item", required=True),
            _q, _u,
            Column("Lot"),
            Column("Reason", "choice", choices=LOSS_REASONS),
            Column("Batch"),
            Column("Location"),
            Column("Owner"),
            Column("Evidence"),
        ), "documented waste or loss"),
        TableSpec("Counts", (
            Column("Date", "date", True),
            Column("Item", required=True),
            _q, _u,
            Column("Lot"),
            Column("Location"),
            Column("Owner"),
        ), "a physical inventory count, taken at the end of that day"),
        TableSpec("Transfers", (
            Column("Date", "date", True),
            Column("Item", required=True),
            Column("Lot", required=True),
            _q, _u,
            Column("From", required=True),
            Column("To", required=True),
        ), "stock moved between locations"),
        TableSpec("Settings", (
            Column("Setting", required=True),
            Column("Value", required=True),
        ), "one setting (key and value)"),
        # farms (CONTRACT section 6): optional tables, a handler's book has none of them
        TableSpec("Fields", (
            Column("Field", required=True),
            Column("Crop", required=True),
            Column("Season", "number", True),
            Column("Acres", "number", True),
            Column("Expected yield", "number", True),
            Column("Yield unit", "unit", True),
            Column("Yield source"),
            Column("Organic", "choice", choices=FIELD_ORGANIC),
            Column("Seed"),
            Column("Seeding rate", "number"),
            Column("Seed unit", "unit"),
        ), "one field or block planted to one crop for one season", farm=True),
        TableSpec("Harvests", (
            Column("Date", "date", True),
            Column("Item", required=True),
            Column("Lot", required=True),
            _q, _u,
            Column("Field"),
            Column("Herd"),
            Column("Organic", "yesno"),
            Column("Location"),
            Column("Reference"),
        ), "product taken in from a field (weigh sheet, scale ticket) or from a herd (milk, eggs, wool)", farm=True),
        TableSpec("FarmUse", (
            Column("Date", "date", True),
            Column("Item", required=True),
            _q, _u,
            Column("Use", "choice", True, choices=FARM_USES),
            Column("Lot"),
            Column("Field"),
            Column("Herd"),
            Column("Reference"),
        ), "the operation's own product used on the operation: seed planted, feed fed", farm=True),
        TableSpec("Applications", (
            Column("Date", "date", True),
            Column("Field", required=True),
            Column("Item", required=True),
            _q, _u,
            Column("Lot"),
            Column("Reference"),
        ), "an input (amendment, fertilizer, pest control, seed treatment) applied to a field", farm=True),
        TableSpec("Herds", (
            Column("Herd", required=True),
            Column("Species", required=True),
            Column("Class"),
            Column("Ruminant", "yesno"),
            Column("Dry matter demand", "number", True),
            Column("Grazing start", "date"),
            Column("Grazing end", "date"),
            Column("Product"),
            Column("Output per head per day", "number"),
        ), "a group of organic animals fed and managed together", farm=True),
        TableSpec("Animals", (
            Column("Date", "date", True),
            Column("Herd", required=True),
            Column("Event", "choice", True, choices=ANIMAL_EVENTS),
            Column("Head", "number", True),
            Column("Organic", "yesno"),
            Column("Certificate"),
            Column("Reference"),
        ), "a head count of a herd at the end of that day, or a change to it", farm=True),
    )
}

INPUT_TABLES = tuple(TABLES)
FARM_TABLES = tuple(n for n, t in TABLES.items() if t.farm)


def book_specs(farm: bool = False) -> tuple[TableSpec, ...]:
    """The tables (and columns) a new workbook gets: a handler's, or with farm=True a farm's."""
    def column(c: Column) -> Column:
        # a handler's Kind dropdown offers a handler's kinds only
        return c if farm else replace(c, choices=tuple(x for x in c.choices if x not in FARM_KINDS))
    return tuple(TableSpec(t.name, tuple(column(c) for c in t.columns if farm or not c.farm), t.row_is, t.farm)
                 for t in TABLES.values() if farm or not t.farm)

# Sheets that massbal writes and owns (CONTRACT.md section 3).
OUTPUT_SHEETS = ("Balance", "Supply", "Yield", "Exceptions", "Ledger", "Investigations")
# ... and on a farm with animals (CONTRACT section 6), after those
LIVESTOCK_SHEETS = ("Herd", "Feed", "Pasture")

# Columns of output tables whose content is the user's, kept across re-runs.
USER_NOTE_COLUMNS = ("Notes", "Root cause", "Corrective action", "Investigated by")

_UNIT_NOTE = re.compile(r"\(.*\)\s*$")


def header_key(text: object) -> str:
    """Match key of a header: case, spaces, underscores and a trailing '(unit)' ignored.

    'Quantity (lb)', 'quantity', 'QUANTITY' and 'Kg_per_unit' all match their column.
    """
    s = unicodedata.normalize("NFKC", str(text or "")).strip()
    if _UNIT_NOTE.search(s) and not s.startswith("("):
        s = _UNIT_NOTE.sub("", s)
    return re.sub(r"[\s_]+", "", s).casefold()


def name_key(text: object) -> str:
    """Match key of an item, lot, batch, supplier or certificate name.

    Names that differ only in case, surrounding or doubled spaces, or Unicode look-alike
    forms (full-width letters, non-breaking spaces) are the same thing to a user.
    """
    s = unicodedata.normalize("NFKC", str(text)).casefold()
    return " ".join(s.split())


def name_keys(values) -> pd.Series:
    """name_key of a whole column, each distinct value worked out once (a column of lot or
    batch names repeats them; a million calls were most of a quarter's findings split)."""
    # (imported here: the reader's checks need the schema's names, not pandas, and run
    # while pandas is imported: cli.console.start_reading)
    import numpy as np
    import pandas as pd
    s = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    codes, uniq = pd.factorize(s)
    out = np.empty(len(s), dtype=object)
    ok = codes >= 0
    out[ok] = np.asarray([name_key(v) for v in uniq.tolist()] or [""], dtype=object)[codes[ok]]
    if not ok.all():  # missing values keyed exactly as Series.map(name_key) keys them
        out[~ok] = s[~ok].map(name_key).to_numpy(dtype=object)
    return pd.Series(out, index=s.index, dtype=object)


def table_key(text: object) -> str:
    return header_key(text)
