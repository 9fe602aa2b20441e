"""Per-type detector AUROC by strength band, on development images: the describer's
per-image evidence, the signal to watch while its recipe trains.

Usage::

    .venv/bin/python benchmarks/type_auroc_bands.py [--describer DIR] [--n 2000] [--seed 778]
        [--out out/type_auroc_bands.json]

For each band of the knob s (``BANDS``), ``--n`` labelled single images (one random general
difference each, or none, at strengths in the band) are drawn from the *training* bases with a
seed no training or benchmark run uses, and each type's detector (``Describer.type_logits``)
gets its AUROC: its images against all others. Prints each type's AUROC per band and the mean
per band; weights default to the shipped ones.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from type_weights_dev import type_aurocs

from tellapart.models.weights import DEFAULT_DIR, load_describer
from tellapart.train.curriculum import Level

BANDS: tuple[tuple[float, float], ...] = ((0.15, 0.3), (0.3, 0.45), (0.45, 0.75), (0.75, 1.0))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--describer", default=str(DEFAULT_DIR))
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=778)
    parser.add_argument("--out", default="out/type_auroc_bands.json")
    args = parser.parse_args(argv)
    model = load_describer(args.describer)
    by_band = {}
    for k, (lo, hi) in enumerate(BANDS):
        level = Level(f"s {lo}-{hi}", n_diffs=(1, 1), strength=(lo, hi), prevalence=(1.0, 1.0))
        by_band[f"{lo}-{hi}"] = type_aurocs(model, level, args.n, args.seed + k)
    names = list(by_band)
    types = sorted(set().union(*[set(v) for v in by_band.values()]))
    print("| type | " + " | ".join(f"s {b}" for b in names) + " |")
    print("|---|" + "---|" * len(names))
    for t in types:
        print(f"| {t} | " + " | ".join(f"{by_band[b][t]:.3f}" if t in by_band[b] else "-"
                                      for b in names) + " |")
    means = {b: float(np.mean(list(v.values()))) for b, v in by_band.items()}
    print("| **mean** | " + " | ".join(f"**{means[b]:.3f}**" for b in names) + " |")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"args": vars(args), "auroc": by_band, "mean": means},
                                         indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
