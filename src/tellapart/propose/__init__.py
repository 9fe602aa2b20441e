"""Proposers: hypotheses in words from the proposal part of the images only.

Importing this package registers the built-in proposers.
"""

from __future__ import annotations

from .base import (
    PROPOSERS,
    Proposer,
    create_proposer,
    list_proposers,
    register_proposer,
)
from .clip import ClipProposer
from .concepts import ConceptProposer
from .header import HeaderProposer
from .learned import LearnedProposer
from .measurement import MeasurementProposer
from .vlm import VlmProposer

__all__ = [
    "PROPOSERS",
    "ClipProposer",
    "ConceptProposer",
    "HeaderProposer",
    "LearnedProposer",
    "MeasurementProposer",
    "Proposer",
    "VlmProposer",
    "create_proposer",
    "list_proposers",
    "register_proposer",
]
