"""What every transformers vision-language adapter here shares (Qwen3-VL and Molmo2 families).

One place for: choosing device and dtype, loading a processor / model by id with an error
that names the model, turning our decoded :class:`~videoaudit.media.frames.Frame` lists into
the ``(T, H, W, 3)`` arrays + ``VideoMetadata`` the processors take, the greedy ``generate``
wrapper, and the pooling of hidden states.  The four adapters
(:mod:`.qwen3_vl_embedding`, :mod:`.molmo2_embedding`,
:mod:`videoaudit.opinions.backends.qwen3_vl`, :mod:`videoaudit.opinions.backends.molmo2`)
are thin on top of it.

Frames always come from our decode-once ``FrameSampler``; nothing here opens a video.  The
processors are called with ``do_sample_frames=False`` (the frames are already the sample)
and with a ``VideoMetadata`` whose clock is milliseconds (``fps=1000``,
``frames_indices = round(t * 1000)``), so the frame timestamps both families write into the
prompt (Qwen3-VL ``<t seconds>``, Molmo2 ``t`` before each frame) are our frame times,
exact to the millisecond, whatever the source frame rate was.

``trust_remote_code`` is never enabled: both families are native in transformers 5.x.

Tests run these adapters on tiny RANDOM-weight checkpoints built from configs (see
``tests/_tiny_vlm.py`` and docs/models.md): the code paths are real, the text is garbage.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..media.frames import Frame

__all__ = [
    "ModelLoadError",
    "VLMRunner",
    "choose_device",
    "choose_dtype",
    "frames_to_video",
    "video_metadata",
    "last_token_pool",
    "mean_pool",
    "l2_normalize",
    "safe_name",
    "qwen_smart_resize",
    "qwen_frame_pixel_budget",
    "qwen3_vl_processor_size",
    "resize_video",
]

MS_CLOCK = 1000.0  # VideoMetadata.fps used with frame indices in milliseconds


class ModelLoadError(RuntimeError):
    """A model or processor could not be loaded; the message names the model id and the cause."""


def choose_device(device: str | None = None) -> str:
    """``device`` if given, else ``"cuda"`` when a GPU is visible, else ``"cpu"`` (models/device.py)."""
    from .device import cuda_available, pick_device

    if device and device.startswith("cuda") and not cuda_available():
        raise ModelLoadError(f"device {device!r} asked for, but no CUDA device is available")
    return pick_device(device)


def choose_dtype(dtype: str | None, device: str):
    """bfloat16 on GPU, float32 on CPU (CPU bf16 matmuls are slow and lossy), unless told."""
    import torch

    if dtype is None or dtype == "auto":
        from .device import half_dtype

        return half_dtype(device)
    if isinstance(dtype, torch.dtype):
        return dtype
    try:
        out = getattr(torch, str(dtype))
    except AttributeError:
        raise ValueError(f"unknown dtype {dtype!r} (use float32, bfloat16, float16)") from None
    if not isinstance(out, torch.dtype):
        raise ValueError(f"unknown dtype {dtype!r} (use float32, bfloat16, float16)")
    return out


def check_sampling(backend: str, fps: float | None, max_frames: int | None) -> tuple[float | None, int | None]:
    """Validate user-given frame sampling (None = the checkpoint's own setting)."""
    if fps is not None and fps <= 0:
        raise ValueError(f"{backend}: fps must be > 0, got {fps}")
    if max_frames is not None and max_frames < 1:
        raise ValueError(f"{backend}: max_frames must be >= 1, got {max_frames}")
    return fps, max_frames


def safe_name(model_id: str) -> str:
    """``"Qwen/Qwen3-VL-Embedding-2B"`` -> ``"qwen3-vl-embedding-2b"`` (last path part, lower, [a-z0-9-])."""
    base = os.path.basename(os.path.normpath(str(model_id))) or str(model_id)
    return re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-") or "model"


def _load_error(what: str, model_id: str, revision: str | None, exc: BaseException) -> ModelLoadError:
    rev = f" at revision {revision!r}" if revision else ""
    hint = ""
    if not os.path.isdir(str(model_id)):
        offline = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE")
        hint = (" (it is not a local directory" + (" and the hub is offline: HF_HUB_OFFLINE is set" if offline else "")
                + "; pass a local checkpoint directory or download it first)")
    return ModelLoadError(f"cannot load the {what} of model {model_id!r}{rev}{hint}: {type(exc).__name__}: {exc}")


def load_processor(model_id: str, revision: str | None = None):
    from transformers import AutoProcessor

    try:
        return AutoProcessor.from_pretrained(model_id, revision=revision, trust_remote_code=False)
    except Exception as exc:  # OSError, ValueError, EnvironmentError from the hub client...
        raise _load_error("processor", model_id, revision, exc) from exc


def load_config(model_id: str, revision: str | None = None):
    from transformers import AutoConfig

    try:
        return AutoConfig.from_pretrained(model_id, revision=revision, trust_remote_code=False)
    except Exception as exc:
        raise _load_error("config", model_id, revision, exc) from exc


def load_model(auto_class: str, model_id: str, revision: str | None, device: str, dtype):
    """``transformers.<auto_class>.from_pretrained`` on ``device`` in eval mode, errors naming the model."""
    import transformers

    from .quiet import silence_hub_progress

    silence_hub_progress()
    cls = getattr(transformers, auto_class)
    try:
        model = cls.from_pretrained(model_id, revision=revision, dtype=dtype, trust_remote_code=False)
    except Exception as exc:
        raise _load_error("weights", model_id, revision, exc) from exc
    return model.to(device).eval()


# --------------------------------------------------------------------------- frames


def frames_to_video(frames: Sequence[Frame], what: str = "video") -> tuple[np.ndarray, list[float]]:
    """Stack decoded frames into one ``(T, H, W, 3)`` uint8 array and their times (seconds).

    Raises ``ValueError`` naming ``what`` if there is no frame or the frames differ in size
    (the sampler gives one size per request, so that is a caller bug)."""
    imgs = [f.image for f in frames if f.image is not None and getattr(f.image, "size", 0)]
    if not imgs:
        raise ValueError(f"{what}: no decoded frames to give the model")
    shapes = {im.shape for im in imgs}
    if len(shapes) != 1:
        raise ValueError(f"{what}: frames of different sizes {sorted(shapes)}")
    shape = imgs[0].shape
    if len(shape) != 3 or shape[2] < 3:
        raise ValueError(f"{what}: frames must be HxWx3 RGB, got shape {shape}")
    video = np.stack([np.ascontiguousarray(im[..., :3]) for im in imgs]).astype(np.uint8, copy=False)
    times = [float(f.t) for f in frames if f.image is not None and getattr(f.image, "size", 0)]
    return video, times


def video_metadata(times: Sequence[float], width: int, height: int):
    """A transformers ``VideoMetadata`` on a millisecond clock, so prompt timestamps are ``times``."""
    from transformers.video_utils import VideoMetadata

    idx = [int(round(t * MS_CLOCK)) for t in times]
    return VideoMetadata(total_num_frames=(max(idx) + 1) if idx else 0, fps=MS_CLOCK, frames_indices=idx,
                         width=int(width), height=int(height), duration=(max(times) if times else 0.0))


def qwen_smart_resize(height: int, width: int, factor: int, min_pixels: int, max_pixels: int) -> tuple[int, int]:
    """qwen-vl-utils' per-frame ``smart_resize``: both sides multiples of ``factor``, the pixel count
    within ``[min_pixels, max_pixels]``, the aspect ratio kept as far as rounding allows."""
    if height < 1 or width < 1:
        raise ValueError(f"frame size {width}x{height} is empty")
    if max(height, width) / min(height, width) > 200:
        raise ValueError(f"aspect ratio of a {width}x{height} frame is above 200")
    h = max(factor, round(height / factor) * factor)
    w = max(factor, round(width / factor) * factor)
    if h * w > max_pixels:
        beta = math.sqrt(height * width / max_pixels)
        h = max(factor, math.floor(height / beta / factor) * factor)
        w = max(factor, math.floor(width / beta / factor) * factor)
    elif h * w < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h = math.ceil(height * beta / factor) * factor
        w = math.ceil(width * beta / factor) * factor
    return h, w


def qwen_frame_pixel_budget(n_frames: int, min_pixels: int, max_pixels: int, total_pixels: int,
                            frame_factor: int = 2) -> int:
    """Per-frame pixel cap of qwen-vl-utils for a video of ``n_frames``: the total budget is shared
    by the temporal patches (``frame_factor`` frames each), never above ``max_pixels`` per frame,
    never below ``1.05 * min_pixels``."""
    n = max(1, n_frames)
    return int(max(min(max_pixels, total_pixels / n * frame_factor), min_pixels * 1.05))


def resize_video(video: np.ndarray, height: int, width: int, filter: str = "bicubic-aa") -> np.ndarray:
    """``(T, H, W, 3)`` uint8 -> ``(T, height, width, 3)`` uint8, with a processor's own filter.

    ``"bicubic-aa"``: bicubic with antialiasing, the filter of qwen-vl-utils (the Qwen model
    cards' reference preprocessing).  ``"bilinear"``: bilinear without antialiasing, the
    filter of Molmo2's video processor.  Run by torchvision on the uint8 tensor, whose uint8
    kernels are many times faster on CPU than the float32 path the processors take (0.27 s
    vs 7-10 s for 64 frames 1280x720 -> 640x352 here); results agree to rounding (within one
    grey level, except rare clamped bicubic overshoot at hard edges)."""
    if filter not in ("bicubic-aa", "bilinear"):
        raise ValueError(f"resize filter {filter!r}: use 'bicubic-aa' or 'bilinear'")
    if video.shape[1:3] == (height, width):
        return video
    import torch
    from torchvision.transforms.v2 import functional as tvF

    mode = tvF.InterpolationMode.BICUBIC if filter == "bicubic-aa" else tvF.InterpolationMode.BILINEAR
    x = torch.from_numpy(np.ascontiguousarray(video)).permute(0, 3, 1, 2)
    x = tvF.resize(x, [int(height), int(width)], interpolation=mode, antialias=filter == "bicubic-aa")
    return x.permute(0, 2, 3, 1).contiguous().numpy()


def qwen3_vl_processor_size(video_processor, n_frames: int, height: int, width: int, min_pixels: int,
                            total_pixels: int) -> tuple[int, int]:
    """The (height, width) transformers' Qwen3-VL video processor would resize ``n_frames`` frames
    of ``height x width`` to under this pixel budget with the reference per-frame cap
    (``cap_pixels_per_frame=True``) -- same formula, so we can resize first, faster."""
    from transformers.models.qwen3_vl.video_processing_qwen3_vl import smart_resize

    vp = video_processor
    factor = int(vp.patch_size) * int(vp.merge_size)
    frame_cap = int(vp.max_video_tokens) * factor * factor
    per_frame = max(min(frame_cap, total_pixels // n_frames), int(min_pixels * 1.05))
    return smart_resize(num_frames=max(n_frames, int(vp.temporal_patch_size)), height=height, width=width,
                        temporal_factor=int(vp.temporal_patch_size), factor=factor, min_pixels=min_pixels,
                        max_pixels=per_frame * n_frames)


# --------------------------------------------------------------------------- pooling


def last_token_pool(hidden, attention_mask):
    """Hidden state of each row's last attended token (works for left or right padding)."""
    import torch

    flipped = attention_mask.flip(dims=[1])
    last = attention_mask.shape[1] - 1 - flipped.argmax(dim=1)
    return hidden[torch.arange(hidden.shape[0], device=hidden.device), last]


def mean_pool(hidden, mask):
    """Mean of ``hidden`` over positions where ``mask`` is true, per row (rows with none -> zeros)."""
    m = mask.to(hidden.dtype).unsqueeze(-1)
    return (hidden * m).sum(dim=1) / m.sum(dim=1).clamp(min=1.0)


def l2_normalize(x) -> np.ndarray:
    """Torch or numpy (n, d) -> float32 numpy with unit rows (zero rows stay zero)."""
    a = x.detach().float().cpu().numpy() if hasattr(x, "detach") else np.asarray(x, np.float32)
    a = a.astype(np.float32, copy=False)
    n = np.linalg.norm(a, axis=-1, keepdims=True)
    return np.where(n > 0, a / np.where(n > 0, n, 1.0), 0.0).astype(np.float32)


# --------------------------------------------------------------------------- runner


@dataclass
class VLMRunner:
    """Lazy processor + model of one checkpoint, and the calls every adapter makes on them.

    ``auto_class`` is the transformers auto class for the weights: ``AutoModelForImageTextToText``
    for generation, ``AutoModel`` for hidden states (a checkpoint saved with a LM head loads
    into the bare model; the head is reported as unused by transformers and ignored).
    """

    model_id: str
    auto_class: str
    revision: str | None = None
    device: str | None = None
    dtype: Any = None
    _processor: Any = field(default=None, repr=False)
    _model: Any = field(default=None, repr=False)
    _config: Any = field(default=None, repr=False)

    @property
    def processor(self):
        if self._processor is None:
            self._processor = load_processor(self.model_id, self.revision)
            tok = getattr(self._processor, "tokenizer", None)
            if tok is not None:
                tok.padding_side = "left"  # decoder-only batches: generation and last-token pooling
        return self._processor

    @property
    def config(self):
        if self._config is None:
            self._config = self._model.config if self._model is not None else load_config(self.model_id, self.revision)
        return self._config

    @property
    def model(self):
        if self._model is None:
            dev = choose_device(self.device)
            self._model = load_model(self.auto_class, self.model_id, self.revision, dev, choose_dtype(self.dtype, dev))
            self.device = dev
        return self._model

    def hidden_size(self) -> int:
        """Width of the language model's hidden states (the pooled vector's dimension)."""
        cfg = self.config
        return int(getattr(cfg, "text_config", cfg).hidden_size)

    def describe_model(self) -> dict:
        """JSON-able identity of the loaded checkpoint, for ``settings``."""
        cfg = self.config
        return {
            "model": self.model_id,
            "revision": self.revision or getattr(cfg, "_commit_hash", None),
            "device": self.device,
            "dtype": (str(self._model.dtype).replace("torch.", "") if self._model is not None
                      else (str(self.dtype) if self.dtype is not None else None)),
        }

    def chat(self, content: list[dict], system: str | None = None) -> str:
        """One user turn (``content`` items: ``{"type": "video"}``, ``{"type": "text", "text": ...}``)
        rendered with the checkpoint's own chat template, ready for generation / pooling."""
        messages = []
        if system is not None:
            messages.append({"role": "system", "content": [{"type": "text", "text": system}]})
        messages.append({"role": "user", "content": content})
        return self.processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)

    def inputs(self, texts: list[str], videos: list | None = None, metadata: list | None = None, **kwargs):
        """Processor call for a batch; tensors moved to the model's device (floats to its dtype)."""
        import torch

        call = dict(text=texts, padding=True, return_tensors="pt", **kwargs)
        if videos is not None:
            call.update(videos=videos, video_metadata=metadata, do_sample_frames=False)
        batch = self.processor(**call)
        model = self.model
        out = {}
        for k, v in batch.items():
            if isinstance(v, torch.Tensor):
                v = v.to(model.device)
                if v.is_floating_point():
                    v = v.to(model.dtype)
            out[k] = v
        return out

    def generate(self, inputs: dict, max_new_tokens: int, do_sample: bool = False, **gen) -> list[str]:
        """Greedy (by default) generation; returns only the new text of each row, special tokens dropped."""
        import torch

        with torch.inference_mode():
            out = self.model.generate(**inputs, max_new_tokens=int(max_new_tokens), do_sample=do_sample, **gen)
        new = out[:, inputs["input_ids"].shape[1]:]
        return self.processor.batch_decode(new, skip_special_tokens=True, clean_up_tokenization_spaces=False)

    def hidden(self, inputs: dict):
        """Final hidden states ``(batch, seq, hidden)`` of the bare model."""
        import torch

        with torch.inference_mode():
            out = self.model(**inputs, use_cache=False)
        return out.last_hidden_state
