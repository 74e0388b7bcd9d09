"""Visual-text match: does the segment's clip look like what its annotation says? (CLIPScore-style)

Only for a visual lens whose vectors live in a shared text-video space
(:class:`videoaudit.models.pixels.SharedSpace`, e.g. qwen3-vl-embedding): the clip's stored
vector against the annotation text embedded by the SAME backend's ``embed_texts``. The
weight-free lenses have no text side, so for them these signals do not exist.

* ``evidence.visual_text``: ``clip(cos(clip, text), 0, 1)`` - CLIPScore (Hessel et al. 2021)
  without its ``2.5`` rescale; the fusion calibrates the scale on the run's own data.
* ``evidence.visual_text_contrastive``: absolute cosines of contrastive models sit in a
  narrow band that differs per video (lighting, domain), so the match is also judged
  *within the video*: the margin of the segment's text over the best text of a disjoint
  segment, for its clip, and of its clip over the best disjoint clip, for its text;
  ``clip(0.5 + 2 * min(margins), 0, 1)`` (below 0.5 another segment of the video fits
  better; ``evidence.contrastive`` judges captions by rank shares instead). Null when the
  video has no disjoint segment with both a clip and a text.
"""

from __future__ import annotations

import numpy as np


def _norm_rows(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, np.float32)
    n = np.linalg.norm(m, axis=1, keepdims=True)
    return np.divide(m, n, out=np.zeros_like(m), where=n > 0)


def visual_text_match(clip_vecs: np.ndarray, text_vecs: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Row-wise cosine of clip and text vectors clipped to [0, 1]; nan where not ``ok``."""
    c, t = _norm_rows(clip_vecs), _norm_rows(text_vecs)
    out = np.full(len(c), np.nan)
    ok = np.asarray(ok, bool)
    out[ok] = np.clip(np.einsum("ij,ij->i", c[ok], t[ok]), 0.0, 1.0)
    return out


def visual_text_contrastive(clip_vecs: np.ndarray, text_vecs: np.ndarray, ok: np.ndarray,
                            disjoint: np.ndarray) -> np.ndarray:
    """``clip(0.5 + 2 * min(text margin, clip margin), 0, 1)`` per segment of ONE video.

    ``disjoint[i, j]``: segments i and j do not overlap in time (a parent and its child
    share their pixels and much of their meaning; only disjoint ones are rivals).
    """
    c, t = _norm_rows(clip_vecs), _norm_rows(text_vecs)
    ok = np.asarray(ok, bool)
    n = len(c)
    out = np.full(n, np.nan)
    if n == 0:
        return out
    s = c @ t.T  # s[i, j] = clip i vs text j
    rival = np.asarray(disjoint, bool) & ok[None, :] & ok[:, None]
    np.fill_diagonal(rival, False)
    own = np.diag(s)
    best_text = np.where(rival, s, -np.inf).max(1)  # for clip i, the best other text
    best_clip = np.where(rival, s, -np.inf).max(0)  # for text j, the best other clip
    has = ok & rival.any(1)
    margin = np.minimum(own - best_text, own - best_clip)
    out[has] = np.clip(0.5 + 2.0 * margin[has], 0.0, 1.0)
    return out


from .base import Signal, SignalSpec  # noqa: E402  (the specs below; the functions above are pure)
from .registry import register  # noqa: E402


class _SharedSpaceSignal(SignalSpec):
    """Only where the visual backend has a text side; the segment's own pixels, so family evidence."""

    weight, needs, stage = 0.6, ("a shared text-video visual lens",), "lens_signals"
    independent, source, fields = True, "visual", ("summary", "action")
    part = 0

    def compute(self, view) -> Signal | None:
        if view.shared_space is None:
            return None
        from .lens_context import visual_text_values

        out = visual_text_values(view)
        return Signal(self.name, out[self.part], out[2 + self.part])


@register
class VisualText(_SharedSpaceSignal):
    name, part = "evidence.visual_text", 0


@register
class VisualTextContrastive(_SharedSpaceSignal):
    name, part = "evidence.visual_text_contrastive", 1
