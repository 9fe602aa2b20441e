"""Simulations: false positives on pairs of sets from one distribution, and power on planted differences.

Each run is the whole verifier (measurement proposer, cross-fitting, held-out tests,
correction) on a synthetic 40 + 40 table of 35 correlated features, one group of 6
"brightness-like" columns. Printed figures are the measured rates (pytest -s to see).
"""

from __future__ import annotations

import pytest

from tellapart.verify.simulate import Planted, detection_study


@pytest.mark.slow
def test_null_calibration_500_pairs() -> None:
    result = detection_study(range(10_000, 10_500), None)
    print(
        f"\nnull: {result.any_significant}/{result.n_runs} pairs with any significant finding "
        f"= {result.any_significant_rate:.3f} ({result.seconds:.1f} s)"
    )
    # The promise is 5 %; 7 % allows Monte Carlo noise on 500 pairs (SE about 1 %).
    assert result.any_significant_rate <= 0.07


@pytest.mark.slow
def test_power_at_half_prevalence() -> None:
    result = detection_study(range(100), Planted(prevalence=0.5, shift=-3.0))
    print(
        f"\nprevalence 0.5, -3 SD: detected {result.detected}/100; runs with a false finding "
        f"{result.any_false}/100 ({result.seconds:.1f} s)"
    )
    assert result.detection_rate >= 0.9


@pytest.mark.slow
def test_power_at_full_and_quarter_prevalence() -> None:
    full = detection_study(range(100), Planted(prevalence=1.0, shift=-3.0))
    quarter = detection_study(range(100), Planted(prevalence=0.25, shift=-3.0))
    print(
        f"\nprevalence 1.0: detected {full.detected}/100; prevalence 0.25: detected "
        f"{quarter.detected}/100"
    )
    assert full.detection_rate >= 0.99
    assert quarter.detection_rate >= 0.1  # hard case (10 of 40 images): reported, not promised
