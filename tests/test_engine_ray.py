"""The ray engine gives the local engine's report (bad files, cache, describer embeddings
included) on a local Ray instance started once for this module; a missing extra is one line."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tellapart import compare
from tellapart.cli import main
from tellapart.config import Settings
from tellapart.engine import create_engine, list_engines
from tellapart.io import FeatureStore
from tellapart.models.runtime import clear_cache
from tellapart.report.json_io import engine_independent_json
from tellapart.synth import DiffSpec, make_task, write_task
from tellapart.types import Report

ray = pytest.importorskip("ray", reason="the ray extra is not installed: pip install -e '.[ray]'")


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[None]:
    """One small local Ray instance for every test of this module (starting one takes seconds)."""
    # "local": a new instance even while another test process runs a cluster on this machine
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def task_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two small sets with a planted difference, and bad files in set A: an empty file, a
    truncated PNG, text named .png, and a duplicate of a good image."""
    task = make_task([DiffSpec("darker", s=1.0, params={"factor": 0.5})], n_per_side=14,
                     size=64, base="mixed", seed=5, task_id="t")
    out = write_task(task, tmp_path_factory.mktemp("ray") / "task", contact_sheet=False)
    a = out / "a"
    (a / "empty.png").write_bytes(b"")
    (a / "truncated.png").write_bytes((a / "0000.png").read_bytes()[:60])
    (a / "notes.png").write_text("not an image")
    (a / "copy.png").write_bytes((a / "0001.png").read_bytes())
    return out



def _compare(task_dir: Path, engine: str, **options: Any) -> Report:
    clear_cache()  # each engine computes the describer's embeddings itself
    return compare(task_dir / "a", task_dir / "b", progress=False, engine=engine, **options)


def test_ray_report_equals_the_local_report(task_dir: Path) -> None:
    local = _compare(task_dir, "local", cache="", jobs=1)
    on_ray = _compare(task_dir, "ray", cache="", jobs=1)
    assert engine_independent_json(on_ray) == engine_independent_json(local)
    assert on_ray.settings["engine"] == "ray"
    reasons = {Path(s.path).name: s.reason for s in on_ray.skipped}
    assert set(reasons) == {"empty.png", "truncated.png", "notes.png"}
    assert local.significant and local.significant[0].more_in == "A"


@pytest.mark.parametrize("engine", list_engines())
def test_every_engine_gives_the_local_tables_and_fills_the_cache(task_dir: Path, tmp_path: Path,
                                                                 engine: str) -> None:
    paths = {s: sorted(str(p) for p in (task_dir / s).iterdir()) for s in ("a", "b")}
    sources = [("A", "a", paths["a"], []), ("B", "b", paths["b"], [])]
    settings = Settings(cache=str(tmp_path / "cache.sqlite"), progress=False, jobs=1)
    with FeatureStore("") as no_cache:
        expected = create_engine("local").run(sources, settings=settings, store=no_cache,
                                              describer=False)
    with FeatureStore(settings.cache) as store:
        cold = create_engine(engine).run(sources, settings=settings, store=store, describer=True)
    with FeatureStore(settings.cache) as store:
        warm = create_engine(engine).run(sources, settings=settings, store=store, describer=False)
    for got in (cold, warm):
        assert [r.path for r in got.table.records] == [r.path for r in expected.table.records]
        np.testing.assert_array_equal(got.table.values, expected.table.values)
        assert [(s.path, s.reason) for st in got.sets for s in st.skipped] == [
            (s.path, s.reason) for st in expected.sets for s in st.skipped]
    assert cold.info["decoded"] > 0 and warm.info["decoded"] == 0  # warm: nothing decoded
    if engine == "ray":  # one (V, D) array per distinct usable image, made on Ray workers
        hashes = {r.content_hash for r in cold.table.records}
        assert set(cold.view_embeddings) == hashes
        assert all(v.ndim == 2 and v.shape[0] >= 1 for v in cold.view_embeddings.values())
        assert cold.info["embedded_while_measuring"] == len(hashes)  # one decode per image
        with FeatureStore(settings.cache) as store:  # cache hits: embedded in a pass of their own
            again = create_engine(engine).run(sources, settings=settings, store=store,
                                              describer=True)
        assert again.info["decoded"] == 0 and again.info["embedded_while_measuring"] == 0
        assert set(again.view_embeddings) == hashes
        for digest, views in cold.view_embeddings.items():
            np.testing.assert_allclose(again.view_embeddings[digest], views, rtol=1e-5, atol=1e-6)


def test_without_the_extra_the_error_is_one_line_naming_pip(
    task_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    code = main(["compare", str(task_dir / "a"), str(task_dir / "b"), "--engine", "ray",
                 "--quiet", "--no-cache", "--out", str(task_dir.parent / "out")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and "pip install 'tellapart[ray]'" in err
