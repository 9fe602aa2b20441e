"""``tellapart train``'s entry point: a recipe file (``--config``) or a single stage.

``--config FILE`` runs the whole recipe (:mod:`tellapart.train.recipe`), where every setting
comes from the file; everything else goes to :func:`tellapart.train.trainer.main`.
"""

from __future__ import annotations

import argparse
import json

from .recipe import RecipeError, run_recipe
from .trainer import RESUME_RECIPE, build_parser
from .trainer import main as stage_main

_RECIPE_OPTIONS = ("out", "resume", "workers", "no_progress", "config", "sitting_minutes")
"""The options a recipe run takes besides the file itself."""


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``tellapart train``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.config is None:
        return stage_main(argv)
    if args.config in ("tiny", "small"):
        raise SystemExit(f"tellapart train: --config takes a recipe file; the model size is "
                         f"--model {args.config}")
    return _run_recipe(args, parser)


def _run_recipe(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """``--config FILE``: run or resume the recipe; every other setting comes from the file."""
    defaults = parser.parse_args(["--out", "x"] if args.out is None else ["--out", args.out])
    given = [name for name, value in vars(args).items()
             if name not in _RECIPE_OPTIONS and value != getattr(defaults, name)]
    if given:
        raise SystemExit("tellapart train: with --config every setting comes from the recipe "
                         f"file; remove --{given[0].replace('_', '-')}")
    if args.resume not in (None, RESUME_RECIPE):
        raise SystemExit("tellapart train: with --config, --resume takes no checkpoint (the "
                         "recipe's run in --out is continued)")
    try:
        folder = run_recipe(args.config, args.out, resume=args.resume is not None,
                            progress=not args.no_progress, workers=args.workers,
                            sitting_minutes=args.sitting_minutes)
    except RecipeError as exc:
        raise SystemExit(f"tellapart train: {exc}") from None
    print(json.dumps({"final": None if folder is None else str(folder)}), flush=True)
    return 0
