"""``get("opinion", "molmo2")``: allenai/Molmo2-4B / -8B as a second or third opinion.

Molmo2 is native in transformers 5.x (``Molmo2ForConditionalGeneration``; never
``trust_remote_code``).  Tasks:

* ``describe`` -- free description (``prompts/describe``);
* ``localize`` -- timed events as a JSON LIST (``prompts/localize``; the workshop plugin
  showed one JSON object, so the model returned one event);
* ``point`` -- ``"Point to the {query}."``; the reply's
  ``<points coords="t idx x y ...">`` (x, y on a 0-1000 scale, t in seconds for video) is
  parsed by :func:`~videoaudit.opinions.parse.parse_points` into normalised points per time.
  The frame times the model was shown are ours (written into the prompt exactly, see
  :mod:`videoaudit.models.hf_vlm`), so ``Point.t`` is on the video's own clock.

Video settings: the checkpoint's video processor ``max_fps`` (frames per second on short
videos) and ``num_frames`` (the cap; frames spread uniformly on longer videos) unless
``fps=`` / ``max_frames=`` are given; each frame is resized to the processor's square input
size (``size``) with its filter (bilinear, no antialiasing), on uint8 before the processor
(3x faster on CPU; equal to its own resize within one grey level); all recorded in ``Answer.settings`` with the frame times used.

Greedy decoding by default, ``max_new_tokens`` configurable.  Tests run a tiny
random-weight Molmo2 built from a config: its text is garbage, so they check the plumbing
(preprocessing, generate, parsing, failures), not the answers.
"""

from __future__ import annotations

from ...models.hf_vlm import check_sampling, resize_video, video_metadata
from ...models.registry import register
from .vlm import VLMOpinionBackend

__all__ = ["Molmo2Backend"]


class Molmo2Backend(VLMOpinionBackend):
    name = "molmo2"
    tasks = ("describe", "localize", "point")

    def __init__(self, model: str = "allenai/Molmo2-8B", *, fps: float | None = None, max_frames: int | None = None,
                 **kwargs):
        super().__init__(model, **kwargs)
        self._fps, self._max_frames = check_sampling("molmo2", fps, max_frames)

    def video_settings(self) -> dict:
        vp = self.runner.processor.video_processor
        return {
            "fps": float(self._fps if self._fps is not None else vp.max_fps),
            "max_frames": int(self._max_frames if self._max_frames is not None else vp.num_frames),
            "frame_size": [int(vp.size["width"]), int(vp.size["height"])],
        }

    def prepare_video(self, video, times):
        s = self.video_settings()
        n, h, w = video.shape[:3]
        side_w, side_h = s["frame_size"]
        # the processor's own square bilinear resize, done on uint8 first (3x faster on CPU)
        return resize_video(video, side_h, side_w, "bilinear"), video_metadata(times, w, h), \
            {"source_frame_size": [int(w), int(h)]}

    def batch_facts(self, inputs: dict, k: int) -> dict:
        return {"video_grid": [int(x) for x in inputs["video_grids"][k].tolist()]}


@register("opinion", "molmo2")
def _molmo2(**kwargs) -> Molmo2Backend:
    return Molmo2Backend(**kwargs)
