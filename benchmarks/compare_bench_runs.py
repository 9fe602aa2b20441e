"""Compare two `tellapart bench` output folders task by task.

Usage::

    .venv/bin/python benchmarks/compare_bench_runs.py out/bench_before out/bench_after

Prints how many tasks have identical findings (rank, description, concept, set, significance,
proposer, q-value, AUROC, judged matches), how many differ only in their q-values, and whether
any task's significant findings (which, for which set, in which order) differ, then the first
differing finding of each differing task. Exit code 0 when every task is identical, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

FIELDS = ("rank", "description", "concept", "more_in", "significant", "proposer", "q_value",
          "auroc", "matches")


def load_run(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """task id -> its findings, from every ``<suite>/results.jsonl`` (or ``results.jsonl``)."""
    files = sorted(folder.glob("*/results.jsonl")) or sorted(folder.glob("results.jsonl"))
    if not files:
        raise SystemExit(f"no results.jsonl under {folder}")
    tasks: dict[str, list[dict[str, Any]]] = {}
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            tasks[record["task_id"]] = record["findings"]
    return tasks


def _key(findings: list[dict[str, Any]], fields: Sequence[str]) -> list[tuple[Any, ...]]:
    return [tuple(str(f.get(k)) for k in fields) for f in findings]


def _significant(findings: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(f["description"], f["more_in"]) for f in findings if f["significant"]]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    before, after = load_run(args.before), load_run(args.after)
    missing = sorted(set(before) ^ set(after))
    common = sorted(set(before) & set(after))
    differ = [t for t in common if _key(before[t], FIELDS) != _key(after[t], FIELDS)]
    no_q = tuple(k for k in FIELDS if k != "q_value")
    only_q = [t for t in differ if _key(before[t], no_q) == _key(after[t], no_q)]
    significant = [t for t in common if _significant(before[t]) != _significant(after[t])]
    print(f"tasks: {len(common)} in both, {len(missing)} in one run only {missing[:5]}")
    print(f"identical findings: {len(common) - len(differ)}; differing: {len(differ)} "
          f"(only in q-values: {len(only_q)})")
    print(f"tasks whose significant findings or their order differ: {len(significant)} {significant}")
    for task in differ:
        pairs = zip(_key(before[task], FIELDS), _key(after[task], FIELDS), strict=False)
        first = next(((b, a) for b, a in pairs if b != a), None)
        print(f"{task}: {len(before[task])} vs {len(after[task])} findings; first difference: {first}")
    return 0 if not differ and not missing else 1


if __name__ == "__main__":
    raise SystemExit(main())
