"""The few cell styles massbal's sheets use, appended to the workbook's styles.xml.

Cells refer to styles by position (the s="7" attribute), so existing fonts, fills,
number formats and cell formats are never moved or renumbered: massbal only appends what
it needs, and first looks for an identical entry left by an earlier run so the style
sheet does not grow with every Reconcile.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

from lxml import etree

from massbal.layout.sheets import COLORS
from massbal.xlsx.write.zip_copy import NS_MAIN, parse_xml, to_xml

M = f"{{{NS_MAIN}}}"
LINK_COLOR = "0563C1"

_MINIMAL_STYLES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<fonts count="1"><font><sz val="11"/><color theme="1"/><name val="Calibri"/>'
    b'<family val="2"/><scheme val="minor"/></font></fonts>'
    b'<fills count="2"><fill><patternFill patternType="none"/></fill>'
    b'<fill><patternFill patternType="gray125"/></fill></fills>'
    b'<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    b'<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    b'<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    b'<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    b'</styleSheet>'
)
# Children of <styleSheet> in schema order.
_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles",
          "dxfs", "tableStyles", "colors", "extLst")


@dataclass(frozen=True)
class StyleWish:
    """A cell format: number format code (None: General), bold, font colour, fill colour,
    underline."""
    number_format: str | None = None
    bold: bool = False
    font_color: str | None = None
    fill_color: str | None = None
    underline: bool = False
    wrap: bool = False      # text wraps inside the cell
    top: bool = False       # top-aligned (beside a wrapped cell of the same row)


def _canon(el: etree._Element) -> tuple:
    """Order-insensitive identity of a font/fill element (Excel may reorder children)."""
    kids = tuple(sorted((etree.QName(k).localname, tuple(sorted(k.attrib.items())), _canon(k))
                        for k in el if isinstance(k.tag, str)))
    return (etree.QName(el).localname, tuple(sorted(el.attrib.items())), kids)


class Styles:
    def __init__(self, data: bytes | None):
        self.created = data is None
        self.root = parse_xml(data if data is not None else _MINIMAL_STYLES)
        self.changed = self.created
        for name in ("fonts", "fills", "borders", "cellXfs"):
            if self._section(name, create=False) is None:
                raise ValueError(f"styles.xml has no {name}")

    def _section(self, name: str, create: bool = True) -> etree._Element | None:
        el = self.root.find(M + name)
        if el is None and create:
            el = etree.Element(M + name)
            later = _ORDER[_ORDER.index(name) + 1:]
            for i, child in enumerate(self.root):
                if isinstance(child.tag, str) and etree.QName(child).localname in later:
                    self.root.insert(i, el)
                    break
            else:
                self.root.append(el)
        return el

    def _items(self, section: str, tag: str) -> list[etree._Element]:
        return self._section(section).findall(M + tag)

    def _append(self, section: str, el: etree._Element) -> int:
        sec = self._section(section)
        n = len(sec.findall(el.tag))
        sec.append(el)
        sec.set("count", str(n + 1))
        self.changed = True
        return n

    def _find_or_add(self, section: str, tag: str, el: etree._Element) -> int:
        want = _canon(el)
        for i, e in enumerate(self._items(section, tag)):
            if _canon(e) == want:
                return i
        return self._append(section, el)

    def number_format_id(self, code: str | None) -> int:
        if code is None:
            return 0
        builtin = {"0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10}
        if code in builtin:
            return builtin[code]
        sec = self._section("numFmts")
        ids = []
        for nf in sec.findall(M + "numFmt"):
            ids.append(int(nf.get("numFmtId", "0")))
            if nf.get("formatCode") == code:
                return int(nf.get("numFmtId"))
        new_id = max(ids + [163]) + 1
        nf = etree.SubElement(sec, M + "numFmt")
        nf.set("numFmtId", str(new_id))
        nf.set("formatCode", code)
        sec.set("count", str(len(sec.findall(M + "numFmt"))))
        self.changed = True
        return new_id

    def _font_id(self, wish: StyleWish) -> int:
        if not (wish.bold or wish.font_color or wish.underline):
            return 0
        # the workbook's own default font, with massbal's emphasis on top
        fonts = self._items("fonts", "font")
        font = copy.deepcopy(fonts[0]) if fonts else etree.Element(M + "font")
        for tag in ("b", "u", "color"):
            for k in font.findall(M + tag):
                font.remove(k)
        at = 0
        if wish.bold:
            font.insert(at, etree.Element(M + "b"))
            at += 1
        if wish.underline:
            font.insert(at, etree.Element(M + "u"))
            at += 1
        if wish.font_color:
            color = etree.Element(M + "color")
            color.set("rgb", "FF" + wish.font_color)
            # CT_Font's children may come in any order, but keep color before name as Excel does
            font.insert(at + (1 if font.find(M + "sz") is not None else 0), color)
        return self._find_or_add("fonts", "font", font)

    def _fill_id(self, wish: StyleWish) -> int:
        if not wish.fill_color:
            return 0
        fill = etree.Element(M + "fill")
        pf = etree.SubElement(fill, M + "patternFill")
        pf.set("patternType", "solid")
        fg = etree.SubElement(pf, M + "fgColor")
        fg.set("rgb", "FF" + wish.fill_color)
        bg = etree.SubElement(pf, M + "bgColor")
        bg.set("indexed", "64")
        return self._find_or_add("fills", "fill", fill)

    def xf(self, wish: StyleWish) -> int:
        """Index into cellXfs (the cell's s attribute) of a format matching the wish."""
        num = self.number_format_id(wish.number_format)
        font = self._font_id(wish)
        fill = self._fill_id(wish)
        want = {"numFmtId": str(num), "fontId": str(font), "fillId": str(fill),
                "borderId": "0", "xfId": "0"}
        align = {}
        if wish.wrap:
            align["wrapText"] = "1"
        if wish.top or wish.wrap:
            align["vertical"] = "top"
        for i, x in enumerate(self._items("cellXfs", "xf")):
            extra = [k for k in x.attrib if k not in want and not k.startswith("apply")]
            if not extra and all(x.get(k, "0") == v for k, v in want.items()) and _alignment(x) == align:
                return i
        x = etree.Element(M + "xf")
        for k, v in want.items():
            x.set(k, v)
        if align:
            x.set("applyAlignment", "1")
            a = etree.SubElement(x, M + "alignment")
            for k, v in align.items():
                a.set(k, v)
        if num:
            x.set("applyNumberFormat", "1")
        if font:
            x.set("applyFont", "1")
        if fill:
            x.set("applyFill", "1")
        return self._append("cellXfs", x)

    def to_bytes(self) -> bytes:
        return to_xml(self.root)


def status_wish(color: str, number_format: str | None = None, top: bool = False) -> StyleWish:
    fill, font = COLORS[color]
    return StyleWish(number_format, bold=False, font_color=font, fill_color=fill, top=top)


def _alignment(xf: etree._Element) -> dict | None:
    """An xf's alignment attributes ({} without one); None when it has other children
    (protection ...), so it never matches a plain wish."""
    kids = [k for k in xf if isinstance(k.tag, str)]
    if not kids:
        return {}
    if len(kids) == 1 and kids[0].tag == M + "alignment":
        return dict(kids[0].attrib)
    return None


HEADER = StyleWish(bold=True)
LINK = StyleWish(font_color=LINK_COLOR, underline=True)
