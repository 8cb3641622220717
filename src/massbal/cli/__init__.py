"""The `massbal` command line. `massbal = "massbal.cli:main"` and `python -m massbal.cli`
start here; the commands live in main.py (and inspector.py, addin.py)."""


def main() -> None:
    from .main import main as run  # on use: importing the package alone loads no command
    run()
