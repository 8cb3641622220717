"""Investigations of supply balances (CONTRACT s.7): placeholder until written below."""
from __future__ import annotations

import pandas as pd

from .investigate import empty


def explain_supply(book, ledger, gen, supply: pd.DataFrame, periods) -> pd.DataFrame:
    return empty()
