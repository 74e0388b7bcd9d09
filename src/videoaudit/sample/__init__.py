"""An embedded synthetic dataset with known faults, deterministic by seed.

``write_sample(out)`` writes, under ``out``:

- ``annotations.parquet``: Action100M release format (``formats.action100m``), with faults injected;
- ``videos/<video_uid>.mp4``: synthetic H.264 media whose visual changes are the tree's boundaries;
- ``opinions.jsonl``: a SIMULATED second annotator (``"source": "simulated-annotator"``);
- ``truth.jsonl``: every injected fault and every mistake of the simulated annotator.

Nothing here is real data or a real model; see docs/sample.md.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable

from ..formats.action100m import write_release
from .annotator import MISTAKE_KINDS, SOURCE, simulate_annotator
from .faults import ALL_KINDS, FAMILIES, FAULT_KINDS, FINE_KINDS, UNFAMILIAR_KINDS, fault_family, inject, inject_faults
from .generator import generate_rows, release_row

__all__ = [
    "ALL_KINDS",
    "FAMILIES",
    "FAULT_KINDS",
    "FINE_KINDS",
    "UNFAMILIAR_KINDS",
    "fault_family",
    "inject",
    "MISTAKE_KINDS",
    "SOURCE",
    "generate_rows",
    "inject_faults",
    "simulate_annotator",
    "write_sample",
]


def _write_jsonl(path: Path, records: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


def write_sample(
    out: Path,
    videos: int = 24,
    seed: int = 0,
    media: bool = True,
    fault_rate: float = 0.25,
    progress: Callable[[int], None] | None = None,
    fault_kinds: tuple[str, ...] | list[str] | None = None,
) -> dict:
    """Write the sample dataset to ``out``; returns a summary dict.

    ``progress``, if given, is called with ``1`` once per finished video (after its
    media when ``media`` is true), so a progress bar's total is ``videos``. Every file
    except the mp4s is byte-identical for the same ``(videos, seed, fault_rate, fault_kinds)``.
    ``fault_kinds`` (default: the nine existing kinds, ``FAULT_KINDS``) may name any of
    ``ALL_KINDS``; then ``fault_rate`` is a share of the segments those kinds fit, the
    truth records name their family and the summary says how many segments were eligible.
    """
    t0 = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows = generate_rows(videos, seed)
    opinions, mistakes = simulate_annotator(rows, seed)
    injection = inject([release_row(r) for r in rows], seed, rate=fault_rate, kinds=fault_kinds)
    paths = {
        "annotations": out / "annotations.parquet",
        "opinions": out / "opinions.jsonl",
        "truth": out / "truth.jsonl",
        "videos": (out / "videos") if media else None,
    }
    write_release(injection.rows, paths["annotations"])
    _write_jsonl(paths["opinions"], opinions)
    _write_jsonl(paths["truth"], _truth_in_video_order(rows, injection.truth, mistakes))
    render_seconds, media_seconds = _render_media(rows, paths["videos"], progress)
    extra = {} if fault_kinds is None else {"fault_eligible": injection.eligible,
                                            "fault_eligible_per_kind": injection.eligible_per_kind}
    return {
        **extra,
        "out": str(out),
        "videos": len(rows),
        "seed": seed,
        "n_segments": sum(len(r["nodes"]) for r in rows),
        "n_gpt_segments": sum(1 for r in rows for n in r["nodes"] if n["gpt"]),
        "fault_rate": fault_rate,
        "n_faulted": len(injection.truth),
        "faults": injection.counts(),
        "annotator_mistakes": _mistake_counts(mistakes),
        "n_opinions": len(opinions),
        "paths": {k: (str(v) if v is not None else None) for k, v in paths.items()},
        "render_seconds": round(render_seconds, 3),
        "render_seconds_per_minute": round(render_seconds / media_seconds * 60, 3) if media_seconds else None,
        "seconds": round(time.perf_counter() - t0, 3),
    }


def _truth_in_video_order(rows: list[dict], faults: list[dict], mistakes: list[dict]) -> list[dict]:
    """Every truth record by video (in row order), a video's faults before its annotator's mistakes."""
    order = {r["video_uid"]: i for i, r in enumerate(rows)}
    return sorted(faults + mistakes, key=lambda rec: (order.get(rec["video_id"], len(order)),
                                                      0 if rec["type"] == "fault" else 1))


def _render_media(rows: list[dict], videos: Path | None,
                  progress: Callable[[int], None] | None) -> tuple[float, float]:
    """Each row's mp4 under ``videos`` (none when it is None); (seconds spent, seconds of video)."""
    render_seconds = 0.0
    media_seconds = 0.0
    if videos is not None:
        from .render import render_video

        for row in rows:
            render_seconds += render_video(row["_spec"], videos / f"{row['video_uid']}.mp4")
            media_seconds += row["_spec"]["duration"]
            if progress:
                progress(1)
    elif progress:
        for _ in rows:
            progress(1)
    return render_seconds, media_seconds


def _mistake_counts(mistakes: list[dict]) -> dict[str, int]:
    counts = {k: 0 for k in MISTAKE_KINDS}
    for rec in mistakes:
        counts[rec["mistake"]] += 1
    return counts
