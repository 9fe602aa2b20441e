"""The learned scorer: how much one image shows a claim, by the describer.

Usage::

    scorer = LearnedScorer()                      # shipped weights, loaded on first use
    hyp = scorer.interpret("Set A images have a small logo in the corner")
    scorer.score(hyp, ctx, rows)                  # (len(rows),) logits, higher = shows it more

Any wording works: the claim's per-image phrase ("have a small logo in the corner") is
embedded by frozen MiniLM and compared with each image's projected embedding, so
hypotheses the decoder wrote and sentences a user typed are scored alike. A sentence the
describer was trained on, or a wording it reads as one of its trained differences
(:func:`tellapart.models.reading.read_as_trained`), is scored by its per-image type detector
instead (``Describer.type_logits``, trained on dense labels), see
:func:`tellapart.models.reading.claim_scores`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from ..context import DataContext
from ..models.reading import (
    LOCATIONS,
    claim_scores,
    concept_and_reading,
    two_way_property,
    type_floor_logits,
    type_sentence,
)
from ..models.shipped import default_available
from ..models.text import parse_claim
from ..types import DecodedImage, Hypothesis, ImageRecord
from .base import Scorer, register_scorer

if TYPE_CHECKING:  # torch is imported only when a describer is actually used
    from ..models.describer import Describer

_NEGATION_RE = re.compile(r"\b(not|never|neither|nor)\b|n't\b", re.IGNORECASE)


@register_scorer
class LearnedScorer(Scorer):
    """How much one image shows a hypothesis, by the describer.

    A sentence the describer was trained on is scored by its type detector (one logit per
    trained difference); any other wording by image-text similarity of its per-image phrase.

    Parameters
    ----------
    model : Describer, optional
        The describer; default: the weights shipped with tellapart. Without shipped
        weights and without ``model`` this scorer scores nothing (``can_score`` is False).
    """

    name = "learned"
    open_vocabulary = True

    def __init__(self, model: Describer | None = None) -> None:
        self.model = model

    def available(self) -> bool:
        return self.model is not None or default_available()

    def _get_model(self) -> Describer:
        if self.model is None:
            from ..models.weights import load_default

            self.model = load_default()
        return self.model

    def can_score(self, hypothesis: Hypothesis) -> bool:
        if not self.available() or hypothesis.scorer not in (None, self.name):
            return False
        return bool(hypothesis.description.strip())

    def score(self, hypothesis: Hypothesis, ctx: DataContext, rows: np.ndarray) -> np.ndarray:
        from ..models.runtime import embed_for_claims

        model = self._get_model()
        rows = np.asarray(rows, dtype=int)
        if len(rows) == 0:
            return np.zeros(0, dtype=np.float64)
        by_type_head = model.type_index(hypothesis.params.get("type_id") or hypothesis.concept)
        records = [ctx.table.records[i] for i in rows]
        place = hypothesis.params.get("location")
        if by_type_head is not None and isinstance(place, str) and place in LOCATIONS:
            return self._score_located(model, ctx, records, by_type_head, place)
        emb, logits = embed_for_claims(model, ctx, records, type_logits=by_type_head is not None)
        return claim_scores(model, emb, [hypothesis], logits)[:, 0]

    def image_features(self, ctx: DataContext, rows: np.ndarray) -> dict[str, np.ndarray]:
        """The describer's whole-image embeddings and its per-image type detectors (pooled
        over views), when the describer runs in this comparison (the learned proposer is on)."""
        if "learned" not in ctx.settings.proposers or not self.available():
            return {}
        from ..models.runtime import embed_for_claims

        model = self._get_model()
        records = [ctx.table.records[i] for i in np.asarray(rows, dtype=int)]
        emb, logits = embed_for_claims(model, ctx, records)
        blocks = {"describer embedding": np.asarray(emb, dtype=np.float64)}
        if logits is not None:
            blocks["describer detectors"] = np.asarray(logits, dtype=np.float64)
        return blocks

    def features_of_images(self, ctx: DataContext,
                           images: list[DecodedImage]) -> dict[str, np.ndarray]:
        """:meth:`image_features`' blocks for in-memory images: the same views
        (:func:`tellapart.models.runtime.image_views`, quarters as ``ctx.settings.quarter_views``
        says), the whole view's embedding and the view-pooled type detectors; the embedding
        cache (keyed by file content) is neither read nor written."""
        if "learned" not in ctx.settings.proposers or not self.available():
            return {}
        from ..models.runtime import image_views, pooled_type_logits

        model = self._get_model()
        size, quarters = model.config.image_size, bool(ctx.settings.quarter_views)
        if not images:
            return {}
        views = [image_views(image.rgb, size, quarters) for image in images]
        emb = model.embed(np.concatenate(views))  # (sum of views, D)
        per_image = np.split(emb, np.cumsum([len(v) for v in views])[:-1])
        blocks = {"describer embedding": np.stack([v[0] for v in per_image]).astype(np.float64)}
        if model.type_head is not None:
            blocks["describer detectors"] = np.asarray(pooled_type_logits(model, per_image),
                                                       dtype=np.float64)
        return blocks

    def concept_feature(self, concept: str) -> tuple[str, int] | None:
        """A trained difference's detector: its column of the "describer detectors" block
        (the type logit before the floor that :meth:`score` applies)."""
        if not self.available():
            return None
        k = self._get_model().type_index(concept) if concept.startswith("diff:") else None
        return None if k is None else ("describer detectors", k)

    @staticmethod
    def _score_located(model: Describer, ctx: DataContext, records: list[ImageRecord],
                       k: int, place: str) -> np.ndarray:
        """A located claim's scores: type ``k``'s logit on crops of ``place``'s corners, floored."""
        from ..models.runtime import located_type_logits

        logits = located_type_logits(model, ctx, records, k, LOCATIONS[place])
        return np.maximum(logits.astype(np.float64), float(type_floor_logits(model)[k]))

    def floor_score(self, hypothesis: Hypothesis) -> float | None:
        """The floor of the type logit that scores a trained-difference claim
        (:func:`tellapart.models.reading.type_floor_logits`); None for the image-text head."""
        model = self._get_model()
        k = model.type_index(hypothesis.params.get("type_id") or hypothesis.concept)
        return None if k is None else float(type_floor_logits(model)[k])

    def interpret(self, text: str) -> Hypothesis | None:
        """Any non-negated claim; ``more_in`` is the set it names first ("set A"/"set B")."""
        text = " ".join(text.split())
        if not text or not self.available() or _NEGATION_RE.search(text):
            return None  # a similarity score cannot express "not X"
        claim = parse_claim(text)
        concept, reading = concept_and_reading(self._get_model(), text, claim.subject,
                                               located=True)
        if concept.startswith("text:") and self.refusal_reason(text) is not None:
            return None
        params: dict[str, object] = {"phrase": claim.phrase}
        if reading is not None:  # say in the report which trained difference was tested
            params.update(read_as=reading.type_id, read_as_similarity=reading.similarity,
                          read_as_nearest=reading.nearest)
            if reading.direction is not None:
                params["read_as_direction"] = reading.direction
            if reading.location is not None:  # scored on the views of that place only
                params.update(location=reading.location, type_id=reading.type_id)
        return Hypothesis(
            description=text,
            concept=concept,
            more_in=claim.subject,
            proposer="user",
            scorer=self.name,
            params=params,
            user=True,
        )

    def refusal_reason(self, text: str) -> str | None:
        """Set when ``text`` is about a property that changes two ways (darker/brighter,
        warmer/cooler, ...) and is neither a trained sentence nor read as one.

        The image-text head scores such a wording for the property in either direction, so
        a held-out test could confirm it on a set that shows the opposite
        (:func:`tellapart.models.reading.two_way_property`).
        """
        text = " ".join(text.split())
        if not text or not self.available() or _NEGATION_RE.search(text):
            return None
        model = self._get_model()
        if model.concept_of(text) is not None:
            return None
        two_way = two_way_property(model, parse_claim(text).phrase)
        if two_way is None:
            return None
        type_id, opposite = two_way
        return (f"it is about a property that can change two ways ({type_id} / {opposite}) "
                "and the learned scorer's image-text head does not tell the directions apart; "
                f"type {type_sentence(model, type_id)!r} or {type_sentence(model, opposite)!r} instead")

