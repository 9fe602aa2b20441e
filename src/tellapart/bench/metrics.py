"""Benchmark metrics over judged per-task results.

Every metric looks only at *significant* findings, in rank order (the order of
``Report.findings``; significant findings come first there). Definitions:

Acc@1
    Over tasks with at least one true difference ("non-null" tasks): the share whose
    first significant finding matches a true difference. A task with no significant
    finding is a miss.
Acc@5
    Over the same tasks: the share where any of the first five significant findings
    matches a true difference.
recall@5 (multi)
    Over tasks with two or more true differences: the mean, over tasks, of the share of
    that task's true differences matched by at least one of its first five significant
    findings.
precision
    Over all tasks (null tasks included): the share of all significant findings (not only
    the first five) that match some true difference. A finding that matches only a shared
    distractor, or nothing, is a false positive. Undefined (NaN) when no task produced a
    significant finding.
null rate
    Over null tasks (no true difference): the share with at least one significant finding.
median s/task
    Median wall-clock seconds of one ``compare`` call (task generation not included).

Tasks whose ``compare`` call failed count as tasks with no finding (a miss, or a clean
null task) and are counted in ``n_errors`` so that failures are never hidden.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

TOP_K = 5


@dataclass
class FindingRecord:
    """One finding of one task, with the judge's decisions.

    Attributes
    ----------
    rank, description, concept, more_in, significant, proposer, q_value, auroc
        Copied from :class:`tellapart.types.Finding`.
    matches : list of str
        Type ids of the task's true differences this finding matches.
    distractor_matches : list of str
        Type ids of the task's shared distractors this finding is about (either set).
    methods : dict of str -> str
        For each judged truth type id, how the judge decided ("id", "table", "pattern",
        "embedding", ...).
    """

    rank: int
    description: str
    concept: str
    more_in: str
    significant: bool
    proposer: str = ""
    q_value: float = math.nan
    auroc: float = math.nan
    matches: list[str] = field(default_factory=list)
    distractor_matches: list[str] = field(default_factory=list)
    methods: dict[str, str] = field(default_factory=dict)

    @property
    def correct(self) -> bool:
        return bool(self.matches)


@dataclass
class TaskResult:
    """One benchmark task: its truth summary, judged findings and timing.

    Attributes
    ----------
    task_id, suite : str
    null : bool
        True when the task has no true difference.
    truth : list of dict
        Summary of each true difference: type_id, family, target, sentence, s, prevalence, graded.
    distractors : list of str
        Type ids of shared distractors (present in both sets; never true differences).
    findings : list of FindingRecord
        In report order (rank order).
    seconds : float
        Wall-clock seconds of the ``compare`` call.
    error : str or None
        The error message when ``compare`` failed.
    """

    task_id: str
    suite: str
    null: bool
    truth: list[dict[str, Any]]
    distractors: list[str]
    findings: list[FindingRecord]
    seconds: float
    error: str | None = None

    @property
    def significant(self) -> list[FindingRecord]:
        """Significant findings in rank order."""
        return sorted((f for f in self.findings if f.significant), key=lambda f: f.rank)

    @property
    def true_ids(self) -> list[str]:
        return [str(d["type_id"]) for d in self.truth]

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        for f, rec in zip(d["findings"], self.findings, strict=True):
            f["correct"] = rec.correct
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> TaskResult:
        findings = [
            FindingRecord(**{k: v for k, v in f.items() if k != "correct"}) for f in d["findings"]
        ]
        return cls(**{**d, "findings": findings})


@dataclass
class Metrics:
    """Benchmark metrics with the counts behind each ratio (see the module docstring)."""

    n_tasks: int
    n_errors: int
    acc1: float
    acc5: float
    n_nonnull: int
    acc1_hits: int
    acc5_hits: int
    recall5_multi: float
    n_multi: int
    precision: float
    n_significant: int
    n_significant_correct: int
    null_rate: float
    n_null: int
    n_null_with_finding: int
    median_seconds: float

    def to_json(self) -> dict[str, Any]:
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(self).items()}


def _ratio(num: float, den: int) -> float:
    return num / den if den else math.nan


def compute_metrics(results: list[TaskResult], top_k: int = TOP_K) -> Metrics:
    """Compute the benchmark metrics of judged task results.

    Parameters
    ----------
    results : list of TaskResult
        Judged results (``FindingRecord.matches`` filled in).
    top_k : int
        Cut-off of Acc@k and recall@k (5 in the reported table).

    Returns
    -------
    Metrics
        Ratios are NaN when their denominator is zero (e.g. Acc@1 on the null suite).
    """
    if not results:
        raise ValueError("no task results to compute metrics from")
    acc1_hits = acc5_hits = n_nonnull = 0
    recalls: list[float] = []
    n_sig = n_sig_correct = 0
    n_null = n_null_hit = 0
    for task in results:
        sig = task.significant
        n_sig += len(sig)
        n_sig_correct += sum(f.correct for f in sig)
        true_ids = task.true_ids
        if not true_ids:
            n_null += 1
            n_null_hit += bool(sig)
            continue
        n_nonnull += 1
        acc1_hits += bool(sig) and sig[0].correct
        top = sig[:top_k]
        acc5_hits += any(f.correct for f in top)
        if len(true_ids) >= 2:
            found = {m for f in top for m in f.matches}
            recalls.append(sum(t in found for t in true_ids) / len(true_ids))
    seconds = sorted(t.seconds for t in results if t.error is None)
    median = _median(seconds)
    return Metrics(
        n_tasks=len(results),
        n_errors=sum(t.error is not None for t in results),
        acc1=_ratio(acc1_hits, n_nonnull),
        acc5=_ratio(acc5_hits, n_nonnull),
        n_nonnull=n_nonnull,
        acc1_hits=acc1_hits,
        acc5_hits=acc5_hits,
        recall5_multi=sum(recalls) / len(recalls) if recalls else math.nan,
        n_multi=len(recalls),
        precision=_ratio(n_sig_correct, n_sig),
        n_significant=n_sig,
        n_significant_correct=n_sig_correct,
        null_rate=_ratio(n_null_hit, n_null),
        n_null=n_null,
        n_null_with_finding=n_null_hit,
        median_seconds=median,
    )


def _median(values: list[float]) -> float:
    if not values:
        return math.nan
    n = len(values)
    mid = n // 2
    return values[mid] if n % 2 else (values[mid - 1] + values[mid]) / 2


def _fmt(value: float, num: int | None = None, den: int | None = None) -> str:
    if math.isnan(value):
        return "n/a"
    text = f"{value:.3f}"
    if num is not None and den is not None:
        text += f" ({num}/{den})"
    return text


TABLE_HEADER = (
    "| suite | proposers | n_tasks | Acc@1 | Acc@5 | recall@5 (multi) | precision | null rate "
    "| median s/task |"
)


def markdown_row(suite: str, proposers: list[str], m: Metrics) -> str:
    """One markdown table row; ratios carry their counts, e.g. ``0.850 (17/20)``."""
    recall = _fmt(m.recall5_multi) + (f" (n={m.n_multi})" if m.n_multi else "")
    n_tasks = str(m.n_tasks) + (f" ({m.n_errors} failed)" if m.n_errors else "")
    cells = [
        suite,
        ", ".join(proposers),
        n_tasks,
        _fmt(m.acc1, m.acc1_hits, m.n_nonnull),
        _fmt(m.acc5, m.acc5_hits, m.n_nonnull),
        recall,
        _fmt(m.precision, m.n_significant_correct, m.n_significant),
        _fmt(m.null_rate, m.n_null_with_finding, m.n_null),
        "n/a" if math.isnan(m.median_seconds) else f"{m.median_seconds:.2f}",
    ]
    return "| " + " | ".join(cells) + " |"


def markdown_table(rows: list[tuple[str, list[str], Metrics]]) -> str:
    """A markdown table with one row per (suite, proposers, metrics)."""
    sep = "|" + "|".join("---" for _ in range(TABLE_HEADER.count("|") - 1)) + "|"
    lines = [TABLE_HEADER, sep]
    lines += [markdown_row(s, p, m) for s, p, m in rows]
    return "\n".join(lines)
