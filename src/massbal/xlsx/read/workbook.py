"""The workbook's map: its sheets, their Excel Tables, the date system.

Read from workbook.xml, the relationship parts and xl/tables/tableN.xml; cell values
are not touched here (calamine reads those, see cells.py).
"""
from __future__ import annotations

from dataclasses import dataclass

from massbal.xlref import parse_range
from massbal.xlref import unescape as unescape_ooxml

from .errors import BookReadError
from .package import Package, attr, local, rel_id


@dataclass(frozen=True)
class SheetInfo:
    name: str
    part: str  # zip part name, '' when the workbook points nowhere
    kind: str  # 'worksheet', 'chartsheet', 'dialogsheet', 'macrosheet'


@dataclass(frozen=True)
class TableInfo:
    """One Excel Table (ListObject) as xl/tables/tableN.xml describes it."""

    name: str
    sheet: str
    first_row: int  # 1-based worksheet rows and columns of the table's ref, headers included
    last_row: int
    first_col: int
    last_col: int
    header_rows: int  # headerRowCount: 1, or 0 for a table without a header row
    totals_rows: int  # totalsRowCount: the totals row is not data
    columns: tuple[str, ...]  # tableColumn names, which Excel keeps equal to the header cells

    @property
    def data_first_row(self) -> int:
        return self.first_row + self.header_rows

    @property
    def data_last_row(self) -> int:
        return self.last_row - self.totals_rows


@dataclass(frozen=True)
class WorkbookInfo:
    workbook_part: str
    sheets: tuple[SheetInfo, ...]
    date1904: bool
    shared_strings_part: str  # '' when the workbook has none
    tables: tuple[TableInfo, ...]


_BINARY_WORKBOOK = "xl/workbook.bin"


def read_workbook_info(pkg: Package) -> WorkbookInfo:
    wb_part = _workbook_part(pkg)
    root = pkg.xml(wb_part)
    if local(root.tag) != "workbook":
        raise BookReadError(f"{pkg.name} is damaged: {wb_part} is not a workbook")
    rels = {r.id: r for r in pkg.rels(wb_part)}

    date1904 = False
    sheets: list[SheetInfo] = []
    for child in root:
        name = local(child.tag)
        # Only the workbookPr directly under <workbook>: Excel 2013+ also writes an
        # <x15:workbookPr> inside extLst, which says nothing about the date system.
        if name == "workbookPr":
            date1904 = (attr(child, "date1904") or "").strip().lower() in ("1", "true")
        elif name == "sheets":
            for sh in child:
                if local(sh.tag) != "sheet":
                    continue
                rel = rels.get(rel_id(sh) or "")
                sheets.append(SheetInfo(sh.get("name") or "", rel.target if rel else "",
                                        rel.type if rel else ""))
    sst = next((r.target for r in rels.values() if r.type == "sharedStrings" and r.target), "")
    if sst and not pkg.has(sst):
        sst = ""

    tables: list[TableInfo] = []
    for sheet in sheets:
        if sheet.kind != "worksheet" or not sheet.part or not pkg.has(sheet.part):
            continue
        for rel in pkg.rels(sheet.part):
            if rel.type == "table" and rel.target and pkg.has(rel.target):
                table = _read_table(pkg, rel.target, sheet.name)
                if table is not None:
                    tables.append(table)
    return WorkbookInfo(wb_part, tuple(sheets), date1904, sst, tuple(tables))


def _workbook_part(pkg: Package) -> str:
    for rel in pkg.rels(""):
        if rel.type == "officeDocument" and rel.target:
            if rel.target.lower().endswith(".bin"):
                raise BookReadError(f"{pkg.name} is a binary .xlsb workbook; save it from Excel as "
                                    "Excel Workbook (.xlsx)")
            if pkg.has(rel.target):
                return rel.target
    if pkg.has("xl/workbook.xml"):
        return "xl/workbook.xml"
    if pkg.has(_BINARY_WORKBOOK):
        raise BookReadError(f"{pkg.name} is a binary .xlsb workbook; save it from Excel as .xlsx")
    if pkg.has("mimetype") and b"opendocument" in pkg.read("mimetype", 1024):
        raise BookReadError(f"{pkg.name} is an OpenDocument (.ods) file; save it as Excel "
                            "Workbook (.xlsx)")
    if pkg.has("word/document.xml") or pkg.has("ppt/presentation.xml"):
        raise BookReadError(f"{pkg.name} is a Word or PowerPoint file, not an Excel workbook")
    raise BookReadError(f"{pkg.name} is a zip file but not an Excel .xlsx workbook")


def _read_table(pkg: Package, part: str, sheet: str) -> TableInfo | None:
    root = pkg.xml(part)
    if local(root.tag) != "table":
        return None
    name = root.get("displayName") or root.get("name") or ""
    try:
        r1, c1, r2, c2 = parse_range(root.get("ref") or "")
        header_rows = int(root.get("headerRowCount", "1"))
        totals_rows = int(root.get("totalsRowCount", "0"))
    except ValueError:
        raise BookReadError(f"{pkg.name} is damaged: table {name or part} has an unreadable range") from None
    columns: list[str] = []
    for child in root:
        if local(child.tag) == "tableColumns":
            columns = [unescape_ooxml(c.get("name") or "") for c in child if local(c.tag) == "tableColumn"]
    width = c2 - c1 + 1
    # tableColumns should match the ref's width; pad or cut so every column has a name.
    columns = (columns + [""] * width)[:width]
    return TableInfo(name, sheet, r1, r2, c1, c2, max(header_rows, 0), max(totals_rows, 0),
                     tuple(columns))
