"""The held-out wording sets and independent edits of benchmarks/ stay held out and usable."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from PIL import Image

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def bench_path() -> Iterator[None]:
    sys.path.insert(0, str(BENCH))
    try:
        yield
    finally:
        sys.path.remove(str(BENCH))


@pytest.fixture(scope="module")
def experiments(bench_path: None) -> ModuleType:
    """The held-out wording sets of the describer scripts."""
    import describer_common

    return describer_common


@pytest.fixture(scope="module")
def edits(bench_path: None) -> ModuleType:
    """The independent edits of ``describer_edits.py independent``."""
    import describer_edits

    return describer_edits


def test_open_vocabulary_test_wordings_are_in_no_training_text_or_wording(experiments: Any) -> None:
    # check_fresh asserts: three per type, new to every template, not a reading wording, and
    # a bare per-image phrase. A wording added to a type later must not leak a test wording.
    experiments.check_fresh(experiments.FRESH)
    experiments.check_fresh(experiments.FRESH2)
    experiments.check_fresh(experiments.FRESH3)
    experiments.check_fresh(experiments.FRESH4)
    assert (set(experiments.FRESH) == set(experiments.FRESH2) == set(experiments.FRESH3)
            == set(experiments.FRESH4))


def test_unrelated_claims_are_not_wordings_or_development_claims(experiments: Any) -> None:
    from tellapart.edits.differences import DIFFERENCES

    norm = experiments.norm
    wordings = {norm(w) for t in DIFFERENCES.list() for w in DIFFERENCES.create(t).wordings}
    for claims in (experiments.UNRELATED2, experiments.UNRELATED3, experiments.UNRELATED4):
        unrelated = [norm(u) for u in claims]
        assert len(set(unrelated)) == len(unrelated) == 40
        assert not set(unrelated) & wordings
        assert not set(unrelated) & {norm(u) for u in experiments.DEV_UNRELATED}
        assert not set(unrelated) & experiments.training_texts()


def test_independent_edits_keep_size_and_name_known_types(edits: Any) -> None:
    from tellapart.edits.differences import DIFFERENCES

    edit_set = edits.edit_sets("all")
    assert len(edit_set) == 20 and len({name for name, _, _ in edit_set}) == 20
    assert len(edits.edit_sets("third")) == 16
    rng = np.random.default_rng(0)
    image = Image.fromarray(rng.integers(0, 256, (96, 96, 3), dtype=np.uint8))
    for name, edit, accepted in edit_set:
        out = edit(image.copy(), np.random.default_rng(1))
        assert out.size == image.size and out.mode == "RGB", name
        assert accepted and all(t in DIFFERENCES for t in accepted), name
