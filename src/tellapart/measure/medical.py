"""Measurements for medical images: annotations, wires, shutters, padding, field of view,
windowing, grey-scale polarity and central structures.

They form the ``"medical"`` group (:data:`~tellapart.measure.base.MEASUREMENT_GROUPS`): a
comparison measures them when its images are DICOM or NIfTI files (:func:`looks_medical`,
:data:`MEDICAL_FORMATS`) or when the ``medical_measurements`` setting is ``"on"``; ordinary
photographs are not measured with them. Noise (``noise_level``), uniform borders of any
colour (``border_width``), thin strokes anywhere (``text_strokes``) and near-black or
near-white areas belong to the general bank and serve medical images as they are.

Their keywords are words no general measurement uses, so a typed claim about a photograph
reads exactly as it did before this group existed.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
from scipy import ndimage

from ..types import DecodedImage
from .base import Measurement, register_measurement
from .layout import uniform_depths
from .shared import dark_strokes, gray_quantile, gray_u8, light_strokes, luma_min5, shared

_NAN = float("nan")

MEDICAL_FORMATS: frozenset[str] = frozenset({"DICOM", "NIfTI"})
"""``ImageRecord.format`` values of medical files."""

_NIFTI_MAGIC = (b"n+1\0", b"ni1\0", b"n+2\0", b"ni2\0")
_STROKE_CONTRAST_U8 = 63  # a stroke stands 0.25 of the luma range off its surroundings
_WIRE_CONTRAST_U8 = 25  # a wire stands 0.1 of the luma range above its surroundings
_WIRE_MIN_EXTENT = 0.25  # of the shorter side
_WIRE_MAX_WIDTH = 4.0  # pixels per pixel of extent
_BAND_BLACK = 0.1  # a uniform border band this dark is padding, anything lighter a shutter
_SPOT_CONTRAST_U8 = 38  # a spot is 0.15 of the luma range darker than the median


def looks_medical(data: bytes, path: str) -> bool:
    """True when a file's bytes or name say DICOM or NIfTI, as the readers find them.

    DICOM part-10 files carry ``DICM`` after a 128-byte preamble (or are named ``.dcm``);
    NIfTI-1/2 headers carry their magic at byte 344 (4 for NIfTI-2), inside gzip for
    ``.nii.gz``. A medical file this misses still gets the medical group: the features stage
    also reads the decoded format (:data:`MEDICAL_FORMATS`).
    """
    if data[128:132] == b"DICM":
        return True
    name = path.lower()
    if name.endswith((".dcm", ".nii", ".nii.gz")):
        return True
    head = data[:560]
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data[:4096], 560)
        except zlib.error:
            return False
    return head[344:348] in _NIFTI_MAGIC or head[4:8] in _NIFTI_MAGIC


# -- shared intermediate arrays ----------------------------------------------------------------


@shared
def _small_gray(image: DecodedImage) -> np.ndarray:
    """(h, w) luma, sampled on every other row and column above 256 px a side."""
    gray = image.gray
    return gray[::2, ::2] if min(gray.shape) > 256 else gray


@shared
def _border_bands(image: DecodedImage) -> list[tuple[float, float]]:
    """(depth as a fraction of the side, luma of the outermost line) of each side's uniform band."""
    depths = uniform_depths(image)
    if depths is None:
        return []
    gray = image.gray
    height, width = gray.shape
    sides = ((height, gray[0]), (height, gray[-1]), (width, gray[:, 0]), (width, gray[:, -1]))
    return [(depth / size, float(np.median(edge)))
            for depth, (size, edge) in zip(depths, sides, strict=True)]


@shared
def _dark_mask(image: DecodedImage) -> np.ndarray | None:
    """(h, w) bool: pixels darker than halfway between the 5th and 75th luma percentiles.

    None when the image has no such spread (a flat image has no dark structure).
    """
    low, high = gray_quantile(image, 0.05), gray_quantile(image, 0.75)
    if high - low < 0.05:
        return None
    return _small_gray(image) < 0.5 * (low + high)


def _mean_band_depth(image: DecodedImage, black: bool) -> float:
    """Mean depth over the four sides of the uniform bands whose outermost line is black
    (``black``: padding) or not (shutters), the others counting zero; NaN for a tiny image."""
    bands = _border_bands(image)
    if not bands:
        return _NAN
    return float(np.mean([depth if (level <= _BAND_BLACK) == black else 0.0
                          for depth, level in bands]))


def _box(array: np.ndarray, y0: float, y1: float, x0: float, x1: float) -> np.ndarray:
    """The part of ``array`` between fractions ``y0..y1`` of its height and ``x0..x1`` of its width."""
    h, w = array.shape[:2]
    return array[int(y0 * h) : max(int(y0 * h) + 1, int(y1 * h)),
                 int(x0 * w) : max(int(x0 * w) + 1, int(x1 * w))]


# -- measurements ----------------------------------------------------------------------------------


@register_measurement
class CornerAnnotation(Measurement):
    """Thin-stroke density of the busiest corner (a quarter of each side) minus the centre's.

    Burned-in text, laterality letters and other annotations sit in the corners of
    radiographs; anatomy fills the centre. Strokes are the black-hat and top-hat of the
    5x5 luma extremes (as ``text_strokes``) standing 0.25 of the range off their surroundings.
    """

    name = "corner_annotation"
    more = "carry more burned-in annotation (text or letters) in their corners"
    less = "carry less burned-in annotation (text or letters) in their corners"
    keywords = ("annotation", "annotations", "annotated", "burned-in", "burnt-in",
                "laterality", "overlay-text")
    family = "content"
    group = "medical"

    def compute(self, image: DecodedImage) -> float:
        if min(image.gray.shape) < 8:
            return _NAN
        strokes = np.maximum(dark_strokes(image), light_strokes(image)) > _STROKE_CONTRAST_U8
        corners = [_box(strokes, y, y + 0.25, x, x + 0.25) for y in (0.0, 0.75) for x in (0.0, 0.75)]
        centre = _box(strokes, 0.25, 0.75, 0.25, 0.75)
        return float(max(c.mean() for c in corners) - centre.mean())


@register_measurement
class ThinBrightLines(Measurement):
    """Total length of long, thin, bright curves (wires, tubes, catheters), per image side.

    Pixels at least 0.1 above their 5x5 opening (structures under 5 px wide) are grouped
    8-connected; a group counts when it spans at least a quarter of the shorter side and
    averages at most 4 px across. The score sums the spans, in units of the shorter side.
    """

    name = "thin_bright_lines"
    more = "show more thin bright lines (wires, tubes or catheters)"
    less = "show fewer thin bright lines (wires, tubes or catheters)"
    keywords = ("wire", "wires", "tube", "tubes", "catheter", "catheters", "lead", "leads",
                "line-like", "cable", "cables")
    family = "content"
    group = "medical"

    def compute(self, image: DecodedImage) -> float:
        side = min(image.gray.shape)
        if side < 8:
            return _NAN
        bright = light_strokes(image) > _WIRE_CONTRAST_U8
        labels, count = ndimage.label(bright, structure=np.ones((3, 3), dtype=bool))
        if count == 0:
            return 0.0
        extents, sizes = _long_group_extents(labels, count, math.ceil(_WIRE_MIN_EXTENT * side))
        return float(extents[sizes <= _WIRE_MAX_WIDTH * extents].sum()) / side


def _long_group_extents(
    labels: np.ndarray, count: int, min_extent: int
) -> tuple[np.ndarray, np.ndarray]:
    """(extents, sizes) of the labelled groups whose bounding box spans at least ``min_extent``
    pixels (its longer side), in label order; the sizes are their pixel counts.

    A connected group that spans ``min_extent`` pixels has at least that many, so only groups
    that large are located: vectorised over their pixels, which skips ``find_objects`` on
    thousands of specks of noise.
    """
    flat = labels.ravel()
    on = np.flatnonzero(flat)
    sizes = np.bincount(flat[on], minlength=count + 1)
    large = sizes >= min_extent
    large[0] = False
    on = on[large[flat[on]]]
    if on.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    group = flat[on]
    order = np.argsort(group, kind="stable")
    group, on = group[order], on[order]
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    rows, cols = np.divmod(on, labels.shape[1])
    height = np.maximum.reduceat(rows, starts) - np.minimum.reduceat(rows, starts) + 1
    width = np.maximum.reduceat(cols, starts) - np.minimum.reduceat(cols, starts) + 1
    extents = np.maximum(height, width)
    keep = extents >= min_extent
    return extents[keep], sizes[group[starts]][keep]


@register_measurement
class ShutterBorder(Measurement):
    """Mean depth of uniform, not-black bands along the four sides (collimation, shutters).

    A band is the run of lines from an edge inward that stay one colour (as ``border_width``);
    one whose outermost line is darker than 0.1 is padding and counts zero here.
    """

    name = "shutter_border"
    more = "have wider collimation or shutter bands (uniform light or grey borders)"
    less = "have narrower collimation or shutter bands (uniform light or grey borders)"
    keywords = ("collimation", "collimated", "collimator", "shutter", "shutters", "coned")
    family = "layout"
    group = "medical"

    def compute(self, image: DecodedImage) -> float:
        return _mean_band_depth(image, black=False)


@register_measurement
class BlackPadding(Measurement):
    """Mean depth of uniform black bands along the four sides (padding to a fixed shape)."""

    name = "black_padding"
    more = "have wider black padding along their sides"
    less = "have narrower black padding along their sides"
    keywords = ("pad", "letterboxing", "pillarbox", "pillarboxed", "zero-padded", "black-padded")
    family = "layout"
    group = "medical"

    def compute(self, image: DecodedImage) -> float:
        return _mean_band_depth(image, black=True)


@register_measurement
class FieldOfView(Measurement):
    """Share of the frame the subject covers: pixels on the other side of an Otsu threshold
    from most of the outermost ring (the background), after 3x3 smoothing."""

    name = "field_of_view"
    more = "have the subject filling more of the frame (a tighter field of view or magnification)"
    less = "have the subject filling less of the frame (a wider field of view)"
    keywords = ("field-of-view", "fov", "magnified", "magnification", "coverage", "fills")
    family = "layout"
    group = "medical"

    def compute(self, image: DecodedImage) -> float:
        gray = ndimage.uniform_filter(_small_gray(image), 3)
        if min(gray.shape) < 8:
            return _NAN
        threshold = _otsu(gray)
        if threshold is None:
            return 0.0
        above = gray > threshold
        ring = np.concatenate([above[0], above[-1], above[:, 0], above[:, -1]])
        subject = ~above if ring.mean() > 0.5 else above
        return float(subject.mean())


def _histogram64(gray: np.ndarray) -> np.ndarray:
    """``np.histogram(gray, bins=64, range=(0, 1))``'s counts, by integer binning: the edges
    are multiples of 1/64, so ``floor(64 x)`` is exactly the bin (1.0 in the last, values
    outside [0, 1] left out, as there)."""
    flat = gray.ravel()
    inside = flat[(flat >= 0.0) & (flat <= 1.0)]
    bins = np.minimum((inside.astype(np.float64) * 64.0).astype(np.intp), 63)
    return np.bincount(bins, minlength=64)


def _otsu(gray: np.ndarray) -> float | None:
    """Otsu's threshold of ``gray`` (64 bins), or None when it has a single level."""
    counts = _histogram64(gray)
    if np.count_nonzero(counts) < 2:
        return None
    p = counts / counts.sum()
    edges = np.linspace(0.0, 1.0, 65)
    centres = 0.5 * (edges[:-1] + edges[1:])
    w0 = np.cumsum(p)
    m0 = np.cumsum(p * centres)
    total = m0[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (total * w0 - m0) ** 2 / (w0 * (1.0 - w0))
    between[~np.isfinite(between)] = -1.0
    return float(edges[int(np.argmax(between)) + 1])


@register_measurement
class ClippedFraction(Measurement):
    """Fraction of pixels at the very ends of the range (luma <= 0.5/255 or >= 254.5/255).

    A narrow display window (or an over- or under-exposure the detector could not hold)
    piles pixels up at pure black and pure white.
    """

    name = "clipped_fraction"
    more = "have more clipped pixels (pure black or pure white, a narrow window)"
    less = "have fewer clipped pixels (pure black or pure white)"
    keywords = ("clipping", "clip", "saturation-clipped", "window", "windowing", "windowed")
    family = "brightness"
    group = "medical"

    def compute(self, image: DecodedImage) -> float:
        gray = _small_gray(image)
        return float(np.mean((gray <= 0.5 / 255.0) | (gray >= 254.5 / 255.0)))


@register_measurement
class ToneSkewness(Measurement):
    """Skewness of the luma histogram: positive when a dark mass has a tail of bright
    pixels, negative when a light mass has a tail of dark ones (0 on a flat image)."""

    name = "tone_skewness"
    more = "have a tone histogram skewed toward a tail of bright values"
    less = "have a tone histogram skewed toward a tail of dark values"
    keywords = ("skew", "skewed", "skewness", "histogram", "asymmetric")
    family = "brightness"
    group = "medical"

    def compute(self, image: DecodedImage) -> float:
        gray = _small_gray(image).astype(np.float64)
        spread = gray.std()
        if spread < 1e-6:
            return 0.0
        z = (gray - gray.mean()) / spread
        return float(np.mean(z * z * z))  # z * z * z: several times faster than z ** 3


@register_measurement
class BackgroundPolarity(Measurement):
    """Median luma of the four corners (15% of each side) minus the median luma of the image.

    Radiographs and scans show a dark background (air, outside the body) around lighter
    anatomy, and the corners hold background; an inverted grey scale (MONOCHROME1 shown as
    stored, or a negative) turns it light. The corners are taken inside any uniform border
    bands (as ``shutter_border`` and ``black_padding`` find them), which are not background.
    """

    name = "background_polarity"
    version = 3
    more = "have a lighter background than their content (an inverted grey scale)"
    less = "have a darker background than their content (a standard grey scale)"
    keywords = ("polarity", "monochrome1", "reversed-polarity", "negative-mode", "inverse")
    family = "brightness"
    group = "medical"

    def compute(self, image: DecodedImage) -> float:
        gray = _small_gray(image)
        h, w = gray.shape
        bands = _border_bands(image)
        if not bands:
            return _NAN
        # Inside the uniform bands: collimation and padding are not background.
        top, bottom, left, right = (int(d * n) for (d, _), n in zip(bands, (h, h, w, w), strict=True))
        inner = gray[top : max(top + 1, h - bottom), left : max(left + 1, w - right)]
        k = max(1, int(0.15 * min(inner.shape)))
        corners = np.concatenate([inner[:k, :k].ravel(), inner[:k, -k:].ravel(),
                                  inner[-k:, :k].ravel(), inner[-k:, -k:].ravel()])
        return float(np.median(corners) - np.median(gray))


@register_measurement
class CentralBrightArea(Measurement):
    """Share of the central half (each side) brighter than halfway between the image's median
    and its 99.5th luma percentile: a wider heart and mediastinum, as AP views magnify them."""

    name = "central_bright_area"
    more = "have larger bright central structures (such as the heart and mediastinum)"
    less = "have smaller bright central structures (such as the heart and mediastinum)"
    keywords = ("mediastinum", "mediastinal", "cardiac", "heart", "silhouette", "cardiomegaly")
    family = "content"
    group = "medical"

    def compute(self, image: DecodedImage) -> float:
        low, high = gray_quantile(image, 0.5), gray_quantile(image, 0.995)
        if high - low < 0.05:
            return 0.0
        return float((_box(_small_gray(image), 0.25, 0.75, 0.25, 0.75) > 0.5 * (low + high)).mean())


@register_measurement
class CentralDarkArea(Measurement):
    """Share of the central half (each side) darker than halfway between the image's 5th and
    75th luma percentiles: enlarged ventricles, a wider dark lesion."""

    name = "central_dark_area"
    more = "have larger dark central structures (such as ventricles or a lesion)"
    less = "have smaller dark central structures (such as ventricles or a lesion)"
    keywords = ("ventricle", "ventricles", "ventricular", "atrophy", "central", "lesion",
                "lesions")
    family = "content"
    group = "medical"

    def compute(self, image: DecodedImage) -> float:
        dark = _dark_mask(image)
        if dark is None:
            return 0.0
        return float(_box(dark, 0.25, 0.75, 0.25, 0.75).mean())


@register_measurement
class DarkRegionBlueness(Measurement):
    """Mean blue minus red of the dark region (the mask of ``central_dark_area``): negative
    for a brown lesion, rising as it turns blue-grey (a blue-white veil). 0 without one."""

    name = "dark_region_blueness"
    more = "have bluer dark regions (a blue-grey lesion)"
    less = "have browner dark regions (a brown lesion)"
    keywords = ("blue-grey", "blue-gray", "blue-white", "veil", "slate", "steel-blue")
    family = "color"
    group = "medical"

    def compute(self, image: DecodedImage) -> float:
        dark = _dark_mask(image)
        if dark is None or not dark.any():
            return 0.0
        rgb = image.rgb[::2, ::2] if min(image.gray.shape) > 256 else image.rgb
        return float((rgb[..., 2][dark] - rgb[..., 0][dark]).mean(dtype=np.float64))


@register_measurement
class OutlineIrregularity(Measurement):
    """Isoperimetric ratio (perimeter^2 / 4 pi area, 1 for a disc) of the largest dark region.

    The dark mask of ``central_dark_area``, opened 3x3 against noise; a ragged, notched lesion
    border raises it. NaN when the image has no dark region of at least 1% of its area.
    """

    name = "outline_irregularity"
    more = "have more irregular outlines of their main dark region (a ragged lesion border)"
    less = "have smoother outlines of their main dark region (a regular lesion border)"
    keywords = ("irregular", "irregularity", "ragged", "jagged", "notched", "outline-shape")
    family = "content"
    group = "medical"

    def compute(self, image: DecodedImage) -> float:
        dark = _dark_mask(image)
        if dark is None:
            return _NAN
        dark = _open3(dark)
        labels, count = ndimage.label(dark)
        if count == 0:
            return _NAN
        sizes = np.bincount(labels.ravel())[1:]
        largest = int(np.argmax(sizes))
        if sizes[largest] < 0.01 * dark.size:
            return _NAN
        region = labels == largest + 1
        edge = region & ~_erode_cross(region)
        return float(edge.sum() ** 2 / (4.0 * np.pi * sizes[largest]))


def _median_u8(values: np.ndarray) -> float:
    """``np.median`` of integers in 0..255, exactly, from their counts (no sort)."""
    counts = np.bincount(values.ravel(), minlength=256)
    cumulative = np.cumsum(counts)
    n = int(cumulative[-1])
    # The values of rank n // 2 and (n - 1) // 2: equal for odd n, averaged for even n.
    upper = int(np.searchsorted(cumulative, n // 2 + 1))
    lower = int(np.searchsorted(cumulative, (n - 1) // 2 + 1))
    return 0.5 * (lower + upper)


def _shift_and(mask: np.ndarray, axis: int) -> np.ndarray:
    """``mask`` and its two neighbours along ``axis`` all set (outside the image is empty)."""
    work = mask if axis == 0 else mask.T
    out = work.copy()
    out[0] = out[-1] = False
    out[1:-1] &= work[:-2] & work[2:]
    return out if axis == 0 else out.T


def _shift_or(mask: np.ndarray, axis: int) -> np.ndarray:
    """``mask`` or either of its two neighbours along ``axis`` set."""
    work = mask if axis == 0 else mask.T
    out = work.copy()
    out[1:] |= work[:-1]
    out[:-1] |= work[1:]
    return out if axis == 0 else out.T


def _erode3(mask: np.ndarray) -> np.ndarray:
    """3x3 binary erosion, outside the image counting as empty: ``ndimage.binary_erosion``'s
    result with a square structure, from separable shifted ANDs (several times faster)."""
    return _shift_and(_shift_and(mask, 0), 1)


def _erode_cross(mask: np.ndarray) -> np.ndarray:
    """Binary erosion by the 3x3 cross (``ndimage.binary_erosion``'s default structure), outside
    the image counting as empty: a pixel stays when it and its four neighbours are set."""
    out = mask.copy()
    out[0, :] = out[-1, :] = False
    out[:, 0] = out[:, -1] = False
    out[1:-1, 1:-1] &= mask[:-2, 1:-1] & mask[2:, 1:-1] & mask[1:-1, :-2] & mask[1:-1, 2:]
    return out


def _open3(mask: np.ndarray) -> np.ndarray:
    """3x3 binary opening (``ndimage.binary_opening`` with a square structure), likewise."""
    return _shift_or(_shift_or(_erode3(mask), 0), 1)


@register_measurement
class SmallDarkSpots(Measurement):
    """Small dark spots per 10,000 pixels: pixels that are the minimum of their 5x5
    neighbourhood and at least 0.15 darker than the median luma (cell nuclei in a
    microscopy field, dots in a fundus); touching spots still count one each."""

    name = "small_dark_spots"
    more = "contain more small dark spots (a denser field of cells or nuclei)"
    less = "contain fewer small dark spots (a sparser field of cells or nuclei)"
    keywords = ("cells", "cell", "nuclei", "nucleus", "cellularity", "density", "dense")
    family = "content"
    group = "medical"

    def compute(self, image: DecodedImage) -> float:
        g = gray_u8(image)
        if min(g.shape) < 5:
            return _NAN
        median = _median_u8(g[::2, ::2])
        spots = (g == luma_min5(image)) & (g < median - _SPOT_CONTRAST_U8)
        labels, count = ndimage.label(spots, structure=np.ones((3, 3), dtype=bool))
        return float(count) * 10_000.0 / g.size
