"""Natural-language inference: does one text entail, leave open, or contradict another?

Role ``entailment``, name ``cross-encoder``: any sentence-transformers ``CrossEncoder`` NLI model
(e.g. ``cross-encoder/nli-deberta-v3-base``) by hub id or local path, where its weights can be had.
Nothing uses it unless asked (``registry.get("entailment", "cross-encoder", model=...)``): offline
there are no NLI weights, and the claim matcher works without it. Run both ways, it separates a
paraphrase (each entails the other) from an omission (one says more) and a contradiction.
"""

from __future__ import annotations

from typing import Protocol, Sequence

import numpy as np

from .registry import register

#: Column order of ``Entailment.scores``.
LABELS: tuple[str, ...] = ("entailment", "neutral", "contradiction")
#: Label order of the cross-encoder/nli-* models, for checkpoints whose config says LABEL_0..2.
DEFAULT_LABEL_ORDER: tuple[str, ...] = ("contradiction", "entailment", "neutral")


class Entailment(Protocol):
    name: str

    def scores(self, premises: Sequence[str], hypotheses: Sequence[str]) -> np.ndarray:
        """(n, 3) probabilities (entailment, neutral, contradiction) of premise[i] -> hypothesis[i]."""


def both_ways(model: Entailment, a: Sequence[str], b: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Scores of a[i] -> b[i] and of b[i] -> a[i]."""
    if len(a) != len(b):
        raise ValueError(f"entailment needs pairs: {len(a)} texts vs {len(b)}")
    if not len(a):
        return np.zeros((0, 3), np.float32), np.zeros((0, 3), np.float32)
    return model.scores(a, b), model.scores(b, a)


def relation(ab: np.ndarray, ba: np.ndarray, threshold: float = 0.5) -> str:
    """paraphrase (each entails the other) | omission (only one does: one says more) |
    contradiction (either way) | neutral (neither), from one pair's scores both ways."""
    if max(ab[2], ba[2]) >= threshold:
        return "contradiction"
    if ab[0] >= threshold and ba[0] >= threshold:
        return "paraphrase"
    if ab[0] >= threshold or ba[0] >= threshold:
        return "omission"
    return "neutral"


def relations(model: Entailment, a: Sequence[str], b: Sequence[str], threshold: float = 0.5) -> list[str]:
    """``relation`` of every pair (a[i], b[i])."""
    ab, ba = both_ways(model, a, b)
    return [relation(x, y, threshold) for x, y in zip(ab, ba)]


class CrossEncoderEntailment:
    """A sentence-transformers CrossEncoder NLI model, loaded on first use; remote code never runs."""

    def __init__(self, model: str, device: str = "cpu", batch_size: int = 32, max_length: int = 256,
                 label_order: Sequence[str] | None = None):
        self.name = model
        self.device, self.batch_size, self.max_length = device, batch_size, max_length
        self._label_order = tuple(label_order) if label_order else None
        self._model = None
        self._columns: list[int] | None = None

    def _load(self):
        if self._model is None:
            from sentence_transformers import CrossEncoder

            from .device import half_dtype
            from .quiet import silence_hub_progress

            silence_hub_progress()
            try:
                model = CrossEncoder(self.name, device=self.device, max_length=self.max_length,
                                     trust_remote_code=False)
            except Exception as e:  # noqa: BLE001 - name the model and the cause in one line
                raise RuntimeError(f"entailment model {self.name!r} could not be loaded: {e}") from e
            # a pair longer than the model's position table would fail inside it: cut to what it can read
            positions = getattr(model.config, "max_position_embeddings", None)
            if positions and model.max_seq_length > positions:
                model.max_seq_length = positions
            if str(self.device).startswith("cuda"):
                model.to(half_dtype(self.device))
            self._model = model
            self._columns = self._label_columns()
        return self._model

    def _label_columns(self) -> list[int]:
        """Column of each of LABELS in the model's output, from its config's label names."""
        id2label = getattr(self._model.config, "id2label", None) or {}
        names = [str(id2label.get(i, "")).lower() for i in range(len(id2label))]
        if len(names) != 3:
            raise RuntimeError(f"entailment model {self.name!r} has {len(names)} labels, not 3")
        found = []
        for want in ("entail", "neutral", "contradict"):
            hits = [i for i, n in enumerate(names) if want in n]
            found.append(hits[0] if len(hits) == 1 else None)
        if None not in found:
            return found
        order = self._label_order or DEFAULT_LABEL_ORDER
        return [order.index(lbl) for lbl in LABELS]

    def scores(self, premises: Sequence[str], hypotheses: Sequence[str]) -> np.ndarray:
        if len(premises) != len(hypotheses):
            raise ValueError(f"scores needs pairs: {len(premises)} premises vs {len(hypotheses)} hypotheses")
        if not len(premises):
            return np.zeros((0, 3), np.float32)
        model = self._load()
        probs = model.predict(list(zip(premises, hypotheses)), batch_size=self.batch_size,
                              apply_softmax=True, convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(probs, np.float32)[:, self._columns]


@register("entailment", "cross-encoder")
def _cross_encoder(model: str, **kw) -> CrossEncoderEntailment:
    return CrossEncoderEntailment(model, **kw)
