"""The scorer plug-in kind: how much one image shows a hypothesis."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import replace
from typing import ClassVar

import numpy as np

from ..config import Settings
from ..context import DataContext, RunNotes
from ..registry import Registry
from ..types import Counterfactual, DecodedImage, Hypothesis


class Scorer(ABC):
    """Base class of scorers. A scorer only scores; the verifier computes every statistic."""

    name: ClassVar[str]
    # True: any wording is read as a claim (an image-text model scores it); the held-out test,
    # not the reading, decides whether it holds. False: only claims the scorer understands.
    open_vocabulary: ClassVar[bool] = False
    # True: this scorer's significant claims rank before every other significant finding, so
    # findings whose scores track them are grouped under them (the header scorer: how the
    # images were acquired explains the pixel statistics it moves, not the reverse).
    leads: ClassVar[bool] = False

    @classmethod
    def from_settings(cls, settings: Settings) -> Scorer:
        """The scorer a comparison with ``settings`` uses (default: built without arguments)."""
        return cls()

    def take_notes(self) -> RunNotes:
        """Warnings and cost lines gathered since the last call (default: none)."""
        return RunNotes()

    @abstractmethod
    def can_score(self, hypothesis: Hypothesis) -> bool:
        """Whether this scorer can score ``hypothesis`` per image."""

    @abstractmethod
    def score(self, hypothesis: Hypothesis, ctx: DataContext, rows: np.ndarray) -> np.ndarray:
        """(len(rows),) float: how much each image shows the claim (higher = more).

        The score is oriented to the claim's wording, not to a set: for
        "Set A images are darker ..." it is darkness.
        """

    def interpret(self, text: str) -> Hypothesis | None:
        """A scorable hypothesis for free text typed by a user, or None if this scorer cannot."""
        return None

    def refusal_reason(self, text: str) -> str | None:
        """Why this scorer will not test ``text`` although it is about something it scores.

        None (the default) when it simply does not understand the text; a sentence for the
        report when it understands it but a test could confirm the wrong claim.
        """
        return None

    def floor_score(self, hypothesis: Hypothesis) -> float | None:
        """The level this scorer floors its scores of ``hypothesis`` at, when it has one: a
        calibrated detector's "absent", which most images that do not show the claim get
        exactly; None (the default) when its scores have no such level.

        The verifier uses it only to rank (:data:`tellapart.verify.verifier.OTHER_SET_ABOVE_FLOOR`).
        """
        return None

    def image_features(self, ctx: DataContext, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Per-image features this scorer computes anyway, for the overall test
        (:mod:`tellapart.verify.overall`): block name -> (len(rows), d) float array.

        Default: none. A scorer that embeds images (the describer) offers its embeddings, so
        the overall test sees everything tellapart computes per image.
        """
        return {}

    def features_of_images(self, ctx: DataContext,
                           images: list[DecodedImage]) -> dict[str, np.ndarray]:
        """The blocks of :meth:`image_features` for images held in memory rather than rows
        of ``ctx.table`` (e.g. images edited by a counterfactual check,
        :mod:`tellapart.verify.counterfactual`): block name -> (len(images), d) float array.

        Default: none. Nothing computed here is cached: the images have no file.
        """
        return {}

    def concept_feature(self, concept: str) -> tuple[str, int] | None:
        """Where the per-image score of a claim with ``concept`` sits among the blocks of
        :meth:`image_features` and :meth:`features_of_images`: (block name, column), when it
        is one of their columns; None (the default) when it is not."""
        return None

    def check_words(self, hypothesis: Hypothesis, ctx: DataContext) -> Counterfactual | None:
        """This scorer's own counterfactual check of a significant claim's words, made before
        the findings are ranked: does what the claim names, added to the other set, make it
        look like the named set (``hypothesis.more_in``)? None (the default) when the scorer
        has no such check.

        Claims naming a trained difference are checked by editing pixels in the overall stage
        (:mod:`tellapart.verify.counterfactual`); a scorer whose claims carry their own model
        of what they change (a learned concept's shift) checks them here, and the verifier
        ranks a confirmed claim with the trained differences.
        """
        return None

    def can_score_in(self, hypothesis: Hypothesis, ctx: DataContext) -> bool:
        """Whether ``hypothesis`` can be scored on the data of ``ctx`` (default: :meth:`can_score`).

        Scorers whose ability depends on the data (a measurement column missing from
        the feature table) override this, so the claim is reported untestable instead
        of failing mid-run.
        """
        return self.can_score(hypothesis)

    def orient(self, hypothesis: Hypothesis, more_in: str) -> Hypothesis:
        """The direction-free ``hypothesis`` made directional toward ``more_in`` ("A" or "B").

        Called for typed claims that name no set, once the test has found which set
        scores higher. Scorers override it to reword the description as a full sentence.
        """
        return replace(
            hypothesis,
            more_in=more_in,
            description=f"{hypothesis.description} (more true of set {more_in})",
            concept=f"{hypothesis.concept}:{more_in}",
        )


SCORERS: Registry[Scorer] = Registry("scorer")
register_scorer = SCORERS.register


def list_scorers() -> list[str]:
    return SCORERS.list()


def create_scorer(name: str, **kwargs: object) -> Scorer:
    return SCORERS.create(name, **kwargs)
