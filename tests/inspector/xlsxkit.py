"""Reading and editing .xlsx files in tests, the way another program would."""
from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import openpyxl

from massbal.xlsx.read.package import Package
from massbal.xlsx.read.workbook import read_workbook_info


def _part(path, sheet: str) -> str:
    """The zip part holding `sheet`, found as massbal's reader finds it."""
    with Package(Path(path)) as pkg:
        return {s.name: s.part for s in read_workbook_info(pkg).sheets}[sheet]


def sheet_rows(path, sheet: str) -> list[tuple]:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows = [tuple(r) for r in wb[sheet].iter_rows(values_only=True)]
    wb.close()
    return rows


def table(path, sheet: str, first_header: str) -> list[dict]:
    """The rows of the first table on `sheet` whose header row starts with first_header."""
    rows = sheet_rows(path, sheet)
    top = next(i for i, r in enumerate(rows) if r and r[0] == first_header)
    head = [h for h in rows[top] if h is not None]
    out = []
    for r in rows[top + 1:]:
        if r is None or all(v is None for v in r[:len(head)]):
            break
        out.append(dict(zip(head, r[:len(head)], strict=False)))
    return out


def set_number(src, dst, sheet: str, cell: str, value: float) -> None:
    """Copy src to dst with one number cell changed, as an editor that saves would."""
    src, dst = Path(src), Path(dst)
    with zipfile.ZipFile(src) as z:
        part = _part(src, sheet)
        xml = z.read(part).decode("utf-8")
        new, n = re.subn(rf'(<c r="{cell}"[^>]*>)<v>[^<]*</v>', lambda m: f"{m.group(1)}<v>{value!r}</v>", xml)
        assert n == 1, f"{sheet}!{cell} is not a number cell"
        with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
            for item in z.infolist():
                out.writestr(item, new.encode("utf-8") if item.filename == part else z.read(item.filename))


def sheet_xml(path, sheet: str) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read(_part(path, sheet)).decode("utf-8")


def copy(src, dst):
    shutil.copyfile(src, dst)
    return Path(dst)
