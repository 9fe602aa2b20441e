"""Drawing helpers shared by overlay, spatial and content differences and the shape bases."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .differences import blend, random_color

Color = tuple[int, int, int]

WORDS: tuple[str, ...] = (
    "SAMPLE",
    "DRAFT",
    "PROOF",
    "COPY",
    "TEST",
    "DEMO",
    "PREVIEW",
    "photo",
    "studio",
    "2019",
    "2024",
    "#0815",
    "ID 42",
    "confidential",
    "stock",
    "(c) lab",
    "CAM 3",
    "VOID",
)


@lru_cache(maxsize=64)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """PIL's bundled default font at ``size`` pixels (cached: loading costs ~1 ms)."""
    return ImageFont.load_default(size=max(6, int(size)))


def draw_on(
    image: np.ndarray, opacity: float, paint: Callable[[ImageDraw.ImageDraw, int, int], None]
) -> np.ndarray:
    """Let ``paint`` draw on a copy of ``image``; blend the copy back with ``opacity``.

    Pixels ``paint`` did not touch are equal in both and stay exactly unchanged.
    """
    pil = Image.fromarray(image)
    draw = ImageDraw.Draw(pil)
    h, w = image.shape[:2]
    paint(draw, w, h)
    painted = np.asarray(pil)
    if opacity >= 1.0:
        return painted.copy()
    return blend(image, painted, float(opacity))


def contrasting_color(image: np.ndarray, rng: np.random.Generator) -> Color:
    """A random colour far from the image's mean colour, so marks stay visible."""
    mean = image.reshape(-1, 3)[:: max(1, image.shape[0] * image.shape[1] // 256)].mean(axis=0)
    return random_color(rng, avoid=mean)


def polygon_points(
    kind: str, cx: float, cy: float, r: float, rng: np.random.Generator
) -> list[tuple[float, float]]:
    """Vertices of a shape of ``kind`` ("triangle", "star", "polygon", "diamond") around (cx, cy)."""
    rot = float(rng.uniform(0, 2 * math.pi))
    if kind == "triangle":
        angles = [rot + k * 2 * math.pi / 3 + rng.uniform(-0.25, 0.25) for k in range(3)]
        return [(cx + r * math.cos(a), cy + r * math.sin(a)) for a in angles]
    if kind == "star":
        n = int(rng.integers(5, 8))
        inner = rng.uniform(0.35, 0.5)
        pts = []
        for k in range(2 * n):
            rad = r if k % 2 == 0 else r * inner
            a = rot + k * math.pi / n
            pts.append((cx + rad * math.cos(a), cy + rad * math.sin(a)))
        return pts
    if kind == "diamond":
        return [(cx, cy - r), (cx + 0.7 * r, cy), (cx, cy + r), (cx - 0.7 * r, cy)]
    # irregular convex-ish polygon with 5-7 vertices
    n = int(rng.integers(5, 8))
    angles = np.sort(rng.uniform(0, 2 * math.pi, n)).tolist()
    radii = (r * rng.uniform(0.7, 1.0, n)).tolist()
    return [
        (cx + q * math.cos(a), cy + q * math.sin(a)) for a, q in zip(angles, radii, strict=True)
    ]


def draw_shape(
    draw: ImageDraw.ImageDraw,
    kind: str,
    cx: float,
    cy: float,
    r: float,
    color: Color,
    rng: np.random.Generator,
    *,
    filled: bool = True,
    width: int = 2,
    aspect: float = 1.0,
) -> None:
    """Draw one shape of ``kind`` ("rectangle", "ellipse", "triangle", "star", "polygon", ...)."""
    rx, ry = r * aspect, r / aspect
    box = (cx - rx, cy - ry, cx + rx, cy + ry)
    fill = color if filled else None
    outline = None if filled else color
    if kind == "rectangle":
        draw.rectangle(box, fill=fill, outline=outline, width=width)
    elif kind == "ellipse":
        draw.ellipse(box, fill=fill, outline=outline, width=width)
    elif kind == "ring":
        draw.ellipse(box, outline=color, width=max(width, int(r * 0.3)))
    else:
        pts = polygon_points(kind, cx, cy, r, rng)
        if filled:
            draw.polygon(pts, fill=color)
        else:
            draw.line([*pts, pts[0]], fill=color, width=width, joint="curve")
