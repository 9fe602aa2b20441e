"""The global answer: do the sets differ at all, and how much of it do the findings describe?

Procedure (:func:`analyse_overall`)
-----------------------------------
1. Features: every per-image value tellapart computed, in blocks: the measurement table,
   and each scorer's :meth:`~tellapart.verify.Scorer.image_features` (the describer's
   embedding and type detectors when it runs). Each column is centred on its median and
   scaled by its robust spread (missing values at the median, extremes clipped), and each
   block is weighted so that it counts as much as any other, whatever its width.
2. The overall test (:func:`tellapart.stats.cross_fit_classifier_test`): on the verifier's
   folds, a ridge classifier fitted on one fold scores the other (and the reverse); the
   held-out AUROC is tested against the same procedure under labels permuted within folds,
   combined (smaller p-value, referred to its own permutation distribution) with a
   Gaussian-kernel MMD test on the same permutations, which uses every image and finds
   differences in part of a set that a linear classifier fitted on half the images misses.
   The permutation null also gives the held-out AUROC this test finds at least 80 % of the
   time at these sizes.
3. Counterfactual checks (:mod:`tellapart.verify.counterfactual`) of significant claims that
   name a difference tellapart can make. Explained share: the per-image scores of the
   significant findings the checks did not refute go through the same cross-fitted
   classifier. The share of the overall separability (AUROC - 0.5) that they reach is the
   share they explain; each finding's own share is computed the same way.
4. "Look here": the findings' scores are regressed out of the features and the classifier
   is fitted and tested again (same folds and permutations, no MMD: the images shown are
   the classifier's). When what is left still separates the sets (p-value at most alpha),
   the held-out images placed most confidently in their own set (beyond most of the other
   set's images) by the overall classifier and this one together (:func:`_look_here`) are
   what the findings do not account for. When it does not, no image is shown: the most
   confident images of a classifier that separates nothing are chance, and would point the
   reader at an unedited image as often as at an edited one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .. import stats
from ..context import DataContext
from ..stats import BlockScaling
from ..types import Counterfactual, Finding, ImageScores, Overall
from .base import Scorer

RIDGE = 1.0
"""Ridge penalty of the overall classifier, relative to the features' mean squared norm
(:func:`tellapart.stats.ridge_predictions`). Chosen with the MMD combination on development draws
(60 medium and 60 hard tasks at seed offset 1000, 50 images per side, detected at 0.05):
linear ridge 1 + MMD 55 and 27, MMD alone 55 and 25, linear ridge 1 alone 49 and 24,
Gaussian kernel ridge (ridge 0.1/1/10) alone 47-50 and 24-26 (``benchmarks/overall_test.py
power --suites medium hard --tasks 60 --seed-offset 1000``, features re-tested offline)."""

WITH_MMD = True

N_PERMUTATIONS = 999
"""Label permutations of the overall test: p-values go down to 0.001."""

MEASUREMENTS_BLOCK = "measurements"


@dataclass
class OverallFeatures:
    """The scaled per-image features of the overall test, and how they were scaled.

    Attributes
    ----------
    values : np.ndarray
        (N, F) scaled, finite, for the table's rows.
    scalings : dict
        Block name -> :class:`BlockScaling`, in column order; :meth:`transform` applies them
        to new images' raw blocks (e.g. counterfactually edited images).
    raw : dict
        Block name -> (N, d) raw values of the table's rows (every block computed, kept so
        that later stages read a column, such as a claim's detector, without recomputing it).
    """

    values: np.ndarray
    scalings: dict[str, BlockScaling]
    raw: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def blocks(self) -> list[str]:
        return list(self.scalings)

    def transform(self, raw: dict[str, np.ndarray]) -> np.ndarray:
        """(n, F) features of new rows from their raw blocks (every block of ``scalings``)."""
        missing = [name for name in self.scalings if name not in raw]
        if missing:
            raise ValueError(f"feature block(s) missing: {', '.join(missing)}")
        parts = [scaling.apply(raw[name]) for name, scaling in self.scalings.items()]
        n = len(next(iter(raw.values()))) if raw else 0
        return np.hstack(parts) if parts else np.zeros((n, 0))


def raw_blocks(ctx: DataContext, scorers: list[Scorer]) -> dict[str, np.ndarray]:
    """Block name -> (N, d) raw per-image values: the measurement table, then each scorer's
    :meth:`~tellapart.verify.Scorer.image_features` (the first scorer to name a block wins)."""
    rows = np.arange(len(ctx.table.records))
    raw: dict[str, np.ndarray] = {MEASUREMENTS_BLOCK: np.asarray(ctx.table.values, dtype=np.float64)}
    for scorer in scorers:
        for name, block in scorer.image_features(ctx, rows).items():
            if block.shape[0] != rows.size:
                raise ValueError(f"scorer {scorer.name!r} gave {block.shape[0]} rows of "
                                 f"{name!r} for {rows.size} images")
            raw.setdefault(name, np.asarray(block, dtype=np.float64))
    return raw


def collect_features(ctx: DataContext, scorers: list[Scorer]) -> OverallFeatures:
    """The overall test's features (:func:`raw_blocks`, each scaled by a :class:`BlockScaling`
    fitted on all rows, labels unused), so every block has about the same total variance."""
    raw = raw_blocks(ctx, scorers)
    scalings = {name: BlockScaling.fit(block) for name, block in raw.items()}
    scalings = {name: sc for name, sc in scalings.items() if sc.kept.any()}
    features = OverallFeatures(np.zeros((len(ctx.table.records), 0)), scalings, raw)
    features.values = features.transform(raw) if scalings else features.values
    return features


def rank_normal(values: np.ndarray) -> np.ndarray:
    """(N, k) columns replaced by normal scores of their ranks (missing values at 0), so a
    score's scale and outliers do not matter to the classifier."""
    x = np.asarray(values, dtype=np.float64).reshape(len(values), -1)
    out = np.zeros_like(x)
    for j in range(x.shape[1]):
        finite = np.isfinite(x[:, j])
        if finite.sum() < 2:
            continue
        ranks = stats.midranks(x[finite, j])
        out[finite, j] = stats.normal_quantiles((ranks - 0.5) / finite.sum())
    return out


def residualise(features: np.ndarray, scores: np.ndarray,
                groups: np.ndarray | None = None) -> np.ndarray:
    """``features`` with their linear dependence on ``scores`` (N, k) removed (least squares).

    Without ``groups`` the slopes are fitted on all rows (labels unused). With ``groups`` (a
    label per row) they are fitted on the variation within each group only, so a score that
    separates the groups does not take away another feature's difference between them unless
    the two also move together inside the groups.
    """
    if scores.shape[1] == 0:
        return features
    if groups is None:
        s = scores - scores.mean(axis=0)
        f = features - features.mean(axis=0)
    else:
        s, f = np.array(scores, dtype=np.float64), np.array(features, dtype=np.float64)
        for group in np.unique(groups):
            rows = groups == group
            s[rows] -= s[rows].mean(axis=0)
            f[rows] -= f[rows].mean(axis=0)
    coef, *_ = np.linalg.lstsq(s, f, rcond=None)
    return np.asarray(features - scores @ coef)


def explained_share(findings_auroc: float, overall_auroc: float) -> float | None:
    """(findings' AUROC - 0.5) / (overall AUROC - 0.5), within [0, 1]; None when the overall
    classifier does not separate the sets at all and the findings do not either."""
    best = max(overall_auroc, findings_auroc)
    if best <= 0.5:
        return None
    return float(np.clip((findings_auroc - 0.5) / (best - 0.5), 0.0, 1.0))


@dataclass
class OverallResult:
    """What :func:`analyse_overall` hands back: the report's :class:`Overall`, each given
    finding's own explained share (aligned with ``findings``; None when not significant) and
    the per-image table."""

    overall: Overall
    shares: list[float | None]
    image_scores: ImageScores


CounterfactualCheck = Callable[[OverallFeatures, list[Finding]], list[Counterfactual]]


def analyse_overall(
    ctx: DataContext,
    scorers: list[Scorer],
    folds: np.ndarray,
    findings: list[Finding],
    finding_scores: list[np.ndarray],
    check: CounterfactualCheck | None = None,
) -> OverallResult:
    """The overall test, the findings' counterfactual checks, their explained shares and the
    "look here" images.

    A significant finding whose words a counterfactual check refutes describes nothing: it
    is left out of the explained share and its scores are not regressed out, so what its
    detector responded to stays visible among the "look here" images.

    Parameters
    ----------
    ctx : DataContext
    scorers : list of Scorer
        Asked for their per-image feature blocks.
    folds : np.ndarray
        (N,) the verifier's fold of each row.
    findings : list of Finding
        Top-level findings; the significant ones are explained.
    finding_scores : list of np.ndarray
        (N,) per-image scores of each finding (NaN = missing), aligned with ``findings``.
    check : callable, optional
        ``check(features, findings) -> list[Counterfactual]``, one per finding (sets each
        ``finding.counterfactual``); None leaves every finding not checked.

    Returns
    -------
    OverallResult
    """
    settings = ctx.settings
    is_a = ctx.table.is_a
    features = collect_features(ctx, scorers)
    test = stats.cross_fit_classifier_test(
        features.values, is_a, folds, ridge=RIDGE, n_permutations=N_PERMUTATIONS,
        seed=settings.seed, alpha=settings.alpha, with_mmd=WITH_MMD,
    )
    if check is not None:
        for finding, result in zip(findings, check(features, findings), strict=True):
            finding.counterfactual = result
    significant = [i for i, f in enumerate(findings)
                   if f.significant and f.counterfactual.status != "refuted"]
    explained = rank_normal(np.column_stack([finding_scores[i] for i in significant])
                            if significant else np.zeros((is_a.size, 0)))
    shares: list[float | None] = [None] * len(findings)
    for column, i in enumerate(significant):
        alone = _held_out_auroc(explained[:, [column]], is_a, folds, settings.seed)
        shares[i] = explained_share(alone, test.auroc)
    together = (explained_share(_held_out_auroc(explained, is_a, folds, settings.seed), test.auroc)
                if significant else None)
    unexplained = _unexplained_test(features.values, explained, is_a, folds, test, settings.seed)
    left_separates = bool(unexplained.p_value <= settings.alpha)
    overall = Overall(
        auroc=test.auroc,
        auroc_ci=test.auroc_ci,
        p_value=test.p_value,
        differ=bool(test.p_value <= settings.alpha),
        detectable_auroc_at_80_power=test.detectable_auroc,
        explained_share=together,
        features=list(features.blocks),
        n_features=int(features.values.shape[1]),
        unexplained_auroc=unexplained.auroc,
        unexplained_p_value=unexplained.p_value,
        unexplained_differ=left_separates,
        look_here=(_look_here(ctx, test.scores, unexplained.scores, 2 * settings.n_examples)
                   if left_separates else {"A": [], "B": []}),
    )
    columns = {"overall": test.scores, "unexplained": unexplained.scores}
    for finding, scores in zip(findings, finding_scores, strict=True):
        columns[f"finding_{finding.rank}:{finding.concept}"] = np.asarray(scores, dtype=np.float64)
    image_scores = ImageScores(
        paths=[r.path for r in ctx.table.records],
        sets=[r.set_name for r in ctx.table.records],
        folds=[int(f) for f in folds],
        columns=columns,
    )
    return OverallResult(overall, shares, image_scores)


def _unexplained_test(features: np.ndarray, explained: np.ndarray, is_a: np.ndarray,
                      folds: np.ndarray, overall: stats.CrossFitTest,
                      seed: int) -> stats.CrossFitTest:
    """The classifier's test on what the findings leave: ``features`` with the ``explained``
    scores (N, k) regressed out, refitted on the same folds and permutations.

    Without findings to regress out, what is left is everything and the overall test is
    the answer. Without features, nothing is left (AUROC 0.5, p-value 1).
    """
    if explained.shape[1] == 0:
        return overall
    if features.shape[1] == 0:
        return stats.CrossFitTest(auroc=0.5, auroc_ci=(0.5, 0.5), p_value=1.0,
                                  critical_auroc=float("nan"), detectable_auroc=float("nan"),
                                  scores=np.zeros(is_a.size))
    return stats.cross_fit_classifier_test(
        residualise(features, explained), is_a, folds, ridge=RIDGE,
        n_permutations=N_PERMUTATIONS, seed=seed,
    )


def _held_out_auroc(scores: np.ndarray, is_a: np.ndarray, folds: np.ndarray, seed: int) -> float:
    """Held-out AUROC of the cross-fitted classifier on ``scores`` (N, k); 0.5 with none."""
    if scores.shape[1] == 0:
        return 0.5
    return stats.cross_fit_classifier_test(scores, is_a, folds, ridge=RIDGE, n_permutations=0,
                                           seed=seed).auroc


def _look_here(ctx: DataContext, overall: np.ndarray, residual: np.ndarray,
               n: int) -> dict[str, list[str]]:
    """Paths of the ``n`` images placed most confidently in their own set, by set, among those
    that stay in it once the findings are taken out.

    ``overall`` and ``residual`` are the held-out scores (higher = more like set A) of the
    classifier on every feature and on what the findings do not explain. An image's
    confidence is the mean of its :func:`own_set_posterior` under the two; only images more
    likely in their own set than in the other under ``residual`` (posterior above 0.5) are
    shown, ties broken by the overall score's distance from zero. The overall posterior
    finds the images that carry a difference most clearly (when only part of a set is
    edited, the edited images); the residual one keeps the images the findings account for
    out, and orders the rest by what the findings leave. Chosen on development seeds 1000
    and 1001 of ``benchmarks/overall_test.py unnamed`` (with and without ``--plus-named``)
    over the residual posterior alone, the overall posterior alone, and the minimum
    (``benchmarks/look_here_rules.py``; figures in BENCHMARKS.md).
    """
    is_a = ctx.table.is_a
    if not is_a.any() or is_a.all():
        return {"A": [], "B": []}
    kept = own_set_posterior(residual, is_a)
    confidence = np.where(kept > 0.5, (own_set_posterior(overall, is_a) + kept) / 2, 0.0)
    order = np.lexsort((-np.abs(overall), -confidence))[:n]
    out: dict[str, list[str]] = {"A": [], "B": []}
    for i in order:
        if confidence[i] > 0.5:
            record = ctx.table.records[i]
            out[record.set_name].append(record.path)
    return out


def own_set_posterior(scores: np.ndarray, is_a: np.ndarray, k: int | None = None) -> np.ndarray:
    """(N,) each image's probability of its own set given its score: among the ``k`` images
    with the nearest scores (default the square root of N, at least 5), the share from its own
    set, each set weighted by the inverse of its size (equal priors).

    When only part of set A differs, its edited images sit among set A images only, while set
    B's most extreme images sit among set B *and* set A's unedited images: the edited images
    get the higher posterior, so the images shown are those that carry the difference, not the
    other set's tail. (A placement against the other set's whole distribution gives both
    close to 1.)
    """
    scores = np.asarray(scores, dtype=np.float64)
    n = scores.size
    k = min(n - 1, k if k is not None else max(5, int(round(np.sqrt(n)))))
    weight = np.where(is_a, 1.0 / max(int(is_a.sum()), 1), 1.0 / max(int((~is_a).sum()), 1))
    order = np.argsort(scores, kind="stable")
    rank = np.empty(n, dtype=int)
    rank[order] = np.arange(n)
    posterior = np.zeros(n)
    for i in range(n):
        window = order[max(0, rank[i] - k):rank[i] + k + 1]
        window = window[window != i]
        nearest = window[np.argsort(np.abs(scores[window] - scores[i]), kind="stable")[:k]]
        same = weight[nearest][is_a[nearest] == is_a[i]].sum()
        posterior[i] = same / weight[nearest].sum()
    return posterior
