"""pint's parsed unit definitions kept on disk between runs of the command line.

Making pint's registry parses its definition files: 0.35-0.55 s of every command on a
2-core machine, more than the whole engine takes on a small book. pint can keep them
parsed in a folder (its cache_folder), loaded in about 0.05 s. The engine never reads a
file, so the CLI hands it the registry made here (engine.units.registry).

pint writes its cache files in place, where a second massbal running at the same moment
could read one half-written. So the folder is filled under a name of its own and renamed
whole into place, and its name carries pint's and Python's versions (pint names its files
by the definitions' content and the same versions): pint then only ever reads it. Anything
in the way (no home folder, a read-only disk, a damaged file) gives pint's own registry,
made as before: never a failed run for a cache.
"""
from __future__ import annotations

import os
import platform
import shutil
from pathlib import Path

import pint


def cache_root() -> Path:
    """massbal's folder in the user's cache (~/.cache/massbal on Linux, ...\\AppData\\Local\\massbal\\Cache on Windows)."""
    import platformdirs  # pint's own dependency
    return platformdirs.user_cache_path("massbal", appauthor=False)


def cached_registry(root: Path | None = None) -> pint.UnitRegistry:
    """pint's registry, from the parsed definitions kept under `root` (cache_root()), put
    there first if missing; pint's plain registry where that cannot be done."""
    try:
        folder = (root or cache_root()) / f"pint-{pint.__version__}-py{platform.python_version()}"
        if not folder.is_dir():
            return _filled(folder)
        try:
            return pint.UnitRegistry(cache_folder=folder)
        except Exception:
            shutil.rmtree(folder, ignore_errors=True)  # damaged: the next run puts it back whole
            raise
    except Exception:  # noqa: BLE001 - a cache is never worth a failed run
        return pint.UnitRegistry()


def _filled(folder: Path) -> pint.UnitRegistry:
    """A registry made while pint writes its parsed definitions into a folder of this
    process's own, then renamed to `folder` (unless another run got there first)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    own = folder.with_name(f"{folder.name}.{os.getpid()}.part")
    try:
        made = pint.UnitRegistry(cache_folder=own)
        try:
            own.rename(folder)
        except OSError:  # another run renamed its folder into place first: theirs is as good
            pass
        return made
    finally:
        shutil.rmtree(own, ignore_errors=True)


def use_cached_registry() -> None:
    """Make the engine's one registry (engine.units.registry) from the kept definitions, unless
    it is made already: the command line and the desktop add-in's processes call this first."""
    from massbal.engine.units import registry
    registry(cached_registry)
