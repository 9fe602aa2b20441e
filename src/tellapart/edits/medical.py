"""Medical differences: acquisition shortcuts and findings drawn as pixel edits.

Wires and tubes, burned-in text, laterality markers, collimation, an inverted grey scale,
AP-like magnification and a narrower display window are the acquisition differences that
models of medical images learn instead of disease; enlarged ventricles, lesion size, colour
and border, and cell density are content differences. Each type has ``domain = "medical"``
and names the medical base kinds it makes sense on (``base_kinds``): suites and training
streams draw them only where asked (:func:`tellapart.synth.suites.sampled_types`), so the
photograph suites and the shipped describer's types are those of the general domain.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PIL import ImageDraw
from scipy import ndimage

from ._draw import draw_on, font
from .differences import Difference, luma, register_difference, to_uint8
from .photometric import Inverted

_CHEST_BRAIN = ("chest", "brain")
_LESION = ("dermoscopy",)

CYTOPLASM = np.asarray([0.86, 0.55, 0.72], np.float32)
"""Stained cytoplasm colour (RGB in [0, 1]) of drawn cells."""
NUCLEUS = np.asarray([0.3, 0.16, 0.45], np.float32)
"""Stained nucleus colour (RGB in [0, 1]) of drawn cells."""


def soft_ellipse(
    shape: tuple[int, int], cx: float, cy: float, rx: float, ry: float, soft: float = 0.15
) -> np.ndarray:
    """(H, W) float32 mask in [0, 1] of an ellipse (centre and radii as fractions of the
    width and height): 1 inside, falling to 0 over ``soft`` of the radius."""
    h, w = shape
    y = ((np.arange(h, dtype=np.float32) + 0.5) / h)[:, None]
    x = ((np.arange(w, dtype=np.float32) + 0.5) / w)[None, :]
    r = np.sqrt(((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2)
    return np.clip((1.0 + soft - r) / (2.0 * soft), 0.0, 1.0).astype(np.float32)


def draw_cells(rgb: np.ndarray, rng: np.random.Generator, n: int) -> None:
    """Draw ``n`` stained cells (cytoplasm with a dark nucleus) at random into float ``rgb``
    (H, W, 3) in [0, 1], in place."""
    shape = rgb.shape[:2]
    for _ in range(n):
        cx, cy = rng.uniform(0.03, 0.97, 2)
        r = rng.uniform(0.035, 0.055)
        cell = soft_ellipse(shape, cx, cy, r * rng.uniform(0.8, 1.2), r, 0.2)[..., None]
        rgb[:] = rgb * (1.0 - 0.8 * cell) + CYTOPLASM * 0.8 * cell
        nuc = soft_ellipse(shape, cx, cy, r * 0.45, r * 0.45 * rng.uniform(0.8, 1.2), 0.3)
        rgb[:] = rgb * (1.0 - nuc[..., None]) + NUCLEUS * rng.uniform(0.8, 1.15) * nuc[..., None]


def radial_warp(
    image: np.ndarray, centre: tuple[float, float], factor: np.ndarray | float, radius: float
) -> np.ndarray:
    """Resample ``image`` so that the point at distance r (pixels) from ``centre`` (x, y)
    shows what lay at r * (1 - (1 - factor) * max(0, 1 - r / radius)).

    ``factor`` < 1 magnifies the centre (the edge at ``radius`` and beyond stays put);
    an array of shape (H, W) gives a factor per pixel (a border warped by angle).
    """
    h, w = image.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    dx, dy = xx - centre[0], yy - centre[1]
    r = np.sqrt(dx * dx + dy * dy)
    pull = 1.0 - (1.0 - np.asarray(factor, np.float32)) * np.clip(1.0 - r / radius, 0.0, 1.0)
    coords = [centre[1] + dy * pull, centre[0] + dx * pull]
    out = np.empty_like(image)
    for c in range(3):
        out[..., c] = ndimage.map_coordinates(image[..., c], coords, order=1, mode="nearest")
    return out


def dark_centroid(image: np.ndarray) -> tuple[float, float, float]:
    """(x, y, equivalent radius) in pixels of the pixels darker than halfway between the
    5th and 75th luma percentiles, restricted to the central two thirds; the image centre
    and a tenth of its side when there are none."""
    lum = luma(image)
    h, w = lum.shape
    low, high = np.percentile(lum, [5, 75])
    dark = lum < 0.5 * (low + high)
    dark[: h // 6], dark[h - h // 6 :], dark[:, : w // 6], dark[:, w - w // 6 :] = (
        False, False, False, False)
    if dark.sum() < 4:
        return (w - 1) / 2.0, (h - 1) / 2.0, 0.1 * min(h, w)
    ys, xs = np.nonzero(dark)
    return float(xs.mean()), float(ys.mean()), float(math.sqrt(dark.sum() / math.pi))


class _Medical(Difference):
    domain = "medical"
    gradable = False


# -- acquisition ---------------------------------------------------------------------------------


@register_difference
class WiresTubes(_Medical):
    name = "wires_tubes"
    family = "overlay"
    base_kinds = ("chest",)
    sentence = "Set A images show wires or tubes"
    paraphrases = (
        "Set A images have lines or catheters running across them",
        "Thin tubes cross set A images",
        "Set A radiographs show monitoring leads and tubes",
        "There are wires visible in set A images",
    )
    phrase = "wires and tubes"
    wordings = (
        "have a catheter in place",
        "show a nasogastric tube",
        "show ecg leads",
        "have monitoring wires across the chest",
        "have lines and tubes visible",
        "show an endotracheal tube",
        "have thin bright curving lines",
        "show support devices",
    )
    param_ranges = {"opacity": (0.0, 0.95)}

    def is_noop(self, p: dict[str, Any]) -> bool:
        return float(p["opacity"]) <= 0.0

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        n = int(rng.integers(1, 4))
        return {"curves": [rng.uniform(0.05, 0.95, 5).round(4).tolist() for _ in range(n)]}

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        def paint(draw: ImageDraw.ImageDraw, w: int, h: int) -> None:
            width = max(1, round(min(w, h) / 90))
            for x0, x1, y1, x2, y2 in p["curves"]:  # from the top edge, a quadratic Bezier
                t = np.linspace(0.0, 1.0, 40)
                xs = ((1 - t) ** 2 * x0 + 2 * (1 - t) * t * x1 + t**2 * x2) * w
                ys = (2 * (1 - t) * t * y1 + t**2 * y2) * h
                draw.line(list(zip(xs.tolist(), ys.tolist(), strict=True)), fill=(245, 245, 245),
                          width=width)
                r = 2 * width  # the electrode or tip at the end
                draw.ellipse((xs[-1] - r, ys[-1] - r, xs[-1] + r, ys[-1] + r), fill=(250, 250, 250))

        return draw_on(image, float(p["opacity"]), paint)


_TEXT_CHARS = "ABCDEFGHKLMNPRSTUVWXYZ0123456789"


@register_difference
class BurnedInText(_Medical):
    name = "burned_in_text"
    family = "overlay"
    base_kinds = ("chest", "brain")
    sentence = "Set A images have burned-in text in their corners"
    paraphrases = (
        "Set A images carry printed annotation text in the corners",
        "Text is burned into the corners of set A images",
        "Set A images show acquisition details written on the image",
        "There is overlay text at the edges of set A images",
    )
    phrase = "burned-in corner text"
    wordings = (
        "have burned-in annotations",
        "have scanner text printed on the image",
        "show acquisition parameters as text",
        "have corner annotations",
        "carry printed study details",
        "have text burned into the pixels",
        "show overlay text in the corners",
        "have lines of small text at the edges",
    )
    param_ranges = {"opacity": (0.0, 1.0)}

    def is_noop(self, p: dict[str, Any]) -> bool:
        return float(p["opacity"]) <= 0.0

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        corners = rng.choice(["tl", "tr", "bl", "br"], size=int(rng.integers(1, 3)), replace=False)
        lines = ["".join(rng.choice(list(_TEXT_CHARS), size=int(rng.integers(4, 8))))
                 for _ in range(3)]
        return {"corners": [str(c) for c in corners], "lines": lines,
                "n_lines": int(rng.integers(2, 4)), "level": int(rng.integers(215, 256))}

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        def paint(draw: ImageDraw.ImageDraw, w: int, h: int) -> None:
            size = max(6, round(min(w, h) / 13))
            face = font(size)
            fill = (p["level"],) * 3
            for corner in p["corners"]:
                for k, text in enumerate(p["lines"][: p["n_lines"]]):
                    box = draw.textbbox((0, 0), text, font=face)
                    x = 2 if corner[1] == "l" else w - 2 - (box[2] - box[0])
                    y = 1 + k * (size + 1) if corner[0] == "t" else h - (k + 1) * (size + 1) - 1
                    draw.text((x, y), text, fill=fill, font=face)

        return draw_on(image, float(p["opacity"]), paint)


@register_difference
class LateralityMarker(_Medical):
    name = "laterality_marker"
    family = "overlay"
    base_kinds = ("chest",)
    sentence = "Set A images have a laterality marker (an L or R letter)"
    paraphrases = (
        "Set A radiographs carry a left or right side marker",
        "An L or R letter is placed on set A images",
        "Set A images show a side marker letter",
        "There is a laterality letter on set A images",
    )
    phrase = "laterality marker"
    wordings = (
        "have an l or r marker",
        "have a side marker letter",
        "carry a lead letter marker",
        "show a large letter r near the edge",
        "have a left-right marker",
        "have a boxed letter marking the side",
        "show the patient's side marked with a letter",
        "have a radiographer's side marker",
    )
    param_ranges = {"opacity": (0.0, 1.0), "size_frac": (0.1, 0.16)}

    def is_noop(self, p: dict[str, Any]) -> bool:
        return float(p["opacity"]) <= 0.0

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        return {"letter": str(rng.choice(["L", "R"])), "x": float(rng.uniform(0.04, 0.2)),
                "y": float(rng.uniform(0.04, 0.2)), "right": bool(rng.random() < 0.5),
                "boxed": bool(rng.random() < 0.4)}

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        def paint(draw: ImageDraw.ImageDraw, w: int, h: int) -> None:
            size = max(8, round(min(w, h) * p["size_frac"]))
            face = font(size)
            box = draw.textbbox((0, 0), p["letter"], font=face)
            tw, th = box[2] - box[0], box[3] - box[1]
            x = w * p["x"] if not p["right"] else w * (1 - p["x"]) - tw
            y = h * p["y"]
            if p["boxed"]:
                draw.rectangle((x - 2, y - 2, x + tw + 3, y + th + box[1] + 3),
                               outline=(250, 250, 250), width=max(1, size // 10))
            draw.text((x - box[0], y), p["letter"], fill=(250, 250, 250), font=face)

        return draw_on(image, float(p["opacity"]), paint)


@register_difference
class Collimation(_Medical):
    name = "collimation"
    family = "spatial"
    base_kinds = ("chest",)
    sentence = "Set A images are collimated (uniform bands along the edges)"
    paraphrases = (
        "Set A images show collimator shutters at their borders",
        "Set A radiographs are coned down, with blank shuttered margins",
        "Uniform grey bands from collimation frame set A images",
        "Set A images have the field narrowed by shutters",
    )
    phrase = "collimation bands"
    wordings = (
        "have shutter bands at the edges",
        "have tight coning",
        "show the collimator edges",
        "have unexposed borders from collimation",
        "have light uniform strips along the sides",
        "have the x-ray field narrowed",
        "show blank shuttered margins",
        "have collimated edges",
    )
    param_ranges = {"depth": (0.0, 0.16)}

    def is_noop(self, p: dict[str, Any]) -> bool:
        return float(p["depth"]) <= 0.0

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        sides = [bool(v) for v in rng.random(4) < 0.75]
        if not any(sides):
            sides[int(rng.integers(4))] = True
        return {"sides": sides, "level": int(rng.integers(170, 236)),
                "jitter": rng.uniform(0.7, 1.3, 4).round(3).tolist()}

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        out = image.copy()
        h, w = image.shape[:2]
        for side, (on, k) in enumerate(zip(p["sides"], p["jitter"], strict=True)):
            if not on:
                continue
            depth = max(1, round(float(p["depth"]) * k * (h if side < 2 else w)))
            band = (slice(0, depth), slice(None)) if side == 0 else \
                (slice(h - depth, h), slice(None)) if side == 1 else \
                (slice(None), slice(0, depth)) if side == 2 else (slice(None), slice(w - depth, w))
            out[band] = p["level"]
        return out


@register_difference
class InvertedGrayscale(_Medical):
    """The grey-scale view of :class:`~tellapart.edits.photometric.Inverted`, on medical bases."""

    name = "inverted_grayscale"
    family = "photometric"
    concept = "inversion"
    binary = True
    base_kinds = _CHEST_BRAIN
    sentence = "Set A images have an inverted grey scale"
    paraphrases = (
        "Set A images are displayed with reversed grey-scale polarity",
        "Set A radiographs look like negatives",
        "The grey scale of set A images is inverted",
        "Set A images are MONOCHROME1 data displayed as stored",
    )
    phrase = "inverted grey scale"
    wordings = (
        "have a white background and dark anatomy",
        "show bones dark and air light",
        "have inverted grey-scale polarity",
        "have monochrome1 display",
        "have a reversed grey scale",
        "have the radiograph shown in negative",
        "have black bones",
        "have an inverted window",
    )

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        return Inverted().render(image, p, rng)


@register_difference
class ApMagnification(_Medical):
    name = "ap_magnification"
    family = "geometric"
    base_kinds = ("chest",)
    sentence = "Set A images show the central anatomy magnified (as in AP views)"
    paraphrases = (
        "The heart and mediastinum look larger in set A images",
        "Set A radiographs look like AP projections, with magnified central structures",
        "Central structures are enlarged in set A images",
        "Set A images have a magnified centre, like anteroposterior views",
    )
    phrase = "magnified central anatomy"
    wordings = (
        "have the look of ap views",
        "have an enlarged cardiac silhouette",
        "show a magnified heart shadow",
        "have a widened mediastinum",
        "resemble portable anteroposterior films",
        "have central structures blown up",
        "show projection magnification",
        "have a bigger heart outline",
    )
    param_ranges = {"factor": (1.0, 0.72)}

    def is_noop(self, p: dict[str, Any]) -> bool:
        return float(p["factor"]) >= 1.0

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        h, w = image.shape[:2]
        centre = ((w - 1) / 2.0, (h - 1) * 0.55)
        return radial_warp(image, centre, float(p["factor"]), 0.6 * min(h, w))


@register_difference
class WindowLevel(_Medical):
    name = "window_level"
    family = "photometric"
    base_kinds = _CHEST_BRAIN
    sentence = "Set A images are shown with a narrower window (more contrast, clipped tones)"
    paraphrases = (
        "Set A images use a narrower display window",
        "The window width is smaller in set A images, so tones clip",
        "Set A images are windowed more tightly",
        "Set A images have a narrow window and level setting",
    )
    phrase = "narrow display window"
    wordings = (
        "have a tight window setting",
        "have narrow windowing",
        "have clipped blacks and whites from windowing",
        "use a small window width",
        "show a harsh window and level",
        "have a narrow grey-level window",
        "have tones pushed to black and white by the window",
        "have a steep display ramp",
    )
    param_ranges = {"width": (1.0, 0.5)}

    def is_noop(self, p: dict[str, Any]) -> bool:
        return float(p["width"]) >= 1.0

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        return {"shift": float(rng.uniform(-0.05, 0.05))}

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        level = float(np.median(luma(image))) / 255.0 + float(p["shift"])
        level = min(max(level, 0.5 * p["width"]), 1.0 - 0.5 * p["width"])
        low = level - 0.5 * float(p["width"])
        out = (image.astype(np.float32) / 255.0 - low) / float(p["width"])
        return to_uint8(np.clip(out, 0.0, 1.0) * 255.0)


# -- content -----------------------------------------------------------------------------------


@register_difference
class EnlargedVentricles(_Medical):
    name = "enlarged_ventricles"
    family = "content"
    base_kinds = ("brain",)
    sentence = "Set A images show enlarged ventricles (as in atrophy)"
    paraphrases = (
        "The ventricles at the centre are larger in set A images",
        "Set A brain slices have wider ventricles",
        "Set A images show ventricular enlargement",
        "Set A scans look atrophic, with big ventricles",
    )
    phrase = "enlarged ventricles"
    wordings = (
        "have dilated ventricles",
        "show ventriculomegaly",
        "have big dark spaces in the middle of the brain",
        "show an atrophic brain",
        "show widened csf spaces at the centre",
        "have hydrocephalus-like ventricles",
        "have swollen dark central cavities",
        "show brain volume loss",
    )
    param_ranges = {"grow": (0.0, 0.06)}

    def is_noop(self, p: dict[str, Any]) -> bool:
        return float(p["grow"]) <= 0.0

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        h, w = image.shape[:2]
        lum = luma(image)
        dark = float(np.percentile(lum[h // 3 : h - h // 3, w // 3 : w - w // 3], 3))
        grow = float(p["grow"])
        mask = np.zeros((h, w), np.float32)
        for side in (-1, 1):
            mask = np.maximum(mask, soft_ellipse((h, w), 0.5 + side * 0.055, 0.48,
                                                 0.03 + grow, 0.1 + 1.5 * grow, 0.3))
        out = image.astype(np.float32) * (1.0 - mask[..., None]) + dark * mask[..., None]
        return to_uint8(out)


@register_difference
class LargerLesion(_Medical):
    name = "larger_lesion"
    family = "content"
    base_kinds = _LESION
    sentence = "Set A images show larger lesions"
    paraphrases = (
        "The lesion covers more of the skin in set A images",
        "Set A lesions are bigger",
        "Set A images have lesions of greater diameter",
        "The pigmented spot is larger in set A images",
    )
    phrase = "larger lesion"
    wordings = (
        "have a bigger mole",
        "have a wider pigmented area",
        "show a lesion of larger diameter",
        "have a grown lesion",
        "have an enlarged skin spot",
        "have more of the frame taken up by the lesion",
        "show a broad pigmented lesion",
        "have a large nevus",
    )
    param_ranges = {"factor": (1.0, 0.6)}

    def is_noop(self, p: dict[str, Any]) -> bool:
        return float(p["factor"]) >= 1.0

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        x, y, radius = dark_centroid(image)
        return radial_warp(image, (x, y), float(p["factor"]), 2.2 * radius)


@register_difference
class LesionColor(_Medical):
    name = "lesion_color"
    family = "content"
    base_kinds = _LESION
    sentence = "Set A lesions are blue-grey"
    paraphrases = (
        "Set A images show lesions with a blue-grey colour",
        "The lesions of set A images look slate blue-grey",
        "Set A lesions have a blue-white veil",
        "Set A pigmented areas are greyish blue",
    )
    phrase = "blue-grey lesion"
    wordings = (
        "have a blue-white veil",
        "have bluish pigment",
        "show a slate-grey lesion",
        "have steel-blue areas in the lesion",
        "have a lesion tinged blue",
        "show grey-blue structures",
        "have a darker, cooler lesion colour",
        "have a lesion that is not brown but blue",
    )
    param_ranges = {"amount": (0.0, 0.75)}

    def is_noop(self, p: dict[str, Any]) -> bool:
        return float(p["amount"]) <= 0.0

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        lum = luma(image)
        low, high = np.percentile(lum, [5, 75])
        weight = np.clip((0.5 * (low + high) + 10.0 - lum) / 20.0, 0.0, 1.0)
        weight = ndimage.gaussian_filter(weight, 1.0) * float(p["amount"])
        target = np.asarray([70.0, 85.0, 120.0], np.float32)
        out = image.astype(np.float32) * (1.0 - weight[..., None]) + target * weight[..., None]
        return to_uint8(out)


@register_difference
class IrregularBorder(_Medical):
    name = "irregular_border"
    family = "content"
    base_kinds = _LESION
    sentence = "Set A lesions have irregular, notched outlines"
    paraphrases = (
        "The lesion outlines in set A images are ragged",
        "Set A lesions have uneven, jagged edges",
        "Set A images show lesions with irregular outlines",
        "The outlines of set A lesions are notched rather than round",
    )
    phrase = "irregular lesion border"
    wordings = (
        "have a ragged lesion edge",
        "show notched mole borders",
        "have an asymmetric, uneven outline",
        "have a lesion with scalloped margins",
        "have a jagged pigmented border",
        "show an ill-defined irregular edge",
        "have a lesion with spiky borders",
        "have poorly circumscribed margins",
    )
    param_ranges = {"amount": (0.0, 0.35)}

    def is_noop(self, p: dict[str, Any]) -> bool:
        return float(p["amount"]) <= 0.0

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        k = rng.choice(np.arange(4, 11), size=3, replace=False)
        return {"harmonics": [int(v) for v in k], "phases": rng.uniform(0, 6.28, 3).tolist()}

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        x, y, radius = dark_centroid(image)
        h, w = image.shape[:2]
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        angle = np.arctan2(yy - y, xx - x)
        wave = sum(np.sin(k * angle + ph) for k, ph in zip(p["harmonics"], p["phases"], strict=True))
        factor = 1.0 + float(p["amount"]) * np.asarray(wave, np.float32) / 2.0
        return radial_warp(image, (x, y), factor, 2.0 * radius)


@register_difference
class CellDensity(_Medical):
    name = "cell_density"
    family = "content"
    base_kinds = ("microscopy",)
    sentence = "Set A images show more densely packed cells"
    paraphrases = (
        "Set A fields contain more cells",
        "Cells are more crowded in set A images",
        "Set A images have a higher cell density",
        "There are more nuclei per field in set A images",
    )
    phrase = "dense cells"
    wordings = (
        "have crowded nuclei",
        "show hypercellular tissue",
        "have a higher nuclear count",
        "have cells packed closely together",
        "show more cells per field",
        "have dense cellularity",
        "have many stained nuclei",
        "show tightly packed cells",
    )
    param_ranges = {"extra": (0.0, 1.0)}

    def is_noop(self, p: dict[str, Any]) -> bool:
        return float(p["extra"]) <= 0.0

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        h, w = image.shape[:2]
        n = max(1, round(float(p["extra"]) * 20 * h * w / 128**2))
        rgb = image.astype(np.float32) / 255.0
        draw_cells(rgb, rng, n)
        return to_uint8(rgb * 255.0)
