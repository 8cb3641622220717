"""Every real Excel-saved workbook of the corpus is read or refused plainly, never crashes.

The corpus workbooks are read in place. None of them holds massbal's tables, so each is
also read once more as a temporary copy whose first worksheet is renamed 'Receipts' and
whose first Excel Table is renamed 'Shipments': that sends real-world sheets (merged
cells, rich text, pivots, charts, strict OOXML, macros ...) through the whole reader.
"""
from __future__ import annotations

import re
import zipfile

import numpy as np
import pytest
from ioread_helpers import CORPUS

from massbal.engine.rawbook import RawBook, RawTable
from massbal.xlsx.read.read_book import BookReadError, read_book

_SHEET = re.compile(rb'<(?:\w+:)?sheet\b[^>]*>')
_NAME = re.compile(rb'(\bname=")([^"]*)(")')
_RID = re.compile(rb'\b(?:\w+:)?id="([^"]*)"')
_REL = re.compile(rb'<Relationship\b[^>]*>')
_DISPLAY_NAME = re.compile(rb'(\bdisplayName=")([^"]*)(")')


def as_massbal_copy(src, dst) -> bool:
    """Copy `src` to `dst` with its first worksheet renamed 'Receipts' and its first
    table 'Shipments'; False if it cannot be opened as a zip."""
    try:
        with zipfile.ZipFile(src) as z:
            parts = [(info, z.read(info.filename)) for info in z.infolist()]
    except (zipfile.BadZipFile, OSError):
        return False
    content = {info.filename: data for info, data in parts}
    worksheet_ids = set()
    for rel in _REL.findall(content.get("xl/_rels/workbook.xml.rels", b"")):
        target = re.search(rb'Target="([^"]*)"', rel)
        rid = re.search(rb'\bId="([^"]*)"', rel)
        if target and rid and b"worksheets/" in target.group(1):
            worksheet_ids.add(rid.group(1))
    renamed_sheet = renamed_table = False
    out = []
    for info, data in parts:
        name = info.filename
        if name == "xl/workbook.xml":
            for tag in _SHEET.findall(data):
                rid = _RID.search(tag.replace(b"sheetId=", b"sheet_no="))
                if rid and rid.group(1) in worksheet_ids:
                    data = data.replace(tag, _NAME.sub(rb"\1Receipts\3", tag, count=1), 1)
                    renamed_sheet = True
                    break
        elif re.match(r"xl/tables/table\d+\.xml$", name) and not renamed_table:
            data, n = _DISPLAY_NAME.subn(rb"\1Shipments\3", data, count=1)
            renamed_table = bool(n)
        out.append((info, data))
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in out:
            z.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return renamed_sheet or renamed_table


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
