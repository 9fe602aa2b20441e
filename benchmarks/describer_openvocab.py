"""Open-vocabulary test of the learned describer: fresh paraphrases typed as claims.

Prints a markdown table::

    .venv/bin/python benchmarks/describer_openvocab.py openvocab [--types 20] [--n-per-side 100] [--seed 0] [--json PATH]

Every sub-command takes ``--model FOLDER`` (a saved describer, e.g. ``tellapart train --out
DIR`` gives ``DIR/final``; default: ``$TELLAPART_DESCRIBER`` or the weights shipped in the
package), ``--threads N`` (torch threads; 0 = the library default) and ``--seed``.

``openvocab``: for 20 difference types of ``tellapart.synth``, held-out images (``split=
"heldout"``: base images no training stream draws) with the difference in set A only are
embedded. The canonical sentence and three fresh paraphrases (``--set``: FRESH, FRESH2,
FRESH3 or FRESH4 of ``describer_common``, asserted to be absent from every training template) are
typed as hypotheses about set A, read by the learned scorer (``LearnedScorer.interpret``: a
trained sentence, or a wording read as a trained difference, is scored by the type head; any
other wording by the image-text head) and scored per image; each score is turned into an
AUROC (set A = positive). A paraphrase "holds" when its AUROC is within 0.05 of the
canonical sentence's. The table also gives the image-text head alone on the per-image
phrases (canonical phrase vs fresh phrases).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from describer_common import (
    FRESH,
    FRESH2,
    FRESH3,
    FRESH4,
    UNRELATED2,
    UNRELATED3,
    UNRELATED4,
    auroc,
    check_fresh,
    load_model,
    model_name,
    run_script,
    set_threads,
    typed_aurocs,
    typed_sentence,
)

UNRELATED_OF = {"fresh3": UNRELATED3, "fresh4": UNRELATED4}
"""The unrelated claims written with each test set (the development sets use UNRELATED2)."""
UNRELATED_NAME = {"fresh3": "UNRELATED3", "fresh4": "UNRELATED4"}

if TYPE_CHECKING:
    from tellapart.models.describer import Describer
    from tellapart.verify.learned import LearnedScorer

HOLD_TOLERANCE = 0.05  # a paraphrase holds when |AUROC - canonical AUROC| <= this
FLOOR_POLICIES = ("calibrated", "logit(0.05)", "none")


def type_head_by_floor(model: Describer, emb: np.ndarray, is_a: np.ndarray,
                       tid: str) -> dict[str, float]:
    """The type head on the canonical difference with each floor policy: calibrated (as
    shipped), logit(0.05) only, none."""
    from tellapart.models.reading import TYPE_FLOOR_LOGIT, type_floor_logits

    k_type = model.type_index(tid)
    floors: dict[str, float] = {}
    if k_type is not None:
        raw = model.type_logits(emb)[:, k_type]
        for name, floor in (("calibrated", float(type_floor_logits(model)[k_type])),
                            ("logit(0.05)", TYPE_FLOOR_LOGIT),
                            ("none", -np.inf)):
            floored = np.maximum(raw, floor)
            floors[name] = auroc(floored[is_a], floored[~is_a])
    return floors


def read_labels(scorer: LearnedScorer, typed: list[str], hyps: list) -> list[str]:
    """How the scorer read each fresh wording: the type it was read as, "" (image-text head),
    or why it was refused."""
    return [(("refused (two-way)" if scorer.refusal_reason(text) else "refused (negation)")
             if h is None else str(h.params.get("read_as", "")))
            for text, h in zip(typed[1:], hyps[1:], strict=True)]


def measure_type(model: Describer, scorer: LearnedScorer, phrases: tuple[str, str, str],
                 tid: str, k: int, args: argparse.Namespace) -> dict[str, Any]:
    """One row of the table: the canonical sentence and the fresh wordings of ``tid``."""
    from tellapart.edits.differences import create_difference
    from tellapart.models.text import parse_claim
    from tellapart.synth import DiffSpec, make_task

    diff = create_difference(tid)
    canonical = parse_claim(diff.sentence).phrase
    task = make_task([DiffSpec(tid, s=args.s)], n_per_side=args.n_per_side, size=args.size,
                     base=args.base, seed=args.seed * 1000 + k, task_id=f"openvocab-{tid}",
                     split="heldout")
    images = np.stack([*task.images_a, *task.images_b])
    is_a = np.arange(len(images)) < len(task.images_a)
    emb = model.embed(images)
    # As a user gets it from the learned scorer: each sentence typed as a hypothesis, read by
    # LearnedScorer.interpret and scored as the verifier scores it. (`compare` offers a typed
    # claim to the measurement scorer first; that one is not measured here.)
    typed = [diff.sentence, *(typed_sentence(p) for p in phrases)]
    # A refused wording gets no AUROC and does not hold: a negation ("not in sharp focus"),
    # which a similarity score cannot express, or a wording about a two-way property the
    # scorer cannot place on one side ("two-way", LearnedScorer.refusal_reason).
    hyps = [scorer.interpret(text) for text in typed]
    if hyps[0] is None:
        raise RuntimeError(f"{tid}: the learned scorer refused the canonical sentence")
    aucs = typed_aurocs(model, emb, is_a, hyps)
    # The image-text head alone, on per-image phrases (this table before wordings were read
    # as trained differences): how far the head itself generalises.
    texts = [canonical, diff.phrase, *phrases]
    logits = model.score_texts(emb, texts)  # (N, T)
    head = [auroc(logits[is_a, j], logits[~is_a, j]) for j in range(len(texts))]
    gaps = [a - aucs[0] for a in aucs[1:]]
    head_gaps = [a - head[0] for a in head[2:]]
    return {
        "type_id": tid,
        "canonical_sentence": diff.sentence,
        "canonical_auroc": aucs[0],
        "paraphrases": list(phrases),
        "typed_sentences": typed[1:],
        "paraphrase_auroc": aucs[1:],
        "read_as": read_labels(scorer, typed, hyps),
        "gaps": gaps,
        "max_abs_gap": max(abs(g) if np.isfinite(g) else np.inf for g in gaps),
        "holds": all(bool(abs(g) <= HOLD_TOLERANCE) for g in gaps),
        "head_canonical_phrase": canonical,
        "head_canonical_auroc": head[0],
        "head_short_phrase_auroc": head[1],
        "head_paraphrase_auroc": head[2:],
        "head_gaps": head_gaps,
        "head_holds": all(abs(g) <= HOLD_TOLERANCE for g in head_gaps),
        "type_head_auroc_by_floor": type_head_by_floor(model, emb, is_a, tid),
    }


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts over the types: how many hold, how many wordings were read or refused, mean gaps."""
    all_gaps = [g for r in rows for g in r["gaps"]]
    return {
        "n_hold": sum(r["holds"] for r in rows),
        # the weaker reading of the bar: no paraphrase more than 0.05 *below* the canonical sentence
        "n_not_worse": sum(all(bool(g >= -HOLD_TOLERANCE) for g in r["gaps"]) for r in rows),
        "n_head_hold": sum(r["head_holds"] for r in rows),
        "n_read": sum(bool(x) and not x.startswith("refused") for r in rows for x in r["read_as"]),
        "n_read_right": sum(x == r["type_id"] for r in rows for x in r["read_as"]),
        "n_refused": sum(x.startswith("refused") for r in rows for x in r["read_as"]),
        "n_gaps": len(all_gaps),
        "mean_gap": float(np.nanmean(all_gaps)),
        "mean_abs_gap": float(np.nanmean(np.abs(all_gaps))),
    }


def cell(a: float, read: str) -> str:
    if read.startswith("refused"):
        return read
    return f"{a:.3f}" + (f" (read as {read})" if read else "")


def print_table(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print(f"| difference ({args.n_per_side}/side held-out images, s={args.s}, {args.size}px, "
          f"base {args.base}) | canonical sentence AUROC | fresh 1 | fresh 2 | fresh 3 "
          f"| max abs gap | all 3 within {HOLD_TOLERANCE} | image-text head: canonical phrase "
          "| fresh 1-3 | all 3 within |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        paras = " | ".join(cell(a, x) for a, x in zip(r["paraphrase_auroc"], r["read_as"], strict=True))
        head_paras = ", ".join(f"{a:.3f}" for a in r["head_paraphrase_auroc"])
        print(f"| {r['type_id']} | {r['canonical_auroc']:.3f} | {paras} | {r['max_abs_gap']:.3f} "
              f"| {'yes' if r['holds'] else 'no'} | {r['head_canonical_auroc']:.3f} | {head_paras} "
              f"| {'yes' if r['head_holds'] else 'no'} |")


def print_summary(rows: list[dict[str, Any]], s: dict[str, Any], unrelated_read: list,
                  n_unrelated: int, args: argparse.Namespace, seconds: float) -> None:
    floors = ", ".join(
        f"{name} {np.mean([r['type_head_auroc_by_floor'][name] for r in rows if r['type_head_auroc_by_floor']]):.3f}"
        for name in FLOOR_POLICIES)
    print(f"Typed, read by the learned scorer: {s['n_hold']}/{len(rows)} types have all 3 fresh "
          f"paraphrases within {HOLD_TOLERANCE} AUROC of the canonical sentence ({s['n_not_worse']}/"
          f"{len(rows)} have none more than {HOLD_TOLERANCE} below it); {s['n_read']} of "
          f"{s['n_gaps']} paraphrases were read as a trained difference ({s['n_read_right']} as the "
          f"right one), {s['n_refused']} refused; mean gap (paraphrase - canonical) "
          f"{s['mean_gap']:+.3f}, mean |gap| "
          f"{s['mean_abs_gap']:.3f}; mean canonical AUROC {np.mean([r['canonical_auroc'] for r in rows]):.3f}, "
          f"mean fresh AUROC {np.nanmean([a for r in rows for a in r['paraphrase_auroc']]):.3f}. "
          f"Image-text head alone: {s['n_head_hold']}/{len(rows)} types hold, mean canonical phrase "
          f"AUROC {np.mean([r['head_canonical_auroc'] for r in rows]):.3f}, mean fresh "
          f"{np.mean([a for r in rows for a in r['head_paraphrase_auroc']]):.3f}. Type head on "
          f"the canonical difference, mean AUROC by floor: " + floors + ". "
          f"Unrelated claims ({UNRELATED_NAME.get(args.set, 'UNRELATED2')}) read "
          f"as a trained difference: {len(unrelated_read)}/{n_unrelated} {unrelated_read}. "
          f"Model: {model_name(args.model)}; wording set {args.set}; "
          f"{seconds:.0f} s.")


def write_json(path: str, rows: list[dict[str, Any]], s: dict[str, Any], unrelated_read: list,
               args: argparse.Namespace) -> None:
    out = {
        "model": model_name(args.model),
        "settings": {"types": len(rows), "n_per_side": args.n_per_side, "seed": args.seed,
                     "s": args.s, "size": args.size, "base": args.base, "split": "heldout",
                     "tolerance": HOLD_TOLERANCE},
        "types": rows,
        **{k: s[k] for k in ("n_hold", "n_not_worse", "n_head_hold", "n_read", "n_read_right",
                             "n_refused", "mean_gap", "mean_abs_gap")},
        "wording_set": args.set,
        "unrelated_read": unrelated_read,
    }
    Path(path).write_text(json.dumps(out, indent=1), encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)


def cmd_openvocab(args: argparse.Namespace) -> None:
    """Fresh paraphrases of trained differences, typed as claims and scored on held-out images."""
    from tellapart.models.reading import read_as_trained
    from tellapart.models.text import parse_claim
    from tellapart.verify.learned import LearnedScorer

    set_threads(args.threads)
    model = load_model(args.model)
    fresh = {"fresh": FRESH, "fresh2": FRESH2, "fresh3": FRESH3, "fresh4": FRESH4}[args.set]
    unrelated = UNRELATED_OF.get(args.set, UNRELATED2)
    check_fresh(fresh, model)
    scorer = LearnedScorer(model)
    types = list(fresh)[:args.types]
    if args.types > len(fresh):
        print(f"only {len(fresh)} types have fresh paraphrases; using those", file=sys.stderr)
    rows: list[dict[str, Any]] = []
    t_all = time.perf_counter()
    for k, tid in enumerate(types):
        t = time.perf_counter()
        row = measure_type(model, scorer, fresh[tid], tid, k, args)
        rows.append(row)
        aucs = [row["canonical_auroc"], *row["paraphrase_auroc"]]
        print(f"{tid}: canonical {aucs[0]:.3f}, paraphrases "
              f"{', '.join(f'{a:.3f}' for a in aucs[1:])}, read as {row['read_as']} "
              f"({time.perf_counter() - t:.0f} s)", file=sys.stderr)
    # Claims about things no trained difference is must not be read as one (they would be
    # tested by a detector of something else).
    unrelated_read = [(u, r.type_id) for u in unrelated
                      if (r := read_as_trained(model, parse_claim(typed_sentence(u)).phrase))]
    summary = summarize(rows)
    print_table(rows, args)
    print()
    print_summary(rows, summary, unrelated_read, len(unrelated), args, time.perf_counter() - t_all)
    if args.json:
        write_json(args.json, rows, summary, unrelated_read, args)


def add_openvocab_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--types", type=int, default=20)
    p.add_argument("--n-per-side", type=int, default=100)
    p.add_argument("--s", type=float, default=0.8, help="difference strength")
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--base", default="mixed")
    p.add_argument("--json", default=None, help="write the results here")
    p.add_argument("--set", choices=["fresh", "fresh2", "fresh3", "fresh4"], default="fresh",
                   help="test wordings: FRESH (the first set), FRESH2 (a second writer's) or "
                        "FRESH3 (a writer blind to the repository)")


def main(argv: Sequence[str] | None = None) -> int:
    return run_script(__doc__, {"openvocab": (cmd_openvocab, add_openvocab_options)}, argv)


if __name__ == "__main__":
    sys.exit(main())
