"""The Python API; the command line is a thin layer over it.

    import videoaudit as va
    ws = va.Workspace("audit/")
    ws.ingest("annotations.parquet", format="action100m", media="videos/")
    ws.import_opinions("opinions.jsonl", source="qwen3-vl")
    ws.run()
    cmap = ws.confidence_map()          # pyarrow Table, one row per audited segment
    ws.export("review.jsonl", format="jsonl")
"""

from __future__ import annotations

import contextlib
import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from .pipeline import LocalEngine, Stage, StageReport
from .pipeline.graph import invalidate
from .progress import progress_bar  # noqa: F401  (re-exported: demo, benchmarks)
from .workspace import Store

if TYPE_CHECKING:
    from .ingest.warnings import WarningTally



def _source_driven(batch):
    raise TypeError("the ingest stage reads a source file: Workspace.ingest commits its batches")


#: ingest as the engine sees it: the ledger name and the tables it owns (rows come from a source,
#: not from stored ids, so Workspace.ingest reads them and the engine only commits each batch)
INGEST = Stage("ingest", _source_driven, writes=("videos", "segments"), reads=())


@dataclass
class IngestSummary:
    videos: int = 0
    segments: int = 0
    skipped: int = 0
    rejected: list[str] = field(default_factory=list)
    warnings: int = 0
    format: str | None = None  # the format read (inferred when not given)
    warning_kinds: dict[str, int] = field(default_factory=dict)  # kind of warning -> how many
    warning_examples: list[str] = field(default_factory=list)  # the first few, in full


def _writes(method):
    """The method writes the workspace: it runs holding the workspace's writer lock (lock.py)."""

    @functools.wraps(method)
    def locked(self, *args, **kwargs):
        with self.writing():
            return method(self, *args, **kwargs)

    return locked


class Workspace:
    """An audit workspace: a LanceDB directory with every table of the audit.

    ``create=False`` opens an existing workspace only (what reading commands use: a mistyped
    path is an error, not a new empty workspace). Writing methods hold the workspace's lock;
    a second writer is refused naming the holder, or waits for it with ``wait=True``.
    """

    def __init__(self, path: str | Path, text_model: str | None = None, batch_size: int = 32, progress: bool = False,
                 device: str | None = None, create: bool = True, wait: bool = False):
        """``text_model``: the signals' sentence embedder by registry name (default: models.text.DEFAULT_TEXT_MODEL).
        ``device``: "cpu", "cuda", "cuda:1", ... for every model of a run; None picks CUDA when visible."""
        from .models.text import DEFAULT_TEXT_MODEL

        self.path = Path(path)
        self.store = Store(self.path, create=create)
        self.wait = wait
        self.text_model = text_model or DEFAULT_TEXT_MODEL
        self.device = device
        self.engine = LocalEngine(self.store, batch_size=batch_size)
        self.progress = progress
        self.last_cascade = None  # the last cascade's opinions.cascade.CascadeSummary
        self.last_learning: dict | None = None

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the writer lock (re-entrant in one process) and make sure the manifest exists."""
        from .errors import storage_error
        from .lock import WriterLock
        from .manifest import ensure_manifest

        lock = WriterLock(self.path)
        try:
            lock.acquire(wait=self.wait)
        except OSError as exc:  # a read-only workspace fails here, before any table is touched
            raise (storage_error(self.path, exc) or exc) from exc
        try:
            try:
                ensure_manifest(self.path)
            except OSError as exc:
                raise (storage_error(self.path, exc) or exc) from exc
            yield
        finally:
            try:
                if lock.outermost():
                    from .status import remember

                    remember(self.path)  # the next `videoaudit status` reads it without pylance
            finally:
                lock.release()

    # -- ingest ---------------------------------------------------------------------
    @_writes
    def ingest(self, source: str | Path, format: str | None = None, media: str | Path | None = None,
               clip: float | None = None, force: bool = False, batch_size: int = 64, **options) -> IngestSummary:
        """Read a source into the canonical tables, streaming; bad rows are recorded, the rest goes in.

        ``format`` None = inferred from the file (ingest/detect.py); an explicit one that the
        content contradicts, or a ``media`` folder that does not exist, is a ValueError.
        ``options`` go to the format's reader (fiftyone: ``fields``, ``convention``, ``id_field``).
        """
        from .ingest import iter_source
        from .ingest.warnings import WarningTally

        format = _source_format(source, format, media)
        store = self.store
        summary = IngestSummary(format=format)
        batches = _IngestBatches(self.engine, done=set() if force else store.finished("ingest"),
                                 present=set(self.video_ids()), summary=summary, tally=WarningTally())
        with progress_bar(self.progress, "ingest", None) as advance:
            for item in iter_source(source, format=format, media_dir=media, clip=clip, **options):
                if batches.add(item):
                    advance(1)
                    if batches.full(batch_size):
                        batches.flush()
            batches.flush()
        summary.warning_kinds, summary.warning_examples = batches.tally.kinds, batches.tally.examples
        store.optimize("videos")
        store.optimize("segments")
        return summary

    # -- opinions -------------------------------------------------------------------
    @_writes
    def import_opinions(self, path: str | Path, source: str, replace: bool = True) -> dict:
        """Import a JSONL of opinions (docs/formats.md); bad lines and unknown videos are recorded errors."""
        from .opinions import read_opinions

        vids = self.store.read("videos", columns=["video_id", "duration"])
        known = dict(zip(vids.column("video_id").to_pylist(), vids.column("duration").to_pylist()))
        rows, errors = read_opinions(Path(path), source=source, known_videos=known)
        self.store.record_errors("opinions", errors)
        vids = sorted(set(rows.column("video_id").to_pylist()))
        if replace and vids and self.store.count("opinions"):
            # the source's earlier opinions on these videos are superseded; other sources stay
            existing = self.store.read("opinions", vids)
            keep = existing.filter(pc.invert(pc.is_in(existing.column("source"), pa.array(
                sorted(set(rows.column("source").to_pylist())))))) if existing.num_rows else existing
            rows = pa.concat_tables([keep, rows])
        invalidate(self.store, "opinions", vids)  # before the write: a kill in between leaves them stale
        self.store.replace("opinions", vids, rows)
        return {"imported": rows.num_rows, "videos": len(vids), "errors": len(errors),
                "error_messages": [e[2] for e in errors[:20]]}

    @_writes
    def run_opinions(self, backend: str, task: str, *, model: str | None = None, query: str | None = None,
                     only: str | None = None, source: str | None = None, options: dict | None = None,
                     video_ids: Sequence[str] | None = None, redo: bool = False):
        """Run an opinion backend (registry name) on the videos; stored like imported opinions (opinions/runner.py).

        ``only="uncertain:0.25"`` = the 25 % least-confident videos of the current confidence map.
        """
        from .models import get
        from .opinions.runner import run_backend, select_videos

        from .models.device import with_device

        opts = dict(with_device(options, self.device, "opinion", backend) or {})
        if model is not None:
            opts["model"] = model
        be = get("opinion", backend, **opts)
        ids = list(video_ids) if video_ids is not None else select_videos(self.store, only)
        with progress_bar(self.progress, f"opinions {backend} {task}", len(ids)) as adv:
            return run_backend(self.store, be, task, source=source, query=query, video_ids=ids, redo=redo,
                               on_progress=adv)

    @_writes
    def cascade(self, second_opinion: str, budget: float = 0.25, grounding: str | None = None, **kw):
        """Cheap signals everywhere, the second opinion on the least-confident share, grounding where they
        disagree, re-fuse, verdicts; returns the CascadeSummary: model calls spent vs avoided (opinions/cascade.py)."""
        from .opinions.cascade import run_cascade

        self.last_cascade = run_cascade(self, second_opinion, budget, grounding, **kw)
        return self.last_cascade

    # -- review ---------------------------------------------------------------------
    @_writes
    def review(self, video_id: str | None, segment_id: str, verdict: str, field: str | None = None,
               text: str | None = None, reviewer: str | None = None) -> dict:
        """Store one decision (ok | wrong | fixed, for one GPT field or the whole segment: ``field=None``).

        It shows in the confidence map at once (tier ``reviewed-ok`` / ``reviewed-wrong``); the
        next :meth:`run` also learns from all decisions (review/learn.py). Raises ValueError
        (ReviewError) naming the segment and the cause for a decision that cannot be stored.
        """
        from .review import Decision, ReviewError, store_decisions
        from .review.learn import apply_decisions

        out = store_decisions(self.store, [Decision(video_id, segment_id, verdict, field, text, reviewer)])
        if out["errors"]:
            raise ReviewError(out["errors"][0])
        apply_decisions(self.store, out["video_ids"])
        return out

    @_writes
    def import_reviews(self, path: str | Path, reviewer: str | None = None) -> dict:
        """Decisions from a JSONL file (``{"video_id", "segment_id", "verdict", "field"?, "text"?}`` per line);
        bad lines are reported ("line N: cause") and skipped."""
        from .review import import_jsonl
        from .review.learn import apply_decisions

        out = import_jsonl(self.store, Path(path), reviewer=reviewer)
        if out["stored"]:
            apply_decisions(self.store, out["video_ids"])
        return out

    def reviews(self, current: bool = False) -> pa.Table:
        """Every stored decision (``current=True``: only the one that counts per segment and field)."""
        from .review import current as newest

        t = self.store.read("reviews")
        return newest(t) if current else t

    def verdicts(self) -> pa.Table:
        return self.store.read("verdicts")

    # -- run ------------------------------------------------------------------------
    @_writes
    def run(self, stages: Sequence[str] | None = None, redo: bool = False,
            video_ids: Sequence[str] | None = None, learn: bool = True, engine: str = "local",
            ray_address: str | None = None, **lens_options) -> dict[str, StageReport]:
        """Compute every stage the inputs allow; finished videos are skipped, failures recorded.

        ``lens_options`` (docs/lenses.md): ``visual`` / ``grounding`` / ``transcript`` are
        registry names, ``None`` or ``"none"`` turns a lens off; ``map_method`` is umap | pca |
        tsne; ``visual_options`` / ``grounding_options`` are the pixel lens backends' keyword
        options (``{"model": "/models/Qwen3-VL-Embedding-2B"}``), recorded in the manifest.
        ``video_ids`` restricts the run to some videos (the FiftyOne plugin's "current view").
        The cost-aware second opinion is :meth:`cascade`.

        ``engine="ray"`` runs the per-video stages on Ray Data (pipeline/ray_engine.py, docs/scale.md):
        the same stages and ledger, results written here by this process; ``ray_address`` joins a
        running cluster (``"auto"`` or ``HOST:PORT``; None starts a local one).

        With review decisions stored (:meth:`review`), the confidence map is re-tiered after the
        confidence stage: decided segments keep the human verdict, and with enough decisions a
        model refitted from them re-scores the rest (review/learn.py; ``learn=False`` turns it off).
        """
        from .pipeline.run import RunConfig, run_pipeline

        cfg = RunConfig(stages=stages, redo=redo, video_ids=video_ids, learn=learn, **lens_options)
        with self.using_engine(engine, ray_address):
            self._record_device()
            return run_pipeline(self, cfg)

    @contextlib.contextmanager
    def using_engine(self, engine: str = "local", ray_address: str | None = None) -> Iterator[None]:
        """Within the block ``self.engine`` is the chosen engine (every planner and the cascade's
        re-runs go through it): ``local`` or ``ray``."""
        if engine == "local":
            yield
            return
        if engine != "ray":
            raise ValueError(f"unknown engine {engine!r}; one of local, ray")
        from .pipeline.ray_engine import RayEngine, import_ray

        import_ray()  # a missing ray fails here, before anything is written
        local, self.engine = self.engine, RayEngine(self.store, address=ray_address)
        try:
            yield
        finally:
            self.engine = local

    def text_embedder(self):
        """The signals' text model (one instance per process and settings, from the registry)."""
        from .models.text_cache import text_embedder

        return text_embedder(self.text_model, self.device, self.path)

    def _record_device(self) -> None:
        from .manifest import record_run_device
        from .models.device import pick_device

        record_run_device(self.path, pick_device(self.device))

    # -- lenses ---------------------------------------------------------------------
    @_writes
    def analyse_lenses(self, map_method: str = "umap", k: int = 10, thresholds: dict | None = None) -> dict:
        """Recompute the lens analysis (lens_videos, cross_lens) from the stored vectors."""
        from .lenses.analysis_stage import analyse

        return analyse(self.store, map_method=map_method, k=k, thresholds=thresholds)

    def embeddings(self, lens: str, segments: bool = False) -> pa.Table:
        """A lens's stored vectors: one row per video (``segments=True``: per annotated segment)."""
        from .schema import embeddings_table

        where = "segment_id IS NOT NULL" if segments else "segment_id IS NULL"
        return self.store.read(embeddings_table(lens), where=where)

    def search(self, query: str | None = None, lens: str = "visual", like: str | None = None, k: int = 10,
               segments: bool = False) -> pa.Table:
        """Text -> video (shared-space lenses only) or video -> video (``like=VIDEO_ID``, every lens).

        Each hit has its title, text (the segment's or the root's summary_brief), start / end and
        a thumbnail JPEG path (lenses/results.py) beside its similarity and rank."""
        from .lenses.results import describe_hits
        from .lenses.search import search

        return describe_hits(self.store, search(self.store, lens, query=query, like=like, k=k, segments=segments))

    def zero_shot(self, lens: str, classes: Sequence[str], template: str = "a video of {}",
                  temperature: float = 0.05, save: bool = False) -> pa.Table:
        """Zero-shot classes from the STORED video vectors of a shared-space lens (no re-embedding).

        One row per video: label, prob, ``p_<class>`` per class; a video the lens has no vector
        of is a row with ``has_vector`` false and no label. ``save=True`` also writes the label
        and probability into ``lens_videos``."""
        from .lenses.results import label_probabilities
        from .lenses.search import zero_shot

        classes = list(classes)
        out = zero_shot(self.store, lens, classes, template=template, temperature=temperature)
        if save:
            from .lenses.analysis_stage import save_zero_shot

            with self.writing():
                save_zero_shot(self.store, lens, out)
        return label_probabilities(out, classes, self.video_ids())

    def cross_lens(self, lens_a: str = "visual", lens_b: str = "transcript", k: int = 10, top: int = 10) -> dict:
        """Videos alike in one lens but not the other (both ways), and the least agreeing videos."""
        from .lenses.analysis_stage import cross_lens_pairs

        return cross_lens_pairs(self.store, lens_a, lens_b, k=k, top=top)

    # -- read -----------------------------------------------------------------------
    def video_ids(self) -> list[str]:
        """Every video id, in table order: the id column alone (the rows carry the texts)."""
        return self.store.read("videos", columns=["video_id"]).column("video_id").to_pylist()

    def table(self, name: str) -> pa.Table:
        return self.store.read(name)

    def confidence_map(self) -> pa.Table:
        """One row per audited segment: confidence, tier, reasons, the five annotation texts,
        ``fused_confidence`` (the fusion's own value; ``confidence`` differs after a refit from
        review decisions), ``evidence_coverage``, one float column per signal, and the stored
        ``signals`` (notebook.py)."""
        from .notebook import wide_confidence

        return wide_confidence(self.store)

    def explain(self, video_id: str, segment_id: str, show: bool = True):
        """Each signal of one segment: value, weight, contribution (leave-one-out), the evidence
        quoted, and why it is or is not a reason; printed with rich unless ``show=False``."""
        from .notebook import explain

        out = explain(self.store, video_id, segment_id)
        if show:
            from rich.console import Console

            from .term import output_width

            Console(width=output_width()).print(out)
        return out

    def __repr__(self) -> str:
        from .notebook import summary

        return summary(self)

    def video_confidence(self) -> pa.Table:
        return self.store.read("video_confidence")

    def review_queue(self, limit: int | None = None, explore: bool = True) -> pa.Table:
        """Audited segments to look at next: lowest confidence first, one place in five for a
        segment at the map's decision boundary (``explore``; review/queue.py says why), decided
        ones last; ``queued_for`` says why each row is where it is. Only the sort keys are read
        to order it (``explore=False`` with ``limit``: the best ``limit`` kept, a batch at a time),
        then the rows asked for."""
        from .export import stream
        from .review.queue import DECIDED, KEY_COLUMNS, LOWEST, REVIEWED, queue_order

        limit = None if limit is None else max(0, int(limit))
        ds = stream.dataset(self.store, "confidence")
        if ds is None:
            return self.store.read("confidence").append_column("queued_for", pa.array([], pa.string()))
        if not explore and limit is not None:  # already in order: the reason follows the tier
            t = ds.take(stream.queue_head(ds, limit).tolist())
            why = [REVIEWED if tier in DECIDED else LOWEST for tier in t.column("tier").to_pylist()]
            return t.append_column("queued_for", pa.array(why, pa.string()))
        parts = list(stream.scan(ds, [c for c in KEY_COLUMNS if c in ds.schema.names]))
        keys = pa.concat_tables(parts) if parts else None
        if keys is None or not keys.num_rows:
            return ds.take([]).append_column("queued_for", pa.array([], pa.string()))
        order, why = queue_order(keys.drop_columns([stream.POS]), explore=explore)
        if limit is not None:
            order, why = order[:limit], why[:limit]
        pos = keys.column(stream.POS).to_numpy()[order]
        return ds.take(pos.tolist()).append_column("queued_for", pa.array(why.tolist(), pa.string()))

    def errors(self) -> pa.Table:
        return self.store.read("errors")

    def status(self) -> dict:
        from .status import workspace_status

        st = workspace_status(self.path)
        if self.store.count("confidence"):
            from .confidence.fuse import evidence_summary

            cols = [c for c in ("tier", "coverage", "to_check") if c in self.store.table("confidence").schema.names]
            st["evidence"] = evidence_summary(self.store.read("confidence", columns=cols).to_pylist())
        return st

    # -- out ------------------------------------------------------------------------
    def export(self, out: str | Path, format: str = "jsonl", apply_reviews: bool = False,
               min_tier: str | None = None) -> Path:
        """jsonl / parquet / csv (the review queue) or action100m (the release, kept annotations only).

        ``apply_reviews``: wrong fields removed, fixed texts applied (export/reviewed.py);
        ``min_tier``: the lowest tier kept (default: trusted for action100m, everything otherwise).
        """
        from .export import export

        return export(self, Path(out), format, apply_reviews=apply_reviews, min_tier=min_tier)

    def export_fiftyone(self, dataset: str, fields=None, convention: str = "action100m",
                        apply_reviews: bool = False) -> dict:
        """Create or update FiftyOne dataset ``dataset`` with the audit (optional extra; docs/fiftyone.md).
        Decisions made in the App are read back first; ``apply_reviews`` applies them to the labels."""
        from .fiftyone.export import export_fiftyone

        return export_fiftyone(self, dataset, fields=fields, convention=convention, apply_reviews=apply_reviews)

    def report(self, out: str | Path, truth: str | Path | None = None, extra: dict | None = None) -> Path:
        from .report import ReportData, render_report

        thumbs: dict[str, list[tuple[float, bytes]]] = {}
        for r in self.store.read("thumbnails").to_pylist():
            thumbs.setdefault(r["video_id"], []).append((r["t"], r["jpeg"]))
        truth_rows = None
        if truth is not None and Path(truth).exists():
            truth_rows = [json.loads(line) for line in Path(truth).read_text().splitlines() if line.strip()]
        from .opinions.cascade import describe_savings, load

        cascade = load(self.path)
        from .failures import error_summary

        n_errors, causes = error_summary(self.store)  # one count, shown with its messages
        facts = {"errors": {"count": n_errors, "messages": [f"{n} × {c}" for c, n, _ in causes]}, **(extra or {})}
        if cascade:
            facts["cascade"] = describe_savings(cascade)
        from .display import read_for_display as shown  # streamed, every text cut: memory bounded

        data = ReportData(
            videos=shown(self.store, "videos"), segments=shown(self.store, "segments"),
            confidence=shown(self.store, "confidence"), video_confidence=shown(self.store, "video_confidence"),
            signals=pa.concat_tables([shown(self.store, "signals"), shown(self.store, "lens_signals")]),
            opinions=shown(self.store, "opinions"),
            thumbnails=thumbs, truth=truth_rows, extra=facts,
            lens_videos=self.store.read("lens_videos"), cross_lens=self.store.read("cross_lens"),
            lens_vectors=self._video_vectors() if self.store.count("cross_lens") else None,
            verdicts=self.store.read("verdicts"), cascade=cascade,
        )
        return render_report(data, Path(out))


    def _video_vectors(self) -> dict:
        """{lens: (video ids, (n, d) video-level vectors)} of every lens that stored vectors."""
        from .lenses.vectors import read_vectors, video_matrix
        from .schema import LENSES

        out = {}
        for lens in LENSES:
            t = read_vectors(self.store, lens)
            if t is not None:
                out[lens] = video_matrix(t)
        return out


def _source_format(source: str | Path, format: str | None, media: str | Path | None) -> str:
    """The source's format: ``format`` checked against the content, or inferred from it."""
    from .ingest.detect import check_format, detect_format

    if media is not None and not Path(media).is_dir():
        raise ValueError(f"--media {media}: no such folder")
    if format is None:
        if not Path(source).is_file():
            raise ValueError(f"{source}: no such file (a FiftyOne dataset name needs format='fiftyone')")
        return detect_format(source)
    if format != "fiftyone":
        check_format(source, format)
    return format


@dataclass
class _IngestBatches:
    """Ingest's state while a source streams in: the batch being filled, the ids read so far and
    the rows rejected since the last write (recorded with the next batch: one write, not one per
    bad row)."""

    engine: LocalEngine
    done: set[str]  # finished earlier: skipped
    present: set[str]  # rows of these may exist (an interrupted batch): replace them
    summary: IngestSummary
    tally: WarningTally
    pending: list = field(default_factory=list)
    seen: dict[str, str] = field(default_factory=dict)  # video id -> where in this source it was first read
    rejected: list = field(default_factory=list)
    reingested: bool = False  # run-wide stale marks: once, at the first batch that replaces videos

    def reject(self, err) -> None:
        self.summary.rejected.append(str(err))
        self.rejected.append((err.video_id, None, str(err)))

    def add(self, item) -> bool:
        """Take one item of the source; True when it joined the batch."""
        from .ingest import RowError

        if isinstance(item, RowError):
            self.reject(item)
            return False
        vid = item.video["video_id"]
        if vid in self.seen:  # never merged: the first row of an id is kept, the others rejected
            self.reject(RowError(vid, f"duplicate video id ({item.where or 'later row'}; first read at "
                                      f"{self.seen[vid]}): this row is skipped, the first one is kept"))
            return False
        self.seen[vid] = item.where or "an earlier row"
        if vid in self.done:
            self.summary.skipped += 1
            return False
        self.pending.append(item)
        return True

    def full(self, batch_size: int) -> bool:
        return len(self.pending) >= batch_size or len(self.rejected) >= 4096

    def flush(self) -> None:
        """Commit the batch (and the rejected rows) through the engine, and count it."""
        pending, summary = self.pending, self.summary
        videos, segs, bad = _arrow_rows(pending) if pending else (None, None, [])
        for err in bad:
            self.reject(err)
        kept = set(videos.column("video_id").to_pylist()) if videos is not None else set()
        pending[:] = [p for p in pending if p.video["video_id"] in kept]
        ids = [p.video["video_id"] for p in pending]
        fresh = self.present.isdisjoint(ids)
        warnings = [(p.video["video_id"], None, w) for p in pending for w in p.warnings]
        # a new video has nothing downstream yet: only a re-ingested one makes results stale
        self.engine.commit(INGEST, ids, {"videos": videos, "segments": segs} if ids else {}, fresh=fresh,
                           invalidates=not fresh, run_scope=not self.reingested, errors=self.rejected + warnings)
        self.reingested = self.reingested or not fresh
        self.rejected.clear()
        self.tally.add(w for _, _, w in warnings)
        summary.videos += len(ids)
        summary.segments += segs.num_rows if ids else 0
        summary.warnings += len(warnings)
        pending.clear()


def _arrow_rows(pending: list) -> tuple[pa.Table, pa.Table, list]:
    """The videos and segments tables of a batch of ingested videos, and a RowError for each
    video whose values do not fit the schema (a wrong type); the others are unaffected."""
    from .ingest import RowError

    try:
        return (pa.Table.from_pylist([p.video for p in pending], schema=_schema("videos")),
                pa.Table.from_pylist([s for p in pending for s in p.segments], schema=_schema("segments")), [])
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        pass
    videos, segs, bad = [], [], []
    for p in pending:  # the batch failed: convert each video alone to find the culprit(s)
        try:
            v = pa.Table.from_pylist([p.video], schema=_schema("videos"))
            sg = pa.Table.from_pylist(p.segments, schema=_schema("segments"))
        except (pa.ArrowException, TypeError, ValueError, OverflowError) as exc:
            where = f" ({p.where})" if p.where else ""
            bad.append(RowError(p.video.get("video_id"), f"a value of the wrong type: {type(exc).__name__}: "
                                                         f"{' '.join(str(exc).split())[:200]}{where}"))
            continue
        videos.append(v)
        segs.append(sg)
    return (pa.concat_tables(videos) if videos else _schema("videos").empty_table(),
            pa.concat_tables(segs) if segs else _schema("segments").empty_table(), bad)


def _schema(name: str) -> pa.Schema:
    from .schema import TABLES

    return TABLES[name]
