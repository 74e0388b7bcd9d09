"""Word-level edits of one segment's five GPT fields, for the fine-grained fault kinds.

Each ``find_*`` says whether (and where) a segment's text holds the word the fault would
change, so the injector can count eligible segments without touching anything; each
``apply_*`` returns a changed deep copy of the ``gpt`` dict and a one-line detail, or
None when nothing would change. Pure functions of their inputs (randomness comes in as
an ``rng``), so ``faults.py`` keeps all bookkeeping.
"""

from __future__ import annotations

import copy
import random
import re
from functools import lru_cache

from .fault_words import (COLOURS, GENDER_SWAP, HER_OBJECT_NEXT, NUMBER_WORDS, OBJECT_LEAD, OPPOSITE_VERBS,
                          verb_forms)

Field = tuple[str, str]
GPT_FIELDS: tuple[Field, ...] = (("summary", "brief"), ("summary", "detailed"), ("action", "brief"),
                                 ("action", "detailed"), ("action", "actor"))
TEXT_FIELDS: tuple[Field, ...] = GPT_FIELDS[:4]  # everything but the actor
ACTION_FIELDS: tuple[Field, ...] = (("action", "brief"), ("action", "detailed"))
_B, _E = r"(?<![\w\-])", r"(?![\w\-])"  # word edges that also refuse hyphenated compounds ("close-up")


def field(gpt: dict | None, f: Field) -> str | None:
    sub = gpt.get(f[0]) if isinstance(gpt, dict) else None
    value = sub.get(f[1]) if isinstance(sub, dict) else None
    if not isinstance(value, str) or value.strip().upper() in {"N/A", "NA", ""}:
        return None
    return value


def _match_case(src: str, word: str) -> str:
    if len(src) > 1 and src.isupper():
        return word.upper()
    return word[:1].upper() + word[1:] if src[:1].isupper() else word


def _edit(gpt: dict, fields: tuple[Field, ...], pattern: re.Pattern, repl) -> tuple[dict, int]:
    """A deep copy of ``gpt`` with ``pattern`` substituted in ``fields``; and how many substitutions."""
    new, n = copy.deepcopy(gpt), 0
    for f in fields:
        text = field(new, f)
        if text is None:
            continue
        out, k = pattern.subn(repl, text)
        if k:
            new[f[0]][f[1]] = out
            n += k
    return new, n


# --------------------------------------------------------------------------- opposite verbs


@lru_cache(maxsize=None)
def _verb_patterns(base: str) -> re.Pattern:
    """Inflected forms anywhere; the bare form only where it is a verb: a field's start, or
    after "to" / "then" / "and" (the bare "open" / "close" / "empty" is often an adjective)."""
    forms = verb_forms(base)
    inflected = "|".join(re.escape(f) for f in sorted(set(forms[1:]), key=len, reverse=True))
    bare = re.escape(forms[0])
    return re.compile(rf"{_B}(?P<inf>{inflected}){_E}|(?:^\s*|(?<=\bto )|(?<=\bthen )|(?<=\band ))(?P<bare>{bare}){_E}",
                      re.IGNORECASE)


_VERBS = sorted(OPPOSITE_VERBS, key=lambda v: (-len(v), v))  # phrasal verbs before their head


def find_verb(gpt: dict) -> str | None:
    """The first verb with an opposite in the action fields (brief first), or None."""
    for f in ACTION_FIELDS:
        text = field(gpt, f)
        if text is None:
            continue
        hits = [(m.start(), v) for v in _VERBS if (m := _verb_patterns(v).search(text))]
        if hits:
            return min(hits)[1]
    return None


def apply_opposite_verb(gpt: dict, rng: random.Random) -> tuple[dict, str] | None:
    base = find_verb(gpt)
    if base is None:
        return None
    opposite = OPPOSITE_VERBS[base]
    src, dst = verb_forms(base), verb_forms(opposite)
    lower = [s.lower() for s in src]

    def repl(m: re.Match) -> str:
        word = m.group(0)
        idx = lower.index(word.strip().lower()) if word.strip().lower() in lower else 0
        return word[: len(word) - len(word.lstrip())] + _match_case(word.strip(), dst[idx])

    everywhere = rng.random() < 0.5  # a captioner is wrong everywhere, or only in its action fields
    fields = TEXT_FIELDS if everywhere else ACTION_FIELDS
    new, n = _edit(gpt, fields, _verb_patterns(base), repl)
    scope = "every field" if everywhere else "the action fields only"
    return (new, f"{base!r} -> {opposite!r} in {scope} ({n} place{'s' * (n != 1)})") if n else None


# --------------------------------------------------------------------------- numbers, colours, gender

_NUMBER = re.compile(rf"{_B}(?P<w>{'|'.join(NUMBER_WORDS)}){_E}|(?<![\w.,:/#\-])(?P<d>\d{{1,3}})(?!\w|[.,:/]\d)",
                     re.IGNORECASE)
_COLOUR = re.compile(rf"{_B}({'|'.join(COLOURS)}){_E}")  # lower case only: "Red Bull", "Black & Decker" are names


def _first(gpt: dict, pattern: re.Pattern, fields: tuple[Field, ...] = GPT_FIELDS) -> re.Match | None:
    for f in fields:
        text = field(gpt, f)
        m = pattern.search(text) if text else None
        if m:
            return m
    return None


def find_number(gpt: dict) -> str | None:
    m = _first(gpt, _NUMBER)
    return m.group(0).lower() if m else None


def apply_changed_number(gpt: dict, rng: random.Random) -> tuple[dict, str] | None:
    old = find_number(gpt)
    if old is None:
        return None
    if old.isdigit():
        n = int(old)
        new_value = str(rng.choice([k for k in range(max(0, n - 3), n + 4) if k != n and (k > 0 or n > 3)]))
    else:
        i = NUMBER_WORDS.index(old)
        new_value = rng.choice([w for j, w in enumerate(NUMBER_WORDS) if j != i and abs(j - i) <= 3])
    pattern = re.compile(rf"{_B}{re.escape(old)}{_E}" if not old.isdigit() else
                         rf"(?<![\w.,:/#\-]){old}(?!\w|[.,:/]\d)", re.IGNORECASE)
    new, n = _edit(gpt, GPT_FIELDS, pattern, lambda m: _match_case(m.group(0), new_value))
    return (new, f"number {old!r} -> {new_value!r} ({n} place{'s' * (n != 1)})") if n else None


def find_colour(gpt: dict) -> str | None:
    m = _first(gpt, _COLOUR)
    return m.group(0) if m else None


def apply_swapped_colour(gpt: dict, rng: random.Random) -> tuple[dict, str] | None:
    old = find_colour(gpt)
    if old is None:
        return None
    present = {m.group(0) for f in GPT_FIELDS for m in _COLOUR.finditer(field(gpt, f) or "")}
    same = {"grey", "gray"} if old in ("grey", "gray") else {old}
    choices = [c for c in COLOURS if c not in present | same and c != "gray"]
    new_value = rng.choice(choices)
    new, n = _edit(gpt, GPT_FIELDS, re.compile(rf"{_B}{old}{_E}"), lambda m: new_value)
    return (new, f"colour {old!r} -> {new_value!r} ({n} place{'s' * (n != 1)})") if n else None


_GENDER = re.compile(rf"{_B}({'|'.join(sorted(GENDER_SWAP, key=len, reverse=True))}){_E}", re.IGNORECASE)


def find_gender(gpt: dict) -> str | None:
    m = _first(gpt, _GENDER)
    return m.group(0).lower() if m else None


def apply_swapped_gender(gpt: dict, rng: random.Random) -> tuple[dict, str] | None:
    swaps: list[str] = []

    def repl(m: re.Match) -> str:
        word = m.group(0)
        low = word.lower()
        new_word = GENDER_SWAP[low]
        if low == "her":
            nxt = re.match(r"\W*(\w*)", m.string[m.end():])
            new_word = "him" if (nxt.group(1).lower() if nxt else "") in HER_OBJECT_NEXT else "his"
        swaps.append(f"{low}->{new_word}")
        return _match_case(word, new_word)

    new, n = _edit(gpt, GPT_FIELDS, _GENDER, repl)
    if not n:
        return None
    shown = ", ".join(dict.fromkeys(swaps))
    return new, f"gender swapped in {n} word{'s' * (n != 1)} ({shown[:80]})"


# --------------------------------------------------------------------------- objects

_OBJECT_END = re.compile(r"\s(?:with|on|in|into|onto|from|to|at|for|using|and|of|by|under|over|inside|near)\s")


def action_object(brief: str | None) -> str | None:
    """The object of an imperative action phrase: "Pick up the spoon with care" -> "spoon"."""
    if not brief or brief.strip().upper() in {"N/A", "NA"}:
        return None
    words = _OBJECT_END.split(f" {brief.strip().rstrip('.!')} ", maxsplit=1)[0].split()[1:]
    while words and words[0].lower() in OBJECT_LEAD:
        words = words[1:]
    obj = " ".join(words).strip(" ,;:").lower()
    return obj if len(obj) >= 3 and re.search(r"[a-z]", obj) else None


def object_pattern(obj: str) -> re.Pattern:
    return re.compile(rf"{_B}{re.escape(obj)}{_E}", re.IGNORECASE)


def apply_object_swap(gpt: dict, old: str, new_value: str) -> tuple[dict, str] | None:
    new, n = _edit(gpt, TEXT_FIELDS, object_pattern(old), lambda m: _match_case(m.group(0), new_value))
    return (new, f"object {old!r} -> {new_value!r}, named elsewhere in the video ({n} place{'s' * (n != 1)})") \
        if n else None


def with_article(obj: str) -> str:
    plural = obj.endswith("s") and not obj.endswith("ss")
    return obj if plural else ("an " if obj[:1] in "aeiou" else "a ") + obj


def apply_appended_object(gpt: dict, obj: str, rng: random.Random) -> tuple[dict, str] | None:
    """``obj`` appended to the summary: a clause on the brief, or a sentence on the detailed."""
    new = copy.deepcopy(gpt)
    if rng.random() < 0.5 and field(gpt, ("summary", "brief")):
        brief = field(gpt, ("summary", "brief")).strip().rstrip(".")
        new["summary"]["brief"] = f"{brief}, next to {with_article(obj)}."
        where = "summary.brief"
    elif field(gpt, ("summary", "detailed")):
        verb = "are" if with_article(obj) == obj else "is"
        phrase = with_article(obj)
        new["summary"]["detailed"] = (f"{field(gpt, ('summary', 'detailed')).strip()} "
                                      f"{phrase[:1].upper()}{phrase[1:]} {verb} also visible nearby.")
        where = "summary.detailed"
    else:
        return None
    return new, f"{obj!r}, which nothing else in the video mentions, appended to {where}"


__all__ = ["GPT_FIELDS", "TEXT_FIELDS", "ACTION_FIELDS", "field", "find_verb", "apply_opposite_verb",
           "find_number", "apply_changed_number", "find_colour", "apply_swapped_colour", "find_gender",
           "apply_swapped_gender", "action_object", "object_pattern", "apply_object_swap", "with_article",
           "apply_appended_object"]
