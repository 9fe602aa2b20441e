"""``--export-scores FILE``: one row per image, CSV (or Parquet with pyarrow), written atomically."""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from tellapart.cli import main
from tellapart.report import ScoresExportError, export_scores, write_scores
from tellapart.report.scores import check_scores_path, missing_pyarrow_message, scores_csv_text
from tellapart.types import ImageScores
from test_report_builders import make_overall_report


def _scores() -> ImageScores:
    return ImageScores(
        paths=["a/1.png", "a/two, with comma.png", 'b/"quoted".png', "b/4.png"],
        sets=["A", "A", "B", "B"],
        folds=[0, 1, 0, 1],
        columns={
            "overall": np.array([0.1, 2 / 3, -1e-12, 1e300]),
            "finding_1:diff:noise:A": np.array([math.nan, 0.5, 3.0, -2.25]),
            "finding_2:brightness_mean:lower": [1, 2, 3, 4],  # any float-like sequence
        },
    )


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_csv_round_trips_every_value(tmp_path: Path) -> None:
    scores = _scores()
    out = write_scores(scores, tmp_path / "nested" / "scores.csv")
    assert out == tmp_path / "nested" / "scores.csv"
    with out.open(newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert header == ["path", "set", "fold", *scores.columns]
    rows = _read_csv(out)
    assert [r["path"] for r in rows] == scores.paths
    assert [r["set"] for r in rows] == scores.sets
    assert [int(r["fold"]) for r in rows] == scores.folds
    for name, values in scores.columns.items():
        for row, value in zip(rows, np.asarray(values, dtype=float), strict=True):
            if math.isnan(value):
                assert row[name] == ""  # NaN is an empty cell
            else:
                assert float(row[name]) == value  # repr precision: exact
    assert rows[0]["overall"] == "0.1" and rows[3]["overall"] == "1e+300"
    assert not list(tmp_path.glob("nested/.*.tmp"))  # no temporary file left


def test_any_suffix_but_parquet_is_csv(tmp_path: Path) -> None:
    out = write_scores(_scores(), tmp_path / "scores.txt")
    assert out.read_text(encoding="utf-8") == scores_csv_text(_scores())
    assert out.read_text(encoding="utf-8").startswith("path,set,fold,overall,")


def test_a_report_exports_its_scores(tmp_path: Path) -> None:
    report = make_overall_report(tmp_path)
    assert report.image_scores is not None
    rows = _read_csv(export_scores(report, tmp_path / "s.csv"))
    assert len(rows) == len(report.image_scores.paths) == 12
    assert list(rows[0])[3:] == ["overall", "finding_1:concept_1:higher", "finding_2:diff:upside_down:B"]
    assert rows[0]["finding_2:diff:upside_down:B"] == ""


def test_no_scores_is_a_clear_error(tmp_path: Path) -> None:
    report = make_overall_report(tmp_path)
    report.image_scores = None
    with pytest.raises(ScoresExportError, match="kept no per-image scores"):
        export_scores(report, tmp_path / "s.csv")
    assert not (tmp_path / "s.csv").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.sets.pop(), "4 paths but 3 sets"),
        (lambda s: s.columns.update(overall=np.zeros(3)), "'overall' has 3 values for 4 images"),
        (lambda s: s.columns.update(path=np.zeros(4)), "'path' clashes"),
    ],
)
def test_inconsistent_scores_are_refused(tmp_path: Path, change, message: str) -> None:
    scores = _scores()
    change(scores)
    with pytest.raises(ScoresExportError, match=message):
        write_scores(scores, tmp_path / "s.csv")
    assert not (tmp_path / "s.csv").exists()


def test_parquet_round_trip(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    scores = _scores()
    out = write_scores(scores, tmp_path / "scores.parquet")
    table = pq.read_table(out)
    assert table.column_names == ["path", "set", "fold", *scores.columns]
    data = table.to_pydict()
    assert data["path"] == scores.paths and data["set"] == scores.sets
    assert data["fold"] == scores.folds
    assert data["finding_1:diff:noise:A"] == [None, 0.5, 3.0, -2.25]  # NaN is null
    assert data["overall"] == [float(v) for v in scores.columns["overall"]]


def _without_pyarrow(monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules makes "import pyarrow" raise ImportError, installed or not.
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)


def test_parquet_without_pyarrow_names_the_fix(tmp_path: Path, monkeypatch) -> None:
    _without_pyarrow(monkeypatch)
    path = tmp_path / "scores.parquet"
    with pytest.raises(ScoresExportError, match="pip install pyarrow"):
        write_scores(_scores(), path)
    with pytest.raises(ScoresExportError, match="pip install pyarrow"):
        check_scores_path(path)
    assert "pip install pyarrow" in missing_pyarrow_message(path) and str(path) in (
        missing_pyarrow_message(path))
    check_scores_path(tmp_path / "scores.csv")  # CSV needs nothing
    assert not path.exists()


def test_cli_refuses_parquet_without_pyarrow_before_comparing(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    _without_pyarrow(monkeypatch)

    def must_not_run(*args, **kwargs):
        raise AssertionError("the comparison ran before the export path was checked")

    monkeypatch.setattr("tellapart.pipeline.compare", must_not_run)
    code = main(["compare", str(tmp_path / "a"), str(tmp_path / "b"),
                 "--export-scores", str(tmp_path / "s.parquet")])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("tellapart: error: writing Parquet") and "pip install pyarrow" in err


def test_cli_writes_scores_after_the_reports(tmp_path: Path, monkeypatch, capsys) -> None:
    from tellapart.report import html as report_html

    monkeypatch.setattr(report_html, "render_html", lambda report: "<!DOCTYPE html>")
    report = make_overall_report(tmp_path)
    seen = {}

    def fake_compare(set_a, set_b, settings):
        seen["settings"] = settings
        return report

    monkeypatch.setattr("tellapart.pipeline.compare", fake_compare)
    out = tmp_path / "out"
    code = main(["compare", "a", "b", "--out", str(out), "--export-scores", str(out / "s.csv"),
                 "--min-effect", "0.6", "--quiet"])
    assert code == 0
    assert seen["settings"].min_effect == 0.6 and seen["settings"].overall is True
    assert (out / "report.json").is_file() and len(_read_csv(out / "s.csv")) == 12
    # the terminal may wrap a long path anywhere: compare without whitespace
    printed = "".join(capsys.readouterr().out.split())
    assert printed.endswith("".join(f"Wrote per-image scores to {out / 's.csv'}".split()))
    # Without per-image scores: the reports are still written, then a clear error.
    report.image_scores = None
    code = main(["compare", "a", "b", "--out", str(out), "--export-scores",
                 str(out / "t.csv"), "--no-overall", "--quiet"])
    assert code == 2 and seen["settings"].overall is False
    assert "--export-scores: this comparison kept no per-image scores" in capsys.readouterr().err
    assert not (out / "t.csv").exists()


@pytest.mark.parametrize("value", ["0.4", "1.5", "big"])
def test_min_effect_must_be_an_auroc(value: str, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", "a", "b", "--min-effect", value])
    assert exit_info.value.code == 2
    assert "--min-effect" in capsys.readouterr().err
