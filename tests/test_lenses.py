"""Lenses: embeddings storage, one decode for every pixel consumer, transcript lens, analysis,
search (API and CLI), zero-shot from stored vectors, resume and backend changes."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from videoaudit.lenses import geometry as A
from videoaudit.lenses.pixels_stage import clip_vector, pixels_stage
from videoaudit.lenses.transcript_stage import transcript_stage
from videoaudit.lenses.transcript import embed_transcripts
from videoaudit.media.frames import Frame
from videoaudit.schema import embeddings_schema, embeddings_table
from videoaudit.workspace import Store

from videoaudit.sample.vocab import CATEGORIES as _CATS

CATEGORIES = [c.topic for c in _CATS]  # "cooking", ..., "car repair", "painting and crafts", "pet care"
TOPIC = {c.name: c.topic for c in _CATS}


def _emb_rows(pairs, backend, dim, seed=0):
    rng = np.random.default_rng(seed)
    rows = [{"video_id": v, "segment_id": s, "backend": backend, "vector": rng.normal(size=dim).astype(np.float32)}
            for v, s in pairs]
    return pa.Table.from_pylist(rows, schema=embeddings_schema(dim))


# ----------------------------------------------------------------------------- storage


def test_embeddings_table_round_trip_and_replacement(tmp_path):
    store = Store(tmp_path / "ws")
    name = embeddings_table("visual")
    assert store.read(name).num_rows == 0  # absent: an empty table, not an error
    with pytest.raises(KeyError, match="does not exist"):
        store.table(name)
    rows = _emb_rows([("a", None), ("a", "s1"), ("b", None)], "tiny", 5)
    store.replace(name, ["a", "b"], rows)
    got = store.read(name)
    assert got.schema.field("vector").type == pa.list_(pa.float32(), 5)
    assert got.num_rows == 3 and set(got.column("backend").to_pylist()) == {"tiny"}
    back = {(r["video_id"], r["segment_id"]): r["vector"] for r in got.to_pylist()}
    for r in rows.to_pylist():
        np.testing.assert_allclose(back[(r["video_id"], r["segment_id"])], r["vector"], rtol=1e-6)
    # per-video replace, never append
    store.replace(name, ["a"], _emb_rows([("a", None)], "tiny", 5, seed=1))
    assert sorted(store.read(name).column("video_id").to_pylist()) == ["a", "b"]
    assert store.status()["tables"][name] == 2
    # another backend with another dimension: sync_backends drops the table and the ledger is redone
    from videoaudit.lenses.backends import sync_backends

    store.mark("pixels", ["a", "b"])
    assert sync_backends(store, "pixels", {"visual": "other"}) == ["visual"]
    assert store.count(name) == 0 and store.finished("pixels") == set()
    store.replace(name, ["a"], _emb_rows([("a", None)], "other", 7))
    assert store.read(name).schema.field("vector").type == pa.list_(pa.float32(), 7)


# ----------------------------------------------------------------------------- one decode


def test_pixels_stage_decodes_each_video_once(sample_media, tmp_path):
    from videoaudit.api import Workspace
    from videoaudit.media import FrameSampler

    ws = Workspace(tmp_path / "ws")
    ws.ingest(sample_media["paths"]["annotations"], media=sample_media["paths"]["videos"])
    ids = ws.video_ids()
    sampler = FrameSampler()
    stage = pixels_stage("appearance", "motion", sampler=sampler)
    rep = ws.engine.run(stage, ids)
    assert (rep.done, rep.failed) == (len(ids), {})
    assert sampler.decodes == len(ids)  # thumbnails + visual + grounding: ONE decode per video
    assert ws.store.count("thumbnails") >= len(ids) and ws.store.count("media") == len(ids)
    gpt = {(s["video_id"], s["segment_id"]) for s in ws.table("segments").to_pylist() if s["has_gpt"]}
    for lens, dim in (("visual", 436), ("grounding", None)):
        vids = ws.embeddings(lens)
        assert sorted(vids.column("video_id").to_pylist()) == sorted(ids)
        segs = ws.embeddings(lens, segments=True)
        keys = set(zip(segs.column("video_id").to_pylist(), segs.column("segment_id").to_pylist()))
        assert keys <= gpt and len(keys) >= 0.9 * len(gpt), (lens, len(keys), len(gpt))
        x = np.asarray(segs.column("vector").to_pylist(), np.float32)
        np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-4)
        if dim:
            assert x.shape[1] == dim
        assert set(segs.column("backend").to_pylist()) == {"appearance" if lens == "visual" else "motion"}


class _PairLens:
    """A lens that, like the motion lens, needs two frames 0.1 s apart to say anything."""

    def embed_frames(self, frames):
        ts = [f.t for f in frames]
        ok = any(abs(b - a - 0.1) < 1e-6 for a, b in zip(ts, ts[1:]))
        return np.array([1.0, sum(ts)], np.float32) if ok else np.zeros(2, np.float32)


def test_segment_clip_fallback_takes_nearest_usable_frames():
    img = np.zeros((2, 2, 3), np.uint8)
    frames = [Frame(t, img) for t in (1.0, 1.1, 5.0, 5.1, 9.0, 9.1)]
    used = {}

    def record(fs):
        used["t"] = [f.t for f in fs]
        return _PairLens().embed_frames(fs)

    # the window holds a whole pair: only its frames
    assert clip_vector(frames, 4.5, 5.5, record) is not None and used["t"] == [5.0, 5.1]
    # nothing inside [6, 6.5]: the two nearest (5.1, 5.0) already form a pair
    assert clip_vector(frames, 6.0, 6.5, record) is not None and used["t"] == [5.0, 5.1]
    # nearest two (5.1 and 9.0) are from different pairs: one more frame is taken
    assert clip_vector(frames, 7.0, 7.05, record) is not None and used["t"] == [5.0, 5.1, 9.0]
    # a lens that can never make a vector: no row, never a zero vector
    assert clip_vector(frames, 0.0, 10.0, lambda fs: np.zeros(2, np.float32)) is None


# ----------------------------------------------------------------------------- transcript


def test_transcript_chunking_and_pooling():
    entries = [{"start": float(i), "end": float(i + 1), "text": "word  " * 30} for i in range(5)]
    calls = []

    def embed(texts):
        calls.append(list(texts))
        return np.stack([np.eye(3)[len(t) % 3] for t in texts]).astype(np.float32)

    vecs = embed_transcripts([entries, [], entries[:1]], embed, max_words=64)
    assert len(calls) == 1  # one embedding call for every chunk of every group (transcripts.py chunks them)
    assert [len(t.split()) for t in calls[0]] == [60, 60, 30, 30]
    assert vecs[1] is None  # nothing to embed: no vector
    assert np.linalg.norm(vecs[0]) == pytest.approx(1.0) and np.linalg.norm(vecs[2]) == pytest.approx(1.0)


@pytest.fixture(scope="module")
def transcript_ws(tmp_path_factory):
    """14 videos (no media) with the transcript lens and the lens analysis."""
    from videoaudit.api import Workspace
    from videoaudit.sample import write_sample

    root = tmp_path_factory.mktemp("lens_tr")
    info = write_sample(root / "sample", videos=14, seed=5, media=False)
    ws = Workspace(root / "ws", batch_size=4)
    ws.ingest(info["paths"]["annotations"])
    reports = ws.run(stages=["transcript", "lenses"], map_method="pca")  # UMAP's JIT: see test_umap_map
    return ws, info, reports


def _categories(ws) -> dict[str, str]:
    """The sample's hidden category per video (its title names the topic)."""
    from videoaudit.sample import generate_rows

    return {r["video_uid"]: r["_spec"]["category"] for r in generate_rows(14, 5)}


def test_transcript_lens_vectors(transcript_ws):
    ws, _, reports = transcript_ws
    assert reports["transcript"].done == 14 and reports["lenses"].done == 14
    videos = ws.table("videos").to_pylist()
    with_tr = {v["video_id"] for v in videos if any((e["text"] or "").strip() for e in v["transcript"] or [])}
    assert 0 < len(with_tr) < 14  # the sample has videos without a transcript
    got = ws.embeddings("transcript")
    assert set(got.column("video_id").to_pylist()) == with_tr  # absent, never a zero vector
    assert set(got.column("backend").to_pylist()) == {"minilm"}
    segs = ws.embeddings("transcript", segments=True)
    assert segs.num_rows > 0 and set(segs.column("video_id").to_pylist()) <= with_tr
    x = np.asarray(segs.column("vector").to_pylist())
    assert x.shape[1] == 384
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-4)


def test_zero_shot_from_stored_transcript_vectors(transcript_ws):
    ws, _, _ = transcript_ws
    truth = _categories(ws)
    z_all = ws.zero_shot("transcript", CATEGORIES, save=True)
    # every video has a row; those without a transcript vector say so instead of going missing
    assert z_all.num_rows == len(ws.video_ids())
    z = z_all.filter(z_all.column("has_vector"))
    assert z.num_rows == ws.embeddings("transcript").num_rows < z_all.num_rows
    missing = z_all.filter(pa.compute.invert(z_all.column("has_vector")))
    assert set(missing.column("label").to_pylist()) == {None}
    # probabilities labelled by class in Python
    df = z.to_pandas()
    np.testing.assert_allclose(df[[f"p_{c}" for c in CATEGORIES]].sum(axis=1), 1.0, atol=1e-9)
    assert (df[[f"p_{c}" for c in CATEGORIES]].idxmax(axis=1).str[2:] == df["label"]).all()
    probs = np.asarray(z.column("probs").to_pylist())
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-9)
    assert probs.max(axis=1).mean() > 3.0 / len(CATEGORIES)  # not flat
    hits = [TOPIC[truth[v]] == lab for v, lab in zip(z.column("video_id").to_pylist(), z.column("label").to_pylist())]
    assert np.mean(hits) >= 0.6, hits  # chance is 1/7
    lv = [r for r in ws.table("lens_videos").to_pylist() if r["lens"] == "transcript"]
    assert all(r["zero_shot_label"] in CATEGORIES for r in lv)
    # a lens without a text side refuses
    from videoaudit.lenses.search import LensError

    with pytest.raises(LensError):
        ws.zero_shot("transcript", ["one"])


def test_lens_analysis_tables(transcript_ws):
    ws, _, _ = transcript_ws
    lv = ws.table("lens_videos").to_pylist()
    n = ws.embeddings("transcript").num_rows
    assert len(lv) == n and {r["map_method"] for r in lv} == {"pca"}
    pct = sorted(r["uniqueness_pct"] for r in lv)
    assert pct[0] == 0.0 and pct[-1] == 1.0
    assert all(0.0 <= r["representativeness"] <= 1.0 for r in lv)
    assert ws.table("cross_lens").num_rows == 0  # one lens: nothing to compare
    again = ws.run(stages=["transcript", "lenses"], map_method="pca")
    assert again["transcript"].done == 0 and again["lenses"].done == 0  # nothing changed: nothing redone
    tsne = ws.run(stages=["lenses"], map_method="tsne")
    assert tsne["lenses"].done == 14 and {r["map_method"] for r in ws.table("lens_videos").to_pylist()} == {"tsne"}
    ws.run(stages=["lenses"], map_method="pca")  # back, for the other tests of this module


@pytest.mark.slow
def test_umap_map_is_the_default():
    """UMAP (15 neighbours, min_dist 0.1, cosine); slow only for numba's first-call JIT."""
    xy, used = A.map_2d(_blobs(), "umap")
    assert used == "umap" and xy.shape == (30, 2) and np.isfinite(xy).all()
    # the three blobs stay apart in the map: each point's nearest map neighbour is from its blob
    d = ((xy[:, None] - xy[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    assert (d.argmin(axis=1) // 10 == np.arange(30) // 10).mean() >= 0.9


# ----------------------------------------------------------------------------- analysis


def _blobs(seed=0):
    rng = np.random.default_rng(seed)
    centres = np.eye(8)[:3] * 5
    x = np.concatenate([c + rng.normal(scale=0.3, size=(10, 8)) for c in centres])
    return x


def test_uniqueness_isolated_point_is_highest():
    x = np.concatenate([_blobs(), [[0, 0, 0, 0, 0, 0, 0, 5]]])
    u = A.uniqueness(x)
    assert int(np.argmax(u)) == len(x) - 1
    assert A.percentile_rank(u)[-1] == 1.0
    f = A.uniqueness_fiftyone(x)
    assert f.max() == pytest.approx(1.0) and np.allclose(f, u / u.max())
    # the definition: mean over the 3 nearest of weight * cosine distance
    xn = A.normalize(x)
    d = np.sort(1 - xn[0] @ np.delete(xn, 0, axis=0).T)[:3]
    assert u[0] == pytest.approx(np.mean(d * np.array([0.6, 0.3, 0.1])), rel=1e-5)


def test_representativeness_cluster_centre_is_highest():
    rng = np.random.default_rng(1)
    centre = np.array([1.0, 0.0, 0.0, 0.0])
    ring = centre + np.concatenate([rng.normal(scale=0.2, size=(30, 4))])
    x = np.concatenate([[centre], ring, [[0.0, 0.0, 0.0, 1.0]]])  # the centre, its cloud, one outlier
    score, labels = A.representativeness(x, k=2)
    assert int(np.argmax(score)) == 0
    assert score[-1] < np.median(score)  # the outlier (a cluster of its own) is not representative


def test_knn_jaccard_and_near_duplicates():
    x = _blobs()
    ia, _ = A.knn(x, 4)
    assert np.all(A.knn_jaccard(ia, ia) == 1.0)  # identical spaces agree completely
    rng = np.random.default_rng(3)
    ib, _ = A.knn(rng.normal(size=x.shape), 4)
    assert A.knn_jaccard(ia, ib).mean() < 0.5
    y = np.concatenate([x, x[:1] + 1e-4])
    dups = A.near_duplicates(y, 0.9999)
    assert dups[0] == [len(y) - 1] and dups[-1] == [0] and all(not d for d in dups[1:-1])
    assert A.duplicate_pairs(y, 0.9999)[0][:2] == (0, len(y) - 1)


def test_map_methods_and_zero_shot_probs():
    x = _blobs()
    for method in ("pca", "tsne"):
        xy, used = A.map_2d(x, method)
        assert xy.shape == (len(x), 2) and used == method and np.isfinite(xy).all()
    xy, used = A.map_2d(x[:3], "umap")
    assert used == "pca" and xy.shape == (3, 2)
    with pytest.raises(ValueError):
        A.map_2d(x, "mds")
    v = A.normalize(np.array([[1.0, 0.1], [0.1, 1.0]]))
    c = A.normalize(np.array([[1.0, 0.0], [0.0, 1.0]]))
    p = A.zero_shot_probs(v, c, temperature=0.05)
    assert p[0, 0] > 0.99 and p[1, 1] > 0.99
    flat = A.zero_shot_probs(v, c, temperature=100.0)
    assert np.abs(flat - 0.5).max() < 0.01  # a high temperature is what makes probabilities flat


# ----------------------------------------------------------------------------- search, CLI, resume


@pytest.fixture(scope="module")
def media_ws(tmp_path_factory):
    from videoaudit.api import Workspace
    from videoaudit.sample import write_sample

    root = tmp_path_factory.mktemp("lens_media")
    info = write_sample(root / "sample", videos=6, seed=4, media=True)
    ws = Workspace(root / "ws", batch_size=2)
    ws.ingest(info["paths"]["annotations"], media=info["paths"]["videos"])
    reports = ws.run(stages=["pixels", "transcript", "lenses"], map_method="pca")
    return ws, info, reports


def test_search_cli(media_ws, monkeypatch):
    from typer.testing import CliRunner

    from videoaudit import cli
    from videoaudit.cli import app

    monkeypatch.setattr(cli.console, "width", 400)  # a wide page: every cell on one line
    ws, _, _ = media_ws
    runner = CliRunner()
    vid = sorted(ws.video_ids())[0]
    r = runner.invoke(app, ["search", "--workspace", str(ws.path), "--lens", "visual", "--like", vid, "-k", "3"])
    assert r.exit_code == 0, r.output
    body = r.output.split("\n", 1)[1]  # below the title (which names the query video)
    listed = [v for v in ws.video_ids() if v in body]
    assert len(listed) == 3 and vid not in listed
    api = ws.search(lens="visual", like=vid, k=3)
    assert api.column("video_id").to_pylist() == sorted(listed, key=body.index)
    sims = api.column("similarity").to_pylist()
    assert sims == sorted(sims, reverse=True)
    # a hit a person can judge: title, text, span and a thumbnail file, in Python and in the CLI
    from pathlib import Path

    titles = {v["video_id"]: v["title"] for v in ws.table("videos").to_pylist()}
    for h in api.to_pylist():
        assert h["title"] == titles[h["video_id"]] and h["text"] and h["end"] > h["start"] == 0.0
        assert Path(h["thumbnail"]).is_file() and Path(h["thumbnail"]).read_bytes()[:2] == b"\xff\xd8"
        assert Path(h["thumbnail"]).resolve().is_relative_to(Path(ws.path).resolve())
        assert h["title"] in r.output and h["thumbnail"] in r.output
    segs = ws.search(lens="visual", like=vid, k=2, segments=True).to_pylist()
    assert all(s["segment_id"] and s["end"] > s["start"] and s["thumbnail"] for s in segs)
    r = runner.invoke(app, ["search", "--workspace", str(ws.path), "--lens", "visual", "a person whisks eggs"])
    assert r.exit_code == 1 and "not a shared text-video space" in " ".join(r.output.split())
    tr = ws.embeddings("transcript").column("video_id").to_pylist()
    r = runner.invoke(app, ["search", "--workspace", str(ws.path), "--lens", "transcript", "whisk the eggs", "-k", "2"])
    assert r.exit_code == 0 and sum(v in r.output for v in tr) == min(2, len(tr))
    r = runner.invoke(app, ["search", "--workspace", str(ws.path), "--lens", "grounding", "--like", "nope"])
    assert r.exit_code == 1 and "nope" in r.output


def test_cross_lens_rows_and_pairs(media_ws):
    ws, _, _ = media_ws
    cl = ws.table("cross_lens").to_pylist()
    pairs = {(r["lens_a"], r["lens_b"]) for r in cl}
    assert ("visual", "grounding") in pairs
    assert all(0.0 <= r["jaccard"] <= 1.0 and r["k"] >= 1 for r in cl)
    pic = ws.cross_lens("visual", "grounding", top=3)
    assert pic["videos"] == 6 and len(pic["alike_in_a"]) == 3 and len(pic["alike_in_b"]) == 3
    assert len(pic["least_agreeing"]) == 3


def test_resume_and_backend_switch(media_ws):
    from videoaudit.models.registry import register

    ws, _, first = media_ws
    assert first["pixels"].done == 6
    again = ws.run(stages=["pixels", "transcript", "lenses"], map_method="pca")
    assert again["pixels"].skipped == 6 and again["pixels"].done == 0 and again["lenses"].done == 0

    class Mean:
        """A tiny test lens: mean colour of the frames (3-d)."""

        name, dim = "mean-rgb", 3

        def frame_request(self, duration):
            from videoaudit.media import FrameRequest

            return FrameRequest(self.name, fps=1.0, max_frames=4, size=(32, 24))

        def embed_frames(self, frames):
            v = np.mean([f.image.reshape(-1, 3).mean(axis=0) for f in frames], axis=0) + 1.0
            return (v / np.linalg.norm(v)).astype(np.float32)

    register("visual", "test-mean-rgb")(lambda **kw: Mean())
    rep = ws.run(stages=["pixels", "lenses"], visual="test-mean-rgb", map_method="pca")
    assert rep["pixels"].done == 6 and rep["lenses"].done == 6  # another backend: the lens is replaced
    emb = ws.embeddings("visual")
    assert set(emb.column("backend").to_pylist()) == {"test-mean-rgb"}
    assert emb.schema.field("vector").type.list_size == 3
    assert ws.embeddings("grounding").num_rows == 6  # the other lens is recomputed, still there
    # turning a lens off keeps what it stored and redoes nothing
    off = ws.run(stages=["pixels"], visual="none", grounding="none")
    assert off["pixels"].done == 0 and ws.embeddings("visual").num_rows == 6
