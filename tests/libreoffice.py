"""LibreOffice headless, the independent spreadsheet engine the tests check files with."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest


def soffice() -> str:
    """The soffice executable. Missing on a developer's machine: skip; missing in CI (where
    .ci/run installs it): fail, so a broken install never passes as skipped tests."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe:
        return exe
    if os.environ.get("CI"):
        pytest.fail("LibreOffice is not installed, but CI must have it (.ci/run installs it)")
    pytest.skip("LibreOffice is not installed")


def convert(files, outdir: Path, to: str = "pdf", timeout: int = 300) -> list[Path]:
    """Convert files in one soffice run (start-up is the slow part), with a throw-away profile."""
    exe = soffice()
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo_profile_") as profile:
        subprocess.run([exe, "--headless", "--norestore", f"-env:UserInstallation=file://{profile}",
                        "--convert-to", to, "--outdir", str(outdir), *map(str, files)],
                       check=True, capture_output=True, timeout=timeout)
    ext = to.split(":")[0]
    return [outdir / (Path(f).stem + "." + ext) for f in files]
