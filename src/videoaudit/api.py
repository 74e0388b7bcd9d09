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

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from .pipeline import LocalEngine, StageReport
from .pipeline.graph import invalidate
from .progress import progress_bar  # noqa: F401  (re-exported: demo, benchmarks)
from .workspace import Store

@dataclass
class IngestSummary:
    videos: int = 0
    segments: int = 0
    skipped: int = 0
    rejected: list[str] = field(default_factory=list)
    warnings: int = 0


class Workspace:
    """An audit workspace: a LanceDB directory with every table of the audit."""

    def __init__(self, path: str | Path, text_model: str = "minilm", batch_size: int = 32, progress: bool = False):
        self.path = Path(path)
        self.store = Store(self.path)
        self.text_model = text_model
        self.engine = LocalEngine(self.store, batch_size=batch_size)
        self.progress = progress
        self.last_cascade: dict | None = None

    # -- ingest ---------------------------------------------------------------------
    def ingest(self, source: str | Path, format: str = "action100m", media: str | Path | None = None,
               clip: float | None = None, force: bool = False, batch_size: int = 64, **options) -> IngestSummary:
        """Read a source into the canonical tables, streaming; bad rows are recorded, the rest goes in.

        ``options`` go to the format's reader (fiftyone: ``fields``, ``convention``, ``id_field``).
        """
        from .ingest import RowError, iter_source

        store = self.store
        done = set() if force else store.finished("ingest")
        present = set(self.video_ids())  # rows of these may exist (an interrupted batch): replace them
        summary = IngestSummary()
        pending: list = []

        def flush():
            if not pending:
                return
            ids = [p.video["video_id"] for p in pending]
            fresh = present.isdisjoint(ids)
            store.replace("videos", ids, pa.Table.from_pylist([p.video for p in pending], schema=_schema("videos")),
                          fresh=fresh)
            segs = [s for p in pending for s in p.segments]
            store.replace("segments", ids, pa.Table.from_pylist(segs, schema=_schema("segments")), fresh=fresh)
            warnings = [(p.video["video_id"], None, w) for p in pending for w in p.warnings]
            store.record_errors("ingest", warnings)
            if not fresh:
                invalidate(store, "ingest", ids)
            store.mark("ingest", ids)
            summary.videos += len(ids)
            summary.segments += len(segs)
            summary.warnings += len(warnings)
            pending.clear()

        with progress_bar(self.progress, "ingest", None) as advance:
            for item in iter_source(source, format=format, media_dir=media, clip=clip, **options):
                if isinstance(item, RowError):
                    summary.rejected.append(str(item))
                    store.record_errors("ingest", [(item.video_id, None, str(item))])
                    continue
                vid = item.video["video_id"]
                if vid in done:
                    summary.skipped += 1
                    continue
                pending.append(item)
                advance(1)
                if len(pending) >= batch_size:
                    flush()
            flush()
        store.optimize("videos")
        store.optimize("segments")
        return summary

    # -- opinions -------------------------------------------------------------------
    def import_opinions(self, path: str | Path, source: str, replace: bool = True) -> dict:
        """Import a JSONL of opinions (docs/formats.md); bad lines and unknown videos are recorded errors."""
        from .opinions import read_opinions

        known = set(self.video_ids())
        rows, errors = read_opinions(Path(path), source=source, known_videos=known)
        self.store.record_errors("opinions", errors)
        vids = sorted(set(rows.column("video_id").to_pylist()))
        if replace and vids and self.store.count("opinions"):
            # the source's earlier opinions on these videos are superseded; other sources stay
            existing = self.store.read("opinions", vids)
            keep = existing.filter(pc.invert(pc.is_in(existing.column("source"), pa.array(
                sorted(set(rows.column("source").to_pylist())))))) if existing.num_rows else existing
            rows = pa.concat_tables([keep, rows])
        self.store.replace("opinions", vids, rows)
        invalidate(self.store, "opinions", vids)
        return {"imported": rows.num_rows, "videos": len(vids), "errors": len(errors),
                "error_messages": [e[2] for e in errors[:20]]}

    def run_opinions(self, backend: str, task: str, *, model: str | None = None, query: str | None = None,
                     only: str | None = None, source: str | None = None, options: dict | None = None,
                     video_ids: Sequence[str] | None = None, redo: bool = False):
        """Run an opinion backend (registry name) on the videos; stored like imported opinions (opinions/runner.py).

        ``only="uncertain:0.25"`` = the 25 % least-confident videos of the current confidence map.
        """
        from .models import get
        from .opinions.runner import run_backend, select_videos

        opts = dict(options or {})
        if model is not None:
            opts["model"] = model
        be = get("opinion", backend, **opts)
        ids = list(video_ids) if video_ids is not None else select_videos(self.store, only)
        with progress_bar(self.progress, f"opinions {backend} {task}", len(ids)) as adv:
            return run_backend(self.store, be, task, source=source, query=query, video_ids=ids, redo=redo,
                               on_progress=adv)

    def cascade(self, second_opinion: str, budget: float = 0.25, grounding: str | None = None, **kw) -> dict:
        """Cheap signals everywhere, the second opinion on the least-confident share, grounding where they
        disagree, re-fuse, verdicts; returns the summary with model calls spent vs avoided (opinions/cascade.py)."""
        from .opinions.cascade import run_cascade

        self.last_cascade = run_cascade(self, second_opinion, budget, grounding, **kw)
        return self.last_cascade

    def verdicts(self) -> pa.Table:
        return self.store.read("verdicts")

    # -- run ------------------------------------------------------------------------
    def run(self, stages: Sequence[str] | None = None, redo: bool = False,
            video_ids: Sequence[str] | None = None, **lens_options) -> dict[str, StageReport]:
        """Compute every stage the inputs allow; finished videos are skipped, failures recorded.

        ``lens_options`` (docs/lenses.md): ``visual`` / ``grounding`` / ``transcript`` are
        registry names, ``None`` or ``"none"`` turns a lens off; ``map_method`` is umap | pca |
        tsne; ``visual_options`` / ``grounding_options`` are the pixel lens backends' keyword
        options (``{"model": "/models/Qwen3-VL-Embedding-2B"}``), recorded in the manifest.
        ``video_ids`` restricts the run to some videos (the FiftyOne plugin's "current view").
        The cost-aware second opinion is :meth:`cascade`.
        """
        from .pipeline.run import RunConfig, run_pipeline

        cfg = RunConfig(stages=stages, redo=redo, video_ids=video_ids, **lens_options)
        return run_pipeline(self, cfg)

    # -- lenses ---------------------------------------------------------------------
    def analyse_lenses(self, map_method: str = "umap", k: int = 10, thresholds: dict | None = None) -> dict:
        """Recompute the lens analysis (lens_videos, cross_lens) from the stored vectors."""
        from .lenses.analyse import analyse

        return analyse(self.store, map_method=map_method, k=k, thresholds=thresholds)

    def embeddings(self, lens: str, segments: bool = False) -> pa.Table:
        """A lens's stored vectors: one row per video (``segments=True``: per annotated segment)."""
        from .schema import embeddings_table

        where = "segment_id IS NOT NULL" if segments else "segment_id IS NULL"
        return self.store.read(embeddings_table(lens), where=where)

    def search(self, query: str | None = None, lens: str = "visual", like: str | None = None, k: int = 10,
               segments: bool = False) -> pa.Table:
        """Text -> video (shared-space lenses only) or video -> video (``like=VIDEO_ID``, every lens)."""
        from .lenses.search import search

        return search(self.store, lens, query=query, like=like, k=k, segments=segments)

    def zero_shot(self, lens: str, classes: Sequence[str], template: str = "a video of {}",
                  temperature: float = 0.05, save: bool = False) -> pa.Table:
        """Zero-shot classes from the STORED video vectors of a shared-space lens (no re-embedding).
        ``save=True`` also writes the label and probability into ``lens_videos``."""
        from .lenses.search import zero_shot

        out = zero_shot(self.store, lens, classes, template=template, temperature=temperature)
        if save:
            from .lenses.analyse import save_zero_shot

            save_zero_shot(self.store, lens, out)
        return out

    def cross_lens(self, lens_a: str = "visual", lens_b: str = "transcript", k: int = 10, top: int = 10) -> dict:
        """Videos alike in one lens but not the other (both ways), and the least agreeing videos."""
        from .lenses.analyse import cross_lens_pairs

        return cross_lens_pairs(self.store, lens_a, lens_b, k=k, top=top)

    # -- read -----------------------------------------------------------------------
    def video_ids(self) -> list[str]:
        return self.store.read("videos", columns=["video_id"]).column("video_id").to_pylist()

    def table(self, name: str) -> pa.Table:
        return self.store.read(name)

    def confidence_map(self) -> pa.Table:
        """One row per audited segment: confidence, tier, reasons, signals (JSON)."""
        return self.store.read("confidence")

    def video_confidence(self) -> pa.Table:
        return self.store.read("video_confidence")

    def review_queue(self, limit: int | None = None) -> pa.Table:
        """Audited segments, lowest confidence first."""
        t = self.confidence_map()
        tie = [("risk", "descending")] if "risk" in t.column_names else []  # stronger evidence of a fault first
        t = t.take(pc.sort_indices(t, sort_keys=[("confidence", "ascending"), *tie, ("video_id", "ascending"),
                                                 ("start", "ascending")]))
        return t.slice(0, limit) if limit is not None else t

    def errors(self) -> pa.Table:
        return self.store.read("errors")

    def status(self) -> dict:
        from .opinions.cascade import load

        st = self.store.status()
        c = load(self.path)
        if c:
            st["cascade"] = {k: v for k, v in c.items() if k != "selected"}
        from .lenses.backends import read_records

        lens_backends = read_records(self.path)
        if lens_backends:
            st["lens_backends"] = lens_backends  # which backend + options made each lens's vectors
        if self.store.count("confidence"):
            from .confidence.fuse import evidence_summary

            cols = [c for c in ("tier", "coverage", "to_check") if c in self.store.table("confidence").schema.names]
            st["evidence"] = evidence_summary(self.store.read("confidence", columns=cols).to_pylist())
        return st

    # -- out ------------------------------------------------------------------------
    def export(self, out: str | Path, format: str = "jsonl") -> Path:
        from .export import export

        return export(self, Path(out), format)

    def export_fiftyone(self, dataset: str, fields=None, convention: str = "action100m") -> dict:
        """Create or update FiftyOne dataset ``dataset`` with the audit (optional extra; docs/fiftyone.md)."""
        from .fiftyone.export import export_fiftyone

        return export_fiftyone(self, dataset, fields=fields, convention=convention)

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
        facts = {"errors recorded": self.store.count("errors"), **(extra or {})}
        if cascade:
            facts["cascade"] = describe_savings(cascade)
        data = ReportData(
            videos=self.store.read("videos"), segments=self.store.read("segments"),
            confidence=self.confidence_map(), video_confidence=self.video_confidence(),
            signals=pa.concat_tables([self.store.read("signals"), self.store.read("lens_signals")]),
            opinions=self.store.read("opinions"),
            thumbnails=thumbs, truth=truth_rows, extra=facts,
            lens_videos=self.store.read("lens_videos"), cross_lens=self.store.read("cross_lens"),
            lens_vectors=self._video_vectors() if self.store.count("cross_lens") else None,
            verdicts=self.store.read("verdicts"), cascade=cascade,
        )
        return render_report(data, Path(out))


    def _video_vectors(self) -> dict:
        """{lens: (video ids, (n, d) video-level vectors)} of every lens that stored vectors."""
        from .lens_signals import read_vectors, video_matrix
        from .schema import LENSES

        out = {}
        for lens in LENSES:
            t = read_vectors(self.store, lens)
            if t is not None:
                out[lens] = video_matrix(t)
        return out


def _schema(name: str) -> pa.Schema:
    from .schema import TABLES

    return TABLES[name]
