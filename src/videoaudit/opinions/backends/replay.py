"""``replay``: serves opinions that were computed earlier (a JSONL file) through the backend Protocol.

This is NOT a model. It replays precomputed opinions -- e.g. the sample's *simulated*
second annotator, or the output of a batch job run elsewhere -- so that the cascade
(which asks a backend only about some videos) can be run and measured offline, with the
same code path a live model takes. Every opinion it serves says so in its settings
(``"backend": "replay"``, ``"replayed_from"``, ``"replayed_source"``).

It needs no frames (``frame_request`` returns None: nothing is decoded for it) but it needs
to know which video it is asked about, so it declares ``wants_video_ids = True`` and the
runner passes ``video_ids=`` to :meth:`run`. A video the file holds nothing of, for the
task, is a ParseFailure ("nothing to replay"), never an empty opinion.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from ...media.frames import Frame
from ...models.registry import register
from ..importer import OpinionError, parse_opinion
from ..parse import Event, ParseFailure, Point
from .base import Answer, Task

KIND = {"describe": "description", "localize": "event", "point": "point"}


class Replay:
    tasks: tuple[Task, ...] = ("describe", "localize", "point")
    wants_video_ids = True

    def __init__(self, path: str | Path, source: str | None = None, name: str = "replay",
                 lines: Sequence[str] | None = None):
        self.name = name
        self.path = Path(path)
        if lines is None and not self.path.exists():
            raise FileNotFoundError(f"replay backend: opinions file {self.path} does not exist")
        self.only_source = source
        self.rows: dict[tuple[str, str], list[dict]] = {}
        self.bad_lines = 0
        if lines is None:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                row = parse_opinion(obj, source or "replay")
            except (json.JSONDecodeError, OpinionError):
                self.bad_lines += 1
                continue
            if source is not None and obj.get("source") not in (None, source):
                continue
            row["_line"] = line
            self.rows.setdefault((row["video_id"], row["kind"]), []).append(row)

    def frame_request(self, task: Task, duration: float):
        return None  # precomputed: no pixels needed

    def run(self, task: Task, frames: Sequence[Sequence[Frame]], *, durations: Sequence[float],
            query: str | None = None, video_ids: Sequence[str] | None = None) -> list[Answer]:
        if video_ids is None:
            raise ValueError("replay backend: needs video_ids (it serves stored opinions by video)")
        out = []
        for vid in video_ids:
            rows = self.rows.get((vid, KIND[task]), [])
            raw = "\n".join(r["_line"] for r in rows)
            src = rows[0]["source"] if rows else self.only_source
            settings = {"backend": "replay", "model": None, "replayed_from": str(self.path),
                        "replayed_source": src, "note": "precomputed opinions replayed, not a model run"}
            if not rows:
                out.append(Answer(task, ParseFailure(raw, f"nothing to replay for video {vid} ({KIND[task]})"),
                                  raw, settings))
                continue
            if task == "describe":
                value = " ".join(r["text"] for r in rows)
            elif task == "localize":
                value = [Event(r["start"], r["end"], r["text"]) for r in sorted(rows, key=lambda r: r["start"])]
            else:
                value = [Point(r["t"], r["x"], r["y"], r["text"]) for r in sorted(rows, key=lambda r: r["t"])]
            out.append(Answer(task, value, raw, settings))
        return out


def from_workspace(store, source: str | None = None) -> Replay:
    """The opinions already imported into a workspace, served as a second opinion (``--second-opinion
    imported``), so a cascade runs offline on them: only its grounding step asks a model."""
    ops = store.read("opinions", columns=["video_id", "source", "kind", "text", "start", "end", "t", "x", "y"])
    sources = sorted(set(ops.column("source").to_pylist()))
    if source is None:
        if len(sources) != 1:
            raise ValueError("--second-opinion imported: " + (
                "the workspace holds no opinions (videoaudit opinions import FILE --source NAME first)" if not sources
                else f"the workspace holds opinions of {', '.join(sources)}; pick one with --second-opt source=NAME"))
        source = sources[0]
    elif source not in sources:
        raise ValueError(f"--second-opinion imported: no opinions of source {source!r}; the workspace has "
                         f"{', '.join(sources) or 'none'}")
    lines = [json.dumps({k: v for k, v in r.items() if v is not None})
             for r in ops.to_pylist() if r["source"] == source]
    backend = Replay(Path(store.root) / "opinions", source=source, name=source, lines=lines)
    kinds = {kind for _, kind in backend.rows}
    backend.tasks = tuple(t for t, k in KIND.items() if k in kinds)  # only what was imported
    return backend


@register("opinion", "replay")
def _replay(**kwargs) -> Replay:
    return Replay(**kwargs)
