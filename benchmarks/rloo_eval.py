"""Measure the decoder's sentences on development draws: verified significant *and* judged true.

Usage::

    python benchmarks/rloo_eval.py --describer shipped --out out/rloo_eval/shipped.json
    python benchmarks/rloo_eval.py --describer out/rloo/final --out out/rloo_eval/tuned.json
    python benchmarks/rloo_eval.py --describer out/rloo/final --full --suites null ...

The metric (fixed before measuring):

- Tasks: development draws of the synthetic suites, ``suite_specs(suite, seed_offset=OFFSET)``
  (default offset 5000; never the suites' own reporting seeds), 50 images per side, 128 px.
- Each task is compared by ``tellapart.compare`` with one proposer: the ``learned`` proposer's
  decoder path (its beam-searched sentences, read and ranked exactly as
  :class:`tellapart.propose.learned.LearnedProposer` does, without the type-head
  candidates), verified by the default verifier on held-out images.
- **decoder claims**: the hypotheses that proposer hands to the verifier, summed over tasks.
- **verified true**: findings of those claims that are significant and that the bench judge
  (:class:`tellapart.bench.judge.Judge`) matches to a true difference of the task.
- **share** = verified true / decoder claims, over the non-null suites.
- **null rate**: on the ``null`` suite's development draws, the share of tasks that report any
  significant finding. ``--full`` compares with the default proposers (``learned
  measurements``, every head) instead, for the null rate a user sees.

The describer is chosen like a user does, through ``$TELLAPART_DESCRIBER`` (``shipped``: the
package's weights), so the verifier's learned scorer reads with the same weights.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

NON_NULL = ("easy", "medium", "hard")


def decoder_proposer(model: Any) -> Any:
    """The learned proposer with its decoder as the only source of sentences."""
    from tellapart.propose.learned import LearnedProposer

    class DecoderOnly(LearnedProposer):
        made: list[int] = []

        def propose(self, ctx: Any, rows: np.ndarray, k: int) -> list[Any]:
            model = self._get_model()
            saved = model.type_claims
            model.type_claims = lambda *a, **kw: []  # the decoder's sentences only
            try:
                out = super().propose(ctx, rows, k)
            finally:
                model.type_claims = saved
            self.made.append(len(out))
            return out

    return DecoderOnly(model=model)


def run_suite(suite: str, args: argparse.Namespace, judge: Any) -> list[dict[str, Any]]:
    from tellapart.bench.runner import judge_task, run_task
    from tellapart.models.weights import load_default
    from tellapart.pipeline import Comparer
    from tellapart.synth import suite_specs

    options = {"progress": False, "cache": "", "jobs": 1, "library": ""}
    proposer = None if args.full else decoder_proposer(load_default())
    rows = []
    task_root = Path(args.tasks_dir) / f"{suite}-offset{args.seed_offset}"
    for spec in suite_specs(suite, n_tasks=args.n_tasks if suite != "null" else args.n_null,
                            n_per_side=50, size=128, seed_offset=args.seed_offset):
        if proposer is not None:
            proposer.made.clear()
            comparer = Comparer(proposers=[proposer], **options)
        else:
            comparer = Comparer(**options)
        raw = run_task(spec, str(task_root), options, comparer=comparer)
        result = judge_task(raw, suite, judge)
        findings = result.findings
        rows.append({
            "suite": suite, "task_id": result.task_id, "null": result.null, "error": result.error,
            "claims": sum(proposer.made) if proposer is not None else len(findings),
            "significant": sum(f.significant for f in findings),
            "verified_true": sum(f.significant and bool(f.matches) for f in findings),
            "sentences": [[f.description, f.significant, bool(f.matches)] for f in findings],
        })
        print(f"{suite} {result.task_id}: {rows[-1]['verified_true']}/{rows[-1]['claims']} "
              f"verified true, {rows[-1]['significant']} significant", file=sys.stderr, flush=True)
    return rows


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    real = [r for r in rows if not r["null"]]
    null = [r for r in rows if r["null"]]
    claims = sum(r["claims"] for r in real)
    true = sum(r["verified_true"] for r in real)
    out: dict[str, Any] = {
        "claims": claims, "verified_true": true, "share": true / claims if claims else None,
        "errors": sum(r["error"] is not None for r in rows),
    }
    for suite in NON_NULL:
        sub = [r for r in real if r["suite"] == suite]
        c, t = sum(r["claims"] for r in sub), sum(r["verified_true"] for r in sub)
        out[suite] = {"tasks": len(sub), "claims": c, "verified_true": t,
                      "share": t / c if c else None}
    if null:
        hit = sum(r["significant"] > 0 for r in null)
        out["null"] = {"tasks": len(null), "reporting": hit, "null_rate": hit / len(null)}
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--describer", default="shipped", help="describer folder, or 'shipped'")
    p.add_argument("--suites", nargs="+", default=[*NON_NULL, "null"])
    p.add_argument("--n-tasks", type=int, default=30, help="development tasks per non-null suite")
    p.add_argument("--n-null", type=int, default=60, help="development tasks of the null suite")
    p.add_argument("--seed-offset", type=int, default=5000)
    p.add_argument("--full", action="store_true", help="default proposers instead of the decoder's")
    p.add_argument("--tasks-dir", default="out/rloo_eval/tasks")
    p.add_argument("--out", required=True, help="summary JSON (per-task rows beside it, .jsonl)")
    args = p.parse_args(argv)
    if args.describer != "shipped":
        os.environ["TELLAPART_DESCRIBER"] = str(Path(args.describer).resolve())
    else:
        os.environ.pop("TELLAPART_DESCRIBER", None)
    import torch

    torch.set_num_threads(1)
    from tellapart.bench.judge import Judge

    judge = Judge()
    t0 = time.perf_counter()
    rows = [r for suite in args.suites for r in run_suite(suite, args, judge)]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, check=False).stdout.strip()
    summary = {"describer": args.describer, "full": args.full, "seed_offset": args.seed_offset,
               "suites": args.suites, "commit": commit, "date": date.today().isoformat(),
               "seconds": round(time.perf_counter() - t0, 1), **summarise(rows)}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    out.with_suffix(".jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
