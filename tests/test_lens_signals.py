"""Lens signals: neighbour consistency and visual-text match, on data where the answer is known.

The visual-text match needs a shared text-video space; no such model can be loaded here,
so :class:`FakeSharedSpaceTestDouble` below stands in for one: a TEST DOUBLE, not a model.
Its "text encoder" is the weight-free hashing text embedder, and the "clip" vectors of the
constructed workspace are made from the clip's TRUE caption in that same space plus noise,
which is exactly the property a real shared space is supposed to have.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

from videoaudit import schema as S
from videoaudit.confidence import Calibration, FusionConfig, fuse, signal_values
from videoaudit.lenses.vectors import read_vectors
from videoaudit.signals.lens_context import LensIndex
from videoaudit.signals.lens_stage import NEIGHBOURS, VISUAL_TEXT, VISUAL_TEXT_CONTRASTIVE, compute_lens_signals
from videoaudit.models.registry import register
from videoaudit.signals.neighbours import knn_other_groups, neighbour_consistency
from videoaudit.signals.visual_text import visual_text_contrastive, visual_text_match

RNG = np.random.default_rng(0)


def _unit(m):
    m = np.asarray(m, np.float32)
    return m / np.linalg.norm(m, axis=-1, keepdims=True)


# --------------------------------------------------------------------------- pure functions


def test_knn_never_returns_own_group():
    x = _unit(RNG.normal(size=(12, 8)))
    groups = [i // 3 for i in range(12)]
    idx, sim = knn_other_groups(x, x, groups, groups, k=4)
    assert idx.shape == (12, 4)
    for i in range(12):
        found = idx[i][idx[i] >= 0]
        assert len(found) == 3  # one per other video: 3 other videos
        assert len({groups[j] for j in found}) == 3 and all(groups[j] != groups[i] for j in found)
        assert np.all(np.diff(sim[i][:3]) <= 1e-6)  # best first
        others = [j for j in range(12) if groups[j] != groups[i]]
        best = max(others, key=lambda j: float(x[i] @ x[j]))
        assert idx[i, 0] == best


def test_knn_one_neighbour_per_video():
    # video "x" has three near-copies of the query; "y" and "z" one farther item each
    q = _unit([[1.0, 0.0, 0.0]])
    pool = _unit([[1.0, 0.01, 0], [1.0, 0.02, 0], [1.0, 0.03, 0], [1.0, 0.5, 0], [1.0, 0.0, 0.9]])
    groups = ["x", "x", "x", "y", "z"]
    idx, sim = knn_other_groups(q, pool, ["q"], groups, k=3)
    assert list(idx[0]) == [0, 3, 4]  # x's nearest, then y, then z
    idx2, _ = knn_other_groups(q, pool, ["q"], groups, k=3, one_per_group=False)
    assert list(idx2[0]) == [0, 1, 2]


def test_knn_fewer_candidates_than_k():
    x = _unit(RNG.normal(size=(3, 4)))
    idx, sim = knn_other_groups(x, x, ["a", "a", "b"], ["a", "a", "b"], k=3, one_per_group=False)
    assert list(idx[2][:2]) == [0, 1] or list(idx[2][:2]) == [1, 0]
    assert idx[2, 2] == -1 and np.isnan(sim[2, 2])
    idx, sim = knn_other_groups(x, x, ["a", "a", "b"], ["a", "a", "b"], k=3)
    assert (idx[2] >= 0).sum() == 1  # one per video: only one of a's two items
    assert (idx[0] >= 0).sum() == 1  # only video "b" is another video


def _category_data(n_cat=4, videos_per_cat=4, segs=4, dim_v=16, dim_t=24, noise=0.35):
    """Visual and text vectors that both follow the category: a look-alike is annotated alike."""
    vis_c = _unit(RNG.normal(size=(n_cat, dim_v)))
    txt_c = np.linalg.qr(RNG.normal(size=(dim_t, n_cat)))[0].T.astype(np.float32)  # categories' texts unrelated
    vis, txt, groups, cats = [], [], [], []
    for c in range(n_cat):
        for v in range(videos_per_cat):
            for s in range(segs):
                vis.append(vis_c[c] + noise * RNG.normal(size=dim_v) / np.sqrt(dim_v))
                txt.append(txt_c[c] + noise * RNG.normal(size=dim_t) / np.sqrt(dim_t))
                groups.append(f"c{c}v{v}")
                cats.append(c)
    return _unit(vis), _unit(txt), groups, np.array(cats), txt_c


def test_knn_does_not_depend_on_the_query_batch():
    """The local engine and a Ray worker search with different query batches: identical
    look-alikes (copies of one vector in one video) must come out in the same order either way."""
    rng = np.random.default_rng(0)
    pool = rng.normal(size=(600, 256)).astype(np.float32)
    pool[300:] = pool[:300]
    pool_groups = [f"v{(i % 300) // 3}" for i in range(600)]
    q = (pool[rng.integers(0, 600, 200)] + rng.normal(scale=0.5, size=(200, 256))).astype(np.float32)
    groups = [f"q{i}" for i in range(200)]
    idx, sim = knn_other_groups(q, pool, groups, pool_groups, k=5)
    parts = [knn_other_groups(q[i:i + 7], pool, groups[i:i + 7], pool_groups, k=5) for i in range(0, 200, 7)]
    assert np.array_equal(idx, np.concatenate([p[0] for p in parts]))  # raw float32 products: 45 of 200 differed
    assert np.array_equal(sim, np.concatenate([p[1] for p in parts]))


def test_caption_from_another_category_scores_lowest():
    vis, txt, groups, cats, txt_c = _category_data(videos_per_cat=6)  # 5 other videos per category
    bad = 5  # a segment of category 0 whose caption says category 2
    assert cats[bad] == 0
    txt = txt.copy()
    txt[bad] = _unit(txt_c[2] + 0.1 * RNG.normal(size=txt.shape[1]))
    res = neighbour_consistency(vis, txt, groups, vis, txt, groups, k=5)
    assert np.argmin(res.values) == bad
    others = np.delete(res.values, bad)
    assert res.values[bad] < 0.3 < others.min()
    # its neighbours are visual look-alikes: the same category, other videos
    assert all(cats[j] == 0 and groups[j] != groups[bad] for j in res.idx[bad])
    assert np.all(res.text_sim[bad] < 0.3)


def test_neighbours_weighted_by_visual_similarity():
    # two candidates in other videos; the closer look-alike must dominate the consensus
    q_vis = _unit([[1.0, 0.0]])
    p_vis = _unit([[1.0, 0.05], [0.2, 1.0]])
    t_a, t_b = _unit([[1.0, 0.0, 0.0]]), _unit([[0.0, 1.0, 0.0]])
    res = neighbour_consistency(q_vis, t_a, ["q"], p_vis, np.vstack([t_a, t_b]), ["x", "y"], k=2)
    res_far = neighbour_consistency(q_vis, t_b, ["q"], p_vis, np.vstack([t_a, t_b]), ["x", "y"], k=2)
    assert res.values[0] > 0.9 and res_far.values[0] < 0.3


def test_null_without_inputs():
    vis, txt, groups, _, _ = _category_data(n_cat=2, videos_per_cat=2, segs=2)
    q_ok = np.ones(len(vis), bool)
    q_ok[0] = False  # e.g. no annotation text
    res = neighbour_consistency(vis, txt, groups, vis, txt, groups, query_ok=q_ok)
    assert np.isnan(res.values[0]) and not np.isnan(res.values[1:]).any()
    # zero visual vector = no vector: null, and never anyone's neighbour
    vis2 = vis.copy()
    vis2[1] = 0
    res = neighbour_consistency(vis2, txt, groups, vis2, txt, groups)
    assert np.isnan(res.values[1]) and not (res.idx == 1).any()
    # a single video: nobody else to compare with
    res = neighbour_consistency(vis, txt, ["one"] * len(vis), vis, txt, ["one"] * len(vis))
    assert np.isnan(res.values).all()
    # empty pool
    res = neighbour_consistency(vis, txt, groups, vis[:0], txt[:0], [])
    assert np.isnan(res.values).all()


def test_visual_text_match_and_contrastive():
    n, d = 6, 32
    texts = _unit(RNG.normal(size=(n, d)))
    clips = _unit(texts + 0.3 * RNG.normal(size=(n, d)) / np.sqrt(d))
    ok = np.ones(n, bool)
    swapped = texts.copy()
    swapped[[1, 4]] = texts[[4, 1]]  # two disjoint segments exchanged their annotations
    match = visual_text_match(clips, swapped, ok)
    assert match[[1, 4]].max() < 0.3 and np.delete(match, [1, 4]).min() > 0.8
    disjoint = ~np.eye(n, dtype=bool)
    con = visual_text_contrastive(clips, swapped, ok, disjoint)
    assert con[1] < 0.5 and con[4] < 0.5
    assert np.delete(con, [1, 4]).min() > 0.5
    # nulls: missing text, and a segment with no disjoint rival
    ok2 = ok.copy()
    ok2[2] = False
    assert np.isnan(visual_text_match(clips, texts, ok2)[2])
    only_parent = np.zeros((n, n), bool)
    assert np.isnan(visual_text_contrastive(clips, texts, ok, only_parent)).all()


# --------------------------------------------------------------------------- tables and stage


class FakeSharedSpaceTestDouble:
    """TEST DOUBLE for a shared text-video space (NOT a model): text side = the hashing embedder."""

    name = "fake-shared-space-test-double"
    dim = 64

    def __init__(self):
        from videoaudit.models.hashing import HashingEmbedder

        self._text = HashingEmbedder(dim=self.dim)

    def frame_request(self, duration):  # never decodes: the tests store its clip vectors directly
        raise NotImplementedError("test double: clip vectors are constructed by the test")

    def embed_frames(self, frames):
        raise NotImplementedError("test double: clip vectors are constructed by the test")

    def embed_texts(self, texts):
        return self._text.embed(list(texts)).astype(np.float32)


register("visual", FakeSharedSpaceTestDouble.name)(FakeSharedSpaceTestDouble)


def _segments(spec: dict[str, list[tuple[str, float, float, str]]]) -> pa.Table:
    rows = []
    for vid, segs in spec.items():
        for sid, st, en, text in segs:
            rows.append({"video_id": vid, "segment_id": sid, "parent_id": None if sid == "root" else "root",
                         "level": 0 if sid == "root" else 1, "start": st, "end": en, "has_gpt": True,
                         "summary_brief": text, "na_fields": [], "structure_issues": []})
    return S.from_rows(rows, S.SEGMENTS)


CATS = {
    "cook": ["whisking eggs in a glass bowl", "pouring batter into a hot pan", "flipping a pancake with a spatula"],
    "bike": ["tightening a bolt on the bicycle wheel", "pumping air into the bike tyre", "oiling the bicycle chain"],
    "garden": ["digging a hole in the garden soil", "planting a tomato seedling", "watering the young plants"],
}


def _workspace_tables(swap: tuple[str, str] | None = ("bike-1", "s2"), noise=0.1):
    """3 categories x 3 videos; clip vectors = the TRUE caption in the double's space + noise."""
    space = FakeSharedSpaceTestDouble()
    spec, truth_text = {}, {}
    for cat, steps in CATS.items():
        for v in range(3):
            vid = f"{cat}-{v}"
            segs = [("root", 0.0, 30.0, f"a video about {steps[0]} and more")]
            segs += [(f"s{i}", 10.0 * i, 10.0 * (i + 1), steps[i]) for i in range(3)]
            spec[vid] = segs
            for sid, *_, text in segs:
                truth_text[(vid, sid)] = text
    if swap:  # the annotation of bike-1/s2 is replaced by a cooking caption
        vid, sid = swap
        spec[vid] = [(s, a, b, CATS["cook"][1] if s == sid else t) for s, a, b, t in spec[vid]]
    keys = list(truth_text)
    true_vecs = space.embed_texts([truth_text[k] for k in keys])
    clip = _unit(true_vecs + noise * RNG.normal(size=true_vecs.shape) / np.sqrt(true_vecs.shape[1]))
    vid_rows = [{"video_id": v, "segment_id": None, "backend": space.name,
                 "vector": _unit(clip[[i for i, k in enumerate(keys) if k[0] == v]].mean(0)).tolist()}
                for v in spec]
    seg_rows = [{"video_id": k[0], "segment_id": k[1], "backend": space.name, "vector": clip[i].tolist()}
                for i, k in enumerate(keys)]
    vectors = pa.Table.from_pylist(vid_rows + seg_rows, schema=S.embeddings_schema(space.dim))
    return _segments(spec), vectors, space


def _index(segments, vectors):
    from videoaudit.models.hashing import HashingEmbedder

    index = LensIndex.build(vectors, segments)
    index.embed(HashingEmbedder())
    return index


def test_stage_rows_on_constructed_workspace():
    segments, vectors, space = _workspace_tables()
    index = _index(segments, vectors)
    out = compute_lens_signals(segments, index, shared_space=space)
    sig = out["lens_signals"].to_pandas()
    assert set(sig.signal) == {NEIGHBOURS, VISUAL_TEXT, VISUAL_TEXT_CONTRASTIVE}
    assert set(sig.family) == {"neighbours", "evidence"}
    nb = sig[sig.signal == NEIGHBOURS].set_index(["video_id", "segment_id"])
    assert nb.value.idxmin() == ("bike-1", "s2")
    expl = nb.loc[("bike-1", "s2"), "explanation"]
    assert "annotated unlike" in expl and "bike-" in expl  # its look-alikes are bicycle clips
    vt = sig[sig.signal == VISUAL_TEXT].set_index(["video_id", "segment_id"])
    assert vt.value.idxmin() == ("bike-1", "s2")
    vtc = sig[sig.signal == VISUAL_TEXT_CONTRASTIVE].set_index(["video_id", "segment_id"])
    assert vtc.loc[("bike-1", "s2"), "value"] < 0.5
    assert vtc.loc[("bike-1", "s1"), "value"] > 0.5
    assert np.isnan(vtc.loc[("bike-1", "root"), "value"])  # the root overlaps everything: no rival
    vsig = out["lens_video_signals"].to_pandas()
    assert list(vsig.signal.unique()) == [NEIGHBOURS] and len(vsig) == 9
    assert vsig.value.notna().all()
    # without a shared space, only the neighbour signal
    out2 = compute_lens_signals(segments, index, shared_space=None)
    assert set(out2["lens_signals"].column("signal").to_pylist()) == {NEIGHBOURS}


def test_segment_without_vector_is_null():
    segments, vectors, space = _workspace_tables(swap=None)
    keep = [not (v == "cook-0" and s == "s1") for v, s in zip(vectors.column("video_id").to_pylist(),
                                                             vectors.column("segment_id").to_pylist())]
    index = _index(segments, vectors.filter(pa.array(keep)))
    sig = compute_lens_signals(segments, index, shared_space=space)["lens_signals"].to_pandas()
    row = sig[(sig.video_id == "cook-0") & (sig.segment_id == "s1")]
    assert len(row) == 3 and row.value.isna().all() and row.explanation.isna().all()


def test_mixed_backends_rejected():
    segments, vectors, _ = _workspace_tables(swap=None)
    b = vectors.column("backend").to_pylist()
    b[0] = "appearance"
    with pytest.raises(ValueError, match="mixes backends"):
        LensIndex.build(vectors.set_column(2, "backend", pa.array(b)), segments)


def test_fusion_picks_up_lens_signals():
    segments, vectors, space = _workspace_tables()
    sig = compute_lens_signals(segments, _index(segments, vectors), shared_space=space)["lens_signals"]
    cfg = FusionConfig()
    for name in (NEIGHBOURS, VISUAL_TEXT, VISUAL_TEXT_CONTRASTIVE):
        assert cfg.weights.get(name, 0) > 0, name
    calib = Calibration()
    calib.update(sig)
    conf = fuse(sig, segments, calib.stats(cfg.min_scale), cfg)["confidence"].to_pandas()
    conf = conf.set_index(["video_id", "segment_id"])
    worst = conf.confidence.idxmin()
    assert worst == ("bike-1", "s2")
    assert conf.loc[worst, "tier"] == "review"
    assert any(r.startswith(NEIGHBOURS) or r.startswith("evidence.visual_text") for r in conf.loc[worst, "reasons"])
    assert NEIGHBOURS in signal_values(conf.loc[worst, "signals"])
    # switching the lens signals off gives every segment the same (no-evidence) confidence
    off = FusionConfig()
    off.weights = {k: (0.0 if k in (NEIGHBOURS, VISUAL_TEXT, VISUAL_TEXT_CONTRASTIVE) else v)
                   for k, v in cfg.weights.items()}
    c_off = fuse(sig, segments, calib.stats(off.min_scale), off)["confidence"].to_pandas()
    assert c_off.confidence.nunique() == 1


# --------------------------------------------------------------------------- the run


def _store_vectors(ws, vectors: pa.Table, lens="visual"):
    """What the pixels stage does for real: the lens table replaced through the Store."""
    name = f"embeddings_{lens}"
    ws.store.drop(name)
    ws.store.replace(name, sorted(set(vectors.column("video_id").to_pylist())), vectors, fresh=True)


def test_run_ledger_resume_and_fingerprint(tmp_path):
    from videoaudit.api import Workspace
    from videoaudit.ingest.jsonl import to_record

    segments, vectors, space = _workspace_tables()
    recs = []
    for vid in dict.fromkeys(segments.column("video_id").to_pylist()):
        segs = [r for r in segments.to_pylist() if r["video_id"] == vid]
        recs.append(to_record({"video_id": vid, "duration": 30.0}, segs))
    src = tmp_path / "ann.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in recs))
    ws = Workspace(tmp_path / "ws", text_model="hashing")
    ws.ingest(src, format="jsonl")
    rep = ws.run()
    assert "lens_signals" not in rep  # no lens ran: the stage has nothing to say, no rows
    assert ws.store.count("lens_signals") == 0
    _store_vectors(ws, vectors)
    rep = ws.run()
    assert rep["lens_signals"].done == 9
    assert ws.store.count("lens_signals") == 3 * 4 * 9
    conf = ws.confidence_map().to_pandas().set_index(["video_id", "segment_id"])
    assert NEIGHBOURS in signal_values(conf.loc[("bike-1", "s2"), "signals"])
    assert rep["confidence"].done == 9
    # resume: nothing changed, nothing redone
    rep = ws.run()
    assert rep["lens_signals"].done == 0 and rep["lens_signals"].skipped == 9
    assert ws.store.count("lens_signals") == 3 * 4 * 9
    # the vectors changed (a lens re-run): every video's neighbours may have changed -> all redone
    v = vectors.column("vector").to_pylist()
    v[0] = list(reversed(v[0]))
    _store_vectors(ws, vectors.set_column(3, "vector", pa.array(v, vectors.schema.field("vector").type)))
    rep = ws.run()
    assert rep["lens_signals"].done == 9 and rep["confidence"].done == 9
    assert ws.store.count("lens_signals") == 3 * 4 * 9  # replaced, never appended
    assert read_vectors(ws.store) is not None

    # the command line runs the same stage and says so; the report shows the new family
    from typer.testing import CliRunner

    from videoaudit.cli import app

    res = CliRunner(env={"NO_COLOR": "1", "COLUMNS": "200"}).invoke(
        app, ["run", "-w", str(tmp_path / "ws"), "--text", "hashing", "--redo"])
    assert res.exit_code == 0, res.output
    assert "lens_signals: 9 done" in res.output
    html = ws.report(tmp_path / "r.html").read_text(encoding="utf-8")
    assert NEIGHBOURS in html and 'id="lenses"' in html  # the run analysed the stored vectors too


def _appearance_vectors(videos: list[dict], segments: list[dict]) -> pa.Table:
    """Per video and per GPT segment, from ONE decode each (what the pixels stage will store)."""
    from videoaudit.media import FrameSampler
    from videoaudit.models.pixels import AppearanceEmbedder, embed_video

    emb, sampler, rows = AppearanceEmbedder(), FrameSampler(), []
    for v in videos:
        vecs, frames = embed_video(sampler, v["media_path"], [emb], duration=v["duration"])
        fr = frames[emb.name]
        rows.append({"video_id": v["video_id"], "segment_id": None, "backend": "appearance",
                     "vector": vecs[emb.name].tolist()})
        for s in (s for s in segments if s["video_id"] == v["video_id"] and s["has_gpt"]):
            inside = [f for f in fr if s["start"] <= f.t <= s["end"]]
            if len(inside) < 2:
                inside = sorted(fr, key=lambda f: abs(f.t - (s["start"] + s["end"]) / 2))[:2]
            rows.append({"video_id": v["video_id"], "segment_id": s["segment_id"], "backend": "appearance",
                         "vector": emb.embed_frames(inside).tolist()})
    return pa.Table.from_pylist(rows, schema=S.embeddings_schema(emb.dim))


@pytest.mark.slow
def test_real_media_sample_end_to_end(sample_media, tmp_path):
    """The weight-free appearance lens over the rendered sample: rows for every audited segment."""
    from videoaudit.api import Workspace

    ws = Workspace(tmp_path / "ws", text_model="hashing")
    ws.ingest(sample_media["paths"]["annotations"], format="action100m", media=sample_media["paths"]["videos"])
    ws.run(stages=["media", "signals"])
    vectors = _appearance_vectors(ws.store.read("videos").to_pylist(), ws.store.read("segments").to_pylist())
    _store_vectors(ws, vectors)
    rep = ws.run()
    assert rep["lens_signals"].done == 3 and not rep["lens_signals"].failed
    sig = ws.store.read("lens_signals").to_pandas()
    n_audited = ws.store.read("signals", where="signal = 'consistency.structure'").num_rows
    assert len(sig) == n_audited  # appearance has no text side: neighbours only
    assert sig.value.notna().mean() > 0.9
    assert sig.value.dropna().between(0, 1).all()
    assert sig.explanation.dropna().str.contains("nearest visual look-alikes").all()


def test_contrast_pairs_ranks_across_spaces():
    from videoaudit.report.lens import contrast_pairs

    ids = [f"v{i}" for i in range(6)]
    a = _unit(RNG.normal(size=(6, 8)))
    a[1] = _unit(a[0] + 0.01)  # v0 and v1 are near-twins in a ...
    b = a.copy()
    b[1] = -b[0]  # ... and opposites in b: every other video is closer to v0 than v1 is
    pairs = contrast_pairs(ids, a, b, k=2, top=3)
    assert (pairs[0]["a_id"], pairs[0]["b_id"]) == ("v0", "v1")
    assert pairs[0]["far"] == 1.0 and pairs[0]["sim_a"] > 0.99 and pairs[0]["sim_b"] < -0.99
    # identical spaces: no neighbour is far in the other
    same = contrast_pairs(ids, a, a, k=2)
    assert all(p["far"] <= 0.25 for p in same)
