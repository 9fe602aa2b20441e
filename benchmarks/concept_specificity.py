"""Development study of how a concept's detector is fitted: does the concept learned from one
edit respond to that edit, and not to the other edits, on other images?

For the ten edits of ``benchmarks/concept_reuse.py`` at one (development) seed, the learning
pair (40 + 40 training photographs, every set A image edited) and the finding-again pair (20 +
20 held-out photographs) are written and their per-image values computed once. For each
fitting variant, one concept per edit is fitted on its learning pair (set A against set B) and
scored on every finding-again pair: ``auroc[i][j]`` is concept j's AUROC (set A above set B)
on edit i's pair. A variant is good when each pair's own concept has the highest AUROC among
all concepts ("own first"), with the best margin over the next.

Usage::

    python benchmarks/concept_specificity.py --seed 100 --cache out/spec100.npz --out concept_specificity_dev.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from concept_reuse import NOVEL_EDITS, write_pair  # noqa: E402

from tellapart import stats  # noqa: E402
from tellapart.config import Settings  # noqa: E402
from tellapart.context import DataContext  # noqa: E402
from tellapart.io import discover, load_image  # noqa: E402
from tellapart.measure import compute_features  # noqa: E402
from tellapart.models import concepts as concept_models  # noqa: E402
from tellapart.models.concepts import BLOCKS, ConceptData, fit_concept  # noqa: E402
from tellapart.models.weights import load_default  # noqa: E402

VARIANTS: dict[str, dict[str, object]] = {
    "all blocks": {"blocks": BLOCKS},
    "embedding": {"blocks": ("describer embedding",)},
    "embedding + detectors": {"blocks": ("describer embedding", "describer detectors")},
    "measurements": {"blocks": ("measurements",)},
    "all blocks, ridge 0.1": {"blocks": BLOCKS, "ridge": 0.1},
    "all blocks, ridge 10": {"blocks": BLOCKS, "ridge": 10.0},
    "embedding, ridge 0.1": {"blocks": ("describer embedding",), "ridge": 0.1},
    "all blocks, one-vs-rest": {"blocks": BLOCKS, "one_vs_rest": True},
    "embedding, one-vs-rest": {"blocks": ("describer embedding",), "one_vs_rest": True},
    "all blocks, one-vs-rest, ridge 0.1": {"blocks": BLOCKS, "one_vs_rest": True, "ridge": 0.1},
}

Pair = tuple[dict[str, np.ndarray], np.ndarray]


def pair_blocks(a: Path, b: Path) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Raw blocks of a pair's images (set A rows first) and the set-A mask."""
    settings = Settings(progress=False, cache="")
    paths_a, skipped_a = discover(str(a), "A")
    paths_b, skipped_b = discover(str(b), "B")
    _, table, _ = compute_features([("A", str(a), paths_a, skipped_a),
                                    ("B", str(b), paths_b, skipped_b)], settings=settings,
                                   progress=False)
    ctx = DataContext(table=table, load=load_image, settings=settings)
    raw = concept_models.raw_blocks(ctx, np.arange(len(table.records)), load_default())
    return raw, table.is_a


def fit(learn: list[Pair], i: int, variant: dict[str, object]) -> concept_models.Concept:
    """Concept i fitted on its learning pair: set A against set B, plus (one-vs-rest) the
    other learning pairs' set A images as further negatives."""
    raw, is_a = learn[i]
    names = variant["blocks"]
    blocks = {k: v for k, v in raw.items() if k in names}  # type: ignore[operator]
    negative = np.flatnonzero(~is_a)
    if variant.get("one_vs_rest"):
        extra = [{k: v[other_a] for k, v in other.items() if k in names}  # type: ignore[operator]
                 for j, (other, other_a) in enumerate(learn) if j != i]
        start = is_a.size
        blocks = {k: np.vstack([v] + [e[k] for e in extra]) for k, v in blocks.items()}
        negative = np.r_[negative, np.arange(start, start + sum(len(next(iter(e.values()))) for e in extra))]
    data = ConceptData(blocks, [f"m{j}" for j in range(raw["measurements"].shape[1])],
                       np.flatnonzero(is_a), negative, ["h"] * len(next(iter(blocks.values()))))
    return fit_concept(data, "x", describer_sha256="d", provenance={},
                       examples=np.zeros((0, 64, 64, 3), np.uint8),
                       ridge=float(variant.get("ridge", concept_models.RIDGE)))  # type: ignore[arg-type]


def blocks_of_pairs(seed: int, cache: Path | None) -> tuple[list[Pair], list[Pair]]:
    """The learning and finding-again pairs' blocks, from ``cache`` (.npz) when it exists."""
    if cache is not None and cache.is_file():
        data = np.load(cache)
        n = int(data["n"])
        unpack = [({b: data[f"{side}{k}:{b}"] for b in BLOCKS}, data[f"{side}{k}:is_a"])
                  for side in ("learn", "again") for k in range(n)]
        return unpack[:n], unpack[n:]
    learn, again = [], []
    with tempfile.TemporaryDirectory(prefix="tellapart-specificity-") as tmp:
        for k, edit in enumerate(NOVEL_EDITS.values()):
            root = Path(tmp) / f"edit{k}"
            learn.append(pair_blocks(*write_pair(root / "learn", edit, 40, "train", seed + 10 * k)))
            again.append(pair_blocks(*write_pair(root / "again", edit, 20, "heldout", seed + 10 * k + 1)))
    if cache is not None:
        arrays = {"n": np.array(len(learn))}
        for side, pairs in (("learn", learn), ("again", again)):
            for k, (raw, is_a) in enumerate(pairs):
                arrays.update({f"{side}{k}:{b}": raw[b] for b in BLOCKS})
                arrays[f"{side}{k}:is_a"] = is_a
        np.savez_compressed(cache, **arrays)
    return learn, again


def study(seed: int, cache: Path | None) -> dict[str, object]:
    learn, again = blocks_of_pairs(seed, cache)
    out: dict[str, object] = {"seed": seed, "edits": list(NOVEL_EDITS), "variants": {}}
    for name, variant in VARIANTS.items():
        concepts = [fit(learn, i, variant) for i in range(len(learn))]
        auroc = np.array([[stats.auroc(s[is_a], s[~is_a])
                           for s in (c.scores({k: v for k, v in raw.items() if k in variant["blocks"]})  # type: ignore[operator]
                                     for c in concepts)]
                          for raw, is_a in again])
        own = np.diag(auroc)
        others = np.where(np.eye(len(concepts), dtype=bool), -np.inf, auroc).max(axis=1)
        out["variants"][name] = {  # type: ignore[index]
            "own_first": int(np.sum(own > others)), "own_auroc_mean": round(float(own.mean()), 3),
            "margin_mean": round(float(np.mean(own - others)), 3),
            "auroc": np.round(auroc, 3).tolist()}
        print(f"{name:34s} own first {int(np.sum(own > others))}/10  own AUROC "
              f"{own.mean():.3f}  margin {np.mean(own - others):+.3f}", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=100, help="a development seed (not 0)")
    parser.add_argument("--out", type=Path, default=Path("concept_specificity_dev.json"))
    parser.add_argument("--cache", type=Path, default=None,
                        help="keep the pairs' per-image values in this .npz (reused when it exists)")
    args = parser.parse_args(argv)
    args.out.write_text(json.dumps(study(args.seed, args.cache), indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
