"""A comparison on a two-node Ray cluster (``ray.cluster_utils.Cluster``, one CPU each) gives
the local engine's report; the describer's actor pool has one actor per node."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tellapart import compare
from tellapart.models.runtime import clear_cache
from tellapart.report.json_io import engine_independent_json
from tellapart.synth import DiffSpec, make_task, write_task

ray = pytest.importorskip("ray", reason="the ray extra is not installed: pip install -e '.[ray]'")


@pytest.fixture(scope="module")
def two_nodes() -> Iterator[Any]:
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True,
                      head_node_args={"num_cpus": 1, "include_dashboard": False})
    cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, log_to_driver=False)
    yield cluster
    ray.shutdown()
    cluster.shutdown()



def test_a_comparison_across_two_nodes_equals_the_local_one(two_nodes: Any,
                                                            tmp_path: Path) -> None:
    assert sum(1 for node in ray.nodes() if node["Alive"]) == 2
    task = make_task([DiffSpec("blur", s=1.0)], n_per_side=12, size=64, base="mixed", seed=2,
                     task_id="t")
    out = write_task(task, tmp_path / "task", contact_sheet=False)
    reports = {}
    for engine in ("local", "ray"):
        clear_cache()
        reports[engine] = compare(out / "a", out / "b", progress=False, cache="", jobs=1,
                                  engine=engine)
    assert engine_independent_json(reports["ray"]) == engine_independent_json(reports["local"])
    assert reports["ray"].timing_s["features.embed"] > 0
