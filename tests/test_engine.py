"""The one write path (LocalEngine.commit) under every per-video writer: engine stages, the
source-driven ingest and the opinion backends. A kill inside a commit leaves a state the next
run repairs, a failing video is isolated, and what lies downstream is marked stale before
anything is rewritten."""

from __future__ import annotations

import ast
from pathlib import Path

import pyarrow as pa
import pytest

from videoaudit.opinions.backends.base import Answer
from videoaudit.opinions.parse import Event, ParseFailure
from videoaudit.pipeline import LocalEngine, Stage
from videoaudit.pipeline.stage import FAILED, FAILED_SCHEMA
from videoaudit.schema import VIDEO_SIGNALS
from videoaudit.workspace import Store

SRC = Path(__file__).resolve().parents[1] / "src" / "videoaudit"


class Killed(BaseException):
    """Stands in for SIGKILL inside a write: nothing after it runs (not an Exception: no handler catches it)."""


@pytest.fixture
def ws6(sample6, tmp_path):
    from videoaudit.api import Workspace

    ws = Workspace(tmp_path / "ws", text_model="hashing", batch_size=2)
    ws.ingest(sample6["paths"]["annotations"], format="action100m", batch_size=2)
    return ws


def _status(store: Store, stage: str) -> dict[str, str]:
    t = store.read("progress", where=f"stage = '{stage}'", columns=["video_id", "status"])
    return dict(zip(t.column("video_id").to_pylist(), t.column("status").to_pylist()))


def _kill_on(monkeypatch, table: str, after: int = 0) -> None:
    """Make the ``after+1``-th write of ``table`` die before it lands."""
    real = Store.replace
    seen = [0]

    def replace(self, name, *args, **kwargs):
        if name == table:
            seen[0] += 1
            if seen[0] > after:
                raise Killed(name)
        return real(self, name, *args, **kwargs)

    monkeypatch.setattr(Store, "replace", replace)


def _toy_stage(bad: str | None = None, down: str | None = None) -> Stage:
    """A real per-video stage over ``video_signals`` (ledger name ``signals``): one row per video;
    ``bad`` raises, ``down`` raises ConnectionError (which the stage says stops the run)."""

    def fn(batch):
        ids = batch.video_ids
        if bad in ids:
            raise ValueError(f"cannot read {bad}")
        if down in ids:
            raise ConnectionRefusedError("endpoint is down")
        return {"video_signals": pa.table({"video_id": ids, "signal": ["toy"] * len(ids),
                                           "value": [1.0] * len(ids), "explanation": [None] * len(ids)},
                                          schema=VIDEO_SIGNALS)}

    return Stage("signals", fn, writes=("video_signals",), reads=(), stop_on=(ConnectionError,))


def test_failing_video_isolated_rows_emptied_downstream_stale(ws6):
    store, ids = ws6.store, ws6.video_ids()
    eng = LocalEngine(store, batch_size=3)
    eng.run(_toy_stage())
    store.mark("confidence", ids)  # something downstream (run-wide) that a rewrite makes stale
    rep = eng.run(_toy_stage(bad=ids[1]), redo=True)
    assert rep.done == len(ids) - 1 and list(rep.failed) == [ids[1]] and "cannot read" in rep.failed[ids[1]]
    st = _status(store, "signals")
    assert st[ids[1]] == "error" and all(st[v] == "ok" for v in ids if v != ids[1])
    rows = store.read("video_signals").column("video_id").to_pylist()
    assert sorted(rows) == sorted(v for v in ids if v != ids[1])  # the failed video's old row is gone
    assert set(_status(store, "confidence").values()) == {"stale"}
    assert any(e["video_id"] == ids[1] and "cannot read" in e["error"] for e in ws6.errors().to_pylist())
    # unknown ids fail by name instead of hanging "running" forever
    rep = eng.run(_toy_stage(), ["no-such-video"])
    assert rep.failed == {"no-such-video": "video no-such-video: not in the workspace"}


def test_stop_on_stops_the_run_and_marks_nothing_done(ws6):
    store, ids = ws6.store, ws6.video_ids()
    with pytest.raises(ConnectionError, match="is down"):
        LocalEngine(store, batch_size=2).run(_toy_stage(down=ids[3]))
    st = _status(store, "signals")
    assert [st.get(v) for v in ids[:2]] == ["ok", "ok"] and ids[3] not in st
    assert not store.read("errors", where="stage = 'signals'").num_rows


def test_commit_failed_output_and_keep_failed(ws6):
    store, ids = ws6.store, ws6.video_ids()[:2]
    eng = LocalEngine(store)
    rows = pa.table({"video_id": ids, "signal": ["s", "s"], "value": [0.5, 0.5], "explanation": [None, None]},
                    schema=VIDEO_SIGNALS)
    keep = Stage("signals", lambda b: {}, writes=("video_signals",), keep_failed=True)
    assert eng.commit(keep, ids, {"video_signals": rows}) == ids
    failed = pa.table({"video_id": [ids[0]], "error": ["bad answer"]}, schema=FAILED_SCHEMA)
    ok = eng.commit(keep, ids, {"video_signals": rows.slice(1), FAILED: failed})
    assert ok == [ids[1]] and _status(store, "signals")[ids[0]] == "error"
    assert sorted(store.read("video_signals").column("video_id").to_pylist()) == sorted(ids)  # kept
    plain = Stage("signals", lambda b: {}, writes=("video_signals",))
    eng.commit(plain, ids, {"video_signals": rows.slice(1), FAILED: failed})
    assert store.read("video_signals").column("video_id").to_pylist() == [ids[1]]  # emptied


def test_reingest_killed_mid_commit_resumes(ws6, sample6, monkeypatch):
    store, ids = ws6.store, ws6.video_ids()
    n_seg = store.count("segments")
    store.mark("transcript", ids)  # per-video downstream of ingest, finished earlier
    _kill_on(monkeypatch, "segments")
    with pytest.raises(Killed):
        ws6.ingest(sample6["paths"]["annotations"], format="action100m", force=True, batch_size=2)
    first = ids[:2]
    assert [_status(store, "ingest")[v] for v in first] == ["running", "running"]  # not "ok": redone
    assert [_status(store, "transcript")[v] for v in first] == ["stale", "stale"]  # stale before the write
    assert all(_status(store, "transcript")[v] == "ok" for v in ids[2:])
    monkeypatch.undo()
    again = ws6.ingest(sample6["paths"]["annotations"], format="action100m", batch_size=2)
    assert again.videos == 2 and again.skipped == len(ids) - 2
    assert store.count("videos") == len(ids) and store.count("segments") == n_seg  # replaced, never doubled
    assert set(_status(store, "ingest").values()) == {"ok"}


def test_new_videos_invalidate_nothing(ws6):
    store, ids = ws6.store, ws6.video_ids()
    store.mark("confidence", ids)
    from videoaudit.api import INGEST

    vids = store.read("videos", ids[:1])
    LocalEngine(store).commit(INGEST, ["new-1"], {"videos": vids.set_column(0, "video_id", pa.array(["new-1"])),
                                                  "segments": store.schema("segments").empty_table()},
                              fresh=True, invalidates=False)
    assert set(_status(store, "confidence").values()) == {"ok"}
    assert _status(store, "ingest")["new-1"] == "ok"


class ScriptBackend:
    """A TEST DOUBLE opinion backend (not a model): answers from a script, needs no frames."""

    name = "double"
    tasks = ("localize",)
    wants_video_ids = True

    def __init__(self, script):
        self.script, self.calls = script, []

    def frame_request(self, task, duration):
        return None

    def run(self, task, frames, *, durations, query=None, video_ids=None):
        self.calls.extend(video_ids)
        out = []
        for vid in video_ids:
            v = self.script[vid]
            out.append(Answer(task, ParseFailure("?", "no JSON found") if v is None else v, "raw",
                              {"backend": "double"}))
        return out


def test_opinions_killed_mid_commit_resume_and_invalidate(ws6, monkeypatch):
    from videoaudit.opinions.runner import run_backend

    store, ids = ws6.store, ws6.video_ids()
    store.mark("signals", ids)
    be = ScriptBackend({v: [Event(0.0, 1.0, f"event of {v}")] for v in ids})
    _kill_on(monkeypatch, "opinions", after=1)  # the second batch dies inside its write
    with pytest.raises(Killed):
        run_backend(store, be, "localize", batch_size=2)
    st = _status(store, "opinions/double/localize")
    assert [st[v] for v in ids[:2]] == ["ok", "ok"] and [st[v] for v in ids[2:4]] == ["running", "running"]
    sig = _status(store, "signals")
    assert all(sig[v] == "stale" for v in ids[:4]) and all(sig[v] == "ok" for v in ids[4:])
    monkeypatch.undo()
    be.calls.clear()
    rep = run_backend(store, be, "localize", batch_size=2)
    assert sorted(be.calls) == sorted(ids[2:]) and rep.done == len(ids) - 2 and rep.stored == len(ids) - 2
    assert sorted(store.read("opinions").column("video_id").to_pylist()) == sorted(ids)  # one row each


def test_opinion_redo_failure_keeps_the_earlier_answer(ws6):
    from videoaudit.opinions.runner import run_backend

    store, ids = ws6.store, ws6.video_ids()[:2]
    be = ScriptBackend({v: [Event(0.0, 1.0, "first")] for v in ids})
    run_backend(store, be, "localize", video_ids=ids)
    be.script[ids[0]] = None  # the second call's reply does not parse
    be.script[ids[1]] = [Event(0.0, 1.0, "second")]
    rep = run_backend(store, be, "localize", video_ids=ids, redo=True)
    assert list(rep.failed) == [ids[0]] and rep.calls == 2
    texts = {r["video_id"]: r["text"] for r in store.read("opinions").to_pylist()}
    assert texts == {ids[0]: "first", ids[1]: "second"}
    assert _status(store, "opinions/double/localize")[ids[0]] == "error"


def _imports(path: Path) -> set[str]:
    """Every videoaudit module ``path`` imports, at any depth (function-level imports too)."""
    mod = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
    pkg = mod.split(".") if path.name == "__init__.py" else mod.split(".")[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = pkg[: len(pkg) - node.level + 1] if node.level else []
            name = ".".join(base + ([node.module] if node.module else []))
            out.add(name)
            out.update(f"{name}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_nothing_below_the_facade_imports_it():
    """api -> cascade -> runner -> api was a cycle: only the outer layer may import the facade."""
    outer = {"videoaudit.cli", "videoaudit.demo", "videoaudit.__init__", "videoaudit"}
    offenders = []
    for path in SRC.rglob("*.py"):
        mod = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
        if mod in outer:
            continue
        if any(m == "videoaudit.api" or m.startswith("videoaudit.api.") for m in _imports(path)):
            offenders.append(mod)
    assert not offenders, f"modules below the facade import videoaudit.api: {offenders}"
