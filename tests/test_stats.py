"""Unit tests of tellapart.stats against scipy/sklearn references and hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps
from sklearn.metrics import roc_auc_score

from tellapart import stats


def _brute_auroc(x: np.ndarray, y: np.ndarray) -> float:
    diff = x[:, None] - y[None, :]
    return float(((diff > 0) + 0.5 * (diff == 0)).mean())


@pytest.mark.parametrize("seed", range(5))
def test_auroc_matches_sklearn_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 6, size=17).astype(float)
    y = rng.integers(0, 5, size=23).astype(float)
    labels = np.r_[np.ones(x.size), np.zeros(y.size)]
    expected = roc_auc_score(labels, np.r_[x, y])
    assert stats.auroc(x, y) == pytest.approx(expected)
    assert stats.auroc(x, y) == pytest.approx(_brute_auroc(x, y))
    assert stats.cliffs_delta(x, y) == pytest.approx(2 * expected - 1)


def test_auroc_hand_cases() -> None:
    assert stats.auroc([3, 4], [1, 2]) == 1.0
    assert stats.auroc([1, 2], [3, 4]) == 0.0
    assert stats.auroc([1, 2, 3], [2]) == pytest.approx(0.5)  # one win, one tie, one loss
    assert stats.cliffs_delta([1, 2, 3], [2]) == pytest.approx(0.0)
    assert stats.auroc([5, 5], [5, 5, 5]) == 0.5


def test_nan_and_empty_are_refused() -> None:
    with pytest.raises(ValueError, match="NaN"):
        stats.auroc([1.0, np.nan], [0.0])
    with pytest.raises(ValueError, match="at least one"):
        stats.auroc([], [1.0])


def test_midranks_match_scipy() -> None:
    rng = np.random.default_rng(3)
    values = rng.integers(0, 7, size=50).astype(float)
    np.testing.assert_allclose(stats.midranks(values), sps.rankdata(values))


def test_delong_variance_matches_explicit_formula() -> None:
    rng = np.random.default_rng(4)
    x, y = rng.normal(0.7, 1, 15).round(1), rng.normal(0, 1, 12).round(1)
    psi = (x[:, None] > y[None, :]) + 0.5 * (x[:, None] == y[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    expected = v10.var(ddof=1) / x.size + v01.var(ddof=1) / y.size
    assert stats.delong_variance(x, y) == pytest.approx(expected)


@pytest.mark.parametrize(("shift", "n"), [(0.0, 20), (1.0, 20), (2.0, 20), (1.0, 40)])
def test_auroc_ci_coverage(shift: float, n: int) -> None:
    rng = np.random.default_rng(int(shift * 10) + n)
    true_auc = sps.norm.cdf(shift / np.sqrt(2))
    reps = 600
    hits = 0
    for _ in range(reps):
        x, y = rng.normal(shift, 1, n), rng.normal(0, 1, n)
        lo, hi = stats.auroc_ci(x, y)
        assert 0.0 <= lo <= stats.auroc(x, y) <= hi <= 1.0
        hits += lo <= true_auc <= hi
    coverage = hits / reps
    assert 0.91 <= coverage <= 0.995, coverage


def test_auroc_ci_at_perfect_separation_is_not_degenerate() -> None:
    lo, hi = stats.auroc_ci(np.arange(20) + 100.0, np.arange(20.0))
    assert 0.8 < lo < 0.99 and hi == pytest.approx(1.0, abs=1e-3)


def test_mannwhitney_p_is_scipys() -> None:
    rng = np.random.default_rng(5)
    x, y = rng.normal(0.5, 1, 30), rng.normal(0, 1, 25)
    for alt in ("greater", "less", "two-sided"):
        assert stats.mannwhitney_p(x, y, alt) == pytest.approx(  # type: ignore[arg-type]
            sps.mannwhitneyu(x, y, alternative=alt).pvalue
        )
    assert stats.mannwhitney_p([1, 1], [1, 1, 1]) == 1.0


def test_benjamini_hochberg_known_values() -> None:
    # Hand-computed: sorted 0.005, 0.01, 0.03, 0.04 -> 0.02, 0.02, 0.04, 0.04.
    np.testing.assert_allclose(
        stats.benjamini_hochberg([0.01, 0.04, 0.03, 0.005]), [0.02, 0.04, 0.04, 0.02]
    )
    # statsmodels.multipletests(method="fdr_bh") reference values.
    np.testing.assert_allclose(stats.benjamini_hochberg([0.01, 0.02, 0.03, 0.04, 0.05]), [0.05] * 5)
    np.testing.assert_allclose(
        stats.benjamini_hochberg([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205]),
        [0.008, 0.032, 0.0672, 0.0672, 0.0672, 0.08, 0.08457143, 0.205],
        rtol=1e-6,
    )
    assert stats.benjamini_hochberg([0.9, 0.95]).max() <= 1.0
    assert stats.benjamini_hochberg([]).size == 0
    with pytest.raises(ValueError):
        stats.benjamini_hochberg([0.1, np.nan])


def test_benjamini_hochberg_matches_step_up_definition() -> None:
    rng = np.random.default_rng(6)
    p = rng.uniform(0, 0.2, 30) ** 2
    q = stats.benjamini_hochberg(p)
    for alpha in (0.01, 0.05, 0.1):
        order = np.sort(p)
        passing = np.flatnonzero(order <= alpha * np.arange(1, p.size + 1) / p.size)
        k = passing.max() + 1 if passing.size else 0
        assert (q <= alpha).sum() == k


def test_spearman_matches_scipy_and_handles_nan() -> None:
    rng = np.random.default_rng(7)
    values = rng.normal(size=(40, 5))
    values[:, 1] += values[:, 0]
    values[3, 2] = np.nan
    matrix = stats.spearman_matrix(values)
    for i in range(5):
        for j in range(5):
            keep = np.isfinite(values[:, i]) & np.isfinite(values[:, j])
            expected = 1.0 if i == j else sps.spearmanr(values[keep, i], values[keep, j])[0]
            assert matrix[i, j] == pytest.approx(expected)
    assert stats.spearman(np.ones(10), np.arange(10.0)) == 0.0


def test_savage_scores() -> None:
    scores = stats.savage_scores(4)
    np.testing.assert_allclose(
        scores, [1 / 4 - 1, 1 / 4 + 1 / 3 - 1, 1 / 4 + 1 / 3 + 1 / 2 - 1, 25 / 12 - 1]
    )
    assert scores.sum() == pytest.approx(0.0)


def test_rank_max_test_is_calibrated_without_ties() -> None:
    rng = np.random.default_rng(8)
    p = np.array(
        [stats.rank_max_test(rng.normal(size=20), rng.normal(size=20)).p_value for _ in range(2000)]
    )
    assert 0.035 <= (p <= 0.05).mean() <= 0.065
    assert (p <= 0.01).mean() <= 0.017


def test_rank_max_test_is_calibrated_with_ties() -> None:
    rng = np.random.default_rng(9)
    p = np.array(
        [
            stats.rank_max_test(
                rng.integers(0, 3, 15).astype(float),
                rng.integers(0, 3, 15).astype(float),
                n_permutations=1000,
                seed=i,
            ).p_value
            for i in range(400)
        ]
    )
    assert (p <= 0.05).mean() <= 0.08


def test_rank_max_beats_mann_whitney_on_a_partial_difference() -> None:
    rng = np.random.default_rng(10)
    level, wins_max, wins_mw = 0.003, 0, 0
    for _ in range(300):
        x = rng.normal(size=20)
        x[:10] += 3.0  # half of the set differs strongly
        y = rng.normal(size=20)
        wins_max += stats.rank_max_test(x, y).p_value <= level
        wins_mw += stats.mannwhitney_p(x, y) <= level
    assert wins_max - wins_mw >= 45, (wins_max, wins_mw)


def test_rank_max_test_directions_and_constant() -> None:
    x, y = np.arange(10.0) + 5, np.arange(10.0)
    greater = stats.rank_max_test(x, y, "greater")
    less = stats.rank_max_test(x, y, "less")
    both = stats.rank_max_test(x, y, "two-sided")
    assert greater.p_value < 0.01 < 0.9 < less.p_value
    assert both.p_value == pytest.approx(min(1.0, 2 * greater.p_value))
    assert both.x_higher
    assert not stats.rank_max_test(y, x, "two-sided").x_higher
    assert stats.rank_max_test([1, 1, 1], [1, 1]).p_value == 1.0
    with pytest.raises(ValueError, match="alternative"):
        stats.rank_max_test(x, y, "up")  # type: ignore[arg-type]


def test_rank_max_asymptotic_branch_agrees_with_permutation() -> None:
    rng = np.random.default_rng(11)
    x, y = rng.normal(0.08, 1, 1200), rng.normal(0, 1, 1200)
    asym = stats.rank_max_test(x, y)
    assert asym.method == "asymptotic"
    pooled = np.r_[x, y]
    scores = stats.rank_score_columns(pooled)
    null = stats._permutation_null(scores, x.size, 4000, seed=1)
    perm_p = (1 + (null >= asym.statistic).sum()) / (1 + null.size)
    assert asym.p_value == pytest.approx(perm_p, abs=0.02)


def test_rank_z_columns_match_per_column_statistics() -> None:
    rng = np.random.default_rng(12)
    values = rng.normal(size=(30, 4))
    values[:, 3] = rng.integers(0, 4, 30)  # ties
    values[2, 1] = np.nan
    is_x = np.zeros(30, bool)
    is_x[:14] = True
    z_mw, z_up, z_down = stats.rank_z_columns(values, is_x)
    for j in range(4):
        keep = np.isfinite(values[:, j])
        col, member = values[keep, j], is_x[keep]
        u = sps.mannwhitneyu(col[member], col[~member], use_continuity=False, method="asymptotic")
        # scipy's z (tie-corrected, no continuity) from its two-sided p and U's sign.
        n1, n2 = member.sum(), (~member).sum()
        expected_sign = np.sign(u.statistic - n1 * n2 / 2)
        expected_abs = sps.norm.isf(u.pvalue / 2)
        assert z_mw[j] == pytest.approx(expected_sign * expected_abs, rel=1e-6)
        scores = stats.rank_score_columns(col)
        sav = scores[:, 1]
        var = n1 * n2 / (keep.sum() * (keep.sum() - 1)) * ((sav - sav.mean()) ** 2).sum()
        assert z_up[j] == pytest.approx((sav[member].sum() - n1 * sav.mean()) / np.sqrt(var))
    assert np.all(np.isfinite(z_down))


def test_constant_columns_rank_as_no_evidence() -> None:
    """Tie-averaged scores of a constant column differ only by rounding: never a signal."""
    from tellapart.stats import rank_z_columns

    rng = np.random.default_rng(0)
    for n in (12, 13, 20, 24, 40):
        values = np.column_stack([np.full(n, 0.0), np.full(n, 1.0), np.full(n, 0.3), rng.normal(size=n)])
        is_x = np.arange(n) < n // 2
        for z in rank_z_columns(values, is_x):
            assert (z[:3] == 0.0).all(), (n, z)


def _paired_z_by_kernels(x1: np.ndarray, y1: np.ndarray, x2: np.ndarray, y2: np.ndarray) -> float:
    # DeLong (1988) written out with the pairwise kernel psi(x, y) = [x > y] + [x == y] / 2
    def psi(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return (x[:, None] > y[None, :]) + 0.5 * (x[:, None] == y[None, :])

    k1, k2 = psi(x1, y1), psi(x2, y2)
    v10 = np.stack([k1.mean(1), k2.mean(1)])  # (2, m)
    v01 = np.stack([k1.mean(0), k2.mean(0)])  # (2, n)
    s = np.cov(v10) / x1.size + np.cov(v01) / y1.size
    return float((k1.mean() - k2.mean()) / np.sqrt(s[0, 0] + s[1, 1] - 2 * s[0, 1]))


def test_paired_auroc_z_matches_delong_kernels() -> None:
    rng = np.random.default_rng(4)
    x1, y1 = rng.normal(1.0, 1, 30), rng.normal(0, 1, 25)
    # a second score of the same images: correlated with the first, weaker, with ties
    x2, y2 = np.round(x1 + rng.normal(0, 1.5, 30)), np.round(y1 + rng.normal(0, 1.5, 25))
    z = stats.paired_auroc_z(x1, y1, x2, y2)
    assert z == pytest.approx(_paired_z_by_kernels(x1, y1, x2, y2), rel=1e-9)
    assert z > 0 and stats.auroc(x1, y1) > stats.auroc(x2, y2)
    assert stats.paired_auroc_z(x2, y2, x1, y1) == pytest.approx(-z)
    assert stats.paired_auroc_z(x1, y1, 2 * x1 + 1, 2 * y1 + 1) == 0.0  # same ranks
    assert np.isnan(stats.paired_auroc_z([1.0], [0.0, 1.0], [1.0], [0.0, 2.0]))
    with pytest.raises(ValueError, match="same images"):
        stats.paired_auroc_z(x1, y1, x2[:-1], y2)


def test_paired_auroc_z_uses_the_correlation() -> None:
    # Two nearly identical scores differ by little but very consistently: a paired test sees
    # it, two independent AUROC variances would not.
    rng = np.random.default_rng(9)
    x, y = rng.normal(0.8, 1, 200), rng.normal(0, 1, 200)
    x2, y2 = x + rng.normal(0, 0.15, 200), y + rng.normal(0, 0.15, 200)
    z = stats.paired_auroc_z(x, y, x2, y2)
    unpaired = (stats.auroc(x, y) - stats.auroc(x2, y2)) / np.sqrt(
        stats.delong_variance(x, y) + stats.delong_variance(x2, y2))
    assert abs(z) > 3 * abs(unpaired)


def test_standardized_difference() -> None:
    from tellapart.stats import standardized_difference, standardized_difference_columns

    x, y = np.array([2.0, 4.0]), np.array([0.0, 2.0])  # means 3 and 1, each variance 1
    assert standardized_difference(x, y) == pytest.approx(2.0)
    assert standardized_difference(y, x) == pytest.approx(-2.0)
    assert standardized_difference([1.0, np.nan, 1.0], [0.0, 0.0]) == np.inf  # no spread
    assert standardized_difference([0.0, 0.0], [1.0, 1.0]) == -np.inf
    assert standardized_difference([1.0, 1.0], [1.0]) == 0.0
    assert np.isnan(standardized_difference([np.nan], [1.0]))
    values = np.column_stack([np.r_[x, y], np.r_[y, x]])
    np.testing.assert_allclose(
        standardized_difference_columns(values, np.array([True, True, False, False])), [2.0, -2.0]
    )


def test_auroc_columns_equal_each_columns_auroc_with_and_without_ties() -> None:
    rng = np.random.default_rng(7)
    scores = rng.normal(size=(60, 9))
    scores[:, 1] = np.round(scores[:, 1])  # many ties
    scores[:, 2] = 0.0  # one value
    labels = rng.random((60, 9)) < 0.4
    got = stats._auroc_columns(scores, labels)
    expected = [stats.auroc(scores[labels[:, j], j], scores[~labels[:, j], j]) for j in range(9)]
    np.testing.assert_array_equal(got, expected)


def test_gaussian_kernel_is_the_median_bandwidth_kernel() -> None:
    rng = np.random.default_rng(8)
    x = rng.normal(size=(25, 4))
    x[3] = x[0]  # a repeated row: distance 0
    dist2 = ((x[:, None, :] - x[None, :, :]) ** 2).sum(axis=2)
    bandwidth2 = np.median(dist2[np.triu_indices(25, k=1)])
    np.testing.assert_allclose(stats.gaussian_kernel(x), np.exp(-dist2 / bandwidth2),
                               rtol=1e-10, atol=1e-12)
