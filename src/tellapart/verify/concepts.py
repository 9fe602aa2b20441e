"""The concepts scorer: a learned concept's detector score per image, and the check of a
concept claim's words.

A claim proposed by the ``concepts`` proposer (:mod:`tellapart.propose.concepts`) names a
concept of the library the ``library`` setting names; its per-image score is the concept's
detector score (:meth:`tellapart.models.concepts.Concept.scores`), and its floor the
concept's calibrated floor.

A significant concept claim is checked before the findings are ranked
(:meth:`ConceptScorer.check_words`, :func:`presence_evidence`): a concept's detector was
fitted on one comparison's images, so it also responds to differences it never saw. What the
concept did to its learning images' features, added to the other set's images, must bring
them within :data:`MAX_PRESENCE_RATIO` of their distance to the named set. A confirmed concept
then ranks with the trained differences, by held-out AUROC; a refuted one follows a trained
difference it is not significantly stronger than (:func:`tellapart.verify.verifier._specificity`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .. import stats
from ..context import DataContext
from ..models.concepts import Concept
from ..propose.concepts import concepts_of, describer
from ..types import Counterfactual, Hypothesis
from .base import Scorer, register_scorer
from .counterfactual import (
    MeanDistances,
    matching_prevalence,
    mixture_distance_ratio,
    shown_ratio,
)

if TYPE_CHECKING:
    from ..models.describer import Describer


@register_scorer
class ConceptScorer(Scorer):
    """Score claims about learned concepts with each concept's own detector.

    Parameters
    ----------
    concepts, model
        As :class:`tellapart.propose.concepts.ConceptProposer`'s.
    """

    name = "concepts"

    def __init__(self, concepts: Sequence[Concept] | None = None,
                 model: Describer | None = None) -> None:
        self.concepts = list(concepts) if concepts is not None else None
        self.model = model

    def can_score(self, hypothesis: Hypothesis) -> bool:
        return hypothesis.scorer == self.name and "concept_id" in hypothesis.params

    def can_score_in(self, hypothesis: Hypothesis, ctx: DataContext) -> bool:
        """Only concepts of this comparison's library that its describer can score."""
        return self.can_score(hypothesis) and self._concept(hypothesis, ctx) is not None

    def score(self, hypothesis: Hypothesis, ctx: DataContext, rows: np.ndarray) -> np.ndarray:
        from ..models.concepts import concept_score_columns

        concept = self._concept(hypothesis, ctx)
        if concept is None:
            raise KeyError(f"concept {hypothesis.params.get('concept_id')!r} is not in this "
                           f"comparison's library")
        return concept_score_columns([concept], ctx, rows, describer(self.model))[:, 0]

    def check_words(self, hypothesis: Hypothesis, ctx: DataContext) -> Counterfactual | None:
        """The presence check (:func:`presence_evidence`) of a concept claim on every image of
        the comparison, decided by :func:`decide_presence`; None for a concept that keeps no
        training rows or a claim naming no set."""
        from ..models.concepts import laid_out_for, raw_blocks

        concept = self._concept(hypothesis, ctx)
        if concept is None or concept.training is None or hypothesis.more_in not in ("A", "B"):
            return None
        is_named = ctx.table.is_a if hypothesis.more_in == "A" else ~ctx.table.is_a
        raw = laid_out_for(concept, raw_blocks(ctx, np.arange(is_named.size), describer(self.model)),
                           ctx.table.names)
        evidence = presence_evidence(concept, {k: v[is_named] for k, v in raw.items()},
                                     {k: v[~is_named] for k, v in raw.items()})
        return decide_presence(evidence, hypothesis.more_in, int((~is_named).sum()))

    def _concept(self, hypothesis: Hypothesis, ctx: DataContext) -> Concept | None:
        concept_id = hypothesis.params.get("concept_id")
        return next((c for c in concepts_of(self.concepts, ctx) if c.id == concept_id), None)

    def floor_score(self, hypothesis: Hypothesis) -> float | None:
        """The concept's calibrated floor, which the proposer put in the claim's parameters."""
        floor = hypothesis.params.get("floor")
        return float(floor) if isinstance(floor, (int, float)) else None


@dataclass
class PresenceEvidence:
    """Does adding what a concept did in its learning comparison turn one set into the other?

    Attributes
    ----------
    strength : float
        The multiple of the concept's learned shift that was added.
    prevalence : float
        The share of the other set's images given that shift that makes their concept scores
        match the named set's (AUROC 0.5; 1 when even all fall short).
    distance_ratio : float
        Energy distance from that mixture to the named set over the other set's own, in the
        concept's scaled features: 0 when the shift makes the other set indistinguishable
        from the named one, 1 when it brings it no closer.
    shift_toward : float
        How far that mixture's mean concept score moved from the other set's toward the named
        set's, as a share of the way (1 = all of it).
    """

    strength: float
    prevalence: float
    distance_ratio: float
    shift_toward: float


def presence_evidence(concept: Concept, named: dict[str, np.ndarray],
                      other: dict[str, np.ndarray], strength: float = 1.0) -> PresenceEvidence:
    """The counterfactual check of a concept claim, in feature space: the concept's learned
    shift (:meth:`~tellapart.models.concepts.Concept.learned_shift`), times ``strength``, is
    added to the other set's scaled features, the share of shifted images matched on the
    concept's score, and the mixture's energy distance to the named set compared with the
    other set's (:func:`~tellapart.verify.counterfactual.mixture_distance_ratio`).

    A concept whose images are in the named set moves the other set onto it. A concept whose
    detector merely responds to another difference (a "polka dots" detector to brightened
    images) moves the detector's score but not the rest of the features, and the mixture
    stays about as far from the named set as before.

    Parameters
    ----------
    concept : Concept
        With its training rows.
    named, other : dict
        Raw blocks of the named set's and the other set's images, laid out for the concept
        (:func:`~tellapart.models.concepts.laid_out_for`).
    strength : float
        The multiple of the learned shift to add (the check uses 1: trying smaller and larger
        multiples too cost development tasks, ``benchmarks/concept_presence_dev.py``).
    """
    x_named, x_other = concept.features(named), concept.features(other)
    shift, weights = float(strength) * concept.learned_shift(), concept.coefficients()
    named_scores, other_scores = x_named @ weights, x_other @ weights
    shifted = x_other + shift[None, :]
    prevalence = matching_prevalence(stats.auroc(named_scores, other_scores),
                                     stats.auroc(named_scores, shifted @ weights))
    ratio = mixture_distance_ratio(shifted, x_other, x_named, prevalence, MeanDistances())
    gap = float(named_scores.mean() - other_scores.mean())
    moved = prevalence * float(shift @ weights)
    return PresenceEvidence(float(strength), prevalence, ratio,
                            moved / gap if gap != 0 else float("nan"))


MAX_PRESENCE_RATIO = 0.42
"""A concept claim is confirmed when its learned shift brings the other set within this share
of its (energy) distance to the named set (:func:`presence_evidence`). Chosen on development
draws only (``benchmarks/concept_presence_dev.py``; BENCHMARKS.md, "Learned concepts")."""


def decide_presence(evidence: PresenceEvidence, named: str, n_other: int) -> Counterfactual:
    """Confirmed when the shifted mixture is within :data:`MAX_PRESENCE_RATIO` of the other
    set's distance to the named set; refuted otherwise (the concept's detector responds to
    something else here)."""
    other = "B" if named == "A" else "A"
    share = "" if evidence.prevalence >= 1.0 else f", {evidence.prevalence:.0%} of them"
    what = (f"what the concept changed in the images it was learned from, added to the "
            f"{n_other} set {other} images{share}")
    if evidence.distance_ratio <= MAX_PRESENCE_RATIO:
        return Counterfactual("confirmed", evidence.shift_toward,
                              f"{what}, made them hard to tell from set {named}")
    return Counterfactual(
        "refuted", evidence.shift_toward,
        f"{what}, left them {shown_ratio(evidence.distance_ratio)} as distinguishable from set "
        f"{named}: the concept's detector responds to something else here")
