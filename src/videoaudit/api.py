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
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from .engine import LocalEngine, StageReport
from .workspace import Store

#: stages downstream of the data each of them produces (what to redo when it changes)
DOWNSTREAM = {
    "ingest": ("pixels", "transcript", "signals", "lens_signals", "confidence"),
    "opinions": ("signals", "confidence"),
    "signals": ("confidence",),
    "lens_signals": ("confidence",),
}


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


@contextlib.contextmanager
def progress_bar(enabled: bool, label: str, total: int | None) -> Iterator[Callable[[int], None]]:
    if not enabled:
        yield lambda n=1: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=False) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n=1: bar.advance(task, n)


class Workspace:
    """An audit workspace: a LanceDB directory with every table of the audit."""

    def __init__(self, path: str | Path, text_model: str = "minilm", batch_size: int = 32, progress: bool = False):
        self.path = Path(path)
        self.store = Store(self.path)
        self.text_model = text_model
        self.engine = LocalEngine(self.store, batch_size=batch_size)
        self.progress = progress
        self.last_cascade: dict | None = None
        self.last_learning: dict | None = None

    # -- ingest ---------------------------------------------------------------------
    def ingest(self, source: str | Path, format: str | None = None, media: str | Path | None = None,
               clip: float | None = None, force: bool = False, batch_size: int = 64, **options) -> IngestSummary:
        """Read a source into the canonical tables, streaming; bad rows are recorded, the rest goes in.

        ``format`` None = inferred from the file (ingest/detect.py); an explicit one that the
        content contradicts, or a ``media`` folder that does not exist, is a ValueError.
        ``options`` go to the format's reader (fiftyone: ``fields``, ``convention``, ``id_field``).
        """
        from .ingest import RowError, iter_source
        from .ingest.detect import check_format, detect_format
        from .ingest.warnings import WarningTally

        if media is not None and not Path(media).is_dir():
            raise ValueError(f"--media {media}: no such folder")
        if format is None:
            if not Path(source).is_file():
                raise ValueError(f"{source}: no such file (a FiftyOne dataset name needs format='fiftyone')")
            format = detect_format(source)
        elif format != "fiftyone":
            check_format(source, format)
        store = self.store
        done = set() if force else store.finished("ingest")
        present = set(self.video_ids())  # rows of these may exist (an interrupted batch): replace them
        summary = IngestSummary(format=format)
        tally = WarningTally()
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
            tally.add(w for _, _, w in warnings)
            if not fresh:
                store.forget(DOWNSTREAM["ingest"], ids)
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
        summary.warning_kinds, summary.warning_examples = tally.kinds, tally.examples
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
        self.store.forget(DOWNSTREAM["opinions"], vids)
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

    # -- review ---------------------------------------------------------------------
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
    def run(self, stages: Sequence[str] | None = None, redo: bool = False, visual: str | None = "appearance",
            grounding: str | None = "motion", transcript: str | None = "minilm", map_method: str = "umap",
            second_opinion: str | None = None, budget: float = 0.25, grounding_opinion: str | None = None,
            video_ids: Sequence[str] | None = None, visual_options: dict | None = None,
            grounding_options: dict | None = None, grounding_opinion_options: dict | None = None,
            learn: bool = True, **cascade_options) -> dict[str, StageReport]:
        """Compute every stage the inputs allow; finished videos are skipped, failures recorded.

        Lenses (docs/lenses.md): ``visual`` / ``grounding`` / ``transcript`` are registry names,
        ``None`` or ``"none"`` turns a lens off; ``map_method`` is umap | pca | tsne.
        ``visual_options`` / ``grounding_options`` are the pixel lens backends' keyword options
        (``{"model": "/models/Qwen3-VL-Embedding-2B"}``); they are recorded, and other
        identifying options replace the lens's vectors (lenses/backends.py).

        With ``second_opinion`` it runs the cascade (:meth:`cascade`, docs/opinions.md): the
        second opinion on the least-confident ``budget`` share, ``grounding_opinion`` (an
        opinion backend such as ``people`` or ``molmo2``, options ``grounding_opinion_options``;
        ``grounding_options`` are the grounding LENS's) where they disagree. The cheap
        pass's stage reports are returned and the cascade's summary is ``self.last_cascade``.

        ``video_ids`` restricts the run to some videos (the FiftyOne plugin's "current view").

        With review decisions stored (:meth:`review`), the confidence map is re-tiered after the
        confidence stage: decided segments keep the human verdict, and with enough decisions a
        model refitted from them re-scores the rest (review/learn.py; ``learn=False`` turns it off).
        """
        if second_opinion is not None:
            lens_options = {"stages": stages, "visual": visual, "grounding": grounding, "transcript": transcript,
                            "map_method": map_method, "visual_options": visual_options,
                            "grounding_options": grounding_options, "learn": learn}
            return self.cascade(second_opinion, budget, grounding_opinion, redo=redo, run_options=lens_options,
                                grounding_options=grounding_opinion_options, **cascade_options)["reports"]["cheap"]
        from .confidence import Calibration, FusionConfig
        from .lenses.stages import pixels_stage, sync_backends, transcript_stage
        from .stages import confidence_stage, signals_stage

        off = (None, "none")
        wanted = list(stages or ("pixels", "transcript", "signals", "lens_signals", "confidence", "lenses"))
        wanted = ["pixels" if w == "media" else w for w in wanted]  # the media stage became the pixels stage
        ids = self.video_ids()
        if video_ids is not None:
            keep = set(video_ids)
            ids = [v for v in ids if v in keep]
        reports: dict[str, StageReport] = {}
        if "pixels" in wanted:
            with_media = self.store.read("videos", where="media_path IS NOT NULL", columns=["video_id"])
            wanted_ids = set(ids)
            media_ids = [v for v in with_media.column("video_id").to_pylist() if v in wanted_ids]
            if media_ids:
                from .lenses.backends import LensBackend

                chosen = {k: LensBackend(v, o or {}) for k, v, o in (("visual", visual, visual_options),
                                                                     ("grounding", grounding, grounding_options))
                          if v not in off}
                for lens, spec in chosen.items():  # bad names / options fail here, before a table is dropped
                    try:
                        spec.build(lens)  # cheap: learned backends load their weights on first use
                    except (KeyError, TypeError, ValueError) as exc:
                        raise ValueError(f"{lens} lens backend {spec}: {exc}") from exc
                sync_backends(self.store, "pixels", chosen)
                stage = pixels_stage(visual=visual if "visual" in chosen else None,
                                     grounding=grounding if "grounding" in chosen else None,
                                     visual_options=visual_options, grounding_options=grounding_options)
                label = "pixels (probe, thumbnails" + "".join(f", {k}" for k in chosen) + ")"
                with progress_bar(self.progress, label, len(media_ids)) as adv:
                    reports["pixels"] = self.engine.run(stage, media_ids, adv, redo=redo)
        if "transcript" in wanted and transcript not in off:
            sync_backends(self.store, "transcript", {"transcript": transcript})
            with progress_bar(self.progress, "transcript lens", len(ids)) as adv:
                reports["transcript"] = self.engine.run(transcript_stage(transcript), ids, adv, redo=redo)
        if "signals" in wanted:
            with progress_bar(self.progress, "signals", len(ids)) as adv:
                reports["signals"] = self.engine.run(signals_stage(self.text_model), ids, adv, redo=redo)
            if reports["signals"].done:
                self.store.forget(DOWNSTREAM["signals"])
        if "lens_signals" in wanted:  # after the lens tables exist; nothing when no lens ran
            from .lens_signals import run_lens_signals

            with progress_bar(self.progress, "lens signals", len(ids)) as adv:
                rep = run_lens_signals(self, redo=redo, on_progress=adv)
            if rep is not None:
                reports["lens_signals"] = rep
                if rep.done:
                    self.store.forget(DOWNSTREAM["lens_signals"])
        if "confidence" in wanted:
            cfg = FusionConfig()
            calib = Calibration()
            for name in ("signals", "lens_signals"):
                for rb in self.store.iter_batches(name, columns=["signal", "value"]):
                    calib.update(pa.Table.from_batches([rb]))
            stage = confidence_stage(calib.stats(cfg.min_scale), cfg)
            with progress_bar(self.progress, "confidence", len(ids)) as adv:
                reports["confidence"] = self.engine.run(stage, ids, adv, redo=redo)
            from .review.learn import retier

            self.last_learning = retier(self.store, learn=learn)
        if "lenses" in wanted:
            from .lenses.analyse import needs_analysis

            changed = any(reports[s].done or reports[s].failed for s in ("pixels", "transcript") if s in reports)
            rep = StageReport("lenses")
            if redo or changed or needs_analysis(self.store, map_method):
                self.lens_summary = self.analyse_lenses(map_method=map_method)
                rep.done = len(ids)
            else:
                rep.skipped = len(ids)
            reports["lenses"] = rep
        return reports

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
            from .lenses.analyse import save_zero_shot

            save_zero_shot(self.store, lens, out)
        return label_probabilities(out, classes, self.video_ids())

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

    def review_queue(self, limit: int | None = None) -> pa.Table:
        """Audited segments, lowest confidence first."""
        t = self.store.read("confidence")
        t = t.take(pc.sort_indices(t, sort_keys=[("confidence", "ascending"), ("video_id", "ascending"),
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
        facts = {"errors recorded": self.store.count("errors"), **(extra or {})}
        if cascade:
            facts["cascade"] = describe_savings(cascade)
        data = ReportData(
            videos=self.store.read("videos"), segments=self.store.read("segments"),
            confidence=self.store.read("confidence"), video_confidence=self.video_confidence(),
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
