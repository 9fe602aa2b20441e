"""What each peer's property names mean to the benchmark judge (fixed before the first run).

``benchmarks/peers.py`` scores a peer's *naming* by turning its top-blamed property into the
measurement concept ``"<measurement>:<higher|lower>"`` of tellapart's measurement table and
handing that to the benchmark judge (:mod:`tellapart.bench.judge`, step 2, the table
:data:`tellapart.bench.lexicon.MEASUREMENT_TYPES`). This file says, for every property a
peer reports, which tellapart measurement says the same thing and with which sign:

* ``(measurement, +1)``: more of the peer's property in a set is a *higher* value of that
  measurement in the set (Deepchecks "Brightness" is ``brightness_mean``);
* ``(measurement, -1)``: more of the property is a *lower* value (CleanVision's "dark"
  issue is a lower ``brightness_mean``);
* ``None``: the property names no visual property the judge knows (image area, duplicates):
  a finding naming it never names a difference.

A measurement the judge's table maps to no difference type (``aspect_ratio``,
``megapixels``) is still written here, so the mapping stays a statement about meaning; the
judge then decides "no match". alibi-detect on tellapart's measurement table needs no
entry: its features *are* the measurements. alibi-detect on raw pixels names a pixel, which
names no property.
"""

from __future__ import annotations

PeerMapping = dict[str, tuple[str, int] | None]

DEEPCHECKS_PROPERTIES: PeerMapping = {
    # deepchecks.vision.utils.image_properties.default_image_properties (7 properties)
    "Aspect Ratio": ("aspect_ratio", +1),
    "Area": ("megapixels", +1),
    "Brightness": ("brightness_mean", +1),
    "RMS Contrast": ("contrast_std", +1),
    # Relative intensity = channel mean / sum of the three channel means: more red is a
    # warmer cast, more blue a cooler one, more green a green (vs magenta) tint.
    "Mean Red Relative Intensity": ("warm_cast", +1),
    "Mean Green Relative Intensity": ("green_magenta_cast", +1),
    "Mean Blue Relative Intensity": ("warm_cast", -1),
}
"""Deepchecks Vision image properties (ImagePropertyDrift and ImageDatasetDrift)."""

CLEANVISION_ISSUES: PeerMapping = {
    # cleanvision.Imagelab default issue types (0.3.7)
    "dark": ("brightness_mean", -1),
    "light": ("brightness_mean", +1),
    "blurry": ("sharpness", -1),
    # low entropy of the grayscale histogram: fewer tones
    "low_information": ("tonal_entropy", -1),
    # every pixel with equal channels
    "grayscale": ("neutral_fraction", +1),
    "odd_aspect_ratio": ("aspect_ratio", +1),
    "odd_size": ("megapixels", +1),
    "exact_duplicates": None,
    "near_duplicates": None,
}
"""CleanVision issue types: a set with a larger share of images flagged has "more" of it."""
