"""Builders of real .xlsx files for the reader's tests (openpyxl, XlsxWriter, LibreOffice)."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.table import Table

CORPUS = Path("/work/shared/xlsx_corpus")


def put(ws, top: int, left: int, rows: list[list]) -> None:
    """Write rows with their first cell at (top, left), 1-based; None leaves a cell empty."""
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if value is not None:
                ws.cell(top + i, left + j, value)


def add_table(ws, name: str, ref: str, totals: bool = False) -> None:
    table = Table(displayName=name, ref=ref)
    if totals:
        table.totalsRowCount = 1
    ws.add_table(table)


def new_book() -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    return wb


def soffice_recalc(src: Path, out_dir: Path) -> Path:
    """Open and re-save `src` with LibreOffice, so formulas get cached values as in Excel."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        pytest.skip("LibreOffice is not installed")
    out_dir.mkdir(parents=True, exist_ok=True)
    profile = out_dir / "lo_profile"  # a private profile: other soffice runs cannot lock it
    subprocess.run(
        [exe, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "xlsx",
         "--outdir", str(out_dir), str(src)],
        check=True, capture_output=True, timeout=180, env={**os.environ, "HOME": str(out_dir)})
    out = out_dir / src.name
    assert out.exists(), "LibreOffice did not write the converted workbook"
    return out


_CT = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
       '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
       '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
       '<Default Extension="xml" ContentType="application/xml"/>'
       '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
       '{overrides}</Types>')
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def write_package(path, sheets: dict[str, str], shared_strings: str | None = None) -> None:
    """A hand-made xlsx: each sheet given as the XML inside <worksheet>, the shared-strings
    part as the XML inside <sst>. For layouts no library writes (cells without r, phonetic
    runs, namespace prefixes) that real files from other tools do contain."""
    import zipfile

    overrides, rels, entries = [], [], []
    parts = {}
    for i, (name, body) in enumerate(sheets.items(), start=1):
        parts[f"xl/worksheets/sheet{i}.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_MAIN}" xmlns:r="{_R}">'
            f"{body}</worksheet>")
        overrides.append(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                         'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
        rels.append(f'<Relationship Id="rId{i}" Type="{_R}/worksheet" Target="worksheets/sheet{i}.xml"/>')
        entries.append(f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>')
    if shared_strings is not None:
        parts["xl/sharedStrings.xml"] = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_MAIN}">'
                                         f"{shared_strings}</sst>")
        overrides.append('<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                         'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
        rels.append(f'<Relationship Id="rId900" Type="{_R}/sharedStrings" Target="sharedStrings.xml"/>')
    parts["[Content_Types].xml"] = _CT.format(overrides="".join(overrides))
    parts["_rels/.rels"] = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
                            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
                            f'{_R}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    parts["xl/_rels/workbook.xml.rels"] = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="'
                                           'http://schemas.openxmlformats.org/package/2006/relationships">'
                                           f'{"".join(rels)}</Relationships>')
    parts["xl/workbook.xml"] = (f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_MAIN}" '
                                f'xmlns:r="{_R}"><sheets>{"".join(entries)}</sheets></workbook>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, text.encode("utf-8"))
