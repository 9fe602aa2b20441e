"""Engines of the per-image stage: ``local`` (this machine, the default) and ``ray`` (a Ray
cluster through Ray Data, the ``tellapart[ray]`` extra). Both give the same tables."""

from __future__ import annotations

from . import ray_data  # noqa: F401  (registers the ray engine; Ray itself is imported lazily)
from .base import (
    ENGINES,
    Engine,
    LocalEngine,
    PerImage,
    create_engine,
    list_engines,
    register_engine,
)

__all__ = [
    "ENGINES",
    "Engine",
    "LocalEngine",
    "PerImage",
    "create_engine",
    "list_engines",
    "register_engine",
]
