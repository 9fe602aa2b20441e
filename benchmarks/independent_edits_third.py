"""Third, independently written set of image edits for the image-difference benchmark.

Each entry of ``THIRD_EDITS`` is ``(label, edit, accepted_ids)``. ``edit`` takes a 128x128 RGB
PIL image and a ``numpy.random.Generator`` (used for all per-image randomness) and returns an
RGB image of the same size. The edits imitate things a real dataset can pick up: camera
artefacts (shake, date imprint, light leaks), post-processing (white balance, fading,
saturation boost, digital zoom), web pipelines (heavy JPEG), scanning/printing (white print
border) and annotation tools (detection boxes, grids, stickers).

``accepted_ids`` lists the benchmark's difference ids that correctly name each edit.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFont, ImageOps

EditFn = Callable[[Image.Image, np.random.Generator], Image.Image]


def _to_array(img: Image.Image) -> np.ndarray:
    """Return the image as a float32 HxWx3 array in the 0-255 range."""
    return np.asarray(img.convert("RGB"), dtype=np.float32)


def _from_array(arr: np.ndarray) -> Image.Image:
    """Round, clip and convert a float HxWx3 array back to an RGB PIL image."""
    return Image.fromarray(np.clip(np.rint(arr), 0, 255).astype(np.uint8)).convert("RGB")


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """Return Pillow's default font at ``size`` px, or the bitmap default on old Pillow."""
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, AttributeError, OSError):
        return ImageFont.load_default()


def mirror_left_right(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Mirror the image left to right by reversing the column order with numpy."""
    arr = np.asarray(img.convert("RGB"))
    return Image.fromarray(np.ascontiguousarray(arr[:, ::-1, :])).convert("RGB")


def white_print_border(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Shrink the photo and pad it with an off-white border, like a scanned paper print."""
    w, h = img.size
    border = int(rng.integers(7, 12))
    inner = img.convert("RGB").resize((w - 2 * border, h - 2 * border), Image.LANCZOS)
    return ImageOps.expand(inner, border=border, fill=(248, 248, 244))


def camera_date_stamp(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Imprint an orange film-camera date (e.g. '98 07 23) in the bottom-right corner."""
    out = img.convert("RGB").copy()
    draw = ImageDraw.Draw(out)
    year = int(rng.integers(88, 100)) if rng.random() < 0.5 else int(rng.integers(0, 25))
    text = f"'{year:02d} {int(rng.integers(1, 13)):02d} {int(rng.integers(1, 29)):02d}"
    font = _font(int(rng.integers(12, 16)))
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    margin = int(rng.integers(3, 7))
    x = out.width - (right - left) - margin - left
    y = out.height - (bottom - top) - margin - top
    colour = (255, int(rng.integers(110, 160)), int(rng.integers(0, 40)))
    draw.text((x + 1, y + 1), text, font=font, fill=(70, 25, 0))
    draw.text((x, y), text, font=font, fill=colour)
    return out


def camera_shake_blur(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Linear motion blur of 9-14 px at a random angle, averaging shifted copies (numpy)."""
    arr = _to_array(img)
    h, w = arr.shape[:2]
    length = int(rng.integers(9, 15))
    angle = float(rng.uniform(0.0, np.pi))
    pad = length
    padded = np.pad(arr, ((pad, pad), (pad, pad), (0, 0)), mode="edge")
    acc = np.zeros_like(arr)
    for t in np.linspace(-(length - 1) / 2.0, (length - 1) / 2.0, length):
        dx = int(round(t * np.cos(angle)))
        dy = int(round(t * np.sin(angle)))
        acc += padded[pad + dy : pad + dy + h, pad + dx : pad + dx + w]
    return _from_array(acc / length)


def cool_white_balance(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Cool (tungsten-preset) white balance: R x0.78-0.85, G x0.95-1.0, B x1.15-1.25."""
    arr = _to_array(img)
    gains = np.array(
        [rng.uniform(0.78, 0.85), rng.uniform(0.95, 1.0), rng.uniform(1.15, 1.25)],
        dtype=np.float32,
    )
    return _from_array(arr * gains)


def heavy_jpeg_420(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Re-encode as JPEG at quality 11-17 with 4:2:0 chroma subsampling, then decode."""
    buf = io.BytesIO()
    img.convert("RGB").save(buf, format="JPEG", quality=int(rng.integers(11, 18)), subsampling=2)
    buf.seek(0)
    with Image.open(buf) as decoded:
        return decoded.convert("RGB")


def white_grid_overlay(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Overlay a 1 px white grid every 14-20 px at 55-70% opacity (composition-guide style)."""
    arr = _to_array(img)
    step = int(rng.integers(14, 21))
    offset = int(rng.integers(0, step))
    alpha = float(rng.uniform(0.55, 0.7))
    mask = np.zeros(arr.shape[:2], dtype=bool)
    mask[offset::step, :] = True
    mask[:, offset::step] = True
    arr[mask] = arr[mask] * (1.0 - alpha) + 255.0 * alpha
    return _from_array(arr)


def edge_light_leak(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Warm orange film light leak from one random edge (screen blend, 26-40 px falloff)."""
    arr = _to_array(img)
    h, w = arr.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    edge = int(rng.integers(0, 4))
    dist = [xx, (w - 1) - xx, yy, (h - 1) - yy][edge]
    along = [yy, yy, xx, xx][edge]
    span = h if edge < 2 else w
    centre = float(rng.uniform(0.25, 0.75)) * span
    falloff = float(rng.uniform(26.0, 40.0))
    spread = np.exp(-(((along - centre) / (0.4 * span)) ** 2))
    glow = np.exp(-dist / falloff) * (0.65 + 0.35 * spread)
    strength = float(rng.uniform(0.85, 1.0))
    colour = (
        np.array([255.0, rng.uniform(120.0, 170.0), rng.uniform(30.0, 80.0)], dtype=np.float32)
        / 255.0
    )
    light = (glow * strength)[..., None] * colour
    return _from_array(255.0 - (255.0 - arr) * (1.0 - light))


def scattered_dots(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Draw 8-14 small filled coloured dots (radius 2-3 px) at random positions."""
    out = img.convert("RGB").copy()
    draw = ImageDraw.Draw(out)
    palette = [
        (255, 40, 40),
        (40, 220, 60),
        (40, 120, 255),
        (255, 230, 0),
        (255, 0, 220),
        (0, 230, 230),
        (255, 255, 255),
    ]
    for _ in range(int(rng.integers(8, 15))):
        r = int(rng.integers(2, 4))
        cx = int(rng.integers(r + 2, out.width - r - 2))
        cy = int(rng.integers(r + 2, out.height - r - 2))
        colour = palette[int(rng.integers(0, len(palette)))]
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
    return out


def horizontal_stretch_crop(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Stretch horizontally by x1.3-1.5 (bicubic) and centre-crop back to the original width."""
    w, h = img.size
    factor = float(rng.uniform(1.3, 1.5))
    new_w = int(round(w * factor))
    stretched = img.convert("RGB").resize((new_w, h), Image.BICUBIC)
    left = (new_w - w) // 2
    return stretched.crop((left, 0, left + w, h))


def tiny_detection_boxes(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Draw 4-7 tiny 6-12 px lime 1 px outlined boxes, like small-object annotations."""
    out = img.convert("RGB").copy()
    draw = ImageDraw.Draw(out)
    colour = [(0, 255, 0), (0, 255, 255), (255, 0, 0)][int(rng.integers(0, 3))]
    for _ in range(int(rng.integers(4, 8))):
        bw = int(rng.integers(6, 13))
        bh = int(rng.integers(6, 13))
        x0 = int(rng.integers(2, out.width - bw - 2))
        y0 = int(rng.integers(2, out.height - bh - 2))
        draw.rectangle((x0, y0, x0 + bw, y0 + bh), outline=colour, width=1)
    return out


def shift_with_black_band(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Translate the image 16-28 px in a random direction, filling the gap with black."""
    arr = np.asarray(img.convert("RGB"))
    out = np.zeros_like(arr)
    d = int(rng.integers(16, 29))
    direction = int(rng.integers(0, 4))
    if direction == 0:  # content moves right, band on the left
        out[:, d:] = arr[:, :-d]
    elif direction == 1:  # content moves left, band on the right
        out[:, :-d] = arr[:, d:]
    elif direction == 2:  # content moves down, band on top
        out[d:, :] = arr[:-d, :]
    else:  # content moves up, band at the bottom
        out[:-d, :] = arr[d:, :]
    return Image.fromarray(out).convert("RGB")


def digital_zoom(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Digital zoom: crop the central 60-72% (small jitter) and upscale back with LANCZOS."""
    w, h = img.size
    frac = float(rng.uniform(0.6, 0.72))
    cw, ch = int(round(w * frac)), int(round(h * frac))
    jx = int(rng.integers(-3, 4))
    jy = int(rng.integers(-3, 4))
    x0 = min(max((w - cw) // 2 + jx, 0), w - cw)
    y0 = min(max((h - ch) // 2 + jy, 0), h - ch)
    return img.convert("RGB").crop((x0, y0, x0 + cw, y0 + ch)).resize((w, h), Image.LANCZOS)


def faded_film_levels(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Faded-film look: remap levels so blacks lift to 45-70 and whites drop to 195-215."""
    arr = _to_array(img)
    low = float(rng.uniform(45.0, 70.0))
    high = float(rng.uniform(195.0, 215.0))
    return _from_array(low + arr * (high - low) / 255.0)


def saturation_boost(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Vivid-mode saturation boost with ImageEnhance.Color, factor 1.9-2.4."""
    return ImageEnhance.Color(img.convert("RGB")).enhance(float(rng.uniform(1.9, 2.4)))


def _star_points(
    cx: float, cy: float, r_out: float, r_in: float, rot: float
) -> list[tuple[float, float]]:
    """Vertices of a five-pointed star centred at (cx, cy)."""
    pts = []
    for k in range(10):
        r = r_out if k % 2 == 0 else r_in
        a = rot + k * np.pi / 5.0 - np.pi / 2.0
        pts.append((cx + r * float(np.cos(a)), cy + r * float(np.sin(a))))
    return pts


def star_stickers(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Paste 3-5 gold five-pointed star stickers (outer radius 7-12 px, dark outline)."""
    out = img.convert("RGB").copy()
    draw = ImageDraw.Draw(out)
    for _ in range(int(rng.integers(3, 6))):
        r_out = float(rng.uniform(7.0, 12.0))
        cx = float(rng.uniform(r_out + 2, out.width - r_out - 2))
        cy = float(rng.uniform(r_out + 2, out.height - r_out - 2))
        rot = float(rng.uniform(-0.3, 0.3))
        pts = _star_points(cx, cy, r_out, 0.42 * r_out, rot)
        draw.polygon(pts, fill=(255, 210, 0), outline=(90, 50, 0))
    return out


THIRD_EDITS: list[tuple[str, EditFn, tuple[str, ...]]] = [
    ("left-right mirror (numpy column reversal)", mirror_left_right, ("mirrored",)),
    (
        "off-white 7-11 px photo-print border (shrink + ImageOps.expand)",
        white_print_border,
        ("frame",),
    ),
    (
        "orange film-camera date stamp in bottom-right corner (12-15 px text)",
        camera_date_stamp,
        ("text_watermark", "corner_marker"),
    ),
    (
        "camera-shake linear motion blur 9-14 px at random angle (numpy)",
        camera_shake_blur,
        ("motion_blur", "blur"),
    ),
    (
        "cool white balance R x0.78-0.85, B x1.15-1.25",
        cool_white_balance,
        ("cooler", "color_tint"),
    ),
    ("JPEG quality 11-17 with 4:2:0 chroma subsampling", heavy_jpeg_420, ("jpeg",)),
    ("1 px white grid every 14-20 px at 55-70% opacity", white_grid_overlay, ("grid",)),
    (
        "orange light leak from one edge (screen blend, 26-40 px falloff)",
        edge_light_leak,
        ("light_leak",),
    ),
    ("8-14 small coloured dots, radius 2-3 px", scattered_dots, ("circles",)),
    (
        "horizontal stretch x1.3-1.5 then centre crop",
        horizontal_stretch_crop,
        ("stretched_wide",),
    ),
    (
        "4-7 tiny 6-12 px outlined annotation boxes (1 px)",
        tiny_detection_boxes,
        ("tiny_rectangles",),
    ),
    (
        "translation 16-28 px in a random direction, black empty band",
        shift_with_black_band,
        ("shifted",),
    ),
    ("digital zoom: centre crop 60-72% resized back (LANCZOS)", digital_zoom, ("zoomed",)),
    (
        "faded film levels: blacks lifted to 45-70, whites to 195-215",
        faded_film_levels,
        ("lower_contrast", "faded"),
    ),
    ("saturation boost ImageEnhance.Color x1.9-2.4", saturation_boost, ("more_saturated",)),
    ("3-5 gold five-pointed star stickers, radius 7-12 px", star_stickers, ("stars",)),
]
