"""Which backend, with which options, made a lens's vectors: the lens backend record.

Why: a lens backend is more than a registry name. ``qwen3-vl-embedding`` with
``model=/models/Qwen3-VL-Embedding-8B`` is another space than the 2B default, and a backend
loaded from a local directory (offline machines) must be rebuilt from that same directory
when a text query, a zero-shot prompt or the visual-text signal is embedded later. So the
options travel with the name:

* ``Workspace.run(visual_options={...}, grounding_options={...})`` and the CLI's
  ``--visual-opt K=V`` / ``--grounding-lens-opt K=V`` reach ``registry.get(lens, name, **options)``;
* the workspace manifest's ``lens_backends`` section records, per lens, the name and options that wrote
  ``embeddings_<lens>`` (the ``backend`` column keeps the bare registry name, so tables of
  older workspaces stay readable: no record = no options);
* ``sync_backends`` compares name AND identifying options: another model id is another
  backend, so the lens table is dropped and every video redone. ``device`` and
  ``batch_size`` do not identify a space (the same weights give the same vectors), so
  changing them keeps the stored vectors;
* the text side (search, zero-shot, the visual-text signal) rebuilds the backend with the
  recorded options, so it embeds into the space the stored vectors live in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

#: options that change where/how fast a model runs, not the space its vectors live in
RUNTIME_KEYS = frozenset({"device", "batch_size"})


def role_of(lens: str) -> str:
    """The registry role that serves ``lens`` (the transcript lens is a text model)."""
    return "text" if lens == "transcript" else lens


@dataclass(frozen=True)
class LensBackend:
    """A lens backend: registry ``name`` plus the keyword ``options`` it is built with."""

    name: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        opts = dict(self.options or {})
        try:
            json.dumps(opts)
        except TypeError as exc:
            raise ValueError(f"backend {self.name!r}: options must be JSON values (they are recorded in "
                             f"the workspace manifest): {exc}") from None
        object.__setattr__(self, "options", opts)

    @property
    def identity(self) -> str:
        """Name + the options that decide the space (canonical JSON; RUNTIME_KEYS left out)."""
        ident = {k: v for k, v in self.options.items() if k not in RUNTIME_KEYS}
        return json.dumps([self.name, ident], sort_keys=True)

    def build(self, lens: str):
        """The backend instance (the registry builds it once per process and per options)."""
        from ..models import get

        return get(role_of(lens), self.name, **self.options)

    def to_json(self) -> dict:
        return {"backend": self.name, "options": dict(self.options)}

    def __str__(self) -> str:
        if not self.options:
            return self.name
        return self.name + "(" + ", ".join(f"{k}={v!r}" for k, v in sorted(self.options.items())) + ")"


def as_backend(spec: "str | LensBackend", options: Mapping[str, Any] | None = None) -> LensBackend:
    if isinstance(spec, LensBackend):
        return LensBackend(spec.name, {**spec.options, **(options or {})}) if options else spec
    return LensBackend(str(spec), dict(options or {}))


def read_records(root: str | Path) -> dict[str, dict]:
    """``{lens: {"backend": name, "options": {...}}}`` from the workspace manifest (empty if none)."""
    from ..manifest import section

    data = section(root, "lens_backends", {})
    return data if isinstance(data, dict) else {}


def write_record(root: str | Path, lens: str, spec: LensBackend) -> None:
    from ..manifest import update_section

    data = read_records(root)
    data[lens] = spec.to_json()
    update_section(root, "lens_backends", data)


def recorded(root: str | Path, lens: str, name: str | None) -> LensBackend | None:
    """The backend (with options) that wrote ``lens``'s vectors, given the name in its table.

    A record naming another backend than the table (a table from before records existed,
    or written by hand) is ignored: the table's name wins, with no options.
    """
    if not name:
        return None
    rec = read_records(root).get(lens) or {}
    if rec.get("backend") == name:
        return LensBackend(name, rec.get("options") or {})
    return LensBackend(name)


def sync_backends(store, stage: str, chosen: Mapping[str, "str | LensBackend"]) -> list[str]:
    """Make the ledger of ``stage`` honest about which backend each of its lenses used.

    A lens table written by another backend (another name, or the same name with other
    identifying options) is dropped, so a re-run with another backend replaces the lens,
    and a lens whose table is missing while the stage has finished videos (the lens was
    off then) makes the stage redo every video. The chosen backends are recorded before
    the stage writes anything. Returns the lenses that forced a redo.
    """
    from ..schema import embeddings_table

    redo = []
    finished = store.finished(stage)
    for lens, spec in chosen.items():
        spec = as_backend(spec)
        name = embeddings_table(lens)
        if store.count(name):
            names = set(store.read(name, columns=["backend"]).column("backend").to_pylist())
            old = recorded(store.root, lens, next(iter(names))) if len(names) == 1 else None
            if old is None or old.identity != spec.identity:
                store.drop(name)
                redo.append(lens)
        elif finished:
            redo.append(lens)
        write_record(store.root, lens, spec)
    if redo and finished:
        from ..pipeline.graph import invalidate

        invalidate(store, stage, None, include_self=True)
    return redo
