"""A copy of a workbook that calamine (the spreadsheet reader) can open, for the real
workbooks it refuses although Excel opens them: an Excel 4 macro sheet
(xl/macrosheets/), a dialog sheet, or a sheet whose relationship is missing (r:id="",
as in LibreOffice bug 111974's workbook).

The copy's workbook lists only the worksheets; every worksheet part is copied byte for
byte, so rows, columns and values are the original's. The copy lives in a temporary
folder for the length of the read; the user's file is never changed, and the writer
keeps the macro sheets as they are.
"""
from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from massbal.xlsx.read.package import Package, local
from massbal.xlsx.write.zip_copy import parse_xml, to_xml

from .workbook import WorkbookInfo

READABLE = ("worksheet", "chartsheet")
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def refused_by_calamine(info: WorkbookInfo, pkg: Package) -> bool:
    """Sheets calamine cannot open: not a worksheet or chart sheet, or pointing nowhere."""
    return any(s.kind not in READABLE or not s.part or not pkg.has(s.part) for s in info.sheets)


@contextmanager
def readable_by_calamine(name: str, data: bytes, info: WorkbookInfo, pkg: Package) -> Iterator[bytes | Path]:
    """The workbook's bytes as read, or (when calamine would refuse them) a worksheets-only copy."""
    if not refused_by_calamine(info, pkg):
        yield data
        return
    keep = {s.name for s in info.sheets if s.kind == "worksheet" and s.part and pkg.has(s.part)}
    with tempfile.TemporaryDirectory(prefix="massbal-read-") as tmp:
        copy = Path(tmp) / name  # the same name: messages name the user's file
        _worksheets_only(io.BytesIO(data), info.workbook_part, keep, copy)
        yield copy


def _worksheets_only(src, workbook_part: str, keep: set[str], dst: Path) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.lstrip("/") == workbook_part:
                data = _workbook_xml(data, keep)
            zout.writestr(info.filename, data)


def _workbook_xml(data: bytes, keep: set[str]) -> bytes:
    root = parse_xml(data)
    for child in list(root):
        if local(child.tag) == "sheets":
            for sheet in list(child):
                if local(sheet.tag) == "sheet" and (sheet.get("name") not in keep or not sheet.get(_R)):
                    child.remove(sheet)
        elif local(child.tag) == "definedNames":
            root.remove(child)  # their sheet indexes would point at other sheets; massbal reads none
    return to_xml(root)
