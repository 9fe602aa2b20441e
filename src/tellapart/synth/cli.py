"""``tellapart synth``: write a suite or a single synthetic task to disk.

Examples::

    tellapart synth --suite hard --out suites/hard --n-tasks 20
    tellapart synth --difference darker --s 0.8 --prevalence 0.5 --out one_task
    tellapart synth --list
"""

from __future__ import annotations

import argparse
import html
import json
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from ..edits.differences import DIFFERENCES, create_difference
from .suites import SUITES, TaskSpec, suite_specs
from .tasks import DiffSpec, Task, caption_lines, make_task, write_task


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tellapart synth",
        description="Write synthetic image-set pairs with known differences (and their truth).",
    )
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--suite", choices=sorted(SUITES), help="write a whole benchmark suite")
    what.add_argument(
        "--difference",
        metavar="ID",
        action="append",
        help="write one task with this difference (repeat for several)",
    )
    what.add_argument("--null", action="store_true", help="write one task with no difference")
    what.add_argument("--list", action="store_true", help="list difference types and exit")
    what.add_argument(
        "--throughput",
        action="store_true",
        help="measure images/s (base + one difference; streamed tasks) and exit",
    )
    p.add_argument("--out", type=Path, help="output folder")
    p.add_argument("--n-tasks", type=int, default=None, help="suite: first N tasks only")
    p.add_argument("--n-per-side", type=int, default=50, help="images per set (default 50)")
    p.add_argument("--size", type=int, default=128, help="image side in pixels (default 128)")
    p.add_argument(
        "--base",
        default=None,
        help="base images: a folder of images, or a kind (shapes, textures, smooth, "
        "deadleaves, mosaic, photos, faces, mixed; medical: chest, brain, fundus, dermoscopy, "
        "microscopy, medical); default mixed",
    )
    p.add_argument("--s", type=float, default=1.0, help="single task: strength in [0, 1]")
    p.add_argument(
        "--prevalence",
        type=float,
        default=1.0,
        help="single task: fraction of the target set changed",
    )
    p.add_argument("--target", choices=["A", "B"], default="A", help="single task: which set")
    p.add_argument(
        "--graded", action="store_true", help="single task: change both sets, the target more"
    )
    p.add_argument(
        "--distractor",
        metavar="ID",
        action="append",
        default=[],
        help="single task: a change applied to both sets (repeatable)",
    )
    p.add_argument("--seed", type=int, default=0, help="single task: seed")
    p.add_argument("--no-contact-sheet", action="store_true", help="skip contact_sheet.png")
    return p


def _base_arg(value: str | None) -> str | None:
    if value is None:
        return None
    if value.startswith("dir:") or Path(value).is_dir():
        return value if value.startswith("dir:") else f"dir:{value}"
    return value


def _write_index(out: Path, rows: list[tuple[str, list[str]]], title: str) -> None:
    """A static index.html showing every task's contact sheet and truth."""
    parts = [
        f"<!doctype html><meta charset='utf-8'><title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;margin:1em}section{margin-bottom:2em}"
        "pre{white-space:pre-wrap}</style>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    for task_id, lines in rows:
        tid = html.escape(task_id)
        parts.append(
            f"<section id='{tid}'><h2><a href='{tid}/truth.json'>{tid}</a></h2>"
            f"<pre>{html.escape(chr(10).join(lines))}</pre>"
        )
        if (out / task_id / "contact_sheet.png").is_file():
            parts.append(f"<img src='{tid}/contact_sheet.png' alt='{tid} contact sheet'>")
        parts.append("</section>")
    (out / "index.html").write_text("\n".join(parts) + "\n", encoding="utf-8")


def write_tasks(
    tasks: Iterable[Task],
    out: Path,
    *,
    title: str,
    contact_sheet: bool = True,
    manifest: dict | None = None,
) -> int:
    """Write tasks under ``out/TASK_ID/`` plus ``index.html`` and ``suite.json``."""
    out.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, list[str]]] = []
    ids: list[str] = []
    for task in tasks:
        write_task(task, out / task.task_id, contact_sheet=contact_sheet)
        rows.append((task.task_id, caption_lines(task.truth)))
        ids.append(task.task_id)
    _write_index(out, rows, title)
    info = dict(manifest or {})
    info["tasks"] = ids
    (out / "suite.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return len(ids)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``tellapart synth``; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.list:
        for tid in DIFFERENCES.list():
            d = create_difference(tid)
            print(f"{tid:18s} {d.family:12s} {d.sentence}")
        return 0
    if args.throughput:
        from .perf import images_per_second, parallel_stream_images_per_second

        print(json.dumps(images_per_second(args.size, n=1000, base=args.base or "mixed")))
        print(json.dumps(parallel_stream_images_per_second(2, args.size)))
        return 0
    if args.out is None:
        parser.error("--out is required")
    base = _base_arg(args.base)
    t0 = time.perf_counter()
    try:
        if args.suite:
            info = SUITES[args.suite]

            def rendered() -> Iterable[Task]:
                for spec in suite_specs(
                    args.suite, n_tasks=args.n_tasks, n_per_side=args.n_per_side, size=args.size
                ):
                    yield _with_base(spec, base).render()

            n = write_tasks(
                rendered(),
                args.out,
                title=f"tellapart synth suite {args.suite} v{info.version}",
                contact_sheet=not args.no_contact_sheet,
                manifest={
                    "suite": args.suite,
                    "suite_version": info.version,
                    "description": info.description,
                    "n_per_side": args.n_per_side,
                    "size": args.size,
                    "base_override": base,
                },
            )
        else:
            diffs = [
                DiffSpec(
                    t, s=args.s, prevalence=args.prevalence, target=args.target, graded=args.graded
                )
                for t in (args.difference or [])
            ]
            dists = [DiffSpec(t, s=args.s, prevalence=args.prevalence) for t in args.distractor]
            task = make_task(
                diffs,
                n_per_side=args.n_per_side,
                size=args.size,
                base=base or "mixed",
                seed=args.seed,
                distractors=dists,
            )
            write_task(task, args.out, contact_sheet=not args.no_contact_sheet)
            n = 1
    except (ValueError, FileNotFoundError) as exc:
        print(f"tellapart synth: error: {exc}", file=sys.stderr)
        return 2
    dt = time.perf_counter() - t0
    print(f"wrote {n} task(s) to {args.out} in {dt:.1f} s")
    return 0


def _with_base(spec: TaskSpec, base: str | None) -> TaskSpec:
    if base is None:
        return spec
    spec.base = base
    if not base.startswith("dir:"):
        spec.split = "all" if spec.split == "train" else spec.split
    return spec


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
