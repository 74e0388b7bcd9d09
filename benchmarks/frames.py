"""Benchmark: FrameSampler vs the ffmpeg CLI, sampling 1 frame/s from a 90 s 320x240 H.264 video.

Run:  python benchmarks/frames.py [video.mp4]
Import: sys.path.insert(0, "benchmarks"); from frames import measure; measure() -> dict

The last printed line is one JSON object:
  frames_per_second                    FrameSampler, frames delivered per wall-clock second
  ffmpeg_seek_frames_per_second        one `ffmpeg -ss t -i f -frames:v 1` process per timestamp
  ffmpeg_fps_filter_frames_per_second  one `ffmpeg -i f -vf fps=1` pass
  frames_per_second_by_method          also `-threads 1 -vf fps=1` and a `select` filter (first frame of each
                                       second), each with default and with one thread
  frames_decoded_by_method             frames that came out of the decoder on each side (FrameSampler counts
                                       its own; the ffmpeg filter passes decode every frame; `-ss` per frame
                                       is computed from the keyframe index)
  ratio_vs_ffmpeg                      ours / best ffmpeg method (higher is better for us)
  long_gop                             the same on a video with a keyframe every 10 s (GOP 300), not 2 s
  seconds_per_video_1fps_90s           FrameSampler wall time for the 90 frames
(all numbers are medians over `repeats` runs).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

try:
    from videoaudit.media.frames import FrameRequest, FrameSampler, probe
except ImportError:  # running from a checkout without the package installed
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
    from videoaudit.media.frames import FrameRequest, FrameSampler, probe

FFMPEG = shutil.which("ffmpeg") or "/usr/bin/ffmpeg"


def make_video(path: str, seconds: int = 90, fps: int = 30, width: int = 320, height: int = 240,
               gop: int = 60) -> str:
    """Synthetic but non-trivial H.264 (moving textured content, fixed GOP, B-frames)."""
    import av

    rng = np.random.default_rng(0)
    texture = rng.integers(0, 256, size=(height * 2, width * 2, 3), dtype=np.uint8)
    texture = ((texture.astype(np.uint16) + np.roll(texture, 1, 0) + np.roll(texture, 1, 1)) // 3).astype(np.uint8)
    c = av.open(path, "w")
    s = c.add_stream("libx264", rate=fps)
    s.width, s.height, s.pix_fmt = width, height, "yuv420p"
    s.codec_context.gop_size = gop
    s.options = {"preset": "veryfast", "crf": "23",
                 "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0"}
    yy, xx = np.mgrid[0:height, 0:width]
    for i in range(seconds * fps):
        dx, dy = (i * 3) % width, (i * 2) % height
        img = texture[dy:dy + height, dx:dx + width].copy()
        cx, cy = int(width / 2 + width / 3 * np.sin(i / 20)), int(height / 2 + height / 3 * np.cos(i / 27))
        img[(xx - cx) ** 2 + (yy - cy) ** 2 < 900] = (i * 7 % 256, 255 - i % 256, 128)
        for p in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
            c.mux(p)
    for p in s.encode():
        c.mux(p)
    c.close()
    return path


def _ours(path: str, times: tuple[float, ...], **kw) -> tuple[float, int, FrameSampler]:
    sampler = FrameSampler(**kw)
    t0 = time.perf_counter()
    out = sampler.sample(path, [FrameRequest("bench", times=times)])
    dt = time.perf_counter() - t0
    return dt, len(out["bench"]), sampler


def _ffmpeg_seek(path: str, times: tuple[float, ...], w: int, h: int) -> tuple[float, int]:
    t0 = time.perf_counter()
    n = 0
    for t in times:
        r = subprocess.run([FFMPEG, "-v", "error", "-nostdin", "-ss", f"{t:.3f}", "-i", path,
                            "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                           capture_output=True, check=True)
        n += len(r.stdout) // (w * h * 3)
    return time.perf_counter() - t0, n


def _ffmpeg_filter(path: str, w: int, h: int, vf: str, threads: int | None = None,
                   extra: tuple[str, ...] = ()) -> tuple[float, int]:
    """One ffmpeg pass that decodes every frame and keeps those the filter ``vf`` selects."""
    t0 = time.perf_counter()
    cmd = [FFMPEG, "-v", "error", "-nostdin"]
    if threads is not None:
        cmd += ["-threads", str(threads)]  # before -i: the decoder's threads
    cmd += ["-i", path, "-vf", vf, *extra]
    if threads is not None:
        cmd += ["-filter_threads", str(threads)]
    r = subprocess.run([*cmd, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True)
    return time.perf_counter() - t0, len(r.stdout) // (w * h * 3)


def _ffmpeg_fps(path: str, w: int, h: int) -> tuple[float, int]:
    return _ffmpeg_filter(path, w, h, "fps=1")


SELECT_1S = "select='isnan(prev_selected_t)+gte(t-prev_selected_t\\,1)'"  # first frame of each second


def keyframe_times(path: str) -> list[float]:
    """Presentation times of the video's keyframes (from the container's packets; nothing decoded)."""
    import av

    with av.open(path) as c:
        s = c.streams.video[0]
        return sorted(float(p.pts * s.time_base) for p in c.demux(s) if p.pts is not None and p.is_keyframe)


def ffmpeg_seek_frames_decoded(path: str, times, fps: float) -> int:
    """Frames `ffmpeg -ss t` decodes for each t: from the keyframe at or before t up to t (computed
    from the keyframe index: ffmpeg's input seek lands on that keyframe and decodes forward)."""
    keys = keyframe_times(path)
    total = 0
    for t in times:
        k = max((x for x in keys if x <= t + 1e-6), default=0.0)
        total += int(round((t - k) * fps)) + 1
    return total


def measure(path: str | None = None, repeats: int = 3, verbose: bool = False, gop: int = 60) -> dict:
    """Sample 1 frame/s from `path` (default: a generated 90 s 320x240 H.264 video, a keyframe every
    ``gop`` frames) and time FrameSampler against the ffmpeg CLI.  Returns the JSON-able summary dict."""
    tmp = None
    if path is None:
        tmp = tempfile.mkdtemp(prefix="va-bench-frames-")
        path = make_video(os.path.join(tmp, f"bench90-gop{gop}.mp4"), gop=gop)
    try:
        info = probe(path)
        times = tuple(float(k) for k in range(int(info.duration)))  # 1 frame/s
        nt = len(times)
        methods = {
            "ffmpeg -vf fps=1 one pass": lambda: _ffmpeg_fps(path, info.width, info.height),
            "ffmpeg -threads 1 -vf fps=1": lambda: _ffmpeg_filter(path, info.width, info.height, "fps=1", threads=1),
            "ffmpeg -vf select (1/s)": lambda: _ffmpeg_filter(path, info.width, info.height, SELECT_1S,
                                                              extra=("-fps_mode", "vfr")),
            "ffmpeg -threads 1 -vf select (1/s)": lambda: _ffmpeg_filter(path, info.width, info.height, SELECT_1S,
                                                                         threads=1, extra=("-fps_mode", "vfr")),
        }
        rows: dict[str, list[float]] = {"videoaudit FrameSampler": [], "ffmpeg -ss per frame": [],
                                        **{k: [] for k in methods}}
        counts: dict[str, int] = {}
        extra: dict = {}
        for _ in range(repeats):
            dt, n, s = _ours(path, times)
            rows["videoaudit FrameSampler"].append(dt)
            counts["videoaudit FrameSampler"] = n
            extra = {"frames_decoded": s.frames_decoded, "seeks": s.seeks, "decodes": s.decodes}
            if shutil.which(FFMPEG) or os.path.exists(FFMPEG):
                dt, n = _ffmpeg_seek(path, times, info.width, info.height)
                rows["ffmpeg -ss per frame"].append(dt)
                counts["ffmpeg -ss per frame"] = n
                for name, fn in methods.items():
                    dt, n = fn()
                    rows[name].append(dt)
                    counts[name] = n
        med = {k: statistics.median(v) for k, v in rows.items() if v}
        fps_of = {k: counts[k] / med[k] for k in med}
        ours = fps_of["videoaudit FrameSampler"]
        seek_fps = fps_of.get("ffmpeg -ss per frame", float("nan"))
        filt_fps = fps_of.get("ffmpeg -vf fps=1 one pass", float("nan"))
        ff = {k: v for k, v in fps_of.items() if k.startswith("ffmpeg")}
        best_name = max(ff, key=ff.get) if ff else None
        best = ff[best_name] if ff else float("nan")
        # frames each side decodes: the filter passes decode every frame of the video
        decoded = {"videoaudit FrameSampler": extra["frames_decoded"],
                   **{k: info.frame_count for k in methods if k in med}}
        if "ffmpeg -ss per frame" in med:
            decoded["ffmpeg -ss per frame"] = ffmpeg_seek_frames_decoded(path, times, info.fps)
        if verbose:
            print(f"video: {path}  {info.width}x{info.height} {info.fps:g} fps, {info.duration:.1f} s, "
                  f"{info.frame_count} frames; {nt} timestamps at 1/s; median of {repeats} runs")
            print(f"{'method':36s} {'frames':>6s} {'decoded':>7s} {'seconds':>8s} {'frames/s':>9s}")
            for k in med:
                print(f"{k:36s} {counts[k]:6d} {decoded.get(k, -1):7d} {med[k]:8.3f} {fps_of[k]:9.1f}")
            print(f"FrameSampler decoded {extra['frames_decoded']} of {info.frame_count} frames, "
                  f"{extra['seeks']} seeks, {extra['decodes']} open")
        return {
            "frames_per_second": round(ours, 2),
            "ffmpeg_seek_frames_per_second": round(seek_fps, 2),
            "ffmpeg_fps_filter_frames_per_second": round(filt_fps, 2),
            "ratio_vs_ffmpeg": round(ours / best, 3),
            "best_ffmpeg_method": best_name,
            "frames_per_second_by_method": {k: round(v, 2) for k, v in fps_of.items()},
            "frames_delivered_by_method": counts,
            "frames_decoded_by_method": decoded,
            "keyframe_interval_seconds": round(float(np.median(np.diff(keyframe_times(path)))), 3)
            if len(keyframe_times(path)) > 1 else None,
            "seconds_per_video_1fps_90s": round(med["videoaudit FrameSampler"], 4),
        }
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def measure_both(repeats: int = 3, verbose: bool = False) -> dict:
    """The 2 s keyframe interval (GOP 60 at 30 fps) and a long one (GOP 300: 10 s)."""
    short = measure(None, repeats, verbose, gop=60)
    long_ = measure(None, repeats, verbose, gop=300)
    return {**short, "long_gop": long_}


if __name__ == "__main__":
    result = measure(sys.argv[1], verbose=True) if len(sys.argv) > 1 else measure_both(verbose=True)
    print(json.dumps(result))
