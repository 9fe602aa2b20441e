"""Wording and number formats shared by the HTML page and the terminal table."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tellapart.report.text import (
    fmt_auroc,
    fmt_p,
    fmt_seconds,
    fmt_setting,
    n_tested,
    summary_sentence,
    timing_summary,
    trained_difference_of,
)
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
