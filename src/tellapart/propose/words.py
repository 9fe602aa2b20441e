"""Words of measurement hypotheses: sentences, concept keys and the hypothesis built from them.

Shared by the measurement proposer and the measurement scorer (which words typed claims).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..measure.base import MEASUREMENTS
from ..types import Hypothesis, other_set


@dataclass(frozen=True)
class MeasurementWords:
    """The words of one measurement: predicate phrases for each direction and match keywords."""

    name: str
    more: str  # "are brighter": Set X images <more> than set Y images, X higher
    less: str  # "are darker"
    keywords: tuple[str, ...] = ()


def measurement_words(
    name: str, overrides: Mapping[str, MeasurementWords] | None = None
) -> MeasurementWords:
    """Words of measurement ``name``: from ``overrides``, else the registry, else generic.

    A feature column that is not a registered measurement (a table built elsewhere)
    still gets a correct, if plain, sentence: "have higher <name>".
    """
    if overrides is not None and name in overrides:
        return overrides[name]
    if name in MEASUREMENTS:
        cls = MEASUREMENTS.get(name)
        return MeasurementWords(name, cls.more, cls.less, tuple(cls.keywords))
    readable = name.replace("_", " ")
    return MeasurementWords(name, f"have higher {readable}", f"have lower {readable}", ())


def measurement_sentence(words: MeasurementWords, more_in: str, sign: int) -> str:
    """ "Set X images <phrase> than set Y images", with the phrase for the score's sign."""
    phrase = words.more if sign > 0 else words.less
    return f"Set {more_in} images {phrase} than set {other_set(more_in)} images"


def measurement_concept(name: str, more_in: str, sign: int) -> str:
    """Concept key saying how set A compares: ``name:higher`` or ``name:lower``."""
    a_higher = (more_in == "A") == (sign > 0)
    return f"{name}:{'higher' if a_higher else 'lower'}"


def measurement_hypothesis(
    words: MeasurementWords,
    more_in: str,
    sign: int,
    *,
    proposer: str,
    proposal_score: float = 0.0,
    user: bool = False,
) -> Hypothesis:
    """The hypothesis "set ``more_in`` scores higher on ``sign * measurement``", worded."""
    if sign not in (1, -1):
        raise ValueError(f"sign must be +1 or -1, got {sign}")
    if more_in not in ("A", "B"):
        raise ValueError(f"more_in must be 'A' or 'B', got {more_in!r}")
    return Hypothesis(
        description=measurement_sentence(words, more_in, sign),
        concept=measurement_concept(words.name, more_in, sign),
        more_in=more_in,
        proposer=proposer,
        scorer="measurement",
        params={"measurement": words.name, "sign": sign},
        proposal_score=float(proposal_score),
        user=user,
    )
