"""The SQLite feature cache: hits, misses, NaN, versions, contexts, corruption."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import pytest

from tellapart.io import CacheError, FeatureStore, default_cache_path
from tellapart.io.store import CachedRecord


def test_values_round_trip_with_nan_and_versions(tmp_path: Path) -> None:
    path = str(tmp_path / "c.sqlite")
    with FeatureStore(path) as store:
        assert store.enabled
        with store.transaction():
            store.put_values([("h1", "m", "1", 0.25), ("h1", "n", "1", math.nan),
                              ("h2", "m", "1", -3.0)])
        found = store.get_values(["h1", "h2", "h3"], {"m": "1", "n": "1"})
        assert found["h1"]["m"] == 0.25
        assert math.isnan(found["h1"]["n"])  # NaN is a value, not a miss
        assert found["h2"] == {"m": -3.0}  # h2/n was never stored: a miss
        assert "h3" not in found
        # Another version of a measurement is a miss.
        assert store.get_values(["h1"], {"m": "2"}) == {}
    with FeatureStore(path) as reopened:  # persisted
        assert reopened.get_values(["h2"], {"m": "1"}) == {"h2": {"m": -3.0}}


def test_records_and_bad_verdicts_are_scoped_by_context(tmp_path: Path) -> None:
    record = CachedRecord(123, 40, 30, "PNG", "RGBA", 8, 1)
    with FeatureStore(str(tmp_path / "c.sqlite")) as store:
        with store.transaction():
            store.put_records([("h", record)], "d1")
            store.put_bad([("bad", "empty file (0 bytes)")], "d1/px10")
        assert store.get_records(["h", "x"], "d1") == {"h": record}
        assert store.get_records(["h"], "d2") == {}
        assert store.get_bad(["bad", "h"], "d1/px10") == {"bad": "empty file (0 bytes)"}
        assert store.get_bad(["bad"], "d1/px20") == {}


def test_many_hashes_are_looked_up_in_batches(tmp_path: Path) -> None:
    hashes = [f"h{i}" for i in range(2500)]
    with FeatureStore(str(tmp_path / "c.sqlite")) as store:
        with store.transaction():
            store.put_values([(h, "m", "1", float(i)) for i, h in enumerate(hashes)])
        found = store.get_values(hashes, {"m": "1"})
        assert len(found) == 2500 and found["h2499"]["m"] == 2499.0


def test_disabled_store_misses_and_drops_writes() -> None:
    store = FeatureStore("")
    assert not store.enabled and store.path is None
    with store.transaction():
        store.put_values([("h", "m", "1", 1.0)])
    assert store.get_values(["h"], {"m": "1"}) == {}
    assert store.get_records(["h"], "d1") == {} and store.get_bad(["h"], "c") == {}


def test_default_location_follows_environment(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TELLAPART_CACHE_DIR", str(tmp_path / "cachedir"))
    assert default_cache_path() == str(tmp_path / "cachedir" / "features.sqlite")
    with FeatureStore(None) as store:
        assert store.path == default_cache_path()
    assert (tmp_path / "cachedir" / "features.sqlite").exists()


def test_corrupt_database_raises_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.sqlite"
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(CacheError) as info:
        FeatureStore(str(path))
    assert str(path) in str(info.value)


def test_foreign_schema_raises(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE image_values (x INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(CacheError, match="other.sqlite"):
        store = FeatureStore(str(path))
        store.get_values(["h"], {"m": "1"})


def test_failed_transaction_rolls_back(tmp_path: Path) -> None:
    with FeatureStore(str(tmp_path / "c.sqlite")) as store:
        with pytest.raises(RuntimeError), store.transaction():
            store.put_values([("h", "m", "1", 1.0)])
            raise RuntimeError("boom")
        assert store.get_values(["h"], {"m": "1"}) == {}


def _cache_with_schema(path: Path, version: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (version,))
    conn.execute("CREATE TABLE measurement_values (content_hash TEXT, name TEXT, version TEXT, value REAL)")
    conn.execute("INSERT INTO measurement_values VALUES ('h', 'm', '1', 0.5)")
    conn.commit()
    conn.close()


def test_older_schema_is_emptied_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _cache_with_schema(path, "1")
    with FeatureStore(str(path)) as store:
        assert store.upgraded_from == 1
        assert store.get_values(["h"], {"m": "1"}) == {}
        store.put_values([("h", "m", "1", 2.0)])
        assert store.get_values(["h"], {"m": "1"}) == {"h": {"m": 2.0}}
    with FeatureStore(str(path)) as store:  # upgraded once, then an ordinary cache
        assert store.upgraded_from is None
        assert store.get_values(["h"], {"m": "1"}) == {"h": {"m": 2.0}}
    tables = {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")}
    assert "measurement_values" not in tables


def test_newer_schema_raises(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    _cache_with_schema(path, "99")
    with pytest.raises(CacheError, match="schema version 99"):
        FeatureStore(str(path))
