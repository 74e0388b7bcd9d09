"""The shared-space visual lens through the product: backend options (API and CLI), their record,
backend changes, and Qwen3-VL-Embedding end to end (pixels stage -> search -> zero-shot -> signals).

The Qwen3-VL-Embedding used here is a TINY model with RANDOM weights (tests/_tiny_vlm.py, built from
a config; the real checkpoints cannot be downloaded on this machine). Its vectors mean nothing, so
these tests check plumbing only - the options reach the backend, vectors are stored and found, the
text side is rebuilt from the recorded options, the signals are computed - never retrieval quality.
"""

from __future__ import annotations


import numpy as np
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from videoaudit.confidence import signal_values
from videoaudit.lenses.backends import LensBackend, read_records, recorded, sync_backends
from videoaudit.manifest import FILE as MANIFEST, ManifestError
from videoaudit.schema import embeddings_schema, embeddings_table
from videoaudit.workspace import Store

runner = CliRunner(env={"COLUMNS": "200", "HF_HUB_OFFLINE": "1", "NO_COLOR": "1"})


def _rows(backend: str, dim: int = 4) -> pa.Table:
    vecs = np.eye(dim, dtype=np.float32)[:2]
    return pa.Table.from_pylist([{"video_id": v, "segment_id": None, "backend": backend, "vector": x}
                                 for v, x in zip(["a", "b"], vecs)], schema=embeddings_schema(dim))


# ----------------------------------------------------------------------------- the record


def test_identity_ignores_runtime_options_only():
    a = LensBackend("qwen3-vl-embedding", {"model": "/m/2b"})
    assert a.identity == LensBackend("qwen3-vl-embedding", {"model": "/m/2b", "device": "cuda",
                                                            "batch_size": 2}).identity
    assert a.identity != LensBackend("qwen3-vl-embedding", {"model": "/m/8b"}).identity
    assert a.identity != LensBackend("qwen3-vl-embedding").identity
    assert str(a) == "qwen3-vl-embedding(model='/m/2b')"
    with pytest.raises(ValueError, match="JSON values"):
        LensBackend("x", {"model": object()})


def test_sync_backends_compares_options_and_records_them(tmp_path):
    store = Store(tmp_path / "ws")
    name = embeddings_table("visual")
    store.replace(name, ["a", "b"], _rows("qwen3-vl-embedding"))
    store.mark("pixels", ["a", "b"])
    # a table from before records existed counts as "no options": the default model
    assert sync_backends(store, "pixels", {"visual": LensBackend("qwen3-vl-embedding")}) == []
    assert read_records(store.root)["visual"] == {"backend": "qwen3-vl-embedding", "options": {}}
    # another model id is another backend: table dropped, ledger forgotten, new spec recorded
    new = LensBackend("qwen3-vl-embedding", {"model": "/models/8b"})
    assert sync_backends(store, "pixels", {"visual": new}) == ["visual"]
    assert store.count(name) == 0 and not store.finished("pixels")
    assert recorded(store.root, "visual", "qwen3-vl-embedding") == new
    # same model on another device / batch size: the stored vectors stay
    store.replace(name, ["a", "b"], _rows("qwen3-vl-embedding"))
    store.mark("pixels", ["a", "b"])
    faster = LensBackend("qwen3-vl-embedding", {"model": "/models/8b", "device": "cuda", "batch_size": 16})
    assert sync_backends(store, "pixels", {"visual": faster}) == []
    assert store.count(name) == 2 and store.finished("pixels") == {"a", "b"}
    # a record naming another backend than the table is ignored (the table's name wins, no options)
    assert recorded(store.root, "visual", "appearance") == LensBackend("appearance")
    (store.root / MANIFEST).write_text("{not json")
    with pytest.raises(ManifestError, match="manifest .* is not JSON"):
        read_records(store.root)


def test_bad_lens_option_fails_before_anything_is_dropped(sample_media, tmp_path):
    from videoaudit.api import Workspace

    ws = Workspace(tmp_path / "ws", text_model="hashing")
    ws.ingest(sample_media["paths"]["annotations"], format="action100m", media=sample_media["paths"]["videos"])
    ws.store.replace(embeddings_table("visual"), ["a", "b"], _rows("appearance"))
    with pytest.raises(ValueError, match=r"visual lens backend appearance\(bogus=1\).*bogus"):
        ws.run(stages=["pixels"], visual="appearance", grounding=None, visual_options={"bogus": 1})
    assert ws.store.count(embeddings_table("visual")) == 2  # nothing dropped, nothing recorded
    assert "visual" not in read_records(ws.path)


def test_cli_visual_opt_reaches_backend_and_is_recorded(sample_media, tmp_path):
    """`videoaudit run --visual-opt K=V`: the weight-free appearance lens with max_frames=4."""
    from videoaudit.cli import app
    from videoaudit.api import Workspace

    ws_dir = tmp_path / "ws"
    Workspace(ws_dir).ingest(sample_media["paths"]["annotations"], format="action100m",
                             media=sample_media["paths"]["videos"])
    bad = runner.invoke(app, ["run", "-w", str(ws_dir), "--text", "hashing", "--transcript", "none",
                              "--visual-opt", "nope=[1,2]"])
    assert bad.exit_code == 1 and "visual lens backend appearance(nope=[1, 2])" in bad.output
    ok = runner.invoke(app, ["run", "-w", str(ws_dir), "--text", "hashing", "--transcript", "none", "--grounding",
                             "none", "--map", "pca", "--visual-opt", "max_frames=4", "--visual-opt", "fps=2"])
    assert ok.exit_code == 0, ok.output
    ws = Workspace(ws_dir)
    assert ws.status()["lens_backends"]["visual"] == {"backend": "appearance",
                                                      "options": {"max_frames": 4, "fps": 2}}
    assert ws.embeddings("visual").num_rows == 3
    st = runner.invoke(app, ["status", "-w", str(ws_dir)])
    assert "lens backends: visual appearance(fps=2, max_frames=4)" in st.output
    from videoaudit.models import get

    assert get("visual", "appearance", max_frames=4, fps=2).max_frames == 4  # the instance the stage used


# ----------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def tiny_qwen(tmp_path_factory) -> str:
    from _tiny_vlm import build_qwen3_vl

    return str(build_qwen3_vl(tmp_path_factory.mktemp("tiny-qwen") / "qwen3-vl-embedding-tiny"))


@pytest.mark.slow
def test_qwen3_vl_embedding_end_to_end(sample_media, tiny_qwen, tmp_path):
    """`ws.run(visual="qwen3-vl-embedding", visual_options={"model": <local dir>})` through the product.

    The model is tiny with RANDOM weights: this checks plumbing (vectors stored for videos and
    segments, text search and zero-shot on the visual lens rebuilt from the recorded options,
    the visual-text signals computed and fused), not whether any vector means anything.
    """
    from videoaudit.api import Workspace
    from videoaudit.signals.lens_stage import VISUAL_TEXT, VISUAL_TEXT_CONTRASTIVE
    from videoaudit.models import get

    ws = Workspace(tmp_path / "ws", text_model="hashing")
    ws.ingest(sample_media["paths"]["annotations"], format="action100m", media=sample_media["paths"]["videos"])
    opts = {"model": tiny_qwen, "max_frames": 8, "batch_size": 4}  # 8 frames keep the test short
    rep = ws.run(visual="qwen3-vl-embedding", visual_options=opts, grounding=None, transcript=None,
                 map_method="pca")
    assert not rep["pixels"].failed and rep["pixels"].done == 3
    emb = get("visual", "qwen3-vl-embedding", **opts)
    assert emb.model_id == tiny_qwen and emb.dim == 64  # the options reached the registry

    videos, segs = ws.embeddings("visual"), ws.embeddings("visual", segments=True)
    assert videos.num_rows == 3 and set(videos.column("backend").to_pylist()) == {"qwen3-vl-embedding"}
    n_annotated = ws.store.read("segments", where="has_gpt").num_rows
    assert 0 < segs.num_rows <= n_annotated and segs.num_rows >= 0.9 * n_annotated
    x = np.asarray(videos.column("vector").to_pylist(), np.float32)
    assert x.shape == (3, 64) and np.allclose(np.linalg.norm(x, axis=1), 1, atol=1e-4)
    assert ws.status()["lens_backends"]["visual"] == {"backend": "qwen3-vl-embedding", "options": opts}

    # text -> video on the visual lens: the query is embedded by the recorded backend
    hits = ws.search("a person cuts an onion", lens="visual", k=2)
    assert hits.num_rows == 2 and hits.column("rank").to_pylist() == [1, 2]
    q = emb.embed_texts(["a person cuts an onion"])[0]
    by_id = dict(zip(videos.column("video_id").to_pylist(), x))
    np.testing.assert_allclose(hits.column("similarity").to_pylist(),
                               [float(by_id[v] @ q) for v in hits.column("video_id").to_pylist()], atol=1e-4)
    seg_hits = ws.search("a person cuts an onion", lens="visual", k=3, segments=True)
    assert seg_hits.num_rows == 3 and all(seg_hits.column("segment_id").to_pylist())

    # zero-shot from the STORED vectors (probabilities over the classes, one row per video)
    z = ws.zero_shot("visual", ["cooking", "woodworking", "gardening"], save=True)
    assert z.num_rows == 3 and set(z.column("label").to_pylist()) <= {"cooking", "woodworking", "gardening"}
    np.testing.assert_allclose([sum(p) for p in z.column("probs").to_pylist()], 1.0, atol=1e-6)

    # the visual-text signals were computed with the same backend and reach the confidence map
    sig = ws.store.read("lens_signals").to_pandas()
    for name in (VISUAL_TEXT, VISUAL_TEXT_CONTRASTIVE):
        vals = sig.loc[sig.signal == name, "value"]
        assert len(vals) and vals.notna().mean() > 0.5, name
        assert vals.dropna().between(0, 1).all()
    cmap = ws.confidence_map().to_pylist()
    assert cmap
    fused = [signal_values(r["signals"]) for r in cmap]
    for name in (VISUAL_TEXT, VISUAL_TEXT_CONTRASTIVE):
        assert any(s.get(name) is not None for s in fused), name

    # same model, another batch size: nothing recomputed
    again = ws.run(visual="qwen3-vl-embedding", visual_options={**opts, "batch_size": 2}, grounding=None,
                   transcript=None, map_method="pca", stages=["pixels"])
    assert again["pixels"].done == 0 and again["pixels"].skipped == 3
    # another identifying option (same registry name): the lens is replaced, every video redone
    other = {"model": tiny_qwen, "max_frames": 6}
    again = ws.run(visual="qwen3-vl-embedding", visual_options=other, grounding=None, transcript=None,
                   map_method="pca", stages=["pixels"])
    assert again["pixels"].done == 3
    assert read_records(ws.path)["visual"]["options"] == other
    new = ws.embeddings("visual")
    new_by_id = dict(zip(new.column("video_id").to_pylist(), np.asarray(new.column("vector").to_pylist())))
    assert new.num_rows == 3 and not all(np.allclose(new_by_id[v], by_id[v]) for v in by_id)
