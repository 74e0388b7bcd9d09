"""Lenses: several embedding spaces over the same videos, and what each one reveals.

* ``pixels_stage`` -- thumbnails + every pixel lens from ONE decode per video, and
  ``transcript_stage``; both write ``embeddings_<lens>`` tables (``vectors``) through the engine.
* ``transcript`` -- chunking and pooling of timed transcripts for a sentence embedder.
* ``geometry`` -- pure functions over an (n, d) matrix: maps, uniqueness, representativeness,
  near-duplicates, kNN Jaccard across lenses, zero-shot probabilities.
* ``analysis_stage`` -- the dataset-level ``lenses`` stage that writes ``lens_videos`` and ``cross_lens``.
* ``search``   -- text -> video and video -> video search (LanceDB), zero-shot from stored vectors.

docs/lenses.md says what each lens is and is not.
"""

from .geometry import (
    knn,
    knn_jaccard,
    map_2d,
    near_duplicates,
    percentile_rank,
    representativeness,
    uniqueness,
    zero_shot_probs,
)

__all__ = [
    "knn",
    "knn_jaccard",
    "map_2d",
    "near_duplicates",
    "percentile_rank",
    "representativeness",
    "uniqueness",
    "zero_shot_probs",
]
