"""``tellapart bench --visdiff FILE``: VisDiffBench pairs through ``compare``, scored like the paper.

Usage::

    tellapart bench --visdiff VisDiffBench/easy.jsonl --proposers clip vlm measurements \\
        --clip-model openai/clip-vit-base-patch32 --api-base http://localhost:8000/v1 --vlm-model M
    tellapart bench --visdiff data/Examples.csv --difference "Activity (yoga vs meditating)"

Two of VisDiff's formats are read:

* **JSONL** (VisDiffBench's release, one pair per line): ``set1`` and ``set2`` (what each set
  shows), ``difference`` (the true difference, "Animal species (Dogs vs Cats)"),
  ``set1_images`` and ``set2_images`` (paths relative to the file's folder, or ``--root``).
* **CSV** (VisDiff's dataset files): ``group_name,path`` per image, paths relative to ``--root``
  (default: the current folder, as VisDiff resolves them; else the file's folder). The pairs come
  from ``--pairs FILE.jsonl`` (VisDiff's ``{"set1", "set2", "difference"}`` lines, whose set names
  are group names of the CSV); a CSV of exactly two groups needs only ``--difference TEXT``.

Set A is ``set1``, set B ``set2``. Each pair's findings, in the report's rank order, are judged
against the truth "Set A images show <set1>" (and, when the difference says "(X vs Y)", "Set A
images show X"), with "Set B images show <set2>" as the statement of the other direction: by
the benchmark judge (:class:`tellapart.bench.judge.Judge`: its word patterns do not know these
concepts, so its sentence-embedding step decides), or with ``--llm-judge`` by the language model
at ``--api-base``, which rates each finding 0, 0.5 or 1 as VisDiff's GPT-4 evaluator does.
Acc@k is the mean over pairs of the best rating among the first k findings, counted twice: over
all ranked findings (the paper's reading, where every hypothesis counts) and over significant
findings only (what tellapart asserts).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shlex
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .judge import Judge, JudgeError, Truth

TOP_K = (1, 5)
_VS_RE = re.compile(r"\(([^()]*?)\s+vs\.?\s+([^()]*?)\)", re.IGNORECASE)
DEFAULT_OUT = "bench_out/visdiff"


class VisDiffFormatError(ValueError):
    """The benchmark file cannot be read as VisDiff's format."""


@dataclass(frozen=True)
class VisDiffPair:
    """One paired image set of the benchmark."""

    pair_id: str
    set1: str
    set2: str
    difference: str
    images_a: tuple[str, ...]
    images_b: tuple[str, ...]


@dataclass
class PairResult:
    """One pair's outcome: its judged findings and what the run cost."""

    pair_id: str
    set1: str
    set2: str
    difference: str
    findings: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    cost: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    def best(self, k: int, significant_only: bool) -> float:
        """The best rating among the first ``k`` findings (0 when there are none)."""
        pool = [f for f in self.findings if f["significant"] or not significant_only]
        return max((float(f["rating"]) for f in pool[:k]), default=0.0)


# -- reading ------------------------------------------------------------------------------------

def read_visdiff(path: str | Path, *, root: str | Path | None = None, pairs: str | Path | None = None,
                 difference: str | None = None) -> list[VisDiffPair]:
    """The pairs of a VisDiffBench JSONL file or a VisDiff CSV (see the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise VisDiffFormatError(f"{path}: no such file")
    if path.suffix.lower() == ".jsonl":
        return _read_jsonl(path, Path(root) if root else path.parent)
    if path.suffix.lower() == ".csv":
        return _read_csv(path, root, pairs, difference)
    raise VisDiffFormatError(f"{path}: expected a .jsonl (VisDiffBench) or .csv (group_name,path) file")


def _read_jsonl(path: Path, root: Path) -> list[VisDiffPair]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            out.append(VisDiffPair(
                pair_id=str(item.get("id", f"{path.stem}/{n - 1}")), set1=str(item["set1"]),
                set2=str(item["set2"]), difference=str(item.get("difference", "")),
                images_a=tuple(str(root / p) for p in item["set1_images"]),
                images_b=tuple(str(root / p) for p in item["set2_images"])))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise VisDiffFormatError(f"{path}:{n}: not a VisDiffBench line with set1, set2, "
                                     f"set1_images and set2_images ({exc})") from None
    return out


def _read_csv(path: Path, root: str | Path | None, pairs: str | Path | None,
              difference: str | None) -> list[VisDiffPair]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or not {"group_name", "path"} <= set(rows[0]):
        raise VisDiffFormatError(f"{path}: a VisDiff CSV needs the columns group_name and path")
    base = Path(root) if root else (Path.cwd() if (Path.cwd() / rows[0]["path"]).exists() else path.parent)
    groups: dict[str, list[str]] = {}
    for row in rows:
        groups.setdefault(row["group_name"], []).append(str(base / row["path"]))
    if pairs is not None:
        specs = [json.loads(line) for line in Path(pairs).read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    elif len(groups) == 2 and difference:
        first, second = groups
        specs = [{"set1": first, "set2": second, "difference": difference}]
    else:
        raise VisDiffFormatError(f"{path} has {len(groups)} groups: give --pairs PAIRS.jsonl, or "
                                 "--difference TEXT for a CSV of exactly two groups")
    out = []
    for n, spec in enumerate(specs):
        missing = [g for g in (spec.get("set1"), spec.get("set2")) if g not in groups]
        if missing:
            raise VisDiffFormatError(f"pair {n}: group(s) {missing} not in {path}")
        out.append(VisDiffPair(f"{path.stem}/{n}", spec["set1"], spec["set2"],
                               str(spec.get("difference", "")),
                               tuple(groups[spec["set1"]]), tuple(groups[spec["set2"]])))
    return out


# -- truth and judging -------------------------------------------------------------------------

def truth_of(pair: VisDiffPair) -> Truth:
    """The judge's truth: set A shows ``set1`` (and the difference's first term), set B ``set2``."""
    first = f"Set A images show {_lower_first(pair.set1)}"
    more = []
    match = _VS_RE.search(pair.difference)
    if match:
        more += [f"Set A images show {_lower_first(match.group(1))}",
                 f"Set B images show {_lower_first(match.group(2))}"]
    more.append(f"Set B images show {_lower_first(pair.set2)}")
    phrase = _lower_first(match.group(1)) if match else _lower_first(pair.set1)
    return Truth(type_id=f"visdiff:{pair.pair_id}", target="A", sentence=first,
                 paraphrases=tuple(more), phrase=phrase)


def _lower_first(text: str) -> str:
    text = text.strip()
    return text[:1].lower() + text[1:] if text[:1].isupper() and not text[1:2].isupper() else text


LLM_JUDGE_PROMPT = """You are judging a system that describes how image set A differs from image set B.
Ground truth: set A shows "{set1}", set B shows "{set2}"; the difference is "{difference}".
Hypothesis: "{hypothesis}"
Does the hypothesis describe the ground-truth difference in the right direction? Answer with one \
number only: 1 (yes), 0.5 (partly or too vague) or 0 (no)."""


def _llm_ratings(pair: VisDiffPair, findings: list[dict[str, Any]], client: Any,
                 model: str) -> list[float | None]:
    from ..models.chat import ChatRequest

    requests = [ChatRequest(model, LLM_JUDGE_PROMPT.format(set1=pair.set1, set2=pair.set2,
                                                           difference=pair.difference,
                                                           hypothesis=f["description"]),
                            max_tokens=10) for f in findings]
    out: list[float | None] = []
    for answer in client.ask_many(requests, label="judging"):
        found = re.search(r"\b(1|0\.5|0)\b", answer.text or "")
        out.append(float(found.group(1)) if found else None)
    return out


# -- running -----------------------------------------------------------------------------------

def run_pair(pair: VisDiffPair, options: dict[str, Any], judge: Judge,
             llm: tuple[Any, str] | None = None, max_findings: int = 10) -> PairResult:
    """Compare one pair (set A = ``set1``) and judge its first ``max_findings`` findings."""
    from ..io import InputError
    from ..pipeline import compare

    result = PairResult(pair.pair_id, pair.set1, pair.set2, pair.difference)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tellapart-visdiff-") as tmp:
        lists = []
        for name, paths in (("a", pair.images_a), ("b", pair.images_b)):
            lists.append(Path(tmp) / f"{name}.txt")
            lists[-1].write_text("\n".join(paths) + "\n", encoding="utf-8")
        try:
            report = compare(str(lists[0]), str(lists[1]), **options)
        except (InputError, ValueError, RuntimeError) as exc:
            result.error = str(exc).splitlines()[0]
            result.seconds = time.perf_counter() - started
            return result
    result.seconds = time.perf_counter() - started
    result.cost = dict(report.settings.get("cost", {}))
    result.warnings = list(report.warnings)
    truth = truth_of(pair)
    findings = report.findings[:max_findings]
    judge.prepare((f.description, f.more_in, truth) for f in findings)
    llm_ratings = _llm_ratings(pair, [{"description": f.description} for f in findings], *llm) \
        if llm is not None and findings else [None] * len(findings)
    for f, llm_rating in zip(findings, llm_ratings, strict=True):
        decision = judge.judge(f.description, f.more_in, truth, f.concept)
        rating = llm_rating if llm is not None else float(decision.match)
        result.findings.append({"description": f.description, "more_in": f.more_in,
                                "concept": f.concept, "significant": bool(f.significant),
                                "q_value": float(f.q_value), "rating": rating or 0.0,
                                "judge": decision.reason, "llm_rating": llm_rating})
    return result


def summarise(results: Sequence[PairResult]) -> dict[str, Any]:
    """Acc@1/Acc@5 over all ranked and over significant findings, seconds and requests per pair."""
    ran = [r for r in results if r.error is None]
    out: dict[str, Any] = {"pairs": len(results), "errors": len(results) - len(ran)}
    for k in TOP_K:
        for only, label in ((False, "ranked"), (True, "significant")):
            out[f"acc@{k}_{label}"] = (sum(r.best(k, only) for r in results) / len(results)
                                       if results else 0.0)
    out["seconds_per_pair"] = sum(r.seconds for r in results) / len(results) if results else 0.0
    requests = [_requests(r.cost.get("vlm", "")) for r in ran]
    out["requests_per_pair"] = sum(requests) / len(ran) if ran else 0.0
    return out


def _requests(cost: str) -> int:
    found = re.match(r"(\d+) requests", cost)
    return int(found.group(1)) if found else 0


def markdown(summary: dict[str, Any], command: str) -> str:
    """The one-row results table and the command that produced it."""
    head = ("| pairs | errors | Acc@1 ranked | Acc@5 ranked | Acc@1 significant | Acc@5 significant "
            "| s / pair | requests / pair |\n|---|---|---|---|---|---|---|---|\n")
    s = summary
    row = (f"| {s['pairs']} | {s['errors']} | {s['acc@1_ranked']:.3f} | {s['acc@5_ranked']:.3f} "
           f"| {s['acc@1_significant']:.3f} | {s['acc@5_significant']:.3f} "
           f"| {s['seconds_per_pair']:.1f} | {s['requests_per_pair']:.1f} |")
    return head + row + f"\n\ncommand: `{command}`\n"


# -- command line ------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tellapart bench",
        description="Run `tellapart compare` on VisDiffBench pairs and report Acc@1/Acc@5.")
    p.add_argument("--visdiff", required=True, metavar="FILE",
                   help="VisDiffBench .jsonl, or a VisDiff .csv (group_name,path)")
    p.add_argument("--root", default=None, help="folder the image paths are relative to")
    p.add_argument("--pairs", default=None, metavar="FILE.jsonl",
                   help="with a CSV: the pairs ({set1, set2, difference} lines)")
    p.add_argument("--difference", default=None, metavar="TEXT",
                   help="with a CSV of two groups: the true difference")
    p.add_argument("--n-pairs", type=int, default=None, help="first N pairs only")
    p.add_argument("--out", default=DEFAULT_OUT, help=f"results folder (default {DEFAULT_OUT})")
    p.add_argument("--llm-judge", action="store_true",
                   help="rate findings with the language model at --api-base (--llm-model or --vlm-model)")
    p.add_argument("--no-embeddings", action="store_true",
                   help="benchmark judge without its sentence model (then nothing matches)")
    p.add_argument("--proposers", nargs="+", default=None)
    p.add_argument("--alpha", type=float, default=None)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--min-images", type=int, default=None)
    for flag in ("--clip-model", "--api-base", "--vlm-model", "--llm-model", "--api-key-env"):
        p.add_argument(flag, default=None)
    p.add_argument("--max-requests", type=int, default=None)
    p.add_argument("--vlm-rounds", type=int, default=None)
    p.add_argument("--no-cache", action="store_true", help="no feature or answer cache")
    p.add_argument("--quiet", action="store_true", help="no per-pair lines and no progress bars")
    return p


def _compare_options(args: argparse.Namespace) -> dict[str, Any]:
    names = ("proposers", "alpha", "seed", "min_images", "clip_model", "api_base", "vlm_model",
             "llm_model", "api_key_env", "max_requests", "vlm_rounds")
    options = {n: getattr(args, n) for n in names if getattr(args, n) is not None}
    if args.no_cache:
        options["cache"] = ""
    options["progress"] = not args.quiet
    return options


def _llm_client(args: argparse.Namespace) -> tuple[Any, str] | None:
    if not args.llm_judge:
        return None
    import os

    from ..models.chat import ChatClient

    model = args.llm_model or args.vlm_model
    if not args.api_base or not model:
        raise VisDiffFormatError("--llm-judge needs --api-base and --llm-model (or --vlm-model)")
    key = os.environ.get(args.api_key_env or "TELLAPART_API_KEY") or None
    return ChatClient(args.api_base, key, max_requests=args.max_requests or 500), model


def main(argv: list[str] | None = None) -> int:
    """``tellapart bench --visdiff FILE``: 0 when every pair ran, 1 when some failed, 2 on bad input."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    try:
        pairs = read_visdiff(args.visdiff, root=args.root, pairs=args.pairs,
                             difference=args.difference)[:args.n_pairs]
        llm = _llm_client(args)
    except (ValueError, OSError) as exc:  # VisDiffFormatError, or a --pairs line that is not JSON
        print(f"tellapart bench: error: {exc}", file=sys.stderr)
        return 2
    judge = Judge(use_embeddings=not args.no_embeddings)
    options = _compare_options(args)
    results = []
    try:
        for pair in pairs:
            results.append(run_pair(pair, options, judge, llm))
            if not args.quiet:
                r = results[-1]
                print(f"{pair.pair_id}: {r.error or f'Acc@1 {r.best(1, False):g}, {r.seconds:.1f} s'}",
                      file=sys.stderr)
    except JudgeError as exc:
        print(f"tellapart bench: error: {exc}", file=sys.stderr)
        return 2
    summary = summarise(results)
    command = "tellapart bench " + " ".join(shlex.quote(a) for a in argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "results.jsonl").open("w", encoding="utf-8") as fh:
        for r in results:
            fh.write(json.dumps(asdict(r)) + "\n")
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    table = markdown(summary, command)
    (out / "summary.md").write_text(table, encoding="utf-8")
    print(table)
    return 1 if summary["errors"] else 0
