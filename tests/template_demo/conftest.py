"""Shared fixtures: the demo tables, generated once, and the books written from them."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from massbal.books.gen import generate_book, generate_tables

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "workbook_template" / "massbal_template.xlsx"


@pytest.fixture(scope="session")
def demo():
    """(tables, manifest) of the demo book."""
    return generate_tables("demo")


@pytest.fixture(scope="session")
def demo_books(tmp_path_factory, demo):
    """The demo book written by both writers: {'xlsxwriter': path, 'fast': path}."""
    d = tmp_path_factory.mktemp("books")
    out = {}
    for writer in ("xlsxwriter", "fast"):
        path = d / f"demo_{writer}.xlsx"
        generate_book(path, scale="demo", writer=writer)
        out[writer] = path
    return out


from libreoffice import soffice  # noqa: E402  (one finder for every test area)

# LibreOffice leaves formulas in files from other programs as saved; this profile makes it
# recalculate them on load, so a probe formula shows what LibreOffice itself computes.
_RECALC = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
</oor:items>
"""


@pytest.fixture(scope="session")
def template_path() -> Path:
    return TEMPLATE


@pytest.fixture(scope="session")
def lo_convert():
    """convert(src, outdir, to, recalc=False, profile=None): LibreOffice headless conversion."""
    return libreoffice_convert


def libreoffice_convert(src: Path, outdir: Path, to: str, *, recalc: bool = False, profile: Path | None = None) -> None:
    exe = soffice()
    args = [exe, "--headless", "--norestore"]
    if profile is not None:
        (profile / "user").mkdir(parents=True, exist_ok=True)
        if recalc:
            (profile / "user" / "registrymodifications.xcu").write_text(_RECALC, encoding="utf-8")
        args.append(f"-env:UserInstallation={profile.as_uri()}")
    args += ["--convert-to", to, "--outdir", str(outdir), str(src)]
    subprocess.run(args, check=True, capture_output=True, timeout=180)
