"""Write Reconcile's sheets into the user's workbook, and nothing else (CONTRACT.md s.3).

The workbook is changed at the package level: massbal's own worksheet parts (with
their table parts and relationships) are replaced or added, and the parts that list
them get the smallest possible edit (workbook.xml: the sheet list, hidden marker names,
print titles, fullCalcOnLoad; its relationships; [Content_Types].xml; styles.xml by
appending; calcChain.xml by dropping massbal's cells). Every other zip member is
copied through byte for byte.

Which sheet is massbal's: the sheet its hidden marker name (_massbal.Balance) points at,
or a sheet of that name holding a table with massbal's columns. A sheet named Balance
that is the user's own is never touched: massbal writes 'Balance (massbal)' beside it
and says so in the report. A sheet massbal wrote that the user renamed is the user's
from then on (a snapshot they chose to keep); a fresh Balance is written.

What survives from the sheet being replaced: note columns and columns the user added
to the table (re-attached by key, see notes.py), the table's name, id, style and the
user's columns' definitions, cells typed outside the table (kept in place unless the
new table covers them; then they go to 'Orphaned notes'), and the sheet's settings:
column widths, freeze panes, tab colour, protection, print setup, conditional formats,
data validations, drawings and comments, merged cells outside the table. Filters and
sorting of the table, and a Totals row, are not carried (the report says so).

Why this module is over 450 lines: one write job (_Job) plans every sheet, then writes
the package in one pass, so the target choice, the old sheet's read-back and the part
edits share its state; the next split is the target choice (resolve) into its own module.
"""
from __future__ import annotations

import copy
import functools
import os
import re
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree

from massbal.engine.result import Reconciliation
from massbal.layout.notes import ORPHAN_HEADERS, ORPHAN_WIDTHS, ORPHANS_SHEET, ORPHANS_TABLE
from massbal.layout.sheets import DATE_FORMAT, PRINT, SheetSpec, written_sheets
from massbal.xlref import column_letter, column_number
from massbal.xlsx.write import notes as K
from massbal.xlsx.write.ahead import Ahead, ahead_pays
from massbal.xlsx.write.cell_xml import OutColumn
from massbal.xlsx.write.chart_xml import CT_CHART, CT_DRAWING, REL_CHART, REL_DRAWING, chart_xml, drawing_xml
from massbal.xlsx.write.print_setup import print_elements, row_heights
from massbal.xlsx.write.readback import (
    DamagedPart,
    OldSheet,
    adopt_range,
    parse_range,
    pick_table,
    read_cells,
    read_shared_strings,
    read_sheet_shell,
    sheet_tables,
)
from massbal.xlsx.write.safe_save import (
    WorkbookChanged,
    changed_since_read,
    check_can_write,
    file_signature,
    replace_atomically,
)
from massbal.xlsx.write.sheet_parts import sheet_xml, table_xml
from massbal.xlsx.write.styles import HEADER, LINK, Styles, StyleWish, status_wish
from massbal.xlsx.write.workbook_parts import SheetEntry, Workbook, filter_calc_chain, quote_sheet
from massbal.xlsx.write.zip_copy import (
    CT_STYLES,
    CT_TABLE,
    NS_MAIN,
    NS_R,
    REL_STYLES,
    REL_TABLE,
    Package,
    PackageError,
    PackageWriter,
    add_rel,
    free_rid,
    new_rels_root,
    read_rels,
    relative,
    rels_path,
    to_xml,
)

M = f"{{{NS_MAIN}}}"
BIG_SHEET_ROWS = 20_000   # above this, deflate level 1: 5x faster, 1.5x larger
# a chart part caches every point it draws (a 980k book's Dashboard: 180 charts, 7.6 MB of
# XML): ISA-L's level 1 deflates them in 9 ms where level 6 took 87 ms, 15 % larger
CHART_LEVEL = 1


@dataclass
class SheetWritten:
    output: str      # Balance, Supply, ... or Orphaned notes
    sheet: str       # the sheet it went to (differs when a user's sheet had the name)
    table: str
    rows: int
    replaced: bool   # an earlier massbal sheet was replaced (else added)


@dataclass
class WriteReport:
    path: str
    backup: str | None
    sheets: list[SheetWritten] = field(default_factory=list)
    notes_kept: int = 0         # note cells back on their rows (incl. earlier orphans)
    notes_orphaned: int = 0     # note cells moved to 'Orphaned notes' by this run
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


def write_results(path: str, rec: Reconciliation, *, backup: bool = True,
                  today: date | None = None, before: tuple | None = None) -> WriteReport:
    """Write Balance, Supply, Yield, Exceptions and Ledger into the workbook at `path`.

    before: the file's signature when it was read (RawBook.signature); when the file has
    moved since, nothing is written (WorkbookChanged). Raises WorkbookLocked /
    WorkbookReadOnly / WorkbookBusy (safe_save) or PackageError with a one-line reason;
    in every failure the file is untouched.
    """
    return write_sheets(path, written_sheets(rec), backup=backup, today=today, before=before)


@dataclass
class Later:
    """Sheets made only once the ones before them are planned, so that making them overlaps
    the big sheets being made on the second thread (ahead.py): the Change log's, whose
    record takes a second at 980k movements. Their names are known from the start."""
    names: tuple[str, ...]
    make: Callable[[], list[SheetSpec]]


def write_sheets(path: str, specs: list[SheetSpec], *, backup: bool = True,
                 today: date | None = None, before: tuple | None = None, later: Later | None = None) -> WriteReport:
    """Write the given sheets (massbal's own, by SheetSpec name: Reconcile's five, the
    inspector's Trace and Recall), then `later`'s, into the workbook at `path`, as
    write_results does."""
    t0 = time.perf_counter()
    path = os.path.realpath(path)
    check_can_write(path)
    before = tuple(before) if before else file_signature(path)
    if file_signature(path) != before:  # saved meanwhile: refuse before any work
        raise WorkbookChanged(changed_since_read(os.path.basename(path)))
    pkg = Package(path)
    job = None
    try:
        try:
            job = _Job(pkg, today or date.today())
            job.plan(specs, later)
        except _MadeLater as e:   # not the workbook's fault: raised as it was
            raise e.__cause__ from None
        except (etree.XMLSyntaxError, DamagedPart, zipfile.BadZipFile, zlib.error, EOFError, KeyError) as e:
            raise PackageError(f"{os.path.basename(path)} is damaged ({type(e).__name__}): open "
                               "and save it in Excel, then run massbal again.") from e
        saved = replace_atomically(path, job.write, backup=backup, before=before,
                                   on_written=pkg.close)
    finally:
        if job is not None:
            job.close()   # a big sheet still being made (a failed write) is stopped
        pkg.close()
    report = job.report
    report.path, report.backup = path, saved
    report.seconds = time.perf_counter() - t0
    return report


@dataclass
class _Target:
    entry: SheetEntry | None   # the sheet to replace, or None to add one
    name: str                  # sheet name


class _Job:
    def __init__(self, pkg: Package, today: date):
        self.pkg = pkg
        self.today = today
        self.wb = Workbook(pkg)
        sp = self.wb.styles_part
        self.styles_part = sp if sp and pkg.has(sp) else None
        self.styles = Styles(pkg.read(self.styles_part) if self.styles_part else None)
        self._strings: list[str] | None = None
        self.report = WriteReport("", None)
        self.replaced: dict[str, bytes | Callable[[], Iterable] | Ahead] = {}   # zip name -> content
        self.added: list[tuple[str, bytes | Callable[[], Iterable] | Ahead, int]] = []
        self.ahead: list[Ahead] = []   # big sheets being made meanwhile (ahead.py)
        self.removed: set[str] = set()
        self.levels: dict[str, int] = {}
        self.taken_parts: set[str] = set()
        self.used_names = self.wb.used_names()
        self.table_id = self.wb.next_table_id()
        self.replaced_sheet_ids: set[int] = set()
        self.header_style = self.styles.xf(HEADER)
        if pkg.has("_xmlsignatures/origin.sigs") or any(
                m.name.lower().startswith("_xmlsignatures/") for m in pkg.members):
            self.report.warnings.append("The workbook was digitally signed; the signature no longer "
                                        "matches after Reconcile (sign it again if you need it).")

    # -- reading ---------------------------------------------------------------------
    def strings(self, i: int) -> str:
        if self._strings is None:
            self._strings = read_shared_strings(self.pkg, self.wb.shared_strings_part)
        return self._strings[i]

    def _is_ours(self, entry: SheetEntry, headers) -> bool:
        if entry.kind != "worksheet" or entry.part is None:
            return False
        own = pick_table(sheet_tables(self.pkg, entry.part), headers)
        return own is not None and {h.lower() for h in headers} <= {c.lower() for c in own.columns}

    def resolve(self, output: str, signature) -> _Target:
        marked = self.wb.marker_target(output)
        alternates = [f"{output} (massbal)"] + [f"{output} (massbal {i})" for i in range(2, 100)]
        if marked:
            e = self.wb.sheet(marked)
            if e is not None and e.kind == "worksheet" and e.part and (
                    marked.lower() == output.lower() or marked.lower() in {a.lower() for a in alternates}):
                return _Target(e, e.name)
        e = self.wb.sheet(output)
        if e is None:
            return _Target(None, output)
        if self._is_ours(e, signature):
            return _Target(e, e.name)
        for alt in alternates:
            a = self.wb.sheet(alt)
            if a is None:
                self.report.warnings.append(
                    f"The sheet '{e.name}' is not one massbal wrote, so it was left as it is; "
                    f"massbal's {output} is on the sheet '{alt}'.")
                return _Target(None, alt)
            if self._is_ours(a, signature):
                return _Target(a, a.name)
        raise RuntimeError(f"no free sheet name for {output}")

    def read_old(self, target: _Target, data_headers, wanted_names, key_names=None) -> OldSheet | None:
        """The sheet being replaced, with the cells that matter read.

        wanted_names(own table's column names) -> the columns whose cells are read, or
        None for all of them; key_names(...) -> those of them needed only beside a note.
        """
        if target.entry is None:
            return None
        chosen: dict = {}

        def want(state, tables) -> bool:
            own = pick_table(tables, data_headers)
            chosen["own"] = own
            if own is None:
                chosen["wanted"] = None
                return True
            names = wanted_names(own.columns)
            if names is None:
                chosen["wanted"] = None
                return True
            chosen["wanted"] = {own.first_col + own.columns.index(n) for n in names}
            keys = key_names(own.columns) if key_names is not None else set()
            chosen["keys"] = {own.first_col + own.columns.index(n) for n in keys if n in names}
            dim = state.get("dimension")
            try:
                d = parse_range(dim) if dim else None
            except ValueError:
                d = None
            inside = d is not None and (own.first_row <= d[0] and own.first_col <= d[1]
                                        and d[2] <= own.last_row and d[3] <= own.last_col)
            return bool(names) or not inside

        sheet, middle, root_start = read_sheet_shell(self.pkg, target.entry.part, want)
        sheet.own = chosen.get("own")
        if middle is not None:
            own = sheet.own
            region = (own.first_row, own.first_col, own.last_row, own.last_col) if own else (0, 0, -1, -1)
            read_cells(sheet, middle, root_start, region, chosen.get("wanted"), self.strings,
                       chosen.get("keys"))
            if own is None:
                adopt_range(sheet, data_headers)
        return sheet

    # -- planning --------------------------------------------------------------------
    def plan(self, specs: list[SheetSpec], later: Later | None = None) -> None:
        # sheets this write adds: links may point there
        self.coming = {s.name.lower() for s in specs} | {n.lower() for n in (later.names if later else ())}
        date1904 = self.wb.date1904
        orph_target = self.resolve(ORPHANS_SHEET, ORPHAN_HEADERS[:4])
        orph_old = self.read_old(orph_target, ORPHAN_HEADERS[:4], lambda cols: None)
        earlier = K.orphan_rows(orph_old)
        new_orphans: list[K.Orphan] = []
        reattached: set[int] = set()
        for spec in _then(specs, later):
            data_headers = [c.header for c in spec.columns if c.kind != "note"]
            target = self.resolve(spec.name, data_headers)
            old = self.read_old(target, data_headers,
                                lambda cols, spec=spec: K.wanted_headers(spec, cols),
                                lambda cols, spec=spec: K.key_headers(spec, cols))
            c = K.carry(spec, self.spec_columns(spec), old, date1904, earlier)
            reattached |= c.reattached
            new_orphans += c.orphans
            self.report.notes_kept += c.kept
            new_orphans += self.emit(spec.name, target, old, c.columns, spec.nrows, spec.links, spec)
            if spec.very_hidden:
                self._hide(target.name)
        kept = [(i, o) for i, o in earlier if i not in reattached]
        self.report.notes_orphaned = len(new_orphans)
        if orph_target.entry is not None or new_orphans:
            self.emit_orphans(orph_target, orph_old, kept, new_orphans)
        self.finish()

    def _hide(self, name: str) -> None:
        entry = self.wb.sheet(name)
        if entry is not None and entry.el.get("state") != "veryHidden":
            entry.el.set("state", "veryHidden")
            self.wb.changed.add(self.wb.part)

    def spec_columns(self, spec: SheetSpec) -> dict[str, OutColumn]:
        out = {}
        top = any(c.wrap for c in spec.columns)   # a row with wrapped text reads from its top
        for c in spec.columns:
            if c.kind == "note":
                out[c.header] = OutColumn(c.header, "cells", width=c.width)
                continue
            style = self.styles.xf(replace(LINK, top=top)) if c.kind == "link" else (
                self.styles.xf(StyleWish(c.number_format, wrap=c.wrap, top=top))
                if c.number_format or c.wrap or top else 0)
            statuses = {}
            if c.kind == "status":
                statuses = {v: self.styles.xf(status_wish(color, top=top)) for v, color in spec.status_colors.items()}
            out[c.header] = OutColumn(c.header, c.kind, spec.data[c.header], style, statuses,
                                      spec.status_keys.get(c.header), width=c.width)
        return out

    def emit_orphans(self, target: _Target, old: OldSheet | None, kept, new: list[K.Orphan]) -> None:
        headers = list(old.own.columns) if old is not None and old.own is not None else []
        for h in ORPHAN_HEADERS:
            if h not in headers:
                headers.append(h)
        # cells typed beside the orphan table that the grown table would cover are
        # orphans too (each one added may grow the table over another)
        own = old.own if old is not None else None
        r0, c0 = (own.first_row, own.first_col) if own is not None else (1, 1)
        new = list(new)
        while True:
            body = max(len(kept) + len(new), 1)
            covered = _take_covered(old, ORPHANS_SHEET, (r0, c0, r0 + body, c0 + len(headers) - 1))
            if not covered:
                break
            new += covered
            self.report.notes_orphaned += len(covered)
        date_style = self.styles.xf(StyleWish(DATE_FORMAT))
        cells = K.orphan_table_rows(kept, new, headers, self.today, date_style, self.wb.date1904)
        columns = []
        for h in headers:
            user = old is not None and old.own is not None and h in old.own.columns and h not in ORPHAN_HEADERS
            columns.append(OutColumn(h, "cells", cells=cells[h], width=ORPHAN_WIDTHS.get(h),
                                     formula=old.own.calc_formula(h) if user else None,
                                     table_column=old.own.column_els[old.own.columns.index(h)] if user else None))
        more = self.emit(ORPHANS_SHEET, target, old, columns, len(kept) + len(new), {})
        assert not more, "cells under the orphan table were taken above"

    # -- one sheet ---------------------------------------------------------------------
    def _table_name(self, output: str) -> str:
        base = ORPHANS_TABLE if output == ORPHANS_SHEET else output.replace(" ", "_")
        for cand in [base] + [f"{base}_massbal"] + [f"{base}_massbal{i}" for i in range(2, 1000)]:
            if cand.lower() not in self.used_names:
                self.used_names.add(cand.lower())
                return cand
        raise RuntimeError("no free table name")

    def emit(self, output: str, target: _Target, old: OldSheet | None, columns: list[OutColumn],
             nrows: int, links, spec: SheetSpec | None = None) -> list[K.Orphan]:
        """Plan the sheet's parts; returns cells typed outside the table that it now covers."""
        own = old.own if old is not None else None
        r0, c0 = (own.first_row, own.first_col) if own is not None else (spec.origin if spec else (1, 1))
        setup = spec.print_setup if spec is not None else PRINT
        ncols = len(columns)
        body = max(nrows, 1)   # a table needs one data row, even an empty one
        last_row, last_col = r0 + body, c0 + ncols - 1
        region = (r0, c0, last_row, last_col)
        old_region = (own.first_row, own.first_col, own.last_row, own.last_col) if own else None
        # cells the user typed outside the table: in place, unless the table now covers them
        orphans = _take_covered(old, output, region)
        left: dict[int, str] = {}
        right: dict[int, str] = {}
        rows_out: dict[int, list[tuple[int, bytes]]] = {}
        bounds = [r0, c0, last_row, last_col]
        if old is not None:
            for rnum, cells in sorted(old.outside.items()):
                for col, xml, _cell in sorted(cells, key=lambda x: x[0]):
                    bounds = [min(bounds[0], rnum), min(bounds[1], col), max(bounds[2], rnum),
                              max(bounds[3], col)]
                    if r0 <= rnum <= last_row:
                        side = left if col < c0 else right
                        side[rnum] = side.get(rnum, "") + xml.decode("utf-8")
                    else:
                        rows_out.setdefault(rnum, []).append((col, xml))
            for rnum in old.outside_row_attrs:
                if not r0 <= rnum <= last_row:
                    rows_out.setdefault(rnum, [])
        if old is not None and old.own is not None and old.own.totals_rows:
            self.report.warnings.append(f"The Totals row of the {output} table was switched off by "
                                        "Reconcile; switch it on again in Table Design if you use it.")

        # parts: sheet, table, rels
        if target.entry is not None:
            entry = target.entry
            part = entry.part
            self.replaced_sheet_ids.add(entry.sheet_id)
        else:
            part = self.wb.free_part("xl/worksheets", "sheet", self.taken_parts)
            entry = self.wb.add_sheet(target.name, part)
        if setup.repeat_header:
            self.wb.add_print_titles(entry, r0, c0, setup.repeat_columns)
        if setup.area_columns:
            self.wb.add_print_area(entry, f"A1:{column_letter(setup.area_columns)}{setup.area_rows or 1}",
                                   replace=spec is not None and spec.charts is not None)
        if own is not None and own.part:
            table_part, table_name, table_id = own.part, own.name, own.id
        else:
            table_part = self.wb.free_part("xl/tables", "table", self.taken_parts)
            table_name = self._table_name(output)
            table_id, self.table_id = self.table_id, self.table_id + 1
            self.wb.set_override(table_part, CT_TABLE)
        self.wb.set_marker(output, entry.name)
        ref = f"{column_letter(c0)}{r0}:{column_letter(last_col)}{last_row}"
        table_bytes = table_xml(own if own is not None and own.part else None, table_id, table_name,
                                 ref, columns)

        rels_root = copy.deepcopy(old.rels_root) if old is not None and old.rels_root is not None else None
        rels_changed = False
        if rels_root is None:
            rels_root = new_rels_root()
        rids = {el.get("Id") for el in rels_root if isinstance(el.tag, str)}
        table_rids = []
        keep_tables = []
        if old is not None:
            for t in old.tables:
                if own is not None and own.part and t.part == own.part:
                    continue
                if _overlaps((t.first_row, t.first_col, t.last_row, t.last_col), region):
                    # a table of the user's that the new table would cover: it cannot stay
                    _drop_rel(rels_root, t.rid)
                    rels_changed = True
                    self.removed.add(t.part.lower())
                    self.wb.remove_part(t.part)
                    self.report.warnings.append(
                        f"The table '{t.name}' on sheet '{entry.name}' was in the way of the new "
                        f"{output} table; its cells are in 'Orphaned notes' and in the backup.")
                else:
                    keep_tables.append(t.rid)
        if own is not None and own.part:
            table_rids.append(own.rid)
        else:
            rid = free_rid(rids)
            add_rel(rels_root, rid, REL_TABLE, relative(part, table_part))
            rels_changed = True
            table_rids.append(rid)
        table_rids += keep_tables

        hyper_carried = []
        merges = []
        if old is not None:
            for ch in old.children:
                if ch.name == "hyperlinks":
                    for h in ch.el:
                        if not isinstance(h.tag, str):
                            continue
                        try:
                            hr = _link_range(h.get("ref", ""))
                        except ValueError:
                            continue
                        if _overlaps(hr, region) or (old_region and _overlaps(hr, old_region)):
                            rid = h.get(f"{{{NS_R}}}id")
                            if rid:
                                _drop_rel(rels_root, rid)
                                rels_changed = True
                            continue
                        hyper_carried.append(etree.tostring(h, with_tail=False))
                if ch.name == "mergeCells":
                    for mc in ch.el:
                        if not isinstance(mc.tag, str):
                            continue
                        try:
                            mr = parse_range(mc.get("ref", ""))
                        except ValueError:
                            continue
                        if not _overlaps(mr, region) and not (old_region and _overlaps(mr, old_region)):
                            merges.append(mc.get("ref"))

        link_cols = [(i, col) for i, col in enumerate(columns) if col.kind == "link"]
        links = self._existing_links(links, link_cols)
        date1904 = self.wb.date1904
        header_style = self.header_style

        heights = row_heights(spec, [c.header for c in columns]) if spec is not None else None
        drawn = spec is not None and spec.charts is not None   # massbal's own charts on this sheet
        own_xml = print_elements(setup, {c.name: c.el for c in old.children} if old is not None else {},
                                 force=drawn)
        if drawn:
            gone = self._drop_drawing(old, rels_root)
            rels_changed |= bool(gone)
            el = self._charts(spec, part, entry.name, rels_root, columns, r0, c0, gone)
            if el is not None:
                own_xml["drawing"] = el
                rels_changed = True
            if old is None:
                own_xml["sheetViews"] = b'<sheetViews><sheetView workbookViewId="0"/></sheetViews>'

        def chunks():
            yield from sheet_xml(old, columns, nrows, r0, c0, date1904, header_style, left, right,
                                  rows_out, bounds, link_cols, links, hyper_carried, merges, table_rids,
                                  own_xml, heights)

        zip_name = self.pkg.find(part) if target.entry is not None else None
        # the hidden state's cells are deflated text in base64, which deflate's level 6
        # packs no better than level 1 (ISA-L's: 0.05 against 0.5 s for 11 MB)
        level = 1 if nrows > BIG_SHEET_ROWS or (spec is not None and spec.very_hidden) else 6
        content: Callable[[], Iterable] | Ahead = chunks
        if nrows > BIG_SHEET_ROWS and ahead_pays():
            # settled: made from here on beside the rest of the write (ahead.py)
            try:
                content = Ahead(chunks, level)
                self.ahead.append(content)
            except OSError:   # no temporary file to be had: made in line
                pass
        if zip_name:
            self.replaced[zip_name.lower()] = content
            self.levels[zip_name.lower()] = level
        else:
            self.added.append((part, content, level))
        tz = self.pkg.find(table_part)
        if tz and own is not None and own.part:
            self.replaced[tz.lower()] = table_bytes
        else:
            self.added.append((table_part, table_bytes, 6))
        rels_name = rels_path(part)
        if rels_changed:
            rz = self.pkg.find(rels_name)
            if rz:
                self.replaced[rz.lower()] = to_xml(rels_root)
            else:
                self.added.append((rels_name, to_xml(rels_root), 6))
        self.report.sheets.append(SheetWritten(output, entry.name, table_name, nrows,
                                               target.entry is not None))
        return orphans

    def _drop_drawing(self, old: OldSheet | None, rels_root) -> list[str]:
        """Remove the drawing (and its charts) an earlier run put on this sheet; returns
        the parts removed, whose names the new charts take again (a re-run replaces
        parts rather than adding new ones)."""
        gone: list[str] = []
        if old is None:
            return gone
        for ch in old.children:
            if ch.name != "drawing":
                continue
            rid = ch.el.get(f"{{{NS_R}}}id")
            rel = next((r for r in old.rels if r.id == rid and not r.external), None)
            if rel is not None:
                self._remove_tree(self.pkg.find(rel.target) or rel.target, gone)
            _drop_rel(rels_root, rid)
        return gone

    def _remove_tree(self, part: str, gone: list[str]) -> None:
        """A drawing or chart part, its relationships and the charts (and chart styles)
        they name; pictures (xl/media) stay, as another sheet may share them."""
        if not part or not self.pkg.has(part) or part.lower().startswith("xl/media/"):
            return
        _, rels = read_rels(self.pkg, part)
        for r in rels:
            if not r.external:
                self._remove_tree(self.pkg.find(r.target) or r.target, gone)
        for name in (self.pkg.find(part), self.pkg.find(rels_path(part))):
            if name and name.lower() not in self.removed:
                self.removed.add(name.lower())
                gone.append(name)
        self.wb.remove_part(part)

    def _put_part(self, name: str, content: bytes, level: int = 6) -> None:
        """Add a part, or replace the part of that name an earlier run made."""
        if name.lower() in self.removed:
            self.removed.discard(name.lower())
            self.replaced[name.lower()] = content
            self.levels[name.lower()] = level
        else:
            self.added.append((name, content, level))

    def _charts(self, spec: SheetSpec, part: str, sheet: str, rels_root, columns, r0: int, c0: int,
                gone: list[str]) -> bytes | None:
        """Plan the chart and drawing parts of the sheet's charts; returns its <drawing>."""
        if not spec.charts:
            return None
        where = {col.header: column_letter(c0 + j) for j, col in enumerate(columns)}
        q = quote_sheet(sheet)

        def ref(header, a, b):
            return f"{q}!${where[header]}${r0 + 1 + a}:${where[header]}${r0 + 1 + b}"

        def again(folder: str, stem: str) -> list[str]:
            names = [n for n in gone if n.lower().startswith(f"xl/{folder}/{stem}") and n.lower().endswith(".xml")]
            return sorted(names, key=lambda n: int("".join(ch for ch in n if ch.isdigit()) or 0))

        old_drawings, old_charts = again("drawings", "drawing"), again("charts", "chart")
        drawing = old_drawings[0] if old_drawings else self.wb.free_part("xl/drawings", "drawing", self.taken_parts)
        drels = new_rels_root()
        rids = []
        whole: dict[str, list] = {}   # each column as Python values once, not once per chart

        for i, chart in enumerate(spec.charts, start=1):
            cpart = old_charts.pop(0) if old_charts else self.wb.free_part("xl/charts", "chart", self.taken_parts)

            def values(header, chart=chart):
                if header not in whole:
                    whole[header] = list(spec.data[header].astype(object))
                return whole[header][chart.first:chart.last + 1]
            self._put_part(cpart, chart_xml(chart, ref, lambda h: f"{q}!${where[h]}${r0}", values), CHART_LEVEL)
            self.wb.set_override(cpart, CT_CHART)
            rids.append(f"rId{i}")
            add_rel(drels, rids[-1], REL_CHART, relative(drawing, cpart))
        self._put_part(drawing, drawing_xml(spec.charts, rids))
        self._put_part(self.pkg.find(rels_path(drawing)) or rels_path(drawing), to_xml(drels))
        self.wb.set_override(drawing, CT_DRAWING)
        rid = free_rid({el.get("Id") for el in rels_root if isinstance(el.tag, str)})
        add_rel(rels_root, rid, REL_DRAWING, relative(part, drawing))
        return f'<drawing r:id="{rid}"/>'.encode()

    def _existing_links(self, links, link_cols):
        """Links only to sheets the workbook has (a finding about a missing table names a
        sheet that is not there; Excel would report the link as invalid)."""
        if not links:
            return links
        names = {s.name.lower() for s in self.wb.sheets} | getattr(self, "coming", set())
        out = dict(links)
        for _, col in link_cols:
            loc = links.get(col.header)
            if loc is None or not len(loc):
                continue
            loc = loc.reset_index(drop=True).astype("string")
            ok = known_sheet(loc, names)
            out[col.header] = loc.where(ok, None)
            col.values = col.values.reset_index(drop=True).where(ok, None)
        return out

    # -- the shared parts ------------------------------------------------------------
    def finish(self) -> None:
        wb = self.wb
        # formulas anywhere in the book may use massbal's figures (=SUM(Balance[Variance]));
        # their cached results are stale now, so Excel recalculates when the book opens
        wb.set_full_calc_on_load()
        chain = wb.calc_chain_part
        if chain and self.replaced_sheet_ids:
            data = self.pkg.read(chain)
            new = filter_calc_chain(data, self.replaced_sheet_ids)
            if new is None:
                self.removed.add(chain.lower())
                wb.remove_part(chain)
            elif new != data:
                self.replaced[self.pkg.find(chain).lower()] = new
        if self.styles.changed:
            if self.styles_part:
                self.replaced[self.pkg.find(self.styles_part).lower()] = self.styles.to_bytes()
            else:
                part = "xl/styles.xml"
                add_rel(wb.rels_root, free_rid(wb.rel_ids), REL_STYLES, relative(wb.part, part))
                wb.changed.add(rels_path(wb.part))
                wb.set_override(part, CT_STYLES)
                self.added.append((part, self.styles.to_bytes(), 6))
        for name, data in wb.edited_parts().items():
            self.replaced[name.lower()] = data

    def write(self, fh) -> None:
        w = PackageWriter(fh)
        last: list[tuple[str, Ahead]] = []   # the sheets made meanwhile, once all else is written

        def put(name: str, content, level: int) -> None:
            if isinstance(content, Ahead):
                last.append((name, content))
            elif callable(content):
                w.write_chunks(name, content(), level)
            else:
                w.write(name, content, level)

        for m in self.pkg.members:
            low = m.name.lower()
            if low in self.removed:
                continue
            if low in self.replaced:
                put(m.name, self.replaced[low], self.levels.get(low, 6))
            else:
                w.copy(self.pkg, m)
        for name, content, level in self.added:
            put(name, content, level)
        for name, ahead in last:
            try:
                made = ahead.result()
            except OSError:   # its temporary file filled the disk: made in line after all
                w.write_chunks(name, ahead.chunks(), ahead.level)
            else:
                w.write_deflated(name, made)
        w.close(self.pkg.comment)

    def close(self) -> None:
        """The sheets made ahead stopped (a failed write) and their files let go."""
        for ahead in self.ahead:
            ahead.close()


class _MadeLater(Exception):
    """What Later.make raised (its cause), told apart from a damaged workbook's errors."""


def _then(specs: list[SheetSpec], later: Later | None):
    """The specs, then later's, made when the loop reaches them."""
    yield from specs
    if later is not None:
        try:
            more = later.make()
        except Exception as e:
            raise _MadeLater() from e
        assert tuple(s.name for s in more) == later.names, "Later made other sheets than it named"
        yield from more


def known_sheet(loc, names: set[str]) -> np.ndarray:
    """Per link location ('Sheet name'!A1, a "string" column): is its sheet one of `names`
    (lower case)? The sheet part read by one Arrow regex over the column, and each distinct
    sheet lowered once by pandas' own str.lower (the 980k book's 70k findings' links were
    70k regex matches in Python)."""
    arr = pa.array(loc.array, type=pa.string(), from_pandas=True)
    found = pc.extract_regex(arr, r"^'(?P<sheet>(?:[^']|'')*)'!")
    sheet = pc.replace_substring(pc.struct_field(found, [0]), "''", "'")
    distinct = pd.Series(pc.unique(sheet).drop_null().to_pylist(), dtype=loc.dtype)   # lowered as loc would be
    known = distinct[distinct.str.lower().isin(names).fillna(False).to_numpy(dtype=bool)]
    ok = pc.is_in(sheet, value_set=pa.array(known.tolist(), type=pa.string()))
    return pc.fill_null(ok, False).to_numpy(zero_copy_only=False)


def _take_covered(old: OldSheet | None, output: str, region) -> list[K.Orphan]:
    """Remove from the old sheet's outside cells those the new table covers; they become
    orphans (key: their cell address), never lost."""
    if old is None:
        return []
    r0, c0, r1, c1 = region
    out = []
    for rnum in sorted(old.outside):
        if not r0 <= rnum <= r1:
            continue
        stay = []
        for col, xml, cell in sorted(old.outside[rnum], key=lambda x: x[0]):
            if c0 <= col <= c1:
                if not cell.empty:  # an empty formatted cell holds nothing to keep
                    out.append(K.Orphan(output, f"cell {column_letter(col)}{rnum}", K.OUTSIDE, cell))
            else:
                stay.append((col, xml, cell))
        old.outside[rnum] = stay
    return out


_ONE_CELL = re.compile(r"([A-Z]{1,3})(\d{1,7})")


def _link_range(ref: str) -> tuple[int, int, int, int]:
    """parse_range of a hyperlink's ref; a plain one-cell ref (each of the old Supply's
    and Exceptions' links: most of a re-run's planning) read by one match."""
    m = _ONE_CELL.fullmatch(ref)
    if m is None:
        return parse_range(ref)
    r, c = int(m.group(2)), _column_number(m.group(1))
    return r, c, r, c


@functools.lru_cache(maxsize=4096)
def _column_number(letters: str) -> int:
    return column_number(letters)


def _overlaps(a, b) -> bool:
    return not (a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1])


def _drop_rel(rels_root, rid: str) -> None:
    for el in list(rels_root):
        if isinstance(el.tag, str) and el.get("Id") == rid:
            rels_root.remove(el)
