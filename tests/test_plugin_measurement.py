"""Adding a measurement is one class: registered, it is measured, proposed, tested and worded.

The throwaway measurement below is defined and registered inside the test and removed
again afterwards; nothing else in tellapart knows about it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tellapart import compare
from tellapart.measure import MEASUREMENTS, Measurement, register_measurement
from tellapart.measure.words import synonym_classes
from tellapart.types import DecodedImage
from tellapart.verify.measurement import MeasurementScorer

NAME = "center_dot_test"


@pytest.fixture
def center_dot() -> Iterator[type[Measurement]]:
    """Register a throwaway measurement, as a contributor would add one; unregistered after."""

    @register_measurement
    class CenterDot(Measurement):
        """Brightness of the 5x5 pixels at the image centre."""

        name = NAME
        more = "have a brighter dot at the very center"
        less = "have a darker dot at the very center"
        keywords = ("dot", "center", "centre")
        more_synonyms = ("glowing center", "a light in the middle")
        family = "layout"

        def compute(self, image: DecodedImage) -> float:
            h, w = image.gray.shape
            return float(image.gray[h // 2 - 2 : h // 2 + 3, w // 2 - 2 : w // 2 + 3].mean())

    yield CenterDot
    MEASUREMENTS.unregister(NAME)


def _write_sets(root: Path, n: int = 20, size: int = 64) -> tuple[Path, Path]:
    """Two sets of random-noise images; set B's have a white 5x5 dot at the centre."""
    rng = np.random.default_rng(0)
    dirs = root / "a", root / "b"
    for d in dirs:
        d.mkdir()
    for i in range(n):
        for d in dirs:
            img = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
            if d.name == "b":
                c = size // 2
                img[c - 2 : c + 3, c - 2 : c + 3] = 255
            Image.fromarray(img).save(d / f"{i:03d}.png")
    return dirs


def test_a_registered_measurement_is_found_and_named_in_words(
    tmp_path: Path, center_dot: type[Measurement]
) -> None:
    set_a, set_b = _write_sets(tmp_path)
    report = compare(set_a, set_b, proposers=["measurements"], cache="", progress=False, jobs=1)
    mine = [f for f in report.findings if f.concept.startswith(f"{NAME}:")]
    assert mine, "the plug-in measurement was not proposed"
    finding = mine[0]
    assert finding.significant
    assert finding.concept == f"{NAME}:lower"  # set A's centre is darker
    assert finding.description in (
        "Set A images have a darker dot at the very center than set B images",
        "Set B images have a brighter dot at the very center than set A images",
    )


def test_a_registered_measurement_reads_its_own_synonyms(center_dot: type[Measurement]) -> None:
    assert any(c.name == NAME for c in synonym_classes())
    hyp = MeasurementScorer().interpret("set B images have a glowing center")
    assert hyp is not None
    assert (hyp.params["measurement"], hyp.params["sign"], hyp.more_in) == (NAME, 1, "B")
    assert hyp.description.startswith(
        "Set B images have a brighter dot at the very center than set A images")


def test_the_registry_is_restored_after_a_plug_in_test() -> None:
    assert NAME not in MEASUREMENTS
    assert all(c.name != NAME for c in synonym_classes())


def test_every_declared_synonym_reads_as_its_measurement() -> None:
    """A class's ``more_synonyms``/``less_synonyms`` mean its own direction, typed alone."""
    table = MeasurementScorer()._phrase_table()
    meanings: dict[str, set[tuple[str, int]]] = {}
    for phrase, name, sign in table:
        meanings.setdefault(phrase, set()).add((name, sign))
    for cls in synonym_classes():
        for phrase in cls.phrases:
            assert (cls.name, cls.sign) in meanings[phrase], (phrase, cls.name)
