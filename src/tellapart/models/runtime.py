"""Per-image embeddings of a comparison's images, computed once and shared.

Usage::

    emb = embed_records(model, ctx, [ctx.table.records[i] for i in rows])   # (len(rows), D)

The learned proposer and the learned scorer both need the describer's embedding of the
same images; this cache (per model, keyed by the file's content hash) makes the encoder run
once per image and compare run, whichever asks first.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import numpy as np
from PIL import Image

from ..propose.base import DataContext
from ..types import ImageRecord
from .describer import Describer

_caches: weakref.WeakKeyDictionary[Describer, dict[str, np.ndarray]] = weakref.WeakKeyDictionary()
_MAX_PER_MODEL = 200_000


def to_model_input(rgb: np.ndarray, size: int) -> np.ndarray:
    """(H, W, 3) float in [0, 1] (or uint8) -> (size, size, 3) uint8, antialiased.

    The whole frame is kept (non-square images are squeezed, not cropped): a mark in a
    corner must not be cut away.
    """
    arr = np.asarray(rgb)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) image, got shape {arr.shape}")
    if arr.dtype != np.uint8:
        arr = np.clip(np.rint(arr.astype(np.float32) * 255.0), 0, 255).astype(np.uint8)
    if arr.shape[:2] == (size, size):
        return arr
    return np.asarray(Image.fromarray(arr).resize((size, size), Image.Resampling.BILINEAR))


def embed_records(
    model: Describer, ctx: DataContext, records: Sequence[ImageRecord], batch_size: int = 64
) -> np.ndarray:
    """(N, D) float32 embeddings of ``records``, decoding and encoding only uncached images."""
    cache = _caches.setdefault(model, {})
    todo = list(dict.fromkeys(r.content_hash for r in records if r.content_hash not in cache))
    if todo:
        by_hash = {r.content_hash: r for r in records}
        if len(cache) + len(todo) > _MAX_PER_MODEL:
            cache.clear()
        size = model.config.image_size
        for start in range(0, len(todo), batch_size):
            chunk = todo[start:start + batch_size]
            pixels = np.stack([to_model_input(ctx.load(by_hash[h]).rgb, size) for h in chunk])
            for h, e in zip(chunk, model.embed(pixels), strict=True):
                cache[h] = e
    if not records:
        return np.zeros((0, model.config.embed_dim), dtype=np.float32)
    return np.stack([cache[r.content_hash] for r in records])


def clear_cache() -> None:
    """Forget every cached embedding."""
    _caches.clear()
