"""Which device and dtype a model runs on: CUDA in half precision when a GPU is visible, else CPU fp32.

One rule for every model (text embedder, VLM / embedding adapters, opinion backends), so
``--device`` / ``device=`` overrides all of them the same way and the run manifest can say
where a run's vectors were computed.
"""

from __future__ import annotations

import inspect
import typing
from typing import Any, Callable


def cuda_available() -> bool:
    try:
        import torch
    except ImportError:  # a weight-free install: no accelerator to use
        return False
    return bool(torch.cuda.is_available())


def pick_device(device: str | None = None) -> str:
    """``device`` when given (not "auto"), else "cuda" when a GPU is visible, else "cpu"."""
    if device and device != "auto":
        return device
    return "cuda" if cuda_available() else "cpu"


def half_dtype(device: str):
    """The dtype a model runs in on ``device``: bfloat16 (float16 where unsupported) on CUDA, float32 on CPU."""
    import torch

    if not str(device).startswith("cuda"):
        return torch.float32
    try:
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    except (AssertionError, RuntimeError):  # no usable CUDA context: the caller fails on .to(device) anyway
        return torch.float16


def accepts_device(factory: Callable[..., Any]) -> bool:
    """Does a backend factory take a ``device`` keyword (weight-free backends do not)?

    A factory written as ``def f(**kwargs) -> Cls`` forwards to ``Cls``: its ``__init__`` decides.
    """
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return False
    if "device" in params:
        return True
    if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return False
    try:
        cls = typing.get_type_hints(factory).get("return")
    except Exception:  # an annotation that does not resolve: do not guess
        return False
    return isinstance(cls, type) and _init_accepts_device(cls)


def _init_accepts_device(cls: type) -> bool:
    """Walk the ``__init__`` chain while each one forwards ``**kwargs`` to its parent."""
    for klass in cls.__mro__:
        if klass is object:
            return False
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        params = inspect.signature(init).parameters
        if "device" in params:
            return True
        if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
            return False
    return False


def with_device(options: dict | None, device: str | None, role: str, name: str | None) -> dict | None:
    """A lens backend's options with the run's ``device`` added where the backend takes one
    (weight-free backends do not); an explicit ``device`` option wins."""
    from .registry import factory

    if device is None or name in (None, "none") or (options and "device" in options):
        return options
    fn = factory(role, name)
    return {**(options or {}), "device": device} if fn is not None and accepts_device(fn) else options
