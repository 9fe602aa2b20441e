"""NIfTI reader: the documented 2-D views of a volume, 4-D -> first volume, .nii.gz, the header,
nibabel's own test files, and damaged files skipped with the reason."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from tellapart.io import BadImageError, decode_image
from tellapart.io.medical import ReaderOptions, use_reader_options
from tellapart.io.nifti import nifti_bytes, nifti_header

nib = pytest.importorskip("nibabel")


def _decode(data: bytes, name: str = "v.nii", view: str = "orthogonal") -> np.ndarray:
    with use_reader_options(ReaderOptions(nifti_view=view)):
        return decode_image(data, name, "A").rgb[..., 0]


def _volume() -> np.ndarray:
    """(x, y, z) = (20, 30, 10) volume whose every voxel value encodes its position."""
    x, y, z = np.meshgrid(np.arange(20), np.arange(30), np.arange(10), indexing="ij")
    return (x * 1 + y * 20 + z * 600).astype(np.int16)


def _window(values: np.ndarray, volume: np.ndarray) -> np.ndarray:
    lo, hi = np.percentile(volume.astype(float), (0.5, 99.5))
    return np.clip((values - lo) / (hi - lo), 0, 1)


def test_axial_view_is_the_central_axial_slice_anterior_up() -> None:
    vol = _volume()
    got = _decode(nifti_bytes(vol), view="axial")
    # the 2-D view of axial slice z=5: rows from anterior (high y) down, columns x left to right
    expected = np.rot90(vol[:, :, 5].astype(float))
    assert got.shape == (30, 20)
    assert got[0, 0] > got[-1, 0]  # anterior (high y) at the top
    assert got[0, -1] > got[0, 0]  # higher x to the right
    np.testing.assert_allclose(got, _window(expected, vol), atol=1e-5)


def test_mip_and_orthogonal_views() -> None:
    vol = _volume()
    mip = _decode(nifti_bytes(vol), view="mip")
    np.testing.assert_allclose(mip, _window(np.rot90(vol.max(axis=2).astype(float)), vol),
                               atol=1e-5)
    ortho = _decode(nifti_bytes(vol))  # default: axial | coronal | sagittal, side by side
    assert ortho.shape == (30, 20 + 20 + 30)
    np.testing.assert_allclose(ortho[:, :20], _window(np.rot90(vol[:, :, 5].astype(float)), vol),
                               atol=1e-5)
    coronal = _window(np.rot90(vol[:, 15, :].astype(float)), vol)  # 10 rows, centred in 30
    np.testing.assert_allclose(ortho[10:20, 20:40], coronal, atol=1e-5)


def test_four_d_gives_its_first_volume_and_gzip_is_read() -> None:
    vol = _volume()
    four = np.stack([vol, vol[::-1]], axis=-1)
    got = _decode(nifti_bytes(four, compress=True), "v.nii.gz", view="axial")
    first = _decode(nifti_bytes(vol), view="axial")
    lo4, hi4 = np.percentile(vol.astype(float), (0.5, 99.5))
    np.testing.assert_allclose(got, first, atol=1e-5)
    assert hi4 > lo4


def test_record_and_header() -> None:
    vol = _volume()
    data = nifti_bytes(vol, voxel_size=(0.5, 0.5, 2.0))
    image = decode_image(data, "brain.nii", "A")
    assert image.record.format == "NIfTI" and image.record.mode == "int16"
    assert image.record.bit_depth == 16 and image.record.n_frames == 10
    header = nifti_header(data)
    assert header == {"Shape": "20x30x10", "VoxelSize": "0.5\\0.5\\2", "DataType": "int16",
                      "QformCode": "0", "SformCode": "2", "Orientation": "RAS"}


def test_canonical_orientation_makes_flipped_files_look_the_same() -> None:
    vol = _volume().astype(np.float32)
    ras = nib.Nifti1Image(vol, np.diag([1.0, 1.0, 1.0, 1.0])).to_bytes()
    flipped_affine = np.diag([-1.0, 1.0, 1.0, 1.0])
    flipped_affine[0, 3] = 19.0
    las = nib.Nifti1Image(vol[::-1], flipped_affine).to_bytes()
    np.testing.assert_allclose(_decode(las, view="axial"), _decode(ras, view="axial"), atol=1e-6)


NIBABEL_FILES = ["anatomical.nii", "functional.nii", "example4d.nii.gz", "standard.nii.gz",
                 "example_nifti2.nii.gz", "reoriented_anat_moved.nii"]


@pytest.mark.parametrize("name", NIBABEL_FILES)
def test_nibabels_own_test_files_load(name: str) -> None:
    path = Path(nib.__file__).parent / "tests" / "data" / name
    if not path.exists():
        pytest.skip(f"{name} is not shipped with this nibabel")
    image = decode_image(path.read_bytes(), str(path), "A")
    assert image.record.format == "NIfTI"
    assert np.isfinite(image.rgb).all() and 0.0 <= image.rgb.min() <= image.rgb.max() <= 1.0
    assert float(image.rgb.std()) > 0.0
    assert "Shape" in nifti_header(path.read_bytes())


def test_damaged_nifti_files_are_skipped_with_the_reason() -> None:
    data = nifti_bytes(_volume())
    cases = {
        "cut.nii": data[: len(data) // 2],
        "cut.nii.gz": gzip.compress(data)[:200],
        "junk.nii": b"\x00" * 400,
    }
    for name, blob in cases.items():
        with pytest.raises(BadImageError) as info:
            decode_image(blob, name, "A")
        assert "NIfTI" in info.value.reason, (name, info.value.reason)
