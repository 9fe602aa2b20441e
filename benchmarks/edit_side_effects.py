"""Listing under a confirmed trained difference the measurement findings its edit makes: the
benchmark's metrics at several shares ``edit_side_effect_share``, on the same tasks, features,
proposals and verification.

Usage::

    .venv/bin/python benchmarks/edit_side_effects.py --out DIR [--suites medium hard null]
        [--n-tasks 40] [--seed-offset 900000] [--jobs 2] [--table-only]

Tasks come from the suite recipes with other seeds (``suite_specs(..., seed_offset=...)``:
development draws, never the benchmark's own tasks). Each task is compared once; its overall
stage (counterfactual checks included) runs once per share (None: nothing listed this way),
and each finding list is judged by the benchmark's judge (Acc@1, Acc@5, recall@5 of
multi-difference tasks, precision, null rate). Findings only move under a finding ranked above
them, so Acc@1 and the null rate cannot move.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import numpy as np
from weight_experiments import compare_schemes, dev_parser, run_and_print

from tellapart.config import Settings
from tellapart.context import DataContext
from tellapart.verify import Scorer, Verifier
from tellapart.verify.verifier import VerificationResult

SHARES: dict[str, float | None] = {"none": None, "0.3": 0.3, "0.5": 0.5, "0.7": 0.7}


class EveryShare(Verifier):
    """Runs the overall stage once per share of :data:`SHARES`, each on its own copy of the
    verification result, and keeps them all (the first is handed on)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.results: dict[str, VerificationResult] = {}

    def explain(self, ctx: DataContext, scorers: list[Scorer], folds: np.ndarray,
                result: VerificationResult, finding_scores: list[np.ndarray]) -> None:
        base = self.settings
        for scheme, share in SHARES.items():
            self.settings = replace(base, edit_side_effect_share=share)
            copied = copy.deepcopy(result)
            super().explain(ctx, scorers, folds, copied, finding_scores)
            self.results[scheme] = copied
        self.settings = base
        first = self.results[next(iter(SHARES))]
        result.findings, result.overall = first.findings, first.overall
        result.image_scores = first.image_scores


def run_one(job: tuple[Any, str]) -> dict[str, Any]:
    spec, root = job
    return compare_schemes(spec, root, {"progress": False, "cache": "", "jobs": 1}, EveryShare)


def main(argv: list[str] | None = None) -> int:
    args = dev_parser(__doc__, ["medium", "hard", "null"], 40).parse_args(argv)
    return run_and_print(args, run_one, lambda spec, root: (spec, root))


if __name__ == "__main__":
    raise SystemExit(main())
