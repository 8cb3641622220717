"""Every real Excel-saved workbook of the corpus is read or refused plainly, never crashes.

The corpus workbooks are read in place. None of them holds massbal's tables, so each is
also read once more as a temporary copy whose first worksheet is renamed 'Receipts' and
whose first Excel Table is renamed 'Shipments': that sends real-world sheets (merged
cells, rich text, pivots, charts, strict OOXML, macros ...) through the whole reader.
"""
from __future__ import annotations

import numpy as np
import pytest
from ioread_helpers import CORPUS, as_massbal_copy

from massbal.engine.rawbook import RawBook, RawTable
from massbal.xlsx.read.read_book import BookReadError, read_book


def check_table(t: RawTable) -> None:
    assert len(t.rows) == len(t.data) and len(t.columns) == len(t.headers) == t.data.shape[1]
    assert list(t.data.columns) == list(range(len(t.headers)))
    if len(t.rows):
        assert t.rows[0] > t.header_row and np.all(np.diff(t.rows) == 1)
    assert all(isinstance(h, str) for h in t.headers)


def test_every_corpus_workbook_reads_or_is_refused_plainly(tmp_path):
    files = sorted(p for p in CORPUS.iterdir() if p.suffix.lower() in (".xlsx", ".xlsm"))
    assert len(files) >= 70
    outcomes: dict[str, str] = {}
    tables_read = 0
    for path in files:
        for variant in ("as is", "renamed"):
            target = path
            if variant == "renamed":
                target = tmp_path / path.name
                if not as_massbal_copy(path, target):
                    continue
            try:
                book = read_book(target)
            except BookReadError as exc:
                message = str(exc)
                assert message and "\n" not in message, (path.name, message)
                outcomes[f"{path.name} ({variant})"] = "refused: " + message
                continue
            except Exception as exc:  # pragma: no cover - the failure this test exists for
                pytest.fail(f"{path.name} ({variant}) raised {type(exc).__name__}: {exc}")
            assert isinstance(book, RawBook)
            assert book.sheet_names, path.name
            for t in book.tables.values():
                check_table(t)
                tables_read += 1
            outcomes[f"{path.name} ({variant})"] = f"read {sorted(book.tables)}"
    refused = {k: v for k, v in outcomes.items() if v.startswith("refused")}
    # Real Excel files are readable: only a handful may be refused (e.g. strict OOXML).
    assert len(refused) <= 6, refused
    assert tables_read >= 60, outcomes
