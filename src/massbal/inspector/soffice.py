"""LibreOffice headless: convert a workbook (to PDF, or to xlsx with every formula
recalculated). Each run gets a throw-away user profile, so it neither needs nor touches
the user's LibreOffice settings and two runs never fight over one profile."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

# A profile whose registry tells Calc to recalculate every formula when it loads a file
# (Calc otherwise keeps the values stored in an .xlsx).
_RECALC_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


class SofficeMissing(RuntimeError):
    pass


def find_soffice() -> str | None:
    for name in ("soffice", "libreoffice"):
        p = shutil.which(name)
        if p:
            return p
    for p in ("/Applications/LibreOffice.app/Contents/MacOS/soffice",
              r"C:\Program Files\LibreOffice\program\soffice.exe"):
        if os.path.exists(p):
            return p
    return None


def convert(src, outdir: Path, target: str, *, recalc: bool = False, timeout: float = 300) -> Path | list[Path]:
    """soffice --convert-to `target` (e.g. 'pdf', 'xlsx:Calc MS Excel 2007 XML') of one file
    or a list of files in one LibreOffice start; returns the new file(s)."""
    exe = find_soffice()
    if exe is None:
        raise SofficeMissing("LibreOffice (soffice) is not installed, so no PDF could be made. "
                             "Install LibreOffice, or print the .xlsx from Excel.")
    many = isinstance(src, (list, tuple))
    srcs = [Path(s).resolve() for s in (src if many else [src])]
    outdir = Path(outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="massbal-lo-") as prof:
        if recalc:
            user = Path(prof) / "user"
            user.mkdir()
            (user / "registrymodifications.xcu").write_text(_RECALC_XCU, encoding="utf-8")
        cmd = [exe, "--headless", "--norestore", "--nologo", f"-env:UserInstallation={Path(prof).as_uri()}",
               "--convert-to", target, "--outdir", str(outdir), *map(str, srcs)]
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    ext = target.split(":", 1)[0]
    made = [outdir / (s.stem + "." + ext) for s in srcs]
    missing = [m.name for m in made if not m.exists()]
    if run.returncode != 0 or missing:
        raise RuntimeError(f"LibreOffice could not convert {', '.join(s.name for s in srcs)} to {ext}: "
                           f"{(run.stderr or run.stdout).strip()[-300:]}")
    return made if many else made[0]


def recalculated_copies(srcs: list[Path], outdir: Path) -> list[Path]:
    """Copies of .xlsx files in which LibreOffice has recomputed every formula (one start)."""
    return convert(list(srcs), Path(outdir), "xlsx:Calc MS Excel 2007 XML", recalc=True)
