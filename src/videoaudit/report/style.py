"""The report's look: colours by tier and confidence, inline images (shared by every section)."""

from __future__ import annotations

import base64
import math
from typing import Any

TIER_COLORS = {"trusted": "#2f8f5b", "uncertain": "#d99a22", "unverified": "#6d7fa8", "review": "#c8413b"}
NULL_COLOR = "#c9ced6"


def num(x: Any) -> float | None:
    if x is None:
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _lerp(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return tuple(round(a[i] + (b[i] - a[i]) * t) for i in range(3))  # type: ignore[return-value]


_STOPS = ((0.0, (200, 65, 59)), (0.5, (232, 166, 46)), (1.0, (47, 143, 91)))


def conf_color(c: float | None) -> str:
    """Red (0) -> amber (0.5) -> green (1); grey for no value."""
    c = num(c)
    if c is None:
        return NULL_COLOR
    c = min(max(c, 0.0), 1.0)
    for (t0, c0), (t1, c1) in zip(_STOPS, _STOPS[1:]):
        if c <= t1:
            r, g, b = _lerp(c0, c1, (c - t0) / (t1 - t0))
            return f"#{r:02x}{g:02x}{b:02x}"
    return "#2f8f5b"


def data_uri(img: bytes) -> str:
    mime = "image/jpeg"
    if img[:8] == b"\x89PNG\r\n\x1a\n":
        mime = "image/png"
    elif img[:4] == b"RIFF" and img[8:12] == b"WEBP":
        mime = "image/webp"
    elif img[:3] == b"GIF":
        mime = "image/gif"
    return f"data:{mime};base64," + base64.b64encode(img).decode("ascii")
