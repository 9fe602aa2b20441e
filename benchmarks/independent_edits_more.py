"""Twelve more image edits, written independently of the project's own synthetic edits.

Each entry of ``MORE_EDITS`` is ``(label, edit, accepted_ids)``: ``edit`` takes an RGB
``PIL.Image.Image`` and a ``numpy.random.Generator`` (for per-image randomness) and returns an
RGB image of the same size; ``accepted_ids`` are the difference-type ids that count as correctly
naming the edit. Only Pillow and numpy are used.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps


def _to_array(img: Image.Image) -> np.ndarray:
    """Return the image as a float32 H x W x 3 array on 0-255."""
    return np.asarray(img.convert("RGB"), dtype=np.float32)


def _from_array(arr: np.ndarray) -> Image.Image:
    """Clip a float array to 0-255 and return it as an RGB image."""
    return Image.fromarray(np.clip(np.rint(arr), 0, 255).astype(np.uint8), mode="RGB")


def _random_colour(rng: np.random.Generator) -> tuple[int, int, int]:
    """Return a random saturated-ish RGB colour."""
    hue = float(rng.uniform(0.0, 1.0))
    sector = int(hue * 6) % 6
    frac = hue * 6 - int(hue * 6)
    hi, lo, mid_up, mid_down = 255, 0, int(255 * frac), int(255 * (1 - frac))
    table = [
        (hi, mid_up, lo),
        (mid_down, hi, lo),
        (lo, hi, mid_up),
        (lo, mid_down, hi),
        (mid_up, lo, hi),
        (hi, lo, mid_down),
    ]
    return table[sector]


def gaussian_noise(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Add zero-mean Gaussian noise with sigma 20 (0-255 scale) to every channel."""
    arr = _to_array(img)
    return _from_array(arr + rng.normal(0.0, 20.0, size=arr.shape))


def salt_and_pepper(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Set about 4% of pixels to pure black or pure white (half each)."""
    arr = np.array(img.convert("RGB"), dtype=np.uint8)
    h, w = arr.shape[:2]
    hit = rng.random((h, w)) < 0.04
    white = rng.random((h, w)) < 0.5
    arr[hit & white] = 255
    arr[hit & ~white] = 0
    return Image.fromarray(arr, mode="RGB")


def strong_sharpen(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Over-sharpen with a strong unsharp mask followed by Sharpness x3."""
    del rng
    rgb = img.convert("RGB")
    masked = rgb.filter(ImageFilter.UnsharpMask(radius=2, percent=250, threshold=0))
    return ImageEnhance.Sharpness(masked).enhance(3.0)


def random_rotate(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Rotate by a random 12-25 degrees either way, same size, black corners."""
    angle = float(rng.uniform(12.0, 25.0)) * (1.0 if rng.random() < 0.5 else -1.0)
    return img.convert("RGB").rotate(
        angle, resample=Image.Resampling.BILINEAR, expand=False, fillcolor=(0, 0, 0)
    )


def posterize_2bit(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Posterize to 2 bits per channel (4 levels) with ImageOps.posterize."""
    del rng
    return ImageOps.posterize(img.convert("RGB"), 2)


def invert_colours(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Invert all colours (photographic negative) with ImageOps.invert."""
    del rng
    return ImageOps.invert(img.convert("RGB"))


def sepia_tone(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Apply the classic sepia colour matrix to the image."""
    del rng
    arr = _to_array(img)
    matrix = np.array(
        [
            [0.393, 0.769, 0.189],
            [0.349, 0.686, 0.168],
            [0.272, 0.534, 0.131],
        ],
        dtype=np.float32,
    )
    return _from_array(arr @ matrix.T)


def pixelate(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Downscale to 16x16 (box filter) and upscale back with NEAREST."""
    del rng
    rgb = img.convert("RGB")
    small = rgb.resize((16, 16), resample=Image.Resampling.BOX)
    return small.resize(rgb.size, resample=Image.Resampling.NEAREST)


def vignette(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Darken towards the corners with a radial mask (corners at about 15% brightness)."""
    del rng
    arr = _to_array(img)
    h, w = arr.shape[:2]
    ys = (np.arange(h, dtype=np.float32) - (h - 1) / 2.0) / ((h - 1) / 2.0 if h > 1 else 1.0)
    xs = (np.arange(w, dtype=np.float32) - (w - 1) / 2.0) / ((w - 1) / 2.0 if w > 1 else 1.0)
    radius = np.sqrt(ys[:, None] ** 2 + xs[None, :] ** 2) / np.sqrt(2.0)
    mask = 1.0 - 0.85 * np.clip((radius - 0.3) / 0.7, 0.0, 1.0) ** 1.5
    return _from_array(arr * mask[:, :, None])


def random_lines(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Draw 3-6 thin straight lines in random colours from edge to edge."""
    out = img.convert("RGB").copy()
    draw = ImageDraw.Draw(out)
    w, h = out.size
    for _ in range(int(rng.integers(3, 7))):
        if rng.random() < 0.5:
            start = (0.0, float(rng.uniform(0, h - 1)))
            end = (float(w - 1), float(rng.uniform(0, h - 1)))
        else:
            start = (float(rng.uniform(0, w - 1)), 0.0)
            end = (float(rng.uniform(0, w - 1)), float(h - 1))
        draw.line([start, end], fill=_random_colour(rng), width=int(rng.integers(1, 3)))
    return out


def corner_stamp(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Overlay a semi-transparent filled circle with a letter in it in a random corner."""
    base = img.convert("RGBA")
    w, h = base.size
    diameter = max(8, int(round(min(w, h) * float(rng.uniform(0.28, 0.34)))))
    margin = max(2, min(w, h) // 32)
    left = margin if rng.random() < 0.5 else w - margin - diameter
    top = margin if rng.random() < 0.5 else h - margin - diameter
    colour = _random_colour(rng)
    overlay = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    box = (left, top, left + diameter - 1, top + diameter - 1)
    draw.ellipse(box, fill=(*colour, 150), outline=(255, 255, 255, 190), width=2)
    letter = chr(ord("A") + int(rng.integers(0, 26)))
    font = ImageFont.load_default(size=max(6, int(diameter * 0.6)))
    centre = (left + diameter / 2.0, top + diameter / 2.0)
    draw.text(centre, letter, fill=(255, 255, 255, 210), font=font, anchor="mm")
    return Image.alpha_composite(base, overlay).convert("RGB")


def warm_cast(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Apply a warm cast: red x1.25, green x1.05, blue x0.70, plus a small red lift."""
    del rng
    arr = _to_array(img)
    gains = np.array([1.25, 1.05, 0.70], dtype=np.float32)
    offsets = np.array([15.0, 5.0, 0.0], dtype=np.float32)
    return _from_array(arr * gains + offsets)


EditFn = Callable[[Image.Image, np.random.Generator], Image.Image]

MORE_EDITS: list[tuple[str, EditFn, tuple[str, ...]]] = [
    ("additive Gaussian noise sigma 20 (numpy)", gaussian_noise, ("noise",)),
    ("salt-and-pepper noise on 4% of pixels (numpy)", salt_and_pepper, ("salt_pepper", "noise")),
    (
        "strong sharpening (PIL UnsharpMask 250% + ImageEnhance.Sharpness x3)",
        strong_sharpen,
        ("sharpened",),
    ),
    ("rotation by random +/-12-25 deg, black corners (PIL rotate)", random_rotate, ("rotated",)),
    ("posterize to 2 bits per channel (PIL ImageOps.posterize)", posterize_2bit, ("posterized",)),
    ("colour inversion (PIL ImageOps.invert)", invert_colours, ("inverted",)),
    ("sepia toning (classic sepia matrix, numpy)", sepia_tone, ("sepia", "color_tint")),
    ("pixelation to 16x16 blocks (PIL resize BOX, then NEAREST)", pixelate, ("pixelated",)),
    ("vignette, corners darkened to ~15% (numpy radial mask)", vignette, ("vignette",)),
    ("3-6 thin random coloured lines (PIL ImageDraw.line)", random_lines, ("lines",)),
    (
        "semi-transparent circle-with-letter stamp in a random corner (PIL ImageDraw)",
        corner_stamp,
        ("stamp", "corner_marker"),
    ),
    (
        "warm colour cast, R x1.25 G x1.05 B x0.70 (numpy multipliers)",
        warm_cast,
        ("warmer", "color_tint"),
    ),
]
