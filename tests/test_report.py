"""The HTML report: self-contained, escaped, renders in a real browser."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import CHROMIUM as FOUND_CHROMIUM
from videoaudit import schema as S
from videoaudit.report import ReportData, auroc, render_report

CHROMIUM = FOUND_CHROMIUM or Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[1]
SECTIONS = ("summary", "signals", "levels", "confidence-map", "review-queue", "faults")
XSS = "<script>alert(1)</script>"


def _jpeg(color: tuple[int, int, int]) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (160, 90), color)
    ImageDraw.Draw(img).rectangle([20, 20, 80, 70], fill=(255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=80)
    return buf.getvalue()


def _tree(vid: str, duration: float, texts: dict[str, str] | None = None) -> list[dict]:
    """root (level 0) -> two children (level 1) -> the first child splits again (level 2)."""
    texts = texts or {}
    h, q = duration / 2, duration / 4
    nodes = [
        ("n0", None, 0, 0.0, duration, False),
        ("n1", "n0", 1, 0.0, h, False),
        ("n2", "n0", 1, h, duration, True),
        ("n3", "n1", 2, 0.0, q, True),
        ("n4", "n1", 2, q, h, True),
    ]
    rows = []
    for sid, parent, level, st, en, leaf in nodes:
        rows.append({
            "video_id": vid, "segment_id": sid, "parent_id": parent, "level": level, "start": st, "end": en,
            "is_leaf": leaf, "has_gpt": True,
            "summary_brief": texts.get(sid, f"A person works at a bench ({vid}/{sid})."),
            "summary_detailed": "Longer description. " * 30,
            "action_brief": "sanding a board" if sid != "n4" else None,
            "actor": "a man in a blue apron",
            "na_fields": ["action_brief"] if sid == "n4" else [],
            "plm_caption": "a man sands wood", "beyond_clip": False, "structure_issues": [],
        })
    return rows


@pytest.fixture(scope="module")
def data() -> ReportData:
    long_text = "Ünïcödé 漢字 emoji 🎬 " + "very long text " * 200
    videos = S.from_rows([
        {"video_id": "vid-a", "duration": 40.0, "title": "Woodworking: a <b>bench</b> build",
         "description": "desc", "source": "action100m",
         "transcript": [{"start": 0.0, "end": 5.0, "text": "hello there"},
                        {"start": 6.0, "end": 12.0, "text": "now we sand " + XSS},
                        {"start": 30.0, "end": 90.0, "text": "runs past the clip"}]},
        {"video_id": "vid-b", "duration": 20.0, "title": long_text, "source": "action100m", "transcript": None},
        {"video_id": "vid-c/ü", "duration": None, "title": None, "source": "jsonl", "transcript": []},
    ], S.VIDEOS)
    seg_rows = (_tree("vid-a", 40.0, {"n3": "He says " + XSS, "n0": long_text})
                + _tree("vid-b", 20.0) + _tree("vid-c/ü", 8.0))
    segments = S.from_rows(seg_rows, S.SEGMENTS)

    conf_values = {
        "vid-a": [0.81, 0.35, 0.9, 0.05, 0.62],
        "vid-b": [0.7, 0.55, 0.95, 0.88, None],
        "vid-c/ü": [0.2, 0.15, 0.4, 0.1, 0.3],
    }

    def tier(c):
        return None if c is None else ("trusted" if c >= 0.7 else "uncertain" if c >= 0.4 else "review")

    conf_rows, sig_rows = [], []
    for r in seg_rows:
        c = conf_values[r["video_id"]][int(r["segment_id"][1:])]
        sigs = {"lexical.overlap": c, "semantic.opinion": None if c is None else 1 - c / 2, "temporal.fit": 0.5}
        conf_rows.append({
            "video_id": r["video_id"], "segment_id": r["segment_id"], "level": r["level"], "start": r["start"],
            "end": r["end"], "confidence": c, "tier": tier(c),
            "reasons": [] if (c or 0) > 0.7 else ["low lexical overlap with captions", "opinion disagrees: " + XSS],
            "signals": [{"signal": k, "value": v} for k, v in sigs.items()],
        })
        for name, v in sigs.items():
            sig_rows.append({"video_id": r["video_id"], "segment_id": r["segment_id"], "signal": name,
                             "family": name.split(".")[0], "value": v, "explanation": "x"})
    confidence = S.from_rows(conf_rows, S.CONFIDENCE)
    signals = S.from_rows(sig_rows, S.SIGNALS)
    video_confidence = S.from_rows([
        {"video_id": "vid-a", "confidence": 0.45, "tier": "uncertain", "n_segments": 5, "n_review": 2,
         "reasons": ["2 segments to review"]},
        {"video_id": "vid-b", "confidence": 0.8, "tier": "trusted", "n_segments": 5, "n_review": 0, "reasons": []},
        {"video_id": "vid-c/ü", "confidence": 0.2, "tier": "review", "n_segments": 5, "n_review": 4,
         "reasons": ["most segments disagree"]},
    ], S.VIDEO_CONFIDENCE)
    opinions = S.from_rows([
        {"video_id": "vid-a", "source": "qwen3-vl", "kind": "event", "text": "sanding " + XSS, "start": 1.0, "end": 9.0},
        {"video_id": "vid-a", "source": "qwen3-vl", "kind": "event", "text": "overlapping", "start": 5.0, "end": 15.0},
        {"video_id": "vid-a", "source": "simulated-annotator", "kind": "event", "text": "painting", "start": 20.0, "end": 38.0},
        {"video_id": "vid-a", "source": "qwen3-vl", "kind": "description", "text": "a workshop"},
        {"video_id": "vid-b", "source": "qwen3-vl", "kind": "point", "t": 3.0, "x": 0.5, "y": 0.5},
    ], S.OPINIONS)
    thumbs = {"vid-a": [(float(t), _jpeg((40 + 20 * t // 5, 80, 120))) for t in range(0, 40, 5)]}
    truth = [
        {"type": "fault", "video_id": "vid-a", "segment_id": "n3", "fault": "wrong_action", "detail": "swapped " + XSS},
        {"type": "fault", "video_id": "vid-c/ü", "segment_id": "n0", "fault": "wrong_action", "detail": "swapped"},
        {"type": "fault", "video_id": "vid-c/ü", "segment_id": "n3", "fault": "time_shift", "detail": "+3s"},
        {"type": "fault", "video_id": "vid-b", "segment_id": "n4", "fault": "time_shift", "detail": "unscored"},
        {"type": "video", "video_id": "vid-a"},
    ]
    return ReportData(videos=videos, segments=segments, confidence=confidence, video_confidence=video_confidence,
                      signals=signals, opinions=opinions, thumbnails=thumbs, truth=truth,
                      extra={"model calls avoided": 123, "errors": 3, "run": "unit <test>"})


@pytest.fixture(scope="module")
def lens_data(data) -> ReportData:
    """``data`` plus the lens tables: two lenses, one cross-lens pair, a near-duplicate pair."""
    vids = ["vid-a", "vid-b", "vid-c/ü"]
    lv = []
    for lens, backend in (("visual", "appearance"), ("transcript", "all-MiniLM-L6-v2")):
        for i, vid in enumerate(vids):
            lv.append({"video_id": vid, "lens": lens, "backend": backend, "map_method": "umap",
                       "map_x": float(i), "map_y": float(i * i) - 1.5, "uniqueness": 0.2 + 0.3 * i,
                       "uniqueness_pct": i / 2, "representativeness": 1.0 - 0.3 * i,
                       "near_duplicates": ["vid-b"] if (lens == "visual" and vid == "vid-a") else [],
                       "zero_shot_label": ["woodworking", "cooking " + XSS, "woodworking"][i] if lens == "transcript"
                       else None, "zero_shot_prob": 0.8})
    cl = [{"video_id": vid, "lens_a": "visual", "lens_b": "transcript", "k": 5, "jaccard": j}
          for vid, j in zip(vids, (0.0, 0.5, 1.0))]
    # vid-a and vid-b look alike (visual) but are talked about differently (transcript)
    vis = np.array([[1.0, 0.0], [0.99, 0.1], [0.0, 1.0]])
    txt = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.1]])
    return ReportData(**{**data.__dict__, "lens_videos": S.from_rows(lv, S.LENS_VIDEOS),
                         "cross_lens": S.from_rows(cl, S.CROSS_LENS),
                         "lens_vectors": {"visual": (vids, vis), "transcript": (vids, txt)}})


def test_lens_section(lens_data, data, tmp_path):
    html = render_report(lens_data, tmp_path / "lens.html").read_text(encoding="utf-8")
    assert '<section id="lenses">' in html and 'href="#lenses"' in html
    assert len(re.findall(r'<svg class="lensmap"', html)) == 2  # a map per lens
    assert len(re.findall(r"<circle ", html)) == 6
    assert XSS not in html  # zero-shot labels are model output: escaped in legend and tooltips
    # category colouring from the zero-shot label: both woodworking videos share a colour
    fills = re.findall(r'<circle [^>]*data-category="(#[0-9a-f]{6})"[^>]*><title>(vid-[^ ]+)', html)
    by_vid = {}
    for colour, vid in fills:
        by_vid.setdefault(vid, set()).add(colour)
    assert by_vid["vid-a"] & by_vid["vid-c/ü"] and not (by_vid["vid-a"] & by_vid["vid-b"])
    assert "Cross-lens agreement" in html and "look alike but are talked about differently" in html
    assert html.count('class="vcard"') >= 2 * 3 * 2 + 3  # unique + representative per lens, least-overlap list
    assert "↔" in html  # the near-duplicate pair
    m = re.search(r"Pairs that look alike but are talked about differently.*?</table>", html, re.S)
    assert m and "vid-a" in m.group(0) and "vid-b" in m.group(0)
    assert "Pairs that are talked about alike but look different" in html
    # no lens ran: no section, no nav link, not a broken one
    plain = render_report(data, tmp_path / "plain.html").read_text(encoding="utf-8")
    assert 'id="lenses"' not in plain and 'href="#lenses"' not in plain


def test_auroc():
    assert auroc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert auroc([0.1], [0.9]) == 0.0
    assert auroc([0.5, 0.5], [0.5]) == 0.5
    assert auroc([0.3, 0.9], [0.1, 0.5]) == 0.75
    assert auroc([], [0.1]) is None


def test_render_self_contained_and_escaped(data, tmp_path):
    out = render_report(data, tmp_path / "sub" / "report.html", review_limit=8)
    html = out.read_text(encoding="utf-8")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.I)
    assert "<link" not in html and "@import" not in html
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>bench</b>" not in html
    for sid in SECTIONS:
        assert f'<section id="{sid}">' in html
    assert 'src="data:image/jpeg;base64,' in html
    assert "漢字" in html and "vid-c/ü" in html
    assert "model calls avoided" in html
    assert len(re.findall(r'<article class="card timeline"', html)) == 3  # one per video, not per segment
    assert len(re.findall(r'<tr id="q\d+"', html)) == 8


def test_no_truth_no_faults_section(data, tmp_path):
    d = ReportData(**{**data.__dict__, "truth": None, "thumbnails": {}})
    html = render_report(d, tmp_path / "r.html").read_text(encoding="utf-8")
    assert 'id="faults"' not in html
    assert 'id="review-queue"' in html


def test_empty_tables(tmp_path):
    d = ReportData(videos=S.empty(S.VIDEOS), segments=S.empty(S.SEGMENTS), confidence=S.empty(S.CONFIDENCE),
                   video_confidence=S.empty(S.VIDEO_CONFIDENCE), signals=S.empty(S.SIGNALS),
                   opinions=S.empty(S.OPINIONS), truth=[])
    html = render_report(d, tmp_path / "empty.html").read_text(encoding="utf-8")
    for sid in SECTIONS:
        assert f'<section id="{sid}">' in html
    assert "Nothing to review" in html


def test_timelines_capped(tmp_path):
    rows, conf = [], []
    for i in range(60):
        for r in _tree(f"v{i:03d}", 10.0):
            rows.append(r)
            conf.append({"video_id": r["video_id"], "segment_id": r["segment_id"], "level": r["level"],
                         "start": r["start"], "end": r["end"], "confidence": (i % 10) / 10, "tier": "uncertain"})
    d = ReportData(videos=S.empty(S.VIDEOS), segments=S.from_rows(rows, S.SEGMENTS),
                   confidence=S.from_rows(conf, S.CONFIDENCE), video_confidence=S.empty(S.VIDEO_CONFIDENCE),
                   signals=S.empty(S.SIGNALS), opinions=S.empty(S.OPINIONS))
    html = render_report(d, tmp_path / "many.html", review_limit=10).read_text(encoding="utf-8")
    n = len(re.findall(r'<article class="card timeline"', html))
    assert n <= 10 + 30
    assert html.count("<tr data-search=") == 60


def _chromium(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    base = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={tmp_path / 'chrome-profile'}"]
    return subprocess.run(base + args, capture_output=True, timeout=120)


def test_renders_in_chromium(lens_data, tmp_path, chromium):  # ``chromium``: skipped locally, failed in CI, if absent
    data = lens_data
    out = render_report(data, tmp_path / "report.html", review_limit=10)
    url = out.resolve().as_uri()

    dom = _chromium(["--dump-dom", url], tmp_path).stdout.decode("utf-8", "replace")
    for sid in (*SECTIONS, "lenses"):
        m = re.search(rf'<section id="{re.escape(sid)}">\s*<h2>([^<]+)</h2>', dom)
        assert m and m.group(1).strip(), f"section {sid} with its h2 missing from the rendered DOM"
    assert "alert(1)" in dom and "<script>alert(1)" not in dom
    assert len(re.findall(r"<circle ", dom)) == 6

    # the colour toggle runs in the browser: #lens-colour=tier recolours every point by its tier
    def fills(d):
        return [(m.group(1), m.group(2)) for m in
                re.finditer(r'<circle [^>]*fill="(#[0-9a-f]{6})"[^>]*data-tier="(#[0-9a-f]{6})"', d)]
    assert any(f != t for f, t in fills(dom))  # category colours first
    tier_dom = _chromium(["--dump-dom", url + "#lens-colour=tier"], tmp_path).stdout.decode("utf-8", "replace")
    got = fills(tier_dom)
    assert len(got) == 6 and all(f == t for f, t in got)

    png = tmp_path / "report.png"
    _chromium([f"--screenshot={png}", "--window-size=1280,2000", "--hide-scrollbars", url], tmp_path)
    assert png.exists() and png.stat().st_size > 1000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    artifacts = REPO / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    shutil.copy(png, artifacts / "report.png")
    shutil.copy(out, artifacts / "report.html")
