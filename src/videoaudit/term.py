"""Output width: rich cuts at 80 columns when stdout is not a terminal; this product does not."""

from __future__ import annotations

import os
import sys

#: page width off a terminal (a pipe, a file, CI logs)
OFF_TERMINAL_WIDTH = 160


def output_width() -> int | None:
    """None on a terminal (rich measures it); else $COLUMNS, or a page wide enough not to cut ids and help."""
    if sys.stdout.isatty():
        return None
    return int(os.environ.get("COLUMNS") or 0) or OFF_TERMINAL_WIDTH
