"""tellapart: tells, in plain language, how two sets of images differ, and proves each claim on held-out images."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["Comparer", "__version__", "compare"]


def __getattr__(name: str):  # lazy: `import tellapart` stays fast for the CLI
    if name in ("compare", "Comparer"):
        from . import pipeline

        return getattr(pipeline, name)
    raise AttributeError(name)
