"""Tests of the measurement scorer: scores, and reading typed claims (strictly)."""

from __future__ import annotations

import numpy as np
import pytest

from tellapart.config import Settings
from tellapart.measure.base import MEASUREMENTS
from tellapart.measure.words import MeasurementWords
from tellapart.types import FeatureTable, Hypothesis
from tellapart.verify import SCORERS, MeasurementScorer, create_scorer
from tellapart.verify.base import Scorer
from tellapart.verify.simulate import fake_records, synthetic_context

WORDS = {
    "brightness_mean": MeasurementWords(
        "brightness_mean", "are brighter", "are darker", ("bright", "dark", "light", "dim")
    ),
    "sharpness": MeasurementWords("sharpness", "are sharper", "are blurrier", ("sharp", "blur")),
    "noise_level": MeasurementWords(
        "noise_level", "are noisier (grainier)", "are cleaner (less noisy)", ("noise", "grain")
    ),
    "border_width": MeasurementWords(
        "border_width", "have wider borders", "have narrower borders", ("border", "frame")
    ),
}


@pytest.mark.parametrize(
    ("text", "measurement", "sign", "more_in", "concept"),
    [
        ("set A images are darker", "brightness_mean", -1, "A", "brightness_mean:lower"),
        (
            "Set B images are brighter than set A images",
            "brightness_mean",
            1,
            "B",
            "brightness_mean:lower",
        ),
        ("images in B are blurrier", "sharpness", -1, "B", "sharpness:higher"),
        ("A has more noise", "noise_level", 1, "A", "noise_level:higher"),
        ("B images are grainy", "noise_level", 1, "B", "noise_level:lower"),
        ("dimmer in set A", "brightness_mean", -1, "A", "brightness_mean:lower"),
        ("out of focus images in B", "sharpness", -1, "B", "sharpness:higher"),
        ("darker than set B", "brightness_mean", -1, "A", "brightness_mean:lower"),
        ("B images have borders", "border_width", 1, "B", "border_width:lower"),
        (
            "images in set b are noisier than those in set a",
            "noise_level",
            1,
            "B",
            "noise_level:lower",
        ),
    ],
)
def test_interpret_maps_claims(
    text: str, measurement: str, sign: int, more_in: str, concept: str
) -> None:
    hyp = MeasurementScorer(words=WORDS).interpret(text)
    assert hyp is not None
    assert hyp.params["measurement"] == measurement
    assert hyp.params["sign"] == sign
    assert hyp.more_in == more_in
    assert hyp.concept == concept
    assert hyp.user and hyp.scorer == "measurement"
    assert hyp.description.startswith(f"Set {more_in} images ")


def test_interpret_without_a_set_is_direction_free() -> None:
    hyp = MeasurementScorer(words=WORDS).interpret("darker")
    assert hyp is not None and hyp.more_in is None
    assert hyp.params == {"measurement": "brightness_mean", "sign": -1, "typed": "darker"}
    oriented = MeasurementScorer(words=WORDS).orient(hyp, "B")
    assert oriented.more_in == "B" and oriented.concept == "brightness_mean:higher"
    assert oriented.description.startswith("Set B images are darker than set A images")


@pytest.mark.parametrize(
    "text",
    [
        "qwerty asdf",
        "set A",
        "",
        "the images are different",
        "darker and blurrier",
        "set A images are not darker",
        "the bananas are happier in A",
        "brighter and darker",
    ],
)
def test_interpret_refuses_what_it_cannot_map(text: str) -> None:
    assert MeasurementScorer(words=WORDS).interpret(text) is None


def test_lowercase_article_a_is_not_set_a() -> None:
    hyp = MeasurementScorer(words=WORDS).interpret("images look a bit darker")
    assert hyp is not None and hyp.more_in is None


def test_score_is_signed_column() -> None:
    values = np.arange(20.0).reshape(10, 2)
    table = FeatureTable(fake_records(5, 5), ["brightness_mean", "sharpness"], values)
    ctx = synthetic_context(table, Settings())
    scorer = MeasurementScorer(words=WORDS)
    hyp = scorer.interpret("set A images are darker")
    assert hyp is not None
    rows = np.array([0, 3, 7])
    np.testing.assert_array_equal(scorer.score(hyp, ctx, rows), -values[rows, 0])
    assert scorer.can_score_in(hyp, ctx)
    missing = scorer.interpret("A has more noise")
    assert missing is not None and not scorer.can_score_in(missing, ctx)
    with pytest.raises(ValueError, match="not in the feature table"):
        scorer.score(missing, ctx, rows)
    bad = Hypothesis("x", "x", "A", "user", params={"measurement": "brightness_mean", "sign": 2})
    assert not scorer.can_score(bad)


@pytest.mark.skipif(len(MEASUREMENTS) == 0, reason="no measurements registered")
@pytest.mark.parametrize(
    ("text", "measurement", "sign"),
    [
        ("set A images are darker", "brightness_mean", -1),
        ("images in B are blurrier", "sharpness", -1),
        ("A has more noise", "noise_level", 1),
    ],
)
def test_interpret_with_the_registered_measurements(text: str, measurement: str, sign: int) -> None:
    import tellapart.measure  # noqa: F401  (registers the measurements)

    if measurement not in MEASUREMENTS:
        pytest.skip(f"{measurement} not registered")
    hyp = MeasurementScorer().interpret(text)
    assert hyp is not None
    assert (hyp.params["measurement"], hyp.params["sign"]) == (measurement, sign)


@pytest.mark.parametrize("name", SCORERS.list())
def test_registered_scorers_contract(name: str) -> None:
    scorer = create_scorer(name)
    assert isinstance(scorer, Scorer)
    gibberish = scorer.interpret("qwerty uiop zxcv")
    if scorer.open_vocabulary:  # reads any wording; held-out testing decides
        assert gibberish is None or (gibberish.user and scorer.can_score(gibberish))
    else:
        assert gibberish is None
