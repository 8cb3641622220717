"""Build the Mass Balance desktop add-in (.xlam) from the sources in addin/, on any OS.

Nothing here needs Excel: the package is written part by part (OOXML zip, ribbon XML,
and a vbaProject.bin per MS-OVBA inside an OLE compound file per MS-CFB), and every
byte is read back by independent readers (olefile, oletools) in the tests.
"""
from __future__ import annotations


def build_xlam(out_path):  # re-exported lazily: xlam imports xlwings data files
    from .xlam import build_xlam as _build
    return _build(out_path)


def install_addin(*args, **kwargs):
    from .xlam import install_addin as _install
    return _install(*args, **kwargs)
