"""Embed each text once: vectors by content hash, in memory and in the workspace's ``text_cache`` table.

The key is blake2b(model name + NUL + text), so a vector is reused by every stage that asks
the same model for the same text (signals, lens signals, the cascade's re-runs of the signals)
and by later runs on the same workspace; another model never sees it. Vectors are stored as
float32 as the model returned them, so cached and fresh runs give identical signals.

Worth it for transformer models (MiniLM: ~100 texts/s on a busy 2-core CPU); a static model
embeds faster than the table can be read, so it is not wrapped (``wants_cache``).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from pathlib import Path
from typing import Sequence

import numpy as np
import pyarrow as pa

TABLE = "text_cache"
SCHEMA = pa.schema([("key", pa.string()), ("model", pa.string()), ("vector", pa.list_(pa.float32()))])
MEMORY_ITEMS = 200_000  # ~300 MB of 384-d vectors at most, per process
_CACHES: dict[tuple[str, str], "CachedEmbedder"] = {}


def text_key(model: str, text: str) -> str:
    return hashlib.blake2b(f"{model}\0{text}".encode("utf-8"), digest_size=16).hexdigest()


def wants_cache(embedder) -> bool:
    """Only models whose forward pass costs more than a table lookup (not static / hashing ones)."""
    return getattr(embedder, "cacheable", True) and type(embedder).__name__ == "SentenceTransformerEmbedder"


class CachedEmbedder:
    """A TextEmbedder that looks each text up by content hash before asking ``inner``."""

    def __init__(self, inner, root: str | Path | None = None, memory_items: int = MEMORY_ITEMS):
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.root = Path(root) if root is not None else None
        self._store = None
        self._mem: OrderedDict[str, np.ndarray] = OrderedDict()
        self.memory_items = memory_items
        self.hits = self.misses = 0

    def _table(self):
        if self.root is None:
            return None
        if self._store is None:
            from ..workspace import Store

            self._store = Store(self.root)
        return self._store.table(TABLE, schema=SCHEMA)

    def _lookup(self, keys: list[str]) -> dict[str, np.ndarray]:
        table = self._table()
        found: dict[str, np.ndarray] = {}
        if table is None or not keys or table.count_rows() == 0:
            return found
        from ..workspace import _sql_list, chunks

        for part in chunks(keys, 512):
            rows = table.search().where(f"key IN ({_sql_list(part)})").select(["key", "vector"]).limit(None).to_arrow()
            for k, v in zip(rows.column("key").to_pylist(), rows.column("vector").to_numpy(zero_copy_only=False)):
                found[k] = np.asarray(v, dtype=np.float32)
        return found

    def _remember(self, key: str, vec: np.ndarray) -> None:
        self._mem[key] = vec
        self._mem.move_to_end(key)
        while len(self._mem) > self.memory_items:
            self._mem.popitem(last=False)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        strs = [str(t) for t in texts]
        keys = [text_key(self.name, s) for s in strs]
        first = dict(zip(keys, strs))  # unique keys, first text of each
        got = {k: self._mem[k] for k in first if k in self._mem}
        got.update(self._lookup([k for k in first if k not in got]))
        todo = [k for k in first if k not in got]
        self.hits += len(first) - len(todo)
        self.misses += len(todo)
        if todo:
            vecs = np.asarray(self.inner.embed([first[k] for k in todo]), dtype=np.float32)
            got.update(zip(todo, vecs))
            table = self._table()
            if table is not None:
                table.add(pa.table({"key": todo, "model": [self.name] * len(todo),
                                    "vector": pa.array(list(vecs), type=pa.list_(pa.float32()))}, schema=SCHEMA))
        for k, v in got.items():
            self._remember(k, v)
        return np.stack([got[k] for k in keys]).astype(np.float32, copy=False)


def cached(embedder, root: str | Path | None):
    """``embedder`` behind the workspace's text cache (one wrapper per process, workspace and model)."""
    if not wants_cache(embedder):
        return embedder
    key = (str(root), embedder.name)
    if key not in _CACHES or _CACHES[key].inner is not embedder:
        _CACHES[key] = CachedEmbedder(embedder, root)
    return _CACHES[key]


def text_embedder(name: str, device: str | None = None, cache_root=None):
    """The text model ``name`` from the registry (on ``device`` where the backend takes one), behind
    the workspace's content-hash cache when ``cache_root`` is given: what every stage embeds with."""
    from .device import with_device
    from .registry import get

    return cached(get("text", name, **(with_device(None, device, "text", name) or {})), cache_root)
