"""A weight-free text "embedder": hashed word and character n-grams, randomly projected.

``get("text", "hashing")`` (``--text hashing``) returns a :class:`HashingEmbedder`.

What it measures, honestly: how many WORDS (unigrams, bigrams) and CHARACTER n-grams
(3-5, within word boundaries) two texts share. It does NOT measure meaning: a
paraphrase with different words scores low, and "a man opens the door" vs "a man does
not open the door" scores high. Signals computed with it are lexical overlap under a
semantic signal's name; do not read them as semantic agreement.

It exists for two things only:

- huge offline runs where a sentence model on CPU would take hours (a first pass, or a
  pass whose semantic columns are not used);
- measuring the pipeline itself (I/O, signals, fusion, memory) without the model's cost.

How: scikit-learn ``HashingVectorizer`` (murmurhash3, no vocabulary, no fitting, so no
state and no drift) over word 1-2-grams and ``char_wb`` 3-5-grams, each block
L2-normalised and mixed with fixed weights, then projected from 2**20 hashed features to
``dim`` (384, MiniLM's width, so stored vectors have the same shape) by a fixed sparse
random projection: every hashed feature adds +-1/sqrt(k) to ``k`` output coordinates,
one in each of k blocks of the output, chosen by a fixed integer hash (splitmix64) of the
feature index and the seed. The projection keeps inner products in expectation
(sparse Johnson-Lindenstrauss), so the cosine of two outputs is the cosine of their
n-gram vectors up to noise of about 1/sqrt(dim) (~0.05): identical texts give exactly
1, texts sharing no n-gram give about 0 +- 0.05. Output rows are L2-normalised float32;
a text with no n-gram at all (empty, whitespace) gives the zero vector.

Deterministic across processes and machines: murmurhash3 (scikit-learn) has a fixed seed
and the projection is a pure function of (feature index, seed); nothing is fitted or stored.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .registry import register

_N_HASH = 2 ** 20


class HashingEmbedder:
    """Shared words and character n-grams, NOT meaning (see the module docstring)."""

    def __init__(self, dim: int = 384, seed: int = 0, k: int = 8, word_weight: float = 0.5):
        from sklearn.feature_extraction.text import HashingVectorizer

        if not 0.0 <= word_weight <= 1.0:
            raise ValueError("word_weight must be in [0, 1]")
        self.dim = int(dim)
        self.seed = int(seed)
        self.k = int(min(k, dim))
        self.name = f"hashing-w12c35-d{self.dim}-s{self.seed}"
        # weights on the two L2-normalised blocks so that the mixed vector has norm 1
        self._ww = float(np.sqrt(word_weight))
        self._wc = float(np.sqrt(1.0 - word_weight))
        common = dict(n_features=_N_HASH, alternate_sign=True, lowercase=True, dtype=np.float32)
        self._words = HashingVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b",
                                        norm="l2", **common)
        # char_wb n-grams never cross a word boundary, so a text's (signed) n-gram counts are the
        # sum of its words' counts: hash each DISTINCT word of a call once, not every occurrence
        self._chars = HashingVectorizer(analyzer="char_wb", ngram_range=(3, 5), norm=None, **common)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        # identical strings are embedded once per call, like the sentence-transformers backend
        index: dict[str, int] = {}
        inverse = np.fromiter((index.setdefault(t if isinstance(t, str) else str(t), len(index)) for t in texts),
                              dtype=np.int64, count=len(texts))
        docs = list(index)
        x = self._words.transform(docs) * self._ww + self._char_block(docs) * self._wc
        vecs = _project(x, self.dim, self.k, self.seed)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        np.divide(vecs, norms, out=vecs, where=norms > 0)
        return vecs[inverse]

    def _char_block(self, docs: list[str]):
        """L2-normalised char_wb 3-5-gram hashed counts of docs; equal to ``HashingVectorizer(norm="l2")``."""
        import scipy.sparse as sp
        from sklearn.preprocessing import normalize

        vocab: dict[str, int] = {}
        cols: list[int] = []
        indptr = [0]
        for d in docs:
            cols.extend(vocab.setdefault(w, len(vocab)) for w in d.lower().split())
            indptr.append(len(cols))
        counts = sp.csr_matrix((np.ones(len(cols), np.float32), np.asarray(cols, np.int64), np.asarray(indptr)),
                               shape=(len(docs), len(vocab)))
        counts.sum_duplicates()
        per_word = self._chars.transform(list(vocab)) if vocab else sp.csr_matrix((0, _N_HASH), dtype=np.float32)
        return normalize(counts @ per_word, norm="l2", copy=False)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser on uint64 arrays: a fixed, well-mixed integer hash (no RNG state)."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def _project(x, dim: int, k: int, seed: int) -> np.ndarray:
    """Dense ``x @ P`` for the fixed (2**20, dim) sparse sign matrix P, built only on x's columns.

    Row j of P has k nonzeros of +-1/sqrt(k), one in each of k equal blocks of the output
    (Kane & Nelson's block construction, so the k columns are distinct); column and sign
    come from splitmix64 of (seed, j, block), so P is the same in every process without
    being stored (2**20 x k entries would be ~100 MB).
    """
    import scipy.sparse as sp

    x = x.tocsr()
    # the distinct hashed features present, and x re-indexed onto them (O(nnz), no sort)
    present = np.zeros(x.shape[1], dtype=bool)
    present[x.indices] = True
    used = np.flatnonzero(present)
    position = np.cumsum(present, dtype=np.int64) - 1
    xc = sp.csr_matrix((x.data, position[x.indices], x.indptr), shape=(x.shape[0], len(used)))
    edges = np.linspace(0, dim, k + 1).astype(np.uint64)
    width = np.diff(edges)
    keys = (used.astype(np.uint64)[:, None] * np.uint64(k) + np.arange(k, dtype=np.uint64)[None, :]
            + np.uint64(seed) * np.uint64(0x632BE59BD9B4E019))
    h = _splitmix64(keys)
    cols = (edges[:-1][None, :] + (h >> np.uint64(1)) % width[None, :]).astype(np.int32)
    signs = np.where(h & np.uint64(1), 1.0, -1.0).astype(np.float32) / np.float32(np.sqrt(k))
    proj = sp.csr_matrix((signs.ravel(), cols.ravel(), np.arange(0, len(used) * k + 1, k)),
                         shape=(len(used), dim))
    return np.asarray((xc @ proj).todense(), dtype=np.float32)


@register("text", "hashing")
def _hashing(**kw) -> HashingEmbedder:
    return HashingEmbedder(**kw)
