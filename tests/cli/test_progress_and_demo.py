"""Issue 9, items 7 and 12: long commands show their stages on standard error (in a
terminal), and `massbal demo` never overwrites a demo workbook the user may have edited."""
import os
import pty
import subprocess
import sys
import threading

from bookkit import certified, receipt, ship
from cli_books import write_book


def _stderr_on_a_terminal(*args, cwd=None) -> tuple[int, str, str]:
    """Run massbal with standard error on a pseudo-terminal (as a user sees it)."""
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "80", "TERM": "xterm"}
    p = subprocess.Popen([sys.executable, "-m", "massbal.cli", *map(str, args)], stdout=subprocess.PIPE,
                         stderr=slave, text=True, cwd=cwd, env=env)
    os.close(slave)
    chunks = []

    def drain():
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:
                return
            if not data:
                return
            chunks.append(data)
    t = threading.Thread(target=drain)
    t.start()
    out, _ = p.communicate(timeout=600)
    t.join(timeout=10)
    os.close(master)
    return p.returncode, out, b"".join(chunks).decode("utf-8", "replace")


def _book(path):
    write_book(path, Items=[{"Item": "Oats", "Kind": "Ingredient"}], Certificates=[certified("Andes Organics", "C1")],
               Receipts=[receipt("2025-01-10", "Oats", "O-1", 1000, supplier="Andes Organics", cert="C1")],
               Shipments=[ship("2025-01-20", "Oats", "O-1", 400)])


def test_export_trace_and_recall_show_their_stages(tmp_path):
    book = tmp_path / "oats.xlsx"
    _book(book)
    code, out, err = _stderr_on_a_terminal("export", book, "--no-pdf", "-o", tmp_path / "copy.xlsx")
    assert code == 0, err
    for stage in ("Reading workbook", "Reconciling", "Writing the inspector's copy"):
        assert stage in err, err
    code, out, err = _stderr_on_a_terminal("trace", book, "O-1")
    assert "Tracing lot O-1" in err and "Writing the Trace sheet" in err
    code, out, err = _stderr_on_a_terminal("recall", book, "O-1", "--dry-run")
    assert "Tracing lot O-1" in err and "Writing the Recall sheet" not in err


def test_progress_stays_off_stdout_and_off_pipes(tmp_path):
    book = tmp_path / "oats.xlsx"
    _book(book)
    p = subprocess.run([sys.executable, "-m", "massbal.cli", "export", str(book), "--no-pdf", "-o",
                        str(tmp_path / "c.xlsx")], capture_output=True, text=True)
    assert p.stdout.strip() == str(tmp_path / "c.xlsx")  # the path alone: scripts read it
    assert "Reconciling" not in p.stderr


def test_demo_refuses_to_overwrite_and_force_keeps_the_old_one(tmp_path):
    edited = tmp_path / "massbal_demo.xlsx"
    edited.write_bytes(b"the user's edited demo workbook")
    p = subprocess.run([sys.executable, "-m", "massbal.cli", "demo", str(tmp_path)], capture_output=True, text=True)
    assert p.returncode == 2 and "already exists" in p.stderr and "--force" in p.stderr
    assert "Traceback" not in p.stderr
    assert edited.read_bytes() == b"the user's edited demo workbook"
    code, out, err = _stderr_on_a_terminal("demo", tmp_path, "--force")
    assert code == 0, err
    assert (tmp_path / "massbal_demo.old.xlsx").read_bytes() == b"the user's edited demo workbook"
    assert edited.stat().st_size > 50_000
    for stage in ("Writing the demo workbook", "Reconciling", "Writing result sheets"):
        assert stage in err
