"""Procedural medical-looking base images: chest radiographs, brain slices, fundus photographs,
dermoscopy and microscopy fields.

None is a real patient or meant to be anatomically exact; each has the layout that medical
differences act on (a dark background around lighter anatomy, dark central ventricles, a
central pigmented lesion, stained nuclei), drawn afresh from one ``np.random.Generator`` with
its nuisance (position, size, texture, noise) varied per image. They are base kinds of
:mod:`tellapart.synth.bases` (``chest``, ``brain``, ``fundus``, ``dermoscopy``,
``microscopy``; ``medical`` mixes them) and never part of the ``mixed`` photographs mix.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from ..edits.differences import to_uint8
from ..edits.medical import draw_cells, soft_ellipse

Field = np.ndarray  # (S, S) float32


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """(y, x) coordinates of pixel centres in [0, 1]."""
    axis = (np.arange(size, dtype=np.float32) + 0.5) / size
    return axis[:, None], axis[None, :]


def _ellipse(size: int, cx: float, cy: float, rx: float, ry: float, soft: float = 0.15) -> Field:
    """:func:`~tellapart.edits.medical.soft_ellipse` on a square of side ``size``."""
    return soft_ellipse((size, size), cx, cy, rx, ry, soft)


def _noise_field(size: int, rng: np.random.Generator, sigma: float) -> Field:
    """Smooth random texture with unit spread (Gaussian-filtered white noise)."""
    field = ndimage.gaussian_filter(rng.standard_normal((size, size)).astype(np.float32), sigma)
    return (field / (field.std() + 1e-6)).astype(np.float32)


def _acquire(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Per-image acquisition nuisance on float (S, S, 3) in [0, 1]: exposure (gain, offset,
    gamma), detector blur and noise, each drawn afresh, so that no sharpness, noise or tone
    statistic is constant across a set; returned as uint8."""
    size = rgb.shape[0]
    out = np.clip(rgb * rng.uniform(0.85, 1.1) + rng.uniform(-0.03, 0.04), 0.0, 1.0)
    out = out ** float(np.exp(rng.normal(0.0, 0.15)))
    blur = rng.uniform(0.2, 1.1) * size / 128
    out = ndimage.gaussian_filter(out, (blur, blur, 0))
    out = out + rng.normal(0.0, rng.uniform(0.006, 0.035), out.shape[:2])[..., None]
    return to_uint8(np.clip(out, 0.0, 1.0) * 255.0)


def _gray_rgb(field: Field, rng: np.random.Generator) -> np.ndarray:
    """A grey-scale field in [0, 1] after acquisition (:func:`_acquire`), as uint8 (S, S, 3)."""
    return _acquire(np.repeat(np.clip(field, 0.0, 1.0)[..., None], 3, axis=2), rng)


def gen_chest(size: int, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """A frontal chest radiograph: torso, dark lungs, ribs, clavicles, spine and heart."""
    cx = 0.5 + rng.uniform(-0.04, 0.04)
    scale = rng.uniform(0.9, 1.05)
    y, x = _grid(size)
    field = 0.06 + 0.4 * _ellipse(size, cx, 0.62, 0.47 * scale, 0.62 * scale, 0.12)
    lungs = np.zeros((size, size), np.float32)
    for side in (-1, 1):
        lungs = np.maximum(lungs, _ellipse(size, cx + side * 0.19 * scale, 0.47,
                                           0.14 * scale, 0.3 * scale, 0.25))
    field -= 0.28 * lungs
    for k in range(int(rng.integers(6, 9))):  # ribs: bright arcs over the lungs
        y0 = 0.22 + 0.075 * k + rng.uniform(-0.01, 0.01)
        curve = y0 + 0.5 * (x - cx) ** 2
        field += 0.07 * lungs * np.exp(-(((y - curve) / 0.018) ** 2))
    for side in (-1, 1):  # clavicles
        line = 0.17 + side * 0.25 * (x - cx) * 0.35
        band = np.exp(-(((y - line) / 0.015) ** 2)) * (np.abs(x - cx - side * 0.15) < 0.16)
        field += 0.18 * band
    field += 0.2 * _ellipse(size, cx, 0.6, 0.045, 0.5, 0.3)  # spine and mediastinum
    heart = _ellipse(size, cx + 0.06, 0.64, rng.uniform(0.13, 0.17) * scale, 0.12 * scale, 0.3)
    field += 0.22 * heart
    field += 0.02 * _noise_field(size, rng, size / 40)
    return _gray_rgb(field, rng), "frontal"


def gen_brain(size: int, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """An axial brain slice: dark background, skull, folded cortex and dark ventricles."""
    cx, cy = 0.5 + rng.uniform(-0.03, 0.03), 0.5 + rng.uniform(-0.03, 0.03)
    rx, ry = rng.uniform(0.34, 0.4), rng.uniform(0.4, 0.45)
    head = _ellipse(size, cx, cy, rx, ry, 0.04)
    brain = _ellipse(size, cx, cy, rx * 0.9, ry * 0.9, 0.05)
    gyri = _noise_field(size, rng, size / 50)
    cortex = np.clip(1.0 - np.abs(gyri) * 1.2, 0.0, 1.0) * brain
    field = 0.85 * (head - brain) + brain * (0.42 + 0.1 * cortex)
    width = rng.uniform(0.035, 0.055)
    for side in (-1, 1):  # the lateral ventricles: two dark crescents either side of the midline
        vent = _ellipse(size, cx + side * 0.05, cy - 0.02, width, rng.uniform(0.12, 0.16), 0.3)
        field -= 0.3 * vent * brain
    field += 0.015 * _noise_field(size, rng, size / 30)
    return _gray_rgb(field, rng), "axial"


def gen_fundus(size: int, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """A retinal fundus photograph: orange disc on black, optic disc, vessels and macula."""
    cx, cy = 0.5 + rng.uniform(-0.02, 0.02), 0.5 + rng.uniform(-0.02, 0.02)
    disc = _ellipse(size, cx, cy, 0.46, 0.46, 0.02)
    y, x = _grid(size)
    shade = np.clip(1.0 - 1.6 * ((x - cx) ** 2 + (y - cy) ** 2), 0.3, 1.0)
    base = np.asarray([0.85, 0.38, 0.16], np.float32) * rng.uniform(0.85, 1.1)
    rgb = disc[..., None] * shade[..., None] * base
    side = 1 if rng.random() < 0.5 else -1
    ox, oy = cx + side * 0.2, cy + rng.uniform(-0.04, 0.04)
    rgb += _ellipse(size, ox, oy, 0.07, 0.08, 0.3)[..., None] * np.asarray([0.6, 0.55, 0.3])
    rgb *= (1.0 - 0.35 * _ellipse(size, cx - side * 0.08, cy, 0.06, 0.06, 0.8))[..., None]
    vessels = _vessels(size, rng, ox, oy) * disc
    rgb *= (1.0 - 0.45 * vessels)[..., None]
    return _acquire(np.clip(rgb, 0.0, 1.0), rng), "retina"


def _vessels(size: int, rng: np.random.Generator, ox: float, oy: float) -> Field:
    """Dark vessel mask: random walks leaving the optic disc at (ox, oy)."""
    canvas = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(canvas)
    for _ in range(int(rng.integers(5, 9))):
        angle = rng.uniform(0, 2 * math.pi)
        px, py = ox * size, oy * size
        width = max(1, round(size / rng.uniform(70, 110)))
        for _ in range(14):
            angle += rng.normal(0.0, 0.25)
            nx, ny = px + math.cos(angle) * size * 0.04, py + math.sin(angle) * size * 0.04
            draw.line((px, py, nx, ny), fill=255, width=width)
            px, py = nx, ny
    return np.asarray(canvas, np.float32) / 255.0


def gen_dermoscopy(size: int, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """A dermoscopy image: skin texture around one central pigmented lesion."""
    skin = np.asarray([0.86, 0.66, 0.56], np.float32) * rng.uniform(0.85, 1.05)
    rgb = np.ones((size, size, 3), np.float32) * skin
    rgb *= (1.0 + 0.04 * _noise_field(size, rng, size / 25))[..., None]
    cx, cy = 0.5 + rng.uniform(-0.05, 0.05), 0.5 + rng.uniform(-0.05, 0.05)
    r = rng.uniform(0.14, 0.2)
    lesion = _ellipse(size, cx, cy, r * rng.uniform(0.85, 1.15), r, 0.25)
    core = _ellipse(size, cx, cy, r * 0.5, r * 0.5, 0.6)
    brown = np.asarray([0.45, 0.27, 0.17], np.float32) * rng.uniform(0.8, 1.1)
    rgb = rgb * (1.0 - lesion[..., None]) + brown * lesion[..., None]
    rgb *= (1.0 - 0.35 * core)[..., None]
    rgb *= (1.0 + 0.06 * _noise_field(size, rng, size / 60) * lesion)[..., None]
    return _acquire(np.clip(rgb, 0.0, 1.0), rng), "lesion"


def gen_microscopy(size: int, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """A stained tissue field: pale pink background, pink cells with dark purple nuclei."""
    background = np.asarray([0.94, 0.82, 0.88], np.float32)
    rgb = np.ones((size, size, 3), np.float32) * background
    rgb *= (1.0 + 0.03 * _noise_field(size, rng, size / 20))[..., None]
    n = int(rng.integers(16, 28) * (size / 128) ** 2)
    draw_cells(rgb, rng, n)
    return _acquire(np.clip(rgb, 0.0, 1.0), rng), str(n)


MEDICAL_GENERATORS: dict[str, Callable[[int, np.random.Generator], tuple[np.ndarray, str]]] = {
    "chest": gen_chest,
    "brain": gen_brain,
    "fundus": gen_fundus,
    "dermoscopy": gen_dermoscopy,
    "microscopy": gen_microscopy,
}
"""Generator of each medical base kind: (size, rng) -> (uint8 (size, size, 3), variant)."""
