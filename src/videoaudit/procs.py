"""Stop every process a long-running command started, however it is stopped.

``videoaudit app`` starts FiftyOne's App server and database, each behind FiftyOne's own
service wrapper process. Python's default SIGTERM kills only the command itself, and those
children kept running (an App on a port, a database on a workspace's data). The command
installs :func:`stop_children_on_exit`: on SIGINT, SIGTERM or SIGHUP, and when its parent
process dies (Linux ``PR_SET_PDEATHSIG``), it stops its whole process tree (SIGTERM, then
SIGKILL after a grace period) before exiting.
"""

from __future__ import annotations

import ctypes
import os
import signal
import time
from pathlib import Path

PR_SET_PDEATHSIG = 1
GRACE_SECONDS = 10.0


def descendants(pid: int | None = None) -> list[int]:
    """Every process below ``pid`` (default: this one), children first; read from /proc (Linux)."""
    pid = os.getpid() if pid is None else pid
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(d.name))
    out: list[int] = []
    todo = list(children.get(pid, []))
    while todo:
        p = todo.pop(0)
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (exited, not yet reaped) is not running
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def stop_tree(grace: float = GRACE_SECONDS) -> list[int]:
    """SIGTERM every descendant, SIGKILL those still running after ``grace`` seconds; returns their pids."""
    pids = descendants()
    for p in pids:
        try:
            os.kill(p, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    for p in pids + descendants():  # and anything a dying child started meanwhile
        if _alive(p):
            try:
                os.kill(p, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
    return pids


def _die_with_parent() -> None:
    """Ask the kernel to send SIGTERM to this process when its parent exits (Linux only)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


def stop_children_on_exit() -> None:
    """Install the handlers: SIGINT / SIGTERM / SIGHUP / parent death stop the process tree, then exit."""

    def handler(signum, frame):
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)  # one stop at a time
        stop_tree()
        raise SystemExit(128 + signum)

    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, handler)
    _die_with_parent()
