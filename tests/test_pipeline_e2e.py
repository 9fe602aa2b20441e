"""End to end: planted differences are found, input errors exit 2, the report JSON is golden."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from tellapart import compare
from tellapart.cli import main
from tellapart.io import InputError
from tellapart.synth import DiffSpec, make_task, write_task

GOLDEN = Path(__file__).parent / "data" / "golden" / "report_darker.json"


def _task_dir(tmp_path: Path, diffs: list[DiffSpec], seed: int = 0, n: int = 40, size: int = 96) -> Path:
    task = make_task(diffs, n_per_side=n, size=size, base="mixed", seed=seed, task_id="t")
    return write_task(task, tmp_path / "task", contact_sheet=False)


def test_planted_darkening_is_the_top_finding(tmp_path: Path) -> None:
    task_dir = _task_dir(tmp_path, [DiffSpec("darker", s=1.0, params={"factor": 0.5})])
    report = compare(task_dir / "a", task_dir / "b", progress=False, cache="", jobs=1)
    top = report.findings[0]
    assert top.significant
    assert top.more_in == "A"
    # Darkening also dims the highlights and shadows: the describer's "darker" claim leads the
    # brightness measurements it is not significantly weaker than (or, without it, any of
    # them may lead), with the others grouped under it.
    assert top.concept == "diff:darker:A" or (
        top.concept.startswith("brightness_") and top.concept.endswith(":lower"))
    assert any(w in top.description for w in ("darker", "dimmer", "dim"))
    seen = [c for f in report.significant for c in [f.concept] + [r["concept"] for r in f.related]]
    assert "brightness_mean:lower" in seen
    assert top.description.startswith("Set A images")
    assert top.auroc > 0.9
    assert 0 <= top.q_value <= 0.05
    assert top.examples["A"] and top.examples["B"]
    # the words are checked: darkening set B's images makes them like set A's
    expected = "confirmed" if top.concept == "diff:darker:A" else "not_checked"
    assert top.counterfactual.status == expected
    assert report.overall is not None and report.overall.differ


def test_null_pair_reports_nothing_significant(tmp_path: Path) -> None:
    task_dir = _task_dir(tmp_path, [], seed=3)
    report = compare(task_dir / "a", task_dir / "b", progress=False, cache="", jobs=1)
    assert report.findings, "hypotheses are still tested and listed"
    assert not report.significant


def test_user_hypotheses_tested_or_declared_untestable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    task_dir = _task_dir(tmp_path, [DiffSpec("blur", s=1.0)], seed=1)
    claims = ["set A images are blurrier", "set A images show more giraffes"]
    # with the describer, any wording can be scored: the giraffes are tested and not supported
    report = compare(task_dir / "a", task_dir / "b", progress=False, cache="", jobs=1, hypotheses=claims)
    user = {f.description.split(" (typed")[0]: f for f in report.findings if f.user}
    assert len(user) == 2 and not report.untestable_hypotheses
    blurrier = [f for f in report.findings if f.user and "blurrier" in f.description]
    assert blurrier[0].significant and blurrier[0].more_in == "A"
    giraffes = [f for f in report.findings if f.user and "giraffes" in f.description]
    assert not giraffes[0].significant
    # without it, only the measurement scorer reads claims: the giraffes are declared untestable
    import tellapart.verify.learned as learned_mod

    monkeypatch.setattr(learned_mod, "default_available", lambda: False)
    report = compare(task_dir / "a", task_dir / "b", progress=False, cache="", jobs=1,
                     hypotheses=claims, proposers=["measurements"])
    user_findings = [f for f in report.findings if f.user]
    assert len(user_findings) == 1 and user_findings[0].significant and user_findings[0].more_in == "A"
    assert report.untestable_hypotheses == ["set A images show more giraffes"]


def test_manifest_groups_and_cli_outputs(tmp_path: Path) -> None:
    task_dir = _task_dir(tmp_path, [DiffSpec("grayscale", s=1.0)], seed=2, n=20)
    manifest = tmp_path / "manifest.csv"
    with manifest.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["path", "group"])
        for side, group in (("a", "gray"), ("b", "color")):
            for p in sorted((task_dir / side).glob("*.png")):
                writer.writerow([os.path.relpath(p, tmp_path), group])
    out = tmp_path / "out"
    code = main(["compare", str(manifest), "--group-a", "gray", "--group-b", "color", "--out", str(out),
                 "--quiet", "--no-cache", "--jobs", "1", "--whole-images-only"])
    assert code == 0
    data = json.loads((out / "report.json").read_text())
    assert data["settings"]["quarter_views"] is False  # the flag reaches the report's settings
    assert data["set_a"]["n_images"] == 20 and data["set_b"]["n_images"] == 20
    assert data["findings"][0]["significant"] and data["findings"][0]["more_in"] == "A"
    assert (out / "report.html").read_text().count("Set A images") >= 1


def test_too_few_images_exit_code_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    task_dir = _task_dir(tmp_path, [], n=5, size=32)
    code = main(["compare", str(task_dir / "a"), str(task_dir / "b"), "--quiet", "--no-cache",
                 "--out", str(tmp_path / "o")])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "min-images" in err[0]
    with pytest.raises(InputError):
        compare(task_dir / "a", task_dir / "b", progress=False, cache="")


def test_empty_or_missing_set_exit_code_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    task_dir = _task_dir(tmp_path, [], n=8, size=32)
    assert main(["compare", str(tmp_path / "empty"), str(task_dir / "b"), "--quiet", "--no-cache"]) == 2
    assert "empty" in capsys.readouterr().err
    assert main(["compare", str(tmp_path / "nope"), str(task_dir / "b"), "--quiet", "--no-cache"]) == 2


def test_unknown_or_unavailable_proposer_stops_before_reading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import tellapart.models.shipped as shipped

    task_dir = _task_dir(tmp_path, [], n=8, size=32)
    args = ["compare", str(task_dir / "a"), str(task_dir / "b"), "--quiet", "--no-cache"]
    assert main([*args, "--proposers", "nonsense"]) == 2
    assert "unknown proposer 'nonsense'" in capsys.readouterr().err
    monkeypatch.setattr(shipped, "default_available", lambda: False)
    assert main([*args, "--proposers", "learned", "measurements"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "needs describer weights" in err[0]


def test_importing_tellapart_does_not_import_torch() -> None:
    # Registering the learned plug-ins must stay free: torch costs every process a second and
    # hundreds of MB, and measurement workers are forked from the importing process.
    import subprocess
    import sys

    code = "import sys, tellapart, tellapart.cli; from tellapart import compare; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_same_file_in_both_sets_is_a_leakage_warning(tmp_path: Path) -> None:
    task_dir = _task_dir(tmp_path, [], n=10, size=32)
    src = sorted((task_dir / "a").glob("*.png"))[0]
    (task_dir / "b" / "copy_of_a.png").write_bytes(src.read_bytes())
    report = compare(task_dir / "a", task_dir / "b", progress=False, cache="", jobs=1)
    assert any("identical content" in w and "copy_of_a.png" in w for w in report.warnings)


def _normalised(report_json: dict, root: Path) -> dict:
    """Drop what legitimately varies between runs (timings, temp paths) and round floats."""

    def walk(x: object) -> object:
        if isinstance(x, dict):
            return {k: walk(v) for k, v in x.items() if k != "timing_s"}
        if isinstance(x, list):
            return [walk(v) for v in x]
        if isinstance(x, float):
            return round(x, 6)
        if isinstance(x, str) and str(root) in x:
            return x.replace(str(root), "<tmp>")
        return x

    out = walk(report_json)
    assert isinstance(out, dict)
    out["settings"].pop("jobs", None)
    out["settings"].pop("cache", None)
    return out


def test_golden_report_json(tmp_path: Path) -> None:
    task_dir = _task_dir(tmp_path, [DiffSpec("darker", s=1.0, params={"factor": 0.6})], seed=7, n=24)
    # measurements only: exact JSON must not hang on float rounding of a CPU's matmul kernels
    report = compare(task_dir / "a", task_dir / "b", progress=False, cache="", jobs=1, seed=7,
                     proposers=["measurements"])
    got = _normalised(report.to_json(), tmp_path)
    if os.environ.get("TELLAPART_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps(got, indent=2, sort_keys=True) + "\n")
    expected = json.loads(GOLDEN.read_text())
    assert json.dumps(got, indent=2, sort_keys=True) == json.dumps(expected, indent=2, sort_keys=True), (
        "report JSON changed; if intended, regenerate with TELLAPART_UPDATE_GOLDEN=1 and review the diff"
    )


def test_bad_inputs_end_to_end_are_named_in_json_and_html(tmp_path: Path) -> None:
    """Every kind of bad file beside good ones: the run completes and both reports name each."""
    import zlib

    task_dir = _task_dir(tmp_path, [DiffSpec("grayscale", s=1.0)], seed=4, n=12, size=64)
    folder = task_dir / "a"
    good = sorted(folder.glob("*.png"))
    (folder / "empty.png").write_bytes(b"")
    data = good[0].read_bytes()
    (folder / "truncated.png").write_bytes(data[: len(data) // 2])
    (folder / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 2)
    (folder / "notes.txt").write_text("not a picture\n", encoding="utf-8")

    def chunk(kind: bytes, body: bytes) -> bytes:
        import struct

        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    import struct

    header = struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0)
    (folder / "bomb.png").write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 100))
        + chunk(b"IEND", b"")
    )
    out = tmp_path / "out"
    code = main(["compare", str(folder), str(task_dir / "b"), "--out", str(out), "--quiet",
                 "--no-cache", "--jobs", "1", "--min-images", "8"])
    assert code == 0
    data_json = json.loads((out / "report.json").read_text())
    reasons = {Path(s["path"]).name: s["reason"] for s in data_json["skipped"]}
    assert set(reasons) == {"empty.png", "truncated.png", "corrupt.png", "notes.txt", "bomb.png"}
    assert all(s["set"] == "A" for s in data_json["skipped"])
    assert "empty" in reasons["empty.png"] and "bomb" in reasons["bomb.png"]
    assert data_json["set_a"]["n_images"] == 12 and data_json["set_a"]["n_skipped"] == 5
    html = (out / "report.html").read_text()
    for name, reason in reasons.items():
        assert name in html
        assert reason.split(":")[0].split("(")[0].strip() in html
    assert data_json["findings"][0]["significant"]
