"""Read the workbook's bytes once, from one open handle, and check what they inflate to.

Everything the reader looks at (the package map, the header rows, the values calamine
reads) comes from these bytes, so a file that Excel replaces while massbal reads is
either the old file throughout or refused as changed, never a mix of two files
mistaken for a damaged one. The handle's own signature (size, modification time,
file id) is the workbook massbal read: the writer compares it before replacing anything.

A zip's directory states each part's size, and calamine believes it. A part that lies
(a 2 MB file whose sheet claims 1 KB but inflates to gigabytes) would fill memory, so
every part that could inflate past the budget is inflated here first, counting the
bytes it really gives and stopping at the limit.
"""
from __future__ import annotations

import os
import stat
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

from massbal.xlsx.write.zip_copy import INFLATE_ERRORS, decompressor

from .errors import BookReadError

# Deflate cannot exceed about 1032:1, so parts whose compressed sizes add up to less than
# this times 1/1032 cannot together inflate past it; only larger ones are checked.
UNCHECKED_BUDGET = 256 * 1024**2
_DEFLATE_MAX_RATIO = 1032
# Inflated this much at a time: each piece lets go of Python's lock and waits for it back
# (up to the 5 ms switch interval while another thread works in Python: the CLI imports
# pandas meanwhile, cli.console.start_reading); 16 MB pieces are ~20 waits at 980k, 1 MB ones ~300
_CHUNK = 16 << 20


@dataclass(frozen=True)
class BookBytes:
    data: bytes
    signature: tuple  # (size, mtime_ns, inode) of the file the bytes came from


def read_once(path: Path) -> BookBytes:
    """The whole file, read through one handle; refuses anything but a regular file."""
    name = path.name
    try:
        # O_NONBLOCK: opening a FIFO named x.xlsx must not wait for a writer forever
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise BookReadError(f"{name} cannot be opened: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise BookReadError(f"{name} is not an ordinary file (a pipe, device or socket), so it "
                                "is not an Excel workbook; save the workbook as a file and point massbal at it")
        data = fh.read()
        after = os.fstat(fh.fileno())
    if len(data) != after.st_size or after.st_mtime_ns != st.st_mtime_ns:
        raise BookReadError(f"{name} changed while massbal read it (it is being saved?); wait until it is "
                            "saved and run massbal again")
    return BookBytes(data, (st.st_size, st.st_mtime_ns, st.st_ino))


def check_inflated_sizes(zf: zipfile.ZipFile, data: bytes, name: str, limit: int,
                         skip: frozenset[str] = frozenset()) -> None:
    """Inflate the parts that could be a bomb, counting real bytes: refuse a part that gives
    more than its directory entry declares, and stop once all together pass `limit`.

    skip: parts nothing inflates whole (sheets massbal does not read, such as its own
    million-row Ledger; massbal's own reads stop at the declared size)."""
    infos = sorted((i for i in zf.infolist() if i.compress_type == zipfile.ZIP_DEFLATED
                    and i.filename.lstrip("/").casefold() not in skip),
                   key=lambda i: i.compress_size, reverse=True)
    possible = sum(i.compress_size for i in infos) * _DEFLATE_MAX_RATIO
    total = 0
    for info in infos:
        if possible <= UNCHECKED_BUDGET:
            return  # the rest cannot inflate past the budget even if they all lie
        possible -= info.compress_size * _DEFLATE_MAX_RATIO
        total += _inflate_counting(info, data, name, limit - total)


def _inflate_counting(info: zipfile.ZipInfo, data: bytes, name: str, left: int) -> int:
    at = info.header_offset
    if data[at:at + 4] != b"PK\x03\x04":
        raise BookReadError(f"{name} is damaged: part {info.filename} is not where the zip directory says")
    n, e = struct.unpack_from("<HH", data, at + 26)
    start = at + 30 + n + e
    stream = memoryview(data)[start:start + info.compress_size]
    d = decompressor()  # ISA-L's inflate where installed: this check is 2x faster (issue 15)
    got = 0
    cap = min(info.file_size, left)
    pos = 0
    try:
        while pos < len(stream) or d.unconsumed_tail:
            if d.unconsumed_tail:
                piece = d.unconsumed_tail
            else:
                piece = stream[pos:pos + _CHUNK]
                pos += len(piece)
            got += len(d.decompress(piece, _CHUNK))
            if got > cap:
                break
            if d.eof:
                break
        got += len(d.flush()) if not d.eof and got <= cap else 0
    except INFLATE_ERRORS:
        raise BookReadError(f"{name} is damaged: part {info.filename} cannot be decompressed") from None
    if got > info.file_size:
        raise BookReadError(f"{name}: part {info.filename} inflates to more than the {info.file_size:,} bytes "
                            "its zip entry declares; refused as a likely zip bomb")
    if got > left:  # honest sizes, but all parts together are too much
        raise BookReadError(f"{name} would expand to more than {left >> 20:,} MB; refused as a likely zip bomb")
    return got
