"""The ray engine against the local engine: identical reports, and the engine's overhead.

Usage::

    nice -n 10 .venv/bin/python benchmarks/ray_engine.py identity [--root DIR]
    nice -n 10 .venv/bin/python benchmarks/ray_engine.py throughput [--n 2000] [--root DIR]
    nice -n 10 .venv/bin/python benchmarks/ray_engine.py scale [--sizes 1000 10000 100000]
        [--engines local ray]

Both write their section of ``--out`` (default ``benchmarks/ray_engine.json``, other sections
kept). Images are written under ``--root`` (default ``~/.cache/tellapart-ray-bench``), outside
the repository; folders already there are reused. One local Ray instance
(``ray.init(num_cpus=CPUS)``) serves every ray run of a check.

``identity``: cold comparisons (no cache, default settings: the learned and measurement
proposers, the overall test) of the two demo pairs (``tellapart demo`` and ``tellapart demo
--medical``), the first 10 tasks of the ``medium`` benchmark suite (``tellapart synth --suite
medium --n-tasks 10``) and a folder with bad files (the demo's set A plus an empty file, a
truncated PNG, text named .png, a folder named .jpg and an unsupported format). For each, the
report's JSON without its timings and the engine setting must be equal between the engines:
every finding (description, AUROC, p and q values, examples, ...), the skipped files with their
reasons, the warnings and the overall test.

``throughput``: ``--n`` x 2 128-px photographs (``tellapart synth --difference vignette
--base photos``), compared cold by each engine, alternating, ``--repeats`` times each (same
process, same ``nice``). Reported per engine (fastest run): the per-image stage (reading,
decoding, measuring and the describer's embeddings of every image: what the engine does) and
the whole comparison. The ray runs use a Ray instance started before the timer, as on a
running cluster; the time to start one (``ray.init``) is reported beside them.

``scale``: the per-image stage of each engine on ``--sizes`` x 2 128-px JPEGs (smooth random
images, set A brighter; listed in text files), each run in a fresh process whose peak resident
memory (the driver's) is recorded with the commit it ran at; ``--engines ray`` runs one engine
and keeps the other's earlier runs. Writes the time per image against the number of images to
``benchmarks/ray_engine_scale.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import ray

from tellapart import Comparer
from tellapart.cli import main as cli_main
from tellapart.context import DataContext
from tellapart.engine import create_engine
from tellapart.io import FeatureStore, discover, load_image
from tellapart.medical_demo import write_medical_demo
from tellapart.models.runtime import clear_cache, embed_for_claims
from tellapart.models.weights import load_default
from tellapart.report.json_io import engine_independent_json
from tellapart.synth import DiffSpec, make_task, write_task
from tellapart.types import Report

HERE = Path(__file__).resolve().parent



def run(a: Path, b: Path, engine: str) -> Report:
    """One cold comparison; the describer's embedding cache is emptied first, so each engine
    computes every embedding itself."""
    clear_cache()
    return Comparer(progress=False, cache="", engine=engine).compare(a, b)


def largest_difference(left: dict[str, Any], right: dict[str, Any]) -> dict[str, float]:
    """Largest absolute differences of the findings' AUROC, p and q (when the reports differ)."""
    out: dict[str, float] = {}
    for key in ("auroc", "p_value", "q_value"):
        pairs = zip(left["findings"], right["findings"], strict=False)
        out[key] = max((abs(x[key] - y[key]) for x, y in pairs), default=0.0)
    return out


# -- the image sets -------------------------------------------------------------------------------


def demo_pair(root: Path) -> tuple[Path, Path]:
    """``tellapart demo``'s sets (the same task as its code writes)."""
    out = root / "demo"
    if not (out / "b").is_dir():
        task = make_task([DiffSpec("vignette", s=0.9, prevalence=0.6)], n_per_side=40, size=128,
                         base="photos", seed=0, task_id="demo")
        write_task(task, out, contact_sheet=False)
    return out / "a", out / "b"


def medical_pair(root: Path) -> tuple[Path, Path]:
    """``tellapart demo --medical``'s DICOM sets."""
    out = root / "demo_medical"
    if not (out / "b").is_dir():
        write_medical_demo(out, seed=0)
    return out / "a", out / "b"


def suite_pairs(root: Path, n_tasks: int = 10) -> list[tuple[str, Path, Path]]:
    """The first ``n_tasks`` tasks of the medium benchmark suite."""
    out = root / "suite_medium"
    if not out.is_dir():
        code = cli_main(["synth", "--suite", "medium", "--n-tasks", str(n_tasks), "--out",
                         str(out), "--no-contact-sheet"])
        assert code == 0
    tasks = sorted(p for p in out.iterdir() if p.is_dir())[:n_tasks]
    return [(t.name, t / "a", t / "b") for t in tasks]


def bad_files_pair(root: Path) -> tuple[Path, Path]:
    """The demo's sets with bad files added to a copy of set A."""
    a, b = demo_pair(root)
    out = root / "bad_files_a"
    if not out.is_dir():
        shutil.copytree(a, out)
        (out / "empty.png").write_bytes(b"")
        (out / "truncated.png").write_bytes((a / "0000.png").read_bytes()[:200])
        (out / "notes.png").write_text("not an image\n")
        (out / "folder.jpg").mkdir()
        (out / "drawing.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>\n")
    return out, b


def throughput_pair(root: Path, n: int) -> tuple[Path, Path]:
    """``n`` + ``n`` 128-px photographs, set A vignetted."""
    out = root / f"throughput_{n}"
    if not (out / "b").is_dir():
        code = cli_main(["synth", "--difference", "vignette", "--n-per-side", str(n), "--size",
                         "128", "--base", "photos", "--seed", "3", "--out", str(out),
                         "--no-contact-sheet"])
        assert code == 0
    return out / "a", out / "b"


# -- the checks -----------------------------------------------------------------------------------


def identity(root: Path) -> dict[str, Any]:
    """Local and ray reports of every pair, compared."""
    pairs = [("demo", *demo_pair(root)), ("demo --medical", *medical_pair(root))]
    pairs += [(f"suite medium {name}", a, b) for name, a, b in suite_pairs(root)]
    pairs.append(("bad files", *bad_files_pair(root)))
    cases = []
    for name, a, b in pairs:
        local, on_ray = engine_independent_json(run(a, b, "local")), engine_independent_json(run(a, b, "ray"))
        case = {"pair": name, "equal": local == on_ray, "findings": len(local["findings"]),
                "significant": sum(f["significant"] for f in local["findings"]),
                "skipped": len(local["skipped"])}
        if not case["equal"]:
            case["largest_difference"] = largest_difference(local, on_ray)
        print(json.dumps(case), flush=True)
        cases.append(case)
    return {"cases": cases, "all_equal": all(c["equal"] for c in cases)}


def per_image_stage(a: Path, b: Path, engine: str) -> float:
    """Seconds of the per-image stage alone: features and the describer's embedding of every
    usable image (the local engine embeds on first use, so its embedding is timed here too)."""
    clear_cache()
    comparer = Comparer(progress=False, cache="", engine=engine)
    settings = comparer.settings
    paths_a, skipped_a = discover(str(a), "A")
    paths_b, skipped_b = discover(str(b), "B")
    model = load_default()
    started = time.perf_counter()
    with FeatureStore("") as store:
        per_image = create_engine(engine).run(
            [("A", str(a), paths_a, skipped_a), ("B", str(b), paths_b, skipped_b)],
            settings=settings, store=store, describer=True)
    if per_image.view_embeddings:
        from tellapart.models.runtime import add_view_embeddings

        add_view_embeddings(model, per_image.view_embeddings, per_image.quarters)
    ctx = DataContext(table=per_image.table, load=load_image, settings=settings)
    embed_for_claims(model, ctx, per_image.table.records)  # local: encodes; ray: cache hits
    return time.perf_counter() - started


def throughput(root: Path, n: int, repeats: int) -> dict[str, Any]:
    """Fastest per-image stage and whole comparison of each engine, alternating."""
    a, b = throughput_pair(root, n)
    stage: dict[str, list[float]] = {"local": [], "ray": []}
    total: dict[str, list[float]] = {"local": [], "ray": []}
    for _ in range(repeats):
        for engine in ("local", "ray"):
            stage[engine].append(per_image_stage(a, b, engine))
            started = time.perf_counter()
            report = run(a, b, engine)
            total[engine].append(time.perf_counter() - started)
            assert report.set_a.n_images == n and report.set_b.n_images == n
            print(engine, f"stage {stage[engine][-1]:.1f} s, compare {total[engine][-1]:.1f} s",
                  flush=True)
    best = {key: {e: min(v) for e, v in runs.items()} for key, runs in
            (("per_image_stage_s", stage), ("compare_s", total))}
    return {
        "images": 2 * n,
        "repeats": repeats,
        **best,
        "ratio_per_image_stage": best["per_image_stage_s"]["ray"] / best["per_image_stage_s"]["local"],
        "ratio_compare": best["compare_s"]["ray"] / best["compare_s"]["local"],
        "runs": {"per_image_stage_s": stage, "compare_s": total},
    }


def jpeg_lists(root: Path, n: int) -> tuple[Path, Path]:
    """Text files listing ``n`` + ``n`` 128-px JPEGs (set A 10% brighter); the images are
    written once for the largest ``n`` asked and the smaller sets are their first files."""
    import numpy as np
    from PIL import Image

    out = root / "jpeg"
    lists = []
    for side, gain in (("a", 1.1), ("b", 1.0)):
        folder = out / side
        folder.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(0 if side == "a" else 1)
        paths = [folder / f"{i:06d}.jpg" for i in range(n)]
        for path in paths:
            small = rng.uniform(0.1, 0.8, (8, 8, 3)) * gain  # drawn always: same images however many exist
            if path.is_file():
                continue
            image = Image.fromarray((np.clip(small, 0, 1) * 255).astype(np.uint8))
            image.resize((128, 128), Image.Resampling.BICUBIC).save(path, quality=90)
        listing = out / f"{side}_{n}.txt"
        listing.write_text("".join(f"{p}\n" for p in paths))
        lists.append(listing)
    return lists[0], lists[1]


def scale_one(root: Path, engine: str, n: int) -> dict[str, Any]:
    """Seconds and peak memory of this (driver) process for the per-image stage of ``n`` +
    ``n`` JPEGs on ``engine``; run in a process of its own, so the peak is this run's."""
    import resource

    a, b = jpeg_lists(root, n)
    seconds = per_image_stage(a, b, engine)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"engine": engine, "images": 2 * n, "seconds": seconds,
            "ms_per_image": 1000 * seconds / (2 * n), "peak_driver_gib": peak_kib / 2**20}


def scale(root: Path, sizes: list[int], cpus: int, engines: list[str],
          earlier: list[dict[str, Any]]) -> dict[str, Any]:
    """:func:`scale_one` for every size and engine of ``engines`` (each in a fresh process),
    each run recorded with its commit; the ``earlier`` runs of the other engines are kept.
    Plots all of them."""
    jpeg_lists(root, max(sizes))
    runs = [r for r in earlier if r["engine"] not in engines]
    for n in sizes:
        for engine in [e for e in ("ray", "local") if e in engines]:  # ray first: its 100k is the bar
            done = subprocess.run(
                [sys.executable, __file__, "scale-one", "--engine", engine, "--n", str(n),
                 "--root", str(root), "--cpus", str(cpus)],
                text=True, capture_output=True, check=True)
            runs.append({**json.loads(done.stdout.strip().splitlines()[-1]),
                         "commit": _commit(), "date": time.strftime("%Y-%m-%d")})
            print(json.dumps(runs[-1]), flush=True)
    _plot(runs, HERE / "ray_engine_scale.png")
    return {"runs": runs, "plot": "benchmarks/ray_engine_scale.png"}


def _plot(runs: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.2), dpi=100)
    for engine in ("local", "ray"):
        points = sorted((r["images"], r["ms_per_image"]) for r in runs if r["engine"] == engine)
        ax.plot(*zip(*points, strict=True), marker="o", label=f"--engine {engine}")
    ax.set_xscale("log")
    sizes = sorted({r["images"] for r in runs})
    ax.set_xticks(sizes, [f"{n:,}" for n in sizes])
    ax.minorticks_off()
    ax.set_xlabel("images (both sets)")
    ax.set_ylabel("ms per image (per-image stage)")
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, text=True,
                              capture_output=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("check", choices=("identity", "throughput", "scale", "scale-one"))
    parser.add_argument("--root", default=str(Path.home() / ".cache" / "tellapart-ray-bench"))
    parser.add_argument("--n", type=int, default=2000, help="throughput: images per set")
    parser.add_argument("--repeats", type=int, default=1, help="throughput: runs per engine")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000],
                        help="scale: images per set of each point")
    parser.add_argument("--engine", choices=("local", "ray"), default="ray",
                        help="scale-one: the engine")
    parser.add_argument("--engines", nargs="+", choices=("local", "ray"), default=["local", "ray"],
                        metavar="ENGINE",
                        help="scale: the engines run, local and/or ray (the other's earlier runs are kept)")
    parser.add_argument("--cpus", type=int, default=os.cpu_count() or 1,
                        help="CPUs of the local Ray instance (default: all)")
    parser.add_argument("--out", default=str(HERE / "ray_engine.json"))
    args = parser.parse_args(argv)
    root = Path(args.root)
    root.mkdir(parents=True, exist_ok=True)
    out = Path(args.out)
    data = json.loads(out.read_text()) if out.is_file() else {}
    if args.check == "scale":
        section = data.get("scale", {})
        earlier = [{"commit": section.get("commit"), "date": section.get("date"), **r}
                   for r in section.get("runs", [])]
        result = scale(root, args.sizes, args.cpus, args.engines, earlier)
    else:
        started = time.perf_counter()
        ray.init(num_cpus=args.cpus, include_dashboard=False, log_to_driver=False)
        ray_init_s = time.perf_counter() - started
        try:
            if args.check == "scale-one":
                print(json.dumps(scale_one(root, args.engine, args.n)))
                return 0
            if args.check == "identity":
                result = identity(root)
            else:
                result = throughput(root, args.n, args.repeats)
                result["ray_init_s"] = ray_init_s
        finally:
            ray.shutdown()
    # the machine may be shared: its load when the check ended says how much
    result.update({"commit": _commit(), "date": time.strftime("%Y-%m-%d"),
                   "cpus": os.cpu_count(), "load_average_1_5_15": os.getloadavg(),
                   "ray_version": ray.__version__})
    key = {"identity": "identity", "scale": "scale"}.get(args.check, f"throughput_{args.n}")
    data[key] = result
    out.write_text(json.dumps(data, indent=1) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k not in ("cases", "runs")}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
