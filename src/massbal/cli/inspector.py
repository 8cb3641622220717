"""The inspector's commands: trace, recall, export, verify (CONTRACT section 4).

`register(app)` adds them to massbal's typer app. Exit status: 0 done and nothing open,
1 done with something to look at (open questions in a trace or recall, a changed copy
for verify), 2 could not be done (unreadable workbook, no such lot), with one plain
line on standard error.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import typer
from rich.table import Table

from .console import err, out, plain, stages, write_sheets_into
from .console import fail as _fail
from .console import load_raw as _read
from .console import parse_day as _day


def _write_sheet(book: Path, spec, before: tuple | None = None) -> None:
    """The Trace or Recall sheet into the workbook (massbal's package writer); before: the
    book's signature as read, so a book saved since is not written over."""
    rep = write_sheets_into(book, [spec], before=before)
    err.print(f"Wrote the {rep.sheets[0].sheet} sheet into {book.name}.", markup=False)


def _traces(prep, lot: str, item: str | None):
    """The lot's trace(s): a lot number that several items use is traced for each."""
    from massbal.engine.api import trace_lots
    from massbal.engine.trace.model import LotNotFound
    t0 = time.perf_counter()
    try:
        return trace_lots(prep, lot, item), t0
    except LotNotFound as e:
        _fail(str(e) + (f" (for item {item})" if item else ""))


def step_json(s) -> dict:
    """A trace step as JSON: lot, item, quantity always; the rest where it applies."""
    d = s.model_dump(mode="json", exclude_none=True)
    if not d.get("equivalents"):
        d.pop("equivalents", None)
    return {"lot": s.lot, "item": s.item, "quantity": s.quantity, **d}


def trace_json(tr) -> dict:
    d = tr.model_dump(mode="json", exclude={"back", "forward"})
    return {"lot": tr.lot, "item": tr.item, "back": [step_json(s) for s in tr.back],
            "forward": [step_json(s) for s in tr.forward], **d}


# ------------------------------------------------------------------ trace

def trace(book: Path = typer.Argument(..., help="The workbook (.xlsx or .xlsm)."),
          lot: str = typer.Argument(..., help="The lot number (or a batch number: its output lots)."),
          item: str | None = typer.Option(None, "--item", help="The item, when several items use this lot number."),
          as_json: bool = typer.Option(False, "--json", help="Print JSON: one object, or a list when the lot "
                                                            "number belongs to several items."),
          dry_run: bool = typer.Option(False, "--dry-run", help="Do not write the Trace sheet into BOOK.")):
    """Trace a lot back to its receipts (supplier, certificate) and forward to its customers, and write it on the workbook's Trace sheet."""
    from massbal.engine.api import prepare
    from massbal.layout.trace_sheets import trace_sheet
    with stages(sys.stderr.isatty() and not as_json) as stage:
        stage("Reading workbook")
        raw = _read(book)
        stage(f"Tracing lot {lot}")
        traces, _ = _traces(prepare(raw), lot, item)
        if not dry_run:
            stage("Writing the Trace sheet")
            _write_sheet(book, trace_sheet(traces), raw.signature)
    if len(traces) > 1 and not as_json:
        err.print(f"Lot {lot} belongs to {len(traces)} items ({', '.join(t.item for t in traces)}); "
                  "tracing each. Use --item to pick one.", markup=False)
    if as_json:
        data = [trace_json(t) for t in traces]
        sys.stdout.write(json.dumps(data[0] if len(data) == 1 else data, indent=2, default=str) + "\n")
    else:
        for t in traces:
            _show_trace(t)
    raise typer.Exit(1 if any(t.open_questions for t in traces) else 0)


def _q(v: float | None) -> str:
    if v is None:
        return ""
    text = f"{v:,.2f}"
    return "0.00" if text == "-0.00" else text  # rounding dust has no sign


_WHOLE = ("depth", "date", "shipments", "step")  # short columns never broken


def _fold(table: Table) -> Table:
    """Sized to the terminal: numbers and dates are never broken, lot numbers, names and
    customers wrap instead of being cut (no 'SFK-250108…')."""
    from rich import box
    table.box, table.collapse_padding, table.pad_edge = box.SIMPLE_HEAD, True, False
    for c in table.columns:
        header = str(c.header)
        cells = [str(x) for x in c.cells]
        if header in _WHOLE or header.endswith(")") or header.startswith("of "):
            c.min_width = max([len(x) for x in cells] + [5])  # the header may wrap, the figures not
        else:  # a word (a lot number, a name) is broken only when it is longer than 16
            c.overflow = "fold"
            c.min_width = min(16, max([len(w) for x in cells for w in x.split()] + [4]))
    if sum(c.min_width for c in table.columns) + len(table.columns) > out.width:
        for c in table.columns:  # too many columns for this terminal: wrap everything, cut nothing
            c.min_width, c.overflow = None, "fold"
    return table


def _share(v: float) -> str:
    """A share as a percentage that never reads 0.0 % for a real, small part (salt: 0.04 %)."""
    pct = 100 * v
    return f"{pct:.1f} %" if pct >= 0.1 or pct == 0 else f"{pct:.2g} %"




def _show_trace(t) -> None:
    out.print(f"[bold]Lot {plain(t.lot)}[/bold] ({plain(t.item)}): {plain(t.origin)}, {_q(t.total)} {plain(t.unit)}"
              + (f"; organic content {', '.join(f'{plain(k)} {_share(v)}' if v else f'{plain(k)} (not organic)' for k, v in t.composition.items())}"
                 if t.composition else ""))
    back = Table("depth", "step", "date", "lot", "item", f"qty ({t.unit})", "batch / supplier", "certificate",
                 title="Back: where it came from", title_justify="left")
    for s in t.back:
        who = s.batch if s.kind == "input" else (s.supplier or (f"field {s.field}, {s.season}" if s.field else ""))
        cert = ""
        if s.kind == "receipt":
            cert = f"{s.certificate or '-'}: " + {True: "valid", False: "NOT valid", None: "n/a"}[s.certificate_valid]
        back.add_row(str(s.depth), s.kind, str(s.date or ""), plain(s.lot), plain(s.item), _q(s.quantity), plain(who), plain(cert))
    out.print(_fold(back))
    fwd = Table("depth", "step", "date", "lot", "item", f"of this lot ({t.unit})", "as entered", "batch / customer",
                "location", title="Forward: where it went", title_justify="left",
                caption=f"'of this lot' is how much of lot {plain(t.lot)} each step holds (in products: its ingredient "
                        f"equivalent, {t.unit}); 'as entered' is the row's own quantity.", caption_justify="left")
    for s in t.forward:
        fwd.add_row(str(s.depth), s.kind, str(s.date or ""), plain(s.lot), plain(s.item), _q(s.quantity), plain(s.entered),
                    plain(s.batch or s.customer or (f"field {s.field}" if s.field else "")), plain(s.location))
    out.print(_fold(fwd))
    a = t.accounted
    out.print(f"Shipped {_q(a.shipped)}, lost {_q(a.losses)}, run losses {_q(a.process_loss)}, on hand "
              f"{_q(a.on_hand)}, not accounted for {_q(a.unaccounted)} {t.unit}. Traced in {t.seconds:.2f} s.")
    _show_questions(t.open_questions)


def _show_questions(qs) -> None:
    if not qs:
        out.print("No open questions.")
        return
    out.print(f"[bold]{len(qs)} open question(s):[/bold]")
    for q in qs:
        where = f" ({q.sheet} row {q.row})" if q.sheet and q.row else ""
        out.print(f"  - {q.message}{where}", markup=False)


# ------------------------------------------------------------------ recall

def recall(book: Path = typer.Argument(..., help="The workbook (.xlsx or .xlsm)."),
           lot: str = typer.Argument(..., help="The lot to recall."),
           item: str | None = typer.Option(None, "--item", help="The item, when several items use this lot number."),
           pdf: Path | None = typer.Option(None, "--pdf", help="Write the recall report as PDF here."),
           xlsx: Path | None = typer.Option(None, "--xlsx", help="Write the recall report as .xlsx here."),
           as_json: bool = typer.Option(False, "--json", help="Print the recall as JSON."),
           dry_run: bool = typer.Option(False, "--dry-run", help="Do not write the Recall sheet into BOOK.")):
    """Mock recall: every customer who got any part of the lot, stock to quarantine, open questions, and the time it took; on the Recall sheet."""
    from massbal.engine.api import prepare
    from massbal.engine.api import recall as recall_lot
    from massbal.engine.trace.model import AmbiguousLot, LotNotFound
    t0 = time.perf_counter()  # the clock starts before the workbook is read: a recall's real time
    with stages(sys.stderr.isatty() and not as_json) as stage:
        stage("Reading workbook")
        raw = _read(book)
        stage(f"Tracing lot {lot}")
        prep = prepare(raw)
        try:
            rc = recall_lot(prep, lot, item, started=t0)
        except LotNotFound as e:
            _fail(str(e) + (f" (for item {item})" if item else ""))
        except AmbiguousLot as e:
            _fail(f"lot {lot} belongs to {len(e.items)} items ({', '.join(e.items)}); say which with --item")
        operation = prep.book.settings.operation or ""
        if not dry_run:
            from massbal.layout.trace_sheets import recall_sheet
            stage("Writing the Recall sheet")
            _write_sheet(book, recall_sheet(rc), raw.signature)
        if xlsx is not None:
            from massbal.inspector.recall_report import write_recall
            stage("Writing the recall report")
            write_recall(rc, xlsx, operation=operation, source=book.name)
            err.print(f"Recall report: {xlsx}", markup=False)
        if pdf is not None:
            from massbal.inspector.recall_report import recall_pdf
            stage("Making the PDF (LibreOffice)")
            made, problem = recall_pdf(rc, pdf, operation=operation, source=book.name)
            err.print(f"Recall PDF: {made}" if made else f"No PDF: {problem}", markup=False)
    if as_json:
        sys.stdout.write(rc.model_dump_json(indent=2) + "\n")
    else:
        _show_recall(rc)
    raise typer.Exit(1 if rc.open_questions else 0)


def _show_recall(rc) -> None:
    out.print(f"[bold]Mock recall of lot {plain(rc.lot)}[/bold] ({plain(rc.item)}), {_q(rc.total)} {plain(rc.unit)}")
    t = Table("customer", "shipments", f"of the lot ({rc.unit})", f"shipped ({rc.unit})", "lots", "when",
              title="Customers", title_justify="left")
    for c in rc.customers:
        first, last = str(c.first_date or ""), str(c.last_date or "")
        t.add_row(plain(c.customer), str(c.shipments), _q(c.quantity), _q(c.shipped), plain(", ".join(c.lots)),
                  first if first == last else f"{first} to {last}")
    out.print(_fold(t))
    s = Table("location", "item", "lot", f"on hand ({rc.unit})", "of the lot", "last count",
              title="Stock to quarantine", title_justify="left")
    for x in rc.on_hand:
        s.add_row(plain(x.location), plain(x.item), plain(x.lot), _q(x.row_quantity), _q(x.quantity),
                  f"{_q(x.counted)} on {x.counted_on}" if x.counted is not None else "")
    out.print(_fold(s))
    if rc.dust_places:
        from massbal.layout.trace_tables import dust_sentence
        out.print(dust_sentence(rc), markup=False)
    _show_questions(rc.open_questions)
    out.print(f"Trace took {rc.seconds:.2f} s (reading the workbook included).")


# ------------------------------------------------------------------ export and verify

def export(book: Path = typer.Argument(..., help="The workbook (.xlsx or .xlsm)."),
           date_from: str | None = typer.Option(None, "--from", help="First day (YYYY-MM-DD)."),
           date_to: str | None = typer.Option(None, "--to", help="Last day (YYYY-MM-DD)."),
           item: str | None = typer.Option(None, "--item", help="Only this item (or ingredient)."),
           lots: list[str] | None = typer.Option(None, "--lot", help="Add a Trace sheet for this lot (repeatable)."),
           output: Path | None = typer.Option(None, "-o", "--output", help="The copy to write (.xlsx)."),
           pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="Also write a PDF of the report (LibreOffice).")):
    """Write the inspector's copy: a macro-free .xlsx with live formulas, a fingerprint and a PDF."""
    from massbal.inspector.export import default_copy_path, export_inspector
    start, end = _day(date_from, "--from"), _day(date_to, "--to")
    target = output or default_copy_path(book)
    if target.suffix.lower() != ".xlsx":
        _fail(f"{target.name}: the inspector's copy is an .xlsx file (no macros)")
    if target.resolve() == book.resolve():
        _fail("the inspector's copy cannot replace the workbook itself; choose another -o")
    with stages(sys.stderr.isatty()) as stage:
        stage("Reading workbook")
        raw = _read(book)
        try:
            res = export_inspector(raw, target, start=start, end=end, item=item, lots=lots or (),
                                   source_name=book.name, pdf=pdf, progress=stage)
        except (ValueError, LookupError) as e:  # a period that ends before it starts, a lot not in the book
            _fail(str(e))
        except PermissionError:
            _fail(f"{target} cannot be written (is it open in Excel?)")
    out.print(str(res.path), markup=False, soft_wrap=True)  # a path is never wrapped
    if pdf:
        err.print(f"PDF: {res.pdf}" if res.pdf else f"No PDF: {res.pdf_problem}", markup=False)
    # wrapped at words: at 80 columns the terminal would break it inside the fingerprint
    err.print(f"Fingerprint (SHA-256): {res.fingerprint} (of the data: the same for every export of "
              "this book while it does not change)", markup=False, soft_wrap=False)


def verify(copy: Path = typer.Argument(..., help="An inspector's copy written by massbal export."),
           fingerprint: str | None = typer.Option(None, "--fingerprint",
                                                     help="The fingerprint you were given (PDF cover, email).")):
    """Check an inspector's copy is as exported, or a workbook's Change log is whole.

    Exit 0 if so, 1 naming what changed (the first log entry edited or removed)."""
    from massbal.inspector.verify import verify as check
    from massbal.xlsx.write.change_log import verify_log
    if not copy.exists():
        _fail(f"{copy} does not exist")
    try:  # an export: its fingerprint covers every sheet, its Change log too; a workbook: the chain
        export = _is_export(copy)
        log = None if export else verify_log(copy)
        res = check(copy, fingerprint) if export or log is None else None
    except Exception as e:  # not a zip, not an xlsx: one line, no traceback
        _fail(f"{copy.name} cannot be read as an .xlsx file ({type(e).__name__})")
    if log is not None and not log.ok:
        out.print(f"{copy}: the Change log was CHANGED ({log.entries} entries read).", markup=False, soft_wrap=True)
        for p in log.problems:
            out.print(f"  - {p}", markup=False, soft_wrap=True)
        raise typer.Exit(1)
    if res is None:  # a working workbook: its log is all there is to check
        out.print(f"{copy}: the Change log is whole ({log.entries} entries, each chained to the one before).",
                  markup=False, soft_wrap=True)
        raise typer.Exit(0)
    if res.ok:
        out.print(f"{copy}: as exported. Fingerprint {res.fingerprint}", markup=False, soft_wrap=True)
        raise typer.Exit(0)
    out.print(f"{copy}: CHANGED since export.", markup=False, soft_wrap=True)
    for p in res.problems:
        out.print(f"  - {p}", markup=False, soft_wrap=True)
    raise typer.Exit(1)


def _is_export(path: Path) -> bool:
    from massbal.inspector.verify import FINGERPRINT_SHEET, read_cells
    return bool(read_cells(path, only={FINGERPRINT_SHEET}).get(FINGERPRINT_SHEET))


def register(app: typer.Typer) -> None:
    app.command("trace")(trace)
    app.command("recall")(recall)
    app.command("export")(export)
    app.command("verify")(verify)
