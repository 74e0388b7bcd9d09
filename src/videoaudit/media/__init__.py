"""Media access: probing videos and the shared frame sampler."""

from .frames import (
    Frame,
    FrameRequest,
    FrameSampler,
    MediaError,
    VideoInfo,
    probe,
    resolve_times,
    thumbnail_jpeg,
    union_times,
)

__all__ = [
    "Frame",
    "FrameRequest",
    "FrameSampler",
    "MediaError",
    "VideoInfo",
    "probe",
    "resolve_times",
    "thumbnail_jpeg",
    "union_times",
]
