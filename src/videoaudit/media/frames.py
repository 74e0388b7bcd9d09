"""One shared frame sampler: every stage that needs pixels asks it, each video is decoded once.

Usage::

    sampler = FrameSampler()
    out = sampler.sample("clip.mp4", [
        FrameRequest("thumbnails", times=(1.0, 5.5), size=(160, 120)),
        FrameRequest("visual-lens", fps=1.0, max_frames=16),
    ])
    out["thumbnails"]  # -> [Frame(t=1.0, image=HxWx3 uint8 RGB, frame_time=...), ...]

Semantics
---------
* Times are seconds from the start of the video stream (the stream's ``start_time`` is
  subtracted from frame pts), clamped into ``[0, duration]``.
* A requested time ``t`` is served by the decoded frame whose presentation time is
  **nearest** to ``t`` (ties go to the later frame).  ``Frame.t`` is the requested
  (clamped) time, ``Frame.frame_time`` the presentation time of the frame actually used.
* Each request's frames come back sorted by time, one per distinct resolved time.
* ``sample()`` opens the file once (``FrameSampler.decodes`` += 1), takes the sorted union
  of all requests' times and walks it forward.  It seeks (to the keyframe at or before the
  next wanted time) whenever that keyframe, looked up in the container's index, lies beyond
  the current decode position -- so frames between wanted times are decoded only when they
  are needed as references -- or, without an index, when the next wanted time is further
  ahead than ``seek_gap`` seconds (and than the observed keyframe
  interval), otherwise it keeps decoding forward.  Only needed frames are converted to RGB;
  each (frame, size) pair is converted once.
* Truncated / corrupt streams: decoding stops at the first decoder/demuxer error or at the
  end of the data.  Times that were already served are returned; times after the failure
  point are dropped (their consumer's list is shorter), except that at a *clean* end of
  stream, times at most ``eof_tolerance`` seconds past the last frame get the last frame.
  ``MediaError`` is raised only if frames were wanted and none at all could be decoded.
  What went wrong is recorded in ``FrameSampler.last_issues``.
"""

from __future__ import annotations

import bisect
import io
import math
import os
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Iterable, Sequence

import av
import numpy as np
from PIL import Image

__all__ = [
    "MediaError",
    "VideoInfo",
    "FrameRequest",
    "Frame",
    "FrameSampler",
    "probe",
    "resolve_times",
    "union_times",
    "thumbnail_jpeg",
]


class MediaError(Exception):
    """A video could not be opened / probed / decoded.

    ``.path`` is the file, ``.cause`` a short human description of what went wrong
    (the underlying exception, if any, is chained as ``__cause__``).
    """

    def __init__(self, path: str | os.PathLike, cause: str | BaseException):
        self.path = os.fspath(path)
        self.cause = cause if isinstance(cause, str) else _describe(cause)
        super().__init__(self.path, self.cause)

    def __str__(self) -> str:  # "video abc.mp4: cannot open: Invalid data found ..."
        return f"video {self.path}: {self.cause}"


def _describe(exc: BaseException) -> str:
    msg = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return str(msg)


@dataclass(frozen=True)
class VideoInfo:
    path: str
    duration: float  # seconds
    fps: float
    frame_count: int
    width: int
    height: int
    codec: str


@dataclass(frozen=True)
class FrameRequest:
    """What one consumer wants.  Give exactly one of ``times`` or ``fps``.

    * ``times``: explicit timestamps (seconds); clamped into [0, duration], sorted, deduplicated.
      ``start``/``end`` do not filter explicit times.
    * ``fps``: uniform rate over ``[start, end]`` (``end`` defaults to the duration), times
      ``start + k / fps``.
    * ``max_frames``: cap; if more times resolve, a uniform subsample is kept (centre of
      ``max_frames`` equal bins, so ``max_frames=1`` picks the middle one).
    * ``size``: exact ``(width, height)`` to resize to, or ``None`` for native size.
    """

    consumer: str
    times: tuple[float, ...] | None = None
    fps: float | None = None
    max_frames: int | None = None
    size: tuple[int, int] | None = None
    start: float = 0.0
    end: float | None = None

    def __post_init__(self) -> None:
        if (self.times is None) == (self.fps is None):
            raise ValueError(f"FrameRequest {self.consumer!r}: give exactly one of times= or fps=")
        if self.times is not None:
            ts = tuple(float(t) for t in self.times)
            if any(not math.isfinite(t) for t in ts):
                raise ValueError(f"FrameRequest {self.consumer!r}: non-finite time")
            object.__setattr__(self, "times", ts)
        if self.fps is not None and not (math.isfinite(self.fps) and self.fps > 0):
            raise ValueError(f"FrameRequest {self.consumer!r}: fps must be > 0")
        if self.max_frames is not None and self.max_frames < 1:
            raise ValueError(f"FrameRequest {self.consumer!r}: max_frames must be >= 1")
        if self.size is not None:
            w, h = self.size
            if int(w) < 1 or int(h) < 1:
                raise ValueError(f"FrameRequest {self.consumer!r}: size must be positive")
            object.__setattr__(self, "size", (int(w), int(h)))
        if not math.isfinite(self.start) or (self.end is not None and not math.isfinite(self.end)):
            raise ValueError(f"FrameRequest {self.consumer!r}: non-finite start/end")


@dataclass
class Frame:
    """A sampled frame.  ``image`` is HxWx3 uint8 RGB (writable, owned by this consumer).

    ``t`` is the requested (clamped) time; the pixels are those of the decoded frame whose
    presentation time ``frame_time`` is nearest to ``t``.
    """

    t: float
    image: np.ndarray
    frame_time: float = field(default=float("nan"))


# --------------------------------------------------------------------------- time resolution

_EPS = 1e-9


def resolve_times(request: FrameRequest, duration: float) -> tuple[float, ...]:
    """Timestamps wanted by ``request`` for a video of ``duration`` s: within [0, duration],
    sorted ascending, unique, at most ``max_frames`` of them."""
    duration = max(0.0, float(duration)) if math.isfinite(duration) else 0.0

    def clamp(t: float) -> float:
        return min(max(t, 0.0), duration)

    if request.times is not None:
        ts = sorted({clamp(t) for t in request.times})
    else:
        start = clamp(request.start)
        end = clamp(duration if request.end is None else request.end)
        if end < start:
            ts = []
        else:
            fps = float(request.fps)  # type: ignore[arg-type]
            n = int(math.floor((end - start) * fps + 1e-6)) + 1
            ts = [start + k / fps for k in range(n)]
            ts = sorted({clamp(t) for t in ts})
    m = request.max_frames
    if m is not None and len(ts) > m:
        n = len(ts)
        ts = [ts[min(n - 1, int((i + 0.5) * n / m))] for i in range(m)]
    return tuple(ts)


def union_times(requests: Iterable[FrameRequest], duration: float) -> tuple[float, ...]:
    """Sorted union (unique) of all requests' resolved times."""
    out: set[float] = set()
    for r in requests:
        out.update(resolve_times(r, duration))
    return tuple(sorted(out))


# --------------------------------------------------------------------------- probing


def _check_file(path: str) -> None:
    if not os.path.exists(path):
        raise MediaError(path, "file not found")
    if not os.path.isfile(path):
        raise MediaError(path, "not a regular file")
    if os.path.getsize(path) == 0:
        raise MediaError(path, "empty file (0 bytes)")


def _open(path: str) -> av.container.InputContainer:
    _check_file(path)
    try:
        return av.open(path, "r")
    except (av.error.FFmpegError, OSError, ValueError) as e:
        raise MediaError(path, f"cannot open: {_describe(e)}") from e


def _video_stream(path: str, container) -> av.video.stream.VideoStream:
    if not container.streams.video:
        raise MediaError(path, "no video stream")
    return container.streams.video[0]


def _info(path: str, container, stream) -> VideoInfo:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    fps = float(rate) if rate else 0.0
    duration = 0.0
    if stream.duration is not None and stream.time_base is not None:
        duration = float(stream.duration * stream.time_base)
    if duration <= 0 and container.duration is not None:
        duration = container.duration / av.time_base
    frames = int(stream.frames or 0)
    if duration <= 0 and frames and fps > 0:
        duration = frames / fps
    if fps <= 0 and frames and duration > 0:
        fps = frames / duration
    if not frames and duration > 0 and fps > 0:
        frames = int(round(duration * fps))
    cc = stream.codec_context
    if cc is None:  # a codec tag FFmpeg has no decoder for
        tag = getattr(stream, "codec_tag", None)
        named = f" (tag {tag!r})" if tag else ""
        raise MediaError(path, f"no decoder for the video stream's codec{named}: not a playable video")
    width, height = int(cc.width or 0), int(cc.height or 0)
    if width <= 0 or height <= 0:
        raise MediaError(path, "video stream has no frame size (unreadable or not a video)")
    return VideoInfo(
        path=path,
        duration=float(duration),
        fps=float(fps),
        frame_count=frames,
        width=width,
        height=height,
        codec=str(cc.name),
    )


def probe(path: str | os.PathLike) -> VideoInfo:
    """Container/stream metadata of the first video stream.  Raises ``MediaError`` for a missing,
    zero-byte, non-video or unreadable file.  Duration: the video stream's duration, else the
    container's, else frames / fps; frame_count: the stream's frame count, else duration * fps."""
    path = os.fspath(path)
    container = _open(path)
    try:
        return _info(path, container, _video_stream(path, container))
    finally:
        container.close()


# --------------------------------------------------------------------------- sampling


class FrameSampler:
    """Shared frame sampler.  Counters (cumulative over the sampler's life):

    * ``decodes``: containers opened for decoding (exactly 1 per ``sample()`` call that has requests),
    * ``frames_decoded``: video frames that came out of the decoder,
    * ``seeks``: container seeks performed.

    Threading: ``thread_type`` ("AUTO" = frame+slice threads) is applied only to videos of at
    least ``thread_min_pixels`` pixels per frame.  Measured on a 2-core box: 1280x720 H.264 at
    1-5 frames/s sampled is ~2x faster with AUTO; 320x240 with a seek per GOP is ~30% *slower*
    with frame threads (thread start-up and flush on every seek), so small videos keep PyAV's
    default (slice threading, i.e. effectively single-threaded for single-slice H.264).

    Seeking: when the container has an index (mp4/mov), the keyframe at or before the next
    wanted time is looked up and the sampler seeks iff that keyframe lies more than
    ``min_skip_frames`` frames beyond the current decode position (so frames between two
    wanted times are only decoded when they are needed as references).  Without an index it
    seeks when the next wanted time is more than max(``seek_gap``, observed GOP) seconds ahead.
    """

    def __init__(
        self,
        seek_gap: float = 2.0,
        eof_tolerance: float = 1.0,
        thread_type: str | None = "AUTO",
        thread_min_pixels: int = 640 * 360,
        interpolation: str = "AREA",
        use_index: bool = True,
        min_skip_frames: int = 4,
    ):
        self.seek_gap = float(seek_gap)
        self.eof_tolerance = float(eof_tolerance)
        self.thread_type = thread_type
        self.thread_min_pixels = int(thread_min_pixels)
        self.interpolation = interpolation
        self.use_index = use_index
        self.min_skip_frames = int(min_skip_frames)
        self.decodes = 0
        self.frames_decoded = 0
        self.seeks = 0
        self.last_info: VideoInfo | None = None
        self.last_issues: list[str] = []
        self.last_counts: tuple[int, int] = (0, 0)  # (frames asked, frames got) of the last sample()

    # -- public -----------------------------------------------------------------------------
    def sample(
        self, path: str | os.PathLike, requests: Sequence[FrameRequest]
    ) -> dict[str, list[Frame]]:
        path = os.fspath(path)
        requests = list(requests)
        names = [r.consumer for r in requests]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate consumer names in requests: {names}")
        self.last_issues = []
        self.last_counts = (0, 0)
        if not requests:
            return {}
        container = _open(path)
        self.decodes += 1
        try:
            stream = _video_stream(path, container)
            info = _info(path, container, stream)
            self.last_info = info
            per_req = {r.consumer: resolve_times(r, info.duration) for r in requests}
            # union: time -> set of sizes wanted at that time
            wanted: dict[float, set] = {}
            for r in requests:
                for t in per_req[r.consumer]:
                    wanted.setdefault(t, set()).add(r.size)
            if not wanted:
                return {r.consumer: [] for r in requests}
            served = self._walk(path, container, stream, info, wanted)
        finally:
            container.close()

        out: dict[str, list[Frame]] = {}
        handed: set[int] = set()
        for r in requests:
            frames = []
            for t in per_req[r.consumer]:
                got = served.get(t)
                if got is None:
                    continue
                ft, arrays = got
                img = arrays[r.size]
                if id(img) in handed:  # another consumer already owns this array
                    img = img.copy()
                else:
                    handed.add(id(img))
                frames.append(Frame(t=t, image=img, frame_time=ft))
            out[r.consumer] = frames
        self.last_counts = (sum(len(v) for v in per_req.values()), sum(len(v) for v in out.values()))
        return out

    def shortfall(self, video_id: str) -> str | None:
        """A decode warning for the last ``sample()`` when fewer frames came out than were asked
        (corrupt packets, a truncated file), naming the video, the counts and the decoder's issues."""
        asked, got = self.last_counts
        if got >= asked:
            return None
        why = "; ".join(self.last_issues)[:300] or "the stream ended early"
        return f"video {video_id}: decoded {got} of {asked} frames asked ({why})"

    # -- internals --------------------------------------------------------------------------
    def _walk(self, path, container, stream, info: VideoInfo, wanted: dict[float, set]):
        """Decode forward through the sorted wanted times, seeking across large gaps.
        Returns {time: (frame_time, {size: ndarray})} for the times that could be served."""
        self._use_threads(stream, info)
        walk = _Walk(self, container, stream, info, wanted)
        n = len(walk.times)
        while walk.i < n:
            vf = walk.next_frame()
            if vf is None:
                break
            ft = walk.frame_time(vf)
            if walk.retry_overshoot(ft):
                continue
            walk.take(vf, ft)
        walk.serve_tail()
        self._shortfall(path, walk.times, walk.i, bool(walk.served), walk.failure, walk.seq, walk.prev)
        return walk.served

    def _use_threads(self, stream, info: VideoInfo) -> None:
        """Frame threads for large frames only (small ones decode faster on one thread)."""
        if self.thread_type and info.width * info.height >= self.thread_min_pixels:
            try:
                stream.thread_type = self.thread_type
            except Exception:  # pragma: no cover - older/odd builds
                pass

    def _seek_back(self, container, stream, t: float, back: float, start_pts: int, tb) -> bool:
        """Seek ``back`` seconds before ``t`` (after an overshooting seek); False (noted) if it fails."""
        try:
            container.seek(max(start_pts, int(math.floor((t - back) / tb)) + start_pts),
                           backward=True, any_frame=False, stream=stream)
        except (av.error.FFmpegError, OSError) as e:
            self.last_issues.append(f"seek to {t:.3f}s failed: {_describe(e)}")
            return False
        self.seeks += 1
        return True

    def _shortfall(self, path, times: list[float], i: int, any_served: bool, failure: str | None, seq: int,
                   prev) -> None:
        """Note the wanted times from ``times[i]`` on that were not served; MediaError if none was."""
        n = len(times)
        if i < n:
            why = failure or "stream ended early"
            self.last_issues.append(f"{n - i} wanted time(s) from {times[i]:.3f}s not decodable ({why})")
        if failure and failure not in " ".join(self.last_issues):
            self.last_issues.append(failure)
        if not any_served:
            if failure:
                why = failure
            elif seq == 0:
                why = "no decodable frames where wanted (truncated or corrupt file?)"
            else:
                why = f"stream ended at {prev[1] if prev else 0.0:.3f}s, before the wanted times"
            raise MediaError(path, f"no frame could be decoded: {why}")

    @staticmethod
    def _keyframe_index(stream) -> tuple[list[float], list[int]] | None:
        """(keyframe times in s, their estimated stream PTS) from the demuxer's index, or None
        when the container has no usable index (then a gap threshold decides seeks).
        mp4 indexes hold DTS; for keyframes that is PTS minus a constant reorder delay, so
        times are measured from the first entry to approximate presentation times.  Only
        efficiency depends on this, never which frame is returned."""
        try:
            entries = stream.index_entries
            count = len(entries)
        except Exception:
            return None
        if count < 2 or stream.time_base is None:
            return None
        tb = float(stream.time_base)
        base = entries[0].timestamp
        raw = sorted(e.timestamp for e in entries if e.is_keyframe)
        if len(raw) < 2:
            return None
        # estimated keyframe PTS (what seek() is given; landing exactly on the keyframe)
        start = stream.start_time or 0
        return [(r - base) * tb for r in raw], [r - base + start for r in raw]

    def _convert(self, vf, size) -> np.ndarray:
        if size is None:
            return vf.to_ndarray(format="rgb24")
        w, h = size
        if (w, h) == (vf.width, vf.height):
            return vf.to_ndarray(format="rgb24")
        return vf.to_ndarray(width=w, height=h, format="rgb24", interpolation=self.interpolation)


class _Walk:
    """The state of one :meth:`FrameSampler._walk` and its steps: one decoder pass over the
    sorted wanted times, seeking across gaps. The sampler keeps the counters and the issues."""

    def __init__(self, sampler: FrameSampler, container, stream, info: VideoInfo, wanted: dict[float, set]):
        self.sampler = sampler
        self.container, self.stream = container, stream
        self.wanted = wanted
        self.tb = stream.time_base or Fraction(1, 90000)
        self.start_pts = stream.start_time or 0
        self.fps = info.fps if info.fps > 0 else 25.0
        self.times = sorted(wanted)
        self.served: dict[float, tuple[float, dict]] = {}
        self.conv_cache: dict[int, tuple[float, dict]] = {}  # frame seq -> (frame_time, {size: array})
        self.index = sampler._keyframe_index(stream) if sampler.use_index else None
        self.keytimes = self.index[0] if self.index else None
        self.min_skip = sampler.min_skip_frames / self.fps
        self.i = 0  # the next wanted time (index into times)
        self.seq = 0  # frames decoded so far: the current frame's number
        self.prev = None  # (seq, time, VideoFrame) of the last decoded frame
        self.pos: float | None = None  # time of the last decoded frame (None right after a seek)
        self.gen = None  # the decoder's frame iterator
        self.last_seek_index = -1  # the wanted time the last seek was for
        self.retried_index = -1  # the wanted time whose overshooting seek was retried
        self.gop_est = 0.0  # observed keyframe interval (used when the container has no index)
        self.last_key_t: float | None = None
        self.clean_eof = False
        self.failure: str | None = None

    def serve(self, t: float, seq: int, ft: float, vf) -> None:
        """Time ``t`` gets frame ``seq``: converted once per (frame, size)."""
        entry = self.conv_cache.get(seq)
        if entry is None:
            entry = (ft, {})
            self.conv_cache[seq] = entry
        arrays = entry[1]
        for size in self.wanted[t]:
            if size not in arrays:
                arrays[size] = self.sampler._convert(vf, size)
        self.served[t] = entry

    def seek_target(self, t: float) -> int | None:
        """Stream timestamp to seek to before decoding toward t, or None to keep decoding."""
        here = self.pos if self.pos is not None else 0.0
        keytimes = self.keytimes
        if keytimes:
            # keyframe at or before t; seek iff it lies beyond the current decode position,
            # i.e. everything between here and there is unneeded.  Seek to its exact index
            # (estimated) timestamp so the backward seek lands on it.
            k = bisect.bisect_right(keytimes, t + _EPS) - 1
            if k < 0 or keytimes[k] <= here + self.min_skip:
                return None
            return self.index[1][k]
        if t - here > max(self.sampler.seek_gap, self.gop_est):
            # aim a little early: the demuxer may compare DTS, which trails PTS
            return int(math.floor((t - 3.0 / self.fps) / self.tb)) + self.start_pts
        return None

    def next_frame(self):
        """The next decoded frame, seeking first when that skips unneeded frames; None at the end
        of the stream (``clean_eof``) or at a decode error (``failure``)."""
        t = self.times[self.i]
        target = self.seek_target(t) if self.last_seek_index != self.i else None
        if self.gen is None or target is not None:
            if target is not None:
                self._seek(target, t)
            if self.gen is None:
                self.gen = self.container.decode(self.stream)
        try:
            vf = next(self.gen)
        except StopIteration:
            self.clean_eof = True
            return None
        except (av.error.FFmpegError, OSError, ValueError) as e:
            self.failure = f"decode error near {self.pos if self.pos is not None else 0.0:.3f}s: {_describe(e)}"
            return None
        self.sampler.frames_decoded += 1
        self.seq += 1
        return vf

    def _seek(self, target: int, t: float) -> None:
        self.last_seek_index = self.i
        try:
            self.container.seek(target, backward=True, any_frame=False, stream=self.stream)
            self.sampler.seeks += 1
            self.prev = None
            self.pos = None
            self.last_key_t = None
            self.gen = None
        except (av.error.FFmpegError, OSError) as e:
            self.sampler.last_issues.append(f"seek to {t:.3f}s failed: {_describe(e)}")

    def frame_time(self, vf) -> float:
        """Seconds from the stream's start; a frame without a pts follows the previous one."""
        if vf.pts is not None:
            return float((vf.pts - self.start_pts) * self.tb)
        return (self.pos + 1.0 / self.fps) if self.pos is not None else 0.0

    def retry_overshoot(self, ft: float) -> bool:
        """True when the first frame after a seek lies past the wanted time (an inexact index,
        DTS vs PTS) and the decoder went back further (once per wanted time)."""
        i = self.i
        if (
            self.prev is None
            and self.last_seek_index == i
            and self.retried_index != i
            and ft > self.times[i] + 0.5 / self.fps + _EPS
        ):
            self.retried_index = i
            back = max(self.sampler.seek_gap, self.gop_est, 1.0) * 2
            if self.sampler._seek_back(self.container, self.stream, self.times[i], back, self.start_pts, self.tb):
                self.gen = self.container.decode(self.stream)
                return True
        return False

    def take(self, vf, ft: float) -> None:
        """Serve every wanted time up to ``ft`` with the nearer of the previous frame and ``vf``."""
        if vf.key_frame:
            if self.last_key_t is not None and ft > self.last_key_t:
                self.gop_est = max(self.gop_est, ft - self.last_key_t)
            self.last_key_t = ft
        times, n, prev = self.times, len(self.times), self.prev
        while self.i < n and times[self.i] <= ft + _EPS:
            ti = times[self.i]
            if prev is not None and (ti - prev[1]) < (ft - ti):
                self.serve(ti, prev[0], prev[1], prev[2])
            else:
                self.serve(ti, self.seq, ft, vf)
            self.i += 1
        self.prev = (self.seq, ft, vf)
        self.pos = ft

    def serve_tail(self) -> None:
        """At a clean end of stream, times at most ``eof_tolerance`` past the last frame get it."""
        times, n, prev = self.times, len(self.times), self.prev
        if self.i < n and self.clean_eof and prev is not None:
            while self.i < n and times[self.i] - prev[1] <= self.sampler.eof_tolerance + _EPS:
                self.serve(times[self.i], prev[0], prev[1], prev[2])
                self.i += 1


# --------------------------------------------------------------------------- thumbnails


def thumbnail_jpeg(frame: Frame, width: int = 160, quality: int = 80) -> bytes:
    """JPEG bytes of ``frame`` scaled to ``width`` px wide (aspect kept; never upscaled)."""
    img = Image.fromarray(np.ascontiguousarray(frame.image), "RGB")
    if width and img.width != width and img.width > width:
        h = max(1, round(img.height * width / img.width))
        img = img.resize((width, h), Image.Resampling.BILINEAR, reducing_gap=2.0)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()
