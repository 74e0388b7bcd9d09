"""videoaudit: audit machine-generated, hierarchical, timed video annotations.

The Python API is :class:`Workspace`; the ``videoaudit`` command is a thin layer over it.
``Workspace`` is imported on first use (PEP 562), so ``import videoaudit.cli`` and
``videoaudit --help`` load neither pyarrow nor LanceDB.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["Workspace", "IngestSummary", "__version__"]


def __getattr__(name: str):
    if name in ("Workspace", "IngestSummary"):
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
