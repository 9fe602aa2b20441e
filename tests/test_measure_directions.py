"""Each key measurement moves the right way under a known change to the same images."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageOps

from tellapart.io import decode_image
from tellapart.measure import create_measurement

SEEDS = range(6)
SIZE = 128


def photo_like(seed: int, size: int = SIZE) -> Image.Image:
    """Smooth colour field + a few shapes + mild sensor noise: photo-ish, deterministic."""
    rng = np.random.default_rng(seed)
    coarse = Image.fromarray(rng.integers(30, 226, (5, 5, 3), dtype=np.uint8))
    img = coarse.resize((size, size), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(img)
    for _ in range(4):
        x0, y0 = rng.integers(0, size - 30, 2)
        w, h = rng.integers(10, 30, 2)
        colour = tuple(int(c) for c in rng.integers(40, 216, 3))
        if rng.random() < 0.5:
            draw.rectangle([int(x0), int(y0), int(x0 + w), int(y0 + h)], fill=colour)
        else:
            draw.ellipse([int(x0), int(y0), int(x0 + w), int(y0 + h)], fill=colour)
    arr = np.asarray(img, np.float64) + rng.normal(0, 1.5, (size, size, 3))
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def measure(name: str, img: Image.Image, fmt: str = "PNG", **save: object) -> float:
    buf = io.BytesIO()
    img.save(buf, fmt, **save)
    return create_measurement(name).compute(decode_image(buf.getvalue(), "x", "A"))


def scale_pixels(img: Image.Image, factors: tuple[float, float, float]) -> Image.Image:
    arr = np.asarray(img, np.float64) * np.asarray(factors)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def add_noise(img: Image.Image, seed: int) -> Image.Image:
    rng = np.random.default_rng(100 + seed)
    arr = np.asarray(img, np.float64) + rng.normal(0, 12, (SIZE, SIZE, 3))
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def add_frame(img: Image.Image, seed: int) -> Image.Image:
    inner = img.resize((SIZE - 24, SIZE - 24))
    return ImageOps.expand(inner, border=12, fill=(250, 250, 250))


def vignette(img: Image.Image, seed: int) -> Image.Image:
    y, x = np.mgrid[0:SIZE, 0:SIZE] / (SIZE - 1) - 0.5
    falloff = 1.0 - 1.2 * (x**2 + y**2)
    arr = np.asarray(img, np.float64) * falloff[..., None]
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def red_patches(img: Image.Image, seed: int) -> Image.Image:
    rng = np.random.default_rng(200 + seed)
    out = img.copy()
    draw = ImageDraw.Draw(out)
    for _ in range(3):
        x, y = (int(v) for v in rng.integers(5, SIZE - 12, 2))
        draw.rectangle([x, y, x + 5, y + 4], fill=(235, 10, 10))
    return out


def write_text(img: Image.Image, seed: int) -> Image.Image:
    out = img.copy()
    draw = ImageDraw.Draw(out)
    for row in range(6):
        draw.text((4, 6 + 20 * row), "Lorem ipsum 42", fill=(0, 0, 0))
    return out


def pixelate(img: Image.Image, seed: int) -> Image.Image:
    small = img.resize((SIZE // 8, SIZE // 8), Image.Resampling.BILINEAR)
    return small.resize((SIZE, SIZE), Image.Resampling.NEAREST)


def add_contrast(img: Image.Image, seed: int) -> Image.Image:
    arr = np.asarray(img, np.float64)
    return Image.fromarray(np.clip((arr - arr.mean()) * 1.6 + arr.mean(), 0, 255).astype(np.uint8))


def light_from_top(img: Image.Image, seed: int) -> Image.Image:
    ramp = np.linspace(1.2, 0.7, SIZE)[:, None, None]
    arr = np.asarray(img, np.float64) * ramp
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def white_background(img: Image.Image, seed: int) -> Image.Image:
    arr = np.asarray(img).copy()
    arr[:, : SIZE // 2] = 255
    return Image.fromarray(arr)


Change = Callable[[Image.Image, int], Image.Image]

# (measurement, change, expected direction of the measurement)
CASES: list[tuple[str, Change, int]] = [
    ("brightness_mean", lambda im, s: scale_pixels(im, (0.6, 0.6, 0.6)), -1),
    ("brightness_p5", lambda im, s: scale_pixels(im, (0.6, 0.6, 0.6)), -1),
    ("brightness_p95", lambda im, s: scale_pixels(im, (0.6, 0.6, 0.6)), -1),
    ("contrast_std", add_contrast, +1),
    ("dynamic_range", add_contrast, +1),
    ("sharpness", lambda im, s: im.filter(ImageFilter.GaussianBlur(2)), -1),
    ("detail_gradient", lambda im, s: im.filter(ImageFilter.GaussianBlur(2)), -1),
    ("edge_density", lambda im, s: im.filter(ImageFilter.GaussianBlur(3)), -1),
    ("edge_steepness", lambda im, s: im.filter(ImageFilter.GaussianBlur(2)), -1),
    ("noise_level", add_noise, +1),
    ("saturation_mean", lambda im, s: im.convert("L").convert("RGB"), -1),
    ("colorfulness", lambda im, s: im.convert("L").convert("RGB"), -1),
    ("neutral_fraction", lambda im, s: im.convert("L").convert("RGB"), +1),
    ("warm_cast", lambda im, s: scale_pixels(im, (1.15, 1.0, 0.8)), +1),
    ("green_magenta_cast", lambda im, s: scale_pixels(im, (0.85, 1.1, 0.85)), +1),
    ("border_width", add_frame, +1),
    ("vignetting", vignette, +1),
    ("saturated_blobs", red_patches, +1),
    ("red_fraction", red_patches, +1),
    ("text_strokes", write_text, +1),
    ("pixelation", pixelate, +1),
    ("top_bottom_balance", light_from_top, +1),
    ("left_right_balance", lambda im, s: light_from_top(im.rotate(-90), s).rotate(90), +1),
    ("near_white_fraction", white_background, +1),
    ("near_black_fraction", lambda im, s: scale_pixels(im, (0.1, 0.1, 0.1)), +1),
    ("tonal_entropy", lambda im, s: im.quantize(4).convert("RGB"), -1),
]


@pytest.mark.parametrize(("name", "change", "direction"), CASES, ids=[c[0] for c in CASES])
def test_measurement_moves_with_known_change(name: str, change: Change, direction: int) -> None:
    for seed in SEEDS:
        original = photo_like(seed)
        before = measure(name, original)
        after = measure(name, change(original, seed))
        assert np.sign(after - before) == direction, (seed, before, after)


def test_heavy_jpeg_compression_raises_blockiness_and_lowers_bits_per_pixel() -> None:
    for seed in SEEDS:
        img = add_noise(photo_like(seed), seed).filter(ImageFilter.GaussianBlur(1))
        fine = measure("jpeg_blockiness", img, "JPEG", quality=95)
        coarse = measure("jpeg_blockiness", img, "JPEG", quality=10)
        assert coarse > fine + 0.1, (seed, fine, coarse)
        assert measure("bits_per_pixel", img, "JPEG", quality=10) < measure(
            "bits_per_pixel", img, "JPEG", quality=95
        )


@pytest.mark.parametrize(
    ("name", "hue_rgb"),
    [("red_fraction", (220, 20, 20)), ("yellow_fraction", (230, 200, 20)),
     ("green_fraction", (30, 200, 40)), ("blue_fraction", (20, 60, 220)),
     ("purple_fraction", (150, 30, 200))],
)
def test_hue_fractions_pick_their_own_hue(name: str, hue_rgb: tuple[int, int, int]) -> None:
    swatch = Image.new("RGB", (64, 64), (128, 128, 128))
    swatch.paste(Image.new("RGB", (64, 32), hue_rgb), (0, 0))
    assert measure(name, swatch) == pytest.approx(0.5, abs=0.02)
    others = ["red_fraction", "yellow_fraction", "green_fraction", "blue_fraction",
              "purple_fraction"]
    for other in others:
        if other != name:
            assert measure(other, swatch) == 0.0


def test_file_level_measurements_read_the_record() -> None:
    img = Image.new("RGBA", (60, 30), (10, 20, 30, 100))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    decoded = decode_image(buf.getvalue(), "x.png", "A")
    values = {n: create_measurement(n).compute(decoded)
              for n in ("width", "height", "aspect_ratio", "megapixels", "is_png", "is_jpeg",
                        "has_alpha", "bit_depth", "grayscale_file", "animated", "file_size_kib")}
    assert values == {
        "width": 60.0, "height": 30.0, "aspect_ratio": 2.0, "megapixels": 0.0018,
        "is_png": 1.0, "is_jpeg": 0.0, "has_alpha": 1.0, "bit_depth": 8.0,
        "grayscale_file": 0.0, "animated": 0.0, "file_size_kib": len(buf.getvalue()) / 1024,
    }
