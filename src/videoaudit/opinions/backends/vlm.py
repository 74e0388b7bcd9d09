"""The part of a transformers VLM opinion backend that does not depend on the model family.

:class:`VLMOpinionBackend` turns a task into a versioned prompt, asks its family subclass to
prepare each video's frames for the processor, runs greedy generation in batches, parses the
raw text with the parser for the task and returns one :class:`Answer` per video with the raw
text and the settings that produced it.  The subclasses (:mod:`.qwen3_vl`, :mod:`.molmo2`)
only say which frames they want and how the frames go into their processor.

Failure policy:

* output that does not parse -> ``Answer(value=ParseFailure(raw, reason))`` (never empty);
* a video whose frames are missing or unusable -> ``Answer(value=ParseFailure("", "no input:
  ..."))`` naming the video, with ``settings["error"]``: the other videos of the batch still
  run;
* the model cannot be loaded or generation itself fails -> an exception naming the backend
  and the model (:class:`~videoaudit.models.hf_vlm.ModelLoadError` / ``RuntimeError``).
"""

from __future__ import annotations

from typing import Any, Sequence

from ...media.frames import Frame, FrameRequest
from ...models.hf_vlm import ModelLoadError, VLMRunner, frames_to_video, safe_name
from .. import prompts
from ..parse import ParseFailure, parse_description, parse_events, parse_points
from ..structured import parse_structured
from .base import Answer, Task

__all__ = ["VLMOpinionBackend"]

_PROMPT_FOR_TASK = {"describe": "describe", "localize": "localize", "point": "point", "structured": "structured"}


class VLMOpinionBackend:
    """Family-independent half of a transformers VLM opinion backend (see the module docstring)."""

    name = "vlm"
    tasks: tuple[Task, ...] = ()

    def __init__(self, model: str, revision: str | None = None, device: str | None = None, dtype: str | None = None,
                 max_new_tokens: int = 512, batch_size: int = 1, prompt_versions: dict[str, int] | None = None,
                 generation: dict | None = None):
        self.model_id = str(model)
        self.runner = VLMRunner(self.model_id, "AutoModelForImageTextToText", revision=revision, device=device,
                                dtype=dtype)
        self.max_new_tokens = int(max_new_tokens)
        self.batch_size = max(1, int(batch_size))
        self.prompt_versions = dict(prompt_versions or {})
        # Greedy unless told otherwise; whatever is passed is recorded with every answer.
        self.generation = {"do_sample": False, "num_beams": 1, **(generation or {})}
        self.consumer = f"{self.name}-{safe_name(self.model_id)}"

    # -- family hooks -----------------------------------------------------------------------------
    def video_settings(self) -> dict:
        """fps / max_frames / pixel budget actually used (recorded in every Answer)."""
        raise NotImplementedError

    def prepare_video(self, video, times: list[float]) -> tuple[Any, Any, dict]:
        """(video for the processor, VideoMetadata, per-video facts to record) for one video
        (the caller has already checked ``max_frames``)."""
        raise NotImplementedError

    def processor_kwargs(self) -> dict:
        return {}

    def batch_facts(self, inputs: dict, k: int) -> dict:
        """Facts about row ``k`` of a processed batch (frame size / grid the model saw)."""
        return {}

    def point_frame_times(self, times: list[float]) -> list[float] | None:
        """``frame_times`` for :func:`parse_points` (None: the model writes seconds)."""
        return None

    # -- protocol -------------------------------------------------------------------------------
    def frame_request(self, task: Task, duration: float) -> FrameRequest:
        self._check_task(task)
        s = self.video_settings()
        return FrameRequest(self.consumer, fps=s["fps"], max_frames=s["max_frames"])

    def prompt(self, task: Task, duration: float, query: str | None):
        p = prompts.load(_PROMPT_FOR_TASK[task], self.prompt_versions.get(task))
        if task == "point":
            if not query or not query.strip():
                raise ValueError(f"{self.name}: task 'point' needs a query (what to point at)")
            return p, p.render(query=query.strip())
        if task == "localize":
            return p, p.render(duration=float(duration))
        return p, p.render()

    def parse(self, task: Task, raw: str, duration: float, times: list[float]):
        if task == "describe":
            return parse_description(raw)
        if task == "localize":
            return parse_events(raw, duration=float(duration))
        if task == "structured":
            return parse_structured(raw)
        return parse_points(raw, frame_times=self.point_frame_times(times))

    def run(self, task: Task, frames: Sequence[Sequence[Frame]], *, durations: Sequence[float],
            query: str | None = None) -> list[Answer]:
        self._check_task(task)
        if len(frames) != len(durations):
            raise ValueError(f"{self.name}: {len(frames)} videos of frames but {len(durations)} durations")
        if task == "point" and (not query or not query.strip()):  # a call error, not one video's
            raise ValueError(f"{self.name}: task 'point' needs a query (what to point at)")
        answers: list[Answer | None] = [None] * len(frames)
        base = {**self._model_settings(), "task": task, "query": query if task == "point" else None,
                "max_new_tokens": self.max_new_tokens, **self.generation, **self.video_settings()}
        ready: list[tuple[int, Any, Any, list[float], dict, Any, str]] = []
        for i, (fr, dur) in enumerate(zip(frames, durations)):
            try:
                video, times = frames_to_video(fr, f"{self.name} ({self.model_id}): video {i}")
                if len(video) > base["max_frames"]:
                    raise ValueError(f"{len(video)} frames given, more than max_frames={base['max_frames']} "
                                     "(ask the sampler with frame_request)")
                p, text = self.prompt(task, dur, query)
                vid, meta, facts = self.prepare_video(video, times)
            except ValueError as exc:
                answers[i] = Answer(task, ParseFailure("", f"no input: {exc}"), "", {**base, "error": str(exc)})
                continue
            ready.append((i, vid, meta, times, facts, p, text))
        for j in range(0, len(ready), self.batch_size):
            chunk = ready[j:j + self.batch_size]
            chats = [self.runner.chat([{"type": "video"}, {"type": "text", "text": text}]) for *_, text in chunk]
            try:
                inputs = self.runner.inputs(chats, [c[1] for c in chunk], [c[2] for c in chunk],
                                            **self.processor_kwargs())
                raws = self.runner.generate(inputs, self.max_new_tokens, **self.generation)
            except ModelLoadError:
                raise
            except Exception as exc:
                raise RuntimeError(f"{self.name} ({self.model_id}): generation failed on videos "
                                   f"{[c[0] for c in chunk]}: {type(exc).__name__}: {exc}") from exc
            for k, ((i, _, _, times, facts, p, _), raw) in enumerate(zip(chunk, raws)):
                settings = {**base, "prompt": p.id, "frame_times": [round(t, 3) for t in times],
                            "n_frames": len(times), **facts, **self.batch_facts(inputs, k)}
                answers[i] = Answer(task, self.parse(task, raw, durations[i], times), raw, settings)
        return answers  # type: ignore[return-value]

    # -- helpers --------------------------------------------------------------------------------
    def _check_task(self, task: str) -> None:
        if task not in self.tasks:
            raise ValueError(f"{self.name} cannot do task {task!r}; it does {', '.join(self.tasks)}")

    def _model_settings(self) -> dict:
        self.runner.model  # load now: a missing model fails before any video is touched
        return {"backend": self.name, **self.runner.describe_model()}
