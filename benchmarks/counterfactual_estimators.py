"""The alone decision of the counterfactual check under two estimates of the energy distance,
recomputed from the arrays that ``counterfactual_traps.py --dump`` saves.

Usage::

    .venv/bin/python benchmarks/counterfactual_traps.py --seeds 1000 1001 --n-per-side 50 \
        --suites easy medium --dump --out out/cf_dev_traps
    .venv/bin/python benchmarks/counterfactual_traps.py --seeds 1002 1003 1004 1005 1006 1007 \
        1008 1009 --n-per-side 50 --traps none --suites easy medium --dump --out out/cf_dev_true
    .venv/bin/python benchmarks/counterfactual_estimators.py out/cf_dev_traps out/cf_dev_true

For every checked claim with a dump, each strength's matching prevalence and classifier shift
are recomputed as :func:`tellapart.verify.counterfactual.counterfactual_evidence` computes
them, and the mixture's energy distance ratio twice: with every pair of images in the
within-sample means (the V-statistic: an image's zero distance to itself included) and
without an image's pairs with itself (the unbiased U-statistic). The strength kept is the one
with the smallest ratio, as in the check. Printed: for each estimate, shift threshold and
ratio cap, the share of wrong trap claims refuted and of true claims confirmed. Development
draws only (seeds 1000 and up).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tellapart import stats
from tellapart.verify.counterfactual import MeanDistances, matching_prevalence, mixture_energy


def every_pair(a: np.ndarray, b: np.ndarray, _same_images: bool) -> float:
    """Mean distance over every pair of rows, an image's pair with itself included (V)."""
    sq = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return float(np.sqrt(np.maximum(sq, 0.0)).mean())


def energy(p: float, edited: np.ndarray, other: np.ndarray, named: np.ndarray,
           unbiased: bool) -> float:
    """Energy distance from the mixture ``p`` x ``edited`` + (1 - p) x ``other`` (the same
    images, row for row) to ``named``: the check's own :func:`mixture_energy`, with its
    distances (U) or with every pair (V)."""
    distance = MeanDistances() if unbiased else every_pair
    return mixture_energy([(p, edited), (1.0 - p, other)], named, distance)


def best_strength(dump: Any, more_in: str, unbiased: bool) -> tuple[float, float]:
    """(distance ratio, shift toward the named set) at the strength with the smallest ratio."""
    x, is_a = dump["features"], dump["is_a"].astype(bool)
    is_named = is_a if more_in == "A" else ~is_a
    picked, all_named = dump["other_rows"], np.flatnonzero(is_named)
    claim, held = dump["claim_scores"], dump["held_scores"]
    named_vs_other = stats.auroc(claim[all_named], claim[picked])
    gap = held[all_named].mean() - held[picked].mean()
    other, named = x[picked], x[dump["named_rows"]]
    base = energy(1.0, other, other, named, unbiased)
    results = []
    for k in range(len(dump["strengths"])):
        p = matching_prevalence(named_vs_other,
                                stats.auroc(claim[all_named], dump["edited_claim_scores"][k]))
        shift = p * (dump["edited_scores"][k].mean() - held[picked].mean()) / gap
        ratio = energy(p, dump["edited_features"][k], other, named, unbiased) / base
        results.append((float(ratio), float(shift)))
    return min(results, key=lambda r: r[0] if np.isfinite(r[0]) else np.inf)


def claims(roots: Sequence[Path]) -> list[dict[str, Any]]:
    """Every dumped check: its kind (wrong, true, acceptable, other) and both estimates."""
    out = []
    for root in roots:
        for row in json.loads((root / "results.json").read_text())["rows"]:
            for check in row["checked"]:
                if not check.get("dump"):
                    continue
                trap = row["kind"] == "trap"
                kind = ("wrong" if trap and check.get("wrong") else "true" if check.get("true")
                        else "acceptable" if trap else "other")
                dump = np.load(Path(row["folder"]) / check["dump"])
                out.append({"kind": kind, "type_id": check["type_id"],
                            "V": best_strength(dump, check["more_in"], unbiased=False),
                            "U": best_strength(dump, check["more_in"], unbiased=True)})
    return out


def confirmed(best: tuple[float, float], shift: float, cap: float) -> bool:
    """The check's alone rule on (distance ratio, shift)."""
    ratio, moved = best
    return bool(moved >= shift and ratio <= cap)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("roots", nargs="+", type=Path, help="--out folders of --dump runs")
    parser.add_argument("--shifts", type=float, nargs="+", default=[0.6])
    parser.add_argument("--caps", type=float, nargs="+",
                        default=[0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.65, 0.7, 0.8])
    args = parser.parse_args(argv)
    rows = claims(args.roots)
    wrong = [r for r in rows if r["kind"] == "wrong"]
    true = [r for r in rows if r["kind"] == "true"]
    print(f"{len(wrong)} wrong trap claims, {len(true)} true claims")
    print("| energy distance | shift ≥ | ratio ≤ | wrong refuted | true confirmed |")
    print("|---|---|---|---|---|")
    for estimate, label in (("V", "every pair (V)"), ("U", "without self-pairs (U)")):
        for shift in args.shifts:
            for cap in args.caps:
                refuted = np.mean([not confirmed(r[estimate], shift, cap) for r in wrong])
                kept = np.mean([confirmed(r[estimate], shift, cap) for r in true])
                print(f"| {label} | {shift} | {cap} | {refuted:.3f} | {kept:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
