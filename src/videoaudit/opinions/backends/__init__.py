"""Opinion backends: models that look at a video and say what happens, when, and where.

Each backend implements :class:`~videoaudit.opinions.backends.base.OpinionBackend` and is
registered by name under the ``"opinion"`` role of :mod:`videoaudit.models.registry`.
"""

from .base import Answer, OpinionBackend, Task

__all__ = ["Answer", "OpinionBackend", "Task"]

