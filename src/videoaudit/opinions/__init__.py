"""Opinions: what other models (or an imported batch job) say about each video."""

from .importer import read_opinions

__all__ = ["read_opinions"]
