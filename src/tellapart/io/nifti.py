"""NIfTI in (``.nii``, ``.nii.gz``): one 2-D view of a volume, and its technical header.

View policy (:attr:`~tellapart.io.medical.ReaderOptions.nifti_view`): the volume is first
brought to the closest canonical (RAS+) orientation, so "axial" means the same plane for
every file; a 4-D (or higher) image gives its first 3-D volume; a 2-D image is itself.

* ``"orthogonal"`` (default): the central axial, coronal and sagittal slices side by side,
  each scaled to the volume's height, separated by nothing (one image shows all three planes);
* ``"axial"``: the central axial slice;
* ``"mip"``: the axial maximum-intensity projection.

Intensities (after the file's scl_slope/scl_inter) are windowed to the volume's robust
0.5-99.5 percentile range. Slices are shown with anterior (axial) or superior (coronal,
sagittal) up and the patient's right on the image's right (the neurological convention).

Header (:func:`nifti_header`): voxel size, shape, orientation code, data type and the qform/
sform codes only; the free-text fields (``descrip``, ``aux_file``, ``intent_name``, ``db_name``)
are never read.
"""

from __future__ import annotations

import gzip
import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from .errors import BadImageError
from .medical import MedicalPixels, ReaderOptions, percentile_bounds, percentile_window

_MAX_VOXELS = 512 * 1024 * 1024 // 4  # a 2 GiB float32 volume is refused, not tried


@contextmanager
def _quiet() -> Iterator[None]:
    logger = logging.getLogger("nibabel")
    was_disabled = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = was_disabled


def _image(data: bytes) -> Any:
    """The nibabel image of NIfTI-1/-2 ``data`` (gzipped or not)."""
    import nibabel as nib

    raw = data
    if data[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(data)
        except (OSError, EOFError, ValueError):
            raise BadImageError("corrupt NIfTI file: truncated or damaged gzip data") from None
    try:
        with _quiet():
            header_size = int.from_bytes(raw[:4], "little")
            if header_size not in (348, 540):
                header_size = int.from_bytes(raw[:4], "big")
            klass = nib.Nifti2Image if header_size == 540 else nib.Nifti1Image
            return klass.from_bytes(raw)
    except Exception as exc:  # noqa: BLE001 - nibabel raises many types on damaged headers
        raise BadImageError(
            f"corrupt NIfTI file: its header cannot be read ({type(exc).__name__})"
        ) from None


def read_nifti(data: bytes, options: ReaderOptions, max_pixels: int) -> MedicalPixels:
    """The 2-D view of NIfTI ``data`` under ``options`` (see the module docstring).

    Raises
    ------
    BadImageError
        Not NIfTI, damaged, empty, too large, or complex-valued.
    """
    import nibabel as nib

    img = _image(data)
    try:
        header = _attributes(img)
    except Exception:  # noqa: BLE001 - left empty: the header pass reads it again and says why
        header = {}
    shape = tuple(int(s) for s in img.shape)
    if not shape or any(s <= 0 for s in shape):
        raise BadImageError(f"NIfTI file without an image (shape {shape})")
    volume_voxels = int(np.prod(shape[:3]))
    if volume_voxels > _MAX_VOXELS or max(shape[:3]) ** 2 > max_pixels:
        raise BadImageError(
            f"refused as a possible decompression bomb: volume {'x'.join(map(str, shape))} "
            f"is more than tellapart reads (max_pixels={max_pixels:,})"
        )
    try:
        with _quiet():
            if len(shape) >= 3:
                img = nib.as_closest_canonical(img.slicer[..., 0] if len(shape) > 3 else img)
            volume = np.asarray(img.dataobj, dtype=np.float64)
    except BadImageError:
        raise
    except MemoryError:
        raise BadImageError("too large to decode in the available memory") from None
    except Exception as exc:  # noqa: BLE001 - truncated data, unsupported data types, ...
        raise BadImageError(f"corrupt NIfTI image data ({type(exc).__name__})") from None
    while volume.ndim > 3:
        volume = volume[..., 0]
    view = _view(volume, options.nifti_view)
    dtype = np.dtype(img.get_data_dtype())
    pixels = percentile_window(view, percentile_bounds(volume))
    return MedicalPixels(pixels=pixels, format="NIfTI", mode=str(dtype),
                         bit_depth=dtype.itemsize * 8,
                         n_frames=int(shape[2]) if len(shape) >= 3 else 1, header=header)


def _slice_image(plane: np.ndarray) -> np.ndarray:
    """A canonical (first index right/anterior-ward, second superior-ward) plane as an image:
    rows top to bottom, columns left to right."""
    return np.ascontiguousarray(np.rot90(plane))


def _view(volume: np.ndarray, policy: str) -> np.ndarray:
    """One 2-D image of an (x, y[, z]) RAS volume."""
    if volume.ndim == 2:
        return _slice_image(volume)
    x, y, z = volume.shape
    if policy == "axial":
        return _slice_image(volume[:, :, z // 2])
    if policy == "mip":
        return _slice_image(np.nanmax(volume, axis=2))
    planes = [_slice_image(volume[:, :, z // 2]), _slice_image(volume[:, y // 2, :]),
              _slice_image(volume[x // 2, :, :])]
    height = max(p.shape[0] for p in planes)
    return np.concatenate([_pad_to(p, height) for p in planes], axis=1)


def _pad_to(plane: np.ndarray, height: int) -> np.ndarray:
    """``plane`` centred vertically in ``height`` rows, padded with its minimum."""
    extra = height - plane.shape[0]
    if extra <= 0:
        return plane
    fill = float(np.nanmin(plane)) if plane.size else 0.0
    top = extra // 2
    return np.pad(plane, ((top, extra - top), (0, 0)), constant_values=fill)


def nifti_header(data: bytes) -> dict[str, str]:
    """Voxel size, shape, orientation code, data type and qform/sform codes of NIfTI ``data``.

    Raises
    ------
    BadImageError
        The header cannot be read.
    """
    return _attributes(_image(data))


def _attributes(img: Any) -> dict[str, str]:
    """:func:`nifti_header` of a loaded image, in report order."""
    import nibabel as nib

    header = img.header
    shape = tuple(int(s) for s in img.shape)
    zooms = tuple(float(z) for z in header.get_zooms()[:3])
    out = {"Shape": "x".join(str(s) for s in shape),
           "VoxelSize": "\\".join(f"{z:.4g}" for z in zooms)}
    if len(shape) >= 3:
        try:
            with _quiet():
                out["Orientation"] = "".join(nib.aff2axcodes(img.affine))
        except Exception:  # noqa: BLE001 - a degenerate affine has no orientation code
            pass
    out["DataType"] = str(np.dtype(img.get_data_dtype()))
    out["QformCode"] = str(int(header["qform_code"]))
    out["SformCode"] = str(int(header["sform_code"]))
    return out


def nifti_bytes(volume: np.ndarray, voxel_size: tuple[float, ...] = (1.0, 1.0, 1.0),
                *, compress: bool = False) -> bytes:
    """NIfTI-1 bytes of ``volume`` with a diagonal affine of ``voxel_size`` (tests and demos)."""
    import nibabel as nib

    affine = np.diag([*voxel_size[:3], 1.0])
    raw = nib.Nifti1Image(np.asarray(volume), affine).to_bytes()
    if not compress:
        return bytes(raw)
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as fh:
        fh.write(raw)
    return buffer.getvalue()
