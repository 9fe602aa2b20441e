"""The ``ray`` engine: the per-image stage as Ray Data ``map_batches`` over the file list.

Usage::

    tellapart compare A/ B/ --engine ray                       # a local Ray instance
    tellapart compare A/ B/ --engine ray --ray-address auto    # the cluster this node is in
    tellapart.compare("A/", "B/", engine="ray", ray_address="ray://head:10001")

Ray Data passes, each over a table of small columns (paths, hashes), none of which sends
pixels back:

1. every file is read and hashed on a worker; the driver looks the hashes up in the
   feature cache (:class:`~tellapart.io.FeatureStore`) before anything is decoded;
2. the cache misses are decoded and measured on workers (:func:`tellapart.measure.measure_file`);
   the driver writes the results to the cache (it is the only writer). When the learned
   proposer runs, this pass runs in a pool of describer actors (:class:`MeasureEmbedder`;
   each loads the weights shipped in the package once) that also embed each usable image
   while it is decoded, so no image is decoded twice;
3. images that were not measured in this run (cache hits) are embedded in a pool of
   describer actors (:class:`Embedder`).

The driver gathers one row of numbers per image (and the describer's view embeddings) and
assembles them in input order, whatever order the workers finish in; bad files are skipped,
counted and named exactly as by the local engine, because the same functions judge them.
Ray is imported only here and only when this engine runs (the ``tellapart[ray]`` extra).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..config import Settings
from ..io import BadImageError, FeatureStore, InputError, content_hash, decode_image, read_file
from ..io.medical import ReaderOptions, current_reader_options, use_reader_options
from ..io.store import CachedRecord
from ..measure import (
    FileWork,
    HashedFile,
    MeasuredFile,
    MeasureTask,
    compute_features,
    measure_chunk,
    read_and_hash,
)
from ..measure.features import Source, decode_and_measure, keep_freed_memory
from ..types import ImageRecord
from .base import Engine, PerImage, register_engine

RAY_INSTALL = "pip install 'tellapart[ray]'"
"""The command that installs what this engine needs (Ray Data and its Arrow tables)."""

# Files per block of the read-and-hash pass, tasks per block of the measuring pass (the
# local engine's chunk), images per block of the describer pass (the local batch).
_HASH_BLOCK = 256
_MEASURE_BLOCK = 32
_EMBED_BLOCK = 64


class RayUnavailableError(InputError):
    """Ray Data is not installed: the one-line message names the pip command."""


def ray_missing_reason() -> str | None:
    """Why the ray engine cannot run here (Ray Data or Arrow not installed), or None."""
    missing = [m for m in ("ray", "pyarrow") if importlib.util.find_spec(m) is None]
    if missing:
        return (f"--engine ray needs Ray Data ({', '.join(missing)} not installed); install it "
                f"with: {RAY_INSTALL}")
    return None


def import_ray() -> Any:
    """The ``ray`` module with Ray Data loaded.

    Raises
    ------
    RayUnavailableError
        Ray Data is not installed (the message names the pip command).
    """
    reason = ray_missing_reason()
    if reason is not None:
        raise RayUnavailableError(reason)
    import ray
    import ray.data  # noqa: F401  (Ray Data is a subpackage that ``import ray`` leaves out)

    return ray


@contextmanager
def connected(address: str | None) -> Iterator[Any]:
    """Ray, initialised: the running instance if this process has one, else a connection to
    ``address`` ("auto", "ray://host:10001", a head node's "host:6379"), else a new local
    instance using every core. A connection made here is closed on leaving."""
    ray = import_ray()
    started = not ray.is_initialized()
    if started:
        # address None: a new local instance ("local"), never a cluster that another process
        # happens to run on this machine (that one is --ray-address auto)
        options: dict[str, Any] = {"address": address if address is not None else "local",
                                   "logging_level": logging.WARNING, "log_to_driver": False}
        if address is None:
            options["include_dashboard"] = False  # a dashboard only for a cluster that has one
        ray.init(**options)
    # tellapart draws its own bar; Ray Data's per-operator bars and banners would interleave
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    data_context = ray.data.DataContext.get_current()
    data_context.enable_progress_bars = False
    data_context.print_on_execution_start = False
    try:
        yield ray
    finally:
        if started:
            ray.shutdown()


def _blocks(ray: Any, columns: Mapping[str, Sequence[Any] | np.ndarray], rows_per_block: int) -> Any:
    """A Ray dataset of ``columns`` in Arrow blocks of ``rows_per_block`` rows (a block is the
    unit a worker gets; no per-row Python objects are made beside the lists given)."""
    import pyarrow as pa

    n = len(next(iter(columns.values())))
    tables = [
        pa.table({name: values[start:start + rows_per_block] for name, values in columns.items()})
        for start in range(0, n, rows_per_block)
    ]
    return ray.data.from_arrow(tables)


# -- worker side: top-level functions, imported by name on each worker ---------------------------


def hash_block(batch: dict[str, np.ndarray], cwd: str) -> dict[str, np.ndarray]:
    """Read and hash the files of one block (:func:`tellapart.measure.read_and_hash`); a
    relative path is taken from the driver's working folder ``cwd``."""
    hashed = [read_and_hash(os.path.join(cwd, str(path))) for path in batch["path"]]
    return {
        "i": batch["i"],
        "hash": np.array([h or "" for h, _, _ in hashed], dtype=object),
        "reason": np.array([r or "" for _, r, _ in hashed], dtype=object),
        "medical": np.array([m for _, _, m in hashed], dtype=bool),
    }


def measure_block(batch: dict[str, np.ndarray], max_pixels: int, options: ReaderOptions,
                  cwd: str) -> dict[str, np.ndarray]:
    """Decode and measure the files of one block under the driver's reader options (relative
    paths from ``cwd``); each result as one JSON text (NaN kept; floats round-trip exactly)."""
    _tune_allocator_once()
    tasks: list[MeasureTask] = [
        (os.path.join(cwd, str(path)), str(digest), tuple(n for n in str(names).split(",") if n))
        for path, digest, names in zip(batch["path"], batch["hash"], batch["names"], strict=True)
    ]
    with use_reader_options(options):
        results = measure_chunk(tasks, max_pixels)
    return {"result": np.array([_result_json(r) for r in results], dtype=object)}


_allocator_tuned = False


def _tune_allocator_once() -> None:
    """:func:`~tellapart.measure.features.keep_freed_memory` in this worker process, once: as
    in the local engine's workers, measuring an image then costs no page faults on arrays
    freed by the image before. A Ray worker process serves this job's tasks only and ends
    with the job, so the setting reaches nothing else."""
    global _allocator_tuned
    if not _allocator_tuned:
        keep_freed_memory()
        _allocator_tuned = True


def _result_json(result: MeasuredFile) -> str:
    record = None if result.record is None else list(vars(result.record).values())
    return json.dumps([result.content_hash, result.status, result.reason, record,
                       result.values, result.failures, result.header])


def _result_from_json(text: str) -> MeasuredFile:
    digest, status, reason, record, values, failures, header = json.loads(text)
    return MeasuredFile(digest, status, reason,
                        None if record is None else CachedRecord(*record),
                        {str(k): float(v) for k, v in values.items()},
                        {str(k): str(v) for k, v in failures.items()},
                        tuple((str(k), str(v)) for k, v in header))


def _checked_describer(weights_sha256: str) -> Any:
    """The default describer, loaded in this worker, after checking that its weights are the
    driver's (a worker with other weights refuses to start)."""
    from ..models.shipped import describer_dir
    from ..models.weights import load_default, read_meta

    found = read_meta(describer_dir())["weights_sha256"]
    if found != weights_sha256:
        raise RuntimeError(
            f"this Ray worker's describer weights (sha256 {found[:12]}...) differ from the "
            f"driver's ({weights_sha256[:12]}...): install the same tellapart on every node"
        )
    return load_default()


def _views_columns(views: list[np.ndarray]) -> dict[str, np.ndarray]:
    """(V, D) view embeddings as two columns: the number of views and the float32 bytes."""
    return {
        "n_views": np.array([len(v) for v in views], dtype=np.int64),
        "views": np.array([np.ascontiguousarray(v, dtype=np.float32).tobytes() for v in views],
                          dtype=object),
    }


class _DescriberActor:
    """A Ray Data actor holding the default describer, loaded once in its own process.

    Parameters
    ----------
    weights_sha256 : str
        The driver's describer weights; a worker with other weights refuses to start.
    quarters : bool
        Quarter and corner views too (the ``quarter_views`` setting).
    options : ReaderOptions
        The driver's DICOM/NIfTI reader options.
    cwd : str
        The driver's working folder, which relative paths start from.
    """

    def __init__(self, weights_sha256: str, quarters: bool, options: ReaderOptions,
                 cwd: str) -> None:
        _tune_allocator_once()  # the actor's own process: it decodes every image it embeds
        self.model = _checked_describer(weights_sha256)
        self.quarters = quarters
        self.options = options
        self.cwd = cwd


class Embedder(_DescriberActor):
    """Embeds blocks of images (path, hash) with the describer."""

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        from ..models.runtime import embed_images

        with use_reader_options(self.options):
            pixels = (_pixels(os.path.join(self.cwd, str(p)), str(h))
                      for p, h in zip(batch["path"], batch["hash"], strict=True))
            views = embed_images(self.model, pixels, self.quarters, _EMBED_BLOCK)
        return {"hash": batch["hash"], **_views_columns(views)}


class MeasureEmbedder(_DescriberActor):
    """Decodes each file of a block once, measures it and embeds it with the describer: the
    measuring pass and the describer pass of a cold comparison in one (:func:`measure_block`'s
    results, plus the view embeddings of the usable images, none for the others)."""

    def __call__(self, batch: dict[str, np.ndarray], max_pixels: int) -> dict[str, np.ndarray]:
        from ..models.runtime import embed_images

        results: list[MeasuredFile] = []

        def usable_pixels() -> Iterator[np.ndarray]:
            # measured as they are decoded; only each usable image's views outlive it
            for path, digest, names in zip(batch["path"], batch["hash"], batch["names"],
                                           strict=True):
                result, image = decode_and_measure(
                    os.path.join(self.cwd, str(path)), str(digest),
                    tuple(n for n in str(names).split(",") if n), max_pixels)
                results.append(result)
                if image is not None:
                    yield image.rgb

        with use_reader_options(self.options):
            views = iter(embed_images(self.model, usable_pixels(), self.quarters, _EMBED_BLOCK))
        empty = np.zeros((0, 0), dtype=np.float32)
        per_file = [next(views) if r.status == "ok" else empty for r in results]
        return {"result": np.array([_result_json(r) for r in results], dtype=object),
                **_views_columns(per_file)}


def _pixels(path: str, digest: str) -> np.ndarray:
    """The decoded RGB of one measured file, as :func:`tellapart.io.load_image` gives it."""
    data = read_file(path)
    if content_hash(data) != digest:
        raise BadImageError("file changed on disk since it was measured")
    return decode_image(data, path, "").rgb


# -- driver side ----------------------------------------------------------------------------------


class RayFileWork(FileWork):
    """The per-file steps of :func:`tellapart.measure.compute_features` on a Ray cluster.

    Parameters
    ----------
    ray : module
        The initialised ``ray`` module (:func:`connected`).
    options : ReaderOptions
        The reader options the workers decode with (the driver's).
    embed_quarters : bool, optional
        When given, each file measured is also embedded by the describer in the same pass
        (:class:`MeasureEmbedder`, quarter views as this says), so it is decoded once; the
        view embeddings are collected in :attr:`embeddings`. None: measuring only.

    Attributes
    ----------
    embeddings : dict of str to np.ndarray
        {content hash: (V, D) view embeddings} of the usable files measured.
    """

    def __init__(self, ray: Any, options: ReaderOptions,
                 embed_quarters: bool | None = None) -> None:
        self.ray = ray
        self.options = options
        self.embed_quarters = embed_quarters
        self.embeddings: dict[str, np.ndarray] = {}

    def read_and_hash(self, paths: list[str], advance: Callable[[int], None]) -> list[HashedFile]:
        out: list[HashedFile] = [(None, "could not be read", False)] * len(paths)
        if not paths:
            return out
        ds = _blocks(self.ray, {"i": np.arange(len(paths)), "path": paths}, _HASH_BLOCK)
        ds = ds.map_batches(hash_block, batch_format="numpy", fn_kwargs={"cwd": os.getcwd()})
        for batch in ds.iter_batches(
                batch_size=None, batch_format="numpy"):
            # placed by input index: the order blocks finish in does not matter
            for i, digest, reason, medical in zip(batch["i"], batch["hash"], batch["reason"],
                                                  batch["medical"], strict=True):
                out[int(i)] = (str(digest) or None, str(reason) or None, bool(medical))
            advance(len(batch["i"]))
        return out

    def measure(self, tasks: list[MeasureTask], max_pixels: int) -> Iterator[list[MeasuredFile]]:
        columns = {"path": [t[0] for t in tasks], "hash": [t[1] for t in tasks],
                   "names": [",".join(t[2]) for t in tasks]}
        kwargs = {"max_pixels": max_pixels}
        if self.embed_quarters is None:
            ds = _blocks(self.ray, columns, _MEASURE_BLOCK).map_batches(
                measure_block, batch_format="numpy",
                fn_kwargs={**kwargs, "options": self.options, "cwd": os.getcwd()})
        else:
            ds = _describer_pass(self.ray, columns, MeasureEmbedder, self.embed_quarters,
                                 self.options, fn_kwargs=kwargs)
        for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
            results = [_result_from_json(str(text)) for text in batch["result"]]
            if self.embed_quarters is not None:
                self.embeddings.update(
                    (r.content_hash, views) for r, views in zip(results, _views_of(batch),
                                                                strict=True)
                    if r.status == "ok")
            yield results


def _describer_pass(ray: Any, columns: Mapping[str, Sequence[Any]], actor: type[_DescriberActor],
                    quarters: bool, options: ReaderOptions,
                    fn_kwargs: Mapping[str, Any] | None = None) -> Any:
    """``columns`` (path, hash, ...) mapped by ``actor`` (:class:`Embedder` or
    :class:`MeasureEmbedder`) in a pool of one actor per CPU of the cluster (fewer for few
    files), each loading the default describer once; blocks of at most :data:`_EMBED_BLOCK`
    files, small enough that every actor gets some."""
    from ..models.shipped import describer_dir
    from ..models.weights import read_meta

    n = len(columns["path"])
    cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
    block = max(1, min(_EMBED_BLOCK, math.ceil(n / (2 * cpus))))
    actors = max(1, min(cpus, math.ceil(n / block)))
    return _blocks(ray, columns, block).map_batches(
        actor, batch_format="numpy", batch_size=None,
        compute=ray.data.ActorPoolStrategy(size=actors),
        fn_constructor_kwargs={"weights_sha256": read_meta(describer_dir())["weights_sha256"],
                               "quarters": quarters, "options": options, "cwd": os.getcwd()},
        fn_kwargs=dict(fn_kwargs or {}))


def _views_of(batch: Mapping[str, np.ndarray]) -> list[np.ndarray]:
    """The (V, D) float32 view embeddings of each row of a describer pass's batch."""
    return [np.frombuffer(blob, dtype=np.float32).reshape(int(n), -1).copy() if int(n) else
            np.zeros((0, 0), dtype=np.float32)
            for n, blob in zip(batch["n_views"], batch["views"], strict=True)]


def embed_all(ray: Any, records: list[ImageRecord], quarters: bool,
              options: ReaderOptions) -> dict[str, np.ndarray]:
    """{content hash: (V, D) view embeddings} of every distinct image in ``records``, by the
    default describer in a pool of one actor per CPU of the cluster."""
    by_hash = {r.content_hash: r.path for r in records}
    if not by_hash:
        return {}
    ds = _describer_pass(ray, {"path": list(by_hash.values()), "hash": list(by_hash)}, Embedder,
                         quarters, options)
    out: dict[str, np.ndarray] = {}
    for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
        out.update(zip((str(h) for h in batch["hash"]), _views_of(batch), strict=True))
    return out


@register_engine
class RayEngine(Engine):
    """Ray Data on a local instance or an existing cluster (``settings.ray_address``)."""

    name = "ray"

    def unavailable_reason(self) -> str | None:
        return ray_missing_reason()

    def run(
        self,
        sources: list[Source],
        *,
        settings: Settings,
        store: FeatureStore,
        describer: bool,
    ) -> PerImage:
        quarters = bool(settings.quarter_views)
        options = current_reader_options()
        t0 = time.perf_counter()
        with connected(settings.ray_address) as ray:
            connect_s = time.perf_counter() - t0
            # with the describer, files measured now are embedded in the same pass
            work = RayFileWork(ray, options, quarters if describer else None)
            sets, table, info = compute_features(
                sources, settings=settings, progress=settings.progress, store=store, work=work)
            info["ray_connect_s"] = connect_s
            embeddings: dict[str, np.ndarray] = {}
            if describer and table.records:
                embeddings = {r.content_hash: work.embeddings[r.content_hash]
                              for r in table.records if r.content_hash in work.embeddings}
                info["embedded_while_measuring"] = float(len(embeddings))
                rest = [r for r in table.records if r.content_hash not in embeddings]
                if rest and settings.progress:  # cache hits: measured on an earlier run
                    print("Embedding images with the describer on Ray ...", file=sys.stderr,
                          flush=True)
                t1 = time.perf_counter()
                embeddings.update(embed_all(ray, rest, quarters, options))
                info["embed_s"] = time.perf_counter() - t1
        return PerImage(sets, table, info, embeddings, quarters)
