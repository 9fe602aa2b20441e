"""Measurements (one interpretable number per image) and the features stage that runs them all."""

from __future__ import annotations

# Importing the modules registers their measurements.
from . import color, detail, fileinfo, layout, medical, tone  # noqa: F401
from .base import (
    MEASUREMENT_GROUPS,
    MEASUREMENTS,
    Measurement,
    create_measurement,
    list_measurements,
    register_measurement,
)
from .features import (
    FileWork,
    HashedFile,
    LocalFileWork,
    MeasuredFile,
    MeasurementFailure,
    MeasureTask,
    bank_names,
    compute_features,
    measure_chunk,
    measure_file,
    read_and_hash,
)

__all__ = [
    "MEASUREMENTS",
    "MEASUREMENT_GROUPS",
    "FileWork",
    "HashedFile",
    "LocalFileWork",
    "MeasureTask",
    "MeasuredFile",
    "Measurement",
    "MeasurementFailure",
    "bank_names",
    "compute_features",
    "create_measurement",
    "list_measurements",
    "measure_chunk",
    "measure_file",
    "read_and_hash",
    "register_measurement",
]
