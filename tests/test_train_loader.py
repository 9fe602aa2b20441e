"""Worker data loading equals in-process data; the text-embedding cache round-trips and fails loudly."""

from __future__ import annotations

import numpy as np
import pytest

from tellapart.models import text as text_mod
from tellapart.models.text import TextCacheError, read_text_cache, use_text_cache, write_text_cache
from tellapart.train.data import TaskSampler, draw_pool, pool_rng
from tellapart.train.loader import ParallelSteps, StepSpec, prepare_step


def _spec() -> StepSpec:
    return StepSpec(seed=5, image_size=32, pool_size=12, pool_every=3, holdout_paraphrase=True,
                    n_tasks=2, n_per_side=3, p_canonical=0.5, aux_images=4)


def test_parallel_steps_equal_in_process_steps() -> None:
    spec = _spec()
    sampler = TaskSampler(spec.image_size, seed=spec.seed, pool_size=spec.pool_size,
                          holdout_paraphrase=spec.holdout_paraphrase)
    expected = {}
    for step in range(5):  # crosses a pool boundary (pool_every=3)
        images, kinds = draw_pool(sampler.base_sampler, spec.pool_size,
                                  pool_rng(spec.seed, step // spec.pool_every))
        sampler.set_pool(images, kinds)
        expected[step] = prepare_step(sampler, spec, step, level=0)
    with ParallelSteps(spec, workers=2, timeout_s=120) as loader:
        for step in range(5):
            got = loader.get(step, level=0)
            want = expected[step]
            np.testing.assert_array_equal(np.array(got.images), want.images)
            np.testing.assert_array_equal(got.labels, want.labels)
            assert got.aux_images is not None and want.aux_images is not None
            np.testing.assert_array_equal(got.aux_images, want.aux_images)
            np.testing.assert_array_equal(got.aux_labels, want.aux_labels)
            assert (got.words, got.sentences, got.owners) == (want.words, want.sentences,
                                                              want.owners)
            loader.release(got)


def test_text_cache_round_trip_and_missing_text(tmp_path) -> None:
    path = write_text_cache(tmp_path / "cache.npz", ["a red square", "darker images"])
    table = read_text_cache(path)
    assert set(table) == {"a red square", "darker images"}
    direct = text_mod.encode(["a red square"])
    try:
        use_text_cache(path, only=True)
        np.testing.assert_allclose(text_mod.encode(["a red square"]), direct, atol=1e-5)
        with pytest.raises(TextCacheError, match="lacks|missing|not in"):
            text_mod.encode(["a text nobody cached"])
    finally:
        use_text_cache(None)


def test_text_cache_rejects_a_non_cache(tmp_path) -> None:
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a numpy file")
    with pytest.raises(TextCacheError):
        read_text_cache(bad)
    with pytest.raises(TextCacheError, match="does not exist"):
        read_text_cache(tmp_path / "nope.npz")
