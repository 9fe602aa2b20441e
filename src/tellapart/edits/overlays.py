"""Overlay differences: marks drawn on top of the image (rectangles, dots, text, frames...).

The knob ``s`` raises the marks' opacity (``s = 0`` draws nothing visible) and, for most
types, their number or size. Colours, positions, filled/outlined and line widths are drawn per
image.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PIL import ImageDraw

from ._draw import WORDS, contrasting_color, draw_on, draw_shape, font
from .differences import Difference, register_difference


class _Overlay(Difference):
    family = "overlay"
    gradable = False

    def is_noop(self, p: dict[str, Any]) -> bool:
        return float(p.get("opacity", 1.0)) <= 0.0


@register_difference
class TinyRectangles(_Overlay):
    name = "tiny_rectangles"
    sentence = "Set A images contain tiny rectangles"
    paraphrases = (
        "Set A images have small rectangles drawn on them",
        "Little boxes appear in set A images but not in set B images",
        "Set A images are marked with tiny rectangular shapes",
        "There are small squares or rectangles overlaid on the set A images",
        "Set A pictures show a few tiny boxes",
    )
    phrase = "tiny rectangles"
    wordings = (
        "have little boxes scattered over them",
        "have a few small squares drawn at random spots",
        "dotted with small rectangles",
        "have tiny rectangular marks",
        "have small box outlines",
        "covered with tiny squares here and there",
        "with small rectangles overlaid at random places",
        "have a few tiny filled rectangles",
        "have small rectangular blobs",
        "show little square markers scattered around",
        "have miniature boxes in various places",
        "contain several tiny boxes",
        "have small boxes",
        "have little rectangles",
        "have miniature rectangles",
        "have small rectangular outlines",
        "have a few tiny boxes overlaid",
        "sprinkled with little squares",
        "have small coloured squares",
        "have tiny rectangular blocks",
        "have a handful of tiny boxes",
        "have tiny bounding boxes",
        "have little square stickers",
        "have small rectangle markers",
        "have a scatter of tiny rectangles",
        "have miniature squares dotted around",
        "have small boxy marks",
        "have little rectangle overlays",
        "have a few small box shapes drawn in",
        "contain little rectangular shapes",
        "show small rectangular roi boxes",
        "like confetti squares sprinkled on",
    )
    param_ranges = {"opacity": (0.0, 1.0), "count": (1.0, 6.0)}

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        return {"filled": bool(rng.random() < 0.6), "color": contrasting_color(image, rng)}

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        count = max(1, round(p["count"]))

        def paint(d: ImageDraw.ImageDraw, w: int, h: int) -> None:
            side = min(w, h)
            for _ in range(count):
                rw = max(2.0, side * rng.uniform(0.025, 0.06))
                rh = rw * rng.uniform(0.6, 1.6)
                x = rng.uniform(1, w - rw - 1)
                y = rng.uniform(1, h - rh - 1)
                width = max(1, round(side / 96))
                if p["filled"]:
                    d.rectangle((x, y, x + rw, y + rh), fill=tuple(p["color"]))
                else:
                    d.rectangle((x, y, x + rw, y + rh), outline=tuple(p["color"]), width=width)

        return draw_on(image, p["opacity"], paint)


@register_difference
class Circles(_Overlay):
    name = "circles"
    sentence = "Set A images contain small circles or dots"
    paraphrases = (
        "Set A images have dots drawn on them",
        "Small round spots appear in set A images",
        "Set A images are marked with little circles",
        "There are circular dots overlaid on set A pictures",
    )
    phrase = "small dots"
    wordings = (
        "have small round dots",
        "have little circles scattered over them",
        "polka-dotted",
        "dotted with small rings",
        "have tiny circular marks",
        "have small filled discs",
        "have a few small ring outlines",
        "with little round blobs drawn on",
        "show small circular markers",
        "contain tiny circles",
        "have round spots painted on them",
        "have several small circles",
        "have little dots",
        "have small dots overlaid",
        "have tiny rings",
        "have small circular outlines",
        "have dot markers",
        "sprinkled with little dots",
        "have small coloured dots",
        "have tiny round spots",
        "have a handful of dots",
        "have a scatter of tiny circles",
        "have miniature rings dotted around",
        "have small round marks",
        "have bubble-like dots",
        "have little circle overlays",
        "spotted with small circles",
        "have tiny filled circles",
        "have small o-shaped rings",
        "contain little circular shapes",
        "show small circular roi markers",
        "like confetti dots sprinkled on",
    )
    param_ranges = {"opacity": (0.0, 1.0), "count": (1.0, 8.0)}

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        return {"filled": bool(rng.random() < 0.6), "color": contrasting_color(image, rng)}

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        count = max(1, round(p["count"]))

        def paint(d: ImageDraw.ImageDraw, w: int, h: int) -> None:
            side = min(w, h)
            for _ in range(count):
                r = max(1.5, side * rng.uniform(0.015, 0.045))
                cx, cy = rng.uniform(r, w - r), rng.uniform(r, h - r)
                draw_shape(
                    d,
                    "ellipse" if p["filled"] else "ring",
                    cx,
                    cy,
                    r,
                    tuple(p["color"]),
                    rng,
                    filled=p["filled"],
                    width=max(1, round(r / 3)),
                )

        return draw_on(image, p["opacity"], paint)


@register_difference
class Lines(_Overlay):
    name = "lines"
    sentence = "Set A images have thin lines drawn across them"
    paraphrases = (
        "Straight lines are drawn over set A images",
        "Set A images contain line strokes",
        "Set A pictures are crossed by thin straight lines",
        "There are scratch-like lines on set A images",
    )
    phrase = "thin lines"
    wordings = (
        "have random straight lines",
        "crossed by a few lines",
        "have stray line segments",
        "have long thin strokes across them",
        "scratched with straight lines",
        "with lines drawn over them",
        "have a few diagonal lines across them",
        "slashed by thin lines",
        "have thin coloured lines running across",
        "marked with long straight strokes",
        "have line artefacts cutting across them",
        "have lines at random angles",
        "crisscrossed by lines",
        "have straight lines across them",
        "have line overlays",
        "have thin straight strokes",
        "have long thin lines",
        "have lines drawn through them",
        "have random line marks",
        "have stray straight lines",
        "have pen strokes across them",
        "have thin diagonal strokes",
        "have cross-cutting lines",
        "have line scratches",
        "have strike-through lines",
        "have lines slicing through them",
        "have a few ruler-straight lines",
        "have long line segments drawn over them",
        "show linear artefacts across the field",
        "show thin linear marks",
        "like someone drew lines over them",
        "like scratches on film",
    )
    param_ranges = {"opacity": (0.0, 1.0), "count": (1.0, 4.0)}

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        return {
            "color": contrasting_color(image, rng),
            "width_frac": float(rng.uniform(0.006, 0.02)),
        }

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        count = max(1, round(p["count"]))

        def paint(d: ImageDraw.ImageDraw, w: int, h: int) -> None:
            width = max(1, round(min(w, h) * p["width_frac"]))
            for _ in range(count):
                x0, y0 = rng.uniform(0, w), rng.uniform(0, h)
                ang = rng.uniform(0, math.pi)
                length = rng.uniform(0.4, 1.2) * max(w, h)
                x1, y1 = x0 + length * math.cos(ang), y0 + length * math.sin(ang)
                d.line(
                    (x0 - (x1 - x0) / 2, y0 - (y1 - y0) / 2, x1, y1),
                    fill=tuple(p["color"]),
                    width=width,
                )

        return draw_on(image, p["opacity"], paint)


@register_difference
class Grid(_Overlay):
    name = "grid"
    sentence = "Set A images have a grid pattern overlaid"
    paraphrases = (
        "A regular grid of lines covers set A images",
        "Set A images are overlaid with grid lines",
        "Set A pictures show a checkered line grid on top",
        "There is a mesh of horizontal and vertical lines on set A images",
    )
    phrase = "grid overlay"
    wordings = (
        "gridded",
        "have a lattice overlay",
        "covered by a regular grid",
        "have graph-paper lines",
        "have a crosshatch pattern of lines",
        "have a net of evenly spaced lines",
        "have a grid drawn over them",
        "have a square grid overlay",
        "seen through a wire mesh",
        "like a window screen over the picture",
        "have periodic horizontal and vertical lines",
        "with a checkerboard of thin lines over them",
        "grid-covered",
        "have grid lines",
        "have a mesh overlay",
        "have a regular lattice of lines",
        "have a tiled grid pattern",
        "have a rectangular grid",
        "have a diagonal or square grid",
        "have a uniform line grid",
        "have a chicken-wire pattern",
        "have a reference grid overlay",
        "have calibration grid lines",
        "have a crossed-line mesh",
        "have evenly spaced crossing lines",
        "have a net pattern on top",
        "have a trellis of lines",
        "show antiscatter grid lines",
        "divided into squares by lines",
        "like seen through a screen door",
        "like seen through a fence",
        "like a map with grid lines",
    )
    param_ranges = {"opacity": (0.0, 0.85)}

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        return {
            "color": contrasting_color(image, rng),
            "spacing_frac": float(rng.uniform(0.09, 0.25)),
            "angle": float(rng.choice([0.0, 0.0, 0.0, 45.0])),
            "offset": float(rng.random()),
        }

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        h, w = image.shape[:2]
        spacing = max(3.0, min(w, h) * p["spacing_frac"])
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        if p["angle"]:
            a = math.radians(p["angle"])
            xx, yy = xx * math.cos(a) + yy * math.sin(a), -xx * math.sin(a) + yy * math.cos(a)
        thick = max(1.0, min(w, h) / 100)
        off = p["offset"] * spacing
        on = ((xx + off) % spacing < thick) | ((yy + off) % spacing < thick)
        color = np.broadcast_to(np.asarray(p["color"], np.uint8), image.shape)
        out = image.copy()
        mixed = image[on].astype(np.float32) * (1 - p["opacity"]) + color[on] * p["opacity"]
        out[on] = np.clip(np.rint(mixed), 0, 255).astype(np.uint8)
        return out


@register_difference
class TextWatermark(_Overlay):
    name = "text_watermark"
    sentence = "Set A images carry a text watermark"
    paraphrases = (
        "Set A images have text written on them",
        "A word or caption is stamped over set A images",
        "Set A pictures contain overlaid lettering",
        "There is a visible text label on set A images",
    )
    phrase = "text watermark"
    wordings = (
        "watermarked",
        "captioned",
        "have a word printed on them",
        "have writing on them",
        "have a text overlay",
        "have typed text over them",
        "contain written words",
        "with lettering across them",
        "have letters printed over the picture",
        "have a text label burned in",
        "have a word written across part of the picture",
        "show a copyright-style text mark",
        "have text",
        "have a watermark",
        "have a word on them",
        "have a visible watermark",
        "have a caption",
        "have a text caption overlaid",
        "have words written over them",
        "have lettering",
        "have letters on them",
        "have a typed label",
        "have burned-in text",
        "have a text annotation",
        "have a printed word",
        "have a stock-photo watermark",
        "have a copyright watermark",
        "have writing overlaid",
        "show a burned-in annotation",
        "show burned-in lettering",
        "like stock photos with a watermark",
        "with a word typed across them",
    )
    param_ranges = {"opacity": (0.0, 0.95)}

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        return {
            "text": str(rng.choice(WORDS)),
            "color": contrasting_color(image, rng),
            "size_frac": float(rng.uniform(0.1, 0.2)),
            "x_frac": float(rng.uniform(0.0, 0.6)),
            "y_frac": float(rng.uniform(0.0, 0.85)),
            "outlined": bool(rng.random() < 0.3),
        }

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        def paint(d: ImageDraw.ImageDraw, w: int, h: int) -> None:
            f = font(round(min(w, h) * p["size_frac"]))
            xy = (w * p["x_frac"], h * p["y_frac"])
            stroke = 1 if p["outlined"] else 0
            d.text(
                xy,
                p["text"],
                font=f,
                fill=tuple(p["color"]),
                stroke_width=stroke,
                stroke_fill=(0, 0, 0) if sum(p["color"]) > 380 else (255, 255, 255),
            )

        return draw_on(image, p["opacity"], paint)


@register_difference
class Stamp(_Overlay):
    name = "stamp"
    sentence = "Set A images carry a logo-like stamp"
    paraphrases = (
        "A small emblem or logo appears on set A images",
        "Set A images are marked with a badge",
        "Set A pictures have a stamp-like symbol on them",
        "There is a logo overlaid on set A images",
    )
    phrase = "logo stamp"
    wordings = (
        "stamped",
        "have a logo",
        "have an emblem",
        "have a seal on them",
        "have an insignia overlaid",
        "branded with a logo",
        "have a rubber-stamp mark",
        "have a crest-like icon",
        "have an icon overlaid",
        "have a star or letter inside a ring",
        "have a badge-like symbol",
        "have a brand mark placed on them",
        "logoed",
        "have a logo stamp",
        "have a logo mark",
        "have a small emblem",
        "have a badge",
        "have a stamped symbol",
        "have an ink-stamp symbol",
        "have a seal-like emblem",
        "have a circular badge",
        "have a round seal stamped on",
        "have a symbol in a ring or square",
        "have a company logo",
        "have a brand logo overlaid",
        "have a sigil",
        "have an official-looking seal",
        "have a postmark-like stamp",
        "have a monogram badge",
        "have a hallmark symbol",
        "have a bug-style channel logo",
        "have a pictogram stamp",
    )
    param_ranges = {"opacity": (0.0, 1.0)}

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        return {
            "color": contrasting_color(image, rng),
            "size_frac": float(rng.uniform(0.1, 0.2)),
            "inner": str(rng.choice(["star", "triangle", "letter", "diamond"])),
            "outer": str(rng.choice(["ring", "square", "none"])),
            "cx_frac": float(rng.uniform(0.15, 0.85)),
            "cy_frac": float(rng.uniform(0.15, 0.85)),
        }

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        def paint(d: ImageDraw.ImageDraw, w: int, h: int) -> None:
            r = min(w, h) * p["size_frac"] / 2
            cx, cy = w * p["cx_frac"], h * p["cy_frac"]
            color = tuple(p["color"])
            width = max(1, round(r / 6))
            if p["outer"] == "ring":
                d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=color, width=width)
            elif p["outer"] == "square":
                d.rectangle((cx - r, cy - r, cx + r, cy + r), outline=color, width=width)
            inner_r = r * (0.65 if p["outer"] != "none" else 1.0)
            if p["inner"] == "letter":
                f = font(round(inner_r * 1.6))
                d.text(
                    (cx, cy), str(rng.choice(list("ABKMRSTXZ"))), font=f, fill=color, anchor="mm"
                )
            else:
                draw_shape(d, p["inner"], cx, cy, inner_r, color, rng, filled=True)

        return draw_on(image, p["opacity"], paint)


@register_difference
class Frame(_Overlay):
    name = "frame"
    sentence = "Set A images have a frame around the border"
    paraphrases = (
        "Set A images are surrounded by a border",
        "A coloured frame runs along the edges of set A images",
        "Set A pictures have a margin or border line around them",
        "The edges of set A images are framed",
    )
    phrase = "border frame"
    wordings = (
        "framed",
        "bordered",
        "have a border",
        "have a picture frame",
        "enclosed in a frame",
        "have a coloured edge band on all sides",
        "with a coloured outline around the edges",
        "have a thick line around the outside",
        "outlined by a frame-like stripe",
        "have a box drawn around the whole picture",
        "have a double border line",
        "have solid bands along all four edges",
        "bordered all round",
        "have a frame",
        "have a border around them",
        "have a coloured border",
        "have a thin coloured border",
        "have an edge border",
        "have a rim around them",
        "have a passe-partout border",
        "have a frame around the outside",
        "enclosed by a coloured border",
        "have a margin line around the edges",
        "have a rectangular outline around the picture",
        "have all four edges painted",
        "with a rim of colour around them",
        "have a solid border on every side",
        "have an inner border line",
        "have a keyline border",
        "have a stroke around the canvas edges",
        "show a border frame",
        "like a framed painting",
    )
    param_ranges = {"opacity": (0.0, 1.0), "width_frac": (0.02, 0.07)}

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        return {
            "color": contrasting_color(image, rng),
            "style": str(rng.choice(["solid", "solid", "inset", "double"])),
        }

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        h, w = image.shape[:2]
        t = max(1, round(min(w, h) * p["width_frac"]))
        mask = np.zeros((h, w), bool)

        def ring(off: int, thick: int) -> None:
            mask[off : off + thick, off : w - off] = True
            mask[h - off - thick : h - off, off : w - off] = True
            mask[off : h - off, off : off + thick] = True
            mask[off : h - off, w - off - thick : w - off] = True

        if p["style"] == "solid":
            ring(0, t)
        elif p["style"] == "inset":
            ring(max(1, t // 2), max(1, t // 2))
        else:
            thin = max(1, t // 3)
            ring(0, thin)
            ring(2 * thin, thin)
        out = image.copy()
        color = np.asarray(p["color"], np.float32)
        mixed = image[mask].astype(np.float32) * (1 - p["opacity"]) + color * p["opacity"]
        out[mask] = np.clip(np.rint(mixed), 0, 255).astype(np.uint8)
        return out


@register_difference
class CornerMarker(_Overlay):
    name = "corner_marker"
    sentence = "Set A images have a marker in one corner"
    paraphrases = (
        "A small mark sits in a corner of set A images",
        "Set A images show a corner tag",
        "Set A pictures have a little symbol in a corner",
        "There is a corner badge on set A images",
    )
    phrase = "corner marker"
    wordings = (
        "have a corner mark",
        "have a tab in a corner",
        "have a dog-ear in the corner",
        "have a filled triangle in one corner",
        "have one corner marked",
        "have a coloured corner flag",
        "have a single mark tucked in a corner",
        "with a blob in one of the corners",
        "have a coloured square or dot in a corner",
        "have a corner indicator",
        "have a mark at one of the four corners",
        "have a small corner sticker",
        "have a corner tag",
        "have a marker in a corner",
        "have a small corner marker",
        "have a coloured corner",
        "have a corner triangle",
        "have a triangle folded into a corner",
        "have a square marker in one corner",
        "have a dot in one corner",
        "have one corner flagged",
        "have a corner icon",
        "have a coloured patch in a corner",
        "have a corner notch",
        "have a corner label",
        "have a tiny block at a corner",
        "have a marked corner",
        "have a page-corner fold look",
        "have an orientation marker in a corner",
        "show a lead marker in a corner",
        "with a corner flag",
        "with one corner tagged in colour",
    )
    param_ranges = {"opacity": (0.0, 1.0), "size_frac": (0.06, 0.13)}

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        return {
            "color": contrasting_color(image, rng),
            "corner": str(rng.choice(["tl", "tr", "bl", "br"])),
            "kind": str(rng.choice(["triangle_corner", "square", "ellipse"])),
        }

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        def paint(d: ImageDraw.ImageDraw, w: int, h: int) -> None:
            m = max(3.0, min(w, h) * p["size_frac"])
            left = p["corner"] in ("tl", "bl")
            top = p["corner"] in ("tl", "tr")
            x0 = 0.0 if left else w - 1.0
            y0 = 0.0 if top else h - 1.0
            sx = 1 if left else -1
            sy = 1 if top else -1
            color = tuple(p["color"])
            if p["kind"] == "triangle_corner":
                d.polygon([(x0, y0), (x0 + sx * m, y0), (x0, y0 + sy * m)], fill=color)
            else:
                pad = m * 0.15
                box = sorted([x0 + sx * pad, x0 + sx * (pad + m * 0.8)])
                boy = sorted([y0 + sy * pad, y0 + sy * (pad + m * 0.8)])
                rect = (box[0], boy[0], box[1], boy[1])
                if p["kind"] == "square":
                    d.rectangle(rect, fill=color)
                else:
                    d.ellipse(rect, fill=color)

        return draw_on(image, p["opacity"], paint)
