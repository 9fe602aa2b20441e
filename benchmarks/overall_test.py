"""The overall two-sample test: calibration, power against kernel MMD, explained shares.

Usage::

    .venv/bin/python benchmarks/overall_test.py null [--pairs 300] [--seed 0] --out DIR
    .venv/bin/python benchmarks/overall_test.py power [--suites easy medium] [--tasks 100]
        [--seed-offset 0] [--ridges 1.0] --out DIR
    .venv/bin/python benchmarks/overall_test.py explain [--tasks 20] [--seed 0] --out DIR
    .venv/bin/python benchmarks/overall_test.py unnamed [--seeds 0 1] [--n-per-side 100] --out DIR
    .venv/bin/python benchmarks/overall_test.py speed [--n-per-side 1000] --out DIR

``null``: two pools of images with no difference (synthetic bases, 128 px; bundled
photographs, 256 px) are measured and embedded once; ``--pairs`` disjoint pairs of 20, 50,
100 or 200 images per side are drawn from each pool and the overall test
(:func:`tellapart.stats.cross_fit_classifier_test` on :func:`tellapart.verify.overall.raw_blocks`
scaled on the pair's own rows, the verifier's folds) is run on each: the share called
"differ" at alpha 0.05 must be at most 5 %.

``power``: single-difference tasks of the synthetic suites (50 images per side; the suites'
own tasks at ``--seed-offset 0``, development draws at other offsets): the share detected at
alpha 0.05 by the overall test (as compare runs it, for each ``--ridges`` value) and by a
Gaussian-kernel MMD permutation test alone (:func:`tellapart.stats.mmd_permutation_test`)
on the same features.

``explain``: two-difference tasks (two trained differences of different families, strength
0.8, 50 per side), each compared in full (``tellapart.compare``): the overall explained share
(all significant findings together, as the report gives it) and the share of the findings the
benchmark's judge matches to a planted difference, together (:func:`named_share`).

``speed``: ``tellapart compare`` cold on 2 x ``--n-per-side`` images (vignette and noise
planted), with and without the overall stage (``--no-overall``), each in a fresh process.

``unnamed``: edits that are not among tellapart's trained differences (:data:`UNNAMED`,
written here with numpy/scikit-image/PIL), applied to half of set A's images (``--n-per-side``,
default 100): the explained share, and the share of edited images among the "look here" images.
With ``--plus-named``, every set-A image also carries a trained difference (strength 0.8), which
the findings should describe, so that the "look here" images must find the unnamed edit beside
a described one.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from skimage.transform import swirl

from tellapart import compare, stats
from tellapart.bench.judge import Judge, Truth
from tellapart.config import Settings, resolve_settings
from tellapart.context import DataContext
from tellapart.io import discover, load_image
from tellapart.measure import compute_features
from tellapart.pipeline import default_scorers
from tellapart.synth import DiffSpec, make_task, suite_specs, write_task
from tellapart.synth.bases import BaseSampler
from tellapart.types import Report
from tellapart.verify.overall import (
    RIDGE,
    WITH_MMD,
    explained_share,
    rank_normal,
    raw_blocks,
)
from tellapart.verify.verifier import split_folds

SIZES = (20, 50, 100, 200)


def _settings() -> Settings:
    return resolve_settings(cache="", jobs=1, progress=False)


def pair_blocks(dir_a: Path, dir_b: Path) -> tuple[dict[str, np.ndarray], np.ndarray, list[str]]:
    """Raw feature blocks of every usable image of two folders, set A's first; (is_a, paths)."""
    settings = _settings()
    paths_a, skipped_a = discover(str(dir_a), "A")
    paths_b, skipped_b = discover(str(dir_b), "B")
    _, table, _ = compute_features(
        [("A", str(dir_a), paths_a, skipped_a), ("B", str(dir_b), paths_b, skipped_b)],
        settings=settings, progress=False)
    ctx = DataContext(table=table, load=load_image, settings=settings)
    return raw_blocks(ctx, default_scorers()), table.is_a, [r.path for r in table.records]


def scaled(blocks: dict[str, np.ndarray], rows: np.ndarray) -> np.ndarray:
    """The overall test's features of ``rows``: each block scaled on those rows only."""
    parts = []
    for block in blocks.values():
        scaling = stats.BlockScaling.fit(block[rows])
        if scaling.kept.any():
            parts.append(scaling.apply(block[rows]))
    return np.hstack(parts)


def overall_p(features: np.ndarray, is_a: np.ndarray, seed: int, ridge: float = RIDGE) -> float:
    folds = split_folds(is_a, seed)
    return stats.cross_fit_classifier_test(features, is_a, folds, ridge=ridge, seed=seed,
                                           with_mmd=WITH_MMD).p_value


# -- null calibration ------------------------------------------------------------------------


def _write_pool(folder: Path, images: list[np.ndarray]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(images):
        Image.fromarray(image).save(folder / f"{i:04d}.png", compress_level=1)


def null_pools(out: Path, seed: int) -> dict[str, tuple[dict[str, np.ndarray], int]]:
    """Pool name -> (raw blocks of all pool images, pool size)."""
    pools: dict[str, tuple[dict[str, np.ndarray], int]] = {}
    task = make_task([], n_per_side=300, size=128, base="mixed", seed=seed)
    _write_pool(out / "pool_synthetic" / "a", task.images_a)
    _write_pool(out / "pool_synthetic" / "b", task.images_b)
    sampler = BaseSampler("photos", size=256, split="all")
    rng = np.random.default_rng(seed)
    photos = [sampler.sample(rng)[0] for _ in range(500)]
    _write_pool(out / "pool_photos" / "a", photos[:250])
    _write_pool(out / "pool_photos" / "b", photos[250:])
    for name in ("synthetic", "photos"):
        blocks, is_a, _ = pair_blocks(out / f"pool_{name}" / "a", out / f"pool_{name}" / "b")
        pools[name] = (blocks, is_a.size)
    return pools


def run_null(args: argparse.Namespace) -> dict[str, Any]:
    out = Path(args.out)
    pools = null_pools(out, args.seed)
    rng = np.random.default_rng([args.seed, 17])
    rows_out = []
    for name, (blocks, size) in pools.items():
        for i in range(args.pairs):
            n = SIZES[i % len(SIZES)]
            chosen = rng.choice(size, size=2 * n, replace=False)
            is_a = np.arange(2 * n) < n
            p = overall_p(scaled(blocks, chosen), is_a, seed=int(rng.integers(1 << 30)))
            rows_out.append({"pool": name, "n_per_side": n, "p_value": p})
    summary = {}
    for name in pools:
        for n in SIZES:
            ps = [r["p_value"] for r in rows_out if r["pool"] == name and r["n_per_side"] == n]
            summary[f"{name}/{n}"] = {"pairs": len(ps), "differ_rate": float(np.mean(np.array(ps) <= 0.05))}
    all_p = np.array([r["p_value"] for r in rows_out])
    summary["all"] = {"pairs": int(all_p.size), "differ_rate": float(np.mean(all_p <= 0.05))}
    return {"summary": summary, "pairs": rows_out}


# -- power against MMD -----------------------------------------------------------------------


def run_power(args: argparse.Namespace) -> dict[str, Any]:
    out = Path(args.out)
    rows_out = []
    for suite in args.suites:
        for spec in suite_specs(suite, n_tasks=args.tasks, seed_offset=args.seed_offset):
            folder = write_task(spec.render(), out / suite / spec.task_id, contact_sheet=False)
            blocks, is_a, _ = pair_blocks(folder / "a", folder / "b")
            features = scaled(blocks, np.arange(is_a.size))
            np.savez_compressed(folder / "features.npz", features=features, is_a=is_a)
            row: dict[str, Any] = {"suite": suite, "task": spec.task_id,
                                   "types": [d.type_id for d in spec.differences],
                                   "prevalence": [d.prevalence for d in spec.differences]}
            for ridge in args.ridges:
                row[f"overall_p@{ridge}"] = overall_p(features, is_a, seed=0, ridge=ridge)
            row["mmd_p"] = stats.mmd_permutation_test(features, is_a, seed=0)
            rows_out.append(row)
            print(json.dumps(row), flush=True)
    summary: dict[str, Any] = {}
    for suite in args.suites:
        rows = [r for r in rows_out if r["suite"] == suite]
        keys = [f"overall_p@{ridge}" for ridge in args.ridges] + ["mmd_p"]
        summary[suite] = {k: float(np.mean([r[k] <= 0.05 for r in rows])) for k in keys}
        summary[suite]["tasks"] = len(rows)
    return {"summary": summary, "tasks": rows_out}


# -- explained shares ------------------------------------------------------------------------

FAMILY_PAIRS = (
    ("noise", "vignette"), ("text_watermark", "warmer"), ("blur", "frame"),
    ("grayscale", "rotated"), ("jpeg", "brighter"), ("stars", "lower_contrast"),
    ("pixelated", "color_tint"), ("mirrored", "salt_pepper"), ("circles", "faded"),
    ("sepia", "grid"),
)


def named_share(report: Report, truth: dict[str, Any]) -> float | None:
    """Explained share of the significant findings the benchmark's judge matches to a planted
    difference, together (same cross-fitted classifier as the report's shares)."""
    judge = Judge()
    truths = [Truth.from_dict(d) for d in truth.get("differences", [])]
    scores, overall = report.image_scores, report.overall
    assert scores is not None and overall is not None
    named = [f for f in report.significant
             if any(judge.judge(f.description, f.more_in, t, f.concept).match for t in truths)]
    if not named:
        return 0.0
    columns = rank_normal(np.column_stack(
        [scores.columns[f"finding_{f.rank}:{f.concept}"] for f in named]))
    is_a = np.array(scores.sets) == "A"
    area = stats.cross_fit_classifier_test(columns, is_a, np.array(scores.folds), ridge=RIDGE,
                                           n_permutations=0).auroc
    return explained_share(area, overall.auroc)


def checked_claims(report: Report, truth: dict[str, Any]) -> list[dict[str, Any]]:
    """Each significant finding the judge matches to a planted difference (a true claim) with
    the status of its counterfactual check."""
    judge = Judge()
    truths = [Truth.from_dict(d) for d in truth.get("differences", [])]
    return [{"description": f.description, "status": f.counterfactual.status,
             "detail": f.counterfactual.detail}
            for f in report.significant
            if any(judge.judge(f.description, f.more_in, t, f.concept).match for t in truths)]


def _compare_summary(folder: Path, truth: dict[str, Any] | None = None) -> dict[str, Any]:
    t = time.perf_counter()
    report = compare(folder / "a", folder / "b", cache="", progress=False, jobs=1)
    overall, scores = report.overall, report.image_scores
    assert overall is not None and scores is not None
    return {
        "named_share": None if truth is None else named_share(report, truth),
        "true_claims": [] if truth is None else checked_claims(report, truth),
        "overall_auroc": overall.auroc, "overall_p": overall.p_value, "differ": overall.differ,
        "explained_share": overall.explained_share,
        "unexplained_auroc": overall.unexplained_auroc,
        "unexplained_p": overall.unexplained_p_value,
        "significant": [(f.description, f.auroc, f.explained_share) for f in report.significant],
        "look_here": overall.look_here, "seconds": time.perf_counter() - t,
        "unexplained": [float(v) for v in scores.columns["unexplained"]],
        "paths": scores.paths,
    }


def run_explain(args: argparse.Namespace) -> dict[str, Any]:
    out = Path(args.out)
    rows_out = []
    for i in range(args.tasks):
        first, second = FAMILY_PAIRS[i % len(FAMILY_PAIRS)]
        task = make_task([DiffSpec(first, s=0.8), DiffSpec(second, s=0.8)], n_per_side=50,
                         size=128, base="mixed", seed=args.seed + i)
        folder = write_task(task, out / f"two-{i:03d}", contact_sheet=False)
        row = {"task": i, "types": [first, second], **_compare_summary(folder, task.truth)}
        rows_out.append(row)
        print(json.dumps(row), flush=True)
    shares = [r["explained_share"] or 0.0 for r in rows_out]
    named = [r["named_share"] or 0.0 for r in rows_out]
    claims = [c for r in rows_out for c in r["true_claims"]]
    return {"summary": {"tasks": len(rows_out), "mean_explained_share": float(np.mean(shares)),
                        "true_claims": len(claims),
                        "true_claims_refuted": sum(c["status"] == "refuted" for c in claims),
                        "tasks_with_a_true_claim_refuted": sum(
                            any(c["status"] == "refuted" for c in r["true_claims"])
                            for r in rows_out),
                        "mean_named_share": float(np.mean(named)),
                        "differ_rate": float(np.mean([r["differ"] for r in rows_out]))},
            "tasks": rows_out}


# -- edits tellapart cannot name -------------------------------------------------------------


def _swirl(image: np.ndarray) -> np.ndarray:
    out = swirl(image, strength=6.0, radius=image.shape[0] * 0.6, preserve_range=True)
    return np.asarray(out).astype(np.uint8)


def _chromatic_aberration(image: np.ndarray) -> np.ndarray:
    out = image.copy()
    out[..., 0] = np.roll(image[..., 0], 5, axis=1)  # red 5 px right, blue 5 px left
    out[..., 2] = np.roll(image[..., 2], -5, axis=1)
    return out


def _tiled(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    small = np.asarray(Image.fromarray(image).resize((w // 2, h // 2), Image.Resampling.BILINEAR))
    return np.asarray(Image.fromarray(np.tile(small, (2, 2, 1))).resize((w, h)))


def _glitch(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = image.copy()
    h = image.shape[0]
    for _ in range(8):
        top = int(rng.integers(0, h - 12))
        band = int(rng.integers(4, 12))
        out[top:top + band] = np.roll(out[top:top + band], int(rng.integers(15, 50)), axis=1)
    return out


def _quadrants_swapped(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    return np.roll(np.roll(image, h // 2, axis=0), w // 2, axis=1)


UNNAMED: dict[str, Callable[[np.ndarray, np.random.Generator], np.ndarray]] = {
    "swirl": lambda im, rng: _swirl(im),
    "chromatic aberration": lambda im, rng: _chromatic_aberration(im),
    "tiled 2x2": lambda im, rng: _tiled(im),
    "glitch bands": _glitch,
    "quadrants swapped": lambda im, rng: _quadrants_swapped(im),
}


def run_unnamed(args: argparse.Namespace) -> dict[str, Any]:
    out = Path(args.out)
    rows_out = []
    for seed in args.seeds:
        for k, (name, edit) in enumerate(UNNAMED.items()):
            rng = np.random.default_rng([seed, k])
            n = args.n_per_side
            named = [DiffSpec(FAMILY_PAIRS[k][0], s=0.8)] if args.plus_named else []
            task = make_task(named, n_per_side=n, size=128, base="mixed", seed=seed * 100 + k)
            edited = set(rng.choice(n, size=n // 2, replace=False).tolist())
            images_a = [edit(im, rng) if i in edited else im for i, im in enumerate(task.images_a)]
            folder = out / f"{name.replace(' ', '_')}-{seed}"
            _write_pool(folder / "a", images_a)
            _write_pool(folder / "b", task.images_b)
            row = {"edit": name, "seed": seed, "named": [d.type_id for d in named],
                   "edited": sorted(edited), **_compare_summary(folder)}
            shown = row["look_here"]["A"] + row["look_here"]["B"]
            hits = sum(1 for p in row["look_here"]["A"] if int(Path(p).stem) in edited)
            row["look_here_precision"] = hits / len(shown) if shown else None
            rows_out.append(row)
            print(json.dumps(row), flush=True)
    precisions = [r["look_here_precision"] for r in rows_out if r["look_here_precision"] is not None]
    return {"summary": {
        "tasks": len(rows_out),
        "differ_rate": float(np.mean([r["differ"] for r in rows_out])),
        "mean_explained_share": float(np.mean([r["explained_share"] or 0.0 for r in rows_out])),
        "mean_look_here_precision": float(np.mean(precisions)) if precisions else None,
        "tasks_with_look_here": len(precisions),
        "tasks_where_what_is_left_separates": sum(
            bool(r["unexplained_p"] is not None and r["unexplained_p"] <= 0.05) for r in rows_out),
    }, "tasks": rows_out}


# -- speed -------------------------------------------------------------------------------------


def run_speed(args: argparse.Namespace) -> dict[str, Any]:
    """``tellapart compare`` cold (no feature cache, a fresh process each), with and without
    the overall stage, on one pair of ``--n-per-side`` images with a planted difference."""
    out = Path(args.out)
    task = make_task([DiffSpec("vignette", s=0.8), DiffSpec("noise", s=0.6)],
                     n_per_side=args.n_per_side, size=128, base="mixed", seed=args.seed)
    folder = write_task(task, out / "pair", contact_sheet=False)
    rows = {}
    for label, flags in (("without overall", ["--no-overall"]), ("with overall", [])):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "tellapart.cli", "compare", str(folder / "a"),
                        str(folder / "b"), "--out", str(out / label.replace(" ", "_")),
                        "--no-cache", "--quiet", *flags], check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t
        timing = json.loads((out / label.replace(" ", "_") / "report.json").read_text())["timing_s"]
        rows[label] = {"wall_s": wall, "overall_s": timing.get("overall", 0.0)}
        print(label, json.dumps(rows[label]), flush=True)
    added = rows["with overall"]["wall_s"] / rows["without overall"]["wall_s"] - 1.0
    return {"summary": {**rows, "added_share": added}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("null")
    p.add_argument("--pairs", type=int, default=300, help="pairs per pool")
    p.add_argument("--seed", type=int, default=0)
    p = sub.add_parser("power")
    p.add_argument("--suites", nargs="+", default=["easy", "medium"])
    p.add_argument("--tasks", type=int, default=100)
    p.add_argument("--seed-offset", type=int, default=0)
    p.add_argument("--ridges", type=float, nargs="+", default=[RIDGE])
    p = sub.add_parser("explain")
    p.add_argument("--tasks", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p = sub.add_parser("speed")
    p.add_argument("--n-per-side", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p = sub.add_parser("unnamed")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--n-per-side", type=int, default=100)
    p.add_argument("--plus-named", action="store_true",
                   help="also plant a trained difference (strength 0.8) in every set-A image")
    for p in sub.choices.values():
        p.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    run = {"null": run_null, "power": run_power, "explain": run_explain, "unnamed": run_unnamed,
           "speed": run_speed}
    result = run[args.command](args)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / f"{args.command}.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result["summary"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
