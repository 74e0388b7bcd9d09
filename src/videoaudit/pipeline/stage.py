"""What a stage is: a named, pure step over a batch of videos that declares what it reads and writes.

In the style of NeMo Curator / Ray Data stages: ``setup()`` loads what is expensive (model
weights) once per worker, ``process(batch)`` turns Arrow rows into Arrow rows and never
touches the workspace, so the same object runs in the local engine, batch after batch,
or inside Ray Data's ``map_batches`` on a cluster.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import pyarrow as pa

from ..workspace import filter_ids
from .graph import DEPENDS_ON


@dataclass
class Batch:
    """The rows of a few videos that a stage reads; every table is in its canonical schema."""

    tables: dict[str, pa.Table]

    def table(self, name: str) -> pa.Table:
        return self.tables[name]

    @property
    def videos(self) -> pa.Table:
        return self.tables["videos"]

    @property
    def segments(self) -> pa.Table:
        return self.tables["segments"]

    @property
    def opinions(self) -> pa.Table:
        return self.tables["opinions"]

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
#: an output a stage may add when it isolated per-video failures itself (one batched model call
#: whose answers are checked one by one): (video_id, error); those videos count as failed
FAILED = "_failed"
FAILED_SCHEMA = pa.schema([pa.field("video_id", pa.string()), pa.field("error", pa.string())])


@dataclass(frozen=True)
class Resources:
    """What one worker of the stage needs (Ray's actor pools read it; the local engine ignores it)."""

    num_cpus: float = 1.0
    num_gpus: float = 0.0
    uses_model: bool = False  # holds weights: run in an actor pool so they load once per worker


def model_resources(backends: "Sequence[tuple[str, str | None]]", device: str | None = None) -> Resources:
    """What a stage running these ``(role, registry name)`` backends asks of a worker: an actor
    (weights load once per worker) when one of them has weights (its factory takes a ``device``,
    weight-free ones do not), and a GPU when such a model runs on CUDA (``device``, or one visible)."""
    from ..models.device import accepts_device, pick_device
    from ..models.registry import factory

    learned = False
    for role, name in backends:
        if name in (None, "none"):
            continue
        fn = factory(role, name) or (factory("text", "sentence-transformers") if role == "text" else None)
        learned |= fn is not None and accepts_device(fn)
    if not learned:
        return Resources()
    return Resources(num_gpus=1.0 if pick_device(device).startswith("cuda") else 0.0, uses_model=True)


@dataclass
class Stage:
    """A pipeline stage. ``fn`` is the pure per-batch function; ``init`` (optional) builds what
    it needs once per worker and is called by :meth:`setup`."""

    name: str
    fn: StageFn
    writes: tuple[str, ...]  # tables whose per-video rows this stage owns
    reads: tuple[str, ...] = ("videos", "segments", "opinions")
    resources: Resources = field(default_factory=Resources)
    init: Callable[[], None] | None = None
    #: SQL predicate narrowing the rows a batch replaces (opinions: this source's rows of this
    #: kind, so other sources and tasks stay); None = every row of the batch's videos
    replace_where: str | None = None
    #: a failed video keeps its earlier rows (a paid model answer outlives a later failed call)
    keep_failed: bool = False
    #: errors that stop the whole run instead of failing one video (an unreachable endpoint)
    stop_on: tuple[type[BaseException], ...] = ()

    @property
    def depends_on(self) -> tuple[str, ...]:
        return tuple(DEPENDS_ON.get(self.name, {}))

    def setup(self) -> None:
        """Once per worker, before the first batch (loads models); idempotent."""
        if self.init is not None:
            self.init()

    def process(self, batch: Batch) -> dict[str, pa.Table]:
        return self.fn(batch)


@dataclass
class StageReport:
    stage: str
    done: int = 0
    skipped: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    written: dict[str, int] = field(default_factory=dict)  # table -> rows written by this run
