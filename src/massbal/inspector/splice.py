"""The bulk rows (bulk.py) spliced into the package XlsxWriter wrote: each sheet part's
own rows and the blocks' rows merged in row order, the blocks' links added, streamed to
the file layer's PackageWriter (isal deflate at level 1 in a second thread for the big
parts) so a Ledger's hundreds of megabytes of XML are never whole in memory."""
from __future__ import annotations

import re
import zipfile

from massbal.xlref import column_letter

from .bulk import Block, xml_attr

_ROW = re.compile(rb'<row r="(\d+)"')


def splice(src, out_path, parts: dict[str, list[Block]], level: int = 1) -> None:
    """Copy the package XlsxWriter wrote (src: bytes) to out_path, the bulk rows and
    links of each sheet part merged into its sheetData in row order. The big sheet
    parts are deflated at level 1 (isal's, through the file layer's PackageWriter, in a
    second thread while the next piece is read: issue 15), the rest at zlib's 6."""
    from massbal.xlsx.write.zip_copy import PackageWriter
    with zipfile.ZipFile(src) as zin, open(out_path, "wb") as fh:
        w = PackageWriter(fh)
        for info in zin.infolist():
            data = zin.read(info.filename)
            blocks = parts.get(info.filename)
            if not blocks:
                w.write(info.filename, data, 6)
                continue
            w.write_chunks(info.filename, _rechunk(_merge(data, sorted(blocks, key=lambda b: b.first))), level)
            del data
        w.close()


def _rechunk(pieces, size: int = 1 << 22):
    """Pieces joined into chunks of about `size` bytes (one deflate job each)."""
    buf, n = [], 0
    for p in pieces:
        buf.append(p)
        n += len(p)
        if n >= size:
            yield b"".join(buf)
            buf, n = [], 0
    if buf:
        yield b"".join(buf)


def _merge(xml: bytes, blocks: list[Block]):
    """The sheet part's bytes, piece by piece: XlsxWriter's rows and the blocks' rows in
    row order, then the blocks' links."""
    start = xml.find(b"<sheetData")
    gt = xml.find(b">", start)
    if xml[gt - 1:gt] == b"/":  # <sheetData/>
        head, body, tail = xml[:start], b"", xml[gt + 1:]
    else:
        end = xml.find(b"</sheetData>", gt)
        head, body, tail = xml[:start], xml[gt + 1:end], xml[end + len(b"</sheetData>"):]
    head = _dimension(head, blocks)
    yield head + b"<sheetData>"
    starts = [m.start() for m in _ROW.finditer(body)] + [len(body)]
    own = [(int(_ROW.match(body, p).group(1)), body[p:q]) for p, q in zip(starts, starts[1:], strict=False)]
    k = 0
    for b in blocks:
        while k < len(own) and own[k][0] < b.first:
            yield own[k][1]
            k += 1
        if k < len(own) and own[k][0] <= b.last:
            raise ValueError(f"row {own[k][0]} written twice (inside a bulk table)")
        b.file.seek(0)
        while chunk := b.file.read(1 << 22):
            yield chunk
        b.file.close()
        if b.texts is not None:
            b.texts.close()
    for _, x in own[k:]:
        yield x
    yield b"</sheetData>"
    links = sorted(lk for b in blocks for lk in b.links)
    if links:
        tags = "".join(f'<hyperlink ref="{column_letter(c)}{r}" location="{xml_attr(loc)}" '
                       f'display="{xml_attr(loc)}"/>' for r, c, loc in links).encode("utf-8")
        if b"</hyperlinks>" in tail:
            tail = tail.replace(b"</hyperlinks>", tags + b"</hyperlinks>", 1)
        else:
            at = min(i for i in (tail.find(b"<printOptions"), tail.find(b"<pageMargins"), len(tail)) if i >= 0)
            tail = tail[:at] + b"<hyperlinks>" + tags + b"</hyperlinks>" + tail[at:]
    yield tail


def _dimension(head: bytes, blocks: list[Block]) -> bytes:
    m = re.search(rb'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"/>', head)
    if not m:
        return head
    from massbal.xlref import column_number
    r1, c1 = int(m.group(2)), column_number(m.group(1).decode())
    r2 = int(m.group(4) or m.group(2))
    c2 = column_number((m.group(3) or m.group(1)).decode())
    for b in blocks:
        r1, c1 = min(r1, b.first), min(c1, b.c0)
        r2, c2 = max(r2, b.last), max(c2, b.c0 + b.ncols - 1)
    ref = f"{column_letter(c1)}{r1}:{column_letter(c2)}{r2}".encode()
    return head[:m.start()] + b'<dimension ref="' + ref + b'"/>' + head[m.end():]
