"""Where the shipped describer weights live, without importing torch.

The learned proposer and scorer are registered on every ``import tellapart``; asking
whether weights ship must not cost a torch import (about a second and hundreds of MB in
every process), so these names live apart from :mod:`tellapart.models.weights`.
"""

from __future__ import annotations

from pathlib import Path

WEIGHTS_FILE = "model.safetensors"
META_FILE = "describer.json"
DEFAULT_DIR = Path(__file__).resolve().parent.parent / "data" / "describer"
"""Where the shipped weights live (package data)."""


def default_available() -> bool:
    """Whether shipped weights exist in the package."""
    return (DEFAULT_DIR / META_FILE).is_file() and (DEFAULT_DIR / WEIGHTS_FILE).is_file()
