"""Measurements (one interpretable number per image) and the features stage that runs them all."""

from __future__ import annotations

# Importing the modules registers their measurements.
from . import color, detail, fileinfo, layout, tone  # noqa: F401
from .base import (
    MEASUREMENTS,
    Measurement,
    create_measurement,
    list_measurements,
    register_measurement,
)
from .features import MeasurementFailure, compute_features, measure_file

__all__ = [
    "MEASUREMENTS",
    "Measurement",
    "MeasurementFailure",
    "compute_features",
    "create_measurement",
    "list_measurements",
    "measure_file",
    "register_measurement",
]
