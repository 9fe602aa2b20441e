"""Counterfactual checks of several claims together, for sets that differ in more than one way.

One claim's check (:mod:`tellapart.verify.counterfactual`) asks whether editing the other set
O with the claimed difference X makes it hard to tell from the named set N. When N differs
from O in X *and* Y, O edited with X alone still differs from N in Y, so a true claim fails
that check. Here the significant checkable claims naming the same set are checked together:

1. Each claim's own check gives its strength and prevalence (the share of O to edit) and its
   distance ratio; claims are taken in order of that ratio, smallest first.
2. Greedy selection: the first claim is chosen; each next claim is chosen when, applied on
   top of the chosen ones, it moves O at least :data:`STEP_MIN_SHIFT` (0.5) of the
   *remaining* way toward N in the overall classifier's score and cuts the remaining energy
   distance to N to at most :data:`STEP_MAX_RATIO` (0.4) of what it was (at most
   :data:`MAX_TOGETHER` claims). A look-alike of a chosen claim adds its own artefacts and
   brings O no closer, so it is not chosen.
3. A chosen claim is confirmed when, with the other chosen edits applied, adding it passes
   the same two conditions: it moves O at least ``STEP_MIN_SHIFT`` of the remaining way and
   cuts the remaining distance to at most ``STEP_MAX_RATIO``.
4. A claim is confirmed when its own check or step 3 confirms it; otherwise refuted.

Edits compose: an image of O edited with X and Y is X's edit of the image, then Y's edit of
that (each at its own strength, with the image's own random choices). Each claim edits its
own prevalence of O, independently, so the edited set is a mixture of O's images under
every subset of the chosen edits, weighted by the product of the prevalences; the energy
distance of a mixture is exact from the pairwise mean distances of its components
(:func:`~tellapart.verify.counterfactual.mixture_energy`).

Claims naming the other set are checked in their own group: their edits would apply to N's
images, which the check does not edit, so with differences in both directions each group's
distances keep the other direction's difference and confirm less.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy as np

from ..context import DataContext
from ..measure.in_memory import ImageMeasurer
from ..types import Counterfactual, Finding
from .base import Scorer
from .counterfactual import (
    MAX_DISTANCE_RATIO,
    NOT_NAMED,
    CounterfactualEvidence,
    HeldOutClassifier,
    MeanDistances,
    checkable_type,
    counterfactual_evidence,
    decide,
    edit_images,
    measurement_columns,
    mixture_energy,
    raw_features_of_images,
    reproduced_shares,
    shown_ratio,
)
from .overall import OverallFeatures

MAX_TOGETHER = 3
"""At most this many claims are applied together (the mixture has 2**k components)."""

STEP_MIN_SHIFT = 0.5
"""A joint step counts when adding the claim moves O at least this share of the remaining way
toward N (the single check asks :data:`~tellapart.verify.counterfactual.MIN_SHIFT`, 0.6, of
the whole way)."""

STEP_MAX_RATIO = MAX_DISTANCE_RATIO
"""... and leaves at most this share of the remaining energy distance (0.4, as alone; the
distances are unbiased, :func:`~tellapart.verify.counterfactual.mixture_energy`).

Both were chosen on development draws only::

    .venv/bin/python benchmarks/counterfactual_traps.py --seeds 1000 --n-per-side 50 \
        --two 10 --grid --suites easy medium --out out/cf_dev_joint

(26 trap pairs with 40 wrong claims, 20 single-difference tasks with 19 true claims, 10
two-difference tasks with 16 true claims). Alone, the checks confirmed 5/16 (0.31) of the
two-difference claims. Together, step shifts 0.3 to 0.5 with step ratios 0.3 to 0.5 all kept
the wrong claims refuted at 35/40 (0.875) and the single true claims confirmed at 19/19, and
confirmed 14/16 (0.875) of the two-difference claims; a step ratio of 0.65 refuted 34/40, and
a step shift of 0.6 confirmed 12/16. Of the shifts with the best rates, the largest was kept,
with the alone cap as the step ratio.
"""


@dataclass(frozen=True)
class Step:
    """What adding one claim's edit to other applied edits did.

    Attributes
    ----------
    shift_toward : float
        Share of the remaining way from O (with the other edits) to N that adding it moved,
        in the overall classifier's mean held-out score.
    distance_ratio : float
        Energy distance to N with it over the energy distance without it.
    """

    shift_toward: float
    distance_ratio: float

    def passes(self, min_shift: float = STEP_MIN_SHIFT, max_ratio: float = STEP_MAX_RATIO) -> bool:
        """Whether the step moved at least ``min_shift`` of the remaining way and left at most
        ``max_ratio`` of the remaining distance."""
        return bool(self.shift_toward >= min_shift and self.distance_ratio <= max_ratio)


class EditedMixtures:
    """Features and classifier scores of O's checked images under subsets of the claims' edits.

    Parameters
    ----------
    ctx, scorers, folds, features
        As for :func:`~tellapart.verify.counterfactual.counterfactual_evidence`.
    evidences : list of CounterfactualEvidence
        The claims' own checks; all name the same set and edited the same images.
    classifier : HeldOutClassifier, optional
        The overall classifier fitted for the set the claims name (fitted here when None).
    measurer : ImageMeasurer, optional
        Measures the edited images (in this process when None).
    """

    def __init__(self, ctx: DataContext, scorers: list[Scorer], folds: np.ndarray,
                 features: OverallFeatures, evidences: list[CounterfactualEvidence],
                 classifier: HeldOutClassifier | None = None,
                 measurer: ImageMeasurer | None = None) -> None:
        first = evidences[0]
        picked = first.arrays["other_rows"]
        for ev in evidences[1:]:
            if ev.named != first.named or not np.array_equal(ev.arrays["other_rows"], picked):
                raise ValueError("claims checked together must name one set and edit the same images")
        self.ctx, self.scorers, self.features = ctx, scorers, features
        self.evidences = evidences
        self.measurer = measurer
        self.distance = MeanDistances()  # the cached subsets' features keep their identity
        self.is_named = ctx.table.is_a if first.named == "A" else ~ctx.table.is_a
        self.folds, self.picked = np.asarray(folds), picked
        self.classifier = classifier or HeldOutClassifier.fit(features.values, self.is_named,
                                                              self.folds)
        self.named = features.values[first.arrays["named_rows"]]
        held = self.classifier.held
        self.named_mean = float(held[self.is_named].mean())
        self._cache: dict[frozenset[int], tuple[np.ndarray, np.ndarray]] = {
            frozenset(): (features.values[picked], held[picked])}

    def edited(self, subset: frozenset[int]) -> tuple[np.ndarray, np.ndarray]:
        """(n, F) features and (n,) held-out classifier scores of O's checked images with the
        edits of ``subset`` (claim indices) applied, in index order."""
        if subset not in self._cache:
            images = self.evidences[0].originals
            for i in sorted(subset):
                ev = self.evidences[i]
                images = edit_images(images, ev.type_id, ev.best.strength, self.ctx.settings.seed)
            raw = raw_features_of_images(self.ctx, self.scorers, self.features, images,
                                         self.measurer)
            values = self.features.transform(raw)
            self._cache[subset] = (values, self.classifier.score(values, self.folds[self.picked]))
        return self._cache[subset]

    def mixture(self, claims: list[int]) -> tuple[float, float]:
        """Energy distance to N and mean classifier score of O with each claim's edit applied
        to its prevalence of the images, independently."""
        components, score = [], 0.0
        for mask in product((False, True), repeat=len(claims)):
            weight = 1.0
            for on, i in zip(mask, claims, strict=True):
                p = self.evidences[i].best.prevalence
                weight *= p if on else 1.0 - p
            if weight <= 0.0:
                continue
            values, scores = self.edited(frozenset(i for on, i in zip(mask, claims, strict=True) if on))
            components.append((weight, values))
            score += weight * float(scores.mean())
        return mixture_energy(components, self.named, self.distance), score

    def step(self, applied: list[int], added: int) -> Step:
        """What adding claim ``added`` on top of the edits of ``applied`` does."""
        before, score_before = self.mixture(applied)
        after, score_after = self.mixture(sorted([*applied, added]))
        gap = self.named_mean - score_before
        shift = (score_after - score_before) / gap if gap > 0 else float("nan")
        ratio = after / before if before > 0 else float("nan")
        return Step(float(shift), float(ratio))


def decide_together(ctx: DataContext, scorers: list[Scorer], folds: np.ndarray,
                    features: OverallFeatures, evidences: list[CounterfactualEvidence],
                    classifier: HeldOutClassifier | None = None,
                    measurer: ImageMeasurer | None = None) -> list[Counterfactual]:
    """The decision on each of several claims naming the same set (module docstring).

    Parameters
    ----------
    ctx, scorers, folds, features
        As for :func:`~tellapart.verify.counterfactual.counterfactual_evidence`.
    evidences : list of CounterfactualEvidence
        Each claim's own check.
    classifier : HeldOutClassifier, optional
        The overall classifier fitted for the set the claims name (fitted here when None).
    measurer : ImageMeasurer, optional
        Measures the edited images (in this process when None).

    Returns
    -------
    list of Counterfactual
        Aligned with ``evidences``.
    """
    if len(evidences) < 2:
        return [decide(ev) for ev in evidences]
    return decide_mixtures(EditedMixtures(ctx, scorers, folds, features, evidences, classifier,
                                          measurer))


def decide_mixtures(mixtures: EditedMixtures, *, min_shift: float = STEP_MIN_SHIFT,
                    max_ratio: float = STEP_MAX_RATIO) -> list[Counterfactual]:
    """Steps 2-4 of the module docstring on claims whose edited images are ``mixtures``, with
    the steps' thresholds (edited features are computed once per subset of claims, so trying
    several thresholds on one ``mixtures`` costs little)."""
    evidences = mixtures.evidences
    alone = [decide(ev) for ev in evidences]
    order = sorted(range(len(evidences)), key=lambda i: _ratio_key(evidences[i]))
    chosen = [order[0]]
    for i in order[1:]:
        if len(chosen) >= MAX_TOGETHER:
            break
        if mixtures.step(sorted(chosen), i).passes(min_shift, max_ratio):
            chosen.append(i)
    decisions = list(alone)
    for i in range(len(evidences)):
        others = sorted(c for c in chosen if c != i)
        if alone[i].status == "confirmed" or not others:
            continue
        step = mixtures.step(others, i)
        decisions[i] = (_confirmed_with(evidences[i], [evidences[c] for c in others], step)
                        if i in chosen and step.passes(min_shift, max_ratio) else
                        _refuted_with(alone[i], [evidences[c] for c in others], step))
    return decisions


def _ratio_key(evidence: CounterfactualEvidence) -> float:
    ratio = evidence.best.distance_ratio
    return ratio if np.isfinite(ratio) else np.inf


def _refuted_with(alone: Counterfactual, others: list[CounterfactualEvidence],
                  step: Step) -> Counterfactual:
    names = ", ".join(f"'{ev.type_id}'" for ev in others)
    detail = (f"{alone.detail}; applied after {names}, it moved them "
              f"{step.shift_toward:.0%} of the remaining way and left "
              f"{shown_ratio(step.distance_ratio)} of the remaining distance")
    return Counterfactual("refuted", alone.shift_toward, detail)


def _confirmed_with(evidence: CounterfactualEvidence, others: list[CounterfactualEvidence],
                    step: Step) -> Counterfactual:
    names = ", ".join(f"'{ev.type_id}'" for ev in others)
    detail = (f"{evidence.n_edited} set {evidence.other} images already edited with "
              f"tellapart's {names}, then with '{evidence.type_id}' (strength "
              f"{evidence.best.strength:g}), moved {step.shift_toward:.0%} of the remaining "
              f"way toward set {evidence.named} and cut their remaining distance to it to "
              f"{shown_ratio(step.distance_ratio)}")
    return Counterfactual("confirmed", step.shift_toward, detail)


def check_claims(ctx: DataContext, scorers: list[Scorer], folds: np.ndarray,
                 features: OverallFeatures, findings: list[Finding],
                 reproduced: dict[int, dict[str, float]] | None = None) -> list[Counterfactual]:
    """The counterfactual check of every finding: each significant claim naming a difference
    tellapart can make is checked alone (:func:`~tellapart.verify.counterfactual.counterfactual_evidence`)
    and with the others naming the same set (:func:`decide_together`); the rest are not
    checked.

    Parameters
    ----------
    ctx : DataContext
    scorers : list of Scorer
        The comparison's scorers.
    folds : np.ndarray
        (N,) the verifier's fold of each row.
    features : OverallFeatures
        The overall test's features (:func:`tellapart.verify.overall.collect_features`).
    findings : list of Finding
    reproduced : dict, optional
        Filled, for the index of each confirmed claim, with the share of each measurement's
        difference between the sets that its edit reproduces
        (:func:`~tellapart.verify.counterfactual.reproduced_shares`).

    Returns
    -------
    list of Counterfactual
        Aligned with ``findings``.
    """
    # a check its scorer made before ranking (a learned concept's) stands
    results = [f.counterfactual if f.counterfactual.status != "not_checked"
               else Counterfactual("not_checked", None,
                                   "not significant" if not f.significant else NOT_NAMED)
               for f in findings]
    if not any(f.significant and checkable_type(f) is not None for f in findings):
        return results
    # one pool of worker processes measures the edited images of every check
    with ImageMeasurer(ctx.table.names, ctx.settings.jobs) as measurer:
        groups = _check_each(ctx, scorers, folds, features, findings, measurer)
        columns = measurement_columns(ctx, features) if reproduced is not None else {}
        for classifier, members in groups:
            decisions = decide_together(ctx, scorers, folds, features,
                                        [ev for _, ev in members], classifier, measurer)
            for (i, evidence), decision in zip(members, decisions, strict=True):
                results[i] = decision
                if reproduced is not None and decision.status == "confirmed":
                    reproduced[i] = reproduced_shares(evidence, features, columns)
    return results


def _check_each(
    ctx: DataContext, scorers: list[Scorer], folds: np.ndarray, features: OverallFeatures,
    findings: list[Finding], measurer: ImageMeasurer,
) -> list[tuple[HeldOutClassifier, list[tuple[int, CounterfactualEvidence]]]]:
    """Each significant finding naming a difference tellapart can make, checked alone; by
    named set: the overall classifier fitted for it, and (index, evidence) of each claim."""
    groups: dict[str, list[tuple[int, CounterfactualEvidence]]] = {}
    classifiers: dict[str, HeldOutClassifier] = {}
    for i, finding in enumerate(findings):
        if not finding.significant or checkable_type(finding) is None:
            continue  # not checked
        named = finding.more_in
        if named not in classifiers:
            is_named = ctx.table.is_a if named == "A" else ~ctx.table.is_a
            classifiers[named] = HeldOutClassifier.fit(features.values, is_named, np.asarray(folds))
        evidence = counterfactual_evidence(ctx, scorers, folds, features, finding,
                                           classifier=classifiers[named], measurer=measurer)
        if evidence is not None:
            groups.setdefault(named, []).append((i, evidence))
    return [(classifiers[named], members) for named, members in groups.items()]
