"""Header evidence: the whitelisted technical attributes of every DICOM and NIfTI image.

The readers return a file's attributes with its pixels, so the features stage attaches them to
the records it decodes and caches them by content hash (:meth:`FeatureStore.put_headers`).
:func:`attach_headers` fills :attr:`ImageRecord.header <tellapart.types.ImageRecord.header>`
for the other "DICOM" and "NIfTI" records (cache hits), from the cache or by reading the file. Only
:data:`tellapart.io.dicom.HEADER_WHITELIST` (DICOM) or voxel size, shape, orientation, data
type and form codes (NIfTI) are read: nothing that identifies a patient reaches a record,
the cache or a report.
"""

from __future__ import annotations

from dataclasses import replace

from ..types import ImageRecord
from .decode import content_hash, read_file
from .dicom import HEADER_WHITELIST, dicom_header
from .errors import BadImageError
from .nifti import nifti_header
from .store import FeatureStore

#: Formats whose records carry header attributes.
HEADER_FORMATS = ("DICOM", "NIfTI")
#: Bump when what is read from a header changes: cached attributes keyed on it expire.
HEADER_VERSION = 1
#: NIfTI attributes, in report order.
NIFTI_ATTRIBUTES = ("Shape", "VoxelSize", "Orientation", "DataType", "QformCode", "SformCode")
_ORDER = {name: i for i, name in enumerate((*HEADER_WHITELIST, *NIFTI_ATTRIBUTES))}


def header_context() -> str:
    """Cache context of header attributes."""
    return f"h{HEADER_VERSION}"


def read_header(data: bytes, file_format: str) -> dict[str, str]:
    """The technical header attributes of ``data`` of ``file_format`` ("DICOM" or "NIfTI").

    Raises
    ------
    BadImageError
        The header cannot be read.
    """
    if file_format == "DICOM":
        return dicom_header(data)
    if file_format == "NIfTI":
        return nifti_header(data)
    raise ValueError(f"no header attributes are read from {file_format!r} files")


def ordered_attributes(attributes: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """``attributes`` as (name, value) pairs in report order (the whitelist's, then NIfTI's)."""
    return tuple(sorted(attributes.items(), key=lambda kv: (_ORDER.get(kv[0], len(_ORDER)), kv[0])))


def attach_headers(
    records: list[ImageRecord], store: FeatureStore
) -> tuple[list[ImageRecord], list[str]]:
    """``records`` with their header attributes, and warnings for headers that could not be read.

    Parameters
    ----------
    records : list of ImageRecord
        Any records; those of other formats come back unchanged.
    store : FeatureStore
        The cache to read and write (a disabled store caches nothing).

    Returns
    -------
    records : list of ImageRecord
        Same order; DICOM/NIfTI records carry ``header``.
    warnings : list of str
        One per file whose header could not be read again (changed or unreadable since it
        was measured): its record keeps no header attributes.
    """
    # The features stage attaches the headers it read while decoding; the rest (cache hits,
    # files with no whitelisted attribute) are looked up here.
    wanted = [r for r in records if r.format in HEADER_FORMATS and not r.header]
    if not wanted:
        return list(records), []
    context = header_context()
    cached = store.get_headers([r.content_hash for r in wanted], context)
    fresh: dict[str, dict[str, str]] = {}
    warnings: list[str] = []
    for record in wanted:
        digest = record.content_hash
        if digest in cached or digest in fresh:
            continue
        try:
            data = read_file(record.path)
            if content_hash(data) != digest:
                raise BadImageError("file changed on disk since it was measured")
            fresh[digest] = read_header(data, record.format)
        except BadImageError as exc:
            warnings.append(f"header attributes of {record.path} not read: {exc.reason}")
    if fresh and store.enabled:
        with store.transaction():
            store.put_headers(fresh.items(), context)
    found = {**cached, **fresh}
    out = [replace(r, header=ordered_attributes(found[r.content_hash]))
           if not r.header and r.content_hash in found else r for r in records]
    return out, warnings
