"""Per-image embeddings of a comparison's images, computed once and shared.

Usage::

    emb = embed_records(model, ctx, [ctx.table.records[i] for i in rows])   # (len(rows), D)
    emb, logits = embed_for_claims(model, ctx, records)  # (N, D) whole images, (N, T) pooled

The learned proposer and the learned scorer both need the describer's embedding of the
same images; this cache (per model, keyed by the file's content hash) makes the encoder run
once per image and compare run, whichever asks first.

Large images are seen twice over: whole, squeezed to the model's input, and as four
overlapping quarters at up to twice that resolution (:func:`image_views`). The whole view
is the image's embedding; the quarters only feed the per-image type detectors of marks that can
sit anywhere (:data:`ANYWHERE_TYPES`), which take the strongest response of any view, so a
14-pixel caption on a 384-pixel photo, 5 pixels once squeezed, is still seen.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from PIL import Image

from ..context import DataContext
from ..types import ImageRecord
from .describer import Describer

_caches: weakref.WeakKeyDictionary[Describer, dict[str, np.ndarray]] = weakref.WeakKeyDictionary()
_MAX_PER_MODEL = 200_000  # view embeddings kept per model (about 200 MB at 256 floats each)

TILE_FROM = 1.75
"""Images whose shorter side is at least this many model input widths also get quarter views."""

TILE_FRACTION = 0.6
"""Each quarter view covers this fraction of each side from one corner, so the quarters
overlap and a mark on the image's middle lines is whole in one of them."""

ANYWHERE_TYPES: frozenset[str] = frozenset({
    "circles", "corner_marker", "grid", "lines", "marks_top_left", "salt_pepper", "stamp",
    "stars", "text_watermark", "tiny_rectangles", "triangles",
})
"""Trained differences that one part of an image shows as well as the whole (marks,
shapes, per-pixel noise): their per-image logit is the maximum over the image's views. The
rest (tone, colour, geometry, blur, layout, the frame) are judged on the whole image only,
since a quarter looks zoomed in and its frame is cut."""

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


def image_views(rgb: np.ndarray, size: int, quarters: bool = True) -> np.ndarray:
    """(V, size, size, 3) uint8 views of one (H, W, 3) image: the whole image first.

    With ``quarters``, images whose shorter side is at least :data:`TILE_FROM` x ``size`` add
    four quarter views (top-left, top-right, bottom-left, bottom-right), each
    :data:`TILE_FRACTION` of the height and width, squeezed to ``size`` like the whole, then
    four corner views (:func:`corner_views`, :data:`CORNER_FRACTION` of the shorter side), where
    a caption or logo in a corner is seen near its own size.
    """
    arr = np.asarray(rgb)
    views = [to_model_input(arr, size)]
    h, w = arr.shape[:2]
    if quarters and min(h, w) >= TILE_FROM * size:
        th, tw = int(round(TILE_FRACTION * h)), int(round(TILE_FRACTION * w))
        for top in (0, h - th):
            for left in (0, w - tw):
                views.append(to_model_input(arr[top:top + th, left:left + tw], size))
        views.extend(corner_views(arr, size, (1, 2, 3, 4)))
    return np.stack(views)


def view_key(content_hash: str, quarters: bool) -> str:
    """The cache key of an image's view embeddings: its content hash, plus "|whole" when
    the views are the whole image only (they depend on the ``quarter_views`` setting)."""
    return content_hash if quarters else f"{content_hash}|whole"


def embed_images(
    model: Describer, images: Iterable[np.ndarray], quarters: bool, batch_size: int = 64
) -> list[np.ndarray]:
    """One (V, D) float32 array of view embeddings (:func:`image_views`) per decoded
    (H, W, 3) image, the whole image's first: what :func:`embed_views_records` caches for
    each group of up to ``batch_size`` images. ``images`` may be a generator: only the
    views of each image are kept, not its pixels."""
    size = model.config.image_size
    views = [image_views(rgb, size, quarters) for rgb in images]
    if not views:
        return []
    emb = model.embed(np.concatenate(views), batch_size=batch_size)  # (sum V, D)
    ends = np.cumsum([len(v) for v in views])
    return list(np.split(emb, ends[:-1]))


def add_view_embeddings(
    model: Describer, embeddings: Mapping[str, np.ndarray], quarters: bool
) -> None:
    """Hand over view embeddings computed elsewhere (e.g. on the workers of a Ray cluster,
    :mod:`tellapart.engine`), so proposers and scorers using ``model`` encode none of these
    images again.

    Parameters
    ----------
    model : Describer
        The describer that made them (the same weights; the cache is per model object).
    embeddings : mapping of str to np.ndarray
        {content hash: (V, D) float32 view embeddings from :func:`embed_images`}.
    quarters : bool
        Whether they include the quarter and corner views (the ``quarter_views`` setting).
    """
    cache = _caches.setdefault(model, {})
    for digest, views in embeddings.items():
        cache[view_key(digest, quarters)] = np.asarray(views, dtype=np.float32)


def embed_views_records(
    model: Describer, ctx: DataContext, records: Sequence[ImageRecord], batch_size: int = 64
) -> list[np.ndarray]:
    """One (V, D) float32 array of view embeddings per record (:func:`image_views`; quarter
    views unless ``ctx.settings.quarter_views`` is False), the whole image's first; decoding
    and encoding only uncached images."""
    quarters = bool(ctx.settings.quarter_views)
    cache = _caches.setdefault(model, {})
    keys = [view_key(r.content_hash, quarters) for r in records]
    todo = list(dict.fromkeys(k for k in keys if k not in cache))
    if todo:
        by_key = dict(zip(keys, records, strict=True))
        # a large image keeps nine views: bound the rows, not the images (9 per image at most)
        if sum(len(v) for v in cache.values()) + 9 * len(todo) > _MAX_PER_MODEL:
            cache.clear()
        for start in range(0, len(todo), batch_size):
            chunk = todo[start:start + batch_size]
            views = embed_images(model, (ctx.load(by_key[k]).rgb for k in chunk), quarters,
                                 batch_size)
            for k, part in zip(chunk, views, strict=True):
                cache[k] = part
    return [cache[k] for k in keys]


def embed_records(
    model: Describer, ctx: DataContext, records: Sequence[ImageRecord]
) -> np.ndarray:
    """(N, D) float32 embeddings of the whole of each image in ``records``."""
    return embed_for_claims(model, ctx, records, type_logits=False)[0]


def embed_for_claims(
    model: Describer, ctx: DataContext, records: Sequence[ImageRecord], type_logits: bool = True
) -> tuple[np.ndarray, np.ndarray | None]:
    """What scoring claims on ``records`` needs: (N, D) whole-image embeddings and, when
    ``type_logits`` and the model has a type head, (N, T) :func:`pooled_type_logits`."""
    views = embed_views_records(model, ctx, records)
    if not views:
        return np.zeros((0, model.config.embed_dim), dtype=np.float32), None
    whole = np.stack([v[0] for v in views])
    pooled = pooled_type_logits(model, views) if type_logits and model.type_head is not None else None
    return whole, pooled


def pooled_type_logits(model: Describer, views: Sequence[np.ndarray]) -> np.ndarray:
    """(N, T) per-image type logits of N images from their (V, D) view embeddings: the whole
    image's, except for :data:`ANYWHERE_TYPES`, which take the maximum over the views."""
    n_types = len(model.type_ids)
    if not views:
        return np.zeros((0, n_types), dtype=np.float32)
    sizes = [len(v) for v in views]
    logits = model.type_logits(np.concatenate(views))  # (sum V, T)
    parts = np.split(logits, np.cumsum(sizes)[:-1])
    out = np.stack([p[0] for p in parts])  # (N, T) whole-image logits
    anywhere = [k for k, t in enumerate(model.type_ids) if t in ANYWHERE_TYPES]
    if anywhere and max(sizes) > 1:
        out[:, anywhere] = np.stack([p[:, anywhere].max(axis=0) for p in parts])
    return out


CORNER_FRACTION = 0.35
"""A located claim's corner view covers this fraction of the image's shorter side (at least
the model's input width), so a small mark in that corner is seen near its own size: on
384-px photographs with a 10-px caption in every set A image's bottom-right corner, the
located claim's AUROC was 0.96-1.0 at 0.35 and 0.82-0.93 at 0.5 (three development draws,
``python benchmarks/typed_claims.py --seeds 0 1 2``)."""


def corner_views(rgb: np.ndarray, size: int, corners: Sequence[int]) -> np.ndarray:
    """(len(corners), size, size, 3) uint8 square crops of one image's corners (1 top-left,
    2 top-right, 3 bottom-left, 4 bottom-right), each :data:`CORNER_FRACTION` of the shorter
    side (at least ``size``) and squeezed to ``size``."""
    arr = np.asarray(rgb)
    h, w = arr.shape[:2]
    side = min(min(h, w), max(size, int(round(CORNER_FRACTION * min(h, w)))))
    out = []
    for corner in corners:
        top = 0 if corner in (1, 2) else h - side
        left = 0 if corner in (1, 3) else w - side
        out.append(to_model_input(arr[top:top + side, left:left + side], size))
    return np.stack(out)


def located_type_logits(model: Describer, ctx: DataContext, records: Sequence[ImageRecord],
                        k: int, corners: Sequence[int]) -> np.ndarray:
    """(N,) type-``k`` logit of N images at one place: the maximum over the image's crops of
    the ``corners`` of that place (:func:`corner_views`) when the image is at least
    :data:`TILE_FROM` input widths on its shorter side, else the whole image's logit."""
    size = model.config.image_size
    whole = embed_views_records(model, ctx, records)
    out = np.zeros(len(records), dtype=np.float32)
    for i, record in enumerate(records):
        rgb = ctx.load(record).rgb
        if min(rgb.shape[:2]) < TILE_FROM * size:
            out[i] = model.type_logits(whole[i][:1])[0, k]
            continue
        views = corner_views(rgb, size, corners)
        out[i] = model.type_logits(model.embed(views))[:, k].max()
    return out


def clear_cache() -> None:
    """Forget every cached embedding."""
    _caches.clear()
