"""Versioned prompt files: ``prompts/<name>.v<N>.txt``.

A prompt's name and version are stored with every opinion it produced, so a changed
prompt never silently mixes with results of the old one: edit by adding ``.v2.txt``.
Placeholders are ``{name}`` or ``{name:format-spec}`` (``{duration:.1f}``, ``{query}``); every other
brace is literal, so JSON examples need no escaping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

_FIELD = re.compile(r"\{(?P<name>[a-z_]+)(?::(?P<spec>[^{}]*))?\}")
_FILE = re.compile(r"^(?P<name>[a-z0-9_]+)\.v(?P<version>\d+)\.txt$")


@dataclass(frozen=True)
class Prompt:
    name: str
    version: int
    template: str

    @property
    def id(self) -> str:  # recorded in opinion settings, e.g. "localize.v1"
        return f"{self.name}.v{self.version}"

    def render(self, **fields) -> str:
        def sub(m: re.Match) -> str:
            name, spec = m["name"], m["spec"] or ""
            if name not in fields:
                raise KeyError(f"prompt {self.id} needs {{{name}}}")
            return format(fields[name], spec)

        return _FIELD.sub(sub, self.template).strip()


def available() -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for f in resources.files(__package__).joinpath("prompts").iterdir():
        m = _FILE.match(f.name)
        if m:
            out.setdefault(m["name"], []).append(int(m["version"]))
    return {k: sorted(v) for k, v in sorted(out.items())}


def load(name: str, version: int | None = None) -> Prompt:
    """The prompt ``name`` at ``version`` (default: the newest)."""
    versions = available().get(name)
    if not versions:
        raise KeyError(f"no prompt named {name!r}; known: {', '.join(available())}")
    v = versions[-1] if version is None else version
    if v not in versions:
        raise KeyError(f"prompt {name!r} has no version {v}; known: {versions}")
    text = resources.files(__package__).joinpath("prompts", f"{name}.v{v}.txt").read_text(encoding="utf-8")
    return Prompt(name, v, text)
