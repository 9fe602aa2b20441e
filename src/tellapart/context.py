"""What proposers and scorers may look at: the neutral ground both stages share.

``DataContext`` lives outside :mod:`tellapart.propose` and :mod:`tellapart.verify` so that
either stage, and :mod:`tellapart.models`, can take one without importing the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

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


@dataclass
class RunNotes:
    """What a proposer or scorer tells the report about one comparison.

    Attributes
    ----------
    warnings : list of str
        Problems it worked around (a request that failed, an answer it could not read);
        the run went on without what they would have given.
    cost : dict
        Backend name -> one line of what it cost ("312 requests, 41 s"), written into the
        report's settings under ``cost``.
    """

    warnings: list[str] = field(default_factory=list)
    cost: dict[str, str] = field(default_factory=dict)
