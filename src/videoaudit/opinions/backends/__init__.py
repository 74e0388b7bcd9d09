"""Opinion backends: models that look at a video and say what happens, when, and where.

Each backend implements :class:`~videoaudit.opinions.backends.base.OpinionBackend` and is
registered by name under the ``"opinion"`` role of :mod:`videoaudit.models.registry`.
"""

from .base import Answer, OpinionBackend, Task

__all__ = ["Answer", "OpinionBackend", "Task"]


def load_builtin() -> None:
    """Import the built-in backend modules so their ``@register`` lines run (cheap: heavy
    libraries are imported only when a backend is built)."""
    import importlib

    for mod in ("openai", "people", "replay", "qwen3_vl", "molmo2"):
        importlib.import_module(f"{__name__}.{mod}")
