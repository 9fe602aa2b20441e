"""What the DICOM and NIfTI readers share: their options, the signatures that pick them, and
the pixels they hand back.

Reader options (:class:`ReaderOptions`) are set once per comparison with
:func:`use_reader_options`; every decode in that process (and in worker processes started
inside the ``with`` block, through the ``TELLAPART_READER_OPTIONS`` environment variable)
reads them with :func:`current_reader_options`, so the features stage, the scorers and the
HTML thumbnails all see an image the same way.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields

import numpy as np

DICOM_WINDOWS = ("file", "percentile", "full")
DICOM_FRAMES = ("first", "middle", "max")
NIFTI_VIEWS = ("orthogonal", "axial", "mip")
ENV_VAR = "TELLAPART_READER_OPTIONS"

#: Most values the robust window's percentiles are computed on (a regular subsample beyond).
_PERCENTILE_SAMPLE = 32_768
#: Percentiles of the robust window used when a file has none (or ``dicom_window="percentile"``).
PERCENTILE_WINDOW = (0.5, 99.5)


@dataclass(frozen=True)
class ReaderOptions:
    """How DICOM and NIfTI pixels become the [0, 1] image every measurement sees.

    Attributes
    ----------
    dicom_window : {"file", "percentile", "full"}
        "file": the file's own VOI LUT or window centre/width (its first), else the
        robust window; "percentile": the 0.5-99.5 percentile range of the image's modality
        values; "full": the whole range the stored bits can hold (after rescale), as a
        16-bit PNG of the same samples would show it.
    dicom_frame : {"first", "middle", "max"}
        Which 2-D image a multi-frame file gives: its first frame, its middle frame, or the
        maximum over all frames (a maximum-intensity projection).
    nifti_view : {"orthogonal", "axial", "mip"}
        How a 3-D volume becomes one 2-D image: the three central orthogonal slices
        (axial, coronal, sagittal) side by side; the central axial slice; or the axial
        maximum-intensity projection. A 4-D volume gives its first 3-D volume.
    """

    dicom_window: str = "file"
    dicom_frame: str = "first"
    nifti_view: str = "orthogonal"

    def __post_init__(self) -> None:
        for name, allowed in (("dicom_window", DICOM_WINDOWS), ("dicom_frame", DICOM_FRAMES),
                              ("nifti_view", NIFTI_VIEWS)):
            value = getattr(self, name)
            if value not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")

    def cache_tag(self) -> str:
        """"" for the default options, else a short key naming every non-default one.

        Cached values of images read with other options must not be reused, so the feature
        cache keeps them apart under this tag (:class:`~tellapart.io.store.FeatureStore`).
        """
        default = ReaderOptions()
        parts = [f"{f.name}={getattr(self, f.name)}" for f in fields(self)
                 if getattr(self, f.name) != getattr(default, f.name)]
        return ";".join(parts)


def _from_env() -> ReaderOptions:
    text = os.environ.get(ENV_VAR)
    if not text:
        return ReaderOptions()
    try:
        return ReaderOptions(**json.loads(text))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{ENV_VAR} is not a valid set of reader options: {exc}") from None


_current = _from_env()


def current_reader_options() -> ReaderOptions:
    """The reader options in force in this process."""
    return _current


@contextmanager
def use_reader_options(options: ReaderOptions) -> Iterator[None]:
    """Decode with ``options`` inside the block (this process and workers started in it)."""
    global _current
    previous, previous_env = _current, os.environ.get(ENV_VAR)
    _current = options
    os.environ[ENV_VAR] = json.dumps(asdict(options))
    try:
        yield
    finally:
        _current = previous
        if previous_env is None:
            os.environ.pop(ENV_VAR, None)
        else:
            os.environ[ENV_VAR] = previous_env


@dataclass
class MedicalPixels:
    """One 2-D image read from a DICOM or NIfTI file, before reduction to the working size.

    Attributes
    ----------
    pixels : np.ndarray
        (H, W) or (H, W, 3) float32 in [0, 1]: windowed, MONOCHROME1 inverted.
    format : str
        "DICOM" or "NIfTI".
    mode : str
        The file's photometric interpretation ("MONOCHROME2", "RGB", ...) or, for NIfTI,
        its data type ("int16", ...).
    bit_depth : int
        Bits stored per sample (NIfTI: bits of the data type).
    n_frames : int
        Frames (DICOM) or slices along the third axis (NIfTI) in the file.
    header : dict of str to str
        The file's technical header attributes (:func:`tellapart.io.dicom.dicom_header`,
        :func:`tellapart.io.nifti.nifti_header`), read from the same parse as the pixels.
    """

    pixels: np.ndarray
    format: str
    mode: str
    bit_depth: int
    n_frames: int = 1
    header: dict[str, str] = field(default_factory=dict)


def is_dicom(data: bytes, path: str = "") -> bool:
    """True for a DICOM Part 10 file ("DICM" at byte 128) or a ``.dcm``/``.dicom`` file."""
    return data[128:132] == b"DICM" or path.lower().endswith((".dcm", ".dicom"))


def is_nifti(data: bytes, path: str = "") -> bool:
    """True for NIfTI-1/-2 data (magic at byte 344 or 4), gzipped or not, or a ``.nii[.gz]`` name."""
    if data[344:347] in (b"n+1", b"ni1") or data[4:8] in (b"n+2\0", b"ni2\0"):
        return True
    return path.lower().endswith((".nii", ".nii.gz"))


def window_linear(values: np.ndarray, center: float, width: float, function: str = "LINEAR") -> np.ndarray:
    """DICOM VOI window (PS3.3 C.11.2.1.2) of ``values`` to [0, 1] float32.

    ``function`` is the file's VOI LUT Function: "LINEAR" (default), "LINEAR_EXACT" or
    "SIGMOID".
    """
    x = values.astype(np.float64, copy=False)
    width = max(float(width), 1.0 if function != "LINEAR_EXACT" else 1e-12)
    if function == "SIGMOID":
        out = 1.0 / (1.0 + np.exp(-4.0 * (x - center) / width))
    elif function == "LINEAR_EXACT":
        out = (x - center) / width + 0.5
    else:
        out = (x - (center - 0.5)) / max(width - 1.0, 1e-12) + 0.5
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def window_range(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """``values`` mapped linearly from [lo, hi] to [0, 1], clipped (a flat range gives 0)."""
    if not hi > lo:
        return np.zeros(values.shape, dtype=np.float32)
    out = values.astype(np.float32)
    out -= np.float32(lo)
    out *= np.float32(1.0 / (hi - lo))
    np.maximum(out, np.float32(0.0), out=out)
    return np.minimum(out, np.float32(1.0), out=out)


def percentile_bounds(values: np.ndarray) -> tuple[float, float]:
    """The robust window of ``values``: their 0.5 and 99.5 percentiles (min and max when those
    coincide; (0, 0) when no value is finite)."""
    flat = values.reshape(-1)
    if flat.size > _PERCENTILE_SAMPLE:  # a regular subsample: the window is robust by design
        flat = flat[:: flat.size // _PERCENTILE_SAMPLE]
    sample = flat if np.issubdtype(flat.dtype, np.integer) else flat[np.isfinite(flat)]
    if sample.size == 0:
        return 0.0, 0.0
    lo, hi = np.percentile(sample, PERCENTILE_WINDOW)
    if not hi > lo:
        lo, hi = float(sample.min()), float(sample.max())
    return float(lo), float(hi)


def percentile_window(values: np.ndarray, bounds: tuple[float, float] | None = None) -> np.ndarray:
    """``values`` through the robust window (of ``bounds``, default their own) to [0, 1]."""
    lo, hi = percentile_bounds(values) if bounds is None else bounds
    return window_range(np.nan_to_num(values, nan=lo), lo, hi)
