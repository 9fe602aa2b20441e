"""The measurement plug-in kind: one interpretable number per image, with words for each direction.

Adding a measurement is one class::

    @register_measurement
    class MeanBrightness(Measurement):
        name = "brightness_mean"
        more = "are brighter"          # Set X images <more> than set Y images
        less = "are darker"
        keywords = ("bright", "dark", "light", "dim")
        more_synonyms = ("brighter", "lighter", "more light")   # typed claims that mean `more`
        less_synonyms = ("darker", "dimmer", "less light")
        def compute(self, image: DecodedImage) -> float:
            return float(image.gray.mean())

Its words are all on the class: the proposer words findings with ``more``/``less``
(:mod:`tellapart.measure.words`) and the measurement scorer reads typed claims with them,
the keywords and the synonyms; nothing else needs editing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from ..registry import Registry
from ..types import DecodedImage


class Measurement(ABC):
    """Base class of measurements.

    Class attributes
    ----------------
    name : str
        Unique registry name, also the feature column name.
    version : int
        Bump when ``compute`` changes: cached values of older versions are not reused.
    more, less : str
        Predicate phrases completing "Set A images ___ than set B images" when set A's
        values are higher (``more``) or lower (``less``).
    keywords : tuple of str
        Words that let a typed hypothesis be matched to this measurement.
    property_names : tuple of str
        Nouns naming the property itself, with no direction ("brightness", "contrast"). A
        typed claim that only names the property ("the brightness differs") is tested
        two-sided on this measurement and reported in the direction the data show.
    more_synonyms, less_synonyms : tuple of str
        Other ways of saying ``more`` / ``less`` in a typed claim ("dimmer", "underexposed"
        for "are darker"), each tuple one class of equivalent phrases. A claim using any of
        them is read as this measurement in that direction, and as any other measurement
        whose own ``more``/``less`` phrase is among them (or, when none is, that has one of
        them as a keyword).
    family : str
        Grouping for display ("brightness", "color", "sharpness", "file", ...).
    group : str
        Which bank the measurement belongs to (:data:`MEASUREMENT_GROUPS`): ``"general"``
        runs on every image; ``"medical"`` runs only when a comparison holds medical images
        (see :func:`tellapart.measure.features.bank_names`).
    """

    name: ClassVar[str]
    version: ClassVar[int] = 1
    more: ClassVar[str]
    less: ClassVar[str]
    keywords: ClassVar[tuple[str, ...]] = ()
    property_names: ClassVar[tuple[str, ...]] = ()
    more_synonyms: ClassVar[tuple[str, ...]] = ()
    less_synonyms: ClassVar[tuple[str, ...]] = ()
    family: ClassVar[str] = "other"
    group: ClassVar[str] = "general"

    @abstractmethod
    def compute(self, image: DecodedImage) -> float:
        """The measurement of one decoded image (NaN if undefined for it)."""

    def phrase(self, higher_in_first: bool) -> str:
        return self.more if higher_in_first else self.less


MEASUREMENTS: Registry[Measurement] = Registry("measurement")
register_measurement = MEASUREMENTS.register


MEASUREMENT_GROUPS: tuple[str, ...] = ("general", "medical")
"""Measurement banks: every comparison measures the general one; the medical one is added
when the images are medical (DICOM, NIfTI) or the ``medical_measurements`` setting asks."""


def list_measurements(groups: tuple[str, ...] | None = None) -> list[str]:
    """Registered measurement names (sorted), all of them or those of ``groups`` only."""
    if groups is None:
        return MEASUREMENTS.list()
    unknown = set(groups) - set(MEASUREMENT_GROUPS)
    if unknown:
        raise ValueError(
            f"unknown measurement group(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(MEASUREMENT_GROUPS)}"
        )
    return [name for name, cls in MEASUREMENTS.items() if cls.group in groups]


def create_measurement(name: str) -> Measurement:
    return MEASUREMENTS.create(name)
