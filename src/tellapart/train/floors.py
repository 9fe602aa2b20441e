"""Per-type floors of the describer's type detector, calibrated on images that lack the type.

A floor is how high a type's logit goes on images without that type: the verifier only
counts an image as showing the type above it. Both the joint training
(:mod:`tellapart.train.trainer`) and the type stage (:mod:`tellapart.train.type_stage`)
calibrate floors at their end, so the function lives here, imported by both (neither
imports the other).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .curriculum import LEVELS, Level

if TYPE_CHECKING:
    from ..models.describer import Describer
    from .data import TaskSampler


def calibrate_type_floor(model: Describer, sampler: TaskSampler, n_images: int = 2000,
                         quantile: float = 0.95, seed: int = 0,
                         level: Level = LEVELS[-1]) -> list[float]:
    """Per type, the ``quantile`` of its type-head logit over images that lack that type.

    The images are ``sampler.labelled_images`` at ``level`` (the hardest): each has one random
    other difference or none, so a floor says how far the detector strays on everything
    else. Types never absent in the draw keep -inf (no floor).

    Parameters
    ----------
    model : Describer
        A describer with a type head (or classifier): ``model.type_logits`` is used.
    sampler : TaskSampler
        Draws the labelled images (the validation sampler in training).
    n_images : int
        Images drawn.
    quantile : float
        Quantile of the negatives' logits taken as the floor.
    seed : int
        Seeds the draw (with a fixed tag, so floors do not share draws with training).
    level : Level
        The strengths the images are drawn at: the curriculum's last level.

    Returns
    -------
    list of float
        One floor per type, in ``model``'s type order.
    """
    rng = np.random.default_rng([seed, 5151])
    images, labels = sampler.labelled_images(n_images, level, rng)
    logits = model.type_logits(model.embed(images))  # (N, T)
    floors = []
    for k in range(logits.shape[1]):
        negative = logits[labels[:, k] < 0.5, k]
        floors.append(float(np.quantile(negative, quantile)) if len(negative) else float("-inf"))
    return floors
