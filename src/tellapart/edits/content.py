"""Content differences: what is in the scene (more objects, a large object, a kind of shape).

They add scene-like objects (the same drawing style as the ``shapes`` base, opaque, medium
size) rather than marks, so on procedural bases they read as scene content. The shapes base
never draws triangles or stars itself, so "contains triangles" is a real difference there.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import ImageDraw

from ._draw import contrasting_color, draw_on, draw_shape
from .differences import Difference, random_color, register_difference

SCENE_KINDS: tuple[str, ...] = ("rectangle", "ellipse", "polygon", "diamond")


class _Content(Difference):
    family = "content"
    gradable = False

    def is_noop(self, p: dict[str, Any]) -> bool:
        return float(p.get("opacity", 1.0)) <= 0.0 or round(float(p.get("count", 1))) <= 0


@register_difference
class MoreObjects(_Content):
    name = "more_objects"
    concept = "object_count"
    sentence = "Set A images contain more objects than set B images"
    paraphrases = (
        "Set A scenes are more cluttered",
        "There are more shapes in set A images",
        "Set A images are busier, with extra objects",
        "Set B images contain fewer objects than set A images",
    )
    phrase = "many objects"
    wordings = (
        "crowded",
        "cluttered",
        "full of objects",
        "packed with shapes",
        "have lots of items in the scene",
        "have a high object count",
        "have numerous objects scattered around",
        "have extra objects added",
        "busy with many things",
        "contain lots of things",
        "have a dense arrangement of objects",
        "contain many different shapes",
        "busy",
        "crammed",
        "teeming with shapes",
        "filled with objects",
        "have many objects",
        "have lots of shapes",
        "have many shapes",
        "have a lot going on",
        "have a crowded scene",
        "have many items",
        "have numerous shapes",
        "have a cluttered scene",
        "have a high item density",
        "have plenty of objects",
        "have objects everywhere",
        "have a messy, crowded layout",
        "have multiple scattered objects",
        "contain a lot of objects",
        "show numerous scattered items",
        "with extra clutter",
    )
    param_ranges = {"count": (0.0, 9.0)}

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        return {"size_lo": float(rng.uniform(0.05, 0.08)), "size_hi": float(rng.uniform(0.1, 0.16))}

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        count = round(float(p["count"]))

        def paint(d: ImageDraw.ImageDraw, w: int, h: int) -> None:
            side = min(w, h)
            for _ in range(count):
                r = side * rng.uniform(p["size_lo"], p["size_hi"])
                kind = str(rng.choice(SCENE_KINDS))
                draw_shape(
                    d,
                    kind,
                    rng.uniform(0, w),
                    rng.uniform(0, h),
                    r,
                    random_color(rng),
                    rng,
                    filled=bool(rng.random() < 0.8),
                    width=max(1, round(r / 5)),
                    aspect=float(rng.uniform(0.7, 1.4)),
                )

        return draw_on(image, 1.0, paint)


@register_difference
class LargeObject(_Content):
    name = "large_object"
    concept = "object_size"
    sentence = "Set A images contain a large object"
    paraphrases = (
        "A big shape dominates set A images",
        "Set A images include one oversized object",
        "Set A scenes have a large foreground object",
        "There is a very large shape in each set A image",
    )
    phrase = "large object"
    wordings = (
        "have a huge object",
        "dominated by one big shape",
        "have a big object in the centre",
        "have a giant shape",
        "contain a big item filling much of the frame",
        "have one object taking up most of the view",
        "have a massive central object",
        "have a prominent big shape",
        "feature a large subject",
        "have an oversized shape in the middle",
        "contain a dominant large object",
        "have a big main subject",
        "have a big shape",
        "have a large shape",
        "have a large object",
        "have a big object",
        "have one huge shape",
        "have a very big object",
        "have an oversized object",
        "have a big object dominating",
        "have a dominant central shape",
        "have a large foreground shape",
        "have a single big thing",
        "have a massive shape",
        "have a giant object",
        "have one big item",
        "have a huge foreground object",
        "contain one enormous shape",
        "show a large central figure",
        "show a large mass",
        "feature a big shape",
        "with a big shape at the centre",
    )
    param_ranges = {"size": (0.0, 0.42)}  # radius as a fraction of the side

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        return {
            "kind": str(rng.choice(SCENE_KINDS)),
            "color": contrasting_color(image, rng),
            "cx": float(rng.uniform(0.3, 0.7)),
            "cy": float(rng.uniform(0.3, 0.7)),
            "filled": bool(rng.random() < 0.85),
        }

    def is_noop(self, p: dict[str, Any]) -> bool:
        return float(p["size"]) <= 0.0

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        def paint(d: ImageDraw.ImageDraw, w: int, h: int) -> None:
            r = min(w, h) * float(p["size"])
            draw_shape(
                d,
                p["kind"],
                w * p["cx"],
                h * p["cy"],
                r,
                tuple(p["color"]),
                rng,
                filled=p["filled"],
                width=max(2, round(r / 6)),
                aspect=float(rng.uniform(0.8, 1.25)),
            )

        return draw_on(image, 1.0, paint)


class _ShapeKind(_Content):
    kind = "triangle"
    param_ranges = {"opacity": (0.0, 1.0), "count": (1.0, 3.0)}

    def vary(self, image: np.ndarray, s: float, rng: np.random.Generator) -> dict[str, Any]:
        return {"filled": bool(rng.random() < 0.75)}

    def render(self, image: np.ndarray, p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        count = max(1, round(float(p["count"])))

        def paint(d: ImageDraw.ImageDraw, w: int, h: int) -> None:
            side = min(w, h)
            for _ in range(count):
                r = side * rng.uniform(0.08, 0.16)
                draw_shape(
                    d,
                    self.kind,
                    rng.uniform(r, w - r),
                    rng.uniform(r, h - r),
                    r,
                    contrasting_color(image, rng),
                    rng,
                    filled=p["filled"],
                    width=max(1, round(r / 5)),
                )

        return draw_on(image, float(p["opacity"]), paint)


@register_difference
class Triangles(_ShapeKind):
    name = "triangles"
    concept = "triangles"
    kind = "triangle"
    sentence = "Set A images contain triangles"
    paraphrases = (
        "Triangular shapes appear in set A images",
        "Set A images include one or more triangles",
        "There are three-cornered shapes in set A pictures",
        "Set A scenes contain triangle objects",
    )
    phrase = "triangles"
    wordings = (
        "have triangle shapes",
        "with three-sided shapes",
        "have pyramid-like shapes",
        "show triangular objects",
        "feature triangles",
        "contain a triangle or two",
        "have triangular figures",
        "have wedge-shaped objects",
        "have triangles drawn in them",
        "depict triangles",
        "have some triangular forms",
        "have a few triangles",
        "have triangles",
        "have a triangle",
        "contain triangle shapes",
        "have three-cornered shapes",
        "have some triangles",
        "have triangle objects",
        "show triangles",
        "have pointy triangles",
        "have triangular shapes",
        "with triangles in the scene",
        "have a triangle somewhere",
        "have triangular pieces",
        "have delta-shaped objects",
        "include a triangle",
        "feature triangular shapes",
        "have three-sided polygons",
        "show one or more triangles",
        "have triangle outlines",
        "have filled triangles",
        "have arrowhead-like triangles",
    )


@register_difference
class Stars(_ShapeKind):
    name = "stars"
    concept = "stars"
    kind = "star"
    sentence = "Set A images contain star shapes"
    paraphrases = (
        "Star-shaped objects appear in set A images",
        "Set A images include one or more stars",
        "There are pointed star figures in set A pictures",
        "Set A scenes contain star objects",
    )
    phrase = "stars"
    wordings = (
        "have star symbols",
        "feature star shapes",
        "contain a star or two",
        "have five-pointed stars",
        "with star figures",
        "show star-like shapes",
        "depict stars",
        "have a few stars",
        "have spiky star forms",
        "have stars drawn in them",
        "have multi-pointed star objects",
        "include star-shaped figures",
        "have stars",
        "have a star",
        "have star shapes",
        "contain stars",
        "show stars",
        "have some stars",
        "have star objects",
        "have starry shapes",
        "with stars in the scene",
        "have a star somewhere",
        "have pointed stars",
        "have star outlines",
        "have filled stars",
        "include a star",
        "feature stars",
        "have asterisk-like stars",
        "have star polygons",
        "show one or more stars",
        "have starburst shapes",
        "have star icons",
    )
