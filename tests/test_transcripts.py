"""The one transcript chunker, and that the signals and the transcript lens embed the same strings."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from videoaudit.transcripts import MAX_WORDS, TARGET_WORDS, Chunk, chunk_transcript, overlap_weights


def _entries(n: int, words: int, step: float = 2.0) -> list[dict]:
    return [{"start": i * step, "end": (i + 1) * step, "text": " ".join(f"w{i}_{j}" for j in range(words))}
            for i in range(n)]


def test_packs_whole_entries_up_to_the_limit():
    chunks = chunk_transcript(_entries(10, 10), max_words=25)
    assert [c.words for c in chunks] == [20, 20, 20, 20, 20]  # a third entry would pass 25: next chunk
    assert (chunks[0].start, chunks[0].end) == (0.0, 4.0) and (chunks[-1].start, chunks[-1].end) == (16.0, 20.0)
    assert chunks[1].text.split()[0] == "w2_0"
    assert all(c.words <= 25 for c in chunks)


def test_chunks_close_at_the_target_and_never_pass_the_cap():
    assert (TARGET_WORDS, MAX_WORDS) == (40, 64)
    assert [c.words for c in chunk_transcript(_entries(10, 10))] == [40, 40, 20]
    assert [c.words for c in chunk_transcript(_entries(10, 10), target_words=None)] == [60, 40]
    # an entry that would pass the cap starts the next chunk, even below the target
    assert [c.words for c in chunk_transcript(_entries(3, 30))] == [60, 30]
    assert [c.words for c in chunk_transcript(_entries(4, 35))] == [35, 35, 35, 35]


def test_long_entry_is_cut_and_timed_by_word_position():
    entries = [{"start": 0.0, "end": 1.0, "text": "a b"},
               {"start": 10.0, "end": 20.0, "text": "  ".join(["x"] * 150)},  # double spaces: one word each
               {"start": 20.0, "end": 21.0, "text": "tail"}]
    chunks = chunk_transcript(entries, max_words=64)
    assert [c.words for c in chunks] == [2, 64, 64, 23]
    assert chunks[1].start == 10.0 and chunks[1].end == pytest.approx(10.0 + 10 * 64 / 150)
    assert chunks[2].end == pytest.approx(10.0 + 10 * 128 / 150)
    assert chunks[3].text == " ".join(["x"] * 22 + ["tail"]) and chunks[3].end == 21.0
    assert all("  " not in c.text for c in chunks)


def test_skips_untimed_and_empty_entries_and_defaults():
    entries = [{"start": None, "end": 3.0, "text": "untimed"}, {"start": 1.0, "end": None, "text": "  "},
               {"start": 2.0, "end": None, "text": "point"}]
    assert chunk_transcript(entries) == [Chunk(2.0, 2.0, "point", 1)]
    assert chunk_transcript(None) == [] and chunk_transcript([]) == []
    assert MAX_WORDS == 64
    with pytest.raises(ValueError):
        chunk_transcript(entries, max_words=0)


def test_overlap_weights_in_seconds_with_a_minimum_length():
    chunks = [Chunk(0.0, 4.0, "a", 1), Chunk(4.0, 4.0, "b", 1), Chunk(10.0, 12.0, "c", 1)]
    w = overlap_weights(chunks, [0.0, 3.0, 20.0], [2.0, 6.0, 30.0])
    np.testing.assert_allclose(w, [[2.0, 0.0, 0.0], [1.0, 0.5, 0.0], [0.0, 0.0, 0.0]])


class Recorder:
    """A TEST DOUBLE text model (not a model's output): a deterministic vector per string, recording each call."""

    name, dim = "recorder", 8

    def __init__(self):
        self.seen: list[str] = []

    def embed(self, texts):
        self.seen += list(texts)
        rng = [np.random.default_rng(abs(hash(t)) % (1 << 32)).normal(size=self.dim) for t in texts]
        m = np.asarray(rng, np.float32).reshape(len(texts), self.dim)
        return m / np.linalg.norm(m, axis=1, keepdims=True)


def test_signals_and_lens_embed_the_same_chunks_and_agree():
    """Both consumers ask for exactly the chunker's strings, and a segment's transcript vector
    is the same in the signals' view and in the transcript lens."""
    from videoaudit.lenses.transcript import embed_video_and_windows
    from videoaudit.schema import OPINIONS, SEGMENTS, VIDEOS
    from videoaudit.signals.context import build_views

    entries = _entries(12, 9, step=3.0)
    chunks = chunk_transcript(entries)
    windows = [(0.0, 36.0), (4.0, 10.0), (30.0, 33.0), (50.0, 60.0)]
    lens_model = Recorder()
    [(video, wins)] = embed_video_and_windows([(entries, windows)], lens_model.embed)
    assert lens_model.seen == [c.text for c in chunks]  # each chunk once, nothing else
    assert wins[3] is None and video is not None

    seg = [{"video_id": "v", "segment_id": f"s{i}", "parent_id": None if i == 0 else "s0", "level": int(i > 0),
            "start": s, "end": e, "summary_brief": "x"} for i, (s, e) in enumerate(windows)]
    videos = pa.Table.from_pylist([{"video_id": "v", "title": None, "description": None, "duration": 60.0,
                                    "transcript": entries}], schema=VIDEOS)
    segments = pa.Table.from_pylist(seg, schema=SEGMENTS)
    sig_model = Recorder()
    [view] = build_views(videos, segments, OPINIONS.empty_table(), sig_model)
    assert {c.text for c in chunks} <= set(sig_model.seen)
    assert not any(t.startswith("w") and t not in {c.text for c in chunks} for t in sig_model.seen)
    for i, w in enumerate(wins):
        if w is None:
            assert not view.has["transcript"][i]
        else:
            assert view.has["transcript"][i]
            np.testing.assert_allclose(view.vec["transcript"][i], w, atol=1e-5)
