"""How fast the learned describer and a cold ``tellapart compare`` are: measured experiments.

Each sub-command prints a markdown table::

    .venv/bin/python benchmarks/describer_speed.py scale [--sizes 100 300 1000 3000 10000] [--repeats 3] [--plot PATH]
    .venv/bin/python benchmarks/describer_speed.py cold  [--n 1000] [--size 128] [--proposers learned measurements] [--whole-only]

Every sub-command takes ``--model FOLDER`` (a saved describer, e.g. ``tellapart train --out
DIR`` gives ``DIR/final``; default: ``$TELLAPART_DESCRIBER`` or the weights shipped in the
package), ``--threads N`` (torch threads, and OMP/MKL threads of the ``cold`` subprocess; 0 =
the library default) and ``--seed``. ``cold`` runs the ``tellapart compare`` CLI in a
subprocess and passes the folder to it through the ``TELLAPART_DESCRIBER`` environment
variable.

``scale``: the set comparator on random embeddings, n images per side: seconds of
``compare`` alone and of ``describe`` (comparator + beam search), best of ``--repeats``, a
linear fit of comparator seconds vs n (R^2), and encoder throughput on 256 random images.

``cold``: one synthetic task of 2 x N PNG images, compared by ``python -m tellapart compare``
with ``--no-cache`` (no feature cache read or written) and a JSON report: wall seconds and the
top findings.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from describer_common import load_model, model_name, run_script, set_threads

if TYPE_CHECKING:
    from tellapart.models.describer import Describer

# (images per side, comparator seconds, describe seconds)
ScaleRow = tuple[int, float, float]


# -- scale -----------------------------------------------------------------------------------------


def best_of(repeats: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(max(1, repeats)):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def time_comparator(model: Describer, n: int, rng: np.random.Generator, repeats: int) -> ScaleRow:
    """Best-of seconds of the comparator and of ``describe`` on n random embeddings per side."""
    import torch

    dim = model.config.embed_dim
    ea = rng.standard_normal((n, dim)).astype(np.float32)
    eb = rng.standard_normal((n, dim)).astype(np.float32)
    ta, tb = torch.from_numpy(ea)[None], torch.from_numpy(eb)[None]

    def run_compare() -> None:
        with torch.no_grad():
            model.compare(ta, tb)

    def run_describe() -> None:
        model.describe(ea, eb, n=8)

    run_compare()  # warm-up (allocations of this size)
    return n, best_of(repeats, run_compare), best_of(repeats, run_describe)


def linear_fit(rows: list[ScaleRow]) -> tuple[float, float, float]:
    """(slope, intercept, R^2) of comparator seconds vs n."""
    ns = np.array([r[0] for r in rows], dtype=np.float64)
    cs = np.array([r[1] for r in rows], dtype=np.float64)
    slope, intercept = (np.polyfit(ns, cs, 1) if len(rows) >= 2 else (float("nan"), float("nan")))
    pred = slope * ns + intercept
    ss_res = float(np.sum((cs - pred) ** 2))
    ss_tot = float(np.sum((cs - cs.mean()) ** 2))
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan")
    return float(slope), float(intercept), r2


def save_plot(path: str, rows: list[ScaleRow], fit: tuple[float, float, float], repeats: int,
              threads: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    slope, intercept, r2 = fit
    ns = np.array([r[0] for r in rows], dtype=np.float64)
    fig, ax = plt.subplots(figsize=(5.5, 4.0), dpi=120)
    ax.loglog(ns, [r[1] for r in rows], "o", label="comparator (measured)")
    ax.loglog(ns, [r[2] for r in rows], "s", label="describe, n=8 (measured)")
    grid = np.geomspace(ns.min(), ns.max(), 100)
    line = slope * grid + intercept
    ok = line > 0
    ax.loglog(grid[ok], line[ok], "-",
              label=f"linear fit: {slope * 1000:.3g} s/1000 per side + {intercept:.3g} s "
                    f"(R$^2$={r2:.3f})")
    ax.set_xlabel("images per side")
    ax.set_ylabel(f"seconds (best of {repeats})")
    ax.set_title(f"Set comparator cost, {threads} CPU thread(s)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    print(f"wrote {path}", file=sys.stderr)


def cmd_scale(args: argparse.Namespace) -> None:
    """The set comparator's cost vs set size, on random embeddings, and encoder throughput."""
    import torch

    set_threads(args.threads)
    model = load_model(args.model)
    dim = model.config.embed_dim
    rng = np.random.default_rng(args.seed)

    images = rng.integers(0, 256, size=(256, 128, 128, 3), dtype=np.uint8)
    model.embed(images[:16])  # warm-up
    enc_rate = len(images) / best_of(args.repeats, lambda: model.embed(images))

    rows: list[ScaleRow] = []
    for n in args.sizes:
        rows.append(time_comparator(model, n, rng, args.repeats))
        print(f"n={n}: compare {rows[-1][1]:.4f} s, describe {rows[-1][2]:.4f} s", file=sys.stderr)
    slope, intercept, r2 = fit = linear_fit(rows)

    threads = torch.get_num_threads()
    print(f"| images per side n (random {dim}-d embeddings, {threads} torch thread(s), best of "
          f"{args.repeats}) | comparator s | comparator s per 1000 images (2n in all) "
          "| describe(n=8) s (comparator + beam search) |")
    print("|---|---|---|---|")
    for n, cmp_s, desc_s in rows:
        print(f"| {n} | {cmp_s:.4f} | {cmp_s / (2 * n) * 1000:.4f} | {desc_s:.3f} |")
    print()
    print(f"linear fit of comparator seconds vs n: {slope * 1000:.4f} s per 1000 images per side "
          f"({slope * 500:.4f} s per 1000 images in all) + {intercept:.4f} s; R^2 = {r2:.4f}.")
    print(f"encoder: {enc_rate:.0f} images/s (256 random 128x128 uint8 images, best of "
          f"{args.repeats}; {1000 / enc_rate:.2f} s per 1000 images). Model: {model_name(args.model)}.")
    if args.plot:
        save_plot(args.plot, rows, fit, args.repeats, threads)


# -- cold ------------------------------------------------------------------------------------------


def describer_env(args: argparse.Namespace, uses_model: bool) -> tuple[dict[str, str], Path]:
    """The subprocess environment (describer folder, thread counts) and the folder it loads."""
    from tellapart.models.shipped import ENV_VAR, META_FILE, WEIGHTS_FILE, describer_dir

    env = dict(os.environ)
    if args.model:
        env[ENV_VAR] = str(Path(args.model).resolve())  # the CLI's learned parts load this folder
    folder = Path(env[ENV_VAR]).expanduser() if env.get(ENV_VAR, "").strip() else describer_dir()
    if uses_model and not ((folder / META_FILE).is_file() and (folder / WEIGHTS_FILE).is_file()):
        raise SystemExit(f"the learned proposer needs describer weights in {folder}; none are "
                         "there (pass --model FOLDER, or use --proposers measurements)")
    if args.threads > 0:
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            env[var] = str(args.threads)
    return env, folder


def run_cold(args: argparse.Namespace, proposers: list[str],
             env: dict[str, str]) -> tuple[dict[str, Any], float, float, list[str]]:
    """(the JSON report, wall seconds, generation seconds, the task's true sentences)."""
    from tellapart.synth import DiffSpec, make_task, write_task

    with tempfile.TemporaryDirectory(prefix="tellapart_cold_") as tmp:
        root = Path(tmp)
        t = time.perf_counter()
        task = make_task([DiffSpec(args.difference, s=args.s)], n_per_side=args.n, size=args.size,
                         base=args.base, seed=args.seed, task_id="cold")
        task_dir = write_task(task, root / "task", contact_sheet=False)
        gen_s = time.perf_counter() - t
        report_path = root / "report.json"
        cmd = [sys.executable, "-m", "tellapart", "compare", str(task_dir / "a"), str(task_dir / "b"),
               "--proposers", *proposers, "--no-cache", "--json", str(report_path), "--quiet",
               "--jobs", str(args.jobs), *(["--whole-images-only"] if args.whole_only else [])]
        print("$ " + " ".join(cmd), file=sys.stderr)
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, env=env, check=False)
        wall_s = time.perf_counter() - t
        if proc.returncode != 0:
            raise SystemExit(f"compare failed ({proc.returncode}): "
                             f"{(proc.stderr or proc.stdout).decode()[-2000:]}")
        report: dict[str, Any] = json.loads(report_path.read_text(encoding="utf-8"))
    return report, wall_s, gen_s, list(task.sentences)


def print_findings(report: dict[str, Any], top_n: int) -> None:
    top = report["findings"][:top_n]
    print("| rank | finding | concept | more in | AUROC | q | significant | proposer |")
    print("|---|---|---|---|---|---|---|---|")
    for f in top:
        print(f"| {f['rank']} | {f['description']} | {f['concept']} | {f['more_in']} "
              f"| {f['auroc']:.3f} | {f['q_value']:.2g} | {'yes' if f['significant'] else 'no'} "
              f"| {f['proposer']} |")
    if not top:
        print("| - | (no findings) | | | | | | |")


def cmd_cold(args: argparse.Namespace) -> None:
    """A cold ``tellapart compare`` (new process, no feature cache) on one synthetic task."""
    from tellapart.edits.differences import DIFFERENCES

    proposers: list[str] = [p for item in args.proposers for p in re.split(r"[,\s]+", item) if p]
    uses_model = "learned" in proposers
    env, folder = describer_env(args, uses_model)
    if args.difference not in DIFFERENCES:
        raise SystemExit(f"unknown difference {args.difference!r}; known: {', '.join(DIFFERENCES.list())}")
    report, wall_s, gen_s, sentences = run_cold(args, proposers, env)

    n_imgs = report["set_a"]["n_images"] + report["set_b"]["n_images"]
    timing = report.get("timing_s", {})
    print(f"| `tellapart compare`, cold (--no-cache, new process), {report['set_a']['n_images']} + "
          f"{report['set_b']['n_images']} PNG {args.size}x{args.size}, one difference "
          f"({args.difference}, s={args.s}), proposers {' '.join(proposers)}, --jobs {args.jobs}"
          + (" --whole-images-only" if args.whole_only else "") + " | wall s | images/s | generation s |")
    print("|---|---|---|---|")
    print(f"| | {wall_s:.1f} | {n_imgs / wall_s:.0f} | {gen_s:.1f} |")
    if timing:
        print()
        print("stage seconds from the report: " + ", ".join(f"{k} {v:.2f}" for k, v in timing.items()))
    print()
    print_findings(report, args.top)
    n_sig = sum(1 for f in report["findings"] if f["significant"])
    true_key = f"diff:{args.difference}"
    hit = next((f for f in report["findings"]
                if f["concept"] == true_key or f["concept"].startswith(true_key + ":")), None)
    print()
    if uses_model:
        print(f"the injected difference as a learned concept ({true_key}): "
              + (f"rank {hit['rank']}, AUROC {hit['auroc']:.3f}, "
                 f"{'significant' if hit['significant'] else 'not significant'}"
                 if hit else "not among the findings"))
    print(f"{n_sig} significant of {len(report['findings'])} findings; truth: "
          f"{'; '.join(sentences)}."
          + (f" Describer: {folder}." if uses_model else ""))


def add_scale_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000, 3000, 10000])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--plot", default=None,
                   help="save a log-log plot here (e.g. benchmarks/comparator_scaling.png)")


def add_cold_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--n", type=int, default=1000, help="images per side")
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--base", default="mixed")
    p.add_argument("--difference", default="tiny_rectangles")
    p.add_argument("--s", type=float, default=0.8)
    p.add_argument("--proposers", nargs="+", default=["learned", "measurements"])
    p.add_argument("--jobs", type=int, default=2, help="`tellapart compare --jobs`")
    p.add_argument("--top", type=int, default=5, help="findings listed")
    p.add_argument("--whole-only", action="store_true",
                   help="run `compare --whole-images-only` (no quarter or corner views of large images)")


def main(argv: Sequence[str] | None = None) -> int:
    return run_script(__doc__, {"scale": (cmd_scale, add_scale_options),
                                "cold": (cmd_cold, add_cold_options)}, argv)


if __name__ == "__main__":
    sys.exit(main())
