"""Medical bases, medical differences and the medical suites; the general suites are untouched."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np
import pytest

from tellapart.edits.differences import DIFFERENCES, create_difference, luma
from tellapart.measure import create_measurement
from tellapart.synth import SUITES, suite_specs
from tellapart.synth.bases import MEDICAL_KINDS, BaseSampler, parse_base
from tellapart.synth.suites import sampled_types, stream_task_specs
from tellapart.types import DecodedImage, ImageRecord

SIZE = 64
CHECK_SIZE = 128  # the suites' size: at 64 px a 1-px wire and a 2-px rib look alike
MEDICAL_IDS = [t for t in DIFFERENCES.list() if DIFFERENCES.get(t).domain == "medical"]


def _base(kind: str, seed: int = 3, size: int = SIZE) -> np.ndarray:
    return BaseSampler(kind, size).sample(np.random.default_rng(seed), allow_flip=False)[0]


MEDICAL_IMAGES: dict[str, np.ndarray] = {kind: _base(kind, size=CHECK_SIZE) for kind in MEDICAL_KINDS}


def _measure(name: str, image: np.ndarray) -> float:
    record = ImageRecord("x.png", "A", "0", 1, image.shape[1], image.shape[0], "PNG", "RGB", 8)
    return create_measurement(name).compute(DecodedImage(record, image.astype(np.float32) / 255.0))


def _rises(name: str) -> Callable[[np.ndarray, np.ndarray], None]:
    """A check that measurement ``name`` is higher after the edit."""

    def check(x: np.ndarray, y: np.ndarray) -> None:
        assert _measure(name, y) > _measure(name, x), (name, _measure(name, x), _measure(name, y))

    return check


def _inverted(x: np.ndarray, y: np.ndarray) -> None:
    assert np.array_equal(y, 255 - x)


def _bluer_centre(x: np.ndarray, y: np.ndarray) -> None:
    c = slice(x.shape[0] // 3, x.shape[0] - x.shape[0] // 3)
    before = x[c, c].astype(float)
    after = y[c, c].astype(float)
    assert (after[..., 2] - after[..., 0]).mean() > (before[..., 2] - before[..., 0]).mean() + 10


# (image name, params or None, check(before, after)), as in test_synth_differences.CHECKS
MEDICAL_CHECKS: dict[str, tuple[str, dict | None, Callable[[np.ndarray, np.ndarray], None]]] = {
    "wires_tubes": ("chest", None, _rises("thin_bright_lines")),
    "burned_in_text": ("chest", None, _rises("corner_annotation")),
    "laterality_marker": ("chest", None, _rises("corner_annotation")),
    "collimation": ("chest", None, _rises("shutter_border")),
    "inverted_grayscale": ("chest", None, _inverted),
    "ap_magnification": ("chest", None, _rises("central_bright_area")),
    "window_level": ("brain", None, _rises("clipped_fraction")),
    "enlarged_ventricles": ("brain", None, _rises("central_dark_area")),
    "larger_lesion": ("dermoscopy", None, _rises("central_dark_area")),
    "lesion_color": ("dermoscopy", None, _bluer_centre),
    "irregular_border": ("dermoscopy", None, _rises("outline_irregularity")),
    "cell_density": ("microscopy", None, _rises("small_dark_spots")),
}


def test_every_medical_type_has_a_check_and_base_kinds() -> None:
    assert set(MEDICAL_CHECKS) == set(MEDICAL_IDS)
    for tid in MEDICAL_IDS:
        kinds = DIFFERENCES.get(tid).base_kinds
        assert kinds and set(kinds) <= set(MEDICAL_KINDS), tid


@pytest.mark.parametrize("kind", MEDICAL_KINDS)
def test_medical_bases_vary_and_are_deterministic(kind: str) -> None:
    a, b = _base(kind, 1), _base(kind, 2)
    assert a.shape == (SIZE, SIZE, 3) and a.dtype == np.uint8
    assert np.array_equal(a, _base(kind, 1)) and not np.array_equal(a, b)
    assert luma(a).std() > 10  # structure, not a flat field


def test_medical_base_string_mixes_only_medical_kinds() -> None:
    assert set(parse_base("medical").kinds) == set(MEDICAL_KINDS)
    assert not set(parse_base("mixed").kinds) & set(MEDICAL_KINDS)
    assert set(MEDICAL_KINDS) <= set(parse_base("medical", "train").kinds)


def test_medical_types_are_never_drawn_for_the_general_suites_or_training() -> None:
    general = sampled_types()
    assert not set(general) & set(MEDICAL_IDS)
    assert set(sampled_types("medical")) == set(MEDICAL_IDS)
    for spec in stream_task_specs(0, n_tasks=200):
        assert not {d.type_id for d in spec.differences + spec.distractors} & set(MEDICAL_IDS)
    from tellapart.train.data import TaskSampler

    assert not set(TaskSampler(32, pool_size=1).type_ids) & set(MEDICAL_IDS)


# sha256 of the repr of every task spec of the five general suites: adding medical bases and
# differences must leave them byte-identical (the shipped describer's figures are made on them).
GENERAL_SUITES_SHA256 = "a82fff6d216fc359b7dde18f47896648e87dc15dcb88fc4b0b9437a37dbb8b1e"


def test_general_suite_specs_are_unchanged() -> None:
    digest = hashlib.sha256()
    for name in ("easy", "medium", "hard", "null", "heldout"):
        for spec in suite_specs(name):
            digest.update(repr(spec).encode())
    assert digest.hexdigest() == GENERAL_SUITES_SHA256


@pytest.mark.parametrize("name", ["medical", "medical-null"])
def test_medical_suites_follow_their_definition(name: str) -> None:
    assert SUITES[name].domain == "medical"
    specs = list(suite_specs(name))
    assert len(specs) == SUITES[name].n_tasks
    for spec in specs:
        kinds = spec.base_kinds()
        assert len(kinds) == 1 and kinds[0] in MEDICAL_KINDS
        for d in spec.differences + spec.distractors:
            assert DIFFERENCES.get(d.type_id).domain == "medical"
            assert kinds[0] in DIFFERENCES.get(d.type_id).base_kinds
        if name == "medical":
            (d,) = spec.differences
            assert d.prevalence >= 0.5 and 0.5 <= d.s <= 1.0 and not spec.distractors
        else:
            assert spec.differences == [] and len(spec.distractors) <= 1
    if name == "medical":
        assert {d.type_id for s in specs for d in s.differences} == set(MEDICAL_IDS)


def test_medical_task_renders() -> None:
    spec = next(iter(suite_specs("medical", n_tasks=1, n_per_side=3, size=32)))
    task = spec.render()
    assert len(task.images_a) == len(task.images_b) == 3
    assert task.truth["differences"][0]["type_id"] in MEDICAL_IDS


@pytest.mark.parametrize("type_id", MEDICAL_IDS)
def test_medical_difference_at_full_strength_on_its_base(type_id: str) -> None:
    image_name, params, check = MEDICAL_CHECKS[type_id]
    x = MEDICAL_IMAGES[image_name]
    y = create_difference(type_id).apply(x, 1.0, np.random.default_rng(7), params)
    assert y.dtype == np.uint8 and y.shape == x.shape
    check(x, y)
