"""Brightness and tone: how light, how contrasty, how clipped."""

from __future__ import annotations

import numpy as np

from ..types import DecodedImage
from .base import Measurement, register_measurement
from .shared import HIST_BINS, channel_max, channel_min, gray_histogram, gray_quantile


@register_measurement
class BrightnessMean(Measurement):
    """Mean luma (Rec. 601) in [0, 1]."""

    name = "brightness_mean"
    more = "are brighter"
    less = "are darker"
    keywords = ("bright", "brighter", "dark", "darker", "light", "lighter", "dim", "exposure")
    property_names = ("brightness", "exposure", "lightness", "luminance")
    more_synonyms = ("brighter", "lighter", "more bright", "less dark", "overexposed",
                     "over exposed", "higher brightness", "more light", "bright", "brightened")
    less_synonyms = ("darker", "dimmer", "more dim", "less bright", "underexposed",
                     "under exposed", "lower brightness", "less light", "dark", "dim", "darkened")
    family = "brightness"

    def compute(self, image: DecodedImage) -> float:
        return float(image.gray.mean(dtype=np.float64))


@register_measurement
class BrightnessShadows(Measurement):
    """5th percentile of luma: how dark the darkest parts are."""

    name = "brightness_p5"
    more = "have lighter shadows (lifted blacks)"
    less = "have darker shadows (deeper blacks)"
    keywords = ("shadow", "shadows", "black", "blacks", "dark", "lifted", "faded")
    family = "brightness"
    version = 2  # histogram from a 1/4 sample above 128 px

    def compute(self, image: DecodedImage) -> float:
        return gray_quantile(image, 0.05)


@register_measurement
class BrightnessHighlights(Measurement):
    """95th percentile of luma: how bright the brightest parts are."""

    name = "brightness_p95"
    more = "have brighter highlights"
    less = "have dimmer highlights"
    keywords = ("highlight", "highlights", "bright", "white", "whites")
    family = "brightness"
    version = 2  # histogram from a 1/4 sample above 128 px

    def compute(self, image: DecodedImage) -> float:
        return gray_quantile(image, 0.95)


@register_measurement
class BrightnessPeak(Measurement):
    """99.9th percentile of the per-pixel brightest channel: the exposure ceiling.

    Nearly every photograph has a few pixels close to full brightness; an image darkened
    (under-exposed, multiplied down) loses them all, whatever its content. So this separates
    darkened images from untouched ones far better than mean brightness, whose spread across
    ordinary scenes is wide.
    """

    name = "brightness_peak"
    more = "have brighter peak whites (their brightest pixels)"
    less = "have dimmer peak whites (never reaching full brightness)"
    keywords = ("peak", "ceiling", "white", "whites", "dark", "darker", "dim", "underexposed", "exposure")
    family = "brightness"

    version = 2

    def compute(self, image: DecodedImage) -> float:
        # Quantile from a histogram (resolution 1/HIST_BINS): sorting every pixel is slower.
        brightest = channel_max(image)
        bins = np.minimum((brightest * HIST_BINS).astype(np.int32), HIST_BINS - 1)
        cdf = np.cumsum(np.bincount(bins.ravel(), minlength=HIST_BINS)) / brightest.size
        index = int(np.searchsorted(cdf, 0.999, side="left"))
        return (min(index, HIST_BINS - 1) + 0.5) / HIST_BINS


@register_measurement
class ContrastStd(Measurement):
    """Standard deviation of luma (global RMS contrast)."""

    name = "contrast_std"
    more = "have more contrast"
    less = "have less contrast (flatter tones)"
    keywords = ("contrast", "contrasty", "flat", "washed", "punchy")
    property_names = ("contrast",)
    more_synonyms = ("more contrast", "higher contrast", "more contrasty", "contrastier",
                     "punchier", "high contrast")
    less_synonyms = ("less contrast", "lower contrast", "flatter", "low contrast", "flat")
    family = "brightness"

    def compute(self, image: DecodedImage) -> float:
        return float(image.gray.std(dtype=np.float64))


@register_measurement
class DynamicRange(Measurement):
    """Luma spread between the 1st and 99th percentiles."""

    name = "dynamic_range"
    more = "use a wider range of tones (from dark to light)"
    less = "use a narrower range of tones"
    keywords = ("dynamic", "range", "tonal", "tones", "contrast", "washed")
    family = "brightness"
    version = 2  # histogram from a 1/4 sample above 128 px

    def compute(self, image: DecodedImage) -> float:
        return gray_quantile(image, 0.99) - gray_quantile(image, 0.01)


@register_measurement
class NearWhiteFraction(Measurement):
    """Fraction of pixels whose every channel is near white (blown-out or white background)."""

    name = "near_white_fraction"
    more = "have more near-white areas (white background or blown-out highlights)"
    less = "have fewer near-white areas"
    keywords = ("white", "overexposed", "blown", "clipped", "background", "washed")
    family = "brightness"

    def compute(self, image: DecodedImage) -> float:
        return float(np.mean(channel_min(image) >= 0.92))


@register_measurement
class NearBlackFraction(Measurement):
    """Fraction of pixels whose every channel is near black."""

    name = "near_black_fraction"
    more = "have more near-black areas (black background or crushed shadows)"
    less = "have fewer near-black areas"
    keywords = ("black", "underexposed", "crushed", "dark", "background")
    family = "brightness"

    def compute(self, image: DecodedImage) -> float:
        return float(np.mean(channel_max(image) <= 0.08))


@register_measurement
class TonalEntropy(Measurement):
    """Shannon entropy (bits) of the 256-level luma histogram."""

    name = "tonal_entropy"
    more = "have more varied tones (higher luminance entropy)"
    less = "have fewer distinct tones (lower luminance entropy, e.g. flat or posterized)"
    keywords = ("entropy", "posterized", "posterised", "banding", "tones", "simple", "complex")
    family = "brightness"
    version = 2  # histogram from a 1/4 sample above 128 px

    def compute(self, image: DecodedImage) -> float:
        counts = gray_histogram(image).reshape(256, HIST_BINS // 256).sum(axis=1)
        total = counts.sum()
        if total == 0:
            return float("nan")
        p = counts[counts > 0] / total
        return float(-(p * np.log2(p)).sum())
