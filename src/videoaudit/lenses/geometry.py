"""What a lens reveals: pure functions over an (n, d) matrix of video vectors (numpy).

Every function takes vectors (any scale; they are L2-normalised here, the spaces are
cosine spaces) and returns arrays aligned with the rows. Definitions (docs/lenses.md):

* uniqueness -- fiftyone-brain's: the K=3 nearest OTHER items by cosine distance, distances
  weighted 0.6 / 0.3 / 0.1 and averaged (``mean(d * w)``). fiftyone-brain then divides by the
  run's maximum, which makes the number incomparable across runs; here the raw value is kept
  and a percentile rank within the run is added (:func:`percentile_rank`).
* representativeness -- high for items near the centre of a populated cluster. KMeans with
  k = min(20, n // 2) on the normalised vectors; an item's score is its cosine similarity to
  its own cluster centre, rescaled within the run to [0, 1] (closest item in the run = 1),
  times a size factor min(1, cluster size / mean cluster size), so that a cluster of one
  isolated item (similarity 1 to itself) does not come out "representative". fiftyone-brain's
  ``compute_representativeness`` returns the distance to the centre after a hard-coded
  "local" normalisation, so OUTLIERS score highest (open bug voxel51/fiftyone#8351); this
  is the intended meaning, the right way round.
* near-duplicates -- pairs with cosine similarity >= a threshold.
* cross-lens agreement -- per item, the Jaccard overlap of its k nearest neighbours in two
  spaces (1 = same neighbourhood, 0 = none shared).
* zero-shot -- softmax over classes of cosine(video, class prompt) / temperature.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

UNIQUENESS_WEIGHTS = (0.6, 0.3, 0.1)
BLOCK = 2048


def normalize(x: np.ndarray) -> np.ndarray:
    """Row-wise L2 normalisation (zero rows stay zero), float32."""
    x = np.asarray(x, np.float32)
    if x.ndim != 2:
        raise ValueError(f"expected an (n, d) matrix, got shape {x.shape}")
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(n > 0, n, 1.0)


def knn(x: np.ndarray, k: int, y: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest rows of ``y`` (default: of ``x`` itself, excluding each row) by cosine.

    Returns (indices (n, k), similarities (n, k)), nearest first; blocked so memory is
    O(BLOCK * n). Ties go to the lower index.
    """
    xn = normalize(x)
    self_search = y is None
    yn = xn if self_search else normalize(y)
    n, m = len(xn), len(yn)
    k = int(min(k, m - 1 if self_search else m))
    if k < 1:
        return np.zeros((n, 0), np.int64), np.zeros((n, 0), np.float32)
    idx = np.empty((n, k), np.int64)
    sims = np.empty((n, k), np.float32)
    for a in range(0, n, BLOCK):
        s = xn[a:a + BLOCK] @ yn.T
        if self_search:
            rows = np.arange(len(s))
            s[rows, a + rows] = -np.inf
        part = np.argpartition(-s, k - 1, axis=1)[:, :k] if k < m else np.tile(np.arange(m), (len(s), 1))
        ps = np.take_along_axis(s, part, axis=1)
        order = np.lexsort((part, -ps), axis=1)
        idx[a:a + BLOCK] = np.take_along_axis(part, order, axis=1)
        sims[a:a + BLOCK] = np.take_along_axis(ps, order, axis=1)
    return idx, sims


def uniqueness(x: np.ndarray, weights: Sequence[float] = UNIQUENESS_WEIGHTS) -> np.ndarray:
    """fiftyone-brain uniqueness, raw (not divided by the run's max): mean over the K=len(weights)
    nearest other items of weight * cosine distance. An isolated item scores highest."""
    w = np.asarray(weights, np.float64)
    n = len(x)
    if n < 2:
        return np.zeros(n)
    _, sims = knn(x, len(w))
    d = 1.0 - sims.astype(np.float64)
    kk = d.shape[1]
    return (d * w[:kk]).mean(axis=1)


def uniqueness_fiftyone(x: np.ndarray) -> np.ndarray:
    """What fiftyone-brain reports: raw uniqueness divided by the run's maximum."""
    u = uniqueness(x)
    m = u.max() if len(u) else 0.0
    return u / m if m > 0 else u


def percentile_rank(values: np.ndarray) -> np.ndarray:
    """Share of the OTHER items with a lower value (ties count half), in [0, 1]."""
    v = np.asarray(values, np.float64)
    n = len(v)
    if n < 2:
        return np.full(n, 0.5)
    s = np.sort(v)
    lower = np.searchsorted(s, v, side="left")
    upper = np.searchsorted(s, v, side="right")
    return (lower + (upper - lower - 1) / 2.0) / (n - 1)


def representativeness(x: np.ndarray, k: int | None = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(score in [0, 1], cluster id) per item; high = near the centre of a populated cluster
    (module docstring). k defaults to min(20, n // 2)."""
    from sklearn.cluster import KMeans

    xn = normalize(x).astype(np.float64)
    n = len(xn)
    if n == 0:
        return np.zeros(0), np.zeros(0, np.int64)
    if n < 2:
        return np.ones(n), np.zeros(n, np.int64)
    k = int(k or min(20, n // 2))
    k = max(1, min(k, n))
    km = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(xn)
    labels = km.labels_.astype(np.int64)
    centres = normalize(km.cluster_centers_).astype(np.float64)
    sim = (xn * centres[labels]).sum(axis=1)
    lo, hi = sim.min(), sim.max()
    score = (sim - lo) / (hi - lo) if hi > lo else np.ones(n)
    sizes = np.bincount(labels, minlength=k).astype(np.float64)
    factor = np.minimum(1.0, sizes[labels] / sizes[sizes > 0].mean())
    return score * factor, labels


def near_duplicates(x: np.ndarray, threshold: float) -> list[list[int]]:
    """Per item, the other items with cosine similarity >= ``threshold`` (most similar first)."""
    xn = normalize(x)
    n = len(xn)
    out: list[list[int]] = [[] for _ in range(n)]
    for a in range(0, n, BLOCK):
        s = xn[a:a + BLOCK] @ xn.T
        rows = np.arange(len(s))
        s[rows, a + rows] = -np.inf
        for i, j in zip(*np.nonzero(s >= threshold)):
            out[a + i].append(int(j))
        for i in range(len(s)):
            if out[a + i]:
                out[a + i].sort(key=lambda j, i=i: (-s[i, j], j))
    return out


def duplicate_pairs(x: np.ndarray, threshold: float) -> list[tuple[int, int, float]]:
    """Unordered pairs (i < j, similarity) with cosine similarity >= ``threshold``, most similar first."""
    xn = normalize(x)
    pairs = []
    for a in range(0, len(xn), BLOCK):
        s = xn[a:a + BLOCK] @ xn.T
        for i, j in zip(*np.nonzero(s >= threshold)):
            if a + i < j:
                pairs.append((int(a + i), int(j), float(s[i, j])))
    return sorted(pairs, key=lambda p: (-p[2], p[0], p[1]))


def map_2d(x: np.ndarray, method: str = "umap", seed: int = 0, n_neighbors: int = 15,
           min_dist: float = 0.1) -> tuple[np.ndarray, str]:
    """2-D coordinates and the method actually used.

    umap: cosine metric, 15 neighbours, min_dist 0.1 (umap-learn / fiftyone defaults);
    tsne: cosine, perplexity min(30, (n - 1) / 3); pca: on the normalised vectors.
    Fewer than 5 items have no neighbourhood to speak of: PCA is used (and returned as the method).
    """
    method = method.lower()
    if method not in ("umap", "pca", "tsne"):
        raise ValueError(f"unknown map method {method!r}; one of umap, pca, tsne")
    xn = normalize(x).astype(np.float64)
    n = len(xn)
    if n == 0:
        return np.zeros((0, 2)), method
    if n < 5 or method == "pca":
        return _pca2(xn), "pca"
    if method == "tsne":
        from sklearn.manifold import TSNE

        perp = float(min(30.0, max(1.0, (n - 1) / 3.0)))
        return TSNE(n_components=2, metric="cosine", perplexity=perp, init="pca", random_state=seed).fit_transform(
            xn), "tsne"
    import warnings

    import umap

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # n_jobs overridden by random_state; spectral init on tiny data
        red = umap.UMAP(n_components=2, n_neighbors=int(min(n_neighbors, n - 1)), min_dist=min_dist,
                        metric="cosine", random_state=seed)
        return np.asarray(red.fit_transform(xn), np.float64), "umap"


def _pca2(xn: np.ndarray) -> np.ndarray:
    c = xn - xn.mean(axis=0)
    if len(c) < 2:
        return np.zeros((len(c), 2))
    u, s, _ = np.linalg.svd(c, full_matrices=False)
    out = u[:, :2] * s[:2]
    if out.shape[1] < 2:
        out = np.pad(out, ((0, 0), (0, 2 - out.shape[1])))
    return out


def knn_jaccard(idx_a: np.ndarray, idx_b: np.ndarray) -> np.ndarray:
    """Per row, |A_i & B_i| / |A_i | B_i| of two neighbour-index matrices (same items, same order)."""
    out = np.empty(len(idx_a))
    for i, (a, b) in enumerate(zip(idx_a, idx_b)):
        sa, sb = set(a.tolist()), set(b.tolist())
        u = len(sa | sb)
        out[i] = len(sa & sb) / u if u else 1.0
    return out


def cross_lens_pairs(xa: np.ndarray, xb: np.ndarray, k: int = 10, top: int = 10) -> list[tuple[int, int, float, float]]:
    """Pairs that are neighbours in space A but far apart in space B: "alike in A, different in B".

    Candidates: each item's k nearest in A. A pair's similarities are turned into percentiles
    among all pairs of each space (the two spaces' cosine scales are not comparable), and
    pairs are ranked by percentile_A - percentile_B. Returns (i, j, sim_a, sim_b), i < j.
    Swap the arguments for the reverse picture.
    """
    xa, xb = normalize(xa), normalize(xb)
    n = len(xa)
    if n < 3:
        return []
    idx, sa = knn(xa, k)
    ref_a = _pair_sample(xa)
    ref_b = _pair_sample(xb)
    seen: dict[tuple[int, int], tuple[float, float, float]] = {}
    for i in range(n):
        for j, s in zip(idx[i], sa[i]):
            key = (min(i, int(j)), max(i, int(j)))
            if key in seen:
                continue
            sb = float(xb[key[0]] @ xb[key[1]])
            pa_ = np.searchsorted(ref_a, s) / len(ref_a)
            pb_ = np.searchsorted(ref_b, sb) / len(ref_b)
            seen[key] = (float(pa_ - pb_), float(s), sb)
    ranked = sorted(seen.items(), key=lambda kv: (-kv[1][0], kv[0]))
    return [(i, j, sa_, sb_) for (i, j), (_, sa_, sb_) in ranked[:top]]


def _pair_sample(xn: np.ndarray, max_pairs: int = 200_000, seed: int = 0) -> np.ndarray:
    """Sorted cosine similarities of all pairs (or a fixed random sample of them)."""
    n = len(xn)
    total = n * (n - 1) // 2
    if total <= max_pairs:
        iu = np.triu_indices(n, 1)
        return np.sort((xn @ xn.T)[iu])
    rng = np.random.default_rng(seed)
    i = rng.integers(0, n, max_pairs)
    j = rng.integers(0, n, max_pairs)
    keep = i != j
    return np.sort((xn[i[keep]] * xn[j[keep]]).sum(axis=1))


def zero_shot_probs(videos: np.ndarray, classes: np.ndarray, temperature: float = 0.05) -> np.ndarray:
    """(n, c) softmax over classes of cosine(video, class) / temperature.

    Cosines between a video and short prompts sit in a narrow band (a few hundredths apart for
    MiniLM or CLIP-like spaces); without a temperature the softmax is flat and says nothing.
    0.05 sharpens a 0.1 cosine gap into a factor e^2 ~ 7.4 (CLIP's learned 0.01 is sharper still).
    """
    if temperature <= 0:
        raise ValueError("temperature must be > 0")
    v, c = normalize(videos), normalize(classes)
    logits = (v @ c.T).astype(np.float64) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    e = np.exp(logits)
    return e / e.sum(axis=1, keepdims=True)
