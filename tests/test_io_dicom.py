"""DICOM reader: a matrix of files written with pydicom decodes to the pixel values written;
pydicom's own test files load; what cannot be decoded is skipped with the reason."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tellapart.io import BadImageError, decode_image, load_thumbnail
from tellapart.io.dicom import dicom_header, write_dicom
from tellapart.io.medical import ReaderOptions, use_reader_options

pydicom = pytest.importorskip("pydicom")
from pydicom.uid import (  # noqa: E402
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGLSLossless,
    RLELossless,
)

FULL = ReaderOptions(dicom_window="full")


def _decode(path: Path, options: ReaderOptions = FULL) -> np.ndarray:
    with use_reader_options(options):
        return decode_image(path.read_bytes(), str(path), "A").rgb


def _can_encode(syntax: str) -> bool:
    from pydicom.pixels import get_encoder

    return bool(get_encoder(syntax).is_available)


SYNTAXES = [None, RLELossless, JPEGLSLossless, JPEG2000Lossless]


@pytest.mark.parametrize("syntax", SYNTAXES, ids=["uncompressed", "rle", "jpeg-ls", "jpeg2000"])
@pytest.mark.parametrize(("bits", "signed"), [(8, False), (12, False), (16, False), (16, True)])
def test_grey_matrix_decodes_to_the_values_written(tmp_path: Path, syntax: str | None, bits: int,
                                                   signed: bool) -> None:
    if syntax is not None and not _can_encode(syntax):
        pytest.skip(f"no installed encoder for {syntax}")
    rng = np.random.default_rng(bits)
    if signed:
        pixels = rng.integers(-(2 ** (bits - 1)), 2 ** (bits - 1), (64, 80)).astype(np.int16)
    else:
        dtype = np.uint8 if bits == 8 else np.uint16
        pixels = rng.integers(0, 2**bits, (64, 80)).astype(dtype)
    path = tmp_path / "x.dcm"
    write_dicom(str(path), pixels, bits_stored=bits, signed=signed, transfer_syntax=syntax)
    rgb = _decode(path)
    lo = -(2.0 ** (bits - 1)) if signed else 0.0
    expected = (pixels.astype(np.float64) - lo) / (2.0**bits - 1.0)
    assert rgb.shape == (64, 80, 3)
    np.testing.assert_allclose(rgb[..., 0], expected, atol=1e-6)
    np.testing.assert_array_equal(rgb[..., 0], rgb[..., 2])


def test_jpeg_baseline_decodes_as_the_jpeg_codec_does(tmp_path: Path) -> None:
    from pydicom.encaps import encapsulate

    rng = np.random.default_rng(1)
    pixels = (np.add.outer(np.arange(32), np.arange(48)) * 2 + rng.integers(0, 8, (32, 48))
              ).clip(0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=95)
    jpeg = buffer.getvalue()
    path = tmp_path / "jpeg.dcm"
    write_dicom(str(path), pixels)
    ds = pydicom.dcmread(path)
    ds.PixelData = encapsulate([jpeg])
    ds["PixelData"].VR = "OB"
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    ds.save_as(path)
    expected = np.asarray(Image.open(io.BytesIO(jpeg)), dtype=np.float64) / 255.0
    np.testing.assert_allclose(_decode(path)[..., 0], expected, atol=1.5 / 255)


def test_rescale_and_the_files_window(tmp_path: Path) -> None:
    pixels = np.array([[0, 100, 200, 300], [400, 500, 600, 700]], dtype=np.uint16)
    path = tmp_path / "ct.dcm"
    # modality values 2 * v - 1000 (HU-like), window centre 0, width 1000
    write_dicom(str(path), pixels, bits_stored=12, slope=2.0, intercept=-1000.0,
                window=(0.0, 1000.0))
    hu = pixels * 2.0 - 1000.0
    expected = np.clip((hu + 0.5) / 999.0 + 0.5, 0.0, 1.0)
    np.testing.assert_allclose(_decode(path, ReaderOptions())[..., 0], expected, atol=1e-6)
    # "full": the whole stored range after rescale (-1000 .. 7190)
    full = (hu + 1000.0) / (4095 * 2.0)
    np.testing.assert_allclose(_decode(path)[..., 0], full, atol=1e-6)


def test_without_a_window_the_robust_percentile_window_is_used(tmp_path: Path) -> None:
    pixels = np.tile(np.arange(1000, 3000, 2, dtype=np.uint16), (4, 1))
    pixels[0, 0] = 65535  # one outlier must not squash the image into black
    path = tmp_path / "nowin.dcm"
    write_dicom(str(path), pixels)
    rgb = _decode(path, ReaderOptions())[..., 0]
    assert rgb[1, 0] == 0.0 and rgb[1, -1] == 1.0
    assert 0.4 < float(np.median(rgb)) < 0.6
    percentile = _decode(path, ReaderOptions(dicom_window="percentile"))[..., 0]
    np.testing.assert_array_equal(rgb, percentile)


def test_monochrome1_is_shown_inverted(tmp_path: Path) -> None:
    pixels = np.array([[0, 4095], [1000, 3000]], dtype=np.uint16)
    one, two = tmp_path / "m1.dcm", tmp_path / "m2.dcm"
    write_dicom(str(one), pixels, bits_stored=12, photometric="MONOCHROME1")
    write_dicom(str(two), pixels, bits_stored=12)
    np.testing.assert_allclose(_decode(one), 1.0 - _decode(two), atol=1e-6)
    assert _decode(one)[0, 0, 0] == 1.0  # the lowest value is white


def test_multi_frame_policy(tmp_path: Path) -> None:
    frames = np.stack([np.full((8, 8), v, dtype=np.uint16) for v in (100, 900, 400)])
    frames[1, 0, 0] = 50
    path = tmp_path / "multi.dcm"
    write_dicom(str(path), frames, bits_stored=12, transfer_syntax=RLELossless)
    with use_reader_options(FULL):
        image = decode_image(path.read_bytes(), str(path), "A")
    assert image.record.n_frames == 3
    np.testing.assert_allclose(image.rgb[..., 0], frames[0] / 4095.0, atol=1e-6)
    middle = _decode(path, ReaderOptions(dicom_window="full", dicom_frame="middle"))
    np.testing.assert_allclose(middle[..., 0], frames[1] / 4095.0, atol=1e-6)
    top = _decode(path, ReaderOptions(dicom_window="full", dicom_frame="max"))
    np.testing.assert_allclose(top[..., 0], frames.max(axis=0) / 4095.0, atol=1e-6)


@pytest.mark.parametrize("syntax", [None, RLELossless], ids=["uncompressed", "rle"])
def test_rgb_decodes_to_the_values_written(tmp_path: Path, syntax: str | None) -> None:
    rng = np.random.default_rng(5)
    pixels = rng.integers(0, 256, (12, 20, 3)).astype(np.uint8)
    path = tmp_path / "rgb.dcm"
    write_dicom(str(path), pixels, transfer_syntax=syntax)
    with use_reader_options(FULL):
        image = decode_image(path.read_bytes(), str(path), "A")
    assert image.record.format == "DICOM" and image.record.mode == "RGB"
    np.testing.assert_allclose(image.rgb, pixels / 255.0, atol=1e-6)


def test_record_says_dicom_and_thumbnail_loads(tmp_path: Path) -> None:
    path = tmp_path / "r.dcm"
    write_dicom(str(path), np.zeros((600, 300), dtype=np.uint16) + 7, bits_stored=12)
    image = decode_image(path.read_bytes(), str(path), "B")
    record = image.record
    assert (record.format, record.mode, record.bit_depth, record.width, record.height) == (
        "DICOM", "MONOCHROME2", 12, 300, 600)
    assert load_thumbnail(str(path)).size == (80, 160)


def test_large_images_are_reduced_to_the_working_size(tmp_path: Path) -> None:
    path = tmp_path / "big.dcm"
    write_dicom(str(path), np.zeros((2048, 1024), dtype=np.uint16), bits_stored=12)
    image = decode_image(path.read_bytes(), str(path), "A")
    assert image.rgb.shape == (1024, 512, 3) and image.scale == 0.5


PYDICOM_IMAGES = [
    "CT_small.dcm", "MR_small.dcm", "MR_small_RLE.dcm", "MR_small_jp2klossless.dcm",
    "MR_small_jpeg_ls_lossless.dcm", "MR_small_bigendian.dcm", "MR_small_implicit.dcm",
    "JPEG2000.dcm", "JPGExtended.dcm", "SC_rgb_rle.dcm", "SC_rgb_jpeg_dcmtk.dcm",
    "SC_rgb_rle_16bit_2frame.dcm", "SC_ybr_full_422_uncompressed.dcm", "examples_ybr_color.dcm",
    "examples_palette.dcm", "rtdose.dcm", "liver_1frame.dcm", "JPEGLSNearLossless_16.dcm",
    "693_J2KI.dcm",
]


def _pydicom_file(name: str) -> Path:
    from pydicom.data import get_testdata_file

    try:
        found = get_testdata_file(name, download=False)
    except TypeError:  # an older signature without `download`
        found = get_testdata_file(name)
    if not found:
        pytest.skip(f"{name} is not shipped with this pydicom")
    return Path(str(found))


@pytest.mark.parametrize("name", PYDICOM_IMAGES)
def test_pydicoms_own_test_files_load(name: str) -> None:
    path = _pydicom_file(name)
    data = path.read_bytes()
    # a file without the Part 10 preamble is recognised by its .dcm name
    image = decode_image(data, str(path), "A")
    assert image.record.format == "DICOM"
    assert image.rgb.ndim == 3 and image.rgb.shape[2] == 3 and image.rgb.size > 0
    assert np.isfinite(image.rgb).all() and 0.0 <= image.rgb.min() <= image.rgb.max() <= 1.0
    assert float(image.rgb.std()) > 0.0


def test_lossless_compressed_copies_decode_like_the_original() -> None:
    original = _decode(_pydicom_file("MR_small.dcm"))
    for name in ("MR_small_RLE.dcm", "MR_small_jp2klossless.dcm", "MR_small_jpeg_ls_lossless.dcm",
                 "MR_small_bigendian.dcm", "MR_small_implicit.dcm"):
        np.testing.assert_allclose(_decode(_pydicom_file(name)), original, atol=1e-6,
                                   err_msg=name)


def test_undecodable_files_are_skipped_with_the_reason(tmp_path: Path) -> None:
    cases: dict[str, str] = {}
    no_pixels = _pydicom_file("rtplan.dcm")
    cases[str(no_pixels)] = "no pixel data"
    truncated = _pydicom_file("MR_truncated.dcm")
    cases[str(truncated)] = "DICOM"
    # a 12-bit JPEG Extended file whose markers libjpeg rejects and Pillow cannot read
    cases[str(_pydicom_file("JPEG-lossy.dcm"))] = "JPEG Extended (Process 2 and 4) cannot be decoded"
    unknown = tmp_path / "mpeg.dcm"
    write_dicom(str(unknown), np.zeros((8, 8), dtype=np.uint8))
    ds = pydicom.dcmread(unknown)
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.100"  # MPEG2 video
    from pydicom.encaps import encapsulate

    ds.PixelData = encapsulate([b"\x00\x00\x01\xb3" + b"\x00" * 60])
    ds["PixelData"].VR = "OB"
    ds.save_as(unknown)
    cases[str(unknown)] = "no installed decoder"
    header_only = tmp_path / "garbage.dcm"
    header_only.write_bytes(b"\0" * 128 + b"DICM" + b"\xff" * 40)
    cases[str(header_only)] = "DICOM"
    for path, expected in cases.items():
        with pytest.raises(BadImageError) as info:
            decode_image(Path(path).read_bytes(), path, "A")
        assert expected in info.value.reason, (path, info.value.reason)


def test_oversized_dicom_is_refused_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "big.dcm"
    write_dicom(str(path), np.zeros((100, 100), dtype=np.uint8))
    with pytest.raises(BadImageError, match="max_pixels=1,000"):
        decode_image(path.read_bytes(), str(path), "A", max_pixels=1000)


def test_header_reads_only_whitelisted_attributes(tmp_path: Path) -> None:
    path = tmp_path / "h.dcm"
    write_dicom(str(path), np.zeros((4, 6), dtype=np.uint16), bits_stored=12,
                attributes={"ViewPosition": "AP", "KVP": "110", "PixelSpacing": [0.14, 0.14],
                            "ImageType": ["ORIGINAL", "PRIMARY"], "PatientName": "DOE^JANE",
                            "InstitutionName": "General"})
    header = dicom_header(path.read_bytes())
    assert header == {"ViewPosition": "AP", "ImageType": "ORIGINAL\\PRIMARY",
                      "PhotometricInterpretation": "MONOCHROME2", "BitsStored": "12",
                      "PixelSpacing": "0.14\\0.14", "Rows": "4", "Columns": "6", "KVP": "110"}


def test_reader_options_are_checked() -> None:
    with pytest.raises(ValueError, match="dicom_window"):
        ReaderOptions(dicom_window="auto")
    assert ReaderOptions().cache_tag() == ""
    assert ReaderOptions(nifti_view="mip").cache_tag() == "nifti_view=mip"


def test_cache_keeps_values_read_with_other_reader_options_apart(tmp_path: Path) -> None:
    from tellapart.io import FeatureStore

    path = str(tmp_path / "c.sqlite")
    with FeatureStore(path) as default:
        default.put_values([("h", "brightness_mean", "1/d2", 0.25)])
        default.put_headers([("h", {"ViewPosition": "AP"})], "h1")
    with FeatureStore(path, namespace="dicom_window=full") as other:
        assert other.get_values(["h"], {"brightness_mean": "1/d2"}) == {}
        assert other.get_headers(["h"], "h1") == {}
        other.put_values([("h", "brightness_mean", "1/d2", 0.5)])
        assert other.get_values(["h"], {"brightness_mean": "1/d2"}) == {"h": {"brightness_mean": 0.5}}
    with FeatureStore(path) as default:
        assert default.get_headers(["h"], "h1") == {"h": {"ViewPosition": "AP"}}


def test_an_unknown_reader_setting_stops_the_run(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from tellapart.cli import main

    config = tmp_path / "c.toml"
    config.write_text('dicom_window = "auto"\n')
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    code = main(["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--config", str(config),
                 "--quiet", "--no-cache"])
    assert code == 2 and "dicom_window must be one of file, percentile, full" in capsys.readouterr().err
