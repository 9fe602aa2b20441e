"""Development study: does a concept's learned shift tell a concept that is present from one
whose detector merely responds to another difference?

A concept claim's presence check (:func:`tellapart.verify.concepts.presence_evidence`) adds the
concept's learned shift to the other set's features and asks how close that brings it to the
named set (``distance_ratio``: 0 indistinguishable, 1 no closer). This script measures it on
development draws only, in two places:

``pairs``
    The ten edits of ``benchmarks/concept_reuse.py`` at a development seed: each edit's concept
    is fitted on its learning pair (40 + 40 training photographs, set A edited) and refitted
    against the other nine, as a library does; every concept is then checked on every edit's
    finding-again pair (20 + 20 held-out photographs). A good check passes each pair's own
    concept and fails the others.
``tasks``
    The development tasks recorded by ``benchmarks/concept_gate_dev.py collect`` (the suites'
    recipes at a development seed offset, with a library of concepts): each significant
    concept claim is checked on the task's images, and the records are written again with
    ``presence_ratio`` and ``presence_prevalence``. ``rules`` then compares ranking rules that
    let a concept lead only when it passes.

Both use every image of a comparison (not only the held-out ones): an approximation of what
the verifier sees.

Usage::

    python benchmarks/concept_presence_dev.py pairs --seed 100 --cache out/spec100.npz
    python benchmarks/concept_presence_dev.py tasks --records out/gate_dev.jsonl \\
        --library out/concepts20 --tasks-dir out/gate_dev_tasks --out out/gate_presence.jsonl
    python benchmarks/concept_presence_dev.py rules --records out/gate_presence.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from concept_gate_dev import (  # noqa: E402
    _concept_id,
    _records,
    _significant,
    _trained_first,
    rule_table,
    write_records,
)
from concept_specificity import blocks_of_pairs, fit  # noqa: E402

from tellapart import stats  # noqa: E402
from tellapart.bench.runner import one_thread_per_worker  # noqa: E402
from tellapart.config import Settings  # noqa: E402
from tellapart.context import DataContext  # noqa: E402
from tellapart.io import discover, load_image  # noqa: E402
from tellapart.measure import compute_features  # noqa: E402
from tellapart.models import concepts as concept_models  # noqa: E402
from tellapart.models.concept_library import load_library  # noqa: E402
from tellapart.models.concepts import BLOCKS, laid_out_for, refit  # noqa: E402
from tellapart.models.weights import load_default  # noqa: E402
from tellapart.verify.concepts import PresenceEvidence, presence_evidence  # noqa: E402

THRESHOLDS = (0.3, 0.4, 0.42, 0.45, 0.5, 0.6, 0.7)


def _rows(raw: dict[str, np.ndarray], mask: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[mask] for k, v in raw.items()}


def closest(concept: concept_models.Concept, named: dict[str, np.ndarray],
            other: dict[str, np.ndarray], strengths: list[float]) -> PresenceEvidence:
    """The presence check at each of ``strengths``; the one with the smallest ratio (the first
    of equals)."""
    best: PresenceEvidence | None = None
    for strength in strengths:
        evidence = presence_evidence(concept, named, other, strength)
        if best is None or evidence.distance_ratio < best.distance_ratio:
            best = evidence
    if best is None:
        raise ValueError("no strength to try")
    return best


def pairs(args: argparse.Namespace) -> int:
    learn, again = blocks_of_pairs(args.seed, args.cache)
    alone = [fit(learn, i, {"blocks": BLOCKS}) for i in range(len(learn))]
    library = [refit(c, [o for o in alone if o is not c]) for c in alone]
    n = len(library)
    ratio, auroc = np.zeros((n, n)), np.zeros((n, n))
    for i, (raw, is_a) in enumerate(again):
        for j, concept in enumerate(library):
            scores = concept.scores(raw)
            auroc[i, j] = stats.auroc(scores[is_a], scores[~is_a])
            ratio[i, j] = closest(concept, _rows(raw, is_a), _rows(raw, ~is_a),
                                  args.strengths).distance_ratio
    own = np.diag(ratio)
    others = np.where(np.eye(n, dtype=bool), np.inf, ratio)
    print("pair: own ratio | lowest other ratio (concept) | own AUROC")
    for i in range(n):
        j = int(np.argmin(others[i]))
        print(f"{i}: {own[i]:.3f} | {others[i, j]:.3f} ({j}) | {auroc[i, i]:.3f}")
    for t in THRESHOLDS:
        print(f"threshold {t}: own passes {int(np.sum(own <= t))}/{n}; other concepts pass "
              f"{int(np.sum(others <= t))}/{n * (n - 1)} (of those responding, AUROC > 0.7: "
              f"{int(np.sum((others <= t) & (auroc > 0.7)))}/{int(np.sum(np.isfinite(others) & (auroc > 0.7)))})")
    if args.out:
        Path(args.out).write_text(json.dumps({"seed": args.seed, "ratio": np.round(ratio, 4).tolist(),
                                              "auroc": np.round(auroc, 4).tolist()}, indent=1) + "\n")
    return 0


def _task_blocks(task_dir: Path) -> tuple[dict[str, np.ndarray], np.ndarray, list[str]]:
    kept = task_dir / "blocks.npz"
    if kept.is_file():
        data = np.load(kept)
        return ({b: data[b] for b in BLOCKS if b in data}, data["is_a"],
                [str(n) for n in data["names"]])
    settings = Settings(progress=False, cache="")
    paths_a, skipped_a = discover(str(task_dir / "a"), "A")
    paths_b, skipped_b = discover(str(task_dir / "b"), "B")
    _, table, _ = compute_features([("A", str(task_dir / "a"), paths_a, skipped_a),
                                    ("B", str(task_dir / "b"), paths_b, skipped_b)],
                                   settings=settings, progress=False)
    ctx = DataContext(table=table, load=load_image, settings=settings)
    raw = concept_models.raw_blocks(ctx, np.arange(len(table.records)), load_default())
    np.savez_compressed(kept, is_a=table.is_a, names=np.array(table.names), **raw)
    return raw, table.is_a, list(table.names)


def task_one(record: dict[str, Any], library: str, tasks_dir: str,
             strengths: list[float]) -> dict[str, Any]:
    one_thread_per_worker()
    concepts = {c.id: c for c in load_library(library).concepts}
    wanted = [r for r in record["findings"] if r["significant"] and _concept_id(r["concept"])]
    if not wanted:
        return record
    task_dir = Path(tasks_dir) / f"{record['suite']}-{record['seed_offset']}" / record["task_id"]
    raw, is_a, names = _task_blocks(task_dir)
    for row in wanted:
        concept = concepts[str(_concept_id(row["concept"]))]
        own = laid_out_for(concept, raw, names)
        named = is_a if row["more_in"] == "A" else ~is_a
        evidence = closest(concept, _rows(own, named), _rows(own, ~named), strengths)
        row["presence_ratio"] = round(evidence.distance_ratio, 4)
        row["presence_prevalence"] = round(evidence.prevalence, 4)
        row["presence_strength"] = evidence.strength
    return record


def tasks(args: argparse.Namespace) -> int:
    records = list(_records(args.records))
    with ProcessPoolExecutor(args.jobs) as pool:
        write_records([pool.submit(task_one, r, args.library, args.tasks_dir, args.strengths)
                       for r in records], args.out)
    return 0


def _present_leads(rows: list[dict[str, Any]], t: float, delta: float,
                   confirmed_delta: float | None = None) -> list[dict[str, Any]]:
    """The recorded order (a concept above a trained difference it is not significantly weaker
    than), except that a leading concept failing the presence check (ratio above ``t``) gives
    the lead to a trained difference within ``delta`` of its AUROC; with ``confirmed_delta``,
    a confirmed one gives it to a trained difference within that much (0: at least as large)."""
    sig = _significant(rows)
    if not sig or not _concept_id(str(sig[0]["concept"])):
        return sig
    if not sig[0].get("presence_ratio", 1.0) <= t:
        return _trained_first(sig, delta)
    return sig if confirmed_delta is None else _trained_first(sig, confirmed_delta)


def rules(args: argparse.Namespace) -> int:
    records = list(_records(args.records))
    concept_rows = [f for r in records for f in r["findings"] if "presence_ratio" in f]
    for label, rows in (("correct", [f for f in concept_rows if f["correct"]]),
                        ("not correct", [f for f in concept_rows if not f["correct"]])):
        ratios = np.array([f["presence_ratio"] for f in rows])
        print(f"significant concept claims judged {label}: {ratios.size}; "
              + ", ".join(f"ratio <= {t}: {int(np.sum(ratios <= t))}" for t in THRESHOLDS))
    variants: dict[str, Any] = {"recorded order": _significant,
                                "trained first (delta 0.05)": lambda rows: _trained_first(_significant(rows), 0.05)}
    for t in THRESHOLDS:
        variants[f"a concept leads only when its ratio <= {t} (else trained first, delta 0.05)"] = (
            lambda rows, t=t: _present_leads(rows, t, 0.05))
    for t in (0.42, 0.5):
        for d in (0.0, -0.02):
            variants[f"confirmed at {t}: leads a trained difference only when its AUROC is larger by more than {-d}"] = (
                lambda rows, t=t, d=d: _present_leads(rows, t, 0.05, d))
    rule_table(records, variants)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    a = sub.add_parser("pairs", help="the reuse edits' concepts on every finding-again pair")
    a.add_argument("--seed", type=int, default=100, help="a development seed (not 0)")
    a.add_argument("--cache", type=Path, default=None)
    a.add_argument("--out", default="")
    a.add_argument("--strengths", type=float, nargs="+", default=[1.0],
                   help="multiples of the learned shift to try (the closest counts)")
    t = sub.add_parser("tasks", help="presence of the recorded tasks' significant concept claims")
    t.add_argument("--records", required=True)
    t.add_argument("--library", required=True)
    t.add_argument("--tasks-dir", required=True)
    t.add_argument("--jobs", type=int, default=2)
    t.add_argument("--out", required=True)
    t.add_argument("--strengths", type=float, nargs="+", default=[1.0])
    r = sub.add_parser("rules", help="first significant finding under presence rules")
    r.add_argument("--records", required=True)
    args = p.parse_args(argv)
    if args.command == "pairs" and args.seed == 0:
        p.error("seed 0 draws the reported edits; use a development seed")
    return {"pairs": pairs, "tasks": tasks, "rules": rules}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
