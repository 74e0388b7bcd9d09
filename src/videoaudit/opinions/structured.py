"""The Action100M structured opinion: five fields, compared field by field with the annotation.

The ``structured`` prompt (``prompts/structured.v1.txt``) asks for one JSON object with the
keys of an Action100M node's GPT fields.  :func:`parse_structured` follows the policy of
:mod:`.parse`: the JSON may sit in fences or prose (:func:`~.parse.extract_json`), the words
are kept verbatim, and a reply that is not such an object -- no JSON, a list, a missing key,
a non-string value -- is a :class:`~.parse.ParseFailure` naming what was wrong, never a
dict with empty fields that would "agree" with anything.
"""

from __future__ import annotations

from ..schema import GPT_FIELDS
from .parse import ParseFailure, reply_json

__all__ = ["STRUCTURED_FIELDS", "parse_structured"]

#: the keys the structured prompt asks for: exactly the annotation's GPT fields
STRUCTURED_FIELDS = GPT_FIELDS


def parse_structured(text: str) -> dict[str, str] | ParseFailure:
    """``{field: text}`` for the five fields (extra keys dropped), or a ParseFailure."""
    data = reply_json(text)
    if isinstance(data, ParseFailure):
        return data
    if isinstance(data, list):
        objs = [d for d in data if isinstance(d, dict)]
        if len(objs) != 1:
            return ParseFailure(text, f"expected one JSON object, got a list of {len(data)} items")
        data = objs[0]
    missing = [k for k in STRUCTURED_FIELDS if k not in data]
    if missing:
        return ParseFailure(text, f"missing field(s): {', '.join(missing)}")
    bad = [k for k in STRUCTURED_FIELDS if not isinstance(data[k], str)]
    if bad:
        return ParseFailure(text, f"field(s) not a string: {', '.join(bad)}")
    empty = [k for k in STRUCTURED_FIELDS if not data[k].strip()]
    if empty:
        return ParseFailure(text, f"empty field(s): {', '.join(empty)} (the prompt asks for \"N/A\")")
    return {k: data[k].strip() for k in STRUCTURED_FIELDS}
