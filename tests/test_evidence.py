"""Evidence: sources and their independence, claim x source verdicts, coverage, copies, rows."""

from __future__ import annotations

import pyarrow as pa

from conftest import REAL_PARQUET
from videoaudit.evidence import CLAIM_ROWS, KINDS, Matcher, SourceIndex, audit_video, claim_rows
from videoaudit.evidence.sources import Source
from videoaudit.claims import extract_claims

NONE_GPT = dict.fromkeys(("summary_brief", "summary_detailed", "action_brief", "action_detailed", "actor"))
NO_CAPS = dict.fromkeys(("plm_caption", "plm_action", "llama3_caption"))


def seg(sid, parent, level, start, end, **fields):
    row = {"video_id": "v1", "segment_id": sid, "parent_id": parent, "level": level, "start": start, "end": end,
           "is_leaf": False, "has_gpt": True, "na_fields": [], **NONE_GPT, **NO_CAPS}
    row.update(fields)
    return row


VIDEO = {"video_id": "v1", "duration": 40.0, "title": "How to make scrambled eggs", "description": None,
         "transcript": [{"start": 1.0, "end": 4.0, "text": "today a man will crack some eggs"}]}


def one_video(root_fields: dict, root_caps: dict, child_fields=None, opinions=(), video=VIDEO):
    child_fields = child_fields or {}
    segments = [
        seg("root", None, 0, 0.0, 40.0, **root_fields, **root_caps),
        seg("a", "root", 1, 0.0, 20.0, **child_fields.get("a", {})),
        seg("b", "root", 1, 20.0, 40.0, **child_fields.get("b", {})),
    ]
    audits = {a.segment_id: a for a in audit_video(video, segments, opinions)}
    return audits


def statuses(audit, slot):
    return {r.claim.value: r.status for r in audit.claims if r.claim.slot == slot}


CAPTION = {"plm_caption": "A young man in a blue t-shirt cracks two eggs into a white glass bowl and opens the lid."}


def test_gender_colour_count_antonym_contradicted_with_the_sources_words():
    root = one_video({"actor": "a woman in a blue T-shirt",
                      "summary_brief": "A woman cracks four eggs into a red glass bowl and closes the lid."}, CAPTION)["root"]
    assert statuses(root, "actor")["woman (female, adult, 1)"] == "contradicted"
    attrs = statuses(root, "attribute")
    assert attrs["egg count=4"] == "contradicted"
    assert attrs["bowl colour=red"] == "contradicted"
    assert attrs["bowl material=glass"] == "supported"
    assert statuses(root, "action")["close lid"] == "contradicted"
    assert statuses(root, "action")["crack egg -> bowl"] == "supported"
    reasons = root.reasons(limit=10)
    assert ('actor "a woman in a blue T-shirt" contradicted by plm_caption [0-40 s]: '
            '"A young man in a blue t-shirt"') in reasons
    assert root.fields["actor"].contradicted == 1 and root.fields["summary"].contradicted >= 3


def test_same_values_are_supported_and_unmentioned_ones_unchecked():
    root = one_video({"actor": "a young man", "summary_brief": "A man cracks two eggs into a glass bowl on a "
                      "marble counter."}, CAPTION)["root"]
    assert statuses(root, "actor")["man (male, young, 1)"] == "supported"
    assert statuses(root, "attribute")["egg count=2"] == "supported"
    assert statuses(root, "object")["counter"] == "unchecked"  # nothing else names a counter
    assert root.fields["summary"].contradicted == 0
    assert 0 < root.coverage < 1
    assert "plm_caption" in root.sources_checked


def test_a_different_object_for_the_same_action():
    root = one_video({"summary_brief": "A man cracks two lemons into a glass bowl."}, CAPTION)["root"]
    assert statuses(root, "action")["crack lemon -> bowl"] == "contradicted"
    [r] = [r for r in root.claims if r.claim.slot == "action"]
    [v] = [v for v in r.verdicts if v.status == "contradicted"]
    assert v.rule == "other object" and v.words == "cracks two eggs into a white glass bowl"


def test_tree_relatives_are_not_independent_coverage():
    """Child segments with no captions: only the parent and the sibling speak for them."""
    root_fields = {"summary_brief": "A man cracks two eggs into a glass bowl."}
    child = {"a": {"summary_brief": "A woman cracks two eggs into a glass bowl."}}
    bare = {"video_id": "v1", "duration": 40.0, "title": None, "description": None, "transcript": []}
    audits = one_video(root_fields, {}, child, video=bare)
    a = audits["a"]
    assert statuses(a, "action")["crack egg -> bowl"] == "unchecked"  # only its parent says so
    [r] = [r for r in a.claims if r.claim.slot == "action"]
    assert r.status_tree == "supported" and {v.source.name for v in r.verdicts} == {"parent"}
    assert a.coverage == 0.0 and not a.independently_covered and a.sources_checked == ()
    assert statuses(a, "actor")["woman (female, adult, 1)"] == "unchecked"  # its parent's "man" is no evidence
    for name, kind in KINDS.items():
        assert kind.independent == (name not in ("parent", "child", "sibling", "neighbour"))


def test_no_sources_at_all_means_no_coverage():
    video = {"video_id": "v1", "duration": 10.0, "title": None, "description": None, "transcript": []}
    [a] = audit_video(video, [seg("root", None, 0, 0.0, 10.0, summary_brief="A woman juggles three red balls.")])
    assert a.coverage == 0.0 and not a.independently_covered and a.n_independent_sources == 0
    assert all(r.status == "unchecked" for r in a.claims)


def test_talk_and_metadata_support_but_never_contradict():
    src = Source("transcript", None, 0.0, 10.0, "a woman cracks the eggs", "transcript")
    ix = SourceIndex.of(extract_claims([src.text], "transcript")[0])
    [actor] = [c for c in extract_claims(["A man cracks eggs."], "summary_brief")[0] if c.slot == "actor"]
    assert Matcher().check(actor, ix, src) is None
    cap = Source("plm_caption", "s", 0.0, 10.0, src.text, "plm_caption")
    assert Matcher().check(actor, ix, cap).status == "contradicted"
    assert Matcher().check(actor, ix, cap, cover=0.25) is None  # a grandchild's caption: too little of the time


def test_injected_similarity_widens_matching():
    src = Source("plm_caption", "s", 0.0, 10.0, "He drops the bag into a bin.", "plm_caption")
    ix = SourceIndex.of(extract_claims([src.text], "plm_caption")[0])
    [obj] = [c for c in extract_claims(["A man drops a bag into the trash."], "summary_brief")[0]
             if c.slot == "object" and c.head == "trash"]
    assert Matcher().check(obj, ix, src) is None
    sim = Matcher(similar=lambda a, b: 0.9 if {a, b} == {"trash", "bin"} else 0.0)
    assert sim.check(obj, ix, src).status == "supported"


def test_opinions_overlapping_in_time_are_sources():
    ops = [{"video_id": "v1", "source": "qwen3-vl", "kind": "event", "text": "a man cracks two eggs",
            "start": 21.0, "end": 39.0}]
    audits = one_video({}, {}, {"b": {"actor": "a woman"}, "a": {"actor": "a woman"}}, opinions=ops)
    assert statuses(audits["b"], "actor")["woman (female, adult, 1)"] == "contradicted"
    assert "opinion:qwen3-vl" in audits["b"].sources_checked
    assert "opinion:qwen3-vl" not in audits["a"].sources_checked


def test_copy_of_parent_is_found_when_the_evidence_differs():
    fields = {"summary_brief": "A man cracks two eggs into a glass bowl.", "actor": "a man",
              "action_brief": "crack eggs"}
    other = {"summary_brief": "A dog runs across a lawn.", "actor": "a brown dog", "action_brief": "run"}
    audits = one_video(fields, {"plm_caption": "a man cracks eggs into a bowl"},
                       {"a": {**fields, "plm_caption": "a dog runs across a lawn"}, "b": other})
    assert audits["a"].copy is not None and audits["a"].copy.relation == "parent"
    assert audits["b"].copy is None
    assert any(r.startswith("copy: its fields are 100% identical to its parent root") for r in audits["a"].reasons())
    same = one_video(fields, {"plm_caption": "a man cracks eggs into a bowl"},
                     {"a": {**fields, "plm_caption": "a man cracks eggs into a bowl"}, "b": other})
    assert same["a"].copy is None  # same captions too: the two stretches may just look alike


def test_claim_rows_table():
    audits = list(one_video({"actor": "a woman"}, CAPTION).values())
    t = claim_rows(audits)
    assert t.schema == CLAIM_ROWS
    rows = t.to_pylist()
    contra = [r for r in rows if r["status"] == "contradicted"]
    assert contra and contra[0]["source"] == "plm_caption" and contra[0]["source_words"]
    assert contra[0]["source_start"] == 0.0 and contra[0]["source_end"] == 40.0
    assert isinstance(t, pa.Table)


def test_real_video():
    from videoaudit.ingest import iter_source

    videos = list(iter_source(REAL_PARQUET, "action100m"))  # fails, never skips, when the data is missing
    v = min(videos, key=lambda x: len(x.segments))
    audits = audit_video(v.video, v.segments)
    assert len(audits) == sum(bool(s["has_gpt"]) for s in v.segments)
    covs = [a.coverage for a in audits if a.coverage is not None]
    assert covs and all(0.0 <= c <= 1.0 for c in covs) and sum(covs) / len(covs) > 0.5
    statuses_ = [r.status for a in audits for r in a.claims]
    assert statuses_.count("supported") > 10 * max(1, statuses_.count("contradicted"))
    assert sum(a.copy is not None for a in audits) == 0
    for a in audits:
        for line in a.reasons():
            assert " by " in line and '"' in line
