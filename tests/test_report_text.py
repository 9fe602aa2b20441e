"""Wording and number formats shared by the HTML page and the terminal table."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tellapart.report.text import (
    explained_statement,
    finding_statement,
    fmt_auroc,
    fmt_p,
    fmt_seconds,
    fmt_setting,
    fmt_share,
    n_tested,
    overall_statement,
    refuted_statement,
    summary_sentence,
    timing_summary,
    trained_difference_of,
)
from tellapart.types import Counterfactual, Overall
from test_report_builders import make_report


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.5, "0.50"),
        (0.034, "0.034"),
        (0.0012, "0.0012"),
        (3.14e-6, "3.1e-06"),
        (0.0, "0"),
        (math.nan, "n/a"),
        (None, "n/a"),
    ],
)
def test_fmt_p(value: float | None, text: str) -> None:
    assert fmt_p(value) == text


def test_fmt_auroc_with_missing_ci(tmp_path: Path) -> None:
    finding = make_report(tmp_path).findings[0]
    assert fmt_auroc(finding) == "0.86 [0.78, 0.93]"
    finding.auroc_ci = (math.nan, math.nan)
    assert fmt_auroc(finding) == "0.86 [n/a, n/a]"


def test_timing_and_settings_text() -> None:
    timing = {"discover": 0.01, "features": 12.345, "features.decode": 12.0, "verify": 200.0}
    assert timing_summary(timing, stages=False) == (
        "total 3 min 32 s (discover 0.01 s, features 12.3 s, verify 3 min 20 s)"
    )
    assert "features.decode 12.0 s" in timing_summary(timing)
    assert timing_summary({"total": 1.5, "load": 1.0}) == "total 1.50 s (load 1.00 s)"
    assert timing_summary({}) == "not recorded"
    assert fmt_seconds(math.nan) == "n/a"
    assert fmt_setting(["a", "b"]) == "a, b"
    assert fmt_setting([]) == "none"
    assert fmt_setting(None) == "default"
    assert fmt_setting("") == "(empty)"
    assert fmt_setting(False) == "no"


def test_summary_counts_grouped_hypotheses(tmp_path: Path) -> None:
    report = make_report(tmp_path)  # 3 findings, the 2 significant ones with 1 related each
    assert n_tested(report) == 5
    assert summary_sentence(report).startswith(
        "2 significant differences found (5 hypotheses tested on held-out images"
    )
    report.settings["n_tested_hypotheses"] = 12  # the verifier's own count wins
    assert "(12 hypotheses tested" in summary_sentence(report)
    report.settings["alpha"] = 0.1
    for f in report.findings:
        f.significant = False
    assert summary_sentence(report) == (
        "No significant difference found at alpha=0.1: none of the 12 hypotheses tested "
        "held up on held-out images (strongest: AUROC 0.86, q = 0.0012)."
    )
    report.settings["alpha"] = "high"
    with pytest.raises(ValueError, match="alpha must be a number"):
        summary_sentence(report)


def test_a_typed_claim_names_the_trained_difference_it_was_tested_as(tmp_path: Path) -> None:
    from tellapart.report.terminal import yours_note

    finding = make_report(tmp_path).findings[0]
    finding.user, finding.concept = True, "diff:noise:A"
    assert trained_difference_of(finding) == "noise"
    assert yours_note(finding) == " (yours; tested as the trained difference noise)"
    finding.concept = "text:set a images look odd"
    assert trained_difference_of(finding) is None and yours_note(finding) == " (yours)"
    finding.user, finding.concept = False, "diff:noise:A"  # proposed, not typed: nothing to say
    assert trained_difference_of(finding) is None


def _overall(**changes: object) -> Overall:
    values: dict[str, object] = {
        "auroc": 0.93, "auroc_ci": (0.88, 0.97), "p_value": 0.001, "differ": True,
        "detectable_auroc_at_80_power": 0.68, "explained_share": 0.7,
        "look_here": {"A": ["a.png"], "B": []},
    }
    values.update(changes)
    return Overall(**values)  # type: ignore[arg-type]


def test_overall_statement_when_the_sets_differ() -> None:
    assert overall_statement(_overall(), 40, 40) == (
        "The sets differ: a classifier tells them apart on held-out images with AUROC "
        "0.93 [0.88, 0.97] (p = 0.0010)."
    )


def test_overall_statement_when_they_do_not() -> None:
    no = _overall(differ=False, auroc=0.54, auroc_ci=(0.45, 0.63), p_value=0.31)
    assert overall_statement(no, 40, 40) == (
        "No difference detected (held-out AUROC 0.54 [0.45, 0.63], p = 0.31). At this size "
        "(40 + 40 images) a difference that a classifier separates with held-out AUROC ≥ 0.68 "
        "would have been found 80% of the time."
    )
    # Without a power figure the sentence stops after the numbers; at a hopeless size it says so.
    assert overall_statement(
        _overall(differ=False, detectable_auroc_at_80_power=math.nan), 5, 5
    ).endswith("p = 0.0010).")
    assert "less than 80% of the time" in overall_statement(
        _overall(differ=False, detectable_auroc_at_80_power=1.0), 4, 4
    )
    # A significant finding where the global test finds nothing: never "No difference detected".
    both = overall_statement(no, 40, 40, n_significant=1)
    assert not both.startswith("No difference") and "but 1 specific finding below is significant" in both
    assert "2 specific findings below are significant" in overall_statement(no, 40, 40, 2)


@pytest.mark.parametrize(
    ("share", "images", "expected"),
    [
        (0.7, True, "The findings below describe about 70% of what separates the sets; about 30% "
                    "is not described (see the images below)."),
        (0.437, False, "The findings below describe about 45% of what separates the sets; about "
                       "55% is not described."),
        (0.99, True, "The findings below describe nearly all (over 95%) of what separates the sets."),
        (1.3, True, "The findings below describe nearly all (over 95%) of what separates the sets."),
        (0.01, True, "The findings below describe almost none (under 5%) of what separates the "
                     "sets; the rest is not described (see the images below)."),
        (None, True, "No finding describes it: see the images below where the sets differ most."),
        (None, False, "No finding describes it."),
    ],
)
def test_explained_statement(share: float | None, images: bool, expected: str) -> None:
    look = {"A": ["a.png"], "B": ["b.png"]} if images else {"A": [], "B": []}
    assert explained_statement(_overall(explained_share=share, look_here=look)) == expected


def test_explained_statement_when_what_is_left_does_not_separate_the_sets() -> None:
    left = _overall(explained_share=0.7, look_here={"A": [], "B": []}, unexplained_auroc=0.55,
                    unexplained_p_value=0.12, unexplained_differ=False)
    assert explained_statement(left) == (
        "The findings below describe about 70% of what separates the sets; about 30% is not "
        "described, but on its own it does not separate the sets on held-out images "
        "(AUROC 0.55, p = 0.12)."
    )
    # Reports written before the unexplained test existed keep the short sentence.
    assert explained_statement(_overall(explained_share=0.7, look_here={"A": [], "B": []})) == (
        "The findings below describe about 70% of what separates the sets; about 30% is not "
        "described."
    )


def test_explained_statement_in_the_terminal_and_without_a_difference() -> None:
    text = explained_statement(_overall(explained_share=None), images_below=False)
    assert text == ("No finding describes it: see the HTML report's images where the sets "
                    "differ most.")
    assert explained_statement(_overall(differ=False)) is None


def test_fmt_share() -> None:
    assert [fmt_share(v) for v in (0.0, 0.024, 0.026, 0.45, 0.474, 1.0, 1.2, -0.1)] == [
        "0%", "0%", "5%", "45%", "45%", "100%", "100%", "0%"]
    assert fmt_share(None) == fmt_share(math.nan) == "–"


def test_a_refuted_claim_is_not_stated_as_true(tmp_path: Path) -> None:
    finding = make_report(tmp_path).findings[0]
    finding.description, finding.concept = "Set A images are upside down", "diff:upside_down:A"
    finding.counterfactual = Counterfactual(status="refuted", shift_toward=-0.1, detail="...")
    statement = finding_statement(finding)
    assert statement == (
        "Set A images score higher on tellapart's \"upside down\" detector, but making that "
        "change does not reproduce the difference: no evidence that set A images are upside "
        "down (counterfactual check)"
    )
    assert finding.description == "Set A images are upside down"  # the claim as tested
    finding.counterfactual.status = "confirmed"
    assert finding_statement(finding) == "Set A images are upside down"
    # Other wordings and located detectors keep a safe generic form.
    assert refuted_statement(
        'images have a watermark (typed: "logo")', "diff:text_watermark@bottom_right:B", "B"
    ) == ("Set B images score higher on tellapart's \"text watermark at the bottom right\" "
          "detector, but making that change does not reproduce the difference: the claim "
          "\"images have a watermark\" (typed: \"logo\") is not supported (counterfactual check)")
    # A learned concept's check adds what the concept changed in its learning images.
    assert refuted_statement("Set A images have white polka dots",
                             "concept:have-white-polka-dots-0f2fe95d:A", "A") == (
        "Set A images score higher on the learned concept's detector, but what the concept "
        "changed in the images it was learned from does not reproduce the difference: no "
        "evidence that set A images have white polka dots (counterfactual check)")
    # A claim that did not hold up is stated as "No evidence" whatever its check says.
    finding.counterfactual.status, finding.significant = "refuted", False
    assert finding_statement(finding) == "No evidence that set A images are upside down"


def test_a_negligible_finding_says_so(tmp_path: Path) -> None:
    finding = make_report(tmp_path).findings[0]
    finding.negligible = True
    assert finding_statement(finding) == (
        "Set A images are darker than set B images "
        "(significant but below the minimum effect: negligible)"
    )
    finding.significant = False  # only a significant finding can be negligible
    assert "negligible" not in finding_statement(finding)
