"""Reading the per-segment signal values the confidence table carries.

``confidence.signals`` is stored as a JSON object ``{signal: value or null}``. Every reader
outside the fusion goes through :func:`parse_signals`, so a change of the stored type
(a struct or map column) is one edit here.
"""

from __future__ import annotations

import json
from typing import Any

#: key the re-tiering (review/learn.py) adds to a row's signals: the fusion's own confidence
#: before a learned model replaced it, so a later refit starts again from the fusion
FUSED_KEY = "fusion.confidence"


def parse_signals(value: Any) -> dict[str, float | None]:
    """One row's ``signals`` cell as a dict (JSON text, an already-parsed mapping, or null)."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, (list, tuple)):  # a map column reads back as (key, value) pairs
        return {k: v for k, v in value}
    return json.loads(value) if value else {}


def dump_signals(values: dict[str, float | None]) -> str:
    """The stored form of a row's signals (inverse of :func:`parse_signals`)."""
    return json.dumps(values)
