"""A minimal writer of OLE compound files (MS-CFB version 3), enough for vbaProject.bin.

olefile and oletools only read these files, so the writer is ours. Layout, in sectors of
512 bytes after the 512-byte header: the FAT, the directory, the mini FAT, the mini
stream (which holds every stream shorter than 4096 bytes in 64-byte mini sectors), then
the large streams. Every directory entry is black and each storage's children form a
balanced binary search tree in the CFB name order, which MS-CFB 2.6.4 allows ("the
simplest implementation ... mark every node as black").
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREESECT, ENDOFCHAIN, FATSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF
_IDS_PER_SECTOR = SECTOR // 4


@dataclass
class _Node:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    data: bytes = b""
    children: dict[str, _Node] = field(default_factory=dict)
    sid: int = 0
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    start: int = ENDOFCHAIN


def _order_key(name: str):
    # MS-CFB 2.6.4: shorter names first, then by upper-cased UTF-16 code units.
    return (len(name.encode("utf-16-le")), name.upper())


def _check_name(name: str) -> None:
    if not name or len(name) > 31 or any(c in name for c in "/\\:!"):
        raise ValueError(f"illegal compound file entry name {name!r}")


def write_compound_file(streams: dict[str, bytes]) -> bytes:
    """streams: path ('PROJECT', 'VBA/dir', ...) -> content. Storages are implied by paths."""
    root = _Node("Root Entry", 5)
    for path, data in streams.items():
        parts = path.split("/")
        node = root
        for part in parts[:-1]:
            _check_name(part)
            node = node.children.setdefault(part, _Node(part, 1))
            if node.kind != 1:
                raise ValueError(f"{path}: {part} is a stream, not a storage")
        _check_name(parts[-1])
        if parts[-1] in node.children:
            raise ValueError(f"duplicate entry {path}")
        node.children[parts[-1]] = _Node(parts[-1], 2, bytes(data))

    # Directory order: breadth-first, so every entry has a stable stream id.
    entries: list[_Node] = []
    queue = [root]
    while queue:
        node = queue.pop(0)
        node.sid = len(entries)
        entries.append(node)
        queue.extend(sorted(node.children.values(), key=lambda n: _order_key(n.name)))

    def balanced(nodes: list[_Node]) -> int:
        if not nodes:
            return NOSTREAM
        mid = len(nodes) // 2
        top = nodes[mid]
        top.left = balanced(nodes[:mid])
        top.right = balanced(nodes[mid + 1:])
        return top.sid

    for node in entries:
        if node.kind in (1, 5):
            node.child = balanced(sorted(node.children.values(), key=lambda n: _order_key(n.name)))

    small = [n for n in entries if n.kind == 2 and len(n.data) < MINI_CUTOFF]
    large = [n for n in entries if n.kind == 2 and len(n.data) >= MINI_CUTOFF]

    # The mini stream and its allocation table.
    mini = bytearray()
    minifat: list[int] = []
    for node in small:
        if not node.data:
            node.start = ENDOFCHAIN
            continue
        count = -(-len(node.data) // MINI_SECTOR)
        node.start = len(minifat)
        minifat += [node.start + i + 1 for i in range(count - 1)] + [ENDOFCHAIN]
        mini += node.data + b"\0" * (count * MINI_SECTOR - len(node.data))

    def sectors(n_bytes: int) -> int:
        return -(-n_bytes // SECTOR)

    n_dir = sectors(len(entries) * 128)
    n_minifat = sectors(len(minifat) * 4)
    n_mini = sectors(len(mini))
    n_large = sum(sectors(len(n.data)) for n in large)
    n_fat = 1
    while True:  # the FAT must also map its own sectors
        total = n_fat + n_dir + n_minifat + n_mini + n_large
        if n_fat * _IDS_PER_SECTOR >= total:
            break
        n_fat += 1
    if n_fat > 109:
        raise ValueError("compound file too large for a header-only DIFAT")

    fat: list[int] = [FATSECT] * n_fat
    sid = n_fat

    def chain(count: int) -> int:
        nonlocal sid
        if count == 0:
            return ENDOFCHAIN
        first = sid
        fat.extend(list(range(sid + 1, sid + count)) + [ENDOFCHAIN])
        sid += count
        return first

    dir_start = chain(n_dir)
    minifat_start = chain(n_minifat)
    root.start = chain(n_mini)
    for node in large:
        node.start = chain(sectors(len(node.data)))
    fat += [FREESECT] * (n_fat * _IDS_PER_SECTOR - len(fat))

    header = bytearray(SECTOR)
    struct.pack_into("<8s16sHHHHH6sIIIIIIIII", header, 0,
                     bytes.fromhex("D0CF11E0A1B11AE1"), b"\0" * 16,
                     0x003E, 0x0003, 0xFFFE, 9, 6, b"\0" * 6,
                     0, n_fat, dir_start, 0, MINI_CUTOFF,
                     minifat_start if n_minifat else ENDOFCHAIN, n_minifat,
                     ENDOFCHAIN, 0)
    difat = list(range(n_fat)) + [FREESECT] * (109 - n_fat)
    struct.pack_into("<109I", header, 76, *difat)

    directory = bytearray()
    for node in entries:
        name = node.name.encode("utf-16-le") + b"\0\0"
        size = len(mini) if node.kind == 5 else len(node.data)
        start = node.start if (node.kind != 1) else 0
        if node.kind == 5 and not mini:
            start = ENDOFCHAIN
        directory += struct.pack("<64sHBBIII16sIQQIQ", name, len(name), node.kind, 1,
                                 node.left, node.right, node.child, b"\0" * 16, 0, 0, 0,
                                 start, size)
    while len(directory) % SECTOR:  # unused entries: empty name, no siblings, no child
        directory += struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, NOSTREAM, NOSTREAM,
                                 NOSTREAM, b"\0" * 16, 0, 0, 0, 0, 0)

    def padded(data: bytes | bytearray) -> bytes:
        return bytes(data) + b"\0" * (sectors(len(data)) * SECTOR - len(data))

    minifat_bytes = struct.pack(f"<{len(minifat)}I", *minifat)
    minifat_bytes += struct.pack("<I", FREESECT) * ((n_minifat * SECTOR - len(minifat_bytes)) // 4)
    body = [struct.pack(f"<{len(fat)}I", *fat), bytes(directory), minifat_bytes, padded(mini)]
    body += [padded(n.data) for n in large]
    return bytes(header) + b"".join(body)
