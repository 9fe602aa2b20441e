"""Decoding files into float RGB arrays that every measurement can rely on.

Any readable image (JPEG, PNG, BMP, TIFF, WebP, GIF, ... in any PIL mode, DICOM and NIfTI:
:mod:`tellapart.io.dicom`, :mod:`tellapart.io.nifti`, picked by their signatures) becomes
``(H, W, 3)`` float32 in [0, 1] with EXIF orientation applied, transparency composited
over white, 16-bit precision kept, and very large images box-reduced to at most
:data:`MAX_WORKING_SIDE` pixels on their longest side. Whatever goes wrong with one file
becomes a :class:`BadImageError` with a reason a person can act on.
"""

from __future__ import annotations

import hashlib
import io
import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..types import DecodedImage, ImageRecord
from .errors import BadImageError, check_image_size
from .medical import MedicalPixels, current_reader_options, is_dicom, is_nifti

MAX_WORKING_SIDE = 1024
"""Longest side, in pixels, of the arrays measurements see; larger images are box-reduced."""

DEFAULT_MAX_PIXELS = 100_000_000
"""Images whose header claims more pixels are refused before any pixel is decoded."""

DECODER_VERSION = 2
"""Bump whenever decoding changes what measurements see: cached values keyed on it expire."""

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_EXIF_ORIENTATION_TAG = 0x0112
_SIXTEEN_BIT_GRAY_MODES = ("I;16", "I;16B", "I;16L", "I;16N")
_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")
# Rows of output processed at once when reducing arrays, so big 16-bit images need
# a strip of float memory, not a whole float copy.
_REDUCE_STRIP_ROWS = 128


def read_file(path: str) -> bytes:
    """All bytes of ``path``.

    Raises
    ------
    BadImageError
        With reason "file not found", "is a directory", "permission denied" or
        "cannot read file: ..." so the file is skipped with that reason.
    """
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise BadImageError("file not found") from None
    except IsADirectoryError:
        raise BadImageError("is a directory") from None
    except PermissionError:
        raise BadImageError("permission denied") from None
    except OSError as exc:
        raise BadImageError(f"cannot read file: {exc.strerror or exc}") from None


def content_hash(data: bytes) -> str:
    """sha256 hex digest of ``data``: the cache key of a file's content."""
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: str | Path) -> str:
    """sha256 hex digest of a file's bytes, read in 1 MiB chunks (weights, concept files)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def decode_image(
    data: bytes, path: str, set_name: str, *, max_pixels: int = DEFAULT_MAX_PIXELS
) -> DecodedImage:
    """Decode the bytes of one file into a :class:`~tellapart.types.DecodedImage`.

    Parameters
    ----------
    data : bytes
        The whole file.
    path : str
        Where it came from (kept in the record, used in messages).
    set_name : str
        "A" or "B".
    max_pixels : int
        Images whose header claims more pixels than this are refused as possible
        decompression bombs before their pixels are decoded.

    Returns
    -------
    DecodedImage
        ``rgb`` (H, W, 3) float32 in [0, 1] (EXIF-oriented, alpha composited over white,
        reduced so the longest side is at most :data:`MAX_WORKING_SIDE`), ``alpha`` when
        the file has an alpha channel or transparency, ``scale`` = working / file size.
        ``record.width``/``record.height`` are the file's size after EXIF orientation.

    Raises
    ------
    BadImageError
        Empty, truncated, corrupt, non-image, unsupported or oversized data.
    """
    if len(data) == 0:
        raise BadImageError("empty file (0 bytes)")
    medical = read_medical(data, path, max_pixels)
    if medical is not None:
        return _medical_decoded(medical, data, path, set_name)
    with _pil_pixel_limit(max_pixels):
        img = _open(data, max_pixels, path)
        width, height = img.size
        check_image_size(width, height, max_pixels)
        file_format = img.format or "unknown"
        file_mode = img.mode
        orientation = _orientation(img)
        bit_depth = _bit_depth(img, data)
        n_frames = _n_frames(img)
        try:
            rgb, alpha = _working_arrays(img, data, bit_depth)
        except BadImageError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise BadImageError(_bomb_reason(max_pixels)) from None
        except MemoryError:
            raise BadImageError("too large to decode in the available memory") from None
        except Exception as exc:  # PIL raises many types on damaged data; all mean "corrupt"
            raise BadImageError(f"truncated or corrupt image data: {_describe(exc)}") from None
    rgb = _orient(rgb, orientation)
    if alpha is not None:
        alpha = _orient(alpha, orientation)
    file_w, file_h = (height, width) if orientation in (5, 6, 7, 8) else (width, height)
    record = _record(data, path, set_name, (file_w, file_h), file_format, file_mode, bit_depth,
                     n_frames)
    return _decoded(record, rgb, alpha)


def _record(data: bytes, path: str, set_name: str, size: tuple[int, int], file_format: str,
            mode: str, bit_depth: int, n_frames: int) -> ImageRecord:
    """The record of a decoded file; ``size`` is (width, height) as the image is shown."""
    return ImageRecord(path=path, set_name=set_name, content_hash=content_hash(data),
                       file_size=len(data), width=size[0], height=size[1], format=file_format,
                       mode=mode, bit_depth=bit_depth, n_frames=n_frames)


def _decoded(record: ImageRecord, rgb: np.ndarray, alpha: np.ndarray | None) -> DecodedImage:
    """``rgb`` of ``record`` with its scale: working size over file size (longest sides)."""
    scale = max(rgb.shape[0], rgb.shape[1]) / max(record.width, record.height)
    return DecodedImage(record=record, rgb=rgb, alpha=alpha, scale=float(scale))


def read_medical(data: bytes, path: str, max_pixels: int) -> MedicalPixels | None:
    """The 2-D image of DICOM or NIfTI ``data`` (under the reader options in force), or None
    when ``data`` is neither (by signature, or by a ``.dcm``/``.nii[.gz]`` name).

    Raises
    ------
    BadImageError
        A DICOM or NIfTI file that cannot be used, with the reason.
    """
    if is_dicom(data, path):
        from .dicom import read_dicom

        return read_dicom(data, current_reader_options(), max_pixels)
    if is_nifti(data, path):
        from .nifti import read_nifti

        return read_nifti(data, current_reader_options(), max_pixels)
    return None


def _medical_decoded(medical: MedicalPixels, data: bytes, path: str, set_name: str) -> DecodedImage:
    """A :class:`DecodedImage` of a DICOM/NIfTI image, box-reduced to the working size."""
    pixels = medical.pixels if medical.pixels.ndim == 3 else medical.pixels[..., None]
    height, width = pixels.shape[:2]
    reduced = _box_reduce(pixels, *_reduction(width, height), 1.0)
    rgb = reduced if reduced.shape[2] == 3 else np.repeat(reduced, 3, axis=2)
    record = replace(_record(data, path, set_name, (width, height), medical.format, medical.mode,
                             medical.bit_depth, medical.n_frames),
                     header=tuple(medical.header.items()))
    # readers return [0, 1] float32 already: no clipping pass needed
    return _decoded(record, np.ascontiguousarray(rgb, dtype=np.float32), None)


def load_image(record: ImageRecord, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> DecodedImage:
    """Re-read and decode the file of ``record`` (for scorers and the report).

    Raises
    ------
    BadImageError
        The file is gone, unreadable, undecodable, or its content changed since the
        record was made (its measurements would no longer describe it).
    """
    data = read_file(record.path)
    if content_hash(data) != record.content_hash:
        raise BadImageError("file changed on disk since it was measured")
    decoded = decode_image(data, record.path, record.set_name, max_pixels=max_pixels)
    return DecodedImage(record=record, rgb=decoded.rgb, alpha=decoded.alpha, scale=decoded.scale)


def load_thumbnail(
    path: str, max_side: int = 160, *, max_pixels: int = DEFAULT_MAX_PIXELS
) -> Image.Image:
    """A small RGB thumbnail of ``path`` (EXIF-oriented, alpha over white) for HTML reports.

    JPEGs are decoded at reduced scale (draft mode), so this is fast even for large photos.

    Raises
    ------
    BadImageError
        The file cannot be read or decoded.
    """
    data = read_file(path)
    if len(data) == 0:
        raise BadImageError("empty file (0 bytes)")
    medical = read_medical(data, path, max_pixels)
    if medical is not None:
        rgb = _medical_decoded(medical, data, path, "").rgb
        thumb = Image.fromarray(np.round(rgb * 255).astype(np.uint8))
        thumb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        return thumb
    with _pil_pixel_limit(max_pixels):
        img = _open(data, max_pixels, path)
        if img.size[0] * img.size[1] > max_pixels:
            raise BadImageError(_bomb_reason(max_pixels))
        try:
            if img.format in ("JPEG", "MPO"):
                img.draft("RGB", (max_side, max_side))
            img.load()
            try:
                img = ImageOps.exif_transpose(img)
            except Exception:  # a broken EXIF block must not cost the thumbnail
                pass
            if img.mode in _ALPHA_MODES or "transparency" in img.info:
                rgba = img.convert("RGBA")
                img = Image.new("RGB", rgba.size, (255, 255, 255))
                img.paste(rgba, mask=rgba.getchannel("A"))
            elif img.mode in _SIXTEEN_BIT_GRAY_MODES or img.mode in ("I", "F"):
                arr = _gray_to_unit_float(img)
                img = Image.fromarray(np.round(arr * 255).astype(np.uint8), mode="L").convert("RGB")
            else:
                img = img.convert("RGB")
            img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        except BadImageError:
            raise
        except Exception as exc:
            raise BadImageError(f"truncated or corrupt image data: {_describe(exc)}") from None
    return img


# --- helpers -------------------------------------------------------------------------------


@contextmanager
def _pil_pixel_limit(max_pixels: int) -> Iterator[None]:
    """PIL's own bomb check at our limit, its warning turned into an error."""
    previous = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    finally:
        Image.MAX_IMAGE_PIXELS = previous


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _bomb_reason(max_pixels: int) -> str:
    # PIL's own message quotes its internal limit (twice ours for an error), not the
    # setting the user can change, so the setting is what is quoted.
    return (
        f"refused as a possible decompression bomb: more than max_pixels={max_pixels:,} pixels"
    )


def _open(data: bytes, max_pixels: int, path: str = "") -> Image.Image:
    try:
        return Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise BadImageError(_not_an_image_reason(data, path)) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadImageError(_bomb_reason(max_pixels)) from None
    except MemoryError:
        raise BadImageError("too large to decode in the available memory") from None
    except Exception as exc:
        reason = _damaged_format_reason(data) or "corrupt image header"
        raise BadImageError(f"{reason} ({_describe(exc)})") from None


def _damaged_format_reason(data: bytes) -> str | None:
    """"corrupt PNG file: ..." when ``data`` starts with a known signature, else None.

    PIL fails on the same damaged header in different ways (unidentified, or an OSError
    raised mid-parse); the user reads the same reason for both.
    """
    for signature, name in _SIGNATURES:
        if data.startswith(signature):
            return f"corrupt {name} file: starts like a {name} but its header cannot be read"
    return None


_SIGNATURES = (
    (_PNG_SIGNATURE, "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)


def _not_an_image_reason(data: bytes, path: str = "") -> str:
    """Why PIL could not identify ``data``: a damaged image of a known format, text, or other."""
    if (reason := _damaged_format_reason(data)) is not None:
        return reason
    if data[:2] == b"BM" and data[6:10] == b"\x00\x00\x00\x00":  # BMP reserved fields are 0
        return "corrupt BMP file: starts like a BMP but its header cannot be read"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "corrupt WEBP file: starts like a WEBP but its header cannot be read"
    head = data[:1024]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and all(ch.isprintable() or ch in "\r\n\t" for ch in text):
        return "not an image: cannot identify image file (looks like text)"
    return "not an image: cannot identify image file"


def _orientation(img: Image.Image) -> int:
    try:
        value = img.getexif().get(_EXIF_ORIENTATION_TAG, 1)
    except Exception:  # unreadable EXIF: keep the stored orientation rather than drop the image
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _bit_depth(img: Image.Image, data: bytes) -> int:
    if img.mode == "1":
        return 1
    if img.mode in _SIXTEEN_BIT_GRAY_MODES:
        return 16
    if data[:8] == _PNG_SIGNATURE and len(data) >= 26:
        return 16 if data[24] == 16 else 8
    if img.format == "TIFF":
        tags = getattr(img, "tag_v2", None)
        bits = tags.get(258) if tags is not None else None
        if isinstance(bits, tuple) and bits:
            bits = max(bits)
        if isinstance(bits, int) and bits in (16, 32):
            return bits
    if img.mode in ("I", "F"):
        return 32
    return 8


def _n_frames(img: Image.Image) -> int:
    try:
        return int(getattr(img, "n_frames", 1))
    except Exception:  # counting frames of a damaged animation must not reject its first frame
        return 1


def _reduction(width: int, height: int) -> tuple[int, int]:
    """Integer box-reduction factors (x, y) bringing the longest side to <= MAX_WORKING_SIDE."""
    factor = math.ceil(max(width, height) / MAX_WORKING_SIDE)
    return max(1, min(factor, width)), max(1, min(factor, height))


def _working_arrays(
    img: Image.Image, data: bytes, bit_depth: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """Pixels of ``img`` as (H, W, 3) float32 and optional (H, W) alpha, reduced, not oriented."""
    width, height = img.size
    if img.format in ("JPEG", "MPO") and max(width, height) > MAX_WORKING_SIDE:
        # Decoding at 1/2, 1/4 or 1/8 scale in libjpeg is the fast, low-memory path.
        ratio = MAX_WORKING_SIDE / max(width, height)
        img.draft(None, (max(1, math.ceil(width * ratio)), max(1, math.ceil(height * ratio))))
    img.load()
    mode = img.mode

    if bit_depth == 16 and mode in ("RGB", "RGBA"):
        wide = _sixteen_bit_color(img, data)
        if wide is not None:
            arr = _box_reduce(wide, *_reduction(wide.shape[1], wide.shape[0]), 65535.0)
            alpha = arr[..., 3].copy() if arr.shape[2] == 4 else None
            return _composite(arr[..., :3], alpha), alpha

    if mode in _SIXTEEN_BIT_GRAY_MODES or mode in ("I", "F"):
        gray = _gray_to_unit_float(img)[..., None]
        gray = _box_reduce(gray, *_reduction(gray.shape[1], gray.shape[0]), 1.0)
        return np.ascontiguousarray(np.repeat(gray, 3, axis=2)), None

    has_alpha = mode in _ALPHA_MODES or "transparency" in img.info
    target = "RGBA" if has_alpha else "RGB"
    if mode != target:
        try:
            img = img.convert(target)
        except ValueError as exc:
            raise BadImageError(f"unsupported color mode {mode!r}: {exc}") from None
    fx, fy = _reduction(*img.size)
    if fx > 1 or fy > 1:
        img = img.reduce((fx, fy))
    arr8 = np.asarray(img, dtype=np.uint8)
    arr = arr8.astype(np.float32)
    arr *= np.float32(1.0 / 255.0)
    if has_alpha:
        alpha = np.ascontiguousarray(arr[..., 3])
        return _composite(arr[..., :3], alpha), alpha
    return arr, None


def _sixteen_bit_color(img: Image.Image, data: bytes) -> np.ndarray | None:
    """Full-precision uint16 (H, W, C) pixels of a 16-bit RGB(A) PNG or TIFF, or None.

    PIL keeps only the high byte of 16-bit color samples. For PNG the same file is
    decoded a second time with the byte-swapped raw mode, which yields the low bytes;
    TIFF goes through ``tifffile``. None means "use PIL's 8-bit pixels".
    """
    high = np.asarray(img, dtype=np.uint16)
    if data[:8] == _PNG_SIGNATURE:
        second = Image.open(io.BytesIO(data))
        tiles = second.tile
        if len(tiles) != 1 or not isinstance(tiles[0].args, str):
            return None
        rawmode = tiles[0].args
        if not rawmode.endswith(";16B"):
            return None
        second.tile = [tiles[0]._replace(args=rawmode[:-4] + ";16L")]
        second.load()
        low = np.asarray(second, dtype=np.uint16)
        if low.shape != high.shape:
            return None
        return (high << 8) | low
    if img.format == "TIFF":
        try:
            import tifffile

            arr = np.asarray(tifffile.imread(io.BytesIO(data), key=0))
        except Exception:  # codecs tifffile lacks (e.g. LZW without imagecodecs): 8-bit it is
            return None
        if arr.ndim == 3 and arr.shape[0] in (3, 4) and arr.shape[1:] == high.shape[:2]:
            arr = np.moveaxis(arr, 0, 2)
        if arr.dtype != np.uint16 or arr.shape != high.shape:
            return None
        return arr
    return None


def _gray_to_unit_float(img: Image.Image) -> np.ndarray:
    """(H, W) float32 in [0, 1] from a 16-bit, 32-bit integer or float grayscale image."""
    if img.mode in _SIXTEEN_BIT_GRAY_MODES:
        return np.asarray(img).astype(np.float32) / np.float32(65535.0)
    if img.mode == "I":
        ints = np.asarray(img).astype(np.int64)
        lo, hi = int(ints.min()), int(ints.max())
        if lo >= 0 and hi <= 65535:  # 16-bit samples stored in PIL's 32-bit mode
            return (ints / 65535.0).astype(np.float32)
        return _stretch(ints.astype(np.float64))
    floats = np.asarray(img).astype(np.float64)
    floats = np.nan_to_num(floats, nan=0.0, posinf=0.0, neginf=0.0)
    if floats.size and floats.min() >= 0.0 and floats.max() <= 1.0:
        return floats.astype(np.float32)
    if floats.size and floats.min() >= 0.0 and floats.max() <= 255.0:  # 8-bit values as floats
        return (floats / 255.0).astype(np.float32)
    return _stretch(floats)


def _stretch(values: np.ndarray) -> np.ndarray:
    """Min-max to [0, 1] for samples with no known full-scale value (a flat image is 0)."""
    lo, hi = float(values.min()), float(values.max())
    if hi <= lo:
        return np.zeros(values.shape, dtype=np.float32)
    return ((values - lo) / (hi - lo)).astype(np.float32)


def _box_reduce(arr: np.ndarray, fx: int, fy: int, full_scale: float) -> np.ndarray:
    """Mean over fy x fx boxes of (H, W, C) ``arr`` divided by ``full_scale``, as float32.

    Trailing rows/columns that do not fill a box are dropped (at most fy-1 / fx-1).
    """
    height, width, channels = arr.shape
    if fx == 1 and fy == 1:
        out = arr.astype(np.float32)
        out /= np.float32(full_scale)
        return out
    out_h, out_w = height // fy, width // fx
    out = np.empty((out_h, out_w, channels), dtype=np.float32)
    for r0 in range(0, out_h, _REDUCE_STRIP_ROWS):
        r1 = min(out_h, r0 + _REDUCE_STRIP_ROWS)
        strip = arr[r0 * fy : r1 * fy, : out_w * fx].astype(np.float32)
        out[r0:r1] = strip.reshape(r1 - r0, fy, out_w, fx, channels).mean(axis=(1, 3))
    out /= np.float32(full_scale)
    return out


def _composite(rgb: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """``rgb`` over a white background where ``alpha`` < 1, clipped to [0, 1], contiguous."""
    if alpha is not None:
        a = alpha[..., None]
        rgb = rgb * a + (np.float32(1.0) - a)
    return np.ascontiguousarray(np.clip(rgb, 0.0, 1.0).astype(np.float32, copy=False))


def _orient(arr: np.ndarray, orientation: int) -> np.ndarray:
    """Apply an EXIF orientation (1-8) to an (H, W[, C]) array, as ImageOps.exif_transpose."""
    if orientation == 2:
        out = arr[:, ::-1]
    elif orientation == 3:
        out = arr[::-1, ::-1]
    elif orientation == 4:
        out = arr[::-1]
    elif orientation == 5:
        out = np.swapaxes(arr, 0, 1)
    elif orientation == 6:
        out = np.rot90(arr, -1)
    elif orientation == 7:
        out = np.swapaxes(arr[::-1, ::-1], 0, 1)
    elif orientation == 8:
        out = np.rot90(arr, 1)
    else:
        return arr
    return np.ascontiguousarray(out)
