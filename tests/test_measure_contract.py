"""Every registered measurement honours the plug-in contract."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from PIL import Image

from tellapart.io import decode_image
from tellapart.measure import MEASUREMENTS, Measurement, create_measurement, list_measurements
from tellapart.types import DecodedImage

NAMES = list_measurements()
# Defined only at the file's own resolution: the 8x8 JPEG grid is gone after reduction.
NEEDS_FILE_RESOLUTION = {"jpeg_blockiness"}
# Defined only when the image has some luminance change at all (a dark region, for the outline).
NEEDS_SOME_CHANGE = {"pixelation", "outline_irregularity"}
# Undefined (NaN) on a flat image and on images without a single clear edge, like the smooth "large-jpeg" sample.
NEEDS_EDGES = {"edge_steepness"}


def encode(img: Image.Image, fmt: str, **kwargs: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


def photo_like(width: int, height: int, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    coarse = Image.fromarray(rng.integers(0, 256, (6, 6, 3), dtype=np.uint8))
    arr = np.asarray(coarse.resize((width, height), Image.Resampling.BICUBIC), np.float64)
    arr += rng.normal(0, 4, arr.shape)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def sample_images() -> dict[str, DecodedImage]:
    rgba = photo_like(33, 33, 3).convert("RGBA")
    rgba.putalpha(128)
    sixteen = Image.fromarray(np.asarray(photo_like(50, 40, 4).convert("L"), np.uint16) * 257)
    return {
        "rgb-jpeg": decode_image(encode(photo_like(64, 48, 1), "JPEG"), "a.jpg", "A"),
        "gray-png": decode_image(encode(photo_like(40, 70, 2).convert("L"), "PNG"), "b.png", "A"),
        "rgba-png": decode_image(encode(rgba, "PNG"), "c.png", "B"),
        "gray16-tiff": decode_image(encode(sixteen, "TIFF"), "d.tif", "B"),
        "palette-gif": decode_image(encode(photo_like(31, 17, 5), "GIF"), "e.gif", "A"),
        "large-jpeg": decode_image(encode(photo_like(1600, 900, 6), "JPEG"), "f.jpg", "B"),
    }


SAMPLES = sample_images()


def test_there_are_enough_measurements() -> None:
    assert len(NAMES) >= 32
    families = {MEASUREMENTS.get(n).family for n in NAMES}
    assert {"brightness", "color", "sharpness", "compression", "layout", "content", "file"} <= families


@pytest.mark.parametrize("name", NAMES)
def test_finite_float_on_varied_images(name: str) -> None:
    measurement = create_measurement(name)
    finite = 0
    for label, image in SAMPLES.items():
        value = measurement.compute(image)
        assert isinstance(value, float), (label, type(value))
        if name in NEEDS_FILE_RESOLUTION and image.scale != 1.0:
            assert math.isnan(value), label
        elif name in NEEDS_EDGES and label == "large-jpeg":
            assert math.isnan(value) or math.isfinite(value), (label, value)
        else:
            assert math.isfinite(value), (label, value)
        finite += math.isfinite(value)
    assert finite >= len(SAMPLES) - 1


@pytest.mark.parametrize("name", NAMES)
def test_deterministic(name: str) -> None:
    measurement = create_measurement(name)
    data = encode(photo_like(80, 60, 11), "JPEG")
    first = measurement.compute(decode_image(data, "x.jpg", "A"))
    second = create_measurement(name).compute(decode_image(data, "x.jpg", "A"))
    assert first == second or (math.isnan(first) and math.isnan(second))


@pytest.mark.parametrize("name", NAMES)
def test_flat_and_tiny_images_do_not_crash(name: str) -> None:
    measurement = create_measurement(name)
    flat = decode_image(encode(Image.new("RGB", (20, 20), (120, 30, 200)), "PNG"), "f.png", "A")
    value = measurement.compute(flat)
    assert isinstance(value, float)
    if name not in NEEDS_SOME_CHANGE | NEEDS_EDGES:
        assert math.isfinite(value)
    tiny = decode_image(encode(Image.new("L", (1, 1), 7), "PNG"), "t.png", "A")
    assert isinstance(measurement.compute(tiny), float)  # may be NaN: undefined on one pixel


@pytest.mark.parametrize("name", NAMES)
def test_declaration(name: str) -> None:
    cls = MEASUREMENTS.get(name)
    assert issubclass(cls, Measurement)
    assert cls.name == name and name.isidentifier()
    assert isinstance(cls.version, int) and cls.version >= 1
    assert cls.more.strip() and cls.less.strip() and cls.more != cls.less
    for phrase in (cls.more, cls.less):
        assert phrase == phrase.strip() and not phrase.endswith((".", "than"))
        assert not phrase.lower().startswith(("set", "images", "than"))
    assert cls.keywords and all(k == k.lower() and k.strip() for k in cls.keywords)
    assert cls.family.strip()
    measurement = create_measurement(name)
    assert measurement.phrase(True) == cls.more and measurement.phrase(False) == cls.less


def test_phrases_are_distinct_across_measurements() -> None:
    phrases = [p for n in NAMES for p in (MEASUREMENTS.get(n).more, MEASUREMENTS.get(n).less)]
    assert len(phrases) == len(set(phrases))
