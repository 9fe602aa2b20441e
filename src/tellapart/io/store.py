"""A SQLite cache of per-image results keyed by file content, so unchanged images are never re-decoded.

Three tables, all keyed by the sha256 of a file's bytes:

* ``image_values``: content_hash -> every measurement value of that content, one row per
  image: ``names`` (JSON list of [name, version], shared by the images of a run) and
  ``vals`` (float64 bytes, NaN kept). A name absent from the row is a miss, so NaN and
  "not computed" stay distinct.
* ``image_records``: (content_hash, context) -> what the file says about itself
  (size, format, mode, ...), so a warm run builds records without decoding.
* ``bad_images``: (content_hash, context) -> why the content cannot be used: a corrupt
  file's verdict is a function of its bytes (and of the decoder and its limits, which
  the caller folds into ``context``).
* ``image_headers``: (content_hash, context) -> the whitelisted technical header
  attributes of a DICOM or NIfTI file (a JSON object of text values; never a patient
  attribute, :mod:`tellapart.io.headers`).

A store opened with a ``namespace`` (the reader options that are not the defaults,
:meth:`tellapart.io.medical.ReaderOptions.cache_tag`) appends it to every version and
context it reads and writes, so values decoded one way are never served for another.

``version`` and ``context`` are opaque strings to the store; callers put every input
that changes the result into them. Only one process (the parent) writes. Errors are
raised as :class:`~tellapart.io.errors.CacheError` naming the file: an unreadable cache is
never silently treated as empty.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import numpy as np

from .errors import CacheError

SCHEMA_VERSION = 2
# SQLite allows 32766 host parameters per statement; stay far below.
_LOOKUP_CHUNK = 900

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS image_values (
    content_hash TEXT PRIMARY KEY,
    names TEXT NOT NULL,
    vals BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS image_records (
    content_hash TEXT NOT NULL,
    context TEXT NOT NULL,
    file_size INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    format TEXT NOT NULL,
    mode TEXT NOT NULL,
    bit_depth INTEGER NOT NULL,
    n_frames INTEGER NOT NULL,
    PRIMARY KEY (content_hash, context)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bad_images (
    content_hash TEXT NOT NULL,
    context TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (content_hash, context)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS image_headers (
    content_hash TEXT NOT NULL,
    context TEXT NOT NULL,
    attributes TEXT NOT NULL,
    PRIMARY KEY (content_hash, context)
) WITHOUT ROWID;
"""


def default_cache_path() -> str:
    """``$TELLAPART_CACHE_DIR/features.sqlite`` or ``~/.cache/tellapart/features.sqlite``."""
    folder = os.environ.get("TELLAPART_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "tellapart"
    )
    return os.path.join(folder, "features.sqlite")


@dataclass(frozen=True)
class CachedRecord:
    """The content-determined fields of an :class:`~tellapart.types.ImageRecord`."""

    file_size: int
    width: int
    height: int
    format: str
    mode: str
    bit_depth: int
    n_frames: int


class FeatureStore:
    """Content-keyed cache of measurement values, image records and bad-image verdicts.

    Parameters
    ----------
    path : str or None
        SQLite file. None: the default location (:func:`default_cache_path`);
        "": caching disabled (every lookup misses, writes are dropped).
    namespace : str
        Appended to every version and context (see the module docstring); "" for none.

    Raises
    ------
    CacheError
        The file cannot be created or opened, is not a SQLite database, or was written
        by a newer tellapart (an older one's cache is emptied and rebuilt: see ``upgraded_from``).
    """

    def __init__(self, path: str | None = None, *, namespace: str = "") -> None:
        self.path: str | None = default_cache_path() if path is None else (path or None)
        self.namespace = namespace
        self._conn: sqlite3.Connection | None = None
        self.upgraded_from: int | None = None  # schema version of an older cache emptied on open
        # names/versions JSON is the same for every image of a run: build and parse it once
        self._names_json: dict[tuple[tuple[str, str], ...], str] = {}
        self._names_parsed: dict[str, list[tuple[str, str]]] = {}
        if self.path is not None:
            self._conn = self._open(self.path)

    @property
    def enabled(self) -> bool:
        """False when caching is disabled (path "")."""
        return self._conn is not None

    def _open(self, path: str) -> sqlite3.Connection:
        folder = os.path.dirname(os.path.abspath(path))
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as exc:
            raise CacheError(
                f"cannot create the cache folder {folder!r}: {exc.strerror or exc}"
            ) from None
        try:
            conn = sqlite3.connect(path, timeout=60.0, isolation_level=None)
        except sqlite3.Error as exc:
            raise CacheError(f"cannot open the feature cache {path!r}: {exc}") from None
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_SCHEMA)
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if row is None:
                conn.execute(
                    "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
                    (str(SCHEMA_VERSION),),
                )
            elif row[0].isdigit() and int(row[0]) < SCHEMA_VERSION:
                # Written by an older tellapart: its rows are only a cache of what this
                # version recomputes, so start it afresh (and say so) instead of failing.
                self.upgraded_from = int(row[0])
                for (table,) in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'meta'"
                ).fetchall():
                    conn.execute(f'DROP TABLE "{table}"')
                conn.executescript(_SCHEMA)
                conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'",
                             (str(SCHEMA_VERSION),))
            elif row[0] != str(SCHEMA_VERSION):
                raise CacheError(
                    f"the feature cache {path!r} has schema version {row[0]}, this tellapart "
                    f"uses {SCHEMA_VERSION}; delete the file or choose another cache"
                )
        except sqlite3.Error as exc:
            conn.close()
            raise CacheError(
                f"the feature cache {path!r} is unusable ({exc}); delete the file or choose "
                "another cache (or disable caching)"
            ) from None
        return conn

    # -- lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        """Close the database (idempotent)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> FeatureStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes into one transaction (committed on success, rolled back on error)."""
        if self._conn is None:
            yield
            return
        self._run("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if self._conn is not None and self._conn.in_transaction:
                self._conn.rollback()
            raise
        self._run("COMMIT")

    def _run(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        assert self._conn is not None
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise CacheError(f"feature cache {self.path!r}: {exc}") from None

    def _run_many(self, sql: str, rows: list[tuple[object, ...]]) -> None:
        assert self._conn is not None
        try:
            self._conn.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise CacheError(f"feature cache {self.path!r}: {exc}") from None

    def _lookup(
        self, sql_prefix: str, hashes: Sequence[str], extra: Sequence[object] = ()
    ) -> Iterator[tuple[Any, ...]]:
        """Rows of ``sql_prefix + "(?, ...)"`` for ``hashes`` in chunks."""
        unique = list(dict.fromkeys(hashes))
        for start in range(0, len(unique), _LOOKUP_CHUNK):
            chunk = unique[start : start + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            yield from self._run(f"{sql_prefix}({marks})", [*extra, *chunk])

    def _ns(self, key: str) -> str:
        """``key`` (a version or context) within this store's namespace."""
        return f"{key}|{self.namespace}" if self.namespace else key

    # -- measurement values -------------------------------------------------------------------

    def get_values(
        self, hashes: Sequence[str], versions: dict[str, str]
    ) -> dict[str, dict[str, float]]:
        """Cached values: {content_hash: {name: value}} for names whose version matches.

        Parameters
        ----------
        hashes : sequence of str
            Content hashes to look up (batched).
        versions : dict
            {measurement name: version string}; rows of other versions are ignored.

        Returns
        -------
        dict
            Only hits; a name missing from an inner dict is a miss. NaN values come back
            as ``float("nan")``.
        """
        found: dict[str, dict[str, float]] = {}
        if self._conn is None or not versions:
            return found
        wanted = {name: self._ns(version) for name, version in versions.items()}
        for content, name_values in self._value_rows(hashes).items():
            bucket = {
                name: value
                for name, (version, value) in name_values.items()
                if wanted.get(name) == version
            }
            if bucket:
                found[content] = bucket
        return found

    def put_values(self, rows: Iterable[tuple[str, str, str, float]]) -> None:
        """Store (content_hash, name, version, value) rows (NaN is kept as NaN).

        All values of one image live in one row (names and versions as JSON, values as
        float64 bytes): one insert per image and no float formatting, which were most of
        the cost of writing the cache. New values are merged into what the row holds.
        """
        if self._conn is None:
            return
        by_hash: dict[str, dict[str, tuple[str, float]]] = {}
        for h, n, v, x in rows:
            by_hash.setdefault(h, {})[n] = (self._ns(v), float(x))
        if not by_hash:
            return
        existing = self._value_rows(list(by_hash))
        prepared: list[tuple[object, ...]] = []
        for h, new in by_hash.items():
            merged = {**existing[h], **new} if h in existing else new
            key = tuple((n, v) for n, (v, _) in merged.items())
            names = self._names_json.get(key)
            if names is None:
                names = json.dumps([list(pair) for pair in key], separators=(",", ":"))
                self._names_json[key] = names
            vals = np.fromiter((x for _, x in merged.values()), dtype="<f8", count=len(merged))
            prepared.append((h, names, vals.tobytes()))
        self._run_many(
            "INSERT OR REPLACE INTO image_values (content_hash, names, vals) VALUES (?, ?, ?)",
            prepared,
        )

    def _value_rows(self, hashes: Sequence[str]) -> dict[str, dict[str, tuple[str, float]]]:
        out: dict[str, dict[str, tuple[str, float]]] = {}
        for content, names, vals in self._lookup(
            "SELECT content_hash, names, vals FROM image_values WHERE content_hash IN ", hashes
        ):
            pairs = self._names_parsed.get(names)
            try:
                if pairs is None:
                    pairs = [(str(n), str(v)) for n, v in json.loads(names)]
                    self._names_parsed[names] = pairs
                values = np.frombuffer(vals, dtype="<f8")
                if len(values) != len(pairs):
                    raise ValueError(f"{len(pairs)} names but {len(values)} values")
            except (ValueError, TypeError) as exc:
                raise CacheError(f"feature cache {self.path!r}: unreadable row: {exc}") from None
            out[str(content)] = {
                n: (v, float(x)) for (n, v), x in zip(pairs, values.tolist(), strict=True)
            }
        return out

    # -- image records ----------------------------------------------------------------------

    def get_records(self, hashes: Sequence[str], context: str) -> dict[str, CachedRecord]:
        """Cached record fields for ``hashes`` made under ``context`` (hits only)."""
        found: dict[str, CachedRecord] = {}
        if self._conn is None:
            return found
        for row in self._lookup(
            "SELECT content_hash, file_size, width, height, format, mode, bit_depth, n_frames "
            "FROM image_records WHERE context = ? AND content_hash IN ",
            hashes,
            (self._ns(context),),
        ):
            content, size, width, height, fmt, mode, depth, frames = row
            found[str(content)] = CachedRecord(
                int(size), int(width), int(height), str(fmt), str(mode), int(depth), int(frames)
            )
        return found

    def put_records(self, rows: Iterable[tuple[str, CachedRecord]], context: str) -> None:
        """Store (content_hash, record fields) made under ``context``."""
        if self._conn is None:
            return
        prepared: list[tuple[object, ...]] = [
            (h, self._ns(context), r.file_size, r.width, r.height, r.format, r.mode, r.bit_depth, r.n_frames)
            for h, r in rows
        ]
        if prepared:
            self._run_many(
                "INSERT OR REPLACE INTO image_records (content_hash, context, file_size, width, "
                "height, format, mode, bit_depth, n_frames) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                prepared,
            )

    # -- bad images -------------------------------------------------------------------------

    def get_bad(self, hashes: Sequence[str], context: str) -> dict[str, str]:
        """{content_hash: reason} for contents known to be unusable under ``context``."""
        found: dict[str, str] = {}
        if self._conn is None:
            return found
        for content, reason in self._lookup(
            "SELECT content_hash, reason FROM bad_images WHERE context = ? AND content_hash IN ",
            hashes,
            (self._ns(context),),
        ):
            found[str(content)] = str(reason)
        return found

    def put_bad(self, rows: Iterable[tuple[str, str]], context: str) -> None:
        """Store (content_hash, reason) verdicts made under ``context``."""
        if self._conn is None:
            return
        prepared: list[tuple[object, ...]] = [(h, self._ns(context), reason) for h, reason in rows]
        if prepared:
            self._run_many(
                "INSERT OR REPLACE INTO bad_images (content_hash, context, reason) "
                "VALUES (?, ?, ?)",
                prepared,
            )

    # -- header attributes ------------------------------------------------------------------

    def get_headers(self, hashes: Sequence[str], context: str) -> dict[str, dict[str, str]]:
        """{content_hash: {attribute: text}} cached under ``context`` (hits only).

        Raises
        ------
        CacheError
            A row is not a JSON object of text values.
        """
        found: dict[str, dict[str, str]] = {}
        if self._conn is None:
            return found
        for content, text in self._lookup(
            "SELECT content_hash, attributes FROM image_headers WHERE context = ? AND "
            "content_hash IN ",
            hashes,
            (self._ns(context),),
        ):
            try:
                attributes = json.loads(text)
                if not isinstance(attributes, dict) or not all(
                        isinstance(k, str) and isinstance(v, str) for k, v in attributes.items()):
                    raise ValueError("not an object of text values")
            except ValueError as exc:
                raise CacheError(f"feature cache {self.path!r}: unreadable header row: {exc}"
                                 ) from None
            found[str(content)] = attributes
        return found

    def put_headers(self, rows: Iterable[tuple[str, dict[str, str]]], context: str) -> None:
        """Store (content_hash, header attributes) read under ``context``."""
        if self._conn is None:
            return
        prepared: list[tuple[object, ...]] = [
            (h, self._ns(context), json.dumps(attributes, sort_keys=True)) for h, attributes in rows
        ]
        if prepared:
            self._run_many(
                "INSERT OR REPLACE INTO image_headers (content_hash, context, attributes) "
                "VALUES (?, ?, ?)",
                prepared,
            )
