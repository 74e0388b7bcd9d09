"""Parsing that never lies: raw VLM text -> descriptions, timed events, points.

A second opinion is only worth something if a reply that could not be read is *seen* as
unread. So every parser here returns either values or a :class:`ParseFailure` (which keeps
the raw text and says why); none returns an empty list that would look like "the model
saw nothing", none turns a bad timestamp into ``0.0``, none changes the model's words.
Whatever had to be repaired (a clamped time, swapped bounds, a clamped coordinate) stays
on the value as a flag.

Timestamps (:func:`parse_timestamp`)
    numbers; ``"12.5"``; ``"12.5s"`` / ``"12.5 sec"`` / ``"12.5 seconds"``; ``"mm:ss"``,
    ``"mm:ss.ff"``, ``"hh:mm:ss"``, ``"hh:mm:ss.ff"``, ``"1:02:03.5"`` (``.ff`` is a
    decimal fraction of a second, not a frame count; ``,`` is accepted for it as in SRT).
    The first colon field is unbounded (``"75:30"`` is 75 min 30 s); later fields must be
    below 60. Anything else -- empty, ``nan``/``inf``, booleans, ``"12,5"``, ``"1:75"`` --
    raises ``ValueError`` naming the value. A leading ``-`` is honoured (the result is
    negative); clamping is the caller's business (:func:`parse_events` does it).

JSON (:func:`extract_json`)
    ``json.JSONDecoder().raw_decode`` is tried at every ``[`` and ``{``; after a success
    the scan resumes past the decoded value, so nested values are never candidates of
    their own. The longest top-level value wins (the earliest on a tie). Fences, prose
    before and after, and nesting need no special case. Not accepted: Python literals
    (single quotes, ``True``), trailing commas, comments -- they are not JSON, and
    guessing would be the kind of lie this module exists to avoid. Degenerate output is
    kept cheap: brackets that cannot start JSON (``[note]``) are not tried, decoding runs
    on a growing window, and input nested past the recursion limit at many places (a
    generation loop of ``[1,[1,[1,...``) raises ``ValueError("gave up: ...")`` rather than
    take seconds -- a refusal to answer, never a smaller answer.

Events (:func:`parse_events`)
    A JSON list of objects, a single object (one event), or an object wrapping the list
    under ``"events"`` / ``"segments"``. Times from ``start``/``end``, else
    ``start_time``/``end_time``, else ``timestamp`` as ``"a - b"`` (also ``-- – — to``)
    or ``[a, b]``; each through :func:`parse_timestamp`. Text from the first of
    ``description, event, caption, label, text`` that is present; kept verbatim except for
    surrounding whitespace (no ``.capitalize()``). Repairs, in this order, each flagged:
    ``end < start`` -> swapped (``"swapped"``); times outside ``[0, duration]`` (or below 0
    when ``duration`` is None) -> clamped (``"clamped_start"`` / ``"clamped_end"``); a
    zero-length result is kept and flagged ``"empty"``.

    Bad items: the result is a :class:`ParseFailure` only if *no* item parses (or there
    are none); its reason names every item index and its problem. If some items parse,
    the others are skipped, every returned event gets the flag ``"partial"``, and the
    returned list (a :class:`ParsedList`) holds one ParseFailure per skipped item in
    ``.skipped``. A caller that only looks at events still sees ``"partial"``.

Points (:func:`parse_points`) -- what the Molmo formats are, and where that comes from
    *Molmo2* (allenai/Molmo2-* model cards, "video pointing"/"tracking" quick-starts, whose
    decoder is ``COORD_REGEX = <(?:points|tracks).*? coords="([0-9\\t:;, .]+)"/?>``,
    ``FRAME_REGEX = (?:^|\\t|:|,|;)([0-9\\.]+) ([0-9\\. ]+)``,
    ``POINTS_REGEX = ([0-9]+) ([0-9]{3,4}) ([0-9]{3,4})`` with x, y divided by 1000)::

        <points coords="t idx x y idx x y<TAB>t idx x y" alt="...">label</points>
        <tracks coords="...">label</tracks>           (same grammar, idx = track id)

    ``coords`` is a list of frame groups separated by tab (the model card also splits on
    ``: , ;``; a newline is accepted here too). In a group the first number is the time in
    seconds for video input, or the 1-based image index for (multi-)image input; then come
    ``idx x y`` triplets: ``idx`` the object's number (a track id when tracking), ``x y``
    on a 0-1000 scale, usually zero-padded (``"073"``). Abstention is the plain text
    ``"There are none."`` (seen in Molmo2 training-target code).
    The model card's decoder silently drops points outside the frame and leftover numbers;
    here a coordinate outside 0-1000 is clamped and flagged (``"clamped_x"`` /
    ``"clamped_y"``) and a group whose numbers are not ``t`` + triplets is a failure.

    *Molmo (2024)* (allenai/Molmo-7B-O-0924 model discussion: "points are returned in plain
    text image coordinates, normalized to between 0 and 100")::

        <point x="61.5" y="40.6" alt="...">label</point>
        <points x1="10.0" y1="20.0" x2="30.5" y2="40.0" alt="...">label</points>

    There is no time in it: it needs ``frame_times`` with exactly one entry.

    ``frame_times``: pass it iff the model was given frames as separate images; then a
    Molmo2 group's leading number is a 1-based index into it (an integer in range, or the
    group fails) and ``Point.t`` is ``frame_times[index - 1]``. Without it the leading
    number is already the time in seconds. The scale is chosen by the syntax (``coords``
    -> /1000, ``x``/``y`` attributes -> /100), never guessed from the values.

    The label is the tag's inner text, else its ``alt`` attribute, else None; case kept.
    Bad tags or groups follow the events policy: ParseFailure if no point parses,
    otherwise ``"partial"`` flags plus ``.skipped``. No tags at all is a ParseFailure; an
    abstention ("There are none.") is one too, with a reason starting ``"abstained"``.

Descriptions (:func:`parse_description`)
    Strips a whole-reply code fence, a ``Description:`` / ``Caption:`` / ``Summary:``
    prefix (also bold, ``**Description:**``), matching surrounding quotes, and unwraps a
    JSON object whose only content is a ``description``/``caption``/``summary``/``text``
    string. Empty text, or a reply that *starts* with refusal boilerplate (``I'm sorry``,
    ``I can't``, ``I cannot``, ``I am unable``, ``As an AI`` ...) is a ParseFailure.
"""

from __future__ import annotations

import decimal
import json
import math
import numbers
import re
import sys
from dataclasses import dataclass
from typing import Any, Generic, Iterable, Sequence, TypeVar

__all__ = [
    "Event",
    "Point",
    "ParseFailure",
    "ParsedList",
    "parse_timestamp",
    "extract_json",
    "parse_events",
    "parse_points",
    "parse_description",
    "TEXT_KEYS",
]


@dataclass(frozen=True)
class Event:
    start: float
    end: float
    text: str
    flags: tuple[str, ...] = ()  # "swapped", "clamped_start", "clamped_end", "empty", "partial"


@dataclass(frozen=True)
class Point:
    t: float
    x: float  # [0, 1] of the frame width
    y: float  # [0, 1] of the frame height
    label: str | None = None
    flags: tuple[str, ...] = ()  # "clamped_x", "clamped_y", "partial"
    obj_id: int | None = None  # Molmo2's per-group object number / track id; None for Molmo (2024)


@dataclass(frozen=True)
class ParseFailure:
    raw: str
    reason: str


T = TypeVar("T")


class ParsedList(list, Generic[T]):
    """A plain list of parsed values, plus ``skipped``: one ParseFailure per item that did not
    parse (empty unless the values carry the ``"partial"`` flag). Compares equal to a list."""

    def __init__(self, items: Iterable[T] = (), skipped: Iterable[ParseFailure] = ()):
        super().__init__(items)
        self.skipped: tuple[ParseFailure, ...] = tuple(skipped)

    def __repr__(self) -> str:
        return f"ParsedList({list.__repr__(self)}, skipped={self.skipped!r})"


# --------------------------------------------------------------------------- timestamps

_NUM = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_PLAIN_RE = re.compile(rf"({_NUM})(?:\s*(?:s|secs?|seconds?))?", re.IGNORECASE)
_CLOCK_RE = re.compile(r"([+-]?)(\d+)((?::\d{1,2}){1,2})(?:[.,](\d+))?")


def parse_timestamp(value: Any) -> float:
    """Seconds from a number or a timestamp string (see the module docstring for the forms).

    Raises ``ValueError`` naming the value for anything else; never returns a default."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, decimal.Decimal, str)):
        raise ValueError(f"timestamp {value!r}: expected a number or a string, got {type(value).__name__}")
    if not isinstance(value, str):
        try:
            f = float(value)
        except (OverflowError, ValueError) as exc:
            raise ValueError(f"timestamp {value!r}: not representable as seconds ({exc})") from None
        if not math.isfinite(f):
            raise ValueError(f"timestamp {value!r}: not a finite number of seconds")
        return f
    s = value.strip()
    if not s:
        raise ValueError(f"timestamp {value!r}: empty")
    m = _PLAIN_RE.fullmatch(s)
    if m:
        f = float(m.group(1))
        if not math.isfinite(f):
            raise ValueError(f"timestamp {value!r}: not a finite number of seconds")
        return f
    m = _CLOCK_RE.fullmatch(s)
    if m:
        sign, first, rest, frac = m.groups()
        fields = [int(first)] + [int(p) for p in rest[1:].split(":")]
        for name, v in zip(("minutes", "seconds")[-(len(fields) - 1):], fields[1:]):
            if v >= 60:
                raise ValueError(f"timestamp {value!r}: {name} field {v} is not below 60")
        total = 0.0
        for v in fields:
            total = total * 60 + v
        if frac:
            total += float("0." + frac)
        if not math.isfinite(total):
            raise ValueError(f"timestamp {value!r}: too large")
        return -total if sign == "-" else total
    raise ValueError(
        f"timestamp {value!r}: not seconds ('12.5', '12.5s') nor a clock time "
        "('mm:ss', 'mm:ss.ff', 'hh:mm:ss', 'hh:mm:ss.ff')"
    )


# --------------------------------------------------------------------------- JSON

_DECODER = json.JSONDecoder()
# A '[' or '{' that could start JSON: '{' then '"' or '}', '[' then a value or ']'. Cheap
# pre-filter so prose brackets ("[note]", "{a}") cost no decode attempt.
_OPEN_RE = re.compile(r"\{(?=\s*[\"}])|\[(?=\s*[\[\]{\"0-9tfnNI-])")
_WINDOW = 1024
_MAX_TOO_DEEP = 32  # decode attempts that hit the recursion limit before giving up
_BRACKET_RUN_RE = re.compile(r"\[+")


class _TooDeep(Exception):
    pass


def _decode_at(text: str, j: int) -> tuple[Any, int] | None:
    """raw_decode at ``j``, or None. Decodes a growing window first: a JSONDecodeError
    computes its line number by counting from the start of the string, which made a scan
    of long text full of brackets quadratic. A value that ends inside the window decodes
    as it would in the whole text; a failure is trusted only if it is not an artefact of
    the cut (end of window reached, or a string left open)."""
    n = len(text)
    w = _WINDOW
    while True:
        stop = min(n, j + w)
        chunk = text[j:stop]
        try:
            value, end = _DECODER.raw_decode(chunk)
            return value, j + end
        except RecursionError:
            raise _TooDeep from None
        except json.JSONDecodeError as exc:
            if stop == n or (exc.pos < len(chunk) - 8 and not exc.msg.startswith(("Unterminated", "Invalid \\u"))):
                return None
        w *= 4


def extract_json(text: str) -> Any:
    """The longest JSON array/object in ``text`` (fenced, bare, or amid prose).

    Raises ``ValueError`` if there is none."""
    if not isinstance(text, str):
        raise ValueError(f"expected text, got {type(text).__name__}")
    best: tuple[int, Any] | None = None  # (length, value); earliest wins a tie
    i = too_deep = run_end = 0
    while True:
        m = _OPEN_RE.search(text, i)
        if m is None:
            break
        j = m.start()
        try:
            got = _decode_at(text, j)
        except _TooDeep:
            # From any '[' that still has at least the recursion limit of '[' after it the
            # decoder must recurse too deep again: skip those (sound, and cheap).
            # Positions further into the same run fail the same way; they do not count
            # towards giving up (at most the recursion limit of them are tried).
            run = _BRACKET_RUN_RE.match(text, j).end() - j
            limit = sys.getrecursionlimit()
            if run > limit:
                i, run_end = j + run - limit, j + run
                continue
            if j >= run_end:
                too_deep += 1
            if too_deep >= _MAX_TOO_DEEP:
                raise ValueError(
                    f"gave up: JSON nested deeper than the recursion limit at {too_deep} places "
                    f"(last at offset {j})"
                ) from None
            got = None
        if got is None:
            i = j + 1
            continue
        value, end = got
        if best is None or end - j > best[0]:
            best = (end - j, value)
        i = end
    if best is None:
        raise ValueError("no JSON array or object found in the text")
    return best[1]


# --------------------------------------------------------------------------- events

TEXT_KEYS = ("description", "event", "caption", "label", "text")
_START_KEYS = ("start", "start_time")
_END_KEYS = ("end", "end_time")
_WRAPPER_KEYS = ("events", "segments")
_RANGE_RE = re.compile(r"\s*(.+?)\s*(?:--|-|–|—|\bto\b)\s*(.+?)\s*", re.IGNORECASE)


def reply_json(text: Any) -> Any | ParseFailure:
    """The JSON value in a model reply (see :func:`extract_json`), or a ParseFailure saying why not."""
    if not isinstance(text, str):
        return ParseFailure(repr(text), f"expected text, got {type(text).__name__}")
    try:
        return extract_json(text)
    except ValueError as exc:
        return ParseFailure(text, str(exc))


class _ItemError(ValueError):
    pass


def _compact(obj: Any) -> str:
    try:
        return json.dumps(obj, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(obj)


def _time(item: dict, key: str) -> float:
    try:
        return parse_timestamp(item[key])
    except ValueError as exc:
        raise _ItemError(f"{key}: {exc}") from None


def _times(item: dict) -> tuple[float, float]:
    sk = next((k for k in _START_KEYS if k in item), None)
    ek = next((k for k in _END_KEYS if k in item), None)
    if sk is not None or ek is not None:
        if sk is None or ek is None:
            raise _ItemError(f"has {sk or ek!r} but no {'end' if ek is None else 'start'}")
        return _time(item, sk), _time(item, ek)
    if "timestamp" in item:
        ts = item["timestamp"]
        if isinstance(ts, list):
            if len(ts) != 2:
                raise _ItemError(f"timestamp {_compact(ts)} is not a [start, end] pair")
            a, b = ts
        elif isinstance(ts, str):
            m = _RANGE_RE.fullmatch(ts)
            if not m:
                raise _ItemError(f"timestamp {ts!r} is not a range 'start - end'")
            a, b = m.groups()
        else:
            raise _ItemError(f"timestamp {_compact(ts)} is not a range 'start - end'")
        try:
            return parse_timestamp(a), parse_timestamp(b)
        except ValueError as exc:
            raise _ItemError(f"timestamp: {exc}") from None
    raise _ItemError("no start/end, start_time/end_time or timestamp")


def _text(item: dict) -> str:
    key = next((k for k in TEXT_KEYS if k in item), None)
    if key is None:
        raise _ItemError(f"no text under any of {', '.join(TEXT_KEYS)}")
    v = item[key]
    if not isinstance(v, str):
        raise _ItemError(f"{key} is {_compact(v)}, not a string")
    if not v.strip():
        raise _ItemError(f"{key} is empty")
    return v.strip()


def _event(item: Any, duration: float | None) -> Event:
    if not isinstance(item, dict):
        raise _ItemError(f"is {type(item).__name__}, not an object")
    start, end = _times(item)
    text = _text(item)
    flags: list[str] = []
    if end < start:
        start, end = end, start
        flags.append("swapped")
    hi = math.inf if duration is None else duration
    cs, ce = min(max(start, 0.0), hi), min(max(end, 0.0), hi)
    if cs != start:
        flags.append("clamped_start")
    if ce != end:
        flags.append("clamped_end")
    if ce == cs:
        flags.append("empty")
    return Event(cs, ce, text, tuple(flags))


def _event_items(data: Any) -> list | None:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        if not any(k in data for k in (*_START_KEYS, *_END_KEYS, "timestamp")):
            for k in _WRAPPER_KEYS:
                if isinstance(data.get(k), list):
                    return data[k]
        return [data]
    return None


def parse_events(text: str, duration: float | None) -> list[Event] | ParseFailure:
    """Timed events from a VLM reply (policy in the module docstring). Never raises on any
    ``text``; raises ``ValueError`` only for a ``duration`` that is not a finite number >= 0."""
    if duration is not None:
        if isinstance(duration, bool) or not isinstance(duration, numbers.Real) or not (
            math.isfinite(duration) and duration >= 0
        ):
            raise ValueError(f"duration {duration!r}: expected None or a finite number >= 0")
        duration = float(duration)
    data = reply_json(text)
    if isinstance(data, ParseFailure):
        return data
    items = _event_items(data)
    if items is None:  # pragma: no cover - extract_json only returns lists and dicts
        return ParseFailure(text, "JSON is neither a list nor an object")
    if not items:
        return ParseFailure(text, "empty list: no events")
    events: list[Event] = []
    skipped: list[ParseFailure] = []
    for i, item in enumerate(items):
        try:
            events.append(_event(item, duration))
        except _ItemError as exc:
            skipped.append(ParseFailure(_compact(item), f"item {i}: {exc}"))
    if not events:
        return ParseFailure(text, "no item parsed: " + "; ".join(f.reason for f in skipped))
    if skipped:
        events = [Event(e.start, e.end, e.text, e.flags + ("partial",)) for e in events]
    return ParsedList(events, skipped)


# --------------------------------------------------------------------------- points

_TAG_RE = re.compile(r"<(points|point|tracks)\b((?:[^>\"']|\"[^\"]*\"|'[^']*')*?)(/?)>", re.IGNORECASE)
_ATTR_RE = re.compile(r"([A-Za-z_][\w-]*)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_GROUP_SEP_RE = re.compile(r"[\t\n\r:,;]")
_ABSTAIN_RE = re.compile(r"^\W*there\s+(?:are|is)\s+(?:none|no\b)", re.IGNORECASE)
_MOLMO1_X_RE = re.compile(r"x(\d*)")


class _TagError(ValueError):
    pass


def _finite(s: str, what: str) -> float:
    try:
        f = float(s)
    except ValueError:
        raise _TagError(f"{what} {s!r} is not a number") from None
    if not math.isfinite(f):
        raise _TagError(f"{what} {s!r} is not finite")
    return f


def _unit(v: float, scale: float, axis: str, flags: list[str]) -> float:
    u = v / scale
    if u < 0.0 or u > 1.0:
        u = min(max(u, 0.0), 1.0)
        flags.append(f"clamped_{axis}")
    return u


def _molmo2_points(coords: str, label: str | None, frame_times: Sequence[float] | None,
                   tag: str) -> tuple[list[Point], list[ParseFailure]]:
    points: list[Point] = []
    bad: list[ParseFailure] = []
    groups = [g.strip() for g in _GROUP_SEP_RE.split(coords)]
    groups = [g for g in groups if g]
    if not groups:
        return [], [ParseFailure(tag, "coords is empty")]
    for gi, group in enumerate(groups):
        try:
            nums = group.split()
            if len(nums) < 4 or (len(nums) - 1) % 3:
                raise _TagError(f"{len(nums)} numbers, expected a time then 'idx x y' triplets")
            lead = _finite(nums[0], "time")
            if frame_times is None:
                if lead < 0:
                    raise _TagError(f"time {nums[0]!r} is negative")
                t = lead
            else:
                if lead != int(lead) or not 1 <= lead <= len(frame_times):
                    raise _TagError(f"frame index {nums[0]!r} is not in 1..{len(frame_times)}")
                t = float(frame_times[int(lead) - 1])
            new = []
            for k in range(1, len(nums), 3):
                idx = _finite(nums[k], "object index")
                if idx != int(idx):
                    raise _TagError(f"object index {nums[k]!r} is not an integer")
                flags: list[str] = []
                x = _unit(_finite(nums[k + 1], "x"), 1000.0, "x", flags)
                y = _unit(_finite(nums[k + 2], "y"), 1000.0, "y", flags)
                new.append(Point(t, x, y, label, tuple(flags), int(idx)))
            points.extend(new)
        except _TagError as exc:
            bad.append(ParseFailure(tag, f"frame group {gi} {group!r}: {exc}"))
    return points, bad


def _molmo1_points(attrs: dict[str, str], label: str | None,
                   frame_times: Sequence[float] | None) -> list[Point]:
    if frame_times is None or len(frame_times) != 1:
        have = "none" if frame_times is None else f"{len(frame_times)}"
        raise _TagError(f"Molmo x/y points carry no time: pass frame_times with exactly one time (got {have})")
    t = float(frame_times[0])
    suffixes = sorted((m.group(1) for k in attrs if (m := _MOLMO1_X_RE.fullmatch(k))),
                      key=lambda s: int(s) if s else 0)
    if not suffixes:
        raise _TagError("no coords, x or x1 attribute")
    out = []
    for sfx in suffixes:
        if f"y{sfx}" not in attrs:
            raise _TagError(f"x{sfx} without y{sfx}")
        flags: list[str] = []
        x = _unit(_finite(attrs[f"x{sfx}"], f"x{sfx}"), 100.0, "x", flags)
        y = _unit(_finite(attrs[f"y{sfx}"], f"y{sfx}"), 100.0, "y", flags)
        out.append(Point(t, x, y, label, tuple(flags)))
    return out


def parse_points(text: str, frame_times: Sequence[float] | None = None) -> list[Point] | ParseFailure:
    """Points from Molmo2 ``<points coords=...>`` / ``<tracks ...>`` and Molmo ``<point x= y=>``
    tags (formats and policy in the module docstring). Never raises on any ``text``; raises
    ``ValueError`` only for ``frame_times`` that are not finite numbers."""
    if not isinstance(text, str):
        return ParseFailure(repr(text), f"expected text, got {type(text).__name__}")
    if frame_times is not None:
        try:
            frame_times = [float(t) for t in frame_times]
        except (TypeError, ValueError):
            raise ValueError(f"frame_times {frame_times!r}: not all numbers") from None
        if not all(math.isfinite(t) for t in frame_times):
            raise ValueError(f"frame_times {frame_times!r}: not all finite")
    points: list[Point] = []
    skipped: list[ParseFailure] = []
    tags = 0
    for m in _TAG_RE.finditer(text):
        tags += 1
        name, attr_text, selfclose = m.group(1).lower(), m.group(2), m.group(3)
        end = m.end()
        inner = None
        if not selfclose:
            close = re.compile(rf"</{name}\s*>", re.IGNORECASE).search(text, end)
            if close:
                inner = text[end:close.start()]
                end = close.end()
        tag = text[m.start():end]
        attrs = {a.group(1).lower(): a.group(2) if a.group(2) is not None else a.group(3)
                 for a in _ATTR_RE.finditer(attr_text)}
        label = (inner or "").strip() or (attrs.get("alt") or "").strip() or None
        try:
            if "coords" in attrs:
                got, bad = _molmo2_points(attrs["coords"], label, frame_times, tag)
                points.extend(got)
                skipped.extend(bad)
            else:
                points.extend(_molmo1_points(attrs, label, frame_times))
        except _TagError as exc:
            skipped.append(ParseFailure(tag, f"tag {tags - 1}: {exc}"))
    if not points:
        if tags == 0:
            if _ABSTAIN_RE.match(text.strip()):
                return ParseFailure(text, "abstained: the model said there are none")
            return ParseFailure(text, "no <points>, <point> or <tracks> tag")
        return ParseFailure(text, "no point parsed: " + "; ".join(f.reason for f in skipped))
    if skipped:
        points = [Point(p.t, p.x, p.y, p.label, p.flags + ("partial",), p.obj_id) for p in points]
    return ParsedList(points, skipped)


# --------------------------------------------------------------------------- descriptions

_FENCE_RE = re.compile(r"\A\s*```[\w+-]*[ \t]*\n?(.*?)\n?[ \t]*```\s*\Z", re.DOTALL)
_PREFIX_RE = re.compile(
    r"\A\s*(?:[*_#]+\s*)?(?:description|caption|summary|video description)\s*(?:[*_]+\s*)?:\s*(?:[*_]+\s*)?",
    re.IGNORECASE,
)
_REFUSAL_RE = re.compile(
    r"\A\W*(?:i['’]?m\s+sorry|i\s+am\s+sorry|sorry\b|i\s+apologi[sz]e|"
    r"i\s+(?:can['’]?t|cannot|can\s+not|could\s+not|couldn['’]?t|won['’]?t|am\s+unable|am\s+not\s+able)|"
    r"i['’]m\s+(?:unable|not\s+able)|as\s+an\s+ai\b|unfortunately,?\s+i\b)",
    re.IGNORECASE,
)
_DESC_KEYS = ("description", "caption", "summary", "text")
_QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’"}


def parse_description(text: str) -> str | ParseFailure:
    """A description, cleaned of wrapping only (see the module docstring); the words are kept."""
    if not isinstance(text, str):
        return ParseFailure(repr(text), f"expected text, got {type(text).__name__}")
    s = text.strip()
    m = _FENCE_RE.match(s)
    if m:
        s = m.group(1).strip()
    if s[:1] in "{[":
        try:
            obj = json.loads(s)
        except (ValueError, RecursionError):
            obj = None
        if isinstance(obj, dict) and len(obj) == 1:
            (k, v), = obj.items()
            if k.lower() in _DESC_KEYS and isinstance(v, str):
                s = v.strip()
    s = _PREFIX_RE.sub("", s, count=1).strip()
    if len(s) >= 2 and _QUOTES.get(s[0]) == s[-1]:
        s = s[1:-1].strip()
    if not s:
        return ParseFailure(text, "empty description")
    if _REFUSAL_RE.match(s):
        return ParseFailure(text, "refusal: " + s[:80])
    return s
