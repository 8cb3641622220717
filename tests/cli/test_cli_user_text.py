"""User text is shown as typed, never read as terminal markup (issue 14, item 4): through
the real CLI, a real .xlsx, a real process."""
import os
import subprocess
import sys

from bookkit import certified, receipt, ship
from cli_books import write_book


def massbal(*args):
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "massbal.cli", *map(str, args)], capture_output=True,
                          text=True, env=env)


def test_names_with_brackets_print_as_typed(tmp_path):
    path = tmp_path / "brackets.xlsx"
    names = ["Oats [/i]", "Oats [organic]", "Rye [link=http://x.example]"]
    write_book(path, Items=[{"Item": n, "Kind": "Ingredient"} for n in names],
               Certificates=[certified("Nutco", "C1")],
               Receipts=[receipt("2025-11-04", n, f"L{i}", 100, supplier="Nutco", cert="C1") for i, n in enumerate(names)],
               Shipments=[ship("2025-11-10", names[0], "L-none", 10)])  # an unknown lot: a finding quoting it
    p = massbal("reconcile", path, "--from", "2025-11-01", "--to", "2025-11-30", "--all")  # every row, every name
    assert "Traceback" not in p.stderr, p.stderr
    assert p.returncode == 1  # the unknown lot is an error finding, not a crash
    for n in names:
        assert n in p.stdout
    assert "\x1b]8;" not in p.stdout  # no terminal hyperlink
    assert "Wrote Balance" in p.stdout
