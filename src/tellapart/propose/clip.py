"""The clip proposer: zero-shot tags over a shipped concept vocabulary, ranked by prevalence.

Usage::

    tellapart compare A/ B/ --proposers clip measurements --clip-model openai/clip-vit-base-patch32

Every proposal image is tagged with the :data:`TOP_M` concepts of the vocabulary
(``tellapart/data/clip_concepts.txt``: about two thousand objects, scenes, activities, styles
and their common combinations) whose prompts its image embedding matches best; a concept's
prevalence in a set is the share of the set's proposal images tagged with it. Concepts are
ranked by how much more prevalent they are in one set than the other (ties: by the gap in
mean standardised logit), and each becomes "Set X images more often show <concept>", scored
per image by the clip scorer (:class:`tellapart.verify.clip.ClipScorer`) and tested on the
held-out images like any other claim.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from importlib import resources

import numpy as np

from ..config import Settings
from ..context import DataContext
from ..models.clip import ClipBackend, clip_prompt, image_embeddings, load_clip, unavailable_reason
from ..types import Hypothesis
from .base import Proposer, register_proposer

TOP_M = 10
"""Concepts each image is tagged with (its best-matching prompts)."""


@functools.lru_cache(maxsize=1)
def shipped_concepts() -> tuple[str, ...]:
    """The shipped vocabulary: one concept per line of ``data/clip_concepts.txt``, # lines skipped."""
    text = resources.files("tellapart").joinpath("data/clip_concepts.txt").read_text(encoding="utf-8")
    lines = (line.strip() for line in text.splitlines())
    return tuple(dict.fromkeys(line for line in lines if line and not line.startswith("#")))


@register_proposer
class ClipProposer(Proposer):
    """Concepts of a vocabulary that one set's proposal images show more often.

    Parameters
    ----------
    model_name : str, optional
        CLIP/SigLIP folder or cached Hugging Face id (``settings.clip_model``).
    backend : ClipBackend, optional
        An already loaded model; overrides ``model_name``.
    concepts : sequence of str, optional
        The vocabulary; default :func:`shipped_concepts`.
    top_m : int
        Concepts each image is tagged with.
    """

    name = "clip"
    needs_images = True

    def __init__(self, model_name: str | None = None, backend: ClipBackend | None = None,
                 concepts: Sequence[str] | None = None, top_m: int = TOP_M) -> None:
        self.model_name = backend.name if backend is not None else model_name
        self.backend = backend
        self.concepts = tuple(concepts) if concepts is not None else None
        self.top_m = top_m

    @classmethod
    def from_settings(cls, settings: Settings) -> ClipProposer:
        return cls(model_name=settings.clip_model)

    def unavailable_reason(self) -> str | None:
        if self.backend is not None:
            return None
        return unavailable_reason(self.model_name)

    def _get_backend(self) -> ClipBackend:
        if self.backend is None:
            self.backend = load_clip(str(self.model_name))
        return self.backend

    def propose(self, ctx: DataContext, rows: np.ndarray, k: int) -> list[Hypothesis]:
        rows = np.asarray(rows, dtype=int)
        is_a = ctx.table.is_a[rows]
        if k <= 0 or not is_a.any() or is_a.all():
            return []
        backend = self._get_backend()
        concepts = list(self.concepts or shipped_concepts())
        emb = image_embeddings(backend, ctx, [ctx.table.records[i] for i in rows])
        logits = backend.similarity(emb, backend.embed_texts([clip_prompt(c) for c in concepts]))
        tagged = _top_m_mask(logits, min(self.top_m, len(concepts)))  # (n, C) bool
        gap = tagged[is_a].mean(axis=0) - tagged[~is_a].mean(axis=0)  # (C,)
        z = (logits - logits.mean(axis=0)) / np.maximum(logits.std(axis=0), 1e-12)
        z_gap = z[is_a].mean(axis=0) - z[~is_a].mean(axis=0)
        order = np.lexsort((-np.abs(z_gap), -np.abs(gap)))  # by |prevalence gap|, then |z gap|
        out = []
        for j in order[:k]:
            side = "A" if gap[j] > 0 or (gap[j] == 0 and z_gap[j] > 0) else "B"
            out.append(_hypothesis(concepts[j], side, float(gap[j]), tagged, is_a, j))
        return out


def _top_m_mask(logits: np.ndarray, m: int) -> np.ndarray:
    """(n, C) bool: each row's ``m`` largest logits."""
    idx = np.argpartition(-logits, m - 1, axis=1)[:, :m]
    mask = np.zeros_like(logits, dtype=bool)
    np.put_along_axis(mask, idx, True, axis=1)
    return mask


def _hypothesis(concept: str, side: str, gap: float, tagged: np.ndarray, is_a: np.ndarray,
                j: int) -> Hypothesis:
    return Hypothesis(
        description=f"Set {side} images more often show {concept}",
        concept=f"clip:{concept.lower()}:{side}",
        more_in=side,
        proposer="clip",
        scorer="clip",
        params={"phrase": concept,
                "tagged_share_a": round(float(tagged[is_a, j].mean()), 4),
                "tagged_share_b": round(float(tagged[~is_a, j].mean()), 4)},
        proposal_score=abs(gap),
    )
