"""Backends registered by name, one namespace per role.

Stages ask the registry for ``("text", "minilm")``; they never import a backend module.
Built-in backends are listed below as ``"module:factory"`` strings, so nothing is imported
until a backend is asked for by name (start-up stays light, and a backend whose heavy
dependencies are missing costs nothing until then). Other code can add backends with
``@register(role, name)``.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

#: (role, name) -> "module:factory", imported on first use
BUILTIN: dict[tuple[str, str], str] = {
    ("text", "minilm"): "videoaudit.models.text:_minilm",
    ("text", "sentence-transformers"): "videoaudit.models.text:_sentence_transformers",
    ("text", "hashing"): "videoaudit.models.hashing:_hashing",
    ("text", "minilm-static"): "videoaudit.models.static:_minilm_static",
    ("text", "minilm-int8"): "videoaudit.models.text:_minilm_int8",
    ("visual", "appearance"): "videoaudit.models.pixels:_appearance",
    ("visual", "qwen3-vl-embedding"): "videoaudit.models.qwen3_vl_embedding:_qwen3_vl_embedding",
    ("grounding", "motion"): "videoaudit.models.pixels:_motion",
    ("grounding", "molmo2"): "videoaudit.models.molmo2_embedding:_molmo2",
    ("opinion", "openai"): "videoaudit.opinions.backends.openai:_openai",
    ("opinion", "people"): "videoaudit.opinions.backends.people:_people",
    ("opinion", "replay"): "videoaudit.opinions.backends.replay:_replay",
    ("opinion", "qwen3-vl"): "videoaudit.opinions.backends.qwen3_vl:_qwen3_vl",
    ("opinion", "molmo2"): "videoaudit.opinions.backends.molmo2:_molmo2",
    ("entailment", "cross-encoder"): "videoaudit.models.entailment:_cross_encoder",
}
_FACTORIES: dict[tuple[str, str], Callable[..., Any]] = {}
_INSTANCES: dict[tuple, Any] = {}


def register(role: str, name: str):
    def deco(factory: Callable[..., Any]):
        _FACTORIES[(role, name)] = factory
        return factory

    return deco


def names(role: str) -> list[str]:
    return sorted({n for r, n in (*BUILTIN, *_FACTORIES) if r == role})


def factory(role: str, name: str) -> Callable[..., Any] | None:
    """The factory of ``role:name`` (its module is imported now), None if no such backend."""
    if (role, name) not in _FACTORIES and (role, name) in BUILTIN:
        module, attr = BUILTIN[(role, name)].split(":")
        _FACTORIES[(role, name)] = getattr(importlib.import_module(module), attr)
    return _FACTORIES.get((role, name))


def get(role: str, name: str, **kwargs) -> Any:
    """The backend ``name`` for ``role``, built once per process and per settings."""
    key = (role, name, tuple(sorted(kwargs.items())))
    try:
        hash(key)
    except TypeError:  # list / dict option values (e.g. from the CLI's K=JSON options)
        import json

        key = (role, name, json.dumps(kwargs, sort_keys=True, default=repr))
    if key not in _INSTANCES:
        make = factory(role, name)
        if make is None:
            # Any other name is a sentence-transformers model id or path, for the text role.
            if role == "text":
                make = factory("text", "sentence-transformers")
                kwargs = {"model": name, **kwargs}
            else:
                raise KeyError(f"no {role} backend named {name!r}; known: {', '.join(names(role)) or 'none'}")
        _INSTANCES[key] = make(**kwargs)
    return _INSTANCES[key]
