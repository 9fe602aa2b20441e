"""The engine plug-in kind: where the per-image stage (reading, decoding, measuring, the
describer's embeddings) runs. The statistics after it run on the driver, unchanged.

Usage::

    engine = create_engine("ray")                  # or "local" (the default)
    per_image = engine.run(sources, settings=settings, store=store, describer=True)
    per_image.table                                # one row per usable image, as locally
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ..config import Settings
from ..io import FeatureStore
from ..measure import compute_features
from ..measure.features import Source
from ..registry import Registry
from ..types import FeatureTable, ImageSet


@dataclass
class PerImage:
    """What the per-image stage hands to the statistics: small tables, never pixels.

    Attributes
    ----------
    sets : list of ImageSet
        One per source, records in input order, skipped files with their reasons.
    table : FeatureTable
        One row per usable image, the measurement bank's columns.
    info : dict
        Timings, counts and ``warnings`` (see :func:`tellapart.measure.compute_features`).
    view_embeddings : dict of str to np.ndarray
        {content hash: (V, D) float32 view embeddings of the default describer}
        (:func:`tellapart.models.runtime.embed_images`), when the engine computed them
        beside the features; empty when they are computed on first use, as locally.
    quarters : bool
        Whether ``view_embeddings`` include the quarter and corner views.
    """

    sets: list[ImageSet]
    table: FeatureTable
    info: dict[str, Any]
    view_embeddings: dict[str, np.ndarray] = field(default_factory=dict)
    quarters: bool = True


class Engine(ABC):
    """Base class of engines: run the per-image stage of a comparison somewhere."""

    name: ClassVar[str]

    def unavailable_reason(self) -> str | None:
        """Why this engine cannot run in this installation (e.g. a missing extra), or None.

        Checked before any image is read, so a run that cannot do what was asked stops at once.
        """
        return None

    @abstractmethod
    def run(
        self,
        sources: list[Source],
        *,
        settings: Settings,
        store: FeatureStore,
        describer: bool,
    ) -> PerImage:
        """Measure every usable image of every source.

        Parameters
        ----------
        sources : list of (set_name, source, paths, skipped)
            As for :func:`tellapart.measure.compute_features`.
        settings : Settings
            The comparison's settings.
        store : FeatureStore
            The open feature cache; only the driver writes it.
        describer : bool
            The default describer will embed every usable image (the learned proposer
            runs): an engine may compute the embeddings beside the features.

        Returns
        -------
        PerImage
            The same sets and table as :class:`LocalEngine` gives, whatever the engine.
        """


ENGINES: Registry[Engine] = Registry("engine")
register_engine = ENGINES.register


def list_engines() -> list[str]:
    """Registered engine names, sorted."""
    return ENGINES.list()


def create_engine(name: str, **kwargs: object) -> Engine:
    """The engine registered under ``name`` (RegistryError for an unknown one)."""
    return ENGINES.create(name, **kwargs)


@register_engine
class LocalEngine(Engine):
    """This machine's threads and processes (``settings.jobs``); the describer's embeddings
    are computed on first use by the proposers and scorers that need them."""

    name = "local"

    def run(
        self,
        sources: list[Source],
        *,
        settings: Settings,
        store: FeatureStore,
        describer: bool,
    ) -> PerImage:
        sets, table, info = compute_features(
            sources, settings=settings, progress=settings.progress, store=store
        )
        return PerImage(sets, table, info, quarters=bool(settings.quarter_views))
