"""Search and zero-shot over the STORED lens vectors (LanceDB, cosine).

* text -> video only for lenses whose backend is a shared text-video space: the transcript
  lens (its text model embeds the query) and any pixel backend implementing
  ``models.pixels.SharedSpace`` (``embed_texts``). Other lenses raise :class:`LensError`.
* video -> video (``like``) for every lens: the stored vector of that video is the query.
* zero-shot: class prompts embedded with the lens's text encoder, compared with the stored
  video vectors; nothing is decoded or re-embedded (the workshop re-embedded every video).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pyarrow as pa

from ..schema import embeddings_table
from .geometry import zero_shot_probs
from .vectors import load_vectors


class LensError(ValueError):
    """A lens request that cannot be served (no vectors, no shared text space, unknown video)."""


def lens_backend(store, lens: str) -> str:
    """The backend that wrote ``lens``'s vectors (the ``backend`` column)."""
    name = embeddings_table(lens)
    if not store.count(name):
        raise LensError(f"lens {lens!r} has no stored vectors in this workspace (run `videoaudit run` with it on)")
    t = store.table(name).search().select(["backend"]).limit(1).to_arrow()
    return t.column("backend")[0].as_py()


def text_encoder(lens: str, backend: str, options: dict | None = None):
    """``f(texts) -> (n, d)`` embedding texts into ``lens``'s space, or LensError if it has none.

    ``options``: the backend's recorded options (lenses/backends.py), so that a model loaded
    from a local directory or another checkpoint embeds the text into the same space."""
    from ..models import get

    options = dict(options or {})
    if lens == "transcript":
        return get("text", backend, **options).embed
    model = get(lens, backend, **options)
    fn = getattr(model, "embed_texts", None)
    if fn is None:
        raise LensError(f"lens {lens!r} (backend {backend!r}) is not a shared text-video space: it cannot embed "
                        f"a text query; search it with --like VIDEO_ID, or use a backend with a text side "
                        f"(e.g. qwen3-vl-embedding) or the transcript lens")
    return fn


def stored_encoder(store, lens: str):
    """The text encoder of the backend (name + recorded options) that wrote ``lens``'s vectors."""
    from .backends import recorded

    spec = recorded(store.root, lens, lens_backend(store, lens))
    return text_encoder(lens, spec.name, spec.options)


def video_vector(store, lens: str, video_id: str) -> np.ndarray:
    name = embeddings_table(lens)
    vid = video_id.replace("'", "''")
    t = store.read(name, where=f"video_id = '{vid}' AND segment_id IS NULL", columns=["vector"])
    if not t.num_rows:
        raise LensError(f"video {video_id!r} has no {lens} vector (unknown video, no media / transcript, "
                        f"or the lens was not run)")
    return np.asarray(t.column("vector")[0].as_py(), np.float32)


def search(store, lens: str, query: str | None = None, like: str | None = None, k: int = 10,
           segments: bool = False) -> pa.Table:
    """The ``k`` nearest videos (or segments) to a text ``query`` or to the video ``like``.

    Returns columns video_id, segment_id, similarity (cosine), rank (1 = nearest).
    """
    if (query is None) == (like is None):
        raise LensError("give exactly one of a text query or like=VIDEO_ID")
    if k < 1:
        raise LensError("k must be >= 1")
    lens_backend(store, lens)  # a clear error when the lens has no vectors
    if query is not None:
        vec = np.asarray(stored_encoder(store, lens)([query]), np.float32)[0]
    else:
        vec = video_vector(store, lens, like)
    where = "segment_id IS NOT NULL" if segments else "segment_id IS NULL"
    if like is not None:
        where += f" AND video_id <> '{like.replace(chr(39), chr(39) * 2)}'"
    tbl = store.table(embeddings_table(lens))
    res = (tbl.search(vec, vector_column_name="vector").distance_type("cosine").where(where, prefilter=True)
           .select(["video_id", "segment_id", "_distance"]).limit(k).to_arrow())
    sim = 1.0 - np.asarray(res.column("_distance").to_numpy(zero_copy_only=False), np.float64)
    return pa.table({"video_id": res.column("video_id"), "segment_id": res.column("segment_id"),
                     "similarity": pa.array(sim), "rank": pa.array(np.arange(1, res.num_rows + 1), pa.int32())})


def zero_shot(store, lens: str, classes: Sequence[str], template: str = "a video of {}",
              temperature: float = 0.05) -> pa.Table:
    """Zero-shot classification of every video from its STORED ``lens`` vector.

    Columns: video_id, label (argmax), prob (its probability), probs (list, in ``classes`` order).
    """
    classes = [str(c) for c in classes]
    if len(classes) < 2:
        raise LensError("zero-shot needs at least 2 classes")
    if "{}" not in template:
        raise LensError(f"template {template!r} has no '{{}}' for the class name")
    enc = stored_encoder(store, lens)
    ids, _, x, _ = load_vectors(store, lens)
    prompts = [template.replace("{}", c.replace("_", " ")) for c in classes]
    p = zero_shot_probs(x, np.asarray(enc(prompts), np.float32), temperature)
    best = p.argmax(axis=1) if len(ids) else np.zeros(0, np.int64)
    return pa.table({"video_id": pa.array(ids, pa.string()),
                     "label": pa.array([classes[i] for i in best], pa.string()),
                     "prob": pa.array(p[np.arange(len(ids)), best] if len(ids) else [], pa.float64()),
                     "probs": pa.array(p.tolist(), pa.list_(pa.float64()))})
