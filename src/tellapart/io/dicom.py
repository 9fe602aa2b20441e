"""DICOM in: pixels as a reader shows them, and a whitelist of technical header attributes.

Pixels (:func:`read_dicom`): the modality LUT (rescale slope/intercept, or a Modality LUT
Sequence) gives modality values; the VOI transform chosen by
:attr:`~tellapart.io.medical.ReaderOptions.dicom_window` maps them to [0, 1]; MONOCHROME1 is
inverted (low values bright, as a reader shows it); colour (RGB, YBR, palette) becomes RGB.
8-, 12- and 16-bit, signed and unsigned samples and every transfer syntax an installed
decoder handles (pydicom's own, pylibjpeg with its libjpeg, openjpeg and RLE plugins,
pyjpegls) are read. A multi-frame file gives one image (``dicom_frame``).

Header (:func:`dicom_header`): only the attributes of :data:`HEADER_WHITELIST` are read. No
patient, study, institution or person attribute is ever read into a value tellapart keeps;
reasons for skipping a file are scrubbed of every text value the file holds outside the
whitelist, and pydicom's own warnings and log messages are silenced while a file is read.
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np

from .errors import BadImageError, check_image_size
from .medical import (
    MedicalPixels,
    ReaderOptions,
    percentile_window,
    window_linear,
    window_range,
)

#: Technical attributes read from a DICOM header (keyword order is the report's order).
HEADER_WHITELIST = (
    "Modality",
    "Manufacturer",
    "ManufacturerModelName",
    "ViewPosition",
    "PatientPosition",
    "BodyPartExamined",
    "ImageType",
    "PhotometricInterpretation",
    "BitsStored",
    "PixelSpacing",
    "ImagerPixelSpacing",
    "Rows",
    "Columns",
    "KVP",
    "Exposure",
    "ExposureTime",
    "XRayTubeCurrent",
    "SliceThickness",
    "MagneticFieldStrength",
    "ConversionType",
    "PresentationIntentType",
    "ImageLaterality",
    "Laterality",
)
#: Attributes of the image pixel and VOI modules the pixel path reads (never reported).
_PIXEL_KEYWORDS = frozenset((
    "Rows", "Columns", "BitsStored", "BitsAllocated", "HighBit", "PixelRepresentation",
    "PhotometricInterpretation", "SamplesPerPixel", "PlanarConfiguration", "NumberOfFrames",
    "RescaleSlope", "RescaleIntercept", "RescaleType", "WindowCenter", "WindowWidth",
    "VOILUTFunction", "VOILUTSequence", "ModalityLUTSequence", "PixelData", "FloatPixelData",
    "DoubleFloatPixelData", "TransferSyntaxUID",
))
_MAX_VALUE_CHARS = 64
_MAX_REASON_CHARS = 240


@contextmanager
def _quiet() -> Iterator[None]:
    """pydicom's warnings and log records (which may quote element values) kept in."""
    logger = logging.getLogger("pydicom")
    was_disabled = logger.disabled
    logger.disabled = True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.disabled = was_disabled


def _parse(data: bytes, *, stop_before_pixels: bool = False) -> Any:
    """The pydicom Dataset of ``data``; BadImageError (with a reason free of values) if none."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        with _quiet():
            ds = pydicom.dcmread(io.BytesIO(data), force=data[128:132] != b"DICM",
                                 stop_before_pixels=stop_before_pixels)
            # Reading the file meta and the top-level elements now surfaces a damaged file here.
            _ = len(ds)
    except InvalidDicomError:
        raise BadImageError("corrupt DICOM file: its header cannot be read") from None
    except Exception as exc:  # noqa: BLE001 - pydicom raises many types on damaged files
        raise BadImageError(
            f"corrupt DICOM file: its header cannot be read ({type(exc).__name__})"
        ) from None
    return ds


def read_dicom(data: bytes, options: ReaderOptions, max_pixels: int) -> MedicalPixels:
    """The 2-D image of DICOM ``data`` under ``options``.

    Raises
    ------
    BadImageError
        Not DICOM, no image in it, too many pixels, or no installed decoder for its
        transfer syntax (the reason names it).
    """
    ds = _parse(data)
    with _quiet():
        if "PixelData" not in ds and "FloatPixelData" not in ds and "DoubleFloatPixelData" not in ds:
            raise BadImageError("DICOM file without an image (no pixel data)")
        rows, cols = int(ds.get("Rows") or 0), int(ds.get("Columns") or 0)
        check_image_size(cols, rows, max_pixels, corrupt="corrupt DICOM file: image size")
        n_frames = max(1, int(ds.get("NumberOfFrames") or 1))
        try:
            arr = _frame(ds, n_frames, options.dicom_frame)
        except BadImageError:
            raise
        except MemoryError:
            raise BadImageError("too large to decode in the available memory") from None
        except Exception as exc:  # noqa: BLE001 - decoder plugins raise many types
            raise BadImageError(_decode_failure(ds, exc)) from None
        photometric = str(ds.get("PhotometricInterpretation") or "MONOCHROME2").strip()
        bits = int(ds.get("BitsStored") or ds.get("BitsAllocated") or 8)
        if arr.ndim == 3 or photometric == "PALETTE COLOR":
            pixels = _color(arr, ds, photometric, bits)
        else:
            pixels = _grey(arr, ds, options.dicom_window, bits)
            if photometric == "MONOCHROME1":
                pixels = np.float32(1.0) - pixels
    return MedicalPixels(pixels=np.ascontiguousarray(pixels, dtype=np.float32), format="DICOM",
                         mode=photometric, bit_depth=bits, n_frames=n_frames,
                         header=_whitelisted(ds))


def _frame(ds: Any, n_frames: int, policy: str) -> np.ndarray:
    """(rows, cols[, 3]) samples of the frame ``policy`` picks ("max": over all frames)."""
    from pydicom.pixels import pixel_array

    if n_frames == 1:
        arr = pixel_array(ds)
        return arr[0] if arr.ndim == 4 or (arr.ndim == 3 and arr.shape[-1] not in (3, 4)) else arr
    if policy == "max":
        return np.asarray(pixel_array(ds)).max(axis=0)
    index = 0 if policy == "first" else n_frames // 2
    return np.asarray(pixel_array(ds, index=index))


def _grey(arr: np.ndarray, ds: Any, window: str, bits: int) -> np.ndarray:
    """Modality LUT then the VOI transform ``window`` of one grey frame, to [0, 1]."""
    from pydicom.pixels import apply_modality_lut

    values = np.asarray(apply_modality_lut(arr, ds))
    if values.dtype.itemsize > 2 or not np.issubdtype(values.dtype, np.integer):
        values = values.astype(np.float64, copy=False)  # rescaled: keep the precision
    if window == "file":
        windowed = _file_window(values, arr, ds)
        if windowed is not None:
            return windowed
        return percentile_window(values)
    if window == "percentile":
        return percentile_window(values)
    lo, hi = _stored_range(ds, bits)
    slope = float(ds.get("RescaleSlope") or 1.0)
    intercept = float(ds.get("RescaleIntercept") or 0.0)
    ends = sorted((lo * slope + intercept, hi * slope + intercept))
    return window_range(values, ends[0], ends[1])


def _stored_range(ds: Any, bits: int) -> tuple[float, float]:
    """Smallest and largest value ``bits`` stored bits can hold (signed or not)."""
    if int(ds.get("PixelRepresentation") or 0) == 1:
        return -(2.0 ** (bits - 1)), 2.0 ** (bits - 1) - 1.0
    return 0.0, 2.0**bits - 1.0


def _first(value: Any) -> float | None:
    """The first number of a (possibly multi-valued) DICOM value, else None."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        value = value[0] if len(value) else None
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _file_window(values: np.ndarray, raw: np.ndarray, ds: Any) -> np.ndarray | None:
    """The file's first VOI LUT or window applied to ``values``; None when it has neither."""
    if "VOILUTSequence" in ds and len(ds.VOILUTSequence):
        from pydicom.pixels import apply_voi

        item = ds.VOILUTSequence[0]
        descriptor = item.get("LUTDescriptor")
        lut_bits = int(descriptor[2]) if descriptor is not None and len(descriptor) > 2 else 16
        out = np.asarray(apply_voi(values, ds, index=0), dtype=np.float64)
        return np.clip(out / (2.0**lut_bits - 1.0), 0.0, 1.0).astype(np.float32)
    center, width = _first(ds.get("WindowCenter")), _first(ds.get("WindowWidth"))
    if center is None or width is None or width <= 0:
        return None
    function = str(ds.get("VOILUTFunction") or "LINEAR").strip().upper()
    return window_linear(values, center, width, function)


def _color(arr: np.ndarray, ds: Any, photometric: str, bits: int) -> np.ndarray:
    """RGB in [0, 1] from RGB, YBR (already converted by pydicom) or palette samples."""
    if photometric == "PALETTE COLOR":
        from pydicom.pixels import apply_color_lut

        rgb = np.asarray(apply_color_lut(arr, ds), dtype=np.float64)
        return (rgb / 65535.0 if rgb.max(initial=0) > 255 else rgb / 255.0).astype(np.float32)
    rgb = np.asarray(arr[..., :3], dtype=np.float64)
    return np.clip(rgb / (2.0**bits - 1.0), 0.0, 1.0).astype(np.float32)


def _decode_failure(ds: Any, exc: BaseException) -> str:
    """Why the pixels of ``ds`` could not be decoded, naming the transfer syntax.

    The decoder's own words are kept (they name the problem) but scrubbed of every value of
    the file (:func:`scrub`); the transfer syntax name comes from pydicom's UID dictionary.
    """
    syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    name = getattr(syntax, "name", None) or str(syntax or "unknown transfer syntax")
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    first = lines[0] if lines else type(exc).__name__
    if "all available plugins" in first.lower() and len(lines) > 1:
        detail = scrub(lines[1], ds)
        reason = f"DICOM pixel data in {name} cannot be decoded: the installed decoders failed ({detail})"
    elif any(word in first.lower() for word in ("no pixel data decoders", "not supported",
                                                "no plugins", "missing required")):
        reason = f"DICOM pixel data in {name} cannot be decoded: no installed decoder handles it"
    else:
        reason = (f"corrupt DICOM pixel data ({name}): "
                  f"{type(exc).__name__}: {scrub(first, ds)}")
    return reason[:_MAX_REASON_CHARS]


def scrub(text: str, ds: Any) -> str:
    """``text`` with every text value ``ds`` holds outside the whitelist replaced by "...".

    A decoder's message may quote an element; whatever it quotes, no patient, study or
    person value leaves the file through a skip reason.
    """
    allowed = set(HEADER_WHITELIST) | _PIXEL_KEYWORDS
    secrets: set[str] = set()
    try:
        for element in ds.iterall():
            if element.keyword in allowed or element.VR in ("OB", "OW", "OF", "OD", "UN", "SQ"):
                continue
            values = element.value if isinstance(element.value, (list, tuple)) else [element.value]
            for value in values:
                text_value = str(value).strip()
                if len(text_value) >= 3:
                    secrets.add(text_value)
                secrets.update(p for p in text_value.replace("^", " ").split() if len(p) >= 3)
    except Exception:  # noqa: BLE001 - a dataset that cannot be walked: keep no message at all
        return text.split(":")[0]
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "...")
    return text


def _header_value(value: Any) -> str | None:
    """A whitelisted value as short text ("AP", "0.14\\0.14", "ORIGINAL\\PRIMARY"), or None."""
    if value is None or isinstance(value, (bytes, bytearray)):
        return None
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        parts = [_header_value(v) for v in value]
        text = "\\".join(p for p in parts if p is not None)
    elif isinstance(value, float) or type(value).__name__ in ("DSfloat", "DSdecimal"):
        text = f"{float(value):.6g}"
    else:
        text = str(value).strip()
    text = " ".join(text.split())
    return text[:_MAX_VALUE_CHARS] if text else None


def dicom_header(data: bytes) -> dict[str, str]:
    """The whitelisted technical attributes of DICOM ``data`` present in it, as text.

    Raises
    ------
    BadImageError
        The header cannot be read.
    """
    return _whitelisted(_parse(data, stop_before_pixels=True))


def _whitelisted(ds: Any) -> dict[str, str]:
    """The attributes of :data:`HEADER_WHITELIST` present in ``ds``, as text, in that order."""
    out: dict[str, str] = {}
    with _quiet():
        for keyword in HEADER_WHITELIST:
            try:
                value = _header_value(ds.get(keyword))
            except Exception:  # noqa: BLE001 - one malformed value costs that attribute only
                continue
            if value is not None:
                out[keyword] = value
    return out


def write_dicom(
    path: str,
    pixels: np.ndarray,
    *,
    bits_stored: int | None = None,
    signed: bool = False,
    photometric: str | None = None,
    slope: float | None = None,
    intercept: float | None = None,
    window: tuple[float, float] | None = None,
    attributes: Mapping[str, Any] | None = None,
    transfer_syntax: str | None = None,
) -> None:
    """Write ``pixels`` as a DICOM Part 10 file (for tests, the medical demo and benchmarks).

    Parameters
    ----------
    path : str
    pixels : np.ndarray
        (rows, cols) grey, (frames, rows, cols) multi-frame grey, or (rows, cols, 3) uint8 RGB;
        integer samples as they are to be stored.
    bits_stored : int, optional
        Default: the dtype's bits.
    signed : bool
        Pixel Representation 1 (two's complement samples).
    photometric : str, optional
        Default "MONOCHROME2" (grey) or "RGB".
    slope, intercept : float, optional
        Rescale Slope / Intercept written when given.
    window : (center, width), optional
        Window Center / Width written when given.
    attributes : mapping, optional
        Further elements by keyword (e.g. ``{"ViewPosition": "AP", "Modality": "DX"}``).
    transfer_syntax : str, optional
        A transfer syntax UID; a compressed one is encoded with pydicom's installed encoders.
    """
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

    arr = np.asarray(pixels)
    color = arr.ndim == 3 and arr.shape[-1] == 3
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Rows, ds.Columns = (arr.shape[0], arr.shape[1]) if color or arr.ndim == 2 else arr.shape[1:3]
    if arr.ndim == 3 and not color:
        ds.NumberOfFrames = arr.shape[0]
    ds.SamplesPerPixel = 3 if color else 1
    ds.PhotometricInterpretation = photometric or ("RGB" if color else "MONOCHROME2")
    if color:
        ds.PlanarConfiguration = 0
    ds.BitsAllocated = arr.dtype.itemsize * 8
    ds.BitsStored = bits_stored or ds.BitsAllocated
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 1 if signed else 0
    if slope is not None or intercept is not None:
        ds.RescaleSlope = f"{slope if slope is not None else 1.0:g}"
        ds.RescaleIntercept = f"{intercept if intercept is not None else 0.0:g}"
    if window is not None:
        ds.WindowCenter, ds.WindowWidth = f"{window[0]:g}", f"{window[1]:g}"
    for keyword, value in (attributes or {}).items():
        setattr(ds, keyword, value)
    ds.PixelData = np.ascontiguousarray(arr).tobytes()
    if transfer_syntax is not None and transfer_syntax != ExplicitVRLittleEndian:
        ds.compress(transfer_syntax, arr, generate_instance_uid=False)
    ds.save_as(path, enforce_file_format=True)
