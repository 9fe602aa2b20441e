"""Edits not made by ``tellapart.synth``: does ``compare`` name them? Measured experiments.

Each sub-command prints a markdown table::

    .venv/bin/python benchmarks/describer_edits.py independent [--n-per-side 40] [--edits all|third] [--size 128] [--whole-only]
    .venv/bin/python benchmarks/describer_edits.py small-marks [--sizes 384 512] [--reps 3] [--whole-only]

Every sub-command takes ``--model FOLDER`` (for the table's record; ``compare`` loads
``$TELLAPART_DESCRIBER`` or the shipped weights), ``--threads N`` and ``--seed``.

``independent``: ``compare`` (default proposers) on held-out photograph crops where set A is
changed by an edit written here with PIL (a red square, text, JPEG, brightness, grayscale,
blur, flip, a black border), or by the edits of ``independent_edits_more.py`` and
``independent_edits_third.py``, not by ``tellapart.synth``: does the first significant
finding name the edit?

``small-marks``: ``compare`` (default proposers) on held-out photograph crops larger than the
model's input (384 and 512 px), set A carrying a mark of a fixed size in pixels (a 14-18 px
white caption, a 9-12 px red square, 5-8 dots of radius 3, a 22-px circle logo in a
corner), so that squeezing the whole image to 128 px shrinks it to a few pixels; with
``--whole-only`` the quarter and corner views of large images
(``tellapart.models.runtime.image_views``) are switched off (``compare --whole-images-only``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from describer_common import model_name, run_script
from independent_edits_more import MORE_EDITS
from independent_edits_third import THIRD_EDITS

if TYPE_CHECKING:
    from tellapart.bench.judge import Judge, Truth
    from tellapart.synth.bases import BaseSampler
    from tellapart.types import Finding, Report

Edit = Callable[[Any, np.random.Generator], Any]
# (edit, its function, the synth difference types that count as naming it)
EditSpec = tuple[str, Edit, tuple[str, ...]]


# -- independent: edits written here with PIL, on held-out photographs ------------------------------


def _edit_red_box(img: Any, rng: np.random.Generator) -> Any:
    from PIL import ImageDraw

    w, h = img.size
    side = max(4, int(0.12 * w))
    x, y = int(rng.integers(0, w - side)), int(rng.integers(0, h - side))
    out = img.copy()
    ImageDraw.Draw(out).rectangle([x, y, x + side, y + side], fill=(220, 20, 20))
    return out


def _edit_text(img: Any, rng: np.random.Generator) -> Any:
    from PIL import ImageDraw

    out = img.copy()
    w, h = img.size
    ImageDraw.Draw(out).text((int(rng.integers(2, w // 3)), int(rng.integers(h // 3, 2 * h // 3))),
                             "SAMPLE", fill=(255, 255, 255))
    return out


def _edit_jpeg(img: Any, rng: np.random.Generator) -> Any:
    import io

    from PIL import Image

    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=8)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def _edit_darker(img: Any, rng: np.random.Generator) -> Any:
    from PIL import ImageEnhance

    return ImageEnhance.Brightness(img).enhance(0.55)


def _edit_gray(img: Any, rng: np.random.Generator) -> Any:
    from PIL import ImageOps

    return ImageOps.grayscale(img).convert("RGB")


def _edit_blur(img: Any, rng: np.random.Generator) -> Any:
    from PIL import ImageFilter

    return img.filter(ImageFilter.GaussianBlur(2.0))


def _edit_upside_down(img: Any, rng: np.random.Generator) -> Any:
    from PIL import ImageOps

    return ImageOps.flip(img)


def _edit_black_border(img: Any, rng: np.random.Generator) -> Any:
    from PIL import ImageOps

    w, h = img.size
    return ImageOps.expand(img.resize((w - 16, h - 16)), border=8, fill=(0, 0, 0))


# (edit, its function, the synth difference types that count as naming it, judged by the
# benchmark's judge exactly as `tellapart bench` judges findings). Fixed before the first run.
INDEPENDENT_EDITS: list[EditSpec] = [
    ("small red square (PIL rectangle)", _edit_red_box,
     ("tiny_rectangles", "occluding_patch", "stamp")),
    ("white text 'SAMPLE' (PIL default font)", _edit_text, ("text_watermark",)),
    ("JPEG quality 8 (PIL)", _edit_jpeg, ("jpeg",)),
    ("darker, brightness x0.55 (PIL ImageEnhance)", _edit_darker, ("darker",)),
    ("grayscale (PIL ImageOps)", _edit_gray, ("grayscale", "less_saturated")),
    ("Gaussian blur radius 2 (PIL)", _edit_blur, ("blur",)),
    ("upside down (PIL ImageOps.flip)", _edit_upside_down, ("upside_down",)),
    ("8 px black border (PIL ImageOps.expand)", _edit_black_border, ("frame",)),
]


def _edit_quarter_turn_clockwise(img: Any, rng: np.random.Generator) -> Any:
    from PIL import Image

    return img.transpose(Image.Transpose.ROTATE_270)


def _edit_quarter_turn_counterclockwise(img: Any, rng: np.random.Generator) -> Any:
    from PIL import Image

    return img.transpose(Image.Transpose.ROTATE_90)


def _edit_half_turn(img: Any, rng: np.random.Generator) -> Any:
    from PIL import Image

    return img.transpose(Image.Transpose.ROTATE_180)


# Orientation, the commonest real data bug of photographs (an EXIF orientation ignored by one
# pipeline): rotations by PIL, not by synth, with the types that count as naming them, fixed
# before the describer's recipe (configs/describer.toml) was first run.
ORIENTATION_EDITS: list[EditSpec] = [
    ("rotated 90 degrees clockwise (PIL transpose)", _edit_quarter_turn_clockwise,
     ("sideways", "rotated")),
    ("rotated 90 degrees counterclockwise (PIL transpose)", _edit_quarter_turn_counterclockwise,
     ("sideways", "rotated")),
    ("rotated 180 degrees (PIL transpose)", _edit_half_turn, ("upside_down",)),
]


def more_edits() -> list[EditSpec]:
    """12 more edits, written by a writer who never saw the synth code (and fixed, with the
    types that count as naming them, before the first run)."""
    return list(MORE_EDITS)


def third_edits() -> list[EditSpec]:
    """16 edits written by a writer who saw no file of the repository (and fixed, with the
    types that count as naming them, before the first run): a test set only."""
    return list(THIRD_EDITS)


def edit_sets(name: str) -> list[EditSpec]:
    return {"original": INDEPENDENT_EDITS, "more": more_edits(), "third": third_edits(),
            "all": [*INDEPENDENT_EDITS, *more_edits()], "orientation": ORIENTATION_EDITS}[name]


def accepted_truths(accepted: tuple[str, ...]) -> list[Truth]:
    """The judge's truths for the difference types that count as naming an edit (set A)."""
    from tellapart.bench.judge import Truth
    from tellapart.edits.differences import create_difference

    truths = []
    for tid in accepted:
        diff = create_difference(tid)
        truths.append(Truth(tid, "A", diff.sentence, tuple(diff.paraphrases), diff.phrase))
    return truths


def write_sets(root: Path, sampler: BaseSampler, edit: Edit, n_per_side: int,
               seed_parts: Sequence[int], prevalence: float = 1.0) -> dict[str, Path]:
    """Write set A (the first ``prevalence`` share of its images edited) and set B of
    held-out photograph crops under ``root``; image i of side s is drawn with the seed
    ``[*seed_parts, s, i]``."""
    from PIL import Image

    folders = {side: root / side for side in "ab"}
    for side_no, (side, folder) in enumerate(folders.items()):
        folder.mkdir(parents=True)
        for i in range(n_per_side):
            rng = np.random.default_rng([*seed_parts, side_no, i])
            img = Image.fromarray(sampler.sample(rng)[0]).convert("RGB")
            if side == "a" and i < round(prevalence * n_per_side):
                img = edit(img, rng)
            img.save(folder / f"{i:04d}.png")
    return folders


def judged(report: Report, truths: list[Truth], judge: Judge) -> tuple[list[Finding], list[int]]:
    """The significant findings, and the ranks (from 1) of those the judge matches to a truth."""
    sig = [f for f in report.findings if f.significant]
    hits = [r for r, f in enumerate(sig, start=1)
            if any(judge.judge(f.description, f.more_in, t, f.concept).match for t in truths)]
    return sig, hits


def first_naming(sig: list[Finding], hits: list[int]) -> str:
    if not hits:
        return "none"
    f = sig[hits[0] - 1]
    return f"{f.description} ({hits[0]}, {f.auroc:.3f})"


def cmd_independent(args: argparse.Namespace) -> None:
    """`compare` on held-out photographs changed by edits written here with PIL, not by synth.

    Set A and set B are different crops of the held-out bundled photographs
    (``BaseSampler("photos", split="heldout")``); a share ``--prevalence`` of the set-A
    images (all by default) gets the edit. Default proposers (learned + measurements). A row names the first significant finding and
    whether the benchmark's judge matches it to one of the difference types listed for that
    edit (fixed before the first run).
    """
    from tellapart import compare
    from tellapart.bench.judge import Judge
    from tellapart.synth.bases import BaseSampler

    judge = Judge()
    edits = edit_sets(args.edits)
    sampler = BaseSampler("photos", args.size, "heldout")
    print(f"| edit on set A ({args.n_per_side} held-out photo crops per side, {args.size} px) "
          "| first significant finding | concept | AUROC | proposer | names the edit "
          "| first finding naming it (rank, AUROC) |")
    print("|---|---|---|---|---|---|---|")
    n_first = n_any = 0
    with tempfile.TemporaryDirectory(prefix="tellapart_indep_") as tmp:
        for k, (name, edit, accepted) in enumerate(edits):
            folders = write_sets(Path(tmp) / f"edit{k}", sampler, edit, args.n_per_side,
                                 [args.seed, k], args.prevalence)
            report = compare(folders["a"], folders["b"], progress=False, cache="", jobs=args.jobs,
                             seed=args.seed, quarter_views=not args.whole_only)
            sig, hits = judged(report, accepted_truths(accepted), judge)
            n_first += bool(hits) and hits[0] == 1
            n_any += bool(hits)
            top = sig[0] if sig else None
            print(f"| {name} | {top.description if top else 'none'} | {top.concept if top else ''} "
                  f"| {f'{top.auroc:.3f}' if top else ''} | {top.proposer if top else ''} "
                  f"| {'yes' if hits and hits[0] == 1 else 'no'} | {first_naming(sig, hits)} |",
                  flush=True)
    print()
    print(f"{n_first}/{len(edits)} edits named by the first significant finding, "
          f"{n_any}/{len(edits)} by some significant finding. Model: "
          f"{model_name(args.model)}.")


# -- small-marks: marks of a fixed pixel size on large photographs ---------------------------------


def _caption(img: Any, rng: np.random.Generator) -> Any:
    from PIL import ImageDraw, ImageFont

    w, h = img.size
    font = ImageFont.load_default(size=int(rng.integers(14, 19)))
    xy = (int(rng.integers(5, w - 90)), int(rng.integers(5, h - 25)))
    ImageDraw.Draw(img).text(xy, "SAMPLE", fill=(255, 255, 255), font=font)
    return img


def _red_square(img: Any, rng: np.random.Generator) -> Any:
    from PIL import ImageDraw

    w, h = img.size
    side = int(rng.integers(9, 13))
    x, y = int(rng.integers(0, w - side)), int(rng.integers(0, h - side))
    ImageDraw.Draw(img).rectangle([x, y, x + side, y + side], fill=(230, 20, 20))
    return img


def _dots(img: Any, rng: np.random.Generator) -> Any:
    from PIL import ImageDraw

    draw, (w, h), r = ImageDraw.Draw(img), img.size, 3
    for _ in range(int(rng.integers(5, 9))):
        x, y = int(rng.integers(r, w - r)), int(rng.integers(r, h - r))
        draw.ellipse([x - r, y - r, x + r, y + r], fill=tuple(int(v) for v in rng.integers(0, 256, 3)))
    return img


def _corner_logo(img: Any, rng: np.random.Generator) -> Any:
    from PIL import ImageDraw, ImageFont

    del rng
    draw, (w, h), side = ImageDraw.Draw(img), img.size, 22
    draw.ellipse([w - side - 6, h - side - 6, w - 6, h - 6], outline=(255, 255, 255), width=2)
    draw.text((w - side + 1, h - side - 2), "C", fill=(255, 255, 255),
              font=ImageFont.load_default(size=14))
    return img


SMALL_MARKS: list[EditSpec] = [
    ("white 'SAMPLE' caption, 14-18 px font", _caption, ("text_watermark",)),
    ("red square, 9-12 px", _red_square, ("tiny_rectangles", "occluding_patch", "stamp")),
    ("5-8 coloured dots, radius 3 px", _dots, ("circles",)),
    ("22-px circle logo in the bottom-right corner", _corner_logo, ("stamp", "corner_marker")),
]


def cmd_small_marks(args: argparse.Namespace) -> None:
    """Marks of a fixed pixel size on photographs larger than the model's input."""
    from tellapart import compare
    from tellapart.bench.judge import Judge
    from tellapart.synth.bases import BaseSampler

    judge = Judge()
    print("| size | mark on set A | repeat | first significant finding | AUROC | names the mark "
          "| first finding naming it (rank, AUROC) |")
    print("|---|---|---|---|---|---|---|")
    totals = {size: [0, 0, 0] for size in args.sizes}
    for size in args.sizes:
        sampler = BaseSampler("photos", size, "heldout")
        for k, (name, edit, accepted) in enumerate(SMALL_MARKS):
            truths = accepted_truths(accepted)
            for rep in range(args.reps):
                with tempfile.TemporaryDirectory(prefix="tellapart_marks_") as tmp:
                    folders = write_sets(Path(tmp), sampler, edit, args.n_per_side, [5, rep, k])
                    report = compare(folders["a"], folders["b"], progress=False, cache="",
                                     jobs=args.jobs, seed=rep, quarter_views=not args.whole_only)
                sig, hits = judged(report, truths, judge)
                totals[size][0] += 1
                totals[size][1] += bool(hits) and hits[0] == 1
                totals[size][2] += bool(hits)
                top = sig[0] if sig else None
                print(f"| {size} | {name} | {rep} | {top.description if top else 'none'} "
                      f"| {f'{top.auroc:.3f}' if top else ''} | {'yes' if hits and hits[0] == 1 else 'no'} "
                      f"| {first_naming(sig, hits)} |", flush=True)
    print()
    for size, (n, first, anywhere) in totals.items():
        print(f"{size} px: {first}/{n} named by the first significant finding, {anywhere}/{n} by "
              f"some significant finding" + (" (whole images only)" if args.whole_only else "")
              + f". Model: {model_name(args.model)}.")


def add_independent_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--n-per-side", type=int, default=40)
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--jobs", type=int, default=2, help="`compare` worker processes")
    p.add_argument("--edits", choices=["original", "more", "all", "third", "orientation"],
                   default="all",
                   help="the 8 original edits, the 12 of independent_edits_more.py, all 20 of "
                        "them, the 16 of independent_edits_third.py, written blind (a test set), "
                        "or the 3 rotations of ORIENTATION_EDITS")
    p.add_argument("--prevalence", type=float, default=1.0,
                   help="share of set A's images that get the edit")
    p.add_argument("--whole-only", action="store_true",
                   help="see every image whole only (no quarter or corner views of large images)")


def add_small_marks_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sizes", type=int, nargs="+", default=[384, 512])
    p.add_argument("--reps", type=int, default=3, help="repeats with other images and seeds")
    p.add_argument("--n-per-side", type=int, default=40)
    p.add_argument("--jobs", type=int, default=2, help="`compare` worker processes")
    p.add_argument("--whole-only", action="store_true",
                   help="see every image whole only (no quarter or corner views of large images)")


def main(argv: Sequence[str] | None = None) -> int:
    return run_script(__doc__, {"independent": (cmd_independent, add_independent_options),
                                "small-marks": (cmd_small_marks, add_small_marks_options)}, argv)


if __name__ == "__main__":
    sys.exit(main())
