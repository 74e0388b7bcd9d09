"""``get("grounding", "molmo2")``: pooled Molmo2 hidden states as a grounding lens.

Molmo2 (allenai/Molmo2-4B, -8B; native in transformers 5.x, no remote code) is trained to
point at and track things in video, so its hidden states over a video carry where the
actors are and how they move better than an appearance model's do.  It has no embedding
head, so the vector here is a pooling of the bare model's (``Molmo2Model``) final hidden
states, L2-normalised, dim = the text model's hidden size:

* ``pooling="mean"`` (default): the mean over the video's visual tokens (the positions
  holding the pooled frame patches, ``mm_token_type_ids == 1``), contextualised by the
  language model -- a summary of what is where in every frame;
* ``pooling="last"``: the last token of the chat (video + ``prompt`` + the assistant
  header), i.e. the state the model would answer ``prompt`` from.

Frames: the checkpoint's own video settings are honoured (its video processor's
``max_fps`` and ``num_frames``: at most ``max_fps`` frames per second, at most
``num_frames`` frames, uniformly spread on longer videos) through ``frame_request``; each
frame is resized to the processor's square input size with its filter (bilinear) on uint8
first, which is 3x faster on CPU and equal to the processor's own resize within one grey
level.  The frame times go into the prompt exactly (see :mod:`.hf_vlm`).

Tests run this on a tiny random-weight Molmo2 built from a config: shapes, normalisation,
determinism and failures are checked, not what the vectors mean.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..media.frames import Frame, FrameRequest
from .hf_vlm import (VLMRunner, frames_to_video, l2_normalize, last_token_pool, mean_pool, resize_video, safe_name,
                     video_metadata)
from .registry import register

__all__ = ["Molmo2Embedder", "DEFAULT_GROUNDING_PROMPT"]

DEFAULT_GROUNDING_PROMPT = "Point to the people in this video and describe how they move."


class Molmo2Embedder:
    """VideoEmbedder over Molmo2 hidden states (lazy: loads on first use). Not a text-video space."""

    def __init__(self, model: str = "allenai/Molmo2-4B", revision: str | None = None, device: str | None = None,
                 dtype: str | None = None, pooling: str = "mean", prompt: str = DEFAULT_GROUNDING_PROMPT,
                 fps: float | None = None, max_frames: int | None = None, batch_size: int = 4):
        if pooling not in ("mean", "last"):
            raise ValueError(f"molmo2 grounding: pooling must be 'mean' or 'last', got {pooling!r}")
        self.model_id = str(model)
        self.runner = VLMRunner(self.model_id, "AutoModel", revision=revision, device=device, dtype=dtype)
        self.pooling = pooling
        self.prompt = prompt
        self._fps, self._max_frames = fps, max_frames
        self.batch_size = max(1, int(batch_size))
        self.name = f"{safe_name(self.model_id)}-{pooling}"
        self.last_call: dict = {}

    @property
    def dim(self) -> int:
        return self.runner.hidden_size()

    @property
    def fps(self) -> float:
        """``fps=`` if given, else the checkpoint's video ``max_fps``."""
        return float(self._fps if self._fps is not None else self.runner.processor.video_processor.max_fps)

    @property
    def max_frames(self) -> int:
        """``max_frames=`` if given, else the checkpoint's video ``num_frames``."""
        return int(self._max_frames if self._max_frames is not None else self.runner.processor.video_processor.num_frames)

    @property
    def settings(self) -> dict:
        vp = self.runner.processor.video_processor
        return {**self.runner.describe_model(), "pooling": self.pooling, "prompt": self.prompt, "fps": self.fps,
                "max_frames": self.max_frames, "frame_size": [int(vp.size["height"]), int(vp.size["width"])]}

    def frame_request(self, duration: float) -> FrameRequest:
        return FrameRequest(self.name, fps=self.fps, max_frames=self.max_frames)

    def embed_frames(self, frames: list[Frame]) -> np.ndarray:
        if not any(f.image is not None and getattr(f.image, "size", 0) for f in frames):
            return np.zeros(self.dim, np.float32)
        return self.embed_videos([frames])[0]

    def embed_videos(self, videos: Sequence[Sequence[Frame]]) -> np.ndarray:
        out = [self._batch(videos[i:i + self.batch_size], i) for i in range(0, len(videos), self.batch_size)]
        return np.concatenate(out) if out else np.zeros((0, self.dim), np.float32)

    def _batch(self, batch: Sequence[Sequence[Frame]], offset: int) -> np.ndarray:
        vids, metas, times = [], [], []
        for j, frames in enumerate(batch):
            video, t = frames_to_video(frames, f"{self.name}: video {offset + j}")
            metas.append(video_metadata(t, video.shape[2], video.shape[1])), times.append(t)
            size = self.runner.processor.video_processor.size  # its square input, its filter, on uint8
            vids.append(resize_video(video, int(size["height"]), int(size["width"]), "bilinear"))
        prompt = self.runner.chat([{"type": "video"}, {"type": "text", "text": self.prompt}])
        inputs = self.runner.inputs([prompt] * len(vids), vids, metas)
        hidden = self.runner.hidden(inputs)
        if self.pooling == "mean":
            vec = mean_pool(hidden, inputs["mm_token_type_ids"] == 1)
        else:
            vec = last_token_pool(hidden, inputs["attention_mask"])
        self.last_call = {"frame_times": times, "video_grids": inputs["video_grids"].tolist(),
                          "tokens": int(inputs["input_ids"].shape[1])}
        return l2_normalize(vec)


@register("grounding", "molmo2")
def _molmo2(**kwargs) -> Molmo2Embedder:
    return Molmo2Embedder(**kwargs)
