"""JSON report: strict JSON, contract key set, NaN -> null, round trip."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import numpy as np
import pytest

from tellapart.report import report_from_json, report_json, to_strict_json, write_json
from test_report_builders import make_report

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
        "findings",
        "skipped",
        "warnings",
        "untestable_hypotheses",
        "timing_s",
    ]
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
    for f in data["findings"]:
        for key in ("n_test", "counter_examples", "user", "contradicted"):
            del f[key]
    data["extra_from_a_newer_version"] = {"x": 1}
    report = report_from_json(data)
    assert report.untestable_hypotheses == []
    assert report.findings[0].n_test == {"A": 0, "B": 0}
    assert report.findings[0].user is False


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
