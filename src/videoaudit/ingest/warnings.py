"""Ingest warnings counted by kind, with the first few kept in full (what the CLI shows)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

EXAMPLES = 5
_PREFIX = re.compile(r"^video [^:]*: (?:(?:node|segment) [^:]*: )?")


def kind(message: str) -> str:
    """"video X: media not found: /a/b.mp4" -> "media not found" (ids, values and paths dropped)."""
    rest = _PREFIX.sub("", message)
    rest = re.split(r"[:;]", rest, maxsplit=1)[0]
    rest = re.sub(r"'[^']*'|\"[^\"]*\"|\b\d+(\.\d+)?\b", "…", rest)
    return rest.strip()


@dataclass
class WarningTally:
    kinds: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)

    def add(self, messages: Iterable[str]) -> None:
        for m in messages:
            k = kind(m)
            self.kinds[k] = self.kinds.get(k, 0) + 1
            if len(self.examples) < EXAMPLES:
                self.examples.append(m)
