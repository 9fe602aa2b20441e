"""The concepts proposer: learned concepts (:mod:`tellapart.models.concepts`) whose detector
scores differ between the sets on the proposal rows.

Each usable concept of the library the ``library`` setting names is scored on the proposal
rows; it is proposed toward the set that scores higher, ranked by the Mann-Whitney z of its
scores (what the held-out test weighs). The ``concepts`` scorer
(:mod:`tellapart.verify.concepts`) scores it on held-out images, in the same
multiple-testing family as every other claim.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .. import stats
from ..context import DataContext
from ..models.concepts import Concept
from ..types import Hypothesis
from .base import Proposer, register_proposer

if TYPE_CHECKING:
    from ..models.describer import Describer

CONCEPT_PREFIX = "concept:"


def concept_hypothesis(concept: Concept, more_in: str, proposal_score: float = 0.0,
                       proposer: str = "concepts") -> Hypothesis:
    """The claim that set ``more_in``'s images show ``concept`` more."""
    return Hypothesis(
        description=concept.sentence(more_in),
        concept=f"{CONCEPT_PREFIX}{concept.id}:{more_in}",
        more_in=more_in,
        proposer=proposer,
        scorer="concepts",
        params={"concept_id": concept.id, "floor": concept.floor},
        proposal_score=proposal_score,
    )


@register_proposer
class ConceptProposer(Proposer):
    """Propose learned concepts whose scores differ between the sets.

    Parameters
    ----------
    concepts : list of Concept, optional
        Default: the usable concepts of the library ``ctx.settings.library`` names
        (:func:`tellapart.models.concept_library.usable_concepts`).
    model : Describer, optional
        The describer whose embeddings the detectors read; default: the shipped one.
    """

    name = "concepts"
    needs_images = True  # the describer's embeddings of the images

    def __init__(self, concepts: Sequence[Concept] | None = None,
                 model: Describer | None = None) -> None:
        self.concepts = list(concepts) if concepts is not None else None
        self.model = model

    def propose(self, ctx: DataContext, rows: np.ndarray, k: int) -> list[Hypothesis]:
        """Up to ``k`` concept claims from ``ctx.table`` rows ``rows``, strongest first."""
        from ..models.concepts import concept_score_columns

        concepts = concepts_of(self.concepts, ctx)
        rows = np.asarray(rows, dtype=np.int64)
        if not concepts or rows.size == 0 or k <= 0:
            return []
        is_a = ctx.table.is_a[rows]
        if is_a.all() or not is_a.any():
            raise ValueError("the proposal rows must hold images of both sets")
        scores = concept_score_columns(concepts, ctx, rows, describer(self.model))
        z_mw, _, _ = stats.rank_z_columns(scores, is_a)
        claims = [concept_hypothesis(c, "A" if z >= 0 else "B", abs(float(z)))
                  for c, z in zip(concepts, np.nan_to_num(z_mw), strict=True)]
        claims.sort(key=lambda h: -h.proposal_score)
        return claims[:k]


def concepts_of(given: Sequence[Concept] | None, ctx: DataContext) -> list[Concept]:
    """``given``, else the usable concepts of the library ``ctx.settings.library`` names."""
    if given is not None:
        return list(given)
    from ..models.concept_library import usable_concepts

    return usable_concepts(ctx.settings.library)[0]


def describer(model: Describer | None) -> Describer:
    """``model``, else the shipped describer."""
    if model is not None:
        return model
    from ..models.weights import load_default

    return load_default()
