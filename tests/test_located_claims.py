"""A typed claim that says where a mark is is scored at that place (issue 18, item 1)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from tellapart import compare
from tellapart.models.reading import split_location
from tellapart.models.shipped import default_available
from tellapart.report.text import trained_difference_of


@pytest.mark.parametrize(("phrase", "rest", "place"), [
    ("have a watermark in the bottom-right corner", "have a watermark", "bottom-right"),
    ("have a logo in the upper left corner", "have a logo", "top-left"),
    ("carry a stamp in one of the corners", "carry a stamp", "corner"),
    ("show text along the bottom edge", "show text", "bottom"),
    ("have a caption on the right side", "have a caption", "right"),
    ("are darker", "are darker", None),
    ("contain visible letters stamped on top", "contain visible letters stamped on top", None),
])
def test_split_location(phrase: str, rest: str, place: str | None) -> None:
    assert split_location(phrase) == (rest, place)


def _captioned_sets(root: Path, n: int = 16, size: int = 384) -> tuple[Path, Path]:
    """Smooth random photos-like images; every set A image has a 14-px white caption in its
    bottom-right corner."""
    rng = np.random.default_rng(1)
    font = ImageFont.load_default(size=14)
    for side in ("a", "b"):
        (root / side).mkdir()
        for i in range(n):
            base = rng.integers(0, 255, (12, 12, 3)).astype(np.uint8)
            img = Image.fromarray(base).resize((size, size), Image.Resampling.BICUBIC)
            img = img.filter(ImageFilter.GaussianBlur(3))
            if side == "a":
                ImageDraw.Draw(img).text((size - 90, size - 24), "(c) SAMPLE", fill=(255, 255, 255),
                                         font=font)
            img.save(root / side / f"{i}.png")
    return root / "a", root / "b"


@pytest.mark.skipif(not default_available(), reason="no shipped describer weights")
def test_a_located_claim_is_scored_at_its_place(tmp_path: Path) -> None:
    a, b = _captioned_sets(tmp_path)
    right = "Set A images have a watermark in the bottom-right corner"
    wrong_place = "Set A images have a watermark in the top-left corner"
    wrong_set = "Set B images have a watermark in the bottom-right corner"
    report = compare(a, b, cache="", progress=False, jobs=1, proposers=[],
                     hypotheses=[right, wrong_place, wrong_set])
    found = {text: next(f for f in report.findings if f.user and f.description.startswith(text))
             for text in (right, wrong_place, wrong_set)}
    assert not report.untestable_hypotheses
    assert found[right].significant and found[right].more_in == "A"
    assert found[right].concept == "diff:text_watermark@bottom-right:A"
    assert found[right].auroc > 0.9
    assert trained_difference_of(found[right]) == "text_watermark at the bottom-right"
    assert not found[wrong_place].significant  # the caption is not in the top-left corner
    assert not found[wrong_set].significant and found[wrong_set].contradicted


def test_corner_views_crop_the_named_corners() -> None:
    from tellapart.models.runtime import CORNER_FRACTION, corner_views

    rgb = np.zeros((384, 384, 3), dtype=np.uint8)
    rgb[-10:, -10:] = 255  # a white mark in the bottom-right corner only
    views = corner_views(rgb, 128, [1, 2, 3, 4])
    assert views.shape == (4, 128, 128, 3) and CORNER_FRACTION * 384 >= 128
    assert views[3].max() == 255 and views[:3].max() == 0
