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


def _claim(lock: str) -> bool:
    """Create the lock already holding its owner (this process and computer); False when
    it exists. The owner is written into a file of this process's own, then linked in place
    in one step: a run killed at any moment never leaves an empty lock that no later run
    could judge. Where the disk has no hard links, the lock is created, then written."""
    owner = f"{os.getpid()} {socket.gethostname()}"
    _drop_dead_claims(lock)
    mine = f"{lock}.{os.getpid()}"
    try:
        with open(mine, "w", encoding="utf-8") as fh:
            fh.write(owner)
        try:
            os.link(mine, lock)
            return True
        except FileExistsError:
            return False
        except OSError:
            pass  # no hard links here (FAT, some network shares)
    finally:
        try:
            os.remove(mine)
        except OSError:
            pass
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(owner)
    return True


def _drop_dead_claims(lock: str) -> None:
    """Owner files of runs killed before they linked theirs in (their process is gone)."""
    folder, name = os.path.split(lock)
    try:
        entries = os.listdir(folder or ".")
    except OSError:
        return
    for entry in entries:
        pid = entry[len(name) + 1:]
        if entry.startswith(name + ".") and pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            try:
                os.remove(os.path.join(folder, entry))
            except OSError:
                pass


@contextmanager
def book_lock(path: str):
    """Hold massbal's lock file on `path` for the duration; WorkbookBusy when another run has it."""
    lock = lock_path(path)
    name = os.path.basename(path)
    for attempt in (1, 2):
        if _claim(lock):
            break
        if attempt == 1 and _stale(lock):
            try:
                os.remove(lock)
            except OSError:
                pass
            continue
        raise WorkbookBusy(f"another massbal run is writing {name} right now; wait for it to finish "
                           "and run massbal again.")
    try:
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
