"""The one reader and writer of the per-segment signal values the confidence table carries.

``confidence.signals`` is a typed list of ``{signal, value}`` (``schema.SIGNAL_VALUE``); every
reader and the fusion go through :func:`parse_signals` / :func:`dump_signals`.
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
    if isinstance(value, str):  # a JSON export of the map
        return json.loads(value) if value else {}
    return {d["signal"]: d["value"] for d in value}  # the stored list (or a numpy array of it)


def dump_signals(values: dict[str, float | None]) -> list[dict]:
    """The stored form of a row's signals (inverse of :func:`parse_signals`)."""
    return [{"signal": k, "value": v} for k, v in values.items()]
