"""The cost-aware cascade: cheap signals everywhere, models only where they can change the answer.

1. Cheap pass: every stage the inputs allow, on every video.
2. Second opinion (describe + localize, whichever the backend does) only on the ``budget``
   share of least-confident videos; signals and confidence are redone (re-fused run-wide).
3. Grounding by a third backend only on videos where annotation and second opinion disagree
   (adjudication.disagreement_threshold); a pointer (``people``) points at ``query``,
   otherwise it localizes.
4. Re-fuse, then verdicts (opinions/adjudication.py).

A model call is one (video, task) asked of a backend, the unit a GPU bill scales with; the
summary (:class:`CascadeSummary`, docs/opinions.md) says how many were spent, failed and
avoided against running every model on every auditable video. It is stored with the
selection in the manifest, so re-running the same cascade resumes instead of re-selecting on
a confidence map the second opinion already changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

from ..manifest import update_section

SECOND_TASKS = ("describe", "localize")
REFUSE = ("signals", "confidence")  # what new opinions change


def grounding_tasks(backend) -> tuple[str, ...]:
    """A backend that localizes grounds with its events (compared as text); a pointer-only one
    (``people``) with its points."""
    if "localize" in backend.tasks:
        return ("localize",)
    if "point" in backend.tasks:
        return ("point",)
    raise ValueError(f"backend {backend.name} can neither localize nor point: it cannot ground")


def disagreeing_videos(store, video_ids) -> tuple[list[str], float]:
    """Videos with at least one audited segment whose second opinion means something else, and
    the run-calibrated cosine threshold used (opinions/adjudication.py ``disagreement_threshold``)."""
    from ..signals.semantic import PARAPHRASE_SEMANTIC
    from .adjudication import disagreement_threshold

    if not video_ids:
        return [], PARAPHRASE_SEMANTIC
    sig = store.read("signals", list(video_ids), where="signal = 'semantic.opinion'",
                     columns=["video_id", "value"])
    vals = sig.column("value").to_pylist()
    thr = disagreement_threshold([v for v in vals if v is not None])
    out = {vid for vid, val in zip(sig.column("video_id").to_pylist(), vals) if val is not None and val < thr}
    return [v for v in video_ids if v in out], thr


def load(root: Path) -> dict | None:
    """The last cascade's summary (the workspace manifest's ``cascade`` section), None if none ran."""
    from ..manifest import section

    return section(root, "cascade")


@dataclass
class CascadeSummary:
    """What one cascade did and spent. :meth:`to_dict` is the manifest's ``cascade`` section
    (``status`` and the report read it back); ``reports`` / ``runs`` are this call's stage and
    backend reports, never stored. ``summary["key"]`` reads a field, as the old dict did."""

    second: str  # the second opinion's source name
    budget: float
    grounding: str | None  # the grounding source name
    second_backend: str
    grounding_backend: str | None
    videos: int
    videos_with_confidence: int
    second_tasks: list[str]
    grounding_tasks: list[str]
    second_videos: int
    grounding_videos: int
    model_calls: int
    model_calls_failed: int
    model_calls_full: int
    model_calls_avoided: int
    saved_share: float
    failed: dict[str, int]
    calls_this_run: dict[str, int]
    disagreement_cosine: float
    verdicts: dict[str, int]
    weights: dict[str, float]
    selected: list[str]
    reports: dict = field(default_factory=dict, repr=False)
    runs: dict = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("reports", "runs")}

    def __getitem__(self, key: str):
        if key not in self.__dataclass_fields__:
            raise KeyError(key)
        return getattr(self, key)

    def get(self, key: str, default=None):
        return getattr(self, key) if key in self.__dataclass_fields__ else default


@dataclass
class _Sources:
    """The cascade's backends, the source names their opinions are stored under, and their tasks."""

    second: object
    ground: object | None
    s_src: str
    g_src: str | None
    s_tasks: tuple[str, ...]
    g_tasks: tuple[str, ...]


def _sources(store, second_opinion: str, grounding: str | None, second_options: dict | None,
             grounding_options: dict | None, second_source: str | None, grounding_source: str | None) -> _Sources:
    from ..models import get

    if second_opinion == "imported":  # the workspace's own imported opinions: offline, no endpoint
        from .backends.replay import from_workspace

        second = from_workspace(store, **(second_options or {}))
    else:
        second = get("opinion", second_opinion, **(second_options or {}))
    ground = get("opinion", grounding, **(grounding_options or {})) if grounding else None
    s_tasks = tuple(t for t in SECOND_TASKS if t in second.tasks)
    g_tasks = grounding_tasks(ground) if ground else ()
    if not s_tasks:
        raise ValueError(f"backend {second.name} can neither describe nor localize: it cannot be a second opinion")
    return _Sources(second, ground, second_source or second.name,
                    (grounding_source or ground.name) if ground else None, s_tasks, g_tasks)


def _verdicts(ws, src: _Sources, selected: list[str], disagree: list[str], threshold: float):
    """Verdicts over the selected videos (stored); returns (segment verdict counts, source weights)."""
    from ..workspace import chunks
    from .adjudication import collect, verdict_rows

    store = ws.store
    kind = None if src.ground is None else ("text" if "localize" in src.g_tasks else "points")
    embedder = ws.text_embedder()
    evidence = []
    for part in chunks(selected, 256):  # memory stays bounded; the weights still see the whole run
        evidence += collect(store.read("segments", part), store.read("opinions", part), embedder, src.s_src,
                            src.g_src, set(disagree), kind)
    verdicts, weights = verdict_rows(evidence, src.s_src, src.g_src, threshold)
    store.overwrite("verdicts", verdicts)
    counts: dict[str, int] = {}
    for v, sid in zip(verdicts.column("verdict").to_pylist(), verdicts.column("segment_id").to_pylist()):
        if sid is not None:
            counts[v] = counts.get(v, 0) + 1
    return counts, weights


def run_cascade(ws, second_opinion: str, budget: float = 0.25, grounding: str | None = None, *,
                second_options: dict | None = None, grounding_options: dict | None = None,
                second_source: str | None = None, grounding_source: str | None = None,
                query: str = "the person performing the main action", redo: bool = False,
                run_options: dict | None = None) -> CascadeSummary:
    from ..pipeline.run import RunConfig, run_pipeline
    from .runner import least_confident, run_backend

    if not 0 < budget <= 1:
        raise ValueError(f"--budget {budget}: must be in (0, 1]")
    store = ws.store
    src = _sources(store, second_opinion, grounding, second_options, grounding_options, second_source,
                   grounding_source)
    reports = {"cheap": run_pipeline(ws, RunConfig(redo=redo, **(run_options or {})))}  # lenses as the caller chose
    n = len(ws.video_ids())
    prev = load(ws.path)
    key = {"second": src.s_src, "budget": budget, "grounding": src.g_src}
    if prev and not redo and {k: prev.get(k) for k in key} == key:  # the same cascade again: resume it
        selected = prev["selected"]
    else:
        selected = least_confident(store, budget)
    with_conf = store.count("video_confidence")
    runs = {}
    for task in src.s_tasks:
        runs[f"second/{task}"] = run_backend(store, src.second, task, source=src.s_src, video_ids=selected, redo=redo)
    reports["after_second"] = run_pipeline(ws, RunConfig(stages=REFUSE))
    disagree, threshold = disagreeing_videos(store, selected)
    for task in src.g_tasks:
        runs[f"grounding/{task}"] = run_backend(store, src.ground, task, source=src.g_src, video_ids=disagree,
                                                query=query if task == "point" else None, redo=redo)
    if src.g_tasks and "point" not in src.g_tasks:
        reports["after_grounding"] = run_pipeline(ws, RunConfig(stages=REFUSE))
    counts, weights = _verdicts(ws, src, selected, disagree, threshold)
    failed_calls = sum(len(r.failed) for r in runs.values())  # asked and failed: not answers paid for
    spent = len(selected) * len(src.s_tasks) + len(disagree) * len(src.g_tasks) - failed_calls
    full = with_conf * (len(src.s_tasks) + len(src.g_tasks))  # every model on every auditable video
    summary = CascadeSummary(
        second=src.s_src, budget=budget, grounding=src.g_src, second_backend=src.second.name,
        grounding_backend=src.ground.name if src.ground else None, videos=n, videos_with_confidence=with_conf,
        second_tasks=list(src.s_tasks), grounding_tasks=list(src.g_tasks),
        second_videos=len(selected), grounding_videos=len(disagree),
        # a failed call was asked for: neither spent nor avoided
        model_calls=spent, model_calls_failed=failed_calls, model_calls_full=full,
        model_calls_avoided=full - spent - failed_calls,
        saved_share=round((full - spent - failed_calls) / full, 4) if full else 0.0,
        failed={k: len(r.failed) for k, r in runs.items()}, calls_this_run={k: r.calls for k, r in runs.items()},
        disagreement_cosine=round(threshold, 4), verdicts=counts, weights=weights, selected=selected,
        reports=reports, runs=runs)
    update_section(ws.path, "cascade", summary.to_dict())
    return summary


def source_note(summary: "CascadeSummary | dict") -> str | None:
    """Plain words when the second opinion was not a model run now: the sample's simulated
    annotator, or any file served by the ``replay`` backend (its "model calls" are counted
    as a model's would be, but no model ran). None for a real backend."""
    source = str(summary.get("second") or "")
    backend = summary.get("second_backend")
    if "simulated" in source.lower():
        return (f"the second opinion ({source}) is SIMULATED: the sample's synthetic annotator, not a model"
                + (", replayed from its file" if backend in (None, "replay") else ""))
    if backend == "replay":
        return f"the second opinion ({source}) is REPLAYED from a file, not a model run here"
    return None


def describe_savings(summary: "CascadeSummary | dict") -> str:
    """One line for the CLI and the report (with :func:`source_note` where it applies)."""
    note = source_note(summary)
    failed = summary.get("model_calls_failed", 0)
    return (f"model calls: {summary['model_calls']} spent of {summary['model_calls_full']} "
            f"(every model on every video); {summary['model_calls_avoided']} avoided "
            f"({100 * summary['saved_share']:.0f} %)" + (f"; {failed} FAILED (videoaudit errors)" if failed else "")
            + (f"; {note}" if note else ""))


