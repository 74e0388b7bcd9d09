"""Parsing raw VLM replies: values or a ParseFailure, never a silent default."""

from __future__ import annotations

import json
import math
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from videoaudit.opinions.parse import (
    Event,
    ParsedList,
    ParseFailure,
    Point,
    extract_json,
    parse_description,
    parse_events,
    parse_points,
    parse_timestamp,
)

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --------------------------------------------------------------------------- timestamps


@pytest.mark.parametrize(
    "value, seconds",
    [
        (0, 0.0),
        (12, 12.0),
        (12.5, 12.5),
        (Decimal("1.25"), 1.25),
        ("12.5", 12.5),
        (" 12.5 ", 12.5),
        ("12", 12.0),
        (".5", 0.5),
        ("12.5s", 12.5),
        ("12.5 s", 12.5),
        ("12.5 sec", 12.5),
        ("3 seconds", 3.0),
        ("01:05", 65.0),
        ("1:05", 65.0),
        ("75:30", 4530.0),  # first field unbounded
        ("01:05.25", 65.25),
        ("01:05.5", 65.5),
        ("01:02:03", 3723.0),
        ("1:02:03.5", 3723.5),
        ("00:00:01.040", 1.04),
        ("00:00:01,500", 1.5),  # SRT-style comma fraction
        ("-1.5", -1.5),  # honoured, clamped by the caller
        ("1e2", 100.0),
    ],
)
def test_timestamp_forms(value, seconds):
    assert parse_timestamp(value) == pytest.approx(seconds, abs=1e-12)


@pytest.mark.parametrize(
    "value, says",
    [
        ("", "empty"),
        ("   ", "empty"),
        ("abc", "not seconds"),
        ("12,5", "not seconds"),
        ("1:75", "seconds field 75"),
        ("1:75:00", "minutes field 75"),
        ("1:2:3:4", "not seconds"),
        ("12.5m", "not seconds"),
        ("nan", "not seconds"),
        ("inf", "not seconds"),
        ("1e400", "finite"),
        (float("nan"), "finite"),
        (float("inf"), "finite"),
        (10**400, "not representable"),
        (True, "bool"),
        (None, "NoneType"),
        ([1, 2], "list"),
    ],
)
def test_timestamp_rejects_with_a_message(value, says):
    """The workshop plugin turned these into 0.0; here each is a ValueError that names it."""
    with pytest.raises(ValueError) as exc:
        parse_timestamp(value)
    assert says in str(exc.value)
    assert "timestamp" in str(exc.value)


def _fmt_plain(cs: int) -> str:
    return f"{cs / 100:.2f}"


def _fmt_suffix(cs: int) -> str:
    return f"{cs / 100:.2f}s"


def _fmt_mmss(cs: int) -> str:
    s, ff = divmod(cs, 100)
    m, s = divmod(s, 60)
    return f"{m:02d}:{s:02d}.{ff:02d}"


def _fmt_hhmmss(cs: int) -> str:
    s, ff = divmod(cs, 100)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return f"{h:02d}:{m:02d}:{s:02d}.{ff:02d}"


def _fmt_hmmss_short(cs: int) -> str:
    s, ff = divmod(cs, 100)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" + (f".{ff:02d}".rstrip("0") if ff else "")


@FAST
@given(
    cs=st.integers(min_value=0, max_value=100 * 60 * 60 * 30),  # centiseconds, up to 30 h
    fmt=st.sampled_from([_fmt_plain, _fmt_suffix, _fmt_mmss, _fmt_hhmmss, _fmt_hmmss_short]),
)
def test_timestamp_round_trips(cs, fmt):
    assert parse_timestamp(fmt(cs)) == pytest.approx(cs / 100, abs=1e-6)


@FAST
@given(x=st.floats(min_value=0, max_value=1e9, allow_nan=False))
def test_timestamp_round_trips_repr_of_any_float(x):
    assert parse_timestamp(repr(x)) == x
    assert parse_timestamp(x) == x


# --------------------------------------------------------------------------- extract_json

NESTED = {"events": [{"start": 1, "end": 2, "meta": {"tags": ["a", {"b": [1, 2, {"c": None}]}]}}]}


@pytest.mark.parametrize(
    "text, expected",
    [
        ('```json\n[{"a": 1}]\n```', [{"a": 1}]),
        ('```\n{"a": 1}\n```', {"a": 1}),
        ('[{"a": 1}]', [{"a": 1}]),
        ("Here you go:\n```json\n" + json.dumps(NESTED, indent=2) + "\n```\nLet me know!", NESTED),
        ("Sure. " + json.dumps(NESTED) + " That is all {not json}.", NESTED),
        # a non-greedy {.*?} regex stops at the first "}" -- the plugin bug
        ('x {"a": {"b": {"c": 1}}, "d": 2} y', {"a": {"b": {"c": 1}}, "d": 2}),
        # the largest top-level value wins over an earlier small one
        ('Step [1] then {"big": [1, 2, 3]}', {"big": [1, 2, 3]}),
        ('{"a": 1} and then [{"a": 1}, {"b": 2}]', [{"a": 1}, {"b": 2}]),
        # a string containing brackets does not confuse the scan
        ('note: {"text": "a [weird] {value}"}', {"text": "a [weird] {value}"}),
        ("[unclosed then {\"ok\": true}", {"ok": True}),
    ],
)
def test_extract_json_forms(text, expected):
    assert extract_json(text) == expected


@pytest.mark.parametrize("text", ["", "no json here", "{'python': 'dict'}", "[1, 2,]", "{", "42", '"just a string"'])
def test_extract_json_raises_when_none(text):
    with pytest.raises(ValueError):
        extract_json(text)


@pytest.mark.timeout(10)
def test_extract_json_degenerate_output_is_cheap():
    """Generation loops: long runs of brackets fail fast, honestly, and never hang."""
    with pytest.raises(ValueError, match="no JSON"):
        extract_json("[" * 100_000)
    assert extract_json("[" * 5000 + '{"a": 1}') == {"a": 1}
    with pytest.raises(ValueError, match="gave up"):
        extract_json("[1," * 100_000)
    for junk in ("{a" * 100_000, '{"a' * 100_000, "[note] " * 50_000):
        with pytest.raises(ValueError, match="no JSON"):
            extract_json(junk)
    big = {"k": ["x" * 10_000, {"y": list(range(3000))}]}
    assert extract_json("pre " + json.dumps(big) + " post " + "[x] " * 10_000) == big
    # a string cut by the first decode window must not read as a failure
    s = "a" * 1000 + "\\u00e9" + "b" * 5000
    assert extract_json('{"s": "' + s + '"}') == {"s": json.loads('"' + s + '"')}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
json_containers = st.one_of(
    st.lists(json_values, max_size=4), st.dictionaries(st.text(max_size=8), json_values, max_size=4)
)
prose = st.text(
    alphabet=st.characters(blacklist_characters="[]{}", blacklist_categories=("Cs",)), max_size=60
)


@FAST
@given(obj=json_containers, before=prose, after=prose, fenced=st.booleans(), indent=st.sampled_from([None, 2]))
def test_extract_json_finds_embedded_object(obj, before, after, fenced, indent):
    body = json.dumps(obj, indent=indent)
    if fenced:
        body = f"```json\n{body}\n```"
    assert extract_json(before + body + after) == obj


# --------------------------------------------------------------------------- events


@pytest.mark.parametrize(
    "text, duration, expected",
    [
        # list, fenced
        ('```json\n[{"start": 1.0, "end": 2.5, "description": "A man opens the door"}]\n```', 10,
         [Event(1.0, 2.5, "A man opens the door")]),
        # single object -> one event
        ('{"start": 1, "end": 2, "event": "Pours water"}', 10, [Event(1.0, 2.0, "Pours water")]),
        # start_time / end_time, clock strings, caption key
        ('[{"start_time": "00:01", "end_time": "00:03.5", "caption": "x"}]', 10, [Event(1.0, 3.5, "x")]),
        # timestamp range "a - b"
        ('[{"timestamp": "00:01 - 00:04", "label": "cut"}]', 10, [Event(1.0, 4.0, "cut")]),
        ('[{"timestamp": "1.5s-3s", "text": "cut"}]', 10, [Event(1.5, 3.0, "cut")]),
        ('[{"timestamp": "1 to 3", "text": "cut"}]', 10, [Event(1.0, 3.0, "cut")]),
        ('[{"timestamp": [1, 3], "text": "cut"}]', 10, [Event(1.0, 3.0, "cut")]),
        # labels keep their case (the plugin's .capitalize() did not)
        ('[{"start": 0, "end": 1, "label": "iPhone unboxing by NASA"}]', 10,
         [Event(0.0, 1.0, "iPhone unboxing by NASA")]),
        # key precedence: description before text
        ('[{"start": 0, "end": 1, "text": "t", "description": "d"}]', 10, [Event(0.0, 1.0, "d")]),
        # wrapper object
        ('{"events": [{"start": 0, "end": 1, "text": "a"}, {"start": 1, "end": 2, "text": "b"}]}', 10,
         [Event(0.0, 1.0, "a"), Event(1.0, 2.0, "b")]),
        # nested extra data and prose after
        ('Events:\n[{"start": 0, "end": 1, "text": "a", "meta": {"objs": [{"n": 1}]}}]\nDone.', 10,
         [Event(0.0, 1.0, "a")]),
        # repairs, flagged
        ('[{"start": 5, "end": 2, "text": "a"}]', 10, [Event(2.0, 5.0, "a", ("swapped",))]),
        ('[{"start": -1, "end": 2, "text": "a"}]', 10, [Event(0.0, 2.0, "a", ("clamped_start",))]),
        ('[{"start": 8, "end": 12, "text": "a"}]', 10, [Event(8.0, 10.0, "a", ("clamped_end",))]),
        ('[{"start": 12, "end": 15, "text": "a"}]', 10,
         [Event(10.0, 10.0, "a", ("clamped_start", "clamped_end", "empty"))]),
        ('[{"start": 15, "end": -3, "text": "a"}]', 10,
         [Event(0.0, 10.0, "a", ("swapped", "clamped_start", "clamped_end"))]),
        ('[{"start": 3, "end": 3, "text": "a"}]', 10, [Event(3.0, 3.0, "a", ("empty",))]),
        # no duration: only the lower bound
        ('[{"start": -2, "end": 500, "text": "a"}]', None, [Event(0.0, 500.0, "a", ("clamped_start",))]),
    ],
)
def test_events_forms(text, duration, expected):
    got = parse_events(text, duration)
    assert isinstance(got, ParsedList)
    assert got == expected
    assert got.skipped == ()


@pytest.mark.parametrize(
    "text, says",
    [
        ("I could not find any events.", "no JSON"),
        ("[]", "empty list"),
        ('{"events": []}', "empty list"),
        ('[{"start": "soon", "end": 2, "text": "a"}]', "item 0: start: timestamp 'soon'"),
        ('[{"start": 1, "text": "a"}]', "item 0: has 'start' but no end"),
        ('[{"start": 1, "end": 2}]', "item 0: no text"),
        ('[{"start": 1, "end": 2, "text": "  "}]', "item 0: text is empty"),
        ('[{"start": 1, "end": 2, "text": 5}]', "item 0: text is 5, not a string"),
        ('[{"timestamp": "12.5", "text": "a"}]', "item 0: timestamp '12.5' is not a range"),
        ('[1, "two"]', "item 0: is int"),
        ('[{"start": NaN, "end": 2, "text": "a"}]', "item 0: start"),
        ('[{"start": null, "end": 2, "text": "a"}, {"end": 1, "text": "b"}]', "item 1: has 'end' but no start"),
    ],
)
def test_events_failures_keep_raw(text, says):
    got = parse_events(text, 10)
    assert isinstance(got, ParseFailure)
    assert got.raw == text
    assert says in got.reason


def test_events_partial_result_is_flagged_and_keeps_the_skipped_items():
    text = '[{"start": 0, "end": 1, "text": "a"}, {"start": "??", "end": 2, "text": "b"}, {"start": 2, "end": 3, "text": "c"}]'
    got = parse_events(text, 10)
    assert got == [Event(0.0, 1.0, "a", ("partial",)), Event(2.0, 3.0, "c", ("partial",))]
    assert len(got.skipped) == 1
    assert got.skipped[0].reason.startswith("item 1: ")
    assert json.loads(got.skipped[0].raw) == {"start": "??", "end": 2, "text": "b"}


@pytest.mark.parametrize("duration", [-1, float("nan"), float("inf"), True, "10"])
def test_events_bad_duration_is_a_caller_error(duration):
    with pytest.raises(ValueError):
        parse_events("[]", duration)


def _check_events(got, duration):
    assert isinstance(got, (list, ParseFailure))
    if isinstance(got, ParseFailure):
        assert isinstance(got.raw, str) and got.reason
        return
    assert got, "an empty list must be a ParseFailure"
    for e in got:
        assert isinstance(e, Event)
        hi = math.inf if duration is None else duration
        assert 0.0 <= e.start <= e.end <= hi
        assert isinstance(e.text, str) and e.text


durations = st.none() | st.floats(min_value=0, max_value=1e6, allow_nan=False)


@FAST
@given(text=st.text(max_size=200), duration=durations)
def test_events_never_raise_on_arbitrary_text(text, duration):
    _check_events(parse_events(text, duration), duration)


time_like = st.one_of(
    st.integers(min_value=-10**30, max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet="0123456789:.,-s e", max_size=12),
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=3),
)
event_like = st.dictionaries(
    st.sampled_from(["start", "end", "start_time", "end_time", "timestamp", "description", "event",
                     "caption", "label", "text", "other"]),
    time_like | st.text(max_size=10),
    max_size=5,
)


@FAST
@given(
    items=st.one_of(st.lists(event_like | time_like, max_size=5), event_like),
    duration=durations,
    before=st.text(max_size=20),
)
def test_events_never_raise_on_json_like_text(items, duration, before):
    text = before + json.dumps(items)  # NaN / Infinity appear as JSON extensions
    _check_events(parse_events(text, duration), duration)


# --------------------------------------------------------------------------- points

MOLMO2_VIDEO = (
    'The cook reaches for it: <points coords="0.5 1 410 620 2 073 160\t1.0 1 420 630" '
    'alt="washer jet">Washer Jet</points>.'
)


@pytest.mark.parametrize(
    "text, frame_times, expected",
    [
        # Molmo2 video: several times in one tag, x y on 0-1000, label case kept
        (MOLMO2_VIDEO, None, [
            Point(0.5, 0.41, 0.62, "Washer Jet", (), 1),
            Point(0.5, 0.073, 0.16, "Washer Jet", (), 2),
            Point(1.0, 0.42, 0.63, "Washer Jet", (), 1),
        ]),
        # the other separators the model card's decoder splits frame groups on
        ('<points coords="1 1 500 500;2 1 600 600,3 1 700 700">a</points>', None, [
            Point(1.0, 0.5, 0.5, "a", (), 1), Point(2.0, 0.6, 0.6, "a", (), 1), Point(3.0, 0.7, 0.7, "a", (), 1),
        ]),
        # several tags; self-closing tag takes its alt as label; tracks use the same grammar
        ('<points coords="2 1 100 200"/> and <tracks coords="3 7 300 400">dog</tracks>', None, [
            Point(2.0, 0.1, 0.2, None, (), 1), Point(3.0, 0.3, 0.4, "dog", (), 7),
        ]),
        ('<points coords="2 1 100 200" alt="the Cup"/>', None, [Point(2.0, 0.1, 0.2, "the Cup", (), 1)]),
        # multi-image: the leading number is a 1-based index into frame_times
        ('<points coords="1 1 100 200\t2 1 300 400">cup</points>', [4.0, 8.0], [
            Point(4.0, 0.1, 0.2, "cup", (), 1), Point(8.0, 0.3, 0.4, "cup", (), 1),
        ]),
        # out-of-range coordinate: clamped and flagged
        ('<points coords="1 1 1200 999">a</points>', None, [Point(1.0, 1.0, 0.999, "a", ("clamped_x",), 1)]),
        # Molmo (2024): 0-100 scale, needs the one frame time
        ('<point x="61.5" y="40.6" alt="cup">Red Cup</point>', [3.0], [Point(3.0, 0.615, 0.406, "Red Cup")]),
        ('<point x="61.5" y="40.6" alt="red cup"></point>', [3.0], [Point(3.0, 0.615, 0.406, "red cup")]),
        ('<points x1="10" y1="20" x2="30.5" y2="140" alt="cups">cups</points>', [1.5], [
            Point(1.5, 0.1, 0.2, "cups"), Point(1.5, 0.305, 1.0, "cups", ("clamped_y",)),
        ]),
    ],
)
def test_points_forms(text, frame_times, expected):
    got = parse_points(text, frame_times)
    assert isinstance(got, ParsedList)
    assert [(p.t, p.label, p.flags, p.obj_id) for p in got] == [(p.t, p.label, p.flags, p.obj_id) for p in expected]
    assert [c for p in got for c in (p.x, p.y)] == pytest.approx([c for p in expected for c in (p.x, p.y)])
    assert got.skipped == ()


@pytest.mark.parametrize(
    "text, frame_times, says",
    [
        ("I can see a cup on the left.", None, "no <points>"),
        ("There are none.", None, "abstained"),
        ('<points coords="">a</points>', None, "coords is empty"),
        ('<points coords="1 1 500">a</points>', None, "expected a time then 'idx x y' triplets"),
        ('<points coords="1 1 500 500 2">a</points>', None, "5 numbers"),
        ('<points coords="1 1 abc 500">a</points>', None, "x 'abc' is not a number"),
        ('<points coords="3 1 500 500">a</points>', [1.0, 2.0], "frame index '3' is not in 1..2"),
        ('<points coords="1.5 1 500 500">a</points>', [1.0, 2.0], "frame index '1.5'"),
        ('<point x="61.5" y="40.6">cup</point>', None, "carry no time"),
        ('<point x="61.5" y="40.6">cup</point>', [1.0, 2.0], "exactly one time"),
        ('<point x="61.5">cup</point>', [1.0], "x without y"),
        ('<point alt="cup">cup</point>', [1.0], "no coords, x or x1"),
    ],
)
def test_points_failures_keep_raw(text, frame_times, says):
    got = parse_points(text, frame_times)
    assert isinstance(got, ParseFailure)
    assert got.raw == text
    assert says in got.reason


def test_points_partial_result_is_flagged():
    text = '<points coords="1 1 500 500\t2 1 oops 5">a</points> <point x="1" y="2">b</point>'
    got = parse_points(text)
    assert got == [Point(1.0, 0.5, 0.5, "a", ("partial",), 1)]
    assert [f.reason.split(":")[0] for f in got.skipped] == ["frame group 1 '2 1 oops 5'", "tag 1"]


@FAST
@given(text=st.text(max_size=200), frame_times=st.none() | st.lists(st.floats(0, 1e4), max_size=3))
def test_points_never_raise(text, frame_times):
    got = parse_points(text, frame_times)
    assert isinstance(got, (list, ParseFailure))
    if isinstance(got, list):
        assert got and all(0 <= p.x <= 1 and 0 <= p.y <= 1 and p.t >= 0 for p in got)


@FAST
@given(
    groups=st.lists(
        st.tuples(st.integers(0, 600).map(lambda n: n / 2),
                  st.lists(st.tuples(st.integers(1, 9), st.integers(0, 1000), st.integers(0, 1000)),
                           min_size=1, max_size=4)),
        min_size=1, max_size=5),
    label=st.text(alphabet=st.characters(blacklist_characters="<>", blacklist_categories=("Cs",)), max_size=20),
)
def test_points_molmo2_round_trip(groups, label):
    coords = "\t".join(f"{t} " + " ".join(f"{i} {x:03d} {y:03d}" for i, x, y in pts) for t, pts in groups)
    got = parse_points(f'Answer: <points coords="{coords}">{label}</points>')
    expected = [(t, i, x / 1000, y / 1000) for t, pts in groups for i, x, y in pts]
    assert [c for p in got for c in (p.t, p.obj_id, p.x, p.y)] == pytest.approx([c for e in expected for c in e])
    assert all(p.label == (label.strip() or None) and p.flags == () for p in got)


# --------------------------------------------------------------------------- descriptions


@pytest.mark.parametrize(
    "text, expected",
    [
        ("A man cleans a car windscreen.", "A man cleans a car windscreen."),
        ("  A man cleans\n a car.  ", "A man cleans\n a car."),
        ("Description: A man cleans a car.", "A man cleans a car."),
        ("**Description:** A man cleans a car.", "A man cleans a car."),
        ("caption: iPhone on a table", "iPhone on a table"),
        ("```\nA man cleans a car.\n```", "A man cleans a car."),
        ("```text\nDescription: A man cleans a car.\n```", "A man cleans a car."),
        ('"A man cleans a car."', "A man cleans a car."),
        ('```json\n{"description": "A man Cleans a car."}\n```', "A man Cleans a car."),
        # a refusal phrase later in the text is content, not a refusal
        ("A woman shouts 'I can't do this' and leaves.", "A woman shouts 'I can't do this' and leaves."),
    ],
)
def test_description_forms(text, expected):
    assert parse_description(text) == expected


@pytest.mark.parametrize(
    "text, says",
    [
        ("", "empty"),
        ("   \n ", "empty"),
        ("```\n```", "empty"),
        ("Description:", "empty"),
        ("I'm sorry, but I can't describe this video.", "refusal"),
        ("I’m sorry, I cannot help.", "refusal"),
        ("I can't see any video.", "refusal"),
        ("I cannot view videos.", "refusal"),
        ("I am unable to process this.", "refusal"),
        ("As an AI, I don't watch videos.", "refusal"),
        ("Description: Sorry, the video did not load.", "refusal"),
    ],
)
def test_description_failures_keep_raw(text, says):
    got = parse_description(text)
    assert isinstance(got, ParseFailure)
    assert got.raw == text
    assert says in got.reason


@FAST
@given(text=st.text(max_size=200))
def test_description_never_raises(text):
    got = parse_description(text)
    assert isinstance(got, ParseFailure) or (isinstance(got, str) and got.strip() == got and got)
