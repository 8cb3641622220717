"""`massbal addin build|install`: the desktop Excel add-in (Mass Balance ribbon, =MASSBAL)."""
from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    addin = typer.Typer(help="The Excel add-in: the Mass Balance ribbon and =MASSBAL functions.",
                        no_args_is_help=True)

    @addin.command("build")
    def build(out: Path = typer.Argument(Path("massbal.xlam"), help="Where to write the .xlam.")):
        """Build massbal.xlam from the add-in sources."""
        from massbal.addin_build.xlam import build_xlam

        from .main import out as console
        console.print(str(build_xlam(out)))

    @addin.command("install")
    def install(folder: Path | None = typer.Option(None, "--dir", help="Install here instead of Excel's folder.")):
        """Build the add-in and put it where Excel loads add-ins (as `xlwings addin install` does)."""
        from massbal.addin_build.xlam import install_addin
        from massbal.cli.console import out as console

        from .console import fail, first_line
        try:
            path = install_addin(folder)
        except RuntimeError as e:  # not Windows or macOS, or Excel holds the add-in open: its sentence
            fail(first_line(e))
        console.print(f"Installed {path}. Restart Excel: the Mass Balance tab appears on the ribbon.")

    app.add_typer(addin, name="addin")
