"""The header proposer: differences in the technical header attributes of DICOM and NIfTI files.

Every attribute of :attr:`ImageRecord.header <tellapart.types.ImageRecord.header>` (view
position, modality, manufacturer, tube voltage, pixel spacing, voxel size, ...) is a
candidate. An attribute whose values are few (or not numbers) is categorical: each of its
values gives the per-image score "has this value" (1 or 0), and the attribute proposes its
value whose prevalence differs most between the sets on the proposal rows ("Set A images
are mostly AP views"). An attribute with many numeric values is ordinal: its value
(the first number of a multi-valued one) is the score ("Set A images have a higher tube
voltage (kVp) than set B images"). Candidates are ranked by the Mann-Whitney z of their
scores on the proposal rows, which is what the held-out test weighs; the ``header`` scorer
(:mod:`tellapart.verify.header`) scores them on held-out images, in the same
multiple-testing family as every other claim.

The proposer only proposes when the images carry header attributes; on photographs it
proposes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .. import stats
from ..context import DataContext
from ..types import Hypothesis, ImageRecord, other_set
from .base import Proposer, register_proposer

#: An attribute with more distinct numeric values than this on the proposal rows is ordinal.
MAX_CATEGORIES = 6

#: Plain names of header attributes (the report's words).
ATTRIBUTE_LABELS = {
    "Modality": "modality",
    "Manufacturer": "manufacturer",
    "ManufacturerModelName": "scanner model",
    "ViewPosition": "view position",
    "PatientPosition": "patient position",
    "BodyPartExamined": "body part",
    "ImageType": "image type",
    "PhotometricInterpretation": "photometric interpretation",
    "BitsStored": "bits stored",
    "PixelSpacing": "pixel spacing",
    "ImagerPixelSpacing": "detector pixel spacing",
    "Rows": "image height in pixels",
    "Columns": "image width in pixels",
    "KVP": "tube voltage (kVp)",
    "Exposure": "exposure (mAs)",
    "ExposureTime": "exposure time",
    "XRayTubeCurrent": "tube current",
    "SliceThickness": "slice thickness",
    "MagneticFieldStrength": "magnetic field strength",
    "ConversionType": "conversion type",
    "PresentationIntentType": "presentation intent",
    "ImageLaterality": "image laterality",
    "Laterality": "laterality",
    "Shape": "volume shape",
    "VoxelSize": "voxel size",
    "Orientation": "orientation",
    "DataType": "data type",
    "QformCode": "qform code",
    "SformCode": "sform code",
}


def attribute_label(attribute: str) -> str:
    """The plain name of a header attribute ("ViewPosition" -> "view position")."""
    return ATTRIBUTE_LABELS.get(attribute, attribute)


def header_number(text: str | None) -> float:
    """The first number of a header value ("0.139\\0.139" -> 0.139); NaN when there is none."""
    if text is None:
        return math.nan
    try:
        return float(text.split("\\")[0])
    except ValueError:
        return math.nan


def category_scores(records: Sequence[ImageRecord], attribute: str, value: str) -> np.ndarray:
    """(n,) 1.0 where a record's ``attribute`` is ``value``, 0.0 where it is not (or absent),
    NaN for records without header attributes."""
    out = np.full(len(records), np.nan)
    for i, record in enumerate(records):
        if record.header:
            out[i] = 1.0 if record.header_dict.get(attribute) == value else 0.0
    return out


def number_scores(records: Sequence[ImageRecord], attribute: str) -> np.ndarray:
    """(n,) the first number of each record's ``attribute``; NaN where absent or not a number."""
    return np.array([header_number(r.header_dict.get(attribute)) for r in records], dtype=float)


def category_sentence(attribute: str, value: str, more_in: str, share: float | None = None) -> str:
    """ "Set A images are mostly AP views" ("more often" when ``share`` < 0.5 or unknown)."""
    adverb = "mostly" if share is not None and share >= 0.5 else "more often"
    subject = f"Set {more_in} images"
    if attribute == "ViewPosition":
        return f"{subject} are {adverb} {value} views"
    if attribute == "Modality":
        return f"{subject} are {adverb} {value} images (modality)"
    if attribute == "Manufacturer":
        return f"{subject} {adverb} come from {value} equipment"
    return f"{subject} {adverb} have {attribute_label(attribute)} {value}"


def category_description(attribute: str, value: str, more_in: str,
                         shares: dict[str, float] | None = None) -> str:
    """The claim, with the value's share of each set's images when ``shares`` are known:
    "Set A images are mostly AP views (ViewPosition AP: 81% vs 22%)"."""
    if shares is None:
        return f"{category_sentence(attribute, value, more_in)} than set {other_set(more_in)} images"
    named, other = shares[more_in], shares[other_set(more_in)]
    return (f"{category_sentence(attribute, value, more_in, named)} "
            f"({attribute} {value}: {named:.0%} vs {other:.0%})")


def number_description(attribute: str, more_in: str, sign: int,
                       medians: dict[str, float] | None = None) -> str:
    """ "Set A images have a higher tube voltage (kVp) than set B images (KVP median 120 vs 80)"."""
    word = "higher" if sign > 0 else "lower"
    text = (f"Set {more_in} images have a {word} {attribute_label(attribute)} than set "
            f"{other_set(more_in)} images")
    if medians is None:
        return text
    return (f"{text} ({attribute} median {medians[more_in]:.4g} vs "
            f"{medians[other_set(more_in)]:.4g})")


def category_concept(attribute: str, value: str, more_in: str) -> str:
    return f"header:{attribute}={value}:{more_in}"


def number_concept(attribute: str, more_in: str, sign: int) -> str:
    """How *set A* compares, so both wordings of one difference are one test."""
    return f"header:{attribute}:{'higher' if (sign > 0) == (more_in == 'A') else 'lower'}"


def category_hypothesis(attribute: str, value: str, more_in: str, proposal_score: float = 0.0,
                        proposer: str = "header") -> Hypothesis:
    return Hypothesis(
        description=category_description(attribute, value, more_in),
        concept=category_concept(attribute, value, more_in),
        more_in=more_in, proposer=proposer, scorer="header",
        params={"header_attribute": attribute, "header_value": value},
        proposal_score=proposal_score,
    )


def number_hypothesis(attribute: str, more_in: str, sign: int, proposal_score: float = 0.0,
                      proposer: str = "header") -> Hypothesis:
    return Hypothesis(
        description=number_description(attribute, more_in, sign),
        concept=number_concept(attribute, more_in, sign),
        more_in=more_in, proposer=proposer, scorer="header",
        params={"header_attribute": attribute, "sign": sign},
        proposal_score=proposal_score,
    )


def _mw_z(scores: np.ndarray, is_a: np.ndarray) -> float:
    """Mann-Whitney z of set A scoring higher (0 when undefined)."""
    z_mw, _, _ = stats.rank_z_columns(scores[:, None], is_a)
    value = float(z_mw[0])
    return value if math.isfinite(value) else 0.0


@register_proposer
class HeaderProposer(Proposer):
    """Shortlists the header attributes whose values differ most between the proposal rows."""

    name = "header"

    def propose(self, ctx: DataContext, rows: np.ndarray, k: int) -> list[Hypothesis]:
        """Up to ``k`` header hypotheses from ``ctx.table`` rows ``rows``, strongest first."""
        rows = np.asarray(rows, dtype=np.int64)
        records = [ctx.table.records[i] for i in rows]
        if k < 1 or not any(r.header for r in records):
            return []
        is_a = ctx.table.is_a[rows]
        if is_a.all() or not is_a.any():
            raise ValueError("proposal rows must contain images of both sets")
        headers = [r.header_dict if r.header else None for r in records]
        attributes = sorted({name for h in headers if h for name in h})
        candidates: list[tuple[float, str, Hypothesis]] = []
        for attribute in attributes:
            column = [None if h is None else h.get(attribute, "") for h in headers]
            best = self._candidate(column, is_a, attribute)
            if best is not None:
                candidates.append((best.proposal_score, attribute, best))
        candidates.sort(key=lambda c: (-c[0], c[1]))
        return [hyp for _, _, hyp in candidates[:k]]

    def _candidate(self, column: list[str | None], is_a: np.ndarray,
                   attribute: str) -> Hypothesis | None:
        """The attribute's strongest claim on these rows, or None when its values do not differ.

        ``column``: each row's value of ``attribute``; "" where the row's header lacks it, None
        where the row has no header at all.
        """
        present = [v for v in column if v]
        values = set(present)
        numbers = np.array([header_number(v or None) for v in column], dtype=float)
        if len(values) > MAX_CATEGORIES and int(np.isfinite(numbers).sum()) == len(present):
            z = _mw_z(numbers, is_a)
            if z == 0.0:
                return None
            more_in = "A" if z > 0 else "B"
            return number_hypothesis(attribute, more_in, 1, proposal_score=abs(z))
        best: tuple[float, str] | None = None
        for value in sorted(values):
            scores = np.array([np.nan if v is None else float(v == value) for v in column])
            z = _mw_z(scores, is_a)
            if z != 0.0 and (best is None or abs(z) > abs(best[0])):
                best = (z, value)
        if best is None:
            return None
        z, value = best
        return category_hypothesis(attribute, value, "A" if z > 0 else "B", proposal_score=abs(z))
