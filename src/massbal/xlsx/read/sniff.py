"""Tell what kind of file a path holds before treating it as an xlsx package.

A user who points massbal at the wrong file (an old .xls, a password-protected
workbook, a CSV export) should hear what the file is and what to do, in one line.
"""
from __future__ import annotations

from pathlib import Path

from .errors import BookReadError

# OLE compound file (CFB): legacy .xls, and also every password-encrypted .xlsx,
# which Excel wraps in a CFB holding EncryptionInfo + EncryptedPackage streams.
CFB_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_ENCRYPTED_STREAMS = ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"))
_XLS_STREAMS = ("Workbook".encode("utf-16-le"), "Book".encode("utf-16-le"))

# How much of a CFB file to search for its stream names: the directory sector is
# usually near the start, but may sit anywhere; a few MB covers every realistic case
# without reading a huge file whole.
_CFB_SCAN_BYTES = 8 * 1024 * 1024


def check_file(path: Path) -> None:
    """Raise BookReadError unless `path` is an existing file that starts like a zip."""
    name = path.name
    if not path.exists():
        raise BookReadError(f"{name}: file not found ({path})")
    if path.is_dir():
        raise BookReadError(f"{name} is a folder, not an Excel workbook")
    if not path.is_file():  # a FIFO named x.xlsx would block the open below forever
        raise BookReadError(f"{name} is not an ordinary file (a pipe, device or socket), so it is not "
                            "an Excel workbook; save the workbook as a file and point massbal at it")
    try:
        with path.open("rb") as fh:
            head = fh.read(512)
    except OSError as exc:
        raise BookReadError(f"{name} cannot be opened: {exc.strerror or exc}") from None
    if not head:
        raise BookReadError(f"{name} is empty (0 bytes), not an Excel workbook")
    if head.startswith(CFB_SIGNATURE):
        raise BookReadError(_cfb_reason(path))
    if head.startswith(ZIP_SIGNATURES):
        return
    raise BookReadError(_other_reason(name, head))


def _cfb_reason(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            blob = fh.read(_CFB_SCAN_BYTES)
    except OSError:
        blob = b""
    if any(s in blob for s in _ENCRYPTED_STREAMS):
        return (f"{path.name} is password-protected (encrypted); open it in Excel, remove the "
                "password (File > Info > Protect Workbook) and save it as .xlsx")
    if any(s in blob for s in _XLS_STREAMS):
        return (f"{path.name} is an old Excel 97-2003 .xls workbook; open it in Excel and "
                "save it as Excel Workbook (.xlsx)")
    return f"{path.name} is an OLE compound file, not an Excel .xlsx workbook"


def _other_reason(name: str, head: bytes) -> str:
    lowered = name.lower()
    if lowered.endswith(".xls"):
        return f"{name} is not an Excel .xlsx workbook; save it from Excel as .xlsx"
    text = head.lstrip(b"\xef\xbb\xbf")
    if text.lstrip()[:5].lower() in (b"<?xml", b"<html", b"<!doc", b"<tabl"):
        return (f"{name} is an XML or HTML file (perhaps an old 'XML Spreadsheet' or a web "
                "export), not an Excel .xlsx workbook; save it from Excel as .xlsx")
    if _looks_like_text(text):
        kind = "a CSV/text file" if lowered.endswith((".csv", ".txt", ".tsv")) or b"," in text \
            else "a text file"
        return (f"{name} is {kind}, not an Excel .xlsx workbook; open it in Excel and "
                "save it as Excel Workbook (.xlsx)")
    return f"{name} is not an Excel .xlsx workbook (unknown file type)"


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still text.
        if exc.start < len(head) - 4:
            try:
                head.decode("cp1252")
            except UnicodeDecodeError:
                return False
    return True
