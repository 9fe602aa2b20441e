"""Words of measurement hypotheses: sentences, concept keys, synonyms and the hypothesis built from them.

A measurement's words live on its class (:class:`~tellapart.measure.base.Measurement`:
``more``, ``less``, ``keywords``, ``more_synonyms``, ``less_synonyms``); this module turns
them into hypothesis text. It is shared by the measurement proposer (which words its
proposals) and the measurement scorer (which words typed claims and reads them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..types import Hypothesis, other_set
from .base import MEASUREMENTS


@dataclass(frozen=True)
class MeasurementWords:
    """The words of one measurement: predicate phrases for each direction and match keywords."""

    name: str
    more: str  # "are brighter": Set X images <more> than set Y images, X higher
    less: str  # "are darker"
    keywords: tuple[str, ...] = ()
    property_names: tuple[str, ...] = ()  # "brightness": the property with no direction


@dataclass(frozen=True)
class SynonymClass:
    """Equivalent ways of saying one direction of one property, as a measurement declares them.

    ``phrases`` come from ``more_synonyms`` (``sign`` +1) or ``less_synonyms`` (-1) of
    measurement ``name``.
    """

    phrases: tuple[str, ...]
    name: str
    sign: int


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
        return MeasurementWords(name, cls.more, cls.less, tuple(cls.keywords),
                                tuple(cls.property_names))
    readable = name.replace("_", " ")
    return MeasurementWords(name, f"have higher {readable}", f"have lower {readable}", ())


def synonym_classes() -> list[SynonymClass]:
    """The synonym classes every registered measurement declares, in registry order.

    They are English, not tied to one vocabulary: the measurement scorer reads a typed
    claim with them whichever measurements it is given (see
    :meth:`tellapart.verify.measurement.MeasurementScorer`).
    """
    out = []
    for name, cls in MEASUREMENTS.items():
        for sign, phrases in ((1, cls.more_synonyms), (-1, cls.less_synonyms)):
            if phrases:
                out.append(SynonymClass(tuple(phrases), name, sign))
    return out


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
