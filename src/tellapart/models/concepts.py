"""Learned concepts: detectors fitted on a finished comparison, kept in a library and proved
again on later comparisons.

A concept is what a significant finding saw, turned into a detector that any later
comparison can apply: a ridge classifier on the per-image values tellapart computes
anyway (the measurement table and the describer's embedding and type detectors), fitted on
the images of one comparison that show the finding against the other set's images
(:func:`fit_concept`; the ``learn`` command in :mod:`tellapart.learn` picks them). A
library refits each of its concepts with the images showing the others as further negatives
(:func:`refit`), so that each responds to what it shows and not to what they share. Its
name is a predicate ("have purple star stickers"), so it reads as a sentence about either
set (:meth:`Concept.sentence`).

On disk a concept is two files in a library folder: ``<id>.json`` (name, calibration,
provenance, the layout of its features) and ``<id>.safetensors`` (the scaling and
coefficients of each feature block, the raw values of the images it was fitted on, and
example thumbnails). Nothing is pickled. Every file
is validated when it is read (:func:`load_concept`); :func:`load_library` names the files it
could not use and loads the rest.

Usage::

    library = load_library(default_library_dir())
    for concept in library.concepts:
        print(concept.id, concept.name, concept.calibration["held_out_auroc"])
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import stats
from ..context import DataContext

if TYPE_CHECKING:
    from .describer import Describer

FORMAT = "tellapart-concept"
FORMAT_VERSION = 1
MEASUREMENTS_BLOCK = "measurements"
EMBEDDING_BLOCK = "describer embedding"
DETECTORS_BLOCK = "describer detectors"
BLOCKS = (MEASUREMENTS_BLOCK, EMBEDDING_BLOCK, DETECTORS_BLOCK)

RIDGE = 1.0
"""Ridge penalty of a concept's detector, relative to the features' mean squared norm
(:func:`tellapart.stats.ridge_fit`): the overall test's, on the same features."""

N_FOLDS = 5
"""Cross-validation folds of a concept's calibration (held-out AUROC and floor)."""

FLOOR_QUANTILE = 0.95
"""A concept's floor is this quantile of the held-out scores of the images without it, so
about 1 in 20 images without the concept scores above it."""

THUMBNAIL = 64
"""Side of the example thumbnails kept with a concept, in pixels."""

MIN_IMAGES = 5
"""Fewest images on each side (showing the finding, and of the other set) to fit a concept."""


class ConceptError(ValueError):
    """A concept cannot be fitted, written or read (the message says which file and why)."""


@dataclass
class ConceptBlock:
    """One block of a concept's features and its part of the detector.

    Attributes
    ----------
    name : str
        One of :data:`BLOCKS`.
    columns : list of str
        The measurement names of the measurements block, in order; empty for the describer's
        blocks (their columns are the describer's, identified by its weights' SHA-256).
    scaling : tellapart.stats.BlockScaling
        How the block's raw values are scaled (fitted on the learning comparison's images).
    coefficients : np.ndarray
        (number of kept columns,) float64 ridge coefficients on the scaled values.
    """

    name: str
    columns: list[str]
    scaling: stats.BlockScaling
    coefficients: np.ndarray

    @property
    def width(self) -> int:
        return int(self.scaling.kept.size)


@dataclass
class Concept:
    """A learned detector with a name, its calibration and where it came from.

    Attributes
    ----------
    id : str
        Stable identifier and file stem: a slug of the name when learned, plus 8 hex digits.
    name : str
        A predicate about images ("have purple star stickers"); see :meth:`sentence`.
    blocks : list of ConceptBlock
    intercept : float
        Detector score = sum over blocks of scaled values @ coefficients + intercept.
    floor : float
        The score above which an image is taken to show the concept (:data:`FLOOR_QUANTILE`
        of held-out scores of images without it).
    describer_sha256 : str
        SHA-256 of the describer weights whose embeddings the detector reads (their
        :func:`tellapart.models.weights.embedding_sha256`, shared by weights fine-tuned
        without changing the image side).
    calibration : dict
        Cross-validated on the learning comparison: ``held_out_auroc`` (images showing the
        finding against the other set's), ``negatives_above_floor`` and
        ``positives_above_floor`` (shares of held-out scores above ``floor``),
        ``n_positive``, ``n_negative``, ``folds``.
    provenance : dict
        ``tellapart_version``, ``created`` (UTC date), ``finding`` (the sentence it was learned
        from), ``more_in``, ``report`` (the report folder's name), ``image_hashes``
        ({"positive": [...], "negative": [...]}: content hashes of the images used).
    examples : np.ndarray
        (k, THUMBNAIL, THUMBNAIL, 3) uint8 thumbnails of images that show the concept.
    training : TrainingRows or None
        The rows it was fitted on (what :func:`refit` needs).
    """

    id: str
    name: str
    blocks: list[ConceptBlock]
    intercept: float
    floor: float
    describer_sha256: str
    calibration: dict[str, float] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    examples: np.ndarray = field(
        default_factory=lambda: np.zeros((0, THUMBNAIL, THUMBNAIL, 3), dtype=np.uint8))
    training: TrainingRows | None = None

    def sentence(self, set_name: str) -> str:
        """The claim that set ``set_name``'s images show the concept more."""
        return f"Set {set_name} images {self.name}"

    def scores(self, raw: dict[str, np.ndarray]) -> np.ndarray:
        """(N,) detector scores of N images from their raw blocks (block name -> (N, width));
        every block of the concept must be present with its width."""
        return np.asarray(self.features(raw) @ self.coefficients() + self.intercept,
                          dtype=np.float64)

    def features(self, raw: dict[str, np.ndarray]) -> np.ndarray:
        """(N, sum of kept widths) scaled features of N images from their raw blocks, the
        blocks side by side in the concept's order (what its coefficients weigh)."""
        parts = []
        for block in self.blocks:
            if block.name not in raw:
                raise ConceptError(f"concept {self.id}: feature block {block.name!r} missing")
            values = np.asarray(raw[block.name], dtype=np.float64)
            if values.ndim != 2 or values.shape[1] != block.width:
                raise ConceptError(f"concept {self.id}: block {block.name!r} has "
                                   f"{values.shape[-1]} columns, the detector {block.width}")
            parts.append(block.scaling.apply(values))
        if not parts:
            raise ConceptError(f"concept {self.id} has no feature blocks")
        return np.hstack(parts)

    def coefficients(self) -> np.ndarray:
        """(sum of kept widths,) the detector's coefficients, blocks side by side."""
        return np.concatenate([block.coefficients for block in self.blocks])

    def learned_shift(self) -> np.ndarray:
        """(sum of kept widths,) mean scaled features of the images that showed the concept
        minus those of the other set's images of its learning comparison: what showing the
        concept did to the features there.

        Raises
        ------
        ConceptError
            The concept keeps no training rows.
        """
        if self.training is None:
            raise ConceptError(f"concept {self.id} keeps no training rows")
        x = self.features(self.training.raw)
        shown = self.training.positive
        return np.asarray(x[shown].mean(axis=0) - x[~shown].mean(axis=0), dtype=np.float64)


def slug(text: str, max_len: int = 40) -> str:
    """Lower-case words joined by hyphens ("Have purple stickers!" -> "have-purple-stickers")."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(words)[:max_len].strip("-") or "concept"


_SET_SUBJECT_RE = re.compile(r"^\s*(?:more\s+)?set [ab](?:'s)? images\s+", re.IGNORECASE)
_SET_OBJECT_RE = re.compile(r"\bset [ab](?:'s)? images\b|\bset [ab]\b", re.IGNORECASE)


def predicate(sentence: str) -> str:
    """The predicate of a finding's sentence, without the sets it names: "Set A images are
    darker than set B images" -> "are darker than the other set's images"."""
    text = _SET_SUBJECT_RE.sub("", sentence.strip()).rstrip(" .")
    text = _SET_OBJECT_RE.sub("the other set's images", text)
    return text


# ---- features -------------------------------------------------------------------------


def raw_blocks(ctx: DataContext, rows: np.ndarray, model: Describer,
               measurement_names: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """Block name -> (len(rows), d) raw values of ``ctx.table`` rows: the measurements (the
    columns ``measurement_names``, NaN where the table has no such column; default: every
    column of the table), the describer's whole-image embeddings and its pooled type
    detectors (views as ``ctx.settings.quarter_views`` says; the embedding cache is used)."""
    from .runtime import embed_for_claims

    rows = np.asarray(rows, dtype=int)
    names = list(ctx.table.names) if measurement_names is None else list(measurement_names)
    index = {n: j for j, n in enumerate(ctx.table.names)}
    measurements = np.full((rows.size, len(names)), np.nan)
    for j, name in enumerate(names):
        if name in index:
            measurements[:, j] = ctx.table.values[rows, index[name]]
    records = [ctx.table.records[i] for i in rows]
    emb, logits = embed_for_claims(model, ctx, records)
    blocks = {MEASUREMENTS_BLOCK: measurements, EMBEDDING_BLOCK: np.asarray(emb, dtype=np.float64)}
    if logits is not None:
        blocks[DETECTORS_BLOCK] = np.asarray(logits, dtype=np.float64)
    return blocks


def concept_score_columns(concepts: Sequence[Concept], ctx: DataContext, rows: np.ndarray,
                          model: Describer) -> np.ndarray:
    """(len(rows), len(concepts)) detector scores on ``ctx.table`` rows; the images are
    embedded once for all concepts, and each reads its own measurement columns by name."""
    rows = np.asarray(rows, dtype=int)
    raw = raw_blocks(ctx, rows, model)
    out = np.zeros((rows.size, len(concepts)))
    for k, concept in enumerate(concepts):
        out[:, k] = concept.scores(laid_out_for(concept, raw, ctx.table.names))
    return out


def laid_out_for(concept: Concept, raw: dict[str, np.ndarray],
                 measurement_names: Sequence[str]) -> dict[str, np.ndarray]:
    """``raw`` blocks (from :func:`raw_blocks`, measurement columns ``measurement_names``)
    with the measurement block reduced to ``concept``'s own columns by name, NaN where
    missing: what :meth:`Concept.scores` and :meth:`Concept.features` read."""
    measured = next((b.columns for b in concept.blocks if b.name == MEASUREMENTS_BLOCK), [])
    index = {n: j for j, n in enumerate(measurement_names)}
    n = next(iter(raw.values())).shape[0]
    own = dict(raw)
    own[MEASUREMENTS_BLOCK] = np.column_stack(
        [raw[MEASUREMENTS_BLOCK][:, index[m]] if m in index else np.full(n, np.nan)
         for m in measured]) if measured else np.zeros((n, 0))
    return own


# ---- fitting --------------------------------------------------------------------------


@dataclass
class ConceptData:
    """What a concept is fitted on: raw blocks of the learning comparison's images, which of
    them show the finding (positives) and which are the other set's images (negatives).

    Attributes
    ----------
    raw : dict
        Block name -> (N, d) raw values of all N images (the scaling is fitted on all).
    measurement_names : list of str
        Column names of the measurements block.
    positive, negative : np.ndarray
        Row indices into the blocks.
    content_hashes : list of str
        (N,) content hash of each image, for provenance.
    """

    raw: dict[str, np.ndarray]
    measurement_names: list[str]
    positive: np.ndarray
    negative: np.ndarray
    content_hashes: list[str]


@dataclass
class TrainingRows:
    """The images a concept was fitted on, kept with it so the library can refit it.

    Attributes
    ----------
    raw : dict
        Block name -> (n, d) raw values of the images showing the concept and of the other
        set's images of its learning comparison.
    measurement_names : list of str
        Column names of the measurements block.
    positive : np.ndarray
        (n,) bool: True for the images showing the concept.
    """

    raw: dict[str, np.ndarray]
    measurement_names: list[str]
    positive: np.ndarray

    def aligned(self, measurement_names: Sequence[str], widths: dict[str, int]) -> dict[str, np.ndarray] | None:
        """These rows' blocks laid out as another concept's: its measurement columns by name
        (NaN where missing), its describer blocks as they are; None when a describer block is
        missing or has another width (another describer)."""
        index = {n: j for j, n in enumerate(self.measurement_names)}
        n = self.positive.size
        out = {MEASUREMENTS_BLOCK: np.column_stack(
            [self.raw[MEASUREMENTS_BLOCK][:, index[m]] if m in index else np.full(n, np.nan)
             for m in measurement_names]) if measurement_names else np.zeros((n, 0))}
        for block, width in widths.items():
            if block == MEASUREMENTS_BLOCK:
                continue
            if block not in self.raw or self.raw[block].shape[1] != width:
                return None
            out[block] = self.raw[block]
        return out


def _features(raw: dict[str, np.ndarray]) -> tuple[dict[str, stats.BlockScaling], np.ndarray]:
    scalings = {name: stats.BlockScaling.fit(raw[name]) for name in BLOCKS if name in raw}
    scalings = {name: sc for name, sc in scalings.items() if sc.kept.any()}
    if not scalings:
        raise ConceptError("no feature varies between the images: nothing to learn")
    return scalings, np.hstack([sc.apply(raw[name]) for name, sc in scalings.items()])


def _fold_ids(y: np.ndarray, seed: int) -> np.ndarray:
    """A stratified fold for each row (positives and negatives spread over the folds)."""
    rng = np.random.default_rng(seed)
    folds = np.zeros(y.size, dtype=int)
    for label in (0, 1):
        where = np.flatnonzero(y == label)
        folds[where] = rng.permutation(np.arange(where.size) % N_FOLDS)
    return folds


def _calibrate(x: np.ndarray, y: np.ndarray, own: np.ndarray, seed: int,
               ridge: float) -> tuple[float, dict[str, float]]:
    """Cross-validated floor and calibration of the ridge detector on rows ``x``, labels ``y``
    (``own``: rows of the concept's own learning comparison)."""
    folds = _fold_ids(y, seed)
    held_out = np.zeros(y.size)
    for k in range(N_FOLDS):
        test = folds == k
        mean, coefficients, intercept = stats.ridge_fit(x[~test], y[~test], ridge)
        held_out[test] = (x[test] - mean) @ coefficients + intercept
    pos, neg = held_out[y == 1], held_out[y == 0]
    floor = float(np.quantile(neg, FLOOR_QUANTILE))
    return floor, {
        # the images showing it against the other set's images of its own comparison
        "held_out_auroc": round(stats.auroc(pos, held_out[(y == 0) & own]), 4),
        "negatives_above_floor": round(float(np.mean(neg > floor)), 4),
        "positives_above_floor": round(float(np.mean(pos > floor)), 4),
        "n_positive": float(pos.size),
        "n_negative": float(int(((y == 0) & own).sum())),
        "n_other_concepts_images": float(int((~own).sum())),
        "folds": float(N_FOLDS),
    }


@dataclass
class Detector:
    """A fitted detector: its blocks, intercept, floor and calibration."""

    blocks: list[ConceptBlock]
    intercept: float
    floor: float
    calibration: dict[str, float]


def fit_detector(own: TrainingRows, others: Sequence[dict[str, np.ndarray]] = (), *,
                 seed: int = 0, ridge: float = RIDGE) -> Detector:
    """A ridge classifier (penalty ``ridge``) of ``own``'s positives against its negatives and
    every row of ``others`` (raw blocks laid out as ``own``'s: other concepts' positives), on
    every block scaled robustly (:class:`tellapart.stats.BlockScaling`, fitted on these rows).

    Its floor and calibration come from :data:`N_FOLDS`-fold held-out scores, so they say how
    the detector does on images it was not fitted on; the detector kept is fitted on all rows.
    """
    raw = {b: np.vstack([own.raw[b], *(o[b] for o in others)]) for b in own.raw}
    y = np.concatenate([own.positive.astype(float), np.zeros(sum(len(o[MEASUREMENTS_BLOCK]) for o in others))])
    is_own = np.arange(y.size) < own.positive.size
    scalings, x = _features(raw)
    floor, calibration = _calibrate(x, y, is_own, seed, ridge)
    mean, coefficients, intercept = stats.ridge_fit(x, y, ridge)
    blocks, start = [], 0
    for block_name, scaling in scalings.items():
        width = int(scaling.kept.sum())
        columns = list(own.measurement_names) if block_name == MEASUREMENTS_BLOCK else []
        blocks.append(ConceptBlock(block_name, columns, scaling, coefficients[start:start + width]))
        start += width
    return Detector(blocks, float(intercept - mean @ coefficients), floor, calibration)


def fit_concept(data: ConceptData, name: str, *, describer_sha256: str,
                provenance: dict[str, Any], examples: np.ndarray, seed: int = 0,
                ridge: float = RIDGE) -> Concept:
    """Fit a concept on ``data`` alone (:func:`fit_detector`); a library then refits it
    against its other concepts (:func:`refit`).

    Its id is a slug of ``name`` and a digest of the images it was learned from, so learning
    the same finding again replaces the concept rather than adding a twin.

    Raises
    ------
    ConceptError
        Fewer than :data:`MIN_IMAGES` positives or negatives, or no feature varies.
    """
    pos, neg = np.asarray(data.positive, dtype=int), np.asarray(data.negative, dtype=int)
    if pos.size < MIN_IMAGES or neg.size < MIN_IMAGES:
        raise ConceptError(f"too few images to learn from ({pos.size} showing it, {neg.size} "
                           f"of the other set; at least {MIN_IMAGES} of each needed)")
    rows = np.concatenate([pos, neg])
    own = TrainingRows({b: np.asarray(v, dtype=np.float64)[rows] for b, v in data.raw.items() if b in BLOCKS},
                       list(data.measurement_names),
                       np.r_[np.ones(pos.size, bool), np.zeros(neg.size, bool)])
    detector = fit_detector(own, seed=seed, ridge=ridge)
    hashes = {"positive": [data.content_hashes[i] for i in pos],
              "negative": [data.content_hashes[i] for i in neg]}
    digest = hashlib.sha256("\n".join(hashes["positive"] + ["-"] + hashes["negative"]).encode())
    return Concept(f"{slug(name)}-{digest.hexdigest()[:8]}", name, detector.blocks,
                   detector.intercept, detector.floor, describer_sha256, detector.calibration,
                   {**provenance, "image_hashes": hashes}, np.asarray(examples, dtype=np.uint8),
                   own)


def refit(concept: Concept, others: Sequence[Concept], *, seed: int = 0,
          ridge: float = RIDGE) -> Concept:
    """``concept`` fitted again with the images showing each of ``others`` as further
    negatives, so that it responds to what it shows and not to what they show (two
    concepts learned from different stickers each against plain photographs both learn
    "a sticker"). Others read by another describer are left out. Name, id and provenance
    are kept."""
    if concept.training is None:
        raise ConceptError(f"concept {concept.id} keeps no training rows to refit")
    widths = {b: v.shape[1] for b, v in concept.training.raw.items()}
    extra = []
    for other in others:
        if other.training is None or other.describer_sha256 != concept.describer_sha256:
            continue
        laid_out = other.training.aligned(concept.training.measurement_names, widths)
        if laid_out is not None:
            extra.append({b: v[other.training.positive] for b, v in laid_out.items()})
    detector = fit_detector(concept.training, extra, seed=seed, ridge=ridge)
    return Concept(concept.id, concept.name, detector.blocks, detector.intercept, detector.floor,
                   concept.describer_sha256, detector.calibration, concept.provenance,
                   concept.examples, concept.training)


def today() -> str:
    """Today's UTC date, ISO formatted (a concept's ``created``)."""
    return _dt.datetime.now(_dt.UTC).date().isoformat()
