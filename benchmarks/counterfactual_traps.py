"""Counterfactual checks on look-alike traps, true single differences and null pairs.

Usage::

    .venv/bin/python benchmarks/counterfactual_traps.py --seeds 1000 1001 --n-per-side 50 \
        --out out/counterfactual_dev            # development draws: thresholds chosen here
    .venv/bin/python benchmarks/counterfactual_traps.py --seeds 5000 5001 --n-per-side 50 \
        --out out/counterfactual_report         # the reporting draws, run once

Three kinds of pairs, each compared by ``tellapart.Comparer`` with its default settings
(learned + measurement proposers), then every significant finding that names a trained
difference is checked alone (:func:`tellapart.verify.counterfactual.counterfactual_evidence`,
:func:`~tellapart.verify.counterfactual.decide`) and with the others naming the same set
(:class:`tellapart.verify.joint.EditedMixtures`, :func:`~tellapart.verify.joint.decide_mixtures`),
exactly what :func:`~tellapart.verify.joint.check_claims` does:

* **traps** (:data:`TRAPS`): set A = base images with a look-alike edit written here with
  numpy, PIL and scipy (not drawn from ``tellapart.synth`` or ``tellapart.edits``), set B =
  plain base images of the same kind. A claim naming a trained difference that does not
  truthfully describe the trap (not in the trap's ``acceptable`` types) is a *wrong claim*:
  it should be refuted. For each seed, every trap is drawn on synthetic bases (``mixed``)
  and on the bundled photographs (``photos``).
* **true claims**: tasks of the single-difference ``easy`` and ``medium`` suites drawn with
  ``suite_specs(..., seed_offset=seed)`` (the suites' own tasks are offset 0 and are never
  used here); a claim naming the task's difference, in its set, should be confirmed.
* **two-difference tasks** (``--two N`` per seed): two trained differences of different
  families (:data:`TWO_FAMILIES`) in set A, strength 0.8, every image; both claims are true.
* **null pairs**: tasks of the ``null`` suite at the same offsets. The check never adds a
  finding (it only withdraws words), so the share of null pairs with a significant finding
  is the same with or without it; it is reported, with how many null claims were checked.

Development seeds (thresholds chosen on these only): 1000 and up. Reporting seeds: 5000 and
up, run once after the thresholds were fixed; the figures are in BENCHMARKS.md. Writes
``OUT/results.json`` and ``OUT/summary.md`` and prints the table.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from tellapart import Comparer
from tellapart.config import Settings
from tellapart.context import DataContext
from tellapart.io import discover, load_image
from tellapart.measure import compute_features
from tellapart.pipeline import default_scorers
from tellapart.synth import DiffSpec, make_task, suite_specs, write_task
from tellapart.synth.bases import BaseSampler
from tellapart.types import Report
from tellapart.verify.counterfactual import checkable_type, counterfactual_evidence, decide
from tellapart.verify.joint import EditedMixtures, decide_mixtures
from tellapart.verify.overall import collect_features
from tellapart.verify.verifier import split_folds

SIZE = 128

# -- the traps: look-alike edits, written here ------------------------------------------------


def _contrasting(image: np.ndarray, rng: np.random.Generator) -> tuple[int, int, int]:
    """White or black, whichever stands out more on ``image``, or a random colour."""
    if rng.random() < 0.5:
        return (255, 255, 255) if image.mean() < 128 else (0, 0, 0)
    return tuple(int(v) for v in rng.integers(0, 256, 3))  # type: ignore[return-value]


def lower_half_bright(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The lower half brightened (look-alike of "upside down")."""
    out = image.astype(np.float32)
    h = image.shape[0]
    gain = rng.uniform(1.3, 1.5)
    out[h // 2:] = out[h // 2:] * gain + rng.uniform(15, 30)
    return np.clip(out, 0, 255).astype(np.uint8)


def small_dots(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """6-14 small filled dots of radius 2-3 px (look-alike of "tiny rectangles")."""
    pil = Image.fromarray(image)
    draw = ImageDraw.Draw(pil)
    h, w = image.shape[:2]
    for _ in range(int(rng.integers(6, 15))):
        r = float(rng.uniform(2.0, 3.2))
        x, y = rng.uniform(r, w - r), rng.uniform(r, h - r)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=_contrasting(image, rng))
    return np.asarray(pil)


def smooth_resample(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Downscaled 3-5x and upscaled back with a smooth filter (look-alike of "pixelated")."""
    h, w = image.shape[:2]
    k = float(rng.uniform(3.0, 5.0))
    small = Image.fromarray(image).resize((max(1, int(w / k)), max(1, int(h / k))),
                                          Image.Resampling.BOX)
    return np.asarray(small.resize((w, h), Image.Resampling.BICUBIC))


def gaussian_grain(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Film grain: Gaussian noise, SD 8-14 grey levels (look-alike of "JPEG artefacts")."""
    sigma = rng.uniform(8.0, 14.0)
    grain = rng.normal(0.0, sigma, image.shape[:2])[..., None]
    return np.clip(image.astype(np.float32) + grain, 0, 255).astype(np.uint8)


def thin_line(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One thin straight line across the image, 1-2 px (look-alike of "a frame")."""
    pil = Image.fromarray(image)
    h, w = image.shape[:2]
    width = int(rng.integers(1, 3))
    if rng.random() < 0.5:
        y = rng.uniform(0.2, 0.8) * h
        xy = (0, y, w, y + rng.uniform(-0.1, 0.1) * h)
    else:
        x = rng.uniform(0.2, 0.8) * w
        xy = (x, 0, x + rng.uniform(-0.1, 0.1) * w, h)
    ImageDraw.Draw(pil).line(xy, fill=_contrasting(image, rng), width=width)
    return np.asarray(pil)


def shadow_cast(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A colour cast in one channel, in the shadows only (look-alike of "colour tint")."""
    out = image.astype(np.float32)
    luma = out @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    weight = np.clip((140.0 - luma) / 140.0, 0.0, 1.0) ** 1.5
    channel = int(rng.integers(0, 3))
    out[..., channel] += rng.uniform(45, 70) * weight
    return np.clip(out, 0, 255).astype(np.uint8)


def radial_spot(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A soft bright spot inside the image (look-alike of "vignette")."""
    h, w = image.shape[:2]
    cy, cx = rng.uniform(0.3, 0.7) * h, rng.uniform(0.3, 0.7) * w
    radius = rng.uniform(0.2, 0.35) * min(h, w)
    yy, xx = np.mgrid[0:h, 0:w]
    glow = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * radius ** 2))
    out = image.astype(np.float32) + rng.uniform(60, 100) * glow[..., None]
    return np.clip(out, 0, 255).astype(np.uint8)


def shear(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A horizontal shear of 0.15-0.3, edges reflected (look-alike of "rotated")."""
    h, w = image.shape[:2]
    k = rng.uniform(0.15, 0.3) * (1 if rng.random() < 0.5 else -1)
    matrix = np.array([[1.0, 0.0], [k, 1.0]])  # (row, col) <- (row, col + k * row)
    offset = np.array([0.0, -k * h / 2.0])
    out = np.empty_like(image)
    for c in range(3):
        out[..., c] = ndimage.affine_transform(image[..., c], matrix, offset=offset, order=1,
                                               mode="reflect")
    del w
    return out


def scribbles(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A row of 1-3 short scribbled "words" of zigzag strokes (look-alike of a text watermark)."""
    pil = Image.fromarray(image)
    draw = ImageDraw.Draw(pil)
    h, w = image.shape[:2]
    colour = _contrasting(image, rng)
    x, y = rng.uniform(0.05, 0.4) * w, rng.uniform(0.15, 0.85) * h
    for _ in range(int(rng.integers(1, 4))):
        points = [(x, y)]
        for _ in range(int(rng.integers(5, 10))):
            x += rng.uniform(1.5, 4.0)
            points.append((x, y + rng.uniform(-5, 5)))
        draw.line(points, fill=colour, width=1)
        x += rng.uniform(4, 8)
    return np.asarray(pil)


def rounded_corners(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """All four corners cut round to white (look-alike of "vignette" / "corner marker")."""
    h, w = image.shape[:2]
    r = rng.uniform(0.12, 0.2) * min(h, w)
    yy, xx = np.mgrid[0:h, 0:w]
    dy = np.maximum(np.maximum(r - yy, yy - (h - 1 - r)), 0)
    dx = np.maximum(np.maximum(r - xx, xx - (w - 1 - r)), 0)
    outside = (dx > 0) & (dy > 0) & (dx ** 2 + dy ** 2 > r ** 2)
    out = image.copy()
    out[outside] = 255
    return out


def chromatic_aberration(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Red and blue channels shifted 2-3 px apart sideways (look-alike of "motion blur")."""
    d = int(rng.integers(2, 4))
    out = image.copy()
    out[:, d:, 0] = image[:, :-d, 0]
    out[:, :-d, 2] = image[:, d:, 2]
    return out


def plus_marks(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """5-10 small plus-shaped crosses (look-alike of "stars")."""
    pil = Image.fromarray(image)
    draw = ImageDraw.Draw(pil)
    h, w = image.shape[:2]
    for _ in range(int(rng.integers(5, 11))):
        arm = float(rng.uniform(3, 5))
        x, y = rng.uniform(arm, w - arm), rng.uniform(arm, h - arm)
        colour = _contrasting(image, rng)
        draw.line((x - arm, y, x + arm, y), fill=colour, width=2)
        draw.line((x, y - arm, x, y + arm), fill=colour, width=2)
    return np.asarray(pil)


def faint_checker(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A faint checkerboard of 8-16 px squares, +-10-16 grey levels (look-alike of "grid")."""
    h, w = image.shape[:2]
    cell = int(rng.integers(8, 17))
    yy, xx = np.mgrid[0:h, 0:w]
    sign = np.where(((yy // cell) + (xx // cell)) % 2 == 0, 1.0, -1.0)
    out = image.astype(np.float32) + rng.uniform(10, 16) * sign[..., None]
    return np.clip(out, 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class Trap:
    """A look-alike edit; ``acceptable``: trained differences whose words are true of it."""

    edit: Callable[[np.ndarray, np.random.Generator], np.ndarray]
    look_alike: str
    acceptable: frozenset[str]


TRAPS: dict[str, Trap] = {
    "lower_half_bright": Trap(lower_half_bright, "upside_down",
                              frozenset({"half_darkened", "brighter", "light_leak"})),
    "small_dots": Trap(small_dots, "tiny_rectangles", frozenset({"circles"})),
    "smooth_resample": Trap(smooth_resample, "pixelated", frozenset({"blur"})),
    "gaussian_grain": Trap(gaussian_grain, "jpeg", frozenset({"noise"})),
    "thin_line": Trap(thin_line, "frame", frozenset({"lines"})),
    "shadow_cast": Trap(shadow_cast, "color_tint",
                        frozenset({"color_tint", "hue_shift", "warmer", "cooler"})),
    "radial_spot": Trap(radial_spot, "vignette", frozenset({"brighter", "light_leak"})),
    "shear": Trap(shear, "rotated", frozenset()),
    "scribbles": Trap(scribbles, "text_watermark", frozenset({"lines"})),
    "rounded_corners": Trap(rounded_corners, "vignette", frozenset({"brighter"})),
    "chromatic_aberration": Trap(chromatic_aberration, "motion_blur", frozenset()),
    "plus_marks": Trap(plus_marks, "stars", frozenset()),
    "faint_checker": Trap(faint_checker, "grid", frozenset({"grid"})),
}
"""Trap kind -> its edit, the trained difference it imitates, and the trained differences
whose sentence is nonetheless true of it (a faint checkerboard *is* a grid pattern)."""


def write_trap_pair(folder: Path, trap: Trap, base: str, n: int, seed: int) -> Path:
    """Set A: ``n`` base images with the trap edit; set B: ``n`` plain base images."""
    rng = np.random.default_rng(seed)
    sampler = BaseSampler(base, size=SIZE, split="all")
    for side in ("a", "b"):
        (folder / side).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            image = sampler.sample(rng)[0]
            if side == "a":
                image = trap.edit(image, rng)
            Image.fromarray(image).save(folder / side / f"{i:04d}.png", compress_level=1)
    return folder


# -- running one pair ----------------------------------------------------------------------------


GRID = [(shift, ratio) for shift in (0.3, 0.4, 0.5, 0.6) for ratio in (0.3, 0.4, 0.5, 0.65)]
"""Thresholds of the joint steps (:func:`tellapart.verify.joint.decide_mixtures`) recorded
per claim with ``--grid`` (development draws only)."""


def compare_and_check(folder: Path, cache: str, dump: bool = False,
                      grid: bool = False) -> tuple[Report, list[dict[str, Any]], float]:
    """Compare ``folder/a`` with ``folder/b``, then check every significant trained claim as
    compare does (alone, then with the others naming the same set).

    Returns the report, one record per checked finding and the compare's wall time. With
    ``dump``, each check's arrays and the overall features go to ``folder/check-<k>.npz``;
    with ``grid``, each claim's status under every joint threshold pair of :data:`GRID`."""
    comparer = Comparer(cache=cache, jobs=1, progress=False)
    started = time.perf_counter()
    report = comparer.compare(folder / "a", folder / "b")
    seconds = time.perf_counter() - started
    claims = [f for f in report.significant if checkable_type(f) is not None]
    if not claims:
        return report, [], seconds
    ctx, scorers, folds, features = _context(folder, comparer.settings)
    checked = []
    groups: dict[str, list[tuple[dict[str, Any], Any]]] = {}
    for k, finding in enumerate(claims):
        evidence = counterfactual_evidence(ctx, scorers, folds, features, finding)
        assert evidence is not None
        if dump:
            arrays: dict[str, Any] = {"features": features.values, "is_a": ctx.table.is_a,
                                      "folds": folds, **evidence.arrays}
            np.savez_compressed(folder / f"check-{k}.npz", **arrays)
        record = {"type_id": evidence.type_id, "more_in": finding.more_in,
                  "description": finding.description, "auroc": finding.auroc,
                  "alone": decide(evidence).status,
                  "dump": f"check-{k}.npz" if dump else None, **evidence.to_dict()}
        checked.append(record)
        groups.setdefault(finding.more_in, []).append((record, evidence))
    for members in groups.values():
        records, evidences = [m[0] for m in members], [m[1] for m in members]
        mixtures = (EditedMixtures(ctx, scorers, folds, features, evidences)
                    if len(evidences) > 1 else None)
        decided = decide_mixtures(mixtures) if mixtures else [decide(evidences[0])]
        for record, result in zip(records, decided, strict=True):
            record["status"], record["detail"] = result.status, result.detail
        if grid:
            for shift, ratio in GRID:
                statuses = ([r.status for r in decide_mixtures(mixtures, min_shift=shift,
                                                                max_ratio=ratio)]
                            if mixtures else [records[0]["alone"]])
                for record, status in zip(records, statuses, strict=True):
                    record.setdefault("grid", {})[f"{shift}/{ratio}"] = status
    return report, checked, seconds


def _context(folder: Path, settings: Settings) -> tuple[DataContext, list[Any], np.ndarray, Any]:
    """The comparison's data context, scorers, folds and overall features, rebuilt from the
    feature cache the compare just filled."""
    paths_a, skipped_a = discover(str(folder / "a"), "A")
    paths_b, skipped_b = discover(str(folder / "b"), "B")
    _, table, _ = compute_features(
        [("A", str(folder / "a"), paths_a, skipped_a), ("B", str(folder / "b"), paths_b, skipped_b)],
        settings=settings, progress=False)
    ctx = DataContext(table=table, load=load_image, settings=settings)
    scorers = default_scorers()
    return ctx, scorers, split_folds(table.is_a, settings.seed), collect_features(ctx, scorers)


# -- the three kinds of pairs ----------------------------------------------------------------------


def run_traps(args: argparse.Namespace, out: Path, cache: str) -> list[dict[str, Any]]:
    rows = []
    for seed in args.seeds:
        for k, (name, trap) in enumerate(TRAPS.items()):
            if args.traps and name not in args.traps:
                continue
            for base in args.bases:
                folder = write_trap_pair(out / "traps" / f"{name}-{base}-{seed}", trap, base,
                                         args.n_per_side, seed=seed * 100 + k)
                report, checked, seconds = compare_and_check(folder, cache, args.dump, args.grid)
                for c in checked:
                    c["wrong"] = c["type_id"] not in trap.acceptable
                row = {"kind": "trap", "trap": name, "base": base, "seed": seed,
                       "folder": str(folder),
                       "look_alike": trap.look_alike, "compare_s": seconds,
                       "n_significant": len(report.significant), "checked": checked}
                rows.append(row)
                _print_row(row)
    return rows


def run_suites(args: argparse.Namespace, out: Path, cache: str) -> list[dict[str, Any]]:
    rows = []
    for seed in args.seeds:
        for suite in args.suites:
            for spec in suite_specs(suite, n_tasks=args.n_tasks, n_per_side=args.n_per_side,
                                    seed_offset=seed):
                folder = write_task(spec.render(), out / f"{suite}-{seed}" / spec.task_id,
                                    contact_sheet=False)
                report, checked, seconds = compare_and_check(folder, cache, args.dump, args.grid)
                truth = {(d.type_id, d.target) for d in spec.differences}
                for c in checked:
                    c["true"] = (c["type_id"], c["more_in"]) in truth
                row = {"kind": suite, "task": spec.task_id, "seed": seed, "folder": str(folder),
                       "truth": sorted(truth), "compare_s": seconds,
                       "n_significant": len(report.significant), "checked": checked}
                rows.append(row)
                _print_row(row)
    return rows


def run_two(args: argparse.Namespace, out: Path, cache: str) -> list[dict[str, Any]]:
    """Two trained differences of different families in set A (:data:`TWO_FAMILIES`,
    strength 0.8, every image): both claims are true."""
    rows = []
    for seed in args.seeds:
        for i in range(args.two):
            first, second = TWO_FAMILIES[i % len(TWO_FAMILIES)]
            task = make_task([DiffSpec(first, s=0.8), DiffSpec(second, s=0.8)],
                             n_per_side=args.n_per_side, size=SIZE, base="mixed",
                             seed=seed * 100 + i)
            folder = write_task(task, out / f"two-{seed}" / f"{i:03d}", contact_sheet=False)
            report, checked, seconds = compare_and_check(folder, cache, args.dump, args.grid)
            truth = {(first, "A"), (second, "A")}
            for c in checked:
                c["true"] = (c["type_id"], c["more_in"]) in truth
            row = {"kind": "two", "task": f"{first}+{second}", "seed": seed,
                   "folder": str(folder), "truth": sorted(truth), "compare_s": seconds,
                   "n_significant": len(report.significant), "checked": checked}
            rows.append(row)
            _print_row(row)
    return rows


TWO_FAMILIES = (
    ("noise", "vignette"), ("text_watermark", "warmer"), ("blur", "frame"),
    ("grayscale", "rotated"), ("jpeg", "brighter"), ("stars", "lower_contrast"),
    ("pixelated", "color_tint"), ("mirrored", "salt_pepper"), ("circles", "faded"),
    ("sepia", "grid"),
)
"""Pairs of trained differences of different families (as ``benchmarks/overall_test.py
explain`` draws them)."""


def _print_row(row: dict[str, Any]) -> None:
    name = row.get("trap") or row.get("task")
    base = row.get("base", "")
    print(f"{row['kind']:6s} {name:22s} {base:6s} seed {row['seed']}  compare "
          f"{row['compare_s']:.1f}s  significant {row['n_significant']}", flush=True)
    for c in row["checked"]:
        tag = "wrong" if c.get("wrong") else ("true" if c.get("true") else "")
        b = c["best"]
        print(f"    {c['type_id']:16s} more in {c['more_in']} {tag:5s} -> {c['status']:9s} "
              f"shift {b['shift_toward']:+.2f} dist {b['distance_ratio']:.2f} "
              f"(all {b['all_edited_ratio']:.2f}) s={b['strength']:g} p={b['prevalence']:.2f} "
              f"claim-auc {b['claim_auroc']:.2f} ({c['seconds']:.1f}s) "
              + " ".join(f"{k[:5]}{k[-3:]}={v:.2f}" for k, v in b["block_ratios"].items()),
              flush=True)


# -- summary -------------------------------------------------------------------------------------


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    traps = [r for r in rows if r["kind"] == "trap"]
    wrong = [c for r in traps for c in r["checked"] if c["wrong"]]
    with_wrong = [r for r in traps if any(c["wrong"] for c in r["checked"])]
    fully = [r for r in with_wrong if all(c["status"] == "refuted"
                                          for c in r["checked"] if c["wrong"])]
    acceptable = [c for r in traps for c in r["checked"] if not c["wrong"]]
    true_rows = [r for r in rows if r["kind"] in ("easy", "medium")]
    true_claims = [c for r in true_rows for c in r["checked"] if c["true"]]
    other_claims = [c for r in true_rows for c in r["checked"] if not c["true"]]
    nulls = [r for r in rows if r["kind"] == "null"]
    checks = [c for r in rows for c in r["checked"]]
    two_rows = [r for r in rows if r["kind"] == "two"]
    two_claims = [c for r in two_rows for c in r["checked"] if c["true"]]

    def share(items: list[dict[str, Any]], status: str) -> float | None:
        return float(np.mean([c["status"] == status for c in items])) if items else None

    return {
        "trap_pairs": len(traps),
        "trap_pairs_with_wrong_claim": len(with_wrong),
        "wrong_claims": len(wrong),
        "wrong_claims_refuted": share(wrong, "refuted"),
        "trap_pairs_all_wrong_refuted": len(fully) / len(with_wrong) if with_wrong else None,
        "acceptable_trap_claims": len(acceptable),
        "acceptable_trap_claims_confirmed": share(acceptable, "confirmed"),
        "single_difference_tasks": len(true_rows),
        "true_claims": len(true_claims),
        "true_claims_confirmed": share(true_claims, "confirmed"),
        "other_claims_on_true_tasks": len(other_claims),
        "other_claims_refuted": share(other_claims, "refuted"),
        "two_difference_tasks": len(two_rows),
        "two_difference_true_claims": len(two_claims),
        "two_difference_true_claims_confirmed": share(two_claims, "confirmed"),
        "two_difference_true_claims_confirmed_alone": (
            float(np.mean([c["alone"] == "confirmed" for c in two_claims])) if two_claims else None),
        "null_pairs": len(nulls),
        "null_pairs_with_significant_finding": (float(np.mean([r["n_significant"] > 0
                                                               for r in nulls]))
                                                if nulls else None),
        "null_claims_checked": sum(len(r["checked"]) for r in nulls),
        "null_claims_confirmed": sum(c["status"] == "confirmed" for r in nulls
                                     for c in r["checked"]),
        "grid": grid_summary(wrong, true_claims, two_claims),
        "checks": len(checks),
        "seconds_per_check_median": float(np.median([c["seconds"] for c in checks]))
        if checks else None,
        "compare_s_median": float(np.median([r["compare_s"] for r in rows])) if rows else None,
    }


def grid_summary(wrong: list[dict[str, Any]], true_claims: list[dict[str, Any]],
                 two_claims: list[dict[str, Any]]) -> dict[str, list[float | None]]:
    """Joint thresholds -> [wrong refuted, single true confirmed, two-difference true
    confirmed] (claims recorded with ``--grid``)."""
    keys = sorted({k for c in wrong + true_claims + two_claims for k in c.get("grid", {})})

    def rate(items: list[dict[str, Any]], key: str, status: str) -> float | None:
        return (float(np.mean([c.get("grid", {}).get(key, c["status"]) == status for c in items]))
                if items else None)

    return {k: [rate(wrong, k, "refuted"), rate(true_claims, k, "confirmed"),
                rate(two_claims, k, "confirmed")] for k in keys}


def markdown(summary: dict[str, Any], rows: list[dict[str, Any]], args: argparse.Namespace) -> str:
    def fmt(v: Any) -> str:
        return "-" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))

    lines = [f"Counterfactual checks, seeds {' '.join(map(str, args.seeds))}, "
             f"{args.n_per_side} images per side", "", "| quantity | value |", "|---|---|"]
    lines += [f"| {k} | {fmt(v)} |" for k, v in summary.items() if k != "grid"]
    lines += ["", "| trap | base | seed | claim | wrong | status | shift | distance ratio |",
              "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["kind"] != "trap":
            continue
        for c in r["checked"]:
            lines.append(f"| {r['trap']} | {r['base']} | {r['seed']} | {c['type_id']} (more in "
                         f"{c['more_in']}) | {c['wrong']} | {c['status']} | "
                         f"{c['best']['shift_toward']:+.2f} | {c['best']['distance_ratio']:.2f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1000])
    parser.add_argument("--n-per-side", type=int, default=50)
    parser.add_argument("--out", default="out/counterfactual")
    parser.add_argument("--bases", nargs="+", default=["mixed", "photos"])
    parser.add_argument("--traps", nargs="*", default=[], help="trap kinds (default: all)")
    parser.add_argument("--suites", nargs="*", default=["easy", "medium", "null"])
    parser.add_argument("--n-tasks", type=int, default=10, help="tasks per suite and seed")
    parser.add_argument("--two", type=int, default=0,
                        help="two-difference tasks per seed (both differences in set A)")
    parser.add_argument("--grid", action="store_true",
                        help="record each claim's status under the joint thresholds of GRID")
    parser.add_argument("--dump", action="store_true",
                        help="write each check's arrays next to its pair (for choosing rules)")
    args = parser.parse_args(argv)
    if any(seed == 0 for seed in args.seeds):
        parser.error("seed 0 draws the suites' own benchmark tasks; use development seeds")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cache = str(out / "features.sqlite")
    started = time.perf_counter()
    rows = run_traps(args, out, cache) if args.bases and args.traps != ["none"] else []
    rows += run_suites(args, out, cache)
    rows += run_two(args, out, cache)
    summary = summarise(rows)
    summary["wall_s"] = time.perf_counter() - started
    (out / "results.json").write_text(json.dumps({"args": vars(args), "summary": summary,
                                                  "rows": rows}, indent=1, default=str))
    table = markdown(summary, rows, args)
    (out / "summary.md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
