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
def experiments() -> Iterator[ModuleType]:
    sys.path.insert(0, str(BENCH))
    try:
        import describer_experiments

        yield describer_experiments
    finally:
        sys.path.remove(str(BENCH))


def test_open_vocabulary_test_wordings_are_in_no_training_text_or_wording(experiments: Any) -> None:
    # check_fresh asserts: three per type, new to every template, not a reading wording, and
    # a bare per-image phrase. A wording added to a type later must not leak a test wording.
    experiments.check_fresh(experiments.FRESH)
    experiments.check_fresh(experiments.FRESH2)
    experiments.check_fresh(experiments.FRESH3)
    assert set(experiments.FRESH) == set(experiments.FRESH2) == set(experiments.FRESH3)


def test_unrelated_claims_are_not_wordings_or_development_claims(experiments: Any) -> None:
    from tellapart.synth.differences import DIFFERENCES

    norm = experiments._norm
    wordings = {norm(w) for t in DIFFERENCES.list() for w in DIFFERENCES.create(t).wordings}
    for claims in (experiments.UNRELATED2, experiments.UNRELATED3):
        unrelated = [norm(u) for u in claims]
        assert len(set(unrelated)) == len(unrelated) == 40
        assert not set(unrelated) & wordings
        assert not set(unrelated) & {norm(u) for u in experiments.DEV_UNRELATED}
        assert not set(unrelated) & experiments.training_texts()


def test_independent_edits_keep_size_and_name_known_types(experiments: Any) -> None:
    from tellapart.synth.differences import DIFFERENCES

    edits = [*experiments.INDEPENDENT_EDITS, *experiments._more_edits()]
    assert len(edits) == 20 and len({name for name, _, _ in edits}) == 20
    rng = np.random.default_rng(0)
    image = Image.fromarray(rng.integers(0, 256, (96, 96, 3), dtype=np.uint8))
    for name, edit, accepted in edits:
        out = edit(image.copy(), np.random.default_rng(1))
        assert out.size == image.size and out.mode == "RGB", name
        assert accepted and all(t in DIFFERENCES for t in accepted), name
