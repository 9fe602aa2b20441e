"""Decoding: every format and mode becomes (H, W, 3) float32 in [0, 1]; bad bytes get reasons."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageOps

from tellapart.io import (
    MAX_WORKING_SIDE,
    BadImageError,
    decode_image,
    load_image,
    load_thumbnail,
    read_file,
)


def encode(img: Image.Image, fmt: str, **kwargs: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


def sample_rgb(width: int = 48, height: int = 32) -> Image.Image:
    y, x = np.mgrid[0:height, 0:width]
    arr = np.stack([x * 255 // max(1, width - 1), y * 255 // max(1, height - 1),
                    np.full_like(x, 90)], axis=2).astype(np.uint8)
    return Image.fromarray(arr, "RGB")


def png16(arr: np.ndarray) -> bytes:
    """A minimal 16-bit PNG (gray, RGB or RGBA) written by hand: PIL cannot write 16-bit color."""
    height, width, channels = arr.shape
    color_type = {1: 0, 3: 2, 4: 6}[channels]
    raw = b"".join(b"\x00" + arr[row].astype(">u2").tobytes() for row in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 16, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def check_working(decoded_rgb: np.ndarray, height: int, width: int) -> None:
    assert decoded_rgb.shape == (height, width, 3)
    assert decoded_rgb.dtype == np.float32
    assert np.isfinite(decoded_rgb).all()
    assert decoded_rgb.min() >= 0.0 and decoded_rgb.max() <= 1.0


CASES = [
    ("JPEG", "RGB"), ("JPEG", "L"), ("JPEG", "CMYK"),
    ("PNG", "RGB"), ("PNG", "L"), ("PNG", "RGBA"), ("PNG", "LA"), ("PNG", "P"), ("PNG", "1"),
    ("PNG", "I;16"),
    ("BMP", "RGB"), ("BMP", "L"), ("BMP", "P"), ("BMP", "1"),
    ("TIFF", "RGB"), ("TIFF", "RGBA"), ("TIFF", "CMYK"), ("TIFF", "I;16"), ("TIFF", "I"),
    ("TIFF", "F"), ("TIFF", "L"),
    ("WEBP", "RGB"), ("WEBP", "RGBA"),
    ("GIF", "P"), ("GIF", "L"),
]


@pytest.mark.parametrize(("fmt", "mode"), CASES, ids=[f"{f}-{m}" for f, m in CASES])
def test_every_format_and_mode_decodes_to_unit_float_rgb(fmt: str, mode: str) -> None:
    base = sample_rgb()
    if mode == "I;16":
        img = Image.fromarray((np.asarray(base.convert("L"), np.uint16) * 257).astype(np.uint16))
    elif mode == "F":
        img = Image.fromarray(np.asarray(base.convert("L"), np.float32) / 255.0, "F")
    elif mode == "RGBA":
        img = base.copy()
        img.putalpha(Image.linear_gradient("L").resize(base.size))
    else:
        img = base.convert(mode)
    decoded = decode_image(encode(img, fmt), f"x.{fmt.lower()}", "A")
    check_working(decoded.rgb, 32, 48)
    assert decoded.scale == 1.0
    assert decoded.record.width == 48 and decoded.record.height == 32
    assert decoded.record.format == fmt
    assert decoded.record.content_hash and decoded.record.file_size > 0
    if mode in ("RGB", "L", "I;16", "F") and fmt in ("PNG", "TIFF", "BMP"):
        # Lossless files keep the picture: left is dark, right is bright (red ramp / luma).
        assert decoded.rgb[:, -1].mean() > decoded.rgb[:, 0].mean() + 0.2


def test_alpha_is_composited_over_white_and_kept() -> None:
    arr = np.zeros((10, 10, 4), np.uint8)
    arr[..., 0] = 255  # red
    arr[:, :5, 3] = 0  # left half fully transparent
    arr[:, 5:, 3] = 255
    decoded = decode_image(encode(Image.fromarray(arr, "RGBA"), "PNG"), "a.png", "A")
    assert decoded.alpha is not None and decoded.alpha.shape == (10, 10)
    np.testing.assert_allclose(decoded.rgb[:, :5], 1.0)  # transparent -> white
    np.testing.assert_allclose(decoded.rgb[:, 5:], np.broadcast_to([1.0, 0.0, 0.0], (10, 5, 3)))
    assert decoded.record.mode == "RGBA"


def test_palette_transparency_gives_alpha() -> None:
    img = Image.new("P", (8, 8), 0)
    img.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    img.paste(1, (0, 0, 4, 8))
    data = encode(img, "PNG", transparency=0)
    decoded = decode_image(data, "p.png", "A")
    assert decoded.alpha is not None
    np.testing.assert_allclose(decoded.rgb[:, 4:], 1.0)  # transparent black -> white
    np.testing.assert_allclose(decoded.rgb[:, :4, 0], 1.0)  # opaque red
    assert decoded.record.mode == "P"


def test_sixteen_bit_gray_png_and_tiff_keep_precision() -> None:
    values = (np.arange(20 * 30).reshape(20, 30) * 97 + 3).astype(np.uint16)
    img = Image.fromarray(values)
    for fmt in ("PNG", "TIFF"):
        decoded = decode_image(encode(img, fmt), "g16", "A")
        assert decoded.record.bit_depth == 16
        np.testing.assert_allclose(decoded.rgb[..., 1], values / 65535.0, atol=1e-6)
        # Neighbouring 16-bit codes stay distinct (8 bits would merge them).
        assert len(np.unique(decoded.rgb[..., 0])) == values.size


def test_sixteen_bit_color_png_keeps_precision() -> None:
    rgb16 = (np.arange(12 * 9 * 3).reshape(12, 9, 3) * 601 + 1).astype(np.uint16)
    for channels in (3, 4):
        arr = rgb16 if channels == 3 else np.concatenate(
            [rgb16, np.full((12, 9, 1), 65535, np.uint16)], axis=2
        )
        decoded = decode_image(png16(arr), "c16.png", "A")
        assert decoded.record.bit_depth == 16
        np.testing.assert_allclose(decoded.rgb, rgb16 / 65535.0, atol=1e-6)


def test_sixteen_bit_color_tiff_keeps_precision() -> None:
    tifffile = pytest.importorskip("tifffile")
    rgb16 = (np.arange(12 * 9 * 3).reshape(12, 9, 3) * 601 + 1).astype(np.uint16)
    for kwargs in ({}, {"compression": "zlib"}):
        buf = io.BytesIO()
        tifffile.imwrite(buf, rgb16, photometric="rgb", **kwargs)
        decoded = decode_image(buf.getvalue(), "c16.tif", "A")
        assert decoded.record.bit_depth == 16
        np.testing.assert_allclose(decoded.rgb, rgb16 / 65535.0, atol=1e-6)


def test_cmyk_jpeg_colours_are_converted() -> None:
    img = Image.new("CMYK", (16, 16), (0, 255, 255, 0))  # pure red in CMYK
    decoded = decode_image(encode(img, "JPEG", quality=95), "cmyk.jpg", "A")
    r, g, b = decoded.rgb.reshape(-1, 3).mean(axis=0)
    assert r > 0.9 and g < 0.1 and b < 0.1


def test_first_gif_frame_is_used() -> None:
    frames = [Image.new("RGB", (8, 8), (255, 0, 0)), Image.new("RGB", (8, 8), (0, 0, 255))]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    decoded = decode_image(data, "anim.gif", "A")
    assert decoded.record.n_frames == 2
    assert decoded.rgb[..., 0].mean() > 0.9 and decoded.rgb[..., 2].mean() < 0.1


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_matches_pil(orientation: int) -> None:
    rng = np.random.default_rng(orientation)
    img = Image.fromarray(rng.integers(0, 256, (20, 36, 3), dtype=np.uint8))
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encode(img, "PNG", exif=exif)
    decoded = decode_image(data, "o.png", "A")
    expected = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data)))) / 255.0
    np.testing.assert_allclose(decoded.rgb, expected, atol=1e-6)
    swapped = orientation in (5, 6, 7, 8)
    assert (decoded.record.width, decoded.record.height) == ((20, 36) if swapped else (36, 20))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_large_images_are_box_reduced(fmt: str) -> None:
    img = sample_rgb(3000, 1100)
    decoded = decode_image(encode(img, fmt), "big", "A")
    height, width = decoded.rgb.shape[:2]
    assert max(height, width) <= MAX_WORKING_SIDE
    assert decoded.record.width == 3000 and decoded.record.height == 1100
    assert decoded.scale == pytest.approx(width / 3000)
    assert abs(width / height - 3000 / 1100) < 0.05
    check_working(decoded.rgb, height, width)
    # The ramp survives reduction.
    assert decoded.rgb[:, -1, 0].mean() > 0.9 and decoded.rgb[:, 0, 0].mean() < 0.1


def test_large_sixteen_bit_gray_is_reduced_with_precision() -> None:
    values = np.tile(np.linspace(0, 65535, 2100).astype(np.uint16), (30, 1))
    decoded = decode_image(encode(Image.fromarray(values), "PNG"), "wide16.png", "A")
    assert decoded.rgb.shape[1] <= MAX_WORKING_SIDE
    assert decoded.rgb[0, 0, 0] < 0.01 and decoded.rgb[0, -1, 0] > 0.99


def png_with_claimed_size(width: int, height: int) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def test_bad_inputs_raise_with_specific_reasons() -> None:
    good_jpeg = encode(sample_rgb(200, 150), "JPEG")
    cases = {
        b"": "empty file (0 bytes)",
        good_jpeg[: len(good_jpeg) // 2]: "truncated or corrupt image data",
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4: "corrupt",
        b"just some notes\nnot an image\n": "not an image",
        bytes(range(256)) * 3: "not an image",
        png_with_claimed_size(40000, 40000): "decompression bomb",
    }
    for data, expected in cases.items():
        with pytest.raises(BadImageError) as info:
            decode_image(data, "bad", "A")
        assert expected in info.value.reason, (expected, info.value.reason)
        assert str(info.value) == info.value.reason


@pytest.mark.filterwarnings("ignore::UserWarning")  # PIL warns on random TIFF EXIF blocks
@pytest.mark.parametrize("signature,name", [
    (b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
])
def test_damaged_header_names_its_format_whichever_way_pil_fails(
    signature: bytes, name: str
) -> None:
    # PIL reports random bytes after a signature as "cannot identify" for most tails and
    # as an OSError raised mid-parse for some; the reason must name the format for both.
    for seed in range(200):
        data = signature + np.random.default_rng(seed).bytes(300)
        try:
            decode_image(data, "bad", "A")
        except BadImageError as exc:
            reason = exc.reason
        else:
            continue  # random bytes happened to form a decodable image
        # a random header may also claim a size so large it is refused before decoding
        assert reason.startswith(
            (f"corrupt {name} file", "truncated or corrupt image data",
             "refused as a possible decompression bomb")
        ), (seed, reason)


def test_max_pixels_refuses_before_decoding() -> None:
    data = encode(sample_rgb(300, 200), "PNG")
    with pytest.raises(BadImageError, match="decompression bomb"):
        decode_image(data, "x.png", "A", max_pixels=300 * 200 - 1)
    assert decode_image(data, "x.png", "A", max_pixels=300 * 200).rgb.shape == (200, 300, 3)
    # The limit is scoped to the call: PIL's global default is restored afterwards.
    assert Image.MAX_IMAGE_PIXELS == 89478485 or Image.MAX_IMAGE_PIXELS is not None


def test_read_file_reasons(tmp_path, monkeypatch) -> None:
    with pytest.raises(BadImageError, match="file not found"):
        read_file(str(tmp_path / "missing.png"))
    with pytest.raises(BadImageError, match="is a directory"):
        read_file(str(tmp_path))

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("tellapart.io.decode.open", refuse, raising=False)
    with pytest.raises(BadImageError, match="permission denied"):
        read_file(str(tmp_path / "x.png"))


def test_load_image_rereads_and_detects_changes(tmp_path) -> None:
    path = tmp_path / "a.png"
    path.write_bytes(encode(sample_rgb(), "PNG"))
    first = decode_image(path.read_bytes(), str(path), "B")
    again = load_image(first.record)
    assert again.record == first.record
    np.testing.assert_array_equal(again.rgb, first.rgb)
    path.write_bytes(encode(sample_rgb(20, 20), "PNG"))
    with pytest.raises(BadImageError, match="changed"):
        load_image(first.record)


def test_load_thumbnail_is_small_oriented_rgb(tmp_path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate: 600x300 file shows as 300x600
    path = tmp_path / "t.jpg"
    path.write_bytes(encode(sample_rgb(600, 300), "JPEG", exif=exif))
    thumb = load_thumbnail(str(path), max_side=120)
    assert thumb.mode == "RGB"
    assert thumb.size == (60, 120)
    rgba = sample_rgb(50, 40).convert("RGBA")
    rgba.putalpha(0)
    path_png = tmp_path / "t.png"
    path_png.write_bytes(encode(rgba, "PNG"))
    assert np.asarray(load_thumbnail(str(path_png))).min() == 255  # transparent -> white
    with pytest.raises(BadImageError):
        load_thumbnail(str(tmp_path / "nope.png"))
