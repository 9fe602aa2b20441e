"""The header scorer, and what header findings add to the report.

:class:`HeaderScorer` scores a header claim per image from the record's header attributes
(:mod:`tellapart.propose.header`): 1/0 for "has this value", the number itself for an
ordinal attribute. Its claims go through the same held-out tests and the same
Benjamini-Hochberg families as every other claim.

After verification, :func:`finish_header_findings` marks header findings
(``Finding.source = "header"``), states each with its held-out shares ("ViewPosition AP: 81%
vs 22%"), and notes every significant pixel finding whose per-image scores follow a
significant header difference *within* each set (:func:`follows_header`): such a finding
differs between the sets because the images were acquired differently, and the report says
so ("this follows the view position (ViewPosition AP): likely an acquisition difference").
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from .. import stats
from ..context import DataContext
from ..propose.header import (
    attribute_label,
    category_description,
    category_hypothesis,
    category_scores,
    number_description,
    number_hypothesis,
    number_scores,
)
from ..types import Finding, Hypothesis, ImageRecord, ImageScores
from .base import Scorer, register_scorer

#: A pixel finding follows a header difference when, within each set, the images with the
#: header value score higher on it (one-sided, sets combined by Stouffer's z) at p below this ...
FOLLOWS_P = 0.001
#: ... and the within-set AUROC of its scores between images with and without the value,
#: averaged over the two sets, is at least this.
FOLLOWS_AUROC = 0.7
#: Fewest images with and without the header value in a set for it to count.
FOLLOWS_MIN_IMAGES = 3


@register_scorer
class HeaderScorer(Scorer):
    """Scores header claims from :attr:`ImageRecord.header` (no pixels are read)."""

    name = "header"
    leads = True

    def can_score(self, hypothesis: Hypothesis) -> bool:
        params = hypothesis.params
        if not isinstance(params.get("header_attribute"), str):
            return False
        return isinstance(params.get("header_value"), str) or params.get("sign") in (1, -1)

    def can_score_in(self, hypothesis: Hypothesis, ctx: DataContext) -> bool:
        if not self.can_score(hypothesis):
            return False
        attribute = hypothesis.params["header_attribute"]
        return any(attribute in r.header_dict for r in ctx.table.records)

    def score(self, hypothesis: Hypothesis, ctx: DataContext, rows: np.ndarray) -> np.ndarray:
        if not self.can_score(hypothesis):
            raise ValueError(f"not a header hypothesis (params {hypothesis.params!r})")
        records = [ctx.table.records[i] for i in np.asarray(rows, dtype=np.int64)]
        return header_scores(hypothesis, records)

    def orient(self, hypothesis: Hypothesis, more_in: str) -> Hypothesis:
        params = hypothesis.params
        attribute = params["header_attribute"]
        if "header_value" in params:
            fresh = category_hypothesis(attribute, params["header_value"], more_in,
                                        proposer=hypothesis.proposer)
        else:  # the scores stay those of the wording: only the set named changes
            fresh = number_hypothesis(attribute, more_in, int(params["sign"]),
                                      proposer=hypothesis.proposer)
        return replace(hypothesis, description=fresh.description, concept=fresh.concept,
                       more_in=more_in)


def header_scores(hypothesis: Hypothesis, records: list[ImageRecord]) -> np.ndarray:
    """(len(records),) per-image scores of a header claim (see :class:`HeaderScorer`)."""
    params = hypothesis.params
    attribute = params["header_attribute"]
    if "header_value" in params:
        return category_scores(records, attribute, params["header_value"])
    return number_scores(records, attribute) * float(params["sign"])


def _is_header(finding: Finding) -> bool:
    return finding.scorer == HeaderScorer.name


def _held_out_shares(finding: Finding) -> dict[str, float] | None:
    """Each set's share of held-out images with the value (the mean of its 1/0 scores)."""
    shares = {}
    for name in ("A", "B"):
        values = np.asarray(finding.scores.get(name, []), dtype=float)
        values = values[np.isfinite(values)]
        if values.size == 0:
            return None
        shares[name] = float(values.mean())
    return shares


def _category(finding: Finding) -> tuple[str, str] | None:
    """(attribute, value) of a categorical header finding's concept, else None."""
    body = finding.concept.removeprefix("header:")
    if "=" not in body:
        return None
    attribute, rest = body.split("=", 1)
    return attribute, rest.rsplit(":", 1)[0]


def _restate(finding: Finding) -> None:
    """A header finding stated with its held-out shares (categorical) or medians (ordinal)."""
    category = _category(finding)
    if category is not None:
        shares = _held_out_shares(finding)
        if shares is not None:
            finding.description = category_description(*category, finding.more_in, shares)
        return
    body = finding.concept.removeprefix("header:")
    attribute, direction = body.rsplit(":", 1)
    a_higher = direction == "higher"
    sign = 1 if a_higher == (finding.more_in == "A") else -1
    medians = {}
    for name in ("A", "B"):
        values = np.asarray(finding.scores.get(name, []), dtype=float)
        values = values[np.isfinite(values)]
        if values.size == 0:
            return
        medians[name] = sign * float(np.median(values))
    finding.description = number_description(attribute, finding.more_in, sign, medians)


def follows_header(pixel_scores: np.ndarray, has_value: np.ndarray, is_a: np.ndarray,
                   same_direction: bool) -> bool:
    """Whether per-image ``pixel_scores`` follow a header value within each set.

    Parameters
    ----------
    pixel_scores : np.ndarray
        (N,) a pixel finding's per-image scores (NaN = missing).
    has_value : np.ndarray
        (N,) 1/0: the image has the header value (NaN = no header).
    is_a : np.ndarray
        (N,) bool set membership.
    same_direction : bool
        True when the finding and the header value are more common in the same set: images
        with the value should then score higher, else lower.

    Returns
    -------
    bool
        Within each set with enough images of both kinds, the images with the value score
        higher (lower) on the finding, at p < :data:`FOLLOWS_P` (Stouffer over the sets) with
        a mean within-set AUROC >= :data:`FOLLOWS_AUROC`.
    """
    sign = 1.0 if same_direction else -1.0
    zs, areas = [], []
    for in_set in (is_a, ~is_a):
        keep = in_set & np.isfinite(pixel_scores) & np.isfinite(has_value)
        x = sign * pixel_scores[keep & (has_value == 1)]
        y = sign * pixel_scores[keep & (has_value == 0)]
        if x.size < FOLLOWS_MIN_IMAGES or y.size < FOLLOWS_MIN_IMAGES:
            continue
        p = min(max(stats.mannwhitney_p(x, y, "greater"), 1e-300), 1.0 - 1e-16)
        zs.append(float(-stats.normal_quantiles(np.array([p]))[0]))
        areas.append(stats.auroc(x, y))
    if not zs:
        return False
    z = sum(zs) / math.sqrt(len(zs))
    p_combined = 0.5 * math.erfc(z / math.sqrt(2.0))
    return p_combined < FOLLOWS_P and float(np.mean(areas)) >= FOLLOWS_AUROC


def _note(pixel: Finding, headers: list[Finding], records: list[ImageRecord],
          image_scores: ImageScores, is_a: np.ndarray) -> str:
    column = image_scores.columns.get(f"finding_{pixel.rank}:{pixel.concept}")
    if column is None:
        return ""
    for header in headers:
        attribute, value = _category(header) or ("", "")
        has_value = category_scores(records, attribute, value)
        if follows_header(np.asarray(column, dtype=float), has_value, is_a,
                          pixel.more_in == header.more_in):
            return (f"this follows the {attribute_label(attribute)} ({attribute} {value}): "
                    "likely an acquisition difference")
    return ""


def finish_header_findings(findings: list[Finding], records: list[ImageRecord],
                           image_scores: ImageScores | None) -> None:
    """Mark and restate header findings; note pixel findings that follow one (in place).

    Parameters
    ----------
    findings : list of Finding
        The verifier's top-level findings (``related`` entries are left as they are).
    records : list of ImageRecord
        The feature table's records, in the row order of ``image_scores``.
    image_scores : ImageScores or None
        Per-image scores of the top-level findings (from the overall stage); without them no
        acquisition note is written.
    """
    for finding in findings:
        if _is_header(finding):
            finding.source = "header"
            _restate(finding)
    headers = [f for f in findings if _is_header(f) and f.significant and _category(f)]
    if not headers or image_scores is None:
        return
    if [r.path for r in records] != list(image_scores.paths):
        raise ValueError("per-image scores are not in the order of the feature table")
    is_a = np.array([r.set_name == "A" for r in records], dtype=bool)
    for finding in findings:
        if finding.significant and not _is_header(finding):
            finding.acquisition_note = _note(finding, headers, records, image_scores, is_a)
