"""Frame supports <-> seconds: the two conventions found in FiftyOne video datasets.

A FiftyOne ``TemporalDetection`` stores ``support = [first, last]``: 1-based, inclusive frame
numbers. Two conventions turn seconds into frames (FACTS.md section 2):

``action100m`` (Voxel51's Action100M conversion)
    ``frame = int(t * fps) + 1``; back: ``t = (frame - 1) / fps``. Needs the frame rate.
``fiftyone`` (``fo.TemporalDetection.from_timestamps`` / ``eta`` helpers)
    ``frame = 1 + round(t / duration * (N - 1))`` with N the frame count; back:
    ``t = (frame - 1) / (N - 1) * duration``. Needs duration and frame count.

Both are exact to within one frame: the forward map truncates or rounds, so the inverse
recovers the frame's start time. Pure numpy functions, no FiftyOne import.
"""

from __future__ import annotations

import numpy as np

CONVENTIONS: tuple[str, ...] = ("action100m", "fiftyone")


def _check(convention: str, fps, duration, frame_count) -> None:
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown frame convention {convention!r}; one of {', '.join(CONVENTIONS)}")
    if convention == "action100m" and not (fps and fps > 0):
        raise ValueError(f"the action100m frame convention needs a positive frame rate, got {fps!r}")
    if convention == "fiftyone" and not (duration and duration > 0 and frame_count and frame_count > 1):
        raise ValueError(f"the fiftyone frame convention needs duration > 0 and more than one frame, "
                         f"got duration={duration!r}, frame_count={frame_count!r}")


def seconds_to_frames(t, convention: str, fps=None, duration=None, frame_count=None) -> np.ndarray:
    """1-based frame numbers of times ``t`` (seconds, array-like) under ``convention``."""
    _check(convention, fps, duration, frame_count)
    t = np.maximum(np.asarray(t, dtype=np.float64), 0.0)
    if convention == "action100m":
        # the small epsilon keeps 2.0 * 30 = 59.999... from landing one frame early
        f = np.floor(t * fps + 1e-6).astype(np.int64) + 1
    else:
        f = 1 + np.rint(t / duration * (frame_count - 1)).astype(np.int64)
        f = np.minimum(f, frame_count)
    return f


def frames_to_seconds(frames, convention: str, fps=None, duration=None, frame_count=None) -> np.ndarray:
    """Seconds of 1-based frame numbers under ``convention`` (the inverse of seconds_to_frames)."""
    _check(convention, fps, duration, frame_count)
    f = np.asarray(frames, dtype=np.float64)
    if convention == "action100m":
        return (f - 1.0) / fps
    return (f - 1.0) / (frame_count - 1) * duration


def tolerance(convention: str, fps=None, duration=None, frame_count=None) -> float:
    """Seconds of one frame under ``convention``: the round-trip error bound."""
    _check(convention, fps, duration, frame_count)
    return 1.0 / fps if convention == "action100m" else duration / (frame_count - 1)
