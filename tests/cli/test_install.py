"""Issue 9, item 2: the plain install is the whole desktop product, xlwings Lite gets only
the engine's pure dependencies, and `massbal addin install` off Windows/macOS is one sentence."""
import os
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]


def _installed(platform: str) -> set[str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    reqs = [Requirement(d) for d in deps]
    env = {"sys_platform": platform, "platform_system": "Emscripten" if platform == "emscripten" else "Linux"}
    return {r.name for r in reqs if r.marker is None or r.marker.evaluate(env)}


def test_pyodide_gets_only_the_engines_pure_dependencies():
    assert _installed("emscripten") == {"pandas", "numpy", "pint", "pydantic"}


def test_plain_install_is_the_whole_desktop_product():
    desktop = {"typer", "rich", "fastexcel", "xlsxwriter", "lxml", "defusedxml", "pyarrow", "xlwings"}
    for platform in ("linux", "win32", "darwin"):
        assert desktop | {"pandas", "numpy", "pint", "pydantic"} <= _installed(platform)


def test_every_module_the_cli_imports_is_a_plain_dependency():
    """Run `massbal --help` and every command's --help; whatever third-party module they load
    must be installed by `pip install .` (the crash was: No module named 'typer')."""
    src = ROOT / "src"
    code = ("import sys, runpy; sys.argv=['massbal','--help']\n"
            "try:\n runpy.run_module('massbal.cli', run_name='__main__')\nexcept SystemExit: pass\n"
            "import massbal.xlsx.read.read_book, massbal.xlsx.write.write_results, massbal.inspector.export\n"
            "print('\\n'.join(sorted({m.split('.')[0] for m in sys.modules})))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(src)})
    assert p.returncode == 0, p.stderr
    top = set(p.stdout.split())
    import importlib.metadata as md
    dists = md.packages_distributions()
    third = {dists[m][0].lower() for m in top if m in dists and m != "massbal"}
    wanted = {n.lower().replace("_", "-") for n in _installed("linux")}
    # what the distributions themselves pull in is theirs to declare; ours is what we import by name
    ours = {d for d in third if d in {"typer", "rich", "fastexcel", "xlsxwriter", "lxml", "defusedxml", "pyarrow",
                                      "xlwings", "openpyxl", "pandas", "numpy", "pint", "pydantic"}}
    assert ours <= wanted, ours - wanted


def test_addin_install_on_linux_is_one_sentence_without_traceback(tmp_path):
    if sys.platform.startswith(("win", "darwin")):
        return
    p = subprocess.run([sys.executable, "-m", "massbal.cli", "addin", "install"], capture_output=True, text=True,
                       env={**os.environ, "HOME": str(tmp_path), "COLUMNS": "80"})
    assert p.returncode == 2
    assert "Traceback" not in p.stderr and "╭" not in p.stderr
    assert p.stderr.startswith("massbal: Excel add-ins install on Windows or macOS.")
    assert "massbal addin build" in p.stderr
