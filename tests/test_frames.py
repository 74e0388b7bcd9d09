"""Tests for the shared frame sampler (videoaudit.media.frames).

Test videos are generated with PyAV: H.264 320x240, each frame's index is written as 10
black/white 32x32 blocks along the top edge, so the frame returned for a time can be checked.
"""

from __future__ import annotations

import io
import math
import os

import av
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from videoaudit.media import (
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

FPS = 15
W, H = 320, 240
BITS = 10


def make_video(path, seconds: float, fps: int = FPS, gop: int = 30, faststart: bool = False) -> str:
    opts = {"movflags": "faststart"} if faststart else {}
    c = av.open(str(path), "w", options=opts)
    s = c.add_stream("libx264", rate=fps)
    s.width, s.height, s.pix_fmt = W, H, "yuv420p"
    s.codec_context.gop_size = gop
    s.options = {"preset": "veryfast", "crf": "20",
                 "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0"}
    for i in range(int(round(seconds * fps))):
        img = np.full((H, W, 3), 60, np.uint8)
        for b in range(BITS):
            img[:32, b * 32:(b + 1) * 32] = 255 if (i >> b) & 1 else 0
        img[32:, :, 1] = (np.arange(W)[None, :] + 3 * i) % 256
        for p in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
            c.mux(p)
    for p in s.encode():
        c.mux(p)
    c.close()
    return str(path)


def frame_index(img: np.ndarray) -> int:
    """Decode the frame index from the top blocks (works at any resize of the frame)."""
    h, w = img.shape[:2]
    bw, bh = w * 32 / W, h * 32 / H
    idx = 0
    for b in range(BITS):
        x0, x1 = int(b * bw + bw * 0.25), int((b + 1) * bw - bw * 0.25)
        y0, y1 = int(bh * 0.25), max(int(bh * 0.75), int(bh * 0.25) + 1)
        if img[y0:y1, x0:max(x1, x0 + 1)].mean() > 128:
            idx |= 1 << b
    return idx


def nearest_index(t: float, n_frames: int, fps: int = FPS) -> int:
    return min(max(int(math.floor(t * fps + 0.5)), 0), n_frames - 1)


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    d = tmp_path_factory.mktemp("videos")
    short = make_video(d / "short.mp4", 10)  # 150 frames, keyframe every 2 s
    long = make_video(d / "long.mp4", 60)  # 900 frames
    fast = make_video(d / "faststart.mp4", 6, faststart=True)  # moov first: truncation decodes partially
    return {"dir": d, "short": short, "long": long, "faststart": fast}


# --------------------------------------------------------------------------- probe


def test_probe_numbers(videos):
    info = probe(videos["short"])
    assert isinstance(info, VideoInfo)
    assert info.path == videos["short"]
    assert info.duration == pytest.approx(10.0, abs=0.07)
    assert info.fps == pytest.approx(15.0)
    assert info.frame_count == 150
    assert (info.width, info.height) == (320, 240)
    assert info.codec == "h264"
    assert probe(videos["long"]).frame_count == 900


# --------------------------------------------------------------------------- sampling correctness


def test_times_request_returns_nearest_frames(videos):
    s = FrameSampler()
    times = (0.0, 0.03, 0.04, 1.0, 2.0, 3.33, 5.0, 7.99, 9.9, 10.0, 25.0, -3.0)
    out = s.sample(videos["short"], [FrameRequest("a", times=times)])
    frames = out["a"]
    expected_t = sorted({min(max(t, 0.0), 10.0) for t in times})
    assert [f.t for f in frames] == expected_t
    for f in frames:
        assert isinstance(f, Frame)
        assert f.image.shape == (240, 320, 3) and f.image.dtype == np.uint8
        got = frame_index(f.image)
        assert got == nearest_index(f.t, 150), (f.t, got)
        assert got == round(f.frame_time * FPS)
        assert abs(f.frame_time - f.t) <= 0.5 / FPS + 1e-6 or f.t >= 10.0
    assert s.decodes == 1


def test_fps_request(videos):
    s = FrameSampler()
    out = s.sample(videos["short"], [FrameRequest("lens", fps=2.0, start=1.0, end=4.0)])
    frames = out["lens"]
    assert [f.t for f in frames] == pytest.approx([1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0])
    for f in frames:
        assert abs(frame_index(f.image) - f.t * FPS) <= 1


def test_union_of_two_consumers_single_decode(videos):
    s = FrameSampler()
    reqs = [
        FrameRequest("thumbnails", times=(0.5, 4.0, 8.25), size=(160, 120)),
        FrameRequest("visual-lens", fps=1.0),
    ]
    out = s.sample(videos["short"], reqs)
    assert s.decodes == 1
    assert set(out) == {"thumbnails", "visual-lens"}
    assert len(out["thumbnails"]) == 3 and len(out["visual-lens"]) == 11
    for f in out["thumbnails"]:
        assert f.image.shape == (120, 160, 3)
        assert frame_index(f.image) == nearest_index(f.t, 150)
    for f in out["visual-lens"]:
        assert f.image.shape == (240, 320, 3)
        assert frame_index(f.image) == nearest_index(f.t, 150)
    # the same frame handed to two consumers at the same size is not a shared mutable buffer
    out2 = s.sample(videos["short"], [FrameRequest("a", times=(4.0,)), FrameRequest("b", times=(4.0,))])
    assert s.decodes == 2
    a, b = out2["a"][0].image, out2["b"][0].image
    assert np.array_equal(a, b) and not np.shares_memory(a, b)


def test_max_frames_and_size(videos):
    s = FrameSampler()
    out = s.sample(videos["short"], [FrameRequest("c", fps=15.0, max_frames=5, size=(64, 48))])
    frames = out["c"]
    assert len(frames) == 5
    assert [f.t for f in frames] == sorted(f.t for f in frames)
    # spread over the video, not the first five
    assert frames[-1].t - frames[0].t > 6.0
    for f in frames:
        assert f.image.shape == (48, 64, 3)
        assert abs(frame_index(f.image) - f.t * FPS) <= 1
    one = s.sample(videos["short"], [FrameRequest("mid", fps=1.0, max_frames=1)])["mid"]
    assert len(one) == 1 and 4.0 <= one[0].t <= 6.0


@pytest.mark.parametrize("use_index", [True, False])
def test_seeking_decodes_few_frames(videos, use_index):
    s = FrameSampler(use_index=use_index)
    times = (12.3, 33.0, 51.7)
    out = s.sample(videos["long"], [FrameRequest("few", times=times)])
    assert [frame_index(f.image) for f in out["few"]] == [nearest_index(t, 900) for t in times]
    assert s.seeks >= 3
    assert s.decodes == 1
    # three frames from 900: at most ~ a GOP (30 frames) + reorder delay per wanted time
    assert s.frames_decoded < 150, s.frames_decoded


def test_dense_sampling_skips_unneeded_gop_tails(videos):
    s = FrameSampler()
    times = tuple(k + 0.5 for k in range(0, 60, 4))  # one time every 4 s, GOP is 2 s
    out = s.sample(videos["long"], [FrameRequest("x", times=times)])
    assert [frame_index(f.image) for f in out["x"]] == [nearest_index(t, 900) for t in times]
    assert s.frames_decoded < 900 / 2


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(times=st.lists(st.floats(min_value=-1.0, max_value=11.0, allow_nan=False), min_size=1, max_size=8),
       use_index=st.booleans(), seek_gap=st.sampled_from([0.1, 2.0, 100.0]))
def test_property_sampled_frames_are_nearest(videos, times, use_index, seek_gap):
    s = FrameSampler(use_index=use_index, seek_gap=seek_gap)
    out = s.sample(videos["short"], [FrameRequest("p", times=tuple(times))])
    frames = out["p"]
    assert len(frames) == len({min(max(t, 0.0), 10.0) for t in times})
    for f in frames:
        got = frame_index(f.image)
        # exact nearest frame, except exact ties (t half-way between two frames) may go either way
        assert abs(got - min(max(f.t * FPS, 0), 149)) <= 0.5 + 1e-6, (f.t, got)
    assert s.decodes == 1


def test_empty_requests_and_empty_range(videos):
    s = FrameSampler()
    assert s.sample(videos["short"], []) == {}
    assert s.decodes == 0
    out = s.sample(videos["short"], [FrameRequest("none", fps=1.0, start=8.0, end=2.0)])
    assert out == {"none": []}
    with pytest.raises(ValueError):
        s.sample(videos["short"], [FrameRequest("x", fps=1.0), FrameRequest("x", fps=2.0)])


def test_request_validation():
    with pytest.raises(ValueError):
        FrameRequest("x")
    with pytest.raises(ValueError):
        FrameRequest("x", times=(1.0,), fps=1.0)
    with pytest.raises(ValueError):
        FrameRequest("x", fps=0.0)
    with pytest.raises(ValueError):
        FrameRequest("x", fps=1.0, max_frames=0)
    with pytest.raises(ValueError):
        FrameRequest("x", times=(float("nan"),))
    assert FrameRequest("x", times=[1, 2]).times == (1.0, 2.0)


# --------------------------------------------------------------------------- bad input


def _assert_names_file(err: MediaError, path) -> None:
    assert err.path == str(path)
    assert os.path.basename(str(path)) in str(err)
    assert str(err).startswith("video ")
    assert err.cause and err.cause in str(err)


@pytest.mark.parametrize("kind", ["zero", "truncated", "text", "missing", "directory"])
def test_bad_inputs_raise_media_error(videos, tmp_path, kind):
    if kind == "zero":
        p = tmp_path / "empty.mp4"
        p.write_bytes(b"")
    elif kind == "truncated":
        data = open(videos["short"], "rb").read()
        p = tmp_path / "half.mp4"
        p.write_bytes(data[: len(data) // 2])
    elif kind == "text":
        p = tmp_path / "notes.mp4"
        p.write_text("this is not a video\n" * 50)
    elif kind == "missing":
        p = tmp_path / "nope.mp4"
    else:
        p = tmp_path / "adir.mp4"
        p.mkdir()
    with pytest.raises(MediaError) as ei:
        probe(p)
    _assert_names_file(ei.value, p)
    s = FrameSampler()
    with pytest.raises(MediaError) as ei:
        s.sample(p, [FrameRequest("a", times=(1.0,))])
    _assert_names_file(ei.value, p)


def test_media_error_message_format():
    e = MediaError("abc.mp4", "cannot open: Invalid data found when processing input")
    assert str(e) == "video abc.mp4: cannot open: Invalid data found when processing input"
    assert e.path == "abc.mp4"


def test_audio_only_file_is_not_a_video(tmp_path):
    p = tmp_path / "tone.m4a"
    c = av.open(str(p), "w")
    s = c.add_stream("aac", rate=16000)
    for i in range(20):
        fr = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        fr.sample_rate = 16000
        fr.pts = i * 1024
        for pk in s.encode(fr):
            c.mux(pk)
    for pk in s.encode():
        c.mux(pk)
    c.close()
    with pytest.raises(MediaError, match="no video stream"):
        probe(p)


def test_truncated_mid_stream_returns_what_decoded(videos, tmp_path):
    data = open(videos["faststart"], "rb").read()  # moov atom first: header survives truncation
    p = tmp_path / "cut.mp4"
    p.write_bytes(data[: len(data) // 2])
    info = probe(p)  # metadata still claims the full 6 s
    assert info.duration == pytest.approx(6.0, abs=0.07)
    s = FrameSampler()
    out = s.sample(p, [FrameRequest("a", times=(0.5, 1.0, 5.5)), FrameRequest("b", fps=1.0)])
    assert s.decodes == 1
    got_a = [(f.t, frame_index(f.image)) for f in out["a"]]
    assert got_a[:2] == [(0.5, 8), (1.0, 15)]
    assert all(t < 5.5 for t, _ in got_a)  # the late time was not decodable and is dropped
    assert 1 <= len(out["b"]) < 7
    for f in out["b"]:
        assert frame_index(f.image) == nearest_index(f.t, 90)
    assert s.last_issues  # the loss is reported
    # only late frames wanted -> nothing decodable -> MediaError naming the file
    with pytest.raises(MediaError) as ei:
        FrameSampler().sample(p, [FrameRequest("late", times=(5.8,))])
    _assert_names_file(ei.value, p)


# --------------------------------------------------------------------------- time resolution (property)

req_strategy = st.builds(
    lambda kind, times, fps, start, span, max_frames: (
        FrameRequest("r", times=tuple(times), max_frames=max_frames)
        if kind == "times"
        else FrameRequest("r", fps=fps, start=start, end=None if span is None else start + span,
                          max_frames=max_frames)
    ),
    kind=st.sampled_from(["times", "fps"]),
    times=st.lists(st.floats(min_value=-50, max_value=500, allow_nan=False), max_size=30),
    fps=st.floats(min_value=0.05, max_value=30.0),
    start=st.floats(min_value=-10, max_value=200, allow_nan=False),
    span=st.one_of(st.none(), st.floats(min_value=-5, max_value=200, allow_nan=False)),
    max_frames=st.one_of(st.none(), st.integers(min_value=1, max_value=40)),
)


@settings(max_examples=300, deadline=None)
@given(reqs=st.lists(req_strategy, min_size=1, max_size=4),
       duration=st.floats(min_value=0.0, max_value=120.0, allow_nan=False))
def test_property_time_resolution(reqs, duration):
    resolved = [resolve_times(r, duration) for r in reqs]
    for r, ts in zip(reqs, resolved):
        assert all(0.0 <= t <= duration for t in ts)
        assert list(ts) == sorted(set(ts))
        if r.max_frames is not None:
            assert len(ts) <= r.max_frames
        if r.fps is not None and r.max_frames is None and ts:
            # uniform: consecutive gaps are 1/fps (except where clamping merged the end)
            gaps = np.diff(ts)
            assert np.all(gaps <= 1.0 / r.fps + 1e-6)
    u = union_times(reqs, duration)
    assert list(u) == sorted(set(u))
    assert set(u) == set().union(*map(set, resolved))


def test_resolve_times_examples():
    assert resolve_times(FrameRequest("a", fps=1.0), 3.5) == (0.0, 1.0, 2.0, 3.0)
    assert resolve_times(FrameRequest("a", fps=1.0, start=1.0, end=3.0), 10) == (1.0, 2.0, 3.0)
    assert resolve_times(FrameRequest("a", times=(5, -1, 99, 5)), 10) == (0.0, 5.0, 10.0)
    ts = resolve_times(FrameRequest("a", fps=10.0, max_frames=4), 10)
    assert len(ts) == 4 and ts[0] > 0.5 and ts[-1] < 9.5


# --------------------------------------------------------------------------- thumbnails


def test_thumbnail_jpeg(videos):
    f = FrameSampler().sample(videos["short"], [FrameRequest("t", times=(3.0,))])["t"][0]
    data = thumbnail_jpeg(f)
    assert data[:2] == b"\xff\xd8"
    im = Image.open(io.BytesIO(data))
    assert im.format == "JPEG" and im.size == (160, 120)
    assert Image.open(io.BytesIO(thumbnail_jpeg(f, width=80))).size == (80, 60)


def test_seek_overshoot_is_corrected(videos, monkeypatch):
    """If the keyframe index is off and a seek lands after the wanted time, the sampler goes
    back further instead of returning a later frame."""
    from videoaudit.media import frames as F

    orig = F.FrameSampler._keyframe_index

    def skewed(stream):
        times, pts = orig(stream)
        return times, [p + int(2.5 / float(stream.time_base)) for p in pts]

    monkeypatch.setattr(F.FrameSampler, "_keyframe_index", staticmethod(skewed))
    s = FrameSampler()
    times = (3.0, 6.2, 9.0)
    out = s.sample(videos["short"], [FrameRequest("a", times=times)])
    assert [frame_index(f.image) for f in out["a"]] == [nearest_index(t, 150) for t in times]
