"""What a signal is: a named column of support values in [0, 1] with a reason per value.

Higher means more support for the annotation. ``nan`` means the input was missing (no
opinion, no transcript): never 1.0, because two missing texts are not agreement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Sequence

import numpy as np
import pyarrow as pa

#: the signal families, in the order the report shows them
FAMILIES = ("lexical", "semantic", "temporal", "evidence", "consistency", "neighbours")
SIMILARITY, RULE = "similarity", "rule"
#: a signal of kind COVERAGE is not fused: its value is the segment's evidence coverage
#: (share of its claims some independent source checked), overriding the field-group coverage
COVERAGE = "coverage"
#: the annotation's field groups a signal can speak to (per-field scores, coverage)
FIELD_GROUPS = ("summary", "action", "actor")


@dataclass
class Signal:
    name: str  # "<family>.<what>", e.g. "evidence.captions"
    values: np.ndarray  # float, one per segment of the video, nan = no input
    explanations: list[str | None]

    @property
    def family(self) -> str:
        return self.name.split(".", 1)[0]


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine of L2-normalised vectors, clipped at 0 (as the workshop's semantic score)."""
    return np.clip(np.einsum("ij,ij->i", a, b), 0.0, 1.0)


#: decimals a similarity keeps before anything is ranked on it (``similarities``)
RANK_DECIMALS = 6


def similarities(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b.T`` in float64, rounded to ``RANK_DECIMALS``: what every argmax and top-k among
    cosines ranks on.

    A float32 product's last bits depend on the matrix shape and on where a column sits (one
    query batch or another, the local process or a Ray worker): two identical look-alike
    vectors came out 0.9339415 and 0.9339412 in one product, so they swapped places between
    the local and the Ray engine, and rounding float32 values still split them (0.933942 vs
    0.933941). In float64 the noise is ~1e-16, so rounded to 1e-6 they tie exactly and the same
    one wins in every run; 1e-6 is far below any difference a signal means.
    """
    return np.round(np.asarray(a, np.float64) @ np.asarray(b, np.float64).T, RANK_DECIMALS)


def masked(values: np.ndarray, ok: np.ndarray) -> np.ndarray:
    out = np.full(len(values), np.nan)
    out[ok] = values[ok]
    return out


def describe(values: np.ndarray, fmt) -> list[str | None]:
    return [None if np.isnan(v) else fmt(i, v) for i, v in enumerate(values)]


class SignalSpec:
    """One registered signal, in the style of cleanlab's issue managers.

    The class says what the fusion needs to know (``weight``; ``kind``: a ``similarity`` is
    calibrated against the run's own distribution, a ``rule`` is already ``1 - P(problem)``;
    ``corroborated_by``: a family whose doubt must agree before this one counts in full),
    what it reads (``needs``, for documentation and coverage) and which stage computes it.
    ``compute`` turns the stage's per-video context into one :class:`Signal`.

    For the evidence coverage (docs/confidence.md): ``independent`` is True when the
    signal's input comes from outside the annotation run (upstream captions, transcript,
    title/description, opinions, visual-text), so a non-null value means an outside
    witness could check the text; False for consistency with itself, the tree's relatives
    and neighbours' annotations (agreement with the same writer is no evidence).
    ``source`` names that witness (``n_sources`` counts distinct ones); ``fields`` are the
    annotation field groups (``FIELD_GROUPS``) the signal speaks to.
    """

    name: ClassVar[str]
    weight: ClassVar[float]
    kind: ClassVar[str] = SIMILARITY
    needs: ClassVar[tuple[str, ...]] = ()
    corroborated_by: ClassVar[str | None] = None
    stage: ClassVar[str] = "signals"
    independent: ClassVar[bool] = False
    source: ClassVar[str | None] = None
    fields: ClassVar[tuple[str, ...]] = FIELD_GROUPS
    #: speaks for several witnesses that other signals name (the claims check): it adds
    #: coverage, but no source of its own to ``n_sources``
    aggregates: ClassVar[bool] = False

    @classmethod
    def family(cls) -> str:
        return cls.name.split(".", 1)[0]

    def compute(self, view) -> Signal:
        raise NotImplementedError


def signal_rows(video_ids: Sequence[str], segment_ids: Sequence[str], signals: Sequence[Signal],
                keep: np.ndarray | None = None, schema: pa.Schema | None = None) -> pa.Table:
    """The long ``(video_id, segment_id, signal, family, value, explanation)`` rows of some signals.

    ``keep`` selects the segments that get rows (the audited ones); every signal has one
    value per segment, ``nan`` stored as null.
    """
    from ..schema import SIGNALS

    keep = np.ones(len(segment_ids), bool) if keep is None else np.asarray(keep, bool)
    vids = [v for v, k in zip(video_ids, keep) if k]
    sids = [s for s, k in zip(segment_ids, keep) if k]
    cols: dict[str, list] = {k: [] for k in SIGNALS.names}
    for sig in signals:
        cols["video_id"] += vids
        cols["segment_id"] += sids
        cols["signal"] += [sig.name] * len(sids)
        cols["family"] += [sig.family] * len(sids)
        cols["value"] += [None if np.isnan(v) else float(v) for v in np.asarray(sig.values, float)[keep]]
        cols["explanation"] += [e for e, k in zip(sig.explanations, keep) if k]
    return pa.table(cols, schema=schema or SIGNALS)
