"""vbaProject.bin per MS-OVBA: the VBA storage (dir, _VBA_PROJECT, one stream per module)
and the PROJECT / PROJECTwm streams, inside a compound file.

Only source code is written, no compiled p-code: _VBA_PROJECT is the 7-byte form that
2.3.4.1 prescribes for writers ("PerformanceCache MUST NOT be present"), so Excel
compiles the modules from source when it opens the add-in.
"""
from __future__ import annotations

import random
import struct
import uuid
from dataclasses import dataclass

from .cfb import write_compound_file
from .ovba import compress

CODEPAGE = 1252
_ENC = "cp1252"

# Base classes of document and class modules (2.3.4.2.3.2.3 / VB_Base attributes).
BASE_WORKBOOK = "0{00020819-0000-0000-C000-000000000046}"
BASE_WORKSHEET = "0{00020820-0000-0000-C000-000000000046}"
BASE_CLASS = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"

# The two type libraries every Excel project references. The path part of a LibId is
# only a hint: Office finds the library by its GUID and version on each machine.
REFERENCES = (
    ("stdole", "*\\G{00020430-0000-0000-C000-000000000046}#2.0#0#"
               "C:\\Windows\\System32\\stdole2.tlb#OLE Automation"),
    ("Office", "*\\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#"
               "C:\\Program Files\\Common Files\\Microsoft Shared\\OFFICE16\\MSO.DLL#"
               "Microsoft Office 16.0 Object Library"),
)


@dataclass(frozen=True)
class Module:
    name: str
    kind: str  # "standard", "class" or "document"
    code: str  # the source as the VBA editor shows it (no Attribute header lines)
    base: str = ""  # VB_Base for class and document modules
    extra_attributes: tuple[str, ...] = ()  # module-level lines such as VB_Description

    def stored_source(self) -> str:
        """The module's text as stored: the Attribute lines VBA keeps above the code."""
        lines = [f'Attribute VB_Name = "{self.name}"']
        if self.kind != "standard":
            doc = self.kind == "document"
            lines += [
                f'Attribute VB_Base = "{self.base or BASE_CLASS}"',
                "Attribute VB_GlobalNameSpace = False",
                "Attribute VB_Creatable = False",
                f"Attribute VB_PredeclaredId = {'True' if doc else 'False'}",
                "Attribute VB_Exposed = True",
                "Attribute VB_TemplateDerived = False",
                f"Attribute VB_Customizable = {'True' if doc else 'False'}",
            ]
        lines += list(self.extra_attributes)
        code = self.code.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")
        body = "\r\n".join(lines + (code.split("\n") if code else []))
        return body + "\r\n"


def _mbcs(text: str) -> bytes:
    return text.encode(_ENC)


def _record(rid: int, data: bytes) -> bytes:
    return struct.pack("<HI", rid, len(data)) + data


def _dual(rid: int, text: str, rid_unicode: int) -> bytes:
    """A record with an MBCS string followed by its UTF-16 twin (Reserved id + size)."""
    return _record(rid, _mbcs(text)) + _record(rid_unicode, text.encode("utf-16-le"))


def dir_stream(project_name: str, modules: list[Module]) -> bytes:
    """The decompressed dir stream (2.3.4.2)."""
    out = bytearray()
    out += _record(0x0001, struct.pack("<I", 1))  # SysKind: 32-bit Windows
    out += _record(0x0002, struct.pack("<I", 0x409))  # LCID
    out += _record(0x0014, struct.pack("<I", 0x409))  # LCIDInvoke
    out += _record(0x0003, struct.pack("<H", CODEPAGE))
    out += _record(0x0004, _mbcs(project_name))
    out += _dual(0x0005, "", 0x0040)  # DocString
    out += _dual(0x0006, "", 0x003D)  # HelpFile1 / HelpFile2
    out += _record(0x0007, struct.pack("<I", 0))  # HelpContext
    out += _record(0x0008, struct.pack("<I", 0))  # LibFlags
    # PROJECTVERSION: Reserved (always 4), VersionMajor, VersionMinor.
    out += struct.pack("<HIIH", 0x0009, 4, 1, 0)
    out += _dual(0x000C, "", 0x003C)  # Constants
    for name, libid in REFERENCES:
        out += _dual(0x0016, name, 0x003E)
        raw = _mbcs(libid)
        body = struct.pack("<I", len(raw)) + raw + struct.pack("<IH", 0, 0)
        out += _record(0x000D, body)
    out += _record(0x000F, struct.pack("<H", len(modules)))
    out += _record(0x0013, struct.pack("<H", 0xFFFF))  # ProjectCookie
    for m in modules:
        out += _record(0x0019, _mbcs(m.name))
        out += _record(0x0047, m.name.encode("utf-16-le"))
        out += _dual(0x001A, m.name, 0x0032)  # stream name
        out += _dual(0x001C, "", 0x0048)  # DocString
        out += _record(0x0031, struct.pack("<I", 0))  # TextOffset: no p-code before source
        out += _record(0x001E, struct.pack("<I", 0))  # HelpContext
        out += _record(0x002C, struct.pack("<H", 0xFFFF))  # Cookie
        out += struct.pack("<HI", 0x0021 if m.kind == "standard" else 0x0022, 0)
        out += struct.pack("<HI", 0x002B, 0)  # module terminator
    out += struct.pack("<HI", 0x0010, 0)  # end of dir stream
    return bytes(out)


# --- 2.4.3 Data Encryption, used for the CMG, DPB and GC lines of the PROJECT stream ---

def _proj_key(project_id: str) -> int:
    return sum(_mbcs(project_id)) & 0xFF


def encrypt(project_id: str, data: bytes, seed: int | None = None) -> bytes:
    seed = random.randrange(256) if seed is None else seed & 0xFF
    version, key = 2, _proj_key(project_id)
    out = bytearray([seed, seed ^ version, seed ^ key])
    unenc1, enc1, enc2 = key, seed ^ key, seed ^ version

    def put(byte: int) -> None:
        nonlocal unenc1, enc1, enc2
        enc = byte ^ ((enc2 + unenc1) & 0xFF)
        out.append(enc)
        enc2, enc1, unenc1 = enc1, enc, byte

    for _ in range((seed & 6) // 2):
        put(0)  # IgnoredEnc: arbitrary bytes
    for byte in struct.pack("<I", len(data)):
        put(byte)
    for byte in data:
        put(byte)
    return bytes(out)


def decrypt(blob: bytes) -> tuple[int, bytes]:
    """(project key, data) from an encrypted field; raises if the length does not fit."""
    seed, version_enc, key_enc = blob[0], blob[1], blob[2]
    if seed ^ version_enc != 2:
        raise ValueError("encrypted field has the wrong version")
    key = seed ^ key_enc
    unenc1, enc1, enc2 = key, key_enc, version_enc
    plain = bytearray()
    for enc in blob[3:]:
        byte = enc ^ ((enc2 + unenc1) & 0xFF)
        plain.append(byte)
        enc2, enc1, unenc1 = enc1, enc, byte
    ignored = (seed & 6) // 2
    length = struct.unpack_from("<I", plain, ignored)[0]
    data = bytes(plain[ignored + 4:])
    if length != len(data):
        raise ValueError(f"encrypted field says {length} bytes but holds {len(data)}")
    return key, data


def project_stream(project_id: str, project_name: str, modules: list[Module],
                   seed: int | None = None) -> bytes:
    lines = [f'ID="{project_id}"']
    for m in modules:
        if m.kind == "document":
            lines.append(f"Document={m.name}/&H00000000")
        elif m.kind == "class":
            lines.append(f"Class={m.name}")
        else:
            lines.append(f"Module={m.name}")
    rnd = random.Random(seed)
    lines += [
        f'Name="{project_name}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        # not protected, no password, visible (2.3.1.15-2.3.1.17)
        f'CMG="{encrypt(project_id, bytes(4), rnd.randrange(256)).hex().upper()}"',
        f'DPB="{encrypt(project_id, bytes(1), rnd.randrange(256)).hex().upper()}"',
        f'GC="{encrypt(project_id, bytes([0xFF]), rnd.randrange(256)).hex().upper()}"',
        "",
        "[Host Extender Info]",
        "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000",
        "",
        "[Workspace]",
    ]
    lines += [f"{m.name}=0, 0, 0, 0, C" for m in modules]
    return _mbcs("\r\n".join(lines) + "\r\n")


def projectwm_stream(modules: list[Module]) -> bytes:
    out = bytearray()
    for m in modules:
        out += _mbcs(m.name) + b"\0" + m.name.encode("utf-16-le") + b"\0\0"
    return bytes(out + b"\0\0")


def build_vba_project(project_name: str, modules: list[Module],
                      project_id: str | None = None, seed: int | None = 0) -> bytes:
    """The bytes of vbaProject.bin. A fixed seed and id make the build reproducible."""
    names = [m.name.casefold() for m in modules]
    if len(set(names)) != len(names):
        raise ValueError("two modules share a name")
    for m in modules:
        if not m.name.isidentifier() or len(m.name) > 31:
            raise ValueError(f"{m.name!r} is not a valid VBA module name")
        m.stored_source().encode(_ENC)  # raises on characters the code page lacks
    project_id = project_id or "{" + str(uuid.UUID(int=random.Random(seed).getrandbits(128))).upper() + "}"
    streams = {
        "PROJECT": project_stream(project_id, project_name, modules, seed),
        "PROJECTwm": projectwm_stream(modules),
        "VBA/_VBA_PROJECT": bytes([0xCC, 0x61, 0xFF, 0xFF, 0x00, 0x00, 0x00]),
        "VBA/dir": compress(dir_stream(project_name, modules)),
    }
    for m in modules:
        streams[f"VBA/{m.name}"] = compress(_mbcs(m.stored_source()))
    return write_compound_file(streams)
