"""The pixel edits tellapart can make: the synthetic suite builds tasks from them and the
verifier's counterfactual checks apply them.

Each registered difference type (:data:`DIFFERENCES`, one small class per way two image sets
can differ, see :mod:`tellapart.edits.differences`) changes one uint8 (H, W, 3) image with
``create_difference(type_id).apply(image, s, rng)``, ``s`` in [0, 1] its strength. Importing
this package registers every family (content, geometric, photometric, spatial, overlay,
degradation) and the medical domain's types (:mod:`tellapart.edits.medical`). It imports nothing above :mod:`tellapart.registry` and :mod:`tellapart.types`,
so inference may use it; the generator (:mod:`tellapart.synth`) builds on it.
"""

from __future__ import annotations

from . import content, degradations, geometric, medical, overlays, photometric, spatial  # noqa: F401
from .differences import (
    DIFFERENCES,
    FAMILIES,
    Difference,
    create_difference,
    list_differences,
    register_difference,
)

__all__ = [
    "DIFFERENCES",
    "FAMILIES",
    "Difference",
    "create_difference",
    "list_differences",
    "register_difference",
]
