"""Weight-free pixel "lenses": hand-made video descriptors from sampled frames (numpy only).

Two embedders behind one small Protocol, :class:`VideoEmbedder`:

* :class:`AppearanceEmbedder` -- ``get("visual", "appearance")``: what the frames LOOK like
  (colour distribution, texture statistics, coarse spatial colour layout).
* :class:`MotionEmbedder` -- ``get("grounding", "motion")``: how the picture MOVES between
  two frames a fraction of a second apart (global translation, zoom / rotation cues, speed
  distribution, where in the frame things move).

What they are, honestly: fixed formulas (histograms, gradients, FFT phase correlation,
block matching), not learned models.  Nothing is trained or downloaded; no weights exist.
Cosine similarity between two vectors says "similar colours / textures / layout" or
"similar camera motion and motion layout"; it says nothing about objects, actions or
meaning.  Two different kitchens painted alike look alike; the same action filmed with a
different camera move looks different.  They are meant for near-duplicate / outlier /
consistency checks and as a cheap stand-in while no learned vision model is available.

Frames: each embedder only *says* what it wants (:meth:`VideoEmbedder.frame_request`); the
caller merges the requests of all lenses (and of any other consumer, e.g. thumbnails) into
ONE :meth:`FrameSampler.sample` call per video, so each video is decoded once
(:func:`embed_video` does exactly that).  ``embed_frames`` may be given the frames of the
whole video or of one segment (a time-filtered subset); the result is one L2-normalised
float32 vector (the zero vector only if no usable frame was given).

Deterministic: pure numpy on the decoded pixels; the same frames give bit-identical vectors.
"""

from __future__ import annotations

import math
import os
from typing import Iterable, Protocol, Sequence, runtime_checkable

import numpy as np

from ..media.frames import Frame, FrameRequest, FrameSampler, probe
from .registry import register

__all__ = [
    "VideoEmbedder",
    "SharedSpace",
    "AppearanceEmbedder",
    "MotionEmbedder",
    "embed_video",
    "knn_purity",
    "phase_correlation",
]


@runtime_checkable
class VideoEmbedder(Protocol):
    """A video lens: declares the frames it needs, turns them into one vector."""

    name: str
    dim: int

    def frame_request(self, duration: float) -> FrameRequest:
        """The frames this lens wants from a video of ``duration`` seconds (consumer = ``name``)."""
        ...

    def embed_frames(self, frames: list[Frame]) -> np.ndarray:
        """One L2-normalised float32 vector of length ``dim`` for these frames."""
        ...


@runtime_checkable
class SharedSpace(Protocol):
    """A video lens whose vectors live in a text-video space (Qwen3-VL-Embedding, CLIP...).

    Only such lenses can answer text queries, zero-shot classes and visual-text match;
    the weight-free lenses here cannot and do not pretend to.
    """

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) L2-normalised float32 vectors in the same space as embed_frames."""
        ...


# --------------------------------------------------------------------------- shared helpers


def _l2(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, np.float64)
    n = float(np.sqrt(np.dot(v, v)))
    return (v / n) if n > 0 else v


def _finish(parts: Sequence[tuple[float, np.ndarray]], dim: int) -> np.ndarray:
    """Weighted concatenation of (weight, block) then a global L2 normalisation -> float32."""
    out = np.concatenate([w * np.asarray(b, np.float64).ravel() for w, b in parts])
    assert out.size == dim, (out.size, dim)
    out = np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)
    return _l2(out).astype(np.float32)


def _hellinger(hist: np.ndarray) -> np.ndarray:
    """sqrt of a non-negative histogram normalised to sum 1 (so the result has L2 norm 1)."""
    h = np.clip(np.asarray(hist, np.float64), 0, None)
    s = h.sum()
    return np.sqrt(h / s) if s > 0 else h


def _gray(rgb: np.ndarray) -> np.ndarray:
    """BT.601 luma of an HxWx3 uint8 image, float32 in [0, 1]."""
    x = rgb.astype(np.float32) * (1.0 / 255.0)
    return 0.299 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2]


def _cells(h: int, w: int, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """Row / column edges of a rows x cols grid over an h x w image."""
    return (np.linspace(0, h, rows + 1).round().astype(int), np.linspace(0, w, cols + 1).round().astype(int))


def _grid_mean(x: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Mean of x (HxW or HxWxC) per grid cell -> (rows*cols[, C])."""
    ys, xs = _cells(x.shape[0], x.shape[1], rows, cols)
    out = []
    for i in range(rows):
        for j in range(cols):
            out.append(x[ys[i]:ys[i + 1], xs[j]:xs[j + 1]].reshape(-1, *x.shape[2:]).mean(axis=0))
    return np.asarray(out, np.float64)


# --------------------------------------------------------------------------- appearance

_H_BINS, _S_BINS, _V_BINS = 8, 4, 4
_ORI_BINS = 8
_GMAG_EDGES = np.array([0.0, 0.01, 0.03, 0.06, 0.12, 0.25, np.inf])  # luma step per pixel
_LBP_RADII = (1, 3)
_SPEC_BINS = 8
_GRID = 4


def _hsv_hist(rgb: np.ndarray) -> np.ndarray:
    x = rgb.reshape(-1, 3).astype(np.float32) * (1.0 / 255.0)
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    mx = x.max(axis=1)
    mn = x.min(axis=1)
    c = mx - mn
    safe = np.where(c > 0, c, 1.0)
    h = np.where(mx == r, ((g - b) / safe) % 6.0, np.where(mx == g, (b - r) / safe + 2.0, (r - g) / safe + 4.0))
    h = np.where(c > 0, h / 6.0, 0.0)
    s = np.where(mx > 0, c / np.where(mx > 0, mx, 1.0), 0.0)
    hi = np.minimum((h * _H_BINS).astype(np.int64), _H_BINS - 1)
    si = np.minimum((s * _S_BINS).astype(np.int64), _S_BINS - 1)
    vi = np.minimum((mx * _V_BINS).astype(np.int64), _V_BINS - 1)
    idx = (hi * _S_BINS + si) * _V_BINS + vi
    hist = np.bincount(idx, minlength=_H_BINS * _S_BINS * _V_BINS).astype(np.float64)
    return hist / hist.sum()


def _lbp_riu2(gray: np.ndarray, radius: int) -> np.ndarray:
    """Rotation-invariant uniform LBP (8 neighbours at ``radius``, square ring): 10-bin histogram."""
    r = radius
    c = gray[r:-r, r:-r]
    h, w = c.shape
    offs = [(-r, -r), (-r, 0), (-r, r), (0, r), (r, r), (r, 0), (r, -r), (0, -r)]
    bits = np.stack([(gray[r + dy:r + dy + h, r + dx:r + dx + w] >= c + 1e-3) for dy, dx in offs]).astype(np.int8)
    ones = bits.sum(axis=0)
    trans = np.abs(bits - np.roll(bits, 1, axis=0)).sum(axis=0)
    code = np.where(trans <= 2, ones, 9)
    hist = np.bincount(code.ravel(), minlength=10).astype(np.float64)
    return hist / hist.sum()


def _radial_spectrum(gray: np.ndarray) -> np.ndarray:
    """Share of (mean-removed, Hann-windowed) power in log-spaced radial frequency bands."""
    h, w = gray.shape
    win = np.outer(np.hanning(h), np.hanning(w)).astype(np.float32)
    p = np.abs(np.fft.rfft2((gray - gray.mean()) * win)) ** 2
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    rad = np.sqrt(fy * fy + fx * fx)  # cycles / pixel, 0 .. ~0.707
    edges = np.concatenate([[0.0], np.geomspace(1.0 / max(h, w), 0.5, _SPEC_BINS - 1), [np.inf]])
    band = np.clip(np.searchsorted(edges, rad, side="right") - 1, 0, _SPEC_BINS - 1)
    hist = np.bincount(band.ravel(), weights=p.ravel(), minlength=_SPEC_BINS)
    hist[0] = 0.0  # DC (already ~0 after mean removal)
    s = hist.sum()
    return hist / s if s > 0 else hist


def _texture(gray: np.ndarray) -> np.ndarray:
    gy, gx = np.gradient(gray)
    mag = np.hypot(gx, gy)
    ori = np.arctan2(gy, gx) % np.pi
    oi = np.minimum((ori / np.pi * _ORI_BINS).astype(np.int64), _ORI_BINS - 1)
    ohist = np.bincount(oi.ravel(), weights=mag.ravel(), minlength=_ORI_BINS)
    ohist = ohist / ohist.sum() if ohist.sum() > 0 else np.full(_ORI_BINS, 1.0 / _ORI_BINS)
    mi = np.clip(np.searchsorted(_GMAG_EDGES, mag.ravel(), side="right") - 1, 0, len(_GMAG_EDGES) - 2)
    mhist = np.bincount(mi, minlength=len(_GMAG_EDGES) - 1).astype(np.float64)
    mhist /= mhist.sum()
    lbps = [_lbp_riu2(gray, r) for r in _LBP_RADII]
    return np.concatenate([ohist, mhist, *lbps, _radial_spectrum(gray)])


_TEX_DIM = _ORI_BINS + (len(_GMAG_EDGES) - 1) + 10 * len(_LBP_RADII) + _SPEC_BINS
_COL_DIM = _H_BINS * _S_BINS * _V_BINS
_LAY_DIM = _GRID * _GRID * 3


class AppearanceEmbedder:
    """Colour + texture + layout of frames sampled at ``fps`` (not a learned model).

    Per frame (resized to ``size``):

    * colour: HSV histogram, 8 hue x 4 saturation x 4 value bins (128);
    * texture: gradient-orientation histogram (8 bins, magnitude-weighted, mod 180 deg),
      gradient-magnitude histogram (6), rotation-invariant uniform LBP at radius 1 and 3
      (2 x 10), radial power spectrum in 8 log-spaced bands (scale of the texture);
    * layout: mean RGB of a 4 x 4 grid (48).

    Frames are pooled by mean and standard deviation (std captures how much the look
    changes through the clip).  Each of the 6 blocks (3 kinds x mean/std) is square-rooted
    (Hellinger) and L2-normalised, weighted, concatenated and L2-normalised again.
    """

    def __init__(self, fps: float = 1.0, max_frames: int = 32, size: tuple[int, int] = (160, 120),
                 weights: tuple[float, float, float] = (1.0, 1.0, 0.7), std_weight: float = 0.5):
        self.fps = float(fps)
        self.max_frames = int(max_frames)
        self.size = (int(size[0]), int(size[1]))
        self.weights = tuple(float(w) for w in weights)
        self.std_weight = float(std_weight)
        self.dim = 2 * (_COL_DIM + _TEX_DIM + _LAY_DIM)
        self.name = f"appearance-v1-{self.size[0]}x{self.size[1]}"

    def frame_request(self, duration: float) -> FrameRequest:
        return FrameRequest(self.name, fps=self.fps, max_frames=self.max_frames, size=self.size)

    def frame_features(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(colour histogram, texture features, layout) of one HxWx3 uint8 frame."""
        img = np.ascontiguousarray(image[..., :3])
        gray = _gray(img)
        layout = _grid_mean(img.astype(np.float32) * (1.0 / 255.0), _GRID, _GRID).ravel()
        return _hsv_hist(img), _texture(gray), layout

    def embed_frames(self, frames: list[Frame], cache: dict | None = None) -> np.ndarray:
        """``cache`` (optional, one dict per video): per-frame features keyed by the frame's
        times, so the clips of a video's segments reuse the features of its decoded frames."""
        feats = []
        for f in frames:
            if f.image is None or not f.image.size:
                continue
            key = (f.t, f.frame_time)
            got = cache.get(key) if cache is not None else None
            if got is None:
                got = self.frame_features(f.image)
                if cache is not None:
                    cache[key] = got
            feats.append(got)
        if not feats:
            return np.zeros(self.dim, np.float32)
        wc, wt, wl = self.weights
        parts = []
        for k, w in enumerate((wc, wt, wl)):
            block = np.stack([f[k] for f in feats])
            parts.append((w, _l2(np.sqrt(block.mean(axis=0)))))
            parts.append((w * self.std_weight, _l2(np.sqrt(block.std(axis=0)))))
        # order: colour mean/std, texture mean/std, layout mean/std
        return _finish(parts, self.dim)


@register("visual", "appearance")
def _appearance(**kwargs) -> AppearanceEmbedder:
    return AppearanceEmbedder(**kwargs)


# --------------------------------------------------------------------------- motion


def _hann2(h: int, w: int) -> np.ndarray:
    return np.outer(np.hanning(h), np.hanning(w)).astype(np.float32)


def _refine(m: np.ndarray, c: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Parabolic sub-pixel offset of a peak from its two neighbours, in (-0.5, 0.5)."""
    den = m - 2 * c + p
    ok = den < 0
    return np.where(ok, np.clip(0.5 * (m - p) / np.where(ok, den, -1.0), -0.5, 0.5), 0.0)


def _peak(r: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sub-pixel argmax of a stack of (h, w) circular correlation surfaces -> dx, dy, peak."""
    n, h, w = r.shape
    flat = r.reshape(n, -1)
    k = flat.argmax(axis=1)
    iy, ix = np.divmod(k, w)
    idx = np.arange(n)
    peak = flat[idx, k]
    dy = iy + _refine(r[idx, (iy - 1) % h, ix], peak, r[idx, (iy + 1) % h, ix])
    dx = ix + _refine(r[idx, iy, (ix - 1) % w], peak, r[idx, iy, (ix + 1) % w])
    dy = np.where(dy > h / 2, dy - h, dy)
    dx = np.where(dx > w / 2, dx - w, dx)
    return dx, dy, peak


def phase_correlation(a: np.ndarray, b: np.ndarray, window: np.ndarray | None = None) -> tuple[float, float, float]:
    """Translation of ``b`` relative to ``a`` (b(x) ~ a(x - d)) by FFT phase correlation.

    Returns ``(dx, dy, peak)``: sub-pixel shift in pixels (parabolic refinement) and the
    height of the correlation peak (1 = perfect single shift, ~0 = no coherent shift).
    Whole-frame phase correlation follows the highest-contrast moving thing, which is not
    necessarily the camera; :class:`MotionEmbedder` therefore votes over blocks instead.
    """
    if window is None:
        window = _hann2(*a.shape)
    fa = np.fft.rfft2((a - a.mean()) * window)
    fb = np.fft.rfft2((b - b.mean()) * window)
    cp = np.conj(fa) * fb
    cp /= np.abs(cp) + 1e-9
    r = np.fft.irfft2(cp, s=a.shape)
    dx, dy, peak = _peak(r[None])
    return float(dx[0]), float(dy[0]), float(peak[0])


def _block_surfaces(a: np.ndarray, b: np.ndarray, rows: int, cols: int, bs: int):
    """Phase-correlation surfaces of a rows x cols grid of bs x bs blocks (vectorised).

    Returns block centres (n, 2) as (x, y) pixels, surfaces (n, bs, bs) and the texture
    strength of each block (std of luma in ``a``)."""
    h, w = a.shape
    ys = np.linspace(0, h - bs, rows).round().astype(int)
    xs = np.linspace(0, w - bs, cols).round().astype(int)
    ba = np.stack([a[y:y + bs, x:x + bs] for y in ys for x in xs])
    bb = np.stack([b[y:y + bs, x:x + bs] for y in ys for x in xs])
    strength = ba.std(axis=(1, 2))
    win = _hann2(bs, bs)
    fa = np.fft.rfft2((ba - ba.mean(axis=(1, 2), keepdims=True)) * win)
    fb = np.fft.rfft2((bb - bb.mean(axis=(1, 2), keepdims=True)) * win)
    cp = np.conj(fa) * fb
    cp /= np.abs(cp) + 1e-9
    r = np.fft.irfft2(cp, s=(bs, bs))
    cy, cx = np.meshgrid(ys + bs / 2.0, xs + bs / 2.0, indexing="ij")
    return np.stack([cx.ravel(), cy.ravel()], axis=1), r, strength


_DIR_BINS = 8
_MAG_EDGES = np.array([0.0, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, np.inf])  # frame widths / s
_MGRID_R, _MGRID_C = 3, 4
_N_SCALARS = 14


def _block_vote(surf: np.ndarray, strength: np.ndarray) -> tuple[np.ndarray, float, float, float]:
    """Global translation: every textured block votes with its whole correlation surface, so one
    large moving object cannot take over (whole-frame phase correlation follows the
    highest-contrast edges, often an object rather than the background).
    Returns the blocks' texture weights and the vote's dx, dy and peak height."""
    tex = np.clip(strength / 0.03, 0.0, 1.0)
    if tex.sum() < 1e-3:
        tex = np.ones_like(tex)
    gsurf = np.tensordot(tex / tex.sum(), surf, axes=1)
    gdx, gdy, gpeak = (float(x[0]) for x in _peak(gsurf[None]))
    return tex, gdx, gdy, gpeak


def _fit_similarity(centres: np.ndarray, surf: np.ndarray, tex: np.ndarray, gdx: float, gdy: float,
                    w: int, h: int) -> tuple[np.ndarray, bool, float]:
    """Block flow -> similarity model v = t + s c + r perp(c) (c in half frame widths), by IRLS.

    Returns ``(t_x, t_y, s, r)`` in px (s = radial (zoom) and r = tangential (rotation)
    displacement at half-width), whether enough blocks were textured to fit it (else the
    block vote), and the share of block weight the model does not explain (moving objects)."""
    bdx, bdy, bpeak = _peak(surf)
    shifts = np.stack([bdx, bdy], axis=1)
    c = (centres - np.array([w / 2.0, h / 2.0])) / (w / 2.0)
    n = len(c)
    A = np.zeros((2 * n, 4))
    A[0::2, 0] = 1.0
    A[1::2, 1] = 1.0
    A[0::2, 2], A[1::2, 2] = c[:, 0], c[:, 1]
    A[0::2, 3], A[1::2, 3] = -c[:, 1], c[:, 0]
    y = shifts.ravel()
    base = tex * np.clip(bpeak, 0.0, None)
    # start from the block vote: blocks far from it (moving objects) start down-weighted
    res = np.hypot(bdx - gdx, bdy - gdy)
    wts = base / (1.0 + res * res)
    sol = np.array([gdx, gdy, 0.0, 0.0])
    fitted = (base > 0.05).sum() >= 4
    if fitted:
        for _ in range(3):  # IRLS, Cauchy weights with a 1 px scale
            sw = np.sqrt(np.repeat(wts, 2))
            sol, *_ = np.linalg.lstsq(A * sw[:, None], y * sw, rcond=None)
            res = np.hypot(*(y - A @ sol).reshape(n, 2).T)
            wts = base / (1.0 + res * res)
    res = np.hypot(*(y - A @ sol).reshape(n, 2).T)
    outlier = float((base * (res > 1.0)).sum() / max(base.sum(), 1e-9))  # share moving otherwise
    return sol, fitted, outlier


def _motion_energy(a: np.ndarray, b: np.ndarray, gdx: float, gdy: float) -> np.ndarray:
    """Where things move: the grid's mean luma change after undoing the (integer) global translation."""
    h, w = a.shape
    ix, iy = int(round(gdx)), int(round(gdy))
    ya, yb = max(0, iy), min(h, h + iy)
    xa, xb = max(0, ix), min(w, w + ix)
    diff = np.zeros_like(a)
    if yb > ya and xb > xa:
        diff[ya:yb, xa:xb] = np.abs(b[ya:yb, xa:xb] - a[ya - iy:yb - iy, xa - ix:xb - ix])
    return _grid_mean(diff, _MGRID_R, _MGRID_C)


def _squash(x, s: float) -> np.ndarray:
    """Signed squash into (-1, 1) with a fixed scale."""
    x = np.asarray(x, np.float64) / s
    return x / (1.0 + np.abs(x))


def _direction_hist(v: np.ndarray, speed: np.ndarray, conf: np.ndarray, moving: np.ndarray) -> np.ndarray:
    """Magnitude- and confidence-weighted direction histogram of the moving pairs, plus a "still" bin."""
    ang = np.arctan2(v[:, 1], v[:, 0]) % (2 * np.pi)
    di = np.minimum((ang / (2 * np.pi) * _DIR_BINS).astype(np.int64), _DIR_BINS - 1)
    dhist = np.zeros(_DIR_BINS + 1)
    np.add.at(dhist, di[moving], (speed * conf)[moving])
    dhist[:_DIR_BINS] /= max(float((speed * conf)[moving].sum()), 1e-12)
    dhist[:_DIR_BINS] *= moving.mean()
    dhist[_DIR_BINS] = 1.0 - moving.mean()  # the "still" bin
    return dhist


def _motion_scalars(feats: list[dict], v: np.ndarray, speed: np.ndarray, moving: np.ndarray,
                    elevel: float) -> np.ndarray:
    """The _N_SCALARS squashed scalars: velocity mean, mean-absolute and spread, directional
    consistency, turn rate, zoom and rotation rates, residual flow, energy, share of still pairs."""
    zoom = np.array([f["zoom"] for f in feats])
    rot = np.array([f["rot"] for f in feats])
    resid = np.array([f["resid"] for f in feats])
    mean_v = v.mean(axis=0)
    mean_speed = float(speed.mean())
    consistency = float(np.hypot(*mean_v) / mean_speed) if mean_speed > 1e-9 else 0.0
    if len(v) >= 2 and moving.sum() >= 2:
        vm = v[moving]
        na = np.linalg.norm(vm[:-1], axis=1) * np.linalg.norm(vm[1:], axis=1)
        turn = float(np.mean(1.0 - (vm[:-1] * vm[1:]).sum(axis=1) / np.maximum(na, 1e-12)) / 2.0)
    else:
        turn = 0.0
    vs = 0.1  # frame widths / s: ~ a slow pan
    scalars = np.concatenate([
        _squash(mean_v, vs), _squash(np.abs(v).mean(axis=0), vs), _squash(v.std(axis=0), vs),
        [consistency, turn],
        _squash([zoom.mean(), np.abs(zoom).mean(), rot.mean(), np.abs(rot).mean()], 0.02),
        [resid.mean()], _squash([elevel], 0.5),
    ])
    return np.append(scalars, 1.0 - moving.mean())[:_N_SCALARS]


class MotionEmbedder:
    """Camera/scene motion and motion layout from frame pairs (NOT a learned model).

    Request: up to ``max_pairs`` pairs of frames ``dt`` seconds apart (default 1/15 s),
    spread uniformly over the video, at ``size``.  Per pair (luma, frame ``t`` -> ``t+dt``):

    * global translation by FFT phase correlation over the whole frame (sub-pixel), with the
      correlation peak height as confidence;
    * a coarse block flow (per-block phase correlation on a 4 x 6 grid of 32 px blocks), to
      which a similarity model ``v = t + s (x - c) + r perp(x - c)`` is fitted by weighted
      least squares: ``s`` (radial component = zoom in/out rate) and ``r`` (tangential
      component = rotation rate); the residual is motion the camera model does not explain
      (moving objects);
    * a 3 x 4 grid of motion energy: mean absolute luma difference after undoing the global
      translation (where in the frame something moves).

    Pooled over pairs (speeds in frame widths / second, so independent of ``size``):
    magnitude-weighted direction histogram (8 bins + a "still" bin), speed histogram
    (8 log-spaced bins), motion-energy layout (12), and 14 squashed scalars (mean and
    mean-absolute velocity, velocity spread, directional consistency |mean v| / mean |v|,
    turn rate between successive pairs, zoom and rotation rates and their magnitudes,
    residual-flow level, energy level, share of still pairs).  Histograms are Hellinger
    (sqrt) mapped; blocks are weighted, concatenated and L2-normalised.

    Pairs that straddle a shot cut are detected by a collapsed correlation peak together
    with a large frame difference and dropped.  If ``dt`` is shorter than the video's frame
    interval both times resolve to the same frame and the pair carries no information (it
    is skipped; a video with no usable pair gets the zero vector).
    """

    def __init__(self, dt: float = 1.0 / 15.0, max_pairs: int = 24, pairs_per_second: float = 0.5,
                 size: tuple[int, int] = (192, 144), block: int = 32, grid: tuple[int, int] = (5, 7),
                 still_speed: float = 0.01):
        self.dt = float(dt)
        self.max_pairs = int(max_pairs)
        self.pairs_per_second = float(pairs_per_second)
        self.size = (int(size[0]), int(size[1]))
        self.block = int(block)
        self.grid = (int(grid[0]), int(grid[1]))
        self.still_speed = float(still_speed)
        self.dim = (_DIR_BINS + 1) + (len(_MAG_EDGES) - 1) + _MGRID_R * _MGRID_C + _N_SCALARS
        self.name = f"motion-v1-{self.size[0]}x{self.size[1]}"
        self._win = _hann2(self.size[1], self.size[0])

    # -- request ------------------------------------------------------------------------------
    def anchor_times(self, duration: float) -> list[float]:
        """First frame time of each pair, spread uniformly over [0, duration - dt]."""
        d = max(0.0, float(duration) if math.isfinite(duration) else 0.0)
        span = max(0.0, d - self.dt)
        n = int(min(self.max_pairs, max(1, math.ceil(d * self.pairs_per_second))))
        n = max(1, min(n, int(span / (3 * self.dt)) if span > 0 else 1))
        return [round((k + 0.5) * span / n, 4) for k in range(n)]

    def frame_request(self, duration: float) -> FrameRequest:
        times = []
        for t in self.anchor_times(duration):
            times += [t, round(t + self.dt, 4)]
        return FrameRequest(self.name, times=tuple(times), size=self.size)

    # -- per pair -----------------------------------------------------------------------------
    def _pairs(self, frames: list[Frame]) -> list[tuple[Frame, Frame, float]]:
        """(first, second, seconds between their decoded frames) for consecutive frames ~dt apart."""
        fs = sorted(frames, key=lambda f: f.t)
        out = []
        i = 0
        while i + 1 < len(fs):
            a, b = fs[i], fs[i + 1]
            if 0.5 * self.dt <= b.t - a.t <= 1.5 * self.dt + 1e-6:
                ta = a.frame_time if math.isfinite(a.frame_time) else a.t
                tb = b.frame_time if math.isfinite(b.frame_time) else b.t
                if tb - ta > 1e-6:
                    out.append((a, b, tb - ta))
                i += 2
            else:
                i += 1
        return out

    def pair_features(self, a_img: np.ndarray, b_img: np.ndarray, seconds: float) -> dict | None:
        """Motion measurements between two frames ``seconds`` apart (None for a shot cut)."""
        a, b = _gray(a_img), _gray(b_img)
        if a.shape != b.shape:
            return None
        h, w = a.shape
        rows, cols = self.grid
        bs = min(self.block, h, w)
        centres, surf, strength = _block_surfaces(a, b, rows, cols, bs)
        tex, gdx, gdy, gpeak = _block_vote(surf, strength)
        raw_diff = float(np.abs(b - a).mean())
        if gpeak < 0.1 and raw_diff > 0.06:
            return None  # a cut (or a flash): no coherent shift and much of the picture changed
        sol, fitted, outlier = _fit_similarity(centres, surf, tex, gdx, gdy, w, h)
        energy = _motion_energy(a, b, gdx, gdy)
        scale = 1.0 / (w * seconds)  # pixels -> frame widths per second
        return {
            # translation of the frame centre: the model's when it could be fitted (under a
            # zoom the block vote lands on some block's radial shift), else the block vote
            "v": (sol[:2] if fitted else np.array([gdx, gdy])) * scale,
            "peak": gpeak,
            "zoom": float(sol[2]) * scale,
            "rot": float(sol[3]) * scale,
            "resid": outlier,
            "energy": energy / seconds,  # luma change per second
        }

    # -- pooled -------------------------------------------------------------------------------
    def _features(self, frames: list[Frame], cache: dict | None) -> list[dict]:
        """Each usable pair's features (cuts left out), from ``cache`` where it has them."""
        feats = []
        for a, b, sec in self._pairs(frames):
            key = (a.t, b.t)
            if cache is not None and key in cache:
                f = cache[key]
            else:
                f = self.pair_features(a.image, b.image, sec)
                if cache is not None:
                    cache[key] = f
            if f is not None:
                feats.append(f)
        return feats

    def embed_frames(self, frames: list[Frame], cache: dict | None = None) -> np.ndarray:
        """``cache`` (optional, one dict per video): pair features keyed by the pair's times."""
        feats = self._features(frames, cache)
        if not feats:
            return np.zeros(self.dim, np.float32)
        v = np.stack([f["v"] for f in feats])  # (n, 2) frame widths / s
        speed = np.hypot(v[:, 0], v[:, 1])
        conf = np.clip(np.array([f["peak"] for f in feats]), 0.02, 1.0)
        moving = speed >= self.still_speed
        dhist = _direction_hist(v, speed, conf, moving)
        mi = np.clip(np.searchsorted(_MAG_EDGES, speed, side="right") - 1, 0, len(_MAG_EDGES) - 2)
        mhist = np.bincount(mi, minlength=len(_MAG_EDGES) - 1).astype(np.float64)
        energy = np.stack([f["energy"] for f in feats]).mean(axis=0)
        elevel = float(energy.mean())
        ehist = energy if energy.sum() > 0 else np.ones_like(energy)
        return _finish([
            (1.0, _hellinger(dhist)),
            (0.8, _hellinger(mhist)),
            (0.6, _hellinger(ehist)),
            (0.5, _motion_scalars(feats, v, speed, moving, elevel)),
        ], self.dim)


@register("grounding", "motion")
def _motion(**kwargs) -> MotionEmbedder:
    return MotionEmbedder(**kwargs)


# --------------------------------------------------------------------------- running lenses


def embed_video(
    sampler: FrameSampler,
    path: str | os.PathLike,
    lenses: Sequence[VideoEmbedder],
    duration: float | None = None,
    extra: Iterable[FrameRequest] = (),
) -> tuple[dict[str, np.ndarray], dict[str, list]]:
    """Run ``lenses`` (and any ``extra`` consumers' requests) over one video with ONE decode.

    ``duration`` (seconds) normally comes from the annotations; if None the container is
    probed for it (metadata only, no decoding).  Returns ``({lens.name: vector},
    {consumer: frames})`` -- the second dict holds every consumer's frames, extras included.
    """
    if duration is None:
        duration = probe(path).duration
    requests = [lens.frame_request(duration) for lens in lenses] + list(extra)
    frames = sampler.sample(path, requests)
    vecs = {lens.name: lens.embed_frames(frames.get(lens.name, [])) for lens in lenses}
    return vecs, frames


def knn_purity(vectors: np.ndarray, labels: Sequence, k: int = 3) -> dict:
    """Leave-one-out cosine kNN agreement of ``labels`` (each item's k nearest OTHER items).

    * ``purity`` (the headline number): per item, the share of its k neighbours that carry its
      label, divided by the best share possible for that item, ``min(k, class size - 1) / k``
      (so a class of 2 can reach 1.0); averaged over items whose label has another member.
      Chance level is about (class size - 1) / (n - 1) per item.
    * ``neighbour_agreement``: the raw share of same-label neighbours, averaged over all items.
    * ``accuracy``: share of items whose k neighbours vote for the item's own label (majority,
      ties to the larger summed similarity), over items whose label has another member.
    """
    x = np.asarray(vectors, np.float64)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    x = x / np.where(norms > 0, norms, 1.0)
    sim = x @ x.T
    np.fill_diagonal(sim, -np.inf)
    labels = list(labels)
    n = len(labels)
    if n < 2:
        raise ValueError("knn_purity needs at least 2 items")
    k = max(1, min(k, n - 1))
    sizes: dict = {}
    for lab in labels:
        sizes[lab] = sizes.get(lab, 0) + 1
    right = 0
    agree, pure, chance = [], [], []
    for i in range(n):
        nn = np.argsort(-sim[i], kind="stable")[:k]
        same = sum(labels[j] == labels[i] for j in nn)
        agree.append(same / k)
        others = sizes[labels[i]] - 1
        if others < 1:
            continue
        pure.append(same / min(k, others))
        chance.append(others / (n - 1) * k / min(k, others))
        votes: dict = {}
        for j in nn:
            c, s = votes.get(labels[j], (0, 0.0))
            votes[labels[j]] = (c + 1, s + float(sim[i, j]))
        right += int(max(votes.items(), key=lambda kv: kv[1])[0] == labels[i])
    scored = len(pure)
    return {
        "purity": float(np.mean(pure)) if scored else float("nan"),
        "chance_purity": float(np.mean(chance)) if scored else float("nan"),
        "neighbour_agreement": float(np.mean(agree)),
        "accuracy": right / scored if scored else float("nan"),
        "n": n, "n_scored": scored, "k": k,
    }
