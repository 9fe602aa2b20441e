"""What the file says about itself: size, shape, format, depth, transparency."""

from __future__ import annotations

from ..types import DecodedImage
from .base import Measurement, register_measurement

_GRAYSCALE_MODES = frozenset({"1", "L", "LA", "La", "I", "F", "I;16", "I;16B", "I;16L", "I;16N"})


@register_measurement
class Width(Measurement):
    """File width in pixels (after EXIF orientation)."""

    name = "width"
    more = "are wider in pixels"
    less = "are narrower in pixels"
    keywords = ("width", "wide", "wider", "narrow", "narrower", "size", "resolution")
    family = "file"

    def compute(self, image: DecodedImage) -> float:
        return float(image.record.width)


@register_measurement
class Height(Measurement):
    """File height in pixels (after EXIF orientation)."""

    name = "height"
    more = "are taller in pixels"
    less = "are shorter in pixels"
    keywords = ("height", "tall", "taller", "short", "shorter", "size", "resolution")
    family = "file"

    def compute(self, image: DecodedImage) -> float:
        return float(image.record.height)


@register_measurement
class AspectRatio(Measurement):
    """Width divided by height (after EXIF orientation)."""

    name = "aspect_ratio"
    more = "have wider, more landscape-shaped proportions"
    less = "have taller, more portrait-shaped proportions"
    keywords = ("aspect", "ratio", "landscape", "portrait", "square", "panorama", "shape",
                "orientation")
    property_names = ("aspect ratio", "aspect ratios", "proportions")
    family = "file"

    def compute(self, image: DecodedImage) -> float:
        return image.record.width / image.record.height


@register_measurement
class Megapixels(Measurement):
    """Pixel count in millions."""

    name = "megapixels"
    more = "have more pixels (higher resolution)"
    less = "have fewer pixels (lower resolution)"
    keywords = ("resolution", "megapixels", "pixels", "size", "large", "small", "bigger",
                "smaller", "low-res", "hi-res", "thumbnail", "thumbnails")
    more_synonyms = ("larger", "bigger", "higher resolution", "more pixels", "larger images",
                     "bigger images")
    less_synonyms = ("smaller", "lower resolution", "fewer pixels", "smaller images", "tiny")
    family = "file"

    def compute(self, image: DecodedImage) -> float:
        return image.record.width * image.record.height / 1e6


@register_measurement
class FileSizeKiB(Measurement):
    """File size in KiB."""

    name = "file_size_kib"
    more = "are larger files (more bytes)"
    less = "are smaller files (fewer bytes)"
    keywords = ("file", "bytes", "kb", "mb", "heavy", "light", "filesize")
    property_names = ("file size", "file sizes")
    family = "file"

    def compute(self, image: DecodedImage) -> float:
        return image.record.file_size / 1024.0


@register_measurement
class BitsPerPixel(Measurement):
    """File bits per pixel: low means strong compression (or very simple content)."""

    name = "bits_per_pixel"
    more = "are stored with more bits per pixel (less compressed)"
    less = "are stored with fewer bits per pixel (more compressed)"
    keywords = ("compression", "compressed", "bitrate", "quality", "bits", "bpp")
    more_synonyms = ("less compressed", "less compression", "fewer artifacts",
                     "fewer jpeg artifacts", "fewer compression artifacts")
    family = "file"

    def compute(self, image: DecodedImage) -> float:
        return image.record.file_size * 8.0 / (image.record.width * image.record.height)


@register_measurement
class IsJpeg(Measurement):
    """1 for JPEG files (including camera MPO JPEGs), 0 otherwise."""

    name = "is_jpeg"
    more = "are more often JPEG files"
    less = "are less often JPEG files"
    keywords = ("jpeg", "jpg", "format", "lossy")
    family = "file"

    def compute(self, image: DecodedImage) -> float:
        return 1.0 if image.record.format in ("JPEG", "MPO") else 0.0


@register_measurement
class IsPng(Measurement):
    """1 for PNG files, 0 otherwise."""

    name = "is_png"
    more = "are more often PNG files"
    less = "are less often PNG files"
    keywords = ("png", "format", "lossless")
    family = "file"

    def compute(self, image: DecodedImage) -> float:
        return 1.0 if image.record.format == "PNG" else 0.0


@register_measurement
class BitDepth(Measurement):
    """Bits per channel in the file (1, 8, 16 or 32)."""

    name = "bit_depth"
    more = "have a higher bit depth (more bits per channel)"
    less = "have a lower bit depth (fewer bits per channel)"
    keywords = ("bit", "depth", "16-bit", "8-bit", "hdr", "precision")
    family = "file"

    def compute(self, image: DecodedImage) -> float:
        return float(image.record.bit_depth)


@register_measurement
class HasAlpha(Measurement):
    """1 when the file has an alpha channel or a transparent colour, 0 otherwise."""

    name = "has_alpha"
    more = "more often have transparency (an alpha channel)"
    less = "less often have transparency (an alpha channel)"
    keywords = ("alpha", "transparent", "transparency", "cutout", "rgba")
    family = "file"

    def compute(self, image: DecodedImage) -> float:
        return 0.0 if image.alpha is None else 1.0


@register_measurement
class GrayscaleFile(Measurement):
    """1 when the file stores a single gray channel (modes 1, L, LA, I;16, I, F)."""

    name = "grayscale_file"
    more = "are more often stored as single-channel grayscale files"
    less = "are less often stored as single-channel grayscale files"
    keywords = ("grayscale", "greyscale", "gray", "grey", "channel", "mode", "monochrome")
    family = "file"

    def compute(self, image: DecodedImage) -> float:
        return 1.0 if image.record.mode in _GRAYSCALE_MODES else 0.0


@register_measurement
class Animated(Measurement):
    """1 for files with more than one frame (animated GIF/WebP/PNG, multi-page TIFF)."""

    name = "animated"
    more = "are more often animated or multi-frame files"
    less = "are less often animated or multi-frame files"
    keywords = ("animated", "animation", "gif", "frames", "multi-page", "multipage")
    family = "file"

    def compute(self, image: DecodedImage) -> float:
        return 1.0 if image.record.n_frames > 1 else 0.0

