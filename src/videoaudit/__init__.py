"""videoaudit: audit machine-generated, hierarchical, timed video annotations.

The Python API is :class:`Workspace`; the ``videoaudit`` command is a thin layer over it.
"""

from .api import IngestSummary, Workspace

__version__ = "0.1.0"
__all__ = ["Workspace", "IngestSummary", "__version__"]
