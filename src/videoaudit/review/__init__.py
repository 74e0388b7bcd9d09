"""The review loop: decisions people make about segments, and what the audit learns from them."""

from .decisions import Decision, ReviewError, by_segment, current, import_jsonl, store_decisions

__all__ = ["Decision", "ReviewError", "by_segment", "current", "import_jsonl", "store_decisions"]
