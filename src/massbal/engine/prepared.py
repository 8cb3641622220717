"""The Prepared record: everything about a workbook that holds for any period.

Its own module so that api.py (which makes it) and the trace (which reads it) both
import it without importing each other.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from massbal.engine.farm.livestock import Livestock

from .genealogy import Genealogy
from .load import Book
from .roll import ledger_openings


@dataclass(frozen=True)
class Prepared:
    book: Book
    ledger: pd.DataFrame
    genealogy: Genealogy
    yields: pd.DataFrame
    findings: pd.DataFrame  # input, lot, certificate and run findings
    receipt_certs: pd.DataFrame  # certificates.receipt_certificates: by Receipts row
    livestock: Livestock | None = None  # herds, animals and feed rows (farms with animals)
    # what is derived on first use and kept with the workbook (the trace's lot graph)
    cache: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def unit(self) -> str:
        return self.book.settings.unit

    @property
    def openings(self) -> pd.DataFrame:
        """roll.ledger_openings by item and owner: the day the books of each begin, on which
        the item balance, the supply balance and the inspector's supply by item all open;
        computed once, on first use, rather than by each."""
        if "openings" not in self.cache:
            self.cache["openings"] = ledger_openings(self.ledger, ["item_key", "owner_key"])
        return self.cache["openings"]
