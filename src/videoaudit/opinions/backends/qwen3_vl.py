"""``get("opinion", "qwen3-vl")``: Qwen3-VL-2B/4B/8B-Instruct as a second opinion.

Tasks: ``describe`` (free description), ``localize`` (timed events as a JSON list, in
seconds), ``structured`` (the Action100M five-field JSON).  Prompts are the versioned files
of :mod:`videoaudit.opinions.prompts`; outputs go through the parsers of
:mod:`videoaudit.opinions.parse` / :mod:`videoaudit.opinions.structured`.

Video settings -- the checkpoint's own, honoured and recorded (``Answer.settings``):

* frames per second and the frame cap: the checkpoint's video processor ``fps`` (2 for the
  released Instruct models) and ``max_frames``, unless ``fps=`` / ``max_frames=`` are given
  (the workshop plugin silently ignored its own 2 fps / 120 frames; here they are what the
  sampler is asked for and what the model sees);
* pixel budget: the processor's ``size`` (``shortest_edge`` = min pixels, ``longest_edge`` =
  total pixels over all frames), with the reference (qwen-vl-utils) per-frame cap
  ``cap_pixels_per_frame=True``; ``min_pixels=`` / ``total_pixels=`` override it.  The frames
  are resized here to exactly the size the processor's formula gives, with its filter
  (bicubic, antialiased) run on uint8 (much faster on CPU than the processor's float path),
  and the processor only normalises.  The frame size the model actually got is recorded
  (``frame_size``, ``video_grid_thw``);
* frame times: our sampler's, written into the prompt exactly (Qwen3-VL puts ``<t seconds>``
  before each temporal patch of 2 frames; see :mod:`videoaudit.models.hf_vlm`).

Greedy decoding (``do_sample=False``) with ``max_new_tokens`` (default 512) unless
``generation=`` says otherwise.  Never ``trust_remote_code``.  Tests run a tiny random-weight
Qwen3-VL built from a config: the text is garbage, the plumbing is real.
"""

from __future__ import annotations

from ...models.hf_vlm import check_sampling, qwen3_vl_processor_size, resize_video, video_metadata
from ...models.registry import register
from .vlm import VLMOpinionBackend

__all__ = ["Qwen3VLBackend"]


class Qwen3VLBackend(VLMOpinionBackend):
    name = "qwen3-vl"
    tasks = ("describe", "localize", "structured")

    def __init__(self, model: str = "Qwen/Qwen3-VL-8B-Instruct", *, fps: float | None = None,
                 max_frames: int | None = None, min_pixels: int | None = None, total_pixels: int | None = None,
                 **kwargs):
        super().__init__(model, **kwargs)
        self._fps, self._max_frames = check_sampling("qwen3-vl", fps, max_frames)
        self._min_pixels, self._total_pixels = min_pixels, total_pixels

    def video_settings(self) -> dict:
        vp = self.runner.processor.video_processor
        size = vp.size
        get = size.get if isinstance(size, dict) else (lambda k: getattr(size, k, None))
        return {
            "fps": float(self._fps if self._fps is not None else vp.fps),
            "max_frames": int(self._max_frames if self._max_frames is not None else vp.max_frames),
            "min_pixels": int(self._min_pixels if self._min_pixels is not None else get("shortest_edge")),
            "total_pixels": int(self._total_pixels if self._total_pixels is not None else get("longest_edge")),
            "cap_pixels_per_frame": True,
            "max_tokens_per_frame": int(vp.max_video_tokens),
            "resize": "bicubic-antialias",
        }

    def processor_kwargs(self) -> dict:
        # frames arrive at the size the processor would pick (prepare_video): it only normalises
        return {"do_resize": False, "cap_pixels_per_frame": True}

    def prepare_video(self, video, times):
        s = self.video_settings()
        n, h, w = video.shape[:3]
        vp = self.runner.processor.video_processor
        rh, rw = qwen3_vl_processor_size(vp, n, h, w, s["min_pixels"], s["total_pixels"])
        facts = {"source_frame_size": [int(w), int(h)]}
        return resize_video(video, rh, rw), video_metadata(times, w, h), facts


    def batch_facts(self, inputs: dict, k: int) -> dict:
        t, gh, gw = (int(x) for x in inputs["video_grid_thw"][k].tolist())
        vp = self.runner.processor.video_processor
        return {"video_grid_thw": [t, gh, gw], "frame_size": [gw * int(vp.patch_size), gh * int(vp.patch_size)],
                "vision_tokens": t * gh * gw // int(vp.merge_size) ** 2}


@register("opinion", "qwen3-vl")
def _qwen3_vl(**kwargs) -> Qwen3VLBackend:
    return Qwen3VLBackend(**kwargs)
