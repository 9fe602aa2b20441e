"""How the verifier weights its Benjamini-Hochberg families, compared on tasks the benchmark never uses.

The verifier (`tellapart.verify.verifier`) runs weighted BH in each fold's family; a test's
weight comes from the proposal fold only, so any weighting keeps the false discovery rate.
Which weighting finds the most true differences is an empirical question. This script answers
it without looking at the benchmark's own tasks: it draws *development* tasks from the same
suite recipes with other seeds (every suite's seed + ``--seed-offset``), runs ``compare`` on
each task once, runs the verification once per weighting scheme on the same features and
proposers, and judges every scheme's findings with the benchmark's judge::

    .venv/bin/python benchmarks/weight_experiments.py --out /tmp/s10/dev \
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

Prints one line per suite and scheme (Acc@1, Acc@5, recall@5 on multi-difference tasks,
precision, null rate), and writes every task's findings per scheme to ``OUT/raw.jsonl``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import norm

import tellapart.pipeline as pipeline
import tellapart.synth.suites as suites_module
from tellapart import stats
from tellapart.bench.runner import _one_thread_per_worker
from tellapart.config import Settings
from tellapart.context import DataContext
from tellapart.propose.base import Proposer
from tellapart.verify.base import Scorer
from tellapart.verify.verifier import VerificationResult, Verifier, _Candidate, split_folds

SCHEMES: list[str] = ["rank"]
RESULTS: dict[str, VerificationResult] = {}


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


class SchemeVerifier(Verifier):
    """The shipped verifier with the weights of its BH families replaced by one scheme."""

    scheme = "rank"

    def _test_all(
        self, ctx: DataContext, candidates: dict[str, _Candidate], info: dict[str, Any]
    ) -> None:
        super()._test_all(ctx, candidates, info)
        is_a = ctx.table.is_a
        folds = split_folds(is_a, self.settings.seed)
        all_rows = np.arange(is_a.size)
        for cand in candidates.values():
            for test in cand.tests:
                if not test.from_proposer:
                    continue
                scores = self._scores(ctx, cand.scorer, test.hypothesis, all_rows)
                proposal = (folds != test.family[0]) & np.isfinite(scores)
                named_set = is_a if test.hypothesis.more_in == "A" else ~is_a
                z_mw, _, _ = stats.rank_z_columns(scores[proposal][:, None], named_set[proposal])
                test.proposal_z = float(z_mw[0])  # type: ignore[attr-defined]

    def _correct(self, candidates: dict[str, _Candidate], n_families: int) -> None:
        families: dict[int, list[Any]] = defaultdict(list)
        for cand in candidates.values():
            for test in cand.tests:
                if test.from_proposer:
                    families[test.family[0]].append(test)
        for tests in families.values():
            # the verifier's prior weight is 1 / (position + 1) until it normalises them
            positions = np.array([np.rint(1.0 / t.weight) for t in tests])
            learned = np.array([t.hypothesis.proposer == "learned" for t in tests])
            rank = 1.0 / positions
            rank = rank * rank.size / rank.sum()
            optimal = optimal_weights(
                np.array([t.proposal_z for t in tests]), self.settings.alpha / n_families
            )
            if self.scheme == "rank":
                w = rank
            elif self.scheme == "optimal":
                w = optimal
            elif self.scheme == "mix":
                w = 0.5 * rank + 0.5 * optimal
            elif self.scheme.startswith("pow"):
                w = positions ** -float(self.scheme[3:])
            elif self.scheme.startswith("learned"):
                w = np.where(learned, positions ** -float(self.scheme[7:]), 1.0 / positions)
            else:
                raise ValueError(f"unknown scheme {self.scheme!r}")
            w = w * w.size / w.sum()
            for test, weight in zip(tests, w, strict=True):
                test.weight = max(float(weight), 1e-12)  # 0 would divide by zero: q = 1 anyway
        super()._correct(candidates, n_families)


def verify_every_scheme(
    ctx: DataContext, *, proposers: list[Proposer], scorers: list[Scorer], settings: Settings
) -> VerificationResult:
    RESULTS.clear()
    for scheme in SCHEMES:
        verifier = SchemeVerifier(settings)
        verifier.scheme = scheme
        RESULTS[scheme] = verifier.run(ctx, proposers, scorers)
    return RESULTS[SCHEMES[0]]


def _finding_dicts(result: VerificationResult) -> list[dict[str, Any]]:
    return [
        {"rank": f.rank, "description": f.description, "concept": f.concept, "more_in": f.more_in,
         "significant": bool(f.significant), "proposer": f.proposer,
         "q_value": float(f.q_value), "auroc": float(f.auroc)}
        for f in result.findings
    ]


def _run_task(job: tuple[Any, str, list[str], list[str] | None]) -> dict[str, Any]:
    from tellapart.bench.runner import _run_task as run_bench_task

    spec, root, schemes, proposers = job
    SCHEMES[:] = schemes
    pipeline.verify = verify_every_scheme  # type: ignore[assignment]
    RESULTS.clear()
    options: dict[str, Any] = {"progress": False, "cache": "", "jobs": 1}
    if proposers:
        options["proposers"] = proposers
    raw = run_bench_task(spec, root, options)  # renders or reuses the task, then compares
    if raw["error"]:
        raise RuntimeError(f"{spec.task_id}: {raw['error']}\n{raw.get('traceback', '')}")
    return {
        "task_id": spec.task_id, "truth": raw["truth"], "seconds": raw["seconds"],
        "schemes": {s: _finding_dicts(r) for s, r in RESULTS.items()},
    }


def _dev_specs(suites: list[str], n_tasks: int, seed_offset: int) -> list[Any]:
    original = dict(suites_module.SUITES)
    try:
        for name, info in original.items():
            suites_module.SUITES[name] = dataclasses.replace(info, seed=info.seed + seed_offset)
        return [spec for s in suites
                for spec in suites_module.suite_specs(s, n_tasks=n_tasks or None)]
    finally:
        suites_module.SUITES.update(original)


def _print_table(raws: list[dict[str, Any]]) -> None:
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="task folders and raw.jsonl go here")
    parser.add_argument("--suites", nargs="+", default=["easy", "medium", "hard", "null", "heldout"])
    parser.add_argument("--n-tasks", type=int, default=100, help="tasks per suite (0: the whole suite)")
    parser.add_argument("--seed-offset", type=int, default=900_000,
                        help="added to every suite's seed: tasks the benchmark never draws")
    parser.add_argument("--schemes", nargs="+", default=["rank", "optimal", "mix"])
    parser.add_argument("--proposers", nargs="+", default=None,
                        help="compare's proposers (default: compare's default)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--table-only", action="store_true", help="judge OUT/raw.jsonl again")
    args = parser.parse_args(argv)
    out = Path(args.out)
    raw_path = out / "raw.jsonl"
    if not args.table_only:
        specs = _dev_specs(args.suites, args.n_tasks, args.seed_offset)
        jobs = [(spec, str(out / spec.suite / "tasks"), args.schemes, args.proposers)
                for spec in specs]
        out.mkdir(parents=True, exist_ok=True)
        # fork before torch is loaded; every worker loads its own models
        ctx = multiprocessing.get_context("spawn" if "torch" in sys.modules else "fork")
        with ctx.Pool(args.jobs, initializer=_one_thread_per_worker) as pool, \
                raw_path.open("w") as fh:
            for i, raw in enumerate(pool.imap_unordered(_run_task, jobs), 1):
                fh.write(json.dumps(raw) + "\n")
                if i % 50 == 0:
                    print(f"{i}/{len(jobs)} tasks", file=sys.stderr, flush=True)
    raws = [json.loads(line) for line in raw_path.read_text(encoding="utf-8").splitlines()]
    _print_table(raws)
    return 0


if __name__ == "__main__":
    sys.exit(main())
