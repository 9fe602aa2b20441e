"""Geometric differences: rotation, mirroring, zoom, stretch and translation."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PIL import Image

from .differences import Difference, register_difference


class _Geometric(Difference):
    family = "geometric"


def _resample(rng: np.random.Generator) -> str:
    return str(rng.choice(["bilinear", "bicubic"]))


_RESAMPLE = {
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "nearest": Image.Resampling.NEAREST,
}


@register_difference
class Rotated(_Geometric):
    name = "rotated"
    concept = "rotation"
    sentence = "Set A images are rotated"
    comparative = "Set A images are rotated further than set B images"
    paraphrases = (
        "Set A images are tilted",
        "Set A images are turned by some angle",
        "The horizon in set A images is not level",
        "Set A pictures are rotated off the upright",
    )
    phrase = "rotated"
    wordings = (
        "crooked",
        "askew",
        "slanted",
        "off-kilter",
        "at an angle",
        "canted",
        "have a dutch angle",
        "have a tilted horizon",
        "leaning to one side",
        "have a rotation applied",
        "rotated by a few degrees",
        "have empty wedges in the corners from rotating",
        "lopsided",
        "leaning",
        "out of plumb",
        "turned slightly",
        "rotated off-axis",
        "turned by several degrees",
        "rotated clockwise or anticlockwise",
        "have a slanted horizon",
        "have a crooked horizon",
        "have a canted frame",
        "have the content turned at an angle",
        "have an angular tilt",
        "have tilted verticals",
        "have an in-plane rotation",
        "have an off-level orientation",
        "have a rotated framing",
        "have a rotation transform",
        "show rotated positioning",
        "like the camera was held crooked",
        "like scanned slightly crooked",
    )
    param_ranges = {"angle": (0.0, 30.0)}

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        fill = str(rng.choice(["zoom", "zoom", "black", "color"]))
        return {
            "sign": float(rng.choice([-1.0, 1.0])),
            "fill": fill,
            "fill_color": [int(v) for v in rng.integers(0, 256, 3)],
            "resample": _resample(rng),
        }

    def is_noop(self, p: dict[str, Any]) -> bool:
        return float(p["angle"]) == 0.0

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        angle = float(p["angle"]) * float(p.get("sign", 1.0))
        h, w = image.shape[:2]
        pil = Image.fromarray(image)
        if p["fill"] == "zoom" and abs(angle) % 90 != 0:
            # zoom in just enough that no empty corner shows
            a = math.radians(abs(angle) % 90)
            k = math.cos(a) + math.sin(a) * max(w / h, h / w)
            rot = pil.rotate(angle, resample=_RESAMPLE[p["resample"]], expand=False)
            cw, ch = w / k, h / k
            box = ((w - cw) / 2, (h - ch) / 2, (w + cw) / 2, (h + ch) / 2)
            return np.asarray(rot.resize((w, h), _RESAMPLE[p["resample"]], box=box)).copy()
        color = (0, 0, 0) if p["fill"] in ("black", "zoom") else tuple(p["fill_color"])
        if abs(angle) % 90 == 0:
            return np.rot90(image, k=round(angle / 90) % 4).copy()
        rot = pil.rotate(angle, resample=_RESAMPLE[p["resample"]], expand=False, fillcolor=color)
        return np.asarray(rot).copy()


@register_difference
class Mirrored(_Geometric):
    name = "mirrored"
    concept = "mirror"
    # Mirrored random crops of photos, textures and scenes look like unmirrored ones, so
    # suites and streams would hold undetectable tasks; available on request only.
    sampled = False
    binary = True
    gradable = False
    sentence = "Set A images are mirrored left to right"
    paraphrases = (
        "Set A images are flipped horizontally",
        "Set A images are mirror images",
        "Left and right are swapped in set A images",
        "Set A pictures are horizontally reversed",
    )
    phrase = "mirrored"
    wordings = (
        "flipped left-right",
        "flipped side to side",
        "mirror-reversed",
        "reflected horizontally",
        "laterally inverted",
        "flopped",
        "have writing that reads backwards",
        "have left-right reversal",
        "flipped about the vertical axis",
        "like seen in a mirror",
        "have their handedness reversed",
        "have the left side where the right should be",
        "horizontally flipped",
        "mirrored horizontally",
        "reversed left to right",
        "left-right mirrored",
        "flipped sideways",
        "flipped along the y-axis",
        "have a horizontal flip",
        "have mirror-image text",
        "have backwards lettering",
        "have the scene reflected sideways",
        "have the left and right sides swapped",
        "have lateral inversion",
        "have a horizontal reflection applied",
        "have their x coordinates reversed",
        "with laterality reversed",
        "with their orientation reversed left to right",
        "like a selfie camera image",
        "like seen in a looking glass",
        "like a film viewed from the wrong side",
        "reversed like a mirror reflection",
    )

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        return image[:, ::-1].copy()


@register_difference
class UpsideDown(_Geometric):
    name = "upside_down"
    concept = "vertical_flip"
    binary = True
    gradable = False
    sentence = "Set A images are upside down"
    paraphrases = (
        "Set A images are flipped vertically",
        "Top and bottom are swapped in set A images",
        "Set A pictures are turned upside down",
        "Set A images are vertically mirrored",
    )
    phrase = "upside down"
    wordings = (
        "flipped top to bottom",
        "topsy-turvy",
        "the wrong way up",
        "flipped about the horizontal axis",
        "have the sky at the bottom",
        "have the ground at the top",
        "have a vertical flip applied",
        "reflected vertically",
        "have top and bottom reversed",
        "standing on their heads",
        "turned on their heads",
        "vertically reversed",
        "upended",
        "head-down",
        "capsized",
        "bottom-side up",
        "vertically flipped",
        "inverted top-to-bottom",
        "displayed upside-down",
        "standing upside down",
        "hung the wrong way up",
        "mirrored across the horizontal midline",
        "have an upside-down orientation",
        "have a vertical mirror flip",
        "have the top at the bottom",
        "have the floor on top",
        "have their up and down reversed",
        "have gravity reversed",
        "have a craniocaudal flip",
        "with the top and bottom swapped",
        "like a reflection in still water",
        "like hanging from the ceiling",
    )

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        return image[::-1].copy()


@register_difference
class Sideways(_Geometric):
    name = "sideways"
    concept = "quarter_turn"
    # A quarter turn of a texture or a procedural scene looks like another one of its kind:
    # only pictures with an up (photographs, faces, radiographs) show it, so suites do not
    # draw it; training does, and the shipped weights from the recipe of configs/ know it.
    sampled = False
    binary = True
    gradable = False
    sentence = "Set A images are turned sideways"
    paraphrases = (
        "Set A images are rotated by 90 degrees",
        "Set A images lie on their side",
        "Set A pictures are rotated a quarter turn",
        "Set A images are turned through a right angle",
    )
    phrase = "turned sideways"
    wordings = (
        "rotated 90 degrees",
        "rotated ninety degrees",
        "rotated by a quarter turn",
        "rotated 270 degrees",
        "turned on their side",
        "lying on their side",
        "tipped onto their side",
        "turned 90 degrees clockwise",
        "turned 90 degrees counterclockwise",
        "displayed sideways",
        "shown sideways",
        "in sideways orientation",
        "have portrait and landscape swapped",
        "have the horizon running vertically",
        "have the sky at one side",
        "have their exif orientation ignored",
        "have a 90-degree rotation",
        "have a quarter-turn rotation",
        "with up pointing sideways",
        "like a phone photo with the wrong orientation",
    )

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        return {"quarter_turns": int(rng.choice([1, 3]))}

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        h, w = image.shape[:2]
        turned = np.rot90(image, k=int(p["quarter_turns"]))
        if turned.shape[:2] != (h, w):  # a non-square image keeps its size: squeezed back
            return np.asarray(Image.fromarray(np.ascontiguousarray(turned)).resize(
                (w, h), Image.Resampling.BILINEAR)).copy()
        return turned.copy()


@register_difference
class Zoomed(_Geometric):
    name = "zoomed"
    concept = "scale"
    sentence = "Set A images are zoomed in"
    comparative = "Set A images are zoomed in more than set B images"
    paraphrases = (
        "Set A images are tighter crops",
        "Set A images show content magnified",
        "Set A pictures are close-ups of the same kind of scene",
        "Objects look bigger in set A images because they are cropped in",
    )
    phrase = "zoomed in"
    wordings = (
        "magnified",
        "cropped in",
        "close-up",
        "tightly framed",
        "enlarged",
        "have a narrower field of view",
        "show a smaller part of the scene blown up",
        "shot from closer in",
        "have a tight crop",
        "have objects appearing larger",
        "digitally zoomed",
        "scaled up and cropped",
        "zoomed-in",
        "closely cropped",
        "up close",
        "punched in",
        "blown up",
        "have a telephoto look",
        "have a small field of view",
        "acquired with a smaller field of view",
        "show a magnified view",
        "have a magnification applied",
        "have a cropped and enlarged view",
        "have a close crop",
        "show only a portion of the scene, enlarged",
        "have a digital zoom applied",
        "show a tighter view",
        "have a higher magnification",
        "show a cropped-in region at larger scale",
        "with the camera zoomed closer",
        "like viewed through a telephoto lens",
        "like a detail crop",
    )
    param_ranges = {"zoom": (1.0, 2.0)}

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        return {
            "cx": float(rng.uniform(0.3, 0.7)),
            "cy": float(rng.uniform(0.3, 0.7)),
            "resample": _resample(rng),
        }

    def is_noop(self, p: dict[str, Any]) -> bool:
        return float(p["zoom"]) <= 1.0

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        h, w = image.shape[:2]
        z = float(p["zoom"])
        cw, ch = w / z, h / z
        x0 = float(np.clip(p["cx"] * w - cw / 2, 0, w - cw))
        y0 = float(np.clip(p["cy"] * h - ch / 2, 0, h - ch))
        out = Image.fromarray(image).resize(
            (w, h), _RESAMPLE[p["resample"]], box=(x0, y0, x0 + cw, y0 + ch)
        )
        return np.asarray(out).copy()


class _Stretch(_Geometric):
    concept = "aspect"
    horizontal = True
    param_ranges = {"stretch": (1.0, 1.7)}

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        return {"c": float(rng.uniform(0.3, 0.7)), "resample": _resample(rng)}

    def is_noop(self, p: dict[str, Any]) -> bool:
        return float(p["stretch"]) <= 1.0

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        # Stretch by taking a narrower (or shorter) window and resizing it to the full size.
        h, w = image.shape[:2]
        k = float(p["stretch"])
        if self.horizontal:
            cw = w / k
            x0 = float(np.clip(p["c"] * w - cw / 2, 0, w - cw))
            box = (x0, 0.0, x0 + cw, float(h))
        else:
            ch = h / k
            y0 = float(np.clip(p["c"] * h - ch / 2, 0, h - ch))
            box = (0.0, y0, float(w), y0 + ch)
        return np.asarray(
            Image.fromarray(image).resize((w, h), _RESAMPLE[p["resample"]], box=box)
        ).copy()


@register_difference
class StretchedWide(_Stretch):
    name = "stretched_wide"
    opposite = "stretched_tall"
    horizontal = True
    sentence = "Set A images are stretched horizontally"
    comparative = "Set A images are stretched horizontally more than set B images"
    paraphrases = (
        "Set A images look squashed flat and wide",
        "Objects in set A images are too wide",
        "Set A pictures have a distorted, widened aspect ratio",
        "Set A images are pulled out sideways",
    )
    phrase = "stretched wide"
    wordings = (
        "horizontally stretched",
        "widened",
        "elongated sideways",
        "fat-looking",
        "squashed vertically",
        "have objects looking fat and short",
        "have circles turned into wide ovals",
        "have everything widened",
        "have an overly broad aspect ratio",
        "with a horizontal stretch distortion",
        "broadened left to right",
        "like a 4:3 picture shown on a widescreen tv",
        "stretched sideways",
        "squat",
        "stretched left to right",
        "have a widened aspect",
        "have horizontally elongated shapes",
        "have wide, flattened objects",
        "have a horizontal anamorphic stretch",
        "have horizontal scaling applied",
        "have x-axis stretching",
        "have shapes pulled wide",
        "have short, wide proportions",
        "have distorted wide proportions",
        "have everything looking chubby",
        "have anisotropic horizontal scaling",
        "have horizontally magnified content",
        "have a pixel aspect ratio that is too wide",
        "with a horizontal aspect distortion",
        "like a funhouse mirror making things wide",
        "like a picture scaled too wide",
        "squished into a wide, flat look",
    )


@register_difference
class StretchedTall(_Stretch):
    name = "stretched_tall"
    opposite = "stretched_wide"
    horizontal = False
    sentence = "Set A images are stretched vertically"
    comparative = "Set A images are stretched vertically more than set B images"
    paraphrases = (
        "Set A images look elongated and tall",
        "Objects in set A images are too tall and thin",
        "Set A pictures have a distorted, heightened aspect ratio",
        "Set A images are pulled out vertically",
    )
    phrase = "stretched tall"
    wordings = (
        "vertically stretched",
        "elongated upward",
        "thin-looking",
        "squeezed horizontally",
        "have objects looking skinny and tall",
        "have circles turned into tall ovals",
        "have everything made taller",
        "have an overly narrow aspect ratio",
        "with a vertical stretch distortion",
        "drawn out top to bottom",
        "like a widescreen picture squeezed into a narrow frame",
        "lanky and elongated",
        "stretched up and down",
        "stretched top to bottom",
        "elongated top-to-bottom",
        "have a heightened aspect",
        "have vertically elongated shapes",
        "have tall, skinny objects",
        "have a vertical anamorphic stretch",
        "have vertical scaling applied",
        "have y-axis stretching",
        "have shapes pulled tall",
        "have tall, narrow proportions",
        "have distorted tall proportions",
        "have everything looking slim",
        "have anisotropic vertical scaling",
        "have vertically magnified content",
        "have a pixel aspect ratio that is too tall",
        "with a vertical aspect distortion",
        "like a funhouse mirror making things tall",
        "like a picture scaled too tall",
        "have squeezed, narrow-looking shapes",
    )


@register_difference
class Shifted(_Geometric):
    name = "shifted"
    concept = "translation"
    sentence = "Set A images are shifted, leaving an empty band at one edge"
    comparative = "Set A images are shifted further than set B images"
    paraphrases = (
        "Set A images are translated off-centre with a blank strip",
        "Set A image content is moved sideways or up or down",
        "Set A pictures are offset, with an empty margin on one side",
        "Set A images have their content displaced toward one edge",
    )
    phrase = "shifted with blank edge"
    wordings = (
        "displaced",
        "slid to one side",
        "misaligned in the frame",
        "have a blank band along one side",
        "have an empty strip at one edge",
        "have a black bar on one side",
        "have a solid-coloured margin at one edge",
        "have their content pushed toward an edge",
        "have padding on just one side",
        "have a gap where the picture was moved over",
        "have a translation applied with an empty border",
        "moved off-centre leaving a flat band",
        "offset",
        "translated",
        "off-centre",
        "shifted over",
        "misregistered with a blank strip",
        "have an empty edge strip",
        "have a flat-coloured band at one side",
        "have a blank margin on one edge",
        "have a solid stripe along one border",
        "have content pushed off one edge",
        "have a letterbox-like bar on one side",
        "have their content nudged sideways or vertically",
        "have content cut off at one side",
        "have a registration offset",
        "have a pixel shift leaving an empty band",
        "have a dead band along one edge",
        "show a translation with an empty band",
        "like a scan that slipped sideways",
        "like the picture slid in its frame",
        "shifted so one edge shows a plain strip",
    )
    param_ranges = {"shift_frac": (0.0, 0.25)}

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        return {
            "direction": str(rng.choice(["left", "right", "up", "down"])),
            "fill_color": [
                int(v)
                for v in (rng.integers(0, 256, 3) if rng.random() < 0.5 else np.zeros(3, int))
            ],
        }

    def is_noop(self, p: dict[str, Any]) -> bool:
        return float(p["shift_frac"]) <= 0.0 and "dx" not in p and "dy" not in p

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        h, w = image.shape[:2]
        if "dx" in p or "dy" in p:
            dx, dy = int(p.get("dx", 0)), int(p.get("dy", 0))
        else:
            n = round(float(p["shift_frac"]) * (w if p["direction"] in ("left", "right") else h))
            dx = {"left": -n, "right": n}.get(p["direction"], 0)
            dy = {"up": -n, "down": n}.get(p["direction"], 0)
        out = np.empty_like(image)
        out[:] = np.asarray(p["fill_color"], np.uint8)
        ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
        xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
        out[yd, xd] = image[ys, xs]
        return out
