"""The JSON built a column at a time is the pydantic models' own dump, byte for byte.

Reconciliation.to_json writes each column through pydantic's core as one list instead of
one model per row; to_model() (one model per row) stays the reference it must equal, on
books that exercise what a serializer can get wrong: whole numbers in float fields,
missing counts (null), owners, text with quotes, backslashes, control characters and
non-ASCII letters, braces, empty sections, and a farm with animals (crop, fields, herds, feed,
pasture).
"""
import json

from bookkit import book, certified, count, receipt, run, ship, use
from farmkit import animals, herd
from farmkit import livestock_book as farm_book

from massbal.engine.api import reconcile

ODD = 'Jalapeño "hot" \\ chili\tflakes é€ {0} {}'  # braces: the rows' JSON is filled by str.format


def _model_dump(rec) -> str:
    absent = {k for k in ("crop", "fields", "herds", "feed", "pasture") if getattr(rec, k) is None}
    return rec.to_model().model_dump_json(indent=2, exclude_none=False, exclude=absent)


def _handler_book():
    return book(
        Items=[{"Item": "Oats", "Kind": "Ingredient"}, {"Item": ODD, "Kind": "Ingredient"},
               {"Item": "Granola", "Kind": "Product"}],
        Certificates=[certified()],
        Receipts=[receipt("2025-01-03", "Oats", "OA-1", 1000), receipt("2025-01-04", ODD, "JA-1", 10.25),
                  receipt("2025-02-03", "Oats", "OA-2", 500, Owner="Client Co"),
                  receipt("2025-02-05", "Oats", "OA-1", 7, unit="furlong")],  # a finding with a message
        Batches=[run("B-1", "2025-01-10", "Granola", "GR-1", 950)],
        BatchInputs=[use("B-1", "Oats", "OA-1", 1000)],
        Shipments=[ship("2025-01-20", "Granola", "GR-1", 900), ship("2025-02-20", "Granola", "NO-SUCH", 5)],
        Counts=[count("2025-01-31", "Oats", 0), count("2025-02-28", ODD, 10.2)])


def test_handler_json_is_the_model_dump():
    for period in ("month", "all"):
        rec = reconcile(_handler_book(), period=period)
        assert len(rec.findings) and rec.balances["counted_ending"].isna().any()  # nulls and messages
        text = rec.to_json()
        assert text == _model_dump(rec)
        assert json.loads(text)["balances"][0]["beginning"] == rec.balances["beginning"].iloc[0]


def test_empty_sections_are_the_model_dump():
    rec = reconcile(book(Items=[{"Item": "Oats", "Kind": "Ingredient"}], Receipts=[receipt("2025-01-03", "Oats", "OA-1", 5)]))
    assert rec.yields.empty and rec.to_json() == _model_dump(rec)


def test_livestock_farm_json_is_the_model_dump():
    b = farm_book(Herds=[herd("Cows", 50)],
                  Animals=[animals("2024-12-31", "Cows", "count", 120), animals("2025-03-01", "Cows", "birth", 10),
                           animals("2025-12-31", "Cows", "count", 129)])
    rec = reconcile(b, "2025-01-01", "2025-12-31")
    assert rec.herds is not None and len(rec.herds)
    assert rec.to_json() == _model_dump(rec)


def test_repeating_columns_json_is_the_plain_columns():
    """A long column whose values repeat is made JSON once per distinct value (_distinct):
    the same text as the plain column's, value by value: -0.0 apart from 0.0, NaN, NaT and
    missing texts as null, 1 / True / 1.0 / "1" never taken for each other."""
    from datetime import date
    from typing import Any

    import numpy as np
    import pandas as pd
    import pytest
    from pydantic import ValidationError

    from massbal.engine.result import _column_json, _column_values, _distinct, _json_column
    n = 5000
    rep = lambda xs: [xs[i % len(xs)] for i in range(n)]  # noqa: E731
    floats = pd.Series(rep([0.0, -0.0, np.nan, 1.5, 1e20, 3.0, -2.25e-7, float("inf")]))
    days = pd.Series(pd.to_datetime(rep(["2025-01-03", None, "2025-02-28 13:00:00", "1999-12-31 00:00:00"]), format="mixed"))
    texts = pd.Series(rep(["Oats", None, np.nan, ODD, "", "é€"]), dtype=object)
    strings = pd.Series(rep(["Oats", None, ODD, "x"]), dtype="string")
    mixed = pd.Series(rep([1, True, 1.0, "1", None]), dtype=object)
    distinct = pd.Series([f"t{i}" for i in range(n)], dtype=object)
    late = pd.Series(["a"] * 2048 + [f"t{i}" for i in range(n - 2048)], dtype=object)
    cases = [(floats.fillna(0.5), float), (floats, float | None), (floats, Any), (days, date | None), (texts, str | None),
             (texts, Any), (strings, str | None), (mixed, Any), (distinct, str), (late, str)]
    for col, annotation in cases:
        assert _column_json(col, annotation) == _json_column(_column_values(col), annotation)
    assert all(_distinct(c) is not None for c in (floats, days, texts, strings))
    assert all(_distinct(c) is None for c in (mixed, distinct, late))
    with pytest.raises(ValidationError):   # a missing text where the model wants one, as before
        _column_json(texts, str)
