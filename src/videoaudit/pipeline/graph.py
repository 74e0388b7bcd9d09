"""The stage graph: which stage reads whose output, and so what is stale when something changes.

Invalidation is derived from here and nowhere else: when a stage rewrites some videos'
rows, or runs with another configuration, every stage downstream of it is marked stale -
for those videos where the dependency is per video, for the whole run where it is
run-wide (the fusion is calibrated on every segment's signals; a segment's lens
neighbours are in any video).
"""

from __future__ import annotations

from typing import Sequence

VIDEO, RUN = "video", "run"

#: stage -> {upstream stage: scope of the dependency}
DEPENDS_ON: dict[str, dict[str, str]] = {
    "ingest": {},
    "opinions": {},  # opinions describe the media, not the annotation: a re-ingest keeps them
    "pixels": {"ingest": VIDEO},
    "transcript": {"ingest": VIDEO},
    "signals": {"ingest": VIDEO, "opinions": VIDEO},
    "lens_signals": {"ingest": RUN, "pixels": RUN},
    "confidence": {"signals": RUN, "lens_signals": RUN},
    "lenses": {"pixels": RUN, "transcript": RUN},
}


def downstream(stage: str) -> dict[str, str]:
    """Every stage that (transitively) reads ``stage``'s output, with the widest scope on the way."""
    out: dict[str, str] = {}
    frontier = [(stage, VIDEO)]
    while frontier:
        up, scope = frontier.pop()
        for name, deps in DEPENDS_ON.items():
            if up in deps:
                s = RUN if RUN in (scope, deps[up]) else VIDEO
                if out.get(name) != RUN and (name not in out or s == RUN):
                    out[name] = s
                    frontier.append((name, s))
    return out


def invalidate(store, stage: str, video_ids: Sequence[str] | None = None, include_self: bool = False,
               run_scope: bool = True) -> None:
    """Mark everything downstream of ``stage`` stale (for ``video_ids``; None = all videos).

    ``include_self``: the stage's own results are stale too (its configuration changed).
    ``run_scope=False`` skips the run-wide dependents (an engine marks them once per run).
    Opinion stages are named ``opinions/<source>/<task>`` in the ledger; they count as ``opinions``.
    """
    base = "opinions" if stage.startswith("opinions/") else stage
    per_video, whole = [], []
    for name, scope in sorted(downstream(base).items()):
        (whole if scope == RUN or video_ids is None else per_video).append(name)
    if include_self:
        (whole if video_ids is None else per_video).append(stage)
    if whole and run_scope:
        store.forget(whole)
    if per_video:
        store.forget(per_video, list(video_ids))


def sync_stage_config(store, stage: str, config: dict, default: dict | None = None) -> bool:
    """Record the configuration ``stage`` runs with; when it differs from the recorded one, the
    stage and everything downstream are stale for every video. Returns whether it changed.

    ``default``: the configuration a workspace that never recorded one ran with (a stage that
    gained a setting): running with it changes nothing and records nothing."""
    from ..manifest import read_manifest, write_manifest

    data = read_manifest(store.root)
    stages = data.setdefault("stages", {})
    if stage not in stages and stage == "lens_signals" and "lens_signals_legacy" in data:
        stages[stage] = data.pop("lens_signals_legacy")  # a workspace from before the manifest
    if stages.get(stage, default) == config:
        return False
    invalidate(store, stage, None, include_self=True)
    stages[stage] = config
    write_manifest(store.root, data)
    return True
