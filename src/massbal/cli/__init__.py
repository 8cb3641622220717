"""The `massbal` command line. `massbal = "massbal.cli:main"` and `python -m massbal.cli`
start here; the commands live in main.py (and inspector.py, addin.py)."""


def main() -> None:
    from .main import main as run  # on use: importing the package alone loads no command
    try:
        run()
    except SystemExit as e:
        leave(e.code)
    leave(0)


def leave(code) -> None:
    """End the process as SystemExit(code) would, without taking the interpreter apart
    first: a 980k-movement reconcile holds 1.3 GB of objects, and freeing them one by one
    on the way out took 0.3 s after the answer was printed (issue 15). Every file the
    commands open is closed and every temporary folder removed before they return, so
    nothing is left to the teardown but the output streams, flushed here. Under a profiler
    or a coverage tracer the usual exit, so that they write their reports."""
    import os
    import sys
    if sys.getprofile() is not None or sys.gettrace() is not None:
        raise SystemExit(code)
    if code is None:
        code = 0
    elif not isinstance(code, int):   # SystemExit("sentence"): printed, status 1
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):   # a closed pipe (massbal ... | head): as Python does
            code = code or 120
    os._exit(code)
