"""pint's parsed definitions kept on disk (massbal/unit_cache.py): the registry loaded from
them reads every unit as pint's own does, the folder only ever appears whole, and a
damaged or unwritable cache gives pint's plain registry, never a failed run."""
import os
import subprocess
import sys
from pathlib import Path

import pint
import pytest

from massbal.engine.units import COUNT_UNITS, MASS_KEYS, unit_key
from massbal.unit_cache import cached_registry

SRC = str(Path(__file__).resolve().parents[2] / "src")
# what the engine asks pint (units.unit_info): the accepted weights, counts, volumes and
# spellings that mean something else to pint or nothing at all
SPELLINGS = sorted(MASS_KEYS | COUNT_UNITS | {
    "gallon", "liter", "bushel", "ml", "fl_oz", "quart", "gr", "ct", "carat", "u", "dr", "stone",
    "cwt", "quintal", "dwt", "slug", "grain", "furlong", "acre", "hectare", "degC", "m", "s",
    "kelvin", "zorkmid", "1/0", "kg/m", "metric_ton", "long_ton", "short_ton"})


def _reading(reg: pint.UnitRegistry, unit: str):
    """What pint makes of one spelling: its dimensions and its size in base units."""
    try:
        q = reg.Quantity(1.0, unit_key(unit)).to_base_units()
    except Exception as e:  # noqa: BLE001 - an unknown spelling is a reading too
        return type(e).__name__
    return str(q.dimensionality), q.magnitude


def _folders(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir())


def test_kept_definitions_read_every_unit_as_pint_does(tmp_path):
    plain = pint.UnitRegistry()
    filled = cached_registry(tmp_path)   # parses pint's files and keeps them
    loaded = cached_registry(tmp_path)   # from the kept files
    assert loaded.cache_folder == tmp_path / _folders(tmp_path)[0]
    for unit in SPELLINGS:
        assert _reading(filled, unit) == _reading(plain, unit) == _reading(loaded, unit), unit
    assert _reading(loaded, "lb") == ("[mass]", pytest.approx(0.45359237, rel=1e-15))


def test_the_folder_appears_whole_under_the_versions_name(tmp_path):
    cached_registry(tmp_path)
    import platform
    assert _folders(tmp_path) == [f"pint-{pint.__version__}-py{platform.python_version()}"]  # no .part left
    kept = tmp_path / _folders(tmp_path)[0]
    assert sorted(p.suffix for p in kept.iterdir()).count(".pickle") >= 1


def test_a_damaged_cache_gives_the_plain_registry_and_is_put_back_next_run(tmp_path):
    cached_registry(tmp_path)
    kept = tmp_path / _folders(tmp_path)[0]
    for p in kept.glob("*.pickle"):
        p.write_bytes(p.read_bytes()[:100])  # as if a run had been cut off writing it
    reg = cached_registry(tmp_path)
    assert _reading(reg, "lb") == ("[mass]", pytest.approx(0.45359237, rel=1e-15))
    assert reg.cache_folder is None and not kept.exists()  # pint's own, and the damage gone
    cached_registry(tmp_path)  # fills it again
    again = cached_registry(tmp_path)
    assert again.cache_folder == kept and _reading(again, "oz") == _reading(pint.UnitRegistry(), "oz")


def test_an_unwritable_cache_gives_the_plain_registry(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("a file where massbal's cache folder would be")
    reg = cached_registry(blocked)
    assert reg.cache_folder is None and _reading(reg, "kg") == ("[mass]", 1.0)


@pytest.mark.skipif(sys.platform != "linux", reason="XDG_CACHE_HOME is where Linux keeps caches")
def test_the_command_line_keeps_them_in_the_users_cache(tmp_path):
    """A run of the CLI's read fills the user's cache, and the engine then converts with it."""
    code = ("from massbal.unit_cache import use_cached_registry; use_cached_registry();"
            "from massbal.engine.units import registry, unit_info;"
            "print(registry().cache_folder.parent.name, round(unit_info('lbs').to_kg, 12))")
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path), PYTHONPATH=SRC)
    for _ in range(2):  # filled, then loaded
        run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        assert run.stdout.split() == ["massbal", "0.45359237"]
    assert (tmp_path / "massbal").is_dir()
