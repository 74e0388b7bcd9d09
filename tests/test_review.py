"""The review loop: decisions stored and validated, learning from them, corrected exports, CLI."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from conftest import read_jsonl, write_jsonl
from videoaudit.signal_values import parse_signals


@pytest.fixture()
def ws(audited6, tmp_path):
    """A private copy of the audited 6-video workspace (decisions change it)."""
    from videoaudit.api import Workspace

    shutil.copytree(audited6.ws.path, tmp_path / "ws")
    return Workspace(tmp_path / "ws")


def _queue(ws, n):
    return ws.review_queue(n).select(["video_id", "segment_id"]).to_pylist()


def test_review_stores_and_marks_the_segment(ws):
    first = _queue(ws, 1)[0]
    ws.review(first["video_id"], first["segment_id"], verdict="wrong", field="actor", reviewer="ann")
    r = ws.reviews().to_pylist()
    assert len(r) == 1 and r[0]["field"] == "actor" and r[0]["verdict"] == "wrong" and r[0]["reviewer"] == "ann"
    assert r[0]["reviewed_at"] is not None
    cmap = ws.confidence_map().to_pandas().set_index(["video_id", "segment_id"])
    row = cmap.loc[(first["video_id"], first["segment_id"])]
    assert row["tier"] == "reviewed-wrong" and row["confidence"] == 0.0
    assert row["reasons"][0].startswith("reviewed wrong: actor (by ann)")
    # the newest decision counts: approving it later makes it reviewed-ok; the history stays
    ws.review(None, first["segment_id"], verdict="ok", field="actor")
    assert len(ws.reviews()) == 2 and len(ws.reviews(current=True)) == 1
    assert ws.confidence_map().to_pandas().set_index(["video_id", "segment_id"]).loc[
        (first["video_id"], first["segment_id"]), "tier"] == "reviewed-ok"


@pytest.mark.parametrize("kw, message", [
    ({"segment_id": "nope", "verdict": "ok"}, "unknown segment 'nope'"),
    ({"verdict": "maybe"}, "unknown verdict 'maybe'"),
    ({"verdict": "wrong", "field": "colour"}, "unknown field 'colour'"),
    ({"verdict": "fixed", "field": "actor"}, "needs the corrected text"),
    ({"verdict": "fixed", "text": "a man"}, "needs the --field"),
    ({"video_id": "other-video", "verdict": "ok"}, "is not in video other-video"),
])
def test_bad_decisions_are_one_clear_line(ws, kw, message):
    from videoaudit.review import ReviewError

    first = _queue(ws, 1)[0]
    args = {"video_id": first["video_id"], "segment_id": first["segment_id"], **kw}
    with pytest.raises(ReviewError, match=message) as err:
        ws.review(args.pop("video_id"), args.pop("segment_id"), **args)
    assert "\n" not in str(err.value)
    assert len(ws.reviews()) == 0


def test_import_reports_bad_lines_with_numbers(ws, tmp_path):
    q = _queue(ws, 3)
    path = write_jsonl(tmp_path / "d.jsonl", [
        {"video_id": q[0]["video_id"], "segment_id": q[0]["segment_id"], "verdict": "wrong"},
        "{not json",
        {"segment_id": q[1]["segment_id"], "verdict": "fixed", "field": "actor", "text": "a chef"},
        {"video_id": q[2]["video_id"], "segment_id": q[2]["segment_id"], "verdict": "great"},
        {"video_id": q[2]["video_id"], "verdict": "ok"},
    ])
    r = ws.import_reviews(path)
    assert r["stored"] == 2
    assert [e.split(":")[0] for e in r["errors"]] == ["line 2", "line 4", "line 5"]
    assert "unknown verdict 'great'" in r["errors"][1] and "missing segment_id" in r["errors"][2]
    tiers = dict(zip(ws.confidence_map().column("segment_id").to_pylist(), ws.confidence_map().column("tier").to_pylist()))
    assert tiers[q[0]["segment_id"]] == "reviewed-wrong" and tiers[q[1]["segment_id"]] == "reviewed-ok"


def test_fit_from_labels_learns_the_informative_signal():
    from videoaudit.review.learn import fit_from_labels

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    frame = pd.DataFrame({"good": np.where(y == 1, 0.2, 0.8) + rng.normal(0, 0.1, 200),
                          "noise": rng.normal(0.5, 0.1, 200), "empty": np.nan})
    frame.loc[::7, "good"] = np.nan  # missing inputs are filled, not fatal
    m = fit_from_labels(frame, y)
    assert m.names == ["good", "noise"] and m.n_labels == 200 and m.n_wrong == int(y.sum())
    assert m.coefficients()["good"] < -1 and abs(m.coefficients()["noise"]) < abs(m.coefficients()["good"]) / 3
    p = m.p_wrong(frame)
    known = ~frame["good"].isna()
    assert ((p[known] > 0.5) == (y[known] == 1)).mean() > 0.95


def _decide_from_truth(ws, info, n):
    """n decisions from the top of the queue, with the sample's truth (what a careful reviewer says)."""
    from videoaudit.evaluate import fault_labels, read_truth

    faults = fault_labels(read_truth(info["paths"]["truth"]))
    lines = [{"video_id": r["video_id"], "segment_id": r["segment_id"],
              "verdict": "wrong" if (r["video_id"], r["segment_id"]) in faults else "ok"} for r in _queue(ws, n)]
    return lines


def test_run_learns_from_enough_decisions_and_no_learn_turns_it_off(ws, audited6, tmp_path):
    from videoaudit.review.learn import MIN_DECISIONS, load_record

    before = ws.confidence_map().to_pandas().set_index(["video_id", "segment_id"])
    lines = _decide_from_truth(ws, audited6.info, 60)
    labels = [x["verdict"] for x in lines]
    assert labels.count("wrong") >= 5 and labels.count("ok") >= 5, "the fixture must give both classes"
    ws.import_reviews(write_jsonl(tmp_path / "few.jsonl", lines[: MIN_DECISIONS - 1]))
    ws.run(stages=("confidence",))
    assert ws.last_learning["fitted"] is False and "needs >= 20" in ws.last_learning["why"]
    ws.import_reviews(write_jsonl(tmp_path / "all.jsonl", lines[MIN_DECISIONS - 1:]))
    ws.run(stages=("confidence",))
    rec = load_record(ws.path)
    assert rec["fitted"] and rec["decided_segments"] == 60 and rec["fitted_at"]
    assert "fusion.risk" in rec["coefficients"]
    after = ws.confidence_map().to_pandas().set_index(["video_id", "segment_id"])
    decided = {(x["video_id"], x["segment_id"]): x["verdict"] for x in lines}
    undecided = [k for k in after.index if k not in decided]
    assert all(after.loc[k, "tier"] == f"reviewed-{v}" for k, v in decided.items())
    # 60 true decisions from the queue's top teach nothing the fusion does not know: it is kept
    assert rec["corrected"] is False and rec["strength"] == 0.0
    assert np.allclose(after.loc[undecided, "confidence"], before.loc[undecided, "confidence"])
    # decisions that follow a signal the fusion barely weighs do carry a correction, and it is used
    col = "evidence.captions"
    med = before.loc[list(decided), col].median()
    taught = [{**x, "verdict": "wrong" if before.loc[(x["video_id"], x["segment_id"]), col] > med else "ok"}
              for x in lines]
    ws.import_reviews(write_jsonl(tmp_path / "taught.jsonl", taught))
    ws.run(stages=("confidence",))
    rec = load_record(ws.path)
    assert rec["corrected"] is True and rec["strength"] > 0
    after = ws.confidence_map().to_pandas().set_index(["video_id", "segment_id"])
    assert not np.allclose(after.loc[undecided, "confidence"], before.loc[undecided, "confidence"])
    # the fusion's own value is kept, so --no-learn (or a later refit) starts from it, not from the model
    ws.run(stages=("confidence",), learn=False)
    off = ws.confidence_map().to_pandas().set_index(["video_id", "segment_id"])
    assert np.allclose(off.loc[undecided, "confidence"], before.loc[undecided, "confidence"])
    assert load_record(ws.path)["fitted"] is False
    assert len(ws.video_confidence()) == len(ws.video_ids())


def test_a_correction_the_decisions_do_not_support_is_refused():
    """Labels that no signal predicts (noise): cross-validation keeps the fusion as it is."""
    from videoaudit.review.learn import fit_from_labels

    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 40)
    frame = pd.DataFrame({f"s{i}": rng.uniform(0, 1, 40) for i in range(8)} | {"fusion.risk": rng.normal(0, 1, 40)})
    m = fit_from_labels(frame, y)
    assert m.strength == 0.0 and m.coef == [0.0] * len(m.names)
    assert set(m.cv_log_loss) == {"0.0", "0.01", "0.05", "0.2", "1.0"}


def test_no_reviews_writes_nothing(ws):
    before = ws.store.table("confidence").version
    ws.run(stages=("confidence",))
    assert ws.last_learning is None and ws.store.table("confidence").version == before
    assert "reviews" not in set(getattr(ws.store.db.list_tables(), "tables", ws.store.db.list_tables()))


def test_corrected_action100m_export(ws, tmp_path):
    from videoaudit.formats.action100m import iter_release

    trusted = ws.confidence_map().filter(
        __import__("pyarrow").compute.equal(ws.confidence_map().column("tier"), "trusted")).to_pylist()
    a, b, c = trusted[0], trusted[1], _queue(ws, 1)[0]
    ws.review(a["video_id"], a["segment_id"], verdict="wrong")  # whole annotation wrong
    ws.review(b["video_id"], b["segment_id"], verdict="fixed", field="actor", text="a pastry chef")
    ws.review(b["video_id"], b["segment_id"], verdict="wrong", field="action_brief")
    ws.review(c["video_id"], c["segment_id"], verdict="ok")  # a review-tier segment approved
    plain, fixed = tmp_path / "plain.parquet", tmp_path / "fixed.parquet"
    ws.export(plain, format="action100m")
    ws.export(fixed, format="action100m", apply_reviews=True)
    ws.export(tmp_path / "all.parquet", format="action100m", apply_reviews=True, min_tier="review")

    def nodes(path):
        return {n["node_id"]: n for row in iter_release(path) for n in row["nodes"]}

    p, f, every = nodes(plain), nodes(fixed), nodes(tmp_path / "all.parquet")
    assert p[a["segment_id"]]["gpt"] is None and f[a["segment_id"]]["gpt"] is None  # wrong: "no annotation"
    assert p[b["segment_id"]]["gpt"] is None  # reviewed-wrong without --apply-reviews: not kept
    assert f[b["segment_id"]]["gpt"]["action"]["actor"] == "a pastry chef"
    assert f[b["segment_id"]]["gpt"]["action"]["brief"] is None
    assert f[b["segment_id"]]["gpt"]["summary"]["brief"] == p_text(ws, b)  # untouched fields stay
    assert p[c["segment_id"]]["gpt"] is not None  # approved by a person: kept whatever its score
    n_gpt = lambda d: sum(n["gpt"] is not None for n in d.values())  # noqa: E731
    assert n_gpt(every) > n_gpt(f)


def p_text(ws, seg):
    s = ws.store.read("segments", [seg["video_id"]], where=f"segment_id = '{seg['segment_id']}'").to_pylist()[0]
    return s["summary_brief"]


def test_corrected_records_and_csv(ws, tmp_path):
    import csv

    q = _queue(ws, 2)
    ws.review(q[0]["video_id"], q[0]["segment_id"], verdict="fixed", field="summary_brief", text="Cutting onions.")
    ws.review(q[1]["video_id"], q[1]["segment_id"], verdict="wrong")
    rows = read_jsonl(ws.export(tmp_path / "r.jsonl", format="jsonl", apply_reviews=True))
    by = {r["segment_id"]: r for r in rows}
    assert by[q[0]["segment_id"]]["summary_brief"] == "Cutting onions."
    assert q[1]["segment_id"] not in by  # reviewed-wrong is not released
    assert all(r["tier"] in ("trusted", "uncertain", "unverified", "review", "reviewed-ok") for r in rows)
    trusted = read_jsonl(ws.export(tmp_path / "t.jsonl", format="jsonl", min_tier="trusted"))
    assert {r["tier"] for r in trusted} <= {"trusted", "reviewed-ok"} and len(trusted) < len(rows)
    pt = pq.read_table(ws.export(tmp_path / "r.parquet", format="parquet", apply_reviews=True))
    assert "summary_brief" in pt.column_names and pt.num_rows == len(rows)
    with open(ws.export(tmp_path / "r.csv", format="csv"), newline="") as f:
        table = list(csv.DictReader(f))
    assert len(table) == len(ws.confidence_map())
    assert "semantic.opinion" in table[0] and "signals" not in table[0]
    assert float(table[0]["confidence"]) <= float(table[-1]["confidence"])


def test_cli_review_and_import(ws, tmp_path):
    from videoaudit.cli import app

    run = CliRunner().invoke
    q = _queue(ws, 2)
    r = run(app, ["review", "-w", str(ws.path), "--segment", q[0]["segment_id"], "--field", "actor",
                  "--verdict", "fixed", "--fix", "a baker"])
    assert r.exit_code == 0, r.output
    assert "stored" in r.output
    r = run(app, ["review", "-w", str(ws.path), "--segment", "missing-id", "--verdict", "ok"])
    assert r.exit_code == 1 and "unknown segment 'missing-id'" in r.output and len(r.output.strip().splitlines()) == 1
    r = run(app, ["review", "-w", str(ws.path), "--segment", q[0]["segment_id"], "--verdict", "perhaps"])
    assert r.exit_code == 1 and "unknown verdict 'perhaps'; one of ok, wrong, fixed" in r.output
    path = write_jsonl(tmp_path / "d.jsonl", [{"segment_id": q[1]["segment_id"], "verdict": "ok"}, "[]"])
    r = run(app, ["review", "import", str(path), "-w", str(ws.path)])
    assert r.exit_code == 0, r.output
    assert "stored 1 decisions; 1 lines skipped" in r.output and "line 2: expected a JSON object" in r.output
    assert len(ws.reviews()) == 2
    r = run(app, ["export", "-w", str(ws.path), "--format", "csv", "-o", str(tmp_path / "x.csv"),
                  "--apply-reviews", "--min-tier", "uncertain"])
    assert r.exit_code == 0, r.output
    r = run(app, ["export", "-w", str(ws.path), "--format", "csv", "-o", str(tmp_path / "x.csv"), "--min-tier", "top"])
    assert r.exit_code == 2 and "unknown tier 'top'" in r.output
    r = run(app, ["run", "-w", str(ws.path), "--no-learn", "--visual", "none", "--transcript", "none"])
    assert r.exit_code == 0, r.output
    assert "no refit (--no-learn)" in r.output
    from videoaudit.manifest import section

    assert section(ws.path, "review_learning")["learn"] is False


def test_confidence_map_is_wide_for_a_notebook(ws):
    cmap = ws.confidence_map()
    stored = ws.store.read("confidence")
    assert cmap.num_rows == stored.num_rows
    for col in ("summary_brief", "actor", "fused_confidence", "evidence_coverage", "semantic.opinion",
                "evidence.captions", "signals"):
        assert col in cmap.column_names, col
    df = cmap.to_pandas()
    assert df["evidence.captions"].dtype.kind == "f" and df["evidence.captions"].between(0, 1).all()
    first = df.iloc[0]
    assert parse_signals(first["signals"])["evidence.captions"] == pytest.approx(first["evidence.captions"])
    seg = ws.store.read("segments", [first["video_id"]]).to_pandas().set_index("segment_id").loc[first["segment_id"]]
    assert first["summary_detailed"] == seg["summary_detailed"]
    assert df["evidence_coverage"].between(0, 1).all()


def test_explain_and_repr(ws):
    from videoaudit.notebook import Explanation

    top = _queue(ws, 1)[0]
    e = ws.explain(top["video_id"], top["segment_id"], show=False)
    assert isinstance(e, Explanation) and e.tier == "review"
    names = {s.name for s in e.signals}
    assert {"evidence.captions", "consistency.structure"} <= names
    reasons = [s for s in e.signals if s.is_reason]
    assert reasons and all(s.why.startswith("a reason") for s in reasons)
    assert {r.split(" ", 1)[0] for r in e.reasons} <= names | {"combined.similarity", "beyond_clip:"}
    assert any(s.contribution > 0.1 for s in reasons), "a reason must lower the confidence"
    assert all(s.why.startswith(("shown, not fused", "no input")) for s in e.signals if s.weight == 0 or s.value is None)
    caps = next(s for s in e.signals if s.name == "evidence.captions")
    assert caps.evidence  # the captions it was compared with, quoted
    text = str(e)
    assert top["segment_id"] in text and "evidence.captions" in text and "contribution" in text
    ws.review(top["video_id"], top["segment_id"], verdict="wrong")
    assert ws.explain(top["video_id"], top["segment_id"], show=False).review == "wrong: *"
    r = repr(ws)
    assert r.startswith("Workspace(") and "6 videos" in r and "1 reviews" in r and "reviewed-wrong 1" in r
    with pytest.raises(KeyError, match="has no confidence"):
        ws.explain(top["video_id"], "no-such-segment", show=False)
