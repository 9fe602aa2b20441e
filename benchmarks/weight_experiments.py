"""How the verifier weights its Benjamini-Hochberg families, compared on tasks the benchmark never uses.

The verifier (`tellapart.verify.verifier`) runs weighted BH in each fold's family; a test's
weight comes from the proposal fold only, so any weighting keeps the false discovery rate.
Which weighting finds the most true differences is an empirical question. This script answers
it without looking at the benchmark's own tasks: it draws *development* tasks from the same
suite recipes with other seeds (``suite_specs(..., seed_offset=--seed-offset)``), runs one
:class:`tellapart.Comparer` on each task whose verifier runs the verification once per
weighting scheme on the same features and proposers, and judges every scheme's findings with
the benchmark's judge::

    .venv/bin/python benchmarks/weight_experiments.py --out out/weights \
        --suites easy medium hard null heldout --n-tasks 100 --schemes rank pow3 learned3 optimal

``--seed-offset 0 --n-tasks 0`` runs the benchmark's own tasks instead (every task of each
suite), e.g. to check a scheme chosen on the development draws.

Schemes (each normalised to mean 1 over a family's proposed tests, as the verifier does):

* ``rank``: 1 / (position in its proposer's shortlist), for every proposer: the shipped weights;
* ``powK``: (1 / position) ** K for every proposer, e.g. ``pow2``;
* ``learnedK``: (1 / position) ** K for the learned proposer's claims, 1 / position for the
  others';
* ``optimal``: the power-optimal weights of Roeder & Wasserman (2009) for one-sided z tests,
  ``w = (m / alpha) * sf(xi / 2 + c / xi)``, with the effect ``xi`` estimated by the
  Mann-Whitney z (exact under ties) of the claim's scores on the proposal fold (the
  sample-splitting weights of Rubin, Dudoit & van der Laan 2006) at the family's level
  ``alpha / 2``;
* ``mix``: the mean of ``rank`` and ``optimal``.

The schemes are :meth:`tellapart.verify.Verifier.family_weights` overrides (the verifier's
public hook for the weights). Prints one line per suite and scheme (Acc@1, Acc@5, recall@5
on multi-difference tasks, precision, null rate), and writes every task's findings per
scheme to ``OUT/raw.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import norm

from tellapart import Comparer, stats
from tellapart.bench.runner import one_thread_per_worker, run_task
from tellapart.config import Settings, resolve_settings
from tellapart.context import DataContext
from tellapart.propose import Proposer
from tellapart.synth.suites import suite_specs
from tellapart.verify import Scorer
from tellapart.verify.verifier import (
    N_FOLDS,
    Candidate,
    ClaimTest,
    VerificationResult,
    Verifier,
    split_folds,
)

MIN_WEIGHT = 1e-12  # a weight of 0 would divide by zero; its test's q is 1 anyway


def optimal_weights(effects: np.ndarray, alpha: float) -> np.ndarray:
    """Roeder-Wasserman weights (mean 1) for one-sided z tests with effects ``effects`` at ``alpha``.

    Tests with an effect <= 0 get weight 0; with no positive effect every weight is 1.
    """
    xi = np.asarray(effects, dtype=np.float64)
    m = xi.size
    positive = xi > 0
    if not positive.any():
        return np.ones(m)

    def weights(c: float) -> np.ndarray:
        w = np.zeros(m)
        w[positive] = (m / alpha) * norm.sf(xi[positive] / 2 + c / xi[positive])
        return w

    lo, hi = -1e4, 1e4  # the weights' sum falls as c grows: bisect for sum == m
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if weights(mid).sum() > m else (lo, mid)
    w = weights((lo + hi) / 2)
    return w * m / w.sum()


def scheme_weights(
    scheme: str, positions: np.ndarray, learned: np.ndarray, proposal_z: np.ndarray, alpha: float
) -> np.ndarray:
    """Unnormalised weights of one family's proposed tests (``positions`` count from 1)."""
    rank = 1.0 / positions
    rank = rank * rank.size / rank.sum()
    if scheme == "rank":
        return rank
    if scheme == "optimal":
        return optimal_weights(proposal_z, alpha)
    if scheme == "mix":
        return 0.5 * rank + 0.5 * optimal_weights(proposal_z, alpha)
    if scheme.startswith("pow"):
        return positions ** -float(scheme[3:])
    if scheme.startswith("learned"):
        return np.where(learned, positions ** -float(scheme[7:]), 1.0 / positions)
    raise ValueError(f"unknown scheme {scheme!r}")


class SchemeVerifier(Verifier):
    """The shipped verifier with the weights of its BH families replaced by one scheme."""

    def __init__(self, settings: Settings, scheme: str = "rank") -> None:
        super().__init__(settings)
        self.scheme = scheme
        self.proposal_z: dict[int, float] = {}  # id(test) -> Mann-Whitney z on the proposal fold

    def test_all(
        self, ctx: DataContext, candidates: dict[str, Candidate], info: dict[str, Any]
    ) -> None:
        """The shipped tests, plus every proposed test's effect on its proposal fold."""
        super().test_all(ctx, candidates, info)
        is_a = ctx.table.is_a
        folds = split_folds(is_a, self.settings.seed)
        all_rows = np.arange(is_a.size)
        for cand in candidates.values():
            for test in cand.tests:
                if not test.from_proposer:
                    continue
                scores = self.scores(ctx, cand.scorer, test.hypothesis, all_rows)
                proposal = (folds != test.family[0]) & np.isfinite(scores)
                named_set = is_a if test.hypothesis.more_in == "A" else ~is_a
                z_mw, _, _ = stats.rank_z_columns(scores[proposal][:, None], named_set[proposal])
                self.proposal_z[id(test)] = float(z_mw[0])

    def family_weights(self, ctx: DataContext, tests: list[ClaimTest]) -> list[float]:
        """The scheme's weights, normalised to mean 1 (floored at ``MIN_WEIGHT``)."""
        if not tests:
            return []
        w = scheme_weights(
            self.scheme,
            positions=np.array([t.position + 1.0 for t in tests]),
            learned=np.array([t.hypothesis.proposer == "learned" for t in tests]),
            proposal_z=np.array([self.proposal_z[id(t)] for t in tests]),
            alpha=self.settings.alpha / N_FOLDS,
        )
        w = w * w.size / w.sum()
        floored = [max(float(weight), MIN_WEIGHT) for weight in w]
        total = sum(floored)
        return [weight * len(floored) / total for weight in floored]


class EveryScheme(Verifier):
    """Runs the verification once per scheme on the same data; the first scheme's is returned."""

    def __init__(self, settings: Settings, schemes: list[str]) -> None:
        super().__init__(settings)
        self.schemes = list(schemes)
        self.results: dict[str, VerificationResult] = {}

    def run(
        self, ctx: DataContext, proposers: list[Proposer], scorers: list[Scorer]
    ) -> VerificationResult:
        self.results = {
            scheme: SchemeVerifier(self.settings, scheme).run(ctx, proposers, scorers)
            for scheme in self.schemes
        }
        return self.results[self.schemes[0]]


def finding_dicts(result: VerificationResult) -> list[dict[str, Any]]:
    return [
        {"rank": f.rank, "description": f.description, "concept": f.concept, "more_in": f.more_in,
         "significant": bool(f.significant), "proposer": f.proposer,
         "q_value": float(f.q_value), "auroc": float(f.auroc)}
        for f in result.findings
    ]


def compare_schemes(spec: Any, root: str, options: dict[str, Any],
                    make_verifier: Callable[[Settings], Any]) -> dict[str, Any]:
    """Render (or reuse) one task and compare it once with ``make_verifier(settings)``, a
    Verifier that keeps one VerificationResult per scheme in ``results``; the task's truth and
    each scheme's findings."""
    settings = resolve_settings(None, **options)
    verifier = make_verifier(settings)
    raw = run_task(spec, root, options, comparer=Comparer(settings, verifier=verifier))
    if raw["error"]:
        raise RuntimeError(f"{spec.task_id}: {raw['error']}\n{raw.get('traceback', '')}")
    return {
        "task_id": spec.task_id, "truth": raw["truth"], "seconds": raw["seconds"],
        "schemes": {s: finding_dicts(r) for s, r in verifier.results.items()},
    }


def run_one(job: tuple[Any, str, list[str], list[str] | None]) -> dict[str, Any]:
    """Render (or reuse) one task, compare it once and verify it with every scheme."""
    spec, root, schemes, proposers = job
    options: dict[str, Any] = {"progress": False, "cache": "", "jobs": 1}
    if proposers:
        options["proposers"] = proposers
    return compare_schemes(spec, root, options, lambda settings: EveryScheme(settings, schemes))


def dev_specs(suites: list[str], n_tasks: int, seed_offset: int) -> list[Any]:
    return [spec for s in suites
            for spec in suite_specs(s, n_tasks=n_tasks or None, seed_offset=seed_offset)]


def print_table(raws: list[dict[str, Any]]) -> None:
    from tellapart.bench.judge import Judge
    from tellapart.bench.metrics import compute_metrics
    from tellapart.bench.runner import judge_task

    judge = Judge()
    by_suite: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for raw in sorted(raws, key=lambda r: r["task_id"]):
        suite = raw["task_id"].rsplit("-", 1)[0]
        for scheme, findings in raw["schemes"].items():
            one = {"task_id": raw["task_id"], "truth": raw["truth"], "findings": findings,
                   "seconds": raw["seconds"]}
            by_suite[suite][scheme].append(judge_task(one, suite, judge))
    print("| suite | scheme | tasks | Acc@1 | Acc@5 | recall@5 (multi) | precision | null rate |")
    print("|---|---|---|---|---|---|---|---|")
    for suite, schemes in by_suite.items():
        for scheme, tasks in schemes.items():
            m = compute_metrics(tasks)
            print(f"| {suite} | {scheme} | {m.n_tasks} | {m.acc1:.2f} ({m.acc1_hits}) | {m.acc5:.2f} "
                  f"| {m.recall5_multi:.3f} | {m.precision:.3f} ({m.n_significant_correct}/"
                  f"{m.n_significant}) | {m.null_rate:.3f} ({m.n_null_with_finding}/{m.n_null}) |")


def dev_parser(description: str, suites: list[str], n_tasks: int) -> argparse.ArgumentParser:
    """The arguments every development-draw script shares (--out, --suites, --n-tasks,
    --seed-offset, --jobs, --table-only)."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="task folders and raw.jsonl go here")
    parser.add_argument("--suites", nargs="+", default=suites)
    parser.add_argument("--n-tasks", type=int, default=n_tasks, help="tasks per suite (0: the whole suite)")
    parser.add_argument("--seed-offset", type=int, default=900_000,
                        help="added to every suite's seed: tasks the benchmark never draws")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--table-only", action="store_true", help="judge OUT/raw.jsonl again")
    return parser


def run_and_print(args: argparse.Namespace, worker: Callable[[Any], dict[str, Any]],
                  job_of: Callable[[Any, str], Any]) -> int:
    """Run ``worker`` on ``job_of(spec, task_root)`` for every development task (unless
    ``--table-only``), then print the judged table of OUT/raw.jsonl."""
    out = Path(args.out)
    raw_path = out / "raw.jsonl"
    if not args.table_only:
        specs = dev_specs(args.suites, args.n_tasks, args.seed_offset)
        run_jobs(worker, [job_of(spec, str(out / spec.suite / "tasks")) for spec in specs],
                 raw_path, args.jobs)
    raws = [json.loads(line) for line in raw_path.read_text(encoding="utf-8").splitlines()]
    print_table(raws)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = dev_parser(__doc__, ["easy", "medium", "hard", "null", "heldout"], 100)
    parser.add_argument("--schemes", nargs="+", default=["rank", "optimal", "mix"])
    parser.add_argument("--proposers", nargs="+", default=None,
                        help="compare's proposers (default: compare's default)")
    args = parser.parse_args(argv)
    return run_and_print(args, run_one,
                         lambda spec, root: (spec, root, args.schemes, args.proposers))


def run_jobs(worker: Callable[[Any], dict[str, Any]], jobs: list[Any], raw_path: Path,
             n_workers: int) -> None:
    """Run ``worker`` on every job in ``n_workers`` processes; one JSON line per result."""
    raw_path.parent.mkdir(parents=True, exist_ok=True)
    # fork before torch is loaded; every worker loads its own models
    ctx = multiprocessing.get_context("spawn" if "torch" in sys.modules else "fork")
    with ctx.Pool(n_workers, initializer=one_thread_per_worker) as pool, raw_path.open("w") as fh:
        for i, raw in enumerate(pool.imap_unordered(worker, jobs), 1):
            fh.write(json.dumps(raw) + "\n")
            if i % 50 == 0:
                print(f"{i}/{len(jobs)} tasks", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
