"""Benchmark metrics on hand-made judged results, with exact expected numbers."""

from __future__ import annotations

import math

import pytest

from tellapart.bench.metrics import (
    FindingRecord,
    TaskResult,
    compute_metrics,
    markdown_row,
    markdown_table,
)


def _f(rank: int, matches: list[str] | None = None, significant: bool = True) -> FindingRecord:
    return FindingRecord(
        rank=rank, description=f"finding {rank}", concept=f"c{rank}:higher", more_in="A",
        significant=significant, matches=list(matches or []),
    )


def _task(task_id: str, truth: list[str], findings: list[FindingRecord], seconds: float = 1.0,
          error: str | None = None) -> TaskResult:
    return TaskResult(
        task_id=task_id, suite="t", null=not truth,
        truth=[{"type_id": t, "target": "A"} for t in truth], distractors=[],
        findings=findings, seconds=seconds, error=error,
    )


@pytest.fixture()
def results() -> list[TaskResult]:
    return [
        # first significant finding right
        _task("t1", ["darker"], [_f(1, ["darker"]), _f(2)], seconds=1.0),
        # right only at significant position 3
        _task("t2", ["blur"], [_f(1), _f(2), _f(3, ["blur"])], seconds=2.0),
        # the right finding is not significant: a miss
        _task("t3", ["noise"], [_f(1, ["noise"], significant=False)], seconds=3.0),
        # two differences, one in the top 5 (the other only at rank 6)
        _task("t4", ["grid", "frame"],
              [_f(1, ["grid"]), _f(2), _f(3), _f(4), _f(5), _f(6, ["frame"])], seconds=4.0),
        # three differences, two found in the top 5
        _task("t5", ["stars", "sepia", "zoomed"], [_f(1), _f(2, ["stars"]), _f(3, ["sepia"])], seconds=5.0),
        # null tasks: one false alarm, one clean, one failed run
        _task("n1", [], [_f(1)], seconds=6.0),
        _task("n2", [], [_f(1, significant=False)], seconds=7.0),
        _task("n3", [], [], seconds=0.0, error="RuntimeError: boom"),
    ]


def test_metrics_exact(results: list[TaskResult]) -> None:
    m = compute_metrics(results)
    assert m.n_tasks == 8 and m.n_errors == 1
    assert m.n_nonnull == 5
    assert (m.acc1_hits, m.acc1) == (2, pytest.approx(2 / 5))  # t1, t4
    assert (m.acc5_hits, m.acc5) == (4, pytest.approx(4 / 5))  # t1, t2, t4, t5
    assert m.n_multi == 2
    assert m.recall5_multi == pytest.approx((1 / 2 + 2 / 3) / 2)
    # significant findings: t1 2 (1 right), t2 3 (1), t4 6 (2), t5 3 (2), n1 1 (0)
    assert (m.n_significant, m.n_significant_correct) == (15, 6)
    assert m.precision == pytest.approx(6 / 15)
    assert (m.n_null, m.n_null_with_finding) == (3, 1)
    assert m.null_rate == pytest.approx(1 / 3)
    # the failed task's seconds are left out: median of 1..7
    assert m.median_seconds == pytest.approx(4.0)


def test_rank_order_not_list_order() -> None:
    task = _task("t", ["darker"], [_f(2), _f(1, ["darker"])])
    m = compute_metrics([task])
    assert m.acc1 == 1.0


def test_undefined_ratios_are_nan() -> None:
    m = compute_metrics([_task("n", [], [_f(1, significant=False)], seconds=2.0)])
    assert math.isnan(m.acc1) and math.isnan(m.acc5) and math.isnan(m.recall5_multi)
    assert math.isnan(m.precision)
    assert m.null_rate == 0.0
    assert m.to_json()["acc1"] is None


def test_no_results_is_an_error() -> None:
    with pytest.raises(ValueError, match="no task results"):
        compute_metrics([])


def test_markdown_row_and_table(results: list[TaskResult]) -> None:
    m = compute_metrics(results)
    row = markdown_row("easy", ["measurements"], m)
    assert row == (
        "| easy | measurements | 8 (1 failed) | 0.400 (2/5) | 0.800 (4/5) | 0.583 (n=2) "
        "| 0.400 (6/15) | 0.333 (1/3) | 4.00 |"
    )
    table = markdown_table([("easy", ["measurements"], m)])
    lines = table.splitlines()
    assert lines[0].startswith("| suite | proposers | n_tasks | Acc@1 | Acc@5 | recall@5 (multi)")
    assert lines[1].count("---") == lines[0].count("|") - 1
    assert lines[2] == row


def test_task_result_json_roundtrip(results: list[TaskResult]) -> None:
    for task in results:
        d = task.to_json()
        assert all("correct" in f for f in d["findings"])
        back = TaskResult.from_json(d)
        assert back == task
