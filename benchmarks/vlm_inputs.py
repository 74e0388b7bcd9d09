"""Benchmark: what the VLM adapters' video settings cost, before any model runs.

Run:  python benchmarks/vlm_inputs.py [--repeat 3]

No weights are involved (none can be downloaded here): this measures the part of the
Qwen3-VL / Molmo2 adapters that runs on the CPU in front of the model, and the size of what
the model would be given.

* ``vision_tokens``: visual tokens per video (the LLM context the video takes) under each
  adapter's settings, for 90 s clips (Action100M's first-90-seconds convention) at three
  source sizes.  Computed with the same functions the adapters use (our qwen-vl-utils budget
  for the embedder; transformers' ``Qwen3VLVideoProcessor.get_num_of_video_patches`` with the
  reference per-frame cap for the Instruct backend; Molmo2's square resize and 3x3 pooling).
  Settings: Qwen3-VL-Embedding's model-card values (1 fps, 64 frames, total_pixels 7,864,320);
  for Qwen3-VL-Instruct and Molmo2 the transformers class defaults, with the Instruct pixel
  budget (4,096 .. 25,165,824) ASSUMED to be the released checkpoints' -- the real
  checkpoints' processor configs were not available to check.
* ``preprocess_seconds_per_video``: CPU seconds to turn one video's decoded frames into the
  processor's model inputs (our resize + the real transformers video processor), 64 frames
  at 1280x720 for the embedder and Molmo2; 181 frames (2 fps) for Instruct.  Baselines:
  ``qwen3-vl/processor-resize`` and ``molmo2/processor-resize`` (the processors resizing
  themselves, in float32) and
  ``qwen3-vl-embedding/float-resize`` (the same bicubic-antialias resize in float32, which
  an earlier version of the adapter did).

The last printed line is one JSON object with keys ``vision_tokens`` and
``preprocess_seconds_per_video``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

import numpy as np

try:
    from videoaudit.models.hf_vlm import (qwen3_vl_processor_size, qwen_frame_pixel_budget, qwen_smart_resize,
                                          resize_video)
except ImportError:  # running from a checkout without the package installed
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
    from videoaudit.models.hf_vlm import (qwen3_vl_processor_size, qwen_frame_pixel_budget, qwen_smart_resize,
                                          resize_video)

DURATION = 90.0
SOURCES = {"320x240": (240, 320), "640x360": (360, 640), "1280x720": (720, 1280)}
EMB = dict(fps=1.0, max_frames=64, min_pixels=4096, max_pixels=1843200, total_pixels=7864320)
INSTRUCT = dict(fps=2.0, max_frames=768, min_pixels=4096, total_pixels=25165824)  # assumed, see docstring


def n_frames(fps: float, cap: int, duration: float = DURATION) -> int:
    return min(cap, int(math.floor(duration * fps + 1e-6)) + 1)


def qwen_embedding_tokens(h: int, w: int) -> dict:
    n = n_frames(EMB["fps"], EMB["max_frames"])
    cap = qwen_frame_pixel_budget(n, EMB["min_pixels"], EMB["max_pixels"], EMB["total_pixels"])
    rh, rw = qwen_smart_resize(h, w, 32, EMB["min_pixels"], cap)
    return {"frames": n, "frame_size": f"{rw}x{rh}", "tokens": math.ceil(n / 2) * (rh // 32) * (rw // 32)}


def qwen_instruct_tokens(h: int, w: int, vp) -> dict:
    n = n_frames(INSTRUCT["fps"], INSTRUCT["max_frames"])
    patches = vp.get_num_of_video_patches(n, h, w, {"size": {"shortest_edge": INSTRUCT["min_pixels"],
                                                             "longest_edge": INSTRUCT["total_pixels"]},
                                                    "cap_pixels_per_frame": True})
    return {"frames": n, "tokens": int(patches) // 4}


def molmo2_tokens(vp) -> dict:
    n = n_frames(float(vp.max_fps), int(vp.num_frames))
    side = vp.size["height"] // vp.patch_size
    per = math.ceil(side / vp.pooling_size[0]) * math.ceil(side / vp.pooling_size[1])
    return {"frames": n, "tokens": n * per}


def measure(repeat: int = 3) -> dict:
    from transformers import Molmo2VideoProcessor, Qwen3VLVideoProcessor
    from transformers.video_utils import VideoMetadata

    qvp, mvp = Qwen3VLVideoProcessor(), Molmo2VideoProcessor()
    tokens = {
        name: {"qwen3-vl-embedding": qwen_embedding_tokens(h, w), "qwen3-vl": qwen_instruct_tokens(h, w, qvp),
               "molmo2": molmo2_tokens(mvp)}
        for name, (h, w) in SOURCES.items()
    }
    rng = np.random.default_rng(0)
    h, w = SOURCES["1280x720"]

    def meta(n):
        return VideoMetadata(total_num_frames=n, fps=1000.0, frames_indices=[i * 1000 for i in range(n)])

    n_inst = n_frames(INSTRUCT["fps"], INSTRUCT["max_frames"])
    v64 = rng.integers(0, 256, (64, h, w, 3), dtype=np.uint8)  # made once, outside the timings
    v_inst = rng.integers(0, 256, (n_inst, h, w, 3), dtype=np.uint8)

    def emb():
        video = v64
        cap = qwen_frame_pixel_budget(64, EMB["min_pixels"], EMB["max_pixels"], EMB["total_pixels"])
        rh, rw = qwen_smart_resize(h, w, 32, EMB["min_pixels"], cap)
        qvp([resize_video(video, rh, rw)], video_metadata=[meta(64)], do_sample_frames=False,
            do_resize=False, cap_pixels_per_frame=True, return_tensors="pt")

    def instruct():  # as the backend does: resize to the processor's own size first, then normalise
        n, video = n_inst, v_inst
        rh, rw = qwen3_vl_processor_size(qvp, n, h, w, INSTRUCT["min_pixels"], INSTRUCT["total_pixels"])
        qvp([resize_video(video, rh, rw)], video_metadata=[meta(n)], do_sample_frames=False,
            do_resize=False, cap_pixels_per_frame=True, return_tensors="pt")

    def instruct_processor_resize():  # the processor resizing itself (torchvision bicubic): the baseline
        n, video = n_inst, v_inst
        qvp([video], video_metadata=[meta(n)], do_sample_frames=False, cap_pixels_per_frame=True,
            size={"shortest_edge": INSTRUCT["min_pixels"], "longest_edge": INSTRUCT["total_pixels"]},
            return_tensors="pt")

    def molmo():  # as the adapters do: the processor's square bilinear resize on uint8 first
        side = int(mvp.size["height"])
        mvp([resize_video(v64, side, side, "bilinear")], video_metadata=[meta(64)], do_sample_frames=False,
            return_tensors="pt")

    def molmo_processor_resize():
        mvp([v64], video_metadata=[meta(64)], do_sample_frames=False, return_tensors="pt")

    def emb_float():
        import torch
        from torchvision.transforms.v2 import functional as tvF

        cap = qwen_frame_pixel_budget(64, EMB["min_pixels"], EMB["max_pixels"], EMB["total_pixels"])
        rh, rw = qwen_smart_resize(h, w, 32, EMB["min_pixels"], cap)
        x = tvF.resize(torch.from_numpy(v64).permute(0, 3, 1, 2).float(), [rh, rw],
                       interpolation=tvF.InterpolationMode.BICUBIC, antialias=True).clamp(0, 255).round()
        qvp([x], video_metadata=[meta(64)], do_sample_frames=False, do_resize=False, cap_pixels_per_frame=True,
            return_tensors="pt")

    secs = {}
    runs = [("qwen3-vl-embedding", emb), ("qwen3-vl", instruct), ("molmo2", molmo),
            ("qwen3-vl/processor-resize", instruct_processor_resize), ("qwen3-vl-embedding/float-resize", emb_float),
            ("molmo2/processor-resize", molmo_processor_resize)]
    for name, fn in runs:
        fn()  # warm-up
        t = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            t.append(time.perf_counter() - t0)
        secs[name] = round(float(np.median(t)), 3)
    return {"duration_s": DURATION, "vision_tokens": tokens, "preprocess_seconds_per_video": secs,
            "preprocess_source": "1280x720, frames already decoded; random pixels", "cpu_threads": os.cpu_count()}


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    out = measure(args.repeat)
    for src, row in out["vision_tokens"].items():
        print(src, {k: v["tokens"] for k, v in row.items()})
    print("preprocess s/video:", out["preprocess_seconds_per_video"])
    print(json.dumps(out))
