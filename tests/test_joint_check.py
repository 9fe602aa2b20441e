"""Counterfactual checks of several claims together (tellapart.verify.joint)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tellapart.config import resolve_settings
from tellapart.context import DataContext
from tellapart.edits import create_difference
from tellapart.io import discover, load_image
from tellapart.measure import compute_features
from tellapart.pipeline import default_scorers
from tellapart.synth.bases import BaseSampler
from tellapart.types import Finding
from tellapart.verify.counterfactual import (
    counterfactual_evidence,
    decide,
    mixture_distance_ratio,
    mixture_energy,
)
from tellapart.verify.joint import EditedMixtures, check_claims, decide_mixtures
from tellapart.verify.overall import collect_features
from tellapart.verify.verifier import split_folds

N = 24


def _finding(concept: str, rank: int, more_in: str = "A") -> Finding:
    return Finding(rank=rank, description=concept, concept=concept, more_in=more_in, auroc=0.9,
                   auroc_ci=(0.8, 1.0), p_value=0.001, q_value=0.001, significant=True,
                   effect_size=0.8, proposer="learned", scorer="learned")


def test_mixture_energy_is_unbiased_and_mixes_exactly() -> None:
    rng = np.random.default_rng(0)
    named, other = rng.normal(size=(30, 4)), rng.normal(loc=1.0, size=(30, 4))
    assert mixture_distance_ratio(named, other, named, 0.0) == pytest.approx(1.0)
    # Half edited into the named set: the mixture is closer, not yet there.
    assert 0.0 < mixture_distance_ratio(named, other, named, 0.5) < 1.0
    # Samples of the named set's own distribution sit at distance 0 on average; leaving the
    # pairs of an image with itself in would put small samples a positive distance away.
    same = [mixture_energy([(1.0, rng.normal(size=(12, 4)))], rng.normal(size=(40, 4)))
            for _ in range(400)]
    spread = np.std(same) / np.sqrt(len(same))
    assert abs(np.mean(same)) < 3 * spread
    def every_pair(x: np.ndarray, y: np.ndarray, _same_images: bool) -> float:
        return float(np.linalg.norm(x[:, None, :] - y[None, :, :], axis=-1).mean())

    biased = [mixture_energy([(1.0, a)], b, every_pair)
              for a, b in ((rng.normal(size=(12, 4)), rng.normal(size=(40, 4)))
                           for _ in range(400))]
    assert np.mean(biased) > 10 * spread


@pytest.fixture(scope="module")
def two_differences(tmp_path_factory: pytest.TempPathFactory) -> tuple:  # type: ignore[type-arg]
    return two_difference_pair(tmp_path_factory.mktemp("two"))


def two_difference_pair(root: Path) -> tuple:  # type: ignore[type-arg]
    """Set A: base images with a grid overlaid and a sepia tone; set B: plain."""
    grid, sepia = create_difference("grid"), create_difference("sepia")
    rng = np.random.default_rng(3)
    sampler = BaseSampler("mixed", size=128, split="all")
    for side in ("a", "b"):
        (root / side).mkdir()
        for i in range(N):
            image = sampler.sample(rng)[0]
            if side == "a":
                image = sepia.apply(grid.apply(image, 0.8, rng), 0.8, rng)
            Image.fromarray(image).save(root / side / f"{i:02d}.png")
    settings = resolve_settings(cache="", jobs=1, progress=False, min_images=8)
    sources = []
    for name in ("A", "B"):
        paths, skipped = discover(str(root / name.lower()), name)
        sources.append((name, str(Path(root) / name.lower()), paths, skipped))
    _, table, _ = compute_features(sources, settings=settings, progress=False)
    ctx = DataContext(table=table, load=load_image, settings=settings)
    scorers = default_scorers()
    return ctx, scorers, split_folds(table.is_a, settings.seed), collect_features(ctx, scorers)


def test_two_true_claims_are_confirmed_together(two_differences: tuple) -> None:  # type: ignore[type-arg]
    ctx, scorers, folds, features = two_differences
    findings = [_finding("diff:grid:A", 1), _finding("diff:sepia:A", 2),
                _finding("diff:upside_down:A", 3), _finding("brightness_mean:higher", 4)]
    results = check_claims(ctx, scorers, folds, features, findings)
    assert [r.status for r in results] == ["confirmed", "confirmed", "refuted", "not_checked"], \
        [r.detail for r in results]
    assert "upside_down" in results[2].detail


def test_one_claim_alone_is_decided_as_its_own_check(two_differences: tuple) -> None:  # type: ignore[type-arg]
    ctx, scorers, folds, features = two_differences
    evidence = counterfactual_evidence(ctx, scorers, folds, features, _finding("diff:grid:A", 1))
    assert evidence is not None
    mixtures = EditedMixtures(ctx, scorers, folds, features, [evidence])
    assert decide_mixtures(mixtures) == [decide(evidence)]
    # The mixture with the claim applied is the claim's own best strength and prevalence.
    energy, _ = mixtures.mixture([0])
    base, _ = mixtures.mixture([])
    assert energy / base == pytest.approx(evidence.best.distance_ratio, rel=1e-6)


def test_claims_naming_different_sets_are_not_mixed(two_differences: tuple) -> None:  # type: ignore[type-arg]
    ctx, scorers, folds, features = two_differences
    a = counterfactual_evidence(ctx, scorers, folds, features, _finding("diff:grid:A", 1))
    b = counterfactual_evidence(ctx, scorers, folds, features, _finding("diff:grid:B", 2, "B"))
    assert a is not None and b is not None
    with pytest.raises(ValueError, match="name one set"):
        EditedMixtures(ctx, scorers, folds, features, [a, b])
