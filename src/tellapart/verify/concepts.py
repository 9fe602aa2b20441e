"""The concepts scorer: a learned concept's detector score per image.

A claim proposed by the ``concepts`` proposer (:mod:`tellapart.propose.concepts`) names a
concept of the library the ``library`` setting names; its per-image score is the concept's
detector score (:meth:`tellapart.models.concepts.Concept.scores`), and its floor the
concept's calibrated floor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..context import DataContext
from ..models.concepts import Concept
from ..propose.concepts import concepts_of, describer
from ..types import Hypothesis
from .base import Scorer, register_scorer

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

    def _concept(self, hypothesis: Hypothesis, ctx: DataContext) -> Concept | None:
        concept_id = hypothesis.params.get("concept_id")
        return next((c for c in concepts_of(self.concepts, ctx) if c.id == concept_id), None)

    def floor_score(self, hypothesis: Hypothesis) -> float | None:
        """The concept's calibrated floor, which the proposer put in the claim's parameters."""
        floor = hypothesis.params.get("floor")
        return float(floor) if isinstance(floor, (int, float)) else None
