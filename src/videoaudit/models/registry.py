"""Backends registered by name, one namespace per role.

Stages ask the registry for ``("text", "minilm")``; they never import a backend module,
so adding a backend is one new module with one ``@register`` line, and a backend whose
heavy dependencies are missing costs nothing until it is asked for.
"""

from __future__ import annotations

from typing import Any, Callable

_FACTORIES: dict[tuple[str, str], Callable[..., Any]] = {}
_INSTANCES: dict[tuple, Any] = {}


def register(role: str, name: str):
    def deco(factory: Callable[..., Any]):
        _FACTORIES[(role, name)] = factory
        return factory

    return deco


def names(role: str) -> list[str]:
    _load_builtin()
    return sorted(n for r, n in _FACTORIES if r == role)


def get(role: str, name: str, **kwargs) -> Any:
    """The backend ``name`` for ``role``, built once per process and per settings."""
    _load_builtin()
    key = (role, name, tuple(sorted(kwargs.items())))
    try:
        hash(key)
    except TypeError:  # list / dict option values (e.g. from the CLI's K=JSON options)
        import json

        key = (role, name, json.dumps(kwargs, sort_keys=True, default=repr))
    if key not in _INSTANCES:
        factory = _FACTORIES.get((role, name))
        if factory is None:
            # Any other name is a sentence-transformers model id or path, for the text role.
            if role == "text":
                factory = _FACTORIES[("text", "sentence-transformers")]
                kwargs = {"model": name, **kwargs}
            else:
                raise KeyError(f"no {role} backend named {name!r}; known: {', '.join(names(role)) or 'none'}")
        _INSTANCES[key] = factory(**kwargs)
    return _INSTANCES[key]


def _load_builtin() -> None:
    from . import entailment, hashing, pixels, text  # noqa: F401  (each registers its backends on import)
    # transformers VLM adapters: cheap to import (torch / transformers load on first use)
    from . import molmo2_embedding, qwen3_vl_embedding  # noqa: F401
    from ..opinions.backends import load_builtin

    load_builtin()
