"""``tellapart bench``: run ``compare`` on every task of a synthetic suite and score the findings.

Each task of the suite (:func:`tellapart.synth.suite_specs`, the same tasks as
:func:`tellapart.synth.make_suite`) is rendered and written as ``TASK/a/*.png``,
``TASK/b/*.png`` and ``TASK/truth.json`` by a worker process, which then calls
:func:`tellapart.compare` on the two folders exactly as a user would (no feature cache,
``jobs=1`` inside each worker). The parent process judges every finding against the truth
(:mod:`tellapart.bench.judge`) and computes the metrics of :mod:`tellapart.bench.metrics`.

Outputs (per suite, under the out dir): ``results.jsonl`` (one task per line: id, truth
summary, findings with their match decisions, seconds), ``summary.md`` (the markdown table
and the command) and ``summary.json`` (metrics with counts).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shlex
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .judge import Judge, JudgeError, Truth
from .metrics import FindingRecord, Metrics, TaskResult, compute_metrics, markdown_table

if TYPE_CHECKING:
    from ..pipeline import Comparer

DEFAULT_OUT = "bench_out"


@dataclass
class BenchResult:
    """The outcome of benchmarking one suite.

    Attributes
    ----------
    suite : str
    proposers : list of str
        Proposers that ran (the resolved default when none was given).
    tasks : list of TaskResult
        Judged per-task results, in suite order.
    metrics : Metrics
    settings : dict
        n_tasks, n_per_side, size, jobs and the compare options used.
    out_dir : Path or None
        Where results.jsonl / summary.md / summary.json were written (None: not written).
    """

    suite: str
    proposers: list[str]
    tasks: list[TaskResult]
    metrics: Metrics
    settings: dict[str, Any] = field(default_factory=dict)
    out_dir: Path | None = None

    def markdown(self) -> str:
        """This suite's one-row markdown table."""
        return markdown_table([(self.suite, self.proposers, self.metrics)])


# -- one task (runs in a worker process) ---------------------------------------------------------


def _truth_summary(truth: dict[str, Any]) -> dict[str, Any]:
    keys = ("type_id", "family", "target", "s", "s_other", "prevalence", "graded", "sentence")
    return {
        "differences": [{k: d[k] for k in keys if k in d} for d in truth.get("differences", [])],
        "distractors": [{k: d[k] for k in keys if k in d} for d in truth.get("distractors", [])],
        "null": bool(truth.get("null", not truth.get("differences"))),
        "base": truth.get("base"),
    }


def one_thread_per_worker() -> None:
    """Workers already use every core between them; a torch or BLAS pool each would oversubscribe."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = "1"
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


def run_task(
    spec: Any, task_root: str, options: dict[str, Any], comparer: Comparer | None = None
) -> dict[str, Any]:
    """Render + write one task (unless already written), then ``compare`` its two folders.

    ``comparer``, when given, compares instead of ``compare(**options)`` (``options`` are
    then unused): e.g. a :class:`~tellapart.Comparer` with another verifier.
    """
    from ..pipeline import compare
    from ..synth import write_task

    task_dir = Path(task_root) / spec.task_id
    out: dict[str, Any] = {"task_id": spec.task_id, "error": None, "findings": [], "seconds": 0.0}
    try:
        t = time.perf_counter()
        truth_path = task_dir / "truth.json"
        if truth_path.is_file():  # written by an earlier run: reuse it if the spec is the same
            truth = json.loads(truth_path.read_text(encoding="utf-8"))
            _check_same_task(truth, spec, task_dir)
        else:
            task = spec.render()
            write_task(task, task_dir, contact_sheet=False)
            truth = task.truth
        out["truth"] = truth
        out["generate_seconds"] = time.perf_counter() - t
        t = time.perf_counter()
        if comparer is not None:
            report = comparer.compare(str(task_dir / "a"), str(task_dir / "b"))
        else:
            report = compare(str(task_dir / "a"), str(task_dir / "b"), **options)
        out["seconds"] = time.perf_counter() - t
        out["findings"] = [
            {
                "rank": f.rank, "description": f.description, "concept": f.concept,
                "more_in": f.more_in, "significant": bool(f.significant), "proposer": f.proposer,
                "q_value": float(f.q_value), "auroc": float(f.auroc),
            }
            for f in report.findings
        ]
    except Exception as exc:  # recorded per task and counted in the table; never hidden
        out["error"] = f"{type(exc).__name__}: {exc}"
        out["traceback"] = traceback.format_exc(limit=6)
    return out


# -- judging ------------------------------------------------------------------------------------------


def judge_task(raw: dict[str, Any], suite: str, judge: Judge) -> TaskResult:
    """Turn one worker result into a judged :class:`TaskResult`."""
    truth = raw.get("truth") or {}
    summary = _truth_summary(truth)
    true_diffs = [Truth.from_dict(d) for d in truth.get("differences", [])]
    distractors = truth.get("distractors", [])
    # A distractor is present in both sets: a finding about it is false whichever set it names.
    distractor_truths = [
        (str(d["type_id"]), Truth.from_dict(d, target=side)) for d in distractors for side in ("A", "B")
    ]
    records = []
    for f in raw.get("findings", []):
        rec = FindingRecord(
            rank=int(f["rank"]), description=f["description"], concept=f["concept"],
            more_in=f["more_in"], significant=bool(f["significant"]), proposer=f.get("proposer", ""),
            q_value=float(f.get("q_value", float("nan"))), auroc=float(f.get("auroc", float("nan"))),
        )
        for t in true_diffs:
            d = judge.judge(rec.description, rec.more_in, t, rec.concept)
            rec.methods[t.type_id] = f"{d.method}: {d.reason}"
            if d.match:
                rec.matches.append(t.type_id)
        for type_id, t in distractor_truths:
            if type_id not in rec.distractor_matches and judge.judge(
                rec.description, rec.more_in, t, rec.concept
            ).match:
                rec.distractor_matches.append(type_id)
        records.append(rec)
    return TaskResult(
        task_id=str(raw["task_id"]),
        suite=suite,
        null=not true_diffs,
        truth=summary["differences"],
        distractors=[str(d["type_id"]) for d in distractors],
        findings=records,
        seconds=float(raw.get("seconds", 0.0)),
        error=raw.get("error"),
    )


# -- the benchmark --------------------------------------------------------------------------------------


def _default_proposers() -> list[str]:
    from ..config import Settings

    return list(Settings().proposers)


def _check_proposers(proposers: list[str]) -> None:
    from ..propose import list_proposers

    known = list_proposers()
    unknown = [p for p in proposers if p not in known]
    if unknown:
        raise ValueError(f"unknown proposer(s) {', '.join(unknown)}; known: {', '.join(known)}")


def run_benchmark(
    suite: str,
    *,
    proposers: list[str] | None = None,
    n_tasks: int | None = None,
    n_per_side: int = 50,
    size: int = 128,
    jobs: int = 2,
    seed_offset: int = 0,
    out_dir: str | None = None,
    compare_options: dict[str, Any] | None = None,
    tasks_dir: str | None = None,
    judge: Judge | None = None,
    progress: Callable[[str], None] | None = None,
) -> BenchResult:
    """Run ``compare`` on the tasks of a synthetic suite and score the findings.

    Parameters
    ----------
    suite : str
        "easy", "medium", "hard", "null", "heldout", "medical" or "medical-null" (see
        :data:`tellapart.synth.SUITES`). The medical suites compare with the medical
        measurements on (``medical_measurements="on"``: their images are PNG stand-ins).
    proposers : list of str, optional
        Proposers for ``compare`` (default: the settings' default, ``["learned", "measurements"]``).
    n_tasks : int, optional
        The first ``n_tasks`` tasks of the suite (default: all).
    n_per_side, size : int
        Images per set and image side of the generated tasks.
    jobs : int
        Worker processes, each running one task at a time with ``compare(..., jobs=1)``.
        1 runs everything in this process.
    seed_offset : int
        0 (default): the suite's own tasks, the ones reported. Another value draws development
        tasks from the same recipes at other seeds, on which rules and thresholds are chosen.
    out_dir : str, optional
        Write results.jsonl, summary.md and summary.json here; tasks go to
        ``out_dir/tasks`` (and are reused by later runs). None: nothing is written
        and tasks go to a temporary folder.
    compare_options : dict, optional
        Extra keyword arguments of :func:`tellapart.compare` (alpha, seed, shortlist...);
        they override the bench defaults ``progress=False, cache="", jobs=1, library=""``
        (no concept library unless one is named).
    tasks_dir : str, optional
        Where to write (or find) the task folders, overriding the choice above.
    judge : Judge, optional
        The finding judge (default: :class:`~tellapart.bench.judge.Judge` with embeddings).
    progress : callable, optional
        Called with one line of text per finished task.

    Returns
    -------
    BenchResult
    """
    from ..synth import SUITES, suite_specs

    if suite not in SUITES:
        raise ValueError(f"unknown suite {suite!r}; known: {', '.join(SUITES)}")
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    proposers = list(proposers) if proposers else _default_proposers()
    _check_proposers(proposers)
    # library "": a benchmark never depends on the concepts a user happened to learn
    options: dict[str, Any] = {"progress": False, "cache": "", "jobs": 1, "proposers": proposers,
                               "library": ""}
    if SUITES[suite].domain == "medical":  # PNG stand-ins for medical images
        options["medical_measurements"] = "on"
    options.update(compare_options or {})
    specs = list(suite_specs(suite, n_tasks=n_tasks, n_per_side=n_per_side, size=size,
                             seed_offset=seed_offset))
    if not specs:
        raise ValueError(f"suite {suite!r} with n_tasks={n_tasks} has no tasks")
    judge = judge or Judge()

    out_path = Path(out_dir) if out_dir is not None else None
    with _task_folder(suite, out_path, tasks_dir) as task_root:
        raws = _run_all(specs, str(task_root), options, jobs, progress)
    tasks = _judge_all(raws, suite, judge, progress)
    metrics = compute_metrics(tasks)
    settings = {
        "n_tasks": len(specs), "n_per_side": n_per_side, "size": size, "jobs": jobs,
        "seed_offset": seed_offset,
        "compare_options": {k: v for k, v in options.items() if k != "proposers"},
    }
    result = BenchResult(suite, proposers, tasks, metrics, settings, out_path)
    if out_path is not None:
        write_results(result, out_path)
    return result


@contextmanager
def _task_folder(suite: str, out_path: Path | None, tasks_dir: str | None) -> Iterator[Path]:
    """Where the task folders go: ``tasks_dir``, else ``out_path/tasks`` (both kept, so later
    runs reuse them), else a temporary folder removed when the block ends."""
    tmp: tempfile.TemporaryDirectory[str] | None = None
    if tasks_dir is not None:
        task_root = Path(tasks_dir)
    elif out_path is not None:
        task_root = out_path / "tasks"
    else:
        tmp = tempfile.TemporaryDirectory(prefix=f"tellapart-bench-{suite}-")
        task_root = Path(tmp.name)
    task_root.mkdir(parents=True, exist_ok=True)
    try:
        yield task_root
    finally:
        if tmp is not None:
            tmp.cleanup()


def _judge_all(
    raws: list[dict[str, Any]], suite: str, judge: Judge, progress: Callable[[str], None] | None
) -> list[TaskResult]:
    """Judge every task's findings (in task order), reporting one line per task."""
    tasks = [judge_task(raw, suite, judge) for raw in raws]
    if progress is not None:
        for task in tasks:
            progress(_task_line(task))
    return tasks


def _check_same_task(truth: dict[str, Any], spec: Any, task_dir: Path) -> None:
    """Raise ValueError when the task folder ``task_dir`` holds another task than ``spec`` (a
    :class:`~tellapart.synth.TaskSpec`) drew: another seed offset, size, images per set or suite
    version. Its images would otherwise be compared under this task's truth."""
    wanted = {"seed": spec.seed, "size": spec.size, "n_per_side": spec.n_per_side,
              "suite_version": spec.suite_version}
    stored = {key: truth.get(key) for key in wanted}
    if stored != wanted:
        raise ValueError(f"{task_dir} holds another task ({stored}, this one is {wanted}); "
                         "give another --out or remove that folder")


def _run_all(
    specs: list[Any], task_root: str, options: dict[str, Any], jobs: int,
    progress: Callable[[str], None] | None,
) -> list[dict[str, Any]]:
    by_id: dict[str, dict[str, Any]] = {}

    def done(raw: dict[str, Any]) -> None:
        by_id[raw["task_id"]] = raw
        if progress is not None:
            status = f"error: {raw['error']}" if raw["error"] else f"{raw['seconds']:.1f}s"
            n_sig = sum(f["significant"] for f in raw["findings"])
            progress(f"[{len(by_id)}/{len(specs)}] {raw['task_id']}: {status}, {n_sig} significant")

    if jobs == 1:
        for spec in specs:
            done(run_task(spec, task_root, options))
    else:
        # fork is fast and works from any script; but once torch (the judge's sentence model)
        # is loaded its thread pools must not be inherited, so then spawn fresh workers.
        method = "spawn" if "torch" in sys.modules or sys.platform != "linux" else "fork"
        ctx = multiprocessing.get_context(method)
        with ProcessPoolExecutor(max_workers=min(jobs, len(specs)), mp_context=ctx,
                                 initializer=one_thread_per_worker) as pool:
            futures = [pool.submit(run_task, spec, task_root, options) for spec in specs]
            for fut in as_completed(futures):
                done(fut.result())
    return [by_id[spec.task_id] for spec in specs]


def _task_line(task: TaskResult) -> str:
    truth = ", ".join(f"{d['type_id']}({d['target']})" for d in task.truth) or "null"
    sig = task.significant
    top = f"{sig[0].description} [{'match' if sig[0].correct else 'no match'}]" if sig else "no significant finding"
    return f"{task.task_id}: truth {truth}; top: {top}"


def write_results(result: BenchResult, out_dir: Path, command: str | None = None) -> None:
    """Write results.jsonl, summary.md and summary.json of one suite into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / "results.jsonl", "w", encoding="utf-8") as fh:
        for task in result.tasks:
            fh.write(json.dumps(task.to_json()) + "\n")
    summary = {
        "suite": result.suite,
        "proposers": result.proposers,
        "settings": result.settings,
        "metrics": result.metrics.to_json(),
        "command": command,
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    text = result.markdown() + "\n"
    if command:
        text += f"\nCommand: `{command}`\n"
    (out_dir / "summary.md").write_text(text, encoding="utf-8")


def rejudge(out_dir: str | Path, judge: Judge | None = None) -> BenchResult:
    """Judge the stored findings of an earlier run again (e.g. after the judge changed).

    Reads ``out_dir/results.jsonl``, ``out_dir/summary.json`` and each task's
    ``out_dir/tasks/<task_id>/truth.json``; nothing is compared again. The files are
    rewritten with the new decisions.
    """
    out_path = Path(out_dir)
    try:
        summary = json.loads((out_path / "summary.json").read_text(encoding="utf-8"))
        lines = (out_path / "results.jsonl").read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise ValueError(f"{out_path} holds no benchmark results ({exc.filename} missing)") from None
    judge = judge or Judge()
    tasks = []
    for line in lines:
        old = json.loads(line)
        truth_path = out_path / "tasks" / old["task_id"] / "truth.json"
        if not truth_path.is_file():
            raise ValueError(f"cannot rejudge {old['task_id']}: {truth_path} is missing")
        raw = {**old, "truth": json.loads(truth_path.read_text(encoding="utf-8"))}
        tasks.append(judge_task(raw, old["suite"], judge))
    result = BenchResult(summary["suite"], list(summary["proposers"]), tasks, compute_metrics(tasks),
                         dict(summary.get("settings", {})), out_path)
    write_results(result, out_path, summary.get("command"))
    return result


# -- command line -----------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    from .visdiff import build_parser as visdiff_parser

    p = argparse.ArgumentParser(
        prog="tellapart bench",
        description="Run `tellapart compare` on every task of synthetic suites and score the findings\n"
        "against the truth (Acc@1, Acc@5, recall@5, precision, null rate, seconds per task).",
        # the epilog is a usage synopsis: kept as written so no option is split at a hyphen
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="VisDiffBench pairs instead (docs/backends.md):\n  "
        + visdiff_parser().format_usage().replace("usage: ", "", 1),
    )
    p.add_argument("--suite", nargs="+", default=None, metavar="NAME",
                   help="suite(s): easy, medium, hard, null, heldout, medical, medical-null "
                   "(or 'all': the five that are not medical)")
    p.add_argument("--rejudge", nargs="+", default=None, metavar="DIR",
                   help="judge the stored findings of earlier runs' out dirs again (runs nothing)")
    p.add_argument("--proposers", nargs="+", default=None, help="proposers (default: learned measurements)")
    p.add_argument("--jobs", type=int, default=2, help="parallel worker processes (default 2)")
    p.add_argument("--n-tasks", type=int, default=None, help="first N tasks of each suite (default: all)")
    p.add_argument("--n-per-side", type=int, default=50, help="images per set (default 50)")
    p.add_argument("--size", type=int, default=128, help="image side in pixels (default 128)")
    p.add_argument("--seed-offset", type=int, default=0,
                   help="draw development tasks from the suites' recipes at these seeds plus OFFSET "
                   "(default 0: the suites' own, reported tasks)")
    p.add_argument("--out", default=None,
                   help=f"output folder: results and the task folders (default: results in {DEFAULT_OUT}/, "
                   "tasks in a temporary folder)")
    p.add_argument("--alpha", type=float, default=None, help="compare's false discovery rate level")
    p.add_argument("--seed", type=int, default=None, help="compare's split seed")
    p.add_argument("--shortlist", type=int, default=None, help="compare's hypotheses per proposer and fold")
    p.add_argument("--library", default=None, metavar="DIR",
                   help="a concept library to load in every comparison (default: none)")
    p.add_argument("--no-embeddings", action="store_true",
                   help="judge with the measurement table and word patterns only (no sentence model)")
    p.add_argument("--quiet", action="store_true", help="no per-task lines on stderr")
    p.add_argument("--visdiff", default=None, metavar="FILE",
                   help="run VisDiffBench pairs (.jsonl, or a VisDiff .csv) instead of a synthetic "
                        "suite; see `tellapart bench --visdiff FILE --help`")
    return p


def main(argv: list[str] | None = None) -> int:
    """``tellapart bench``: returns 0 when every task ran, 1 when some failed, 2 on bad usage."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if any(a == "--visdiff" or a.startswith("--visdiff=") for a in argv):
        from .visdiff import main as visdiff_main  # VisDiff's format has flags of its own

        return visdiff_main(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.rejudge:
        return _main_rejudge(args.rejudge, Judge(use_embeddings=not args.no_embeddings))
    if not args.suite:
        parser.print_usage(sys.stderr)
        print("tellapart bench: error: give --suite NAME (or --rejudge DIR)", file=sys.stderr)
        return 2
    from ..synth import SUITES

    suites = ([name for name, info in SUITES.items() if info.domain == "general"]
              if args.suite == ["all"] else args.suite)
    unknown = [s for s in suites if s not in SUITES]
    if unknown:
        print(f"tellapart bench: error: unknown suite(s) {', '.join(unknown)}; known: {', '.join(SUITES)}",
              file=sys.stderr)
        return 2
    if args.jobs < 1 or (args.n_tasks is not None and args.n_tasks < 1):
        print("tellapart bench: error: --jobs and --n-tasks must be >= 1", file=sys.stderr)
        return 2
    compare_options = {k: v for k, v in (("alpha", args.alpha), ("seed", args.seed),
                                         ("shortlist", args.shortlist),
                                         ("library", args.library)) if v is not None}
    command = "tellapart bench " + " ".join(shlex.quote(a) for a in argv)
    root = Path(args.out or DEFAULT_OUT)
    judge = Judge(use_embeddings=not args.no_embeddings)
    log: Callable[[str], None] | None = None if args.quiet else (lambda line: print(line, file=sys.stderr))
    results: list[BenchResult] = []
    for suite in suites:
        out_dir = root / suite if len(suites) > 1 or args.out is None else root
        tmp: tempfile.TemporaryDirectory[str] | None = None
        tasks_dir = None
        if args.out is None:
            tmp = tempfile.TemporaryDirectory(prefix=f"tellapart-bench-{suite}-")
            tasks_dir = tmp.name
        try:
            result = run_benchmark(
                suite, proposers=args.proposers, n_tasks=args.n_tasks, n_per_side=args.n_per_side,
                size=args.size, jobs=args.jobs, seed_offset=args.seed_offset, out_dir=None,
                compare_options=compare_options,
                tasks_dir=tasks_dir if tasks_dir is not None else str(out_dir / "tasks"),
                judge=judge, progress=log,
            )
        except (ValueError, JudgeError) as exc:
            print(f"tellapart bench: error: {exc}", file=sys.stderr)
            return 2
        finally:
            if tmp is not None:
                tmp.cleanup()
        result.out_dir = out_dir
        write_results(result, out_dir, command)
        results.append(result)
    table = markdown_table([(r.suite, r.proposers, r.metrics) for r in results])
    settings = results[0].settings
    footer = (f"\nn_per_side={settings['n_per_side']}, size={settings['size']}, jobs={settings['jobs']}; "
              f"command: `{command}`")
    print(table + "\n" + footer)
    if len(results) > 1:
        (root / "summary.md").write_text(table + "\n" + footer + "\n", encoding="utf-8")
    n_failed = sum(r.metrics.n_errors for r in results)
    if n_failed:
        print(f"tellapart bench: {n_failed} task(s) failed; see the 'error' field in results.jsonl",
              file=sys.stderr)
        return 1
    return 0


def _main_rejudge(dirs: list[str], judge: Judge) -> int:
    results = []
    for d in dirs:
        try:
            results.append(rejudge(d, judge))
        except (ValueError, JudgeError) as exc:
            print(f"tellapart bench: error: {exc}", file=sys.stderr)
            return 2
    print(markdown_table([(r.suite, r.proposers, r.metrics) for r in results]))
    return 0
