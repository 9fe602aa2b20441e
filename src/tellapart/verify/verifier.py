"""Held-out verification with cross-fitting: every claim is tested on images its proposer never saw.

Procedure (:class:`Verifier`)
-----------------------------
1. Each set is split, seeded and stratified by set, into two halves (folds 0 and 1).
2. For each fold ``h``: the proposers see only the *other* fold and shortlist up to
   ``settings.shortlist`` hypotheses each; every shortlisted hypothesis is scored on
   fold ``h`` (held out) and tested there, one-sided in its predicted direction, with
   the rank-max permutation test of :mod:`tellapart.stats`.
3. Typed hypotheses (``settings.hypotheses``) were fixed before the data were seen, so
   they need no proposal part: they are tested on all usable images (one-sided when
   the text names a set, two-sided otherwise).
4. Multiplicity, in a way that keeps a proof (see :func:`cross_fit_q_values`): one
   weighted Benjamini-Hochberg family per fold (that fold's held-out tests, weighted
   by the proposer's rank on the other fold, plus the typed
   hypotheses), each at level ``alpha / 2``; a hypothesis is significant when it is
   rejected in either family. Reported ``q_value = min(1, 2 min_h q_h)`` so that
   ``significant == (q_value <= alpha)``; reported ``p_value`` of a cross-fitted
   hypothesis is ``min(1, 2 min_h p_h)``, itself a valid p-value.
5. Statistics for display (AUROC, its CI, Cliff's delta, example images) use every
   image on which the hypothesis was held out.
6. Significant findings are ranked by held-out AUROC, except that significant claims of a
   scorer that ``leads`` (the file-header scorer: an acquisition attribute such as the view
   position is the cause its pixel side effects follow) come first, that a claim naming a
   trained difference leads the image statistics it is not significantly weaker than
   (paired DeLong test): the named edit explains its side effects, not the reverse; that a
   learned concept's claim ranks with the trained differences when its scorer's check of
   its words confirms it (:meth:`Scorer.check_words`, made before ranking), and follows
   them otherwise (:func:`_specificity`); and
   a claim scored by a floored detector ranks after the other significant findings when
   most of the other set's held-out images are above its floor
   (:data:`OTHER_SET_ABOVE_FLOOR`): there the detector is not at rest on the images
   without the claim, so its shift does not show that the named set has the difference.
7. Findings whose per-image scores are highly rank-correlated (|Spearman| >=
   ``settings.group_threshold``) are one difference seen several ways: the strongest
   leads and the others are listed under it in ``related``. A significant finding whose
   scores, once those of the significant findings above it are regressed out (slopes fitted
   within each set), no longer separate the sets significantly on its held-out images and
   keep at most :data:`SIDE_EFFECT_LEFT` of its effect is a side effect of them and is
   listed under the one it correlates with most (``settings.group_side_effects``).
8. The overall stage (:meth:`Verifier.explain`): the overall two-sample test, counterfactual
   checks of claims naming a difference tellapart can make, explained shares and the "look
   here" images (:mod:`tellapart.verify.overall`, :mod:`tellapart.verify.counterfactual`,
   :mod:`tellapart.verify.joint`). A significant measurement finding that a confirmed
   trained difference ranked above it makes (its edit reproduces at least
   ``settings.edit_side_effect_share`` of the measurement's difference between the sets) is
   then listed under that difference as a side effect, and the findings are ranked again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from .. import stats
from ..config import Settings
from ..context import DataContext
from ..propose.base import Proposer
from ..propose.concepts import CONCEPT_PREFIX
from ..types import (
    Counterfactual,
    Finding,
    Hypothesis,
    ImageScores,
    Overall,
    other_set,
    trained_difference_id,
)
from .base import Scorer
from .joint import check_claims
from .measurement import MeasurementScorer
from .overall import OverallFeatures, analyse_overall, rank_normal, residualise

HeldoutTest = Literal["rank-max", "mann-whitney"]
N_FOLDS = 2


@dataclass
class VerificationResult:
    """What the verifier hands to the report.

    Attributes
    ----------
    findings : list of Finding
        Top-level findings, ranked 1..n: significant ones first, by held-out AUROC (a
        named-difference claim ahead of image statistics not significantly stronger); then
        the rest by q-value, claims the held-out images contradicted last. Findings
        grouped under a stronger one are in its ``related`` list.
    untestable : list of str
        Typed hypotheses, as typed, that no scorer understood or could score on
        these images.
    n_tested : int
        Distinct hypotheses tested (grouped ones included), the size of the multiple
        testing problem the q-values account for.
    info : dict
        How the verification went: split sizes, shortlists per fold, the test used,
        the correction, NaN scores dropped per hypothesis, proposals no scorer took,
        and why a scorer refused a typed claim it understood (``untestable_reasons``).
    """

    findings: list[Finding]
    untestable: list[str]
    n_tested: int
    info: dict[str, Any]
    overall: Overall | None = None
    image_scores: ImageScores | None = None


@dataclass
class ClaimTest:
    """One test of one hypothesis on one set of rows (a fold's held-out part, or all rows).

    ``position`` is the hypothesis's place (0 = first) in its proposer's shortlist on the
    other fold; :meth:`Verifier.family_weights` turns positions into prior weights.
    """

    hypothesis: Hypothesis
    family: tuple[int, ...]  # BH families (fold ids) this test belongs to
    rows: np.ndarray  # table rows tested on
    p_value: float = 1.0
    q_values: dict[int, float] = field(default_factory=dict)
    # Prior weight from the proposer's rank on the *other* fold (1/rank, normalised per family
    # to mean 1 in `_correct`); typed hypotheses keep 1.
    weight: float = 1.0
    from_proposer: bool = False
    position: int = 0


@dataclass
class Candidate:
    """All tests of one distinct hypothesis (key: concept, plus "user" for typed ones)."""

    key: str
    scorer: Scorer
    tests: list[ClaimTest]
    user: bool
    all_scores: np.ndarray  # (N,) per-image scores of the reported wording, NaN = missing
    reported: Hypothesis | None = None
    p_value: float = 1.0
    q_value: float = 1.0


def cross_fit_p_value(fold_p_values: list[float]) -> float:
    """Combined p-value of a hypothesis tested held-out in one or both folds.

    ``p = min(1, 2 * min_h p_h)`` over the folds ``h`` in which the hypothesis was
    shortlisted by the other fold and tested on ``h``.

    Why it is valid: for a true null hypothesis H and each fold h, the event "H was
    shortlisted by the other fold" depends only on the other fold's images, which are
    independent of fold h's, so ``P(H shortlisted for h and p_h <= t) <= t``. Then
    ``P(p <= t) <= P(p_0 <= t/2, shortlisted for 0) + P(p_1 <= t/2, shortlisted for 1)
    <= t``: a union bound over the two folds. Combining the folds any other way
    (averaging, Fisher, pooling their scores into one test) is not valid, because a
    hypothesis shortlisted by *both* folds was chosen partly for looking good on each
    fold's own images, so its two held-out p-values are not both honest at once.
    """
    if not fold_p_values:
        raise ValueError("a cross-fitted hypothesis needs at least one held-out p-value")
    return float(min(1.0, 2.0 * min(fold_p_values)))


def cross_fit_q_values(
    family_p_values: dict[int, list[float]], n_families: int
) -> dict[int, np.ndarray]:
    """Benjamini-Hochberg q-values per family, scaled by the number of families.

    Each family (one per fold: the hypotheses shortlisted by the other fold, tested on
    this fold, plus the typed hypotheses) is corrected on its own and then multiplied
    by ``n_families``, i.e. run at level ``alpha / n_families``. A hypothesis whose
    smallest scaled q-value is <= alpha is significant.

    Why it controls the false discovery rate at ``alpha``: conditionally on the
    proposal fold, a family's shortlist is fixed and its held-out p-values are valid,
    so BH keeps that family's FDR at ``alpha / n_families`` (under independence or
    positive dependence of the tests, as for any BH). The union of the families'
    discoveries has ``V <= V_0 + V_1`` false and ``R >= max(R_0, R_1)`` total
    discoveries, so ``V / R <= V_0 / R_0 + V_1 / R_1`` and the FDR of the union is at
    most ``alpha``. With no true difference at all this bounds the chance of *any*
    significant finding by ``alpha``. The number of families is fixed by the design
    (two folds whenever proposers run), never by the data.

    Parameters
    ----------
    family_p_values : dict
        Family id -> p-values of its tests.
    n_families : int
        Number of families the level is shared between.

    Returns
    -------
    dict
        Family id -> scaled q-values (capped at 1), in input order.
    """
    if n_families < 1:
        raise ValueError("n_families must be positive")
    return {
        fam: np.minimum(1.0, n_families * stats.benjamini_hochberg(ps))
        for fam, ps in family_p_values.items()
    }


def split_folds(is_a: np.ndarray, seed: int, n_folds: int = N_FOLDS) -> np.ndarray:
    """(N,) fold id of every row: each set's rows are shuffled (seeded) and dealt round-robin.

    Stratified by set so every fold holds about ``1 / n_folds`` of each set.
    """
    rng = np.random.default_rng([seed, 0x5E7])
    folds = np.empty(is_a.size, dtype=np.int64)
    for members in (np.flatnonzero(is_a), np.flatnonzero(~is_a)):
        shuffled = rng.permutation(members)
        folds[shuffled] = np.arange(shuffled.size) % n_folds
    return folds


class Verifier:
    """Template for held-out verification; scorers only score, this class computes every statistic.

    Parameters
    ----------
    settings : Settings
        Uses ``alpha``, ``seed``, ``shortlist``, ``hypotheses``, ``group_threshold``
        and ``n_examples``.
    heldout_test : {"rank-max", "mann-whitney"}
        "rank-max" (default): permutation test of max(Mann-Whitney z, Savage
        upper-tail z), powerful both when a whole set differs and when only part of
        it does. "mann-whitney": scipy's Mann-Whitney U (kept for comparison).
    n_permutations : int
        Monte Carlo permutations per test (p-values can go down to ``1 / (n + 1)``).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        heldout_test: HeldoutTest = "rank-max",
        n_permutations: int = stats.DEFAULT_PERMUTATIONS,
    ) -> None:
        if heldout_test not in ("rank-max", "mann-whitney"):
            raise ValueError(f"unknown held-out test {heldout_test!r}")
        if not 0.0 < settings.alpha < 1.0:
            raise ValueError(f"alpha must be in (0, 1), got {settings.alpha}")
        if settings.shortlist < 1:
            raise ValueError(f"shortlist must be at least 1, got {settings.shortlist}")
        self.settings = settings
        self.heldout_test = heldout_test
        self.n_permutations = n_permutations

    # -- the template -----------------------------------------------------------------

    def run(
        self, ctx: DataContext, proposers: list[Proposer], scorers: list[Scorer]
    ) -> VerificationResult:
        """Propose on each fold, test held out, correct, describe, group and rank."""
        table = ctx.table
        is_a = table.is_a
        self._check_sizes(is_a, bool(proposers))
        by_name = {s.name: s for s in scorers}
        folds = split_folds(is_a, self.settings.seed)
        info: dict[str, Any] = {
            "heldout_test": self._test_label(),
            "n_permutations": self.n_permutations,
            "n_folds": N_FOLDS if proposers else 0,
            "fold_sizes": {
                str(h): {
                    "A": int((is_a & (folds == h)).sum()),
                    "B": int((~is_a & (folds == h)).sum()),
                }
                for h in range(N_FOLDS)
            },
            "shortlists": {},
            "unscorable_proposals": [],
            "nan_dropped": {},
            "untestable_reasons": {},
            "correction": (
                "Benjamini-Hochberg per fold family at alpha/2, union of discoveries"
                if proposers
                else "Benjamini-Hochberg over the typed hypotheses"
            ),
        }
        candidates: dict[str, Candidate] = {}
        if proposers:
            self._propose_folds(ctx, proposers, by_name, folds, candidates, info)
        untestable = self._add_user_hypotheses(ctx, scorers, candidates, bool(proposers), info)
        self.test_all(ctx, candidates, info)
        n_families = N_FOLDS if proposers else 1
        self._correct(ctx, candidates, n_families)
        findings = [self._describe(ctx, cand) for cand in candidates.values()]
        scores_of = {id(f): c.all_scores for f, c in zip(findings, candidates.values(), strict=True)}
        self._check_words(ctx, findings, list(candidates.values()))
        findings = self._group_and_rank(findings, candidates, is_a)
        info["n_families"] = n_families
        result = VerificationResult(
            findings=findings, untestable=untestable, n_tested=len(candidates), info=info
        )
        if self.settings.overall:
            started = time.perf_counter()
            self.explain(ctx, scorers, folds, result, [scores_of[id(f)] for f in findings])
            info["overall_s"] = time.perf_counter() - started
        return result

    def explain(
        self,
        ctx: DataContext,
        scorers: list[Scorer],
        folds: np.ndarray,
        result: VerificationResult,
        finding_scores: list[np.ndarray],
    ) -> None:
        """Add the overall test, each significant finding's counterfactual check and its
        explained share to ``result`` (:func:`tellapart.verify.overall.analyse_overall`,
        :func:`tellapart.verify.joint.check_claims`). A subclass may extend it."""

        reproduced: dict[int, dict[str, float]] = {}

        def check(features: OverallFeatures, findings: list[Finding]) -> list[Counterfactual]:
            return check_claims(ctx, scorers, folds, features, findings, reproduced=reproduced)

        analysis = analyse_overall(ctx, scorers, folds, result.findings, finding_scores, check)
        for finding, share in zip(result.findings, analysis.shares, strict=True):
            finding.explained_share = share
        result.overall = analysis.overall
        result.image_scores = analysis.image_scores
        self._list_edit_side_effects(result, reproduced)

    def _list_edit_side_effects(
        self, result: VerificationResult, reproduced: dict[int, dict[str, float]]
    ) -> None:
        """List under a confirmed trained-difference finding the significant measurement
        findings below it that its edit makes: tellapart's edit, applied to the other set's
        images, reproduces at least ``settings.edit_side_effect_share`` of the measurement's
        difference between the sets (``reproduced``: index of a confirmed finding ->
        measurement -> share, :func:`~tellapart.verify.counterfactual.reproduced_shares`).

        "Set A images have darkened corners (a vignette)" then carries "set A images have
        stronger vignetting" and "dimmer highlights" as side effects instead of three
        top-level differences. Significance is unchanged; only where a finding is listed.
        """
        share = self.settings.edit_side_effect_share
        if share is None or not self.settings.group_side_effects:
            return
        top = result.findings
        moved: set[int] = set()
        for lead, shares in sorted(reproduced.items()):
            if lead in moved:
                continue
            for i in range(lead + 1, len(top)):
                finding = top[i]
                if (i in moved or not finding.significant or finding.user
                        or finding.scorer != MeasurementScorer.name):
                    continue
                made = shares.get(finding.concept.split(":")[0])
                if made is None or made < share:
                    continue
                top[lead].related.append({
                    "description": finding.description, "concept": finding.concept,
                    "auroc": finding.auroc, "p_value": finding.p_value,
                    "q_value": finding.q_value, "significant": finding.significant,
                    "side_effect": True, "made_by_edit": made,
                })
                top[lead].related.extend(finding.related)
                moved.add(i)
        if moved:
            _renumber(result, [f for i, f in enumerate(top) if i not in moved])

    # -- steps ------------------------------------------------------------------------

    @staticmethod
    def _check_words(ctx: DataContext, findings: list[Finding], cands: list[Candidate]) -> None:
        """Each significant claim's check by its own scorer (:meth:`Scorer.check_words`: a
        learned concept's presence check), into ``finding.counterfactual``, before ranking."""
        for finding, cand in zip(findings, cands, strict=True):
            if not finding.significant or finding.contradicted or cand.reported is None:
                continue
            checked = cand.scorer.check_words(replace(cand.reported, more_in=finding.more_in), ctx)
            if checked is not None:
                finding.counterfactual = checked

    def _test_label(self) -> str:
        if self.heldout_test == "rank-max":
            return "max(Mann-Whitney, Savage upper tail) rank statistic, permutation p-value"
        return "Mann-Whitney U"

    @staticmethod
    def _check_sizes(is_a: np.ndarray, cross_fit: bool) -> None:
        n_a, n_b = int(is_a.sum()), int((~is_a).sum())
        # Two images per set and fold is the least a held-out rank test can use.
        need = 2 * N_FOLDS if cross_fit else 2
        if n_a < need or n_b < need:
            raise ValueError(
                f"verification needs at least {need} usable images per set "
                f"(set A has {n_a}, set B has {n_b})"
            )

    def _propose_folds(
        self,
        ctx: DataContext,
        proposers: list[Proposer],
        by_name: dict[str, Scorer],
        folds: np.ndarray,
        candidates: dict[str, Candidate],
        info: dict[str, Any],
    ) -> None:
        all_rows = np.arange(folds.size)
        for held_out in range(N_FOLDS):
            proposal_rows = all_rows[folds != held_out]
            test_rows = all_rows[folds == held_out]
            shortlisted: list[str] = []
            for proposer in proposers:
                hyps = proposer.propose(ctx, proposal_rows, self.settings.shortlist)
                if len(hyps) > self.settings.shortlist:
                    raise ValueError(
                        f"proposer {proposer.name!r} returned {len(hyps)} hypotheses, "
                        f"more than the shortlist of {self.settings.shortlist}"
                    )
                for position, hyp in enumerate(hyps):
                    scorer = by_name.get(hyp.scorer or "")
                    if scorer is None or not scorer.can_score_in(hyp, ctx):
                        info["unscorable_proposals"].append(hyp.description)
                        continue
                    if hyp.concept in shortlisted:  # two proposers, one claim: one test
                        continue
                    shortlisted.append(hyp.concept)
                    test = ClaimTest(
                        hypothesis=hyp,
                        family=(held_out,),
                        rows=test_rows,
                        weight=1.0 / (position + 1),
                        from_proposer=True,
                        position=position,
                    )
                    cand = candidates.get(hyp.concept)
                    if cand is None:
                        candidates[hyp.concept] = Candidate(
                            key=hyp.concept,
                            scorer=scorer,
                            tests=[test],
                            user=False,
                            all_scores=np.empty(0),
                        )
                    else:
                        cand.tests.append(test)
            info["shortlists"][str(held_out)] = shortlisted

    def _add_user_hypotheses(
        self,
        ctx: DataContext,
        scorers: list[Scorer],
        candidates: dict[str, Candidate],
        cross_fit: bool,
        info: dict[str, Any],
    ) -> list[str]:
        untestable: list[str] = []
        all_rows = np.arange(len(ctx.table.records))
        families = tuple(range(N_FOLDS)) if cross_fit else (0,)
        for text in self.settings.hypotheses:
            if not text.strip():
                continue
            chosen: tuple[Scorer, Hypothesis] | None = None
            for scorer in scorers:
                hyp = scorer.interpret(text)
                if hyp is not None and scorer.can_score_in(hyp, ctx):
                    chosen = (scorer, replace(hyp, user=True, proposer="user", scorer=scorer.name))
                    break
            if chosen is None:
                untestable.append(text)
                reasons = [r for sc in scorers if (r := sc.refusal_reason(text))]
                if reasons:  # understood but refused: the report says why
                    info["untestable_reasons"][text] = reasons[0]
                continue
            scorer, hyp = chosen
            key = f"user:{text}"
            if key in candidates:  # the same text typed twice is one test
                continue
            candidates[key] = Candidate(
                key=key,
                scorer=scorer,
                tests=[ClaimTest(hypothesis=hyp, family=families, rows=all_rows)],
                user=True,
                all_scores=np.empty(0),
            )
        return untestable

    def scores(
        self, ctx: DataContext, scorer: Scorer, hyp: Hypothesis, rows: np.ndarray
    ) -> np.ndarray:
        """(len(rows),) per-image scores of ``hyp`` by ``scorer``; non-finite values become NaN."""
        values = np.asarray(scorer.score(hyp, ctx, rows), dtype=np.float64)
        if values.shape != (rows.size,):
            raise ValueError(
                f"scorer {scorer.name!r} returned shape {values.shape} for {rows.size} images "
                f"(hypothesis {hyp.description!r})"
            )
        # Infinite scores are treated as missing: they have no place on a rank scale of evidence.
        return np.where(np.isfinite(values), values, np.nan)

    def test_all(
        self, ctx: DataContext, candidates: dict[str, Candidate], info: dict[str, Any]
    ) -> None:
        """Score every candidate on all rows once and test each of its tests on its rows.

        Sets each test's ``p_value``, orients typed two-way claims, and picks the wording
        reported (the most convincing fold's). A subclass may extend it (call ``super()``).
        """
        is_a = ctx.table.is_a
        all_rows = np.arange(is_a.size)
        for cand in candidates.values():
            # Every image is scored once per wording: grouping and the report need all rows,
            # and a scorer's score of an image does not depend on which other rows are asked.
            score_cache: dict[str, np.ndarray] = {}
            test_scores: list[np.ndarray] = []
            for test in cand.tests:
                hyp = test.hypothesis
                cache_key = repr((hyp.description, hyp.concept, sorted(hyp.params.items())))
                if cache_key not in score_cache:
                    score_cache[cache_key] = self.scores(ctx, cand.scorer, hyp, all_rows)
                test_scores.append(score_cache[cache_key])
                scores = score_cache[cache_key][test.rows]
                in_a = is_a[test.rows]
                keep = np.isfinite(scores)
                if (~keep).any():
                    dropped = info["nan_dropped"].get(cand.key, 0)
                    info["nan_dropped"][cand.key] = dropped + int((~keep).sum())
                a_scores, b_scores = scores[keep & in_a], scores[keep & ~in_a]
                test.p_value, more_in = self._test(a_scores, b_scores, hyp.more_in)
                if hyp.more_in is None:
                    # Scores follow the wording, not the set, so orienting keeps them valid.
                    test.hypothesis = cand.scorer.orient(hyp, more_in)
            # The wording reported: the most convincing fold's (folds may word one claim differently).
            best = min(range(len(cand.tests)), key=lambda i: cand.tests[i].p_value)
            cand.reported = cand.tests[best].hypothesis
            cand.all_scores = test_scores[best]

    def _test(
        self, a_scores: np.ndarray, b_scores: np.ndarray, more_in: str | None
    ) -> tuple[float, str]:
        """(p-value, set found or predicted to score higher) of one held-out test."""
        if a_scores.size < 2 or b_scores.size < 2:
            return 1.0, more_in or "A"
        if more_in is None:
            alternative: stats.Alternative = "two-sided"
            x, y = a_scores, b_scores
        else:
            alternative = "greater"
            x, y = (a_scores, b_scores) if more_in == "A" else (b_scores, a_scores)
        if self.heldout_test == "mann-whitney":
            if alternative == "two-sided":
                p = stats.mannwhitney_p(x, y, "two-sided")
                found = "A" if stats.auroc(x, y) >= 0.5 else "B"
                return p, found
            return stats.mannwhitney_p(x, y, "greater"), more_in or "A"
        result = stats.rank_max_test(
            x, y, alternative, n_permutations=self.n_permutations, seed=self.settings.seed
        )
        if more_in is None:
            return result.p_value, "A" if result.x_higher else "B"
        return result.p_value, more_in

    def family_weights(self, ctx: DataContext, tests: list[ClaimTest]) -> list[float]:
        """Prior weights (mean 1) of one BH family's proposed tests, in the order given.

        Weighted Benjamini-Hochberg (Genovese, Roeder & Wasserman 2006): a test's p-value is
        divided by its weight before BH. The weights come from the proposal fold's ranking
        (1 / (position + 1)), which is independent of the tested fold, and average 1 within a
        family, so FDR control is kept; the claims the proposers rank highest get a milder
        correction. A subclass may weight otherwise as long as the weights depend on the
        proposal fold only, are positive and average 1.
        """
        total = sum(t.weight for t in tests)
        return [t.weight * len(tests) / total for t in tests]

    def _correct(self, ctx: DataContext, candidates: dict[str, Candidate], n_families: int) -> None:
        family_tests: dict[int, list[ClaimTest]] = {}
        for cand in candidates.values():
            for test in cand.tests:
                for fam in test.family:
                    family_tests.setdefault(fam, []).append(test)
        for tests in family_tests.values():
            proposed = [t for t in tests if t.from_proposer]
            for t, weight in zip(proposed, self.family_weights(ctx, proposed), strict=True):
                t.weight = weight
        q_by_family = cross_fit_q_values(
            {
                fam: [min(1.0, t.p_value / t.weight) for t in tests]
                for fam, tests in family_tests.items()
            },
            n_families,
        )
        for fam, tests in family_tests.items():
            for test, q in zip(tests, q_by_family[fam], strict=True):
                test.q_values[fam] = float(q)
        for cand in candidates.values():
            if cand.user:
                cand.p_value = cand.tests[0].p_value
            else:
                cand.p_value = cross_fit_p_value([t.p_value for t in cand.tests])
            cand.q_value = min(q for t in cand.tests for q in t.q_values.values())

    def _describe(self, ctx: DataContext, cand: Candidate) -> Finding:
        assert cand.reported is not None and cand.reported.more_in is not None
        hyp = cand.reported
        more_in = hyp.more_in
        assert more_in is not None
        table = ctx.table
        is_a = table.is_a
        rows = np.unique(np.concatenate([t.rows for t in cand.tests]))
        scores = cand.all_scores[rows]
        keep = np.isfinite(scores)
        rows, scores = rows[keep], scores[keep]
        in_more = is_a[rows] if more_in == "A" else ~is_a[rows]
        x, y = scores[in_more], scores[~in_more]
        contradicted = False
        if x.size and y.size and stats.auroc(x, y) < 0.5:
            # The held-out images lean the other way. The finding is stated in the direction
            # they show (so AUROC >= 0.5 as the report contract promises) and flagged; its p and
            # q stay those of the claim that was tested, which the data did not support.
            contradicted = True
            more_in = other_set(more_in)
            hyp = cand.scorer.orient(hyp, more_in)
            in_more = ~in_more
            x, y = y, x
        if x.size and y.size:
            area = stats.auroc(x, y)
            ci = stats.auroc_ci(x, y)
        else:
            area, ci = 0.5, (0.0, 1.0)
        other = other_set(more_in)
        n_ex = self.settings.n_examples
        paths = [table.records[i].path for i in rows]
        more_paths = [p for p, m in zip(paths, in_more, strict=True) if m]
        other_paths = [p for p, m in zip(paths, in_more, strict=True) if not m]
        order_x = np.argsort(-x, kind="stable")
        order_y = np.argsort(y, kind="stable")
        examples = {
            more_in: [more_paths[i] for i in order_x[:n_ex]],
            other: [other_paths[i] for i in order_y[:n_ex]],
        }
        counter = {
            more_in: [more_paths[i] for i in order_x[::-1][:n_ex]],
            other: [other_paths[i] for i in order_y[::-1][:n_ex]],
        }
        a_scores = scores[is_a[rows]]
        b_scores = scores[~is_a[rows]]
        significant = bool(cand.q_value <= self.settings.alpha) and not contradicted
        min_effect = self.settings.min_effect
        return Finding(
            rank=0,
            description=hyp.description,
            concept=hyp.concept,
            more_in=more_in,
            auroc=float(area),
            auroc_ci=(float(ci[0]), float(ci[1])),
            p_value=float(cand.p_value),
            q_value=float(cand.q_value),
            significant=significant,
            effect_size=float(2.0 * area - 1.0),
            proposer=hyp.proposer,
            scorer=cand.scorer.name,
            examples={"A": examples["A"], "B": examples["B"]},
            n_test={"A": int(a_scores.size), "B": int(b_scores.size)},
            scores={"A": [float(v) for v in a_scores], "B": [float(v) for v in b_scores]},
            counter_examples={"A": counter["A"], "B": counter["B"]},
            user=cand.user,
            contradicted=contradicted,
            # real but smaller than the user cares about (large sets make tiny shifts significant)
            negligible=significant and min_effect is not None and area < min_effect,
        )

    def _group_and_rank(
        self, findings: list[Finding], candidates: dict[str, Candidate], is_a: np.ndarray
    ) -> list[Finding]:
        cands = list(candidates.values())
        gaps = [_held_out_gap(f) for f in findings]
        off_floor = []
        for finding, cand in zip(findings, cands, strict=True):
            share = _other_set_above_floor(finding, cand) if finding.significant else None
            if share is not None and share > OTHER_SET_ABOVE_FLOOR:
                finding.caveat = _off_floor_caveat(finding, share)
                off_floor.append(True)
            else:
                off_floor.append(False)
        order = sorted(
            range(len(findings)),
            # Significant findings by held-out effect (AUROC): the strongest difference first.
            # q-values of strong effects tie at the permutation floor, and a difference that
            # causes others (vignetting dims the highlights) separates the sets best itself.
            # Perfect separations tie at AUROC 1: how far apart the sets are breaks the tie.
            key=lambda i: (
                not findings[i].significant,
                off_floor[i],
                findings[i].contradicted,
                not (findings[i].significant and cands[i].scorer.leads),
                -findings[i].auroc if findings[i].significant else findings[i].q_value,
                findings[i].q_value if findings[i].significant else -findings[i].auroc,
                -gaps[i],
                findings[i].description,
            ),
        )
        if not order:
            return []
        order = self._named_differences_first(order, findings, cands, is_a, off_floor)
        matrix = np.column_stack([cands[i].all_scores for i in order])
        corr = stats.spearman_matrix(matrix)
        leaders: list[int] = []  # positions in `order`
        for pos in range(len(order)):
            lead = next(
                (lp for lp in leaders if abs(corr[lp, pos]) >= self.settings.group_threshold), None
            )
            finding = findings[order[pos]]
            side_effect: dict[str, Any] = {}
            if lead is None and finding.significant and not finding.user:
                lead, side_effect = self._explained_above(
                    pos, order, leaders, findings, cands, corr, is_a)
            # A typed claim is what the user asked about: it always stays at top level.
            if lead is None or finding.user:
                leaders.append(pos)
                continue
            findings[order[lead]].related.append(
                {
                    "description": finding.description,
                    "concept": finding.concept,
                    "auroc": finding.auroc,
                    "p_value": finding.p_value,
                    "q_value": finding.q_value,
                    "significant": finding.significant,
                    "correlation": float(corr[lead, pos]),
                    **side_effect,
                }
            )
        ranked = [findings[order[lp]] for lp in leaders]
        for rank, finding in enumerate(ranked, start=1):
            finding.rank = rank
        return ranked


    def _explained_above(
        self, pos: int, order: list[int], leaders: list[int], findings: list[Finding],
        cands: list[Candidate], corr: np.ndarray, is_a: np.ndarray,
    ) -> tuple[int | None, dict[str, Any]]:
        """Whether the significant finding at ``pos`` is a side effect of the significant
        findings listed above it: (the leader to list it under, what to say), else (None, {}).

        Its per-image scores (normal scores of their ranks) are regressed on those of the
        significant top-level findings above it, with slopes fitted on the variation within
        each set (so a finding that separates the sets does not absorb an unrelated
        difference); when what is left does not separate the sets on its held-out images (the
        held-out test at ``alpha``, in its direction) and keeps at most
        :data:`SIDE_EFFECT_LEFT` of its effect (AUROC - 0.5), the difference above accounts for it:
        "set A images have stronger vignetting" under "set A images have darkened corners"
        (both move together among set A's images). It is listed under the finding above it that
        its scores correlate with most. Significance is unchanged; only where it is listed.
        """
        if not self.settings.group_side_effects:
            return None, {}
        above = [lp for lp in leaders if findings[order[lp]].significant]
        if not above:
            return None, {}
        cand, finding = cands[order[pos]], findings[order[pos]]
        rows = np.unique(np.concatenate([t.rows for t in cand.tests]))
        explaining = rank_normal(np.column_stack([cands[order[lp]].all_scores for lp in above]))
        residual = residualise(rank_normal(cand.all_scores), explaining, is_a)[rows, 0]
        keep = np.isfinite(cand.all_scores[rows])
        in_a = is_a[rows][keep]
        p_value, _ = self._test(residual[keep][in_a], residual[keep][~in_a], finding.more_in)
        more = in_a if finding.more_in == "A" else ~in_a
        if not (more.any() and (~more).any()):
            return None, {}
        area = stats.auroc(residual[keep][more], residual[keep][~more])
        # Not significant alone is not enough: a weak finding loses significance to any
        # regression. What is left must also be at most SIDE_EFFECT_LEFT of its own effect.
        if p_value <= self.settings.alpha or area - 0.5 > SIDE_EFFECT_LEFT * (finding.auroc - 0.5):
            return None, {}
        lead = max(above, key=lambda lp: abs(corr[lp, pos]))
        return lead, {"side_effect": True, "residual_auroc": float(area),
                      "residual_p_value": float(p_value)}

    @staticmethod
    def _named_differences_first(
        order: list[int], findings: list[Finding], cands: list[Candidate], is_a: np.ndarray,
        off_floor: list[bool] | None = None,
    ) -> list[int]:
        """Move each significant named-difference claim above the image statistics ranked just
        above it whose held-out AUROC is not significantly larger (paired DeLong z below
        :data:`NAMED_LEAD_Z`); a trained-difference claim moves the same way above learned
        concepts (:func:`_specificity`).

        A named difference ("set A images are colour-inverted") accounts for the pixel
        statistics it changes ("set A images have dimmer highlights"); a statistic does not
        account for the difference. When the held-out images cannot tell which of the two
        separates the sets better, the explanation leads. Significance is unchanged. A claim
        whose detector is off its floor on the other set (``off_floor``) does not move.
        """
        order = list(order)
        for pos in range(1, len(order)):
            named = findings[order[pos]]
            if not (named.significant and _names_a_difference(named)) or (off_floor and off_floor[order[pos]]):
                continue
            target = pos
            while target > 0:
                above = findings[order[target - 1]]
                if (not above.significant or above.user
                        or _specificity(above) >= _specificity(named)
                        or cands[order[target - 1]].scorer.leads):
                    break
                z = _paired_z(cands[order[target - 1]], above, cands[order[pos]], named, is_a)
                if not z < NAMED_LEAD_Z:  # NaN (no common held-out images) keeps the order
                    break
                target -= 1
            if target < pos:
                order.insert(target, order.pop(pos))
        return order


def _renumber(result: VerificationResult, kept: list[Finding]) -> None:
    """Make ``kept`` the top-level findings, ranked 1..n in their order, and name the per-image
    score columns of ``result.image_scores`` by the new ranks (the others' columns dropped)."""
    if result.image_scores is not None:
        columns = result.image_scores.columns
        renamed = {k: v for k, v in columns.items() if not k.startswith("finding_")}
        for rank, finding in enumerate(kept, start=1):
            renamed[f"finding_{rank}:{finding.concept}"] = columns[
                f"finding_{finding.rank}:{finding.concept}"]
        result.image_scores.columns = renamed
    for rank, finding in enumerate(kept, start=1):
        finding.rank = rank
    result.findings = kept


SIDE_EFFECT_LEFT = 0.5
"""A finding is listed as a side effect of the findings above it only when, their scores
regressed out, it keeps at most this share of its held-out effect (AUROC - 0.5), besides no
longer being significant."""


NAMED_LEAD_Z = 1.645
"""An image statistic stays above a named-difference claim only when its held-out AUROC is
larger by a one-sided paired DeLong test at the 5 % level (z >= 1.645)."""


OTHER_SET_ABOVE_FLOOR = 0.5
"""A significant claim whose scorer floors its scores at "does not show it"
(:meth:`Scorer.floor_score`, the describer's calibrated type detectors: 95 % of training images
without the difference stay at the floor) ranks after the other significant findings when
more than this share of the other set's held-out images score above the floor. Its detector
then responds on most images said not to show the claim (images unlike its training
images, or a difference present in both sets), and the claim is a shift of that response,
not evidence that the named set has the difference. In a run of the benchmark suites
(all images of each task), such claims led 3 hard tasks that named none of the true
differences ("set B images have a grid pattern" where set A was blurred; the other set
above the floor on 70-94 % of its images), while of the 338 significant claims that named a
true difference, 327 had the other set above the floor on at most 10 % of its images and
none on more than half (``python benchmarks/describer_ceiling.py floor-activity --bench
BENCH_OUT``). Significance is unchanged."""


def _other_set_above_floor(finding: Finding, cand: Candidate) -> float | None:
    """The share of the other set's held-out scores of ``finding`` above its scorer's floor;
    None when the scorer has no floor for it or there are no such scores."""
    if cand.reported is None or finding.more_in not in ("A", "B"):
        return None
    floor = cand.scorer.floor_score(cand.reported)
    other = np.asarray(finding.scores[other_set(finding.more_in)], dtype=np.float64)
    other = other[np.isfinite(other)]
    if floor is None or other.size == 0:
        return None
    return float(np.mean(other > floor))


def _off_floor_caveat(finding: Finding, share: float) -> str:
    """The ``caveat`` of a finding ranked lower by :data:`OTHER_SET_ABOVE_FLOOR`."""
    return (f"ranked after the other significant findings: its detector is also above its "
            f"floor on {share:.0%} of set {other_set(finding.more_in)}'s held-out images, so it "
            f"shows a shift of that detector more than set {finding.more_in} images showing "
            "the claim")


def _held_out_gap(finding: Finding) -> float:
    """Cohen's d of the held-out scores, the named set over the other; 0 when undefined."""
    named = finding.scores.get(finding.more_in, [])
    other = finding.scores.get(other_set(finding.more_in), [])
    if not named or not other:
        return 0.0
    gap = stats.standardized_difference(named, other)
    return 0.0 if np.isnan(gap) else gap


def _names_a_difference(finding: Finding) -> bool:
    return _specificity(finding) > 0


def _specificity(finding: Finding) -> int:
    """2: a difference the describer was trained on, or a learned concept its presence check
    confirms; 1: another learned concept; 0: an image statistic. A claim moves above less
    specific ones it separates the sets about as well as
    (:meth:`Verifier._named_differences_first`); claims of the same specificity keep their
    order by held-out AUROC.

    The describer's detector of a trained difference learned it against every other trained
    difference, on many images; a concept's detector was fitted on one comparison's images,
    against plain images and the library's other concepts, so it also responds to differences it
    never saw (a "barcode label" concept to any large patch). Its presence check
    (:meth:`tellapart.verify.concepts.ConceptScorer.check_words`) asks whether what the concept
    changed in its learning images, added to the other set, makes it look like the named set.
    Confirmed, the concept is as good an explanation as a trained difference, and the one that
    separates the sets better leads; refuted (or unchecked), a trained difference leads it
    unless the concept's held-out AUROC is significantly larger."""
    if trained_difference_id(finding.concept) is not None:
        return 2
    if finding.concept.startswith(CONCEPT_PREFIX):
        return 2 if finding.counterfactual.status == "confirmed" else 1
    return 0


def _paired_z(
    cand_1: Candidate, finding_1: Finding, cand_2: Candidate, finding_2: Finding, is_a: np.ndarray
) -> float:
    """Paired DeLong z of AUROC(finding_1) - AUROC(finding_2) on the images both were held out on."""
    rows = np.intersect1d(
        np.concatenate([t.rows for t in cand_1.tests]), np.concatenate([t.rows for t in cand_2.tests])
    )
    s1, s2 = cand_1.all_scores[rows], cand_2.all_scores[rows]
    keep = np.isfinite(s1) & np.isfinite(s2)
    rows, s1, s2 = rows[keep], s1[keep], s2[keep]
    # oriented so that set A is the set predicted to score higher for both
    s1 = s1 if finding_1.more_in == "A" else -s1
    s2 = s2 if finding_2.more_in == "A" else -s2
    in_a = is_a[rows]
    if in_a.sum() < 2 or (~in_a).sum() < 2:
        return float("nan")
    return stats.paired_auroc_z(s1[in_a], s1[~in_a], s2[in_a], s2[~in_a])


def verify(
    ctx: DataContext, *, proposers: list[Proposer], scorers: list[Scorer], settings: Settings
) -> VerificationResult:
    """Verify on held-out images what ``proposers`` claim, plus the typed ``settings.hypotheses``.

    Parameters
    ----------
    ctx : DataContext
        Feature table of all usable images of both sets (and an image loader for
        scorers that need pixels).
    proposers : list of Proposer
        Run on each fold's proposal part; empty to test only typed hypotheses.
    scorers : list of Scorer
        Score hypotheses per image; the first whose ``interpret`` understands a typed
        hypothesis scores it.
    settings : Settings
        Resolved settings (alpha, seed, shortlist, hypotheses, group_threshold, n_examples).

    Returns
    -------
    VerificationResult
    """
    return Verifier(settings).run(ctx, proposers, scorers)
