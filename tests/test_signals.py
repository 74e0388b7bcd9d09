"""Signals and fusion as pure functions: known inputs, known answers."""

from __future__ import annotations


import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from videoaudit.confidence import signal_values
from videoaudit.confidence import Calibration, FusionConfig, fuse, tier
from videoaudit.evaluate import auroc
from videoaudit.schema import SEGMENTS, SIGNALS
from videoaudit.signals.lexical import anls, normalized_similarity
from videoaudit.signals.semantic import relation
from videoaudit.signals.temporal import tiou
from videoaudit.signals.text_quality import quality, repetition


def test_lexical_matches_the_workshop_definition():
    s = normalized_similarity(["Spread almonds on tray", "abc"], ["  spread almonds on tray ", "abd"])
    assert s[0] == pytest.approx(1.0)
    assert s[1] == pytest.approx(1 - 1 / 3)
    assert anls(["abc"], ["xyz"])[0] == 0.0  # below 0.5 -> 0


def test_missing_text_is_null_never_agreement():
    s = normalized_similarity([None, "", "a"], [None, "", None])
    assert np.isnan(s).all()
    assert np.isnan(anls([None], [None])).all()


@given(st.text(max_size=40), st.text(max_size=40))
def test_lexical_is_bounded_and_symmetric(a, b):
    x = normalized_similarity([a], [b])[0]
    y = normalized_similarity([b], [a])[0]
    assert (np.isnan(x) and np.isnan(y)) or (0.0 <= x <= 1.0 and x == pytest.approx(y))


def test_paraphrase_relation():
    assert relation(0.1, 0.8) == "paraphrase"
    assert relation(0.7, 0.8) == "agreement"
    assert relation(0.1, 0.2) == "disagreement"
    assert relation(0.1, float("nan")) == "no opinion"


def test_tiou():
    m = tiou([0, 0], [10, 5], [5], [15])
    assert m[0, 0] == pytest.approx(5 / 15)
    assert m[1, 0] == pytest.approx(0.0)


@pytest.mark.parametrize("text, bad", [
    ("The man cuts the board. " * 12, "repetition"),
    ("I'm sorry, but I can't help with describing this video.", "refusal"),
    ("The woman slices the onion into thin rings while the pan heats on the back burn", "truncated"),
])
def test_degenerate_text_is_caught(text, bad):
    q, problem = quality(text, long_form=True)
    assert q < 0.5 and bad in problem


def test_normal_text_is_fine():
    q, problem = quality("The woman slices the onion into thin rings while the pan heats.", long_form=True)
    assert q == 1.0 and problem is None
    assert repetition("a b c d e f g h i j") == 0.0
    assert np.isnan(quality(None, True)[0])


def test_auroc():
    assert auroc([0.9, 0.8, 0.1, 0.2], [1, 1, 0, 0]) == 1.0
    assert auroc([0.5, 0.5], [1, 0]) == 0.5
    assert auroc([1, 2], [0, 0]) is None


def _signals(rows):
    return pa.Table.from_pylist(rows, schema=SIGNALS)


def _segments(ids):
    return pa.Table.from_pylist([{"video_id": "v", "segment_id": s, "level": 1, "start": float(i), "end": i + 1.0,
                                  "is_leaf": False, "has_gpt": True, "na_fields": [], "structure_issues": [],
                                  "beyond_clip": False} for i, s in enumerate(ids)], schema=SEGMENTS)


def test_fusion_flags_the_outlier_and_names_the_reason():
    ids = [f"s{i}" for i in range(40)]
    rng = np.random.default_rng(0)
    vals = np.clip(0.7 + 0.03 * rng.standard_normal(40), 0, 1)
    vals[7] = 0.1  # far below everyone else
    rows = [{"video_id": "v", "segment_id": s, "signal": "evidence.captions", "family": "evidence",
             "value": float(v), "explanation": f"sim {v:.2f}"} for s, v in zip(ids, vals)]
    rows += [{"video_id": "v", "segment_id": s, "signal": "consistency.structure", "family": "consistency",
              "value": 0.0 if s == "s3" else 1.0, "explanation": "x"} for s in ids]
    rows += [{"video_id": "v", "segment_id": s, "signal": "semantic.opinion", "family": "semantic",
              "value": None, "explanation": None} for s in ids]
    sig = _signals(rows)
    cal = Calibration()
    cal.update(sig)
    out = fuse(sig, _segments(ids), cal.stats(0.03))
    conf = {r["segment_id"]: r for r in out["confidence"].to_pylist()}
    assert conf["s7"]["tier"] == "review" and conf["s7"]["reasons"][0].startswith("evidence.captions")
    assert conf["s3"]["tier"] == "review" and conf["s3"]["reasons"][0].startswith("consistency.structure")
    clean = [conf[s]["confidence"] for s in ids if s not in ("s3", "s7")]
    assert min(clean) >= 0.7
    # a missing opinion stays null in the exported signals, never 1.0
    assert signal_values(conf["s0"]["signals"])["semantic.opinion"] is None
    assert out["video_confidence"].num_rows == 1


def test_tiers():
    assert tier(0.9) == "trusted" and tier(0.5) == "uncertain" and tier(0.1) == "review"
    # not checked by any independent source: never trusted, a low score still goes to review
    assert tier(0.99, coverage=0.0) == "unverified" and tier(0.5, coverage=0.2) == "unverified"
    assert tier(0.1, coverage=0.0) == "review" and tier(0.9, coverage=2 / 3) == "trusted"
    assert tier(float("nan")) is None


def test_calibration_is_streamable():
    a, b = Calibration(), Calibration()
    rows = [{"video_id": "v", "segment_id": f"s{i}", "signal": "x.y", "family": "x", "value": i / 100,
             "explanation": None} for i in range(100)]
    a.update(_signals(rows))
    b.update(_signals(rows[:50]))
    b.update(_signals(rows[50:]))
    assert a.stats(0.01) == b.stats(0.01)
    assert FusionConfig().weights["lexical.levenshtein"] == 0.0  # paraphrases must not drive review


def test_an_actor_named_nowhere_else_is_unsupported():
    """evidence.actor_support: a swapped-in actor is fluent, so only the evidence can catch it."""
    from videoaudit.models import get
    from videoaudit.schema import OPINIONS, VIDEOS
    from videoaudit.signals import compute_signals

    def seg(sid, parent, start, end, actor):
        return {"video_id": "v", "segment_id": sid, "parent_id": parent, "level": 0 if parent is None else 1,
                "start": start, "end": end, "is_leaf": parent is not None, "has_gpt": True,
                "summary_brief": "A cook chops onions in a kitchen.",
                "summary_detailed": "In a small kitchen the cook chops onions on a board.",
                "action_brief": "chop onions", "action_detailed": "The cook chops onions with a knife.",
                "actor": actor, "na_fields": [], "plm_caption": "a cook chopping onions on a wooden board",
                "plm_action": "chopping", "llama3_caption": "a cook in a kitchen", "beyond_clip": False,
                "structure_issues": []}

    segments = pa.Table.from_pylist([seg("r", None, 0, 30, "the cook"), seg("a", "r", 0, 10, "the cook"),
                                     seg("b", "r", 10, 20, "a firefighter"), seg("c", "r", 20, 30, "the cook")],
                                    schema=SEGMENTS)
    videos = pa.Table.from_pylist([{"video_id": "v", "duration": 30.0, "title": "chopping onions",
                                    "transcript": []}], schema=VIDEOS)
    out = compute_signals(videos, segments, OPINIONS.empty_table(), get("text", "hashing"))["signals"].to_pylist()
    support = {r["segment_id"]: r for r in out if r["signal"] == "evidence.actor_support"}
    assert support["b"]["value"] == 0.0 and "firefighter" in support["b"]["explanation"]
    assert all(support[s]["value"] == 1.0 for s in ("r", "a", "c"))
