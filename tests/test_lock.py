"""One writer per workspace: a second writer is refused naming the holder (or waits), readers never
lock, a stale lock (dead pid, reused pid, garbage) is taken over, and only one of several racing
processes wins a takeover."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from videoaudit.lock import FILE, WorkspaceLocked, WriterLock, writer

HOLD = """
import sys, time
from videoaudit.api import Workspace
ws = Workspace(sys.argv[1])
with ws.writing():
    print("held", flush=True)
    sys.stdin.readline()   # hold until the test says so
"""

CLI = [sys.executable, "-m", "videoaudit.cli"]


def _env():
    src = str(Path(__file__).resolve().parents[1] / "src")
    return {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _holder(ws: Path) -> subprocess.Popen:
    p = subprocess.Popen([sys.executable, "-c", HOLD, str(ws)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True, env=_env())
    assert p.stdout.readline().strip() == "held"
    return p


def _release(p: subprocess.Popen) -> None:
    p.stdin.write("\n")
    p.stdin.flush()
    assert p.wait(timeout=60) == 0


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def _write_lock(ws: Path, **fields) -> None:
    d = {"pid": _dead_pid(), "host": socket.gethostname(), "since": "2026-01-01T00:00:00+00:00",
         "command": "videoaudit run -w old", "token": "t0", "started": None, **fields}
    (ws / FILE).write_text(json.dumps(d))


@pytest.mark.slow
def test_second_writer_refused_with_the_holder_named_readers_go_on(sample6, tmp_path):
    ws = tmp_path / "ws"
    ingest = [*CLI, "ingest", str(sample6["paths"]["annotations"]), "-w", str(ws)]
    assert subprocess.run(ingest, capture_output=True, env=_env()).returncode == 0
    holder = _holder(ws)
    try:
        second = subprocess.run([*CLI, "run", "-w", str(ws), "--text", "hashing"], capture_output=True, text=True,
                                env=_env(), timeout=120)
        assert second.returncode == 1
        line = second.stderr.strip()
        assert line.count("\n") == 0 and "Traceback" not in second.stderr, second.stderr
        assert f"pid {holder.pid} on host {socket.gethostname()} since " in line, line
        assert "--wait" in line
        status = subprocess.run([*CLI, "status", "-w", str(ws)], capture_output=True, text=True, env=_env(),
                                timeout=120)
        assert status.returncode == 0 and "videos" in status.stdout  # a reader does not lock
    finally:
        _release(holder)
    assert not (ws / FILE).exists()  # released on exit


@pytest.mark.slow
def test_wait_takes_the_lock_when_the_holder_finishes(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    holder = _holder(ws)
    t0 = time.monotonic()
    waiter = subprocess.Popen([sys.executable, "-c", "import sys; from videoaudit.lock import writer\n"
                               "with writer(sys.argv[1], wait=True) as h: print('got', h.pid, flush=True)", str(ws)],
                              stdout=subprocess.PIPE, text=True, env=_env())
    time.sleep(1.5)
    assert waiter.poll() is None  # still waiting
    _release(holder)
    out, _ = waiter.communicate(timeout=60)
    assert out.split() == ["got", str(waiter.pid)] and time.monotonic() - t0 >= 1.5


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
    _write_lock(tmp_path)
    with writer(tmp_path) as me:
        on_disk = json.loads((tmp_path / FILE).read_text())
        assert on_disk["pid"] == os.getpid() == me.pid and on_disk["token"] == me.token
    assert not (tmp_path / FILE).exists()


def test_reused_pid_and_garbage_locks_are_stale_foreign_host_is_not(tmp_path):
    from videoaudit.lock import _start_time

    _write_lock(tmp_path, pid=os.getppid(), started=(_start_time(os.getppid()) or 0) + 12345)  # pid reused
    with writer(tmp_path):
        pass
    (tmp_path / FILE).write_text("{not json")
    old = time.time() - 60
    os.utime(tmp_path / FILE, (old, old))
    with writer(tmp_path):
        pass
    _write_lock(tmp_path, host="another-host.example", pid=1)
    with pytest.raises(WorkspaceLocked) as e:
        WriterLock(tmp_path).acquire()
    msg = str(e.value)
    assert "another-host.example" in msg and f"delete {tmp_path / FILE}" in msg
    assert json.loads((tmp_path / FILE).read_text())["host"] == "another-host.example"  # untouched


def test_lock_is_reentrant_in_one_process(tmp_path):
    with writer(tmp_path) as a:
        with writer(tmp_path) as b:
            assert a.token == b.token
        assert (tmp_path / FILE).exists()  # the inner exit does not release
    assert not (tmp_path / FILE).exists()


RACE = """
import os, sys, time
from videoaudit.lock import WriterLock, WorkspaceLocked
lock = WriterLock(sys.argv[1])
print("ready", flush=True)
while not os.path.exists(sys.argv[2]):  # every process starts its attempt at the same instant
    pass
try:
    lock.acquire()
except WorkspaceLocked:
    print("refused", flush=True)
    sys.exit(0)
print("won", flush=True)
time.sleep(3)
lock.release()
"""


@pytest.mark.slow
def test_one_of_several_racing_processes_takes_over_a_stale_lock(tmp_path):
    ws, go = tmp_path / "ws", tmp_path / "go"
    ws.mkdir()
    _write_lock(ws)
    procs = [subprocess.Popen([sys.executable, "-c", RACE, str(ws), str(go)], stdout=subprocess.PIPE,
                              text=True, env=_env()) for _ in range(3)]
    for p in procs:
        assert p.stdout.readline().strip() == "ready"
    go.touch()
    outs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert sorted(outs) == ["refused", "refused", "won"], outs
