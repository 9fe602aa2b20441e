"""The clip scorer: how much one image shows a claim, by a pretrained CLIP or SigLIP model.

Usage::

    tellapart compare A/ B/ --proposers clip --clip-model openai/clip-vit-base-patch32
    tellapart compare A/ B/ --clip-model ./siglip --hypothesis "set A has more dogs on grass"

Off unless ``settings.clip_model`` names a model: then it scores the hypotheses of the
``clip`` and ``vlm`` proposers and any typed claim that the measurement and header scorers do
not read (it is open vocabulary and ranks after them, before the learned scorer). A claim's
per-image phrase ("dogs on grass") becomes the prompt "a photo of dogs on grass." and each
image's score is its image-text logit. The score says how much an image shows the phrase;
the held-out test, not the model, decides whether the named set shows it more.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from ..config import Settings
from ..context import DataContext, RunNotes
from ..models.clip import TOTALS, ClipBackend, clip_prompt, image_embeddings, load_clip
from ..models.text import parse_claim
from ..types import DecodedImage, Hypothesis
from .base import Scorer, register_scorer

_NEGATION_RE = re.compile(r"\b(not|never|neither|nor|no|without)\b|n't\b", re.IGNORECASE)
# Words of the claim's frame, not of what an image shows ("more often show", "contain more").
_FRAME_RE = re.compile(
    r"^(?:(?:more|less|fewer)\s+(?:often\s+)?|often\s+|tend\s+to\s+|usually\s+)*"
    r"(?:show|shows|showing|have|has|contain|contains|depict|depicts|feature|features|"
    r"are|is|include|includes)?\s*(?:more\s+|fewer\s+|less\s+)?",
    re.IGNORECASE,
)
BLOCK = "clip embedding"


def image_phrase(text: str) -> str:
    """What an image must show for ``text`` to hold of it: "Set A images more often show
    dogs on grass" -> "dogs on grass"."""
    phrase = parse_claim(text).phrase
    stripped = _FRAME_RE.sub("", phrase).strip(" ,;:.")
    return stripped or phrase


@register_scorer
class ClipScorer(Scorer):
    """Image-text logits of a CLIP/SigLIP model (``settings.clip_model``).

    Parameters
    ----------
    model_name : str, optional
        Folder or cached Hugging Face id; None: this scorer scores nothing.
    backend : ClipBackend, optional
        An already loaded model (tests, notebooks); overrides ``model_name``.
    """

    name = "clip"
    open_vocabulary = True

    def __init__(self, model_name: str | None = None, backend: ClipBackend | None = None) -> None:
        self.model_name = backend.name if backend is not None else model_name
        self.backend = backend
        self._totals_at = (TOTALS.images, TOTALS.seconds)

    @classmethod
    def from_settings(cls, settings: Settings) -> ClipScorer:
        return cls(model_name=settings.clip_model)

    def _get_backend(self) -> ClipBackend:
        if self.backend is None:
            if not self.model_name:
                raise RuntimeError("the clip scorer has no model (settings.clip_model)")
            self.backend = load_clip(self.model_name)
        return self.backend

    def available(self) -> bool:
        return bool(self.model_name)

    def can_score(self, hypothesis: Hypothesis) -> bool:
        if not self.available() or hypothesis.scorer not in (None, self.name):
            return False
        return bool(str(hypothesis.params.get("phrase") or hypothesis.description).strip())

    def score(self, hypothesis: Hypothesis, ctx: DataContext, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=int)
        if len(rows) == 0:
            return np.zeros(0, dtype=np.float64)
        backend = self._get_backend()
        emb = image_embeddings(backend, ctx, [ctx.table.records[i] for i in rows])
        return self._logits(backend, emb, hypothesis)

    @staticmethod
    def _logits(backend: ClipBackend, emb: np.ndarray, hypothesis: Hypothesis) -> np.ndarray:
        phrase = str(hypothesis.params.get("phrase") or image_phrase(hypothesis.description))
        text = backend.embed_texts([clip_prompt(phrase)])
        return backend.similarity(emb, text)[:, 0]

    def image_features(self, ctx: DataContext, rows: np.ndarray) -> dict[str, np.ndarray]:
        """The images' CLIP embeddings, for the overall test, when the clip proposer runs."""
        if not self._in_use(ctx):
            return {}
        records = [ctx.table.records[i] for i in np.asarray(rows, dtype=int)]
        return {BLOCK: image_embeddings(self._get_backend(), ctx, records).astype(np.float64)}

    def features_of_images(self, ctx: DataContext,
                           images: list[DecodedImage]) -> dict[str, np.ndarray]:
        """:meth:`image_features` of in-memory images (not cached: they have no file)."""
        if not self._in_use(ctx) or not images:
            return {}
        emb = self._get_backend().embed_images([im.rgb for im in images])
        return {BLOCK: emb.astype(np.float64)}

    def _in_use(self, ctx: DataContext) -> bool:
        return self.available() and "clip" in ctx.settings.proposers

    def interpret(self, text: str) -> Hypothesis | None:
        """Any non-negated claim; ``more_in`` is the set it names first, if any."""
        text = " ".join(text.split())
        if not text or not self.available() or _NEGATION_RE.search(text):
            return None  # a similarity cannot express "not X"
        claim = parse_claim(text)
        phrase = image_phrase(text)
        return Hypothesis(description=text, concept=f"clip:{phrase.lower()}", more_in=claim.subject,
                          proposer="user", scorer=self.name, params={"phrase": phrase}, user=True)

    def orient(self, hypothesis: Hypothesis, more_in: str) -> Hypothesis:
        phrase = hypothesis.params.get("phrase") or hypothesis.description
        concept = hypothesis.concept
        if concept.endswith((":A", ":B")):  # a proposal restated the way the held-out images lean
            concept = concept[:-2]
        return replace(hypothesis, more_in=more_in,
                       description=f"Set {more_in} images more often show {phrase}",
                       concept=f"{concept}:{more_in}")

    def take_notes(self) -> RunNotes:
        """How many images the model encoded since the last call, and how long it took."""
        images = TOTALS.images - self._totals_at[0]
        seconds = TOTALS.seconds - self._totals_at[1]
        self._totals_at = (TOTALS.images, TOTALS.seconds)
        if not self.available() or images == 0:
            return RunNotes()
        return RunNotes(cost={"clip": f"{images} images embedded, {seconds:.1f} s ({self.model_name})"})
