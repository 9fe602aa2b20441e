"""Training of the learned describer (``tellapart train``) on synthetic tasks.

The trainer (and so torch) is imported on first use of the names below, so that data
worker processes, which import :mod:`tellapart.train.loader`, never load torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .cli import main
    from .trainer import TrainConfig, Trainer

__all__ = ["TrainConfig", "Trainer", "main"]


def __getattr__(name: str) -> Any:
    if name == "main":
        from .cli import main

        return main
    if name in __all__:
        from . import trainer

        return getattr(trainer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
