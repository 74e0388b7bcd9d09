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
    "ingest": ("media", "signals", "confidence"),
    "opinions": ("signals", "confidence"),
    "signals": ("confidence",),
}


@dataclass
class IngestSummary:
    videos: int = 0
    segments: int = 0
    skipped: int = 0
    rejected: list[str] = field(default_factory=list)
    warnings: int = 0


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

    # -- run ------------------------------------------------------------------------
    def run(self, stages: Sequence[str] | None = None, redo: bool = False,
            video_ids: Sequence[str] | None = None) -> dict[str, StageReport]:
        """Compute every stage the inputs allow; finished videos are skipped, failures recorded.

        ``video_ids`` restricts the run to some videos (the FiftyOne plugin's "current view").
        """
        from .confidence import Calibration, FusionConfig
        from .stages import confidence_stage, media_stage, signals_stage

        wanted = list(stages or ("media", "signals", "confidence"))
        ids = self.video_ids()
        if video_ids is not None:
            keep = set(video_ids)
            ids = [v for v in ids if v in keep]
        reports: dict[str, StageReport] = {}
        if "media" in wanted:
            with_media = self.store.read("videos", where="media_path IS NOT NULL", columns=["video_id"])
            media_ids = [v for v in with_media.column("video_id").to_pylist() if v in set(ids)]
            if media_ids:
                with progress_bar(self.progress, "media (probe, thumbnails)", len(media_ids)) as adv:
                    reports["media"] = self.engine.run(media_stage(), media_ids, adv, redo=redo)
        if "signals" in wanted:
            with progress_bar(self.progress, "signals", len(ids)) as adv:
                reports["signals"] = self.engine.run(signals_stage(self.text_model), ids, adv, redo=redo)
            if reports["signals"].done:
                self.store.forget(DOWNSTREAM["signals"])
        if "confidence" in wanted:
            cfg = FusionConfig()
            calib = Calibration()
            for rb in self.store.iter_batches("signals", columns=["signal", "value"]):
                calib.update(pa.Table.from_batches([rb]))
            stage = confidence_stage(calib.stats(cfg.min_scale), cfg)
            with progress_bar(self.progress, "confidence", len(ids)) as adv:
                reports["confidence"] = self.engine.run(stage, ids, adv, redo=redo)
        return reports

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
        t = t.take(pc.sort_indices(t, sort_keys=[("confidence", "ascending"), ("video_id", "ascending"),
                                                 ("start", "ascending")]))
        return t.slice(0, limit) if limit is not None else t

    def errors(self) -> pa.Table:
        return self.store.read("errors")

    def status(self) -> dict:
        return self.store.status()

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
        facts = {"errors recorded": self.store.count("errors"), **(extra or {})}
        data = ReportData(
            videos=self.store.read("videos"), segments=self.store.read("segments"),
            confidence=self.confidence_map(), video_confidence=self.video_confidence(),
            signals=self.store.read("signals"), opinions=self.store.read("opinions"),
            thumbnails=thumbs, truth=truth_rows, extra=facts,
        )
        return render_report(data, Path(out))


def _schema(name: str) -> pa.Schema:
    from .schema import TABLES

    return TABLES[name]
