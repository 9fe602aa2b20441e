"""The training curriculum: one strong, full-prevalence difference first, then subtler,
rarer and several differences, each level unlocked when validation passes a threshold.

What each level is (:data:`LEVELS`, :class:`Level`) is defined with the generator, in
:mod:`tellapart.synth.levels`; here is when training moves from one to the next.

Usage::

    cur = Curriculum()
    levels = cur.levels_for_batch(n_tasks=2, rng=rng)    # mostly the current level
    promoted = cur.update(metric=0.82, step=1200)        # True: moved on to the next level
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..synth.levels import LEVELS, Level

__all__ = ["LEVELS", "PROMOTE_AT", "REVIEW_P", "Curriculum", "Level"]

PROMOTE_AT: tuple[float, ...] = (0.75, 0.65, 0.55)
"""Validation recall needed to leave level i (the last level is never left)."""

REVIEW_P = 0.25
"""Chance that a task is drawn from an earlier level, so easy skills are not forgotten."""


@dataclass
class Curriculum:
    """Which level training is at, and when it moved."""

    level: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    levels: tuple[Level, ...] = LEVELS
    thresholds: tuple[float, ...] = PROMOTE_AT

    @property
    def current(self) -> Level:
        return self.levels[self.level]

    @property
    def is_last(self) -> bool:
        return self.level >= len(self.levels) - 1

    def levels_for_batch(self, n_tasks: int, rng: np.random.Generator) -> list[Level]:
        """The level of each task of one training batch."""
        out = []
        for _ in range(n_tasks):
            if self.level > 0 and rng.random() < REVIEW_P:
                out.append(self.levels[int(rng.integers(0, self.level))])
            else:
                out.append(self.current)
        return out

    def update(self, metric: float, step: int) -> bool:
        """Promote when ``metric`` (validation recall at the current level) passes its threshold."""
        if self.is_last or metric < self.thresholds[self.level]:
            return False
        self.history.append({"step": step, "from": self.current.name,
                             "to": self.levels[self.level + 1].name, "metric": round(metric, 4)})
        self.level += 1
        return True

    def state_dict(self) -> dict[str, Any]:
        return {"level": self.level, "history": list(self.history)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        level = int(state["level"])
        if not 0 <= level < len(self.levels):
            raise ValueError(f"curriculum level {level} out of range 0..{len(self.levels) - 1}")
        self.level = level
        self.history = list(state.get("history", []))
