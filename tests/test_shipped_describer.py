"""The describer shipped in the package: it loads, fits its budget, and finds planted differences.

These tests load the real weights (``src/tellapart/data/describer``) and run ``compare`` with
the learned proposer alone on freshly generated synthetic tasks (seeds no training run drew
from: training draws its tasks on the fly from its own seed).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tellapart import compare
from tellapart.models.shipped import DEFAULT_DIR, META_FILE, WEIGHTS_FILE, describer_dir
from tellapart.synth import DiffSpec, make_task, write_task

pytestmark = pytest.mark.skipif(
    describer_dir() != DEFAULT_DIR, reason="TELLAPART_DESCRIBER points at other weights"
)


def test_shipped_weights_load_and_fit_the_budget() -> None:
    from tellapart.models.weights import MAX_WEIGHTS_BYTES, load_default, read_meta
    from tellapart.train.data import TaskSampler

    assert (DEFAULT_DIR / WEIGHTS_FILE).stat().st_size <= MAX_WEIGHTS_BYTES
    meta = read_meta(DEFAULT_DIR)
    assert (DEFAULT_DIR / META_FILE).is_file() and meta["weights_dtype"] == "float16"
    model = load_default()
    assert model.type_head is not None and model.config.type_stats
    # the shipped heads name exactly the trained difference types, in registry order
    assert model.type_ids == TaskSampler(128, seed=0).type_ids
    images = np.random.default_rng(0).integers(0, 256, (4, 128, 128, 3), dtype=np.uint8)
    emb = model.embed(images)
    assert emb.shape == (4, model.config.embed_dim) and np.isfinite(emb).all()


# (difference, knob s): clear differences the shipped model should name and verify
PLANTED = [("grayscale", 1.0), ("frame", 0.9), ("darker", 0.9), ("text_watermark", 0.9), ("noise", 0.8), ("grid", 0.9)]


@pytest.mark.parametrize(("type_id", "s"), PLANTED)
def test_learned_proposer_names_a_planted_difference(tmp_path: Path, type_id: str, s: float) -> None:
    task = make_task([DiffSpec(type_id, s=s)], n_per_side=30, size=128, base="mixed",
                     seed=9100 + len(type_id), task_id=type_id)
    folder = write_task(task, tmp_path, contact_sheet=False)
    report = compare(folder / "a", folder / "b", proposers=["learned"], progress=False, cache="",
                     jobs=1, seed=3)
    significant = [f for f in report.findings if f.significant]
    assert significant, [(f.description, f.q_value) for f in report.findings[:5]]
    top = significant[0]
    assert top.concept.startswith(f"diff:{type_id}") and top.more_in == "A", \
        [(f.description, f.concept, f.auroc) for f in significant[:5]]
    assert report.settings["describer"]["weights_sha256"]


def test_learned_proposer_reports_nothing_between_samples_of_one_distribution(tmp_path: Path) -> None:
    task = make_task([], n_per_side=30, size=128, base="mixed", seed=9001, task_id="null")
    folder = write_task(task, tmp_path, contact_sheet=False)
    report = compare(folder / "a", folder / "b", proposers=["learned"], progress=False, cache="",
                     jobs=1, seed=3)
    assert report.findings, "the proposer should still propose; the verifier must reject it"
    assert not any(f.significant for f in report.findings)
