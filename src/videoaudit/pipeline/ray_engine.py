"""The Ray Data engine: the local engine's stages, ledger and write path, with the work on a Ray cluster.

How a stage runs (docs/scale.md):

* the driver plans exactly as :class:`~videoaudit.pipeline.engine.LocalEngine` does (finished videos
  skipped) and cuts the rest into batches of video ids: one dataset row per batch
  (``ray.data.from_items``);
* a CPU ``map_batches`` task reads each batch's input tables from the workspace, so the driver never
  holds a stage's whole input (Ray Data fuses it into the next step when both ask for the same
  resources; a GPU stage keeps its reads on CPU workers);
* ``map_batches`` runs ``stage.process`` on them: in an actor pool (``ActorPoolStrategy``, up to
  ``concurrency`` actors, ``num_gpus=`` when the stage asks for a GPU) whose constructor calls
  ``stage.setup()``, so weights load once per worker, or in plain tasks for a stage without a model. A video that raises is isolated in the worker
  (the batch is re-run one video at a time, ``LocalEngine._run_batch``);
* the driver takes each result batch as it finishes and hands it to ``LocalEngine.commit``, the one
  write path: downstream invalidated before writing, "running" before the first write, rows
  replaced, then "ok" / "error" in the ledger. Only the driver writes result tables.

Tables cross the process boundary as Arrow IPC streams in binary columns (no pickled data; Ray's
object store carries the bytes). The stage object itself (its code and small configuration) is
shipped to the workers by Ray's cloudpickle, as for any Ray function.
"""

from __future__ import annotations

import logging
import math
import os
import warnings
from pathlib import Path
from typing import Callable, Sequence

import pyarrow as pa

from ..workspace import Store, chunks
from .engine import LocalEngine
from .stage import Batch, Stage, StageReport

MISSING_RAY = "the ray engine needs `pip install videoaudit[ray]`"
_WIRE = pa.schema([("batch", pa.int64()), ("video_ids", pa.list_(pa.string())),
                   ("ok", pa.list_(pa.string())), ("failed_ids", pa.list_(pa.string())),
                   ("failed_errors", pa.list_(pa.string())), ("names", pa.list_(pa.string())),
                   ("tables", pa.list_(pa.large_binary())), ("fatal", pa.string())])


class RayUnavailable(RuntimeError):
    """ray is not installed (the optional ``ray`` extra)."""


class StageSetupError(RuntimeError):
    """A worker could not set the stage up (its model did not load): the stage stops, as locally."""


def import_ray():
    """``ray`` and ``ray.data``, or one clear line saying how to install them."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise RayUnavailable(MISSING_RAY) from None
    return ray


# -- the wire format: a dict of Arrow tables as (names, IPC bytes) -------------------------
def encode_tables(tables: dict[str, pa.Table]) -> tuple[list[str], list[bytes]]:
    names, blobs = [], []
    for name, table in tables.items():
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        names.append(name)
        blobs.append(sink.getvalue().to_pybytes())
    return names, blobs


def decode_tables(names: Sequence[str], blobs: Sequence[bytes]) -> dict[str, pa.Table]:
    return {name: pa.ipc.open_stream(pa.py_buffer(blob)).read_all() for name, blob in zip(names, blobs)}


def _row(batch: int, ids, ok=(), failed: dict | None = None, tables: dict | None = None,
         fatal: str | None = None) -> dict:
    names, blobs = encode_tables(tables or {})
    failed = failed or {}
    return {"batch": batch, "video_ids": list(ids), "ok": list(ok), "failed_ids": list(failed),
            "failed_errors": list(failed.values()), "names": names, "tables": blobs, "fatal": fatal}


def _wire(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=_WIRE)


# -- worker side ------------------------------------------------------------------------
_STORES: dict[str, Store] = {}


def read_inputs(rows: pa.Table, root: str, reads: Sequence[str]) -> pa.Table:
    """A CPU task: each row's batch of video ids -> its input tables, read from the workspace."""
    if root not in _STORES:  # one connection per worker process
        _STORES[root] = Store(root, create=False)
    loader = LocalEngine(_STORES[root])
    out = []
    for b, ids in zip(rows.column("batch").to_pylist(), rows.column("video_ids").to_pylist()):
        out.append(_row(b, ids, tables=loader.load(ids, reads).tables))
    return _wire(out)


def process_rows(stage: Stage, rows: pa.Table, setup_error: BaseException | None = None) -> pa.Table:
    """Each row's input tables -> the stage's outputs, a failing video isolated and recorded;
    with ``setup_error`` every row says so instead (the driver stops the stage on it)."""
    if setup_error is not None:
        fatal = f"{type(setup_error).__name__}: {setup_error}"
        return _wire([_row(b, ids, fatal=fatal) for b, ids in
                      zip(rows.column("batch").to_pylist(), rows.column("video_ids").to_pylist())])
    out = []
    for r in rows.to_pylist():
        batch = Batch(decode_tables(r["names"], r["tables"]))
        failed, outputs = LocalEngine._run_batch(stage, batch)
        ok = [v for v in batch.video_ids if v not in failed]
        out.append(_row(r["batch"], r["video_ids"], ok, failed, outputs))
    return _wire(out)


class StageActor:
    """One worker of a model stage's actor pool: ``setup()`` (the weights) once, then every batch."""

    def __init__(self, stage: Stage):
        self.stage, self.failed = stage, None
        try:
            stage.setup()
        except Exception as exc:  # reported with the batches: a failing constructor would be restarted
            self.failed = exc

    def __call__(self, rows: pa.Table) -> pa.Table:
        return process_rows(self.stage, rows, self.failed)


def process_task(rows: pa.Table, stage: Stage) -> pa.Table:
    """A stage without a model, as a plain task (``setup()`` is idempotent and cheap for those)."""
    try:
        stage.setup()
    except Exception as exc:
        return process_rows(stage, rows, exc)
    return process_rows(stage, rows)


# -- driver side ------------------------------------------------------------------------
def user_error(exc: BaseException) -> BaseException:
    """The exception a worker raised, out of Ray's wrappers (RayTaskError, Ray Data's
    UserCodeException), so a run fails with the same one line under either engine."""
    seen: set[int] = set()
    err: BaseException | None = exc
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if not type(err).__module__.startswith("ray"):
            return err
        err = getattr(err, "cause", None) or err.__cause__
    return exc


def connect(address: str | None = None):
    """Join (or start) Ray once per process, quietly (the run's own progress bar says how far it is).

    ``address`` None starts a local Ray (or joins the one ``RAY_ADDRESS`` names) whose workers
    import this very videoaudit; ``"auto"`` / ``HOST:PORT`` join a running cluster, whose nodes
    must have videoaudit installed."""
    ray = import_ray()
    if not ray.is_initialized():
        kwargs: dict = {"include_dashboard": False, "logging_level": logging.WARNING, "log_to_driver": False}
        if address is None:
            src = str(Path(__file__).resolve().parents[2])
            path = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p)
            kwargs["runtime_env"] = {"env_vars": {"PYTHONPATH": path}}
        with warnings.catch_warnings():  # Ray fork-execs its processes: lance / lancedb warn of a fork
            warnings.filterwarnings("ignore", message=".*fork", category=Warning)
            ray.init(address=address, **kwargs)
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    ctx.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    return ray


class RayEngine(LocalEngine):
    """The same ``run`` contract as :class:`LocalEngine`; the stage's batches run on Ray Data.

    ``address``: None starts (or joins, with ``RAY_ADDRESS`` set) a local Ray; ``"auto"`` or
    ``HOST:PORT`` joins a running cluster. ``concurrency``: most actors of a model stage's pool
    (default: as many as the cluster's GPUs, or CPUs, allow). Workers read the workspace by its
    absolute path, so on a cluster it must be reachable from every node (docs/scale.md).
    """

    def __init__(self, store: Store, batch_size: int = 8, address: str | None = None,
                 concurrency: int | None = None):
        super().__init__(store, batch_size=batch_size)
        self.address = address
        self.concurrency = concurrency

    def run(self, stage: Stage, video_ids: Sequence[str] | None = None,
            on_progress: Callable[[int], None] | None = None, redo: bool = False) -> StageReport:
        todo, touched, report = self._plan(stage, video_ids, redo)
        if not todo:
            return report
        ray = connect(self.address)  # ray.data is imported with it
        items = [{"batch": i, "video_ids": ids} for i, ids in enumerate(chunks(todo, self.batch_size))]
        root = str(Path(self.store.root).absolute())
        ds = ray.data.from_items(items, override_num_blocks=len(items))
        ds = ds.map_batches(read_inputs, batch_size=1, batch_format="pyarrow", zero_copy_batch=True,
                            fn_kwargs={"root": root, "reads": list(stage.reads)}, num_cpus=1)
        ds = ds.map_batches(**self._process_args(stage, ray, len(items)))
        run_wide_stale = False
        try:
            for block in ds.iter_batches(batch_size=None, batch_format="pyarrow", prefetch_batches=0):
                for r in block.to_pylist():
                    if r["fatal"]:  # as locally, where setup() raises out of the run before any write
                        raise StageSetupError(f"stage {stage.name}: a worker could not set it up: {r['fatal']}")
                    failed = dict(zip(r["failed_ids"], r["failed_errors"]))
                    outputs = decode_tables(r["names"], r["tables"])
                    present = [*r["ok"], *r["failed_ids"]]
                    run_wide_stale |= self._commit_batch(stage, r["video_ids"], present, failed, outputs, touched,
                                                         report, run_wide_stale)
                    if on_progress:
                        on_progress(len(r["video_ids"]))
        except StageSetupError:
            raise
        except Exception as exc:  # a worker's own exception where Ray kept it, else Ray's wrapper
            raise user_error(exc) from exc
        self._finish(stage)
        return report

    def _process_args(self, stage: Stage, ray, batches: int) -> dict:
        """``map_batches`` arguments: an actor pool for a model stage, plain tasks otherwise."""
        res = stage.resources
        args: dict = {"batch_size": 1, "batch_format": "pyarrow", "zero_copy_batch": True,
                      "num_cpus": res.num_cpus}
        if res.num_gpus:
            args["num_gpus"] = res.num_gpus
        if not res.uses_model:
            return {**args, "fn": process_task, "fn_kwargs": {"stage": stage}}
        most = self.concurrency or self._pool_size(ray, res)
        most = max(1, min(most, batches))
        return {**args, "fn": StageActor, "fn_constructor_kwargs": {"stage": stage},
                "compute": ray.data.ActorPoolStrategy(min_size=1, max_size=most)}

    @staticmethod
    def _pool_size(ray, res) -> int:
        total = ray.cluster_resources()
        if res.num_gpus:
            return max(1, math.floor(total.get("GPU", 0) / res.num_gpus))
        return max(1, math.floor(total.get("CPU", 1) / max(res.num_cpus, 1e-9)) - 1)  # one CPU for the reads
