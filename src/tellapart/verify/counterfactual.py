"""Counterfactual checks: does making the named difference turn one set into the other?

A significant finding "set N images have X", where X is one of tellapart's trained
differences (concept ``diff:<type_id>:...``), proves only that the describer's detector of
X scores set N higher. The check asks the pixels instead: tellapart applies its own edit X
(:func:`tellapart.edits.create_difference`) to images of the other set O and looks at where
the edited images land. Claims naming no difference tellapart can make are not checked.

Procedure (:func:`counterfactual_evidence`)
-------------------------------------------
1. Up to :data:`MAX_IMAGES` images of O (a seeded subsample) are decoded and edited with X
   at each strength of :data:`STRENGTHS` (1.0 alone for a type with no partial form), with
   the same random choices (positions, colours) at every strength.
2. Their overall-test features (:mod:`tellapart.verify.overall`: the measurement columns,
   :func:`tellapart.measure.in_memory.measure_images`, and each scorer's
   :meth:`~tellapart.verify.Scorer.features_of_images`) are computed and scaled as the
   table's rows were. Nothing is cached: the edited images have no file.
3. Matching the observed shift: the claim's own per-image score (the detector of X,
   :meth:`~tellapart.verify.Scorer.concept_feature`; the overall classifier's score when no
   scorer offers it) gives, at each strength, the share ``prevalence`` of edited images
   that makes O score as high as N (AUROCs mix linearly; 1 when even all edited images fall
   short). A set where only part of the images show X, or show it weakly, is thus matched
   by editing part of O, as the claim's score says, not all of it at full strength.
4. Classifier: each edited image is scored by the overall ridge classifier (targets +1 for
   N, -1 for O, :data:`tellapart.verify.overall.RIDGE`) fitted on the folds it is not in;
   scores are standardised per fold on the held-out rows. ``shift_toward`` = prevalence x
   (mean edited - mean of the same images unedited) / (mean of N - mean of those images).
5. Distance: the energy distance, on the same features, from the edited mixture
   (``prevalence`` edited, the rest unedited) to N, over the unedited images' distance to N
   (``distance_ratio``): 0 when the edit makes O indistinguishable from N, 1 when it brings
   O no closer. A look-alike edit can fire the same fooled detector, and so move the
   classifier's score, while leaving O as far from N as before in everything else.
6. The strength kept is the one with the smallest ``distance_ratio``.

Decision (:func:`decide`)
-------------------------
Confirmed when ``shift_toward >= MIN_SHIFT`` (0.6) and ``distance_ratio <=
MAX_DISTANCE_RATIO`` (0.4); refuted otherwise. This assumes the claim is all that separates
the sets; when several significant claims name the same set, :mod:`tellapart.verify.joint`
also checks each with the others' edits applied, and confirms what this check alone cannot.
The energy distances leave out each image's pairs with itself (:func:`mixture_energy`).
The estimate and both thresholds were chosen on development draws only
(``benchmarks/counterfactual_estimators.py``, which recomputes the decision from the arrays
of ``benchmarks/counterfactual_traps.py --dump`` runs): 72 wrong trained claims on the 13
look-alike traps written in that script (seeds 1000 and 1001, synthetic bases and bundled
photographs, 128 px) and 188 true claims (the first 10 tasks of the ``easy`` and ``medium``
suites at seed offsets 1000 to 1009). With every pair of images in the distances, the cap
that confirmed at least 95% of the true claims (0.65) refuted 0.861 of the wrong claims and
confirmed 0.952 of the true ones: an image's zero distance to itself keeps even a faithful
edit a positive distance from the named set, more so for small differences. Without those
pairs, the cap of 0.4 refutes as many wrong claims (0.861) and confirms 0.979; it is the
smallest cap that confirms at least 0.975 of them (a margin for the 40 or so true claims of
one reporting draw; 0.35: 0.875 and 0.957; 0.3: 0.889 and 0.947). A shift condition of 0.7
refuted 0.903 and confirmed 0.963 at the same cap. Matching the prevalence (step 3) is what
lets medium tasks (prevalence 0.5-1.0) be confirmed. The wrong claims still confirmed are
look-alikes that tellapart's features do not tell apart at 128 px: small dots or plus marks
named "tiny rectangles" or "small circles", a downscale-upscale smoothing named "zoomed
in", scribbles named "a text watermark", a shear named "stretched". BENCHMARKS.md
("Counterfactual checks") gives the reporting draws.

Cost: each check edits ``MAX_IMAGES`` x ``len(STRENGTHS)`` = 72 images (24 for a binary
type), measures them (in the comparison's worker processes, ``--jobs``:
:class:`tellapart.measure.in_memory.ImageMeasurer`) and embeds them; the rest (classifier fits,
distances) is small. It grows with image size (edits, measurements and, from 224 px, nine
describer views per image), not with the number of images: at most :data:`MAX_REFERENCE`
images of N enter the distances. BENCHMARKS.md ("Cost of the overall stage") gives the whole
stage's share of a cold comparison of 2 x 1,000 images.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import stats
from ..context import DataContext
from ..edits import DIFFERENCES, create_difference
from ..measure.in_memory import ImageMeasurer
from ..types import Counterfactual, DecodedImage, Finding, trained_difference_id
from .base import Scorer
from .overall import MEASUREMENTS_BLOCK, RIDGE, OverallFeatures

STRENGTHS: tuple[float, ...] = (0.4, 0.7, 1.0)
"""Strengths (the edit's knob ``s``) tried; the one nearest the named set is kept."""

MAX_IMAGES = 24
"""Images of the other set edited per check (each at every strength)."""

MAX_REFERENCE = 200
"""At most this many images of each set enter the energy distances (seeded subsample)."""

MAX_DISTANCE_RATIO = 0.4
"""Confirmed only when the edited images' energy distance to the named set is at most this
share of the unedited images' distance."""

MIN_SHIFT = 0.6
"""Confirmed only when the edited images move at least this share of the way toward the
named set in the overall classifier's score."""

NOT_NAMED = "names no difference tellapart can make"


@dataclass
class StrengthResult:
    """What one strength of the edit did, at the prevalence that matches the claim's score.

    Attributes
    ----------
    strength : float
        The edit's knob ``s``.
    prevalence : float
        Share of the other set's images that, edited at ``strength``, make the claim's own
        per-image score as high in the edited set as in the named set (1 when even all
        of them fall short).
    claim_auroc : float
        AUROC of the named set against the other set's images all edited at ``strength``,
        on the claim's own score (0.5: the edit reproduces the claim's shift; below: it
        overshoots).
    shift_toward : float
        Share of the way from the other set to the named set that the edited mixture moves
        in the overall classifier's held-out score.
    distance_ratio : float
        Energy distance from the edited mixture to the named set, over the unedited
        images' distance to it.
    all_edited_ratio : float
        ``distance_ratio`` with every image edited (prevalence 1).
    block_ratios : dict
        ``distance_ratio`` of the mixture on each feature block alone.
    """

    strength: float
    prevalence: float
    claim_auroc: float
    shift_toward: float
    distance_ratio: float
    all_edited_ratio: float
    block_ratios: dict[str, float] = field(default_factory=dict)


@dataclass
class CounterfactualEvidence:
    """The measured outcome of one counterfactual check, before the decision.

    Attributes
    ----------
    type_id : str
        The difference applied.
    named, other : str
        The set the finding names (N) and the set whose images were edited (O).
    n_edited : int
        Images of O edited (each at every strength).
    matched_on : str
        "claim score" (the claim's own per-image score, a trained detector) or
        "classifier score" (the overall classifier, when no scorer offers the claim's score).
    best : StrengthResult
        The strength kept: the smallest ``distance_ratio``.
    by_strength : list of StrengthResult
    seconds : float
        Wall time of the check.
    originals : list of DecodedImage
        The edited images of O before the edit (rows ``arrays["other_rows"]``).
    arrays : dict
        What the numbers were computed from: ``other_rows`` (the edited rows), ``named_rows``
        (N's rows in the distances), ``held_scores`` (N,) held-out classifier scores,
        ``edited_scores`` (strengths, n), ``edited_features`` (strengths, n, F),
        ``claim_scores`` (N,) and ``edited_claim_scores`` (strengths, n).
    """

    type_id: str
    named: str
    other: str
    n_edited: int
    matched_on: str
    best: StrengthResult
    by_strength: list[StrengthResult] = field(default_factory=list)
    seconds: float = 0.0
    arrays: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    originals: list[DecodedImage] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type_id": self.type_id, "named": self.named, "other": self.other,
            "n_edited": self.n_edited, "matched_on": self.matched_on, "seconds": self.seconds,
            "best": vars(self.best), "by_strength": [vars(s) for s in self.by_strength],
        }


def measurement_columns(ctx: DataContext, features: OverallFeatures) -> dict[str, int]:
    """Measurement name -> its column in ``features.values`` (the measurements kept there)."""
    start = 0
    for name, scaling in features.scalings.items():
        if name == MEASUREMENTS_BLOCK:
            kept = np.flatnonzero(scaling.kept)
            return {ctx.table.names[j]: start + c for c, j in enumerate(kept)}
        start += int(scaling.kept.sum())
    return {}


def reproduced_shares(evidence: CounterfactualEvidence, features: OverallFeatures,
                      columns: dict[str, int]) -> dict[str, float]:
    """How much of each column's difference between the sets the edit reproduces.

    For each column of ``columns``: the named set's lead over the other set's edited images
    (AUROC - 0.5, on the same images of the other set before the edit) and after it, at the
    kept strength and prevalence (AUROCs mix linearly); the share is (before - after) /
    (before - 0.5): 1 when the edit makes the column alike in both sets, 0 when it leaves it,
    negative when it moves it the other way. Columns that hardly differ (AUROC within
    :data:`MIN_COLUMN_GAP` of 0.5) are left out: there is nothing to reproduce.
    """
    arrays = evidence.arrays
    kept = next(i for i, r in enumerate(evidence.by_strength) if r is evidence.best)
    edited = arrays["edited_features"][kept]
    named, picked = arrays["named_rows"], arrays["other_rows"]
    prevalence = evidence.best.prevalence
    shares: dict[str, float] = {}
    for name, c in columns.items():
        before = stats.auroc(features.values[named, c], features.values[picked, c])
        if abs(before - 0.5) < MIN_COLUMN_GAP:
            continue
        after = stats.auroc(features.values[named, c], edited[:, c])
        shares[name] = float(prevalence * (before - after) / (before - 0.5))
    return shares


MIN_COLUMN_GAP = 0.05
"""A column whose AUROC between the sets is within this of 0.5 gets no reproduced share."""


def checkable_type(finding: Finding) -> str | None:
    """The difference a finding names when tellapart can make it, else None."""
    type_id = trained_difference_id(finding.concept)
    return type_id if type_id is not None and type_id in DIFFERENCES else None


def strengths_of(type_id: str) -> tuple[float, ...]:
    """The strengths tried for ``type_id``: 1.0 alone for a type with no partial form."""
    return (1.0,) if DIFFERENCES.get(type_id).binary else STRENGTHS


def edit_images(images: list[DecodedImage], type_id: str, strength: float,
                seed: int) -> list[DecodedImage]:
    """``images`` edited with difference ``type_id`` at ``strength``; image i's random
    choices come from ``seed`` and i only, so they are the same at every strength. Each
    edited image keeps its record (file-level values) and alpha."""
    difference = create_difference(type_id)
    out = []
    for i, image in enumerate(images):
        pixels = np.clip(np.rint(np.asarray(image.rgb, dtype=np.float32) * 255.0), 0, 255)
        rng = np.random.default_rng([seed, 0xCF, i])
        edited = difference.apply(pixels.astype(np.uint8), strength, rng)
        out.append(DecodedImage(record=image.record, rgb=edited.astype(np.float32) / 255.0,
                                alpha=image.alpha, scale=image.scale))
    return out


def raw_features_of_images(ctx: DataContext, scorers: list[Scorer], features: OverallFeatures,
                           images: list[DecodedImage],
                           measurer: ImageMeasurer | None = None) -> dict[str, np.ndarray]:
    """Block name -> (len(images), d) raw values of the overall test's blocks for in-memory
    images: the measurement columns (``measurer``; in this process when None) and each
    scorer's :meth:`~tellapart.verify.Scorer.features_of_images` (first wins)."""
    raw: dict[str, np.ndarray] = {}
    if MEASUREMENTS_BLOCK in features.scalings:
        raw[MEASUREMENTS_BLOCK] = (measurer or ImageMeasurer(ctx.table.names)).measure(images)
    for scorer in scorers:
        if all(name in raw for name in features.scalings):
            break
        for name, block in scorer.features_of_images(ctx, images).items():
            raw.setdefault(name, np.asarray(block, dtype=np.float64))
    return raw


def _mean_distance(a: np.ndarray, b: np.ndarray, same_images: bool = False) -> float:
    """Mean Euclidean distance between the rows of ``a`` and ``b``. With ``same_images`` (row
    i of both is the same image, edited or not) the pairs of an image with itself are left
    out: two draws of a mixture are two different images."""
    sq = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    d = np.sqrt(np.maximum(sq, 0.0))
    n = d.shape[0]
    if not same_images or n < 2:
        return float(d.mean())
    return float((d.sum() - np.trace(d)) / (n * (n - 1)))


class MeanDistances:
    """:func:`_mean_distance` of two arrays, computed once per pair of arrays (by identity:
    the arrays are kept, and must not change). The energy distances of one check share most
    of their terms (the named set's rows with themselves, the unedited images with the named
    set), and each costs a (n, m) distance matrix."""

    def __init__(self) -> None:
        self._known: dict[tuple[int, int, bool], tuple[np.ndarray, np.ndarray, float]] = {}

    def __call__(self, a: np.ndarray, b: np.ndarray, same_images: bool = False) -> float:
        key = (id(a), id(b), same_images)
        if key not in self._known:
            self._known[key] = (a, b, _mean_distance(a, b, same_images))
        return self._known[key][2]


Distance = Callable[[np.ndarray, np.ndarray, bool], float]


def mixture_energy(components: list[tuple[float, np.ndarray]], named: np.ndarray,
                   distance: Distance = _mean_distance) -> float:
    """Energy distance from the mixture of ``components`` (weight, rows: images' features;
    weights sum to 1) to ``named``: 2 E|M - N| - E|M - M'| - E|N - N'| (mean distances by
    ``distance``, e.g. a :class:`MeanDistances`).

    The components are versions (edited or not) of the same images, row for row, and
    ``named`` holds other images. The within-sample terms leave out each image's pairs with
    itself (the unbiased, U-statistic estimate): with them, an image's zero distance to
    itself shrinks E|M - M'| and E|N - N'| by about 1/n, so that a mixture drawn from the
    named set's own distribution would sit a positive distance from it, larger the fewer the
    images, and small differences would look hard to reproduce.
    """
    cross = sum(w * distance(f, named, False) for w, f in components)
    within = sum(wi * wj * distance(fi, fj, True)
                 for wi, fi in components for wj, fj in components)
    return 2.0 * cross - within - distance(named, named, True)


def mixture_distance_ratio(edited: np.ndarray, other: np.ndarray, named: np.ndarray,
                           prevalence: float, distance: Distance = _mean_distance) -> float:
    """Energy distance from the mixture ``prevalence`` x ``edited`` + (1 - prevalence) x
    ``other`` (rows: images) to ``named``, over the energy distance from ``other`` to
    ``named``; NaN when the latter is 0."""
    p = float(prevalence)
    base = mixture_energy([(1.0, other)], named, distance)
    mixed = mixture_energy([(p, edited), (1.0 - p, other)], named, distance)
    return mixed / base if base > 0 else float("nan")


def matching_prevalence(named_vs_other: float, named_vs_edited: float) -> float:
    """The share ``p`` of edited images that makes the AUROC of the named set against the
    mixture 0.5 (AUROCs mix linearly: ``p * named_vs_edited + (1 - p) * named_vs_other``);
    1 when even all edited images fall short."""
    if named_vs_other <= 0.5 or named_vs_edited >= 0.5 or named_vs_other <= named_vs_edited:
        return 1.0
    return float(np.clip((named_vs_other - 0.5) / (named_vs_other - named_vs_edited), 0.0, 1.0))


def counterfactual_evidence(
    ctx: DataContext,
    scorers: list[Scorer],
    folds: np.ndarray,
    features: OverallFeatures,
    finding: Finding,
    *,
    max_images: int = MAX_IMAGES,
    strengths: tuple[float, ...] | None = None,
    classifier: HeldOutClassifier | None = None,
    measurer: ImageMeasurer | None = None,
) -> CounterfactualEvidence | None:
    """Apply the finding's difference to the other set's images and measure where they land
    (module docstring, steps 1-6); None when the finding names no difference tellapart can
    make. ``classifier``: the overall classifier fitted for the finding's named set (fitted
    here when None); ``measurer``: measures the edited images (in this process when None)."""
    started = time.perf_counter()
    type_id = checkable_type(finding)
    if type_id is None:
        return None
    seed = ctx.settings.seed
    named = finding.more_in
    is_named = ctx.table.is_a if named == "A" else ~ctx.table.is_a
    folds = np.asarray(folds)
    rng = np.random.default_rng([seed, 0xC0F])
    other_rows = np.flatnonzero(~is_named)
    picked = np.sort(rng.choice(other_rows, size=min(max_images, other_rows.size), replace=False))
    named_rows = np.flatnonzero(is_named)
    if named_rows.size > MAX_REFERENCE:
        named_rows = np.sort(rng.choice(named_rows, MAX_REFERENCE, replace=False))
    originals = [ctx.load(ctx.table.records[i]) for i in picked]
    levels = strengths if strengths is not None else strengths_of(type_id)
    # one strength at a time: only one set of edited images is held at once
    raw_edited = [raw_features_of_images(ctx, scorers, features,
                                         edit_images(originals, type_id, s, seed), measurer)
                  for s in levels]
    edited = [features.transform(raw) for raw in raw_edited]
    if classifier is None:
        classifier = HeldOutClassifier.fit(features.values, is_named, folds)
    held = classifier.held
    edited_scores = np.stack([classifier.score(e, folds[picked]) for e in edited])

    claim, edited_claim, matched_on = held, edited_scores, "classifier score"
    for scorer in scorers:
        where = scorer.concept_feature(finding.concept)
        if where is not None and where[0] in raw_edited[0]:
            block, column = where
            if block in features.raw:  # computed once by the overall test
                table_block = features.raw[block]
            else:
                table_block = scorer.image_features(ctx, np.arange(len(ctx.table.records)))[block]
            claim = np.asarray(table_block[:, column], dtype=np.float64)
            edited_claim = np.stack([raw[block][:, column] for raw in raw_edited])
            matched_on = "claim score"
            break

    x = features.values
    all_named = np.flatnonzero(is_named)
    named_vs_other = stats.auroc(claim[all_named], claim[picked])
    gap = held[all_named].mean() - held[picked].mean()
    blocks = {name: _block_columns(features, name) for name in features.scalings}
    other_x, named_x = x[picked], x[named_rows]
    block_rows = {name: (other_x[:, c], named_x[:, c]) for name, c in blocks.items()}
    distance = MeanDistances()
    results = []
    for k, s in enumerate(levels):
        named_vs_edited = stats.auroc(claim[all_named], edited_claim[k])
        p = matching_prevalence(named_vs_other, named_vs_edited)
        moved = edited_scores[k].mean() - held[picked].mean()
        shift = p * moved / gap if gap != 0 else float("nan")
        ratio = mixture_distance_ratio(edited[k], other_x, named_x, p, distance)
        every = mixture_distance_ratio(edited[k], other_x, named_x, 1.0, distance)
        by_block = {name: mixture_distance_ratio(edited[k][:, blocks[name]], other, named_block,
                                                 p, distance)
                    for name, (other, named_block) in block_rows.items()}
        results.append(StrengthResult(float(s), p, float(named_vs_edited), float(shift),
                                      float(ratio), float(every), by_block))
    best = min(results, key=lambda r: r.distance_ratio if np.isfinite(r.distance_ratio) else np.inf)
    arrays = {"other_rows": picked, "named_rows": named_rows, "held_scores": held,
              "edited_scores": edited_scores, "edited_features": np.stack(edited),
              "claim_scores": claim, "edited_claim_scores": edited_claim,
              "strengths": np.asarray(levels, dtype=np.float64)}
    return CounterfactualEvidence(type_id, named, "B" if named == "A" else "A", int(picked.size),
                                  matched_on, best, results, time.perf_counter() - started,
                                  arrays, originals)


@dataclass
class HeldOutClassifier:
    """The overall ridge classifier of one comparison, as the checks score images with it.

    For each fold, a ridge regression (targets +1 for the named set N, -1 for the other,
    :data:`tellapart.verify.overall.RIDGE`) is fitted on the other folds' rows; a row is
    scored by the fit of its own fold, standardised by the mean and SD of that fold's table
    rows. Fitted once per comparison and named set, it scores any number of edited images.

    Attributes
    ----------
    held : np.ndarray
        (N,) held-out standardised score of every table row.
    fits : dict
        Fold -> (mean of the training rows, coefficients, intercept, centre, scale).
    """

    held: np.ndarray
    fits: dict[int, tuple[np.ndarray, np.ndarray, float, float, float]]

    @classmethod
    def fit(cls, x: np.ndarray, is_named: np.ndarray, folds: np.ndarray) -> HeldOutClassifier:
        """Fit on the table's features ``x`` (N, F), the named set's rows and the folds."""
        targets = np.where(is_named, 1.0, -1.0)
        held = np.zeros(x.shape[0])
        fits = {}
        for fold in np.unique(folds):
            test, train = folds == fold, folds != fold
            mean, coefficients, intercept = stats.ridge_fit(x[train], targets[train], RIDGE)
            pred = (x[test] - mean) @ coefficients + intercept
            centre, sd = float(pred.mean()), float(pred.std())
            scale = sd if sd > 0 else 1.0
            held[test] = (pred - centre) / scale
            fits[int(fold)] = (mean, coefficients, intercept, centre, scale)
        return cls(held, fits)

    def score(self, rows: np.ndarray, row_folds: np.ndarray) -> np.ndarray:
        """(n,) standardised scores of feature rows (n, F), each by the fit of its fold."""
        out = np.zeros(rows.shape[0])
        for fold, (mean, coefficients, intercept, centre, scale) in self.fits.items():
            here = row_folds == fold
            out[here] = ((rows[here] - mean) @ coefficients + intercept - centre) / scale
        return out


def _block_columns(features: OverallFeatures, block: str) -> np.ndarray:
    """Column indices of ``block`` in ``features.values`` (empty when absent)."""
    start = 0
    for name, scaling in features.scalings.items():
        width = int(scaling.kept.sum())
        if name == block:
            return np.arange(start, start + width)
        start += width
    return np.zeros(0, dtype=int)


def decide(evidence: CounterfactualEvidence) -> Counterfactual:
    """Confirmed when the edit moves the other set's images toward the named set by at
    least :data:`MIN_SHIFT` of the way in the overall classifier's score and brings them
    within :data:`MAX_DISTANCE_RATIO` of their distance to it; refuted otherwise."""
    best = evidence.best
    share = "" if best.prevalence >= 1.0 else f", {best.prevalence:.0%} of them"
    what = (f"{evidence.n_edited} set {evidence.other} images edited with tellapart's "
            f"'{evidence.type_id}' (strength {best.strength:g}{share})")
    confirmed = best.shift_toward >= MIN_SHIFT and best.distance_ratio <= MAX_DISTANCE_RATIO
    moved = f"{what} moved {best.shift_toward:.0%} of the way toward set {evidence.named}"
    if confirmed:
        detail = f"{moved} and became hard to tell from it"
    elif best.distance_ratio <= MAX_DISTANCE_RATIO:
        detail = (f"{moved} in the overall classifier's score, short of "
                  f"{MIN_SHIFT:.0%}: something else separates the sets")
    else:
        detail = (f"{moved} but stayed {shown_ratio(best.distance_ratio)} as distinguishable "
                  "from it: something else separates the sets")
    return Counterfactual("confirmed" if confirmed else "refuted", best.shift_toward, detail)


def shown_ratio(ratio: float) -> str:
    """A distance ratio as a percentage for the report. The unbiased energy distance of an
    edit that reproduces the difference can fall just below 0 by chance: that reads "0%"."""
    return f"{max(ratio, 0.0):.0%}"
