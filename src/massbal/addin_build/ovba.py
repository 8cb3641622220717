"""MS-OVBA section 2.4.1: the run-length compression of VBA source and the dir stream.

Written from the specification because the PyPI package for it corrupts modules of
about 650 bytes and more. A container is the signature byte 0x01 and then chunks; each
chunk holds up to 4096 bytes of input as literal bytes and copy tokens that point back
into the same chunk. The copy token's split between offset and length bits depends on
how far into the chunk the token stands (2.4.1.3.19.1).
"""
from __future__ import annotations

import struct

CHUNK = 4096
_MIN_MATCH = 3


def _bit_count(position: int) -> int:
    """Bits of a copy token's offset at `position` bytes into a decompressed chunk."""
    bits = 4
    while (1 << bits) < position:
        bits += 1
    return bits


def _compress_chunk(data: bytes) -> bytes:
    """One chunk (len(data) <= 4096) as header + body, compressed or raw."""
    out = bytearray()
    heads: dict[bytes, list[int]] = {}  # 3-byte prefix -> positions seen in this chunk
    pos, end = 0, len(data)
    while pos < end:
        flag_at = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= end:
                break
            best_len, best_off = 0, 0
            if pos >= 1 and pos + _MIN_MATCH <= end:
                bits = _bit_count(pos)
                max_len = (0xFFFF >> bits) + 3
                limit = min(max_len, end - pos)
                for cand in reversed(heads.get(data[pos:pos + 3], ())):
                    n = 3
                    while n < limit and data[cand + n] == data[pos + n]:
                        n += 1
                    if n > best_len:
                        best_len, best_off = n, pos - cand
                        if n == limit:
                            break
            step = best_len if best_len >= _MIN_MATCH else 1
            if best_len >= _MIN_MATCH:
                bits = _bit_count(pos)
                token = ((best_off - 1) << (16 - bits)) | (best_len - 3)
                out += struct.pack("<H", token)
                flags |= 1 << bit
            else:
                out.append(data[pos])
            for p in range(pos, pos + step):
                if p + 3 <= end:
                    heads.setdefault(data[p:p + 3], []).append(p)
            pos += step
        out[flag_at] = flags
    if len(out) <= CHUNK:
        header = (len(out) + 2 - 3) | (0b011 << 12) | 0x8000
        return struct.pack("<H", header) + bytes(out)
    if len(data) != CHUNK:
        # A raw chunk always decompresses to 4096 bytes (2.4.1.3.10 pads with zeros), which
        # would put NUL characters into the module's source; VBA text never gets here.
        raise ValueError("a final chunk of incompressible data cannot be stored unpadded")
    header = (CHUNK + 2 - 3) | (0b011 << 12)  # flag bit 0: raw
    return struct.pack("<H", header) + data


def compress(data: bytes) -> bytes:
    out = bytearray(b"\x01")
    for start in range(0, len(data), CHUNK):
        out += _compress_chunk(data[start:start + CHUNK])
    return bytes(out)


def decompress(container: bytes) -> bytes:
    """The inverse, kept for self-checks; the tests read back through oletools instead."""
    if not container or container[0] != 1:
        raise ValueError("not a compressed container (signature byte is not 0x01)")
    out = bytearray()
    pos = 1
    while pos < len(container):
        header = struct.unpack_from("<H", container, pos)[0]
        size = (header & 0x0FFF) + 3
        if (header >> 12) & 0b111 != 0b011:
            raise ValueError(f"bad chunk signature at byte {pos}")
        body = container[pos + 2:pos + size]
        pos += size
        start = len(out)
        if not header & 0x8000:
            out += body
            continue
        i = 0
        while i < len(body):
            flags = body[i]
            i += 1
            for bit in range(8):
                if i >= len(body):
                    break
                if flags & (1 << bit):
                    token = struct.unpack_from("<H", body, i)[0]
                    i += 2
                    bits = _bit_count(len(out) - start)
                    length = (token & (0xFFFF >> bits)) + 3
                    offset = (token >> (16 - bits)) + 1
                    for _ in range(length):
                        out.append(out[-offset])
                else:
                    out.append(body[i])
                    i += 1
    return bytes(out)
