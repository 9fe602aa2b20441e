"""DICOM against PNG: the time of a cold comparison of the same 16-bit pixels in either format.

Usage::

    .venv/bin/python benchmarks/dicom_speed.py [--n 500] [--size 512] [--jobs 2] [--repeats 2]
        [--medical-measurements auto|on|off] [--dir DIR]

Writes ``--n`` chest-radiograph-like 16-bit ``--size`` x ``--size`` images per set (the
``demo --medical`` generator, scaled to the full 16-bit range) twice: as uncompressed DICOM
(Explicit VR Little Endian, 16 bits stored, no window, so the robust percentile window is
computed) and as 16-bit greyscale PNG. Each pair of folders is compared cold (no cache) with
``--proposers measurements --no-overall --jobs JOBS``, the formats alternating, ``--repeats``
times each; the fastest run of each format is reported, with the features stage (reading,
decoding and measuring) on its own, and the ratio DICOM / PNG. With the default
``--medical-measurements auto`` the medical measurement group runs on the DICOM files only
(as in use); ``on`` measures both formats alike, so the ratio is that of reading alone.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from tellapart import compare
from tellapart.io.dicom import write_dicom
from tellapart.medical_demo import chest_like


def write_sets(root: Path, n: int, size: int) -> dict[str, tuple[Path, Path]]:
    """{"DICOM": (a, b), "PNG": (a, b)}: the same pixels in both formats."""
    rng = np.random.default_rng(0)
    folders: dict[str, tuple[Path, Path]] = {}
    paths = {fmt: (root / fmt / "a", root / fmt / "b") for fmt in ("DICOM", "PNG")}
    for pair in paths.values():
        for folder in pair:
            folder.mkdir(parents=True)
    for side in (0, 1):
        for i in range(n):
            pixels = (chest_like(rng, size, ap=bool(rng.random() < 0.5)).astype(np.uint32) * 16
                      + rng.integers(0, 16, (size, size))).astype(np.uint16)
            write_dicom(str(paths["DICOM"][side] / f"{i:04d}.dcm"), pixels,
                        attributes={"Modality": "DX"})
            Image.fromarray(pixels).save(paths["PNG"][side] / f"{i:04d}.png")
    for fmt, pair in paths.items():
        folders[fmt] = pair
    return folders


def timed(a: Path, b: Path, jobs: int, medical: str) -> tuple[float, float]:
    """(total seconds, features-stage seconds) of one cold comparison."""
    started = time.perf_counter()
    report = compare(a, b, progress=False, cache="", jobs=jobs, proposers=["measurements"],
                     overall=False, medical_measurements=medical)
    total = time.perf_counter() - started
    assert report.set_a.n_images + report.set_b.n_images > 0 and not report.skipped
    return total, float(report.timing_s["features"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="images per set")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--medical-measurements", default="auto", choices=("auto", "on", "off"))
    parser.add_argument("--dir", default=None, help="folder for the images (default: a temporary one)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folders = write_sets(Path(tmp), args.n, args.size)
        best: dict[str, tuple[float, float]] = {}
        for _ in range(args.repeats):
            for fmt in ("PNG", "DICOM"):
                run = timed(*folders[fmt], args.jobs, args.medical_measurements)
                best[fmt] = min(best.get(fmt, run), run)
                print(f"{fmt:5s} total {run[0]:7.1f} s, features {run[1]:7.1f} s", flush=True)
    print(f"2 x {args.n} 16-bit {args.size}x{args.size} images, cold, jobs={args.jobs}, "
          f"medical_measurements={args.medical_measurements}, fastest of {args.repeats}:")
    for fmt in ("PNG", "DICOM"):
        print(f"  {fmt:5s} total {best[fmt][0]:.1f} s, features {best[fmt][1]:.1f} s")
    print(f"  DICOM / PNG: total {best['DICOM'][0] / best['PNG'][0]:.2f}x, "
          f"features {best['DICOM'][1] / best['PNG'][1]:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
