"""Runs a stage over batches of videos.

A stage is a plain function ``fn(batch: Batch) -> dict[table_name, pa.Table]`` over the
Arrow rows of a few videos. It never touches the workspace, so the same function runs
here, one batch after another, or inside Ray Data's ``map_batches`` on a cluster.

The local engine adds what a long run needs: skip videos a previous run finished,
write each batch's rows before marking its videos done (a SIGKILL loses at most the
batch in flight), and isolate a failing video by re-running its batch one video at a
time, so one bad item is recorded and the run goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import pyarrow as pa

from .workspace import Store, chunks, filter_ids


@dataclass
class Batch:
    """The rows of a few videos that a stage reads; every table is in its canonical schema."""

    tables: dict[str, pa.Table]

    def __getattr__(self, name: str) -> pa.Table:
        try:
            return self.__dict__["tables"][name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def video_ids(self) -> list[str]:
        return self.tables["videos"].column("video_id").to_pylist()

    def only(self, video_id: str) -> "Batch":
        return Batch({k: filter_ids(t, [video_id]) for k, t in self.tables.items()})


StageFn = Callable[[Batch], dict[str, pa.Table]]

#: an output a stage may add besides its tables: per-video warnings (video_id, segment_id, error)
#: that the engine appends to the errors table (a video that succeeded with a caveat)
WARNINGS = "_warnings"
WARNING_SCHEMA = pa.schema([pa.field("video_id", pa.string()), pa.field("segment_id", pa.string()),
                            pa.field("error", pa.string())])


@dataclass
class Stage:
    name: str
    fn: StageFn
    writes: tuple[str, ...]  # tables whose per-video rows this stage owns
    reads: tuple[str, ...] = ("videos", "segments", "opinions")


@dataclass
class StageReport:
    stage: str
    done: int = 0
    skipped: int = 0
    failed: dict[str, str] = field(default_factory=dict)


class LocalEngine:
    """One process, batch after batch; the reference engine every other one must match."""

    def __init__(self, store: Store, batch_size: int = 32):
        self.store = store
        self.batch_size = batch_size

    def load(self, video_ids: Sequence[str], tables: Sequence[str]) -> Batch:
        return Batch({name: self.store.read(name, video_ids) for name in dict.fromkeys(("videos", *tables))})

    def run(self, stage: Stage, video_ids: Sequence[str] | None = None,
            on_progress: Callable[[int], None] | None = None, redo: bool = False) -> StageReport:
        store = self.store
        all_ids = video_ids if video_ids is not None else store.read("videos", columns=["video_id"]).column(
            "video_id").to_pylist()
        finished = set() if redo else store.finished(stage.name)
        touched = store.touched(stage.name)  # may have rows (even unfinished): replace, never duplicate
        todo = [v for v in all_ids if v not in finished]
        report = StageReport(stage.name, skipped=len(all_ids) - len(todo))
        for ids in chunks(todo, self.batch_size):
            batch = self.load(ids, stage.reads)
            ok, failed, outputs = self._run_batch(stage, batch)
            warned = outputs.pop(WARNINGS, None)
            fresh = touched.isdisjoint(ids)
            # say "started" before the first write, so a kill from here on is repaired: also for a
            # redone batch, whose old "ok" would otherwise survive a kill between delete and add
            store.mark(stage.name, ids, status="running")
            for name in stage.writes:
                store.replace(name, ids, outputs[name] if name in outputs else store.schema(name).empty_table(),
                              fresh=fresh)
            store.mark(stage.name, ok, failed)
            if failed:
                store.record_errors(stage.name, [(v, None, e) for v, e in failed.items()])
            if warned is not None and warned.num_rows:
                store.record_errors(stage.name, zip(*(warned.column(c).to_pylist() for c in WARNING_SCHEMA.names)))
            report.done += len(ok)
            report.failed.update(failed)
            if on_progress:
                on_progress(len(ids))
        for name in stage.writes:
            store.optimize(name)
        return report

    def _run_batch(self, stage: Stage, batch: Batch):
        try:
            return batch.video_ids, {}, stage.fn(batch)
        except Exception:
            pass
        # Isolate the culprit(s): one video at a time, concatenate what succeeded.
        ok: list[str] = []
        failed: dict[str, str] = {}
        parts: dict[str, list[pa.Table]] = {}
        for vid in batch.video_ids:
            try:
                out = stage.fn(batch.only(vid))
            except Exception as exc:  # recorded, never raised: the run goes on
                failed[vid] = f"video {vid}: {type(exc).__name__}: {exc}"
                continue
            ok.append(vid)
            for name, t in out.items():
                parts.setdefault(name, []).append(t)
        return ok, failed, {n: pa.concat_tables(ts) for n, ts in parts.items()}


def _empty(name: str) -> pa.Table:
    from .schema import TABLES

    return TABLES[name].empty_table()
