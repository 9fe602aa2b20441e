"""Levels of difficulty: defined once in synth, used by the training curriculum."""

from __future__ import annotations

import pytest

from tellapart.synth.levels import LEVELS, STREAM_LEVELS, Difficulty, Level


def test_the_training_curriculum_uses_the_synth_levels() -> None:
    from tellapart.train import curriculum, data

    assert curriculum.LEVELS is LEVELS
    assert curriculum.Curriculum().levels is LEVELS
    assert data.Level is Level


def test_each_level_is_at_least_as_hard_as_the_one_before() -> None:
    assert [lv.name for lv in LEVELS] == ["easy", "medium", "subtle", "hard"]
    for easier, harder in zip(LEVELS, LEVELS[1:], strict=False):
        assert harder.n_diffs[1] >= easier.n_diffs[1]
        assert harder.strength[0] <= easier.strength[0]
        assert harder.prevalence[0] <= easier.prevalence[0]
        assert harder.n_distractors[1] >= easier.n_distractors[1]


def test_stream_difficulty_ranges() -> None:
    assert STREAM_LEVELS == {"easy": 0.0, "medium": 0.5, "hard": 1.0}
    easy, hard = Difficulty(0.0), Difficulty(1.0)
    assert easy.strength == (0.75, 1.0) and easy.prevalence_low == 1.0
    assert easy.p_extra_difference == easy.p_graded == easy.p_distractor == 0.0
    lo, hi = hard.strength
    assert 0.05 <= lo < hi < easy.strength[1] and hard.prevalence_low == pytest.approx(0.25)
    with pytest.raises(ValueError, match=r"difficulty must be in \[0, 1\]"):
        Difficulty(1.5)
