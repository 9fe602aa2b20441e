"""The proposer plug-in kind: hypotheses in words from the proposal part only."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np

from ..config import Settings
from ..context import DataContext, RunNotes
from ..registry import Registry
from ..types import Hypothesis


class Proposer(ABC):
    """Base class of proposers."""

    name: ClassVar[str]
    # Proposers that read pixels (through ctx.load) rather than the feature table; their
    # contract tests build real images and a model of their own.
    needs_images: ClassVar[bool] = False

    @classmethod
    def from_settings(cls, settings: Settings) -> Proposer:
        """The proposer a comparison with ``settings`` runs (default: built without arguments).

        Backends that need a model name or an endpoint (``clip``, ``vlm``) read it here, so
        :meth:`unavailable_reason` can say what is missing before any image is read.
        """
        return cls()

    def take_notes(self) -> RunNotes:
        """Warnings and cost lines gathered since the last call (default: none)."""
        return RunNotes()

    @abstractmethod
    def propose(self, ctx: DataContext, rows: np.ndarray, k: int) -> list[Hypothesis]:
        """Up to ``k`` hypotheses, most promising first, from ``ctx.table`` rows ``rows`` only."""

    def unavailable_reason(self) -> str | None:
        """Why this proposer cannot run in this installation (e.g. missing weights), or None.

        Checked before any image is read, so a run that cannot do what was asked stops at once.
        """
        return None


PROPOSERS: Registry[Proposer] = Registry("proposer")
register_proposer = PROPOSERS.register


def list_proposers() -> list[str]:
    return PROPOSERS.list()


def create_proposer(name: str, **kwargs: object) -> Proposer:
    return PROPOSERS.create(name, **kwargs)
