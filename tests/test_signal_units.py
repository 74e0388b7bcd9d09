"""One unit test per registered signal, and the registry's promises.

Each signal gets a tiny hand-written video (``_views.py``) with a case where it must be
HIGH (the annotation is supported), one where it must be LOW (the fault it exists to
catch) and one where it must be null (its input is missing: null is never agreement).
The texts go through the real ``build_views`` with the weight-free ``hashing`` text
model (shared words), or MiniLM where the signal's meaning is semantic (paraphrase,
"nothing happens" vs "someone acts"). ``covers`` records which signal each test is for;
``test_every_registered_signal_has_a_unit_test`` fails when a signal is registered
without one.
"""

from __future__ import annotations

import importlib
import sys
import textwrap

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from _views import compute, description, events, run, seg, text_model, view

from videoaudit import schema as S
from videoaudit.signals import registry
from videoaudit.signals.base import COVERAGE, FAMILIES, RULE, SIMILARITY

TESTED: set[str] = set()


def covers(*names: str):
    """Mark a test as the unit test of the signals ``names``."""
    TESTED.update(names)
    return lambda fn: fn


def is_null(cell) -> bool:
    value, explanation = cell
    return np.isnan(value) and explanation is None


@pytest.fixture(scope="module")
def minilm():
    return text_model("minilm")


# ------------------------------------------------------------------------------ lexical


def _opinion_video():
    """a: word for word its event; b: an unrelated event; c: no event; d: an event but no text to compare."""
    return view([
        seg("r", 0, 30, summary_detailed="A cook makes an onion soup in a small kitchen.",
            summary_brief="A cook makes onion soup."),
        seg("a", 0, 10, "r", summary_brief="The cook chops onions on a board."),
        seg("b", 10, 20, "r", summary_brief="The cook stirs the soup in a pot."),
        seg("c", 20, 25, "r", summary_brief="The cook serves the soup."),
        seg("d", 25, 30, "r", actor="the cook"),
    ], events((0, 10, "The cook chops onions on a board."), (10, 20, "A dog runs across a sunny park."),
              (25, 30, "The cook tastes the soup.")) + description("A cook makes an onion soup in a small kitchen."))


@covers("lexical.levenshtein")
def test_levenshtein_is_edit_similarity_to_the_opinion():
    out = run("lexical.levenshtein", _opinion_video())
    assert out["a"][0] == pytest.approx(1.0) and "edit-distance similarity to the opinion 1.00" in out["a"][1]
    assert out["r"][0] == pytest.approx(1.0)  # the root is compared with the whole-video description
    assert out["b"][0] < 0.5
    assert is_null(out["c"])  # no opinion covers it
    assert is_null(out["d"])  # no annotation text to compare: missing, not agreement


@covers("lexical.anls")
def test_anls_is_zero_below_half_and_null_without_an_opinion():
    v = _opinion_video()
    out = run("lexical.anls", v)
    lev = run("lexical.levenshtein", v)
    assert out["a"][0] == pytest.approx(1.0)
    assert 0 < lev["b"][0] < 0.5 and out["b"][0] == 0.0 and "ANLS to the opinion 0.00" in out["b"][1]
    assert is_null(out["c"]) and is_null(out["d"])  # never 1.0 for a missing text


# ------------------------------------------------------------------------------ semantic


@covers("semantic.opinion")
def test_semantic_opinion_agreement_disagreement_and_no_opinion():
    out = run("semantic.opinion", _opinion_video())
    assert out["a"][0] > 0.9 and out["a"][1].startswith("agreement with the second opinion")
    assert out["b"][0] < 0.4 and out["b"][1].startswith("disagreement with the second opinion")
    assert is_null(out["c"]) and is_null(out["d"])
    assert registry.get("semantic.opinion").corroborated_by == "evidence"


@pytest.mark.slow  # loads MiniLM (shared with the rest of the suite through the model registry)
def test_semantic_opinion_tells_a_paraphrase_from_a_disagreement(minilm):
    """Lexically far, same meaning: a paraphrase (MiniLM), not a disagreement."""
    v = view([seg("r", 0, 20, summary_detailed="A cook prepares vegetables."),
              seg("a", 0, 10, "r", summary_brief="The cook chops onions on a board."),
              seg("b", 10, 20, "r", summary_brief="The cook chops onions on a board.")],
             events((0, 10, "Someone is dicing an onion with a knife."), (10, 20, "A dog runs across a sunny park.")),
             embedder=minilm)
    out = run("semantic.opinion", v)
    lev = run("lexical.levenshtein", v)
    assert lev["a"][0] < 0.5 and out["a"][0] >= 0.6 and out["a"][1].startswith("paraphrase")
    assert out["b"][0] < 0.3 and out["b"][1].startswith("disagreement")


# ------------------------------------------------------------------------------ temporal


def _tree(bounds: list[tuple[float, float]], end: float = 30.0):
    return [seg("r", 0, end, summary_brief="A cook makes soup.")] + [
        seg(f"s{i}", a, b, "r", summary_brief=f"Step {i} of the soup.") for i, (a, b) in enumerate(bounds)]


STEPS = events((0, 10, "chop onions"), (10, 20, "fry onions"), (20, 30, "add water"))


@covers("temporal.boundaries")
def test_boundaries_high_on_event_boundaries_low_when_moved():
    on = run("temporal.boundaries", view(_tree([(0, 10), (10, 20), (20, 30)]), STEPS))
    for s in ("s0", "s1", "s2"):
        assert on[s][0] == pytest.approx(1.0)
        assert on[s][1] == "boundaries 0.0s from the nearest opinion event boundary"
    assert is_null(on["r"])  # the video's own start and end match trivially: nothing to judge
    moved = run("temporal.boundaries", view(_tree([(0, 15), (15, 30)]), STEPS))
    assert moved["s0"][0] < 0.1 and moved["s1"][0] < 0.1  # 15 s is 5 s from the nearest event edge
    assert "5.0s from the nearest opinion event boundary" in moved["s0"][1]
    one_event = run("temporal.boundaries", view(_tree([(0, 10), (10, 30)]), events((0, 10, "chop onions"))))
    assert all(is_null(c) for c in one_event.values())  # one event has no boundaries to compare with


@covers("temporal.best_tiou")
def test_best_tiou_one_event_matches_a_parent_spanning_three_does_not():
    out = run("temporal.best_tiou", view(_tree([(0, 10), (10, 20), (20, 30)]), STEPS))
    assert out["s1"][0] == pytest.approx(1.0) and out["s1"][1] == "best single-event tIoU 1.00"
    assert out["r"][0] == pytest.approx(1 / 3)
    no_events = run("temporal.best_tiou", view(_tree([(0, 10), (10, 30)])))
    assert all(is_null(c) for c in no_events.values())


# ------------------------------------------------------------------------------ evidence


@covers("evidence.captions")
def test_captions_support_own_and_inner_captions():
    out = run("evidence.captions", view([
        seg("r", 0, 30, summary_brief="The cook chops onions on a wooden board."),
        seg("a", 0, 10, "r", summary_brief="The cook chops onions on a wooden board.",
            plm_caption="a cook chopping onions on a wooden board"),
        seg("b", 10, 20, "r", summary_brief="The cook chops onions on a wooden board.",
            plm_caption="a red bicycle leaning on a garage wall", llama3_caption="a bike in a garage"),
        seg("c", 20, 30, "r", summary_brief="The cook chops onions on a wooden board."),
    ]))
    assert out["a"][0] > 0.5 and "similarity to its own and inner captions" in out["a"][1]
    assert out["b"][0] < 0.2 < out["a"][0] - out["b"][0]
    assert not np.isnan(out["r"][0])  # no caption of its own, but its children's are inside it
    assert is_null(out["c"])


NARRATION = ("now I take the onions and I chop the onions on the wooden board, small even pieces of onion, "
             "keep the knife sharp and the onions will not make you cry while you chop them on the board "
             "every time")


@covers("evidence.transcript")
def test_transcript_in_the_window_supports_what_is_said():
    out = run("evidence.transcript", view([
        seg("r", 0, 30, summary_brief="The cook chops onions."),
        seg("a", 0, 10, "r", summary_brief="The cook chops the onions on the wooden board."),
        seg("b", 10, 20, "r", summary_brief="The cook chops the onions on the wooden board."),
        seg("c", 20, 30, "r", summary_brief="The cook chops the onions on the wooden board."),
    ], transcript=[(0, 10, NARRATION), (10, 19.5, "please subscribe to my channel and ring the bell")]))
    assert len(NARRATION.split()) >= 40  # one transcript chunk per window
    assert out["a"][0] > 0.5 and "similarity to the transcript in its window" in out["a"][1]
    assert out["b"][0] < 0.2
    assert is_null(out["c"])  # nothing is said in its window


@covers("evidence.metadata")
def test_metadata_title_supports_the_topic():
    segs = [seg("r", 0, 20, summary_brief="How to chop onions for a soup."),
            seg("a", 0, 10, "r", summary_brief="The cook chops onions for the soup."),
            seg("b", 10, 20, "r", summary_brief="A mechanic tightens a bolt on the bicycle wheel.")]
    out = run("evidence.metadata", view(segs, title="How to chop onions for soup"))
    assert out["r"][0] > 0.5 and "similarity to title/description" in out["r"][1]
    assert out["a"][0] > 0.3 > out["b"][0]
    assert all(is_null(c) for c in run("evidence.metadata", view(segs)).values())  # no title, no description


#: (annotation, caption) of four disjoint steps. The captions of s0 and s3 share "a person" with
#: every annotation, those of s1 and s2 share no word with any annotation but their own: so
#: for the swapped pair nothing fits its own caption better than chance would, and the
#: ranks are not left to the hashing model's noise on unrelated texts.
TOPICS = {
    "s0": ("A person whisks eggs in a glass bowl.", "a person whisking eggs in a glass bowl"),
    "s1": ("A person tightens a bolt on the bicycle wheel.", "bolt tightened on bicycle wheel"),
    "s2": ("A person digs a hole in the garden soil.", "hole dug in garden soil"),
    "s3": ("A person paints the wooden fence white.", "a person painting a wooden fence white"),
}


@covers("evidence.contrastive")
def test_contrastive_catches_two_swapped_annotations():
    text = {s: t for s, (t, _) in TOPICS.items()}
    text["s1"], text["s2"] = text["s2"], text["s1"]  # fluent, on topic, but each fits the other's evidence
    out = run("evidence.contrastive", view(
        [seg("r", 0, 40, summary_brief="A busy day of chores.")]
        + [seg(s, 10 * i, 10 * i + 10, "r", summary_brief=text[s], plm_caption=TOPICS[s][1])
           for i, s in enumerate(TOPICS)]))
    for s, other in (("s1", "s2"), ("s2", "s1")):
        assert out[s][0] < 0.5 and f"matches the evidence of segment {other}" in out[s][1]
    for s in ("s0", "s3"):
        assert out[s][0] > 0.5 and "its own evidence ranks above" in out[s][1]
    assert is_null(out["r"])  # it overlaps every other segment: no rival


@covers("evidence.object_support")
def test_object_support_catches_an_object_named_nowhere_else():
    out = run("evidence.object_support", view([
        seg("r", 0, 30, summary_brief="A cook chops onions in a kitchen."),
        seg("a", 0, 10, "r", summary_brief="The cook chops onions.", plm_caption="a cook cutting an onion"),
        seg("b", 10, 20, "r", summary_brief="The cook chops onions and a violin."),
        seg("c", 20, 30, "r", action_brief="chop onions"),
    ]))
    assert out["a"][0] == 1.0 and out["a"][1] == "every content word is found elsewhere in the video"
    assert out["b"][0] == pytest.approx(0.75) and out["b"][1] == "named nowhere else in the video: violin"
    assert is_null(out["c"])  # no brief summary to check


@covers("evidence.actor_support")
def test_actor_support_catches_a_swapped_in_actor():
    out = run("evidence.actor_support", view([
        seg("r", 0, 30, summary_brief="A cook chops onions.", actor="the cook"),
        seg("a", 0, 10, "r", summary_brief="The cook chops onions.", actor="the cook",
            plm_caption="a cook cutting an onion"),
        seg("b", 10, 20, "r", summary_brief="The cook chops onions.", actor="a firefighter"),
        seg("c", 20, 30, "r", summary_brief="The cook chops onions."),
    ]))
    assert out["a"][0] == 1.0 and out["r"][0] == 1.0
    assert out["b"][0] == 0.0 and out["b"][1] == "named nowhere else in the video: firefighter"
    assert is_null(out["c"])  # no actor


# ------------------------------------------------------------------------------ consistency


@covers("consistency.summary_brief_detailed")
def test_summary_brief_vs_detailed():
    out = run("consistency.summary_brief_detailed", view([
        seg("r", 0, 30, summary_brief="The cook chops onions on a board.",
            summary_detailed="The cook chops the onions on a wooden board with a sharp knife."),
        seg("a", 0, 15, "r", summary_brief="The cook chops onions on a board.",
            summary_detailed="A mechanic replaces the chain of a red bicycle in his garage."),
        seg("b", 15, 30, "r", summary_brief="The cook chops onions on a board."),
    ]))
    assert out["r"][0] > 0.5 and out["r"][1].startswith("summary brief vs detailed")
    assert out["a"][0] < 0.2
    assert is_null(out["b"])  # no detailed summary


@covers("consistency.action_brief_detailed")
def test_action_brief_vs_detailed():
    out = run("consistency.action_brief_detailed", view([
        seg("r", 0, 30, action_brief="chop onions", action_detailed="Chop the onions with a knife."),
        seg("a", 0, 15, "r", action_brief="chop onions", action_detailed="He pumps air into the bicycle tyre."),
        seg("b", 15, 30, "r", action_brief="chop onions", summary_brief="The cook chops onions."),
    ]))
    assert out["r"][0] > 0.35 and out["r"][1].startswith("action brief vs detailed")
    assert out["a"][0] < 0.1
    assert is_null(out["b"])


@covers("consistency.children")
def test_children_a_parent_summarises_its_children():
    out = run("consistency.children", view([
        seg("r", 0, 40, summary_brief="The cook chops onions and fries them in a pan."),
        seg("p", 0, 20, "r", summary_brief="The cook chops onions on a board."),
        seg("q", 20, 40, "r", summary_brief="A mechanic repairs a bicycle."),
        seg("p1", 0, 10, "p", level=2, summary_brief="The cook chops onions."),
        seg("p2", 10, 20, "p", level=2, summary_brief="The cook chops more onions on the board."),
        # q's children have no annotation: their captions stand in for them
        seg("q1", 20, 30, "q", level=2, has_gpt=False, plm_caption="a cook fries onions in a pan"),
        seg("q2", 30, 40, "q", level=2, has_gpt=False, llama3_caption="onions frying in a hot pan"),
    ]))
    assert out["p"][0] > 0.5 and out["p"][1].startswith("summary vs its children")
    assert out["q"][0] < 0.2 < out["p"][0] - out["q"][0]  # summarises something its children never show
    assert out["r"][0] > 0.3
    assert is_null(out["p1"])  # a leaf has no children


@covers("consistency.actor")
def test_actor_unlike_the_videos_other_actors():
    five = [seg("r", 0, 40, actor="the cook")] + [
        seg(s, 10 * i, 10 * i + 10, "r", actor=a)
        for i, (s, a) in enumerate([("a", "the cook"), ("b", "the cook"), ("c", "a cook"), ("d", "a firefighter")])]
    out = run("consistency.actor", view(five))
    assert min(out[s][0] for s in ("r", "a", "b", "c")) > 0.5
    assert out["d"][0] < 0.1 and out["d"][1].startswith("actor vs the video's other actors")
    two = run("consistency.actor", view(five[:2]))  # fewer than three actors: nothing to compare with
    assert all(is_null(c) for c in two.values())


@covers("consistency.na")
@pytest.mark.slow  # MiniLM: "nothing happens" vs "someone acts" is meaning, not shared words
def test_na_coherent_for_a_title_card_not_for_an_action(minilm):
    na = ["action_brief", "action_detailed", "actor"]
    out = run("consistency.na", view([
        seg("r", 0, 30, summary_brief="A carpenter builds a shelf.", action_brief="build a shelf"),
        seg("a", 0, 5, "r", na_fields=na, summary_brief="A title card with the channel logo on a black screen.",
            plm_caption="white text on a black background"),
        seg("b", 5, 15, "r", na_fields=na, summary_brief="A man hammers a nail into a wooden plank.",
            plm_caption="a man hammering a nail into wood"),
        seg("c", 15, 30, "r", summary_brief="A man saws a plank.", action_brief="saw a plank"),
    ], embedder=minilm))
    assert out["a"][0] > 0.5 and out["a"][1] == "marked N/A and its material shows no action"
    assert out["b"][0] < 0.5 and out["b"][1].startswith("marked N/A but its text and captions describe an action")
    assert is_null(out["c"]) and is_null(out["r"])  # not marked N/A: no opinion


@covers("consistency.duplicate")
def test_duplicate_of_a_disjoint_segment():
    soup = "The cook pours the hot soup into a white bowl and adds fresh parsley."
    out = run("consistency.duplicate", view([
        seg("r", 0, 30, summary_detailed=soup),
        seg("a", 0, 10, "r", summary_detailed="The cook chops three onions on a wooden board with a knife."),
        seg("b", 10, 20, "r", summary_detailed=soup),  # its parent's words: they overlap, not a copy
        seg("c", 20, 30, "r", summary_detailed="the cook chops three onions on a wooden board with a knife. "),
    ]))
    for s, other in (("a", "c"), ("c", "a")):
        assert out[s][0] == 0.0 and out[s][1].startswith(f"near-duplicate of segment {other}")
    assert out["b"][0] == 1.0 and out["b"][1] == "no near-duplicate elsewhere in the video"
    assert is_null(out["r"])  # overlaps every other segment


@covers("consistency.text_quality")
def test_text_quality_refusal_loop_truncation():
    out = run("consistency.text_quality", view([
        seg("r", 0, 50, summary_detailed="The cook makes a soup from onions, water and salt in a small kitchen."),
        seg("a", 0, 10, "r", summary_detailed="I'm sorry, but I can't help with describing this video."),
        seg("b", 10, 20, "r", summary_brief="The man cuts.", action_detailed="The man cuts the board. " * 12),
        seg("c", 20, 30, "r", summary_detailed="The woman slices the onion into thin rings while the pan heats on the"),
        seg("d", 30, 40, "r", has_gpt=False, plm_caption="a pan on a stove"),
        seg("e", 40, 50, "r", summary_brief="A short one without an end", summary_detailed="Fine."),
    ]))
    assert out["r"] == (1.0, "no degenerate text")
    assert out["a"] == (0.0, "summary_detailed: refusal boilerplate")
    assert out["b"][0] < 0.2 and out["b"][1].startswith("action_detailed: repetition loop")
    assert out["c"] == (0.2, "summary_detailed: truncated (no sentence end)")
    assert is_null(out["d"])  # no GPT text: not audited
    assert out["e"][0] == 1.0  # a brief field need not end a sentence


@covers("consistency.structure")
def test_structure_blames_the_moved_node_not_its_neighbours():
    def tree(b_start: float = 10, b_issues=(), b1=(10, 20)):
        return view([
            seg("r", 0, 30, summary_brief="A soup."),
            seg("a", 0, 10, "r", summary_brief="Chop."),
            seg("b", b_start, 30, "r", summary_brief="Cook.", structure_issues=list(b_issues)),
            seg("b1", *b1, "b", level=2, summary_brief="Fry."),
            seg("b2", 20, 30, "b", level=2, summary_brief="Boil."),
        ])

    ok = run("consistency.structure", tree(10))
    assert all(c == (1.0, "tree structure ok") for c in ok.values())
    moved = run("consistency.structure", tree(12))  # b's start moved 2 s into its first child
    assert moved["b"] == (0.0, "tree structure: at odds with its sibling, at odds with its children")
    assert moved["a"] == (0.7, "tree structure: at odds with its sibling")  # a neighbour of the broken node
    assert moved["b1"] == (0.7, "tree structure: at odds with its parent")
    assert moved["b2"][0] == 1.0 and moved["r"][0] == 1.0
    out_of_parent = run("consistency.structure", tree(b1=(8, 19)))  # b1 sticks out of b and leaves a gap
    assert out_of_parent["b1"] == (0.0, "tree structure: at odds with its parent, at odds with its sibling")
    assert out_of_parent["b2"][0] == 0.7 and out_of_parent["b"][0] == 0.7
    assert out_of_parent["a"][0] == 1.0
    orphan = run("consistency.structure", tree(b_issues=["orphan"]))
    assert orphan["b"] == (0.0, "tree structure: orphan")


# ------------------------------------------------------------------------------ lens signals


def _unit(m) -> np.ndarray:
    m = np.asarray(m, np.float32)
    return m / np.linalg.norm(m, axis=-1, keepdims=True)


def _lens_segments(texts: dict[tuple[str, str], str]) -> pa.Table:
    """One root per video (parent of the rest), each segment 10 s, the text as its brief summary."""
    rows, order = [], {}
    for (vid, sid), text in texts.items():
        i = order[vid] = order.get(vid, -1) + 1
        root = sid == "root"
        rows.append({"video_id": vid, "segment_id": sid, "parent_id": None if root else "root",
                     "level": 0 if root else 1, "start": 0.0 if root else 10.0 * (i - 1),
                     "end": 30.0 if root else 10.0 * i, "has_gpt": True, "summary_brief": text,
                     "na_fields": [], "structure_issues": []})
    return S.from_rows(rows, S.SEGMENTS)


def _lens_view(segments: pa.Table, vectors: dict[tuple[str, str | None], np.ndarray], backend: str,
               shared_space=None):
    """A LensView of every audited segment against the index of ``vectors`` (hashing text model)."""
    from videoaudit.annotation import is_audited
    from videoaudit.signals.lens_context import LensIndex, LensView

    dim = len(next(iter(vectors.values())))
    table = pa.Table.from_pylist([{"video_id": v, "segment_id": s, "backend": backend, "vector": list(map(float, x))}
                                  for (v, s), x in vectors.items()], schema=S.embeddings_schema(dim))
    index = LensIndex.build(table, segments)
    index.embed(text_model())
    segs = [r for r in segments.to_pylist() if is_audited(r)]
    return LensView(segs, [(r["video_id"], r["segment_id"]) for r in segs], index, shared_space)


def _lens_run(name: str, lv) -> dict[tuple[str, str], tuple[float, str | None]]:
    sig = compute(name, lv)
    return {k: (float(v), e) for k, v, e in zip(lv.keys, np.asarray(sig.values, float), sig.explanations)}


CATEGORIES = {"cook": ("whisking eggs in a glass bowl", "pouring batter into a hot pan"),
              "bike": ("tightening a bolt on the bicycle wheel", "pumping air into the bike tyre")}


@covers("neighbours.visual")
def test_neighbours_visual_a_caption_unlike_its_look_alikes():
    """Each (category, step) has its own look: a tiny 4-d centre plus noise. bike-1/s1 looks like
    the other videos' "pumping air" clips but is annotated with a cooking step; cook-0/s1 has
    no visual vector."""
    rng = np.random.default_rng(0)
    texts, vectors = {}, {}
    for c, (cat, steps) in enumerate(CATEGORIES.items()):
        for n in range(3):
            vid = f"{cat}-{n}"
            texts[(vid, "root")] = f"a video about {steps[0]}"
            for i, step in enumerate(steps):
                texts[(vid, f"s{i}")] = step
                vectors[(vid, f"s{i}")] = _unit(np.eye(4)[2 * c + i] + 0.1 * rng.normal(size=4))
    texts[("bike-1", "s1")] = CATEGORIES["cook"][1]
    del vectors[("cook-0", "s1")]
    out = _lens_run("neighbours.visual", _lens_view(_lens_segments(texts), vectors, "tiny"))
    value, why = out[("bike-1", "s1")]
    assert value < 0.3 and value == min(v for v, _ in out.values() if not np.isnan(v))
    assert why.startswith("annotated unlike its 5 nearest visual look-alikes in other videos")
    assert 'says "pumping air into the bike tyre"' in why  # what its closest look-alike is annotated with
    for key in [("bike-0", "s0"), ("bike-0", "s1"), ("cook-1", "s1")]:
        assert out[key][0] > 0.7 and out[key][1].startswith("annotated like"), key
    assert is_null(out[("cook-0", "s1")])  # no visual vector
    assert is_null(out[("cook-0", "root")])  # the root has no segment vector either


class SharedSpaceTestDouble:
    """TEST DOUBLE for a shared text-video space (not a model): its text side is the hashing
    embedder, and the tests make each clip's vector from its TRUE caption in that space plus
    noise, which is the property a real shared space is meant to have."""

    name, dim = "shared-space-test-double", 64

    def __init__(self):
        from videoaudit.models.hashing import HashingEmbedder

        self._text = HashingEmbedder(dim=self.dim)

    def embed_texts(self, texts):
        return self._text.embed(list(texts)).astype(np.float32)


def _visual_text_view(space=None):
    """One video, three disjoint steps and their root; s2's annotation is another video's."""
    space_ = space or SharedSpaceTestDouble()
    steps = ("whisking eggs in a glass bowl", "pouring batter into a hot pan", "flipping a pancake with a spatula")
    truth = {("cook", "root"): "making pancakes for breakfast"} | {("cook", f"s{i}"): t for i, t in enumerate(steps)}
    texts = {**truth, ("cook", "s2"): "tightening a bolt on the bicycle wheel"}
    rng = np.random.default_rng(1)
    clips = space_.embed_texts(list(truth.values()))
    clips = _unit(clips + 0.1 * rng.normal(size=clips.shape) / np.sqrt(clips.shape[1]))
    return _lens_view(_lens_segments(texts), dict(zip(truth, clips)), space_.name, shared_space=space)


@covers("evidence.visual_text")
def test_visual_text_clip_vs_its_annotation_in_the_shared_space():
    out = _lens_run("evidence.visual_text", _visual_text_view(SharedSpaceTestDouble()))
    assert out[("cook", "s0")][0] > 0.8
    assert out[("cook", "s0")][1].startswith("its clip vs its annotation in the shared-space-test-double "
                                             "text-video space: cosine")
    assert out[("cook", "s2")][0] < 0.2  # its clip shows something else than it says
    assert compute("evidence.visual_text", _visual_text_view(None)) is None  # no text side: no signal


@covers("evidence.visual_text_contrastive")
def test_visual_text_contrastive_within_the_video():
    out = _lens_run("evidence.visual_text_contrastive", _visual_text_view(SharedSpaceTestDouble()))
    assert out[("cook", "s2")][0] < 0.5 and out[("cook", "s2")][1].startswith("another segment's clip or text")
    for s in ("s0", "s1"):
        assert out[("cook", s)][0] > 0.5 and out[("cook", s)][1].startswith("its clip and text fit each other")
    assert is_null(out[("cook", "root")])  # overlaps every step: no rival
    assert compute("evidence.visual_text_contrastive", _visual_text_view(None)) is None


# ------------------------------------------------------------------------------ the registry


def test_every_registered_signal_has_a_unit_test():
    registered = {s.name for s in registry.specs()}
    assert registered - TESTED == set(), "registered signals without a unit test in this file"
    assert TESTED - registered == set(), "unit tests of signals that are no longer registered"


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_spec_is_well_formed():
    specs = registry.specs()
    names = [s.name for s in specs]
    for spec in specs:
        family, _, what = spec.name.partition(".")
        assert family in FAMILIES and what and "." not in what, spec.name
        assert spec.family() == family
        assert 0.0 <= spec.weight <= 1.0, spec.name
        assert spec.kind in (SIMILARITY, RULE, COVERAGE), spec.name
        assert spec.kind != COVERAGE or spec.weight == 0.0, spec.name  # coverage is never fused
        assert spec.stage in ("signals", "lens_signals"), spec.name
        assert spec.corroborated_by is None or spec.corroborated_by in FAMILIES, spec.name
        assert registry.get(spec.name) is spec
    assert {s.name for s in registry.specs("signals")} | {s.name for s in registry.specs("lens_signals")} == set(names)
    # a signal class written without @register would silently never be computed
    from videoaudit.signals.base import SignalSpec

    defined = [c for c in _subclasses(SignalSpec) if c.__module__.startswith("videoaudit.signals.") and hasattr(c, "name")]
    assert len(defined) == len(specs) and all(registry.get(c.name) is c for c in defined)


def test_a_name_cannot_be_registered_twice():
    from videoaudit.signals.base import SignalSpec

    class Impostor(SignalSpec):
        name, weight = "lexical.anls", 1.0

    before = registry.get("lexical.anls")
    with pytest.raises(ValueError, match="registered twice"):
        registry.register(Impostor)
    assert registry.get("lexical.anls") is before


def test_fusion_config_reads_the_registry_and_overrides_only_what_it_names():
    from videoaudit.confidence import FusionConfig

    assert FusionConfig().weights == registry.weights() == {s.name: s.weight for s in registry.specs()}
    assert set(FusionConfig().absolute) == set(registry.rules()) == {s.name for s in registry.specs() if s.kind == RULE}
    assert FusionConfig().corroborate == registry.corroborations()
    cfg = FusionConfig(weights={"evidence.captions": 0.1, "lexical.anls": 0.5})
    assert cfg.weights["evidence.captions"] == 0.1 and cfg.weights["lexical.anls"] == 0.5
    rest = {k: v for k, v in cfg.weights.items() if k not in ("evidence.captions", "lexical.anls")}
    assert rest == {k: v for k, v in registry.weights().items() if k not in ("evidence.captions", "lexical.anls")}


THROWAWAY = "consistency.throwaway_test_rule"
THROWAWAY_MODULE = f'''
"""A signal that lives in this one file: nothing else in the project names it."""
import numpy as np

from videoaudit.signals.base import RULE, Signal, SignalSpec
from videoaudit.signals.registry import register


@register
class ThrowawayRule(SignalSpec):
    name, weight, kind = "{THROWAWAY}", 0.35, RULE

    def compute(self, view):
        n = len(view.seg)
        return Signal(self.name, np.zeros(n), ["the throwaway rule doubts every segment"] * n)
'''


@pytest.fixture
def throwaway_signal(tmp_path, monkeypatch):
    """Register a signal from a module written at test time; unregister it afterwards."""
    (tmp_path / "throwaway_signal.py").write_text(textwrap.dedent(THROWAWAY_MODULE), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        yield importlib.import_module("throwaway_signal").ThrowawayRule
    finally:
        registry._SPECS.pop(THROWAWAY, None)
        sys.modules.pop("throwaway_signal", None)


def test_adding_a_signal_touches_one_file(throwaway_signal):
    """The stage computes it and the fusion weighs it with its declared weight, with no other edit."""
    from videoaudit.confidence import Calibration, FusionConfig, fuse
    from videoaudit.signals import compute_signals

    cfg = FusionConfig()
    assert cfg.weights[THROWAWAY] == 0.35 and THROWAWAY in cfg.absolute
    # ... and the coverage guard above notices that it has no unit test
    assert {s.name for s in registry.specs()} - TESTED == {THROWAWAY}
    segments = S.from_rows([
        seg("r", 0, 20, summary_brief="The cook chops onions.", plm_caption="a cook chopping onions"),
        seg("a", 0, 10, "r", summary_brief="The cook chops onions.", plm_caption="a cook chopping onions"),
        seg("b", 10, 20, "r", summary_brief="The cook peels onions.", plm_caption="a cook peeling onions")],
        S.SEGMENTS)
    videos = S.from_rows([{"video_id": "v", "duration": 20.0, "title": "onions"}], S.VIDEOS)
    sig = compute_signals(videos, segments, S.OPINIONS.empty_table(), text_model())["signals"]
    mine = sig.filter(pc.equal(sig.column("signal"), THROWAWAY))
    assert mine.num_rows == 3 and set(mine.column("family").to_pylist()) == {"consistency"}
    others = sig.filter(pc.not_equal(sig.column("signal"), THROWAWAY))
    calib = Calibration()
    calib.update(sig)
    stats = calib.stats(cfg.min_scale)
    with_it = fuse(sig, segments, stats, cfg)["confidence"].to_pylist()
    without = {r["segment_id"]: r["confidence"] for r in fuse(others, segments, stats, cfg)["confidence"].to_pylist()}
    for row in with_it:  # a rule at value 0 is a certain fault: it costs exactly its weight
        assert row["confidence"] == pytest.approx(without[row["segment_id"]] * (1 - 0.35))
        assert any(r.startswith(f"{THROWAWAY} = 0.00") and r.endswith("the throwaway rule doubts every segment")
                   for r in row["reasons"]), row["reasons"]
    only = fuse(mine, segments, stats, cfg)["confidence"].column("confidence").to_pylist()
    assert only == pytest.approx([0.65] * 3)


# ------------------------------------------------------------------------------ claims


def _claims_video():
    """r: parent; a: actor said by two captioners; b: one captioner; c: agrees; d: no caption."""
    return view([
        seg("r", 0, 40, summary_brief="A woman cleans the kitchen.", actor="a woman"),
        seg("a", 0, 10, "r", summary_brief="A woman opens the fridge.", actor="a woman",
            plm_caption="a man opens the fridge", llama3_caption="a young man opening a fridge door"),
        seg("b", 10, 20, "r", summary_brief="A woman opens the oven.", actor="a woman",
            plm_caption="a man opens the oven"),
        seg("c", 20, 30, "r", summary_brief="A woman wipes the counter.", actor="a woman",
            plm_caption="a woman wiping the counter with a cloth"),
        seg("d", 30, 40, "r", summary_brief="A woman sweeps the floor.", actor="a woman"),
    ])


@covers("evidence.claims_actor")
def test_claims_actor_counts_the_witnesses_that_contradict_it():
    out = run("evidence.claims_actor", _claims_video())
    assert out["a"][0] == 0.0 and 'contradicted by' in out["a"][1] and '"a woman"' in out["a"][1]
    assert out["b"][0] == pytest.approx(0.4) and "plm_caption [10-20 s]" in out["b"][1]
    assert out["c"][0] == 1.0 and "supported by plm_caption" in out["c"][1]
    assert is_null(out["d"])  # no source in its window: unchecked, never agreement


@covers("evidence.claims_action")
def test_claims_action_catches_the_opposite_verb():
    out = run("evidence.claims_action", view([
        seg("r", 0, 20, summary_brief="A man works on a cabinet."),
        seg("a", 0, 10, "r", summary_brief="A man closes the cabinet door.", action_brief="close the cabinet door",
            plm_caption="a man opens the cabinet door"),
        seg("b", 10, 20, "r", summary_brief="A man closes the cabinet door.", action_brief="close the cabinet door",
            plm_caption="a man closes the cabinet door"),
    ]))
    assert out["a"][0] < 1 and "contradicted by plm_caption" in out["a"][1]
    assert out["b"][0] == 1.0


@covers("evidence.claims_summary")
def test_claims_summary_catches_a_changed_colour():
    out = run("evidence.claims_summary", view([
        seg("r", 0, 20, summary_brief="A man paints."),
        seg("a", 0, 10, "r", summary_brief="A man holds a red cup.", plm_caption="a man holding a blue cup"),
        seg("b", 10, 20, "r", summary_brief="A man holds a blue cup.", plm_caption="a man holding a blue cup"),
    ]))
    assert out["a"][0] < 1 and "contradicted" in out["a"][1]
    assert out["b"][0] == 1.0


@covers("evidence.claims_coverage")
def test_claims_coverage_is_the_share_of_claims_a_source_checked():
    out = run("evidence.claims_coverage", _claims_video())
    assert 0 < out["a"][0] <= 1 and "claims checked by" in out["a"][1] and "plm_caption" in out["a"][1]
    assert out["d"][0] == 0.0 and out["d"][1].endswith("claims checked")  # nothing could check it
    spec = registry.get("evidence.claims_coverage")
    assert spec.kind == "coverage" and spec.weight == 0.0


@covers("consistency.copied")
def test_copied_catches_a_child_that_repeats_its_parent():
    parent = dict(summary_brief="A man repairs a bike.", summary_detailed="A man repairs a bike in his garage.",
                  action_brief="repair a bike", actor="a man")
    out = run("consistency.copied", view([
        seg("r", 0, 20, **parent, plm_caption="a man fixing a bicycle wheel in a garage"),
        seg("a", 0, 10, "r", **parent, plm_caption="a dog sleeping on a sofa"),
        seg("b", 10, 20, "r", summary_brief="A man pumps the tyre.", action_brief="pump the tyre", actor="a man",
            plm_caption="a man pumping a tyre"),
    ]))
    assert out["a"][0] == 0.0 and "identical to its parent r" in out["a"][1]
    assert out["b"][0] == 1.0 and out["b"][1] is None


def test_claim_signals_add_coverage_but_no_source_of_their_own():
    meta = registry.evidence_meta()
    for name in ("evidence.claims_summary", "evidence.claims_action", "evidence.claims_actor",
                 "evidence.claims_coverage"):
        independent, source, _ = meta[name]
        assert independent and source is None
