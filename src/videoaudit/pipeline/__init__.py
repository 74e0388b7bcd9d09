"""The pipeline: stages (``stage.py``), the graph that says what is stale (``graph.py``) and the engines."""

from .engine import LocalEngine
from .stage import Batch, Resources, Stage, StageReport

__all__ = ["Batch", "LocalEngine", "Resources", "Stage", "StageReport"]
