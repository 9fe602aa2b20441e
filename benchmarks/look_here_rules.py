"""Which images should "look here" show? Candidate rules scored on the pairs that
``overall_test.py unnamed`` writes (an unnamed edit on a known half of set A).

Usage::

    .venv/bin/python benchmarks/overall_test.py unnamed --seeds 1000 1001 --out out/unnamed_dev
    .venv/bin/python benchmarks/overall_test.py unnamed --seeds 1000 1001 --plus-named \
        --out out/unnamed_dev_plus
    .venv/bin/python benchmarks/look_here_rules.py out/unnamed_dev out/unnamed_dev_plus

Each pair is compared again (``tellapart.compare``, default settings). From the report's
per-image held-out scores (the overall classifier's, ``overall``, and the one refitted on what
the significant findings the checks did not refute leave, ``unexplained``), each rule ranks
the images by a confidence, shows the 8 most confident among those it allows, and is scored by
the share of edited set-A images among them:

* ``refitted``: the own-set posterior (:func:`tellapart.verify.overall.own_set_posterior`)
  under the refitted classifier;
* ``overall``: the own-set posterior under the overall classifier;
* ``minimum``: the smaller of the two;
* ``mean``: their mean, among images the refitted posterior places in their own set;
* ``mean, gated``: ``mean``, shown only when the report's test of what the findings leave
  says it separates the sets (``overall.unexplained_differ``), as ``compare`` does.

Development seeds only (1000 and up); ``overall_test.py unnamed`` reports seeds 0 to 3.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from tellapart import compare
from tellapart.verify.overall import own_set_posterior

SHOWN = 8

Rule = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""(overall posterior, refitted posterior) -> confidence; shown when above 0.5."""

RULES: dict[str, Rule] = {
    "refitted": lambda overall, refitted: refitted,
    "overall": lambda overall, refitted: overall,
    "minimum": lambda overall, refitted: np.minimum(overall, refitted),
    "mean": lambda overall, refitted: np.where(refitted > 0.5, (overall + refitted) / 2, 0.0),
}


def precision(confidence: np.ndarray, tie_break: np.ndarray, edited: np.ndarray) -> float | None:
    """Share of edited images among the ``SHOWN`` most confident (confidence above 0.5);
    None when none is shown."""
    order = np.lexsort((-np.abs(tie_break), -confidence))[:SHOWN]
    shown = [i for i in order if confidence[i] > 0.5]
    return float(np.mean(edited[shown])) if shown else None


def score_pair(folder: Path, edited_a: set[int]) -> dict[str, float | None]:
    """Each rule's precision on one written pair (``folder/a``, ``folder/b``)."""
    report = compare(folder / "a", folder / "b", cache="", progress=False, jobs=1)
    scores, overall = report.image_scores, report.overall
    assert scores is not None and overall is not None
    is_a = np.array([s == "A" for s in scores.sets])
    edited = np.array([s == "A" and int(Path(p).stem) in edited_a
                       for s, p in zip(scores.sets, scores.paths, strict=True)])
    total, left = scores.columns["overall"], scores.columns["unexplained"]
    posteriors = own_set_posterior(total, is_a), own_set_posterior(left, is_a)
    out = {name: precision(rule(*posteriors), total, edited) for name, rule in RULES.items()}
    out["mean, gated"] = out["mean"] if overall.unexplained_differ else None
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", type=Path, help="--out folders of `unnamed` runs")
    args = parser.parse_args(argv)
    names = [*RULES, "mean, gated"]
    print("| run | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for run in args.runs:
        tasks = json.loads((run / "unnamed.json").read_text())["tasks"]
        rows = [score_pair(run / f"{t['edit'].replace(' ', '_')}-{t['seed']}", set(t["edited"]))
                for t in tasks]
        cells = []
        for name in names:
            shown = [r[name] for r in rows if r[name] is not None]
            mean = f"{np.mean(shown):.2f}" if shown else "–"
            cells.append(f"{mean} ({len(shown)} of {len(rows)} shown)")
        print(f"| {run.name} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
