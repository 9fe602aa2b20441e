"""The learned proposer: the describer writes sentences about how set A differs from set B.

Usage::

    tellapart compare A/ B/ --proposers learned        # with the shipped weights
    LearnedProposer(model=my_describer).propose(ctx, rows, k=8)

The proposal rows of both sets are embedded once (shared with the learned scorer through
:mod:`tellapart.models.runtime`). Candidates come from two heads of the describer: the
decoder writes free sentences with beam search, and the per-image type detector
(``Describer.type_logits``: the type classifier, or the type head without one) names the trained
differences whose per-image prevalence differs most between the sets. Every candidate is
re-ranked by how well its per-image score (:func:`tellapart.models.reading.claim_scores`, the
same the verifier uses) already separates the two sets on the proposal rows; the held-out
rows decide significance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..context import DataContext
from ..models.reading import claim_scores, learned_concept, names_one_set_twice, two_way_property
from ..models.text import parse_claim
from ..stats import auroc
from ..types import Hypothesis
from .base import Proposer, register_proposer

if TYPE_CHECKING:  # torch is imported only when a describer is actually used
    from ..models.describer import Describer


@register_proposer
class LearnedProposer(Proposer):
    """Hypotheses written by the learned describer.

    Parameters
    ----------
    model : Describer, optional
        The describer; default: the weights shipped with tellapart.
    n_candidates : int, optional
        Trained types named by the type detector before re-ranking; default ``max(3 * k, 12)``.
    n_decoder : int
        Free sentences written by the decoder (beam width too) before re-ranking.
    """

    name = "learned"
    needs_images = True

    def __init__(self, model: Describer | None = None, n_candidates: int | None = None,
                 n_decoder: int = 8) -> None:
        self.model = model
        self.n_candidates = n_candidates
        self.n_decoder = n_decoder

    def unavailable_reason(self) -> str | None:
        from ..models.shipped import ENV_VAR, default_available, describer_dir

        if self.model is None and not default_available():
            return (f"the learned proposer needs describer weights and there are none in "
                    f"{describer_dir()}; set {ENV_VAR} to a folder written by `tellapart train`, "
                    "or use --proposers measurements")
        return None

    def _get_model(self) -> Describer:
        if self.model is None:
            from ..models.weights import load_default

            self.model = load_default()
        return self.model

    def propose(self, ctx: DataContext, rows: np.ndarray, k: int) -> list[Hypothesis]:
        model = self._get_model()
        rows = np.asarray(rows, dtype=int)
        is_a = ctx.table.is_a[rows]
        if not is_a.any() or is_a.all():
            raise ValueError("the learned proposer needs proposal images from both sets")
        if k <= 0:
            return []
        from ..models.runtime import embed_for_claims

        records = [ctx.table.records[i] for i in rows]
        emb, logits = embed_for_claims(model, ctx, records)  # (len(rows), D), (len(rows), T)
        n_cand = self.n_candidates or max(3 * k, 12)
        # (sentence, log-probability, head, type id when the head knows it)
        said: list[tuple[str, float, str, str | None]] = []
        pair = None if logits is None else (logits[is_a], logits[~is_a])
        for k_type, sentence, _ in model.type_claims(emb[is_a], emb[~is_a], n=n_cand, logits=pair):
            said.append((sentence, 0.0, "type_head", model.type_ids[k_type]))
        # beam search re-runs the decoder over every prefix (no key-value cache): keep it narrow
        n_free = min(n_cand, self.n_decoder)
        said += [(s, lp, "decoder", None)
                 for s, lp in model.describe(emb[is_a], emb[~is_a], n=n_free, beam_width=n_free)]
        candidates: list[tuple[float, float, Hypothesis]] = []
        seen: set[str] = set()
        for sentence, logprob, head, type_id in said:
            claim = parse_claim(sentence)
            if claim.subject is None or names_one_set_twice(sentence):
                continue  # a claim naming no set cannot be oriented; the decoder rarely says one
            concept = (f"diff:{type_id}:{claim.subject}" if type_id is not None
                       else learned_concept(model, sentence, claim.subject))
            if concept in seen or (concept.startswith("text:")
                                   and two_way_property(model, claim.phrase) is not None):
                continue  # the image-text head cannot tell which way it goes (two_way_property)
            seen.add(concept)
            candidates.append((0.0, logprob, Hypothesis(
                description=sentence,
                concept=concept,
                more_in=claim.subject,
                proposer=self.name,
                scorer="learned",
                params={"phrase": claim.phrase, "logprob": round(float(logprob), 4), "head": head,
                        **({"type_id": type_id} if type_id is not None else {})},
            )))
        if not candidates:
            return []
        scores = claim_scores(model, emb, [h for _, _, h in candidates], logits)  # (N, C)
        ranked = []
        for j, (_, logprob, hyp) in enumerate(candidates):
            more = is_a if hyp.more_in == "A" else ~is_a
            separation = _separation(scores[more, j], scores[~more, j])
            hyp.proposal_score = separation
            ranked.append((separation, logprob, hyp))
        ranked.sort(key=lambda t: (-t[0], -t[1]))
        return [hyp for _, _, hyp in ranked[:k]]


def _separation(named: np.ndarray, other: np.ndarray) -> float:
    """AUROC of the named set's scores against the other set's; 0.5 when either is empty."""
    return auroc(named, other) if len(named) and len(other) else 0.5
