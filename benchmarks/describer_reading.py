"""How the learned describer reads free wordings: measured experiments of the reading rule.

Each sub-command prints a markdown table::

    .venv/bin/python benchmarks/describer_reading.py reading
    .venv/bin/python benchmarks/describer_reading.py opposites
    .venv/bin/python benchmarks/describer_reading.py direction

Every sub-command takes ``--model FOLDER`` (a saved describer, e.g. ``tellapart train --out
DIR`` gives ``DIR/final``; default: ``$TELLAPART_DESCRIBER`` or the weights shipped in the
package), ``--threads N`` (torch threads; 0 = the library default) and ``--seed``.

``reading``: the development set that chose ``READ_AS_SIMILARITY`` and ``READ_AS_MARGIN``
(``tellapart.models.reading``): how many development wordings each threshold pair reads as
a trained difference, how many of them as the right one, and how many unrelated claims it
reads; the open-vocabulary paraphrases take no part in it.

``opposites``: a claim of a type with an opposite, typed in 9 fresh wordings, tested on
held-out sets that show the type and on sets that show its opposite.

``direction``: the direction probe of ``tellapart.models.reading.direction_probability``,
cross-validated on the reading phrases of each pair of opposite types, and applied to the
development paraphrases.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from describer_common import (
    DEV_UNRELATED,
    DEV_WORDINGS,
    FRESH,
    FRESH2,
    FRESH3,
    load_model,
    model_name,
    norm,
    parse_phrase,
    run_script,
    set_threads,
    training_texts,
    typed_aurocs,
    typed_sentence,
)

if TYPE_CHECKING:
    from tellapart.models.describer import Describer

# (owners, phrases, their text embeddings): what a wording is read against
Bank = tuple[list[str], list[str], np.ndarray]
# (type id, similarity, margin) of the nearest trained difference, before any threshold
Nearest = tuple[str, float, float]

THRESHOLDS = [(tau, margin) for tau in (0.6, 0.65, 0.7, 0.75, 0.8, 0.85) for margin in (0.0, 0.05, 0.1)]


# -- reading: how free wordings are mapped onto trained differences --------------------------------


def check_development_set(model: Describer) -> None:
    """The development wordings are disjoint from the open-vocabulary test and new to training."""
    fresh = {norm(p) for ps in FRESH.values() for p in ps}
    assert not fresh & {norm(w) for w in [*DEV_WORDINGS.values(), *DEV_UNRELATED]}, \
        "development wordings overlap the open-vocabulary test"
    known = training_texts(model)
    in_training = [w for w in [*DEV_WORDINGS.values(), *DEV_UNRELATED] if norm(w) in known]
    assert not in_training, f"development wordings that are training texts: {in_training}"


def phrase_bank(model: Describer, holdout: bool) -> Bank:
    """As ``reading_phrases`` builds it: trained phrases, then the written wordings."""
    from tellapart.edits.differences import DIFFERENCES
    from tellapart.train.data import type_info

    owners: list[str] = []
    phrases: list[str] = []
    for tid in model.type_ids:
        info = type_info(DIFFERENCES.create(tid), holdout_paraphrase=holdout)
        owners += [tid] * len(info.reading_phrases)
        phrases += info.reading_phrases
    return owners, phrases, model.text_embeddings(phrases)


def heldout_phrases(model: Describer, tid: str) -> list[str]:
    """The type's held-out scorer phrases (kept out of scorer training)."""
    from tellapart.edits.differences import DIFFERENCES
    from tellapart.train.data import type_info

    return list(type_info(DIFFERENCES.create(tid), holdout_paraphrase=True).heldout_phrases)


def nearest(model: Describer, bank: Bank, text: str) -> Nearest:
    """The rule ``read_as_trained`` applies, before its thresholds."""
    from tellapart.models.reading import nearest_type

    owners, phrases, emb = bank
    r = nearest_type(owners, phrases, emb @ model.text_embeddings([text])[0])
    return r.type_id, r.similarity, r.margin


def full_rule(model: Describer, bank: Bank, text: str) -> str | None:
    """The whole rule of ``read_as_trained`` against ``bank``: the thresholds plus the opposite
    margin; the type read, or None."""
    from tellapart.models.reading import nearest_and_opposite, reading_from

    owners, phrases, emb = bank
    found = nearest_and_opposite(model, owners, phrases, emb @ model.text_embeddings([text])[0])
    reading = reading_from(*found)
    return None if reading is None else reading.type_id


def print_threshold_table(positives: list[tuple[str, str, Nearest]],
                          negatives: list[tuple[str, Nearest]]) -> None:
    from tellapart.models import reading as rd

    print(f"| similarity >= | margin >= | wordings read (of {len(positives)}) | read right "
          f"| read wrong | unrelated claims read (of {len(negatives)}) |")
    print("|---|---|---|---|---|---|")
    for tau, margin in THRESHOLDS:
        read = [(tid, r) for tid, _, r in positives if r[1] >= tau and r[2] >= margin]
        right = sum(tid == r[0] for tid, r in read)
        neg = sum(r[1] >= tau and r[2] >= margin for _, r in negatives)
        in_use = (tau, margin) == (rd.READ_AS_SIMILARITY, rd.READ_AS_MARGIN)
        mark = " (thresholds in use)" if in_use else ""
        print(f"| {tau}{mark} | {margin} | {len(read)} | {right} | {len(read) - right} | {neg} |")


def print_full_rule_row(model: Describer, positives: list[tuple[str, str, Nearest]],
                        train_bank: Bank, full_bank: Bank) -> None:
    from tellapart.models import reading as rd

    holdout = {p for t in model.type_ids for p in heldout_phrases(model, t)}
    full = [(tid, full_rule(model, train_bank if phrase in holdout else full_bank, phrase))
            for tid, phrase, _ in positives]
    full_neg = [full_rule(model, full_bank, w) for w in DEV_UNRELATED]
    n_full = sum(got is not None for _, got in full)
    print(f"| {rd.READ_AS_SIMILARITY} with the opposite margin {rd.OPPOSITE_MARGIN} (in use) | "
          f"{rd.READ_AS_MARGIN} | {n_full} | {sum(t == got for t, got in full)} | "
          f"{sum(got is not None and t != got for t, got in full)} | "
          f"{sum(got is not None for got in full_neg)} |")


def print_readings(model: Describer, positives: list[tuple[str, str, Nearest]]) -> None:
    """Each development wording at the thresholds in use, then the written wordings and the
    shipped rule whole (similarity, then direction)."""
    from tellapart.edits.differences import DIFFERENCES
    from tellapart.models import reading as rd

    print("Wordings at the thresholds in use:")
    for tid, phrase, (got, sim, margin) in positives:
        ok = sim >= rd.READ_AS_SIMILARITY and margin >= rd.READ_AS_MARGIN
        print(f"- {tid}: {phrase!r} -> {got if ok else 'not read'} (nearest {got}, "
              f"similarity {sim:.2f}, margin {margin:.2f})")
    # the written wordings against the bank that holds them: each should be read as its own type
    own = other = total = 0
    for tid in model.type_ids:
        for wording in DIFFERENCES.create(tid).wordings:
            reading = rd.read_as_trained(model, wording)
            total += 1
            own += reading is not None and reading.type_id == tid
            other += reading is not None and reading.type_id != tid
    print(f"Written wordings read as their own type: {own} of {total}; as another type: {other}.")
    # the shipped rule whole (similarity, then direction), on the wordings the bank lacks
    dev = [(tid, rd.read_as_trained(model, phrase)) for tid, phrase in DEV_WORDINGS.items()
           if tid in model.type_ids]
    by_direction = [(tid, r) for tid, r in dev if r is not None and r.direction is not None]
    unrelated = [w for w in DEV_UNRELATED if rd.read_as_trained(model, w) is not None]
    print(f"read_as_trained (with the direction rule, DIRECTION_CONFIDENCE "
          f"{rd.DIRECTION_CONFIDENCE}): {sum(r is not None for _, r in dev)} of {len(dev)} "
          f"DEV_WORDINGS read, {sum(r is not None and r.type_id == t for t, r in dev)} right, "
          f"{len(by_direction)} by direction ({sum(r.type_id == t for t, r in by_direction)} right); "
          f"unrelated claims read: {len(unrelated)} of {len(DEV_UNRELATED)} {unrelated}.")


def cmd_reading(args: argparse.Namespace) -> None:
    """Development-set table of READ_AS_SIMILARITY x READ_AS_MARGIN.

    Positives: each type's held-out scorer phrase (kept out of scorer training, so the
    adapter never saw it), read against a bank *without* the held-out phrases, as at
    training time; plus DEV_WORDINGS, read against the full bank. Negatives: DEV_UNRELATED.
    A reading is right when it names the type the wording was written for.
    """
    set_threads(args.threads)
    model = load_model(args.model)
    check_development_set(model)
    train_bank, full_bank = phrase_bank(model, True), phrase_bank(model, False)
    positives: list[tuple[str, str, Nearest]] = []
    for tid in model.type_ids:
        for phrase in heldout_phrases(model, tid):
            positives.append((tid, phrase, nearest(model, train_bank, phrase)))
    for tid, phrase in DEV_WORDINGS.items():
        if tid in model.type_ids:
            positives.append((tid, phrase, nearest(model, full_bank, phrase)))
    negatives = [(w, nearest(model, full_bank, w)) for w in DEV_UNRELATED]
    print_threshold_table(positives, negatives)
    print_full_rule_row(model, positives, train_bank, full_bank)
    print()
    print_readings(model, positives)
    print(f"Model: {model_name(args.model)}.")


# -- opposites: typed claims tested on sets that show the opposite --------------------------------

OPPOSITE_TESTS = (("darker", "brighter"), ("warmer", "cooler"), ("lower_contrast", "higher_contrast"))


def opposite_cells(hyps: list, aucs: list[float]) -> list[str]:
    """One table cell per fresh wording (index 1 on): its AUROC, * when read as a trained
    difference, or "refused"."""
    cells = []
    for hyp, a in zip(hyps[1:], aucs[1:], strict=True):
        if hyp is None:
            cells.append("refused")
        else:
            read = hyp.params.get("read_as") or hyp.concept.startswith("diff:")
            cells.append(f"{a:.2f}{'*' if read else ''}")
    return cells


def cmd_opposites(args: argparse.Namespace) -> None:
    """A claim of a type with an opposite, typed in 9 fresh wordings, tested on held-out sets
    that show the type and on sets that show its opposite.

    On the opposite a claim should score AUROC below 0.5 (the test then finds nothing or
    flags it contradicted); a wording scored above it would be confirmed against the data.
    """
    from tellapart.edits.differences import create_difference
    from tellapart.synth import DiffSpec, make_task
    from tellapart.verify.learned import LearnedScorer

    set_threads(args.threads)
    model = load_model(args.model)
    scorer = LearnedScorer(model)
    print("| claim type | set A shows | canonical sentence | 9 fresh wordings (FRESH, FRESH2, FRESH3): "
          "AUROC, * = read as a trained difference, refused | wordings at AUROC >= 0.6 |")
    print("|---|---|---|---|---|")
    n_wrong = n_unread = 0
    for k, (claim_type, opposite) in enumerate(OPPOSITE_TESTS):
        wordings = [p for fresh in (FRESH, FRESH2, FRESH3) for p in fresh[claim_type]]
        texts = [create_difference(claim_type).sentence, *(typed_sentence(p) for p in wordings)]
        hyps = [scorer.interpret(text) for text in texts]
        for shown in (claim_type, opposite):
            task = make_task([DiffSpec(shown, s=0.8)], n_per_side=100, size=128, base="mixed",
                             seed=args.seed * 1000 + 777 + k, task_id=f"opposite-{shown}",
                             split="heldout")
            images = np.stack([*task.images_a, *task.images_b])
            is_a = np.arange(len(images)) < len(task.images_a)
            aucs = typed_aurocs(model, model.embed(images), is_a, hyps)
            high = sum(1 for j in range(1, len(texts)) if aucs[j] >= 0.6)
            if shown == opposite:
                n_wrong += high
                n_unread += sum(1 for h in hyps[1:]
                                if h is not None and not h.concept.startswith("diff:"))
            print(f"| {claim_type} | {shown} | {aucs[0]:.3f} | {' '.join(opposite_cells(hyps, aucs))} | "
                  f"{high if shown == opposite else '-'} |")
    print()
    print(f"Wordings scored AUROC >= 0.6 on sets showing the opposite: {n_wrong} of 27 "
          f"({n_unread} tested by the image-text head). Model: {model_name(args.model)}.")


# -- direction: can a probe on the text side tell a two-way wording's direction? ---------------------


def direction_row(model: Describer, first: str, second: str, seed: int) -> str:
    """One table row: the probe cross-validated on the pair's phrases, then (fitted on all of
    them, as shipped) on the FRESH and FRESH2 paraphrases of either type."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from tellapart.edits.differences import DIFFERENCES
    from tellapart.models import reading as rd
    from tellapart.train.data import type_info

    sure = rd.DIRECTION_CONFIDENCE
    phrases = {t: type_info(DIFFERENCES.create(t), holdout_paraphrase=False).reading_phrases
               for t in (first, second)}
    texts = phrases[first] + phrases[second]
    labels = np.array([1] * len(phrases[first]) + [0] * len(phrases[second]))
    emb = model.text_embeddings(texts)
    folds = StratifiedKFold(n_splits=10, shuffle=True, random_state=seed)
    p = cross_val_predict(LogisticRegression(C=rd.DIRECTION_C, max_iter=5000), emb, labels,
                          cv=folds, method="predict_proba")[:, 1]
    right = (p > 0.5) == labels
    is_sure = np.maximum(p, 1 - p) >= sure
    dev = [(w, t) for fresh in (FRESH, FRESH2) for t in (first, second) for w in fresh.get(t, ())]
    dev_p = [rd.direction_probability(model, parse_phrase(w), first) for w, _ in dev]
    dev_right = [(q > 0.5) == (t == first) for q, (_, t) in zip(dev_p, dev, strict=True)]
    dev_sure = [max(q, 1 - q) >= sure for q in dev_p]
    right_sure = sum(r for r, s in zip(dev_right, dev_sure, strict=True) if s)
    return (f"| {first} / {second} | {len(texts)} | {right.mean():.3f} | {is_sure.mean():.2f} | "
            f"{right[is_sure].sum()}/{is_sure.sum()} | {sum(dev_right)}/{len(dev)} | "
            f"{sum(dev_sure)} | {right_sure}/{sum(dev_sure)} |")


def cmd_direction(args: argparse.Namespace) -> None:
    """The direction probe of ``tellapart.models.reading.direction_probability``, checked.

    For each pair of types that are each other's ``opposite``: 10-fold cross-validated
    accuracy of the same logistic regression (``DIRECTION_C``) on the pair's reading phrases,
    the share of phrases it is sure of (``DIRECTION_CONFIDENCE``) and its accuracy on those;
    then the probe fitted on all of them (as shipped) on the development paraphrases of FRESH
    and FRESH2 of either type.
    """
    from tellapart.edits.differences import DIFFERENCES
    from tellapart.models.reading import DIRECTION_CONFIDENCE

    set_threads(args.threads)
    model = load_model(args.model)
    pairs = sorted({tuple(sorted((t, DIFFERENCES.create(t).opposite))) for t in model.type_ids
                    if DIFFERENCES.create(t).opposite})
    print(f"| pair | phrases | 10-fold accuracy | sure (p >= {DIRECTION_CONFIDENCE} either way) "
          "| right when sure | FRESH/FRESH2 paraphrases: right | sure | right when sure |")
    print("|---|---|---|---|---|---|---|---|")
    for first, second in pairs:
        print(direction_row(model, first, second, args.seed))
    print(f"Model: {model_name(args.model)}.")


def main(argv: Sequence[str] | None = None) -> int:
    return run_script(__doc__, {"reading": (cmd_reading, None),
                                "opposites": (cmd_opposites, None),
                                "direction": (cmd_direction, None)}, argv)


if __name__ == "__main__":
    sys.exit(main())
