"""The mock recall as a printable report: one sheet (customers, shipments, stock to
quarantine, open questions, the time the trace took) as .xlsx, and its PDF."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pandas as pd

from massbal import __version__
from massbal.engine.trace.model import Recall
from massbal.layout.trace_tables import customers_frame, forward_frame, on_hand_frame, question_lines, questions_frame, summary_pairs

from .xlsx_report import Col, Report, Sheet

_KINDS = {"Date": "date", "Quantity": "number", "Row quantity": "number", "% of row": "pct", "% of lot": "pct",
          "Counted": "number", "Counted on": "date", "Row": "int", "Depth": "int", "Shipments": "int",
          "Quantity of the lot": "number", "Quantity shipped": "number", "First shipped": "date",
          "Last shipped": "date", "On hand (book)": "number", "Of which the recalled lot": "number",
          "Last count": "number", "Question": "wrap"}


def recall_tables(rc: Recall) -> dict[str, pd.DataFrame]:
    """The recall's tables, by caption (the Recall sheet of the workbook takes the same)."""
    return {"Customers who received any part of the lot": customers_frame(rc),
            "Shipments": forward_frame(rc.shipments),
            "Stock on hand to quarantine, by location": on_hand_frame(rc),
            "Open questions: links that could not be followed": questions_frame(rc.open_questions)}


def write_recall(rc: Recall, path, *, operation: str = "", source: str = "") -> Path:
    path = Path(path)
    rep = Report(path, header_left=operation, header_right=f"Mock recall of lot {rc.lot}",
                 footer_left=f"massbal {__version__}, {rc.generated:%Y-%m-%d %H:%M}")
    s = rep.sheet("Recall", f"Mock recall of lot {rc.lot} ({rc.item})",
                  f"From {source or 'the workbook'}, {rc.generated:%Y-%m-%d %H:%M}; quantities in {rc.unit}, "
                  "'of the lot' is the recalled lot's part of what was shipped or is on hand.")
    s.pairs(value_col=2, rows=summary_pairs(rc) + [("Customers", len(rc.customers)), ("Locations holding stock",
                                                                    len({x.location for x in rc.on_hand}))])
    s.row += 1
    s.lines("Open questions: links that could not be followed", question_lines(rc.open_questions))
    for i, (caption, f) in enumerate(recall_tables(rc).items(), start=1):
        if not caption.startswith("Open questions"):
            _frame(s, f"Recall{i}", caption, f)
    rep.close()
    return path


def _frame(s: Sheet, name: str, caption: str, f: pd.DataFrame) -> None:
    cols = []
    for h in f.columns:
        kind = _KINDS.get(h, "number" if h.endswith("equivalent") else "text")
        width = 60 if kind == "wrap" else 11 if kind in ("date", "number", "pct", "int") else 15
        cols.append(Col(h, f[h].astype(object).where(f[h].notna(), None), kind, width))
    s.table(name, cols, len(f), caption=caption, repeat=False)


def recall_pdf(rc: Recall, pdf_path, *, operation: str = "", source: str = "") -> tuple[Path | None, str | None]:
    """The recall report as PDF; (None, reason) when LibreOffice cannot make it."""
    from .pdf import PdfUnavailable, to_pdf
    pdf_path = Path(pdf_path)
    with tempfile.TemporaryDirectory(prefix="massbal-recall-") as tmp:
        x = write_recall(rc, Path(tmp) / (pdf_path.stem + ".xlsx"), operation=operation, source=source)
        try:
            made = to_pdf(x, Path(tmp))
        except PdfUnavailable as e:
            return None, str(e)
        pdf_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(made), str(pdf_path))
    return pdf_path, None
