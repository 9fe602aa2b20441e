"""Command line: ``tellapart compare A B``, ``tellapart demo``, ``tellapart synth``, ``tellapart bench``.

Every entry point is ``main(argv) -> exit code``: 0 done, 2 bad input or usage, 1 unexpected error.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .concepts_cli import add_parsers as add_concept_parsers

if TYPE_CHECKING:
    from rich.console import Console

    from .types import Report

EXIT_OK, EXIT_ERROR, EXIT_INPUT = 0, 1, 2


def _findings_count(text: str) -> int:
    """``--top``: a whole number of findings, 0 for all; a negative count is refused."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 (all findings) or more, got {value}")
    return value


def _auroc_level(text: str) -> float:
    """``--min-effect``: a held-out AUROC between 0.5 (no effect) and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an AUROC such as 0.6, got {text!r}") from None
    if not 0.5 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be an AUROC between 0.5 and 1, got {value:g}")
    return value


def _add_compare_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default=None, help="folder for report.json and report.html (default: tellapart_report)")
    p.add_argument("--json", dest="json_path", default=None, help="write the JSON report here")
    p.add_argument("--html", dest="html_path", default=None, help="write the HTML report here")
    p.add_argument("--alpha", type=float, default=None, help="false discovery rate level (default 0.05)")
    p.add_argument("--seed", type=int, default=None, help="seed of the proposal/held-out split (default 0)")
    p.add_argument("--top", type=_findings_count, default=None,
                   help="findings shown in the terminal table (default 10; 0 shows all)")
    p.add_argument("--export-scores", default=None, metavar="FILE",
                   help="also write per-image scores (the overall classifier's and each "
                        "finding's), one row per image: CSV, or Parquet when FILE ends in "
                        ".parquet (needs pyarrow)")
    p.add_argument("--min-effect", type=_auroc_level, default=None, metavar="AUROC",
                   help="list significant findings whose held-out AUROC is below this as "
                        "negligible (large sets make tiny shifts significant)")
    p.add_argument("--no-overall", action="store_const", const=False, dest="overall",
                   default=None,
                   help="skip the overall two-sample test, the explained shares and the "
                        "counterfactual checks (faster; no per-image scores to export)")
    p.add_argument(
        "--hypothesis", action="append", dest="hypotheses", default=None, metavar="TEXT",
        help="a claim of your own to test, e.g. 'set A images are darker' (repeatable)",
    )
    p.add_argument("--group-a", default=None, help="manifest group that forms set A")
    p.add_argument("--group-b", default=None, help="manifest group that forms set B")
    p.add_argument("--min-images", type=int, default=None, help="fewest usable images per set (default 8)")
    p.add_argument("--shortlist", type=int, default=None, help="hypotheses per proposer and fold to test")
    p.add_argument("--proposers", nargs="+", default=None, help="proposers to run (default: learned measurements)")
    p.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    p.add_argument("--engine", choices=("local", "ray"), default=None,
                   help="where decoding, measuring and the describer's embeddings run: this "
                        "machine (default) or Ray Data (pip install 'tellapart[ray]'); the "
                        "findings are the same")
    p.add_argument("--ray-address", default=None, metavar="ADDRESS",
                   help="with --engine ray: the cluster to use ('auto' for the one this node "
                        "belongs to, ray://HOST:10001 for a remote head); default: a new "
                        "local Ray instance")
    p.add_argument("--cache", default=None, help="feature cache file (SQLite); '' disables caching")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the feature cache")
    p.add_argument(
        "--whole-images-only", action="store_const", const=False, dest="quarter_views", default=None,
        help="the learned describer sees each image whole only, not also as four quarters and "
             "four corner crops when it is large (faster on large images; small marks may be missed)",
    )
    p.add_argument("--dicom-window", choices=("file", "percentile", "full"), default=None,
                   help="DICOM grey levels: the file's own window (default; a robust percentile "
                        "window when it has none), always the percentile window, or the full "
                        "stored range")
    p.add_argument("--dicom-frame", choices=("first", "middle", "max"), default=None,
                   help="the image a multi-frame DICOM gives: its first frame (default), its "
                        "middle frame, or the maximum over its frames")
    p.add_argument("--nifti-view", choices=("orthogonal", "axial", "mip"), default=None,
                   help="the image a 3-D NIfTI volume gives: its three central orthogonal "
                        "slices side by side (default), its central axial slice, or its axial "
                        "maximum-intensity projection")
    p.add_argument("--no-header-evidence", action="store_const", const=False,
                   dest="header_evidence", default=None,
                   help="do not test differences in DICOM/NIfTI technical header attributes")
    p.add_argument("--library", default=None, metavar="DIR",
                   help="concept library to prove learned concepts from (default: the user's; "
                        "see `tellapart concepts list`)")
    p.add_argument("--no-library", action="store_true", help="leave learned concepts out")
    _add_backend_options(p)
    p.add_argument("--config", default=None, help="TOML settings file (CLI flags override it)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _add_backend_options(p: argparse.ArgumentParser) -> None:
    """The optional pretrained backends (docs/backends.md): off unless asked for."""
    g = p.add_argument_group("optional backends (--proposers ... clip vlm)")
    g.add_argument("--clip-model", default=None, metavar="PATH_OR_ID",
                   help="CLIP/SigLIP weights: a save_pretrained folder or a Hugging Face id already "
                        "in the local cache (never downloaded); also scores typed claims")
    g.add_argument("--api-base", default=None, metavar="URL",
                   help="OpenAI-compatible chat-completions endpoint of the vlm proposer, "
                        "e.g. http://localhost:8000/v1")
    g.add_argument("--api-key-env", default=None, metavar="NAME",
                   help="environment variable holding the endpoint's key (default TELLAPART_API_KEY)")
    g.add_argument("--vlm-model", default=None, metavar="NAME", help="captioning model at --api-base")
    g.add_argument("--llm-model", default=None, metavar="NAME",
                   help="model that writes hypotheses from captions (default: --vlm-model)")
    g.add_argument("--vlm-rounds", type=int, default=None, metavar="N",
                   help="rounds of 20 captions per set and proposal fold (default 3)")
    g.add_argument("--max-requests", type=int, default=None, metavar="N",
                   help="most requests sent to --api-base in one comparison (default 500)")


def _settings_overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "alpha": args.alpha,
        "seed": args.seed,
        "top": args.top,
        "min_effect": args.min_effect,
        "overall": args.overall,
        "hypotheses": args.hypotheses,
        "group_a": args.group_a,
        "group_b": args.group_b,
        "min_images": args.min_images,
        "shortlist": args.shortlist,
        "proposers": args.proposers,
        "jobs": args.jobs,
        "engine": args.engine,
        "ray_address": args.ray_address,
        "cache": "" if args.no_cache else args.cache,
        "quarter_views": args.quarter_views,
        "dicom_window": args.dicom_window,
        "dicom_frame": args.dicom_frame,
        "nifti_view": args.nifti_view,
        "header_evidence": args.header_evidence,
        "library": "" if args.no_library else args.library,
        "progress": False if args.quiet else None,
        "clip_model": args.clip_model,
        "api_base": args.api_base,
        "api_key_env": args.api_key_env,
        "vlm_model": args.vlm_model,
        "llm_model": args.llm_model,
        "vlm_rounds": args.vlm_rounds,
        "max_requests": args.max_requests,
    }


def _run_compare(set_a: str, set_b: str | None, args: argparse.Namespace) -> int:
    from rich.console import Console

    from .config import resolve_settings
    from .io import InputError
    from .pipeline import UnusableSetError, compare
    from .report import print_table, write_html, write_json
    from .report.scores import ScoresExportError, check_scores_path

    console = Console(stderr=False)
    try:
        if args.export_scores:  # e.g. Parquet without pyarrow: say so before the long run
            check_scores_path(args.export_scores)
    except ScoresExportError as exc:
        print(f"tellapart: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    try:
        settings = resolve_settings(args.config, **_settings_overrides(args))
        report = compare(set_a, set_b, settings=settings)
    except (InputError, ValueError, FileNotFoundError) as exc:
        print(f"tellapart: error: {exc}", file=sys.stderr)
        if isinstance(exc, UnusableSetError) and (args.out is not None or args.json_path):
            # No comparison, but the skipped files and why are what the user needs now.
            json_path = args.json_path or str(Path(args.out) / "report.json")
            Path(json_path).parent.mkdir(parents=True, exist_ok=True)
            console.print(f"Wrote the skipped files and their reasons to {write_json(exc.report, json_path)}")
        return EXIT_INPUT
    print_table(report, console, top=settings.top)
    json_path, html_path = args.json_path, args.html_path
    scores_path = None
    if args.out is not None or (json_path is None and html_path is None):
        out = Path(args.out or "tellapart_report")
        out.mkdir(parents=True, exist_ok=True)
        json_path = json_path or str(out / "report.json")
        html_path = html_path or str(out / "report.html")
        # per-image scores beside the report, so `tellapart learn` can learn from it
        scores_path = out / "scores.csv" if report.image_scores is not None else None
    written = []
    if json_path:
        written.append(str(write_json(report, json_path)))
    if html_path:
        from .io.medical import use_reader_options
        from .pipeline import reader_options

        with use_reader_options(reader_options(settings)):  # thumbnails as the images were read
            written.append(str(write_html(report, html_path)))
    if scores_path is not None:
        from .report.scores import write_scores

        written.append(str(write_scores(report.image_scores, scores_path)))
    console.print("Wrote " + " and ".join(written))
    return _export_scores(report, args.export_scores, console)


def _export_scores(report: Report, path: str | None, console: Console) -> int:
    """``--export-scores``: write the per-image scores after the reports; the exit code."""
    from .report.scores import ScoresExportError, export_scores

    if not path:
        return EXIT_OK
    try:
        written = export_scores(report, path)
    except ScoresExportError as exc:
        print(f"tellapart: error: --export-scores: {exc}", file=sys.stderr)
        return EXIT_INPUT
    console.print(f"Wrote per-image scores to {written}", markup=False, highlight=False)
    return EXIT_OK


def _cmd_compare(args: argparse.Namespace) -> int:
    return _run_compare(args.set_a, args.set_b, args)


def _cmd_demo(args: argparse.Namespace) -> int:
    if args.medical:
        return _cmd_demo_medical(args)
    from .synth import DiffSpec, make_task, write_task

    out = Path(args.out)
    example = out / "example"
    # A known, checkable difference: set A's photos are vignetted (dark corners) in 60% of images.
    task = make_task(
        [DiffSpec("vignette", s=0.9, prevalence=0.6)],
        n_per_side=40, size=128, base="photos", seed=args.seed or 0, task_id="demo",
    )
    task_dir = write_task(task, example)
    print(f"Generated two example sets in {task_dir}/a and {task_dir}/b "
          f"(truth: {task.truth['differences'][0]['sentence']}, 60% of set A)")
    args.out = str(out)
    args.json_path = args.html_path = None
    return _run_compare(str(task_dir / "a"), str(task_dir / "b"), args)


def _cmd_demo_medical(args: argparse.Namespace) -> int:
    """``demo --medical``: a synthetic DICOM pair whose views differ (80% vs 20% AP), compared."""
    from .medical_demo import TRUTH, write_medical_demo

    out = Path(args.out)
    set_a, set_b = write_medical_demo(out / "example_medical", seed=args.seed or 0)
    print(f"Generated two example DICOM sets in {set_a} and {set_b} (truth: {TRUTH})")
    args.out = str(out)
    args.json_path = args.html_path = None
    return _run_compare(str(set_a), str(set_b), args)


def _cmd_synth(rest: list[str]) -> int:
    from .synth import main as synth_main

    return synth_main(rest)


def _cmd_bench(rest: list[str]) -> int:
    from .bench import main as bench_main

    return bench_main(rest)


def _cmd_measurements(args: argparse.Namespace) -> int:
    from .measure import MEASUREMENTS

    # The group says when a measurement runs: "general" always, "medical" on DICOM/NIfTI
    # images or with --medical-measurements on.
    for name, cls in MEASUREMENTS.items():
        print(f"{name:28s} {cls.family:12s} {cls.group:8s} more: {cls.more} / less: {cls.less}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tellapart",
        allow_abbrev=False,  # "--alph" must be an error, not a guess at --alpha
        description="Tell, in plain language, how two image sets differ; every claim is verified on held-out images.",
    )
    parser.add_argument("--version", action="version", version=f"tellapart {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("compare", help="compare two image sets", allow_abbrev=False)
    p.add_argument("set_a", help="set A: folder, glob, list file or CSV manifest")
    p.add_argument("set_b", nargs="?", default=None, help="set B (omit with a manifest and --group-a/--group-b)")
    _add_compare_options(p)
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser("demo", help="generate two example sets with a known difference and compare them", allow_abbrev=False)
    _add_compare_options(p)
    p.add_argument("--medical", action="store_true",
                   help="a synthetic DICOM pair with a known acquisition difference instead")
    p.set_defaults(func=_cmd_demo)
    p.set_defaults(out="demo_out")

    p = sub.add_parser("measurements", help="list the per-image measurements", allow_abbrev=False)
    p.set_defaults(func=_cmd_measurements)

    add_concept_parsers(sub)  # learn, concepts

    sub.add_parser("synth", help="write synthetic difference tasks (see `tellapart synth --help`)", add_help=False)
    sub.add_parser("bench", help="benchmark proposers on a synthetic suite (see `tellapart bench --help`)", add_help=False)
    sub.add_parser("train", help="train the learned describer (see `tellapart train --help`)", add_help=False)
    return parser


def _extra_arguments_message(args: argparse.Namespace, extra: list[str]) -> str:
    """argparse's "unrecognized arguments", or the likely cause: a glob the shell expanded."""
    files = [a for a in extra if not a.startswith("-") and os.path.isfile(a)]
    if len(files) < len(extra):
        return "unrecognized arguments: " + " ".join(extra)
    sets = [getattr(args, "set_a", None), getattr(args, "set_b", None)]
    paths = [a for a in sets if isinstance(a, str) and os.path.isfile(a)] + files
    first = paths[0]
    pattern = os.path.join(os.path.dirname(first), "*" + os.path.splitext(first)[1])
    return (f"got {len(paths)} paths; quote a glob so the shell does not expand it: "
            f"'{pattern}'")


def main(argv: list[str] | None = None) -> int:
    """Run the ``tellapart`` command line; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # synth and bench own their flags: hand everything after the word over untouched.
    if argv and argv[0] == "synth":
        return _cmd_synth(argv[1:])
    if argv and argv[0] == "bench":
        return _cmd_bench(argv[1:])
    if argv and argv[0] == "train":
        from .train.cli import main as train_main

        return train_main(argv[1:])
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        parser.error(_extra_arguments_message(args, extra))
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("tellapart: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
