"""Pixel budgets and resizing of the Qwen3-VL adapters (no model needed)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import Qwen3VLVideoProcessor
from transformers.image_utils import SizeDict

from videoaudit.models.hf_vlm import (qwen3_vl_processor_size, qwen_frame_pixel_budget, qwen_smart_resize,
                                      resize_video)


def test_qwen_embedding_budget_rules():
    # per-frame cap: the total budget shared by temporal patches of 2, within [1.05 min, max]
    assert qwen_frame_pixel_budget(64, 4096, 1843200, 7864320) == int(7864320 / 64 * 2)
    assert qwen_frame_pixel_budget(2, 4096, 1843200, 7864320) == 1843200
    assert qwen_frame_pixel_budget(10_000, 4096, 1843200, 7864320) == int(4096 * 1.05)
    h, w = qwen_smart_resize(1080, 1920, 32, 4096, 245760)
    assert h % 32 == 0 and w % 32 == 0 and h * w <= 245760 and abs(w / h - 16 / 9) < 0.1
    assert qwen_smart_resize(20, 20, 32, 4096, 245760) == (64, 64)  # enlarged to min_pixels
    with pytest.raises(ValueError, match="aspect ratio"):
        qwen_smart_resize(1, 500, 32, 4096, 245760)


@pytest.mark.parametrize("n,h,w", [(181, 720, 1280), (5, 120, 160), (64, 240, 320), (3, 1080, 1920), (768, 360, 640)])
def test_pre_resize_size_is_the_processors_own(n, h, w):
    """We resize before the processor (faster filter); the size must be the one it would pick."""
    vp = Qwen3VLVideoProcessor()
    mine = qwen3_vl_processor_size(vp, n, h, w, 4096, 25165824)
    out = vp.resize(torch.zeros((1, n, 3, h, w), dtype=torch.uint8), SizeDict(shortest_edge=4096, longest_edge=25165824),
                    resample=None, factor=32, temporal_factor=2, cap_pixels_per_frame=True)
    assert mine == tuple(out.shape[-2:])


def test_resize_follows_a_smooth_gradient():
    y, x = np.mgrid[0:240, 0:320]
    img = np.stack([x * 255.0 / 319, y * 255.0 / 239, np.full_like(x, 128.0)], -1).round().astype(np.uint8)
    out = resize_video(np.stack([img, img[::-1]]), 120, 160)
    assert out.shape == (2, 120, 160, 3) and out.dtype == np.uint8
    xs = (np.arange(160) + 0.5) * 2 - 0.5  # source column under each output column (pixel centres)
    assert np.abs(out[0, 60, 2:-2, 0] - xs[2:-2] * 255.0 / 319).max() <= 2  # interior: no border effects
    assert np.abs(out[0, :, :, 2].astype(int) - 128).max() <= 1
    assert np.array_equal(out[1], resize_video(img[None, ::-1], 120, 160)[0])  # frame by frame
    assert resize_video(out, 120, 160) is out  # already that size: untouched


def test_resize_matches_the_float_reference():
    """The uint8 kernel gives what the float bicubic-antialias resize gives, to rounding, except
    where bicubic overshoot on a hard edge is clamped between its two passes (rare)."""
    from torchvision.transforms.v2 import functional as tvF

    img = np.random.default_rng(0).integers(0, 256, (2, 90, 160, 3), dtype=np.uint8)
    img = np.repeat(np.repeat(img, 4, axis=1), 4, axis=2)
    ref = tvF.resize(torch.from_numpy(img).permute(0, 3, 1, 2).float(), [100, 150],
                     interpolation=tvF.InterpolationMode.BICUBIC, antialias=True)
    ref = ref.clamp(0, 255).round().permute(0, 2, 3, 1).numpy()
    diff = np.abs(resize_video(img, 100, 150).astype(float) - ref)
    assert diff.mean() < 0.6 and (diff > 1).mean() < 0.01


def test_molmo2_pre_resize_matches_its_processor():
    """Resizing to Molmo2's square input on uint8 first gives the processor's own pixels (+-1 level)."""
    from transformers import Molmo2VideoProcessor
    from transformers.video_utils import VideoMetadata

    vp = Molmo2VideoProcessor(size={"height": 56, "width": 56}, patch_size=14, pooling_size=[2, 2])
    v = np.random.default_rng(1).integers(0, 256, (3, 120, 160, 3), dtype=np.uint8)
    md = [VideoMetadata(total_num_frames=3, fps=1000.0, frames_indices=[0, 1000, 2000])]
    direct = vp([v], video_metadata=md, do_sample_frames=False, return_tensors="pt")["pixel_values_videos"]
    pre = vp([resize_video(v, 56, 56, "bilinear")], video_metadata=md, do_sample_frames=False,
             return_tensors="pt")["pixel_values_videos"]
    assert direct.shape == pre.shape
    # one grey level: 1 as uint8, or 1/255/std (std 0.5) once normalised
    level = 1.0 if not direct.is_floating_point() else 1.0 / 255 / 0.5
    assert (direct.float() - pre.float()).abs().max() <= level * 1.001
