"""The top-level findings of an ordinary ``compare`` on a planted-caption pair, with each one's
counterfactual verdict and what is listed under it.

Usage::

    .venv/bin/python benchmarks/caption_findings.py [--seed 1001] [--n-per-side 40] [--size 384]
        [--font 10] [--prevalence 1.0] [--top 6] [--out out/caption_findings]

The pair is :func:`typed_claims.write_pair`'s (bundled photographs, a white caption of
``--font`` px in the bottom-right corner of a share ``--prevalence`` of set A's images).
Use development seeds (not 0-2, which ``typed_claims.py`` reports).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from typed_claims import write_pair

from tellapart import compare


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1001)
    parser.add_argument("--n-per-side", type=int, default=40)
    parser.add_argument("--size", type=int, default=384)
    parser.add_argument("--font", type=int, default=10)
    parser.add_argument("--prevalence", type=float, default=1.0)
    parser.add_argument("--top", type=int, default=6)
    parser.add_argument("--out", default="out/caption_findings")
    args = parser.parse_args(argv)
    root = Path(args.out) / f"seed{args.seed}"
    if not (root / "a").exists():
        write_pair(root, args.n_per_side, args.size, args.font, args.prevalence, args.seed)
    report = compare(root / "a", root / "b", cache="", progress=False, jobs=1)
    print("| rank | significant | finding | AUROC | counterfactual | listed under it |")
    print("|---|---|---|---|---|---|")
    for f in report.findings[: args.top]:
        under = "; ".join(r["concept"] for r in f.related) or "-"
        print(f"| {f.rank} | {'yes' if f.significant else 'no'} | {f.description} | "
              f"{f.auroc:.2f} | {f.counterfactual.status} | {under} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
