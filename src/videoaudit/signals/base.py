"""What a signal is: a named column of support values in [0, 1] with a reason per value.

Higher means more support for the annotation. ``nan`` means the input was missing (no
opinion, no transcript): never 1.0, because two missing texts are not agreement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FAMILIES = ("lexical", "semantic", "temporal", "evidence", "consistency", "neighbours")


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


def masked(values: np.ndarray, ok: np.ndarray) -> np.ndarray:
    out = np.full(len(values), np.nan)
    out[ok] = values[ok]
    return out


def describe(values: np.ndarray, fmt) -> list[str | None]:
    return [None if np.isnan(v) else fmt(i, v) for i, v in enumerate(values)]
