"""The local engine: runs a :class:`~videoaudit.pipeline.stage.Stage` over batches of videos.

It adds what a long run needs: skip videos a previous run finished, mark downstream
stages stale (the stage graph says which) before rewriting anything, write each batch's
rows before marking its videos done (a SIGKILL loses at most the batch in flight), and
isolate a failing video by re-running its batch one video at a time, so one bad item is
recorded and the run goes on.
"""

from __future__ import annotations

from typing import Callable, Sequence

import pyarrow as pa

from ..workspace import Store, chunks
from .graph import invalidate
from .stage import WARNING_SCHEMA, WARNINGS, Batch, Stage, StageReport


class LocalEngine:
    """One process, batch after batch; the reference engine every other one must match."""

    def __init__(self, store: Store, batch_size: int = 32):
        self.store = store
        self.batch_size = batch_size

    def load(self, video_ids: Sequence[str], tables: Sequence[str]) -> Batch:
        return Batch({name: self.store.read(name, video_ids) for name in dict.fromkeys(("videos", *tables))})

    def run(self, stage: Stage, video_ids: Sequence[str] | None = None,
            on_progress: Callable[[int], None] | None = None, redo: bool = False) -> StageReport:
        todo, touched, report = self._plan(stage, video_ids, redo)
        if todo:
            stage.setup()
        run_wide_stale = False
        for ids in chunks(todo, self.batch_size):
            batch = self.load(ids, stage.reads)
            ok, failed, outputs = self._run_batch(stage, batch)
            run_wide_stale |= self._commit(stage, ids, ok, failed, outputs, touched, report, run_wide_stale)
            if on_progress:
                on_progress(len(ids))
        self._finish(stage)
        return report

    # -- the steps every engine shares (the Ray engine calls these too) ---------------
    def _plan(self, stage: Stage, video_ids: Sequence[str] | None, redo: bool):
        """The videos still to do (finished ones skipped unless ``redo``), those that may have rows, the report."""
        store = self.store
        all_ids = video_ids if video_ids is not None else store.read("videos", columns=["video_id"]).column(
            "video_id").to_pylist()
        finished = set() if redo else store.finished(stage.name)
        touched = store.touched(stage.name)  # may have rows (even unfinished): replace, never duplicate
        todo = [v for v in all_ids if v not in finished]
        return todo, touched, StageReport(stage.name, skipped=len(all_ids) - len(todo))

    def _commit(self, stage: Stage, ids: Sequence[str], ok: list[str], failed: dict[str, str],
                outputs: dict[str, pa.Table], touched: set[str], report: StageReport, run_wide_stale: bool) -> bool:
        """Write one batch's results: the one write path of every engine. Returns whether it
        marked downstream stale (run-wide dependents are marked once per run)."""
        store = self.store
        warned = outputs.pop(WARNINGS, None)
        fresh = touched.isdisjoint(ids)
        if ok:  # before any write, so a kill leaves them stale; run-wide dependents once per run
            invalidate(store, stage.name, ok, run_scope=not run_wide_stale)
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
        return bool(ok)

    def _finish(self, stage: Stage) -> None:
        for name in stage.writes:
            self.store.optimize(name)

    @staticmethod
    def _run_batch(stage: Stage, batch: Batch):
        """Run a batch; when it raises, each video alone (what succeeded is kept, failures recorded)."""
        try:
            return batch.video_ids, {}, stage.process(batch)
        except Exception:
            pass
        # Isolate the culprit(s): one video at a time, concatenate what succeeded.
        ok: list[str] = []
        failed: dict[str, str] = {}
        parts: dict[str, list[pa.Table]] = {}
        for vid in batch.video_ids:
            try:
                out = stage.process(batch.only(vid))
            except Exception as exc:  # recorded, never raised: the run goes on
                failed[vid] = f"video {vid}: {type(exc).__name__}: {exc}"
                continue
            ok.append(vid)
            for name, t in out.items():
                parts.setdefault(name, []).append(t)
        return ok, failed, {n: pa.concat_tables(ts) for n, ts in parts.items()}
