"""One audit run: every stage the inputs allow, in graph order, through one engine.

The facade (``Workspace.run``) only builds a :class:`RunConfig`; what each stage needs
before it can run (which videos have media, which lens backends, the run-wide
calibration) is planned here, one small function per stage, and every per-video stage
then goes through the same engine (ledger, failure isolation, invalidation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import pyarrow as pa

from .stage import StageReport

#: the per-run stages, in the order the graph allows
STAGES: tuple[str, ...] = ("pixels", "transcript", "signals", "lens_signals", "confidence", "lenses")
OFF = (None, "none")


@dataclass
class RunConfig:
    """What a run computes. Lens backends are registry names (``None``/``"none"`` = off) with
    their keyword options; ``video_ids`` restricts the run (the FiftyOne plugin's view)."""

    stages: Sequence[str] | None = None
    redo: bool = False
    visual: str | None = "appearance"
    grounding: str | None = "motion"
    transcript: str | None = "minilm"
    map_method: str = "umap"
    visual_options: dict | None = None
    grounding_options: dict | None = None
    video_ids: Sequence[str] | None = None
    learn: bool = True  # refit from stored review decisions (review/learn.py) and re-tier
    fusion: str = "median"  # confidence fusion: "median" | "fitted" (docs/confidence.md)
    entailment: str | None = None  # an NLI CrossEncoder (path or hub id) that refines the claim verdicts
    wanted: tuple[str, ...] = field(init=False, default=())

    def __post_init__(self):
        names = ["pixels" if s == "media" else s for s in (self.stages or STAGES)]  # "media" is the old name
        unknown = sorted(set(names) - set(STAGES))
        if unknown:
            raise ValueError(f"unknown stage(s) {', '.join(unknown)}; one of {', '.join(STAGES)}")
        self.wanted = tuple(s for s in STAGES if s in names)


def run_pipeline(ws, cfg: RunConfig) -> dict[str, StageReport]:
    """Run ``cfg.wanted`` on workspace ``ws``; returns one report per stage that ran (a progress
    bar per stage when ``ws.progress``)."""
    from ..progress import progress_bar

    ids = ws.video_ids()
    if cfg.video_ids is not None:
        keep = set(cfg.video_ids)
        ids = [v for v in ids if v in keep]
    def bar(label: str, total: int):
        return progress_bar(ws.progress, label, total)

    reports: dict[str, StageReport] = {}
    for name in cfg.wanted:
        rep = PLANNERS[name](ws, cfg, ids, reports, bar)
        if rep is not None:
            reports[name] = rep
    return reports


def _pixels(ws, cfg: RunConfig, ids, reports, bar) -> StageReport | None:
    from ..lenses.backends import LensBackend
    from ..lenses.backends import sync_backends
    from ..lenses.pixels_stage import pixels_stage
    from ..models.device import with_device

    visual_options = with_device(cfg.visual_options, ws.device, "visual", cfg.visual)
    grounding_options = with_device(cfg.grounding_options, ws.device, "grounding", cfg.grounding)
    wanted = set(ids)
    with_media = ws.store.read("videos", where="media_path IS NOT NULL", columns=["video_id"])
    media_ids = [v for v in with_media.column("video_id").to_pylist() if v in wanted]
    if not media_ids:
        return None
    chosen = {k: LensBackend(v, o or {}) for k, v, o in (("visual", cfg.visual, visual_options),
                                                         ("grounding", cfg.grounding, grounding_options))
              if v not in OFF}
    for lens, spec in chosen.items():  # bad names / options fail here, before a table is dropped
        try:
            spec.build(lens)  # cheap: learned backends load their weights on first use
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{lens} lens backend {spec}: {exc}") from exc
    sync_backends(ws.store, "pixels", chosen)
    stage = pixels_stage(visual=cfg.visual if "visual" in chosen else None,
                         grounding=cfg.grounding if "grounding" in chosen else None,
                         visual_options=visual_options, grounding_options=grounding_options)
    label = "pixels (probe, thumbnails" + "".join(f", {k}" for k in chosen) + ")"
    with bar(label, len(media_ids)) as adv:
        return ws.engine.run(stage, media_ids, adv, redo=cfg.redo)


def _transcript(ws, cfg: RunConfig, ids, reports, bar) -> StageReport | None:
    from ..lenses.backends import sync_backends
    from ..lenses.transcript_stage import transcript_stage

    if cfg.transcript in OFF:
        return None
    sync_backends(ws.store, "transcript", {"transcript": cfg.transcript})
    with bar("transcript lens", len(ids)) as adv:
        return ws.engine.run(transcript_stage(cfg.transcript, device=ws.device, cache_root=ws.path), ids, adv,
                             redo=cfg.redo)


def _signals(ws, cfg: RunConfig, ids, reports, bar) -> StageReport:
    """The entailment model is the stage's configuration: another one redoes every video's
    signals. A workspace that never named one records nothing (its ledger stays valid)."""
    from ..signals.stage import signals_stage
    from .graph import sync_stage_config

    entailment = None if cfg.entailment in OFF else cfg.entailment
    sync_stage_config(ws.store, "signals", {"entailment": entailment}, default={"entailment": None})
    stage = signals_stage(ws.text_model, ws.device, ws.path, entailment=entailment)
    with bar("signals" + (f" (entailment {entailment})" if entailment else ""), len(ids)) as adv:
        return ws.engine.run(stage, ids, adv, redo=cfg.redo)


def _lens_signals(ws, cfg: RunConfig, ids, reports, bar, lens: str = "visual") -> StageReport | None:
    """After the lens tables exist; nothing when the lens has no vectors. A segment's neighbours
    are anywhere, so the stage runs over one dataset-wide index whose fingerprint (backend,
    ids, vectors, annotation texts, text model) is the stage's configuration: when it changes,
    every video's lens signals are redone."""
    from ..signals.lens_stage import STAGE, lens_signals_stage, shared_space_of
    from ..lenses.backends import recorded
    from ..lenses.vectors import read_vectors
    from ..signals.lens_context import SEGMENT_COLUMNS, LensIndex
    from ..signals.neighbours import DEFAULT_K
    from .graph import sync_stage_config

    store = ws.store
    vectors = read_vectors(store, lens)
    if vectors is None:
        return None
    index = LensIndex.build(vectors, store.read("segments", columns=list(SEGMENT_COLUMNS)), lens=lens, k=DEFAULT_K)
    sync_stage_config(store, STAGE, {"fingerprint": index.fingerprint(ws.text_model), "lens": lens,
                                     "backend": index.backend, "k": DEFAULT_K})
    all_ids = ws.video_ids()
    if not cfg.redo and all(v in store.finished(STAGE) for v in all_ids):
        return StageReport(STAGE, skipped=len(all_ids))
    index.embed(ws.text_embedder())  # only when some video needs it: the text side costs a model
    spec = recorded(store.root, lens, index.backend)
    stage = lens_signals_stage(index, shared_space_of(index.backend, lens, spec.options if spec else {}))
    with bar("lens signals", len(all_ids)) as adv:
        return ws.engine.run(stage, all_ids, adv, redo=cfg.redo)


def _confidence(ws, cfg: RunConfig, ids, reports, bar) -> StageReport:
    from ..confidence import Calibration, FusionConfig
    from ..confidence.stage import confidence_stage

    from ..confidence.fit import fusion_model

    fusion = FusionConfig(method=cfg.fusion)
    calib = Calibration()  # run-wide: every stored signal, streamed
    for name in ("signals", "lens_signals"):
        for rb in ws.store.iter_batches(name, columns=["signal", "value"]):
            calib.update(pa.Table.from_batches([rb]))
    if fusion.method == "fitted" and (cfg.redo or not set(ids) <= ws.store.finished("confidence")):
        fusion.model = fusion_model(ws)  # labelled fit if recorded, else fitted on injected faults
    stage = confidence_stage(calib.stats(fusion.min_scale), fusion)
    with bar("confidence", len(ids)) as adv:
        rep = ws.engine.run(stage, ids, adv, redo=cfg.redo)
    from ..review.learn import retier

    ws.last_learning = retier(ws.store, learn=cfg.learn)  # human verdicts, and a refit from them
    return rep


def _lenses(ws, cfg: RunConfig, ids, reports, bar) -> StageReport:
    """The dataset-level lens analysis: redone when a pixel or transcript lens changed."""
    from ..lenses.analysis_stage import needs_analysis

    changed = any(reports[s].done or reports[s].failed for s in ("pixels", "transcript") if s in reports)
    rep = StageReport("lenses")
    if cfg.redo or changed or needs_analysis(ws.store, cfg.map_method):
        ws.lens_summary = ws.analyse_lenses(map_method=cfg.map_method)
        rep.done = len(ids)
    else:
        rep.skipped = len(ids)
    return rep


PLANNERS = {"pixels": _pixels, "transcript": _transcript, "signals": _signals, "lens_signals": _lens_signals,
            "confidence": _confidence, "lenses": _lenses}
