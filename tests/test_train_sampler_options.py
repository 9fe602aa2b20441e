"""The training sampler's recipe options: graded differences, look-alike contrasts, type
weights, medical tasks, levels as plain values, and a warm start that grows the vocabulary."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from tellapart.train.curriculum import LEVELS, Level
from tellapart.train.data import SamplerOptions, TaskSampler
from tellapart.train.trainer import TrainConfig, Trainer

N = 6  # images per side


def _edited(labels: np.ndarray, k: int) -> tuple[int, int]:
    """(set A images, set B images) that carry type column ``k``."""
    return int(labels[:N, k].sum()), int(labels[N:, k].sum())


def test_a_graded_difference_edits_both_sets_the_same_number_of_images() -> None:
    sampler = TaskSampler(48, seed=0, pool_size=24)
    level = Level("graded", n_diffs=(1, 1), strength=(0.2, 0.3), prevalence=(0.5, 0.5),
                  p_graded=1.0)
    rng = np.random.default_rng(0)
    both = 0
    for _ in range(12):
        _, labels, truths = sampler.task(level, N, rng)
        ((t, target),) = truths
        diff = sampler.diffs[t]
        in_a, in_b = _edited(labels, sampler.type_ids.index(t))
        if diff.gradable and not diff.binary:
            assert in_a == in_b == N // 2
            both += 1
        else:  # a binary or ungradable type stays one-sided
            assert (in_a, in_b) == ((N // 2, 0) if target == "A" else (0, N // 2))
    assert both > 0


def test_without_graded_chance_the_other_set_is_untouched() -> None:
    sampler = TaskSampler(48, seed=0, pool_size=24)
    rng = np.random.default_rng(1)
    for _ in range(8):
        _, labels, truths = sampler.task(LEVELS[0], N, rng)
        ((t, target),) = truths
        in_a, in_b = _edited(labels, sampler.type_ids.index(t))
        assert (in_b if target == "A" else in_a) == 0


def test_a_lookalike_goes_to_the_other_set_as_a_second_truth() -> None:
    group = ("tiny_rectangles", "circles", "triangles")
    sampler = TaskSampler(48, seed=0, pool_size=24, lookalikes=[group])
    level = Level("contrast", n_diffs=(1, 1), strength=(0.8, 1.0), prevalence=(1.0, 1.0),
                  p_lookalike=1.0)
    rng = np.random.default_rng(2)
    contrasts = 0
    for _ in range(40):
        _, labels, truths = sampler.task(level, N, rng)
        if truths[0][0] in group:
            assert len(truths) == 2
            (t1, s1), (t2, s2) = truths
            assert t2 in group and t2 != t1 and {s1, s2} == {"A", "B"}
            in_a, in_b = _edited(labels, sampler.type_ids.index(t2))
            assert (in_a if s2 == "A" else in_b) == N
            contrasts += 1
        else:
            assert len(truths) == 1
    assert contrasts > 0


def test_lookalike_groups_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown or untrained"):
        TaskSampler(48, pool_size=8, lookalikes=[("circles", "no_such_type")])
    with pytest.raises(ValueError, match="more than one"):
        TaskSampler(48, pool_size=8, lookalikes=[("circles", "stars"), ("circles", "triangles")])


def test_type_weights_make_a_type_commoner() -> None:
    plain = TaskSampler(32, seed=0, pool_size=16)
    heavy = TaskSampler(32, seed=0, pool_size=16, type_weights={"stars": 20.0})

    def share(sampler: TaskSampler) -> float:
        _, labels = sampler.labelled_images(400, LEVELS[0], np.random.default_rng(3), p_none=0.0)
        return float(labels[:, sampler.type_ids.index("stars")].mean())

    assert share(heavy) > 4 * share(plain)
    with pytest.raises(ValueError, match="positive"):
        TaskSampler(32, pool_size=8, type_weights={"stars": 0.0})


def test_medical_types_only_on_their_own_bases_and_at_the_asked_share() -> None:
    sampler = TaskSampler(48, seed=0, pool_size=60, domains=("general", "medical"),
                          base="mixed:shapes,photos,chest,brain", p_medical=0.3)
    rng = np.random.default_rng(4)
    kinds = Counter()
    for _ in range(60):
        kind = sampler.random_kind(rng)
        kinds[kind in sampler.medical_kinds] += 1
        for t in sampler._allowed_types(kind):
            diff = sampler.diffs[t]
            assert diff.domain != "medical" or kind in diff.base_kinds
    assert 8 <= kinds[True] <= 30
    _, labels = sampler.labelled_images(60, LEVELS[0], rng)
    assert labels.shape[1] == len(sampler.type_ids) > 46


def test_levels_and_options_round_trip_as_plain_values() -> None:
    level = Level("x", n_diffs=(1, 3), strength=(0.15, 0.45), prevalence=(0.25, 0.6),
                  n_distractors=(1, 2), p_graded=0.25)
    assert Level.from_dict(level.to_dict()) == level
    with pytest.raises(ValueError, match="unknown level setting"):
        Level.from_dict({**level.to_dict(), "strenght": [0, 1]})
    options = SamplerOptions(domains=("general", "medical"), p_medical=0.2,
                             type_weights=(("stars", 2.0),), lookalikes=(("circles", "stars"),))
    assert SamplerOptions.from_dict(options.to_dict()) == options
    with pytest.raises(ValueError, match="unknown sampler setting"):
        SamplerOptions.from_dict({"domain": ["general"]})


def test_a_run_with_its_own_levels_starts_where_asked_and_checks_thresholds(tmp_path: Path) -> None:
    levels = [lv.to_dict() for lv in LEVELS[:2]]
    cfg = TrainConfig(model="tiny", levels=levels, promote_at=[0.5], start_level=1)
    assert cfg.new_curriculum().current.name == LEVELS[1].name
    with pytest.raises(ValueError, match="promotion"):
        TrainConfig(levels=levels, promote_at=[0.5, 0.6]).new_curriculum()
    with pytest.raises(ValueError, match="start_level"):
        TrainConfig(levels=levels, promote_at=[0.5], start_level=2).new_curriculum()


def test_warm_start_from_exported_weights_keeps_shared_rows(tmp_path: Path) -> None:
    small = Trainer(TrainConfig(model="tiny", pool_size=8, val_tasks=1), tmp_path / "a",
                    progress=False)
    folder = small.export(tmp_path / "a" / "final")
    grown = Trainer(TrainConfig(model="tiny", pool_size=8, val_tasks=1,
                                sampler={"domains": ["general", "medical"],
                                         "base": "mixed:shapes,chest"}),
                    tmp_path / "b", progress=False)
    fresh = grown.init_from(folder)
    assert "decoder.wte.weight" in fresh and "type_head.weight" in fresh
    old_state, new_state = small.model.state_dict(), grown.model.state_dict()
    word = small.tokenizer.vocab[10]
    assert word in grown.tokenizer.vocab
    np.testing.assert_array_equal(
        new_state["decoder.wte.weight"][grown.tokenizer.vocab.index(word)].numpy(),
        old_state["decoder.wte.weight"][10].numpy())
    k_old = small.model.type_ids.index("stars")
    k_new = grown.model.type_ids.index("stars")
    np.testing.assert_array_equal(new_state["type_head.weight"][k_new].numpy(),
                                  old_state["type_head.weight"][k_old].numpy())
    for name, value in old_state.items():  # the encoder is copied whole
        if name.startswith("encoder."):
            np.testing.assert_array_equal(new_state[name].numpy(), value.numpy())
