"""The one Protocol every opinion backend implements (describe / localize / point).

A backend never opens a video file: the caller asks it which frames it wants
(:meth:`OpinionBackend.frame_request`), merges that with every other consumer's request
into one ``FrameSampler.sample`` call per video (decode once), and hands the frames back.

Every call returns an :class:`Answer` that carries the model's raw text and the settings
that produced it, whether or not the text parsed: a parse failure is a recorded failure
with its raw output, never an empty opinion that "agrees".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol, Sequence, runtime_checkable

from ...media.frames import Frame, FrameRequest
from ..parse import Event, ParseFailure, Point

Task = Literal["describe", "localize", "point", "structured"]  # structured: the Action100M five-field JSON


@dataclass
class Answer:
    """What one backend call produced for one video.

    ``value`` is the parsed result: ``str`` (describe), ``list[Event]`` (localize),
    ``list[Point]`` (point), ``dict[str, str]`` (structured: the five Action100M fields, see
    :mod:`videoaudit.opinions.structured`) or a :class:`ParseFailure` holding the raw text and why.
    ``settings`` is JSON-able: model id, revision, prompt name + version, generation
    settings, frame times actually used, pixel budget -- stored with every opinion row.
    """

    task: Task
    value: str | list[Event] | list[Point] | dict[str, str] | ParseFailure
    raw: str
    settings: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not isinstance(self.value, ParseFailure)


@runtime_checkable
class OpinionBackend(Protocol):
    """A second (or third) opinion on a video."""

    name: str
    tasks: tuple[Task, ...]  # which of describe / localize / point it can do

    def frame_request(self, task: Task, duration: float) -> FrameRequest:
        """The frames this backend wants for ``task`` on a video of ``duration`` seconds."""
        ...

    def run(self, task: Task, frames: Sequence[Sequence[Frame]], *, durations: Sequence[float],
            query: str | None = None) -> list[Answer]:
        """One Answer per video, for a batch of videos (batching is the backend's business).

        ``frames[i]`` are video i's frames (``Frame.t`` in seconds); ``query`` is what to
        point at for ``task="point"``.  A backend-level failure (endpoint down, OOM) raises
        with a message naming the backend; a bad output is an Answer holding a ParseFailure.
        """
        ...
