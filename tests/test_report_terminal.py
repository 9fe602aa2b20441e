"""Terminal table: content, top-N, markup safety, narrow and non-tty consoles."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from tellapart.report import print_table
from tellapart.report.terminal import finding_cell
from test_report_builders import make_overall_report, make_report


def _console(width: int = 80) -> Console:
    return Console(record=True, width=width, force_terminal=False, color_system=None)


def test_table_lists_findings_and_footer(tmp_path: Path) -> None:
    report = make_report(tmp_path)
    console = _console()
    print_table(report, console=console)
    out = console.export_text()
    assert out.startswith("2 significant differences found")
    assert "AUROC [95% CI]" in out and "More in" in out
    assert "0.86 [0.78, 0.93]" in out
    assert "darker" in out and "blurrier" in out
    assert out.count("✓") == 2  # one mark per significant finding
    assert "1 file skipped (A: 1, B: 0); 1 warning" in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_top_limits_rows(tmp_path: Path) -> None:
    report = make_report(tmp_path, n_significant=2, n_other=2)
    console = _console()
    print_table(report, console=console, top=1)
    out = console.export_text()
    assert "darker" in out and "saturated" not in out
    assert "Showing 1 of 4 tested findings" in out
    report.settings["top"] = 2
    console = _console()
    print_table(report, console=console)
    out = console.export_text()
    assert "saturated" in out and "blurrier" not in out
    with pytest.raises(ValueError, match="top must be a whole number"):
        print_table(report, console=_console(), top="3")  # type: ignore[arg-type]


def test_zero_findings(tmp_path: Path) -> None:
    report = make_report(tmp_path, n_significant=0, n_other=0)
    report.skipped = []
    report.warnings = []
    console = _console()
    print_table(report, console=console)
    out = console.export_text()
    assert "No significant difference found at alpha=0.05: no hypothesis could be tested." in out
    assert "No files skipped; no warnings." in out
    assert "AUROC" not in out


def test_no_significant_finding_names_the_strongest(tmp_path: Path) -> None:
    report = make_report(tmp_path, n_significant=0, n_other=2)
    console = _console()
    print_table(report, console=console)
    out = console.export_text()
    assert "No significant difference found at alpha=0.05: none of the 2 hypotheses" in out
    assert "✓" not in out


def test_markup_in_text_is_printed_literally(tmp_path: Path) -> None:
    report = make_report(tmp_path)
    report.findings[0].description = "Set A [bold red]images[/] have [/] more [link=x]stuff"
    console = _console(width=120)
    print_table(report, console=console)
    assert "Set A [bold red]images[/] have [/] more [link=x]stuff" in console.export_text()


@pytest.mark.parametrize("width", [20, 40, 60])
def test_narrow_console_does_not_crash(tmp_path: Path, width: int) -> None:
    report = make_report(tmp_path)
    console = _console(width=width)
    print_table(report, console=console)
    out = console.export_text()
    assert "significant" in out
    assert max(len(line) for line in out.splitlines()) <= width


def test_non_tty_ascii_stream(tmp_path: Path) -> None:
    # A pipe with a legacy encoding must not make printing crash on the check mark.
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii", errors="strict")
    console = Console(file=stream, width=100)
    print_table(make_report(tmp_path), console=console)
    stream.flush()
    text = raw.getvalue().decode("ascii")
    assert "darker than set B images" in text
    assert "yes" in text


def test_a_named_difference_listed_above_a_higher_auroc_is_explained(tmp_path: Path) -> None:
    report = make_report(tmp_path, n_significant=2, n_other=0)
    console = _console(width=120)
    print_table(report, console=console)
    assert "names a difference the describer was trained on" not in console.export_text()
    # as the verifier ranks it: the describer's claim ahead of a statistic with a higher AUROC
    report.findings[0].concept, report.findings[0].auroc = "diff:darker:A", 0.80
    console = _console(width=120)
    print_table(report, console=console)
    out = " ".join(console.export_text().split())
    assert ("#1 names a difference the describer was trained on and comes before image "
            "measurements whose AUROC is not significantly higher on the same images") in out


def test_untested_typed_claims_are_listed_with_their_reason(tmp_path: Path) -> None:
    report = make_report(tmp_path)
    refused, unknown = "Set A images have a tight range of tones", "Set A images are zorbly"
    report.untestable_hypotheses = [refused, unknown]
    report.warnings.append(f"not tested: {refused!r}: it is about a property that can change "
                           "two ways (lower_contrast / higher_contrast)")
    console = _console(width=200)
    print_table(report, console=console)
    out = console.export_text()
    assert f"Not tested: {refused!r}: it is about a property that can change two ways" in out
    assert f"Not tested: {unknown!r}: no scorer understood it." in out


def test_the_overall_answer_comes_first_and_the_checks_have_columns(tmp_path: Path) -> None:
    report = make_overall_report(tmp_path)
    report.findings[0].negligible = True
    console = _console(width=100)
    print_table(report, console=console)
    out = console.export_text()
    flat = " ".join(out.split())
    assert flat.startswith("The sets differ: a classifier tells them apart on held-out images "
                           "with AUROC 0.93 [0.88, 0.97] (p = 0.0010). The findings below "
                           "describe about 70% of what separates the sets; about 30% is not "
                           "described (see the HTML report's images). 2 significant differences")
    assert "Expl." in out and "Check" in out
    assert "45%" in out and "30%" in out
    assert "✓ confirmed" in out and "✗ refuted" in out
    assert "Check: counterfactual check of the words" in flat
    assert max(len(line) for line in out.splitlines()) <= 100
    wide = _console(width=400)  # one line per finding
    print_table(report, console=wide)
    out = wide.export_text()
    assert "darker than set B images (significant but below the minimum effect: negligible)" in out
    assert "making that change does not reproduce the difference: no evidence that set B" in out


@pytest.mark.parametrize("width", [40, 80])
def test_narrow_consoles_note_the_checks_in_the_text(tmp_path: Path, width: int) -> None:
    report = make_overall_report(tmp_path)
    console = _console(width=width)
    print_table(report, console=console)
    out = console.export_text()
    assert "Expl." not in out  # no room for the columns: the text carries the checks
    assert max(len(line) for line in out.splitlines()) <= width
    first, second = report.findings[:2]
    assert finding_cell(first, inline_checks=True) == (
        "Set A images are darker than set B images (explains 45%; counterfactual check: confirmed)"
    )
    # the refuted finding's statement already says so: no second note
    assert finding_cell(second, inline_checks=True).endswith("(counterfactual check) (explains 30%)")
    assert finding_cell(first) == "Set A images are darker than set B images"


def test_no_overall_difference_and_ascii_marks(tmp_path: Path) -> None:
    report = make_overall_report(tmp_path)
    assert report.overall is not None
    report.overall.differ = False
    for f in report.findings:
        f.significant = False
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii", errors="strict")
    print_table(report, console=Console(file=stream, width=120))
    stream.flush()
    text = " ".join(raw.getvalue().decode("ascii").split())
    assert text.startswith("No difference detected (held-out AUROC 0.93 [0.88, 0.97]")
    assert "At this size (6 + 6 images)" in text
    assert "confirmed" in text and "refuted" in text  # marks left out where they cannot print
