"""Loading: finding the files of a set, reading and decoding them, and the feature cache."""

from __future__ import annotations

from .decode import (
    DECODER_VERSION,
    DEFAULT_MAX_PIXELS,
    MAX_WORKING_SIDE,
    content_hash,
    decode_image,
    load_image,
    load_thumbnail,
    read_file,
)
from .discover import discover
from .errors import BadImageError, CacheError, InputError
from .store import FeatureStore, default_cache_path

__all__ = [
    "DECODER_VERSION",
    "DEFAULT_MAX_PIXELS",
    "MAX_WORKING_SIDE",
    "BadImageError",
    "CacheError",
    "FeatureStore",
    "InputError",
    "content_hash",
    "decode_image",
    "default_cache_path",
    "discover",
    "load_image",
    "load_thumbnail",
    "read_file",
]
