"""Native Excel charts as OOXML parts (xl/charts/chartN.xml, xl/drawings/drawingN.xml).

Each series refers to the Dashboard's own cells and carries a cache of their values, so
Excel and LibreOffice draw the chart as opened, without recalculating. Roles (see
massbal.dashboard): a stacked area for the tolerance band (its base is invisible), stacked
columns, lines, lines with markers, markers alone (flagged points) and a dashed line.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from massbal.layout.dashboard import ChartSpec, SeriesSpec
from massbal.xlsx.write.cell_xml import esc_one, needs_escape

NS_C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
NS_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
CT_CHART = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
CT_DRAWING = "application/vnd.openxmlformats-officedocument.drawing+xml"
REL_CHART = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/chart"
REL_DRAWING = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/drawing"
DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# ref(header, first data row, last data row) -> "'Dashboard'!$X$2:$X$13"
LINE_ROLES = ("line", "marked_line", "dots", "points", "dashed")
RefFn = Callable[[str, int, int], str]


def _num(v) -> str | None:
    if type(v) is float:   # most points: x - x is 0.0 for a finite x, NaN for NaN and infinities
        return repr(v) if v - v == 0.0 else None
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) or math.isinf(x) else repr(x)


_HEADS: tuple[str, ...] = ()


def _heads(n: int) -> tuple[str, ...]:
    """'<c:pt idx="i"><c:v>' for i < n: made once for the longest series so far and shared
    by every chart (a Dashboard's 180 charts hold ~125k category points)."""
    global _HEADS
    if len(_HEADS) < n:
        _HEADS = tuple(f'<c:pt idx="{i}"><c:v>' for i in range(max(n, 2 * len(_HEADS))))
    return _HEADS[:n]


def _num_ref(ref: str, values: Sequence, fmt: str = "General") -> str:
    heads = _heads(len(values))
    if set(map(type, values)) <= {float}:   # most series: plain floats, no call per point
        pts = "".join([h + repr(v) + "</c:v></c:pt>" for h, v in zip(heads, values, strict=True) if v - v == 0.0])
    else:
        pts = "".join([h + x + "</c:v></c:pt>" for h, v in zip(heads, values, strict=True) if (x := _num(v)) is not None])
    return (f"<c:numRef><c:f>{esc_one(ref)}</c:f><c:numCache><c:formatCode>{esc_one(fmt)}</c:formatCode>"
            f'<c:ptCount val="{len(values)}"/>{pts}</c:numCache></c:numRef>')


def _str_ref(ref: str, values: Sequence) -> str:
    texts = ["" if v is None else str(v) for v in values]
    if not needs_escape("".join(texts)):   # most categories: days and names, nothing to escape
        pts = "".join([h + t + "</c:v></c:pt>" for h, t in zip(_heads(len(texts)), texts, strict=True) if t != ""])
    else:
        pts = "".join([h + esc_one(t) + "</c:v></c:pt>" for h, t in zip(_heads(len(texts)), texts, strict=True) if t != ""])
    return (f'<c:strRef><c:f>{esc_one(ref)}</c:f><c:strCache><c:ptCount val="{len(values)}"/>{pts}'
            "</c:strCache></c:strRef>")


def _fill(color: str | None) -> str:
    return f'<a:solidFill><a:srgbClr val="{color}"/></a:solidFill>' if color else "<a:noFill/>"


def _sp_pr(s: SeriesSpec) -> str:
    if s.role == "band_base":
        return "<c:spPr><a:noFill/><a:ln><a:noFill/></a:ln></c:spPr>"
    if s.role in ("band", "bar"):
        return f"<c:spPr>{_fill(s.color)}<a:ln><a:noFill/></a:ln></c:spPr>"
    if s.role in ("points", "dots"):
        return '<c:spPr><a:ln w="28575"><a:noFill/></a:ln></c:spPr>'
    dash = '<a:prstDash val="dash"/>' if s.role == "dashed" else ""
    width = 15875 if s.role == "dashed" else 22225
    return f'<c:spPr><a:ln w="{width}" cap="rnd">{_fill(s.color)}{dash}<a:round/></a:ln></c:spPr>'


def _marker(s: SeriesSpec) -> str:
    if s.role == "points":
        return (f'<c:marker><c:symbol val="diamond"/><c:size val="10"/><c:spPr>{_fill(s.color)}'
                f'<a:ln w="9525">{_fill(s.color)}</a:ln></c:spPr></c:marker>')
    if s.role in ("marked_line", "dots"):
        size = 7 if s.role == "dots" else 5
        return (f'<c:marker><c:symbol val="circle"/><c:size val="{size}"/><c:spPr>{_fill(s.color)}'
                f'<a:ln w="9525">{_fill(s.color)}</a:ln></c:spPr></c:marker>')
    return '<c:marker><c:symbol val="none"/></c:marker>'


def _series(i: int, s: SeriesSpec, ref: RefFn, chart: ChartSpec, header_ref: Callable[[str], str],
            values: Callable[[str], list], cat: str) -> str:
    tx = _str_ref(header_ref(s.header), [s.header])
    body = (f'<c:ser><c:idx val="{i}"/><c:order val="{i}"/><c:tx>{tx}</c:tx>{_sp_pr(s)}')
    if s.role in LINE_ROLES:
        body += _marker(s)
    if s.role == "bar":
        body += '<c:invertIfNegative val="0"/>'
    body += f"<c:cat>{cat}</c:cat>"
    body += f"<c:val>{_num_ref(ref(s.header, chart.first, chart.last), values(s.header))}</c:val>"
    if s.role in LINE_ROLES:
        body += '<c:smooth val="0"/>'
    return body + "</c:ser>"


def _title(text: str, size: int = 1200, bold: bool = True) -> str:
    b = ' b="1"' if bold else ' b="0"'
    return (f'<c:title><c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz="{size}"{b}/></a:pPr>'
            f'<a:r><a:rPr lang="en-US" sz="{size}"{b}/><a:t>{esc_one(text)}</a:t></a:r></a:p></c:rich></c:tx>'
            '<c:overlay val="0"/></c:title>')


def _axis_title(text: str) -> str:
    return (f'<c:title><c:tx><c:rich><a:bodyPr rot="-5400000" vert="horz"/><a:lstStyle/><a:p><a:pPr>'
            f'<a:defRPr sz="900" b="0"/></a:pPr><a:r><a:rPr lang="en-US" sz="900" b="0"/><a:t>{esc_one(text)}'
            '</a:t></a:r></a:p></c:rich></c:tx><c:overlay val="0"/></c:title>')


_GRID = '<c:majorGridlines><c:spPr><a:ln w="6350"><a:solidFill><a:srgbClr val="D9D9D9"/></a:solidFill></a:ln></c:spPr></c:majorGridlines>'
_SMALL = '<c:txPr><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz="800"/></a:pPr><a:endParaRPr lang="en-US"/></a:p></c:txPr>'


def chart_xml(chart: ChartSpec, ref: RefFn, header_ref: Callable[[str], str], values: Callable[[str], list]) -> bytes:
    """One chart part. ref: the cells of a column over the chart's rows; header_ref: a
    column's header cell; values: a column's values over the chart's rows (the cache)."""
    cat = _str_ref(ref(chart.category, chart.first, chart.last), [
        None if v is None else str(v) for v in values(chart.category)])
    groups = {"area": [], "bar": [], "line": []}
    for i, s in enumerate(chart.series):
        g = "area" if s.role in ("band_base", "band") else "bar" if s.role == "bar" else "line"
        groups[g].append(_series(i, s, ref, chart, header_ref, values, cat))
    axes = '<c:axId val="500000001"/><c:axId val="500000002"/>'
    plot = ""
    if groups["area"]:
        plot += ('<c:areaChart><c:grouping val="stacked"/><c:varyColors val="0"/>' + "".join(groups["area"]) +
                 f"{axes}</c:areaChart>")
    if groups["bar"]:
        plot += ('<c:barChart><c:barDir val="col"/><c:grouping val="stacked"/><c:varyColors val="0"/>' +
                 "".join(groups["bar"]) + f'<c:gapWidth val="60"/><c:overlap val="100"/>{axes}</c:barChart>')
    if groups["line"]:
        plot += ('<c:lineChart><c:grouping val="standard"/><c:varyColors val="0"/>' + "".join(groups["line"]) +
                 f'<c:marker val="1"/>{axes}</c:lineChart>')
    n = chart.last - chart.first + 1
    skip = max(1, math.ceil(n / 14))   # at most ~14 labels along the axis
    cat_ax = ('<c:catAx><c:axId val="500000001"/><c:scaling><c:orientation val="minMax"/></c:scaling>'
              '<c:delete val="0"/><c:axPos val="b"/><c:numFmt formatCode="General" sourceLinked="0"/>'
              '<c:majorTickMark val="out"/><c:minorTickMark val="none"/><c:tickLblPos val="low"/>'
              f'{_SMALL}<c:crossAx val="500000002"/><c:crosses val="autoZero"/><c:auto val="1"/>'
              f'<c:lblAlgn val="ctr"/><c:lblOffset val="100"/><c:tickLblSkip val="{skip}"/>'
              '<c:noMultiLvlLbl val="0"/></c:catAx>')
    val_ax = (f'<c:valAx><c:axId val="500000002"/><c:scaling><c:orientation val="minMax"/></c:scaling>'
              f'<c:delete val="0"/><c:axPos val="l"/>{_GRID}{_axis_title(chart.y_title)}'
              '<c:numFmt formatCode="#,##0" sourceLinked="0"/><c:majorTickMark val="out"/>'
              f'<c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>{_SMALL}<c:crossAx val="500000001"/>'
              '<c:crosses val="autoZero"/><c:crossBetween val="between"/></c:valAx>')
    hidden = "".join(f'<c:legendEntry><c:idx val="{i}"/><c:delete val="1"/></c:legendEntry>'
                     for i, s in enumerate(chart.series) if not s.legend)
    legend = f'<c:legend><c:legendPos val="b"/>{hidden}<c:overlay val="0"/>{_SMALL}</c:legend>'
    xml = (DECL + f'<c:chartSpace xmlns:c="{NS_C}" xmlns:a="{NS_A}" xmlns:r="{NS_R}">'
           '<c:roundedCorners val="0"/><c:chart>' + _title(chart.title) +
           '<c:autoTitleDeleted val="0"/><c:plotArea><c:layout/>' + plot + cat_ax + val_ax +
           '</c:plotArea>' + legend + '<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart>'
           '<c:spPr><a:solidFill><a:srgbClr val="FFFFFF"/></a:solidFill><a:ln w="9525"><a:solidFill>'
           '<a:srgbClr val="BFBFBF"/></a:solidFill></a:ln></c:spPr></c:chartSpace>')
    return xml.encode("utf-8")


def drawing_xml(charts: Sequence[ChartSpec], rids: Sequence[str]) -> bytes:
    """The sheet's drawing: one graphic frame per chart, anchored to its cells."""
    frames = []
    for i, (c, rid) in enumerate(zip(charts, rids, strict=True), start=1):
        frames.append(
            f'<xdr:twoCellAnchor editAs="oneCell"><xdr:from><xdr:col>{c.col - 1}</xdr:col><xdr:colOff>0</xdr:colOff>'
            f'<xdr:row>{c.row - 1}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:to><xdr:col>{c.col - 1 + c.width}'
            f'</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{c.row - 1 + c.height}</xdr:row><xdr:rowOff>0</xdr:rowOff>'
            f'</xdr:to><xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="{i + 1}" '
            f'name="{esc_one(c.title, attr=True)}"/><xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr><xdr:xfrm>'
            '<a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm><a:graphic><a:graphicData '
            f'uri="{NS_C}"><c:chart xmlns:c="{NS_C}" r:id="{rid}"/></a:graphicData></a:graphic>'
            '</xdr:graphicFrame><xdr:clientData/></xdr:twoCellAnchor>')
    return (DECL + f'<xdr:wsDr xmlns:xdr="{NS_XDR}" xmlns:a="{NS_A}" xmlns:r="{NS_R}">' + "".join(frames) +
            "</xdr:wsDr>").encode("utf-8")
