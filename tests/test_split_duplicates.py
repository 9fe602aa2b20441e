"""No base image the describer trains on (the "training" split) is a near-duplicate of a
held-out base image.

A near-duplicate is found by the Pearson correlation of small grey versions: every image is
area-resampled to 32 x 32 grey levels and standardised, and each training image is compared
with each held-out image of the same kind and with its left-right mirror (a mirrored copy is
as much a leak as a plain one). Photographs and lfw faces are compared within their kind: a
whole 25 px face against a whole photograph says nothing about duplication.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

import numpy as np
import pytest
from PIL import Image

from tellapart.synth import bases
from tellapart.synth.bases import BaseSampler, face_indices, photo_names
from tellapart.synth.split import (
    HELDOUT_FACES,
    HELDOUT_PHOTOS,
    TRAINING_EXCLUDED_FACES,
    TRAINING_EXCLUDED_PHOTOS,
)

THUMB_SIDE = 32

# Measured (correlation of one image with the other or its mirror, whichever is larger):
# the stereo twins motorcycle_left / motorcycle_right correlate 0.755; the largest pair of
# unrelated photographs is camera / china at 0.526 (both train), the largest unrelated
# train x held-out pair immunohistochemistry / mirrored rocket at 0.376. 0.65 lies about 0.1
# from both the twin and the closest unrelated pair.
PHOTO_THRESHOLD = 0.65

# Aligned lfw faces correlate strongly whoever they show: over all 4950 pairs of the 100
# faces the median is 0.35, the 99.9th percentile 0.805 and the largest 0.845 (faces 18 and
# 91, train x held-out, visibly two different photographs). A duplicate photograph, cut out
# by the same lfw alignment, correlates near 1 (0.98 below, noise added), so 0.92 flags
# duplicates and clears the largest unrelated pair by 0.075. Correlation cannot tell two
# different photographs of one person from two people; this catches copies, not identities.
FACE_THRESHOLD = 0.92

Key = TypeVar("Key", bound=Hashable)  # a photograph's name or a face's index
Pair = tuple[float, Hashable, Hashable]  # (correlation, training image, held-out image)


def _thumb(grey: np.ndarray) -> np.ndarray:
    """32 x 32 area-resampled (25 px faces: upsampled), standardised grey image."""
    small = Image.fromarray(grey).resize((THUMB_SIDE, THUMB_SIDE), Image.Resampling.BOX)
    arr = np.asarray(small, np.float64)
    return (arr - arr.mean()) / arr.std()


def _photo_thumb(name: str) -> np.ndarray:
    rgb = bases._load_rgb(bases.photo_sources()[name])
    return _thumb(np.asarray(rgb.convert("L")))


def _face_thumb(index: int) -> np.ndarray:
    return _thumb(bases._faces()[index])


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two standardised thumbnails, or of ``a`` and mirrored ``b``."""
    return float(max((a * b).mean(), (a * b[:, ::-1]).mean()))


def cross_pairs(
    training: Sequence[Key],
    heldout: Sequence[Key],
    thumb: Callable[[Key], np.ndarray],
) -> list[Pair]:
    """Every (training, held-out) pair with its correlation, largest first."""
    thumbs = {key: thumb(key) for key in {*training, *heldout}}
    pairs = [(_correlation(thumbs[t], thumbs[h]), t, h) for t in training for h in heldout]
    return sorted(pairs, key=lambda pair: pair[0], reverse=True)


def photo_pairs(split: str) -> list[Pair]:
    """Photographs of ``split`` against the held-out photographs."""
    return cross_pairs(photo_names(split), photo_names("heldout"), _photo_thumb)


def face_pairs(split: str) -> list[Pair]:
    """lfw faces of ``split`` against the held-out faces."""
    return cross_pairs(face_indices(split), face_indices("heldout"), _face_thumb)


def _above(pairs: list[Pair], threshold: float) -> list[Pair]:
    return [pair for pair in pairs if pair[0] > threshold]


# -- the training split holds no near-duplicate --------------------------------------------------


def test_training_photos_have_no_heldout_near_duplicate() -> None:
    pairs = photo_pairs("training")
    assert not _above(pairs, PHOTO_THRESHOLD), pairs[:3]


def test_training_faces_have_no_heldout_near_duplicate() -> None:
    pairs = face_pairs("training")
    assert not _above(pairs, FACE_THRESHOLD), pairs[:3]


# -- the detector works ------------------------------------------------------------------------


def test_detector_finds_exactly_the_excluded_photos_in_train() -> None:
    """On "train" the check finds the stereo twins, and nothing else the list leaves out."""
    pairs = photo_pairs("train")
    print("largest train x held-out photo correlations:", pairs[:4])
    found = _above(pairs, PHOTO_THRESHOLD)
    assert [(t, h) for _, t, h in found] == [("motorcycle_left", "motorcycle_right")]
    assert {t for _, t, _ in found} == TRAINING_EXCLUDED_PHOTOS
    unrelated = [pair for pair in pairs if pair not in found]
    assert unrelated[0][0] < PHOTO_THRESHOLD - 0.1  # a margin, not a coincidence


def test_detector_finds_no_face_in_train_and_flags_a_copied_face() -> None:
    pairs = face_pairs("train")
    print("largest train x held-out face correlations:", pairs[:4])
    assert not _above(pairs, FACE_THRESHOLD)
    assert not TRAINING_EXCLUDED_FACES
    # a mirrored, noisy copy of a held-out face is caught
    heldout = bases._faces()[HELDOUT_FACES[3]].astype(np.float64)
    noise = np.random.default_rng(0).normal(0.0, 6.0, heldout.shape)
    copy = np.clip(heldout[:, ::-1] * 0.9 + 12 + noise, 0, 255).astype(np.uint8)
    assert _correlation(_thumb(copy), _face_thumb(HELDOUT_FACES[3])) > FACE_THRESHOLD


# -- the samplers --------------------------------------------------------------------------------


def _sources(split: str, kind: str, n: int) -> set[str | int]:
    sampler = BaseSampler(kind, 32, split)
    rng = np.random.default_rng(0)
    return {sampler.sample(rng)[1]["source"] for _ in range(n)}


def test_training_sampler_never_draws_an_excluded_photo() -> None:
    drawn = _sources("training", "photos", 400)
    assert not drawn & (HELDOUT_PHOTOS | TRAINING_EXCLUDED_PHOTOS)
    assert drawn == set(photo_names("training"))  # every other training photo does come up


def test_training_sampler_faces_exclude_heldout() -> None:
    drawn = _sources("training", "faces", 400)
    assert not drawn & (set(HELDOUT_FACES) | TRAINING_EXCLUDED_FACES)


def test_train_and_heldout_splits_are_unchanged() -> None:
    """The benchmark suites draw from "train" and "heldout": those keep every image."""
    every = set(photo_names("all"))
    assert set(photo_names("train")) == every - HELDOUT_PHOTOS
    assert set(photo_names("heldout")) == HELDOUT_PHOTOS
    assert face_indices("train") == [i for i in range(100) if i not in HELDOUT_FACES]
    assert face_indices("heldout") == list(HELDOUT_FACES)
    assert TRAINING_EXCLUDED_PHOTOS <= _sources("train", "photos", 400)
    assert _sources("heldout", "photos", 100) == HELDOUT_PHOTOS


def test_unknown_split_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown base split"):
        BaseSampler("photos", 32, "trainig")
