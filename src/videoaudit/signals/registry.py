"""Every signal is a :class:`~videoaudit.signals.base.SignalSpec` registered here by name.

Adding a signal is one class with ``@register`` in any module of this package: the
package's modules are imported on first use, the stages compute every registered signal
of their stage, and the fusion reads weights, kinds and corroboration from here.
"""

from __future__ import annotations

import importlib
import pkgutil

from .base import COVERAGE, FIELD_GROUPS, RULE, SignalSpec

_SPECS: dict[str, type[SignalSpec]] = {}
_loaded = False


def register(cls: type[SignalSpec]) -> type[SignalSpec]:
    if cls.name in _SPECS and _SPECS[cls.name] is not cls:
        raise ValueError(f"signal {cls.name!r} is registered twice")
    _SPECS[cls.name] = cls
    return cls


def _discover() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    from .. import signals as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"{pkg.__name__}.{mod.name}")


def specs(stage: str | None = None) -> list[type[SignalSpec]]:
    """Registered signals (of one stage), in name order."""
    _discover()
    return [c for n, c in sorted(_SPECS.items()) if stage is None or c.stage == stage]


def get(name: str) -> type[SignalSpec]:
    _discover()
    return _SPECS[name]


def weights() -> dict[str, float]:
    return {c.name: c.weight for c in specs()}


def rules() -> tuple[str, ...]:
    return tuple(c.name for c in specs() if c.kind == RULE)


def corroborations() -> dict[str, str]:
    return {c.name: c.corroborated_by for c in specs() if c.corroborated_by}


def coverage_signals() -> tuple[str, ...]:
    """Signals whose value IS the segment's evidence coverage (not fused)."""
    return tuple(c.name for c in specs() if c.kind == COVERAGE)


def evidence_meta() -> dict[str, tuple[bool, str | None, tuple[str, ...]]]:
    """``{signal: (independent, source, fields)}`` of every registered signal; a signal the
    registry does not know counts as not independent and speaks to every field group."""
    return {c.name: (bool(c.independent), None if c.aggregates else c.source or (c.name if c.independent else None),
                     tuple(c.fields)) for c in specs()}


def meta_of(name: str, known: dict) -> tuple[bool, str | None, tuple[str, ...]]:
    return known.get(name, (False, None, FIELD_GROUPS))
