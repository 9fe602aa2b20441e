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

import argparse
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from weight_experiments import dev_specs, finding_dicts, print_table, run_jobs

from tellapart import Comparer
from tellapart.bench.runner import run_task
from tellapart.config import Settings, resolve_settings
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
    settings = resolve_settings(None, **options)
    verifier = BothGroupings(settings)
    raw = run_task(spec, root, options, comparer=Comparer(settings, verifier=verifier))
    if raw["error"]:
        raise RuntimeError(f"{spec.task_id}: {raw['error']}")
    return {"task_id": spec.task_id, "truth": raw["truth"], "seconds": raw["seconds"],
            "schemes": {s: finding_dicts(r) for s, r in verifier.results.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="task folders and raw.jsonl go here")
    parser.add_argument("--suites", nargs="+", default=["medium", "hard", "null"])
    parser.add_argument("--n-tasks", type=int, default=60, help="tasks per suite")
    parser.add_argument("--seed-offset", type=int, default=900_000,
                        help="added to every suite's seed: tasks the benchmark never draws")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--table-only", action="store_true", help="judge OUT/raw.jsonl again")
    args = parser.parse_args(argv)
    out = Path(args.out)
    raw_path = out / "raw.jsonl"
    if not args.table_only:
        specs = dev_specs(args.suites, args.n_tasks, args.seed_offset)
        jobs = [(spec, str(out / spec.suite / "tasks")) for spec in specs]
        run_jobs(run_one, jobs, raw_path, args.jobs)
    raws = [json.loads(line) for line in raw_path.read_text(encoding="utf-8").splitlines()]
    print_table(raws)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
