"""JSON report: strict JSON, contract key set, NaN -> null, round trip."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import numpy as np
import pytest

from tellapart.report import report_from_json, report_json, to_strict_json, write_json
from test_report_builders import make_overall_report, make_report

CONTRACT_TOP = {
    "tellapart_version",
    "set_a",
    "set_b",
    "settings",
    "findings",
    "skipped",
    "warnings",
    "timing_s",
    "untestable_hypotheses",
    "overall",  # the global test; null when none ran
}
CONTRACT_FINDING = {
    "rank",
    "description",
    "concept",
    "more_in",
    "auroc",
    "auroc_ci",
    "p_value",
    "q_value",
    "significant",
    "effect_size",
    "proposer",
    "scorer",
    "related",
    "examples",
    # Finding.to_json extras, allowed by the contract:
    "n_test",
    "counter_examples",
    "user",
    "contradicted",
    "explained_share",
    "counterfactual",
    "negligible",
    # written by report_json: how the HTML and terminal state the finding
    "statement",
}


def _strict_load(path: Path) -> dict:
    def no_constants(name: str) -> None:
        raise AssertionError(f"non-standard JSON constant {name} in the report")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=no_constants)


def test_write_json_is_strict_utf8_json_with_contract_keys(tmp_path: Path) -> None:
    report = make_report(tmp_path)
    out = write_json(report, tmp_path / "out" / "nested" / "report.json")
    assert out == tmp_path / "out" / "nested" / "report.json"
    text = out.read_text(encoding="utf-8")
    assert "NaN" not in text and "Infinity" not in text
    assert text.startswith('{\n  "tellapart_version": "0.1.0"')  # indent=2, contract order
    data = _strict_load(out)
    assert set(data) == CONTRACT_TOP
    assert list(data) == [
        "tellapart_version",
        "set_a",
        "set_b",
        "settings",
        "overall",
        "findings",
        "skipped",
        "warnings",
        "untestable_hypotheses",
        "timing_s",
    ]
    assert data["overall"] is None  # make_report has no overall test
    assert set(data["set_a"]) == set(data["set_b"]) == {"source", "n_images", "n_skipped"}
    for f in data["findings"]:
        assert set(f) == CONTRACT_FINDING
        assert "scores" not in f
        assert f["more_in"] in ("A", "B")
        assert f["auroc"] >= 0.5
        assert len(f["auroc_ci"]) == 2
        assert set(f["examples"]) == {"A", "B"}
    assert [s for s in data["skipped"]] == [
        {"path": report.skipped[0].path, "set": "A", "reason": "cannot decode: truncated file"}
    ]
    # significant first, in rank order
    sig = [f["significant"] for f in data["findings"]]
    assert sig == sorted(sig, reverse=True)
    assert [f["rank"] for f in data["findings"]] == [1, 2, 3]


def test_nan_and_inf_become_null(tmp_path: Path) -> None:
    report = make_report(tmp_path)
    report.findings[0].auroc_ci = (math.nan, 0.9)
    report.settings["weird"] = [np.float64("inf"), np.int64(3), np.bool_(True), (1, 2)]
    data = _strict_load(write_json(report, tmp_path / "r.json"))
    assert data["findings"][-1]["p_value"] is None
    assert data["findings"][0]["auroc_ci"] == [None, 0.9]
    assert data["timing_s"]["verify"] is None
    assert data["timing_s"]["load"] == 0.1235  # Report.to_json rounds timings
    assert data["settings"]["weird"] == [None, 3, True, [1, 2]]


def test_unwritable_value_is_a_clear_error(tmp_path: Path) -> None:
    report = make_report(tmp_path)
    report.settings["bad"] = object()
    with pytest.raises(TypeError, match="cannot write object"):
        write_json(report, tmp_path / "r.json")
    assert not (tmp_path / "r.json").exists()  # no half-written file left behind


def test_round_trip(tmp_path: Path) -> None:
    report = make_report(tmp_path)
    report.findings[0].user = True
    data = _strict_load(write_json(report, tmp_path / "r.json"))
    again = report_from_json(data)
    # NaN compares unequal to itself, so compare the strict (null) forms ...
    assert report_json(again) == data
    assert all(set(f) - {"statement"} == set(g) for f, g in
               zip(data["findings"], to_strict_json(again.to_json())["findings"], strict=True))
    # ... and NaN really comes back as NaN, not None
    assert math.isnan(again.findings[-1].p_value)
    assert math.isnan(again.timing_s["verify"])
    # Everything but the per-image scores (not in the JSON) survives.
    for f in report.findings:
        f.scores = {"A": [], "B": []}
        if math.isnan(f.p_value):
            f.p_value = 0.5
    for f in again.findings:
        if math.isnan(f.p_value):
            f.p_value = 0.5
    report.timing_s = {"load": 0.1235, "measure": 1.5, "verify": 0.0}
    again.timing_s["verify"] = 0.0
    assert again == report
    assert isinstance(again.findings[0].auroc_ci, tuple)


def test_round_trip_without_optional_keys(tmp_path: Path) -> None:
    data = to_strict_json(make_report(tmp_path).to_json())
    del data["untestable_hypotheses"]
    del data["overall"]  # a report written before the overall test existed
    for f in data["findings"]:
        for key in ("n_test", "counter_examples", "user", "contradicted", "explained_share",
                    "counterfactual", "negligible"):
            del f[key]
    data["extra_from_a_newer_version"] = {"x": 1}
    report = report_from_json(data)
    assert report.untestable_hypotheses == []
    assert report.findings[0].n_test == {"A": 0, "B": 0}
    assert report.findings[0].user is False
    assert report.overall is None
    assert report.findings[0].explained_share is None
    assert report.findings[0].counterfactual.status == "not_checked"
    assert report.findings[0].negligible is False


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("findings"), "missing key.*findings"),
        (lambda d: d["findings"][0].pop("auroc"), r"findings\[0\] is missing key.*auroc"),
        (lambda d: d["findings"][0].update(auroc="high"), r"findings\[0\]\.auroc must be a number"),
        (lambda d: d["findings"][1].update(auroc_ci=[0.5]), r"auroc_ci must be a list of two"),
        (lambda d: d["set_b"].update(n_images="7"), r"set_b\.n_images must be an integer"),
        (lambda d: d["skipped"][0].pop("set"), r"skipped\[0\] is missing key.*set"),
        (lambda d: d.update(warnings="oops"), "warnings must be a list"),
    ],
)
def test_bad_json_is_a_clear_error(tmp_path: Path, mutate, message: str) -> None:
    data = copy.deepcopy(to_strict_json(make_report(tmp_path).to_json()))
    mutate(data)
    with pytest.raises(ValueError, match=message):
        report_from_json(data)


def test_not_an_object_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="must be a JSON object"):
        report_from_json([1, 2])  # type: ignore[arg-type]


def test_a_caveat_is_written_only_when_there_is_one_and_shown_in_every_report(tmp_path: Path) -> None:
    from markupsafe import escape

    from tellapart.report.html import render_html
    from tellapart.report.text import order_note

    report = make_report(tmp_path)
    caveat = ("ranked after the other significant findings: its detector is also above its "
              "floor on 80% of set A's held-out images")
    report.findings[1].caveat = caveat
    data = to_strict_json(report.to_json())
    assert "caveat" not in data["findings"][0] and data["findings"][1]["caveat"] == caveat
    back = report_from_json(data)
    assert back.findings[0].caveat == "" and back.findings[1].caveat == caveat
    html = render_html(report)
    assert "Ranked lower" in html and str(escape(caveat)) in html
    assert order_note(report.findings) == f"#{report.findings[1].rank} is {caveat}."


OVERALL_KEYS = {
    "statement", "auroc", "auroc_ci", "p_value", "differ", "detectable_auroc_at_80_power",
    "explained_share", "features", "n_features", "unexplained_auroc", "unexplained_p_value",
    "unexplained_differ", "look_here",
}


def test_overall_and_checks_are_written_before_the_findings(tmp_path: Path) -> None:
    report = make_overall_report(tmp_path)
    report.findings[0].negligible = True
    data = _strict_load(write_json(report, tmp_path / "r.json"))
    assert list(data).index("overall") == list(data).index("findings") - 1
    overall = data["overall"]
    assert set(overall) == OVERALL_KEYS and list(overall)[0] == "statement"
    assert overall["statement"] == (
        "The sets differ: a classifier tells them apart on held-out images with AUROC "
        "0.93 [0.88, 0.97] (p = 0.0010)."
    )
    assert overall["auroc_ci"] == [0.88, 0.97] and overall["differ"] is True
    assert overall["look_here"]["B"] == report.overall.look_here["B"]
    first, second, third = data["findings"]
    assert first["explained_share"] == 0.45 and first["negligible"] is True
    assert first["counterfactual"] == {
        "status": "confirmed", "shift_toward": 0.82, "detail": report.findings[0].counterfactual.detail,
    }
    assert first["statement"].endswith("(significant but below the minimum effect: negligible)")
    assert second["counterfactual"]["status"] == "refuted"
    assert second["description"] == "Set B images are upside down"  # the claim as tested
    assert second["statement"].startswith('Set B images score higher on tellapart\'s "upside down"')
    assert third["explained_share"] is None
    assert third["counterfactual"] == {"status": "not_checked", "shift_toward": None, "detail": ""}
    assert "image_scores" not in data


def test_round_trip_with_overall(tmp_path: Path) -> None:
    report = make_overall_report(tmp_path)
    report.findings[1].negligible = True
    report.overall.detectable_auroc_at_80_power = math.nan
    data = _strict_load(write_json(report, tmp_path / "r.json"))
    again = report_from_json(data)
    assert report_json(again) == data
    assert again.overall is not None and again.image_scores is None
    assert math.isnan(again.overall.detectable_auroc_at_80_power)
    assert again.overall.auroc_ci == (0.88, 0.97) and isinstance(again.overall.auroc_ci, tuple)
    assert again.overall.look_here == report.overall.look_here
    assert (again.overall.unexplained_auroc, again.overall.unexplained_p_value,
            again.overall.unexplained_differ) == (0.64, 0.004, True)
    assert again.overall.features == report.overall.features
    for f, g in zip(report.findings, again.findings, strict=True):
        assert g.explained_share == f.explained_share
        assert g.counterfactual == f.counterfactual
        assert g.negligible == f.negligible
    # A report without findings' shares (no significant finding) keeps None, not NaN.
    report.overall.explained_share = None
    assert report_from_json(report_json(report)).overall.explained_share is None


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["overall"].pop("p_value"), r"overall is missing key.*p_value"),
        (lambda d: d["overall"].update(differ="yes"), r"overall\.differ must be true or false"),
        (lambda d: d["overall"].update(auroc_ci=[0.9]), r"overall\.auroc_ci must be a list of two"),
        (lambda d: d["overall"].update(look_here=["a.png"]), r"overall\.look_here must be an object"),
        (lambda d: d["overall"].update(features="all"), r"overall\.features must be a list"),
        (lambda d: d.update(overall=[1]), r"overall must be a JSON object"),
        (lambda d: d["findings"][0]["counterfactual"].update(status="maybe"),
         r"findings\[0\]\.counterfactual\.status must be one of confirmed, refuted, not_checked"),
        (lambda d: d["findings"][0]["counterfactual"].pop("detail"),
         r"findings\[0\]\.counterfactual is missing key.*detail"),
        (lambda d: d["findings"][0].update(explained_share="45%"),
         r"findings\[0\]\.explained_share must be a number"),
        (lambda d: d["findings"][0].update(negligible=1), r"findings\[0\]\.negligible must be true"),
    ],
)
def test_bad_overall_json_is_a_clear_error(tmp_path: Path, mutate, message: str) -> None:
    data = copy.deepcopy(report_json(make_overall_report(tmp_path)))
    mutate(data)
    with pytest.raises(ValueError, match=message):
        report_from_json(data)


def test_no_overall_difference_statement_in_json(tmp_path: Path) -> None:
    report = make_overall_report(tmp_path)
    assert report.overall is not None
    report.overall.differ, report.overall.auroc, report.overall.p_value = False, 0.56, 0.31
    report.overall.auroc_ci = (0.45, 0.66)
    for f in report.findings:
        f.significant = False
    statement = report_json(report)["overall"]["statement"]
    assert statement.startswith("No difference detected (held-out AUROC 0.56 [0.45, 0.66], p = 0.31).")
    assert "At this size (6 + 6 images)" in statement and "AUROC ≥ 0.68" in statement
