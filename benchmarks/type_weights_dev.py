"""Per-type sampling weights for the describer's retraining, from development images only.

Usage::

    .venv/bin/python benchmarks/type_weights_dev.py [--n 4000] [--seed 777] [--level hard_range]
        [--config configs/describer.toml] [--out out/type_weights_dev.json]

Draws ``--n`` labelled single images (one random general difference each, or none, at the
strengths of the recipe's level ``--level``) from the *training* bases with a seed no
training or benchmark run uses, scores them with the shipped describer's type detectors, and
gives each type its AUROC (its images against all others). A type's weight is its miss rate
``1 - AUROC`` over the median type's, clipped to [0.5, 3]: the types the shipped weights
miss most are drawn up to three times as often. It prints the ``[joint.type_weights]``
table to paste into the recipe and writes every AUROC and weight to ``--out``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tellapart.models.describer import Describer
from tellapart.models.weights import DEFAULT_DIR, load_describer
from tellapart.stats import auroc
from tellapart.train.curriculum import Level
from tellapart.train.data import TaskSampler
from tellapart.train.recipe import load_recipe

MIN_WEIGHT, MAX_WEIGHT = 0.5, 3.0


def type_aurocs(model: Describer, level: Level, n: int, seed: int) -> dict[str, float]:
    """Each type of ``model``'s AUROC on ``n`` development images (one random general
    difference or none each, at ``level``'s strengths; training bases, seed ``seed``)."""
    sampler = TaskSampler(model.config.image_size, seed=seed, pool_size=512)
    rng = np.random.default_rng([seed, 31])
    logits, labels = [], []
    for start in range(0, n, 500):
        images, lab = sampler.labelled_images(min(500, n - start), level, rng)
        logits.append(model.type_logits(model.embed(images)))
        labels.append(lab)
    x, y = np.concatenate(logits), np.concatenate(labels)
    out = {}
    for k, type_id in enumerate(model.type_ids):
        if type_id not in sampler.type_ids:
            continue
        positive = y[:, sampler.type_ids.index(type_id)] > 0.5
        if positive.any() and (~positive).any():
            out[type_id] = float(auroc(x[positive, k], x[~positive, k]))
    return out


def recipe_level(config: str, name: str) -> Level:
    """The level called ``name`` in the recipe at ``config``."""
    levels = load_recipe(config).train.new_curriculum().levels
    return next(lv for lv in levels if lv.name == name)


def weights_from(aurocs: dict[str, float]) -> dict[str, float]:
    """Miss rate over the median type's, clipped to [MIN_WEIGHT, MAX_WEIGHT]."""
    miss = {t: max(1e-6, 1.0 - a) for t, a in aurocs.items()}
    median = float(np.median(list(miss.values())))
    return {t: round(float(np.clip(m / median, MIN_WEIGHT, MAX_WEIGHT)), 2)
            for t, m in sorted(miss.items())}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=777)
    parser.add_argument("--level", default="hard_range")
    parser.add_argument("--config", default="configs/describer.toml")
    parser.add_argument("--out", default="out/type_weights_dev.json")
    args = parser.parse_args(argv)
    model = load_describer(DEFAULT_DIR)
    aurocs = type_aurocs(model, recipe_level(args.config, args.level), args.n, args.seed)
    weights = weights_from(aurocs)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"args": vars(args), "auroc": aurocs,
                                          "weights": weights}, indent=2) + "\n", encoding="utf-8")
    print("[joint.type_weights]")
    for t, w in weights.items():
        if w != 1.0:
            print(f"{t} = {w}  # AUROC {aurocs[t]:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
