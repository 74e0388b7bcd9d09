"""Arrow schemas of the canonical tables.

Every stage reads and writes these tables, whatever the source format was, so a
signal never needs to know whether a segment came from an Action100M parquet, a
FiftyOne dataset or a JSONL file. docs/data-model.md documents each column.
"""

from __future__ import annotations

import pyarrow as pa

#: The five GPT-written annotation fields of an Action100M Tree-of-Captions node,
#: flattened from ``gpt.summary.{brief,detailed}`` and ``gpt.action.{brief,detailed,actor}``.
GPT_FIELDS: tuple[str, ...] = (
    "summary_brief",
    "summary_detailed",
    "action_brief",
    "action_detailed",
    "actor",
)

#: Upstream captions the GPT fields were written from (the evidence a segment carries).
CAPTION_FIELDS: tuple[str, ...] = ("plm_caption", "plm_action", "llama3_caption")

NA = "N/A"

TRANSCRIPT_ENTRY = pa.struct(
    [
        pa.field("start", pa.float64()),
        pa.field("end", pa.float64()),
        pa.field("text", pa.string()),
    ]
)

VIDEOS = pa.schema(
    [
        pa.field("video_id", pa.string(), nullable=False),
        pa.field("media_path", pa.string()),  # None when the dataset has no media here
        pa.field("duration", pa.float64()),  # seconds covered by the annotations (the clip)
        pa.field("full_duration", pa.float64()),  # seconds of the full source video
        pa.field("fps", pa.float64()),  # None until probed
        pa.field("title", pa.string()),
        pa.field("description", pa.string()),
        pa.field("transcript", pa.list_(TRANSCRIPT_ENTRY)),
        pa.field("metadata", pa.string()),  # JSON object: everything else the source had
        pa.field("source", pa.string()),  # "action100m" | "jsonl" | "fiftyone"
    ]
)

SEGMENTS = pa.schema(
    [
        pa.field("video_id", pa.string(), nullable=False),
        pa.field("segment_id", pa.string(), nullable=False),  # Action100M node_id
        pa.field("parent_id", pa.string()),
        pa.field("level", pa.int16()),
        pa.field("start", pa.float64()),
        pa.field("end", pa.float64()),
        pa.field("is_leaf", pa.bool_()),
        pa.field("has_gpt", pa.bool_()),
        *[pa.field(name, pa.string()) for name in GPT_FIELDS],  # "N/A" becomes None + na_fields
        pa.field("na_fields", pa.list_(pa.string())),  # which GPT fields said "N/A"
        *[pa.field(name, pa.string()) for name in CAPTION_FIELDS],
        pa.field("beyond_clip", pa.bool_()),  # text describes more than the clip holds
        pa.field("structure_issues", pa.list_(pa.string())),  # kept, become signals
    ]
)

OPINIONS = pa.schema(
    [
        pa.field("video_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),  # who said it: "simulated-annotator", "qwen3-vl", ...
        pa.field("kind", pa.string(), nullable=False),  # "description" | "event" | "point"
        pa.field("text", pa.string()),
        pa.field("start", pa.float64()),
        pa.field("end", pa.float64()),
        pa.field("t", pa.float64()),
        pa.field("x", pa.float64()),
        pa.field("y", pa.float64()),
        pa.field("settings", pa.string()),  # JSON: model, revision, prompt version, frames used
        pa.field("raw", pa.string()),  # the model's raw output, always kept
    ]
)

SIGNALS = pa.schema(
    [
        pa.field("video_id", pa.string(), nullable=False),
        pa.field("segment_id", pa.string(), nullable=False),
        pa.field("signal", pa.string(), nullable=False),  # e.g. "semantic.opinion"
        pa.field("family", pa.string(), nullable=False),  # lexical|semantic|temporal|evidence|consistency
        pa.field("value", pa.float64()),  # [0, 1], higher = more support; None = no input
        pa.field("explanation", pa.string()),
    ]
)

#: Video-level measurements (temporal R@1 / mIoU, ...), same shape as SIGNALS without a segment.
VIDEO_SIGNALS = pa.schema(
    [
        pa.field("video_id", pa.string(), nullable=False),
        pa.field("signal", pa.string(), nullable=False),
        pa.field("value", pa.float64()),
        pa.field("explanation", pa.string()),
    ]
)

#: one signal's value inside a confidence row
SIGNAL_VALUE = pa.struct([pa.field("signal", pa.string()), pa.field("value", pa.float64())])

CONFIDENCE = pa.schema(
    [
        pa.field("video_id", pa.string(), nullable=False),
        pa.field("segment_id", pa.string(), nullable=False),
        pa.field("level", pa.int16()),
        pa.field("start", pa.float64()),
        pa.field("end", pa.float64()),
        pa.field("confidence", pa.float64()),
        pa.field("tier", pa.string()),  # trusted | uncertain | unverified | review
        pa.field("reasons", pa.list_(pa.string())),
        pa.field("reason_signals", pa.list_(pa.string())),  # the signal behind each reason, same order
        pa.field("signals", pa.list_(SIGNAL_VALUE)),  # every signal's value (null = no input)
        # evidence coverage: share of the field groups an independent source could check, how many sources
        pa.field("coverage", pa.float64()),
        pa.field("n_sources", pa.int16()),
        pa.field("confidence_summary", pa.float64()),  # per field group: keep a summary, reject an actor
        pa.field("confidence_action", pa.float64()),
        pa.field("confidence_actor", pa.float64()),
        pa.field("to_check", pa.string()),  # what to add so the unchecked fields can be checked
        pa.field("risk", pa.float64()),  # unclipped fitted risk: the review queue's tie-break (higher first)
        pa.field("fusion", pa.string()),  # which fusion made the row: fitted:injected | fitted:labels | median
    ]
)

VIDEO_CONFIDENCE = pa.schema(
    [
        pa.field("video_id", pa.string(), nullable=False),
        pa.field("confidence", pa.float64()),
        pa.field("tier", pa.string()),
        pa.field("n_segments", pa.int32()),
        pa.field("n_review", pa.int32()),
        pa.field("reasons", pa.list_(pa.string())),
        pa.field("n_unverified", pa.int32()),
        pa.field("coverage", pa.float64()),  # mean evidence coverage of its segments
    ]
)

#: What probing a video's file found (one row per video with media).
MEDIA = pa.schema(
    [
        pa.field("video_id", pa.string(), nullable=False),
        pa.field("duration", pa.float64()),
        pa.field("fps", pa.float64()),
        pa.field("frame_count", pa.int64()),
        pa.field("width", pa.int32()),
        pa.field("height", pa.int32()),
        pa.field("codec", pa.string()),
    ]
)

#: Small JPEG frames for the report, from the shared decode-once sampler.
THUMBNAILS = pa.schema(
    [
        pa.field("video_id", pa.string(), nullable=False),
        pa.field("t", pa.float64()),
        pa.field("jpeg", pa.binary()),
    ]
)

#: One row per (stage, video) that finished, ok or failed; the resume ledger.
PROGRESS = pa.schema(
    [
        pa.field("stage", pa.string(), nullable=False),
        pa.field("video_id", pa.string(), nullable=False),
        pa.field("status", pa.string(), nullable=False),  # "ok" | "error"
        pa.field("error", pa.string()),
        pa.field("finished_at", pa.timestamp("us", tz="UTC")),
    ]
)

#: Problems that are not a whole video's failure: a rejected row, a bad opinion line.
ERRORS = pa.schema(
    [
        pa.field("stage", pa.string(), nullable=False),
        pa.field("video_id", pa.string()),
        pa.field("segment_id", pa.string()),
        pa.field("error", pa.string(), nullable=False),
        pa.field("at", pa.timestamp("us", tz="UTC")),
    ]
)

#: Lens vectors live in one table per lens, ``embeddings_<lens>`` (lens = visual |
#: grounding | transcript), because a vector index needs one fixed dimension per table.
LENSES: tuple[str, ...] = ("visual", "grounding", "transcript")
EMBEDDINGS_PREFIX = "embeddings_"


def embeddings_table(lens: str) -> str:
    """Name of the table holding ``lens``'s vectors."""
    return EMBEDDINGS_PREFIX + lens


def is_embeddings_table(name: str) -> bool:
    return name.startswith(EMBEDDINGS_PREFIX) and len(name) > len(EMBEDDINGS_PREFIX)


def embeddings_schema(dim: int) -> pa.Schema:
    """Schema of ``embeddings_<lens>``: a vector per video (segment_id null) and per segment."""
    return pa.schema(
        [
            pa.field("video_id", pa.string(), nullable=False),
            pa.field("segment_id", pa.string()),  # None = the whole video
            pa.field("backend", pa.string(), nullable=False),  # registry name, e.g. "appearance"
            pa.field("vector", pa.list_(pa.float32(), dim)),  # L2-normalised
        ]
    )


#: Per video and lens: what the lens analysis found (dataset-level, recomputed per run).
LENS_VIDEOS = pa.schema(
    [
        pa.field("video_id", pa.string(), nullable=False),
        pa.field("lens", pa.string(), nullable=False),
        pa.field("backend", pa.string()),
        pa.field("map_method", pa.string()),  # umap | pca | tsne
        pa.field("map_x", pa.float64()),
        pa.field("map_y", pa.float64()),
        pa.field("uniqueness", pa.float64()),  # fiftyone-brain definition, raw
        pa.field("uniqueness_pct", pa.float64()),  # percentile within the run, comparable across runs
        pa.field("representativeness", pa.float64()),  # high = near a cluster centre
        pa.field("near_duplicates", pa.list_(pa.string())),
        pa.field("zero_shot_label", pa.string()),
        pa.field("zero_shot_prob", pa.float64()),
    ]
)

#: Per video and pair of lenses: overlap of the k nearest neighbours (Jaccard).
CROSS_LENS = pa.schema(
    [
        pa.field("video_id", pa.string(), nullable=False),
        pa.field("lens_a", pa.string(), nullable=False),
        pa.field("lens_b", pa.string(), nullable=False),
        pa.field("k", pa.int32()),
        pa.field("jaccard", pa.float64()),
    ]
)

#: Who is right where annotation and second opinion disagree, decided by a third source.
VERDICTS = pa.schema(
    [
        pa.field("video_id", pa.string(), nullable=False),
        pa.field("segment_id", pa.string()),  # None = the whole video
        # annotation | second_opinion | diverge | paraphrase | agree | undecided (docs/opinions.md)
    pa.field("verdict", pa.string(), nullable=False),
        pa.field("reason", pa.string()),
        pa.field("weights", pa.string()),  # JSON {source: weight} used for the decision
    ]
)

#: What a person decided about a segment (review/decisions.py); the newest decision per
#: (video, segment, field) is the one that counts, older ones stay as history.
REVIEW_VERDICTS: tuple[str, ...] = ("ok", "wrong", "fixed")
REVIEW_ALL_FIELDS = "*"  # the decision is about the whole segment's annotation
REVIEWS = pa.schema(
    [
        pa.field("video_id", pa.string(), nullable=False),
        pa.field("segment_id", pa.string(), nullable=False),
        pa.field("field", pa.string(), nullable=False),  # one of GPT_FIELDS, or "*"
        pa.field("verdict", pa.string(), nullable=False),  # ok | wrong | fixed
        pa.field("text", pa.string()),  # the corrected text (verdict "fixed")
        pa.field("reviewer", pa.string()),
        pa.field("reviewed_at", pa.timestamp("us", tz="UTC")),
    ]
)

TABLES: dict[str, pa.Schema] = {
    "videos": VIDEOS,
    "segments": SEGMENTS,
    "opinions": OPINIONS,
    "signals": SIGNALS,
    "video_signals": VIDEO_SIGNALS,
    "confidence": CONFIDENCE,
    "video_confidence": VIDEO_CONFIDENCE,
    "media": MEDIA,
    "thumbnails": THUMBNAILS,
    "progress": PROGRESS,
    "errors": ERRORS,
    "lens_videos": LENS_VIDEOS,
    "cross_lens": CROSS_LENS,
    "verdicts": VERDICTS,
    # signals from the lens vectors (signals/lens_stage.py): own tables, their own stage's rows
    "lens_signals": SIGNALS,
    "lens_video_signals": VIDEO_SIGNALS,
    "reviews": REVIEWS,
}


def empty(schema: pa.Schema) -> pa.Table:
    return schema.empty_table()


def from_rows(rows: list[dict], schema: pa.Schema) -> pa.Table:
    """Build a table from dict rows, missing keys become nulls."""
    return pa.Table.from_pylist(rows, schema=schema)
