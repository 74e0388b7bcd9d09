"""``get("visual", "qwen3-vl-embedding")``: Qwen3-VL-Embedding (2B / 8B) as a text-video lens.

What the model card does, and what this adapter does the same way:

* the bare Qwen3-VL model (``Qwen3VLModel``: vision tower + language model, no LM head) is
  run on an instruction-formatted chat: system = the instruction (default
  ``"Represent the user's input."``), user = the video (or the text), generation prompt
  added; the embedding is the final hidden state of the LAST token, L2-normalised
  (dim = the text model's hidden size: 2048 for 2B, 4096 for 8B);
* video: 1 frame per second, at most 64 frames; each frame resized to multiples of 32 px
  within a per-frame pixel cap that shares a total budget across the
  temporal patches (qwen-vl-utils' rule: ``min_pixels`` 4,096, ``max_pixels`` 1,843,200,
  ``total_pixels`` 7,864,320 x 2 frames per temporal patch); the processor then only
  normalises and patchifies (``do_resize=False``).  The resize filter is the reference's
  (bicubic with antialiasing, torchvision's fast uint8 kernel);
* texts are embedded in the same space, batched; truncated at ``max_length`` tokens.

Frames come from our decode-once sampler (``frame_request`` asks for 1 fps / max 64); the
frame times go into the prompt exactly (millisecond clock, see :mod:`.hf_vlm`).  The
settings used are in :attr:`Qwen3VLEmbedder.settings` (and the per-call frame size in
:attr:`last_call`).

Loading: ``from_pretrained(model)`` where ``model`` is a hub id or a local directory; never
``trust_remote_code``.  Tests run this on a tiny random-weight Qwen3-VL checkpoint built from
a config (its vectors mean nothing; the tests check shapes, normalisation, determinism and
failure handling, not retrieval quality).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..media.frames import Frame, FrameRequest
from .hf_vlm import (VLMRunner, frames_to_video, l2_normalize, last_token_pool, qwen_frame_pixel_budget,
                     qwen_smart_resize, resize_video, safe_name, video_metadata)
from .registry import register

__all__ = ["Qwen3VLEmbedder", "DEFAULT_INSTRUCTION"]

DEFAULT_INSTRUCTION = "Represent the user's input."


class Qwen3VLEmbedder:
    """VideoEmbedder + SharedSpace over a Qwen3-VL-Embedding checkpoint (lazy: loads on first use)."""

    def __init__(self, model: str = "Qwen/Qwen3-VL-Embedding-2B", revision: str | None = None,
                 device: str | None = None, dtype: str | None = None, fps: float = 1.0, max_frames: int = 64,
                 min_pixels: int = 4 * 32 * 32, max_pixels: int = 1800 * 32 * 32,
                 total_pixels: int = 7680 * 32 * 32, instruction: str = DEFAULT_INSTRUCTION,
                 text_instruction: str | None = None, max_length: int = 8192, batch_size: int = 8):
        if fps <= 0 or max_frames < 1:
            raise ValueError(f"qwen3-vl-embedding: fps must be > 0 and max_frames >= 1 (got {fps}, {max_frames})")
        self.model_id = str(model)
        self.runner = VLMRunner(self.model_id, "AutoModel", revision=revision, device=device, dtype=dtype)
        self.fps = float(fps)
        self.max_frames = int(max_frames)
        self.min_pixels, self.max_pixels, self.total_pixels = int(min_pixels), int(max_pixels), int(total_pixels)
        self.instruction = instruction
        self.text_instruction = text_instruction if text_instruction is not None else instruction
        self.max_length = int(max_length)
        self.batch_size = max(1, int(batch_size))
        self.name = safe_name(self.model_id)
        self.last_call: dict = {}

    # -- identity -------------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return self.runner.hidden_size()

    @property
    def factor(self) -> int:
        vp = self.runner.processor.video_processor
        return int(vp.patch_size) * int(vp.merge_size)

    @property
    def settings(self) -> dict:
        return {
            **self.runner.describe_model(), "pooling": "last", "instruction": self.instruction,
            "text_instruction": self.text_instruction, "fps": self.fps, "max_frames": self.max_frames,
            "min_pixels": self.min_pixels, "max_pixels": self.max_pixels, "total_pixels": self.total_pixels,
            "max_length": self.max_length, "resize": "bicubic-antialias",
        }

    # -- VideoEmbedder ----------------------------------------------------------------------------
    def frame_request(self, duration: float) -> FrameRequest:
        return FrameRequest(self.name, fps=self.fps, max_frames=self.max_frames)

    def embed_frames(self, frames: list[Frame]) -> np.ndarray:
        if not any(f.image is not None and getattr(f.image, "size", 0) for f in frames):
            return np.zeros(self.dim, np.float32)  # the Protocol's "no usable frame" vector
        return self.embed_videos([frames])[0]

    def embed_videos(self, videos: Sequence[Sequence[Frame]]) -> np.ndarray:
        """(len(videos), dim) vectors, ``batch_size`` videos per forward pass."""
        out = []
        for i in range(0, len(videos), self.batch_size):
            out.append(self._embed_video_batch(videos[i:i + self.batch_size], offset=i))
        return np.concatenate(out) if out else np.zeros((0, self.dim), np.float32)

    def _prepare(self, frames: Sequence[Frame], what: str):
        video, times = frames_to_video(frames, what)
        if len(video) > self.max_frames:  # more than asked for (a caller's own frames): uniform subsample
            keep = [min(len(video) - 1, int((i + 0.5) * len(video) / self.max_frames)) for i in range(self.max_frames)]
            video, times = video[keep], [times[k] for k in keep]
        n, h, w = video.shape[:3]
        cap = qwen_frame_pixel_budget(n, self.min_pixels, self.max_pixels, self.total_pixels)
        rh, rw = qwen_smart_resize(h, w, self.factor, self.min_pixels, cap)
        return resize_video(video, rh, rw), video_metadata(times, rw, rh), (rw, rh), times

    def _embed_video_batch(self, batch: Sequence[Sequence[Frame]], offset: int = 0) -> np.ndarray:
        vids, metas, sizes, times = [], [], [], []
        for j, frames in enumerate(batch):
            v, m, s, t = self._prepare(frames, f"{self.name}: video {offset + j}")
            vids.append(v), metas.append(m), sizes.append(s), times.append(t)
        prompt = self.runner.chat([{"type": "video"}], system=self.instruction)
        # do_resize=False: frames are already at their budgeted size (the cap flag only silences a warning)
        inputs = self.runner.inputs([prompt] * len(vids), vids, metas, do_resize=False, cap_pixels_per_frame=True)
        hidden = self.runner.hidden(inputs)
        vec = last_token_pool(hidden, inputs["attention_mask"])
        self.last_call = {"frame_sizes": sizes, "frame_times": times,
                          "video_grid_thw": inputs["video_grid_thw"].tolist(), "tokens": int(inputs["input_ids"].shape[1])}
        return l2_normalize(vec)

    # -- SharedSpace ------------------------------------------------------------------------------
    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        out = []
        for i in range(0, len(texts), self.batch_size):
            chunk = texts[i:i + self.batch_size]
            prompts = [self.runner.chat([{"type": "text", "text": t if t.strip() else "NULL"}],
                                        system=self.text_instruction) for t in chunk]
            inputs = self.runner.inputs(prompts, truncation=True, max_length=self.max_length)
            hidden = self.runner.hidden(inputs)
            out.append(l2_normalize(last_token_pool(hidden, inputs["attention_mask"])))
        return np.concatenate(out)


@register("visual", "qwen3-vl-embedding")
def _qwen3_vl_embedding(**kwargs) -> Qwen3VLEmbedder:
    return Qwen3VLEmbedder(**kwargs)
