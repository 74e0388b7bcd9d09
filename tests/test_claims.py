"""Claim extraction: crafted sentences for every slot, and real Action100M annotation text."""

from __future__ import annotations

import pytest

from conftest import REAL_PARQUET
from videoaudit.claims import SLOTS, extract_claims


def claims(text, field="summary_brief"):
    return extract_claims([text], field)[0]


def by_slot(cs, slot):
    return [c for c in cs if c.slot == slot]


def test_spans_quote_the_original_characters():
    text = "A woman in a pink polka\u2011dot apron cracks two eggs into a glass bowl, then whisks them."
    cs = claims(text)
    assert cs
    for c in cs:
        assert text[c.start:c.end] == c.span
        assert c.sentence and c.span in text


def test_actor_who_gender_age_number():
    [a] = by_slot(claims("A young man in a blue T-shirt cracks an egg."), "actor")
    assert (a.head, a.gender, a.age, a.number) == ("man", "male", "young", "1")
    assert a.span == "A young man in a blue T-shirt"
    [g] = by_slot(claims("Two little girls wave."), "actor")
    assert (g.head, g.gender, g.age, g.number) == ("girl", "female", "child", "2")
    [p] = by_slot(claims("the presenter (a woman demonstrating the process)", "actor"), "actor")
    assert (p.head, p.gender) == ("presenter", "female")
    [h] = by_slot(claims("the cook\u2019s left hand", "actor"), "actor")
    assert h.head == "cook"
    [d] = by_slot(claims("Two dogs", "actor"), "actor")
    assert (d.head, d.number) == ("dog", "2")


def test_action_verb_lemma_object_target_and_phrasal_verbs():
    acts = {c.verb: c for c in by_slot(claims("She cracks two eggs into a bowl and picks up the red cup."), "action")}
    assert acts["crack"].object == "egg" and acts["crack"].target == "bowl"
    assert acts["pick up"].object == "cup"
    [put] = by_slot(claims("Put the lid down.", "action_brief"), "action")
    assert (put.verb, put.object) == ("put down", "lid")
    [peel] = by_slot(claims("Peel eggs", "action_brief"), "action")
    assert (peel.verb, peel.object) == ("peel", "egg")
    [place] = by_slot(claims("Butter is placed into a hot pan."), "action")
    assert (place.verb, place.object, place.target) == ("place", "butter", "pan")
    assert not by_slot(claims("The video shows a kitchen."), "action")  # a light verb says nothing


def test_object_attributes_are_bound_to_their_noun():
    cs = claims("A man holds a small wooden spoon, three red apples and a black and white towel.")
    attrs = {(c.head, c.attribute): c for c in by_slot(cs, "attribute")}
    assert attrs[("spoon", "size")].size == "small"
    assert attrs[("spoon", "material")].material == "wooden"
    assert attrs[("apple", "count")].count == 3
    assert attrs[("apple", "colour")].colour == ("red",)
    assert attrs[("towel", "colour")].colour == ("black", "white")
    assert ("spoon", "colour") not in attrs  # red belongs to the apples
    assert {c.head for c in by_slot(cs, "object")} == {"spoon", "apple", "towel"}


def test_place():
    [p] = by_slot(claims("A woman chops onions in a kitchen."), "place")
    assert (p.head, p.place, p.span) == ("kitchen", "kitchen", "a kitchen")
    assert "kitchen" not in {c.head for c in by_slot(claims("A woman chops onions in a kitchen."), "object")}
    [lr] = by_slot(claims("A dog sleeps in the living room."), "place")
    assert lr.head == "living room"


@pytest.mark.parametrize("text, seq", [
    ("She cracks the eggs, then whisks them.", ("crack", "whisk")),
    ("He rinses the knife after cutting the onion.", ("cut", "rinse")),
    ("After peeling the egg, she slices it.", ("peel", "slice")),
    ("She washes the cup before drying it.", ("wash", "dry")),
])
def test_order(text, seq):
    [o] = by_slot(claims(text), "order")
    assert o.sequence == seq


def test_batch_keeps_alignment_and_na_has_no_claims():
    out = extract_claims(["N/A", None, "", "A man walks a dog."], "summary_brief")
    assert out[:3] == [[], [], []]
    assert {c.slot for c in out[3]} >= {"actor", "action"}
    assert all(c.slot in SLOTS for c in out[3])


def _real_rows():
    import pyarrow.parquet as pq

    return pq.read_table(REAL_PARQUET).to_pylist()  # fails, never skips, when the data is missing


def test_real_action100m_text():
    rows = _real_rows()
    nodes = [n for r in rows for n in r["nodes"] if n["gpt"]]
    actors = [n["gpt"]["action"]["actor"] for n in nodes]
    women = [a for a in actors if a and a.lower().startswith(("a woman", "the woman"))]
    assert women
    for text, cs in zip(women, extract_claims(women, "actor")):
        [a] = by_slot(cs, "actor")
        assert a.gender == "female" and a.head in ("woman", "presenter", "host"), text  # "a woman presenter"
    # counts, colours bound to their noun, lemmatised verbs, on the real summaries
    summaries = [n["gpt"]["summary"]["brief"] for n in nodes]
    got = extract_claims(summaries, "summary_brief")
    attrs = [c for cs in got for c in cs if c.slot == "attribute"]
    assert any(c.head == "egg" and c.count == 2 for c in attrs)  # "two eggs"
    assert any(c.head == "hoodie" and c.colour == ("green",) for c in attrs)  # "a green hoodie"
    verbs = {c.verb for cs in got for c in cs if c.slot == "action"}
    assert {"walk", "crack", "peel", "wipe"} <= verbs
    assert not any(v.endswith("s") and v[:-1] in verbs for v in verbs if v not in ("press", "toss"))
    for text, cs in zip(summaries, got):
        for c in cs:
            assert text[c.start:c.end] == c.span
    briefs = [n["gpt"]["action"]["brief"] for n in nodes]
    acts = [c for cs in extract_claims(briefs, "action_brief") for c in cs if c.slot == "action"]
    assert len({c.verb for c in acts}) > 50 and all(c.verb == c.verb.lower() for c in acts)


def test_a_megabyte_text_is_read_up_to_the_cap_and_repeats_come_from_memory():
    from videoaudit.claims import extract as E

    big = "A man opens the red door. " + "word " * 200_000
    (cs,) = extract_claims([big], "summary_detailed")  # spaCy alone refuses 1 MB
    assert any(c.slot == "action" and c.verb == "open" for c in cs)
    assert all(c.end <= E.MAX_CHARS and big[c.start:c.end] == c.span for c in cs)
    again = extract_claims([big, None], "summary_detailed")
    assert again[0] == cs and again[1] == [] and (big, "summary_detailed") in E._READ
