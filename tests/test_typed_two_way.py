"""Typed claims that name a property without a direction are tested both ways; negated claims
are refused with a reason (issue 18, item 1)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tellapart import compare
from tellapart.verify.measurement import NEGATION_REASON, MeasurementScorer


@pytest.mark.parametrize(("text", "measurement"), [
    ("The brightness differs", "brightness_mean"),
    ("brightness differs between the two sets", "brightness_mean"),
    ("contrast", "contrast_std"),
    ("Set A and set B differ in their noise level", "noise_level"),
    ("the colour temperature is different", "warm_cast"),
])
def test_a_property_without_direction_is_read_two_sided(text: str, measurement: str) -> None:
    hyp = MeasurementScorer().interpret(text)
    assert hyp is not None and hyp.more_in is None  # the held-out data pick the direction
    assert hyp.params["measurement"] == measurement and hyp.params["sign"] == 1


@pytest.mark.parametrize("text", ["Set A images are darker", "Set B has more contrast",
                                  "Set A images are brighter than set B images"])
def test_claims_with_a_direction_keep_it(text: str) -> None:
    hyp = MeasurementScorer().interpret(text)
    assert hyp is not None and hyp.more_in in ("A", "B")


def test_a_negated_claim_is_refused_with_a_reason() -> None:
    scorer = MeasurementScorer()
    assert scorer.interpret("Set A images are not darker") is None
    assert scorer.refusal_reason("Set A images are not darker") == NEGATION_REASON
    assert scorer.refusal_reason("Set A images aren't blurrier") == NEGATION_REASON
    assert scorer.refusal_reason("Set A images are darker") is None


def _darker_a(root: Path, n: int = 16) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    for side in ("a", "b"):
        (root / side).mkdir()
        for i in range(n):
            img = rng.integers(40, 220, (64, 64, 3)).astype(np.float32)
            if side == "a":
                img *= 0.6
            Image.fromarray(img.astype(np.uint8)).save(root / side / f"{i}.png")
    return root / "a", root / "b"


def test_two_way_and_negated_claims_end_to_end(tmp_path: Path) -> None:
    a, b = _darker_a(tmp_path)
    report = compare(a, b, proposers=["measurements"], cache="", progress=False, jobs=1,
                     hypotheses=["The brightness differs", "Set A images are not darker"])
    typed = [f for f in report.findings if f.user]
    assert len(typed) == 1
    assert typed[0].significant and typed[0].more_in == "B" and not typed[0].contradicted
    assert typed[0].description.startswith("Set B images are brighter than set A images")
    assert report.untestable_hypotheses == ["Set A images are not darker"]
    assert any("it is negated" in w for w in report.warnings)
