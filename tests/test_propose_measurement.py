"""Tests of the measurement proposer: wording, ranking, diversity, and proposal-rows-only."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tellapart.config import Settings
from tellapart.context import DataContext
from tellapart.measure.words import MeasurementWords, measurement_words
from tellapart.propose import PROPOSERS, MeasurementProposer, create_proposer
from tellapart.propose.base import Proposer
from tellapart.types import FeatureTable
from tellapart.verify.simulate import fake_records, synthetic_context

WORDS = {
    "brightness": MeasurementWords("brightness", "are brighter", "are darker", ("bright", "dark")),
    "noise": MeasurementWords("noise", "are noisier", "are cleaner", ("noise",)),
}


def _context(values: np.ndarray, names: list[str], n_a: int) -> DataContext:
    table = FeatureTable(fake_records(n_a, values.shape[0] - n_a), names, values)
    return synthetic_context(table, Settings())


def _table(seed: int, n: int = 30) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(2 * n, 6))
    names = ["brightness", "noise", "c2", "c3", "c4", "c5"]
    return values, names


def test_whole_set_darker_is_worded_about_set_a() -> None:
    values, names = _table(0)
    values[:30, 0] -= 2.0
    hyps = MeasurementProposer(words=WORDS).propose(_context(values, names, 30), np.arange(60), 3)
    top = hyps[0]
    assert top.params["measurement"] == "brightness"
    assert top.concept == "brightness:lower"
    assert top.scorer == "measurement" and top.proposer == "measurements"
    # One phrasing or its equivalent, always a full sentence naming both sets.
    assert top.description in (
        "Set A images are darker than set B images",
        "Set B images are brighter than set A images",
    )
    assert (top.more_in == "A") == (top.params["sign"] == -1)


def test_partial_difference_names_the_set_that_carries_it() -> None:
    values, names = _table(1)
    values[30:45, 0] += 4.0  # half of set B brightened
    hyps = MeasurementProposer(words=WORDS).propose(_context(values, names, 30), np.arange(60), 3)
    assert hyps[0].description == "Set B images are brighter than set A images"
    assert hyps[0].concept == "brightness:lower"  # set A is the lower one
    assert hyps[0].more_in == "B" and hyps[0].params["sign"] == 1

    values, names = _table(2)
    values[:15, 0] -= 4.0  # half of set A darkened
    hyps = MeasurementProposer(words=WORDS).propose(_context(values, names, 30), np.arange(60), 3)
    assert hyps[0].description == "Set A images are darker than set B images"
    assert hyps[0].more_in == "A" and hyps[0].params["sign"] == -1


def test_only_proposal_rows_are_used() -> None:
    values, names = _table(3)
    values[:30, 1] += 1.5
    ctx = _context(values, names, 30)
    rows = np.r_[np.arange(0, 15), np.arange(30, 45)]
    before = MeasurementProposer(words=WORDS).propose(ctx, rows, 4)
    values[15:30] = 99.0  # rows outside the proposal part change wildly
    values[45:] = -99.0
    after = MeasurementProposer(words=WORDS).propose(ctx, rows, 4)
    assert [h.concept for h in before] == [h.concept for h in after]
    assert [h.proposal_score for h in before] == pytest.approx([h.proposal_score for h in after])


def test_shortlist_is_diverse_and_bounded() -> None:
    values, names = _table(4)
    values[:30, 0] += 2.0
    values[:, 2] = values[:, 0] * 2 + 1  # an exact duplicate of brightness, rescaled
    hyps = MeasurementProposer(words=WORDS).propose(_context(values, names, 30), np.arange(60), 5)
    measured = [h.params["measurement"] for h in hyps]
    assert len(hyps) <= 5
    assert len(set(measured)) == len(measured)
    assert not {"brightness", "c2"} <= set(measured)
    scores = [h.proposal_score for h in hyps]
    assert scores == sorted(scores, reverse=True)


def test_nan_and_constant_columns() -> None:
    values, names = _table(5)
    values[:, 3] = 1.0
    values[:, 4] = np.nan
    values[::3, 1] = np.nan
    values[:30, 1] += 3.0
    hyps = MeasurementProposer(words=WORDS).propose(_context(values, names, 30), np.arange(60), 6)
    measured = [h.params["measurement"] for h in hyps]
    assert "c3" not in measured and "c4" not in measured
    assert measured[0] == "noise"


def test_unregistered_column_gets_plain_words() -> None:
    words = measurement_words("some_feature")
    assert words.more == "have higher some feature"
    assert words.less == "have lower some feature"


def test_proposal_rows_must_hold_both_sets() -> None:
    values, names = _table(6)
    with pytest.raises(ValueError, match="both sets"):
        MeasurementProposer(words=WORDS).propose(_context(values, names, 30), np.arange(30), 3)


@pytest.mark.parametrize("name", PROPOSERS.list())
def test_registered_proposers_contract(name: str) -> None:
    if PROPOSERS.get(name).needs_images:
        pytest.skip("reads pixels, not features: its contract is tested in tests/test_models_plugins.py")
    proposer = create_proposer(name)
    assert isinstance(proposer, Proposer)
    values, names = _table(7)
    values[:30, 0] -= 2.0
    # Set A differs in a pixel measurement and in a header attribute, so every proposer,
    # whatever evidence it reads, has a difference to propose.
    records = [replace(r, format="DICOM", header=(("ViewPosition", "AP" if i < 30 else "PA"),))
               for i, r in enumerate(fake_records(30, 30))]
    ctx = synthetic_context(FeatureTable(records, names, values), Settings())
    hyps = proposer.propose(ctx, np.arange(60), 4)
    assert 0 < len(hyps) <= 4
    for hyp in hyps:
        assert hyp.more_in in ("A", "B")
        assert hyp.description.startswith(f"Set {hyp.more_in} images ")
        assert hyp.concept and hyp.scorer and hyp.proposer == name


def test_perfect_separations_are_shortlisted_by_how_far_apart_the_sets_are() -> None:
    # Every column splits the sets perfectly, so all share one rank statistic; the column
    # whose sets lie furthest apart leads and the names ("a_" before "z_") do not matter.
    rng = np.random.default_rng(3)
    n = 20
    is_a = np.r_[np.ones(n, bool), np.zeros(n, bool)]
    near = np.where(is_a, 10.0, 0.0) + rng.uniform(0, 9, 2 * n)  # gap of 1, spread of 9
    far = np.where(is_a, 100.0, 0.0) + rng.uniform(0, 1, 2 * n)  # gap of 99, spread of 1
    values = np.column_stack([near, far])
    hyps = MeasurementProposer().propose(_context(values, ["a_near", "z_far"], n), np.arange(2 * n), 2)
    assert [h.params["measurement"] for h in hyps] == ["z_far", "a_near"]
    assert hyps[0].proposal_score == hyps[1].proposal_score  # the rank statistic ties
    # Flipping the direction of the far column changes nothing but its wording.
    values[:, 1] *= -1
    hyps = MeasurementProposer().propose(_context(values, ["a_near", "z_far"], n), np.arange(2 * n), 1)
    assert hyps[0].params["measurement"] == "z_far" and hyps[0].concept == "z_far:lower"
