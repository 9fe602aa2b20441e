"""Detail and artefacts: sharpness, noise, compression blocks, pixelation, strokes, spots."""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from ..types import DecodedImage
from .base import Measurement, register_measurement
from .shared import (
    chroma,
    dark_strokes,
    gradient_magnitude,
    gray_u8,
    laplacian,
    light_strokes,
    luma_max5,
    luma_min5,
    saturation,
)

_NAN = float("nan")


def _too_small(image: DecodedImage, side: int = 3) -> bool:
    return image.gray.shape[0] < side or image.gray.shape[1] < side


@register_measurement
class Sharpness(Measurement):
    """log10(1 + variance of the luma Laplacian on the 0..255 scale); blur lowers it."""

    name = "sharpness"
    more = "are sharper"
    less = "are blurrier"
    keywords = ("sharp", "sharper", "blur", "blurry", "blurred", "soft", "focus", "crisp")
    property_names = ("sharpness", "focus", "blurriness")
    more_synonyms = ("sharper", "crisper", "more detailed", "in focus", "less blurry",
                     "more in focus", "higher sharpness", "sharp", "crisp", "more focused")
    less_synonyms = ("blurrier", "blurry", "more blurry", "more blurred", "blurred", "less sharp",
                     "out of focus", "unsharp", "softer", "fuzzier", "less detailed",
                     "lower sharpness", "less focused")
    family = "sharpness"

    def compute(self, image: DecodedImage) -> float:
        if _too_small(image):
            return _NAN
        variance = float(laplacian(image).var(dtype=np.float64)) * 255.0**2
        return math.log10(1.0 + variance)


@register_measurement
class NoiseLevel(Measurement):
    """Noise sigma (0..255 scale) from the robust spread of Immerkaer's high-pass residual.

    The 3x3 kernel [[1,-2,1],[-2,4,-2],[1,-2,1]] cancels smooth ramps; the median of
    its absolute response (x1.4826 / 6, the kernel's noise gain) ignores the minority of
    pixels on edges, which the original mean-based estimate counts as noise.
    """

    name = "noise_level"
    version = 1
    more = "are noisier (grainier)"
    less = "are cleaner (less noisy)"
    keywords = ("noise", "noisy", "grain", "grainy", "speckle", "clean", "iso")
    property_names = ("noise", "noise level", "graininess")
    more_synonyms = ("noisier", "more noise", "more noisy", "noisy", "grainier", "grainy",
                     "more grain", "more grainy", "higher noise")
    less_synonyms = ("less noisy", "less noise", "cleaner", "less grainy", "less grain",
                     "lower noise")
    family = "sharpness"

    def compute(self, image: DecodedImage) -> float:
        if _too_small(image):
            return _NAN
        g = image.gray
        # On large images the residual is evaluated at every other pixel only: a quarter
        # sample pins the median down just as well, for a quarter of the work.
        step = 2 if min(g.shape) - 2 > 128 else 1
        h, w = g.shape[0] - 2, g.shape[1] - 2

        def at(dy: int, dx: int) -> np.ndarray:
            return g[dy : dy + h : step, dx : dx + w : step]

        residual = (
            at(0, 0) + at(0, 2) + at(2, 0) + at(2, 2)
            - 2.0 * (at(0, 1) + at(1, 0) + at(1, 2) + at(2, 1))
            + 4.0 * at(1, 1)
        )
        return float(np.median(np.abs(residual))) * 1.4826 / 6.0 * 255.0


@register_measurement
class JpegBlockiness(Measurement):
    """Mean luma jump across 8-pixel grid lines divided by the mean jump elsewhere.

    About 1 without block artefacts, higher when 8x8 JPEG blocks show. Undefined (NaN)
    when the image was reduced for measuring, since the file's 8x8 grid is then gone.
    """

    name = "jpeg_blockiness"
    more = "show stronger JPEG compression blocks (8x8 artifacts)"
    less = "show weaker JPEG compression blocks (8x8 artifacts)"
    keywords = ("jpeg", "compression", "compressed", "artifacts", "artefacts", "blocky", "blocks")
    more_synonyms = ("more compressed", "compressed", "more compression", "jpeg artifacts",
                     "compression artifacts", "more jpeg artifacts", "more artifacts", "blockier",
                     "blocky", "more blocky", "more compression artifacts",
                     "stronger jpeg compression blocks")
    family = "compression"

    def compute(self, image: DecodedImage) -> float:
        g = image.gray
        if image.scale != 1.0 or g.shape[0] < 16 or g.shape[1] < 16:
            return _NAN
        ratios = []
        for diffs in (np.abs(np.diff(g, axis=1)), np.abs(np.diff(g, axis=0)).T):
            on_grid = np.zeros(diffs.shape[1], dtype=bool)
            on_grid[7::8] = True  # jump between column 8k+7 and 8k+8
            across = float(diffs[:, on_grid].mean(dtype=np.float64))
            within = float(diffs[:, ~on_grid].mean(dtype=np.float64))
            ratios.append((across + 1e-4) / (within + 1e-4))
        return float(np.mean(ratios))


@register_measurement
class EdgeDensity(Measurement):
    """Fraction of pixels on an edge (luma gradient above 0.05 per pixel)."""

    name = "edge_density"
    more = "have more edges (busier, more cluttered content)"
    less = "have fewer edges (plainer, less cluttered content)"
    keywords = ("edges", "busy", "cluttered", "clutter", "plain", "simple", "complex", "detail")
    family = "sharpness"

    def compute(self, image: DecodedImage) -> float:
        if _too_small(image):
            return _NAN
        return float(np.mean(gradient_magnitude(image) > 0.05))


@register_measurement
class DetailGradient(Measurement):
    """Mean luma gradient magnitude (0..255 scale per pixel): overall fine detail/texture."""

    name = "detail_gradient"
    more = "have more fine detail and texture"
    less = "are smoother (less fine detail and texture)"
    keywords = ("detail", "detailed", "texture", "textured", "smooth", "smoother", "fine")
    family = "sharpness"

    def compute(self, image: DecodedImage) -> float:
        if _too_small(image):
            return _NAN
        return float(gradient_magnitude(image).mean(dtype=np.float64)) * 255.0


# Block sizes tried; 4 and 8 are left to `jpeg_blockiness`, since JPEG's 8x8 grid (and its
# 2x2 chroma blocks) flatten whole blocks at low quality. Pixelation by 4 or 8 still shows
# through the grid of 2.
_PIXEL_BLOCKS = (2, 3, 5, 6, 7, 9, 10, 11, 12)


@register_measurement
class Pixelation(Measurement):
    """How strongly pixel changes line up on a regular block grid (nearest-neighbour upscaling).

    An image upscaled by repeating pixels k times has (near-)zero steps inside each k-pixel
    block and real steps only at block boundaries. For each block size k and each offset,
    the score compares the share of flat steps (exactly equal neighbours) inside blocks
    with the share at the boundaries; the best grid's gap, averaged over rows and columns,
    is the measurement. Natural, blurred or noisy images score near 0 whatever their
    sharpness, because their flat steps do not fall on a grid. NaN for a flat image.
    """

    name = "pixelation"
    version = 2
    more = "look more pixelated (blocky upscaling)"
    less = "look less pixelated"
    keywords = ("pixelated", "pixelation", "pixel", "pixels", "upscaled", "blocky", "mosaic")
    family = "sharpness"

    def compute(self, image: DecodedImage) -> float:
        q = gray_u8(image)
        h, w = q.shape
        # The interior only: frames and margins are flat along the edges, not on a grid.
        q = q[h // 8 : h - h // 8, w // 8 : w - w // 8]
        gaps = []
        for axis in (1, 0):  # steps along rows (a grid of columns), then along columns
            if q.shape[axis] < 8:
                return _NAN
            flat = np.diff(q, axis=axis) == 0
            flat_share = np.count_nonzero(flat, axis=1 - axis) / flat.shape[1 - axis]  # (W-1,)
            if flat_share.min() == 1.0:
                return _NAN  # no change at all (a flat image): no grid to find
            best = 0.0
            for k in _PIXEL_BLOCKS:
                n = (flat_share.size // k) * k
                if n < 2 * k:
                    break
                # (k,) mean flat share at each phase of a k-grid: one phase holds the boundaries.
                phases = flat_share[:n].reshape(-1, k).mean(axis=0)
                within = (phases.sum() - phases) / (k - 1)
                best = max(best, float((within - phases).max()))
            gaps.append(best)
        return float(np.mean(gaps))


_EDGE_RANGE_U8 = 20  # a 5x5 window spanning less than this is flat, not an edge
_EDGE_MIN_PIXELS = 20


@register_measurement
class EdgeSteepness(Measurement):
    """How abruptly edges rise: the 95th percentile, over edge pixels, of the luma step
    between a pixel's two neighbours divided by the luma range of its 5x5 window.

    A sharp edge climbs most of its local range within two pixels (ratio near 1); a
    blurred one spreads the climb over many. Dividing by the local range makes it
    independent of how much texture or contrast an image has, where the Laplacian's
    variance (``sharpness``) is not. NaN for images with almost no edges.
    """

    name = "edge_steepness"
    more = "have steeper, crisper edges"
    less = "have softer, more gradual edges"
    keywords = ("sharp", "sharper", "crisp", "blur", "blurry", "blurred", "soft", "focus",
                "edges", "smeared")
    family = "sharpness"

    def compute(self, image: DecodedImage) -> float:
        g = gray_u8(image)
        if g.shape[0] < 5 or g.shape[1] < 5:
            return _NAN
        # Images over 128 px a side are sampled on every other row and column: a quarter
        # of the edge pixels pins a percentile down as well, for a quarter of the work.
        k = 2 if min(g.shape) - 2 > 128 else 1
        h, w = g.shape[0] - 2, g.shape[1] - 2
        local_range = (luma_max5(image) - luma_min5(image))[1 : 1 + h : k, 1 : 1 + w : k]
        edges = local_range > _EDGE_RANGE_U8
        n_edges = int(edges.sum())
        if n_edges < _EDGE_MIN_PIXELS:
            return _NAN
        step_x = np.abs(g[1 : 1 + h : k, 2 : 2 + w : k] - g[1 : 1 + h : k, 0:w:k])
        step_y = np.abs(g[2 : 2 + h : k, 1 : 1 + w : k] - g[0:h:k, 1 : 1 + w : k])
        ratios = np.maximum(step_x, step_y)[edges] / local_range[edges].astype(np.float32)
        q = int(0.95 * (n_edges - 1))
        return float(np.partition(ratios, q)[q])


_STROKE_CONTRAST_U8 = 63  # 0.25 of the luma range


@register_measurement
class TextStrokes(Measurement):
    """Fraction of pixels on thin (<= 4 px) high-contrast strokes, light or dark.

    Black-hat (closing minus image) finds thin dark strokes, top-hat (image minus
    opening) thin light ones; text, captions, watermarks and line art are dense in both.
    """

    name = "text_strokes"
    more = "contain more text-like thin strokes (text, captions, watermarks or line art)"
    less = "contain fewer text-like thin strokes (text, captions, watermarks or line art)"
    keywords = ("text", "caption", "captions", "letters", "words", "watermark", "writing",
                "font", "subtitles", "labels", "lines", "drawing")
    version = 2
    family = "content"

    def compute(self, image: DecodedImage) -> float:
        # On the shared 0..255 integer luma: cheaper min/max filters than float32, and the
        # same luma array pixelation already made.
        if image.gray.shape[0] < 5 or image.gray.shape[1] < 5:
            return _NAN
        strokes = np.maximum(dark_strokes(image), light_strokes(image))
        return float(np.mean(strokes > _STROKE_CONTRAST_U8))


@register_measurement
class SaturatedBlobs(Measurement):
    """Percent of the image covered by small, vivid patches that differ from their surroundings.

    A pixel qualifies when it is strongly saturated and its colour is far from the local
    mean colour (box of 1/8 of the image side); qualifying pixels are grouped into
    8-connected patches and only small patches (at most 2% of the image) count, so a
    red sticker on a photo counts and a red wall does not.
    """

    name = "saturated_blobs"
    more = "contain more small, vivid color patches (spots, stickers or markers)"
    less = "contain fewer small, vivid color patches (spots, stickers or markers)"
    keywords = ("spot", "spots", "patch", "patches", "blob", "blobs", "sticker", "stickers",
                "marker", "markers", "dots", "stain", "vivid", "colored", "square", "rectangle")
    family = "content"

    def compute(self, image: DecodedImage) -> float:
        rgb = image.rgb
        height, width = rgb.shape[:2]
        vivid = (saturation(image) > 0.5) & (chroma(image) > 0.3)
        if not vivid.any():
            return 0.0
        block = max(4, min(height, width) // 8)
        rows, cols = -(-height // block), -(-width // block)
        # Squared distance of every pixel from the mean colour of its grid cell (a cheap
        # stand-in for a large box blur: a patch much smaller than a cell barely moves the
        # cell's mean), channel by channel, each channel viewed as (rows, block, cols, block)
        # so that the cell means broadcast without a full-size copy of them.
        distance2 = np.zeros((rows, block, cols, block), dtype=np.float32)
        for c in range(3):
            channel = rgb[..., c]
            if rows * block != height or cols * block != width:
                channel = np.pad(channel, ((0, rows * block - height), (0, cols * block - width)),
                                 mode="edge")
            cells = channel.reshape(rows, block, cols, block)
            means = cells.mean(axis=(1, 3), dtype=np.float32)  # (rows, cols)
            distance2 += (cells - means[:, None, :, None]) ** 2
        distance2 = distance2.reshape(rows * block, cols * block)[:height, :width]
        candidates = vivid & (distance2 > 0.2**2)
        labels, count = ndimage.label(candidates, structure=np.ones((3, 3), dtype=bool))
        if count == 0:
            return 0.0
        sizes = np.bincount(labels.ravel())[1:]
        small = (sizes >= 3) & (sizes <= 0.02 * height * width)
        return 100.0 * float(sizes[small].sum()) / (height * width)
