"""Precompute the MiniLM embedding of every text training can encode, so a machine without
MiniLM can train (``TELLAPART_TEXT_CACHE=FILE`` or ``tellapart train --text-cache FILE``).

Usage::

    python -m tellapart.train.text_cache --out .gpu/text_cache.npz     # needs MiniLM
    python -m tellapart.train.text_cache --check .gpu/text_cache.npz   # covers everything?

The trainer encodes the per-image phrases of every difference type (its scorer's training
wordings and the held-out ones validation scores); to stay correct when that use grows,
the cache holds every wording synth defines, in both directions: each type's phrase,
canonical and graded sentences and paraphrases, their set-swapped forms, and the
per-image phrase of each of those.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from ..models.text import parse_claim, read_text_cache, write_text_cache
from ..types import swap_sets
from .data import load_synth, type_info


def training_texts() -> list[str]:
    """Every text that training and validation can pass to the text encoder, sorted."""
    differences, _, _ = load_synth()
    reg = differences.DIFFERENCES  # type: ignore[attr-defined]
    texts: set[str] = set()
    for type_id in reg.list():
        diff = reg.create(type_id)
        for holdout in (True, False):  # the scorer's phrase lists, exactly as the trainer makes them
            info = type_info(diff, holdout)
            texts.update(info.image_phrases + info.heldout_phrases)
        sentences = [diff.sentence, *diff.paraphrases]
        if diff.comparative:
            sentences.append(diff.comparative)
        for sentence in sentences:
            for variant in (sentence, swap_sets(sentence)):
                texts.add(variant)
                texts.add(parse_claim(variant).phrase)
        texts.add(diff.phrase)
    return sorted(t for t in texts if t.strip())


def missing_texts(path: str | Path, texts: Sequence[str] | None = None) -> list[str]:
    """The texts of ``texts`` (default :func:`training_texts`) that the cache at ``path`` lacks."""
    cached = read_text_cache(path)
    return [t for t in (training_texts() if texts is None else texts) if t not in cached]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tellapart.train.text_cache",
                                description=__doc__.split("\n\n")[0])
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--out", metavar="FILE", help="write the cache here (.npz); needs MiniLM")
    what.add_argument("--check", metavar="FILE", help="exit 1 unless FILE holds every text")
    what.add_argument("--list", action="store_true", help="print the texts, one per line")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads for MiniLM (default 1)")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    args = build_parser().parse_args(argv)
    texts = training_texts()
    if args.list:
        print("\n".join(texts))
        return 0
    if args.check:
        missing = missing_texts(args.check, texts)
        print(json.dumps({"cache": args.check, "texts": len(texts), "missing": missing}))
        return 1 if missing else 0
    import torch  # only MiniLM needs it; --check and --list work without

    torch.set_num_threads(max(1, args.threads))
    path = write_text_cache(args.out, texts)
    print(json.dumps({"cache": str(path), "texts": len(texts),
                      "bytes": path.stat().st_size}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
