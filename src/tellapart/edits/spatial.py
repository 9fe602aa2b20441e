"""Spatial differences: changes tied to a place in the frame (vignette, half darkened, ...)."""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import ImageDraw

from ._draw import contrasting_color, draw_on, draw_shape
from .differences import Difference, register_difference, to_uint8


class _Spatial(Difference):
    family = "spatial"


@register_difference
class Vignette(_Spatial):
    name = "vignette"
    concept = "vignette"
    sentence = "Set A images have darkened corners (a vignette)"
    comparative = "Set A images have a stronger vignette than set B images"
    paraphrases = (
        "Set A images get darker toward the edges",
        "Set A images show vignetting",
        "The corners of set A images are shaded",
        "Set A pictures fade to dark around the border",
    )
    phrase = "vignette"
    wordings = (
        "vignetted",
        "have dark corners",
        "have shaded edges",
        "have lens vignetting",
        "have light falloff toward the corners",
        "have a bright centre fading to dark edges",
        "have peripheral darkening",
        "have a soft dark oval surrounding the centre",
        "have dim edges and a well-lit centre",
        "have a spotlight look with dark surroundings",
        "have corner shading",
        "have radial darkening around the periphery",
        "fading to black at the edges",
        "have darkened corners",
        "have a vignette effect",
        "have edges that darken gradually",
        "have a tunnel-like darkening at the edges",
        "have edge falloff",
        "have optical vignetting",
        "have a vignette filter",
        "have a darkened periphery",
        "have a soft black surround",
        "have corners fading into shadow",
        "have radial light falloff",
        "have cos-fourth falloff",
        "have the edges burned in",
        "have a circular dark fade at the edges",
        "have shading toward the borders",
        "have a flat-field falloff toward the edges",
        "show peripheral falloff in intensity",
        "like seen through a tube",
        "like a lomo shot with dark corners",
    )
    param_ranges = {"strength": (0.0, 0.85)}

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        return {
            "power": float(rng.uniform(1.5, 3.0)),
            "cx": float(rng.uniform(0.42, 0.58)),
            "cy": float(rng.uniform(0.42, 0.58)),
            "aspect": float(rng.uniform(0.8, 1.25)),
            "color": [
                int(v) for v in (rng.integers(0, 50, 3) if rng.random() < 0.3 else np.zeros(3, int))
            ],
        }

    def is_noop(self, p: dict[str, Any]) -> bool:
        return float(p["strength"]) <= 0.0

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        h, w = image.shape[:2]
        y = (np.arange(h, dtype=np.float32) + 0.5) / h - float(p["cy"])
        x = (np.arange(w, dtype=np.float32) + 0.5) / w - float(p["cx"])
        r2 = (x[None, :] * p["aspect"]) ** 2 + (y[:, None] / p["aspect"]) ** 2
        r = np.sqrt(r2 / 0.5)  # ~1 at the corners
        a = np.clip(float(p["strength"]) * r ** float(p["power"]), 0, 1)[..., None]
        color = np.asarray(p["color"], np.float32)
        return to_uint8(image.astype(np.float32) * (1 - a) + color * a)


@register_difference
class HalfDarkened(_Spatial):
    name = "half_darkened"
    concept = "half_darkened"
    sentence = "Set A images have one half darker than the other"
    comparative = "Set A images have a more strongly darkened half than set B images"
    paraphrases = (
        "One side of each set A image is in shadow",
        "Set A images are darkened on one half",
        "Set A pictures have uneven lighting, with one half dim",
        "Half of every set A image is shaded",
    )
    phrase = "one half darkened"
    wordings = (
        "half in shadow",
        "have a shadowed half",
        "split into a bright half and a dark half",
        "have half the frame dimmed",
        "have one side in shade",
        "have a hard shadow over half the picture",
        "have a brightness step at the midline",
        "have the top, bottom, left or right half dimmed",
        "have a lighting split down the middle",
        "have a dark half and a light half",
        "unevenly lit with one side dark",
        "shot with a graduated nd filter",
        "half-shaded",
        "half-dark",
        "have one dark half",
        "have a darkened half",
        "have half the picture in shadow",
        "have a dark side and a bright side",
        "have one side dimmer",
        "have a sharp brightness boundary down the middle",
        "have a shadow covering half",
        "have a gradient filter darkening one half",
        "have a half-frame shadow",
        "have uneven brightness across the midline",
        "have a left, right, top or bottom half darkened",
        "have an exposure split across the frame",
        "have half the field attenuated",
        "have asymmetric lighting between halves",
        "show a step change in brightness halfway across",
        "with one half dimmed",
        "like half was covered by a shadow",
        "like one half was underexposed",
    )
    param_ranges = {"factor": (1.0, 0.35)}

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        return {
            "side": str(rng.choice(["left", "right", "top", "bottom"])),
            "softness": float(rng.choice([0.0, rng.uniform(0.02, 0.15)])),
        }

    def is_noop(self, p: dict[str, Any]) -> bool:
        return float(p["factor"]) >= 1.0

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        h, w = image.shape[:2]
        horizontal = p["side"] in ("left", "right")
        n = w if horizontal else h
        t = (np.arange(n, dtype=np.float32) + 0.5) / n
        if p["side"] in ("right", "bottom"):
            t = 1 - t
        soft = float(p["softness"])
        # weight 1 on the darkened half, 0 on the other, a ramp of width `soft` between
        weight = np.clip((0.5 - t) / soft + 0.5, 0, 1) if soft > 0 else (t < 0.5).astype(np.float32)
        gain = 1 - (1 - float(p["factor"])) * weight
        gain2 = gain[None, :, None] if horizontal else gain[:, None, None]
        return to_uint8(image.astype(np.float32) * gain2)


@register_difference
class OccludingPatch(_Spatial):
    name = "occluding_patch"
    concept = "occlusion"
    sentence = "Set A images have a large patch covering part of the scene"
    comparative = "Set A images have larger occluding patches than set B images"
    paraphrases = (
        "Part of each set A image is blocked out",
        "Set A images contain an opaque block hiding some content",
        "A big solid region covers part of set A pictures",
        "Set A images are partly occluded",
    )
    phrase = "occluding patch"
    wordings = (
        "occluded",
        "have a big block covering part of them",
        "have a large blob hiding part of the scene",
        "have a region masked out",
        "have a censored region",
        "have part of the content hidden behind a shape",
        "have a big rectangle pasted over the scene",
        "have a large opaque box obscuring content",
        "have a section obscured",
        "have a redacted area",
        "have a chunk blocked from view",
        "have a large area painted over",
        "blocked out",
        "obstructed",
        "partially hidden",
        "partly covered",
        "have a big patch covering them",
        "have a large block obscuring part",
        "have a big solid shape over part of them",
        "have a large mask over part of the scene",
        "have a chunk covered by a box",
        "have a region blanked out",
        "have a big cutout pasted in",
        "have part of the scene erased",
        "have a masked-out region",
        "have an obstruction in front",
        "have a random-erasing patch",
        "have a cutout augmentation patch",
        "have a big noise-filled rectangle",
        "have a sizeable occluder",
        "have a big redaction box",
        "show a large overlying opacity obscuring anatomy",
    )
    param_ranges = {"area": (0.0, 0.22)}

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        return {
            "fill": str(rng.choice(["solid", "solid", "noise", "copy"])),
            "color": contrasting_color(image, rng),
            "aspect": float(rng.uniform(0.6, 1.6)),
            "cx": float(rng.random()),
            "cy": float(rng.random()),
            "shape": str(rng.choice(["rectangle", "rectangle", "ellipse"])),
        }

    def is_noop(self, p: dict[str, Any]) -> bool:
        return float(p["area"]) <= 0.0

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        h, w = image.shape[:2]
        area = float(p["area"]) * h * w
        pw = min(w, max(2, round(np.sqrt(area * p["aspect"]))))
        ph = min(h, max(2, round(area / pw)))
        x0 = round(p["cx"] * (w - pw))
        y0 = round(p["cy"] * (h - ph))
        if p["shape"] == "ellipse":
            yy, xx = np.mgrid[0:ph, 0:pw]
            mask = ((xx + 0.5 - pw / 2) / (pw / 2)) ** 2 + (
                (yy + 0.5 - ph / 2) / (ph / 2)
            ) ** 2 <= 1
        else:
            mask = np.ones((ph, pw), bool)
        if p["fill"] == "noise":
            patch = rng.integers(0, 256, (ph, pw, 3), dtype=np.uint8)
        elif p["fill"] == "copy":
            # a piece of the same image pasted elsewhere, rotated so it is not a no-op
            sx, sy = int(rng.integers(0, w - pw + 1)), int(rng.integers(0, h - ph + 1))
            patch = np.ascontiguousarray(image[sy : sy + ph, sx : sx + pw][::-1, ::-1])
        else:
            patch = np.empty((ph, pw, 3), np.uint8)
            patch[:] = np.asarray(p["color"], np.uint8)
        out = image.copy()
        region = out[y0 : y0 + ph, x0 : x0 + pw]
        region[mask] = patch[mask]
        return out


@register_difference
class MarksTopLeft(_Spatial):
    name = "marks_top_left"
    concept = "marks_top_left"
    gradable = False
    sentence = "Set A images have small marks in the top-left corner"
    paraphrases = (
        "Set A images show small symbols near the upper left",
        "The top-left corner of set A images contains little marks",
        "Set A pictures have tiny shapes in their upper-left region",
        "Small marks appear at the top left of set A images",
    )
    phrase = "marks in the top-left corner"
    wordings = (
        "have marks in the upper left",
        "have little shapes clustered at the top left",
        "have a few symbols in the top-left area",
        "have a cluster of marks at the upper left",
        "have annotations in the top left",
        "have doodles near the upper-left corner",
        "have small marks in the upper-left quadrant",
        "have small dots and boxes at top left",
        "have several little markings near the top-left",
        "marked in the upper left",
        "have shapes drawn in the top-left area",
        "with small icons up in the top left",
        "have small shapes at the top left",
        "have a few tiny marks near the upper left",
        "have little symbols in the upper-left corner",
        "have the top-left corner marked up",
        "have clutter in the upper-left corner",
        "have small icons near the top left",
        "have dots or boxes in the top-left region",
        "have scribbles in the top left",
        "have markings confined to the upper left",
        "have tiny glyphs at upper left",
        "have a small cluster of symbols at top left",
        "have marks near the top-left edge",
        "have a few tiny shapes up and to the left",
        "have little drawn shapes in the northwest corner",
        "have top-left marks",
        "have markers in the upper-left region",
        "have small symbols overlaid near the top left",
        "show annotation markers in the upper-left corner",
        "show small overlay marks at top left",
        "marked up in the top-left corner",
    )
    param_ranges = {"opacity": (0.0, 1.0), "count": (1.0, 4.0)}

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        return {"color": contrasting_color(image, rng), "filled": bool(rng.random() < 0.7)}

    def is_noop(self, p: dict[str, Any]) -> bool:
        return float(p["opacity"]) <= 0.0

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        count = max(1, round(float(p["count"])))

        def paint(d: ImageDraw.ImageDraw, w: int, h: int) -> None:
            side = min(w, h)
            for _ in range(count):
                r = max(1.5, side * rng.uniform(0.02, 0.045))
                cx = rng.uniform(r, 0.3 * w)
                cy = rng.uniform(r, 0.3 * h)
                kind = str(rng.choice(["rectangle", "ellipse", "triangle", "diamond"]))
                draw_shape(
                    d,
                    kind,
                    cx,
                    cy,
                    r,
                    tuple(p["color"]),
                    rng,
                    filled=p["filled"],
                    width=max(1, round(r / 3)),
                )

        return draw_on(image, float(p["opacity"]), paint)


@register_difference
class LightLeak(_Spatial):
    name = "light_leak"
    concept = "light_leak"
    sentence = "Set A images have a bright glow coming from one edge"
    comparative = "Set A images have a stronger light leak than set B images"
    paraphrases = (
        "Set A images show a light leak",
        "A coloured flare washes over one side of set A images",
        "Set A pictures have a glowing haze at one edge",
        "One edge of each set A image is washed out by light",
    )
    phrase = "light leak"
    wordings = (
        "flared",
        "have a warm glow at one edge",
        "have an orange glow bleeding in from the side",
        "have a pink or orange haze near one border",
        "have a bright burst of light at one edge",
        "have stray light leaking in",
        "have a film light-leak effect",
        "have sun flare from one side",
        "have a luminous wash on one side",
        "have glare coming in from an edge",
        "have a coloured bloom near one border",
        "have an overexposed glowing side",
        "light-leaked",
        "have a light leak",
        "have a glowing edge",
        "have a warm flare along one side",
        "have a hazy glow at one side",
        "have a bright flare on one side",
        "have a leaking light glow",
        "have a red-orange light leak",
        "have fogged film at one edge",
        "have a burst of warm light from the border",
        "have a bright haze creeping in from an edge",
        "have a lens flare at the edge",
        "have one edge glowing",
        "have a screen-blended glow near one side",
        "have an edge lit up by stray light",
        "have a rosy glow on one side",
        "have a dreamy edge glow",
        "show a bright blooming region at one edge",
        "like old film with a light leak",
        "like the camera back was opened",
    )
    param_ranges = {"strength": (0.0, 0.9)}

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        hue_pick = rng.choice(
            np.array([[255, 170, 60], [255, 90, 60], [255, 240, 200], [255, 120, 200]])
        )
        return {
            "edge": str(rng.choice(["left", "right", "top", "bottom"])),
            "pos": float(rng.uniform(0.2, 0.8)),
            "radius": float(rng.uniform(0.35, 0.6)),
            "color": [int(v) for v in hue_pick],
        }

    def is_noop(self, p: dict[str, Any]) -> bool:
        return float(p["strength"]) <= 0.0

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        h, w = image.shape[:2]
        cx, cy = {
            "left": (0.0, p["pos"]),
            "right": (1.0, p["pos"]),
            "top": (p["pos"], 0.0),
            "bottom": (p["pos"], 1.0),
        }[p["edge"]]
        y = (np.arange(h, dtype=np.float32) + 0.5) / h - cy
        x = (np.arange(w, dtype=np.float32) + 0.5) / w - cx
        d2 = x[None, :] ** 2 + y[:, None] ** 2
        a = float(p["strength"]) * np.exp(-d2 / (2 * float(p["radius"]) ** 2 / 4))
        color = np.asarray(p["color"], np.float32)
        f = image.astype(np.float32)
        screen = 255 - (255 - f) * (255 - color) / 255  # "screen" blend: only brightens
        return to_uint8(f * (1 - a[..., None]) + screen * a[..., None])
