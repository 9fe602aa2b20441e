"""Benchmark: run ``compare`` on synthetic suites and score its findings against the truth.

``tellapart bench --suite easy`` (:func:`main`) or :func:`run_benchmark` from Python. The
metrics are defined in :mod:`tellapart.bench.metrics`; the finding-vs-truth judge in
:mod:`tellapart.bench.judge`.
"""

from __future__ import annotations

from .judge import Decision, Judge, JudgeError, Truth
from .metrics import FindingRecord, Metrics, TaskResult, compute_metrics, markdown_table
from .runner import BenchResult, judge_task, main, rejudge, run_benchmark, write_results

__all__ = [
    "BenchResult",
    "Decision",
    "FindingRecord",
    "Judge",
    "JudgeError",
    "Metrics",
    "TaskResult",
    "Truth",
    "compute_metrics",
    "judge_task",
    "main",
    "markdown_table",
    "rejudge",
    "run_benchmark",
    "write_results",
]
