"""Measurements of images held in memory (e.g. counterfactually edited ones), in this process
or in worker processes.

The features stage measures files; the counterfactual checks edit the other set's images and
measure the edited copies, tens to hundreds of them per comparison. :class:`ImageMeasurer`
spreads them over ``jobs`` worker processes, started on first use and kept until it is closed,
so every check of one comparison shares one pool. Each image is measured on its own, so the
values do not depend on how the images are split between processes.
"""

from __future__ import annotations

import math
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import repeat
from types import TracebackType

import numpy as np

from ..types import DecodedImage
from .base import MEASUREMENTS, create_measurement
from .features import keep_freed_memory, resolved_jobs

MIN_IMAGES_PER_WORKER = 8
"""Fewer images than this per worker are measured in this process: sending them costs more
than measuring them."""


def measure_images(names: Sequence[str], images: Sequence[DecodedImage]) -> np.ndarray:
    """(len(images), len(names)) values of the measurements ``names`` (the columns of a
    :class:`~tellapart.types.FeatureTable`) on images held in memory, in this process.

    Each value is ``create_measurement(name).compute(image)``, as the features stage computes
    it on a decoded file (:func:`tellapart.measure.features.measure_file`); a measurement that
    raises or is not registered gives NaN. File-level measurements (file size, format, ...)
    read ``image.record``, so an edited image that keeps its original record keeps them.
    """
    out = np.full((len(images), len(names)), np.nan)
    for j, name in enumerate(names):
        if name not in MEASUREMENTS:
            continue
        measurement = create_measurement(name)
        for i, image in enumerate(images):
            try:
                out[i, j] = float(measurement.compute(image))
            except Exception:  # noqa: BLE001 - as the features stage: NaN, never a crash
                out[i, j] = np.nan
    return out


class ImageMeasurer:
    """:func:`measure_images` over ``jobs`` worker processes; use it as a context manager (or
    call :meth:`close`) so the workers end with the comparison.

    Parameters
    ----------
    names : sequence of str
        The measurements (the feature table's columns).
    jobs : int
        Worker processes; 0 = every core, 1 = this process only.
    """

    def __init__(self, names: Sequence[str], jobs: int = 1) -> None:
        self.names = list(names)
        self.jobs = resolved_jobs(jobs)
        self._pool: ProcessPoolExecutor | None = None
        self._pool_size = 0

    def measure(self, images: Sequence[DecodedImage]) -> np.ndarray:
        """(len(images), len(names)) values, equal to :func:`measure_images` of ``images``."""
        workers = min(self.jobs, len(images) // MIN_IMAGES_PER_WORKER)
        if self._pool is not None:
            workers = min(workers, self._pool_size)
        if workers <= 1:
            return measure_images(self.names, images)
        size = math.ceil(len(images) / workers)
        chunks = [list(images[i:i + size]) for i in range(0, len(images), size)]
        try:
            parts = list(self._workers(workers).map(measure_images, repeat(self.names), chunks))
        except BrokenProcessPool as exc:
            raise RuntimeError("a worker process died while measuring edited images (a crash "
                               "or running out of memory); run with jobs=1 to see it") from exc
        return np.vstack(parts)

    def _workers(self, size: int) -> ProcessPoolExecutor:
        """The pool, started with ``size`` workers on first use (a fork pool starts them all
        at once, so it is sized for the first batch rather than for every core)."""
        if self._pool is None:
            methods = multiprocessing.get_all_start_methods()
            # fork: the workers start at once, with the measurement bank already imported
            context = multiprocessing.get_context("fork" if "fork" in methods else None)
            self._pool = ProcessPoolExecutor(max_workers=size, mp_context=context,
                                             initializer=keep_freed_memory)
            self._pool_size = size
        return self._pool

    def close(self) -> None:
        """End the worker processes (a later :meth:`measure` starts new ones)."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def __enter__(self) -> ImageMeasurer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
