"""The features stage: every registered measurement on every usable image, cached by content.

Flow: the parent reads and hashes each file (threads), looks every hash up in the
:class:`~tellapart.io.store.FeatureStore` in batches, and sends only the misses to worker
processes as (path, hash, measurements-to-compute). Workers read and decode the file
themselves and send back a few numbers, never pixels. The parent alone writes the cache.
A warm run therefore decodes nothing: it hashes files and reads the database.
"""

from __future__ import annotations

import ctypes
import math
import multiprocessing
import os
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from ..config import Settings
from ..io.decode import DECODER_VERSION, content_hash, decode_image, read_file
from ..io.errors import BadImageError, CacheError
from ..io.headers import header_context, ordered_attributes
from ..io.store import CachedRecord, FeatureStore
from ..types import DecodedImage, FeatureTable, ImageRecord, ImageSet, SkippedFile
from .base import Measurement, create_measurement, list_measurements
from .medical import MEDICAL_FORMATS, looks_medical

Source = tuple[str, str, list[str], list[SkippedFile]]
"""(set name, source as the user gave it, candidate paths, entries already skipped)."""

MeasureTask = tuple[str, str, tuple[str, ...]]
"""(path, content hash, names of the measurements to compute) of one file to decode."""

HashedFile = tuple[str | None, str | None, bool]
"""(content hash, None, medical) of a readable file, or (None, skip reason, False)."""

# Below this many images to decode, starting worker processes costs more than it saves.
_MIN_TASKS_FOR_POOL = 16
_MAX_CHUNK = 32
_LOOKUP_BATCH = 2000
_WRITE_BATCH = 256
# Also commit at least this often, so an interrupted run of large images keeps its work.
_WRITE_EVERY_S = 5.0


class MeasurementFailure(RuntimeError):
    """A measurement failed on every image it was computed for: a bug, not bad data."""


def value_version(measurement: Measurement) -> str:
    """Cache version key of a measurement's values: its own version and the decoder's."""
    return f"{measurement.version}/d{DECODER_VERSION}"


def record_context() -> str:
    """Cache context of image records: they depend only on the decoder."""
    return f"d{DECODER_VERSION}"


# Bumped when the wording of skip reasons changes, so cached verdicts are reworded.
_REASONS_VERSION = 2


def bad_context(max_pixels: int) -> str:
    """Cache context of bad-image verdicts: the decoder, the pixel limit and the wording."""
    return f"d{DECODER_VERSION}/px{max_pixels}/r{_REASONS_VERSION}"


class MeasuredFile(NamedTuple):
    """What a worker sends back for one file (:func:`measure_file`): small, picklable, no pixels."""

    content_hash: str
    status: str  # "ok", "bad" (cacheable verdict), "skip" (not cacheable), "error"
    reason: str
    record: CachedRecord | None
    values: dict[str, float]
    failures: dict[str, str]
    # DICOM/NIfTI header attributes (whitelisted), read from the same parse as the pixels.
    header: tuple[tuple[str, str], ...] = ()


@dataclass
class _Entry:
    """One candidate file of one set."""

    path: str
    content_hash: str | None = None
    skip_reason: str | None = None
    medical: bool = False  # the bytes say DICOM or NIfTI


@dataclass
class _Results:
    """What the features stage knows of each distinct content, by content hash."""

    rows: dict[str, np.ndarray]  # measurement values, in the bank's order
    records: dict[str, CachedRecord]
    bad: dict[str, str]  # skip reasons
    headers: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class _PendingWrites:
    """Cache rows waiting for the next transaction."""

    values: list[tuple[str, str, str, float]] = field(default_factory=list)
    records: list[tuple[str, CachedRecord]] = field(default_factory=list)
    bad: list[tuple[str, str]] = field(default_factory=list)
    headers: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.records) + len(self.bad)


@dataclass
class _Failures:
    attempts: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    first_error: dict[str, str] = field(default_factory=dict)


# Measurement instances of a worker process, made once per process.
_WORKER_MEASUREMENTS: dict[str, Measurement] = {}


def _measurement(name: str) -> Measurement:
    if name not in _WORKER_MEASUREMENTS:
        _WORKER_MEASUREMENTS[name] = create_measurement(name)
    return _WORKER_MEASUREMENTS[name]


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def measure_file(
    path: str, expected_hash: str, names: Sequence[str], max_pixels: int
) -> MeasuredFile:
    """Read, decode and measure one file (runs in a worker process).

    A measurement that raises gives NaN and is reported in ``failures``; the decoded
    pixels are dropped before returning.
    """
    return decode_and_measure(path, expected_hash, names, max_pixels)[0]


def decode_and_measure(
    path: str, expected_hash: str, names: Sequence[str], max_pixels: int
) -> tuple[MeasuredFile, DecodedImage | None]:
    """:func:`measure_file`, and the decoded image when the file was usable (None when it
    was skipped), for a caller that uses the pixels again (the Ray engine's describer)."""
    try:
        data = read_file(path)
    except BadImageError as exc:
        return MeasuredFile(expected_hash, "skip", exc.reason, None, {}, {}), None
    if content_hash(data) != expected_hash:
        return MeasuredFile(expected_hash, "skip", "file changed while being read", None, {}, {}), None
    try:
        image = decode_image(data, path, "", max_pixels=max_pixels)
    except BadImageError as exc:
        return MeasuredFile(expected_hash, "bad", exc.reason, None, {}, {}), None
    except Exception as exc:  # a decoder bug must cost one file, not the whole run
        reason = f"could not decode: {_describe(exc)}"
        return MeasuredFile(expected_hash, "error", reason, None, {}, {}), None
    del data
    values: dict[str, float] = {}
    failures: dict[str, str] = {}
    for name in names:
        try:
            values[name] = float(_measurement(name).compute(image))
        except Exception as exc:  # counted and reported by the parent, never silent
            values[name] = math.nan
            failures[name] = _describe(exc)
    r = image.record
    record = CachedRecord(r.file_size, r.width, r.height, r.format, r.mode, r.bit_depth, r.n_frames)
    return MeasuredFile(expected_hash, "ok", "", record, values, failures, r.header), image


def measure_chunk(tasks: Sequence[MeasureTask], max_pixels: int) -> list[MeasuredFile]:
    """:func:`measure_file` on each task, in order."""
    return [measure_file(path, h, names, max_pixels) for path, h, names in tasks]


def read_and_hash(path: str) -> HashedFile:
    """(content hash, None, medical) or (None, skip reason, False) for one path: the first
    per-file step of :func:`compute_features`, before any cache lookup or decode."""
    try:
        data = read_file(path)
    except BadImageError as exc:
        return None, exc.reason, False
    if not data:
        return None, "empty file (0 bytes)", False
    return content_hash(data), None, looks_medical(data, path)


_MEDICAL_SETTINGS = ("auto", "on", "off")


def bank_names(setting: str, medical_images: bool) -> list[str]:
    """The measurements a comparison runs: the general group, plus the medical one when
    ``setting`` is "on", or "auto" and ``medical_images``.

    Raises
    ------
    ValueError
        ``setting`` is not "auto", "on" or "off".
    """
    if setting not in _MEDICAL_SETTINGS:
        raise ValueError(
            f"medical_measurements must be one of {', '.join(_MEDICAL_SETTINGS)}, got {setting!r}"
        )
    medical = setting == "on" or (setting == "auto" and medical_images)
    return list_measurements(("general", "medical") if medical else ("general",))


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Progress:
    """A rich progress bar on stderr, or nothing."""

    def __init__(self, enabled: bool) -> None:
        self._bar: Any = None
        if enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )

    def __enter__(self) -> _Progress:
        if self._bar is not None:
            self._bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)

    def task(self, description: str, total: int) -> int | None:
        return None if self._bar is None else int(self._bar.add_task(description, total=total))

    def advance(self, task: int | None, n: int = 1) -> None:
        if self._bar is not None and task is not None:
            self._bar.advance(task, n)


def compute_features(
    sources: list[Source],
    *,
    settings: Settings,
    progress: bool = True,
    store: FeatureStore | None = None,
    work: FileWork | None = None,
) -> tuple[list[ImageSet], FeatureTable, dict[str, Any]]:
    """Measure every usable image of every set with the measurement bank.

    The bank is the general group of measurements, plus the medical group when
    ``settings.medical_measurements`` is "on", or "auto" (the default) and any image is a
    DICOM or NIfTI file (:func:`bank_names`).

    Parameters
    ----------
    sources : list of (set_name, source, paths, skipped)
        Usually [("A", ...), ("B", ...)] as returned by :func:`tellapart.io.discover`
        plus the source string.
    settings : Settings
        ``jobs`` (worker processes, 0 = all cores), ``cache`` (None = default cache,
        "" = none), ``max_pixels`` and ``medical_measurements`` are used.
    progress : bool
        Show a progress bar on stderr.
    store : FeatureStore, optional
        An open cache to use instead of opening ``settings.cache`` (left open).
    work : FileWork, optional
        Where files are read, hashed, decoded and measured; default
        :class:`LocalFileWork` with ``settings.jobs`` processes. The features do not depend on it.

    Returns
    -------
    sets : list of ImageSet
        One per source, records in input order, skipped files with reasons.
    table : FeatureTable
        Rows: the images of the sets in ``sources`` order; columns: the bank's
        measurements, sorted by name. NaN where a measurement is undefined or failed.
    info : dict
        Timings in seconds (``read_hash_s``, ``cache_lookup_s``, ``decode_measure_s``,
        ``cache_write_s``, ``features_s``) and counts (``cache_hits``, ``decoded``) as
        floats, plus ``warnings``: a list of str (measurement failures, decoder errors).

    Raises
    ------
    MeasurementFailure
        A measurement failed on every image it was computed for.
    RuntimeError
        A worker process died (crash or out of memory in an image library).
    tellapart.io.CacheError
        The cache cannot be read or written.
    """
    started = time.perf_counter()
    bank_names(settings.medical_measurements, False)  # a bad setting fails before any work
    if work is None:
        work = LocalFileWork(resolved_jobs(settings.jobs))
    own_store = store is None
    cache = FeatureStore(settings.cache) if store is None else store
    info: dict[str, Any] = {}
    warnings: list[str] = []
    if cache.upgraded_from is not None:
        warnings.append(
            f"the feature cache {cache.path} was written by an older tellapart (cache schema "
            f"{cache.upgraded_from}) and was emptied; this run measured every image afresh"
        )
    try:
        with _Progress(progress) as bar:
            entries = _hash_all(sources, work, bar, info)
            sniffed = any(e.medical for per_set in entries for e in per_set)
            names = bank_names(settings.medical_measurements, sniffed)
            results, failures = _measure(
                entries, names, cache, settings.max_pixels, work, bar, warnings, info
            )
            full = bank_names(settings.medical_measurements,
                              _any_medical_record(entries, results.records))
            if full != names:  # a medical file the byte check missed: measure the rest too
                names = full
                results, failures = _measure(
                    entries, names, cache, settings.max_pixels, work, bar, warnings, info
                )
        _check_failures(failures, warnings)
    finally:
        if own_store:
            cache.close()
    sets, table = _assemble(sources, entries, results, names)
    info["features_s"] = time.perf_counter() - started
    info["warnings"] = warnings
    return sets, table, info


def _measure(
    entries: list[list[_Entry]],
    names: list[str],
    cache: FeatureStore,
    max_pixels: int,
    work: FileWork,
    bar: _Progress,
    warnings: list[str],
    info: dict[str, Any],
) -> tuple[_Results, _Failures]:
    """Values of ``names`` for every entry: cached ones looked up, the rest measured and stored."""
    versions = {name: value_version(create_measurement(name)) for name in names}
    rows, have, records, bad = _lookup(entries, cache, names, versions, max_pixels, info)
    tasks = _tasks(entries, have, records, bad, names, info)
    measured = _run_tasks(tasks, work, max_pixels, bar, info)
    results = _Results(rows, records, bad)
    failures = _absorb(measured, cache, results, names, versions, max_pixels, warnings, info)
    return results, failures


def _any_medical_record(entries: list[list[_Entry]], records: dict[str, CachedRecord]) -> bool:
    """True when any usable entry decoded as a medical format (DICOM, NIfTI)."""
    return any(
        e.content_hash in records and records[e.content_hash].format in MEDICAL_FORMATS
        for per_set in entries
        for e in per_set
    )


def _hash_all(
    sources: list[Source], work: FileWork, bar: _Progress, info: dict[str, Any]
) -> list[list[_Entry]]:
    """Content hash of every candidate, in input order, by ``work``."""
    t0 = time.perf_counter()
    entries = [[_Entry(path) for path in paths] for _, _, paths, _ in sources]
    flat = [entry for per_set in entries for entry in per_set]
    task = bar.task("Reading files", len(flat))
    hashed = work.read_and_hash([e.path for e in flat], lambda n: bar.advance(task, n))
    for entry, (digest, reason, medical) in zip(flat, hashed, strict=True):
        entry.content_hash, entry.skip_reason, entry.medical = digest, reason, medical
    info["read_hash_s"] = time.perf_counter() - t0
    return entries


def _lookup(
    entries: list[list[_Entry]],
    cache: FeatureStore,
    names: list[str],
    versions: dict[str, str],
    max_pixels: int,
    info: dict[str, Any],
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, CachedRecord], dict[str, str]]:
    """Cached value rows, which of their columns were cached, records and bad verdicts."""
    t0 = time.perf_counter()
    hashes = list(
        dict.fromkeys(e.content_hash for per_set in entries for e in per_set if e.content_hash)
    )
    column = {name: i for i, name in enumerate(names)}
    rows: dict[str, np.ndarray] = {}
    have: dict[str, np.ndarray] = {}
    records: dict[str, CachedRecord] = {}
    bad: dict[str, str] = {}
    for batch in _chunks(hashes, _LOOKUP_BATCH):
        bad.update(cache.get_bad(batch, bad_context(max_pixels)))
        records.update(cache.get_records(batch, record_context()))
        for digest, values in cache.get_values(batch, versions).items():
            row = np.full(len(names), np.nan)
            cached = np.zeros(len(names), dtype=bool)
            for name, value in values.items():
                row[column[name]] = value
                cached[column[name]] = True
            rows[digest] = row
            have[digest] = cached
    info["cache_lookup_s"] = time.perf_counter() - t0
    return rows, have, records, bad


def _tasks(
    entries: list[list[_Entry]],
    have: dict[str, np.ndarray],
    records: dict[str, CachedRecord],
    bad: dict[str, str],
    names: list[str],
    info: dict[str, Any],
) -> list[MeasureTask]:
    """(path, hash, measurements to compute) for each distinct hash that is not fully cached."""
    tasks: list[MeasureTask] = []
    seen: set[str] = set()
    for per_set in entries:
        for entry in per_set:
            digest = entry.content_hash
            if digest is None or digest in seen or digest in bad:
                continue
            seen.add(digest)
            cached = have.get(digest)
            missing = tuple(names) if cached is None else tuple(
                name for name, ok in zip(names, cached, strict=True) if not ok
            )
            if missing or digest not in records:
                # A record without values (or the reverse) still needs one decode.
                tasks.append((entry.path, digest, missing))
    # Distinct contents answered without decoding (cached values or cached bad verdicts).
    info["cache_hits"] = float(len(seen) + len(bad) - len(tasks))
    return tasks


def _run_tasks(
    tasks: list[MeasureTask],
    work: FileWork,
    max_pixels: int,
    bar: _Progress,
    info: dict[str, Any],
) -> Iterable[list[MeasuredFile]]:
    """Measured chunks, as they complete (a generator: the parent stores them as they come)."""
    t0 = time.perf_counter()
    info["decoded"] = float(len(tasks))
    if not tasks:  # a warm run: no "Measuring images 0/0" bar
        info["decode_measure_s"] = 0.0
        return []
    task = bar.task("Measuring images", len(tasks))

    def generate() -> Iterator[list[MeasuredFile]]:
        try:
            for done in work.measure(tasks, max_pixels):
                bar.advance(task, len(done))
                yield done
        finally:
            info["decode_measure_s"] = time.perf_counter() - t0

    return generate()


class FileWork(ABC):
    """Where the per-file work of :func:`compute_features` runs: reading and hashing every
    file, then decoding and measuring the cache misses. The parent keeps the rest (cache
    lookups and writes, the tables), so every implementation gives the same features.

    :class:`LocalFileWork` uses threads and processes of this machine; the Ray engine
    (:mod:`tellapart.engine`) hands both steps to a Ray cluster.
    """

    @abstractmethod
    def read_and_hash(self, paths: list[str], advance: Callable[[int], None]) -> list[HashedFile]:
        """:func:`read_and_hash` of every path, in the order of ``paths``; ``advance(n)``
        after each ``n`` files done."""

    @abstractmethod
    def measure(self, tasks: list[MeasureTask], max_pixels: int) -> Iterator[list[MeasuredFile]]:
        """:func:`measure_file` of every task, in chunks, in any order (results carry their
        content hash)."""


# glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def resolved_jobs(jobs: int) -> int:
    """Worker processes for a ``jobs`` setting: 0 means every core."""
    return jobs if jobs > 0 else (os.cpu_count() or 1)


def keep_freed_memory() -> None:
    """Let this process's allocator reuse freed memory instead of handing it back to the OS.

    Measuring one image allocates and frees tens of temporary arrays of 0.25 to 12 MB. Under
    glibc's default settings most are mapped afresh and page-faulted on first touch, which
    costs as much as the arithmetic (several milliseconds an image, about doubled when two
    workers fault at once). Worker processes therefore serve arrays up to 32 MB from the heap
    and keep up to 256 MB of freed heap. Only glibc on Linux is tuned: other allocators keep
    their own policies, so a missing ``mallopt`` is no error. The parent process, which may be
    the user's own program, is never tuned.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and other C libraries: nothing to tune
        return
    mallopt(_M_MMAP_THRESHOLD, 32 << 20)
    mallopt(_M_TRIM_THRESHOLD, 256 << 20)


class LocalFileWork(FileWork):
    """This machine: threads read and hash, ``jobs`` worker processes decode and measure.

    Parameters
    ----------
    jobs : int
        Worker processes (and twice as many reading threads, at most 8); at least 1.
    """

    def __init__(self, jobs: int) -> None:
        self.jobs = max(1, jobs)

    def read_and_hash(self, paths: list[str], advance: Callable[[int], None]) -> list[HashedFile]:
        # threads: hashing and reading release the GIL
        out: list[HashedFile] = []
        with ThreadPoolExecutor(max_workers=max(1, min(8, self.jobs * 2))) as pool:
            for hashed in pool.map(read_and_hash, paths):
                out.append(hashed)
                advance(1)
        return out

    def measure(self, tasks: list[MeasureTask], max_pixels: int) -> Iterator[list[MeasuredFile]]:
        jobs = self.jobs
        if jobs == 1 or len(tasks) < _MIN_TASKS_FOR_POOL:
            for chunk in _chunks(tasks, _MAX_CHUNK):
                yield measure_chunk(chunk, max_pixels)
            return
        size = max(1, min(_MAX_CHUNK, math.ceil(len(tasks) / (jobs * 8))))
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else None)
        workers = min(jobs, math.ceil(len(tasks) / size))
        with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                 initializer=keep_freed_memory) as pool:
            # Finished futures are dropped as they are consumed, so results of a
            # long run do not pile up in the parent.
            pending: set[Future[list[MeasuredFile]]] = {
                pool.submit(measure_chunk, chunk, max_pixels)
                for chunk in _chunks(tasks, size)
            }
            try:
                for future in as_completed(pending):
                    pending.discard(future)
                    yield future.result()
            except BrokenProcessPool as exc:
                raise RuntimeError(
                    "a worker process died while decoding images (a crash or running out "
                    "of memory in an image library); run with jobs=1 to find the file"
                ) from exc
            finally:
                for future in pending:
                    future.cancel()


def _absorb(
    chunks: Iterable[list[MeasuredFile]],
    cache: FeatureStore,
    results: _Results,
    names: list[str],
    versions: dict[str, str],
    max_pixels: int,
    warnings: list[str],
    info: dict[str, Any],
) -> _Failures:
    """Fold worker results into ``results`` and write them to the cache in transactions."""
    column = {name: i for i, name in enumerate(names)}
    failures = _Failures()
    write_s = 0.0
    pending = _PendingWrites()
    last_flush = time.perf_counter()

    def flush() -> None:
        nonlocal write_s, pending, last_flush
        t0 = last_flush = time.perf_counter()
        transaction: AbstractContextManager[None] = (
            cache.transaction() if cache.enabled else nullcontext()
        )
        with transaction:
            cache.put_values(pending.values)
            cache.put_records(pending.records, record_context())
            cache.put_bad(pending.bad, bad_context(max_pixels))
            cache.put_headers(pending.headers, header_context())
        pending = _PendingWrites()
        write_s += time.perf_counter() - t0

    try:
        for chunk in chunks:
            _fold(chunk, results, pending, column, versions, failures, warnings)
            if len(pending) >= _WRITE_BATCH or time.perf_counter() - last_flush >= _WRITE_EVERY_S:
                flush()
    except BaseException as exc:
        # Ctrl-C or a dead worker: what was measured so far is valid; keep it in the cache.
        if not isinstance(exc, CacheError):
            flush()
        raise
    flush()
    info["cache_write_s"] = write_s
    return failures


def _fold(
    chunk: list[MeasuredFile],
    results: _Results,
    pending: _PendingWrites,
    column: dict[str, int],
    versions: dict[str, str],
    failures: _Failures,
    warnings: list[str],
) -> None:
    """Fold one chunk of worker results into the run's tables and the pending cache writes."""
    for result in chunk:
        digest = result.content_hash
        if result.status == "bad":
            results.bad[digest] = result.reason
            pending.bad.append((digest, result.reason))
        elif result.status in ("skip", "error"):
            results.bad[digest] = result.reason  # for this run only: not a property of the content
            if result.status == "error":
                warnings.append(f"decoder error ({result.reason}); the file was skipped")
        else:
            assert result.record is not None
            results.records[digest] = result.record
            pending.records.append((digest, result.record))
            if result.header:
                results.headers[digest] = dict(result.header)
                pending.headers.append((digest, dict(result.header)))
            row = results.rows.setdefault(digest, np.full(len(column), np.nan))
            for name, value in result.values.items():
                row[column[name]] = value
                failures.attempts[name] = failures.attempts.get(name, 0) + 1
                if name in result.failures:
                    failures.failed[name] = failures.failed.get(name, 0) + 1
                    failures.first_error.setdefault(name, result.failures[name])
                else:
                    pending.values.append((digest, name, versions[name], value))


def _check_failures(failures: _Failures, warnings: list[str]) -> None:
    for name in sorted(failures.failed):
        count, attempts = failures.failed[name], failures.attempts[name]
        if count == attempts:
            raise MeasurementFailure(
                f"measurement {name!r} failed on all {attempts} image(s) it was computed for "
                f"(first error: {failures.first_error[name]})"
            )
        warnings.append(
            f"measurement {name!r} failed on {count} of {attempts} image(s) and is NaN there "
            f"(first error: {failures.first_error[name]})"
        )


def _assemble(
    sources: list[Source],
    entries: list[list[_Entry]],
    results: _Results,
    names: list[str],
) -> tuple[list[ImageSet], FeatureTable]:
    sets: list[ImageSet] = []
    table_records: list[ImageRecord] = []
    table_rows: list[np.ndarray] = []
    for (set_name, source, _, skipped_before), per_set in zip(sources, entries, strict=True):
        image_set = ImageSet(name=set_name, source=source, skipped=list(skipped_before))
        for entry in per_set:
            digest = entry.content_hash
            reason = entry.skip_reason if digest is None else results.bad.get(digest)
            if reason is not None or digest is None:
                image_set.skipped.append(
                    SkippedFile(entry.path, set_name, reason or "could not be read")
                )
                continue
            cached = results.records[digest]
            record = ImageRecord(
                path=entry.path,
                set_name=set_name,
                content_hash=digest,
                file_size=cached.file_size,
                width=cached.width,
                height=cached.height,
                format=cached.format,
                mode=cached.mode,
                bit_depth=cached.bit_depth,
                n_frames=cached.n_frames,
                header=ordered_attributes(results.headers.get(digest, {})),
            )
            image_set.images.append(record)
            table_records.append(record)
            table_rows.append(results.rows[digest])
        sets.append(image_set)
    values = np.vstack(table_rows) if table_rows else np.empty((0, len(names)))
    return sets, FeatureTable(records=table_records, names=list(names), values=values)
