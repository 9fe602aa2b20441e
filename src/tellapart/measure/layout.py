"""Where light falls in the frame: borders, vignetting, top/bottom and left/right balance."""

from __future__ import annotations

import numpy as np

from ..types import DecodedImage
from .base import Measurement, register_measurement
from .shared import shared

_NAN = float("nan")
# A border line is a row/column whose pixels (95% of them, tolerating JPEG ringing) are
# within this distance of the outermost line's median colour.
_BORDER_TOLERANCE = 0.06
_BORDER_COVERAGE = 0.95
_BORDER_MAX_FRACTION = 0.35
_FRAME_STEP = 0.1
_FRAME_SMOOTH = 9


def _uniform_depth(lines: np.ndarray) -> int:
    """How many leading lines of ``lines`` (L, N, 3) match the first line's median colour.

    Lines are checked in growing blocks, so an image without a border costs one line.
    """
    reference = np.median(lines[0], axis=0)
    depth, block = 0, 1
    while depth < len(lines):
        chunk = lines[depth : depth + block]
        # Channel by channel: numpy reduces a length-3 last axis slowly.
        close = np.abs(chunk[..., 0] - reference[0]) <= _BORDER_TOLERANCE  # (b, N)
        close &= np.abs(chunk[..., 1] - reference[1]) <= _BORDER_TOLERANCE
        close &= np.abs(chunk[..., 2] - reference[2]) <= _BORDER_TOLERANCE
        uniform = close.mean(axis=1) >= _BORDER_COVERAGE
        if not uniform.all():
            return depth + int(np.argmin(uniform))
        depth += len(chunk)
        block = min(2 * block, 64)
    return depth


@shared
def uniform_depths(image: DecodedImage) -> tuple[int, int, int, int] | None:
    """Lines of uniform colour from the top, bottom, left and right edges inward (each side
    looked at up to 35% deep), or None for an image under 3 px a side. Shared by
    ``border_width`` and the medical group's shutter and padding bands."""
    rgb = image.rgb
    height, width = rgb.shape[:2]
    if height < 3 or width < 3:
        return None
    max_rows = max(1, int(height * _BORDER_MAX_FRACTION))
    max_cols = max(1, int(width * _BORDER_MAX_FRACTION))
    return (_uniform_depth(rgb[:max_rows]), _uniform_depth(rgb[::-1][:max_rows]),
            _uniform_depth(np.swapaxes(rgb[:, :max_cols], 0, 1)),
            _uniform_depth(np.swapaxes(rgb[:, ::-1][:, :max_cols], 0, 1)))


@register_measurement
class BorderWidth(Measurement):
    """Mean width of uniform margins over the four sides, as a fraction of the image size.

    Each side counts rows/columns from the edge inward while they stay one uniform
    colour (up to 35% of the image); a letterbox, frame or padding raises it.
    """

    name = "border_width"
    more = "have wider uniform borders or frames"
    less = "have narrower uniform borders or frames (or none)"
    keywords = ("border", "borders", "frame", "frames", "framed", "margin", "margins",
                "padding", "letterbox", "letterboxed", "bars", "matte")
    more_synonyms = ("framed", "have borders", "have a border", "have frames", "have a frame",
                     "bordered", "more borders", "more frames", "frame", "border", "borders",
                     "frames", "letterboxed", "padded")
    family = "layout"

    def compute(self, image: DecodedImage) -> float:
        depths = uniform_depths(image)
        if depths is None:
            return _NAN
        height, width = image.rgb.shape[:2]
        top, bottom, left, right = (d / n for d, n in zip(depths, (height, height, width, width),
                                                          strict=True))
        return float((top + bottom + left + right) / 4.0)


@register_measurement
class FrameLines(Measurement):
    """How completely a straight edge parallel to each side runs along all four sides.

    A frame, inset border line or semi-transparent margin ends at a straight edge, at the same
    depth along the whole length of each side. For each side and each depth within the outer
    band (12% of the size) the measurement takes the share of positions along the side where
    the colour, averaged over 9 positions along the side, steps by more than 0.1 between
    neighbouring lines; a natural scene's steps
    are scattered, a frame's line up. The score is the weakest side's best depth, so a horizon
    or a table edge on one side alone does not count.
    """

    name = "frame_lines"
    version = 3
    more = "have a frame or border line around their edges more often"
    less = "have a frame or border line around their edges less often"
    keywords = ("border", "borders", "frame", "frames", "framed", "edge", "edges", "outline",
                "margin", "surrounded")
    family = "layout"

    def compute(self, image: DecodedImage) -> float:
        rgb = image.rgb
        height, width = rgb.shape[:2]
        band = max(2, round(0.12 * min(height, width)))
        if height < 3 * band or width < 3 * band:
            return _NAN
        # Over 128 px a side, every other position along a side is used (depth keeps every
        # line, so a 1 px frame line still shows): the share of positions is the same, for
        # half of the work.
        k = 2 if min(height, width) > 128 else 1
        sides = (
            rgb[: band + 1, ::k],  # (band+1, W/k, 3) rows from the top inward
            rgb[::-1][: band + 1, ::k],
            np.swapaxes(rgb[::k, : band + 1], 0, 1),  # (band+1, H/k, 3) columns from the left
            np.swapaxes(rgb[::k, ::-1][:, : band + 1], 0, 1),
        )
        best = []
        for lines in sides:
            # Averaging along the side keeps an edge that runs along it and cancels noise
            # (a running mean of the line-to-line differences, by cumulative sums: fast).
            diffs = np.diff(lines, axis=0)  # (band, N, 3)
            csum = np.cumsum(diffs, axis=1, dtype=np.float32)
            smooth = (csum[:, _FRAME_SMOOTH:] - csum[:, :-_FRAME_SMOOTH]) / _FRAME_SMOOTH
            smooth = np.abs(smooth)
            # Pairwise maxima: numpy reduces a length-3 last axis slowly.
            steps = np.maximum(np.maximum(smooth[..., 0], smooth[..., 1]), smooth[..., 2])
            best.append(float((steps > _FRAME_STEP).mean(axis=1).max()))
        return min(best)


@register_measurement
class Vignetting(Measurement):
    """Mean luma of the central region minus the mean luma of the four corners."""

    name = "vignetting"
    more = "have stronger vignetting (corners darker than the center)"
    less = "have weaker vignetting (corners as bright as the center)"
    keywords = ("vignette", "vignetting", "corners", "corner", "center", "centre", "falloff")
    property_names = ("vignetting",)
    more_synonyms = ("vignetted", "stronger vignetting", "vignette", "vignetting",
                     "more vignetting", "dark corners", "darker corners", "darker edges",
                     "dark edges")
    family = "layout"

    def compute(self, image: DecodedImage) -> float:
        g = image.gray
        height, width = g.shape
        if height < 5 or width < 5:
            return _NAN
        ch, cw = max(1, height // 5), max(1, width // 5)
        corners = np.concatenate(
            [
                g[:ch, :cw].ravel(),
                g[:ch, -cw:].ravel(),
                g[-ch:, :cw].ravel(),
                g[-ch:, -cw:].ravel(),
            ]
        )
        centre = g[height // 3 : height - height // 3, width // 3 : width - width // 3]
        return float(centre.mean(dtype=np.float64) - corners.mean(dtype=np.float64))


@register_measurement
class TopBottomBalance(Measurement):
    """Mean luma of the top half minus the bottom half."""

    name = "top_bottom_balance"
    more = "are brighter at the top relative to the bottom"
    less = "are brighter at the bottom relative to the top"
    keywords = ("top", "bottom", "upper", "lower", "sky", "gradient", "half")
    family = "layout"

    def compute(self, image: DecodedImage) -> float:
        g = image.gray
        half = g.shape[0] // 2
        if half == 0:
            return _NAN
        return float(g[:half].mean(dtype=np.float64) - g[-half:].mean(dtype=np.float64))


@register_measurement
class LeftRightBalance(Measurement):
    """Mean luma of the left half minus the right half."""

    name = "left_right_balance"
    more = "are brighter on the left relative to the right"
    less = "are brighter on the right relative to the left"
    keywords = ("left", "right", "side", "sides", "half", "lit")
    family = "layout"

    def compute(self, image: DecodedImage) -> float:
        g = image.gray
        half = g.shape[1] // 2
        if half == 0:
            return _NAN
        return float(g[:, :half].mean(dtype=np.float64) - g[:, -half:].mean(dtype=np.float64))
