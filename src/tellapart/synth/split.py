"""The held-out split: base images, difference x base combinations and magnitudes that no
training stream may ever produce, so the ``heldout`` suite measures generalisation.

The "train" split (every base image that is not held out) is what the benchmark suites draw
from and stays fixed so their tasks never change. The describer trains on the stricter
"training" split: "train" minus the base images that are near-duplicates of a held-out one
(:data:`TRAINING_EXCLUDED_PHOTOS`, :data:`TRAINING_EXCLUDED_FACES`).

Everything here is plain data plus predicates, so the split can be tested on task *specs*
without rendering a pixel.
"""

from __future__ import annotations

HELDOUT_PHOTOS: frozenset[str] = frozenset({"rocket", "flower", "motorcycle_right"})
"""Bundled photographs that only the heldout suite crops from."""

N_FACES = 100  # lfw_subset holds 100 faces (then 100 non-face patches, unused)
HELDOUT_FACES: range = range(80, 100)
"""Indices of lfw_subset faces that only the heldout suite uses."""

# Near-duplicates measured by tests/test_split_duplicates.py: Pearson correlation of 32x32
# area-downsampled, standardised grey versions (or of one and the other's mirror image).
TRAINING_EXCLUDED_PHOTOS: frozenset[str] = frozenset(
    {
        "motorcycle_left",  # stereo twin of held-out motorcycle_right: r = 0.755
    }
)
"""Train-split photographs the describer never trains on: near-duplicates of held-out ones."""

# No face qualifies: the largest train x held-out face correlation is 0.845 (faces 18 and 91,
# two different photographs); aligned lfw faces of different people reach that routinely.
TRAINING_EXCLUDED_FACES: frozenset[int] = frozenset()
"""Indices of train-split lfw faces the describer never trains on (near-duplicates)."""

HELDOUT_KINDS: frozenset[str] = frozenset({"mosaic"})
"""Procedural base kinds that only the heldout suite generates."""

HELDOUT_COMBOS: frozenset[tuple[str, str]] = frozenset(
    {
        ("blur", "faces"),
        ("tiny_rectangles", "textures"),
        ("vignette", "smooth"),
        ("sepia", "photos"),
        ("hue_shift", "shapes"),
        ("more_objects", "deadleaves"),
        ("jpeg", "smooth"),
        ("grid", "photos"),
        ("rotated", "textures"),
        ("pixelated", "faces"),
        ("circles", "deadleaves"),
        ("darker", "textures"),
        ("frame", "faces"),
        ("noise", "smooth"),
    }
)
"""(difference id, base kind) pairs: the training streams never apply that difference
(nor use it as a distractor) on images of that base kind."""

HELDOUT_S_BANDS: tuple[tuple[float, float], ...] = ((0.40, 0.46), (0.70, 0.76))
"""Half-open intervals of the knob s reserved for the heldout suite."""

TRAIN_BASE_KINDS: tuple[str, ...] = (
    "shapes",
    "textures",
    "smooth",
    "deadleaves",
    "photos",
    "faces",
)


def is_heldout_s(s: float) -> bool:
    """True when ``s`` falls in a held-out magnitude band."""
    return any(lo <= s < hi for lo, hi in HELDOUT_S_BANDS)


def is_heldout_combo(type_id: str, base_kind: str) -> bool:
    return (type_id, base_kind) in HELDOUT_COMBOS


def is_heldout_base(kind: str, source: str | int | None = None) -> bool:
    """True when a base image of ``kind`` from ``source`` belongs to the held-out split."""
    if kind in HELDOUT_KINDS:
        return True
    if kind == "photos":
        return str(source) in HELDOUT_PHOTOS
    if kind == "faces" and source is not None:
        return int(source) in HELDOUT_FACES
    return False


def train_s_intervals() -> list[tuple[float, float]]:
    """The parts of [0, 1] training streams may draw s from (complement of the bands)."""
    out: list[tuple[float, float]] = []
    lo = 0.0
    for a, b in sorted(HELDOUT_S_BANDS):
        out.append((lo, a))
        lo = b
    out.append((lo, 1.0))
    return out
