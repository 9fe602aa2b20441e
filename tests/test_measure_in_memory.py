"""Measurements of images held in memory: the same values in this process and in workers."""

from __future__ import annotations

import numpy as np

from tellapart.measure import MEASUREMENTS
from tellapart.measure.in_memory import ImageMeasurer, measure_images
from tellapart.types import DecodedImage, ImageRecord


def _images(n: int) -> list[DecodedImage]:
    rng = np.random.default_rng(3)
    out = []
    for i in range(n):
        rgb = rng.random((48, 40, 3), dtype=np.float32)
        rgb[: 8 + i % 20] *= 0.5  # images differ in more than noise
        record = ImageRecord(path=f"mem/{i}.png", set_name="A", content_hash=f"{i:064x}",
                             file_size=1000 + i, width=40, height=48, format="PNG", mode="RGB",
                             bit_depth=8)
        out.append(DecodedImage(record=record, rgb=rgb))
    return out


def test_workers_give_the_values_this_process_gives() -> None:
    names = sorted(MEASUREMENTS.list())
    images = _images(20)
    expected = measure_images(names, images)
    assert np.isfinite(expected).mean() > 0.5
    with ImageMeasurer(names, jobs=2) as measurer:
        np.testing.assert_array_equal(measurer.measure(images), expected)
        assert measurer._pool is not None  # 10 images a worker: the pool ran
        np.testing.assert_array_equal(measurer.measure(images[:5]), expected[:5])  # few: here
    assert measurer._pool is None


def test_unknown_names_and_failures_are_nan() -> None:
    values = measure_images(["no_such_measurement", "brightness_mean"], _images(2))
    assert np.isnan(values[:, 0]).all() and np.isfinite(values[:, 1]).all()
