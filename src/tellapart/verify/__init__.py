"""Held-out verification of hypotheses, and the scorers that score them per image.

Importing this package registers the built-in scorers.
"""

from __future__ import annotations

from .base import SCORERS, Scorer, create_scorer, list_scorers, register_scorer
from .clip import ClipScorer
from .concepts import ConceptScorer
from .header import HeaderScorer
from .learned import LearnedScorer
from .measurement import MeasurementScorer
from .verifier import VerificationResult, Verifier, verify

__all__ = [
    "SCORERS",
    "ClipScorer",
    "ConceptScorer",
    "HeaderScorer",
    "LearnedScorer",
    "MeasurementScorer",
    "Scorer",
    "VerificationResult",
    "Verifier",
    "create_scorer",
    "list_scorers",
    "register_scorer",
    "verify",
]
