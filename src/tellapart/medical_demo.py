"""``tellapart demo --medical``: a small synthetic DICOM pair with a known acquisition difference.

Both sets are procedural chest-radiograph-like images (a body outline, two lung fields, a
spine, ribs, a heart shadow and noise; 12-bit MONOCHROME2 with a window in the header) of one
population. What differs is how they were acquired: 80% of set A's images are AP views and
20% of set B's (the rest PA), written in each file's ViewPosition, and an AP view looks as a
portable AP radiograph does: the heart shadow magnified (wider), the lungs less inflated and
the image a little less contrasted. tellapart should report the view-position difference from
the headers and say that the pixel differences follow it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .io.dicom import write_dicom

AP_SHARE = {"A": 0.8, "B": 0.2}
"""Share of AP views in each set of the demo (the rest are PA)."""

TRUTH = ("80% of set A's images are AP views and 20% of set B's (ViewPosition in the headers); "
         "AP views show a magnified heart shadow and less inflated lungs")


def _ellipse(yy: np.ndarray, xx: np.ndarray, cy: float, cx: float, ry: float, rx: float) -> np.ndarray:
    return ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0


def chest_like(rng: np.random.Generator, size: int, ap: bool) -> np.ndarray:
    """One chest-radiograph-like (size, size) uint16 image with 12 stored bits.

    Bright is dense (bone, heart), as a radiograph shows it in MONOCHROME2.
    """
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64) / size
    jitter = rng.normal(0.0, 0.015, 6)
    img = np.full((size, size), 300.0)
    img[_ellipse(yy, xx, 0.55 + jitter[0], 0.5, 0.5, 0.42 + jitter[1])] = 2400.0  # soft tissue
    lung_ry = (0.24 if ap else 0.28) + jitter[2]
    for side in (-1, 1):
        lung = _ellipse(yy, xx, 0.48 + jitter[3], 0.5 + side * 0.17, lung_ry, 0.12)
        img[lung] = 900.0
    for k in range(6):  # ribs: bright arcs across the lungs
        y0 = 0.3 + 0.065 * k + jitter[4]
        rib = np.abs(yy - (y0 + 0.08 * (xx - 0.5) ** 2 * 4)) < 0.008
        img[rib & (img < 1500)] += 500.0
    heart_rx = (0.15 if ap else 0.11) * (1 + jitter[5])
    img[_ellipse(yy, xx, 0.6, 0.53, 0.12, heart_rx)] = 2600.0
    img[np.abs(xx - 0.5) < 0.035] = np.maximum(img[np.abs(xx - 0.5) < 0.035], 3000.0)  # spine
    if ap:  # portable AP: less contrast
        img = 1600.0 + 0.85 * (img - 1600.0)
    img += rng.normal(0.0, 60.0, img.shape)
    return np.clip(img, 0, 4095).astype(np.uint16)


def write_medical_demo(out: Path, n_per_side: int = 40, size: int = 128,
                       seed: int = 0) -> tuple[Path, Path]:
    """Write the demo's two sets of DICOM files under ``out`` ("a" and "b"); their folders.

    The files carry technical attributes only (Modality DX, ViewPosition, PixelSpacing,
    a window), no patient data.
    """
    rng = np.random.default_rng(seed)
    folders = []
    for name in ("A", "B"):
        folder = Path(out) / name.lower()
        folder.mkdir(parents=True, exist_ok=True)
        n_ap = round(AP_SHARE[name] * n_per_side)
        views = ["AP"] * n_ap + ["PA"] * (n_per_side - n_ap)
        rng.shuffle(views)
        for i, view in enumerate(views):
            pixels = chest_like(rng, size, view == "AP")
            write_dicom(str(folder / f"{i:04d}.dcm"), pixels, bits_stored=12,
                        window=(1800.0, 3600.0),
                        attributes={"Modality": "DX", "ViewPosition": view,
                                    "PixelSpacing": [0.35, 0.35], "BodyPartExamined": "CHEST"})
        folders.append(folder)
    return folders[0], folders[1]
