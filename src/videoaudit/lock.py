"""One writer per workspace: a lock file in the workspace root.

Two processes writing the same tables at once interleave their deletes and adds (rows written
twice, a confidence table that ends empty), so every command that writes takes the lock and
every command that only reads (status, report, search, export, the App) never does: LanceDB
readers see a consistent version whatever a writer does.

The lock is a small JSON file (pid, host, since, command, a random token) created with
``O_CREAT | O_EXCL``, which is atomic on local file systems: of two processes, exactly one
creates it. A lock whose pid is dead on this host (or was reused by another process, told by
its start time) is stale: it is taken over under a short-lived guard file, after re-reading
that the file is still the stale one, so two processes that both find it stale cannot both
win. A lock from another host is never judged: the message names it and how to remove it.

Within one process the lock is re-entrant (``Workspace.run`` calls the cascade, which calls
``run_opinions``): the outermost holder creates and removes the file.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import secrets
import socket
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

FILE = "videoaudit.lock"
GUARD_SECONDS = 30.0  # a takeover guard older than this was left by a process killed mid-takeover


@dataclass(frozen=True)
class Holder:
    """Who holds (or held) a workspace's lock."""

    pid: int
    host: str
    since: str  # ISO 8601, UTC
    command: str
    token: str = ""
    started: float | None = None  # the process's start time (Linux), to tell a reused pid

    def describe(self) -> str:
        return f"pid {self.pid} on host {self.host} since {self.since} ({self.command})"


class WorkspaceLocked(RuntimeError):
    """Another process is writing the workspace; ``str()`` is one line naming the holder."""

    def __init__(self, root: Path, holder: Holder | None, hint: str = ""):
        self.root, self.holder = root, holder
        who = holder.describe() if holder else "another process"
        super().__init__(f"workspace {root} is being written by {who}; "
                         f"wait for it to finish{hint or ' or pass --wait'}")


def _start_time(pid: int) -> float | None:
    """The process's start time in clock ticks since boot (Linux /proc); None elsewhere."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return float(stat.rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def _alive(holder: Holder) -> bool:
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's live process
    if holder.started is not None:
        now = _start_time(holder.pid)
        if now is not None and now != holder.started:
            return False  # the pid was reused by a process started later
    return True


def _command() -> str:
    argv = [Path(sys.argv[0]).name if sys.argv else "python", *sys.argv[1:]]
    text = " ".join(argv)
    return text if len(text) <= 200 else text[:197] + "..."


def _read(path: Path) -> tuple[Holder | None, bytes | None]:
    """The holder recorded in ``path`` (None if unreadable) and the raw bytes (None if the file is gone)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, None
    try:
        d = json.loads(raw)
        return Holder(int(d["pid"]), str(d["host"]), str(d["since"]), str(d.get("command", "?")),
                      str(d.get("token", "")), d.get("started")), raw
    except (ValueError, KeyError, TypeError):
        return None, raw


_held: dict[Path, list] = {}  # resolved root -> [Holder, depth] for the locks this process holds
_mutex = threading.Lock()


class WriterLock:
    """The lock file of one workspace. ``acquire`` / ``release``, or use :func:`writer`."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.path = self.root / FILE
        self.guard = self.root / (FILE + ".takeover")

    def holder(self) -> Holder | None:
        """The current holder, if any (what a refused writer names)."""
        return _read(self.path)[0]

    def _create(self) -> Holder | None:
        me = Holder(os.getpid(), socket.gethostname(), _dt.datetime.now(_dt.timezone.utc).isoformat(
            timespec="seconds"), _command(), secrets.token_hex(8), _start_time(os.getpid()))
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return None
        try:
            os.write(fd, json.dumps(asdict(me)).encode())
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            self.path.unlink(missing_ok=True)
            raise
        os.close(fd)
        return me

    def _take_over_if_stale(self) -> bool:
        """Remove the lock if its holder is dead on this host; True when it was removed (try again)."""
        holder, raw = _read(self.path)
        if raw is None:
            return True  # released meanwhile
        if holder is None:
            # being written right now (created, not yet filled) or garbage: garbage stays garbage
            time.sleep(0.2)
            again = _read(self.path)[1]
            if again != raw:
                return True
            try:
                age = time.time() - self.path.stat().st_mtime
            except FileNotFoundError:
                return True
            if age < 2.0:
                return False
        elif holder.host != socket.gethostname() or _alive(holder):
            return False
        try:
            gfd = os.open(self.guard, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            with contextlib.suppress(FileNotFoundError):
                if time.time() - self.guard.stat().st_mtime > GUARD_SECONDS:
                    self.guard.unlink()
            return False
        try:
            if _read(self.path)[1] == raw:  # re-check under the guard: still the stale one
                self.path.unlink()
            return True
        finally:
            os.close(gfd)
            self.guard.unlink(missing_ok=True)

    def acquire(self, wait: bool = False, timeout: float | None = None, poll: float = 0.5) -> Holder:
        """Take the lock; refused (WorkspaceLocked) when held, or waits when ``wait``."""
        key = self.root.resolve()
        with _mutex:
            if key in _held:
                _held[key][1] += 1
                return _held[key][0]
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            me = self._create()
            if me is not None:
                with _mutex:
                    _held[key] = [me, 1]
                return me
            if self._take_over_if_stale():
                continue
            if not wait or (deadline is not None and time.monotonic() > deadline):
                holder = self.holder()
                hint = "" if holder is None or holder.host == socket.gethostname() else (
                    f"; if that process is gone, delete {self.path}")
                raise WorkspaceLocked(self.root, holder, hint + (" (waited)" if wait else ""))
            time.sleep(poll)

    def outermost(self) -> bool:
        """Is this the process's only hold, the one whose release lets go of the workspace?"""
        with _mutex:
            entry = _held.get(self.root.resolve())
        return entry is not None and entry[1] == 1

    def release(self) -> None:
        key = self.root.resolve()
        with _mutex:
            entry = _held.get(key)
            if entry is None:
                return
            entry[1] -= 1
            if entry[1] > 0:
                return
            del _held[key]
        holder, _ = _read(self.path)
        if holder is not None and holder.token == entry[0].token:  # never remove another process's lock
            self.path.unlink(missing_ok=True)


@contextlib.contextmanager
def writer(root: str | Path, wait: bool = False, timeout: float | None = None) -> Iterator[Holder]:
    """Hold the workspace's writer lock for the ``with`` block (released on any exit)."""
    lock = WriterLock(root)
    holder = lock.acquire(wait=wait, timeout=timeout)
    try:
        yield holder
    finally:
        lock.release()
