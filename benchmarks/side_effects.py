"""Listing side effects under the finding that accounts for them: the benchmark's metrics with
``group_side_effects`` on and off, on the same tasks, features and proposals.

Usage::

    .venv/bin/python benchmarks/side_effects.py --out DIR [--suites medium hard null]
        [--n-tasks 60] [--seed-offset 900000] [--jobs 2] [--table-only]

Tasks come from the suite recipes with other seeds (``suite_specs(..., seed_offset=...)``:
development draws, never the benchmark's own tasks). Each task is compared once; its
verification runs twice (side effects grouped, and not), and both finding lists are judged by
the benchmark's judge (Acc@1, Acc@5, recall@5 of multi-difference tasks, precision, null rate).
Grouping moves findings under others, never changes significance, so the null rate cannot move.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from weight_experiments import compare_schemes, dev_parser, run_and_print

from tellapart.config import Settings
from tellapart.context import DataContext
from tellapart.propose.base import Proposer
from tellapart.verify import Scorer, Verifier
from tellapart.verify.verifier import VerificationResult

SCHEMES = ("grouped", "not grouped")


class BothGroupings(Verifier):
    """Verifies twice, side effects grouped and not, and keeps both results."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.results: dict[str, VerificationResult] = {}

    def run(self, ctx: DataContext, proposers: list[Proposer], scorers: list[Scorer]) -> VerificationResult:
        base = self.settings
        for scheme in SCHEMES:
            self.settings = replace(base, group_side_effects=scheme == "grouped")
            self.results[scheme] = super().run(ctx, proposers, scorers)
        self.settings = base
        return self.results["grouped"]


def run_one(job: tuple[Any, str]) -> dict[str, Any]:
    spec, root = job
    options: dict[str, Any] = {"progress": False, "cache": "", "jobs": 1, "overall": False}
    return compare_schemes(spec, root, options, BothGroupings)


def main(argv: list[str] | None = None) -> int:
    args = dev_parser(__doc__, ["medium", "hard", "null"], 60).parse_args(argv)
    return run_and_print(args, run_one, lambda spec, root: (spec, root))


if __name__ == "__main__":
    raise SystemExit(main())
