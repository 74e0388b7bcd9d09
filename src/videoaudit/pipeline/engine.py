"""The local engine: runs a :class:`~videoaudit.pipeline.stage.Stage` over batches of videos.

It adds what a long run needs: skip videos a previous run finished, mark downstream
stages stale (the stage graph says which) before rewriting anything, write each batch's
rows before marking its videos done (a SIGKILL loses at most the batch in flight), and
isolate a failing video by re-running its batch one video at a time, so one bad item is
recorded and the run goes on.

Every per-video writer goes through :meth:`LocalEngine.commit`: the stages run here, the
source-driven ingest (its rows come from a file, not from stored ids) and the opinion
backends, so the order invalidate -> running -> write -> ok/failed -> errors is written once.
"""

from __future__ import annotations

from typing import Callable, Iterable, Sequence

import pyarrow as pa

from ..workspace import Store, chunks
from .graph import invalidate
from .stage import FAILED, WARNING_SCHEMA, WARNINGS, Batch, Stage, StageReport

ErrorRow = tuple[str | None, str | None, str]  # video_id, segment_id, message


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
            failed, outputs = self._run_batch(stage, batch)
            run_wide_stale |= self._commit_batch(stage, ids, batch.video_ids, failed, outputs, touched, report,
                                                 run_wide_stale)
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

    def _commit_batch(self, stage: Stage, ids: Sequence[str], present: Sequence[str], failed: dict[str, str],
                      outputs: dict[str, pa.Table], touched: set[str], report: StageReport,
                      run_wide_stale: bool) -> bool:
        """Commit a processed batch of ``ids`` (``present``: those the workspace holds); returns
        whether downstream was marked stale (run-wide dependents are marked once per run)."""
        have = set(present)
        failed.update({v: f"video {v}: not in the workspace" for v in ids if v not in have})
        # a stage sharing its table (replace_where) cannot tell from its own ledger that no rows exist
        fresh = stage.replace_where is None and touched.isdisjoint(ids)
        ok = self.commit(stage, ids, outputs, failed, fresh=fresh, run_scope=not run_wide_stale, report=report)
        return bool(ok)

    def _finish(self, stage: Stage) -> None:
        for name in stage.writes:
            self.store.optimize(name)

    def commit(self, stage: Stage, ids: Sequence[str], outputs: dict[str, pa.Table],
               failed: dict[str, str] | None = None, *, fresh: bool = False, run_scope: bool = True,
               invalidates: bool = True, errors: Iterable[ErrorRow] = (),
               report: StageReport | None = None) -> list[str]:
        """Store one batch's results for ``ids`` (the videos not in ``failed`` succeeded).

        In this order, so that a kill anywhere leaves a state the next run repairs: mark what
        lies downstream of the succeeded videos stale, mark the batch running, replace the
        stage's tables for the batch (``stage.replace_where`` narrows which rows; a failed
        video's rows are emptied unless ``stage.keep_failed``), mark ok/failed, record the
        failures, ``errors`` and the stage's warnings. ``outputs`` may carry the
        :data:`WARNINGS` and :data:`FAILED` tables. ``fresh``: no rows of these videos exist
        yet (skips the deletes). ``invalidates=False``: nothing downstream can hold these
        videos (new to the workspace). Returns the videos that succeeded.
        """
        store = self.store
        outputs = dict(outputs)
        failed = dict(failed or {})
        failed.update(_failed_rows(outputs.pop(FAILED, None)))
        warned = outputs.pop(WARNINGS, None)
        ok = [v for v in ids if v not in failed]
        if ids:
            if ok and invalidates:  # before any write, so a kill leaves them stale
                invalidate(store, stage.name, ok, run_scope=run_scope)
            # "started" before the first write, so a kill from here on is repaired: also for a
            # redone batch, whose old "ok" would otherwise survive a kill between delete and add
            store.mark(stage.name, ids, status="running")
            replaced = ok if stage.keep_failed else list(ids)
            for name in stage.writes:
                rows = outputs[name] if name in outputs else store.schema(name).empty_table()
                store.replace(name, replaced, rows, fresh=fresh, where=stage.replace_where)
                if report is not None:
                    report.written[name] = report.written.get(name, 0) + rows.num_rows
            store.mark(stage.name, ok, {v: failed[v] for v in ids if v in failed})
        store.record_errors(stage.name, [(v, None, e) for v, e in failed.items()])
        rows = list(errors)
        if warned is not None and warned.num_rows:
            rows += zip(*(warned.column(c).to_pylist() for c in WARNING_SCHEMA.names))
        store.record_errors(stage.name, rows)
        if report is not None:
            report.done += len(ok)
            report.failed.update(failed)
        return ok

    @staticmethod
    def _run_batch(stage: Stage, batch: Batch) -> tuple[dict[str, str], dict[str, pa.Table]]:
        """(failed videos, outputs) of the batch; a failing batch is re-run one video at a time."""
        try:
            return {}, stage.process(batch)
        except stage.stop_on:
            raise
        except Exception:
            pass
        failed: dict[str, str] = {}
        parts: dict[str, list[pa.Table]] = {}
        for vid in batch.video_ids:
            try:
                out = stage.process(batch.only(vid))
            except stage.stop_on:
                raise
            except Exception as exc:  # recorded, never raised: the run goes on
                failed[vid] = f"video {vid}: {type(exc).__name__}: {exc}"
                continue
            for name, t in out.items():
                parts.setdefault(name, []).append(t)
        return failed, {n: pa.concat_tables(ts) for n, ts in parts.items()}


def _failed_rows(table: pa.Table | None) -> dict[str, str]:
    if table is None or not table.num_rows:
        return {}
    return dict(zip(table.column("video_id").to_pylist(), table.column("error").to_pylist()))
