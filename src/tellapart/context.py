"""What proposers and scorers may look at: the neutral ground both stages share.

``DataContext`` lives outside :mod:`tellapart.propose` and :mod:`tellapart.verify` so that
either stage, and :mod:`tellapart.models`, can take one without importing the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .config import Settings
from .types import DecodedImage, FeatureTable, ImageRecord


@dataclass
class DataContext:
    """What proposers and scorers may look at.

    ``table`` holds every usable image of both sets; a proposer is handed the row
    indices of the proposal part and must not look at other rows.
    """

    table: FeatureTable
    load: Callable[[ImageRecord], DecodedImage]
    settings: Settings
