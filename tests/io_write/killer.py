"""Fork server for the kill test (run as a script, driven over stdin/stdout).

It imports massbal and builds the Reconciliation once, then for every request forks a
child that writes the workbook while the server kills it with SIGKILL after the given
delay. Forking from a process that has run no writes (so no worker threads exist) keeps
each trial to milliseconds instead of a Python start-up.

    request:  time <delay seconds, or -1 to let the write finish>
              trace <syscalls> <n>: SIGKILL at the n-th of these system calls (strace's
                  fault injection; n = 0 counts them instead)
    reply:    <'killed' | 'exit <code>'> <seconds the child ran, or the count>
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date

sys.path.insert(0, os.path.dirname(__file__))

import recs  # noqa: E402

from massbal.xlsx.write.write_results import write_results  # noqa: E402


def main(path: str, rows: int, logged: bool = False) -> None:
    rec = recs.reconciliation(items=[f"Item {i}" for i in range(50)], ledger_rows=rows)
    write = lambda: write_results(path, rec, today=date(2025, 12, 5))  # noqa: E731
    if logged:  # as the CLI writes: the result sheets and the Change log in one replacement
        from massbal.layout.sheets import result_sheets
        from massbal.xlsx.read.read_book import read_book
        from massbal.xlsx.write.change_log import logged_write
        # read, then write, as the CLI does: the write refuses a book changed since it was read,
        # and the test puts the old bytes back between runs
        write = lambda: logged_write(path, result_sheets(rec), read_book(path), "Reconcile",  # noqa: E731
                                     today=date(2025, 12, 5))
    print("ready", flush=True)
    for line in sys.stdin:
        mode, *args = line.split()
        t0 = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            try:
                if mode == "trace":
                    os.kill(os.getpid(), signal.SIGSTOP)  # until strace is attached
                write()
                os._exit(0)
            except BaseException:
                import traceback
                traceback.print_exc()  # to the test's captured stderr: why a clean run failed
                sys.stderr.flush()
                os._exit(3)
        extra = None
        if mode == "time":
            delay = float(args[0])
            if delay >= 0:
                time.sleep(delay)
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            _, status = os.waitpid(pid, 0)
        else:
            calls, n = args[0], int(args[1])
            os.waitpid(pid, os.WUNTRACED)
            log = path + ".strace"
            cmd = ["strace", "-qq", "-f", "-o", log, "-p", str(pid), "-e", f"trace={calls}"]
            if n > 0:
                cmd += ["-e", f"inject={calls}:signal=KILL:when={n}"]
            tracer = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
            while _tracer(pid) == 0:
                time.sleep(0.002)
            os.kill(pid, signal.SIGCONT)
            _, status = os.waitpid(pid, 0)
            tracer.wait()
            with open(log) as fh:
                extra = sum(1 for ln in fh if "resumed>" not in ln and "+++" not in ln and "---" not in ln)
            os.remove(log)
        ran = time.perf_counter() - t0
        what = "killed" if os.WIFSIGNALED(status) else f"exit {os.WEXITSTATUS(status)}"
        print(what, extra if extra is not None else f"{ran:.4f}", flush=True)


def _tracer(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for ln in fh:
            if ln.startswith("TracerPid:"):
                return int(ln.split()[1])
    return 0


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), len(sys.argv) > 3 and sys.argv[3] == "logged")
