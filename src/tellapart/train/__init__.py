"""Training of the learned describer (``tellapart train``) on synthetic tasks."""

from .trainer import TrainConfig, Trainer, main

__all__ = ["TrainConfig", "Trainer", "main"]
