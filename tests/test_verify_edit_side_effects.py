"""A measurement finding that tellapart's edit of a confirmed difference makes is listed under
that difference, not as a difference of its own."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tellapart import compare
from tellapart.report.terminal import finding_cell
from tellapart.stats import BlockScaling
from tellapart.synth import DiffSpec, make_task, write_task
from tellapart.verify.counterfactual import (
    CounterfactualEvidence,
    StrengthResult,
    reproduced_shares,
)
from tellapart.verify.overall import MEASUREMENTS_BLOCK, OverallFeatures


def _evidence(edited: np.ndarray, prevalence: float) -> CounterfactualEvidence:
    best = StrengthResult(strength=1.0, prevalence=prevalence, claim_auroc=0.5, shift_toward=1.0,
                          distance_ratio=0.1, all_edited_ratio=0.1)
    arrays = {"other_rows": np.arange(40, 80), "named_rows": np.arange(40),
              "edited_features": edited[None]}
    return CounterfactualEvidence("vignette", "A", "B", 40, "claim score", best, [best],
                                  arrays=arrays)


def test_reproduced_share_is_what_the_edit_moves_of_each_columns_gap() -> None:
    rng = np.random.default_rng(0)
    # column 0 differs between the sets (A higher), column 1 does not
    values = np.column_stack([np.r_[rng.normal(2, 1, 40), rng.normal(0, 1, 40)], rng.normal(0, 1, 80)])
    features = OverallFeatures(values, {MEASUREMENTS_BLOCK: BlockScaling.fit(values)})
    columns = {"moved": 0, "flat": 1}
    like_a = np.column_stack([rng.normal(2, 1, 40), values[40:, 1]])
    shares = reproduced_shares(_evidence(like_a, 1.0), features, columns)
    assert set(shares) == {"moved"}  # nothing to reproduce in a column that does not differ
    assert shares["moved"] > 0.8
    assert reproduced_shares(_evidence(like_a, 0.5), features, columns)["moved"] == \
        0.5 * shares["moved"]  # half the images edited: half of it
    assert abs(reproduced_shares(_evidence(values[40:], 1.0), features, columns)["moved"]) < 1e-12
    away = np.column_stack([values[40:, 0] - 2, values[40:, 1]])
    assert reproduced_shares(_evidence(away, 1.0), features, columns)["moved"] < 0


def test_demo_vignette_is_one_difference_with_its_measured_side_effect_under_it(tmp_path: Path) -> None:
    # the demo's sets: set A's photos vignetted in 60% of images. The describer's "darkened
    # corners" and the vignetting measurement both prove it; the edit makes the measured one,
    # so the report lists one difference, not two
    task = make_task([DiffSpec("vignette", s=0.9, prevalence=0.6)], n_per_side=40, size=128,
                     base="photos", seed=0, task_id="demo")
    task_dir = write_task(task, tmp_path, contact_sheet=False)
    report = compare(task_dir / "a", task_dir / "b", progress=False, cache="", jobs=1)
    top = report.findings[0]
    assert top.concept == "diff:vignette:A" and top.counterfactual.status == "confirmed"
    assert not [f for f in report.findings if f.concept.startswith("vignetting:")]
    made = [r for r in top.related if r["concept"].startswith("vignetting:")]
    assert made and made[0]["side_effect"] and made[0]["made_by_edit"] >= 0.5
    # the terminal names it too: a significant difference is never only in the HTML and JSON
    assert f"side effects listed under it: {made[0]['description']}" in finding_cell(top)
    assert report.image_scores is not None
    named = [k for k in report.image_scores.columns if k.startswith("finding_")]
    assert named == [f"finding_{f.rank}:{f.concept}" for f in report.findings]
