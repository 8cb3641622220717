"""The inspector's copy: a separate, macro-free .xlsx that proves itself.

Sheets: Cover (operation, period, settings, conversion factors and their source,
version, time, SHA-256 fingerprint), Balance, Supply, Supply by item and Yield as live
formulas over the Ledger table (cached with the engine's figures, so a viewer that never
recalculates shows them too; every figure links to the ledger rows behind it),
Exceptions, one Trace sheet per lot asked, FSMA 204, Certificates, Ledger, and the
source rows of every movement as typed ("Src ..."). Every sheet prints: title row
repeated, fitted to the page width, operation and period in the page header.
"""
from __future__ import annotations

import re
import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from massbal import __version__
from massbal.engine.api import Prepared, prepare, reconcile_prepared, trace_lots
from massbal.engine.load import MOVEMENT_TABLES
from massbal.engine.period_findings import findings_in_period
from massbal.engine.rawbook import RawBook
from massbal.engine.trace.model import LotTrace
from massbal.inspector import crop as XF
from massbal.inspector import sheets as X
from massbal.inspector.cover import cover_sheet
from massbal.inspector.dashboard import dashboard_sheet
from massbal.inspector.data import Meta, build
from massbal.inspector.livestock import SOURCE_TABLES, livestock_names, livestock_sheets
from massbal.inspector.record import record_frames
from massbal.layout.trace_tables import fsma_frame

from .xlsx_report import Report

PRINT_ROWS = 2000  # sheets longer than this stay in the workbook but out of the PDF


@dataclass
class ExportResult:
    path: Path
    fingerprint: str
    pdf: Path | None
    pdf_problem: str | None
    seconds: float
    traces: list[LotTrace]


def safe_sheet(name: str, taken: set[str]) -> str:
    s = re.sub(r"[\[\]:*?/\\]", "-", name).strip("'")[:31] or "Sheet"
    base, i = s, 2
    while s.casefold() in {t.casefold() for t in taken}:
        suffix = f" ({i})"
        s = base[:31 - len(suffix)] + suffix
        i += 1
    taken.add(s)
    return s


def export_inspector(raw: RawBook, out, *, start=None, end=None, item: str | None = None, lots=(),
                     period=None, source_name: str = "", now: datetime | None = None, pdf: bool = True,
                     prep: Prepared | None = None, progress=None) -> ExportResult:
    """progress(stage name), when given, is told each stage as it starts (the CLI's display)."""
    t0 = time.perf_counter()
    stage = progress or (lambda name: None)
    out = Path(out)
    stage("Reconciling")
    prep = prep or prepare(raw)
    rec = reconcile_prepared(prep, start, end, item, period, by_item=True)  # build's supply_by_item: same roll
    # the period's findings only (and the book-wide ones), on the Exceptions sheet and the cover alike
    rec = replace(rec, findings=findings_in_period(rec.findings, raw, rec.periods[0][0], rec.periods[-1][1]))
    data = build(prep, rec)
    # the lot graph (seconds at a million movements) only when lots were asked for
    traces: list[LotTrace] = trace_lots(prep, list(lots), item or None, item_if_present=True) if lots else []
    now = (now or datetime.now()).replace(microsecond=0)
    meta = Meta(prep, rec, data, traces, now, source_name or raw.source or "", item, out.name)
    stage("Writing the inspector's copy")
    digest = _write(out, raw, meta, print_copy=False, stage=stage)
    pdf_path, problem = None, None
    if pdf:
        stage("Making the PDF (LibreOffice)")
        pdf_path, problem = _pdf(out, raw, meta)
    return ExportResult(out, digest, pdf_path, problem, round(time.perf_counter() - t0, 3), traces)


def default_copy_path(book) -> Path:
    book = Path(book)
    return book.with_name(f"{book.stem} inspector copy.xlsx")


def export_book(book, out=None, *, start=None, end=None, item: str | None = None, lots=(),
                pdf: bool = True) -> Path:
    """Export for inspector from a saved workbook file (the ribbon button, the CLI):
    writes '<name> inspector copy.xlsx' (and its PDF) beside it; returns the copy's path."""
    from massbal.xlsx.read.read_book import read_book
    book = Path(book)
    out = Path(out) if out else default_copy_path(book)
    if out.resolve() == book.resolve():
        raise ValueError("the inspector's copy cannot replace the workbook itself")
    return export_inspector(read_book(book), out, start=start, end=end, item=item, lots=lots,
                            source_name=book.name, pdf=pdf).path


def _pdf(out: Path, raw: RawBook, meta: Meta) -> tuple[Path | None, str | None]:
    from .pdf import PdfUnavailable, to_pdf
    with tempfile.TemporaryDirectory(prefix="massbal-print-") as tmp:
        copy = Path(tmp) / (out.stem + ".xlsx")
        _write(copy, raw, meta, print_copy=True)
        try:
            made = to_pdf(copy, Path(tmp))
        except PdfUnavailable as e:
            return None, str(e)
        target = out.with_suffix(".pdf")
        shutil.move(str(made), target)
    return target, None


# ------------------------------------------------------------------ the workbook

def _write(path: Path, raw: RawBook, m: Meta, *, print_copy: bool, stage=lambda name: None) -> str:
    rep = Report(path, header_left=m.prep.book.settings.operation or "", header_right=m.period_text,
                 footer_left=f"massbal {__version__}, {m.now:%Y-%m-%d %H:%M}")
    taken: set[str] = set()
    names = {k: safe_sheet(k, taken) for k in ("Cover", "Dashboard", "Balance", "Supply", "Supply by item",
                                               "Yield", "Exceptions", "Investigations")}
    trace_names = [safe_sheet(f"Trace {t.lot}" + (f" {t.item}" if sum(1 for x in m.traces if x.lot == t.lot) > 1 else ""), taken)
                   for t in m.traces]
    farm = livestock_names(m, safe_sheet, taken)  # Herd, Feed, Pasture on a farm with animals
    names.update(farm)
    for k in ("FSMA 204", "Certificates", "Ledger") + (("Crop", "Harvest") if XF.is_farm(m) else ()):
        names[k] = safe_sheet(k, taken)
    src_tables = [t for t in MOVEMENT_TABLES + ("Items", "Settings") + SOURCE_TABLES if raw.get(t) is not None]
    src_names = {t: safe_sheet(f"Src {t}", taken) for t in src_tables}

    cover = rep.sheet(names["Cover"], "Organic mass balance: inspector's copy", landscape=False)
    dash = rep.sheet(names["Dashboard"], "Dashboard: the balances as pictures",
                     f"Book against counted stock with the tolerance band, in {m.prep.unit}; organic supply "
                     "against where it went; yield per run. Red diamonds: flagged months and runs.")
    bal = rep.sheet(names["Balance"], "Balance of each item",
                    f"Quantities in {m.prep.unit}. Each figure is a formula over the Ledger sheet; click it to "
                    "see the ledger rows behind it.")
    sup = rep.sheet(names["Supply"], "Supply balance of each organic ingredient",
                    f"In {m.prep.unit} of ingredient equivalent. Did more organic X go out than came in? Each figure "
                    "sums the 'Supply by item' rows (click it), plus the ingredient's share of run losses (Yield).")
    det = rep.sheet(names["Supply by item"], "Supply balance, by the item that holds the ingredient",
                    "Each figure is SUMPRODUCT(Ledger quantity x Ledger share of the ingredient) over that item's "
                    "ledger rows; the shares come from the production records (see Ledger).")
    yld = rep.sheet(names["Yield"], "Yield of each production run",
                    f"Input and output are sums of the run's Ledger rows, in {m.prep.unit}; the shares are each "
                    "ingredient's part of the run's input, through every level of runs.")
    livestock_sheets(rep, m, farm)
    exc = rep.sheet(names["Exceptions"], "Exceptions: every problem massbal found",
                    "Row is the row of the user's workbook; click it to see that row as typed.")
    invs = rep.sheet(names["Investigations"], "Investigations: the cells that would close each flagged figure",
                     "One row per candidate, best first, with the figure after the correction; the last columns are "
                     "the investigator's notes as typed in the workbook.")
    trs = [rep.sheet(n, f"Trace of lot {t.lot} ({t.item})",
                     "Back to the receipts, forward to the customers; quantities are this lot's part, "
                     f"in {t.unit}.") for n, t in zip(trace_names, m.traces, strict=True)]
    fsma = rep.sheet(names["FSMA 204"], "FSMA 204 sortable spreadsheet of the traced lots",
                     "One row per critical tracking event with its key data elements.") if m.traces else None
    farm = [rep.sheet(names["Crop"], "Crop balance of each crop and season (NOP crop instruction A to G)",
                      f"In {m.prep.unit}. Organic stock only: a lot from a transitional field or a buffer strip is not "
                      "organic crop. Accounted, difference, harvest % and status are live formulas over each row."),
            rep.sheet(names["Harvest"], "Field yield: each field's harvest against acres x expected yield",
                      "Expected harvest, harvest %, harvested per acre and status are live formulas; the expected "
                      "yields' sources are on the cover.")] if XF.is_farm(m) else []
    cert = rep.sheet(names["Certificates"], "Certificate register", "Suppliers' organic certificates (COO).")
    closed_f, log_f = record_frames(raw.source, m.data.periods[0][0], m.data.periods[-1][1])
    if closed_f is not None:  # CONTRACT s.8: the closes, and the changes to this period's rows
        X.frame_table(rep.sheet(safe_sheet("Closed periods", taken), "Closed periods",
                                "Every close and reopen of the workbook, with the balances as closed."),
                      "ClosedPeriods", closed_f, {"Expected ending": "number", "Counted ending": "number",
                                                  "Variance": "number", "Rows": "int"})
    if log_f is not None:
        X.frame_table(rep.sheet(safe_sheet("Change log", taken), "Change log of this period's rows",
                                "What changed in the input tables between massbal's writes. Each entry's hash "
                                "covers its content and the previous entry's hash (SHA-256)."),
                      "ChangeLog", log_f, {"Entry": "int", "Row": "int", "Old value": "wrap40", "New value": "wrap40"})
    led = rep.sheet(names["Ledger"], "Ledger: every movement behind the figures",
                    f"One row per movement, in {m.prep.unit}, sorted by item, owner, kind and date. Effect is what the "
                    "row does to the item's stock; Share X is the part of the row that is organic ingredient X.")
    srcs = {t: rep.sheet(n, f"Source rows: {raw.get(t).sheet}",
                         f"Rows of sheet '{raw.get(t).sheet}' as typed in {m.source or 'the workbook'}; "
                         "Row is the row number there.") for t, n in src_names.items()}

    src_pos = X.source_rows(raw, m, src_tables)
    stage(f"Writing the inspector's copy: Ledger ({len(m.data.ledger):,} rows)")
    ledger_first = X.ledger_sheet(led, m, src_names, src_pos)
    stage("Writing the inspector's copy: Balance, Supply, Yield, Exceptions")
    ledger_loc = X.locator(names["Ledger"], ledger_first, len(X.LEDGER_COLS) + len(m.data.ingredients))
    dashboard_sheet(dash, m.rec)
    X.balance_sheet(bal, m, ledger_loc)
    det_first = X.detail_sheet(det, m, ledger_loc)
    X.supply_sheet(sup, m, names["Supply by item"], det_first)
    X.yield_sheet(yld, m)
    X.exceptions_sheet(exc, m, raw, src_names, src_pos)
    from massbal.inspector.investigations import export_frame
    inv_frame = export_frame(m.rec.investigations, m.prep.unit, raw.source)
    X.frame_table(invs, "Investigations", inv_frame,
                  {"Start": "date", "End": "date", "Variance": "number", "Rank": "int", "Row": "int",
                   "Variance after": "number", "Variance % after": "pct",
                   "Other variance after": "number", "Explanation": "wrap60"})
    for n, (s, t) in enumerate(zip(trs, m.traces, strict=True), start=1):
        X.trace_sheet(s, t, n)
    if fsma is not None:
        f = fsma_frame(m.prep, m.traces)
        X.frame_table(fsma, "FSMA204", f, {"Event date": "date", "Quantity": "number",
                                          "Quantity (report unit)": "number", "Row": "int",
                                          "Input traceability lot codes": "wrap40"})
    if farm:
        XF.crop_sheet(farm[0], m)
        XF.harvest_sheet(farm[1], m)
    X.certificates_sheet(cert, m)
    stage(f"Writing the inspector's copy: source rows ({sum(len(p) for p in src_pos.values()):,})")
    for t, s in srcs.items():
        X.source_sheet(s, raw, t, src_pos.get(t))
    fp_cell = cover_sheet(cover, m, names, trace_names, src_names, print_copy)

    if print_copy:  # the PDF: the report, not a million ledger rows
        for s in [led, det, *srcs.values()]:
            if s.row > PRINT_ROWS:
                s.ws.hide()
    stage("Writing the inspector's copy: fingerprint, compressing")
    return rep.close(fp_cell).overall


