"""The XML of one output sheet and its table part.

The sheet is assembled in the schema's element order from three sources: what massbal
generates (dimension, rows, links, table parts), what the user set on the sheet it
replaces (carried verbatim: views, widths, print setup, validations, conditional
formats, drawings, comments, protection, extensions) and defaults for a new sheet.
"""
from __future__ import annotations

import copy
import re

from lxml import etree

from massbal.xlref import column_letter
from massbal.xlsx.write.cell_xml import OutColumn, esc_one, header_row_xml, hyperlinks_xml, sheet_rows
from massbal.xlsx.write.readback import WORKSHEET_ORDER, OldSheet, OldTable, unescape_name
from massbal.xlsx.write.zip_copy import NS_MAIN, NS_R, to_xml

M = f"{{{NS_MAIN}}}"
TABLE_STYLE = "TableStyleMedium2"


def table_xml(old: OldTable | None, tid: int, name: str, ref: str, columns: list[OutColumn]) -> bytes:
    if old is not None:
        root = copy.deepcopy(old.root)
    else:
        root = etree.Element(M + "table", nsmap={None: NS_MAIN})
    root.set("id", str(tid))
    root.set("name", name)
    root.set("displayName", name)
    root.set("ref", ref)
    for a in ("totalsRowCount", "headerRowCount", "insertRow", "insertRowShift", "totalsRowDxfId",
              "totalsRowBorderDxfId", "tableType", "connectionId"):
        if a in root.attrib:
            del root.attrib[a]
    root.set("totalsRowShown", "0")
    for tag in ("autoFilter", "sortState", "tableColumns"):
        for el in root.findall(M + tag):
            root.remove(el)
    af = etree.Element(M + "autoFilter")
    af.set("ref", ref)
    root.insert(0, af)
    tc = etree.Element(M + "tableColumns")
    old_by_name = {}
    if old is not None:
        for n, el in zip(old.columns, old.column_els, strict=True):
            old_by_name.setdefault(n.lower(), el)
    ids = set()
    pending = []
    for col in columns:
        el = col.table_column if col.table_column is not None else old_by_name.get(col.header.lower())
        if el is not None:
            el = copy.deepcopy(el)
            if col.table_column is None:  # one of massbal's columns: only its identity is kept
                for k in list(el):
                    el.remove(k)
                for a in list(el.attrib):
                    if a not in ("id", "name") and not a.startswith("{"):
                        del el.attrib[a]
            for a in ("queryTableFieldId", "uniqueName"):
                el.attrib.pop(a, None)
            el.set("name", _escape_column_name(col.header) if col.table_column is None else el.get("name"))
        else:
            el = etree.Element(M + "tableColumn")
            el.set("id", "0")
            el.set("name", _escape_column_name(col.header))
        cid = int(el.get("id", "0") or 0)
        if cid <= 0 or cid in ids:
            pending.append(el)
        else:
            ids.add(cid)
        tc.append(el)
    nxt = max(ids | {0}) + 1
    for el in pending:
        el.set("id", str(nxt))
        nxt += 1
    tc.set("count", str(len(columns)))
    root.insert(1, tc)
    if root.find(M + "tableStyleInfo") is None:
        tsi = etree.Element(M + "tableStyleInfo")
        for k, v in (("name", TABLE_STYLE), ("showFirstColumn", "0"), ("showLastColumn", "0"),
                     ("showRowStripes", "1"), ("showColumnStripes", "0")):
            tsi.set(k, v)
        ext = root.find(M + "extLst")
        if ext is not None:
            ext.addprevious(tsi)
        else:
            root.append(tsi)
    return to_xml(root)


def _escape_column_name(name: str) -> str:
    return "".join(f"_x{ord(ch):04X}_" if ord(ch) < 0x20 else ch for ch in name)


def _header_text(col: OutColumn) -> str:
    if col.table_column is not None:
        return unescape_name(col.table_column.get("name", col.header))
    return col.header


def _root_namespaces(old: OldSheet | None) -> dict:
    ns = {None: NS_MAIN, "r": NS_R}
    if old is not None:
        for p, uri in old.root.nsmap.items():
            if p is not None and p not in ns and uri not in (NS_MAIN,):
                ns[p] = uri
    return ns


_XMLNS = re.compile(rb'\s+xmlns(?::([A-Za-z_][\w.\-]*))?="([^"]*)"')


def _strip_ns(xml: bytes, declared: dict) -> bytes:
    """Drop namespace declarations from a carried element's start tag that the new root
    already makes (lxml repeats them when an element is serialized on its own)."""
    end = xml.find(b">")
    head, rest = xml[:end], xml[end:]

    def drop(m):
        p = m.group(1).decode() if m.group(1) else None
        return b"" if declared.get(p) == m.group(2).decode() else m.group(0)

    return _XMLNS.sub(drop, head) + rest


def _root_start(old: OldSheet | None) -> bytes:
    ns = _root_namespaces(old)
    attrs = []
    if old is not None:
        rev = {uri: p for p, uri in ns.items() if p}
        for k, v in old.root.attrib.items():
            q = etree.QName(k)
            if q.namespace is None:
                attrs.append(f'{q.localname}="{esc_one(v, attr=True)}"')
            elif q.namespace in rev:
                attrs.append(f'{rev[q.namespace]}:{q.localname}="{esc_one(v, attr=True)}"')
    decl = [f'xmlns="{NS_MAIN}"'] + [f'xmlns:{p}="{uri}"' for p, uri in ns.items() if p]
    return ("<worksheet " + " ".join(decl + attrs) + ">").encode("utf-8")


def _default_element(name: str, columns: list[OutColumn], c0: int, r0: int) -> bytes | None:
    if name == "sheetViews":
        top = f"{column_letter(c0)}{r0 + 1}"
        return (f'<sheetViews><sheetView workbookViewId="0"><pane ySplit="{r0}" topLeftCell="{top}" '
                f'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="{top}" '
                f'sqref="{top}"/></sheetView></sheetViews>').encode()
    if name == "sheetFormatPr":
        return b'<sheetFormatPr defaultRowHeight="15"/>'
    if name == "cols":
        cols = "".join(f'<col min="{c0 + j}" max="{c0 + j}" width="{col.width or 14}" customWidth="1"/>'
                       for j, col in enumerate(columns))
        return f"<cols>{cols}</cols>".encode()
    if name == "pageMargins":
        return b'<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
    return None


def sheet_xml(old, columns, nrows, r0, c0, date1904, header_style, left, right, rows_out, bounds,
               link_cols, links, hyper_carried, merges, table_rids, own=None, heights=None):
    """own: elements massbal sets on this sheet (print setup, its drawing), by name; they
    replace the old sheet's element of that name."""
    own = own or {}
    yield b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    yield _root_start(old)
    declared = _root_namespaces(old)
    carried = old.children if old is not None else []
    for name in WORKSHEET_ORDER:
        if name in own:
            yield _strip_ns(own[name], declared)
        elif name == "dimension":
            yield (f'<dimension ref="{column_letter(bounds[1])}{bounds[0]}:'
                   f'{column_letter(bounds[3])}{bounds[2]}"/>').encode()
        elif name == "sheetData":
            yield b"<sheetData>"
            yield from _outside_rows(rows_out, old, lambda r: r < r0)
            yield header_row_xml([_header_text(c) for c in columns], r0, c0, header_style,
                                 left.get(r0, ""), right.get(r0, "")).encode("utf-8")
            yield from sheet_rows(columns, nrows, r0 + 1, c0, date1904, left, right, heights)
            if nrows == 0 and (r0 + 1 in left or r0 + 1 in right):
                yield f'<row r="{r0 + 1}">{left.get(r0 + 1, "")}{right.get(r0 + 1, "")}</row>'.encode()
            yield from _outside_rows(rows_out, old, lambda r: r > r0 + max(nrows, 1))
            yield b"</sheetData>"
        elif name == "hyperlinks":
            ours = []
            for j, col in link_cols:
                loc = links.get(col.header)
                if loc is not None and len(loc):
                    ours += hyperlinks_xml(column_letter(c0 + j), r0 + 1, loc.reset_index(drop=True),
                                           col.values.reset_index(drop=True))
            if ours or hyper_carried:
                yield b"<hyperlinks>"
                yield from ours
                for h in hyper_carried:
                    yield _strip_ns(h, declared)
                yield b"</hyperlinks>"
        elif name == "mergeCells":
            if merges:
                yield (f'<mergeCells count="{len(merges)}">' +
                       "".join(f'<mergeCell ref="{m}"/>' for m in merges) + "</mergeCells>").encode()
        elif name == "tableParts":
            yield (f'<tableParts count="{len(table_rids)}">' +
                   "".join(f'<tablePart r:id="{rid}"/>' for rid in table_rids) + "</tableParts>").encode()
        elif name not in ("autoFilter", "sortState"):  # a sheet filter would fight the table's
            mine = [c for c in carried if c.name == name]
            for c in mine:
                yield _strip_ns(c.xml, declared)
            if old is None:
                d = _default_element(name, columns, c0, r0)
                if d:
                    yield d
        for c in carried:  # elements outside the schema list (mc:AlternateContent ...)
            if c.name not in WORKSHEET_ORDER and c.after == name:
                yield _strip_ns(c.xml, declared)
    yield b"</worksheet>"


def _outside_rows(rows_out, old, pick):
    for rnum in sorted(r for r in rows_out if pick(r)):
        attrs = old.outside_row_attrs.get(rnum, {}) if old is not None else {}
        a = "".join(f' {_attr_name(k, old)}="{esc_one(v, attr=True)}"' for k, v in attrs.items()
                    if _attr_name(k, old))
        cells = b"".join(x for _, x in sorted(rows_out[rnum], key=lambda t: t[0]))
        yield f'<row r="{rnum}"{a}>'.encode() + cells + b"</row>"


def _attr_name(key: str, old) -> str | None:
    q = etree.QName(key)
    if q.namespace is None:
        return q.localname
    for p, uri in (old.root.nsmap.items() if old is not None else []):
        if uri == q.namespace and p:
            return f"{p}:{q.localname}"
    return None
