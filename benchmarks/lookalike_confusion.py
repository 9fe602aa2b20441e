"""Look-alike confusion of a describer's type detectors, on development tasks only.

Usage::

    .venv/bin/python benchmarks/lookalike_confusion.py [--describer DIR] [--tasks 12]
        [--n-per-side 20] [--seed 4100] [--config configs/describer.toml]
        [--out out/lookalike_confusion.json]

For each look-alike group of the recipe (``[sampler] lookalikes``; the general types only)
and each type T in it, ``--tasks`` pairs are drawn from the *training* bases with a seed that
no training or benchmark run uses: set A has T (strength 0.3-1.0, prevalence 0.5-1.0), set B
nothing. The describer's type-level proposal (:meth:`Describer.type_claims`: the type whose
mean probability differs most, with its direction) names one type per pair. The table gives,
per truth T, how often the first named type is T itself, another member of T's group, or
something else; ``confused`` is the share named as another member of the group.
Weights default to the shipped ones (``--describer`` for others).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tellapart.models.weights import DEFAULT_DIR, load_describer
from tellapart.train.curriculum import Level
from tellapart.train.data import TaskSampler
from tellapart.train.recipe import load_recipe

PAIR_LEVEL = Level("lookalike-dev", n_diffs=(1, 1), strength=(0.3, 1.0), prevalence=(0.5, 1.0))


def first_named(model: object, sampler: TaskSampler, type_id: str, n_tasks: int, n: int,
                rng: np.random.Generator) -> list[str]:
    """The first type the model names (set A higher) on each of ``n_tasks`` pairs with ``type_id``."""
    named = []
    for _ in range(n_tasks):
        kind = sampler.random_kind(rng)
        slots = [i for i, k in enumerate(sampler.pool_kind) if k == kind]
        diff = sampler.diffs[type_id]
        s = float(rng.uniform(*PAIR_LEVEL.strength))
        k = max(1, int(round(rng.uniform(*PAIR_LEVEL.prevalence) * n)))
        edited = set(rng.choice(n, size=k, replace=False).tolist())
        images = []
        for i in range(2 * n):
            img = sampler.pool[int(rng.choice(slots))]
            if i < n and i in edited:
                img = diff.apply(img, s, rng)
            images.append(img)
        emb = model.embed(np.stack(images))  # type: ignore[attr-defined]
        claims = model.type_claims(emb[:n], emb[n:], n=8)  # type: ignore[attr-defined]
        top = next((model.type_ids[i] for i, _, d in claims if d > 0), "none")  # type: ignore[attr-defined]
        named.append(str(top))
    return named


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--describer", default=str(DEFAULT_DIR))
    parser.add_argument("--tasks", type=int, default=12)
    parser.add_argument("--n-per-side", type=int, default=20)
    parser.add_argument("--seed", type=int, default=4100)
    parser.add_argument("--config", default="configs/describer.toml")
    parser.add_argument("--out", default="out/lookalike_confusion.json")
    args = parser.parse_args(argv)
    model = load_describer(args.describer)
    groups = load_recipe(args.config).train.sampler_options().lookalikes
    sampler = TaskSampler(model.config.image_size, seed=args.seed, pool_size=256)
    rng = np.random.default_rng([args.seed, 17])
    rows = []
    print("| truth | named itself | named a look-alike | named something else | most common look-alike |")
    print("|---|---|---|---|---|")
    for group in groups:
        members = [t for t in group if t in model.type_ids and t in sampler.type_ids]
        for t in members:
            named = first_named(model, sampler, t, args.tasks, args.n_per_side, rng)
            alike = [x for x in named if x in members and x != t]
            row = {"truth": t, "group": members, "named": named,
                   "itself": named.count(t) / len(named), "confused": len(alike) / len(named)}
            rows.append(row)
            common = max(set(alike), key=alike.count) if alike else "-"
            print(f"| {t} | {named.count(t)}/{len(named)} | {len(alike)}/{len(named)} | "
                  f"{len(named) - named.count(t) - len(alike)}/{len(named)} | {common} |")
    confused = float(np.mean([r["confused"] for r in rows]))
    itself = float(np.mean([r["itself"] for r in rows]))
    print(f"\nmean: named itself {itself:.3f}, named a look-alike {confused:.3f} "
          f"({len(rows)} types x {args.tasks} pairs)")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"args": vars(args), "rows": rows, "itself": itself,
                                          "confused": confused}, indent=2) + "\n",
                              encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
