"""The Action100M structured opinion parser: five string fields or a named failure."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from videoaudit.opinions.parse import ParseFailure
from videoaudit.opinions.structured import STRUCTURED_FIELDS, parse_structured

GOOD = {"summary_brief": "A Cook Slices onions.", "summary_detailed": "In a kitchen, a cook slices two onions.",
        "action_brief": "slice onions", "action_detailed": "The cook slices the onions with a knife.",
        "actor": "N/A"}


def test_fenced_json_with_prose_and_extra_keys():
    text = "Sure!\n```json\n" + json.dumps({**GOOD, "confidence": 0.9}) + "\n```\nHope this helps."
    assert parse_structured(text) == GOOD  # words (and their case) kept, extra keys dropped


def test_single_object_in_a_list():
    assert parse_structured(json.dumps([GOOD])) == GOOD


def test_failures_name_the_problem():
    missing = {k: v for k, v in GOOD.items() if k != "actor"}
    r = parse_structured(json.dumps(missing))
    assert isinstance(r, ParseFailure) and "actor" in r.reason and r.raw == json.dumps(missing)
    r = parse_structured(json.dumps({**GOOD, "action_brief": ["slice"]}))
    assert isinstance(r, ParseFailure) and "action_brief" in r.reason
    r = parse_structured(json.dumps({**GOOD, "summary_brief": "  "}))
    assert isinstance(r, ParseFailure) and "empty" in r.reason
    r = parse_structured(json.dumps([GOOD, GOOD]))
    assert isinstance(r, ParseFailure) and "list of 2" in r.reason
    assert isinstance(parse_structured("a person slices onions"), ParseFailure)
    assert isinstance(parse_structured(None), ParseFailure)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_never_raises_and_never_returns_an_empty_success(text):
    r = parse_structured(text)
    assert isinstance(r, ParseFailure) or (set(r) == set(STRUCTURED_FIELDS) and all(v.strip() for v in r.values()))


@settings(max_examples=100, deadline=None)
@given(st.fixed_dictionaries({k: st.text(min_size=1, max_size=40).filter(str.strip) for k in STRUCTURED_FIELDS}),
       st.text(max_size=40).filter(lambda s: "{" not in s and "[" not in s))
def test_round_trip_amid_prose(fields, prose):
    assert parse_structured(prose + json.dumps(fields) + prose) == {k: v.strip() for k, v in fields.items()}
