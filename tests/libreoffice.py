"""LibreOffice headless, the independent spreadsheet engine the tests check files with.
The conversion itself is massbal's own (massbal.inspector.soffice, which the export uses)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from massbal.inspector.soffice import convert as _convert
from massbal.inspector.soffice import find_soffice


def soffice() -> str:
    """The soffice executable. Missing on a developer's machine: skip; missing in CI (where
    .ci/run installs it): fail, so a broken install never passes as skipped tests."""
    exe = find_soffice()
    if exe:
        return exe
    if os.environ.get("CI"):
        pytest.fail("LibreOffice is not installed, but CI must have it (.ci/run installs it)")
    pytest.skip("LibreOffice is not installed")


def convert(files, outdir: Path, to: str = "pdf", timeout: int = 300) -> list[Path]:
    """Convert files in one soffice run (start-up is the slow part), with a throw-away profile."""
    soffice()
    return _convert(list(files), outdir, to, timeout=timeout)
