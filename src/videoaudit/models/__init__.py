"""Model backends, registered by name behind one small Protocol per role."""

from .registry import get, names, register

__all__ = ["get", "names", "register"]
