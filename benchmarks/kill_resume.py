"""Fault injection: ``kill -9`` at random points of every stage, two writers at once, a full disk.

Each trial runs the whole audit (ingest -> import opinions -> run: transcript lens, signals,
lens signals, confidence, lens analysis) in a child process and kills it with SIGKILL at a
random instant of its work; the same pipeline is then run again to completion (it resumes)
and every table is compared with an uninterrupted run's (``tests/golden_tables.canonical``:
wall-clock columns dropped, rows sorted; floats within 1e-5). A trial survives when no table
differs: no row lost, none duplicated, no value changed.

Also: two ``videoaudit run`` on one workspace at once (the second must be refused naming the
holder, the first's outputs must equal the reference), and, where this process may mount a
tmpfs (root on Linux), a run on a disk that fills up (it must exit non-zero with a one-line
"no space left" naming the workspace, and resume to the reference once space is back).

Usage: python benchmarks/kill_resume.py [--trials 20] [--videos 4] [--seed 3] [--workdir DIR]
The last line printed is one JSON object:
{"kill_trials": .., "kill_survived": .., "stages_hit": {..}, "rows_lost": 0, "concurrent": .., "disk_full": ..}
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "src"))

from golden_tables import canonical, diff  # noqa: E402

RUN = {"text_model": "hashing"}
LENS = {"visual": "none", "grounding": "none", "transcript": "hashing", "map_method": "pca"}

PIPELINE = """
import json, sys
from videoaudit.api import Workspace
ws_path, ann, ops, batch = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
print("start", flush=True)
ws = Workspace(ws_path, text_model="hashing", batch_size=batch)
ws.ingest(ann, batch_size=batch)
ws.import_opinions(ops, source="simulated-annotator")
ws.run(**json.loads(sys.argv[5]))
print("done", flush=True)
"""


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}


def pipeline(ws: Path, info: dict, batch: int) -> None:
    from videoaudit.api import Workspace

    w = Workspace(ws, batch_size=batch, **RUN)
    w.ingest(info["paths"]["annotations"], batch_size=batch)
    w.import_opinions(info["paths"]["opinions"], source="simulated-annotator")
    w.run(**LENS)


def tables(ws: Path) -> dict:
    from videoaudit.workspace import Store

    s = Store(ws, create=False)
    return {n: canonical(s.read(n)) for n in sorted(s.names())}


def compare(got: dict, want: dict) -> list[str]:
    problems = [f"tables {sorted(set(got) ^ set(want))} differ in presence"] if set(got) != set(want) else []
    for name in sorted(set(got) & set(want)):
        problems += diff(name, got[name], want[name])
    return problems


def stage_at_kill(ws: Path) -> str:
    """The furthest stage that had started when the process died (from the progress ledger)."""
    from videoaudit.workspace import Store

    try:
        prog = Store(ws, create=False).read("progress", columns=["stage"]).column("stage").to_pylist()
    except Exception:
        return "before ingest"
    order = ["ingest", "transcript", "signals", "lens_signals", "confidence"]
    seen = [s for s in order if s in set(prog)]
    return seen[-1] if seen else "before ingest"


def kill_trial(work: Path, info: dict, batch: int, delay: float) -> tuple[str, list[str]]:
    ws = work / "ws"
    shutil.rmtree(ws, ignore_errors=True)
    proc = subprocess.Popen([sys.executable, "-c", PIPELINE, str(ws), str(info["paths"]["annotations"]),
                             str(info["paths"]["opinions"]), str(batch), json.dumps(LENS)],
                            stdout=subprocess.PIPE, text=True, env=_env())
    assert proc.stdout.readline().strip() == "start"
    time.sleep(delay)
    finished = proc.poll() is not None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    where = "after the end" if finished else stage_at_kill(ws)
    pipeline(ws, info, batch)  # resume: the same commands again
    return where, []


def timed_child(ws: Path, info: dict, batch: int) -> float:
    """The pipeline in a child, uninterrupted: seconds from its "start" to its "done" (where kills land)."""
    proc = subprocess.Popen([sys.executable, "-c", PIPELINE, str(ws), str(info["paths"]["annotations"]),
                             str(info["paths"]["opinions"]), str(batch), json.dumps(LENS)],
                            stdout=subprocess.PIPE, text=True, env=_env())
    assert proc.stdout.readline().strip() == "start"
    t0 = time.perf_counter()
    assert proc.stdout.readline().strip() == "done" and proc.wait() == 0
    return time.perf_counter() - t0


def concurrent_writers(work: Path, info: dict, batch: int, want: dict) -> dict:
    """Two `videoaudit run` at once: one works, the other is refused naming the holder."""
    from videoaudit.api import Workspace

    ws = work / "concurrent"
    shutil.rmtree(ws, ignore_errors=True)
    w = Workspace(ws, batch_size=batch, **RUN)
    w.ingest(info["paths"]["annotations"], batch_size=batch)
    w.import_opinions(info["paths"]["opinions"], source="simulated-annotator")
    cmd = [sys.executable, "-m", "videoaudit.cli", "run", "-w", str(ws), "--text", "hashing", "--visual", "none",
           "--grounding", "none", "--transcript", "hashing", "--map", "pca"]
    # the second writer is imported and waiting before the first starts, and goes the instant the
    # first holds the lock: the two overlap whatever the machine's import time
    second = ("import os, sys, time\nfrom videoaudit.cli import app\nlock = sys.argv[1]\n"
              "while not os.path.exists(lock): time.sleep(0.01)\n"
              "sys.argv = ['videoaudit', *sys.argv[2:]]\napp()")
    b_proc = subprocess.Popen([sys.executable, "-c", second, str(ws / "videoaudit.lock"), *cmd[3:]],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    time.sleep(15)  # its imports done (generous on a loaded machine)
    a = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    b_out = b_proc.communicate()
    b = subprocess.CompletedProcess(b_proc.args, b_proc.returncode, *b_out)
    a_out = a.communicate()
    refused = b.returncode == 1 and f"pid {a.pid}" in b.stderr
    problems = compare(tables(ws), want) if a.returncode == 0 else [f"first writer exited {a.returncode}"]
    return {"first_rc": a.returncode, "second_rc": b.returncode, "second_refused_naming_holder": refused,
            "second_message": b.stderr.strip()[:300], "tables_equal": not problems, "problems": problems[:5],
            "first_stderr": a_out[1][-300:] if a.returncode else ""}


def disk_full(work: Path, info: dict, batch: int, want: dict) -> dict:
    """A run on a tmpfs too small for it: a clear failure, then a resume once space is back."""
    if os.geteuid() != 0 or sys.platform != "linux":
        return {"skipped": "needs root on Linux to mount a small tmpfs"}
    mnt = work / "tmpfs"
    mnt.mkdir(exist_ok=True)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mnt)], capture_output=True).returncode:
        return {"skipped": "mount -t tmpfs was refused here (no CAP_SYS_ADMIN)"}
    try:
        from videoaudit.api import Workspace

        ws = mnt / "ws"
        w = Workspace(ws, batch_size=batch, **RUN)
        w.ingest(info["paths"]["annotations"], batch_size=batch)
        w.import_opinions(info["paths"]["opinions"], source="simulated-annotator")
        st = os.statvfs(mnt)
        size_k = (st.f_blocks - st.f_bfree) * st.f_frsize // 1024 + 64  # a little room: the run fills it
        subprocess.run(["mount", "-o", f"remount,size={size_k}k", str(mnt)], check=True)
        cmd = [sys.executable, "-m", "videoaudit.cli", "run", "-w", str(ws), "--text", "hashing", "--visual", "none",
               "--grounding", "none", "--transcript", "hashing", "--map", "pca"]
        full = subprocess.run(cmd, capture_output=True, text=True, env=_env())
        line = full.stderr.strip().splitlines()[-1] if full.stderr.strip() else ""
        clear = full.returncode != 0 and "no space left" in line and str(ws) in line and "Traceback" not in full.stderr
        subprocess.run(["mount", "-o", "remount,size=512m", str(mnt)], check=True)
        again = subprocess.run(cmd, capture_output=True, text=True, env=_env())
        problems = compare(tables(ws), want) if again.returncode == 0 else [f"resume exited {again.returncode}"]
        return {"full_rc": full.returncode, "message": line[:300], "clear_message": clear,
                "resume_rc": again.returncode, "tables_equal": not problems, "problems": problems[:5]}
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--videos", type=int, default=4)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--batch", type=int, default=1, help="videos per batch (small: more kill points)")
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args(argv)
    from videoaudit.sample import write_sample

    work = args.workdir or Path(tempfile.mkdtemp(prefix="kill-resume-"))
    work.mkdir(parents=True, exist_ok=True)
    info = write_sample(work / "sample", videos=args.videos, seed=args.seed, media=False)
    ref_seconds = timed_child(work / "reference", info, args.batch)  # the child's own timeline (lazy imports too)
    want = tables(work / "reference")
    rng = random.Random(args.seed)
    survived, hit, failures = 0, {}, []
    for i in range(args.trials):
        delay = rng.uniform(0.0, ref_seconds * 1.1)
        where, _ = kill_trial(work, info, args.batch, delay)
        problems = compare(tables(work / "ws"), want)
        hit[where] = hit.get(where, 0) + 1
        survived += not problems
        if problems:
            failures.append({"trial": i, "killed_in": where, "problems": problems[:5]})
        print(f"trial {i}: kill at {delay:.2f} s ({where}): {'identical' if not problems else problems[:2]}",
              flush=True)
    result = {"kill_trials": args.trials, "kill_survived": survived, "stages_hit": hit,
              "rows_lost": sum(1 for f in failures for p in f["problems"] if "rows !=" in p),
              "failures": failures, "reference_seconds": round(ref_seconds, 1), "videos": args.videos,
              "tables_compared": len(want)}
    result["concurrent"] = concurrent_writers(work, info, args.batch, want)
    result["disk_full"] = disk_full(work, info, args.batch, want)
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result))
    ok = survived == args.trials and result["concurrent"]["tables_equal"] and \
        result["concurrent"]["second_refused_naming_holder"] and \
        (result["disk_full"].get("skipped") or result["disk_full"]["tables_equal"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
