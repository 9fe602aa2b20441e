"""End to end: `tellapart bench` on a few tiny synthetic tasks through the real pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tellapart.bench import (
    BenchResult,
    Judge,
    TaskResult,
    compute_metrics,
    main,
    rejudge,
    run_benchmark,
)
from tellapart.cli import main as cli_main


def test_cli_bench_two_easy_two_null(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench"
    code = main([
        "--suite", "easy", "null", "--n-tasks", "2", "--n-per-side", "16", "--size", "64",
        "--jobs", "2", "--out", str(out), "--quiet",
    ])
    assert code == 0
    printed = capsys.readouterr().out
    assert "| suite | proposers | n_tasks | Acc@1 |" in printed
    assert "| easy | learned, measurements | 2 |" in printed and "| null | learned, measurements | 2 |" in printed
    assert (out / "summary.md").read_text().count("| learned, measurements |") == 2
    for suite, null in (("easy", False), ("null", True)):
        lines = (out / suite / "results.jsonl").read_text().splitlines()
        tasks = [TaskResult.from_json(json.loads(line)) for line in lines]
        assert [t.task_id for t in tasks] == [f"{suite}-0000", f"{suite}-0001"]
        for task in tasks:
            assert task.error is None
            assert task.null is null and bool(task.truth) is not null
            assert task.seconds > 0
            assert task.findings, "compare tested no hypothesis"
            for f in task.findings:
                # every finding carries a decision for every true difference
                assert set(f.methods) == set(task.true_ids)
                assert set(f.matches) <= set(task.true_ids)
            truth_file = out / suite / "tasks" / task.task_id / "truth.json"
            assert json.loads(truth_file.read_text())["task_id"] == task.task_id
        summary = json.loads((out / suite / "summary.json").read_text())
        assert summary["metrics"] == compute_metrics(tasks).to_json()
        assert summary["settings"]["n_per_side"] == 16
        assert "tellapart bench --suite easy null" in summary["command"]
        # judging the stored findings again reproduces the same decisions and metrics
        again = rejudge(out / suite, Judge(use_embeddings=False))
        assert again.metrics.to_json() == summary["metrics"]
        assert [t.to_json() for t in again.tasks] == [t.to_json() for t in tasks]


def test_api_finds_an_easy_difference(tmp_path: Path) -> None:
    # easy-0005 is a strong, full-prevalence grayscale difference: the measurement
    # proposer must find it among the first five significant findings.
    result = run_benchmark(
        "easy", n_tasks=6, n_per_side=32, size=64, jobs=2, out_dir=str(tmp_path),
        judge=Judge(use_embeddings=False), proposers=["measurements"],
    )
    assert [t.task_id for t in result.tasks] == [f"easy-{i:04d}" for i in range(6)]
    assert result.metrics.n_errors == 0
    assert result.metrics.acc5_hits >= 1
    found = {t.task_id for t in result.tasks if any(f.correct for f in t.significant[:5])}
    assert "easy-0005" in found
    assert (tmp_path / "results.jsonl").is_file() and (tmp_path / "tasks" / "easy-0005" / "a").is_dir()
    assert result.markdown().splitlines()[2].startswith("| easy | measurements | 6 |")


def test_bad_usage_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--suite", "nonesuch"]) == 2
    assert "unknown suite" in capsys.readouterr().err
    assert main(["--suite", "easy", "--jobs", "0"]) == 2
    with pytest.raises(ValueError, match="unknown proposer"):
        run_benchmark("easy", n_tasks=1, proposers=["nonesuch"])


def test_wired_into_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli_main(["bench", "--help"])
    assert exc.value.code == 0
    assert "--suite" in capsys.readouterr().out


def _one_tiny_easy_task(tasks_dir: Path, seed_offset: int) -> BenchResult:
    return run_benchmark("easy", proposers=["measurements"], n_tasks=1, n_per_side=8, size=32, jobs=1,
                         seed_offset=seed_offset, tasks_dir=str(tasks_dir),
                         judge=Judge(use_embeddings=False))


def test_seed_offset_draws_other_tasks_and_never_reuses_a_folder_of_another(tmp_path: Path) -> None:
    reported = _one_tiny_easy_task(tmp_path / "tasks", 0)
    assert reported.metrics.n_errors == 0 and reported.settings["seed_offset"] == 0
    # the same task id at another seed offset is another task: its folder is not reused
    clash = _one_tiny_easy_task(tmp_path / "tasks", 1000)
    assert clash.metrics.n_errors == 1
    assert "holds another task" in (clash.tasks[0].error or "")
    development = _one_tiny_easy_task(tmp_path / "dev", 1000)
    assert development.metrics.n_errors == 0 and development.settings["seed_offset"] == 1000
    truth = [json.loads((tmp_path / d / "easy-0000" / "truth.json").read_text()) for d in ("tasks", "dev")]
    assert truth[0]["seed"] != truth[1]["seed"]
