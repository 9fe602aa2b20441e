"""The measurement proposer: "set X images are <more/less> than set Y images", one per measurement.

Wording rule
------------
A difference in one measurement can be said two ways ("Set A images are darker than
set B images" = "Set B images are brighter than set A images"). Both share one
``concept`` (``"<measurement>:higher"`` or ``"<measurement>:lower"``, always saying how
*set A* compares), so they are one test. The sentence names set A, unless the proposal
part shows the signature of a difference carried by part of set B: set B's Savage
(upper-tail) rank statistic beats both set A's and the whole-set Mann-Whitney
statistic. So a whole-set darkening of A reads "Set A images are darker", half of A
darkened reads the same, and half of B brightened reads "Set B images are brighter".
The held-out test then weighs the tail of the named set, where a partial difference
shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np

from .. import stats
from ..context import DataContext
from ..measure.words import MeasurementWords, measurement_hypothesis, measurement_words
from ..types import Hypothesis
from .base import Proposer, register_proposer

# Above this |Spearman r| on the proposal rows two measurements are near-duplicates:
# shortlisting both would spend a test on the same evidence.
NEAR_DUPLICATE_R = 0.95


@register_proposer
class MeasurementProposer(Proposer):
    """Ranks every measurement column by how differently the two sets rank on the proposal rows.

    For each column and each direction the ranking statistic is the one the held-out
    test will use, max(Mann-Whitney z, Savage upper-tail z of the named set), so the
    shortlist favours what the test can confirm, including differences carried by only
    part of a set. Near-duplicate columns (|Spearman r| > 0.95 on the proposal rows)
    of an already shortlisted one are skipped so the shortlist stays diverse.

    Parameters
    ----------
    words : mapping, optional
        Measurement name -> :class:`MeasurementWords`, overriding the registry.
    ranking : {"rank-max", "mann-whitney"}
        "mann-whitney" ranks by the Mann-Whitney z alone (for comparison studies).
    """

    name = "measurements"

    def __init__(
        self,
        words: Mapping[str, MeasurementWords] | None = None,
        ranking: Literal["rank-max", "mann-whitney"] = "rank-max",
    ) -> None:
        if ranking not in ("rank-max", "mann-whitney"):
            raise ValueError(f"unknown ranking {ranking!r}")
        self.words = words
        self.ranking = ranking

    def propose(self, ctx: DataContext, rows: np.ndarray, k: int) -> list[Hypothesis]:
        """Up to ``k`` measurement hypotheses from ``ctx.table`` rows ``rows``, strongest first."""
        table = ctx.table
        rows = np.asarray(rows, dtype=np.int64)
        if k < 1 or table.values.shape[1] == 0 or rows.size == 0:
            return []
        values = table.values[rows]
        is_a = table.is_a[rows]
        if is_a.all() or not is_a.any():
            raise ValueError("proposal rows must contain images of both sets")
        # Columns that separate the proposal rows perfectly share one rank statistic; how far
        # apart the sets are (Cohen's d in the candidate's direction) breaks those ties, not
        # the column's name.
        gap_a_over_b = np.nan_to_num(stats.standardized_difference_columns(values, is_a), nan=0.0)
        # (statistic, column, more_in, sign, gap) for every column and direction.
        candidates: list[tuple[float, int, str, int, float]] = []
        for a_sign in (1, -1):  # +1: set A higher on the column; -1: set A lower
            z_mw, z_tail_a, z_tail_b = stats.rank_z_columns(a_sign * values, is_a)
            for j in range(values.shape[1]):
                if self.ranking == "mann-whitney":
                    more_in, tail = "A", -np.inf
                elif z_tail_b[j] > max(z_tail_a[j], z_mw[j]):
                    more_in, tail = "B", z_tail_b[j]
                else:
                    more_in, tail = "A", z_tail_a[j]
                statistic = float(max(z_mw[j], tail))
                if statistic > 0:
                    sign = a_sign if more_in == "A" else -a_sign
                    gap = float(a_sign * gap_a_over_b[j])
                    candidates.append((statistic, j, more_in, sign, gap))
        candidates.sort(key=lambda c: (-c[0], -c[4], table.names[c[1]], c[2]))
        corr = stats.spearman_matrix(values) if candidates else np.zeros((0, 0))
        chosen: list[tuple[float, int, str, int, float]] = []
        for cand in candidates:
            if len(chosen) >= k:
                break
            column = cand[1]
            if any(c[1] == column or abs(corr[c[1], column]) > NEAR_DUPLICATE_R for c in chosen):
                continue
            chosen.append(cand)
        return [
            measurement_hypothesis(
                measurement_words(table.names[column], self.words),
                more_in,
                sign,
                proposer=self.name,
                proposal_score=statistic,
            )
            for statistic, column, more_in, sign, _ in chosen
        ]
