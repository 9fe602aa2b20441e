"""Learned concepts written by the decoder: does ``tellapart train --from-concepts`` teach the
describer's sentence decoder to *name* the ten novel edits of :mod:`concept_reuse`?

Three steps, each its own subcommand, so the (slow) library and the fine-tuning run once:

1. ``library``: for each edit of :data:`concept_reuse.NOVEL_EDITS`, the learning comparison
   of :func:`concept_reuse.learn_edit` (40 + 40 photographs of the "train" split, the edit on
   every set A image; ``compare``, then ``learn --finding 1 --name <the edit's name>``) into
   one library folder, exactly as the reuse benchmark learns them;
2. fine-tune (not here): ``tellapart train --from-concepts --library LIB --out RUN``;
3. ``judge``: for each edit, the *fresh* images of the reuse benchmark's second comparison
   (20 + 20 photographs of the "heldout" split, another seed, disjoint from those learned
   from) are embedded by the describer of ``--describer`` (default: the shipped weights), and
   the decoder writes its sentences the way the ``learned`` proposer asks for them
   (:meth:`Describer.describe` with ``n = beam_width = 8``).

Judging rule (fixed before any measurement): an edit is *named* when the decoder's rank-1
sentence, normalised (:func:`tellapart.models.tokenizer.normalize_sentence`), is the concept's
own sentence about set A (``Concept.sentence("A")``, e.g. "Set A images have a red heart
sticker"), word for word; ``named_in_top8`` says whether it is anywhere among the 8. The
same is asked with the sets swapped (the edit on set B; the concept's sentence about set B).

Usage::

    python benchmarks/from_concepts.py library --seed 100 --library out/fc_lib100
    tellapart train --from-concepts --library out/fc_lib100 --out out/fc_run100
    python benchmarks/from_concepts.py judge --seed 100 --library out/fc_lib100 \\
        --describer out/fc_run100/final --out out/fc_judge100.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))

from concept_reuse import NOVEL_EDITS, learn_edit, write_pair  # noqa: E402

from tellapart.models.concept_library import load_library  # noqa: E402
from tellapart.models.concepts import Concept  # noqa: E402
from tellapart.models.describer import Describer  # noqa: E402
from tellapart.models.tokenizer import normalize_sentence  # noqa: E402
from tellapart.models.weights import DEFAULT_DIR, load_describer  # noqa: E402

N_SENTENCES = 8
"""Sentences the decoder writes per comparison (the learned proposer's ``n_decoder``)."""


def build_library(seed: int, library: Path) -> dict[str, object]:
    """Learn the ten edits into ``library`` as :mod:`concept_reuse` does (its learning step)."""
    rows: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="tellapart-fc-") as tmp:
        for k, (name, edit) in enumerate(NOVEL_EDITS.items()):
            rows[name] = learn_edit(Path(tmp) / f"edit{k}", name, edit, seed + 10 * k, library)
            print(name, rows[name], flush=True)
    return rows


def _embed_folder(model: Describer, folder: Path) -> np.ndarray:
    images = [np.asarray(Image.open(p).convert("RGB")) for p in sorted(folder.glob("*.png"))]
    return model.embed(np.stack(images))


def _judge_one(model: Describer, concept: Concept, emb_edit: np.ndarray,
               emb_plain: np.ndarray, edited_set: str) -> dict[str, object]:
    pair = (emb_edit, emb_plain) if edited_set == "A" else (emb_plain, emb_edit)
    said = [s for s, _ in model.describe(*pair, n=N_SENTENCES, beam_width=N_SENTENCES)]
    want = normalize_sentence(concept.sentence(edited_set))
    return {"rank1": said[0] if said else None, "named": bool(said) and said[0] == want,
            "named_in_top8": want in said}


def judge(seed: int, library: Path, describer: Path) -> dict[str, object]:
    """Which edits the decoder of ``describer`` names on the fresh images of each edit."""
    model = load_describer(describer)
    by_name = {c.name: c for c in load_library(library).concepts}
    rows: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory(prefix="tellapart-fc-") as tmp:
        for k, (name, edit) in enumerate(NOVEL_EDITS.items()):
            concept = by_name.get(name)
            if concept is None:
                rows[name] = {"concept": None}
                continue
            # the reuse benchmark's second comparison: its images and seed
            a, b = write_pair(Path(tmp) / f"edit{k}", edit, 20, "heldout", seed + 10 * k + 1)
            emb_a, emb_b = _embed_folder(model, a), _embed_folder(model, b)
            rows[name] = {"concept": concept.id,
                          "edit_on_A": _judge_one(model, concept, emb_a, emb_b, "A"),
                          "edit_on_B": _judge_one(model, concept, emb_a, emb_b, "B")}
            print(name, rows[name], flush=True)
    judged = [r for r in rows.values() if r["concept"] is not None]
    return {"seed": seed, "describer": describer.name if describer != DEFAULT_DIR else "shipped",
            "concepts": len(judged),
            "named": sum(bool(r["edit_on_A"]["named"]) for r in judged),  # type: ignore[index]
            "named_swapped": sum(bool(r["edit_on_B"]["named"]) for r in judged),  # type: ignore[index]
            "named_in_top8": sum(bool(r["edit_on_A"]["named_in_top8"]) for r in judged),  # type: ignore[index]
            "rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    lib = sub.add_parser("library", help="learn the ten edits into a library folder")
    lib.add_argument("--seed", type=int, default=0, help="0 is the reported draw; 100+ develop")
    lib.add_argument("--library", type=Path, required=True)
    jud = sub.add_parser("judge", help="does the decoder name each edit on fresh images")
    jud.add_argument("--seed", type=int, default=0)
    jud.add_argument("--library", type=Path, required=True)
    jud.add_argument("--describer", type=Path, default=DEFAULT_DIR,
                     help="a describer folder (default: the shipped weights)")
    jud.add_argument("--out", type=Path, required=True, help="result JSON")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    if args.command == "library":
        build_library(args.seed, args.library)
        print(f"library {args.library}: {time.perf_counter() - t0:.0f} s")
        return 0
    summary = judge(args.seed, args.library, args.describer)
    summary["wall_s"] = round(time.perf_counter() - t0, 1)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"named at rank 1: {summary['named']}/{summary['concepts']} (sets swapped "
          f"{summary['named_swapped']}; in the top 8: {summary['named_in_top8']}) -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
