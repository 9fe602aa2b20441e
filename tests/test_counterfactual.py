"""Counterfactual checks of trained-difference claims (issue 16, part 3)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tellapart.config import resolve_settings
from tellapart.context import DataContext
from tellapart.edits import create_difference
from tellapart.io import discover, load_image
from tellapart.measure import compute_features
from tellapart.measure.in_memory import measure_images
from tellapart.pipeline import default_scorers
from tellapart.synth.bases import BaseSampler
from tellapart.types import Finding
from tellapart.verify.counterfactual import (
    NOT_NAMED,
    CounterfactualEvidence,
    StrengthResult,
    decide,
)
from tellapart.verify.joint import check_claims
from tellapart.verify.overall import collect_features
from tellapart.verify.verifier import split_folds

N = 16


def _finding(concept: str, more_in: str = "A", significant: bool = True) -> Finding:
    return Finding(rank=1, description=concept, concept=concept, more_in=more_in, auroc=0.9,
                   auroc_ci=(0.8, 1.0), p_value=0.001, q_value=0.001, significant=significant,
                   effect_size=0.8, proposer="learned", scorer="learned")


def _lower_half_brightened(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A look-alike of "upside down", written here: the lower half brighter."""
    out = image.astype(np.float32)
    out[image.shape[0] // 2:] = out[image.shape[0] // 2:] * 1.4 + 25
    return np.clip(out, 0, 255).astype(np.uint8)


def _pair(root: Path, edit) -> tuple:  # type: ignore[no-untyped-def]
    """A comparison's context, scorers, folds and overall features: set A edited."""
    from PIL import Image

    rng = np.random.default_rng(7)
    sampler = BaseSampler("mixed", size=128, split="all")
    for side in ("a", "b"):
        (root / side).mkdir(parents=True)
        for i in range(N):
            image = sampler.sample(rng)[0]
            if side == "a":
                image = edit(image, rng)
            Image.fromarray(image).save(root / side / f"{i:02d}.png")
    settings = resolve_settings(cache="", jobs=1, progress=False, min_images=8)
    sources = []
    for name in ("A", "B"):
        paths, skipped = discover(str(root / name.lower()), name)
        sources.append((name, str(root / name.lower()), paths, skipped))
    _, table, _ = compute_features(sources, settings=settings, progress=False)
    ctx = DataContext(table=table, load=load_image, settings=settings)
    scorers = default_scorers()
    return ctx, scorers, split_folds(table.is_a, settings.seed), collect_features(ctx, scorers)


@pytest.fixture(scope="module")
def grayscale_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple:  # type: ignore[type-arg]
    grayscale = create_difference("grayscale")
    return _pair(tmp_path_factory.mktemp("grayscale"),
                 lambda image, rng: grayscale.apply(image, 1.0, rng))


def test_in_memory_features_match_the_tables(grayscale_pair: tuple) -> None:  # type: ignore[type-arg]
    ctx, scorers, _, features = grayscale_pair
    rows = np.arange(4)
    images = [ctx.load(ctx.table.records[i]) for i in rows]
    np.testing.assert_allclose(measure_images(list(ctx.table.names), images),
                               ctx.table.values[rows], rtol=1e-6, equal_nan=True)
    for scorer in scorers:
        expected = scorer.image_features(ctx, rows)
        got = scorer.features_of_images(ctx, images)
        assert got.keys() == expected.keys()
        for name in expected:
            np.testing.assert_allclose(got[name], expected[name], rtol=1e-4, atol=1e-5)
    assert "describer embedding" in features.scalings


def test_a_planted_difference_is_confirmed(grayscale_pair: tuple) -> None:  # type: ignore[type-arg]
    ctx, scorers, folds, features = grayscale_pair
    result = check_claims(ctx, scorers, folds, features, [_finding("diff:grayscale:A")])[0]
    assert result.status == "confirmed", result.detail
    assert result.shift_toward is not None and result.shift_toward > 0.5


def test_a_look_alike_is_refuted(tmp_path: Path) -> None:
    ctx, scorers, folds, features = _pair(tmp_path, _lower_half_brightened)
    result = check_claims(ctx, scorers, folds, features, [_finding("diff:upside_down:A")])[0]
    assert result.status == "refuted", result.detail
    assert "upside_down" in result.detail


@pytest.mark.parametrize("concept", ["brightness_mean:higher", "text:a small logo"])
def test_claims_naming_no_difference_are_not_checked(concept: str) -> None:
    result = check_claims(None, [], np.zeros(0), None, [_finding(concept)])[0]  # type: ignore[arg-type]
    assert (result.status, result.shift_toward, result.detail) == ("not_checked", None, NOT_NAMED)


def _evidence(shift: float, ratio: float) -> CounterfactualEvidence:
    best = StrengthResult(strength=1.0, prevalence=1.0, claim_auroc=0.5, shift_toward=shift,
                          distance_ratio=ratio, all_edited_ratio=ratio, block_ratios={})
    return CounterfactualEvidence("noise", "A", "B", 24, "claim score", best, [best])


@pytest.mark.parametrize(
    ("shift", "ratio", "status", "says"),
    [
        (0.9, -0.2, "confirmed", "moved 90% of the way toward set A and became hard to tell"),
        (0.3, -0.2, "refuted", "moved 30% of the way toward set A in the overall classifier's "
                               "score, short of 60%"),
        (0.9, 0.8, "refuted", "but stayed 80% as distinguishable from it"),
    ],
)
def test_decision_says_why_in_true_words(shift: float, ratio: float, status: str,
                                         says: str) -> None:
    decision = decide(_evidence(shift, ratio))
    assert decision.status == status and says in decision.detail
    assert "-" not in decision.detail  # an unbiased distance just below 0 is never shown so
