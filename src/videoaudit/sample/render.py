"""Synthetic media for the sample dataset: H.264 (libx264, yuv420p) via PyAV.

Frames are synthesised with numpy, no drawing library: a category texture (stripes,
checker, noise, gradient, rings, dots) in the category palette, moved by the category's
camera motion (pan, zoom, bounce, rotate, static, sway). Every step changes the tint and
an "actor" blob's colour, size and path; every shot cut jumps the texture offset and the
brightness, so the tree's boundaries (steps and shots) are visual changes. Title-card
steps are a flat background with white "text" bars.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import av
import numpy as np

WIDTH, HEIGHT = 320, 240
_TW, _TH = 640, 480  # texture tile, wraps around


def _texture(kind: str, rng: np.random.Generator) -> np.ndarray:
    """A (_TH, _TW) float32 mask in [0, 1] that tiles seamlessly."""
    yy, xx = np.mgrid[0:_TH, 0:_TW].astype(np.float32)
    if kind == "stripes":
        m = 0.5 + 0.5 * np.sin((xx + yy) * (2 * np.pi / 40.0))
    elif kind == "checker":
        m = (((xx // 40) + (yy // 40)) % 2).astype(np.float32)
    elif kind == "noise":
        small = rng.random((_TH // 16, _TW // 16)).astype(np.float32)
        m = np.repeat(np.repeat(small, 16, axis=0), 16, axis=1)
    elif kind == "gradient":
        m = 0.5 + 0.5 * np.sin(xx * (2 * np.pi / _TW)) * np.cos(yy * (2 * np.pi / _TH))
    elif kind == "rings":
        r = np.hypot(((xx % 160) - 80), ((yy % 160) - 80))
        m = 0.5 + 0.5 * np.cos(r * (2 * np.pi / 20.0))
    elif kind == "dots":
        r = np.hypot(((xx % 32) - 16), ((yy % 32) - 16))
        m = (r < 9).astype(np.float32)
    else:
        m = np.zeros((_TH, _TW), np.float32)
    return m.astype(np.float32)


def _motion(kind: str, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Camera offsets (x, y) in texture pixels and zoom factor for times t."""
    zero = np.zeros_like(t)
    one = np.ones_like(t)
    if kind == "pan":
        return t * 25.0, zero, one
    if kind == "zoom":
        return zero, zero, 1.0 + 0.35 * (0.5 + 0.5 * np.sin(t * 0.8))
    if kind == "bounce":
        return zero, np.abs(np.sin(t * 3.0)) * 18.0, one
    if kind == "rotate":
        return np.cos(t * 0.6) * 60.0, np.sin(t * 0.6) * 60.0, one
    if kind == "sway":
        return np.sin(t * 1.2) * 30.0, zero, one
    return zero, zero, one


def _yuv(rgb: np.ndarray) -> np.ndarray:
    """BT.601 limited-range YUV of float RGB values (last axis)."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
    u = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255
    v = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255
    return np.stack([y, u, v], axis=-1)


def _ellipse(r: float) -> np.ndarray:
    ry, rx = int(r * 1.4), int(r)
    yy, xx = np.mgrid[-ry:ry + 1, -rx:rx + 1].astype(np.float32)
    return (xx / max(rx, 1)) ** 2 + (yy / max(ry, 1)) ** 2 < 1.0


def _paste(plane: np.ndarray, mask: np.ndarray, cy: int, cx: int, value: int) -> None:
    h, w = mask.shape
    y0, x0 = cy - h // 2, cx - w // 2
    ya, xa = max(0, y0), max(0, x0)
    yb, xb = min(plane.shape[0], y0 + h), min(plane.shape[1], x0 + w)
    if ya >= yb or xa >= xb:
        return
    plane[ya:yb, xa:xb][mask[ya - y0:yb - y0, xa - x0:xb - x0]] = value


@dataclass
class _Scene:
    """What one video's frames are drawn from, computed once from its spec and its seeded rng."""

    shots: list[dict]
    steps: list[dict]
    c0: np.ndarray  # the palette's background colour (title cards, the step bar)
    motion: str
    times: np.ndarray  # each frame's time in seconds
    ox: np.ndarray  # camera offset and zoom per frame (_motion)
    oy: np.ndarray
    zoom: np.ndarray
    shot_of: np.ndarray  # each frame's shot
    planes: tuple[np.ndarray, np.ndarray, np.ndarray]  # the texture's Y, U, V planes, tiled 2 x 2
    shot_jump: np.ndarray  # per shot: texture offset (a cut)
    luts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]  # per shot: Y, U, V lookup (brightness, tint)
    blob_yuv: np.ndarray  # per step: the actor blob's colour
    bar_yuv: np.ndarray  # the step indicator bar's colour
    step_phase: np.ndarray  # per step: the blob's path
    blobs: list[np.ndarray]  # per step: the blob's mask (luma), and at chroma resolution
    blobs_half: list[np.ndarray]


@dataclass
class _Canvas:
    """One reused yuv420p frame buffer and its three planes (views into it)."""

    buf: np.ndarray
    y: np.ndarray
    u: np.ndarray
    v: np.ndarray


#: pixel rows / columns relative to the frame centre (the zoomed texture window samples around it)
_AR_Y = np.arange(HEIGHT, dtype=np.float32) - HEIGHT / 2
_AR_X = np.arange(WIDTH, dtype=np.float32) - WIDTH / 2


def _texture_planes(kind: str, c0: np.ndarray, c1: np.ndarray,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The texture in the palette's two colours as Y, U (half) and V (half) planes, tiled 2 x 2 so
    that any window of the wrapping texture is a plain slice."""
    mask = _texture(kind, rng)
    yuv_base = _yuv(c0[None, None, :] * (1 - mask[..., None]) + c1[None, None, :] * mask[..., None])
    y_big = np.tile(yuv_base[..., 0].clip(0, 255).astype(np.uint8), (2, 2))
    u_big = np.tile(yuv_base[::2, ::2, 1].clip(0, 255).astype(np.uint8), (2, 2))
    v_big = np.tile(yuv_base[::2, ::2, 2].clip(0, 255).astype(np.uint8), (2, 2))
    return y_big, u_big, v_big


def _shot_luts(shots: list[dict], tint_yuv: np.ndarray,
               shot_gain: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per shot, 256-entry Y, U, V tables: the shot's brightness and its step's tint."""
    ramp = np.arange(256, dtype=np.float32)
    luts = []
    for s, shot in enumerate(shots):
        p = shot["step_pos"]
        ty, tu, tv = tint_yuv[p]
        luts.append((
            (ramp * 0.7 * shot_gain[s] + 0.3 * ty).clip(0, 255).astype(np.uint8),
            ((ramp - 128) * 0.7 + 128 + 0.3 * (tu - 128)).clip(0, 255).astype(np.uint8),
            ((ramp - 128) * 0.7 + 128 + 0.3 * (tv - 128)).clip(0, 255).astype(np.uint8),
        ))
    return luts


def _scene(spec: dict, n_frames: int, fps: int) -> _Scene:
    """Everything the frames need, drawn from the video's own rng in a fixed order."""
    seed_rng = random.Random(f"videoaudit-sample/render/{spec.get('video_uid')}")
    rng = np.random.default_rng(seed_rng.getrandbits(64))
    palette = np.asarray(spec["palette"], np.float32)
    c0, c1 = palette[0], palette[1 % len(palette)]
    planes = _texture_planes(spec.get("texture", "noise"), c0, c1, rng)

    times = np.arange(n_frames, dtype=np.float32) / fps
    motion = spec.get("motion", "static")
    ox, oy, zoom = _motion(motion, times)

    shots = spec["shots"]
    steps = spec["steps"]
    shot_starts = np.asarray([s["start"] for s in shots], np.float32)
    shot_of = np.clip(np.searchsorted(shot_starts, times, side="right") - 1, 0, len(shots) - 1)
    # per shot (a cut): texture jump and brightness; per step: tint, blob colour, size and path
    shot_jump = rng.integers(0, min(_TW, _TH), size=(len(shots), 2))
    shot_gain = rng.uniform(0.8, 1.15, size=len(shots))
    tint = np.stack([palette[(2 + i) % len(palette)] for i in range(len(steps))])
    tint = (tint + rng.uniform(-40, 40, size=tint.shape)).clip(0, 255)
    tint_yuv = _yuv(tint)
    step_phase = rng.uniform(0, 2 * np.pi, size=len(steps))
    blobs = [_ellipse(r) for r in rng.uniform(18, 45, size=len(steps))]
    return _Scene(
        shots=shots, steps=steps, c0=c0, motion=motion, times=times, ox=ox, oy=oy, zoom=zoom, shot_of=shot_of,
        planes=planes, shot_jump=shot_jump, luts=_shot_luts(shots, tint_yuv, shot_gain),
        blob_yuv=_yuv(255.0 - tint).clip(0, 255).astype(np.uint8),
        bar_yuv=_yuv(255.0 - c0).clip(0, 255).astype(np.uint8),
        step_phase=step_phase, blobs=blobs, blobs_half=[b[::2, ::2] for b in blobs],
    )


def _canvas() -> _Canvas:
    buf = np.empty((HEIGHT * 3 // 2, WIDTH), np.uint8)
    h2, w2 = HEIGHT // 2, WIDTH // 2
    return _Canvas(buf=buf, y=buf[:HEIGHT], u=buf[HEIGHT:HEIGHT + HEIGHT // 4].reshape(h2, w2),
                   v=buf[HEIGHT + HEIGHT // 4:].reshape(h2, w2))


def _title_card(c0: np.ndarray, shot: int) -> np.ndarray:
    """A flat yuv420p frame (darker or lighter by shot) with three white "text" bars."""
    col = _yuv(c0 * (0.6 + 0.2 * shot)).clip(0, 255).astype(np.uint8)
    tb = np.empty((HEIGHT * 3 // 2, WIDTH), np.uint8)
    tb[:HEIGHT] = col[0]
    tb[HEIGHT:HEIGHT + HEIGHT // 4] = col[1]
    tb[HEIGHT + HEIGHT // 4:] = col[2]
    for y0, w in ((90, 200), (125, 150), (160, 90)):
        tb[y0:y0 + 18, (WIDTH - w) // 2:(WIDTH + w) // 2] = 235
    return tb


def _draw_texture(scene: _Scene, f: int, s: int, cv: _Canvas) -> None:
    """Frame ``f``'s window of the texture through shot ``s``'s lookup tables, into the canvas."""
    y_big, u_big, v_big = scene.planes
    jx, jy = scene.shot_jump[s]
    lut_y, lut_u, lut_v = scene.luts[s]
    if scene.motion == "zoom":
        z = scene.zoom[f]
        ys = ((_AR_Y / z) + HEIGHT / 2 + jy).astype(np.int64) % _TH
        xs = ((_AR_X / z) + WIDTH / 2 + jx).astype(np.int64) % _TW
        np.take(lut_y, np.take(np.take(y_big, ys, axis=0), xs, axis=1), out=cv.y)
        ys2, xs2 = ys[::2] // 2, xs[::2] // 2
        np.take(lut_u, np.take(np.take(u_big, ys2, axis=0), xs2, axis=1), out=cv.u)
        np.take(lut_v, np.take(np.take(v_big, ys2, axis=0), xs2, axis=1), out=cv.v)
    else:
        h2, w2 = HEIGHT // 2, WIDTH // 2
        y0 = int(scene.oy[f] + jy) % _TH
        x0 = int(scene.ox[f] + jx) % _TW
        np.take(lut_y, y_big[y0:y0 + HEIGHT, x0:x0 + WIDTH], out=cv.y)
        yc, xc = y0 // 2, x0 // 2
        np.take(lut_u, u_big[yc:yc + h2, xc:xc + w2], out=cv.u)
        np.take(lut_v, v_big[yc:yc + h2, xc:xc + w2], out=cv.v)


def _draw_actor(scene: _Scene, f: int, p: int, cv: _Canvas) -> None:
    """Step ``p``'s "actor" blob at frame ``f``'s place on its path, and the step indicator bar."""
    tt = float(scene.times[f])
    cx = int(WIDTH / 2 + np.cos(tt * 0.9 + scene.step_phase[p]) * 80)
    cy = int(HEIGHT / 2 + np.sin(tt * 1.3 + scene.step_phase[p]) * 50)
    blob_yuv = scene.blob_yuv
    _paste(cv.y, scene.blobs[p], cy, cx, blob_yuv[p, 0])
    _paste(cv.u, scene.blobs_half[p], cy // 2, cx // 2, blob_yuv[p, 1])
    _paste(cv.v, scene.blobs_half[p], cy // 2, cx // 2, blob_yuv[p, 2])
    # the bar's length is the step's position
    bar = int(WIDTH * (p + 1) / len(scene.steps))
    h2 = HEIGHT // 2
    cv.y[HEIGHT - 8:, :bar] = scene.bar_yuv[0]
    cv.u[h2 - 4:, : bar // 2] = scene.bar_yuv[1]
    cv.v[h2 - 4:, : bar // 2] = scene.bar_yuv[2]


def _frames(scene: _Scene, n_frames: int) -> Iterator[np.ndarray]:
    """Each frame as a yuv420p array: a cached title card, or the reused canvas drawn anew."""
    cv = _canvas()
    title_cache: dict[tuple[int, int], np.ndarray] = {}
    for f in range(n_frames):
        s = int(scene.shot_of[f])
        shot = scene.shots[s]
        p = shot["step_pos"]
        if scene.steps[p]["kind"] == "title":
            key = (p, shot["shot"])
            if key not in title_cache:
                title_cache[key] = _title_card(scene.c0, shot["shot"])
            yield title_cache[key]
        else:
            _draw_texture(scene, f, s, cv)
            _draw_actor(scene, f, p, cv)
            yield cv.buf


def _encode(frames: Iterable[np.ndarray], path: Path, fps: int, crf: int) -> None:
    """H.264 (libx264, yuv420p) of ``frames`` to ``path``, one frame per pts."""
    container = av.open(str(path), mode="w")
    try:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = WIDTH, HEIGHT
        stream.pix_fmt = "yuv420p"
        # one thread: frames this small encode faster without threading overhead (and reproducibly)
        stream.options = {"preset": "ultrafast", "crf": str(crf), "x264-params": "threads=1"}
        for f, img in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(img, format="yuv420p")
            frame.pts = f
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    finally:
        container.close()


def render_video(spec: dict, path: str | Path, crf: int = 32) -> float:
    """Render the video of one generated row's ``_spec`` to ``path``; returns seconds spent.

    Frames are built directly in YUV 4:2:0 (no colour conversion per frame): the texture
    window is a slice of a tiled plane (or a nearest-neighbour ``np.take`` when zooming),
    shot brightness and step tint are 256-entry lookup tables, the blob is pasted from a
    precomputed mask.
    """
    t0 = time.perf_counter()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fps = int(spec.get("fps", 15))
    duration = float(spec["duration"])
    n_frames = max(1, int(round(duration * fps)))
    _encode(_frames(_scene(spec, n_frames, fps), n_frames), path, fps, crf)
    return time.perf_counter() - t0


def probe(path: str | Path) -> dict:
    """Decode a rendered file fully: frames, duration (frames / fps), width, height."""
    with av.open(str(path)) as c:
        st = c.streams.video[0]
        n = 0
        w = h = None
        for frame in c.decode(st):
            n += 1
            w, h = frame.width, frame.height
        fps = float(st.average_rate) if st.average_rate else None
    return {"frames": n, "fps": fps, "duration": n / fps if fps else None, "width": w, "height": h}
