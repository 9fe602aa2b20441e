"""Where the shipped describer weights live, without importing torch.

The learned proposer and scorer are registered on every ``import tellapart``; asking
whether weights ship must not cost a torch import (about a second and hundreds of MB in
every process), so these names live apart from :mod:`tellapart.models.weights`.
"""

from __future__ import annotations

import os
from pathlib import Path

WEIGHTS_FILE = "model.safetensors"
META_FILE = "describer.json"
DEFAULT_DIR = Path(__file__).resolve().parent.parent / "data" / "describer"
"""Where the shipped weights live (package data)."""


ENV_VAR = "TELLAPART_DESCRIBER"
"""Names a folder of describer weights to use instead of the shipped ones (e.g. your own
``tellapart train --out DIR`` gives ``DIR/final``)."""


def describer_dir() -> Path:
    """The folder the default describer is loaded from: ``$TELLAPART_DESCRIBER`` or the shipped one."""
    override = os.environ.get(ENV_VAR, "").strip()
    return Path(override).expanduser() if override else DEFAULT_DIR


def default_available() -> bool:
    """Whether the default describer's files exist (it is not loaded, so not yet checked)."""
    folder = describer_dir()
    return (folder / META_FILE).is_file() and (folder / WEIGHTS_FILE).is_file()
