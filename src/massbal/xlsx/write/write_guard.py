"""What keeps two writers, or a writer and an undo, from losing each other's work.

- A lock file of massbal's own beside the book while it writes: a second massbal run
  (or an undo) that finds it refuses instead of racing; a lock left by a killed run is
  recognised (its process is gone) and taken over.
- The signature (size, modification time, file id) of the file massbal last wrote, kept
  in `.massbal/`: `massbal undo` refuses when the book changed since (an edit saved in
  Excel would otherwise vanish).
- Generations of backups: each write keeps the previous version and moves older ones
  down (`Book.backup.xlsx`, `Book.backup.2.xlsx` ... up to GENERATIONS), so the next
  Reconcile never overwrites the only backup.
"""
from __future__ import annotations

import json
import os
import socket
from contextlib import contextmanager

GENERATIONS = 5
LOCK_PREFIX = ".~massbal-lock."


class WorkbookBusy(Exception):
    """Another massbal run is writing this workbook right now."""


def lock_path(path: str) -> str:
    folder, name = os.path.split(path)
    return os.path.join(folder, LOCK_PREFIX + name)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _stale(lock: str) -> bool:
    """A lock whose writer, on this computer, is gone (killed, crashed)."""
    try:
        with open(lock, encoding="utf-8") as fh:
            pid_text, _, host = fh.read().partition(" ")
        pid = int(pid_text)
    except (OSError, ValueError):
        return False  # being written this instant, or not ours to judge: leave it
    return host.strip() == socket.gethostname() and pid != os.getpid() and not _alive(pid)


@contextmanager
def book_lock(path: str):
    """Hold massbal's lock file on `path` for the duration; WorkbookBusy when another run has it."""
    lock = lock_path(path)
    name = os.path.basename(path)
    for attempt in (1, 2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            break
        except FileExistsError:
            if attempt == 1 and _stale(lock):
                try:
                    os.remove(lock)
                except OSError:
                    pass
                continue
            raise WorkbookBusy(f"another massbal run is writing {name} right now; wait for it to finish "
                               "and run massbal again.") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {socket.gethostname()}")
        yield
    finally:
        try:
            os.remove(lock)
        except OSError:
            pass


def generation_path(backup: str, n: int) -> str:
    """The n-th newest backup (1: the one undo restores)."""
    if n == 1:
        return backup
    stem, ext = os.path.splitext(backup)
    return f"{stem}.{n}{ext}"


def shift_generations(backup: str) -> None:
    """Move each backup one generation down, dropping the oldest, to free the newest slot."""
    for n in range(GENERATIONS - 1, 0, -1):
        src = generation_path(backup, n)
        if os.path.exists(src):
            os.replace(src, generation_path(backup, n + 1))


def _record(backup: str) -> str:
    stem, _ = os.path.splitext(backup)
    return stem + ".written.json"


def remember_written(backup: str, signature: tuple) -> None:
    """Note the signature of the book as massbal left it (beside its backup)."""
    tmp = _record(backup) + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(list(signature), fh)
    os.replace(tmp, _record(backup))


def last_written(backup: str) -> tuple | None:
    try:
        with open(_record(backup), encoding="utf-8") as fh:
            return tuple(json.load(fh))
    except (OSError, ValueError):
        return None
