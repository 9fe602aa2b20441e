"""The features stage: bad files skipped with reasons, cache hits, versions, failures, workers."""

from __future__ import annotations

import io
import math
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tellapart.config import Settings
from tellapart.io import BadImageError, CacheError, discover
from tellapart.measure import MeasurementFailure, compute_features, list_measurements
from tellapart.measure import features as features_module
from tellapart.measure.tone import BrightnessMean


def encode(img: Image.Image, fmt: str, **kwargs: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


def noisy_image(seed: int, size: int = 48, brightness: float = 1.0) -> Image.Image:
    rng = np.random.default_rng(seed)
    arr = rng.integers(0, 256, (size, size, 3)).astype(np.float64) * brightness
    return Image.fromarray(arr.astype(np.uint8))


def make_set(folder: Path, n: int, seed: int, brightness: float = 1.0) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"img_{i:03d}.png"
        path.write_bytes(encode(noisy_image(seed * 1000 + i, brightness=brightness), "PNG"))
        paths.append(str(path))
    return paths


def sources_for(folder_a: Path, folder_b: Path) -> list[tuple[str, str, list[str], list]]:
    out = []
    for name, folder in (("A", folder_a), ("B", folder_b)):
        paths, skipped = discover(str(folder), name)
        out.append((name, str(folder), paths, skipped))
    return out


def bomb_png() -> bytes:
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(
            ">I", zlib.crc32(tag + data) & 0xFFFFFFFF
        )

    header = struct.pack(">IIBBBBB", 50000, 50000, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + chunk(b"IEND", b""))


def test_bad_files_are_skipped_with_specific_reasons(tmp_path: Path, monkeypatch) -> None:
    good_a = make_set(tmp_path / "A", 3, seed=1)
    make_set(tmp_path / "B", 3, seed=2)
    folder = tmp_path / "A"
    (folder / "empty.png").write_bytes(b"")
    jpeg = encode(noisy_image(5, size=120), "JPEG")
    (folder / "truncated.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    (folder / "corrupt.png").write_bytes(
        b"\x89PNG\r\n\x1a\n" + np.random.default_rng(0).bytes(300)
    )
    (folder / "readme.txt").write_text("these are my photos\n", encoding="utf-8")
    (folder / "bomb.png").write_bytes(bomb_png())
    (folder / "large.png").write_bytes(encode(noisy_image(6, size=200), "PNG"))
    locked = folder / "locked.png"
    locked.write_bytes(encode(noisy_image(7), "PNG"))
    if os.geteuid() != 0:
        locked.chmod(0)
    else:  # root reads anything: simulate the permission error where files are read
        real_read = features_module.read_file

        def read_or_refuse(path: str) -> bytes:
            if path.endswith("locked.png"):
                raise BadImageError("permission denied")
            return real_read(path)

        monkeypatch.setattr(features_module, "read_file", read_or_refuse)

    settings = Settings(cache=str(tmp_path / "cache.sqlite"), jobs=1, max_pixels=150 * 150)
    sets, table, info = compute_features(
        sources_for(tmp_path / "A", tmp_path / "B"), settings=settings, progress=False
    )
    set_a, set_b = sets
    reasons = {os.path.basename(s.path): s.reason for s in set_a.skipped}
    assert reasons["empty.png"] == "empty file (0 bytes)"
    assert reasons["truncated.jpg"].startswith("truncated or corrupt image data")
    assert "corrupt PNG" in reasons["corrupt.png"]
    assert reasons["readme.txt"].startswith("not an image")
    assert "decompression bomb" in reasons["bomb.png"]
    assert "decompression bomb" in reasons["large.png"]  # over the lowered max_pixels
    assert reasons["locked.png"] == "permission denied"
    assert len(reasons) == 7
    assert [r.path for r in set_a.images] == good_a
    assert len(set_b.images) == 3 and not set_b.skipped
    assert table.values.shape == (6, len(list_measurements(("general",))))
    assert np.isfinite(table.column("brightness_mean")).all()
    assert info["warnings"] == []
    if os.geteuid() != 0:
        locked.chmod(0o644)


def test_rows_columns_and_order(tmp_path: Path) -> None:
    paths_a = make_set(tmp_path / "A", 4, seed=1)
    paths_b = make_set(tmp_path / "B", 3, seed=2, brightness=0.5)
    sets, table, info = compute_features(
        sources_for(tmp_path / "A", tmp_path / "B"),
        settings=Settings(cache="", jobs=1),
        progress=False,
    )
    assert [s.name for s in sets] == ["A", "B"]
    assert [r.path for r in table.records] == paths_a + paths_b
    assert table.names == sorted(table.names) == list_measurements(("general",))
    assert table.is_a.tolist() == [True] * 4 + [False] * 3
    brightness = table.column("brightness_mean")
    assert brightness[:4].min() > brightness[4:].max()  # set B was darkened
    record = table.records[0]
    assert (record.width, record.height, record.format, record.mode) == (48, 48, "PNG", "RGB")
    assert sets[0].source == str(tmp_path / "A")
    for key in ("read_hash_s", "cache_lookup_s", "decode_measure_s", "cache_write_s", "features_s"):
        assert info[key] >= 0.0


def test_second_run_hits_cache_without_decoding(tmp_path: Path, monkeypatch) -> None:
    make_set(tmp_path / "A", 4, seed=1)
    make_set(tmp_path / "B", 4, seed=2)
    (tmp_path / "A" / "empty.png").write_bytes(b"")
    (tmp_path / "A" / "junk.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    settings = Settings(cache=str(tmp_path / "cache.sqlite"), jobs=1)
    sources = sources_for(tmp_path / "A", tmp_path / "B")
    cold_sets, cold, cold_info = compute_features(sources, settings=settings, progress=False)
    assert cold_info["decoded"] == 9  # 8 good + the junk png (the empty file needs no decode)

    def no_decoding(*args: object, **kwargs: object) -> None:
        raise AssertionError("a warm run must not decode")

    monkeypatch.setattr(features_module, "decode_image", no_decoding)
    warm_sets, warm, warm_info = compute_features(sources, settings=settings, progress=False)
    assert warm_info["decoded"] == 0 and warm_info["cache_hits"] == 9
    assert warm.records == cold.records
    np.testing.assert_array_equal(warm.values, cold.values)
    assert [s.skipped for s in warm_sets] == [s.skipped for s in cold_sets]


def test_version_bump_recomputes_only_that_measurement(tmp_path: Path, monkeypatch) -> None:
    make_set(tmp_path / "A", 3, seed=1)
    make_set(tmp_path / "B", 3, seed=2)
    settings = Settings(cache=str(tmp_path / "cache.sqlite"), jobs=1)
    sources = sources_for(tmp_path / "A", tmp_path / "B")
    _, first, _ = compute_features(sources, settings=settings, progress=False)

    computed: list[str] = []
    real_measure_file = features_module.measure_file

    def spying_measure_file(path, expected_hash, names, max_pixels):  # type: ignore[no-untyped-def]
        computed.extend(names)
        return real_measure_file(path, expected_hash, names, max_pixels)

    monkeypatch.setattr(features_module, "measure_file", spying_measure_file)
    monkeypatch.setattr(BrightnessMean, "version", BrightnessMean.version + 1)
    _, second, info = compute_features(sources, settings=settings, progress=False)
    assert info["decoded"] == 6
    assert set(computed) == {"brightness_mean"} and len(computed) == 6
    np.testing.assert_array_equal(second.values, first.values)


def test_measurement_failure_on_some_images_is_nan_and_reported(tmp_path: Path, monkeypatch) -> None:
    make_set(tmp_path / "A", 3, seed=1)
    make_set(tmp_path / "B", 3, seed=2)
    real_compute = BrightnessMean.compute

    def flaky(self, image):  # type: ignore[no-untyped-def]
        if image.rgb[0, 0, 1] < 0.5:  # about half of the random images
            raise ValueError("synthetic failure")
        return real_compute(self, image)

    monkeypatch.setattr(BrightnessMean, "compute", flaky)
    sources = sources_for(tmp_path / "A", tmp_path / "B")
    store_path = tmp_path / "cache.sqlite"
    _, table, info = compute_features(
        sources, settings=Settings(cache=str(store_path), jobs=1), progress=False
    )
    column = table.column("brightness_mean")
    failed = np.isnan(column)
    assert 0 < failed.sum() < len(column)
    assert any("brightness_mean" in w and "synthetic failure" in w for w in info["warnings"])
    # Failures are not cached: fixed code recomputes exactly those images.
    monkeypatch.setattr(BrightnessMean, "compute", real_compute)
    _, again, info2 = compute_features(
        sources, settings=Settings(cache=str(store_path), jobs=1), progress=False
    )
    assert info2["decoded"] == failed.sum()
    assert np.isfinite(again.column("brightness_mean")).all()


def test_measurement_failing_everywhere_is_loud(tmp_path: Path, monkeypatch) -> None:
    make_set(tmp_path / "A", 2, seed=1)
    make_set(tmp_path / "B", 2, seed=2)

    def broken(self, image):  # type: ignore[no-untyped-def]
        raise KeyError("bug")

    monkeypatch.setattr(BrightnessMean, "compute", broken)
    with pytest.raises(MeasurementFailure, match="brightness_mean"):
        compute_features(
            sources_for(tmp_path / "A", tmp_path / "B"),
            settings=Settings(cache="", jobs=1),
            progress=False,
        )


def test_worker_processes_match_in_process_results(tmp_path: Path) -> None:
    make_set(tmp_path / "A", 12, seed=1)
    make_set(tmp_path / "B", 12, seed=2)
    (tmp_path / "A" / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    sources = sources_for(tmp_path / "A", tmp_path / "B")
    serial_sets, serial, _ = compute_features(
        sources, settings=Settings(cache="", jobs=1), progress=False
    )
    parallel_sets, parallel, info = compute_features(
        sources, settings=Settings(cache="", jobs=2), progress=True
    )
    assert info["decoded"] == 25
    assert parallel.records == serial.records
    np.testing.assert_array_equal(parallel.values, serial.values)
    assert [s.skipped for s in parallel_sets] == [s.skipped for s in serial_sets]


def test_duplicate_content_is_decoded_once(tmp_path: Path) -> None:
    paths = make_set(tmp_path / "A", 2, seed=1)
    (tmp_path / "B").mkdir()
    for i, path in enumerate(paths):
        (tmp_path / "B" / f"copy_{i}.png").write_bytes(Path(path).read_bytes())
    sets, table, info = compute_features(
        sources_for(tmp_path / "A", tmp_path / "B"),
        settings=Settings(cache="", jobs=1),
        progress=False,
    )
    assert info["decoded"] == 2 and len(table.records) == 4
    np.testing.assert_array_equal(table.values[:2], table.values[2:])
    assert [r.set_name for r in table.records] == ["A", "A", "B", "B"]


def test_corrupt_cache_file_raises_clearly(tmp_path: Path) -> None:
    make_set(tmp_path / "A", 1, seed=1)
    make_set(tmp_path / "B", 1, seed=2)
    cache = tmp_path / "cache.sqlite"
    cache.write_bytes(b"garbage" * 1000)
    with pytest.raises(CacheError, match="cache.sqlite"):
        compute_features(
            sources_for(tmp_path / "A", tmp_path / "B"),
            settings=Settings(cache=str(cache), jobs=1),
            progress=False,
        )


def test_nan_values_are_cached_as_nan(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "A").mkdir()
    (tmp_path / "B").mkdir()
    flat = encode(Image.new("RGB", (30, 30), (90, 90, 90)), "PNG")  # pixelation is undefined
    (tmp_path / "A" / "flat.png").write_bytes(flat)
    make_set(tmp_path / "B", 1, seed=3)
    settings = Settings(cache=str(tmp_path / "cache.sqlite"), jobs=1)
    sources = sources_for(tmp_path / "A", tmp_path / "B")
    _, cold, _ = compute_features(sources, settings=settings, progress=False)
    assert math.isnan(cold.column("pixelation")[0])
    _, warm, info = compute_features(sources, settings=settings, progress=False)
    assert info["decoded"] == 0
    assert math.isnan(warm.column("pixelation")[0])


def test_cache_of_an_older_tellapart_is_rebuilt_with_a_warning(tmp_path: Path) -> None:
    import sqlite3

    make_set(tmp_path / "A", 4, seed=1)
    make_set(tmp_path / "B", 4, seed=2)
    cache = tmp_path / "cache.sqlite"
    conn = sqlite3.connect(cache)
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    conn.commit()
    conn.close()
    settings = Settings(cache=str(cache), jobs=1)
    sources = sources_for(tmp_path / "A", tmp_path / "B")
    _, table, info = compute_features(sources, settings=settings, progress=False)
    assert info["decoded"] == 8 and np.isfinite(table.values).any()
    assert any("older tellapart" in w and str(cache) in w for w in info["warnings"])
    _, _, again = compute_features(sources, settings=settings, progress=False)
    assert again["cache_hits"] == 8 and not any("older" in w for w in again["warnings"])


_FAULTS_SCRIPT = """
import resource, sys
import numpy as np
from tellapart.measure.features import keep_freed_memory
if sys.argv[1] == "tuned":
    keep_freed_memory()
np.ones(1 << 21, dtype=np.float32).sum()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    a = np.ones(1 << 21, dtype=np.float32)
    b = a * 2
    del a, b
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator only")
def test_worker_allocator_reuses_freed_arrays_instead_of_faulting_them_in_again() -> None:
    # measuring an image allocates and frees many 1-12 MB arrays; a worker must not
    # page-fault each of them afresh (that doubled the medical group's cost with two workers)
    def faults(mode: str) -> int:
        done = subprocess.run([sys.executable, "-c", _FAULTS_SCRIPT, mode], check=True,
                              capture_output=True, text=True)
        return int(done.stdout.strip())

    default, tuned = faults("default"), faults("tuned")
    if default < 2000:
        pytest.skip(f"this C library already reuses freed memory ({default} faults)")
    assert tuned < default / 4
