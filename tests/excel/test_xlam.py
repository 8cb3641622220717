"""The .xlam built on Linux, read back by independent readers: oletools (olevba and its
MS-OVBA decompressor), olefile (strict MS-CFB), LibreOffice's VBA import, lxml."""
from __future__ import annotations

import io
import random
import re
import shutil
import struct
import subprocess
import zipfile
from pathlib import Path

import olefile
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from oletools.olevba import VBA_Parser, decompress_stream

from massbal.addin_build import cfb, ovba, vbaproject, wrappers, xlam

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path("/work/shared/xlsx_corpus")
CUI = "{http://schemas.microsoft.com/office/2009/07/customui}"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return xlam.build_xlam(tmp_path_factory.mktemp("addin") / "massbal.xlam")


@pytest.fixture(scope="module")
def modules():
    return xlam.vba_modules()


# ------------------------------------------------------------------ compression

@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.binary(max_size=9000),
    st.text(alphabet="ab \r\nDimEndSub()'\"", max_size=12000).map(lambda s: s.encode()),
))
def test_compression_reads_back_through_oletools(data):
    try:
        packed = ovba.compress(data)
    except ValueError:
        # only a final chunk of incompressible bytes is refused (it would need padding)
        assert len(data) % 4096 > 3600
        return
    assert bytes(decompress_stream(bytearray(packed))) == data
    assert ovba.decompress(packed) == data


def test_compression_of_long_real_modules(modules):
    # the PyPI compressor broke at ~650 bytes; the xlwings module is ~46 KB
    for m in modules:
        src = m.stored_source().encode("cp1252")
        assert bytes(decompress_stream(bytearray(ovba.compress(src)))) == src


# ------------------------------------------------------------------ compound file

def test_compound_file_reads_back_strictly():
    rnd = random.Random(7)
    streams = {"PROJECT": b"x" * 300, "PROJECTwm": b"", "VBA/dir": bytes(rnd.randrange(256) for _ in range(5000)),
               "VBA/_VBA_PROJECT": b"\xcc\x61\xff\xff\0\0\0"}
    for i in range(40):
        streams[f"VBA/Module{i}"] = bytes(rnd.randrange(256) for _ in range(rnd.choice([10, 4095, 4096, 20000])))
    blob = cfb.write_compound_file(streams)
    ole = olefile.OleFileIO(io.BytesIO(blob), raise_defects=olefile.DEFECT_INCORRECT)
    assert {"/".join(p): ole.openstream(p).read() for p in ole.listdir()} == streams
    assert len(blob) % 512 == 0


# ------------------------------------------------------------------ vbaProject.bin

def test_every_module_reads_back_identically(built, modules):
    parser = VBA_Parser(str(built))
    assert parser.detect_vba_macros()
    got = {vba_name: code for _, _, vba_name, code in parser.extract_macros()}
    parser.close()
    expected = {m.name + (".bas" if m.kind == "standard" else ".cls"): m.stored_source() for m in modules}
    assert set(got) == set(expected)
    for name, code in expected.items():
        assert got[name] == code, name


def test_sources_in_addin_folder_are_what_is_stored(modules):
    by_name = {m.name: m for m in modules}
    for path in (ROOT / "addin" / "vba").iterdir():
        text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
        stored = by_name[path.stem].stored_source().replace("\r\n", "\n")
        code, _ = xlam.parse_exported_module(text)
        assert stored.endswith(code.rstrip("\n") + "\n"), path.name


def test_project_stream_fields_decrypt(built):
    vba = zipfile.ZipFile(built).read("xl/vbaProject.bin")
    ole = olefile.OleFileIO(io.BytesIO(vba))
    text = ole.openstream("PROJECT").read().decode("cp1252")
    pid = re.search(r'ID="(\{[0-9A-F-]+\})"', text).group(1)
    fields = dict(re.findall(r'(CMG|DPB|GC)="([0-9A-F]+)"', text))
    key = vbaproject._proj_key(pid)
    assert vbaproject.decrypt(bytes.fromhex(fields["CMG"])) == (key, bytes(4))  # not locked
    assert vbaproject.decrypt(bytes.fromhex(fields["DPB"])) == (key, b"\0")  # no password
    assert vbaproject.decrypt(bytes.fromhex(fields["GC"])) == (key, b"\xff")  # visible
    assert ole.openstream("VBA/_VBA_PROJECT").read() == b"\xcc\x61\xff\xff\x00\x00\x00"
    wm = ole.openstream("PROJECTwm").read()
    assert wm.endswith(b"\0\0") and b"MassbalRibbon\0M\0a\0s\0s" in wm


@pytest.mark.skipif(not any(CORPUS.glob("*.xlsm")), reason="corpus not present")
def test_decryption_matches_files_excel_wrote():
    # Checks our reading of MS-OVBA 2.4.3 against Excel's own output: the key must be the
    # checksum of the project id and the length field must match the data.
    seen = 0
    for path in CORPUS.glob("*.xlsm"):
        z = zipfile.ZipFile(path)
        name = next((n for n in z.namelist() if n.endswith("vbaProject.bin")), None)
        if not name:
            continue
        text = olefile.OleFileIO(io.BytesIO(z.read(name))).openstream("PROJECT").read().decode("latin-1")
        pid = re.search(r'ID="([^"]+)"', text).group(1)
        for k in ("CMG", "DPB", "GC"):
            blob = bytes.fromhex(re.search(k + r'="([0-9A-F]+)"', text).group(1))
            key, data = vbaproject.decrypt(blob)
            assert key == vbaproject._proj_key(pid)
            seen += 1
    assert seen >= 9


def test_dir_stream_records(built, modules):
    vba = zipfile.ZipFile(built).read("xl/vbaProject.bin")
    ole = olefile.OleFileIO(io.BytesIO(vba))
    d = bytes(decompress_stream(bytearray(ole.openstream("VBA/dir").read())))
    assert d == vbaproject.dir_stream(xlam.PROJECT_NAME, modules)
    # walk it as a reader would: every record's size must lead to the next record
    pos, names, types = 0, [], []
    while pos < len(d):
        rid, size = struct.unpack_from("<HI", d, pos)
        if rid == 0x0009:  # PROJECTVERSION: Size field is Reserved (4), then 6 bytes
            pos += 12
            continue
        body = d[pos + 6:pos + 6 + size]
        if rid == 0x0019:
            names.append(body.decode("cp1252"))
        if rid in (0x0021, 0x0022):
            types.append(rid)
        pos += 6 + size
        if rid == 0x0010:
            break
    assert pos == len(d)
    assert names == [m.name for m in modules]
    assert types == [0x21 if m.kind == "standard" else 0x22 for m in modules]


def test_build_is_reproducible(built, tmp_path):
    again = xlam.build_xlam(tmp_path / "again.xlam")
    assert again.read_bytes() == built.read_bytes()


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_libreoffice_imports_every_module(built, tmp_path, modules):
    # LibreOffice opens .xlsm, not .xlam: the same parts under the workbook content type.
    src = zipfile.ZipFile(built)
    copy = tmp_path / "addin.xlsm"
    with zipfile.ZipFile(copy, "w") as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"addin.macroEnabled.main", b"sheet.macroEnabled.main")
            out.writestr(info, data)
    subprocess.run(["soffice", "--headless", "--convert-to", "ods", "--outdir", str(tmp_path), str(copy)],
                   check=True, capture_output=True, timeout=180)
    ods = zipfile.ZipFile(tmp_path / "addin.ods")
    basic = {Path(n).stem: ods.read(n).decode("utf-8") for n in ods.namelist()
             if n.startswith(f"Basic/{xlam.PROJECT_NAME}/") and not n.endswith("script-lb.xml")}
    assert set(basic) == {m.name for m in modules}
    assert "Public Sub MassbalRun(control As IRibbonControl)" in basic["MassbalRibbon"]
    assert 'MASSBAL = XLPy.CallUDF(&quot;massbal.excel.udfs&quot;' in basic["xlwings_udfs"]


# ------------------------------------------------------------------ package and ribbon

def test_package_parts_and_relationships(built):
    z = zipfile.ZipFile(built)
    names = set(z.namelist())
    types = etree.fromstring(z.read("[Content_Types].xml"))
    overrides = {o.get("PartName"): o.get("ContentType") for o in types}
    assert overrides["/xl/workbook.xml"] == "application/vnd.ms-excel.addin.macroEnabled.main+xml"
    for part in names:
        etree.fromstring(z.read(part)) if part.endswith((".xml", ".rels")) else None
    for rels_name in ("_rels/.rels", "xl/_rels/workbook.xml.rels"):
        base = "" if rels_name.startswith("_rels") else "xl/"
        for rel in etree.fromstring(z.read(rels_name)):
            assert base + rel.get("Target") in names, rel.get("Target")
    rels = {r.get("Type"): r.get("Target") for r in etree.fromstring(z.read("_rels/.rels"))}
    assert rels[xlam.RIBBON_REL] == "customUI/customUI14.xml"
    wb = z.read("xl/workbook.xml").decode()
    assert 'codeName="ThisWorkbook"' in wb
    assert f'codeName="{xlam.CONFIG_SHEET_CODENAME}"' in z.read("xl/worksheets/sheet1.xml").decode()


def _public_subs(code: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in
            re.finditer(r"^Public Sub (\w+)\(([^)]*)\)", code, re.MULTILINE)}


def test_ribbon_is_wellformed_and_every_callback_exists(built, modules):
    # No customUI14 XSD ships in any package available here, so the ribbon is checked
    # structurally: namespace, element nesting, unique ids, and that every callback and
    # tag resolves to real code.
    import massbal.excel.entry as entry

    root = etree.fromstring(zipfile.ZipFile(built).read("customUI/customUI14.xml"))
    assert root.tag == CUI + "customUI"
    allowed_children = {"customUI": {"ribbon"}, "ribbon": {"tabs"}, "tabs": {"tab"}, "tab": {"group"},
                        "group": {"button", "separator"}, "button": set(), "separator": set()}
    ids = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue  # comments
        local = el.tag.removeprefix(CUI)
        assert el.tag.startswith(CUI), el.tag
        assert {c.tag.removeprefix(CUI) for c in el if isinstance(c.tag, str)} <= allowed_children[local]
        if el.get("id"):
            assert re.fullmatch(r"[A-Za-z_][\w.-]*", el.get("id"))
            ids.append(el.get("id"))
        for attr in ("label", "screentip", "supertip"):
            assert len(el.get(attr) or "") <= 1024
    assert len(ids) == len(set(ids))
    code = "\n".join(m.stored_source() for m in modules)
    subs = _public_subs(code)
    buttons = list(root.iter(CUI + "button"))
    labels = {b.get("label") for b in buttons}
    assert {"Reconcile", "Validate lots", "Trace lot", "Export for inspector", "New workbook", "Help"} <= labels
    for b in buttons:
        action = b.get("onAction")
        assert action in subs, action
        assert subs[action] == "control As IRibbonControl"
        if b.get("tag"):
            assert callable(getattr(entry, b.get("tag"), None)), b.get("tag")


def test_udf_wrappers_are_what_xlwings_generates():
    golden = (ROOT / "addin" / "vba" / "xlwings_udfs.bas").read_text(encoding="utf-8")
    assert wrappers.generate_udf_wrappers() == golden
    from massbal.excel import figures as F
    for fig in F.FIGURES:
        assert re.search(rf"^Function {fig.classic}\(item, Optional start_date, Optional end_date, Optional owner\)$",
                         golden, re.MULTILINE), fig.classic
        assert f'XLPy.CallUDF("massbal.excel.udfs", "{fig.classic}"' in golden


def test_vba_calls_resolve(modules):
    code = "\n".join(m.stored_source() for m in modules)
    assert re.search(r"^Public Function RunPython\(", code, re.MULTILINE)  # from xlwings' module
    assert re.search(r"^Function XLPy\(", code, re.MULTILINE) or "Function XLPy(" in code
    assert "Public Sub RegisterFunctionHelp()" in code
    assert 'Public Const PROJECT_NAME As String = "xlwings"' in code


def test_install_puts_the_addin_in_the_target_folder(tmp_path):
    dest = xlam.install_addin(tmp_path / "XLSTART", home=tmp_path / "home")
    assert dest == tmp_path / "XLSTART" / "massbal.xlam"
    assert zipfile.ZipFile(dest).testzip() is None
    conf = (tmp_path / "home" / ".xlwings" / "xlwings.conf").read_text()
    assert conf.startswith('"INTERPRETER_')
    # an existing user config is the user's: left alone
    (tmp_path / "home" / ".xlwings" / "xlwings.conf").write_text('"INTERPRETER_WIN","C:\\py\\python.exe"\n')
    xlam.install_addin(tmp_path / "XLSTART", home=tmp_path / "home")
    assert "C:\\py" in (tmp_path / "home" / ".xlwings" / "xlwings.conf").read_text()


def test_default_addin_folders():
    home = Path("/Users/ann")
    assert xlam.addin_dir("darwin", home) == home / ("Library/Group Containers/UBF8T346G9.Office/"
                                                     "User Content.localized/Startup.localized/Excel")
    assert xlam.addin_dir("win32", home).parts[-3:] == ("Microsoft", "Excel", "XLSTART")
    with pytest.raises(RuntimeError):
        xlam.addin_dir("linux", home)
