"""Running an opinion backend over the workspace's videos, resumably.

Per batch of videos: ONE ``FrameSampler.sample`` per video with the backend's
``frame_request`` (none at all for a backend that needs no pixels, e.g. ``replay``), one
``backend.run`` for the batch, and the answers stored in the ``opinions`` table exactly like
imported opinions (same columns; ``settings`` JSON and ``raw`` filled). The ledger stage is
``opinions/<source>/<task>``, so a killed run resumes where it stopped and a second backend or
task never disturbs the first. Only this source's rows of this kind are replaced. The backend
is a :class:`~videoaudit.pipeline.stage.Stage` run by the one engine (ledger, invalidation, resume).

A reply that did not parse is recorded in the ``errors`` table with its raw text and the
video is marked failed (a later run retries it); nothing is stored for it, so it can never
look like an opinion that agrees. ``EndpointDown`` (the backend's service is unreachable)
stops the run with its message instead of failing every video the same way.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import pyarrow as pa

from ..media.frames import FrameSampler, MediaError
from ..pipeline.engine import LocalEngine
from ..pipeline.stage import FAILED, FAILED_SCHEMA, WARNING_SCHEMA, WARNINGS, Batch, Stage
from ..schema import OPINIONS
from ..workspace import Store
from .backends.base import Answer, OpinionBackend
from .parse import ParseFailure

KIND = {"describe": "description", "localize": "event", "point": "point"}
RAW_IN_ERROR = 2000  # characters of raw output kept in an error message


@dataclass
class OpinionRunReport:
    stage: str
    done: int = 0
    skipped: int = 0
    calls: int = 0  # videos the backend was asked about in this run (one call per video and task)
    failed: dict[str, str] = field(default_factory=dict)
    stored: int = 0  # opinion rows written


def stage_name(source: str, task: str) -> str:
    return f"opinions/{source}/{task}"


def check_source(source: str) -> str:
    if not source or "'" in source or "/" in source:
        raise ValueError(f"opinion source {source!r}: must be non-empty, without quotes or '/'")
    return source


def select_videos(store: Store, only: str | None) -> list[str]:
    """Videos to run on: all, or ``uncertain:F`` = the share F of videos with the lowest confidence."""
    all_ids = store.read("videos", columns=["video_id"]).column("video_id").to_pylist()
    if not only:
        return all_ids
    kind, _, arg = only.partition(":")
    if kind != "uncertain":
        raise ValueError(f"--only {only!r}: expected uncertain:<share>, e.g. uncertain:0.25")
    try:
        share = float(arg)
    except ValueError:
        raise ValueError(f"--only {only!r}: the share must be a number in (0, 1]") from None
    if not 0 < share <= 1:
        raise ValueError(f"--only {only!r}: the share must be in (0, 1]")
    return least_confident(store, share)


def least_confident(store: Store, share: float) -> list[str]:
    """The ceil(share * N) videos with the lowest video confidence (ties by id), N = videos with one."""
    vc = store.read("video_confidence", columns=["video_id", "confidence"])
    if not vc.num_rows:
        raise ValueError("no confidence map yet: run `videoaudit run` (the cheap signals) before selecting "
                         "uncertain videos")
    rows = sorted(zip(vc.column("confidence").to_pylist(), vc.column("video_id").to_pylist()),
                  key=lambda r: (math.inf if r[0] is None else r[0], r[1]))
    n = min(len(rows), math.ceil(share * len(rows) - 1e-9))
    return [vid for _, vid in rows[:n]]


def answer_rows(video_id: str, source: str, ans: Answer) -> list[dict]:
    """OPINIONS rows of one parsed Answer (the raw output on every row, settings as JSON)."""
    base = {"video_id": video_id, "source": source, "kind": KIND[ans.task], "raw": ans.raw}
    settings = dict(ans.settings)
    if ans.task == "describe":
        return [base | {"text": ans.value, "settings": json.dumps(settings, default=str)}]
    rows = []
    for item in ans.value:
        s = settings | ({"flags": list(item.flags)} if item.flags else {})
        if ans.task == "localize":
            rows.append(base | {"text": item.text, "start": item.start, "end": item.end,
                                "settings": json.dumps(s, default=str)})
        else:
            rows.append(base | {"text": item.label, "t": item.t, "x": item.x, "y": item.y,
                                "settings": json.dumps(s, default=str)})
    return rows


def run_backend(store: Store, backend: OpinionBackend, task: str, *, source: str | None = None,
                query: str | None = None, video_ids: Sequence[str] | None = None, batch_size: int = 8,
                sampler: FrameSampler | None = None, redo: bool = False,
                on_progress: Callable[[int], None] | None = None) -> OpinionRunReport:
    """Run ``backend`` for ``task`` on ``video_ids`` (default: all), storing opinions; resumable."""
    if task not in KIND:
        raise ValueError(f"unknown task {task!r}; one of describe, localize, point")
    if task not in backend.tasks:
        raise ValueError(f"backend {backend.name} cannot {task}; it does {', '.join(backend.tasks)}")
    stage, calls = opinion_stage(backend, task, check_source(source or backend.name), query,
                                 sampler or FrameSampler())
    rep = LocalEngine(store, batch_size=batch_size).run(stage, video_ids, on_progress, redo=redo)
    return OpinionRunReport(stage.name, done=rep.done, skipped=rep.skipped, calls=calls[0], failed=rep.failed,
                            stored=rep.written.get("opinions", 0))


def opinion_stage(backend: OpinionBackend, task: str, source: str, query: str | None,
                  sampler: FrameSampler) -> tuple[Stage, list[int]]:
    """The backend as a stage (ledger name ``opinions/<source>/<task>``) and its call counter.

    Per batch: frames per video, one ``backend.run``, one row set per parsed answer. A frame
    or parse failure fails that video only (reported as :data:`FAILED`, so the engine never
    re-asks the rest of the batch); ``EndpointDown`` stops the run.
    """
    kind = KIND[task]
    calls = [0]

    def process(batch: Batch) -> dict[str, pa.Table]:
        failed: dict[str, str] = {}
        answers = _ask(backend, task, _frames(backend, task, batch.videos, sampler, failed), query, failed)
        calls[0] += len(answers)
        rows: list[dict] = []
        skipped: list[tuple[str, None, str]] = []
        for vid, ans in answers.items():
            if isinstance(ans.value, ParseFailure):
                failed[vid] = (f"{source} {task} on video {vid}: {ans.value.reason}; raw output: "
                               f"{ans.value.raw[:RAW_IN_ERROR]!r}")
                continue
            for skip in getattr(ans.value, "skipped", ()):
                skipped.append((vid, None, f"{source} {task} on video {vid}: skipped an item: {skip.reason}; "
                                           f"raw output: {skip.raw[:RAW_IN_ERROR]!r}"))
            rows.extend(answer_rows(vid, source, ans))
        return {"opinions": pa.Table.from_pylist(rows, schema=OPINIONS),
                FAILED: pa.Table.from_pylist([{"video_id": v, "error": e} for v, e in failed.items()],
                                             schema=FAILED_SCHEMA),
                WARNINGS: pa.Table.from_pylist([dict(zip(WARNING_SCHEMA.names, r)) for r in skipped],
                                               schema=WARNING_SCHEMA)}

    stage = Stage(stage_name(source, task), process, writes=("opinions",), reads=(),
                  replace_where=f"source = '{source}' AND kind = '{kind}'", keep_failed=True,
                  stop_on=(ConnectionError,))
    return stage, calls


def _frames(backend, task: str, videos: pa.Table, sampler: FrameSampler,
            failed: dict[str, str]) -> list[tuple[str, list, float]]:
    """(video, frames, duration) for each video the backend can be asked about; ONE decode per video."""
    ready = []
    for v in videos.select(["video_id", "media_path", "duration"]).to_pylist():
        vid, dur = v["video_id"], float(v["duration"] or 0.0)
        req = backend.frame_request(task, dur)
        if req is None:
            ready.append((vid, [], dur))
            continue
        if not v["media_path"]:
            failed[vid] = f"video {vid}: no media file; backend {backend.name} needs frames"
            continue
        try:
            frames = sampler.sample(v["media_path"], [req])[req.consumer]
        except (MediaError, ValueError) as exc:
            failed[vid] = f"video {vid}: {exc}"
            continue
        ready.append((vid, frames, dur))
    return ready


def _ask(backend, task, ready, query, failed) -> dict[str, Answer]:
    """One backend call for the batch; on a non-endpoint error, one call per video to isolate it."""
    if not ready:
        return {}
    wants_ids = getattr(backend, "wants_video_ids", False)

    def call(items):
        kw = {"video_ids": [i[0] for i in items]} if wants_ids else {}
        res = backend.run(task, [i[1] for i in items], durations=[i[2] for i in items], query=query, **kw)
        if len(res) != len(items):
            raise RuntimeError(f"backend {backend.name} returned {len(res)} answers for {len(items)} videos")
        return {i[0]: a for i, a in zip(items, res)}

    try:
        return call(ready)
    except ConnectionError:
        raise  # the endpoint is down: every video would fail alike; stop with the backend's message
    except Exception:
        pass
    out = {}
    for item in ready:
        try:
            out.update(call([item]))
        except ConnectionError:
            raise
        except Exception as exc:  # recorded against this video; the run goes on
            failed[item[0]] = f"video {item[0]}: backend {backend.name}: {type(exc).__name__}: {exc}"
    return out
