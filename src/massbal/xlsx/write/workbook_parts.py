"""The shared parts that list a workbook's sheets, and the few edits massbal makes to them.

workbook.xml (sheets, the hidden marker names, calcPr), its relationships, and
[Content_Types].xml. Edits are made on the parsed XML and only the elements massbal
owns are added or changed; existing sheets keep their position, sheetId and r:id, so
defined names with localSheetId, VBA code names and pivot caches stay valid.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

from lxml import etree

from massbal.engine.rawbook import column_letter
from massbal.layout.sheets import marker_name
from massbal.xlsx.write.zip_copy import (
    CT_TABLE,
    CT_WORKSHEET,
    NS_CT,
    NS_MAIN,
    NS_R,
    NS_STRICT_MAIN,
    REL_CALC_CHAIN,
    REL_OFFICE_DOC,
    REL_SHARED_STRINGS,
    REL_STYLES,
    REL_WORKSHEET,
    Package,
    PackageError,
    add_rel,
    free_rid,
    parse_xml,
    read_rels,
    relative,
    rels_path,
    resolve,
    to_xml,
)

M = f"{{{NS_MAIN}}}"
_SHEET_KINDS = {"worksheet", "chartsheet", "dialogsheet", "macrosheet", "xlMacrosheet",
                "xlIntlMacrosheet"}

# Children of <workbook> that must come after <definedNames>, in schema order.
_AFTER_NAMES = ("calcPr", "oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr",
                "smartTagTypes", "webPublishing", "fileRecoveryPr", "webPublishObjects",
                "extLst")


@dataclass
class SheetEntry:
    name: str
    sheet_id: int
    rid: str
    part: str | None
    kind: str          # worksheet, chartsheet, dialogsheet, macrosheet...
    el: etree._Element


def quote_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


_REF_SHEET = re.compile(r"^=?(?:'((?:[^']|'')+)'|([^'!]+))!\$?[A-Z]+\$?\d+$")


def sheet_of_ref(text: str) -> str | None:
    m = _REF_SHEET.match((text or "").strip())
    if not m:
        return None
    return m.group(1).replace("''", "'") if m.group(1) is not None else m.group(2)


class Workbook:
    def __init__(self, pkg: Package):
        self.pkg = pkg
        _, root_rels = read_rels(pkg, "")
        docs = [r for r in root_rels if r.type == REL_OFFICE_DOC or r.type.endswith("/officeDocument")]
        if not docs or not pkg.has(docs[0].target):
            raise PackageError("This file has no workbook part: it is not an Excel workbook.")
        self.part = pkg.find(docs[0].target)
        self.root = parse_xml(pkg.read(self.part))
        if self.root.tag == f"{{{NS_STRICT_MAIN}}}workbook":
            raise PackageError("This workbook is saved as 'Strict Open XML'; save it as an ordinary "
                               "Excel Workbook (.xlsx) and run massbal again.")
        if self.root.tag != M + "workbook":
            raise PackageError("This file's workbook part is not a spreadsheet workbook.")
        self.rels_root, self.rels = read_rels(pkg, self.part)
        if self.rels_root is None:
            raise PackageError("The workbook's list of parts (workbook.xml.rels) is missing.")
        self.ct_root = parse_xml(pkg.read("[Content_Types].xml"))
        self.changed: set[str] = set()
        self.removed_parts: set[str] = set()
        self.rel_ids = {r.id for r in self.rels}
        by_id = {r.id: r for r in self.rels}
        self.sheets: list[SheetEntry] = []
        sheets_el = self.root.find(M + "sheets")
        if sheets_el is None:
            raise PackageError("The workbook lists no sheets.")
        self.sheets_el = sheets_el
        for el in sheets_el.findall(M + "sheet"):
            rid = el.get(f"{{{NS_R}}}id")
            rel = by_id.get(rid)
            kind = rel.type.rsplit("/", 1)[-1] if rel else "missing"
            part = pkg.find(rel.target) if rel and not rel.external else None
            self.sheets.append(SheetEntry(el.get("name", ""), int(el.get("sheetId", "0")), rid,
                                          part, kind, el))
        pr = self.root.find(M + "workbookPr")
        self.date1904 = pr is not None and pr.get("date1904", "0").lower() in ("1", "true")
        self.tables = self._read_tables()

    # -- what is there ---------------------------------------------------------------
    def rel_target(self, rel_type: str) -> str | None:
        for r in self.rels:
            if r.type == rel_type and not r.external:
                return self.pkg.find(r.target) or r.target
        return None

    @property
    def styles_part(self) -> str | None:
        return self.rel_target(REL_STYLES)

    @property
    def shared_strings_part(self) -> str | None:
        p = self.rel_target(REL_SHARED_STRINGS)
        return p if p and self.pkg.has(p) else None

    @property
    def calc_chain_part(self) -> str | None:
        p = self.rel_target(REL_CALC_CHAIN)
        return p if p and self.pkg.has(p) else None

    def _read_tables(self) -> dict[str, tuple[int, str]]:
        """Every table part: part -> (id, displayName)."""
        out = {}
        for el in self.ct_root:
            if el.get("ContentType") == CT_TABLE and el.get("PartName"):
                part = self.pkg.find(el.get("PartName"))
                if part is None:
                    continue
                try:
                    t = parse_xml(self.pkg.read(part))
                except etree.XMLSyntaxError:
                    continue
                out[part] = (int(t.get("id", "0") or 0), t.get("displayName") or t.get("name") or "")
        return out

    def sheet(self, name: str) -> SheetEntry | None:
        low = name.lower()
        for s in self.sheets:
            if s.name.lower() == low:
                return s
        return None

    def defined_names(self) -> list[etree._Element]:
        dn = self.root.find(M + "definedNames")
        return [] if dn is None else dn.findall(M + "definedName")

    def used_names(self) -> set[str]:
        """Table and defined names share one namespace in Excel (case-insensitive)."""
        names = {n.get("name", "").lower() for n in self.defined_names()}
        names |= {d.lower() for _, d in self.tables.values()}
        return names

    def marker_target(self, output_sheet: str) -> str | None:
        want = marker_name(output_sheet).lower()
        for n in self.defined_names():
            if n.get("name", "").lower() == want and n.get("localSheetId") is None:
                return sheet_of_ref(n.text or "")
        return None

    def next_table_id(self) -> int:
        return max([i for i, _ in self.tables.values()] + [0]) + 1

    def free_part(self, folder: str, stem: str, taken: set[str]) -> str:
        i = 1
        while True:
            name = f"{folder}/{stem}{i}.xml"
            if not self.pkg.has(name) and name.lower() not in taken:
                taken.add(name.lower())
                return name
            i += 1

    # -- edits -------------------------------------------------------------------------
    def structure_locked(self) -> bool:
        """Review > Protect Workbook (structure): Excel lets nobody add, remove or rename sheets."""
        prot = self.root.find(M + "workbookProtection")
        return prot is not None and (prot.get("lockStructure") or "").strip().lower() in ("1", "true")

    def add_sheet(self, name: str, part: str) -> SheetEntry:
        if self.structure_locked():  # adding one anyway would do what Excel itself refuses
            book = os.path.basename(str(self.pkg.path))
            raise PackageError(f"{book}'s structure is protected (Review > Protect Workbook), so no sheet can be "
                               f"added to it and massbal needs to add the sheet '{name}'. Unprotect the workbook's "
                               "structure, run massbal again, then protect it again.")
        rid = free_rid(self.rel_ids)
        add_rel(self.rels_root, rid, REL_WORKSHEET, relative(self.part, part))
        sheet_id = max([s.sheet_id for s in self.sheets] + [0]) + 1
        el = etree.SubElement(self.sheets_el, M + "sheet")
        el.set("name", name)
        el.set("sheetId", str(sheet_id))
        el.set(f"{{{NS_R}}}id", rid)
        # keep the file's formatting habit: no whitespace text between elements is added
        entry = SheetEntry(name, sheet_id, rid, part, "worksheet", el)
        self.sheets.append(entry)
        self.set_override(part, CT_WORKSHEET)
        self.changed |= {self.part, rels_path(self.part), "[Content_Types].xml"}
        return entry

    def set_marker(self, output_sheet: str, sheet_name: str) -> None:
        name = marker_name(output_sheet)
        value = quote_sheet(sheet_name) + "!$A$1"
        for n in self.defined_names():
            if n.get("name", "").lower() == name.lower() and n.get("localSheetId") is None:
                if n.text != value:
                    n.text = value
                    self.changed.add(self.part)
                return
        el = etree.SubElement(self._names_element(), M + "definedName")
        el.set("name", name)
        el.set("hidden", "1")
        el.text = value
        self.changed.add(self.part)

    def add_print_titles(self, entry: SheetEntry, header_row: int, first_col: int = 1,
                         repeat_columns: int = 0) -> None:
        """Repeat the header row (and the first columns: the item) on every printed page
        of a massbal sheet, unless the sheet already has print titles (the user's)."""
        text = f"{quote_sheet(entry.name)}!${header_row}:${header_row}"
        if repeat_columns:
            a, b = column_letter(first_col), column_letter(first_col + repeat_columns - 1)
            text = f"{quote_sheet(entry.name)}!${a}:${b},{text}"
        self._add_local_name(entry, "_xlnm.Print_Titles", text)

    def add_print_area(self, entry: SheetEntry, ref: str, replace: bool = False) -> None:
        """Print only `ref` ('A1:P64') of the sheet, unless it has a print area already
        (replace: massbal's own, which follows the sheet's content)."""
        a, b = ref.split(":")
        absolute = "$" + re.sub(r"(\d+)", r"$\1", a) + ":$" + re.sub(r"(\d+)", r"$\1", b)
        self._add_local_name(entry, "_xlnm.Print_Area", f"{quote_sheet(entry.name)}!{absolute}", replace)

    def _add_local_name(self, entry: SheetEntry, name: str, text: str, replace: bool = False) -> None:
        index = self.sheets.index(entry)
        for n in self.defined_names():
            if n.get("name") == name and n.get("localSheetId") == str(index):
                if replace and n.text != text:
                    n.text = text
                    self.changed.add(self.part)
                return
        el = etree.SubElement(self._names_element(), M + "definedName")
        el.set("name", name)
        el.set("localSheetId", str(index))
        el.text = text
        self.changed.add(self.part)

    def _names_element(self) -> etree._Element:
        dn = self.root.find(M + "definedNames")
        if dn is None:
            dn = etree.Element(M + "definedNames")
            self._insert_before(dn, _AFTER_NAMES)
        return dn

    def set_full_calc_on_load(self) -> None:
        """Cached formula results that depend on massbal's sheets are stale after a
        write: ask Excel to recalculate when the book opens."""
        calc = self.root.find(M + "calcPr")
        if calc is None:
            calc = etree.Element(M + "calcPr")
            self._insert_before(calc, _AFTER_NAMES[1:])
        if calc.get("fullCalcOnLoad") not in ("1", "true"):
            calc.set("fullCalcOnLoad", "1")
            self.changed.add(self.part)

    def _insert_before(self, el: etree._Element, later: tuple[str, ...]) -> None:
        for i, child in enumerate(self.root):
            if isinstance(child.tag, str) and etree.QName(child).localname in later:
                self.root.insert(i, el)
                return
        self.root.append(el)

    def set_override(self, part: str, content_type: str) -> None:
        pn = "/" + part.lstrip("/")
        for el in self.ct_root:
            if el.get("PartName", "").lower() == pn.lower():
                if el.get("ContentType") != content_type:
                    el.set("ContentType", content_type)
                    self.changed.add("[Content_Types].xml")
                return
        o = etree.SubElement(self.ct_root, f"{{{NS_CT}}}Override")
        o.set("PartName", pn)
        o.set("ContentType", content_type)
        self.changed.add("[Content_Types].xml")

    def remove_part(self, part: str) -> None:
        """Drop a part: its content-type override and the workbook's relationship to it."""
        pn = "/" + part.lstrip("/")
        for el in list(self.ct_root):
            if el.get("PartName", "").lower() == pn.lower():
                self.ct_root.remove(el)
                self.changed.add("[Content_Types].xml")
        for el in list(self.rels_root):
            if not isinstance(el.tag, str) or el.get("TargetMode") == "External":
                continue
            if resolve(self.part, el.get("Target", "")).lower() == part.lower():
                self.rels_root.remove(el)
                self.changed.add(rels_path(self.part))
        self.removed_parts.add(part.lower())

    def edited_parts(self) -> dict[str, bytes]:
        out = {}
        if self.part in self.changed:
            out[self.part] = to_xml(self.root)
        if rels_path(self.part) in self.changed:
            out[self.pkg.find(rels_path(self.part)) or rels_path(self.part)] = to_xml(self.rels_root)
        if "[Content_Types].xml" in self.changed:
            out[self.pkg.find("[Content_Types].xml")] = to_xml(self.ct_root)
        return out


def filter_calc_chain(data: bytes, sheet_ids: set[int]) -> bytes | None:
    """calcChain.xml without the cells of the given sheets (Excel reports a damaged
    file when the chain names a cell that holds no formula). None: nothing is left;
    `data` itself when none of those sheets is in the chain."""
    root = parse_xml(data)
    current = None
    kept_any = False
    removed = False
    last_written = None
    for c in list(root):
        if not isinstance(c.tag, str):
            continue
        if c.get("i") is not None:
            current = int(c.get("i"))
        if current in sheet_ids:
            root.remove(c)
            removed = True
            continue
        kept_any = True
        # 'i' is inherited from the previous entry: write it wherever that changed
        if current is not None and last_written != current:
            c.set("i", str(current))
        last_written = current
    if not removed:
        return data
    if not kept_any:
        return None
    return to_xml(root)
