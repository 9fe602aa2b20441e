"""Pure statistics of held-out verification: AUROC, its confidence interval, rank tests, FDR.

Conventions: ``x`` holds the scores of the set predicted to score higher, ``y`` the
other set's. Every function takes plain arrays without NaN (the verifier drops NaN
scores and counts them before calling here) and is deterministic given its ``seed``.

The held-out test (:func:`rank_max_test`) is a permutation test of the larger of two
standardised linear rank statistics:

* Mann-Whitney (Wilcoxon rank-sum) scores, the most powerful rank test when the whole
  of set X is shifted;
* Savage (log-rank, exponential) scores for the upper tail, which weigh the highest
  ranks most and so keep power when only part of set X differs (a mixture: "half of set
  A's images are much darker"). With 20 + 20 held-out images, half of X shifted by 3 SD
  is detected at the 0.3 % level about 7 times in 10 with Savage scores against 4 in 10
  with Mann-Whitney alone, while a whole-set shift loses only a few points of power.

Taking the maximum costs little because both statistics are strongly correlated
under the null, and the permutation distribution of the maximum makes the p-value
exact (up to Monte Carlo error) whatever the scores' distribution and ties.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist
from typing import Literal

import numpy as np
from scipy import stats as sps

Alternative = Literal["greater", "less", "two-sided"]

DEFAULT_PERMUTATIONS = 20_000
# Above this many pooled scores the permutation null is replaced by its normal limit.
MAX_PERMUTATION_N = 400
_PERM_CHUNK = 2_000


def _as_1d(values: np.ndarray | list[float], name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64).ravel()
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN; drop missing scores before testing")
    return arr


def _check_pair(
    x: np.ndarray | list[float], y: np.ndarray | list[float]
) -> tuple[np.ndarray, np.ndarray]:
    xa, ya = _as_1d(x, "x"), _as_1d(y, "y")
    if xa.size == 0 or ya.size == 0:
        raise ValueError(f"both samples need at least one score (got {xa.size} and {ya.size})")
    return xa, ya


def midranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n of a 1-D array, ties sharing their average rank (as ``scipy.stats.rankdata``).

    A plain NumPy version: the verifier ranks thousands of short vectors per run.
    """
    vals = np.asarray(values, dtype=np.float64).ravel()
    n = vals.size
    order = np.argsort(vals, kind="stable")
    sorted_vals = vals[order]
    boundaries = np.flatnonzero(sorted_vals[1:] != sorted_vals[:-1]) + 1
    starts = np.concatenate([[0], boundaries])
    ends = np.concatenate([boundaries, [n]])
    average = (starts + ends + 1) / 2.0  # mean of ranks starts+1 .. ends
    ranks = np.empty(n)
    ranks[order] = np.repeat(average, ends - starts)
    return ranks


def auroc(x: np.ndarray | list[float], y: np.ndarray | list[float]) -> float:
    """Area under the ROC curve for telling ``x`` (positives) from ``y``.

    Equals P(X > Y) + 0.5 P(X = Y) for one random score of each sample, i.e.
    ``U_x / (n_x n_y)`` of the Mann-Whitney test.

    Parameters
    ----------
    x, y : array_like
        Scores of the set predicted to score higher, and of the other set.

    Returns
    -------
    float
        In [0, 1]; 0.5 when the samples do not differ in rank.
    """
    xa, ya = _check_pair(x, y)
    ranks = midranks(np.concatenate([xa, ya]))
    u_x = ranks[: xa.size].sum() - xa.size * (xa.size + 1) / 2.0
    return float(u_x / (xa.size * ya.size))


def cliffs_delta(x: np.ndarray | list[float], y: np.ndarray | list[float]) -> float:
    """Cliff's delta, P(X > Y) - P(X < Y), in [-1, 1]; equal to ``2 * auroc(x, y) - 1``."""
    return 2.0 * auroc(x, y) - 1.0


def standardized_difference(x: np.ndarray | list[float], y: np.ndarray | list[float]) -> float:
    """Cohen's d: (mean x - mean y) / pooled standard deviation, NaNs left out.

    Ranks say *whether* two samples separate; this says *how far* apart they are, which is
    what tells two perfectly separating statistics apart (both have AUROC 1). A pooled
    deviation of 0 gives +inf or -inf for any difference of means, 0 for none.

    Parameters
    ----------
    x, y : array_like
        Scores of the set predicted to score higher, and of the other set.

    Returns
    -------
    float
        Positive when ``x`` is higher on average; NaN when a sample has no finite value.
    """
    xa = np.asarray(x, dtype=np.float64).ravel()
    ya = np.asarray(y, dtype=np.float64).ravel()
    xa, ya = xa[np.isfinite(xa)], ya[np.isfinite(ya)]
    if xa.size == 0 or ya.size == 0:
        return float("nan")
    gap = float(xa.mean() - ya.mean())
    pooled = float(np.sqrt(0.5 * (xa.var() + ya.var())))
    if pooled > 0:
        return gap / pooled
    return 0.0 if gap == 0 else float(np.copysign(np.inf, gap))


def standardized_difference_columns(values: np.ndarray, is_x: np.ndarray) -> np.ndarray:
    """(m,) :func:`standardized_difference` of set X over set Y for each column of (n, m) ``values``."""
    vals = np.asarray(values, dtype=np.float64)
    is_x = np.asarray(is_x, dtype=bool)
    return np.array([standardized_difference(vals[is_x, j], vals[~is_x, j])
                     for j in range(vals.shape[1])], dtype=np.float64)


def delong_variance(x: np.ndarray | list[float], y: np.ndarray | list[float]) -> float:
    """DeLong's (1988) estimate of the variance of :func:`auroc` (ties count one half)."""
    xa, ya = _check_pair(x, y)
    if xa.size < 2 or ya.size < 2:
        return float("nan")
    v10, v01 = _placements(xa, ya)
    return float(v10.var(ddof=1) / xa.size + v01.var(ddof=1) / ya.size)


def _placements(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # DeLong's placement values: how each score of one sample ranks against the other sample.
    pooled = midranks(np.concatenate([x, y]))
    v10 = (pooled[: x.size] - midranks(x)) / y.size
    v01 = 1.0 - (pooled[x.size :] - midranks(y)) / x.size
    return v10, v01


def paired_auroc_z(
    x1: np.ndarray | list[float], y1: np.ndarray | list[float],
    x2: np.ndarray | list[float], y2: np.ndarray | list[float],
) -> float:
    """DeLong's (1988) z statistic of ``auroc(x1, y1) - auroc(x2, y2)`` on the same images.

    Two scores of the same images: ``x1[i]`` and ``x2[i]`` belong to one image of the set
    predicted to score higher, ``y1[j]`` and ``y2[j]`` to one image of the other set. The
    variance of the difference uses the covariance of the two AUROCs' placement values, so
    two strongly correlated scores can differ significantly by a small margin.

    Returns
    -------
    float
        z; positive when the first AUROC is the larger. 0 when the difference is exactly
        zero, +-inf when it is non-zero with zero variance, NaN with fewer than 2 images in
        either set.
    """
    xa1, ya1 = _check_pair(x1, y1)
    xa2, ya2 = _check_pair(x2, y2)
    if xa1.size != xa2.size or ya1.size != ya2.size:
        raise ValueError("paired AUROCs need scores of the same images in the same order")
    if xa1.size < 2 or ya1.size < 2:
        return float("nan")
    p10, p01 = _placements(xa1, ya1)
    q10, q01 = _placements(xa2, ya2)
    diff = float(p10.mean() - q10.mean())  # = auroc(x1, y1) - auroc(x2, y2)
    variance = float((p10 - q10).var(ddof=1) / xa1.size + (p01 - q01).var(ddof=1) / ya1.size)
    if variance <= 0.0:
        return 0.0 if diff == 0.0 else float(np.copysign(np.inf, diff))
    return diff / float(np.sqrt(variance))


def hanley_mcneil_variance(area: float, n_x: int, n_y: int) -> float:
    """Hanley & McNeil's (1982) variance of an AUROC of ``area`` from ``n_x`` and ``n_y`` scores."""
    q1 = area / (2.0 - area)
    q2 = 2.0 * area * area / (1.0 + area)
    return float(
        (area * (1 - area) + (n_x - 1) * (q1 - area**2) + (n_y - 1) * (q2 - area**2)) / (n_x * n_y)
    )


def auroc_ci(
    x: np.ndarray | list[float], y: np.ndarray | list[float], level: float = 0.95
) -> tuple[float, float]:
    """Confidence interval of :func:`auroc`: a Wilson score interval with DeLong's precision.

    The AUROC is treated like a proportion observed on an *effective* number of
    independent pairs, ``n_eff = A (1 - A) / Var(A)`` with DeLong's variance, and
    given Wilson's score interval for that proportion. Unlike the plain normal
    interval this stays inside [0, 1] and does not collapse at perfect separation:
    there DeLong's variance is zero, so ``n_eff`` is taken from Hanley-McNeil's
    variance in the limit ``A -> 1`` (about ``2 n_x n_y / (n_y + 1)``), which gives
    20 + 20 perfectly separated scores a lower bound near 0.91.

    Parameters
    ----------
    x, y : array_like
        Scores of the set predicted to score higher, and of the other set.
    level : float
        Coverage, in (0, 1).

    Returns
    -------
    (float, float)
        Lower and upper bound, within [0, 1], containing the point estimate.
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    xa, ya = _check_pair(x, y)
    n_x, n_y = xa.size, ya.size
    area = auroc(xa, ya)
    if n_x < 2 or n_y < 2:
        return (0.0, 1.0)
    variance = delong_variance(xa, ya)
    spread = area * (1.0 - area)
    if spread > 0 and variance > 0:
        n_eff = spread / variance
    else:
        # Boundary (or all pairs tied): Hanley-McNeil's variance just inside the boundary.
        near = 1.0 - 0.5 / (n_x * n_y)
        n_eff = near * (1.0 - near) / hanley_mcneil_variance(near, n_x, n_y)
    n_eff = float(np.clip(n_eff, 1.0, n_x * n_y))
    z = NormalDist().inv_cdf(0.5 + level / 2.0)
    denom = 1.0 + z * z / n_eff
    centre = (area + z * z / (2.0 * n_eff)) / denom
    half = z * np.sqrt(spread / n_eff + z * z / (4.0 * n_eff * n_eff)) / denom
    lo, hi = max(0.0, centre - half), min(1.0, centre + half)
    return (float(min(lo, area)), float(max(hi, area)))


def mannwhitney_p(
    x: np.ndarray | list[float], y: np.ndarray | list[float], alternative: Alternative = "greater"
) -> float:
    """Mann-Whitney U test p-value that ``x`` tends to exceed ``y`` (scipy's implementation).

    Exact for small samples without ties, otherwise the normal approximation with tie
    and continuity correction. A constant pooled sample gives 1.
    """
    xa, ya = _check_pair(x, y)
    if np.ptp(np.concatenate([xa, ya])) == 0:
        return 1.0
    return float(sps.mannwhitneyu(xa, ya, alternative=alternative).pvalue)


def benjamini_hochberg(p_values: np.ndarray | list[float]) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values) of one family of tests.

    ``q_(i) = min_{j >= i} min(1, m p_(j) / j)`` for p-values sorted ascending;
    rejecting ``q <= alpha`` is the BH step-up procedure at FDR level ``alpha``.
    """
    p = np.asarray(p_values, dtype=np.float64).ravel()
    if p.size == 0:
        return p.copy()
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ValueError("p-values must be in [0, 1] and not NaN")
    order = np.argsort(p, kind="stable")
    m = p.size
    scaled = p[order] * m / np.arange(1, m + 1)
    q_sorted = np.minimum.accumulate(scaled[::-1])[::-1]
    q = np.empty(m)
    q[order] = np.minimum(q_sorted, 1.0)
    return q


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman correlation of two score vectors over the rows where both are finite.

    0.0 when fewer than three such rows remain or either is constant there (no
    evidence of association, rather than NaN that would poison comparisons).
    """
    aa, bb = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if aa.shape != bb.shape:
        raise ValueError(f"score vectors differ in length: {aa.shape} vs {bb.shape}")
    keep = np.isfinite(aa) & np.isfinite(bb)
    if keep.sum() < 3:
        return 0.0
    ra, rb = midranks(aa[keep]), midranks(bb[keep])
    if np.ptp(ra) == 0 or np.ptp(rb) == 0:
        return 0.0
    return float(np.corrcoef(ra, rb)[0, 1])


def spearman_matrix(values: np.ndarray) -> np.ndarray:
    """(M, M) Spearman correlations of the columns of ``values`` (N, M), NaN-aware.

    Columns without NaN are handled in one vectorised step; any pair involving a
    column with NaN falls back to :func:`spearman` on the rows both have.
    """
    vals = np.asarray(values, dtype=np.float64)
    m = vals.shape[1]
    has_nan = ~np.isfinite(vals).all(axis=0)
    ranks = sps.rankdata(vals, axis=0)
    centred = ranks - ranks.mean(axis=0)
    norms = np.sqrt((centred**2).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = (centred.T @ centred) / np.outer(norms, norms)
    corr[~np.isfinite(corr)] = 0.0
    for i in np.flatnonzero(has_nan):
        for j in range(m):
            corr[i, j] = corr[j, i] = spearman(vals[:, i], vals[:, j]) if i != j else 1.0
    np.fill_diagonal(corr, 1.0)
    return corr


# ---------------------------------------------------------------------------------------
# Rank-max test: max(Mann-Whitney z, Savage upper-tail z), permutation null.
# ---------------------------------------------------------------------------------------


def savage_scores(n: int) -> np.ndarray:
    """Savage (exponential) scores of ascending ranks 1..n: ``sum_{k=n-r+1}^{n} 1/k - 1``.

    They sum to zero; the highest rank scores ``H_n - 1`` and the lowest ``1/n - 1``, so
    the statistic is driven by which sample owns the top of the pooled ranking.
    """
    if n < 1:
        raise ValueError("n must be positive")
    return np.cumsum(1.0 / np.arange(n, 0, -1)) - 1.0


def _tie_averaged(scores_by_rank: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per-observation scores, averaging ``scores_by_rank`` over each group of tied values."""
    order = np.argsort(values, kind="stable")
    sorted_vals = values[order]
    per_sorted = scores_by_rank.copy()
    boundaries = np.flatnonzero(np.diff(sorted_vals) != 0) + 1
    starts = np.concatenate([[0], boundaries])
    ends = np.concatenate([boundaries, [values.size]])
    if starts.size < values.size:  # at least one tie
        sums = np.add.reduceat(per_sorted, starts)
        per_sorted = np.repeat(sums / (ends - starts), ends - starts)
    out = np.empty_like(per_sorted)
    out[order] = per_sorted
    return out


def rank_score_columns(pooled: np.ndarray) -> np.ndarray:
    """(n, 2) score vectors of the pooled sample: Mann-Whitney (mid-ranks), Savage (upper tail)."""
    n = pooled.size
    mid_ranks = midranks(pooled)
    savage = _tie_averaged(savage_scores(n), pooled)
    return np.column_stack([mid_ranks, savage])


def _standardised(sums: np.ndarray, scores: np.ndarray, n_x: int) -> np.ndarray:
    """z of linear rank statistics ``sums`` (sum of X's scores) under random labelling."""
    n = scores.shape[0]
    mean = scores.mean(axis=0)
    var = n_x * (n - n_x) / (n * (n - 1)) * ((scores - mean) ** 2).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (sums - n_x * mean) / np.sqrt(var)
    # A constant score vector (all tied) carries no evidence. Tie-averaged scores of a constant
    # column differ only by rounding, so "constant" is judged relative to the scores' scale.
    scale = np.abs(scores).max(axis=0) if scores.size else np.zeros(scores.shape[1:])
    constant = var <= (1e-9 * np.maximum(scale, 1e-300)) ** 2 * n
    return np.where(constant, -np.inf, z)


def _max_z(sums: np.ndarray, scores: np.ndarray, n_x: int) -> np.ndarray:
    return np.max(_standardised(sums, scores, n_x), axis=-1)


def _random_memberships(rng: np.random.Generator, count: int, n: int, n_x: int) -> np.ndarray:
    """(count, n) float 0/1 rows, each marking a uniformly random subset of size ``n_x``."""
    keys = rng.random((count, n))
    kth = np.partition(keys, n_x - 1, axis=1)[:, n_x - 1 : n_x]
    return (keys <= kth).astype(np.float64)


def _permutation_null(scores: np.ndarray, n_x: int, n_permutations: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.empty(n_permutations)
    done = 0
    while done < n_permutations:
        count = min(_PERM_CHUNK, n_permutations - done)
        member = _random_memberships(rng, count, scores.shape[0], n_x)
        out[done : done + count] = _max_z(member @ scores, scores, n_x)
        done += count
    return np.sort(out)


# The null without ties is distribution-free: one Monte Carlo sample of it, drawn with a
# fixed seed independent of any data, serves every test of the same sample sizes.
_UNTIED_NULL_SEED = 20_240_601


@lru_cache(maxsize=128)
def _untied_null(
    n: int, n_x: int, n_permutations: int, seed: int = _UNTIED_NULL_SEED
) -> np.ndarray:
    """Sorted permutation null of the max-z statistic without ties: it depends on n, n_x only."""
    ranks = np.arange(1, n + 1, dtype=np.float64)
    scores = np.column_stack([ranks, savage_scores(n)])
    return _permutation_null(scores, n_x, n_permutations, seed)


def _asymptotic_max_p(t: float, scores: np.ndarray) -> float:
    """P(max(z1, z2) >= t) for bivariate normal z with the permutation correlation of the scores."""
    centred = scores - scores.mean(axis=0)
    cov = centred.T @ centred
    rho = float(cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1]))
    rho = min(max(rho, -1.0), 1.0)
    tail = float(sps.norm.sf(t))
    if rho > 0.999999:
        return tail
    both = float(
        sps.multivariate_normal(mean=[0.0, 0.0], cov=[[1.0, rho], [rho, 1.0]]).cdf([-t, -t])
    )
    return float(min(1.0, max(tail, 2.0 * tail - max(both, 0.0))))


@dataclass(frozen=True)
class RankTestResult:
    """Outcome of :func:`rank_max_test`.

    Attributes
    ----------
    p_value : float
        One-sided (or two-sided) p-value.
    statistic : float
        Observed max-z in the tested direction (the larger of the two for two-sided).
    x_higher : bool
        For two-sided tests, whether ``x`` is the sample found to score higher; for
        one-sided tests always True (the direction was fixed in advance).
    method : str
        "permutation" or "asymptotic".
    """

    p_value: float
    statistic: float
    x_higher: bool
    method: str


def _one_sided_max_test(
    x: np.ndarray, y: np.ndarray, n_permutations: int, seed: int
) -> tuple[float, float, str]:
    pooled = np.concatenate([x, y])
    n, n_x = pooled.size, x.size
    if np.ptp(pooled) == 0:
        return 1.0, float("-inf"), "constant"
    scores = rank_score_columns(pooled)
    observed = float(_max_z(scores[:n_x].sum(axis=0), scores, n_x))
    if n > MAX_PERMUTATION_N:
        return _asymptotic_max_p(observed, scores), observed, "asymptotic"
    tied = bool((np.diff(np.sort(pooled)) == 0).any())
    if tied:
        null = _permutation_null(scores, n_x, n_permutations, seed)
    else:
        null = _untied_null(n, n_x, n_permutations)
    # A tolerance keeps ties between the observed and permuted statistic counted as >=.
    at_least = null.size - np.searchsorted(null, observed - 1e-9, side="left")
    return (1.0 + at_least) / (1.0 + null.size), observed, "permutation"


def rank_max_test(
    x: np.ndarray | list[float],
    y: np.ndarray | list[float],
    alternative: Alternative = "greater",
    *,
    n_permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = 0,
) -> RankTestResult:
    """Test that ``x`` tends to score higher than ``y`` with max(Mann-Whitney, Savage) z.

    Parameters
    ----------
    x, y : array_like
        Scores (no NaN) of the set predicted to score higher and of the other set.
    alternative : {"greater", "less", "two-sided"}
        "greater": x higher; "less": y higher; "two-sided": either, with the p-value
        ``min(1, 2 * min(p_greater, p_less))`` (a union bound, valid under any
        dependence between the two directions).
    n_permutations : int
        Monte Carlo permutations; p-values are ``(1 + #null >= observed) / (1 + n)``,
        valid at every sample size. Without ties the null depends on the sample sizes
        only and is computed once per size pair. Above ``MAX_PERMUTATION_N`` pooled
        scores the bivariate normal limit is used instead.
    seed : int
        Seeds the permutations.

    Returns
    -------
    RankTestResult
    """
    xa, ya = _check_pair(x, y)
    if n_permutations < 1:
        raise ValueError("n_permutations must be positive")
    if alternative == "greater":
        p, stat, method = _one_sided_max_test(xa, ya, n_permutations, seed)
        return RankTestResult(p, stat, True, method)
    if alternative == "less":
        p, stat, method = _one_sided_max_test(ya, xa, n_permutations, seed)
        return RankTestResult(p, stat, True, method)
    if alternative != "two-sided":
        raise ValueError(
            f"alternative must be 'greater', 'less' or 'two-sided', not {alternative!r}"
        )
    p_up, s_up, method = _one_sided_max_test(xa, ya, n_permutations, seed)
    p_down, s_down, _ = _one_sided_max_test(ya, xa, n_permutations, seed)
    x_higher = (p_up, -s_up) <= (p_down, -s_down)
    return RankTestResult(
        float(min(1.0, 2.0 * min(p_up, p_down))), max(s_up, s_down), bool(x_higher), method
    )


def rank_z_columns(
    values: np.ndarray, is_x: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised standardised rank statistics of every column, for ranking candidates.

    Parameters
    ----------
    values : np.ndarray
        (n, m) scores; NaN entries are left out column by column.
    is_x : np.ndarray
        (n,) bool membership of set X.

    Returns
    -------
    z_mw, z_sav_x, z_sav_y : np.ndarray
        (m,) Mann-Whitney z of X scoring higher, Savage z of X owning the upper
        tail, and Savage z of Y owning the lower tail (X higher because part of Y is
        unusually low). Columns with fewer than two finite scores in a set, or
        constant ones, get 0.
    """
    vals = np.asarray(values, dtype=np.float64)
    is_x = np.asarray(is_x, dtype=bool)
    m = vals.shape[1]
    out = np.zeros((3, m))
    finite = np.isfinite(vals)
    complete = finite.all(axis=0)
    if complete.any():
        cols = np.flatnonzero(complete)
        out[:, cols] = _rank_z_complete(vals[:, cols], is_x)
    for j in np.flatnonzero(~complete):
        keep = finite[:, j]
        if (is_x & keep).sum() >= 2 and (~is_x & keep).sum() >= 2:
            out[:, [j]] = _rank_z_complete(vals[keep][:, [j]], is_x[keep])
    return out[0], out[1], out[2]


def _rank_z_complete(vals: np.ndarray, is_x: np.ndarray) -> np.ndarray:
    n, m = vals.shape
    n_x = int(is_x.sum())
    if n_x == 0 or n_x == n:
        return np.zeros((3, m))
    mid = sps.rankdata(vals, axis=0)
    sav_up = savage_scores(n)
    untied = ~(np.diff(np.sort(vals, axis=0), axis=0) == 0).any(axis=0)
    rank_idx = (mid - 1).astype(int)
    up = np.where(untied, sav_up[rank_idx], 0.0)
    down = np.where(untied, sav_up[n - 1 - rank_idx], 0.0)
    for j in np.flatnonzero(~untied):
        up[:, j] = _tie_averaged(sav_up, vals[:, j])
        down[:, j] = _tie_averaged(sav_up, -vals[:, j])
    result = np.empty((3, m))
    result[0] = _standardised(mid[is_x].sum(axis=0), mid, n_x)
    result[1] = _standardised(up[is_x].sum(axis=0), up, n_x)
    result[2] = _standardised(down[~is_x].sum(axis=0), down, n - n_x)
    result[~np.isfinite(result)] = 0.0
    return result


# -- the global two-sample test ------------------------------------------------------------


@dataclass(frozen=True)
class CrossFitTest:
    """A cross-fitted classifier two-sample test (:func:`cross_fit_classifier_test`).

    Attributes
    ----------
    auroc : float
        Held-out AUROC: every row scored by the classifier fitted on the other folds, each
        fold's scores standardised (mean 0, SD 1 over the fold, labels not used), pooled.
    auroc_ci : tuple of float
        95 % interval of ``auroc`` (:func:`auroc_ci` of the pooled held-out scores).
    p_value : float
        Permutation p-value (labels permuted within each fold, classifiers refitted);
        1.0 when ``n_permutations`` was 0.
    critical_auroc : float
        The smallest held-out AUROC the test calls significant at ``alpha`` (from the
        permutation null); NaN without permutations.
    detectable_auroc : float
        The held-out AUROC detected with probability ``power`` (:func:`detectable_auroc`).
    scores : np.ndarray
        (N,) held-out scores, fold-standardised, higher = more like the x set.
    """

    auroc: float
    auroc_ci: tuple[float, float]
    p_value: float
    critical_auroc: float
    detectable_auroc: float
    scores: np.ndarray


def _ridge_solution(train: np.ndarray, targets: np.ndarray,
                    ridge: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean of the training rows (F,), coefficients (F,) or (F, B), mean of the targets
    (scalar or (B,))) of ridge regression on ``train`` (n, F) for ``targets`` (n,) or (n, B),
    intercept included and not penalised.

    The penalty is ``ridge`` times the mean squared norm of the centred training rows, so one
    ``ridge`` suits any number and scale of features. The (F, F) system is solved when there
    are fewer features than rows, else the (n, n) one.
    """
    n = train.shape[0]
    mean = train.mean(axis=0)
    xc = train - mean
    y = np.asarray(targets, dtype=np.float64)
    y_mean = y.mean(axis=0)
    yc = y - y_mean
    penalty = ridge * float((xc * xc).sum()) / max(n, 1) + 1e-12
    if xc.shape[1] < n:  # primal: (F, F) system
        coefficients = np.linalg.solve(xc.T @ xc + penalty * np.eye(xc.shape[1]), xc.T @ yc)
    else:  # dual: (n, n) system
        coefficients = xc.T @ np.linalg.solve(xc @ xc.T + penalty * np.eye(n), yc)
    return mean, np.asarray(coefficients), np.asarray(y_mean)


def ridge_fit(train: np.ndarray, targets: np.ndarray,
              ridge: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Ridge regression of ``targets`` (n,) on ``train`` (n, F), fitted once (penalty as
    :func:`ridge_predictions`): (mean of the training rows (F,), coefficients (F,),
    intercept); predictions for ``rows`` are ``(rows - mean) @ coefficients + intercept``.
    Use it when one fit scores many sets of new rows."""
    mean, coefficients, intercept = _ridge_solution(train, targets, ridge)
    return mean, coefficients, float(intercept)


def ridge_predictions(train: np.ndarray, test: np.ndarray, targets: np.ndarray,
                      ridge: float) -> np.ndarray:
    """(m, B) ridge regression predictions for the ``test`` rows (m, F), fitted on the
    ``train`` rows (n, F) for each column of ``targets`` (n, B) (intercept included, not
    penalised; the penalty is ``ridge`` times the mean squared norm of the centred training
    rows, so one ``ridge`` suits any number and scale of features).

    The fit is linear in the targets, so refitting under B permuted labellings costs one
    solve with B right-hand sides, which makes a permutation test of the whole
    fit-and-predict procedure cheap.
    """
    mean, coefficients, y_mean = _ridge_solution(train, targets, ridge)
    return np.asarray((test - mean) @ coefficients + y_mean)


def gaussian_kernel(features: np.ndarray) -> np.ndarray:
    """(N, N) Gaussian kernel of the rows, bandwidth the median squared distance between rows
    (labels are not used)."""
    x = np.asarray(features, dtype=np.float64)
    sq = (x * x).sum(axis=1)
    twice_gram = (2.0 * x) @ x.T
    # in place (one (N, N) array at a time): (|a|^2 + |b|^2) - 2 a.b, clipped at 0
    dist2 = sq[:, None] + sq[None, :]
    dist2 -= twice_gram
    del twice_gram
    np.maximum(dist2, 0.0, out=dist2)
    off_diagonal = dist2[np.triu(np.ones(dist2.shape, dtype=bool), k=1)]
    bandwidth2 = float(np.median(off_diagonal)) if off_diagonal.size else 1.0
    dist2 /= -(bandwidth2 or 1.0)
    return np.exp(dist2, out=dist2)


def kernel_ridge_hat(kernel: np.ndarray, train: np.ndarray, test: np.ndarray,
                     ridge: float) -> np.ndarray:
    """(m, n) hat matrix of kernel ridge regression (intercept = mean target) from the
    (N, N) ``kernel`` of all rows, for boolean row masks ``train`` (n) and ``test`` (m);
    the penalty is ``ridge`` times the mean diagonal of the training kernel."""
    k_train = kernel[np.ix_(train, train)]
    n = k_train.shape[0]
    centring = np.eye(n) - 1.0 / n
    penalty = ridge * float(np.mean(np.diag(k_train))) + 1e-12
    solved = np.linalg.solve(k_train + penalty * np.eye(n), centring)
    return np.asarray(kernel[np.ix_(test, train)] @ solved + 1.0 / n)


def _fold_standardised(predictions: np.ndarray) -> np.ndarray:
    """Columns of one fold's predictions scaled to mean 0, SD 1 (constant columns to 0)."""
    centred = predictions - predictions.mean(axis=0)
    sd = centred.std(axis=0)
    return centred / np.where(sd > 0, sd, 1.0)


def _auroc_columns(scores: np.ndarray, is_x: np.ndarray) -> np.ndarray:
    """AUROC of every column of ``scores`` (n, B) with its own labels ``is_x`` (n, B).

    The x rows' rank sum of a column without ties is read off one sort (the rank of a row is
    its place in the sorted column); columns with ties get midranks (:func:`midranks`).
    """
    by_column = np.ascontiguousarray(np.asarray(scores, dtype=np.float64).T)  # (B, n)
    labels = np.ascontiguousarray(np.asarray(is_x, dtype=bool).T)
    n = by_column.shape[1]
    order = np.argsort(by_column, axis=1)
    ordered = np.take_along_axis(by_column, order, axis=1)
    rank_sums = np.take_along_axis(labels, order, axis=1) @ np.arange(1.0, n + 1.0)
    for column in np.flatnonzero((ordered[:, 1:] == ordered[:, :-1]).any(axis=1)):
        rank_sums[column] = midranks(by_column[column])[labels[column]].sum()
    n_x = labels.sum(axis=1)
    n_y = n - n_x
    u = rank_sums - n_x * (n_x + 1) / 2.0
    return np.asarray(u / np.maximum(n_x * n_y, 1))


def _within_fold_permutations(
    is_x: np.ndarray, folds: np.ndarray, n_permutations: int, seed: int
) -> np.ndarray:
    """(N, B) bool: ``is_x`` permuted within each fold, one permutation per column."""
    rng = np.random.default_rng([seed, 0x610BA1])
    out = np.empty((is_x.size, n_permutations), dtype=bool)
    for fold in np.unique(folds):
        rows = np.flatnonzero(folds == fold)
        order = np.argsort(rng.random((rows.size, n_permutations)), axis=0)
        out[rows] = is_x[rows][order]
    return out


def cross_fit_classifier_test(
    features: np.ndarray,
    is_x: np.ndarray,
    folds: np.ndarray,
    *,
    ridge: float = 1.0,
    n_permutations: int = 999,
    seed: int = 0,
    alpha: float = 0.05,
    power: float = 0.8,
    kernel: Literal["linear", "gaussian"] = "linear",
    with_mmd: bool = False,
) -> CrossFitTest:
    """Does a classifier tell the two sets apart on rows it was not fitted on?

    For each fold, a ridge classifier (targets +1 for x rows, -1 for the others) is fitted
    on the other folds and scores this fold; the held-out scores, standardised per fold,
    are pooled into one AUROC. Its p-value comes from the same procedure under labels
    permuted within each fold: with no difference between the sets every such labelling is
    equally likely, so the test is exact up to Monte Carlo error, whatever the features.

    With ``with_mmd``, the test is of the smaller of two permutation p-values computed on
    the same permutations: the classifier's AUROC and the Gaussian-kernel MMD of all rows
    (:func:`mmd_statistics`). The classifier halves the data to stay honest about what it
    learned; MMD uses every image, and finds differences in part of a set (a mixture) that a
    linear classifier misses. The minimum is referred to its own permutation distribution,
    so the combined p-value is exact too, and its power is close to the better of the two.

    Parameters
    ----------
    features : np.ndarray
        (N, F) finite per-row features (already scaled as wanted).
    is_x : np.ndarray
        (N,) bool, True for the rows of the x set.
    folds : np.ndarray
        (N,) fold id of each row (at least two folds, each with both sets).
    ridge : float
        Penalty relative to the features' mean squared norm (:func:`ridge_predictions`).
    n_permutations : int
        0 skips the test (p-value 1).
    seed : int
    alpha, power : float
        Level and power of :func:`detectable_auroc`.
    kernel : {"linear", "gaussian"}
        The classifier: ridge regression on the features, or kernel ridge regression with
        :func:`gaussian_kernel`.
    with_mmd : bool
        Combine with the MMD test as above.

    Returns
    -------
    CrossFitTest
    """
    x = np.asarray(features, dtype=np.float64)
    is_x = np.asarray(is_x, dtype=bool)
    folds = np.asarray(folds)
    if x.ndim != 2 or x.shape[0] != is_x.size or folds.shape != is_x.shape:
        raise ValueError("features must be (N, F) with N labels and N fold ids")
    labels = np.column_stack([is_x, _within_fold_permutations(is_x, folds, n_permutations, seed)])
    scores = _held_out_scores(x, labels, folds, ridge, kernel)
    areas = _auroc_columns(scores, labels)
    observed = scores[:, 0]
    area = float(areas[0])
    ci = auroc_ci(observed[is_x], observed[~is_x])
    if n_permutations == 0:
        return CrossFitTest(area, ci, 1.0, float("nan"), float("nan"), observed)
    p_columns = _permutation_p_columns(areas)
    if with_mmd:
        p_columns = np.minimum(p_columns, _permutation_p_columns(mmd_statistics(x, labels)))
    p_value = float(np.mean(p_columns <= p_columns[0] + 1e-12))
    # The classifier's own critical AUROC inside the combined test: an AUROC whose own p-value
    # is at most the alpha-quantile of the combined null's p-values is rejected whatever MMD says.
    threshold = float(np.quantile(p_columns[1:], alpha, method="lower"))
    rejected = areas[1:][_permutation_p_columns(areas)[1:] <= threshold]
    critical = float(rejected.min()) if rejected.size else 1.0
    detectable = detectable_auroc(critical, int(is_x.sum()), int((~is_x).sum()), power)
    return CrossFitTest(area, ci, p_value, critical, detectable, observed)


def _held_out_scores(x: np.ndarray, labels: np.ndarray, folds: np.ndarray, ridge: float,
                     kernel: str) -> np.ndarray:
    """(N, C) fold-standardised held-out scores of the classifier for each labelling column."""
    targets = np.where(labels, 1.0, -1.0)
    scores = np.zeros(labels.shape)
    gram = gaussian_kernel(x) if kernel == "gaussian" else None
    for fold in np.unique(folds):
        test, train = folds == fold, folds != fold
        predictions = (ridge_predictions(x[train], x[test], targets[train], ridge) if gram is None
                       else kernel_ridge_hat(gram, train, test, ridge) @ targets[train])
        scores[test] = _fold_standardised(predictions)
    return scores


def _permutation_p_columns(statistics: np.ndarray) -> np.ndarray:
    """For each column's statistic (the observed first, then the permutations), the share of
    all columns at least as large: the permutation p-value every labelling would get."""
    order = np.sort(statistics)
    at_least = statistics.size - np.searchsorted(order, statistics - 1e-12, side="left")
    return np.asarray(at_least / statistics.size)


def mmd_statistics(features: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(C,) biased MMD² between the x rows and the others of each labelling column of
    ``labels`` (N, C), with :func:`gaussian_kernel`."""
    kernel = gaussian_kernel(features)
    n_x = labels.sum(axis=0)
    weights = np.where(labels, 1.0 / n_x, -1.0 / (labels.shape[0] - n_x))
    return np.asarray(np.einsum("ib,ib->b", weights, kernel @ weights))


def detectable_auroc(critical: float, n_x: int, n_y: int, power: float = 0.8) -> float:
    """The true held-out AUROC at which an AUROC test with this ``critical`` value (the null
    distribution's 1 - alpha quantile) rejects with probability ``power``.

    The estimated AUROC is taken as normal around its true value with Hanley & McNeil's
    variance for ``n_x`` and ``n_y`` scores; the answer solves
    ``theta - z_power * sd(theta) = critical`` by bisection (1.0 when even a perfect
    separation would not reach ``power``).
    """
    z = NormalDist().inv_cdf(power)

    def reached(theta: float) -> float:
        return theta - z * np.sqrt(max(hanley_mcneil_variance(theta, n_x, n_y), 0.0)) - critical

    lo, hi = max(0.5, min(critical, 1.0)), 1.0 - 1e-9
    if reached(hi) < 0:
        return 1.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if reached(mid) < 0 else (lo, mid)
    return float(hi)


def mmd_permutation_test(
    features: np.ndarray, is_x: np.ndarray, *, n_permutations: int = 999, seed: int = 0
) -> float:
    """p-value of the kernel MMD two-sample test alone (Gaussian kernel, median-distance
    bandwidth, biased MMD², labels permuted over all rows): the reference the overall test
    is compared with."""
    is_x = np.asarray(is_x, dtype=bool)
    rng = np.random.default_rng([seed, 0x33D])
    labels = np.column_stack([is_x] + [rng.permutation(is_x) for _ in range(n_permutations)])
    return float(_permutation_p_columns(mmd_statistics(features, labels))[0])


def normal_quantiles(probabilities: np.ndarray) -> np.ndarray:
    """Standard normal quantiles of ``probabilities`` in (0, 1)."""
    return np.asarray(sps.norm.ppf(np.asarray(probabilities, dtype=np.float64)))


CLIP_Z = 6.0
"""Scaled feature values (:class:`BlockScaling`) are clipped to +-this many robust SDs, so
one extreme image does not steer a classifier fitted on them."""


@dataclass
class BlockScaling:
    """How one block of raw per-image values becomes classifier features (fitted on a table's
    rows; used by the overall test and by learned concepts).

    ``(raw - centre) / spread`` (missing values at 0), clipped to +-:data:`CLIP_Z`, for the
    ``kept`` columns (those with spread), times ``weight`` (1 / sqrt(number kept)).
    """

    centre: np.ndarray
    spread: np.ndarray
    kept: np.ndarray
    weight: float

    @classmethod
    def fit(cls, raw: np.ndarray) -> BlockScaling:
        """Median and robust SD (IQR / 1.349, else the SD) of each column of (N, d) ``raw``."""
        x = np.asarray(raw, dtype=np.float64)
        centre, spread = np.zeros(x.shape[1]), np.zeros(x.shape[1])
        for j in range(x.shape[1]):
            finite = x[np.isfinite(x[:, j]), j]
            if finite.size < 2:
                continue
            q25, centre[j], q75 = np.percentile(finite, [25, 50, 75])
            spread[j] = (q75 - q25) / 1.349
            if not spread[j] > 0:
                spread[j] = float(finite.std())
        kept = spread > 0
        return cls(centre, spread, kept, 1.0 / np.sqrt(max(int(kept.sum()), 1)))

    def apply(self, raw: np.ndarray) -> np.ndarray:
        """(n, number kept) scaled features of (n, d) raw values of this block."""
        x = np.asarray(raw, dtype=np.float64)[:, self.kept]
        z = (x - self.centre[self.kept]) / self.spread[self.kept]
        z = np.where(np.isfinite(z), z, 0.0)
        return np.asarray(np.clip(z, -CLIP_Z, CLIP_Z) * self.weight)


def wilson_interval(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of ``k`` successes in ``n`` trials (95 % at the default ``z``);
    (0, 1) when ``n`` is 0."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * float(np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)
