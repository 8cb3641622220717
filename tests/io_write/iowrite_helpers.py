"""Helpers for the package-writer tests: real files, real LibreOffice, no mocks."""
from __future__ import annotations

import csv
import os
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import openpyxl
import pytest

sys.path.insert(0, os.path.dirname(__file__))  # recs.py

from massbal.xlsx.write.zip_copy import Package  # noqa: E402

CORPUS = Path("/work/shared/xlsx_corpus")
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,UTF8,1,,0,false,true,false,false,false,-1"


def raw_members(path) -> dict[str, tuple[bytes, bytes]]:
    """Each zip member as stored: (local header + data, central record without offset)."""
    out = {}
    with Package(str(path)) as pkg:
        for m in pkg.members:
            central = bytearray(m.central)
            central[42:46] = b"\0\0\0\0"
            out[m.name] = (b"".join(pkg.raw_region(m)), bytes(central))
    return out


def changed_members(before, after) -> tuple[set[str], set[str], set[str]]:
    """(members whose stored bytes differ, members removed, members added)."""
    a, b = raw_members(before), raw_members(after)
    differ = {n for n in a if n in b and a[n] != b[n]}
    return differ, set(a) - set(b), set(b) - set(a)


def member_order(path) -> list[str]:
    with Package(str(path)) as pkg:
        return [m.name for m in pkg.members]


def png_bytes(w: int = 4, h: int = 3) -> bytes:
    """A small real PNG (red), for pictures in test workbooks."""
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    raw = b"".join(b"\0" + b"\xff\0\0" * w for _ in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def oats_receipts_book(path: Path, rows: int) -> Path:
    """A plain sheet 'Receipts' (no Excel Table) of `rows` oat receipts, as openpyxl saves it."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Receipts"
    ws.append(["Date", "Item", "Lot", "Quantity", "Unit"])
    for i in range(rows):
        ws.append([f"2025-03-{1 + i % 28:02d}", "Oats", f"R-{i}", 100 + i, "lb"])
    wb.save(path)
    return path


def copy_writable(src: Path, dst_dir: Path, name: str | None = None) -> Path:
    dst = dst_dir / (name or src.name)
    shutil.copyfile(src, dst)
    os.chmod(dst, 0o644)
    return dst


class LibreOffice:
    """Converts many workbooks in one soffice run (start-up is the slow part), with a
    private profile so runs never share state."""

    def __init__(self, root: Path):
        self.profile = root / "profile"
        self.root = root

    def to_csv(self, files: list[Path], outdir: Path) -> dict[str, dict[str, list[list[str]]]]:
        """{file stem: {sheet name: rows}} for every sheet of every file."""
        outdir.mkdir(parents=True, exist_ok=True)
        self._run(["--convert-to", CSV_FILTER, "--outdir", str(outdir), *map(str, files)])
        out: dict[str, dict[str, list[list[str]]]] = {}
        for f in files:
            sheets = {}
            for p in outdir.glob(f"{f.stem}-*.csv"):
                with open(p, newline="", encoding="utf-8") as fh:
                    sheets[p.stem[len(f.stem) + 1:]] = list(csv.reader(fh))
            out[f.stem] = sheets
        return out

    def to_xlsx(self, files: list[Path], outdir: Path) -> list[Path]:
        """Open and save again as .xlsx in LibreOffice (a re-save by another program)."""
        outdir.mkdir(parents=True, exist_ok=True)
        self._run(["--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(outdir),
                   *map(str, files)])
        return [outdir / (f.stem + ".xlsx") for f in files]

    def _run(self, args: list[str]) -> None:
        cmd = ["soffice", "--headless", "--norestore",
               f"-env:UserInstallation=file://{self.profile}", *args]
        subprocess.run(cmd, check=True, capture_output=True, timeout=300)


@pytest.fixture(scope="session")
def libreoffice(tmp_path_factory) -> LibreOffice:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed")
    return LibreOffice(tmp_path_factory.mktemp("lo"))
