"""Build a concept library of 20 concepts for the no-harm check of learned concepts.

Ten concepts are learned from the edits of ``benchmarks/concept_reuse.py`` (on photographs of
the training split, at seeds other than that benchmark's) and ten from synthetic tasks of
differences the describer was trained on (40 + 40 images, 128 px, mixed bases), each from the
top finding of its comparison, named by that finding's sentence. The library then goes into
every comparison of the benchmark suites::

    python benchmarks/concept_library_build.py --library out/concepts20
    tellapart bench --suite null easy medium --jobs 2 --library out/concepts20 --out out/bench_lib --quiet
    tellapart bench --suite null easy medium --jobs 2 --out out/bench_nolib --quiet

and the two runs are compared suite by suite.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from concept_reuse import NOVEL_EDITS, learn_edit  # noqa: E402

from tellapart.cli import main as tellapart_main  # noqa: E402
from tellapart.learn import learn_from_report  # noqa: E402
from tellapart.synth import DiffSpec, make_task, write_task  # noqa: E402

#: trained differences whose comparisons give the other ten concepts
TRAINED = ("noise", "blur", "stamp", "grid", "sepia", "text_watermark", "rotated", "jpeg",
           "frame", "tiny_rectangles")


def learn_trained(work: Path, difference: str, seed: int, library: Path) -> dict[str, object]:
    task = make_task([DiffSpec(difference, s=0.8, prevalence=0.8)], n_per_side=40, size=128,
                     base="mixed", seed=seed, task_id=difference)
    task_dir = write_task(task, work)
    report_dir = work / "report"
    tellapart_main(["compare", str(task_dir / "a"), str(task_dir / "b"), "--out", str(report_dir),
                    "--quiet", "--no-library", "--seed", str(seed)])
    report = json.loads((report_dir / "report.json").read_text())
    if not (report["findings"] and report["findings"][0]["significant"]):
        return {"difference": difference, "concept": None}
    result = learn_from_report(report_dir, findings=[1], library=library)
    concept = result.learned[0].concept if result.learned else None
    return {"difference": difference, "concept": concept and concept.id,
            "name": concept and concept.name}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--library", type=Path, required=True, help="folder to write it to")
    parser.add_argument("--seed", type=int, default=300)
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="tellapart-library-") as tmp:
        root = Path(tmp)
        for k, (name, edit) in enumerate(NOVEL_EDITS.items()):
            row = learn_edit(root / f"edit{k}", name, edit, args.seed + 10 * k, args.library)
            rows.append({"edit": name, "concept": row["concept"]})
        for k, difference in enumerate(TRAINED):
            rows.append(learn_trained(root / difference, difference, args.seed + 7 * k, args.library))
    learned = [r for r in rows if r["concept"]]
    print(json.dumps(rows, indent=1))
    print(f"{len(learned)} concepts in {args.library}")
    return 0 if len(learned) >= 20 else 1


if __name__ == "__main__":
    raise SystemExit(main())
