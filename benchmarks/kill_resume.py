"""Fault injection: ``kill -9`` at random points of every stage, two writers at once, a full disk.

Each trial runs the whole audit (ingest with synthetic media -> import opinions -> the replay
opinion backend -> run: pixels, transcript lens, signals, lens signals, confidence, lens analysis)
in a child process and kills it with SIGKILL at a random instant of one stage: the trials take
the stages of STAGES in turn, each instant uniform inside that stage's window of an uninterrupted
child run (the child prints when each stage starts), so every stage is hit; where the child really
was when it died is read from its own lines. Then the same pipeline is then run again to completion (it resumes)
and every table is compared with an uninterrupted run's (``tests/golden_tables.canonical``:
wall-clock columns dropped, rows sorted; floats within 1e-5). A trial survives when no table
differs: no row lost, none duplicated, no value changed.

Also: two ``videoaudit run`` on one workspace at once (the second must be refused naming the
holder, the first's outputs must equal the reference), and, where this process may mount a
tmpfs (root on Linux), a run on a disk that fills up (it must exit non-zero with a one-line
"no space left" naming the workspace, and resume to the reference once space is back).

Usage: python benchmarks/kill_resume.py [--trials 21] [--videos 4] [--seed 3] [--workdir DIR] [--no-media]
The last line printed is one JSON object:
{"kill_trials": .., "kill_survived": .., "stages_hit": {..}, "stages_missed": [], "rows_lost": 0,
 "rows_duplicated": 0, "concurrent": .., "disk_full": ..}
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
LENS = {"visual": "appearance", "grounding": "none", "transcript": "hashing", "map_method": "pca"}
#: the same run as a CLI (the concurrent-writer and disk-full cases)
RUN_ARGS = ["--text", "hashing", "--visual", LENS["visual"], "--grounding", LENS["grounding"],
            "--transcript", LENS["transcript"], "--map", LENS["map_method"]]
#: the stages every trial set covers, in pipeline order ("opinions" = the replay opinion backend's
#: resumable runner; "lenses" = the lens analysis, also killed but not required)
STAGES = ("ingest", "pixels", "opinions", "transcript", "signals", "lens_signals", "confidence")
REPLAY = {"backend": "replay", "task": "localize", "source": "replayed"}

PIPELINE = """
import json, sys, time
from videoaudit.api import Workspace
from videoaudit.pipeline import engine
ws_path, ann, ops, batch, media = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[6] or None
t0 = time.perf_counter()

def say(stage):  # where the child is, with its own clock: the parent aims its kills with these
    print("stage", stage, round(time.perf_counter() - t0, 3), flush=True)

_run = engine.LocalEngine.run
def run(self, stage, *a, **k):
    say(stage.name)
    return _run(self, stage, *a, **k)
engine.LocalEngine.run = run
print("start", flush=True)
ws = Workspace(ws_path, text_model="hashing", batch_size=batch)
say("ingest")
ws.ingest(ann, batch_size=batch, media=media)
say("import")
ws.import_opinions(ops, source="simulated-annotator")
say("opinions")
ws.run_opinions("replay", "localize", source="replayed", options={"path": ops, "source": "simulated-annotator"})
say("run")
ws.run(**json.loads(sys.argv[5]))
say("end")
print("done", flush=True)
"""


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _media(info: dict) -> str:
    return str(info["paths"]["videos"] or "")


def pipeline(ws: Path, info: dict, batch: int) -> None:
    """The same commands as the child, in this process (the resume after a kill)."""
    prepare(ws, info, batch).run(**LENS)


def prepare(ws: Path, info: dict, batch: int):
    """Everything before `run`: ingest (with media), import opinions, the replay opinion backend."""
    from videoaudit.api import Workspace

    w = Workspace(ws, batch_size=batch, **RUN)
    w.ingest(info["paths"]["annotations"], batch_size=batch, media=info["paths"]["videos"])
    w.import_opinions(info["paths"]["opinions"], source="simulated-annotator")
    w.run_opinions(REPLAY["backend"], REPLAY["task"], source=REPLAY["source"],
                   options={"path": str(info["paths"]["opinions"]), "source": "simulated-annotator"})
    return w


def tables(ws: Path) -> dict:
    from videoaudit.workspace import Store

    s = Store(ws, create=False)
    return {n: canonical(s.read(n)) for n in sorted(s.names())}


def compare(got: dict, want: dict) -> list[str]:
    problems = [f"tables {sorted(set(got) ^ set(want))} differ in presence"] if set(got) != set(want) else []
    for name in sorted(set(got) & set(want)):
        problems += diff(name, got[name], want[name])
    return problems


class Child:
    """The pipeline in a child process; a thread records each "stage NAME T" line it prints."""

    def __init__(self, ws: Path, info: dict, batch: int):
        import threading

        self.proc = subprocess.Popen([sys.executable, "-c", PIPELINE, str(ws), str(info["paths"]["annotations"]),
                                      str(info["paths"]["opinions"]), str(batch), json.dumps(LENS), _media(info)],
                                     stdout=subprocess.PIPE, text=True, env=_env())
        assert self.proc.stdout.readline().strip() == "start"
        self.t0 = time.perf_counter()
        self.marks: list[tuple[str, float]] = []  # (stage, seconds since "start" on the parent's clock)
        self.done = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            if line.startswith("stage "):
                self.marks.append((line.split()[1], time.perf_counter() - self.t0))
            elif line.strip() == "done":
                self.done = True

    def stage(self) -> str:
        return self.marks[-1][0] if self.marks else "before ingest"


def stage_windows(info: dict, work: Path, batch: int) -> dict[str, tuple[float, float]]:
    """An uninterrupted child run: each stage's (start, end) in seconds after its "start" line."""
    child = Child(work / "reference", info, batch)
    assert child.proc.wait() == 0
    child.thread.join()
    assert child.done, "the reference run did not finish"
    marks = child.marks
    return {name: (t, marks[i + 1][1] if i + 1 < len(marks) else t) for i, (name, t) in enumerate(marks)
            if name not in ("end", "import")}


def kill_trial(work: Path, info: dict, batch: int, target: str, delay: float) -> str:
    """Start a fresh pipeline child, wait until it says it began ``target``, SIGKILL it ``delay`` s
    later, resume; returns the stage it was in when it died (aiming at the child's own marks, not
    at a clock, keeps the aim when the machine is slower or faster than in the reference run)."""
    ws = work / "ws"
    shutil.rmtree(ws, ignore_errors=True)
    child = Child(ws, info, batch)
    while child.proc.poll() is None and target not in [m[0] for m in child.marks]:
        time.sleep(0.005)
    time.sleep(delay)
    finished = child.proc.poll() is not None
    where = child.stage()
    child.proc.send_signal(signal.SIGKILL)
    child.proc.wait()
    child.thread.join(timeout=5)
    if finished or child.done:
        where = "after the end"
    pipeline(ws, info, batch)  # resume: the same commands again (an exception fails the trial)
    return where


def kill_points(windows: dict, trials: int, rng: random.Random,
                only: list[str] | None = None) -> list[tuple[str, float]]:
    """``trials`` kill points, stage by stage in turn (every stage of STAGES gets trials // 7 or
    more): (stage, seconds after its start), uniform inside its length in the reference run."""
    names = [s for s in STAGES if s in windows] + [s for s in windows if s not in STAGES]
    names = [s for s in names if s in only] if only else names
    out = []
    for i in range(trials):
        name = names[i % len(names)]
        a, b = windows[name]
        out.append((name, rng.uniform(0.0, max(0.05, b - a))))
    return out


def concurrent_writers(work: Path, info: dict, batch: int, want: dict) -> dict:
    """Two `videoaudit run` at once: one works, the other is refused naming the holder."""
    ws = work / "concurrent"
    shutil.rmtree(ws, ignore_errors=True)
    prepare(ws, info, batch)
    cmd = [sys.executable, "-m", "videoaudit.cli", "run", "-w", str(ws), *RUN_ARGS]
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
        ws = mnt / "ws"
        prepare(ws, info, batch)
        st = os.statvfs(mnt)
        size_k = (st.f_blocks - st.f_bfree) * st.f_frsize // 1024 + 64  # a little room: the run fills it
        subprocess.run(["mount", "-o", f"remount,size={size_k}k", str(mnt)], check=True)
        cmd = [sys.executable, "-m", "videoaudit.cli", "run", "-w", str(ws), *RUN_ARGS]
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
    ap.add_argument("--trials", type=int, default=21)
    ap.add_argument("--videos", type=int, default=4)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--batch", type=int, default=1, help="videos per batch (small: more kill points)")
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--no-media", action="store_true", help="no synthetic media (then no pixels stage)")
    ap.add_argument("--only", nargs="*", default=None, help="aim the trials at these stages only")
    ap.add_argument("--skip-extra", action="store_true", help="only the kill trials (no concurrent, no disk full)")
    args = ap.parse_args(argv)
    from videoaudit.sample import write_sample

    work = args.workdir or Path(tempfile.mkdtemp(prefix="kill-resume-"))
    work.mkdir(parents=True, exist_ok=True)
    info = write_sample(work / "sample", videos=args.videos, seed=args.seed, media=not args.no_media)
    windows = stage_windows(info, work, args.batch)  # the child's own timeline (lazy imports too)
    want = tables(work / "reference")
    rng = random.Random(args.seed)
    survived, hit, aimed, failures, lost, extra = 0, {}, {}, [], 0, 0
    for i, (target, delay) in enumerate(kill_points(windows, args.trials, rng, args.only)):
        try:
            where = kill_trial(work, info, args.batch, target, delay)
            got = tables(work / "ws")
            problems = compare(got, want)
        except Exception as exc:  # the resume failed: a lost trial, and the next ones still run
            where, got, problems = f"{target} (resume failed)", {}, [f"resume raised {type(exc).__name__}: {exc}"]
        lost += sum(max(0, t.num_rows - (got[n].num_rows if n in got else 0)) for n, t in want.items())
        extra += sum(max(0, t.num_rows - (want[n].num_rows if n in want else 0)) for n, t in got.items())
        hit[where] = hit.get(where, 0) + 1
        aimed[target] = aimed.get(target, 0) + 1
        survived += not problems
        if problems:
            failures.append({"trial": i, "killed_in": where, "problems": problems[:5]})
        print(f"trial {i}: kill {delay:.2f} s into {target} (died in {where}): "
              f"{'identical' if not problems else problems[:2]}", flush=True)
    result = {"kill_trials": args.trials, "kill_survived": survived, "stages_hit": hit, "stages_aimed": aimed,
              "stages_missed": [s for s in STAGES if s not in hit],
              "rows_lost": lost, "rows_duplicated": extra,
              "failures": failures, "stage_windows_s": {k: [round(a, 2), round(b, 2)] for k, (a, b) in windows.items()},
              "videos": args.videos, "media": not args.no_media, "tables_compared": len(want)}
    skipped = {"skipped": "--skip-extra"}
    result["concurrent"] = skipped if args.skip_extra else concurrent_writers(work, info, args.batch, want)
    result["disk_full"] = skipped if args.skip_extra else disk_full(work, info, args.batch, want)
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result))
    conc = result["concurrent"]
    ok = survived == args.trials and (conc.get("skipped") or (conc["tables_equal"] and
                                                               conc["second_refused_naming_holder"])) and \
        (result["disk_full"].get("skipped") or result["disk_full"]["tables_equal"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
