"""What a level of difficulty is: how many, how strong and how prevalent the true differences are.

Two ways of asking the generator for harder tasks live here, side by side:

- :data:`LEVELS`, the named, discrete levels of the describer's training curriculum
  (``easy`` ... ``hard``; :class:`Level` gives each its ranges). The training sampler
  (:class:`tellapart.train.data.TaskSampler`) draws tasks at a level and the curriculum
  (:class:`tellapart.train.curriculum.Curriculum`) decides when training moves to the next.
- :class:`Difficulty`, a number in [0, 1] that the training streams of
  :func:`tellapart.synth.stream_tasks` ramp or fix, with the named points
  :data:`STREAM_LEVELS`; it maps to the ranges that :func:`tellapart.synth.suites.training_spec`
  draws from.

Both are the generator's business, so they live in synth; training imports them from here
(synth never imports training).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass(frozen=True)
class Level:
    """One curriculum stage: how many, how strong and how prevalent the true differences are."""

    name: str
    n_diffs: tuple[int, int]  # inclusive range of true differences per task
    strength: tuple[float, float]  # range of the knob s
    prevalence: tuple[float, float]  # fraction of the target set's images that get it
    n_distractors: tuple[int, int] = (0, 0)  # differences shared equally by both sets
    p_graded: float = 0.0  # chance a gradable true difference is graded (both sets, target more)
    graded_strength: tuple[float, float] = (0.5, 0.9)  # range of the target set's s when graded
    graded_other: tuple[float, float] = (0.1, 0.5)  # other set's s: from lo to hi x target's s
    p_lookalike: float = 0.0  # chance the other set gets a look-alike of a true difference

    def to_dict(self) -> dict[str, Any]:
        """The level as plain values (a recipe file's ``[[joint.levels]]`` table)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Level:
        """A level from :meth:`to_dict`'s values; an unknown key is an error."""
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown level setting(s) {', '.join(sorted(unknown))}; known: "
                             f"{', '.join(f.name for f in fields(cls))}")
        values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v
                                  for k, v in data.items()}
        return cls(**values)


LEVELS: tuple[Level, ...] = (
    Level("easy", n_diffs=(1, 1), strength=(0.75, 1.0), prevalence=(1.0, 1.0)),
    Level("medium", n_diffs=(1, 1), strength=(0.5, 1.0), prevalence=(0.6, 1.0), n_distractors=(0, 1)),
    Level("subtle", n_diffs=(1, 2), strength=(0.3, 1.0), prevalence=(0.4, 1.0), n_distractors=(0, 2)),
    Level("hard", n_diffs=(1, 3), strength=(0.15, 1.0), prevalence=(0.25, 1.0), n_distractors=(0, 2)),
)
"""The training curriculum's levels in order; each is a superset in difficulty of the one before."""


STREAM_LEVELS: dict[str, float] = {"easy": 0.0, "medium": 0.5, "hard": 1.0}
"""Named difficulties of the training streams (:func:`tellapart.synth.stream_tasks`)."""


@dataclass(frozen=True)
class Difficulty:
    """A stream difficulty ``value`` in [0, 1] as the ranges and odds a training task is drawn with.

    0 is one strong, obvious difference in every image of its set; 1 lowers the strength
    and prevalence and raises the chance of more differences, graded ones and distractors.
    """

    value: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.value <= 1.0:
            raise ValueError(f"difficulty must be in [0, 1], got {self.value}")

    @property
    def p_extra_difference(self) -> float:
        """Chance of each further difference, up to the task's maximum (binomial draw)."""
        return 0.5 * self.value

    @property
    def strength(self) -> tuple[float, float]:
        """Range of the knob s of an ungraded difference."""
        return max(0.05, 0.75 - 0.65 * self.value), 1.0 - 0.55 * self.value

    @property
    def prevalence_low(self) -> float:
        """Least prevalence (the greatest is 1)."""
        return 1.0 - 0.75 * self.value

    @property
    def p_graded(self) -> float:
        """Chance that a gradable difference is graded (both sets changed, the target more)."""
        return 0.2 * self.value

    @property
    def p_distractor(self) -> float:
        """Chance of each distractor, up to the task's maximum (binomial draw)."""
        return 0.6 * self.value
