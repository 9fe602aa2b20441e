"""Base images: procedural scenes, bundled photographs, faces and user folders.

Every base image is drawn from one ``np.random.Generator`` and described by a small dict
(``{"kind": "photos", "source": "coffee"}``), which is what the held-out split checks.

Photographs come only from files inside installed wheels (scikit-image's ``skimage/data``
directory and scikit-learn's sample images): nothing is downloaded. Decoded sources are cached
per process as image pyramids, so a random crop at 64-256 px costs one small resize.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from ..edits._draw import draw_shape
from ..edits.differences import hsv_to_rgb_tuple, random_color, to_uint8
from .medical import MEDICAL_GENERATORS
from .split import (
    HELDOUT_FACES,
    HELDOUT_KINDS,
    HELDOUT_PHOTOS,
    N_FACES,
    TRAIN_BASE_KINDS,
    TRAINING_EXCLUDED_FACES,
    TRAINING_EXCLUDED_PHOTOS,
)

PROCEDURAL_KINDS: tuple[str, ...] = ("shapes", "textures", "smooth", "deadleaves", "mosaic")
MEDICAL_KINDS: tuple[str, ...] = tuple(MEDICAL_GENERATORS)
"""Procedural medical kinds (:mod:`tellapart.synth.medical`); "medical" mixes them."""
BASE_KINDS: tuple[str, ...] = (
    "shapes",
    "textures",
    "smooth",
    "deadleaves",
    "mosaic",
    "photos",
    "faces",
    *MEDICAL_KINDS,
)
MIXED_WEIGHTS: dict[str, float] = {
    "shapes": 0.15,
    "textures": 0.14,
    "smooth": 0.12,
    "deadleaves": 0.14,
    "photos": 0.33,
    "faces": 0.12,
    "mosaic": 0.12,
}
MEDICAL_WEIGHTS: dict[str, float] = {kind: 1.0 / len(MEDICAL_KINDS) for kind in MEDICAL_KINDS}

SKIMAGE_PHOTOS: tuple[str, ...] = (
    "astronaut.png",
    "coffee.png",
    "chelsea.png",
    "rocket.jpg",
    "camera.png",
    "hubble_deep_field.jpg",
    "immunohistochemistry:ihc.png",
    "motorcycle_left.png",
    "motorcycle_right.png",
    "retina.jpg",
    "moon.png",
    "coins.png",
    "brick.png",
    "grass.png",
    "gravel.png",
)
SKLEARN_PHOTOS: tuple[str, ...] = ("china.jpg", "flower.jpg")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif"}
SPLITS = ("all", "train", "training", "heldout")
"""Base splits: everything; "train", what the benchmark suites draw from (never a held-out
base); "training", what the describer trains on ("train" without near-duplicates of held-out
bases); "heldout", only held-out bases. See :mod:`tellapart.synth.split`."""


# -- sources -----------------------------------------------------------------------------------


def _skimage_data_dir() -> Path:
    import skimage

    return Path(skimage.__file__).parent / "data"


def _sklearn_images_dir() -> Path:
    import sklearn.datasets

    return Path(sklearn.datasets.__file__).parent / "images"


@lru_cache(maxsize=1)
def photo_sources() -> dict[str, Path]:
    """Name -> file of every bundled photograph that is present in the installed wheels."""
    out: dict[str, Path] = {}
    sk = _skimage_data_dir()
    for entry in SKIMAGE_PHOTOS:
        name, _, fname = entry.rpartition(":") if ":" in entry else ("", "", entry)
        path = sk / fname
        if path.is_file():
            out[name or Path(fname).stem] = path
    skl = _sklearn_images_dir()
    for fname in SKLEARN_PHOTOS:
        if (skl / fname).is_file():
            out[Path(fname).stem] = skl / fname
    if not out:
        raise FileNotFoundError(
            f"no bundled photographs found under {sk} or {skl}; is scikit-image installed?"
        )
    return out


def photo_names(split: str = "all") -> list[str]:
    """Names of the bundled photographs in ``split`` (one of :data:`SPLITS`)."""
    _check_split(split)
    names = sorted(photo_sources())
    if split == "train":
        return [n for n in names if n not in HELDOUT_PHOTOS]
    if split == "training":
        return [n for n in names if n not in HELDOUT_PHOTOS | TRAINING_EXCLUDED_PHOTOS]
    if split == "heldout":
        return [n for n in names if n in HELDOUT_PHOTOS]
    return names


def face_indices(split: str = "all") -> list[int]:
    """Indices of the lfw_subset faces in ``split`` (one of :data:`SPLITS`)."""
    _check_split(split)
    if split == "train":
        return [i for i in range(N_FACES) if i not in HELDOUT_FACES]
    if split == "training":
        excluded = set(HELDOUT_FACES) | TRAINING_EXCLUDED_FACES
        return [i for i in range(N_FACES) if i not in excluded]
    if split == "heldout":
        return list(HELDOUT_FACES)
    return list(range(N_FACES))


class _Pyramid:
    """An RGB source image and its successive halvings, for fast antialiased crops."""

    def __init__(self, rgb: Image.Image) -> None:
        self.levels = [rgb]
        while min(self.levels[-1].size) >= 64:
            prev = self.levels[-1]
            self.levels.append(prev.reduce(2))

    @property
    def size(self) -> tuple[int, int]:
        return self.levels[0].size

    def crop(self, box: tuple[float, float, float, float], out: int) -> Image.Image:
        """Resize the region ``box`` (level-0 coordinates) to ``out`` x ``out``."""
        side = min(box[2] - box[0], box[3] - box[1])
        level = 0
        # the coarsest level that still has >= 2 source pixels per output pixel
        while level + 1 < len(self.levels) and side / 2 ** (level + 1) >= 2 * out:
            level += 1
        k = 2**level
        img = self.levels[level]
        b = (box[0] / k, box[1] / k, min(box[2] / k, img.size[0]), min(box[3] / k, img.size[1]))
        return img.resize((out, out), Image.Resampling.BILINEAR, box=b)


def _load_rgb(path: Path) -> Image.Image:
    with Image.open(path) as src:
        src.seek(0)
        if src.mode in ("RGBA", "LA", "P", "PA"):
            rgba = src.convert("RGBA")
            bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            return Image.alpha_composite(bg, rgba).convert("RGB")
        return src.convert("RGB")


@lru_cache(maxsize=64)
def _photo_pyramid(name: str) -> _Pyramid:
    return _Pyramid(_load_rgb(photo_sources()[name]))


@lru_cache(maxsize=1)
def _faces() -> np.ndarray:
    path = _skimage_data_dir() / "lfw_subset.npy"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found; the faces base needs scikit-image's lfw_subset")
    arr = np.load(path)[:N_FACES]
    return np.asarray(np.clip(arr * 255.0, 0, 255), np.uint8)


@lru_cache(maxsize=8)
def _dir_pyramids(folder: str) -> tuple[tuple[str, _Pyramid], ...]:
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"base folder {folder!r} does not exist or is not a folder")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    out = []
    for p in files:
        try:
            out.append((str(p.relative_to(root)), _Pyramid(_load_rgb(p))))
        except OSError:
            continue  # unreadable files are skipped; an empty folder is an error below
    if not out:
        raise ValueError(
            f"base folder {folder!r} contains no readable images "
            f"({', '.join(sorted(IMAGE_SUFFIXES))})"
        )
    return tuple(out)


# -- augmentation --------------------------------------------------------------------------------


def _random_crop(pyr: _Pyramid, size: int, rng: np.random.Generator, min_frac: float) -> np.ndarray:
    w, h = pyr.size
    short = min(w, h)
    frac = math.exp(rng.uniform(math.log(min_frac), 0.0))
    side = max(8.0, short * frac)
    x0 = rng.uniform(0, w - side)
    y0 = rng.uniform(0, h - side)
    return np.asarray(pyr.crop((x0, y0, x0 + side, y0 + side), size))


def _jitter(img: np.ndarray, rng: np.random.Generator, allow_flip: bool, gray: bool) -> np.ndarray:
    """Small photometric jitter (and an optional mirror) so few photos give many bases."""
    if allow_flip and rng.random() < 0.5:
        img = img[:, ::-1]
    gain = rng.normal(1.0, 0.04, 3) * rng.uniform(0.9, 1.1)
    if gray:
        # grey sources get a faint random tint so they are not all exactly neutral
        tint = np.asarray(hsv_to_rgb_tuple(float(rng.random()), 1.0, 1.0), np.float64) / 255.0
        gain = gain * (1.0 + 0.12 * rng.random() * (tint - tint.mean()))
    return to_uint8(img.astype(np.float32) * gain.astype(np.float32))


def _is_gray(img: np.ndarray) -> bool:
    sub = img[::8, ::8].astype(np.int16)
    return bool(
        np.abs(sub[..., 0] - sub[..., 1]).max() <= 2
        and np.abs(sub[..., 1] - sub[..., 2]).max() <= 2
    )


# -- procedural generators -----------------------------------------------------------------------


def _smooth_field(size: int, rng: np.random.Generator, cells: int | None = None) -> np.ndarray:
    n = int(cells or rng.integers(2, 6))
    grid = rng.integers(0, 256, (n, n, 3), dtype=np.uint8)
    if rng.random() < 0.5:
        # a colour palette around one hue instead of independent random colours
        base = np.asarray(random_color(rng), np.float32)
        grid = to_uint8(base + rng.normal(0, 45, (n, n, 3)))
    return np.asarray(Image.fromarray(grid).resize((size, size), Image.Resampling.BICUBIC))


def gen_smooth(size: int, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    kind = str(rng.choice(["field", "linear", "radial"]))
    if kind == "field":
        return _smooth_field(size, rng), kind
    c0 = np.asarray(random_color(rng), np.float32)
    c1 = np.asarray(random_color(rng), np.float32)
    t_axis = (np.arange(size, dtype=np.float32) + 0.5) / size
    if kind == "linear":
        ang = rng.uniform(0, 2 * math.pi)
        t = (t_axis[None, :] - 0.5) * math.cos(ang) + (t_axis[:, None] - 0.5) * math.sin(ang)
        t = np.clip(t / 1.0 + 0.5, 0, 1)
    else:
        cx, cy = rng.uniform(0.2, 0.8, 2)
        t = np.sqrt((t_axis[None, :] - cx) ** 2 + (t_axis[:, None] - cy) ** 2)
        t = np.clip(t / (t.max() + 1e-6), 0, 1)
    t = t ** rng.uniform(0.6, 1.6)
    return to_uint8(c0 * (1 - t[..., None]) + c1 * t[..., None]), kind


def _background(size: int, rng: np.random.Generator) -> np.ndarray:
    r = rng.random()
    if r < 0.4:
        out = np.empty((size, size, 3), np.uint8)
        out[:] = np.asarray(random_color(rng), np.uint8)
        return out
    return gen_smooth(size, rng)[0]


def gen_shapes(size: int, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """A flat scene of 3-12 rectangles, ellipses, polygons, diamonds and strokes."""
    from ..edits.content import SCENE_KINDS

    pil = Image.fromarray(_background(size, rng))
    draw = ImageDraw.Draw(pil)
    n = int(rng.integers(3, 13))
    for _ in range(n):
        r = size * rng.uniform(0.06, 0.18)
        cx, cy = rng.uniform(0, size), rng.uniform(0, size)
        color = random_color(rng)
        if rng.random() < 0.1:
            ang = rng.uniform(0, math.pi)
            draw.line(
                (
                    cx - r * math.cos(ang),
                    cy - r * math.sin(ang),
                    cx + r * math.cos(ang),
                    cy + r * math.sin(ang),
                ),
                fill=color,
                width=max(1, round(size / 64)),
            )
            continue
        draw_shape(
            draw,
            str(rng.choice(SCENE_KINDS)),
            cx,
            cy,
            r,
            color,
            rng,
            filled=bool(rng.random() < 0.8),
            width=max(1, round(r / 5)),
            aspect=float(rng.uniform(0.6, 1.6)),
        )
    return np.asarray(pil), f"{n}"


def _colorize(t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Map a scalar field in [0, 1] to colour through a random 2- or 3-colour ramp."""
    k = int(rng.integers(2, 4))
    colors = np.asarray([random_color(rng) for _ in range(k)], np.float32)
    pos = t * (k - 1)
    i = np.clip(pos.astype(np.int32), 0, k - 2)
    f = (pos - i)[..., None]
    return to_uint8(colors[i] * (1 - f) + colors[i + 1] * f)


def gen_textures(size: int, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """Gratings, plaids, checkers, 1/f noise and turbulence, colourised at random."""
    kind = str(rng.choice(["grating", "plaid", "checker", "noise", "turbulence", "dots"]))
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    if kind in ("grating", "plaid", "checker", "turbulence", "dots"):
        freq = rng.uniform(3, 14)
        ang = rng.uniform(0, math.pi)
        u = xx * math.cos(ang) + yy * math.sin(ang)
        v = -xx * math.sin(ang) + yy * math.cos(ang)
        if kind == "grating":
            t = 0.5 + 0.5 * np.sin(2 * math.pi * freq * u + rng.uniform(0, 6.3))
        elif kind == "plaid":
            f2 = freq * rng.uniform(0.5, 1.5)
            t = 0.25 * (2 + np.sin(2 * math.pi * freq * u) + np.sin(2 * math.pi * f2 * v))
        elif kind == "checker":
            t = ((np.floor(u * freq) + np.floor(v * freq)) % 2).astype(np.float32)
        elif kind == "dots":
            cu = (u * freq) % 1 - 0.5
            cv = (v * freq) % 1 - 0.5
            t = (cu**2 + cv**2 < rng.uniform(0.04, 0.16)).astype(np.float32)
        else:
            noise = _spectral_noise(size, rng, beta=rng.uniform(2.5, 3.5))
            t = 0.5 + 0.5 * np.sin(2 * math.pi * freq * u + rng.uniform(3, 10) * noise)
    else:
        t = _spectral_noise(size, rng, beta=rng.uniform(1.0, 3.0))
    return _colorize(t.astype(np.float32), rng), kind


def _spectral_noise(size: int, rng: np.random.Generator, beta: float) -> np.ndarray:
    """Noise with a 1/f^beta power spectrum, scaled to [0, 1]."""
    fy = np.fft.fftfreq(size)[:, None]
    fx = np.fft.rfftfreq(size)[None, :]
    f = np.sqrt(fx**2 + fy**2)
    f[0, 0] = 1.0
    spec = (rng.standard_normal(f.shape) + 1j * rng.standard_normal(f.shape)) / f ** (beta / 2)
    spec[0, 0] = 0
    field = np.fft.irfft2(spec, s=(size, size))
    lo, hi = field.min(), field.max()
    return ((field - lo) / (hi - lo + 1e-9)).astype(np.float32)


def gen_deadleaves(size: int, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """Dead-leaves image: occluding disks (or squares) with power-law radii."""
    shape = str(rng.choice(["disk", "disk", "square", "mixed"]))
    n = int(rng.integers(150, 320))
    rmin, rmax = 0.012 * size, 0.3 * size
    # inverse-CDF sampling of p(r) ~ r^-3 on [rmin, rmax]
    u = rng.random(n)
    radii = (rmin**-2 - u * (rmin**-2 - rmax**-2)) ** -0.5
    centers = rng.uniform(-0.05 * size, 1.05 * size, (n, 2))
    colors = _leaf_colors(n, rng)
    squares = (
        np.ones(n, bool)
        if shape == "square"
        else rng.random(n) < 0.5
        if shape == "mixed"
        else np.zeros(n, bool)
    )
    pil = Image.new("RGB", (size, size), random_color(rng))
    draw = ImageDraw.Draw(pil)
    for r, (cx, cy), color, square in zip(
        radii.tolist(), centers.tolist(), colors, squares, strict=True
    ):
        box = (cx - r, cy - r, cx + r, cy + r)
        if square:
            draw.rectangle(box, fill=color)
        else:
            draw.ellipse(box, fill=color)
    return np.asarray(pil), shape


def _leaf_colors(n: int, rng: np.random.Generator) -> list[tuple[int, int, int]]:
    """Leaf colours: grey levels, or a mix of one palette hue and free random hues."""
    if rng.random() < 0.15:
        v = rng.integers(0, 256, n)
        return [(int(g), int(g), int(g)) for g in v]
    hue = np.where(
        rng.random(n) < 0.5, (rng.random() + rng.normal(0, 0.08, n)) % 1.0, rng.random(n)
    )
    sat = rng.uniform(0.3, 1.0, n)
    val = rng.uniform(0.2, 1.0, n)
    rgb = _hsv_to_rgb(hue, sat, val)
    return [tuple(int(c) for c in row) for row in rgb]  # type: ignore[misc]


def _hsv_to_rgb(h: np.ndarray, s: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Vectorised HSV -> RGB, uint8 (N, 3)."""
    i = (h * 6.0).astype(int) % 6
    f = h * 6.0 - np.floor(h * 6.0)
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    table = np.stack(
        [
            np.stack(c, -1)
            for c in [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
        ],
        1,
    )
    return to_uint8(table[np.arange(len(h)), i] * 255)


def gen_mosaic(size: int, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """Voronoi mosaic of flat cells (held-out procedural kind)."""
    n = int(rng.integers(12, 60))
    seeds = rng.uniform(0, size, (n, 2)).astype(np.float32)
    colors = np.asarray([random_color(rng) for _ in range(n)], np.uint8)
    ys = np.arange(size, dtype=np.float32) + 0.5
    # distances row by row keep memory small; ~n * size^2 float ops
    d = (ys[:, None, None] - seeds[None, None, :, 1]) ** 2 + (
        ys[None, :, None] - seeds[None, None, :, 0]
    ) ** 2
    label = np.argmin(d, axis=2)
    out = colors[label]
    if rng.random() < 0.5:  # dark grout between cells
        edge = label[1:, :] != label[:-1, :]
        out[1:][edge] = out[1:][edge] // 3
        edge = label[:, 1:] != label[:, :-1]
        out[:, 1:][edge] = out[:, 1:][edge] // 3
    return out, str(n)


PROCEDURAL: dict[str, Callable[[int, np.random.Generator], tuple[np.ndarray, str]]] = {
    "shapes": gen_shapes,
    "textures": gen_textures,
    "smooth": gen_smooth,
    "deadleaves": gen_deadleaves,
    "mosaic": gen_mosaic,
    **MEDICAL_GENERATORS,
}


# -- sampler ----------------------------------------------------------------------------------


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"unknown base split {split!r}; use one of {', '.join(SPLITS)}")


@dataclass
class BaseSpec:
    """A parsed ``base`` string: which kinds to draw from (with weights), or a folder."""

    text: str
    kinds: dict[str, float]
    folder: str | None = None


def parse_base(base: str, split: str = "all") -> BaseSpec:
    """Parse ``base``: a kind, "mixed", "medical", "mixed:kind1,kind2" or "dir:PATH".

    "mixed" draws the photographic and procedural kinds, "medical" the medical ones
    (:data:`MEDICAL_KINDS`), each equally often.

    Kinds excluded by ``split`` are dropped from "mixed"; naming one explicitly is an error.
    """
    _check_split(split)
    if not isinstance(base, str) or not base:
        raise ValueError("base must be a non-empty string such as 'mixed', 'photos' or 'dir:PATH'")
    if base.startswith("dir:"):
        folder = base[4:]
        if not folder:
            raise ValueError("base 'dir:' needs a folder path, e.g. 'dir:/data/photos'")
        return BaseSpec(base, {}, folder)
    allowed = _split_kinds(split)
    if base == "medical":
        base = "mixed:" + ",".join(MEDICAL_KINDS)
    if base == "mixed" or base.startswith("mixed:"):
        names = list(MIXED_WEIGHTS) if base == "mixed" else [k for k in base[6:].split(",") if k]
        for k in names:
            if k not in BASE_KINDS:
                raise ValueError(
                    f"unknown base kind {k!r} in {base!r}; known: {', '.join(BASE_KINDS)}"
                )
        weights = {**MIXED_WEIGHTS, **MEDICAL_WEIGHTS}
        kinds = {k: weights[k] for k in names if k in allowed}
        if not kinds:
            raise ValueError(f"base {base!r} has no kind usable in split {split!r}")
        return BaseSpec(base, kinds)
    if base not in BASE_KINDS:
        raise ValueError(
            f"unknown base {base!r}; use one of {', '.join(BASE_KINDS)}, 'mixed', "
            "'mixed:KIND,KIND' or 'dir:PATH'"
        )
    if base not in allowed:
        raise ValueError(f"base kind {base!r} is not part of split {split!r}")
    return BaseSpec(base, {base: 1.0})


def _split_kinds(split: str) -> set[str]:
    if split in ("train", "training"):
        return set(TRAIN_BASE_KINDS) | set(MEDICAL_KINDS)
    if split == "heldout":
        # heldout bases: held-out kinds plus the held-out photos and faces
        return set(HELDOUT_KINDS) | {"photos", "faces"}
    return set(BASE_KINDS)


class BaseSampler:
    """Draws base images of one :class:`BaseSpec` from a split.

    Parameters
    ----------
    base : str
        See :func:`parse_base`.
    size : int
        Output side in pixels (images are square).
    split : str
        "all", "train" (never a held-out base), "training" ("train" without the
        near-duplicates of held-out bases) or "heldout" (only held-out bases).
    """

    def __init__(self, base: str = "mixed", size: int = 128, split: str = "all") -> None:
        if not isinstance(size, int | np.integer) or not 16 <= int(size) <= 2048:
            raise ValueError(f"image size must be an integer in [16, 2048], got {size!r}")
        self.spec = parse_base(base, split)
        self.size = int(size)
        self.split = split
        self._kinds = list(self.spec.kinds)
        w = np.asarray([self.spec.kinds[k] for k in self._kinds], float)
        self._p = w / w.sum() if len(w) else w
        self._photos = photo_names(split) if "photos" in self.spec.kinds else []
        if "photos" in self.spec.kinds and not self._photos:
            raise ValueError(f"no bundled photographs available in split {split!r}")
        self._faces = face_indices(split)

    def kind_for(self, rng: np.random.Generator) -> str:
        """Draw which base kind the next image uses ("dir" for folders)."""
        if self.spec.folder is not None:
            return "dir"
        if len(self._kinds) == 1:
            return self._kinds[0]
        return str(self._kinds[int(rng.choice(len(self._kinds), p=self._p))])

    def sample(
        self, rng: np.random.Generator, kind: str | None = None, allow_flip: bool = True
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """One base image (uint8 (size, size, 3)) and its description."""
        kind = kind or self.kind_for(rng)
        size = self.size
        if kind == "dir":
            assert self.spec.folder is not None
            items = _dir_pyramids(self.spec.folder)
            name, pyr = items[int(rng.integers(len(items)))]
            img = _random_crop(pyr, size, rng, min_frac=0.4)
            return _jitter(img, rng, allow_flip, gray=False), {"kind": "dir", "source": name}
        if kind == "photos":
            name = self._photos[int(rng.integers(len(self._photos)))]
            img = _random_crop(_photo_pyramid(name), size, rng, min_frac=0.12)
            return _jitter(img, rng, allow_flip, gray=_is_gray(img)), {"kind": kind, "source": name}
        if kind == "faces":
            idx = self._faces[int(rng.integers(len(self._faces)))]
            face = _faces()[idx]
            c = int(rng.integers(21, 26))
            x0, y0 = int(rng.integers(0, 26 - c)), int(rng.integers(0, 26 - c))
            crop = face[y0 : y0 + c, x0 : x0 + c]
            img = np.asarray(Image.fromarray(crop).resize((size, size), Image.Resampling.BICUBIC))
            rgb = np.repeat(img[..., None], 3, axis=2)
            return _jitter(rgb, rng, allow_flip, gray=True), {"kind": kind, "source": idx}
        gen = PROCEDURAL.get(kind)
        if gen is None:
            raise ValueError(f"unknown base kind {kind!r}")
        img, variant = gen(size, rng)
        if allow_flip and rng.random() < 0.5:
            img = img[:, ::-1]
        return np.ascontiguousarray(img), {"kind": kind, "source": variant}


def make_base_images(
    n: int,
    *,
    size: int = 128,
    base: str = "mixed",
    seed: int | np.random.Generator = 0,
    split: str = "all",
    allow_flip: bool = True,
) -> list[np.ndarray]:
    """``n`` base images (uint8 (size, size, 3)), deterministic from ``seed``.

    Parameters
    ----------
    n : int
        Number of images.
    size : int
        Side in pixels.
    base : str
        "shapes", "textures", "smooth", "deadleaves", "mosaic", "photos", "faces", a medical
        kind ("chest", "brain", "fundus", "dermoscopy", "microscopy"), "mixed", "medical",
        "mixed:KIND,KIND" or "dir:PATH".
    seed : int or np.random.Generator
        Seed (or generator) of all random choices.
    split : str
        One of :data:`SPLITS` (see :mod:`tellapart.synth.split`).
    allow_flip : bool
        Allow random horizontal mirroring as augmentation.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    sampler = BaseSampler(base, size, split)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    return [sampler.sample(rng, allow_flip=allow_flip)[0] for _ in range(n)]


def list_base_kinds() -> list[str]:
    return list(BASE_KINDS)


def clear_caches() -> None:
    """Forget cached decoded sources (e.g. after the files of a folder base changed)."""
    _dir_pyramids.cache_clear()
    _photo_pyramid.cache_clear()
