"""How often a null pair of DICOM sets reports anything: the header evidence's false positives.

Usage::

    .venv/bin/python benchmarks/header_null.py [--pairs 200] [--n 20] [--size 32] [--jobs 2]
        [--seed 0]

Each pair is two sets of ``--n`` DICOM files whose pixels (12-bit noise around one level)
and whose header attributes come from one distribution: ViewPosition AP or PA (1:1),
Manufacturer one of three, KVP 70-125, PixelSpacing one of two, Modality DX. Each pair is
compared as ``tellapart compare`` would with ``--proposers measurements --no-overall`` (the
header proposer joins because the files have headers; the overall test does not decide
significance, so it is left out for speed). A pair "reports anything" when any finding is
significant at alpha = 0.05; with the false discovery rate controlled under the global null,
at most 5% of pairs should. Prints the share with its 95% Wilson interval, and the share of
pairs with a significant header finding.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from tellapart import compare, stats
from tellapart.io.dicom import write_dicom

MANUFACTURERS = ("Vendor One", "Vendor Two", "Vendor Three")
SPACINGS = ([0.14, 0.14], [0.2, 0.2])


def write_null_pair(root: Path, n: int, size: int, seed: int) -> tuple[Path, Path]:
    """Two sets of ``n`` DICOM files, pixels and headers from one distribution."""
    rng = np.random.default_rng(seed)
    folders = []
    for name in ("a", "b"):
        folder = root / name
        folder.mkdir(parents=True)
        for i in range(n):
            pixels = rng.normal(2000, 400, (size, size)).clip(0, 4095).astype(np.uint16)
            attributes = {
                "Modality": "DX",
                "ViewPosition": "AP" if rng.random() < 0.5 else "PA",
                "Manufacturer": MANUFACTURERS[int(rng.integers(3))],
                "KVP": f"{int(rng.integers(70, 126))}",
                "PixelSpacing": SPACINGS[int(rng.integers(2))],
            }
            write_dicom(str(folder / f"{i:03d}.dcm"), pixels, bits_stored=12,
                        attributes=attributes)
        folders.append(folder)
    return folders[0], folders[1]


def run_pair(job: tuple[int, int, int, int]) -> tuple[int, int, float]:
    """(any significant finding, a significant header finding, seconds) of one null pair."""
    index, n, size, seed = job
    with tempfile.TemporaryDirectory() as tmp:
        a, b = write_null_pair(Path(tmp), n, size, seed * 100_003 + index)
        started = time.perf_counter()
        report = compare(a, b, progress=False, cache="", jobs=1, proposers=["measurements"],
                         overall=False, seed=index)
        seconds = time.perf_counter() - started
    significant = report.significant
    return int(bool(significant)), int(any(f.source == "header" for f in significant)), seconds



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--n", type=int, default=20, help="images per set")
    parser.add_argument("--size", type=int, default=32, help="image side in pixels")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    jobs = [(i, args.n, args.size, args.seed) for i in range(args.pairs)]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(run_pair, jobs))
    anything = sum(r[0] for r in results)
    header = sum(r[1] for r in results)
    lo, hi = stats.wilson_interval(anything, len(results))
    print(f"{len(results)} null pairs of {args.n} + {args.n} DICOM files ({args.size}x{args.size})")
    print(f"reported anything: {anything} ({anything / len(results):.1%}, 95% CI "
          f"[{lo:.1%}, {hi:.1%}]); a header finding: {header} ({header / len(results):.1%})")
    print(f"median seconds per compare: {float(np.median([r[2] for r in results])):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
