"""What the verifier could confirm, and whether a detector is at rest: measured on bench output.

Each sub-command prints a markdown table::

    .venv/bin/python benchmarks/describer_ceiling.py ceiling --tasks BENCH_OUT/hard/tasks [--alpha 0.05]
    .venv/bin/python benchmarks/describer_ceiling.py floor-activity --bench BENCH_OUT

Every sub-command takes ``--model FOLDER`` (a saved describer, e.g. ``tellapart train --out
DIR`` gives ``DIR/final``; default: ``$TELLAPART_DESCRIBER`` or the weights shipped in the
package), ``--threads N`` (torch threads; 0 = the library default) and ``--seed``.

``ceiling``: on the task folders ``tellapart bench`` wrote, the accuracy a perfect per-image
detector of the true differences would reach under the verifier's held-out design (an upper
bound for any proposer and scorer), and the accuracy of the type head alone when every
trained type is tested on all images.

``floor-activity``: for every significant trained-difference claim of a ``tellapart bench``
output, the share of the other set's images whose type logit is above the claim's floor.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from describer_common import load_model, model_name, run_script, set_threads

if TYPE_CHECKING:
    from tellapart.models.describer import Describer

# (suite, task id, concept, names a true difference, leads its task, share of the other set
# above the floor)
FloorRow = tuple[str, str, str, bool, bool, float]


def read_images(files: Sequence[Path]) -> np.ndarray:
    from PIL import Image

    return np.stack([np.asarray(Image.open(f).convert("RGB")) for f in files])


# -- floor-activity: is the detector at rest on the set a claim does not name? -----------------------


def floor_rows(model: Describer, floors: np.ndarray, results: Path) -> list[FloorRow]:
    """The rows of one suite's ``results.jsonl``: one per significant trained-difference claim."""
    suite = results.parent.name
    rows: list[FloorRow] = []
    for line in results.read_text().splitlines():
        task = json.loads(line)
        significant = [f for f in task["findings"] if f["significant"]]
        claims = [f for f in significant if f["concept"].startswith("diff:")]
        if not claims:
            continue
        folder = results.parent / "tasks" / task["task_id"]
        logits = {side.upper(): model.type_logits(model.embed(
                      read_images(sorted((folder / side).glob("*.png")))))  # (N, T)
                  for side in ("a", "b")}
        for f in claims:
            k = model.type_index(f["concept"])
            assert k is not None, f["concept"]
            other = logits["B" if f["more_in"] == "A" else "A"][:, k]
            rows.append((suite, task["task_id"], f["concept"], bool(f["correct"]),
                         f is significant[0], float(np.mean(other > floors[k]))))
    return rows


def cmd_floor_activity(args: argparse.Namespace) -> None:
    """For every significant trained-difference claim of a ``tellapart bench`` output: the share
    of the *other* set's images (all of them, seen whole) whose type logit is above the
    claim's floor, split by whether the claim named a true difference and whether it led its
    task. The evidence for ``tellapart.verify.verifier.OTHER_SET_ABOVE_FLOOR``."""
    from tellapart.models.reading import type_floor_logits

    set_threads(args.threads)
    model = load_model(args.model)
    floors = type_floor_logits(model)
    rows: list[FloorRow] = []
    for results in sorted(Path(args.bench).glob("*/results.jsonl")):
        rows += floor_rows(model, floors, results)
    print("| claims | n | other set above the floor on <= 10 % | 10-50 % | > 50 % |")
    print("|---|---|---|---|---|")
    for name, keep in (("name a true difference", lambda r: r[3]),
                       ("name none", lambda r: not r[3]),
                       ("name none and lead their task", lambda r: not r[3] and r[4])):
        sel = [r[5] for r in rows if keep(r)]
        print(f"| {name} | {len(sel)} | {sum(v <= 0.1 for v in sel)} | "
              f"{sum(0.1 < v <= 0.5 for v in sel)} | {sum(v > 0.5 for v in sel)} |")
    print()
    for suite, task_id, concept, correct, first, share in rows:
        if share > 0.5:
            print(f"- {suite} {task_id} {concept}: other set above the floor on {share:.0%}"
                  f"{', leads its task' if first else ''}{', names a true difference' if correct else ''}")
    print(f"Model: {model_name(args.model)}; bench output {args.bench}.")


# -- ceiling: what the verifier could confirm with a perfect detector ------------------------------


def oracle_significant(truth: dict[str, Any], files: list[str], is_a: np.ndarray) -> np.ndarray:
    """Which true differences a perfect per-image detector makes significant under the
    verifier's held-out design (two folds, ``p = 2 min_h p_h``, BH at 0.05)."""
    from tellapart import stats
    from tellapart.verify.verifier import cross_fit_p_value, split_folds

    folds = split_folds(is_a, 0)
    oracle_p = []
    for d in truth["differences"]:
        hit = set(d["affected"])
        score = np.array([1.0 if f in hit else 0.0 for f in files])
        more = is_a if d["target"] == "A" else ~is_a
        fold_p = [stats.mannwhitney_p(score[more & (folds == h)], score[~more & (folds == h)],
                                      "greater") for h in range(2)]
        oracle_p.append(cross_fit_p_value(fold_p))
    return stats.benjamini_hochberg(oracle_p) <= 0.05


def type_head_top5(model: Describer, logits: np.ndarray, is_a: np.ndarray,
                   alpha: float) -> list[tuple[str, str]]:
    """(type, set) of the five significant type-head claims of highest AUROC, every trained
    type tested in both directions on all images (BH at ``alpha``)."""
    from tellapart import stats

    keys, ps, aucs = [], [], []
    for k, tid in enumerate(model.type_ids):
        for side in "AB":
            more = is_a if side == "A" else ~is_a
            x, y = logits[more, k], logits[~more, k]
            keys.append((tid, side))
            ps.append(stats.mannwhitney_p(x, y, "greater"))
            aucs.append(stats.auroc(x, y))
    q = stats.benjamini_hochberg(ps)
    return [keys[i] for i in np.argsort(-np.array(aucs), kind="stable") if q[i] <= alpha][:5]


def ceiling_row(model: Describer, floors: np.ndarray, task_dir: Path,
                alpha: float) -> dict[str, Any] | None:
    """Oracle and type-head results of one task folder (None without a true difference)."""
    truth_file = task_dir / "truth.json"
    if not truth_file.is_file():
        return None
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    if not truth["differences"]:
        return None
    n = int(truth["n_per_side"])
    files = [f"a/{i:04d}.png" for i in range(n)] + [f"b/{i:04d}.png" for i in range(n)]
    is_a = np.arange(2 * n) < n
    oracle_sig = oracle_significant(truth, files, is_a)
    images = read_images([task_dir / f for f in files])
    logits = np.maximum(model.type_logits(model.embed(images)), floors)  # (2n, T)
    top = type_head_top5(model, logits, is_a, alpha)
    true = {(d["type_id"], d["target"]) for d in truth["differences"]}
    return {"task": task_dir.name, "n_true": len(true), "oracle": bool(oracle_sig.any()),
            "oracle_recall": float(oracle_sig.mean()),
            "type_acc1": bool(top) and top[0] in true,
            "type_acc5": any(t in true for t in top),
            "type_recall5": len(true & set(top)) / len(true)}


def cmd_ceiling(args: argparse.Namespace) -> None:
    """Oracle and type-head-only accuracies on tasks written by ``tellapart bench``.

    For every task folder under ``--tasks`` (``BENCH_OUT/<suite>/tasks``):

    - oracle: a perfect per-image detector of each true difference (1 on the images the
      difference was applied to, 0 elsewhere, from ``truth.json``), tested with the
      verifier's own held-out design (two folds, one-sided Mann-Whitney on each held-out
      fold, ``p = 2 min_h p_h``, Benjamini-Hochberg over the true differences at 0.05). A
      task counts when any true difference is significant; multi-difference recall counts
      every significant one. Only true claims are tested, so this bounds what any proposer
      and scorer can reach under this verifier at this sample size.
    - type head, all types on all images: every trained type in both directions (one-sided
      Mann-Whitney on the floored type-head logits, as the learned scorer scores them), BH
      over all of them at ``--alpha``; top-1 / top-5 by AUROC among the significant ones.
    """
    from tellapart.models.reading import type_floor_logits

    set_threads(args.threads)
    model = load_model(args.model)
    floors = type_floor_logits(model)
    rows = [row for task_dir in sorted(Path(args.tasks).iterdir())
            if (row := ceiling_row(model, floors, task_dir, args.alpha)) is not None]
    multi = [r for r in rows if r["n_true"] > 1]

    def mean(key: str, of: list[dict[str, Any]]) -> str:
        return f"{np.mean([r[key] for r in of]):.3f}" if of else "n/a"

    print(f"| tasks ({args.tasks}) | n | oracle Acc@1 | oracle recall (multi) | type head, all types "
          f"on all images: Acc@1 | Acc@5 | recall@5 (multi) |")
    print("|---|---|---|---|---|---|---|")
    print(f"| {Path(args.tasks).parent.name} | {len(rows)} | {mean('oracle', rows)} "
          f"| {mean('oracle_recall', multi)} | {mean('type_acc1', rows)} | {mean('type_acc5', rows)} "
          f"| {mean('type_recall5', multi)} |")
    print(f"Model: {model_name(args.model)}; type-head family at alpha {args.alpha}.")


def add_ceiling_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tasks", required=True, help="a suite's task folders, BENCH_OUT/<suite>/tasks")
    p.add_argument("--alpha", type=float, default=0.05)


def add_floor_activity_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bench", required=True,
                   help="a `tellapart bench --out` folder (BENCH_OUT/<suite>/results.jsonl)")


def main(argv: Sequence[str] | None = None) -> int:
    return run_script(__doc__, {"ceiling": (cmd_ceiling, add_ceiling_options),
                                "floor-activity": (cmd_floor_activity, add_floor_activity_options)},
                      argv)


if __name__ == "__main__":
    sys.exit(main())
