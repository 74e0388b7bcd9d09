"""The weight-free hashing text embedder: shape, normalisation, overlap behaviour, determinism."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from videoaudit.models import get, names
from videoaudit.models.hashing import HashingEmbedder

TEXTS = [
    "A man opens the front door and walks into the kitchen.",
    "A woman slices tomatoes on a wooden cutting board.",
    "The camera pans over a snowy mountain ridge at sunrise.",
    "Two kids kick a football across a muddy field.",
    "",
    "A man opens the front door and walks into the kitchen.",
]


@pytest.fixture(scope="module")
def emb() -> HashingEmbedder:
    return get("text", "hashing")


def test_registered():
    assert "hashing" in names("text")
    assert isinstance(get("text", "hashing"), HashingEmbedder)


def test_shape_dtype_norm(emb):
    v = emb.embed(TEXTS)
    assert v.shape == (len(TEXTS), emb.dim) == (6, 384)
    assert v.dtype == np.float32
    norms = np.linalg.norm(v, axis=1)
    np.testing.assert_allclose(norms[[0, 1, 2, 3, 5]], 1.0, atol=1e-5)
    assert norms[4] == 0.0  # no n-gram at all: the zero vector, not nan
    assert np.isfinite(v).all()
    assert emb.embed([]).shape == (0, 384)


def test_identical_texts_cosine_one(emb):
    v = emb.embed(TEXTS)
    assert float(v[0] @ v[5]) == pytest.approx(1.0, abs=1e-6)
    # the same text in different calls / batches gives the same vector
    np.testing.assert_allclose(emb.embed([TEXTS[0]])[0], v[0], atol=1e-6)


def test_unrelated_low_shared_words_high(emb):
    v = emb.embed(TEXTS[:4] + ["A man opens the door and walks into a kitchen."])
    sims = v @ v.T
    unrelated = [sims[i, j] for i in range(4) for j in range(i + 1, 4)]
    assert max(unrelated) < 0.3, unrelated
    assert sims[0, 4] > 0.6  # mostly the same words
    assert sims[0, 4] > max(unrelated) + 0.3


def test_measures_overlap_not_meaning(emb):
    """Documented limitation: a paraphrase with other words scores lower than a negation with the same words."""
    v = emb.embed(["a man opens the door", "a man does not open the door", "someone unlocks the entrance"])
    assert v[0] @ v[1] > v[0] @ v[2]


def test_seed_changes_projection_not_behaviour():
    a, b = HashingEmbedder(seed=0), HashingEmbedder(seed=1)
    va, vb = a.embed(TEXTS[:2]), b.embed(TEXTS[:2])
    assert not np.allclose(va, vb)
    assert abs(float(va[0] @ va[1]) - float(vb[0] @ vb[1])) < 0.15


def test_deterministic_across_processes(emb):
    code = ("import sys, numpy as np\n"
            "from videoaudit.models import get\n"
            f"v = get('text', 'hashing').embed({TEXTS!r})\n"
            "sys.stdout.write(v.astype('<f4').tobytes().hex())\n")
    outs = []
    for hashseed in ("0", "12345"):  # str hashing differs between these; our vectors must not
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": hashseed, "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"})
        outs.append(np.frombuffer(bytes.fromhex(r.stdout.strip()), dtype="<f4").reshape(len(TEXTS), -1))
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_allclose(outs[0], emb.embed(TEXTS), atol=0, rtol=0)


def test_char_block_equals_plain_hashing_vectorizer(emb):
    """The per-distinct-word shortcut gives exactly sklearn's char_wb HashingVectorizer(norm='l2')."""
    from sklearn.feature_extraction.text import HashingVectorizer

    docs = [t for t in TEXTS if t] + ["Tabs\tand  double  spaces, UPPER case; the the the."]
    ref = HashingVectorizer(analyzer="char_wb", ngram_range=(3, 5), n_features=2 ** 20, alternate_sign=True,
                            norm="l2", dtype=np.float32).transform(docs)
    got = emb._char_block(docs)
    assert abs(ref - got).max() < 1e-6
