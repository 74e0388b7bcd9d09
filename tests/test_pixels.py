"""Tests for the weight-free pixel lenses (videoaudit.models.pixels).

Known-motion checks use synthetic frame pairs (warped noise); the dataset-level checks use
12 rendered sample videos (write_sample, seed 0), decoded ONCE for all lenses together.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from videoaudit.media.frames import Frame, FrameRequest, FrameSampler
from videoaudit.models import pixels
from videoaudit.models.pixels import (
    AppearanceEmbedder,
    MotionEmbedder,
    VideoEmbedder,
    embed_video,
    knn_purity,
    phase_correlation,
)

W, H = 192, 144


# --------------------------------------------------------------------------- synthetic pairs


def _noise(seed: int = 0, h: int = 2 * H, w: int = 2 * W) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = ndimage.gaussian_filter(rng.random((h, w)), 2.0)
    x = (x - x.min()) / (x.max() - x.min())
    return x


def _warp(tex: np.ndarray, dx=0.0, dy=0.0, zoom=1.0, angle=0.0) -> np.ndarray:
    """A WxH view of ``tex`` whose content is moved by (dx, dy), scaled by ``zoom`` about the
    centre and rotated by ``angle`` radians (clockwise on screen, y down): out(x) = tex(M^-1 (x - d))."""
    th, tw = tex.shape
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float64)
    x, y = xx - W / 2 - dx, yy - H / 2 - dy
    c, s = np.cos(-angle), np.sin(-angle)
    sx, sy = (c * x - s * y) / zoom, (s * x + c * y) / zoom
    out = ndimage.map_coordinates(tex, [sy + th / 2, sx + tw / 2], order=1, mode="wrap")
    return out


def _rgb(gray: np.ndarray) -> np.ndarray:
    g = (gray.clip(0, 1) * 255).astype(np.uint8)
    return np.stack([g, (g * 0.8).astype(np.uint8), (255 - g)], axis=-1)


def test_phase_correlation_recovers_subpixel_shift():
    tex = _noise(1)
    a, b = _warp(tex), _warp(tex, dx=2.4, dy=-1.3)
    dx, dy, peak = phase_correlation(a, b)
    assert abs(dx - 2.4) < 0.25 and abs(dy + 1.3) < 0.25
    assert peak > 0.3


@pytest.mark.parametrize("dx,dy", [(1.5, 0.0), (0.0, -2.0), (-1.2, 0.8)])
def test_motion_pair_translation(dx, dy):
    m = MotionEmbedder()
    tex = _noise(2)
    f = m.pair_features(_rgb(_warp(tex)), _rgb(_warp(tex, dx=dx, dy=dy)), seconds=1 / 15)
    assert f is not None
    got = f["v"] * W / 15  # back to pixels per frame pair
    assert abs(got[0] - dx) < 0.25 and abs(got[1] - dy) < 0.25, got
    assert abs(f["zoom"]) * W / 15 < 0.3 and abs(f["rot"]) * W / 15 < 0.3


def test_motion_pair_zoom_and_rotation_signs():
    m = MotionEmbedder()
    tex = _noise(3)
    base = _rgb(_warp(tex))
    zin = m.pair_features(base, _rgb(_warp(tex, zoom=1.03)), 1 / 15)
    zout = m.pair_features(base, _rgb(_warp(tex, zoom=1 / 1.03)), 1 / 15)
    rot = m.pair_features(base, _rgb(_warp(tex, angle=0.03)), 1 / 15)
    # radial displacement at half width ~ 0.03 * 96 px ~ 2.9 px
    assert zin["zoom"] * W / 15 > 1.5 and zout["zoom"] * W / 15 < -1.5
    assert abs(zin["rot"]) < 0.3 * abs(zin["zoom"])
    assert rot["rot"] * W / 15 > 1.5 and abs(rot["zoom"]) < 0.3 * abs(rot["rot"])
    assert np.hypot(*zin["v"]) * W / 15 < 0.5  # zoom about the centre is no translation


def test_motion_global_shift_ignores_a_large_moving_object():
    """Whole-frame phase correlation follows a high-contrast blob; the block vote does not."""
    m = MotionEmbedder()
    tex = _noise(4) * 0.5 + 0.25
    a, b = _warp(tex), _warp(tex, dx=-1.0)
    yy, xx = np.mgrid[0:H, 0:W]
    blob_a = (xx - 80) ** 2 / 30 ** 2 + (yy - 70) ** 2 / 40 ** 2 < 1
    blob_b = (xx - 84) ** 2 / 30 ** 2 + (yy - 73) ** 2 / 40 ** 2 < 1
    a[blob_a], b[blob_b] = 1.0, 1.0
    f = m.pair_features(_rgb(a), _rgb(b), 1 / 15)
    got = f["v"] * W / 15
    assert abs(got[0] + 1.0) < 0.3 and abs(got[1]) < 0.3, got
    assert f["resid"] > 0.02  # some blocks move differently


def test_motion_cut_is_dropped():
    m = MotionEmbedder()
    assert m.pair_features(_rgb(_noise(5)[:H, :W]), _rgb(1 - _noise(6)[:H, :W]), 1 / 15) is None


def test_motion_request_pairs_and_pairing():
    m = MotionEmbedder(dt=1 / 15, max_pairs=24)
    req = m.frame_request(60.0)
    assert req.consumer == m.name and req.size == m.size
    ts = req.times
    assert len(ts) == 48 and all(0 <= t <= 60 for t in ts)
    assert all(abs((ts[2 * i + 1] - ts[2 * i]) - 1 / 15) < 1e-3 for i in range(24))
    short = m.frame_request(0.1).times  # very short video: still one pair inside it
    assert len(short) == 2 and short[-1] <= 0.1 + 1e-9
    # frames pair by requested time; a lone frame (segment boundary) is ignored
    img = np.zeros((H, W, 3), np.uint8)
    frames = [Frame(t, img, t) for t in ts[1:7]]
    assert len(m._pairs(frames)) == 2


def test_empty_and_static_inputs():
    app, mot = AppearanceEmbedder(), MotionEmbedder()
    assert not app.embed_frames([]).any() and app.embed_frames([]).shape == (app.dim,)
    assert not mot.embed_frames([]).any() and mot.embed_frames([]).dtype == np.float32
    img = _rgb(_noise(7)[:H, :W])
    v = mot.embed_frames([Frame(1.0, img, 1.0), Frame(1.0 + 1 / 15, img.copy(), 1.0 + 1 / 15)])
    assert abs(np.linalg.norm(v) - 1) < 1e-5  # perfectly still video: "still" bins, not zero
    flat = np.full((120, 160, 3), 128, np.uint8)
    v = app.embed_frames([Frame(0.0, flat, 0.0)])
    assert abs(np.linalg.norm(v) - 1) < 1e-5 and np.isfinite(v).all()


def test_registry_and_protocol():
    from videoaudit.models import registry

    a = registry.get("visual", "appearance")
    m = registry.get("grounding", "motion")
    assert isinstance(a, AppearanceEmbedder) and isinstance(m, MotionEmbedder)
    assert isinstance(a, VideoEmbedder) and isinstance(m, VideoEmbedder)
    assert a.name != m.name


def test_knn_purity_definition():
    v = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]], float)
    r = knn_purity(v, ["a", "a", "b", "b"], k=3)
    assert r["purity"] == 1.0 and r["neighbour_agreement"] == pytest.approx(1 / 3)
    assert knn_purity(v, ["a", "b", "a", "b"], k=1)["purity"] == 0.0


# --------------------------------------------------------------------------- rendered sample


@pytest.fixture(scope="module")
def lensed(tmp_path_factory):
    """12 sample videos, each decoded once for both lenses plus a thumbnail consumer."""
    from videoaudit.sample import generate_rows, write_sample

    root = tmp_path_factory.mktemp("pixels12")
    info = write_sample(root, videos=12, seed=0, media=True)
    rows = generate_rows(12, 0)
    lenses = [AppearanceEmbedder(), MotionEmbedder()]
    sampler = FrameSampler()
    out = []
    for r in rows:
        path = f"{info['paths']['videos']}/{r['video_uid']}.mp4"
        before = sampler.decodes
        thumbs = FrameRequest("thumbnails", times=(1.0, 5.0), size=(160, 120))
        vecs, frames = embed_video(sampler, path, lenses, duration=r["_spec"]["duration"], extra=[thumbs])
        out.append({"path": path, "spec": r["_spec"], "vecs": vecs, "frames": frames,
                    "decodes": sampler.decodes - before})
    return {"lenses": lenses, "videos": out}


def test_one_decode_per_video_for_all_consumers(lensed):
    app, mot = lensed["lenses"]
    for v in lensed["videos"]:
        assert v["decodes"] == 1
        assert len(v["frames"]["thumbnails"]) == 2
        assert len(v["frames"][app.name]) >= 16
        assert len(v["frames"][mot.name]) >= 2 * 12


def test_embedding_shape_dtype_norm(lensed):
    for lens in lensed["lenses"]:
        for v in lensed["videos"]:
            e = v["vecs"][lens.name]
            assert e.shape == (lens.dim,) and e.dtype == np.float32
            assert abs(float(np.linalg.norm(e)) - 1.0) < 1e-5


def test_same_video_twice_identical(lensed):
    lenses = lensed["lenses"]
    v = lensed["videos"][0]
    again, _ = embed_video(FrameSampler(), v["path"], lenses, duration=v["spec"]["duration"])
    for lens in lenses:
        assert np.array_equal(again[lens.name], v["vecs"][lens.name])


def test_segment_frames_embed(lensed):
    """A segment's frames (a time-filtered subset) give a valid vector close to the video's."""
    app, mot = lensed["lenses"]
    v = lensed["videos"][1]
    half = v["spec"]["duration"] / 2
    for lens in (app, mot):
        seg = [f for f in v["frames"][lens.name] if f.t < half]
        e = lens.embed_frames(seg)
        assert abs(float(np.linalg.norm(e)) - 1.0) < 1e-5
        assert float(e @ v["vecs"][lens.name]) > 0.8


def test_appearance_groups_categories(lensed):
    vecs = np.stack([v["vecs"][lensed["lenses"][0].name] for v in lensed["videos"]])
    r = knn_purity(vecs, [v["spec"]["category"] for v in lensed["videos"]], k=3)
    # measured 1.0 (chance 0.27) on this sample
    assert r["purity"] > 0.6, r


def test_motion_groups_motion_patterns(lensed):
    vecs = np.stack([v["vecs"][lensed["lenses"][1].name] for v in lensed["videos"]])
    r = knn_purity(vecs, [v["spec"]["motion"] for v in lensed["videos"]], k=3)
    # measured 0.73 (chance 0.27) on this sample; 0.94 on 60 videos (benchmarks/lenses_offline.py)
    assert r["purity"] > 0.5, r
    # and it is a motion descriptor: pan videos move sideways, static ones do not
    mot = lensed["lenses"][1]
    for v in lensed["videos"]:
        if v["spec"]["motion"] not in ("pan", "static"):
            continue
        fs = [mot.pair_features(a.image, b.image, s) for a, b, s in mot._pairs(v["frames"][mot.name])]
        vx = np.median([abs(f["v"][0]) for f in fs if f is not None])
        if v["spec"]["motion"] == "pan":  # 25 px/s on a 320 px wide render = 0.078 widths/s
            assert 0.05 < vx < 0.11, vx
        else:
            assert vx < 0.01, vx
