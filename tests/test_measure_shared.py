"""Shared intermediates: fast helpers agree with their reference definitions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from tellapart.measure.shared import gray_quantile, max_filter, min_filter
from tellapart.types import DecodedImage, ImageRecord


@pytest.mark.parametrize("size", [3, 5])
def test_separable_min_max_filters_match_scipy(size: int) -> None:
    arr = np.random.default_rng(size).random((37, 23)).astype(np.float32)
    np.testing.assert_array_equal(max_filter(arr, size), ndimage.maximum_filter(arr, size, mode="nearest"))
    np.testing.assert_array_equal(min_filter(arr, size), ndimage.minimum_filter(arr, size, mode="nearest"))


def test_histogram_quantiles_match_numpy() -> None:
    rgb = np.random.default_rng(0).random((64, 64, 3)).astype(np.float32)
    record = ImageRecord("x", "A", "h", 1, 64, 64, "PNG", "RGB", 8)
    image = DecodedImage(record=record, rgb=rgb)
    for q in (0.01, 0.05, 0.5, 0.95, 0.99):
        assert gray_quantile(image, q) == pytest.approx(np.quantile(image.gray, q), abs=2 / 1024)
