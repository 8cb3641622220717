"""PDF renderings of massbal's reports, made by LibreOffice headless from the .xlsx (so
the PDF shows exactly the workbook's pages: repeated titles, width fitted, period in the
header). Where LibreOffice is absent the caller gets PdfUnavailable with a plain sentence,
never a traceback."""
from __future__ import annotations

from pathlib import Path

from .soffice import SofficeMissing, convert


class PdfUnavailable(RuntimeError):
    pass


def to_pdf(xlsx: Path, outdir: Path | None = None) -> Path:
    xlsx = Path(xlsx)
    try:
        return convert(xlsx, Path(outdir) if outdir else xlsx.parent, "pdf")
    except SofficeMissing as e:
        raise PdfUnavailable(str(e)) from None
    except (RuntimeError, OSError) as e:  # a crash or timeout of LibreOffice: say so, keep the .xlsx
        raise PdfUnavailable(f"The PDF could not be made ({e}); the .xlsx is complete.") from None
