"""Development study: where should learned concepts rank among the other findings?

With a concept library loaded, concept claims lead many synthetic tasks whose difference is
not the concept ("white polka dots" on brightened images). This script records, for
development tasks of the synthetic suites (their recipes at ``--seed-offset``, never the
reported tasks), every finding of a comparison with the library: its rank, whether it is
listed under another finding, whether the judge finds it true, and for concept claims the
shares of each set's held-out images whose detector score is above the concept's floor. Rules
for ranking concept claims are then compared on these records (``--rules``): the first
significant finding under each rule, judged as the benchmark judges it.

A rule is a reordering of a task's significant findings (leaders, each followed by the
findings listed under it); it is an approximation of rerunning the verifier with the rule, so
the rule chosen is then checked with ``tellapart bench --seed-offset``.

Usage::

    python benchmarks/concept_gate_dev.py collect --library out/concepts20 --seed-offset 1000 \
        --suites easy medium --tasks-dir out/gate_dev_tasks --out out/gate_dev.jsonl
    python benchmarks/concept_gate_dev.py rules --records out/gate_dev.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from tellapart import compare
from tellapart.bench import Judge, judge_task
from tellapart.bench.runner import one_thread_per_worker
from tellapart.models.concept_library import load_library
from tellapart.synth import write_task
from tellapart.synth.suites import suite_spec

CONCEPT_PREFIX = "concept:"


def _concept_id(concept: str) -> str | None:
    """The concept id of a ``concept:ID:SET`` claim, else None."""
    if not concept.startswith(CONCEPT_PREFIX):
        return None
    return concept[len(CONCEPT_PREFIX):].rsplit(":", 1)[0]


def _shares(finding: Any, floor: float) -> dict[str, float]:
    """Shares of each set's held-out scores above ``floor``: the named set, the other set."""
    other = "B" if finding.more_in == "A" else "A"
    out = {}
    for key, side in (("named_above_floor", finding.more_in), ("other_above_floor", other)):
        values = np.asarray(finding.scores.get(side, []), dtype=np.float64)
        values = values[np.isfinite(values)]
        out[key] = float(np.mean(values > floor)) if values.size else float("nan")
    return out


def _flatten(report: Any, floors: dict[str, float]) -> list[dict[str, Any]]:
    """Every finding in listed order: each leader, then the findings listed under it."""
    rows: list[dict[str, Any]] = []
    for finding in report.findings:
        row = {"description": finding.description, "concept": finding.concept,
               "more_in": finding.more_in, "significant": bool(finding.significant),
               "q_value": float(finding.q_value), "auroc": float(finding.auroc),
               "proposer": finding.proposer, "under": None, "caveat": finding.caveat or ""}
        cid = _concept_id(finding.concept)
        if cid is not None and cid in floors:
            row.update(_shares(finding, floors[cid]))
        rows.append(row)
        leader = len(rows) - 1
        for rel in finding.related:
            rows.append({"description": rel["description"], "concept": rel["concept"],
                         "more_in": _more_in(rel), "significant": bool(rel["significant"]),
                         "q_value": float(rel["q_value"]), "auroc": float(rel["auroc"]),
                         "proposer": "", "under": leader, "caveat": ""})
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return rows


def _more_in(related: dict[str, Any]) -> str:
    concept = str(related.get("concept", ""))
    tail = concept.rsplit(":", 1)[-1]
    return tail if tail in ("A", "B") else str(related.get("more_in", "A"))


def collect_one(suite: str, index: int, seed_offset: int, tasks_dir: str, library: str) -> dict[str, Any]:
    """Compare one development task with the library and judge every finding."""
    one_thread_per_worker()
    spec = suite_spec(suite, index, seed_offset=seed_offset)
    task_dir = Path(tasks_dir) / f"{suite}-{seed_offset}" / spec.task_id
    truth_path = task_dir / "truth.json"
    if truth_path.is_file():
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
    else:
        task = spec.render()
        write_task(task, task_dir, contact_sheet=False)
        truth = task.truth
    floors = {c.id: c.floor for c in load_library(library).concepts}
    report = compare(str(task_dir / "a"), str(task_dir / "b"), progress=False, cache="", jobs=1,
                     library=library)
    rows = _flatten(report, floors)
    judged = judge_task({"task_id": spec.task_id, "truth": truth, "findings": rows}, suite, Judge())
    for row, rec in zip(rows, judged.findings, strict=True):
        row["correct"] = rec.correct
    return {"suite": suite, "task_id": spec.task_id, "seed_offset": seed_offset, "findings": rows}


def collect(args: argparse.Namespace) -> int:
    jobs = [(s, i) for s in args.suites for i in range(args.n_tasks)]
    with ProcessPoolExecutor(args.jobs) as pool:
        write_records([pool.submit(collect_one, s, i, args.seed_offset, args.tasks_dir, args.library)
                       for s, i in jobs], args.out)
    return 0


def write_records(futures: list[Future[dict[str, Any]]], path: str) -> None:
    """Write each future's record as one JSON line of ``path``, in order, as they finish."""
    with open(path, "w", encoding="utf-8") as out:
        for done, future in enumerate(futures, start=1):
            out.write(json.dumps(future.result()) + "\n")
            out.flush()
            if done % 20 == 0:
                print(f"{done}/{len(futures)}", file=sys.stderr)


# -- rules ----------------------------------------------------------------------------------------

Rule = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


def _significant(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if r["significant"]]


def _is_concept(row: dict[str, Any]) -> bool:
    return str(row["concept"]).startswith(CONCEPT_PREFIX)


def _demote(rows: list[dict[str, Any]], demoted: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    """Move significant leaders ``demoted`` says so after the other significant findings."""
    sig = _significant(rows)
    keep = [r for r in sig if not (r["under"] is None and demoted(r))]
    return keep + [r for r in sig if r["under"] is None and demoted(r)]


def _named_share_below(t: float) -> Callable[[dict[str, Any]], bool]:
    return lambda r: _is_concept(r) and r.get("named_above_floor", 1.0) < t


def _presence_share_below(k: float) -> Callable[[dict[str, Any]], bool]:
    """The AUROC of "above the floor or not" keeps less than ``k`` of the claim's effect."""
    def below(r: dict[str, Any]) -> bool:
        if not _is_concept(r) or "named_above_floor" not in r:
            return False
        presence = (r["named_above_floor"] - r["other_above_floor"]) / 2.0
        return bool(presence < k * (r["auroc"] - 0.5))
    return below


def _trained_first(rows: list[dict[str, Any]], delta: float) -> list[dict[str, Any]]:
    """A significant trained-difference claim takes the lead from a concept claim whose held-out
    AUROC is not more than ``delta`` larger (a stand-in for the verifier's paired test)."""
    if not rows or not _is_concept(rows[0]):
        return rows
    top = rows[0]
    trained = [r for r in rows if str(r["concept"]).startswith("diff:")
               and r["auroc"] >= top["auroc"] - delta]
    return ([trained[0]] + [r for r in rows if r is not trained[0]]) if trained else rows


def rules() -> dict[str, Rule]:
    out: dict[str, Rule] = {"as shipped": _significant,
                            "concepts after every other finding": lambda rows: _demote(rows, _is_concept)}
    for t in (0.3, 0.5, 0.7):
        out[f"named set above floor < {t}: after"] = (
            lambda rows, t=t: _demote(rows, _named_share_below(t)))  # type: ignore[misc]
    for k in (0.3, 0.4, 0.5, 0.6, 0.7):
        out[f"presence < {k} of the effect: after"] = (
            lambda rows, k=k: _demote(rows, _presence_share_below(k)))  # type: ignore[misc]
    for delta in (0.0, 0.01, 0.02, 0.05):
        out[f"trained difference first (delta {delta})"] = (
            lambda rows, d=delta: _trained_first(_significant(rows), d))  # type: ignore[misc]
        for k in (0.4, 0.5, 0.6):
            out[f"trained first (delta {delta}) + presence < {k}: after"] = (
                lambda rows, d=delta, k=k: _trained_first(
                    _demote(rows, _presence_share_below(k)), d))  # type: ignore[misc]
    return out


def _records(path: str) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def evaluate(args: argparse.Namespace) -> int:
    rule_table(list(_records(args.records)), rules())
    return 0


def rule_table(records: list[dict[str, Any]], named_rules: dict[str, Rule]) -> None:
    """Print, for each rule, the Acc@1 of the first significant finding per suite and how often
    a concept is first (and correct)."""
    suites = sorted({r["suite"] for r in records})
    print("| rule | " + " | ".join(f"{s} Acc@1" for s in suites) + " | concept first (correct) |")
    print("|---|" + "---|" * (len(suites) + 1))
    for name, rule in named_rules.items():
        cells, lead, lead_ok = [], 0, 0
        for suite in suites:
            tasks = [r for r in records if r["suite"] == suite]
            firsts = [rule(t["findings"])[:1] for t in tasks]
            cells.append(f"{sum(bool(f and f[0]['correct']) for f in firsts) / len(tasks):.3f}")
            lead += sum(bool(f and _is_concept(f[0])) for f in firsts)
            lead_ok += sum(bool(f and _is_concept(f[0]) and f[0]["correct"]) for f in firsts)
        print(f"| {name} | " + " | ".join(cells) + f" | {lead} ({lead_ok}) |")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("collect", help="compare development tasks with the library; record findings")
    c.add_argument("--library", required=True)
    c.add_argument("--suites", nargs="+", default=["easy", "medium"])
    c.add_argument("--seed-offset", type=int, required=True)
    c.add_argument("--n-tasks", type=int, default=100)
    c.add_argument("--tasks-dir", required=True)
    c.add_argument("--jobs", type=int, default=2)
    c.add_argument("--out", required=True)
    r = sub.add_parser("rules", help="first significant finding under each ranking rule")
    r.add_argument("--records", required=True)
    args = p.parse_args(argv)
    if args.seed_offset == 0 if args.command == "collect" else False:
        p.error("--seed-offset 0 draws the reported tasks; use a development offset")
    return collect(args) if args.command == "collect" else evaluate(args)


if __name__ == "__main__":
    sys.exit(main())
