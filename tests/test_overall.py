"""The overall two-sample test, explained shares and the "look here" images (issue 16)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from tellapart import compare, stats
from tellapart.synth import DiffSpec, make_task, write_task
from tellapart.verify.counterfactual import HeldOutClassifier
from tellapart.verify.overall import (
    RIDGE,
    explained_share,
    own_set_posterior,
    rank_normal,
    residualise,
)


def _folds(n: int) -> np.ndarray:
    return np.arange(n) % 2


@pytest.mark.parametrize("n_features", [5, 80])  # primal and dual forms
def test_ridge_predictions_match_scikit_learn_for_every_target_column(n_features: int) -> None:
    rng = np.random.default_rng(0)
    train, test = rng.normal(size=(40, n_features)), rng.normal(size=(7, n_features))
    targets = rng.normal(size=(40, 3))
    predictions = stats.ridge_predictions(train, test, targets, ridge=0.5)
    centred = train - train.mean(axis=0)
    alpha = 0.5 * float((centred ** 2).sum()) / 40
    assert predictions.shape == (7, 3)
    for column in range(3):
        expected = Ridge(alpha=alpha).fit(train, targets[:, column]).predict(test)
        np.testing.assert_allclose(predictions[:, column], expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("n_features", [5, 80])
def test_ridge_fit_predicts_as_ridge_predictions(n_features: int) -> None:
    rng = np.random.default_rng(2)
    train, test = rng.normal(size=(40, n_features)), rng.normal(size=(7, n_features))
    y = np.where(rng.random(40) < 0.5, 1.0, -1.0)
    mean, coefficients, intercept = stats.ridge_fit(train, y, ridge=1.0)
    np.testing.assert_allclose((test - mean) @ coefficients + intercept,
                               stats.ridge_predictions(train, test, y[:, None], 1.0)[:, 0],
                               rtol=1e-8, atol=1e-10)


def test_held_out_classifier_scores_rows_as_the_overall_test_does() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(size=(60, 12))
    is_named = np.arange(60) < 30
    x[is_named, 0] += 1.0
    folds = _folds(60)
    classifier = HeldOutClassifier.fit(x, is_named, folds)
    expected = stats.cross_fit_classifier_test(x, is_named, folds, ridge=RIDGE,
                                               n_permutations=0).scores
    np.testing.assert_allclose(classifier.held, expected, rtol=1e-8, atol=1e-10)
    # A table row scored as a new row gets its held-out score.
    np.testing.assert_allclose(classifier.score(x[:5], folds[:5]), expected[:5], rtol=1e-8,
                               atol=1e-10)


def test_overall_test_is_calibrated_under_the_null() -> None:
    rng = np.random.default_rng(1)
    p_values = []
    for i in range(150):
        x = rng.standard_t(df=3, size=(40, 30))  # heavy tails: the permutation test stays exact
        is_x = np.arange(40) < 20
        p_values.append(stats.cross_fit_classifier_test(
            x, is_x, _folds(40), n_permutations=199, seed=i).p_value)
    rate = float(np.mean(np.array(p_values) <= 0.05))
    assert rate <= 0.1  # 0.05 expected; 0.1 is 2.5 binomial SDs above it at 150 draws
    assert 0.35 < float(np.mean(p_values)) < 0.65


def test_overall_test_finds_a_shift_in_a_few_of_many_features() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(100, 200))
    is_x = np.arange(100) < 50
    x[is_x, :4] += 1.5
    result = stats.cross_fit_classifier_test(x, is_x, _folds(100), seed=0)
    assert result.p_value <= 0.01
    assert result.auroc > 0.7 and result.auroc_ci[0] < result.auroc < result.auroc_ci[1]
    assert 0.55 < result.critical_auroc < result.detectable_auroc < 0.8
    assert stats.mmd_permutation_test(x, is_x, seed=0) <= 0.05


def test_detectable_auroc_is_detected_about_80_percent_of_the_time() -> None:
    # one informative score: its held-out AUROC is about its true AUROC
    n, rng = 40, np.random.default_rng(3)
    is_x = np.arange(2 * n) < n
    null = stats.cross_fit_classifier_test(rng.normal(size=(2 * n, 1)), is_x, _folds(2 * n),
                                           n_permutations=999, seed=0)
    theta = null.detectable_auroc
    shift = float(np.sqrt(2) * stats.normal_quantiles(np.array([theta]))[0])  # AUROC -> mean shift
    hits = 0
    for i in range(200):
        x = rng.normal(size=(2 * n, 1))
        x[is_x] += shift
        hits += stats.cross_fit_classifier_test(x, is_x, _folds(2 * n), n_permutations=199,
                                                seed=i).p_value <= 0.05
    assert 0.68 <= hits / 200 <= 0.92


def test_block_scaling_is_robust_and_reusable_for_new_images() -> None:
    raw = np.column_stack([[1, 2, 3, 4, 5, 6, 7, 8, 1000, np.nan], np.full(10, 5.0)])
    scaling = stats.BlockScaling.fit(raw)
    assert scaling.kept.tolist() == [True, False]  # a constant column carries nothing
    values = scaling.apply(raw)
    assert values.shape == (10, 1) and np.isfinite(values).all()
    assert values[8, 0] == pytest.approx(6.0)  # the outlier is clipped
    assert values[9, 0] == 0.0  # missing -> the median
    np.testing.assert_allclose(scaling.apply(raw[:2]), values[:2])


def test_explained_share_and_residualising() -> None:
    assert explained_share(0.9, 0.9) == 1.0
    assert explained_share(0.7, 0.9) == pytest.approx(0.5)
    assert explained_share(0.95, 0.9) == 1.0  # the findings may separate better than all features
    assert explained_share(0.5, 0.5) is None
    rng = np.random.default_rng(4)
    score = rng.normal(size=(50, 1))
    features = np.hstack([2 * score + rng.normal(size=(50, 1)), rng.normal(size=(50, 2))])
    residual = residualise(features, score)
    assert abs(np.corrcoef(residual[:, 0], score[:, 0])[0, 1]) < 1e-8
    normal = rank_normal(np.array([[3.0], [1.0], [np.nan], [2.0]]))
    assert normal[2, 0] == 0.0 and normal[1, 0] < normal[3, 0] < normal[0, 0]


def _write(tmp_path: Path, diffs: list[DiffSpec], seed: int, n: int = 30) -> Path:
    task = make_task(diffs, n_per_side=n, size=64, base="mixed", seed=seed, task_id="t")
    return write_task(task, tmp_path / "task", contact_sheet=False)


def test_compare_reports_the_overall_answer_first(tmp_path: Path) -> None:
    task_dir = _write(tmp_path, [DiffSpec("darker", s=1.0, params={"factor": 0.5})], seed=0)
    report = compare(task_dir / "a", task_dir / "b", progress=False, cache="", jobs=1,
                     proposers=["measurements"], min_effect=0.999)
    overall = report.overall
    assert overall is not None and overall.differ and overall.p_value <= 0.01
    assert overall.auroc > 0.75 and overall.features == ["measurements"]
    assert overall.explained_share is not None and overall.explained_share >= 0.8
    top = report.significant[0]
    assert top.explained_share is not None and top.explained_share >= 0.8
    # The darkening explains it all: what is left separates nothing, so no image is shown.
    assert overall.unexplained_differ is False and overall.unexplained_p_value > 0.05
    assert overall.look_here == {"A": [], "B": []}
    assert top.negligible == (top.auroc < 0.999)
    data = report.to_json()
    assert list(data)[:5] == ["tellapart_version", "set_a", "set_b", "settings", "overall"]
    assert set(data["overall"]) >= {"auroc", "auroc_ci", "p_value", "differ",
                                    "detectable_auroc_at_80_power", "explained_share"}
    scores = report.image_scores
    assert scores is not None and len(scores.paths) == 60
    assert scores.columns["overall"].shape == (60,)
    in_a = np.array(scores.sets) == "A"
    assert stats.auroc(scores.columns["overall"][in_a], scores.columns["overall"][~in_a]) > 0.75


def test_null_pair_does_not_differ_and_says_what_it_could_have_found(tmp_path: Path) -> None:
    task_dir = _write(tmp_path, [], seed=5)
    report = compare(task_dir / "a", task_dir / "b", progress=False, cache="", jobs=1,
                     proposers=["measurements"])
    overall = report.overall
    assert overall is not None and not overall.differ
    assert 0.6 < overall.detectable_auroc_at_80_power < 0.85
    assert overall.explained_share is None  # nothing significant to explain


def test_overall_can_be_switched_off(tmp_path: Path) -> None:
    task_dir = _write(tmp_path, [], seed=6, n=12)
    report = compare(task_dir / "a", task_dir / "b", progress=False, cache="", jobs=1,
                     proposers=["measurements"], overall=False)
    assert report.overall is None and report.image_scores is None
    assert report.to_json()["overall"] is None


def test_look_here_posterior_prefers_the_images_that_carry_a_partial_difference() -> None:
    rng = np.random.default_rng(0)
    n = 100
    is_a = np.arange(2 * n) < n
    scores = rng.normal(size=2 * n)
    edited = np.arange(n // 2)  # half of set A carries the difference
    scores[edited] += 4.0
    posterior = own_set_posterior(scores, is_a)
    top = np.lexsort((-np.abs(scores), -posterior))[:8]
    assert set(top.tolist()) <= set(edited.tolist())
    # Set B's lowest scores sit among set A's unedited images: not confidently set B.
    lowest_b = np.flatnonzero(~is_a)[np.argsort(scores[~is_a])[:5]]
    assert posterior[lowest_b].max() < 0.9
    assert np.all((posterior >= 0.0) & (posterior <= 1.0))
