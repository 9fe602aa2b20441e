"""The training curriculum: one strong, full-prevalence difference first, then subtler,
rarer and several differences, each level unlocked when validation passes a threshold.

Usage::

    cur = Curriculum()
    levels = cur.levels_for_batch(n_tasks=2, rng=rng)    # mostly the current level
    promoted = cur.update(metric=0.82, step=1200)        # True: moved on to the next level
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .data import Level

LEVELS: tuple[Level, ...] = (
    Level("easy", n_diffs=(1, 1), strength=(0.75, 1.0), prevalence=(1.0, 1.0)),
    Level("medium", n_diffs=(1, 1), strength=(0.5, 1.0), prevalence=(0.6, 1.0), n_distractors=(0, 1)),
    Level("subtle", n_diffs=(1, 2), strength=(0.3, 1.0), prevalence=(0.4, 1.0), n_distractors=(0, 2)),
    Level("hard", n_diffs=(1, 3), strength=(0.15, 1.0), prevalence=(0.25, 1.0), n_distractors=(0, 2)),
)
"""Levels in order; each is a superset in difficulty of the one before."""

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
