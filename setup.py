"""Ships the add-in sources (addin/) inside the wheel as massbal/data/addin, so that
`massbal addin build` and `massbal addin install` work from an installed package."""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithAddin(build_py):
    def run(self):
        super().run()
        src = Path(__file__).parent / "addin"
        if src.is_dir():
            dest = Path(self.build_lib) / "massbal" / "data" / "addin"
            shutil.copytree(src, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))


setup(cmdclass={"build_py": BuildWithAddin})
