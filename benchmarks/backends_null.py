"""How often a null pair reports anything with the optional backends on (clip and vlm proposers).

Usage::

    .venv/bin/python benchmarks/backends_null.py [--pairs 200] [--n 16] [--size 32] [--jobs 2]
        [--seed 0] [--out FILE.json]

Each pair is two sets of ``--n`` PNG images from one distribution (a random two-colour
gradient with a random disc of a third colour, plus pixel noise). Each pair is compared with
``--proposers clip vlm``: the clip scorer and proposer run a tiny randomly initialised model
built from a transformers config (CLIP for even pairs, SigLIP for odd ones; the models and the
test tooling are those of ``tests/backend_fakes.py``), and the vlm proposer captions through a
local chat-completions server with recorded, deterministic answers (captions name each image's
dominant colour; proposals list colour concepts one set's captions name more often). The overall
test runs (default settings). A pair "reports anything" when any finding is significant at
alpha = 0.05; the verifier, not the models, is what must keep this at or below 5%. The overall
test's rejections are counted beside it. Prints the shares with 95% Wilson intervals and the
median seconds and requests per comparison; ``--out`` also writes them as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

_WORKER: dict[str, Any] = {}


def write_null_pair(root: Path, n: int, size: int, seed: int) -> tuple[Path, Path]:
    """Two sets of ``n`` images drawn from one distribution."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / max(size - 1, 1)
    folders = []
    for name in ("a", "b"):
        folder = root / name
        folder.mkdir(parents=True)
        for i in range(n):
            c0, c1, c2 = rng.random((3, 3))
            t = (xx if rng.random() < 0.5 else yy)[..., None]
            img = c0 * (1 - t) + c1 * t
            cy, cx, r = rng.random(3) * [size, size, size / 3]
            img[(yy * size - cy) ** 2 + (xx * size - cx) ** 2 < (r + 2) ** 2] = c2
            img = np.clip(img + rng.normal(0, 0.03, img.shape), 0, 1)
            Image.fromarray((img * 255).astype(np.uint8)).save(folder / f"{i:03d}.png")
        folders.append(folder)
    return folders[0], folders[1]


def _setup_worker() -> None:
    """Per worker process: the two tiny models and a running fake endpoint."""
    from backend_fakes import FakeChatServer, make_tiny_model

    root = Path(tempfile.mkdtemp(prefix="tellapart-backends-null-"))
    _WORKER["models"] = [make_tiny_model(root / "clip", "clip", seed=0),
                         make_tiny_model(root / "siglip", "siglip", seed=0)]
    server = FakeChatServer()
    server.__enter__()
    _WORKER["server"] = server


def run_pair(job: tuple[int, int, int, int]) -> dict[str, Any]:
    """One null pair's outcome: any significant finding, the overall test's verdict, cost."""
    from tellapart import compare

    index, n, size, seed = job
    model = _WORKER["models"][index % 2]
    with tempfile.TemporaryDirectory() as tmp:
        a, b = write_null_pair(Path(tmp), n, size, seed * 100_003 + index)
        started = time.perf_counter()
        report = compare(a, b, progress=False, cache="", api_cache="", jobs=1, seed=index,
                         proposers=["clip", "vlm"], clip_model=model,
                         api_base=_WORKER["server"].url, vlm_model="recorded", min_images=4)
        seconds = time.perf_counter() - started
    cost = report.settings.get("cost", {})
    requests = int(cost.get("vlm", "0 requests").split()[0])
    return {"significant": len(report.significant), "overall_differ": bool(report.overall and report.overall.differ),
            "n_tested": int(report.settings["n_tested_hypotheses"]), "seconds": seconds,
            "requests": requests, "model": "clip" if index % 2 == 0 else "siglip",
            "warnings": len(report.warnings)}



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--n", type=int, default=16, help="images per set")
    parser.add_argument("--size", type=int, default=32, help="image side in pixels")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="also write the summary here (JSON)")
    args = parser.parse_args(argv)
    from tellapart import stats

    jobs = [(i, args.n, args.size, args.seed) for i in range(args.pairs)]
    with ProcessPoolExecutor(max_workers=args.jobs, initializer=_setup_worker) as pool:
        results = list(pool.map(run_pair, jobs))
    anything = sum(r["significant"] > 0 for r in results)
    overall = sum(r["overall_differ"] for r in results)
    lo, hi = stats.wilson_interval(anything, len(results))
    olo, ohi = stats.wilson_interval(overall, len(results))
    summary = {
        "pairs": len(results), "n_per_set": args.n, "size": args.size, "seed": args.seed,
        "reported_anything": anything, "reported_anything_ci95": [round(lo, 4), round(hi, 4)],
        "overall_test_rejected": overall, "overall_test_rejected_ci95": [round(olo, 4), round(ohi, 4)],
        "median_seconds": round(float(np.median([r["seconds"] for r in results])), 2),
        "median_requests": float(np.median([r["requests"] for r in results])),
        "median_tested": float(np.median([r["n_tested"] for r in results])),
        "pairs_with_warnings": sum(r["warnings"] > 0 for r in results),
    }
    print(f"{len(results)} null pairs of {args.n} + {args.n} images ({args.size}x{args.size}), "
          "--proposers clip vlm (tiny CLIP/SigLIP, recorded endpoint)")
    print(f"reported anything: {anything} ({anything / len(results):.1%}, 95% CI [{lo:.1%}, {hi:.1%}]); "
          f"overall test rejected: {overall} ({overall / len(results):.1%}, 95% CI [{olo:.1%}, {ohi:.1%}])")
    print(f"median per compare: {summary['median_seconds']:.2f} s, {summary['median_requests']:g} requests, "
          f"{summary['median_tested']:g} hypotheses tested")
    if args.out:
        Path(args.out).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
