"""Qwen3-VL / Molmo2 adapters end to end on TINY RANDOM-WEIGHT checkpoints (tests/_tiny_vlm.py).

The checkpoints have the real architectures and processors but random weights, so every
generated text is garbage and every vector is meaningless: these tests check the plumbing
(decode-once frames -> processor -> forward / generate -> pooling / parsing -> Answer with
raw text and settings) and the failure handling, never the quality of an answer.
"""

from __future__ import annotations

import sys
from pathlib import Path

import av
import numpy as np
import pytest

from videoaudit.media.frames import FrameSampler
from videoaudit.models import registry
from videoaudit.models.hf_vlm import ModelLoadError
from videoaudit.opinions.parse import ParseFailure, Point

sys.path.insert(0, str(Path(__file__).parent))
from _tiny_vlm import build_molmo2, build_qwen3_vl  # noqa: E402

pytestmark = pytest.mark.slow  # model builds + CPU forward passes: a few seconds each


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny-vlm")
    return {"qwen": str(build_qwen3_vl(root / "qwen3-vl-tiny")), "molmo": str(build_molmo2(root / "molmo2-tiny"))}


@pytest.fixture(scope="session")
def clip(tmp_path_factory) -> tuple[str, float]:
    """A 4 s 160x120 H.264 clip (10 fps): a bright square crossing a dark background."""
    path = tmp_path_factory.mktemp("clip") / "square.mp4"
    fps, n = 10, 40
    with av.open(str(path), "w") as out:
        st = out.add_stream("libx264", rate=fps)
        st.width, st.height, st.pix_fmt = 160, 120, "yuv420p"
        for i in range(n):
            img = np.full((120, 160, 3), 30, np.uint8)
            x = 10 + 3 * i
            img[40:80, x:x + 30] = (230, 200, 40)
            for pkt in st.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(pkt)
        for pkt in st.encode():
            out.mux(pkt)
    return str(path), n / fps  # the container reports 4.0 s


def _sample(clip, *consumers):
    """ONE decode for every consumer's request; returns (frames per consumer, sampler)."""
    path, dur = clip
    sampler = FrameSampler()
    out = sampler.sample(path, [c.frame_request(dur) if not isinstance(c, tuple) else c[0].frame_request(c[1], dur)
                                for c in consumers])
    assert sampler.decodes == 1
    return out, sampler


# --------------------------------------------------------------------------- embedders


def test_qwen3_vl_embedding_video_and_text(tiny, clip):
    emb = registry.get("visual", "qwen3-vl-embedding", model=tiny["qwen"])
    assert emb.dim == 64  # the tiny config's hidden size
    req = emb.frame_request(clip[1])
    assert (req.fps, req.max_frames) == (1.0, 64)  # the model card's video settings
    frames, _ = _sample(clip, emb)
    fr = frames[emb.name]
    assert [f.t for f in fr] == [0.0, 1.0, 2.0, 3.0, 4.0]
    v = emb.embed_frames(fr)
    assert v.shape == (64,) and v.dtype == np.float32
    assert np.isclose(np.linalg.norm(v), 1.0, atol=1e-5)
    assert np.array_equal(v, emb.embed_frames(fr))  # deterministic
    assert emb.last_call["frame_times"] == [[0.0, 1.0, 2.0, 3.0, 4.0]]
    w, h = emb.last_call["frame_sizes"][0]
    assert w % 32 == 0 and h % 32 == 0  # resized to the patch x merge factor
    # batched videos give the same vectors as one at a time (left padding + last-token pooling)
    both = emb.embed_videos([fr, fr[:2]])
    assert both.shape == (2, 64)
    np.testing.assert_allclose(both[0], v, atol=1e-5)
    assert not np.allclose(both[1], v)  # a different clip, a different vector
    t = emb.embed_texts(["a person whisks eggs", "a dog runs", ""])
    assert t.shape == (3, 64) and t.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(t, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(emb.embed_texts(["a dog runs"])[0], t[1], atol=1e-5)  # batch-independent
    assert emb.embed_frames([]).shape == (64,) and not emb.embed_frames([]).any()  # no frame -> zero vector
    s = emb.settings
    assert s["pooling"] == "last" and s["fps"] == 1.0 and s["max_frames"] == 64 and s["model"] == tiny["qwen"]


@pytest.mark.parametrize("pooling", ["mean", "last"])
def test_molmo2_grounding_embedding(tiny, clip, pooling):
    emb = registry.get("grounding", "molmo2", model=tiny["molmo"], pooling=pooling)
    req = emb.frame_request(clip[1])
    assert (req.fps, req.max_frames) == (2.0, 8)  # the checkpoint's video processor settings
    frames, _ = _sample(clip, emb)
    fr = frames[emb.name]
    assert len(fr) == 8
    v = emb.embed_frames(fr)
    assert v.shape == (emb.dim,) == (64,)
    assert np.isclose(np.linalg.norm(v), 1.0, atol=1e-5)
    assert np.array_equal(v, emb.embed_frames(fr))
    np.testing.assert_allclose(emb.embed_videos([fr, fr[:3]])[0], v, atol=1e-5)
    assert emb.last_call["video_grids"][0][0] == 8


def test_molmo2_poolings_differ(tiny, clip):
    a = registry.get("grounding", "molmo2", model=tiny["molmo"], pooling="mean")
    b = registry.get("grounding", "molmo2", model=tiny["molmo"], pooling="last")
    assert a.name != b.name
    frames, _ = _sample(clip, a)
    assert not np.allclose(a.embed_frames(frames[a.name]), b.embed_frames(frames[a.name]))
    with pytest.raises(ValueError, match="pooling"):
        registry.get("grounding", "molmo2", model=tiny["molmo"], pooling="max")


# --------------------------------------------------------------------------- opinion backends


def test_qwen3_vl_backend_tasks(tiny, clip):
    be = registry.get("opinion", "qwen3-vl", model=tiny["qwen"], max_new_tokens=12, fps=1.0, max_frames=6,
                      batch_size=2)
    frames, _ = _sample(clip, (be, "describe"))
    fr = frames[be.consumer]
    assert [f.t for f in fr] == [0.0, 1.0, 2.0, 3.0, 4.0]  # the fps / max_frames asked for are honoured
    for task in ("describe", "localize", "structured"):
        answers = be.run(task, [fr, fr[:2]], durations=[clip[1], 1.0])
        assert len(answers) == 2
        for a, times in zip(answers, ([0.0, 1.0, 2.0, 3.0, 4.0], [0.0, 1.0])):
            assert a.task == task and isinstance(a.raw, str) and a.raw  # raw output always kept
            s = a.settings
            assert s["model"] == tiny["qwen"] and s["prompt"] == f"{task}.v1" and s["do_sample"] is False
            assert s["max_new_tokens"] == 12 and s["fps"] == 1.0 and s["max_frames"] == 6
            assert s["frame_times"] == times and s["n_frames"] == len(times)
            assert s["frame_size"][0] % 32 == 0 and s["video_grid_thw"][0] == (len(times) + 1) // 2
            assert "min_pixels" in s and "total_pixels" in s
            if task == "describe":
                assert a.ok or isinstance(a.value, ParseFailure)
            else:  # random weights do not write JSON: a recorded failure, never an empty success
                assert not a.ok and isinstance(a.value, ParseFailure) and a.value.raw == a.raw
    again = be.run("localize", [fr], durations=[clip[1]])[0]
    assert again.raw == be.run("localize", [fr], durations=[clip[1]])[0].raw  # greedy: deterministic
    with pytest.raises(ValueError, match="cannot do task 'point'"):
        be.run("point", [fr], durations=[clip[1]], query="person")


def test_molmo2_backend_point_and_times(tiny, clip, monkeypatch):
    be = registry.get("opinion", "molmo2", model=tiny["molmo"], max_new_tokens=10)
    frames, _ = _sample(clip, (be, "point"))
    fr = frames[be.consumer]
    times = [round(f.t, 3) for f in fr]
    assert len(times) == 8
    seen = {}
    real_inputs = be.runner.inputs

    def spy(texts, videos=None, metadata=None, **kw):  # records what the processor was given
        batch = real_inputs(texts, videos, metadata, **kw)
        seen["prompt"] = be.runner.processor.tokenizer.decode(batch["input_ids"][0])
        return batch

    monkeypatch.setattr(be.runner, "inputs", spy)
    a = be.run("point", [fr], durations=[clip[1]], query="yellow square")[0]
    assert a.raw and a.settings["query"] == "yellow square" and a.settings["prompt"] == "point.v1"
    assert a.settings["frame_times"] == times and a.settings["video_grid"][0] == 8
    assert not a.ok and a.value.raw == a.raw  # garbage from random weights -> recorded failure
    # our frame times (not a guessed frame rate) are what the model is shown before each frame
    assert "0. 5" in seen["prompt"] or "0.5" in seen["prompt"]
    assert seen["prompt"].count("<frame_start>") == 8
    for task in ("describe", "localize"):
        got = be.run(task, [fr], durations=[clip[1]])[0]
        assert got.raw and got.settings["prompt"] == f"{task}.v1"


def test_molmo2_point_reply_parsed_on_video_clock(tiny, clip, monkeypatch):
    """A TEST DOUBLE replaces generate only (random weights never write a <points> tag): the
    reply below goes through the backend's real parsing and settings path."""
    be = registry.get("opinion", "molmo2", model=tiny["molmo"], max_new_tokens=10)
    frames, _ = _sample(clip, (be, "point"))
    reply = 'Here: <points coords="1.5 1 250 500\t3.0 1 750 400" alt="yellow square">yellow square</points>'
    monkeypatch.setattr(be.runner, "generate", lambda inputs, n, **kw: [reply] * inputs["input_ids"].shape[0])
    a = be.run("point", [frames[be.consumer]], durations=[clip[1]], query="yellow square")[0]
    assert a.ok and a.raw == reply
    assert [(p.t, p.x, p.y) for p in a.value] == [(1.5, 0.25, 0.5), (3.0, 0.75, 0.4)]
    assert all(isinstance(p, Point) and p.label == "yellow square" for p in a.value)


def test_bad_input_is_a_recorded_failure_per_video(tiny, clip):
    be = registry.get("opinion", "molmo2", model=tiny["molmo"], max_new_tokens=6)
    frames, _ = _sample(clip, (be, "describe"))
    answers = be.run("describe", [[], frames[be.consumer]], durations=[1.0, clip[1]])
    assert not answers[0].ok and answers[0].value.reason.startswith("no input:")
    assert "video 0" in answers[0].value.reason and "error" in answers[0].settings
    assert answers[1].raw  # the other video still ran
    with pytest.raises(ValueError, match="needs a query"):
        be.run("point", [frames[be.consumer]], durations=[clip[1]], query=" ")


def test_missing_model_is_a_clear_error(tmp_path):
    missing = str(tmp_path / "no-such-model")
    with pytest.raises(ModelLoadError, match="no-such-model"):
        registry.get("visual", "qwen3-vl-embedding", model=missing).dim
    be = registry.get("opinion", "qwen3-vl", model="Qwen/Qwen3-VL-0B-Missing")
    with pytest.raises(ModelLoadError, match=r"Qwen/Qwen3-VL-0B-Missing.*offline"):
        be.frame_request("describe", 10.0)


def test_one_decode_feeds_every_adapter(tiny, clip):
    """The four adapters' requests merged into ONE FrameSampler.sample call (one decode)."""
    q = registry.get("visual", "qwen3-vl-embedding", model=tiny["qwen"])
    m = registry.get("grounding", "molmo2", model=tiny["molmo"], pooling="mean")
    qb = registry.get("opinion", "qwen3-vl", model=tiny["qwen"], max_new_tokens=12, fps=1.0, max_frames=6,
                      batch_size=2)
    mb = registry.get("opinion", "molmo2", model=tiny["molmo"], max_new_tokens=10)
    frames, sampler = _sample(clip, q, m, (qb, "localize"), (mb, "point"))
    assert sampler.decodes == 1 and set(frames) == {q.name, m.name, qb.consumer, mb.consumer}
    assert q.embed_frames(frames[q.name]).shape == (64,)
    assert m.embed_frames(frames[m.name]).shape == (64,)
    assert qb.run("localize", [frames[qb.consumer]], durations=[clip[1]])[0].raw
    assert mb.run("point", [frames[mb.consumer]], durations=[clip[1]], query="square")[0].raw
