"""Typed claims on a planted caption: located, vague, misplaced and opposite wordings.

Usage::

    .venv/bin/python benchmarks/typed_claims.py [--n-per-side 40] [--size 384] [--font 10]
        [--prevalence 1.0] [--seeds 0 1 2] [--out out/typed_claims] [--proposed]

Every set A image of a pair (a fraction ``--prevalence`` of them) gets a white caption of
``--font`` px in its bottom-right corner, drawn here with PIL (not with ``tellapart.synth``);
the images are bundled photographs (``tellapart.synth`` bases, kind ``photos``), cropped to
``--size`` px. ``tellapart.compare`` then tests the typed wordings of :data:`WORDINGS`
(no proposers, so each is tested on all images) and the script prints, per seed, each
wording's held-out AUROC, q-value and whether it is significant in the set it names.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from tellapart import compare
from tellapart.synth.bases import BaseSampler

WORDINGS = (
    ("located", "Set A images have a watermark in the bottom-right corner"),
    ("vague", "Set A images have a caption"),
    ("misplaced", "Set A images have a watermark in the top-left corner"),
    ("opposite", "Set B images have a watermark in the bottom-right corner"),
)


def write_pair(root: Path, n: int, size: int, font_px: int, prevalence: float, seed: int) -> None:
    """Two folders of ``n`` photographs each; a share ``prevalence`` of A's get the caption."""
    rng = np.random.default_rng(seed)
    sampler = BaseSampler("photos", size=size, split="all")
    font = ImageFont.load_default(size=font_px)
    captioned = set(rng.choice(n, size=int(round(prevalence * n)), replace=False).tolist())
    for side in ("a", "b"):
        (root / side).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            image = Image.fromarray(sampler.sample(rng)[0])
            if side == "a" and i in captioned:
                text = f"(c) photo {rng.integers(100, 999)}"
                width = ImageDraw.Draw(image).textlength(text, font=font)
                xy = (size - width - 6, size - font_px - 8)
                ImageDraw.Draw(image).text(xy, text, fill=(255, 255, 255), font=font)
            image.save(root / side / f"{i:03d}.png")


def run_seed(args: argparse.Namespace, seed: int) -> list[tuple[str, float, float, bool]]:
    """(kind, AUROC, q, significant in the named set) of each wording on one drawn pair."""
    root = Path(args.out) / f"seed{seed}"
    write_pair(root, args.n_per_side, args.size, args.font, args.prevalence, seed)
    report = compare(root / "a", root / "b", proposers=[], hypotheses=[w for _, w in WORDINGS],
                     cache="", progress=False, jobs=1)
    rows = []
    for kind, wording in WORDINGS:
        finding = next(f for f in report.findings if f.user and f.description.startswith(wording))
        named = wording.split()[1]
        holds = bool(finding.significant) and finding.more_in == named
        auroc = finding.auroc if finding.more_in == named else 1.0 - finding.auroc
        rows.append((kind, float(auroc), float(finding.q_value), holds))
    return rows


def run_proposed(args: argparse.Namespace, seed: int) -> tuple[int, float, str, int]:
    """(rank, q, sentence) of the best finding of an ordinary ``compare`` (default proposers,
    nothing typed) that is about text in set A: the describer's ``text_watermark`` claim or
    the ``text_strokes`` measurement, (0, 1.0, "") when none was tested; and the number of
    significant findings of any kind."""
    root = Path(args.out) / f"seed{seed}"
    report = compare(root / "a", root / "b", cache="", progress=False, jobs=1)
    about_text = [f for f in report.findings if f.more_in == "A" and (
        f.concept.startswith("diff:text_watermark") or f.concept.startswith("text_strokes"))]
    best = min(about_text, key=lambda f: f.q_value, default=None)
    n_significant = len(report.significant)
    if best is None:
        return 0, 1.0, "", n_significant
    return best.rank, float(best.q_value), best.description, n_significant


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-per-side", type=int, default=40)
    parser.add_argument("--size", type=int, default=384)
    parser.add_argument("--font", type=int, default=10, help="caption height in pixels")
    parser.add_argument("--prevalence", type=float, default=1.0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", default="out/typed_claims")
    parser.add_argument("--proposed", action="store_true",
                        help="also run compare with its default proposers and nothing typed")
    args = parser.parse_args(argv)
    print(f"caption {args.font} px, {args.size} px photos, prevalence {args.prevalence}, "
          f"{args.n_per_side} per side")
    print("| seed | wording | AUROC for the named set | q | holds |")
    print("|---|---|---|---|---|")
    for seed in args.seeds:
        for kind, auroc, q, holds in run_seed(args, seed):
            print(f"| {seed} | {kind} | {auroc:.3f} | {q:.3g} | {'yes' if holds else 'no'} |")
    if args.proposed:
        print("\n| seed | rank of the best finding about text in set A | q | finding | significant findings |")
        print("|---|---|---|---|---|")
        for seed in args.seeds:
            rank, q, sentence, n_significant = run_proposed(args, seed)
            print(f"| {seed} | {rank or '-'} | {q:.3g} | {sentence} | {n_significant} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
