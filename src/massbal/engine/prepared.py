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
