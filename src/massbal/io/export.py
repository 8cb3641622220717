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
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from massbal import __version__
from massbal.engine.api import Prepared, prepare, reconcile_prepared
from massbal.engine.rawbook import RawBook
from massbal.engine.result import Reconciliation
from massbal.engine.trace import LotTrace, Tracer
from massbal.engine.units import kg_factors, report_factor, unit_info
from massbal.engine.load import MOVEMENT_TABLES

from . import export_formulas as FX
from .export_data import ExportData, blocks, build
from .trace_tables import back_frame, forward_frame, fsma_frame, question_lines, summary_pairs
from .xlsx_report import Col, Report, Sheet

PRINT_ROWS = 2000  # sheets longer than this stay in the workbook but out of the PDF
LEDGER_COLS = ["Date", "Kind", "Item", "Lot", "Owner", "Location", "Quantity", "Effect", "Batch", "Partner",
               "Certificate", "Organic", "Reference", "Source sheet", "Source row"]


@dataclass
class ExportResult:
    path: Path
    fingerprint: str
    pdf: Path | None
    pdf_problem: str | None
    seconds: float
    traces: list[LotTrace]


def share_header(name: str) -> str:
    return f"Share {name}"


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
                     prep: Prepared | None = None) -> ExportResult:
    t0 = time.perf_counter()
    out = Path(out)
    prep = prep or prepare(raw)
    rec = reconcile_prepared(prep, start, end, item, period)
    data = build(prep, rec)
    tracer = Tracer(prep)
    traces: list[LotTrace] = []
    for lot in lots:
        traces += tracer.trace_each(lot, item if item and _has_lot(tracer, lot, item) else None)
    now = (now or datetime.now()).replace(microsecond=0)
    meta = _Meta(prep, rec, data, traces, now, source_name or raw.source or "", item, out.name)
    digest = _write(out, raw, meta, print_copy=False)
    pdf_path, problem = None, None
    if pdf:
        pdf_path, problem = _pdf(out, raw, meta)
    return ExportResult(out, digest, pdf_path, problem, round(time.perf_counter() - t0, 3), traces)


def default_copy_path(book) -> Path:
    book = Path(book)
    return book.with_name(f"{book.stem} inspector copy.xlsx")


def export_book(book, out=None, *, start=None, end=None, item: str | None = None, lots=(),
                pdf: bool = True) -> Path:
    """Export for inspector from a saved workbook file (the ribbon button, the CLI):
    writes '<name> inspector copy.xlsx' (and its PDF) beside it; returns the copy's path."""
    from .read_xlsx import read_book
    book = Path(book)
    out = Path(out) if out else default_copy_path(book)
    if out.resolve() == book.resolve():
        raise ValueError("the inspector's copy cannot replace the workbook itself")
    return export_inspector(read_book(book), out, start=start, end=end, item=item, lots=lots,
                            source_name=book.name, pdf=pdf).path


def _has_lot(tracer: Tracer, lot: str, item: str) -> bool:
    try:
        tracer.find(lot, item)
        return True
    except LookupError:
        return False


def _pdf(out: Path, raw: RawBook, meta: "_Meta") -> tuple[Path | None, str | None]:
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


@dataclass
class _Meta:
    prep: Prepared
    rec: Reconciliation
    data: ExportData
    traces: list[LotTrace]
    now: datetime
    source: str
    item: str | None
    out_name: str = ""  # the copy's file name: the PDF (made from a twin) must say the same

    @property
    def period_text(self) -> str:
        p = self.rec.periods
        text = f"{p[0][0]:%Y-%m-%d} to {p[-1][1]:%Y-%m-%d}"
        return text + (f" ({len(p)} periods)" if len(p) > 1 else "")

    @property
    def operation(self) -> str:
        return self.prep.book.settings.operation or "Operation not named (add 'Operation' on the Settings sheet)"


# ------------------------------------------------------------------ the workbook

def _write(path: Path, raw: RawBook, m: _Meta, *, print_copy: bool) -> str:
    rep = Report(path, header_left=m.prep.book.settings.operation or "", header_right=m.period_text,
                 footer_left=f"massbal {__version__}, {m.now:%Y-%m-%d %H:%M}")
    taken: set[str] = set()
    names = {k: safe_sheet(k, taken) for k in ("Cover", "Balance", "Supply", "Supply by item", "Yield",
                                               "Exceptions")}
    trace_names = [safe_sheet(f"Trace {t.lot}" + (f" {t.item}" if _lot_twice(m.traces, t) else ""), taken)
                   for t in m.traces]
    for k in ("FSMA 204", "Certificates", "Ledger"):
        names[k] = safe_sheet(k, taken)
    src_tables = [t for t in MOVEMENT_TABLES + ("Items", "Settings") if raw.get(t) is not None]
    src_names = {t: safe_sheet(f"Src {t}", taken) for t in src_tables}

    cover = rep.sheet(names["Cover"], "Organic mass balance: inspector's copy", landscape=False)
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
    exc = rep.sheet(names["Exceptions"], "Exceptions: every problem massbal found",
                    "Row is the row of the user's workbook; click it to see that row as typed.")
    trs = [rep.sheet(n, f"Trace of lot {t.lot} ({t.item})",
                     "Back to the receipts, forward to the customers; quantities are this lot's part, "
                     f"in {t.unit}.") for n, t in zip(trace_names, m.traces)]
    fsma = rep.sheet(names["FSMA 204"], "FSMA 204 sortable spreadsheet of the traced lots",
                     "One row per critical tracking event with its key data elements.") if m.traces else None
    cert = rep.sheet(names["Certificates"], "Certificate register", "Suppliers' organic certificates (COO).")
    led = rep.sheet(names["Ledger"], "Ledger: every movement behind the figures",
                    f"One row per movement, in {m.prep.unit}, sorted by item, owner, kind and date. Effect is what the "
                    "row does to the item's stock; Share X is the part of the row that is organic ingredient X.")
    srcs = {t: rep.sheet(n, f"Source rows: {raw.get(t).sheet}",
                         f"Rows of sheet '{raw.get(t).sheet}' as typed in {m.source or 'the workbook'}; "
                         "Row is the row number there.") for t, n in src_names.items()}

    src_pos = _source_rows(raw, m, src_tables)
    ledger_first = _ledger(led, m, src_names, src_pos)
    ledger_loc = _locator(names["Ledger"], ledger_first, len(LEDGER_COLS) + len(m.data.ingredients))
    _balance(bal, m, ledger_loc)
    det_first = _detail(det, m, ledger_loc)
    _supply(sup, m, names["Supply by item"], det_first)
    _yield(yld, m)
    _exceptions(exc, m, raw, src_names, src_pos)
    for n, (s, t) in enumerate(zip(trs, m.traces), start=1):
        _trace(s, t, n)
    if fsma is not None:
        f = fsma_frame(m.prep, m.traces)
        _frame_table(fsma, "FSMA204", f, {"Event date": "date", "Quantity": "number",
                                          "Quantity (report unit)": "number", "Row": "int",
                                          "Input traceability lot codes": "wrap40"})
    _certificates(cert, m)
    for t, s in srcs.items():
        _source(s, raw, t, src_pos.get(t))
    fp_cell = _cover(cover, m, names, trace_names, src_names, print_copy)

    if print_copy:  # the PDF: the report, not a million ledger rows
        for s in [led, det, *srcs.values()]:
            if s.row > PRINT_ROWS:
                s.ws.hide()
    return rep.close(fp_cell).overall


def _lot_twice(traces: list[LotTrace], t: LotTrace) -> bool:
    return sum(1 for x in traces if x.lot == t.lot) > 1


def _locator(sheet: str, first: int, ncols: int):
    from .fingerprint import col_letter
    last = col_letter(ncols)

    def loc(lo, hi) -> str | None:
        if lo is None or (isinstance(lo, float) and np.isnan(lo)):
            return None
        return f"'{sheet}'!A{first + int(lo) + 1}:{last}{first + int(hi) + 1}"
    return loc


def _date_text(ts) -> str:
    ts = pd.Timestamp(ts)
    return f"DATE({ts.year},{ts.month},{ts.day})"


# ------------------------------------------------------------------ Ledger and sources

def _source_rows(raw: RawBook, m: _Meta, tables: list[str]) -> dict[str, pd.Series]:
    """Per source table: worksheet row -> position among the rows the copy shows."""
    led = m.data.ledger
    by_sheet = {}
    for t in tables:
        rt = raw.get(t)
        if t in ("Items", "Settings"):
            rows = np.asarray(rt.rows)
        else:
            want = set(led.loc[led["sheet"] == m.prep.book.sheets.get(t, rt.sheet), "row"].astype(int))
            rows = np.asarray([r for r in rt.rows if int(r) in want])
        by_sheet[t] = pd.Series(np.arange(len(rows)), index=rows.astype(int))
    return by_sheet


def _source(s: Sheet, raw: RawBook, table: str, pos: pd.Series | None) -> None:
    rt = raw.get(table)
    if pos is None:
        return
    keep = np.isin(np.asarray(rt.rows, dtype=int), pos.index.to_numpy())
    data = rt.data[keep]
    headers, seen = [], set()
    for h, letter in zip(rt.headers, rt.columns):
        h = str(h).strip() or f"Column {letter}"
        if h.casefold() in seen or h.casefold() == "row":
            h = f"{h} ({letter})"
        seen.add(h.casefold())
        headers.append(h)
    cols = [Col("Row", list(np.asarray(rt.rows)[keep]), "int", 7)]
    for j, h in enumerate(headers):
        cols.append(Col(h, list(data[j]), "text", 14))
    s.table("Src" + re.sub(r"\W", "", table), cols, int(keep.sum()))


def _ledger(s: Sheet, m: _Meta, src_names: dict[str, str], src_pos: dict[str, pd.Series]) -> int:
    led = m.data.ledger
    book = m.prep.book
    table_of = {v: k for k, v in book.sheets.items()}
    org = led["organic"].map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v))
                             else ("Yes" if v else "No"))
    cols = [Col("Date", led["date"], "date", 11), Col("Kind", led["kind"], "text", 12),
            Col("Item", led["item"], "text", 18), Col("Lot", led["lot"], "text", 10),
            Col("Owner", led["owner"], "text", 10), Col("Location", led["location"], "text", 11),
            Col("Quantity", led["qty"], "number", 12),
            Col("Effect", led["effect"], "number", 12, formula=lambda i: FX.ledger_effect()),
            Col("Batch", led["batch"], "text", 9), Col("Partner", led["partner"], "text", 14),
            Col("Certificate", led["certificate"], "text", 12), Col("Organic", org, "text", 8),
            Col("Reference", led["reference"], "text", 11), Col("Source sheet", led["sheet"], "text", 12)]
    sheets, rows = led["sheet"].to_numpy(), led["row"].to_numpy()

    def src_link(i: int) -> str | None:
        t = table_of.get(sheets[i], sheets[i])
        pos = src_pos.get(t)
        if t not in src_names or pos is None or int(rows[i]) not in pos.index:
            return None
        return f"'{src_names[t]}'!A{5 + int(pos[int(rows[i])])}"  # title, subtitle, gap, header
    cols.append(Col("Source row", led["row"], "int", 9, link=src_link))
    for k, name in m.data.ingredients.items():
        cols.append(Col(share_header(name), m.data.shares[k], "share", 11))
    _, first = s.table(FX.L, cols, len(led))
    return first


# ------------------------------------------------------------------ the figures

def _targets(frame: pd.DataFrame) -> pd.DataFrame:
    t = frame[["item_key", "owner_key", "start", "end"]].copy()
    t["tid"] = np.arange(len(t))
    return t


def _links_for(m: _Meta, targets: pd.DataFrame, loc, kinds_by_col: dict[str, tuple | None]) -> dict:
    """Column -> row index -> location of its ledger rows."""
    out = {}
    for col, kinds in kinds_by_col.items():
        b = blocks(m.data.ledger, targets, kinds)
        out[col] = {int(t): loc(r["min"], r["max"]) for t, r in b.iterrows()}  # one per balance row
    return out


def _balance(s: Sheet, m: _Meta, loc) -> None:
    b = m.data.balances.reset_index(drop=True)
    t = "Balance"
    tg = _targets(b)
    anchor_t = tg.assign(start=b["anchor"], end=b["anchor"])
    end_t = tg.assign(start=b["end"], end=b["end"])
    links = _links_for(m, tg, loc, {"Received": ("receipt",), "Produced": ("produced",), "Used": ("used",),
                                    "Shipped": ("shipped",), "Losses": ("loss",), "Expected ending": None})
    links["Counted ending"] = {int(k): loc(r["min"], r["max"]) for k, r in
                               blocks(m.data.ledger, end_t, ("count",)).iterrows()}
    opening = {int(k): loc(r["min"], r["max"]) for k, r in
               blocks(m.data.ledger, anchor_t.dropna(subset=["start"]), ("count",)).iterrows()}
    links["Beginning"] = {i: opening.get(i) or links["Expected ending"].get(i) for i in range(len(b))}
    links["Variance"] = links["Expected ending"]
    forms = [FX.balance(t, it, ow) for it, ow in zip(b["item"], b["owner"])]

    def col(h, v, kind="number", width=12):
        lk = links.get(h)
        return Col(h, v, kind, width, formula=(lambda i, h=h: forms[i][h]) if h in forms[0] else None,
                   link=(lambda i, lk=lk: lk.get(i)) if lk else None) if len(b) else Col(h, v, kind, width)
    cols = [Col("Item", b["item"], "text", 18), Col("Owner", b["owner"], "text", 10),
            Col("Start", b["start"], "date", 11), Col("End", b["end"], "date", 11),
            Col("Opening count date", b["anchor"], "date", 12),
            col("Beginning", b["beginning"]), col("Received", b["received"]), col("Produced", b["produced"]),
            col("Used", b["used"]), col("Shipped", b["shipped"]), col("Losses", b["losses"]),
            col("Expected ending", b["expected_ending"]), col("Counted ending", b["counted_ending"]),
            col("Variance", b["variance"]), col("Variance %", b["variance_pct"], "pct", 10),
            Col("Tolerance %", b["tolerance_pct"], "pct", 10),
            Col("Lowest book balance", b["min_running"], "number", 12),
            col("Status", b["status"], "text", 12)]
    s.table(t, cols, len(b))


def _detail(s: Sheet, m: _Meta, loc) -> int:
    d = m.data.detail.reset_index(drop=True)
    t = "SupplyByItem"
    tg = _targets(d)
    links = _links_for(m, tg, loc, {"Received": ("receipt",), "Produced": ("produced",), "Used": ("used",),
                                    "Shipped": ("shipped",), "Losses": ("loss",), "Book at end": None})
    links["Opening"] = links["Book at end"]
    links["Counted at end"] = {int(k): loc(r["min"], r["max"]) for k, r in
                               blocks(m.data.ledger, tg.assign(start=d["end"]), ("count",)).iterrows()}
    forms = [FX.supply_detail(t, share_header(m.data.ingredients[k])) for k in d["ingredient_key"]]

    def col(h, v):
        lk = links.get(h)
        return Col(h, v, "number", 12, formula=lambda i, h=h: forms[i][h],
                   link=(lambda i, lk=lk: lk.get(i)) if lk else None)
    cols = [Col("Ingredient", d["ingredient"], "text", 16), Col("Item", d["item"], "text", 18),
            Col("Owner", d["owner"], "text", 10), Col("Start", d["start"], "date", 11),
            Col("End", d["end"], "date", 11), Col("Opening count date", d["anchor"], "date", 12)]
    if len(d):
        cols += [col("Opening", d["beginning"]), col("Received", d["sum_receipt"]),
                 col("Produced", d["sum_produced"]), col("Used", d["sum_used"]), col("Shipped", d["sum_shipped"]),
                 col("Losses", d["sum_loss"]), col("Book at end", d["book_end"]),
                 col("Counted at end", d["counted_end"]), col("Opening held", d["held_open"]),
                 col("On hand", d["on_hand"]), col("Short", d["short"])]
    else:
        cols += [Col(h, [], "number") for h in ("Opening", "Received", "Produced", "Used", "Shipped", "Losses",
                                                 "Book at end", "Counted at end", "Opening held", "On hand", "Short")]
    _, first = s.table(t, cols, len(d))
    return first


def _supply(s: Sheet, m: _Meta, det_sheet: str, det_first: int) -> None:
    sp = m.data.supply.reset_index(drop=True)
    d = m.data.detail.reset_index(drop=True)
    t = "Supply"
    # the detail rows of each supply row are contiguous (sorted by ingredient, owner, period)
    d = d.assign(pos=np.arange(len(d)))
    rng = d.groupby(["ingredient_key", "owner_key", "start", "end"])["pos"].agg(["min", "max"])
    sums = d.groupby(["ingredient_key", "owner_key", "start", "end"])["short"].sum() if len(d) else pd.Series(dtype=float)
    short = [float(sums.get((a, b, pd.Timestamp(c), pd.Timestamp(e)), 0.0)) for a, b, c, e in
             zip(sp["ingredient_key"], sp["owner_key"], sp["start"], sp["end"])]
    from .fingerprint import col_letter

    def link(i: int) -> str | None:
        r = sp.iloc[i]
        key = (r["ingredient_key"], r["owner_key"], pd.Timestamp(r["start"]), pd.Timestamp(r["end"]))
        if key not in rng.index:
            return None
        lo, hi = rng.loc[key]
        return f"'{det_sheet}'!A{det_first + lo + 1}:{col_letter(17)}{det_first + hi + 1}"
    forms = [FX.supply(t, "SupplyByItem", "Yield", ing, ow, share_header(ing))
             for ing, ow in zip(sp["ingredient"], sp["owner"])]

    def col(h, v, kind="number", linked=True):
        return Col(h, v, kind, 13, formula=lambda i, h=h: forms[i][h], link=link if linked else None)
    cols = [Col("Ingredient", sp["ingredient"], "text", 18), Col("Owner", sp["owner"], "text", 10),
            Col("Start", sp["start"], "date", 11), Col("End", sp["end"], "date", 11)]
    if len(sp):
        cols += [col("Available", sp["available"]), col("Shipped equivalent", sp["shipped_equivalent"]),
                 col("Losses equivalent", sp["losses_equivalent"]), col("On hand equivalent", sp["on_hand_equivalent"]),
                 col("Unaccounted", sp["unaccounted"]), Col("Tolerance %", sp["tolerance_pct"], "pct", 10),
                 col("Book short", short), col("Status", sp["status"], "text", linked=False)]
    else:
        cols += [Col(h, [], "number") for h in ("Available", "Shipped equivalent", "Losses equivalent",
                                                 "On hand equivalent", "Unaccounted", "Tolerance %", "Book short",
                                                 "Status")]
    s.table(t, cols, len(sp))


def _yield(s: Sheet, m: _Meta) -> None:
    y = m.data.yields.reset_index(drop=True)
    t = "Yield"
    forms = [FX.yield_row(t, b) for b in y["batch"]] if len(y) else []

    def col(h, v, kind="number"):
        return Col(h, v, kind, 12, formula=(lambda i, h=h: forms[i][h]) if forms else None)
    cols = [Col("Batch", y.get("batch", []), "text", 10), Col("Product", y.get("product", []), "text", 18),
            Col("Date", y.get("date", []), "date", 11), Col("Owner", y.get("owner", []), "text", 10),
            col("Input", y.get("input", [])), col("Output", y.get("output", [])),
            col("Process loss", y.get("process_loss", [])), col("Documented loss", y.get("documented_loss", [])),
            col("Undocumented loss", y.get("undocumented_loss", [])), col("Yield %", y.get("yield_pct", []), "pct")]
    for k, name in m.data.ingredients.items():
        cols.append(Col(share_header(name), y[f"share:{k}"] if f"share:{k}" in y else [], "share", 11))
    s.table(t, cols, len(y))


def _exceptions(s: Sheet, m: _Meta, raw: RawBook, src_names, src_pos) -> None:
    f = m.rec.findings.reset_index(drop=True)
    table_of = {v: k for k, v in m.prep.book.sheets.items()}

    def link(i: int) -> str | None:
        r = f.iloc[i]
        t = table_of.get(r["sheet"])
        if t not in src_names or pd.isna(r["row"]):
            return None
        pos = src_pos.get(t)
        if pos is None or int(r["row"]) not in pos.index:
            return None
        return f"'{src_names[t]}'!A{5 + int(pos[int(r['row'])])}"
    cols = [Col("Severity", f["severity"], "text", 9), Col("Code", f["code"], "text", 20),
            Col("Sheet", f["sheet"], "text", 12), Col("Row", f["row"].astype(object), "int", 7, link=link),
            Col("Column", f["column"], "text", 12), Col("Cell", f["cell"], "text", 7),
            Col("Message", f["message"], "wrap", 90)]
    s.table("Exceptions", cols, len(f))


def _certificates(s: Sheet, m: _Meta) -> None:
    c = m.prep.book.tables["Certificates"].reset_index(drop=True)
    start, end = _date_text(m.rec.periods[0][0]), _date_text(m.rec.periods[-1][1])
    forms = [FX.certificate_row("Certificates", str(x), start, end) for x in c["certificate"]]
    led = m.data.ledger
    rec = led[(led["kind"] == "receipt") & (led["date"] >= pd.Timestamp(m.rec.periods[0][0])) &
              (led["date"] <= pd.Timestamp(m.rec.periods[-1][1]))]
    by = rec.groupby(rec["certificate"].astype(str).str.casefold())["qty"].agg(["size", "sum"])
    key = c["certificate"].astype(str).str.casefold()
    end_ts = pd.Timestamp(m.rec.periods[-1][1])
    valid = ((c["valid_from"].isna() | (c["valid_from"] <= end_ts)) & (c["valid_to"] >= end_ts)).map(
        {True: "Yes", False: "No"})

    def col(h, v, kind):
        return Col(h, v, kind, 12, formula=(lambda i, h=h: forms[i][h]) if forms else None)
    cols = [Col("Supplier", c["supplier"], "text", 18), Col("Certificate", c["certificate"], "text", 14),
            Col("Certifier", c["certifier"], "text", 10), Col("Items covered", c["items_covered"], "text", 20),
            Col("Valid from", c["valid_from"], "date", 11), Col("Valid to", c["valid_to"], "date", 11),
            col("Valid at period end", valid, "text"),
            col("Receipts in period", key.map(by["size"]).fillna(0), "int"),
            col("Quantity received in period", key.map(by["sum"]).fillna(0.0), "number"),
            Col("Row", c["_row"], "int", 7)]
    s.table("Certificates", cols, len(c))


def _trace(s: Sheet, t: LotTrace, n: int) -> None:
    s.pairs(summary_pairs(t), value_col=2)
    s.row += 1
    # the questions first: a few lines of text, before the long tables
    s.lines("Open questions: links that could not be followed", question_lines(t.open_questions))
    _frame_table(s, f"Back{n}", back_frame(t), _KINDS, caption="Back: where the lot came from", repeat=False)
    _frame_table(s, f"Forward{n}", forward_frame(t.forward), _KINDS, caption="Forward: where the lot went",
                 repeat=False)


_KINDS = {"Date": "date", "Quantity": "number", "Row quantity": "number", "% of row": "pct", "% of lot": "pct",
          "Counted": "number", "Counted on": "date", "Row": "int", "Depth": "int"}


def _frame_table(s: Sheet, name: str, f: pd.DataFrame, kinds: dict, caption=None, repeat=True) -> None:
    cols = []
    for h in f.columns:
        kind = kinds.get(h, "number" if h.endswith("equivalent") else "text")
        width = 11 if kind in ("date", "number", "pct", "int") else 14
        if kind.startswith("wrap"):
            kind, width = "wrap", float(kind[4:] or 60)
        cols.append(Col(h, f[h].astype(object).where(f[h].notna(), None), kind, width))
    s.table(name, cols, len(f), caption=caption, repeat=repeat)


# ------------------------------------------------------------------ Cover

def _cover(s: Sheet, m: _Meta, names, trace_names, src_names, print_copy: bool) -> tuple[Sheet, int, int]:
    st = m.prep.book.settings
    rec = m.rec
    items = m.prep.book.items
    bal_status = rec.balances["status"].value_counts().to_dict() if len(rec.balances) else {}
    sup_status = rec.supply["status"].value_counts().to_dict() if len(rec.supply) else {}
    errors = int((rec.findings["severity"] == "error").sum()) if len(rec.findings) else 0
    own_tol = items[items["tolerance_pct"].notna() & items["listed"] &
                    (items["tolerance_pct"] != st.tolerance_pct)]
    s.pairs([
        ("Operation", m.operation),
        ("Source workbook", m.source or "(not recorded)"),
        ("Period", m.period_text),
        ("Items", m.item or f"all items ({len(rec.balances['item'].unique()) if len(rec.balances) else 0} with movements)"),
        ("Lots traced", ", ".join(f"{t.lot} ({t.item})" for t in m.traces) or "none asked"),
        ("Report unit", st.unit),
        ("Default tolerance %", st.tolerance_pct),
        ("Tolerance % by category", ", ".join(f"{k}: {v:g}" for k, v in st.category_tolerance.items()) or "none"),
        ("Balances", ", ".join(f"{k}: {v}" for k, v in sorted(bal_status.items())) or "none"),
        ("Supply balances", ", ".join(f"{k}: {v}" for k, v in sorted(sup_status.items())) or "none"),
        ("Errors found", errors),
        ("massbal version", __version__),
        ("Generated", f"{m.now:%Y-%m-%d %H:%M:%S}"),  # text: a time of day is a fraction LibreOffice rounds
    ])
    fp_row = s.row
    s.put(fp_row, 0, "Fingerprint (SHA-256)", s.report.f["bold"])
    s.row += 1
    s.put(s.row, 0, "How to check this copy", s.report.f["bold"])
    s.put(s.row, 1, f"Run: massbal verify \"{m.out_name}\"  "
                    "(it recomputes the fingerprint from every cell and names any cell that changed since export)")
    s.row += 2
    s.table("Tolerances", [Col("Item", own_tol["item"].tolist(), "text", 22),
                           Col("Tolerance %", own_tol["tolerance_pct"].tolist(), "pct", 12)], len(own_tol),
            caption="Items whose tolerance is not the default", repeat=False)
    conv = _conversions(m)
    s.table("Conversions", [Col(h, conv[h].tolist(), k, w) for h, k, w in
                            (("Unit as typed", "text", 22), ("Item", "text", 18),
                             (f"{st.unit} per unit", "share", 14), ("Source", "text", 70))], len(conv),
            caption="Conversion factors used", repeat=False)
    guide = [(names["Balance"], "Stock balance of each item and period (live formulas)"),
             (names["Supply"], "Organic supply balance of each ingredient (live formulas)"),
             (names["Supply by item"], "The supply balance split by the item holding the ingredient"),
             (names["Yield"], "Each production run: input, output, loss, yield"),
             (names["Exceptions"], "Every problem found, with the row to look at"),
             *[(n, f"Trace of lot {t.lot}: back to receipts, forward to customers") for n, t in zip(trace_names, m.traces)],
             *([(names["FSMA 204"], "Critical tracking events of the traced lots")] if m.traces else []),
             (names["Certificates"], "Suppliers' certificates and the receipts under them"),
             (names["Ledger"], f"Every movement behind the figures ({len(m.data.ledger)} rows)"),
             *[(n, f"Source rows as typed: {t}") for t, n in src_names.items()]]
    s.table("Contents", [Col("Sheet", [g[0] for g in guide], "text", 22),
                         Col("What it holds", [g[1] for g in guide], "text", 70)], len(guide),
            caption="Sheets", repeat=False)
    s.ws.set_column(0, 0, 24)
    s.ws.set_column(1, 1, 70)
    return s, fp_row, 1


def _conversions(m: _Meta) -> pd.DataFrame:
    """Every (unit, item) pair the copy's rows use, its factor and where it comes from."""
    book = m.prep.book
    parts = []
    for t in MOVEMENT_TABLES:
        f = book.tables[t]
        if len(f):
            parts.append(f[["unit", "item_key"]])
    if not parts:
        return pd.DataFrame(columns=["Unit as typed", "Item", f"{book.settings.unit} per unit", "Source"])
    u = pd.concat(parts, ignore_index=True).dropna().drop_duplicates()
    items = book.items
    item_units = {k: v for k, v in zip(items["item_key"], items["unit"]) if isinstance(v, str) and v.strip()}
    kpu = {k: float(v) for k, v in zip(items["item_key"], items["kg_per_unit"]) if pd.notna(v)}
    conv = kg_factors(u["unit"], u["item_key"], item_units, kpu)
    rf = report_factor(book.settings.unit)
    u = u.assign(factor=conv.factor * rf)
    u = u[u["factor"].notna()]
    items_row = items["_row"] if "_row" in items else pd.Series(dtype=float)

    def source(unit: str, item_key: str) -> tuple[str, str]:  # one call per distinct pair
        info = unit_info(str(unit))
        if info.kind == "mass":
            return "(any)", f"pint: 1 {unit} = {info.to_kg:.10g} kg (international definition)"
        r = items_row.get(item_key)
        where = f"Items sheet, row {int(r)}" if r is not None and pd.notna(r) else "Items sheet"
        return str(items["item"].get(item_key, item_key)), f"{where}: Kg per unit {kpu.get(item_key, float('nan')):g}"
    pairs = [source(a, b) for a, b in zip(u["unit"], u["item_key"])]
    # mass units are the same for every item: shown once
    out = pd.DataFrame({"Unit as typed": u["unit"].astype(str).to_numpy(), "Item": [p[0] for p in pairs],
                        f"{book.settings.unit} per unit": u["factor"].to_numpy(), "Source": [p[1] for p in pairs]})
    return out.drop_duplicates(["Unit as typed", "Item"]).sort_values(["Item", "Unit as typed"]).reset_index(drop=True)
